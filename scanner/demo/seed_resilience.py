"""The demo account's availability-zone story: a VPC whose private subnets share one NAT
gateway, databases, caches, file systems, Auto Scaling groups, load balancers and endpoint
autoscaling, each kind once spread over zones and once not (AZ001-AZ008)."""

from __future__ import annotations

from typing import Any

import boto3

HOME = "us-east-1"
ZONE_A, ZONE_B = f"{HOME}a", f"{HOME}b"


def seed_resilience(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    subnets = _network(session)
    _databases(session)
    _compute(session, subnets)
    _caches_and_files(session)
    _endpoint_scaling(session)
    return {"subnets": subnets}


def _network(session: boto3.Session) -> dict[str, str]:
    """Public subnet in zone a with the NAT gateway; private subnets in zones a and b both
    route through it: private-b depends on zone a (AZ008 fail), private-a does not."""
    ec2 = session.client("ec2", region_name=HOME)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ids = {}
    for name, cidr, zone in (
        ("ml-public-a", "10.20.0.0/24", ZONE_A),
        ("ml-public-b", "10.20.1.0/24", ZONE_B),
        ("ml-private-a", "10.20.10.0/24", ZONE_A),
        ("ml-private-b", "10.20.11.0/24", ZONE_B),
    ):
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}],
        )
        ids[name] = subnet["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for name in ("ml-public-a", "ml-public-b"):
        ec2.associate_route_table(RouteTableId=public, SubnetId=ids[name])
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=ids["ml-public-a"],
        AllocationId=eip,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "ml-nat-a"}]}],
    )["NatGateway"]["NatGatewayId"]
    private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for name in ("ml-private-a", "ml-private-b"):
        ec2.associate_route_table(RouteTableId=private, SubnetId=ids[name])
    return ids


def _databases(session: boto3.Session) -> None:
    rds = session.client("rds", region_name=HOME)
    common = {
        "DBInstanceClass": "db.t3.medium",
        "MasterUsername": "ml",
        "MasterUserPassword": "demo-password-1",
    }
    rds.create_db_instance(DBInstanceIdentifier="feature-store-db", Engine="postgres", MultiAZ=True, **common)
    rds.create_db_instance(DBInstanceIdentifier="experiments-db", Engine="postgres", MultiAZ=False, **common)
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="feature-store-reporting",
        SourceDBInstanceIdentifier="feature-store-db",
        MultiAZ=False,
    )
    # The model registry runs on Aurora with a writer only: nothing to fail over to (AZ002).
    rds.create_db_cluster(
        DBClusterIdentifier="model-registry",
        Engine="aurora-postgresql",
        MasterUsername="ml",
        MasterUserPassword="demo-password-1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="model-registry-writer",
        DBClusterIdentifier="model-registry",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )


def _compute(session: boto3.Session, subnets: dict[str, str]) -> None:
    ec2 = session.client("ec2", region_name=HOME)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(
        LaunchTemplateName="ml-worker", LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"}
    )
    asg = session.client("autoscaling", region_name=HOME)
    private = f"{subnets['ml-private-a']},{subnets['ml-private-b']}"
    for name, zones in (("inference-workers", private), ("gpu-training", subnets["ml-private-a"])):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "ml-worker"},
            MinSize=0,
            MaxSize=4,
            VPCZoneIdentifier=zones,
        )
    elbv2 = session.client("elbv2", region_name=HOME)
    elbv2.create_load_balancer(
        Name="inference-api", Subnets=[subnets["ml-public-a"], subnets["ml-public-b"]], Type="application"
    )
    elbv2.create_load_balancer(Name="feature-grpc", Subnets=[subnets["ml-private-a"]], Type="network")


def _caches_and_files(session: boto3.Session) -> None:
    cache = session.client("elasticache", region_name=HOME)
    cache.create_replication_group(
        ReplicationGroupId="online-features",
        ReplicationGroupDescription="online feature cache",
        Engine="redis",
        CacheNodeType="cache.r6g.large",
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
    )
    cache.create_cache_cluster(
        CacheClusterId="session-cache", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )
    efs = session.client("efs", region_name=HOME)
    efs.create_file_system(
        CreationToken="shared-notebooks", Tags=[{"Key": "Name", "Value": "shared-notebooks"}]
    )
    efs.create_file_system(
        CreationToken="scratch",
        AvailabilityZoneName=ZONE_A,
        Tags=[{"Key": "Name", "Value": "scratch"}],
    )


def _endpoint_scaling(session: boto3.Session) -> None:
    """recsys-ranker runs one instance but autoscales from two (AZ005 pass); fraud-scorer
    runs one with no autoscaling (fail). The endpoints come from seed_compute."""
    scaling = session.client("application-autoscaling", region_name=HOME)
    scaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/recsys-ranker/variant/primary",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=6,
    )
