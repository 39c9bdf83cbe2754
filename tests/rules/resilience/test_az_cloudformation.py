"""AZ001-AZ008 on one CloudFormation template: every rule fails, passes and is unknown on
named resources, and the table is asserted exactly (a skipped resource has no row).

Unknown comes from parameters without defaults, zones AWS picks (an instance or subnet that
names none), and a mix of a literal zone with `!Select [i, !GetAZs ""]` (which may be it);
two different `!GetAZs` indexes are two zones."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

IDS = tuple(f"AZ{n:03d}" for n in range(1, 9))

TEMPLATE = """
Parameters:
  MultiAz: {Type: String}
  Zone: {Type: String}
  Count: {Type: Number}
Resources:
  SubnetA: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}}
  SubnetB: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.1.0/24, AvailabilityZone: us-east-1b}}
  SubnetC: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.2.0/24, AvailabilityZone: !Select [1, !GetAZs ""]}}
  SubnetD: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.3.0/24, AvailabilityZone: !Select [0, !GetAZs ""]}}
  SubnetE: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.4.0/24, AvailabilityZone: us-east-1b}}

  # AZ001
  Single: {Type: AWS::RDS::DBInstance, Properties: {Engine: postgres, DBInstanceClass: db.t3.micro}}
  Multi: {Type: AWS::RDS::DBInstance, Properties: {Engine: postgres, DBInstanceClass: db.t3.micro, MultiAZ: true}}
  Maybe: {Type: AWS::RDS::DBInstance, Properties: {Engine: postgres, DBInstanceClass: db.t3.micro, MultiAZ: !Ref MultiAz}}
  Replica: {Type: AWS::RDS::DBInstance, Properties: {SourceDBInstanceIdentifier: !Ref Multi, DBInstanceClass: db.t3.micro}}

  # AZ002 (their instances get no AZ001 result)
  Aurora: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-postgresql}}
  Writer: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Aurora, DBInstanceClass: db.r6g.large, AvailabilityZone: us-east-1a}}
  Reader: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-postgresql, DBClusterIdentifier: !Ref Aurora, DBInstanceClass: db.r6g.large, AvailabilityZone: us-east-1b}}
  Lonely: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-mysql}}
  LonelyWriter: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Lonely, DBInstanceClass: db.r6g.large}}
  Placed: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-mysql}}
  PlacedA: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Placed, DBInstanceClass: db.r6g.large}}
  PlacedB: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Placed, DBInstanceClass: db.r6g.large}}
  MultiAzCluster: {Type: AWS::RDS::DBCluster, Properties: {Engine: postgres, DBClusterInstanceClass: db.m6gd.large}}

  # AZ003
  AsgOne: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "1", MaxSize: "2", VPCZoneIdentifier: [!Ref SubnetA]}}
  AsgTwo: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "1", MaxSize: "2", VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]}}
  AsgZones: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "1", MaxSize: "2", AvailabilityZones: [us-east-1a]}}
  AsgGetAzs: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "1", MaxSize: "2", VPCZoneIdentifier: [!Ref SubnetC, !Ref SubnetD]}}
  AsgParam: {Type: AWS::AutoScaling::AutoScalingGroup, Properties: {MinSize: "1", MaxSize: "2", AvailabilityZones: [!Ref Zone]}}

  # AZ004
  NlbOne: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Type: network, Subnets: [!Ref SubnetA]}}
  NlbTwo: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Type: network, SubnetMappings: [{SubnetId: !Ref SubnetA}, {SubnetId: !Ref SubnetB}]}}
  AlbMixed: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {Subnets: [!Ref SubnetA, !Ref SubnetC]}}
  Classic: {Type: AWS::ElasticLoadBalancing::LoadBalancer, Properties: {AvailabilityZones: [us-east-1a], Listeners: []}}

  # AZ005
  Scaled:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}]
  ScaledEndpoint: {Type: AWS::SageMaker::Endpoint, Properties: {EndpointConfigName: !GetAtt Scaled.EndpointConfigName}}
  Scaling:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ResourceId: !Sub "endpoint/${ScaledEndpoint.EndpointName}/variant/AllTraffic"
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: 2
      MaxCapacity: 4
  OneInstance:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}]
  Counted:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: !Ref Count}]
  Serverless:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: AllTraffic, ModelName: m, ServerlessConfig: {MaxConcurrency: 5, MemorySizeInMB: 2048}}]

  # AZ006
  RgOff: {Type: AWS::ElastiCache::ReplicationGroup, Properties: {ReplicationGroupDescription: x, NumCacheClusters: 2, AutomaticFailoverEnabled: true}}
  RgOn: {Type: AWS::ElastiCache::ReplicationGroup, Properties: {ReplicationGroupDescription: x, NumCacheClusters: 2, AutomaticFailoverEnabled: true, MultiAZEnabled: true}}
  RgParam: {Type: AWS::ElastiCache::ReplicationGroup, Properties: {ReplicationGroupDescription: x, NumCacheClusters: 2, AutomaticFailoverEnabled: true, MultiAZEnabled: !Ref MultiAz}}
  RedisNode: {Type: AWS::ElastiCache::CacheCluster, Properties: {Engine: redis, CacheNodeType: cache.t3.micro, NumCacheNodes: 1}}
  Memcached: {Type: AWS::ElastiCache::CacheCluster, Properties: {Engine: memcached, CacheNodeType: cache.t3.micro, NumCacheNodes: 3, AZMode: cross-az}}

  # AZ007
  OneZone: {Type: AWS::EFS::FileSystem, Properties: {AvailabilityZoneName: us-east-1a}}
  Regional: {Type: AWS::EFS::FileSystem, Properties: {Encrypted: true}}
  ZoneParam: {Type: AWS::EFS::FileSystem, Properties: {AvailabilityZoneName: !Ref Zone}}

  # AZ008: SubnetA's NAT gateway serves SubnetA (same zone) and SubnetB (another zone);
  # SubnetE goes through a regional one; SubnetC, SubnetD use the VPC's main table.
  Nat: {Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref SubnetA}}
  RegionalNat: {Type: AWS::EC2::NatGateway, Properties: {AvailabilityMode: regional, VpcId: vpc-1}}
  Private: {Type: AWS::EC2::RouteTable, Properties: {VpcId: vpc-1}}
  ToNat: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref Private, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref Nat}}
  PrivateE: {Type: AWS::EC2::RouteTable, Properties: {VpcId: vpc-1}}
  ToRegional: {Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PrivateE, DestinationCidrBlock: 0.0.0.0/0, NatGatewayId: !Ref RegionalNat}}
  AssocA: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref SubnetA, RouteTableId: !Ref Private}}
  AssocB: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref SubnetB, RouteTableId: !Ref Private}}
  AssocE: {Type: AWS::EC2::SubnetRouteTableAssociation, Properties: {SubnetId: !Ref SubnetE, RouteTableId: !Ref PrivateE}}
"""

EXPECTED = {
    ("AZ001", "Single"): "fail",
    ("AZ001", "Multi"): "pass",
    ("AZ001", "Maybe"): "unknown",
    ("AZ001", "Replica"): "fail",
    ("AZ002", "Aurora"): "pass",
    ("AZ002", "Lonely"): "fail",
    ("AZ002", "Placed"): "unknown",
    ("AZ002", "MultiAzCluster"): "pass",
    ("AZ003", "AsgOne"): "fail",
    ("AZ003", "AsgTwo"): "pass",
    ("AZ003", "AsgZones"): "fail",
    ("AZ003", "AsgGetAzs"): "pass",
    ("AZ003", "AsgParam"): "unknown",
    ("AZ004", "NlbOne"): "fail",
    ("AZ004", "NlbTwo"): "pass",
    ("AZ004", "AlbMixed"): "unknown",
    ("AZ004", "Classic"): "fail",
    ("AZ005", "Scaled"): "pass",
    ("AZ005", "OneInstance"): "fail",
    ("AZ005", "Counted"): "unknown",
    ("AZ006", "RgOff"): "fail",
    ("AZ006", "RgOn"): "pass",
    ("AZ006", "RgParam"): "unknown",
    ("AZ006", "RedisNode"): "fail",
    ("AZ006", "Memcached"): "pass",
    ("AZ007", "OneZone"): "fail",
    ("AZ007", "Regional"): "pass",
    ("AZ007", "ZoneParam"): "unknown",
    ("AZ008", "SubnetA"): "pass",
    ("AZ008", "SubnetB"): "fail",
    ("AZ008", "SubnetE"): "pass",
    ("AZ008", "SubnetC"): "unknown",
    ("AZ008", "SubnetD"): "unknown",
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> ScanOutcome:
    root: Path = tmp_path_factory.mktemp("az")
    path = write(root, {"stack.yaml": TEMPLATE}) / "stack.yaml"
    return scan_iac([path], rules(*IDS), root)


def test_the_matrix_is_exact(outcome: ScanOutcome):
    assert outcome.errors == []
    got = {(r.rule_id, r.resource.id): r.status.value for rule_id in IDS for r in results(outcome, rule_id)}
    assert got == EXPECTED
    for rule_id in IDS:
        assert {v for (r, _), v in got.items() if r == rule_id} == {"fail", "pass", "unknown"}, rule_id


def test_a_single_az_read_replica_is_low(outcome: ScanOutcome):
    severity = {r.resource.id: r.severity.value for r in results(outcome, "AZ001")}
    assert severity["Replica"] == "low" and severity["Single"] == "medium"


@pytest.mark.parametrize(
    ("rule_id", "resource", "words"),
    [
        ("AZ002", "Placed", "RDS picks"),
        ("AZ002", "Lonely", "1 instance declared"),
        ("AZ003", "AsgParam", "parameter Zone has no default"),
        ("AZ004", "AlbMixed", "!Select [1, !GetAZs]"),
        ("AZ005", "Scaled", "autoscaling minimum of 2 instances"),
        ("AZ005", "OneInstance", "runs 1 instance and no autoscaling keeps two"),
        ("AZ008", "SubnetB", "NAT gateway Nat in us-east-1a"),
        ("AZ008", "SubnetC", "main route table"),
    ],
)
def test_messages_say_why(outcome: ScanOutcome, rule_id: str, resource: str, words: str):
    [found] = [r for r in results(outcome, rule_id) if r.resource.id == resource]
    assert words in found.message, found.message
