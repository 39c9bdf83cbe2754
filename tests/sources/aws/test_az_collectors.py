"""The availability-zone collectors (AZ001-AZ008): RDS, Auto Scaling, load balancers,
ElastiCache, EFS, VPC networking and SageMaker variant scaling, in the canonical model; a
list that fails is a gap, never an empty region.

What the emulator (moto 5.2) does not give, and how it is tested here:
- RDS: no SecondaryAvailabilityZone for a Multi-AZ instance -> added to its answer.
- ELBv2: no Scheme unless one is passed (AWS says internet-facing) -> absent, as moto answers.
- Classic ELB: AvailabilityZones [] for a load balancer created in subnets (AWS lists the
  subnets' zones) -> the collector leaves an empty list out; tested as moto answers.
- ElastiCache: NumCacheClusters is ignored (ReplicasPerNodeGroup sets the member count); the
  members of a replication group are not listed by DescribeCacheClusters; MultiAZ and
  AutomaticFailover are never "enabling"/"disabling"; a cross-AZ Memcached cluster has no
  PreferredAvailabilityZone (AWS says "Multiple") -> those answers are injected.
- EC2: no ConnectivityType for a public NAT gateway, no AvailabilityMode at all -> a regional
  gateway is injected.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scanner import model as m
from scanner.model import Unknown
from scanner.sources.aws.collectors import COLLECTORS
from scanner.sources.aws.collectors.autoscaling import subnet_ids
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import LiveCollection, collect_account, required_operations
from testkit import ACCOUNT, add_to_response, endpoint, inject_error, inject_response

REGION = "us-east-1"
OTHER = "eu-west-1"
PASSWORD = "password-long-enough"


def collect(aws, *types: str, facets: dict[str, frozenset[str]] | None = None) -> LiveCollection:
    needs = {t: frozenset() for t in types} | (facets or {})
    return collect_account(AwsOptions(session=aws, regions=[REGION, OTHER]), needs)


def by_id(collection: LiveCollection, rtype: str) -> dict[str, m.Resource]:
    return {r.id: r for r in collection.inventory.of_type(rtype)}


def arn(service: str, resource: str, region: str = REGION) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


@dataclass
class Net:
    vpc: str
    a: str  # subnet in us-east-1a
    b: str  # subnet in us-east-1b


@pytest.fixture
def net(aws) -> Net:
    ec2 = aws.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")
    return Net(vpc, a["Subnet"]["SubnetId"], b["Subnet"]["SubnetId"])


# -- RDS ---------------------------------------------------------------------------------------


def seed_rds(aws) -> None:
    rds = aws.client("rds", region_name=REGION)
    common = {"Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": 20}
    login = {"MasterUsername": "admin1", "MasterUserPassword": PASSWORD}
    rds.create_db_instance(DBInstanceIdentifier="multi", MultiAZ=True, **common, **login)
    rds.create_db_instance(DBInstanceIdentifier="single", AvailabilityZone="us-east-1a", **common, **login)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="single")
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", **login)
    for name, zone in (("aurora-1", "us-east-1a"), ("aurora-2", "us-east-1b")):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r5.large",
            DBClusterIdentifier="aurora",
            AvailabilityZone=zone,
        )


def test_rds_instances_in_the_canonical_model(aws):
    seed_rds(aws)

    def secondary(parsed):  # moto reports no standby zone
        for db in parsed.get("DBInstances", []):
            if db["DBInstanceIdentifier"] == "multi":
                db["SecondaryAvailabilityZone"] = "us-east-1b"

    add_to_response(aws, "DescribeDBInstances", secondary)
    got = collect(aws, m.DB_INSTANCE)
    assert got.errors == []
    dbs = by_id(got, m.DB_INSTANCE)
    assert set(dbs) == {arn("rds", f"db:{n}") for n in ("multi", "single", "replica", "aurora-1", "aurora-2")}
    postgres = {"Engine": "postgres", "DBInstanceClass": "db.t3.micro"}
    multi = dbs[arn("rds", "db:multi")]
    assert multi.properties == {
        "DBInstanceIdentifier": "multi",
        **postgres,
        "MultiAZ": True,
        "AvailabilityZone": "us-east-1a",
    }
    assert multi.observed == {"SecondaryAvailabilityZone": "us-east-1b"}
    assert (multi.name, multi.region, multi.account_id) == ("multi", REGION, ACCOUNT)
    assert multi.origin.api == "rds:DescribeDBInstances"
    assert dbs[arn("rds", "db:single")].properties == {
        "DBInstanceIdentifier": "single",
        **postgres,
        "MultiAZ": False,
        "AvailabilityZone": "us-east-1a",
    }
    assert dbs[arn("rds", "db:single")].observed == {}
    assert dbs[arn("rds", "db:replica")].properties == {
        "DBInstanceIdentifier": "replica",
        **postgres,
        "MultiAZ": False,
        "AvailabilityZone": "us-east-1a",
        "SourceDBInstanceIdentifier": "single",
    }
    assert dbs[arn("rds", "db:aurora-2")].properties == {
        "DBInstanceIdentifier": "aurora-2",
        "Engine": "aurora-postgresql",
        "DBInstanceClass": "db.r5.large",
        "MultiAZ": False,
        "AvailabilityZone": "us-east-1b",
        "DBClusterIdentifier": "aurora",
    }
    # Clusters are another collector's: not listed when no rule reads them.
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "rds:DescribeDBInstances"}
    assert got.api_calls["rds:DescribeDBInstances"] == 2  # per region


def test_rds_clusters_in_the_canonical_model(aws):
    seed_rds(aws)
    rds = aws.client("rds", region_name=REGION)
    rds.create_db_cluster(
        DBClusterIdentifier="maz",
        Engine="postgres",
        DBClusterInstanceClass="db.m6gd.large",
        AllocatedStorage=100,
        StorageType="io1",
        Iops=1000,
        MasterUsername="admin1",
        MasterUserPassword=PASSWORD,
    )
    got = collect(aws, m.DB_CLUSTER)
    clusters = by_id(got, m.DB_CLUSTER)
    assert set(clusters) == {arn("rds", "cluster:aurora"), arn("rds", "cluster:maz")}
    aurora = clusters[arn("rds", "cluster:aurora")]
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert aurora.properties == {
        "DBClusterIdentifier": "aurora",
        "Engine": "aurora-postgresql",
        "EngineMode": "provisioned",
        "AvailabilityZones": zones,
        "MultiAZ": True,  # two members in two zones
    }
    assert [
        (x["DBInstanceIdentifier"], x["IsClusterWriter"]) for x in aurora.observed["DBClusterMembers"]
    ] == [
        ("aurora-1", True),
        ("aurora-2", False),
    ]
    assert clusters[arn("rds", "cluster:maz")].properties == {
        "DBClusterIdentifier": "maz",
        "Engine": "postgres",
        "EngineMode": "provisioned",
        "DBClusterInstanceClass": "db.m6gd.large",
        "AvailabilityZones": zones,
        "MultiAZ": False,
    }
    assert clusters[arn("rds", "cluster:maz")].observed == {"DBClusterMembers": []}
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "rds:DescribeDBClusters"}


# -- Auto Scaling ------------------------------------------------------------------------------


def test_auto_scaling_groups_by_zones_and_by_subnets(aws, net):
    asg = aws.client("autoscaling", region_name=REGION)
    asg.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="by-zone",
        LaunchConfigurationName="lc",
        MinSize=1,
        MaxSize=3,
        DesiredCapacity=1,
        AvailabilityZones=["us-east-1a"],
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="by-subnet",
        LaunchConfigurationName="lc",
        MinSize=0,
        MaxSize=4,
        DesiredCapacity=0,
        VPCZoneIdentifier=f"{net.a},{net.b}",
    )
    got = collect(aws, m.AUTOSCALING_GROUP)
    groups = {r.name: r for r in got.inventory.of_type(m.AUTOSCALING_GROUP)}
    assert set(groups) == {"by-zone", "by-subnet"}
    by_zone = groups["by-zone"]
    assert by_zone.id.startswith(f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:")
    assert by_zone.id.endswith(":autoScalingGroupName/by-zone")
    assert by_zone.properties == {
        "AvailabilityZones": ["us-east-1a"],
        "MinSize": 1,
        "MaxSize": 3,
        "DesiredCapacity": 1,
    }  # no VPCZoneIdentifier: not in a VPC
    assert groups["by-subnet"].properties == {
        "AvailabilityZones": ["us-east-1a", "us-east-1b"],
        "VPCZoneIdentifier": [net.a, net.b],
        "MinSize": 0,
        "MaxSize": 4,
        "DesiredCapacity": 0,
    }
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "autoscaling:DescribeAutoScalingGroups"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("subnet-1,subnet-2", ["subnet-1", "subnet-2"]),
        ("subnet-1, subnet-2,", ["subnet-1", "subnet-2"]),
        ("", None),
        (None, None),
    ],
)
def test_vpc_zone_identifier_becomes_a_list(value, expected):
    assert subnet_ids(value) == expected


# -- load balancers ----------------------------------------------------------------------------


def test_elbv2_load_balancers_keep_subnets_and_zones(aws, net):
    elbv2 = aws.client("elbv2", region_name=REGION)
    alb = elbv2.create_load_balancer(Name="web", Subnets=[net.a, net.b])["LoadBalancers"][0]
    nlb = elbv2.create_load_balancer(Name="inner", Subnets=[net.a], Type="network", Scheme="internal")
    nlb = nlb["LoadBalancers"][0]
    got = collect(aws, m.LOAD_BALANCER)
    lbs = by_id(got, m.LOAD_BALANCER)
    assert set(lbs) == {alb["LoadBalancerArn"], nlb["LoadBalancerArn"]}
    web = lbs[alb["LoadBalancerArn"]]
    assert web.name == "web" and web.region == REGION
    assert web.properties == {  # moto gives no Scheme unless one is passed
        "Type": "application",
        "Subnets": [net.a, net.b],
        "AvailabilityZones": ["us-east-1a", "us-east-1b"],
    }
    assert lbs[nlb["LoadBalancerArn"]].properties == {
        "Type": "network",
        "Scheme": "internal",
        "Subnets": [net.a],
        "AvailabilityZones": ["us-east-1a"],
    }
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "elbv2:DescribeLoadBalancers"}


def test_classic_load_balancers_get_an_arn(aws, net):
    elb = aws.client("elb", region_name=REGION)
    listeners = [{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}]
    elb.create_load_balancer(LoadBalancerName="old", Listeners=listeners, AvailabilityZones=["us-east-1a"])
    elb.create_load_balancer(LoadBalancerName="in-vpc", Listeners=listeners, Subnets=[net.a, net.b])
    got = collect(aws, m.CLASSIC_LOAD_BALANCER)
    lbs = by_id(got, m.CLASSIC_LOAD_BALANCER)
    old_arn = arn("elasticloadbalancing", "loadbalancer/old")
    assert set(lbs) == {old_arn, arn("elasticloadbalancing", "loadbalancer/in-vpc")}
    old = lbs[old_arn]
    assert (old.name, old.region) == ("old", REGION)
    assert old.properties["AvailabilityZones"] == ["us-east-1a"]
    assert set(old.properties) == {"AvailabilityZones", "Subnets"}  # moto puts it in a default subnet
    # moto lists no zones for a load balancer created in subnets (AWS lists their zones): an
    # empty list is left out, so that rules read the subnets.
    assert lbs[arn("elasticloadbalancing", "loadbalancer/in-vpc")].properties == {"Subnets": [net.a, net.b]}
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "elb:DescribeLoadBalancers"}


# -- ElastiCache -------------------------------------------------------------------------------


def seed_elasticache(aws) -> None:
    ec = aws.client("elasticache", region_name=REGION)
    ec.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        ReplicasPerNodeGroup=1,  # moto ignores NumCacheClusters
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
    )
    ec.create_replication_group(
        ReplicationGroupId="plain",
        ReplicationGroupDescription="d",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
    )
    ec.create_cache_cluster(
        CacheClusterId="solo",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheNodes=1,
        PreferredAvailabilityZone="us-east-1a",
    )
    ec.create_cache_cluster(
        CacheClusterId="memo", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=3
    )


def test_replication_groups_in_the_canonical_model(aws):
    seed_elasticache(aws)
    got = collect(aws, m.REPLICATION_GROUP)
    groups = by_id(got, m.REPLICATION_GROUP)
    assert set(groups) == {
        arn("elasticache", "replicationgroup:sessions"),
        arn("elasticache", "replicationgroup:plain"),
    }
    sessions = groups[arn("elasticache", "replicationgroup:sessions")]
    assert sessions.properties == {
        "ReplicationGroupId": "sessions",
        "Engine": "redis",
        "MultiAZEnabled": True,
        "AutomaticFailoverEnabled": True,
        "NumNodeGroups": 1,
        "NumCacheClusters": 2,
    }
    assert sessions.observed["MemberClusters"] == ["sessions-001", "sessions-002"]
    assert (sessions.observed["MultiAZ"], sessions.observed["AutomaticFailover"]) == ("enabled", "enabled")
    assert groups[arn("elasticache", "replicationgroup:plain")].properties == {
        "ReplicationGroupId": "plain",
        "Engine": "redis",
        "MultiAZEnabled": False,
        "AutomaticFailoverEnabled": False,
        "NumNodeGroups": 1,
        "NumCacheClusters": 1,
    }
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "elasticache:DescribeReplicationGroups"}


def test_a_failover_setting_that_is_changing_is_unknown(aws):
    seed_elasticache(aws)

    def changing(parsed):  # moto never reports a change under way
        for group in parsed.get("ReplicationGroups", []):
            if group["ReplicationGroupId"] == "sessions":
                group["AutomaticFailover"] = "disabling"
            else:
                group["AutomaticFailover"] = "enabling"

    add_to_response(aws, "DescribeReplicationGroups", changing)
    groups = {r.name: r for r in collect(aws, m.REPLICATION_GROUP).inventory.of_type(m.REPLICATION_GROUP)}
    for name, word in (("sessions", "disabling"), ("plain", "enabling")):
        value = groups[name].properties["AutomaticFailoverEnabled"]
        assert isinstance(value, Unknown) and repr(word) in value.reason
        assert groups[name].observed["AutomaticFailover"] == word
    assert groups["sessions"].properties["MultiAZEnabled"] is True


def test_cache_clusters_in_the_canonical_model(aws):
    seed_elasticache(aws)
    got = collect(aws, m.CACHE_CLUSTER)
    clusters = by_id(got, m.CACHE_CLUSTER)
    assert set(clusters) == {arn("elasticache", "cluster:solo"), arn("elasticache", "cluster:memo")}
    assert clusters[arn("elasticache", "cluster:solo")].properties == {
        "ClusterName": "solo",
        "Engine": "redis",
        "NumCacheNodes": 1,
        "AZMode": "single-az",
        "PreferredAvailabilityZone": "us-east-1a",
    }
    memo = clusters[arn("elasticache", "cluster:memo")]
    # moto reports no zone at all for a Memcached cluster: where its nodes are is not known.
    assert isinstance(memo.properties["AZMode"], Unknown)
    assert "PreferredAvailabilityZone" not in memo.properties
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "elasticache:DescribeCacheClusters"}


def test_cross_az_clusters_and_replication_group_members(aws):
    """AWS's answers moto does not give: "Multiple" zones, and a group's member clusters."""
    inject_response(
        aws,
        "DescribeCacheClusters",
        {
            "CacheClusters": [
                {
                    "CacheClusterId": "memo",
                    "ARN": arn("elasticache", "cluster:memo"),
                    "Engine": "memcached",
                    "NumCacheNodes": 3,
                    "PreferredAvailabilityZone": "Multiple",
                },
                {
                    "CacheClusterId": "sessions-002",
                    "ARN": arn("elasticache", "cluster:sessions-002"),
                    "Engine": "redis",
                    "NumCacheNodes": 1,
                    "PreferredAvailabilityZone": "us-east-1b",
                    "ReplicationGroupId": "sessions",
                },
                {
                    "CacheClusterId": "lonely",
                    "ARN": arn("elasticache", "cluster:lonely"),
                    "Engine": "memcached",
                    "NumCacheNodes": 1,
                },
            ]
        },
        match=lambda params: REGION in params.get("url", ""),
    )
    clusters = {r.name: r for r in collect(aws, m.CACHE_CLUSTER).inventory.of_type(m.CACHE_CLUSTER)}
    assert clusters["memo"].properties == {
        "ClusterName": "memo",
        "Engine": "memcached",
        "NumCacheNodes": 3,
        "AZMode": "cross-az",
    }
    assert clusters["memo"].observed["PreferredAvailabilityZone"] == "Multiple"
    assert clusters["sessions-002"].properties == {
        "ClusterName": "sessions-002",
        "Engine": "redis",
        "NumCacheNodes": 1,
        "ReplicationGroupId": "sessions",
        "AZMode": "single-az",
        "PreferredAvailabilityZone": "us-east-1b",
    }
    assert clusters["lonely"].properties["AZMode"] == "single-az"  # one node: one zone


# -- EFS ---------------------------------------------------------------------------------------


def test_efs_one_zone_is_told_by_its_zone(aws):
    efs = aws.client("efs", region_name=REGION)
    standard = efs.create_file_system(CreationToken="standard")
    one_zone = efs.create_file_system(CreationToken="one-zone", AvailabilityZoneName="us-east-1a")
    got = collect(aws, m.FILE_SYSTEM)
    systems = by_id(got, m.FILE_SYSTEM)
    assert set(systems) == {standard["FileSystemArn"], one_zone["FileSystemArn"]}
    plain = systems[standard["FileSystemArn"]]
    assert (plain.name, plain.region, plain.properties, plain.observed) == (
        standard["FileSystemId"],
        REGION,
        {},
        {},
    )
    zonal = systems[one_zone["FileSystemArn"]]
    assert zonal.properties == {"AvailabilityZoneName": "us-east-1a"}
    assert zonal.observed == {"AvailabilityZoneId": one_zone["AvailabilityZoneId"]}
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "efs:DescribeFileSystems"}


# -- VPC networking ----------------------------------------------------------------------------


def test_subnets_nat_gateways_and_route_tables(aws, net):
    ec2 = aws.client("ec2", region_name=REGION)
    public = ec2.create_nat_gateway(
        SubnetId=net.a, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"]
    )
    nat = public["NatGateway"]["NatGatewayId"]
    private = ec2.create_nat_gateway(SubnetId=net.b, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    gone = ec2.create_nat_gateway(SubnetId=net.b, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=gone)
    table = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=table, SubnetId=net.b)

    got = collect(aws, m.SUBNET, m.NAT_GATEWAY, m.ROUTE_TABLE)
    assert got.errors == []
    subnets = by_id(got, m.SUBNET)
    b = subnets[net.b]
    assert (b.name, b.region) == (net.b, REGION)
    assert b.properties == {
        "SubnetId": net.b,
        "VpcId": net.vpc,
        "AvailabilityZone": "us-east-1b",
        "AvailabilityZoneId": b.properties["AvailabilityZoneId"],
        "CidrBlock": "10.0.2.0/24",
    }
    assert b.properties["AvailabilityZoneId"].startswith("use1-az")
    assert b.observed["SubnetArn"] == arn("ec2", f"subnet/{net.b}")
    assert any(s.region == OTHER for s in subnets.values())  # the default VPC's, per region

    nats = by_id(got, m.NAT_GATEWAY)
    assert set(nats) == {nat, private}  # the deleted one is not listed
    assert nats[nat].properties == {"NatGatewayId": nat, "SubnetId": net.a, "VpcId": net.vpc}
    assert nats[nat].observed == {"State": "available"}
    assert nats[private].properties == {
        "NatGatewayId": private,
        "SubnetId": net.b,
        "VpcId": net.vpc,
        "ConnectivityType": "private",
    }

    tables = by_id(got, m.ROUTE_TABLE)
    assert tables[table].properties == {
        "RouteTableId": table,
        "VpcId": net.vpc,
        "Routes": [
            {
                "DestinationCidrBlock": "10.0.0.0/16",
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
                "State": "active",
            },
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": nat,
                "Origin": "CreateRoute",
                "State": "active",
            },
        ],
        "Associations": [{"SubnetId": net.b, "Main": False}],
    }
    (main,) = [t for t in tables.values() if t.properties["VpcId"] == net.vpc and t.id != table]
    assert main.properties["Associations"] == [{"Main": True}]
    assert got.api_calls == {
        "sts:GetCallerIdentity": 1,
        "ec2:DescribeSubnets": 2,
        "ec2:DescribeNatGateways": 2,
        "ec2:DescribeRouteTables": 2,
    }


def test_a_regional_nat_gateway_says_so(aws, net):
    """moto has no AvailabilityMode: AWS's answer for a regional gateway, injected."""
    inject_response(
        aws,
        "DescribeNatGateways",
        {
            "NatGateways": [
                {
                    "NatGatewayId": "nat-0regional",
                    "VpcId": net.vpc,
                    "State": "available",
                    "ConnectivityType": "public",
                    "AvailabilityMode": "regional",
                    "AutoProvisionZones": "enabled",
                }
            ]
        },
    )
    got = collect(aws, m.NAT_GATEWAY)
    gateway = by_id(got, m.NAT_GATEWAY)["nat-0regional"]
    assert gateway.properties == {
        "NatGatewayId": "nat-0regional",
        "VpcId": net.vpc,
        "ConnectivityType": "public",
        "AvailabilityMode": "regional",
    }
    assert gateway.observed == {"State": "available", "AutoProvisionZones": "enabled"}


def test_disassociated_route_tables_are_not_associations(aws, net):
    ec2 = aws.client("ec2", region_name=REGION)
    table = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]

    def disassociated(parsed):
        for t in parsed.get("RouteTables", []):
            if t["RouteTableId"] == table:
                t["Associations"] = [
                    {"SubnetId": net.a, "Main": False, "AssociationState": {"State": "disassociated"}},
                    {"SubnetId": net.b, "Main": False, "AssociationState": {"State": "associating"}},
                    {"GatewayId": "igw-1", "Main": False, "AssociationState": {"State": "associated"}},
                ]

    add_to_response(aws, "DescribeRouteTables", disassociated)
    tables = by_id(collect(aws, m.ROUTE_TABLE), m.ROUTE_TABLE)
    assert tables[table].properties["Associations"] == [
        {"SubnetId": net.b, "Main": False},
        {"GatewayId": "igw-1", "Main": False},
    ]


# -- SageMaker ---------------------------------------------------------------------------------


def test_endpoint_variants_and_their_scaling_targets(aws):
    arn_ = endpoint(aws, "churn")
    aas = aws.client("application-autoscaling", region_name=REGION)
    aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/churn/variant/v",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=4,
    )
    aas.register_scalable_target(  # another namespace: not listed
        ServiceNamespace="dynamodb",
        ResourceId="table/t",
        ScalableDimension="dynamodb:table:ReadCapacityUnits",
        MinCapacity=1,
        MaxCapacity=2,
    )
    got = collect(aws, m.SCALABLE_TARGET, facets={m.ENDPOINT: frozenset({"variants"})})
    assert got.errors == []
    (ep,) = got.inventory.of_type(m.ENDPOINT)
    assert ep.id == arn_
    assert ep.observed["ProductionVariants"] == [
        {"VariantName": "v", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1}
    ]
    assert ep.properties["EndpointConfigName"] == "churn-config"
    (target,) = got.inventory.of_type(m.SCALABLE_TARGET)
    assert target.id.startswith(f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/")
    assert (target.name, target.region) == ("endpoint/churn/variant/v", REGION)
    assert target.properties == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/churn/variant/v",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 2,
        "MaxCapacity": 4,
    }
    assert got.api_calls == {
        "sts:GetCallerIdentity": 1,
        "sagemaker:ListEndpoints": 2,
        "sagemaker:DescribeEndpoint": 1,
        "application-autoscaling:DescribeScalableTargets": 2,
    }


def test_a_scalable_target_without_an_arn_is_named_by_its_resource(aws):
    inject_response(
        aws,
        "DescribeScalableTargets",
        {
            "ScalableTargets": [
                {
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": "endpoint/churn/variant/v",
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "MinCapacity": 1,
                    "MaxCapacity": 2,
                }
            ]
        },
        match=lambda params: REGION in params.get("url", ""),
    )
    (target,) = collect(aws, m.SCALABLE_TARGET).inventory.of_type(m.SCALABLE_TARGET)
    assert target.id == "sagemaker:endpoint/churn/variant/v:sagemaker:variant:DesiredInstanceCount"
    assert target.region == REGION


def _scaled_variant(aws, name: str, policies: dict[str, float | None]) -> None:
    """A scalable target for variant v of endpoint `name`, with target-tracking policies on
    InvocationsPerInstance (a target value) or step policies (None)."""
    aas = aws.client("application-autoscaling", region_name=REGION)
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{name}/variant/v",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    aas.register_scalable_target(**target, MinCapacity=2, MaxCapacity=6)
    for policy, value in policies.items():
        if value is None:
            config = {
                "PolicyType": "StepScaling",
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": "ChangeInCapacity",
                    "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
                },
            }
        else:
            config = {
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": value,
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                    },
                },
            }
        aas.put_scaling_policy(PolicyName=policy, **target, **config)


def test_scaling_policies_are_read_once_per_region_with_targets(aws):
    _scaled_variant(aws, "churn", {"ipi": 700.0, "burst": None})
    _scaled_variant(aws, "fraud", {})
    got = collect(aws, facets={m.SCALABLE_TARGET: frozenset({"policies"})})
    assert got.errors == []
    policies = {t.name: t.observed["ScalingPolicies"] for t in got.inventory.of_type(m.SCALABLE_TARGET)}
    assert policies == {
        "endpoint/churn/variant/v": [
            {
                "PolicyName": "ipi",
                "PolicyType": "TargetTrackingScaling",
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance",
                "TargetValue": 700.0,
            },
            {
                "PolicyName": "burst",
                "PolicyType": "StepScaling",
                "PredefinedMetricType": None,
                "TargetValue": None,
            },
        ],
        "endpoint/fraud/variant/v": [],
    }
    # One call for the namespace in the region with targets; none where there is no target.
    assert got.api_calls["application-autoscaling:DescribeScalingPolicies"] == 1
    assert got.api_calls["application-autoscaling:DescribeScalableTargets"] == 2
    # Without the facet, no policy is read.
    got = collect(aws, m.SCALABLE_TARGET)
    assert "application-autoscaling:DescribeScalingPolicies" not in got.api_calls
    assert all("ScalingPolicies" not in t.observed for t in got.inventory.of_type(m.SCALABLE_TARGET))


def test_refused_scaling_policies_leave_the_targets_with_their_policies_unknown(aws):
    _scaled_variant(aws, "churn", {"ipi": 700.0})
    inject_error(
        aws, "DescribeScalingPolicies", "AccessDeniedException", service_id="application-auto-scaling"
    )
    got = collect(aws, facets={m.SCALABLE_TARGET: frozenset({"policies"})})
    (target,) = got.inventory.of_type(m.SCALABLE_TARGET)
    assert target.properties["MinCapacity"] == 2  # the target itself is known
    assert isinstance(target.observed["ScalingPolicies"], Unknown)
    assert "AccessDeniedException" in target.observed["ScalingPolicies"].reason
    assert [(e.operation, e.region) for e in got.errors] == [("DescribeScalingPolicies", REGION)]
    assert got.inventory.gaps == []  # the targets were listed: no gap


def test_endpoint_variants_are_read_only_when_a_rule_needs_them(aws):
    endpoint(aws, "churn")
    got = collect(aws, m.ENDPOINT)
    (ep,) = got.inventory.of_type(m.ENDPOINT)
    assert isinstance(ep.observed["ProductionVariants"], Unknown)
    assert isinstance(ep.properties["DataCaptureConfig"], Unknown)
    assert "sagemaker:DescribeEndpoint" not in got.api_calls
    # data capture alone (DE004) still reads them: one call serves both.
    got = collect(aws, facets={m.ENDPOINT: frozenset({"data_capture"})})
    (ep,) = got.inventory.of_type(m.ENDPOINT)
    assert ep.observed["ProductionVariants"][0]["VariantName"] == "v"
    assert ep.properties["DataCaptureConfig"] == {"EnableCapture": False}
    assert got.api_calls["sagemaker:DescribeEndpoint"] == 1


def test_unreadable_endpoint_leaves_its_variants_unknown(aws):
    endpoint(aws, "churn")
    inject_error(aws, "DescribeEndpoint", "AccessDeniedException", service_id="sagemaker")
    got = collect(aws, facets={m.ENDPOINT: frozenset({"variants"})})
    (ep,) = got.inventory.of_type(m.ENDPOINT)
    assert isinstance(ep.observed["ProductionVariants"], Unknown)
    assert "AccessDeniedException" in ep.observed["ProductionVariants"].reason
    assert [e.operation for e in got.errors] == ["DescribeEndpoint"]


# -- failures, declarations --------------------------------------------------------------------

LISTINGS = [
    (m.DB_INSTANCE, "rds", "DescribeDBInstances"),
    (m.DB_CLUSTER, "rds", "DescribeDBClusters"),
    (m.AUTOSCALING_GROUP, "auto-scaling", "DescribeAutoScalingGroups"),
    (m.LOAD_BALANCER, "elastic-load-balancing-v2", "DescribeLoadBalancers"),
    (m.CLASSIC_LOAD_BALANCER, "elastic-load-balancing", "DescribeLoadBalancers"),
    (m.REPLICATION_GROUP, "elasticache", "DescribeReplicationGroups"),
    (m.CACHE_CLUSTER, "elasticache", "DescribeCacheClusters"),
    (m.FILE_SYSTEM, "efs", "DescribeFileSystems"),
    (m.SUBNET, "ec2", "DescribeSubnets"),
    (m.NAT_GATEWAY, "ec2", "DescribeNatGateways"),
    (m.ROUTE_TABLE, "ec2", "DescribeRouteTables"),
    (m.SCALABLE_TARGET, "application-auto-scaling", "DescribeScalableTargets"),
]


@pytest.mark.parametrize(("rtype", "service_id", "operation"), LISTINGS, ids=[x[0] for x in LISTINGS])
def test_access_denied_on_a_listing_is_a_gap_in_that_region(aws, rtype, service_id, operation):
    inject_error(
        aws,
        operation,
        "AccessDenied",
        service_id=service_id,
        match=lambda params: OTHER in params.get("url", ""),
    )
    got = collect(aws, rtype)
    assert [(g.resource_type, g.region) for g in got.inventory.gaps] == [(rtype, OTHER)]
    (error,) = got.errors
    assert (error.operation, error.region, error.code) == (operation, OTHER, "AccessDenied")
    assert all(r.region == REGION for r in got.inventory.of_type(rtype))


def test_az_collectors_declare_their_types_and_iam_actions():
    declared = {t: c for c in COLLECTORS for t in c.resource_types}
    for rtype, _, operation in LISTINGS:
        assert any(op.name == operation for op in declared[rtype].operations), rtype
    actions = {op.action for op in required_operations({t: frozenset() for t, _, _ in LISTINGS})}
    assert {
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "autoscaling:DescribeAutoScalingGroups",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticache:DescribeReplicationGroups",
        "elasticache:DescribeCacheClusters",
        "elasticfilesystem:DescribeFileSystems",
        "ec2:DescribeSubnets",
        "ec2:DescribeNatGateways",
        "ec2:DescribeRouteTables",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",  # facet policies (RS002)
    } <= actions
    assert not any(a.startswith(("elb:", "elbv2:", "efs:")) for a in actions)
