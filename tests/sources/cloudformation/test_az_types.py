"""CloudFormation templates of the availability-zone pack's types (AZ001-AZ008) load with their
properties as written: CloudFormation is the canonical vocabulary, every resource type is
kept, `!Ref` / `!GetAtt` between them stay References to the logical ids, and absent
properties stay absent (the rules apply CloudFormation's defaults, scanner/model.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from scanner.model import (
    AUTOSCALING_GROUP,
    CACHE_CLUSTER,
    CLASSIC_LOAD_BALANCER,
    DB_CLUSTER,
    DB_INSTANCE,
    ENDPOINT_CONFIG,
    FILE_SYSTEM,
    LOAD_BALANCER,
    NAT_GATEWAY,
    REPLICATION_GROUP,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SCALABLE_TARGET,
    SUBNET,
    Reference,
    Resource,
)
from scanner.sources.cloudformation.template import load_template

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  HighlyAvailable:
    Type: String
    Default: "true"
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      AvailabilityZone: eu-west-1a
      CidrBlock: 10.0.0.0/24
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      AvailabilityZoneId: euw1-az2
      CidrBlock: 10.0.1.0/24
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceIdentifier: orders
      Engine: postgres
      DBInstanceClass: db.m6g.large
      MultiAZ: !Ref HighlyAvailable
  SingleAzDatabase:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: mysql
      DBInstanceClass: db.t3.micro
      AvailabilityZone: eu-west-1a
  Replica:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceClass: db.m6g.large
      SourceDBInstanceIdentifier: !Ref Database
  Cluster:
    Type: AWS::RDS::DBCluster
    Properties:
      DBClusterIdentifier: aurora
      Engine: aurora-postgresql
      AvailabilityZones: [eu-west-1a, eu-west-1b]
  ClusterMember:
    Type: AWS::RDS::DBInstance
    Properties:
      DBClusterIdentifier: !Ref Cluster
      Engine: aurora-postgresql
      DBInstanceClass: db.r6g.large
      AvailabilityZone: eu-west-1b
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      MinSize: "1"
      MaxSize: "3"
      VPCZoneIdentifier: [!Ref SubnetA, !Ref SubnetB]
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Type: network
      Scheme: internal
      SubnetMappings:
        - SubnetId: !Ref SubnetA
        - SubnetId: !Ref SubnetB
          AllocationId: eipalloc-0123
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Subnets: [!Ref SubnetA, !Ref SubnetB]
  Classic:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: [eu-west-1a]
      Listeners:
        - LoadBalancerPort: "80"
          InstancePort: "80"
          Protocol: HTTP
  EndpointConfig:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: main
          ModelName: m
          InstanceType: ml.m5.large
          InitialInstanceCount: 1
          ManagedInstanceScaling:
            MinInstanceCount: 2
            MaxInstanceCount: 4
            Status: ENABLED
        - VariantName: serverless
          ModelName: m
          ServerlessConfig:
            MaxConcurrency: 5
            MemorySizeInMB: 2048
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ResourceId: endpoint/e/variant/main
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: 2
      MaxCapacity: 6
  Sessions:
    Type: AWS::ElastiCache::ReplicationGroup
    Properties:
      ReplicationGroupDescription: sessions
      ReplicationGroupId: sessions
      Engine: redis
      MultiAZEnabled: true
      AutomaticFailoverEnabled: true
      NumCacheClusters: 2
      PreferredCacheClusterAZs: [eu-west-1a, eu-west-1b]
  Memo:
    Type: AWS::ElastiCache::CacheCluster
    Properties:
      ClusterName: memo
      Engine: memcached
      CacheNodeType: cache.t3.micro
      NumCacheNodes: 1
      AZMode: single-az
      PreferredAvailabilityZone: eu-west-1a
  Scratch:
    Type: AWS::EFS::FileSystem
    Properties:
      AvailabilityZoneName: eu-west-1a
  Shared:
    Type: AWS::EFS::FileSystem
    Properties:
      Encrypted: true
  NatA:
    Type: AWS::EC2::NatGateway
    Properties:
      SubnetId: !Ref SubnetA
  RegionalNat:
    Type: AWS::EC2::NatGateway
    Properties:
      VpcId: !Ref Vpc
      AvailabilityMode: regional
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties:
      VpcId: !Ref Vpc
  DefaultRoute:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref PrivateRoutes
      DestinationCidrBlock: 0.0.0.0/0
      NatGatewayId: !Ref NatA
  PrivateB:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties:
      SubnetId: !Ref SubnetB
      RouteTableId: !Ref PrivateRoutes
"""


def load(tmp_path: Path) -> dict[str, Resource]:
    path = tmp_path / "az.yaml"
    path.write_text(textwrap.dedent(TEMPLATE))
    config = load_template(path, path.name)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def is_ref(value: object, target: str, attribute: str | None = None) -> bool:
    return isinstance(value, Reference) and (value.target, value.attribute) == (target, attribute)


def test_every_type_of_the_pack_is_kept(tmp_path):
    found = load(tmp_path)
    assert {rid: r.type for rid, r in found.items() if rid != "Vpc"} == {
        "SubnetA": SUBNET,
        "SubnetB": SUBNET,
        "Database": DB_INSTANCE,
        "SingleAzDatabase": DB_INSTANCE,
        "Replica": DB_INSTANCE,
        "Cluster": DB_CLUSTER,
        "ClusterMember": DB_INSTANCE,
        "Group": AUTOSCALING_GROUP,
        "Nlb": LOAD_BALANCER,
        "Alb": LOAD_BALANCER,
        "Classic": CLASSIC_LOAD_BALANCER,
        "EndpointConfig": ENDPOINT_CONFIG,
        "Target": SCALABLE_TARGET,
        "Sessions": REPLICATION_GROUP,
        "Memo": CACHE_CLUSTER,
        "Scratch": FILE_SYSTEM,
        "Shared": FILE_SYSTEM,
        "NatA": NAT_GATEWAY,
        "RegionalNat": NAT_GATEWAY,
        "PrivateRoutes": ROUTE_TABLE,
        "DefaultRoute": ROUTE,
        "PrivateB": ROUTE_TABLE_ASSOCIATION,
    }


def test_db_instances_and_cluster(tmp_path):
    found = load(tmp_path)
    database = found["Database"]
    assert database.name == "orders"
    # A parameter's default is resolved; YAML "true" stays the string CloudFormation takes.
    assert database.properties["MultiAZ"] == "true"
    # Absent MultiAZ stays absent (CloudFormation's default: a single-AZ instance).
    assert "MultiAZ" not in found["SingleAzDatabase"].properties
    assert found["SingleAzDatabase"].properties["AvailabilityZone"] == "eu-west-1a"
    assert is_ref(found["Replica"].properties["SourceDBInstanceIdentifier"], "Database")
    assert found["Cluster"].properties["AvailabilityZones"] == ["eu-west-1a", "eu-west-1b"]
    assert "EngineMode" not in found["Cluster"].properties
    member = found["ClusterMember"].properties
    assert is_ref(member["DBClusterIdentifier"], "Cluster")
    assert member["AvailabilityZone"] == "eu-west-1b"


def test_subnets_and_autoscaling_group_subnet_references(tmp_path):
    found = load(tmp_path)
    assert found["SubnetA"].properties["AvailabilityZone"] == "eu-west-1a"
    assert found["SubnetB"].properties["AvailabilityZoneId"] == "euw1-az2"
    assert is_ref(found["SubnetB"].properties["VpcId"], "Vpc")
    group = found["Group"].properties
    assert (group["MinSize"], group["MaxSize"]) == ("1", "3")
    [a, b] = group["VPCZoneIdentifier"]
    assert is_ref(a, "SubnetA") and is_ref(b, "SubnetB")


def test_load_balancers(tmp_path):
    found = load(tmp_path)
    nlb = found["Nlb"].properties
    assert (nlb["Type"], nlb["Scheme"]) == ("network", "internal")
    [first, second] = nlb["SubnetMappings"]
    assert set(first) == {"SubnetId"} and is_ref(first["SubnetId"], "SubnetA")
    assert is_ref(second["SubnetId"], "SubnetB") and second["AllocationId"] == "eipalloc-0123"
    alb = found["Alb"].properties
    assert "Type" not in alb  # CloudFormation's default: application
    assert [is_ref(s, t) for s, t in zip(alb["Subnets"], ("SubnetA", "SubnetB"), strict=True)] == [True, True]
    assert found["Classic"].properties["AvailabilityZones"] == ["eu-west-1a"]


def test_endpoint_config_variants_and_scalable_target(tmp_path):
    found = load(tmp_path)
    [main, serverless] = found["EndpointConfig"].properties["ProductionVariants"]
    assert main["InitialInstanceCount"] == 1
    assert main["ManagedInstanceScaling"] == {
        "MinInstanceCount": 2,
        "MaxInstanceCount": 4,
        "Status": "ENABLED",
    }
    assert serverless["ServerlessConfig"] == {"MaxConcurrency": 5, "MemorySizeInMB": 2048}
    target = found["Target"].properties
    assert (target["ResourceId"], target["MinCapacity"]) == ("endpoint/e/variant/main", 2)


def test_elasticache_and_efs(tmp_path):
    found = load(tmp_path)
    sessions = found["Sessions"].properties
    assert (sessions["MultiAZEnabled"], sessions["AutomaticFailoverEnabled"]) == (True, True)
    assert sessions["PreferredCacheClusterAZs"] == ["eu-west-1a", "eu-west-1b"]
    memo = found["Memo"].properties
    assert (memo["AZMode"], memo["NumCacheNodes"], memo["PreferredAvailabilityZone"]) == (
        "single-az",
        1,
        "eu-west-1a",
    )
    assert found["Scratch"].properties["AvailabilityZoneName"] == "eu-west-1a"
    assert "AvailabilityZoneName" not in found["Shared"].properties


def test_nat_gateways_and_routing(tmp_path):
    found = load(tmp_path)
    nat = found["NatA"].properties
    assert is_ref(nat["SubnetId"], "SubnetA")
    assert "AvailabilityMode" not in nat  # CloudFormation's default: zonal
    assert found["RegionalNat"].properties["AvailabilityMode"] == "regional"
    route = found["DefaultRoute"].properties
    assert is_ref(route["RouteTableId"], "PrivateRoutes") and is_ref(route["NatGatewayId"], "NatA")
    assert route["DestinationCidrBlock"] == "0.0.0.0/0"
    association = found["PrivateB"].properties
    assert is_ref(association["SubnetId"], "SubnetB") and is_ref(association["RouteTableId"], "PrivateRoutes")
    assert is_ref(found["PrivateRoutes"].properties["VpcId"], "Vpc")
