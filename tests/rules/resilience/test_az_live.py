"""AZ001-AZ008 on a live account emulated by moto, scanned through the real collectors in one
region (us-east-1). Every rule fails, passes and is unknown on named resources:

| rule  | fail                                   | pass                                 | unknown                                             |
|-------|----------------------------------------|--------------------------------------|-----------------------------------------------------|
| AZ001 | db `single`; replica `replica` (low)   | db `multi`                           | DescribeDBInstances refused: the account/region     |
| AZ002 | cluster `lonely` (one instance)        | cluster `aurora` (instances a, b)    | DescribeDBClusters refused: the account/region      |
| AZ003 | asg `by-zone` (a), `one-subnet` (a)    | asg `two-subnets` (a, b)             | `one-subnet` when DescribeSubnets is refused        |
| AZ004 | nlb `nlb-one`, classic `classic-zone`  | nlb `nlb-two`, `classic-subnets`     | `classic-subnets` when DescribeSubnets is refused   |
| AZ005 | endpoint `single` (1 instance)         | endpoint `scaled` (1, scaling min 2) | endpoint `refused` (DescribeEndpoint refused)       |
| AZ006 | group `plain`, cluster `solo`          | group `sessions`                     | group `changing` (MultiAZ "enabling")               |
| AZ007 | file system `one-zone`                 | file system `standard`               | DescribeFileSystems refused: the account/region     |
| AZ008 | subnet `private-b` -> NAT in a         | `private-a` -> NAT in a; `private-c` | `private-a/b/c` when DescribeNatGateways is refused |
|       |                                        | -> regional NAT                      |                                                     |

No result: the Aurora members `aurora-1`, `aurora-2`, `lonely-1` (AZ001), the serverless
endpoint `serverless` (AZ005), `public-a` (default route to an internet gateway) and the
default VPC's subnets (AZ008).

Live, unknown comes from what the scan cannot read (a refused list is an unknown for the
account and region, discriminator `gap:TYPE`), or from what AWS reports as changing. Reads
are refused with testkit.inject_error (AccessDenied answered by botocore, before moto), so
the collectors' own error handling is exercised. AZ001, AZ002 and AZ007 have no unknown on a
readable resource (MultiAZ is a boolean, AvailabilityZoneName a string or absent): their
unknown is the account/region whose list is refused.

What moto (5.2) lacks, worked around here:
- NAT gateways have no AvailabilityMode: the regional one is a zonal gateway whose
  DescribeNatGateways answer is rewritten (AvailabilityMode regional, no SubnetId).
- ElastiCache never reports a setting under way: `changing`'s MultiAZ is rewritten to
  "enabling" in the DescribeReplicationGroups answer.
- The default VPC's main route table has no route to an internet gateway (AWS has one): the
  default subnets have no default route at all. Either way they get no AZ008 result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from scanner import model as m
from scanner.results import ScanOutcome
from testkit import ACCOUNT, add_to_response, body_contains, endpoint, inject_error, live_scan, results

REGION = "us-east-1"
IDS = tuple(f"AZ{n:03d}" for n in range(1, 9))
LOGIN = {"MasterUsername": "admin1", "MasterUserPassword": "password-long-enough"}


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


@dataclass
class World:
    """What `seed` created: logical name -> resource id (as results name it)."""

    ids: dict[str, str] = field(default_factory=dict)
    default_subnets: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


def seed(aws) -> World:
    """Every resource of the cell table, in us-east-1."""
    world = World()
    ids = world.ids
    ec2 = aws.client("ec2", region_name=REGION)
    world.default_subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]

    # -- network: a VPC with a public subnet (NAT gateways) and private subnets in a, b, c
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for name, cidr, zone in (
        ("public-a", "10.0.0.0/24", "us-east-1a"),
        ("private-a", "10.0.1.0/24", "us-east-1a"),
        ("private-b", "10.0.2.0/24", "us-east-1b"),
        ("private-c", "10.0.3.0/24", "us-east-1c"),
    ):
        ids[name] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    def nat() -> str:
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        return ec2.create_nat_gateway(SubnetId=ids["public-a"], AllocationId=eip)["NatGateway"][
            "NatGatewayId"
        ]

    ids["nat-a"], ids["nat-regional"] = nat(), nat()

    def regional(parsed: dict) -> None:  # moto has no AvailabilityMode
        for gateway in parsed.get("NatGateways", []):
            if gateway["NatGatewayId"] == ids["nat-regional"]:
                gateway["AvailabilityMode"] = "regional"
                gateway.pop("SubnetId", None)

    add_to_response(aws, "DescribeNatGateways", regional)

    def table(subnets: list[str], **target: str) -> None:
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", **target)
        for subnet in subnets:
            ec2.associate_route_table(RouteTableId=rtb, SubnetId=ids[subnet])

    table(["public-a"], GatewayId=igw)
    table(["private-a", "private-b"], NatGatewayId=ids["nat-a"])
    table(["private-c"], NatGatewayId=ids["nat-regional"])

    # -- RDS
    rds = aws.client("rds", region_name=REGION)
    postgres = {"Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": 20, **LOGIN}
    rds.create_db_instance(DBInstanceIdentifier="single", AvailabilityZone="us-east-1a", **postgres)
    rds.create_db_instance(DBInstanceIdentifier="multi", MultiAZ=True, **postgres)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="replica", SourceDBInstanceIdentifier="single")
    for cluster, members in (("aurora", ("us-east-1a", "us-east-1b")), ("lonely", ("us-east-1a",))):
        rds.create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql", **LOGIN)
        ids[cluster] = arn("rds", f"cluster:{cluster}")
        for n, zone in enumerate(members, 1):
            rds.create_db_instance(
                DBInstanceIdentifier=f"{cluster}-{n}",
                Engine="aurora-postgresql",
                DBInstanceClass="db.r5.large",
                DBClusterIdentifier=cluster,
                AvailabilityZone=zone,
            )
    for db in ("single", "multi", "replica", "aurora-1", "aurora-2", "lonely-1"):
        ids[db] = arn("rds", f"db:{db}")

    # -- Auto Scaling
    asg = aws.client("autoscaling", region_name=REGION)
    asg.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    size = {"LaunchConfigurationName": "lc", "MinSize": 1, "MaxSize": 2}
    asg.create_auto_scaling_group(AutoScalingGroupName="by-zone", AvailabilityZones=["us-east-1a"], **size)
    asg.create_auto_scaling_group(
        AutoScalingGroupName="one-subnet", VPCZoneIdentifier=ids["private-a"], **size
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="two-subnets", VPCZoneIdentifier=f"{ids['private-a']},{ids['private-b']}", **size
    )
    for group in asg.describe_auto_scaling_groups()["AutoScalingGroups"]:
        ids[group["AutoScalingGroupName"]] = group["AutoScalingGroupARN"]

    # -- load balancers
    elbv2 = aws.client("elbv2", region_name=REGION)
    for name, subnets in (("nlb-one", ["private-a"]), ("nlb-two", ["private-a", "private-b"])):
        ids[name] = elbv2.create_load_balancer(
            Name=name, Type="network", Scheme="internal", Subnets=[ids[s] for s in subnets]
        )["LoadBalancers"][0]["LoadBalancerArn"]
    elb = aws.client("elb", region_name=REGION)
    listeners = [{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}]
    elb.create_load_balancer(
        LoadBalancerName="classic-zone", Listeners=listeners, AvailabilityZones=["us-east-1a"]
    )
    elb.create_load_balancer(
        LoadBalancerName="classic-subnets", Listeners=listeners, Subnets=[ids["private-a"], ids["private-b"]]
    )
    for name in ("classic-zone", "classic-subnets"):
        ids[name] = arn("elasticloadbalancing", f"loadbalancer/{name}")

    # -- SageMaker: one instance each; `scaled` keeps two through Application Auto Scaling
    for name in ("single", "scaled", "refused"):
        ids[f"endpoint-{name}"] = endpoint(aws, name)
    aws.client("application-autoscaling", region_name=REGION).register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/scaled/variant/v",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=4,
    )
    inject_error(aws, "DescribeEndpoint", "AccessDeniedException", match=body_contains('"refused"'))
    sm = aws.client("sagemaker", region_name=REGION)
    sm.create_endpoint_config(
        EndpointConfigName="serverless-config",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "single-model",
                "ServerlessConfig": {"MaxConcurrency": 5, "MemorySizeInMB": 2048},
            }
        ],
    )
    ids["endpoint-serverless"] = sm.create_endpoint(
        EndpointName="serverless", EndpointConfigName="serverless-config"
    )["EndpointArn"]

    # -- ElastiCache
    ec = aws.client("elasticache", region_name=REGION)
    redis = {"ReplicationGroupDescription": "d", "Engine": "redis", "CacheNodeType": "cache.t3.micro"}
    ec.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicasPerNodeGroup=1,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        **redis,
    )
    ec.create_replication_group(ReplicationGroupId="plain", **redis)
    ec.create_replication_group(
        ReplicationGroupId="changing", ReplicasPerNodeGroup=1, AutomaticFailoverEnabled=True, **redis
    )

    def enabling(parsed: dict) -> None:  # moto never reports a change under way
        for group in parsed.get("ReplicationGroups", []):
            if group["ReplicationGroupId"] == "changing":
                group["MultiAZ"] = "enabling"

    add_to_response(aws, "DescribeReplicationGroups", enabling)
    for group in ("sessions", "plain", "changing"):
        ids[group] = arn("elasticache", f"replicationgroup:{group}")
    ec.create_cache_cluster(
        CacheClusterId="solo",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheNodes=1,
        PreferredAvailabilityZone="us-east-1a",
    )
    ids["solo"] = arn("elasticache", "cluster:solo")

    # -- EFS
    efs = aws.client("efs", region_name=REGION)
    ids["standard"] = efs.create_file_system(CreationToken="standard")["FileSystemArn"]
    ids["one-zone"] = efs.create_file_system(CreationToken="one-zone", AvailabilityZoneName="us-east-1a")[
        "FileSystemArn"
    ]
    return world


EXPECTED = {
    ("AZ001", "single"): "fail",
    ("AZ001", "replica"): "fail",
    ("AZ001", "multi"): "pass",
    ("AZ002", "lonely"): "fail",
    ("AZ002", "aurora"): "pass",
    ("AZ003", "by-zone"): "fail",
    ("AZ003", "one-subnet"): "fail",
    ("AZ003", "two-subnets"): "pass",
    ("AZ004", "nlb-one"): "fail",
    ("AZ004", "classic-zone"): "fail",
    ("AZ004", "nlb-two"): "pass",
    ("AZ004", "classic-subnets"): "pass",
    ("AZ005", "endpoint-single"): "fail",
    ("AZ005", "endpoint-scaled"): "pass",
    ("AZ005", "endpoint-refused"): "unknown",
    ("AZ006", "plain"): "fail",
    ("AZ006", "solo"): "fail",
    ("AZ006", "sessions"): "pass",
    ("AZ006", "changing"): "unknown",
    ("AZ007", "one-zone"): "fail",
    ("AZ007", "standard"): "pass",
    ("AZ008", "private-b"): "fail",
    ("AZ008", "private-a"): "pass",
    ("AZ008", "private-c"): "pass",
}


def verdicts(outcome: ScanOutcome, *rule_ids: str) -> dict[tuple[str, str], str]:
    """(rule, resource id, or ACCOUNT/gap:TYPE for a gap) -> status."""
    return {
        (r.rule_id, r.resource.id + (f"/{r.discriminator}" if r.discriminator else "")): r.status.value
        for rule_id in rule_ids
        for r in results(outcome, rule_id)
    }


def named(world: World, table: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    return {(rule_id, world[name]): status for (rule_id, name), status in table.items()}


def gap(rtype: str) -> str:
    return f"{ACCOUNT}/gap:{rtype}"


@pytest.fixture
def world(aws) -> World:
    return seed(aws)


# -- the matrix --------------------------------------------------------------------------------


def test_the_readable_account_gives_exactly_the_table(aws, world):
    out = live_scan(aws, *IDS, regions=[REGION])
    assert [e.operation for e in out.errors] == ["DescribeEndpoint"]  # `refused`, and only it
    assert verdicts(out, *IDS) == named(world, EXPECTED)


def test_every_rule_fails_passes_and_is_unknown_somewhere():
    # Unknowns that need a refused read are asserted by the tests below: per account/region
    # for AZ001, AZ002, AZ007 (the API answers MultiAZ and AvailabilityZoneName plainly: a
    # readable resource is never unknown), per resource for AZ003, AZ004, AZ008.
    unknown_elsewhere = {"AZ001", "AZ002", "AZ003", "AZ004", "AZ007", "AZ008"}
    for rule_id in IDS:
        cells = {status for (r, _), status in EXPECTED.items() if r == rule_id}
        if rule_id in unknown_elsewhere:
            cells.add("unknown")
        assert cells == {"fail", "pass", "unknown"}, rule_id


# -- AZ001, AZ002: RDS -------------------------------------------------------------------------


def test_aurora_members_get_no_az001_result_and_a_replica_fails_low(aws, world):
    out = live_scan(aws, "AZ001", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ001")}
    assert set(got) == {world["single"], world["multi"], world["replica"]}
    assert {world["aurora-1"], world["aurora-2"], world["lonely-1"]}.isdisjoint(got)
    assert got[world["replica"]].severity.value == "low"
    assert "read replica" in got[world["replica"]].message
    assert got[world["single"]].severity.value == "medium"
    assert "us-east-1a" in got[world["single"]].message


def test_a_cluster_with_one_instance_is_not_multi_az(aws, world):
    clusters = aws.client("rds", region_name=REGION).describe_db_clusters()["DBClusters"]
    assert {c["DBClusterIdentifier"]: c["MultiAZ"] for c in clusters} == {"aurora": True, "lonely": False}
    out = live_scan(aws, "AZ002", regions=[REGION])
    (lonely,) = [r for r in results(out, "AZ002") if r.resource.id == world["lonely"]]
    assert lonely.status.value == "fail"
    assert [x["DBInstanceIdentifier"] for x in lonely.evidence["members"]] == ["lonely-1"]


# -- unknown: lists the account refuses ---------------------------------------------------------

REFUSED = [
    ("AZ001", m.DB_INSTANCE, "rds", "DescribeDBInstances"),
    ("AZ002", m.DB_CLUSTER, "rds", "DescribeDBClusters"),
    ("AZ003", m.AUTOSCALING_GROUP, "auto-scaling", "DescribeAutoScalingGroups"),
    ("AZ004", m.LOAD_BALANCER, "elastic-load-balancing-v2", "DescribeLoadBalancers"),
    ("AZ004", m.CLASSIC_LOAD_BALANCER, "elastic-load-balancing", "DescribeLoadBalancers"),
    ("AZ005", m.ENDPOINT, "sagemaker", "ListEndpoints"),
    ("AZ006", m.REPLICATION_GROUP, "elasticache", "DescribeReplicationGroups"),
    ("AZ006", m.CACHE_CLUSTER, "elasticache", "DescribeCacheClusters"),
    ("AZ007", m.FILE_SYSTEM, "efs", "DescribeFileSystems"),
    ("AZ008", m.SUBNET, "ec2", "DescribeSubnets"),
    ("AZ008", m.NAT_GATEWAY, "ec2", "DescribeNatGateways"),
    ("AZ008", m.ROUTE_TABLE, "ec2", "DescribeRouteTables"),
]


@pytest.mark.parametrize(
    ("rule_id", "rtype", "service_id", "operation"), REFUSED, ids=[f"{x[0]}-{x[1]}" for x in REFUSED]
)
def test_a_list_the_account_refuses_is_unknown_for_the_region(
    aws, world, rule_id, rtype, service_id, operation
):
    inject_error(aws, operation, "AccessDenied", service_id=service_id)
    out = live_scan(aws, rule_id, regions=[REGION])
    got = verdicts(out, rule_id)
    assert got[(rule_id, gap(rtype))] == "unknown"
    (result,) = [r for r in results(out, rule_id) if r.discriminator == f"gap:{rtype}"]
    assert (result.resource.type, result.resource.region) == (m.ACCOUNT, REGION)
    assert "AccessDenied" in result.message
    # What was listed is still judged: only the refused type is missing. (AZ008 without NAT
    # gateways or route tables judges its subnets unknown: see the AZ008 tests below.)
    if rtype not in (m.NAT_GATEWAY, m.ROUTE_TABLE):
        listed = {k: v for k, v in EXPECTED.items() if k[0] == rule_id and _kind(*k) != rtype}
        assert {k: v for k, v in got.items() if "/gap:" not in k[1]} == named(world, listed)


def _kind(rule_id: str, name: str) -> str:
    """The resource type of a row of EXPECTED."""
    odd = {
        "classic-zone": m.CLASSIC_LOAD_BALANCER,
        "classic-subnets": m.CLASSIC_LOAD_BALANCER,
        "solo": m.CACHE_CLUSTER,
    }
    usual = {
        "AZ001": m.DB_INSTANCE,
        "AZ002": m.DB_CLUSTER,
        "AZ003": m.AUTOSCALING_GROUP,
        "AZ004": m.LOAD_BALANCER,
        "AZ005": m.ENDPOINT,
        "AZ006": m.REPLICATION_GROUP,
        "AZ007": m.FILE_SYSTEM,
        "AZ008": m.SUBNET,
    }
    return odd.get(name, usual[rule_id])


# -- AZ003, AZ004: zones from subnets ----------------------------------------------------------


def test_groups_and_load_balancers_by_subnet_are_unknown_when_subnets_are_refused(aws, world):
    inject_error(aws, "DescribeSubnets", "AccessDenied", service_id="ec2")
    out = live_scan(aws, "AZ003", "AZ004", regions=[REGION])
    got = verdicts(out, "AZ003", "AZ004")
    assert got == named(
        world,
        {
            ("AZ003", "by-zone"): "fail",  # names its zone: no subnet to resolve
            ("AZ003", "one-subnet"): "fail",  # the group reports its zone: no subnet to resolve
            ("AZ003", "two-subnets"): "pass",  # the zones the group reports already span two
            ("AZ004", "nlb-one"): "fail",  # ELBv2 reports its zones: no subnet to resolve
            ("AZ004", "nlb-two"): "pass",
            ("AZ004", "classic-zone"): "fail",
            ("AZ004", "classic-subnets"): "unknown",  # moto reports no zones, only subnets
        },
    )
    for rule_id, name in (("AZ004", "classic-subnets"),):
        (result,) = [r for r in results(out, rule_id) if r.resource.id == world[name]]
        assert f"subnet '{world['private-a']}' is not read by this scan" in result.message, result.message


def test_groups_by_zone_and_by_subnets_in_one_and_two_zones(aws, world):
    out = live_scan(aws, "AZ003", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ003")}
    assert got[world["by-zone"]].evidence["AvailabilityZones"] == ["us-east-1a"]
    assert "VPCZoneIdentifier" not in got[world["by-zone"]].evidence
    assert "one availability zone (us-east-1a)" in got[world["one-subnet"]].message
    assert "spans 2 availability zones (us-east-1a, us-east-1b)" in got[world["two-subnets"]].message


def test_network_load_balancers_in_one_subnet_and_in_two(aws, world):
    out = live_scan(aws, "AZ004", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ004")}
    one, two = got[world["nlb-one"]], got[world["nlb-two"]]
    assert (one.status.value, two.status.value) == ("fail", "pass")
    assert one.message.startswith("Network load balancer nlb-one is in one availability zone (us-east-1a)")
    assert two.evidence["Subnets"] == [world["private-a"], world["private-b"]]


# -- AZ005: SageMaker --------------------------------------------------------------------------


def test_endpoint_variants_single_scaled_refused_and_serverless(aws, world):
    out = live_scan(aws, "AZ005", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ005")}
    assert world["endpoint-serverless"] not in got  # no instances to count
    assert "runs 1 instance and no autoscaling keeps two" in got[world["endpoint-single"]].message
    assert got[world["endpoint-scaled"]].evidence["variants"] == {
        "v": "variant v has an autoscaling minimum of 2 instances"
    }
    refused = got[world["endpoint-refused"]]
    assert refused.status.value == "unknown"
    assert "AccessDeniedException" in refused.message


# -- AZ006: ElastiCache ------------------------------------------------------------------------


def test_a_multi_az_setting_that_is_changing_is_unknown(aws, world):
    out = live_scan(aws, "AZ006", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ006")}
    changing = got[world["changing"]]
    assert changing.status.value == "unknown"
    assert "MultiAZEnabled" in changing.message and "'enabling'" in changing.message
    assert "automatic failover and Multi-AZ off" in got[world["plain"]].message
    assert "single node" in got[world["solo"]].message
    # moto lists no member clusters of a replication group: nothing judged twice
    assert set(got) == {world[n] for n in ("sessions", "plain", "changing", "solo")}


# -- AZ008: NAT gateways -----------------------------------------------------------------------


def test_private_subnets_and_their_nat_gateways(aws, world):
    out = live_scan(aws, "AZ008", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ008")}
    assert set(got) == {world["private-a"], world["private-b"], world["private-c"]}
    # the public subnet (internet gateway) and the default VPC's subnets: not a NAT question
    assert world["public-a"] not in got
    assert world.default_subnets and set(world.default_subnets).isdisjoint(got)
    fail = got[world["private-b"]]
    assert f"NAT gateway {world['nat-a']} in us-east-1a" in fail.message
    assert (fail.evidence["subnet_zone"], fail.evidence["nat_zone"]) == ("us-east-1b", "us-east-1a")
    assert got[world["private-a"]].message.endswith("in its own zone (us-east-1a).")
    assert f"regional NAT gateway {world['nat-regional']}" in got[world["private-c"]].message


def test_subnets_routed_to_nat_gateways_the_scan_cannot_read_are_unknown(aws, world):
    inject_error(aws, "DescribeNatGateways", "AccessDenied", service_id="ec2")
    out = live_scan(aws, "AZ008", regions=[REGION])
    assert verdicts(out, "AZ008") == {
        **named(world, {("AZ008", f"private-{z}"): "unknown" for z in "abc"}),
        ("AZ008", gap(m.NAT_GATEWAY)): "unknown",
    }
    (result,) = [r for r in results(out, "AZ008") if r.resource.id == world["private-b"]]
    assert "it is not read by this scan" in result.message


def test_subnets_whose_route_tables_are_refused_are_unknown_when_nat_gateways_exist(aws, world):
    inject_error(aws, "DescribeRouteTables", "AccessDenied", service_id="ec2")
    out = live_scan(aws, "AZ008", regions=[REGION])
    got = verdicts(out, "AZ008")
    ours = [world[n] for n in ("public-a", "private-a", "private-b", "private-c")]
    assert {k: v for k, v in got.items() if k[1] not in world.default_subnets} == {
        **{("AZ008", s): "unknown" for s in ours},
        ("AZ008", gap(m.ROUTE_TABLE)): "unknown",
    }
    # The default VPC has no NAT gateway (a route can only target one of its own VPC): its
    # subnets are not asked about.
    assert not [k for k in got if k[1] in world.default_subnets]


def test_a_route_to_a_deleted_nat_gateway_is_not_a_zone_dependency(aws, world):
    """A blackhole default route (its NAT gateway deleted) leaves the subnet without a way
    out at all: AZ008 has nothing to say about zones there (no result), instead of an
    unknown about a gateway "not read"."""

    def blackhole(parsed: dict) -> None:
        for table in parsed.get("RouteTables", []):
            for route in table.get("Routes", []):
                if route.get("NatGatewayId") == world["nat-a"]:
                    route["State"] = "blackhole"
        for gateway in parsed.get("NatGateways", []):
            if gateway.get("NatGatewayId") == world["nat-a"]:
                gateway["State"] = "deleted"

    add_to_response(aws, "DescribeRouteTables", blackhole)
    out = live_scan(aws, "AZ008", regions=[REGION])
    got = verdicts(out, "AZ008")
    assert ("AZ008", world["private-a"]) not in got and ("AZ008", world["private-b"]) not in got
    assert got[("AZ008", world["private-c"])] == "pass"


def test_scalable_targets_that_could_not_be_listed_are_not_no_autoscaling(aws, world):
    """Found by the fault proxy (tests/reliability): a refused DescribeScalableTargets made a
    one-instance variant fail for "no autoscaling", though a target may keep two."""
    inject_error(aws, "DescribeScalableTargets", "AccessDeniedException")
    out = live_scan(aws, "AZ005", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "AZ005")}
    for name in ("single", "scaled"):
        assert got[world[f"endpoint-{name}"]].status.value == "unknown", name
        assert "the scalable targets in us-east-1 could not be listed (AccessDeniedException)" in (
            got[world[f"endpoint-{name}"]].message
        )
