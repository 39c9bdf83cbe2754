"""The rightsizing collectors (RS001-RS009): EC2 instances, the facts of their instance types
and EBS volumes, in the canonical model (scanner/model.py "Rightsizing"); a list that fails is
a gap, never an empty region.

What the emulator (moto 5.2) does not give, and how it is tested here:
- EC2 DescribeInstances: as in AWS, no launch-template field on an instance; moto does put
  the `aws:ec2launchtemplate:id` / `version` tags AWS puts, from which LaunchTemplate is read.
- EC2 DescribeVolumes: no Iops for a gp2 volume (AWS reports its baseline, 3 per GiB) and no
  VolumeArn -> tested as moto answers (no Iops; the ARN built from the id); a VolumeArn is
  injected once to check it is taken as given.
- DescribeInstanceTypes: only the fields moto's snapshot holds (no NeuronInfo, ...); the
  properties are whatever the API gives.
- ELBv2 DescribeTargetGroups: moto ignores PageSize and answers every group at once -> the
  pages are injected to check that the collector follows NextMarker.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from scanner import model as m
from scanner.sources.aws.collectors import COLLECTORS, ec2_instances
from scanner.sources.aws.collectors.ec2_instances import chunked, launch_template
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import LiveCollection, collect_account, required_operations
from testkit import ACCOUNT, add_to_response, endpoint, inject_error, inject_response, live_scan, results

REGION = "us-east-1"
OTHER = "eu-west-1"


def collect(aws, *types: str) -> LiveCollection:
    needs = {t: frozenset() for t in types}
    return collect_account(AwsOptions(session=aws, regions=[REGION, OTHER]), needs)


def by_id(collection: LiveCollection, rtype: str) -> dict[str, m.Resource]:
    return {r.id: r for r in collection.inventory.of_type(rtype)}


def instance_arn(instance_id: str, region: str = REGION) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{instance_id}"


def volume_arn(volume_id: str, region: str = REGION) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:volume/{volume_id}"


def image(ec2) -> str:
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def run(ec2, instance_type: str, count: int = 1, name: str | None = None) -> list[str]:
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    got = ec2.run_instances(
        ImageId=image(ec2), MinCount=count, MaxCount=count, InstanceType=instance_type, TagSpecifications=tags
    )
    return [i["InstanceId"] for i in got["Instances"]]


def requested_types(aws: boto3.Session) -> list[list[str]]:
    """The InstanceTypes of every DescribeInstanceTypes call, in order."""
    calls: list[list[str]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        body = params.get("body") or {}  # the query protocol's form, not yet encoded
        calls.append(sorted(str(v) for k, v in body.items() if k.startswith("InstanceType.")))

    aws.events.register("before-call.ec2.DescribeInstanceTypes", record)
    return calls


def max_results(aws: boto3.Session, service: str, operation: str) -> list[Any]:
    """The MaxResults of every `operation` call the clients make, in order."""
    asked: list[Any] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        asked.append(params.get("MaxResults"))

    aws.events.register(f"provide-client-params.{service}.{operation}", record)
    return asked


# -- instances ---------------------------------------------------------------------------------


def test_instances_in_the_canonical_model(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    (web,) = run(ec2, "m5.large", name="web")
    (batch,) = run(ec2, "t3.micro", name="batch")
    ec2.stop_instances(InstanceIds=[batch])
    (unnamed,) = run(ec2, "t3.micro")
    (gone,) = run(ec2, "c5.large", name="gone")
    ec2.terminate_instances(InstanceIds=[gone])

    got = collect(aws, m.INSTANCE)
    assert got.errors == []
    found = by_id(got, m.INSTANCE)
    assert set(found) == {instance_arn(i) for i in (web, batch, unnamed)}  # terminated: left out
    running = found[instance_arn(web)]
    assert running.properties == {"InstanceId": web, "InstanceType": "m5.large", "ImageId": image(ec2)}
    assert running.observed["State"] == "running"
    assert running.observed["LaunchTime"].endswith("Z")
    assert set(running.observed) == {"State", "LaunchTime"}
    assert (running.name, running.region, running.account_id) == ("web", REGION, ACCOUNT)
    assert running.origin.api == "ec2:DescribeInstances"
    stopped = found[instance_arn(batch)]
    assert (stopped.name, stopped.observed["State"]) == ("batch", "stopped")
    assert stopped.properties["InstanceType"] == "t3.micro"
    assert found[instance_arn(unnamed)].name == unnamed  # no Name tag: the instance id
    # Instance types are read only when a rule needs them; volumes are another collector's.
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "ec2:DescribeInstances"}
    assert got.api_calls["ec2:DescribeInstances"] == 2  # per region
    assert got.inventory.of_type(m.INSTANCE_TYPE) == []


def test_an_instance_launched_from_a_template_names_it(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    template = ec2.create_launch_template(
        LaunchTemplateName="app", LaunchTemplateData={"InstanceType": "c5.large", "ImageId": image(ec2)}
    )["LaunchTemplate"]["LaunchTemplateId"]
    (instance,) = [
        i["InstanceId"]
        for i in ec2.run_instances(
            MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template, "Version": "1"}
        )["Instances"]
    ]
    (got,) = collect(aws, m.INSTANCE).inventory.of_type(m.INSTANCE)
    assert got.id == instance_arn(instance)
    assert got.properties == {
        "InstanceId": instance,
        "InstanceType": "c5.large",
        "ImageId": image(ec2),
        "LaunchTemplate": {"LaunchTemplateId": template, "Version": "1"},
    }


def test_launch_template_from_the_tags_ec2_sets():
    assert launch_template(None) is None
    assert launch_template([{"Key": "Name", "Value": "x"}]) is None
    assert launch_template([{"Key": "aws:ec2launchtemplate:version", "Value": "3"}]) is None
    assert launch_template(
        [
            {"Key": "aws:ec2launchtemplate:id", "Value": "lt-1"},
            {"Key": "aws:ec2launchtemplate:version", "Value": "3"},
        ]
    ) == {"LaunchTemplateId": "lt-1", "Version": "3"}


def test_instance_types_are_read_once_per_region_for_the_distinct_types(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    run(ec2, "m5.large", count=3)
    run(ec2, "g4dn.xlarge", count=2)
    (gone,) = run(ec2, "c5.large")
    ec2.terminate_instances(InstanceIds=[gone])  # a terminated instance's type is not asked for
    run(aws.client("ec2", region_name=OTHER), "m3.large")
    calls = requested_types(aws)

    got = collect(aws, m.INSTANCE, m.INSTANCE_TYPE)
    assert got.errors == []
    assert got.api_calls["ec2:DescribeInstanceTypes"] == 2  # one per region with instances
    assert sorted(calls) == [["g4dn.xlarge", "m5.large"], ["m3.large"]]
    types = by_id(got, m.INSTANCE_TYPE)
    assert set(types) == {f"{REGION}/m5.large", f"{REGION}/g4dn.xlarge", f"{OTHER}/m3.large"}
    gpu = types[f"{REGION}/g4dn.xlarge"]
    assert (gpu.type, gpu.name, gpu.region, gpu.account_id) == (
        m.INSTANCE_TYPE,
        "g4dn.xlarge",
        REGION,
        ACCOUNT,
    )
    assert gpu.origin.api == "ec2:DescribeInstanceTypes"
    # The API's InstanceTypeInfo as given.
    assert gpu.properties["InstanceType"] == "g4dn.xlarge"
    assert gpu.properties["VCpuInfo"]["DefaultVCpus"] == 4
    assert gpu.properties["MemoryInfo"] == {"SizeInMiB": 16384}
    assert gpu.properties["GpuInfo"]["Gpus"][0]["Count"] == 1
    assert gpu.properties["CurrentGeneration"] is True
    assert "GpuInfo" not in types[f"{REGION}/m5.large"].properties
    assert types[f"{OTHER}/m3.large"].properties["CurrentGeneration"] is False
    assert len(got.inventory.of_type(m.INSTANCE)) == 6


def test_no_instance_no_instance_types_call(aws):
    got = collect(aws, m.INSTANCE, m.INSTANCE_TYPE)
    assert got.errors == []
    assert "ec2:DescribeInstanceTypes" not in got.api_calls
    assert got.api_calls["ec2:DescribeInstances"] == 2


def test_instance_types_alone_list_instances_without_emitting_them(aws):
    run(aws.client("ec2", region_name=REGION), "t3.micro", count=2)
    got = collect(aws, m.INSTANCE_TYPE)
    assert got.inventory.of_type(m.INSTANCE) == []
    assert [r.id for r in got.inventory.of_type(m.INSTANCE_TYPE)] == [f"{REGION}/t3.micro"]
    assert got.api_calls["ec2:DescribeInstanceTypes"] == 1


def test_more_types_than_one_call_takes_are_split(aws, monkeypatch):
    monkeypatch.setattr(ec2_instances, "TYPES_PER_CALL", 2)
    ec2 = aws.client("ec2", region_name=REGION)
    for kind in ("t3.micro", "t3.small", "m5.large"):
        run(ec2, kind)
    calls = requested_types(aws)
    got = collect(aws, m.INSTANCE_TYPE)
    assert calls == [["m5.large", "t3.micro"], ["t3.small"]]
    assert len(got.inventory.of_type(m.INSTANCE_TYPE)) == 3
    assert chunked([str(i) for i in range(201)], 100)[-1] == ["200"]


def test_instances_are_listed_at_the_largest_page(aws, monkeypatch):
    """MaxResults is asked, 1,000: unasked, moto pages by 100 reservations, and 1,200 instances
    launched one at a time took 12 calls instead of 2 (bench/rightsizing_scale.py). Here the
    page is the API's least, 5, so that six instances take two pages."""
    assert ec2_instances.PAGE_SIZE == 1000
    monkeypatch.setattr(ec2_instances, "PAGE_SIZE", 5)
    ec2 = aws.client("ec2", region_name=REGION)
    for _ in range(6):
        run(ec2, "t3.micro")  # a reservation each
    asked = max_results(aws, "ec2", "DescribeInstances")
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.INSTANCE: frozenset()})
    assert got.api_calls["ec2:DescribeInstances"] == 2
    assert len(got.inventory.of_type(m.INSTANCE)) == 6
    assert asked == [5, 5]


def test_endpoints_are_listed_at_the_largest_page(aws):
    """ListEndpoints answers 10 endpoints a call unless asked for more (up to 100); moto's
    default is 100, so only the request shows it."""
    endpoint(aws, "churn")
    asked = max_results(aws, "sagemaker", "ListEndpoints")
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.ENDPOINT: frozenset()})
    assert [r.name for r in got.inventory.of_type(m.ENDPOINT)] == ["churn"]
    assert asked == [100]


def test_refused_instance_types_are_a_gap_for_instance_types_only(aws):
    run(aws.client("ec2", region_name=REGION), "m5.large", count=2)
    run(aws.client("ec2", region_name=OTHER), "m5.large")
    inject_error(
        aws,
        "DescribeInstanceTypes",
        "UnauthorizedOperation",
        service_id="ec2",
        match=lambda params: OTHER in params.get("url", ""),
    )
    got = collect(aws, m.INSTANCE, m.INSTANCE_TYPE)
    assert [(g.resource_type, g.region) for g in got.inventory.gaps] == [(m.INSTANCE_TYPE, OTHER)]
    (error,) = got.errors
    assert (error.operation, error.region, error.code) == (
        "DescribeInstanceTypes",
        OTHER,
        "UnauthorizedOperation",
    )
    assert len(got.inventory.of_type(m.INSTANCE)) == 3  # every instance, both regions
    assert [r.id for r in got.inventory.of_type(m.INSTANCE_TYPE)] == [f"{REGION}/m5.large"]


def test_refused_instances_leave_both_types_unseen_with_one_error(aws):
    run(aws.client("ec2", region_name=REGION), "m5.large")
    inject_error(
        aws,
        "DescribeInstances",
        "UnauthorizedOperation",
        service_id="ec2",
        match=lambda params: OTHER in params.get("url", ""),
    )
    got = collect(aws, m.INSTANCE, m.INSTANCE_TYPE)
    assert sorted((g.resource_type, g.region) for g in got.inventory.gaps) == [
        (m.INSTANCE, OTHER),
        (m.INSTANCE_TYPE, OTHER),
    ]
    (error,) = got.errors
    assert (error.operation, error.region) == ("DescribeInstances", OTHER)
    assert [r.region for r in got.inventory.of_type(m.INSTANCE)] == [REGION]
    assert [r.id for r in got.inventory.of_type(m.INSTANCE_TYPE)] == [f"{REGION}/m5.large"]


# -- volumes -----------------------------------------------------------------------------------


def test_volumes_in_the_canonical_model(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    (instance,) = run(ec2, "t3.micro", name="web")

    def volume(**kwargs: Any) -> str:
        return ec2.create_volume(AvailabilityZone="us-east-1a", **kwargs)["VolumeId"]

    gp2 = volume(Size=100, VolumeType="gp2")
    io1 = volume(Size=50, VolumeType="io1", Iops=2500)
    gp3 = volume(
        Size=200,
        VolumeType="gp3",
        Iops=6000,
        Throughput=250,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}],
    )
    spare = volume(Size=10)  # no type given: gp2, and never attached
    ec2.attach_volume(VolumeId=gp2, InstanceId=instance, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=io1, InstanceId=instance, Device="/dev/sdg")
    ec2.attach_volume(VolumeId=gp3, InstanceId=instance, Device="/dev/sdh")

    got = collect(aws, m.VOLUME)
    assert got.errors == []
    found = by_id(got, m.VOLUME)
    root = [v for v in found.values() if v.properties["VolumeId"] not in (gp2, io1, gp3, spare)]
    assert len(root) == 1  # the instance's root volume
    assert found[volume_arn(gp2)].properties == {"VolumeId": gp2, "VolumeType": "gp2", "Size": 100}
    assert found[volume_arn(io1)].properties == {
        "VolumeId": io1,
        "VolumeType": "io1",
        "Size": 50,
        "Iops": 2500,
    }
    data = found[volume_arn(gp3)]
    assert data.properties == {
        "VolumeId": gp3,
        "VolumeType": "gp3",
        "Size": 200,
        "Iops": 6000,
        "Throughput": 250,
    }
    assert (data.name, data.region, data.account_id) == ("data", REGION, ACCOUNT)
    assert data.origin.api == "ec2:DescribeVolumes"
    assert data.observed["State"] == "in-use"
    assert data.observed["Attachments"] == [{"InstanceId": instance, "State": "attached"}]
    assert data.observed["CreateTime"].endswith("Z")
    unattached = found[volume_arn(spare)]
    assert unattached.name == spare  # no Name tag: the volume id
    assert unattached.properties == {"VolumeId": spare, "VolumeType": "gp2", "Size": 10}
    assert unattached.observed["State"] == "available"
    assert unattached.observed["Attachments"] == []
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "ec2:DescribeVolumes"}
    assert got.api_calls["ec2:DescribeVolumes"] == 2  # per region


def test_a_volume_arn_the_api_gives_is_kept(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, VolumeType="gp3")["VolumeId"]
    given = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{vol}"

    def with_arn(parsed: dict[str, Any]) -> None:
        for v in parsed.get("Volumes", []):
            v["VolumeArn"] = given

    add_to_response(aws, "DescribeVolumes", with_arn)
    (got,) = collect(aws, m.VOLUME).inventory.of_type(m.VOLUME)
    assert got.id == given
    assert "VolumeArn" not in got.properties


def test_the_metrics_phase_reads_what_the_collectors_give(aws):
    """InstanceId / VolumeId, VolumeType and Iops as scanner/sources/aws/metrics.py reads them:
    one GetMetricData call per region with resources; a gp2 volume is not queried."""
    ec2 = aws.client("ec2", region_name=REGION)
    (instance,) = run(ec2, "m5.large")
    io1 = ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="io1", Iops=2500)["VolumeId"]
    metrics = frozenset({"metrics"})
    got = collect_account(
        AwsOptions(session=aws, regions=[REGION, OTHER]), {m.INSTANCE: metrics, m.VOLUME: metrics}
    )
    assert got.errors == []
    assert got.api_calls["cloudwatch:GetMetricData"] == 1  # only us-east-1 has resources
    (found,) = got.inventory.of_type(m.INSTANCE)
    assert found.properties["InstanceId"] == instance
    assert found.observed["Metrics"]["cpu"].points == 0  # asked for; moto has no datapoint
    volumes = {v.properties["VolumeId"]: v for v in got.inventory.of_type(m.VOLUME)}
    assert volumes[io1].observed["Metrics"]["iops"].points == 0
    (root,) = [v for k, v in volumes.items() if k != io1]  # the instance's gp2 root volume
    assert isinstance(root.observed["Metrics"]["iops"], m.Unknown)


# -- load balancer targets (RS007) -------------------------------------------------------------

TARGETS = frozenset({"targets"})


class Elbv2:
    """Application load balancers and target groups in REGION's default VPC."""

    def __init__(self, aws: boto3.Session) -> None:
        self.ec2 = aws.client("ec2", region_name=REGION)
        self.client = aws.client("elbv2", region_name=REGION)
        self.vpc = self.ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        subnets = self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])["Subnets"]
        self.subnets = [s["SubnetId"] for s in subnets][:2]

    def load_balancer(self, name: str) -> str:
        got = self.client.create_load_balancer(Name=name, Subnets=self.subnets)
        return got["LoadBalancers"][0]["LoadBalancerArn"]

    def group(self, name: str, targets: int = 0, *load_balancers: str) -> str:
        """A target group with `targets` instances, forwarded to by each of `load_balancers`."""
        got = self.client.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=self.vpc)
        arn = got["TargetGroups"][0]["TargetGroupArn"]
        if targets:
            self.client.register_targets(
                TargetGroupArn=arn, Targets=[{"Id": i} for i in run(self.ec2, "t3.micro", targets)]
            )
        for lb in load_balancers:
            port = 80 + len(self.client.describe_listeners(LoadBalancerArn=lb)["Listeners"])
            self.client.create_listener(
                LoadBalancerArn=lb,
                Protocol="HTTP",
                Port=port,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
            )
        return arn


def target_group_requests(aws: boto3.Session) -> list[tuple[Any, Any]]:
    """(PageSize, Marker) of every DescribeTargetGroups call, in order."""
    asked: list[tuple[Any, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        asked.append((params.get("PageSize"), params.get("Marker")))

    aws.events.register("provide-client-params.elastic-load-balancing-v2.DescribeTargetGroups", record)
    return asked


def targets_of(collection: LiveCollection) -> dict[str, Any]:
    return {lb.name: lb.observed.get("Targets") for lb in collection.inventory.of_type(m.LOAD_BALANCER)}


def test_three_load_balancers_in_a_region_take_one_target_group_listing(aws):
    elb = Elbv2(aws)
    lbs = {name: elb.load_balancer(name) for name in ("web", "api", "empty")}
    elb.group("web-tg", 2, lbs["web"])
    elb.group("api-tg", 1, lbs["api"])
    elb.group("api-canary", 0, lbs["api"])
    elb.group("spare", 1)  # no load balancer uses it: its health is not read
    asked = target_group_requests(aws)
    got = collect_account(AwsOptions(session=aws, regions=[REGION, OTHER]), {m.LOAD_BALANCER: TARGETS})
    assert got.errors == []
    assert targets_of(got) == {
        "web": {"registered": 2, "healthy": 2},
        "api": {"registered": 1, "healthy": 1},
        "empty": {"registered": 0, "healthy": 0},
    }
    # One listing in the region with load balancers, at the API's largest page; none in OTHER.
    assert got.api_calls["elbv2:DescribeTargetGroups"] == 1
    assert asked == [(400, None)]
    assert got.api_calls["elbv2:DescribeTargetHealth"] == 3  # web-tg, api-tg, api-canary


def test_a_group_two_load_balancers_use_is_read_once_and_counted_for_both(aws):
    elb = Elbv2(aws)
    front, back = elb.load_balancer("front"), elb.load_balancer("back")
    elb.group("shared", 2, front, back)
    elb.group("front-only", 1, front)
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.LOAD_BALANCER: TARGETS})
    assert targets_of(got) == {
        "front": {"registered": 3, "healthy": 3},
        "back": {"registered": 2, "healthy": 2},
    }
    assert got.api_calls["elbv2:DescribeTargetHealth"] == 2


def test_a_refused_health_read_makes_the_load_balancers_using_that_group_unknown(aws):
    elb = Elbv2(aws)
    front, back, other = (elb.load_balancer(n) for n in ("front", "back", "other"))
    shared = elb.group("shared", 1, front, back)
    elb.group("other-tg", 1, other)
    elb.group("front-only", 1, front)
    inject_error(
        aws,
        "DescribeTargetHealth",
        "AccessDenied",
        match=lambda params: params["body"].get("TargetGroupArn") == shared,
    )
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.LOAD_BALANCER: TARGETS})
    targets = targets_of(got)
    assert isinstance(targets["front"], m.Unknown) and isinstance(targets["back"], m.Unknown)
    assert "DescribeTargetHealth" in targets["front"].reason
    assert targets["other"] == {"registered": 1, "healthy": 1}
    (error,) = got.errors  # one per group that failed, whichever load balancers use it
    assert (error.operation, error.code) == ("DescribeTargetHealth", "AccessDenied")


def test_target_groups_are_listed_page_by_page(aws):
    """Over 400 groups take two pages; moto answers all at once, so the pages are injected
    (the groups the load balancers use are real: their health is read from the emulator)."""
    elb = Elbv2(aws)
    first, second = elb.load_balancer("first"), elb.load_balancer("second")
    on_page_one = elb.group("one", 1)
    on_page_two = elb.group("two", 2)

    def group(arn: str, *load_balancers: str) -> dict[str, Any]:
        return {"TargetGroupArn": arn, "LoadBalancerArns": list(load_balancers)}

    unused = [
        group(f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/unused-{n}/{n:016x}")
        for n in range(399)
    ]
    inject_response(
        aws,
        "DescribeTargetGroups",
        {"TargetGroups": [*unused, group(on_page_one, first)], "NextMarker": "page-2"},
        match=lambda params: "Marker" not in params["body"],
    )
    inject_response(
        aws,
        "DescribeTargetGroups",
        {"TargetGroups": [group(on_page_two, first, second)]},
        match=lambda params: params["body"].get("Marker") == "page-2",
    )
    asked = target_group_requests(aws)
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.LOAD_BALANCER: TARGETS})
    assert got.errors == []
    assert asked == [(400, None), (400, "page-2")]
    assert got.api_calls["elbv2:DescribeTargetGroups"] == 2
    assert targets_of(got) == {
        "first": {"registered": 3, "healthy": 3},
        "second": {"registered": 2, "healthy": 2},
    }
    assert got.api_calls["elbv2:DescribeTargetHealth"] == 2  # the 399 unused groups are not read


def test_refused_target_groups_make_every_load_balancer_of_the_region_unknown(aws):
    """Never "no targets": RS007 would call a load balancer that serves traffic idle."""
    elb = Elbv2(aws)
    lbs = [elb.load_balancer(name) for name in ("web", "api")]
    elb.group("web-tg", 1, lbs[0])
    inject_error(aws, "DescribeTargetGroups", "AccessDenied")
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.LOAD_BALANCER: TARGETS})
    targets = targets_of(got)
    assert set(targets) == {"web", "api"}
    assert all(isinstance(t, m.Unknown) and "DescribeTargetGroups" in t.reason for t in targets.values())
    (error,) = got.errors  # one for the region, not one per load balancer
    assert (error.operation, error.region, error.code) == ("DescribeTargetGroups", REGION, "AccessDenied")
    assert "elbv2:DescribeTargetHealth" not in got.api_calls
    out = live_scan(aws, "RS007", regions=[REGION])
    verdicts = {r.resource.name: r for r in results(out, "RS007")}
    assert {name: r.status.value for name, r in verdicts.items()} == {"web": "unknown", "api": "unknown"}
    assert all("DescribeTargetGroups" in r.message for r in verdicts.values())
    assert len([e for e in out.errors if e.operation == "DescribeTargetGroups"]) == 1


# -- failures, declarations --------------------------------------------------------------------

LISTINGS = [
    (m.INSTANCE, "DescribeInstances"),
    (m.VOLUME, "DescribeVolumes"),
]


@pytest.mark.parametrize(("rtype", "operation"), LISTINGS, ids=[x[0] for x in LISTINGS])
def test_access_denied_on_a_listing_is_a_gap_in_that_region(aws, rtype, operation):
    ec2 = aws.client("ec2", region_name=REGION)
    run(ec2, "t3.micro")  # and its root volume
    inject_error(
        aws,
        operation,
        "AccessDenied",
        service_id="ec2",
        match=lambda params: OTHER in params.get("url", ""),
    )
    got = collect(aws, rtype)
    assert [(g.resource_type, g.region) for g in got.inventory.gaps] == [(rtype, OTHER)]
    (error,) = got.errors
    assert (error.operation, error.region, error.code) == (operation, OTHER, "AccessDenied")
    listed = got.inventory.of_type(rtype)
    assert listed and all(r.region == REGION for r in listed)


def test_rs_collectors_declare_their_types_and_iam_actions():
    declared = {t: c for c in COLLECTORS for t in c.resource_types}
    assert {op.name for op in declared[m.INSTANCE].operations} == {
        "DescribeInstances",
        "DescribeInstanceTypes",
        "DescribeLaunchTemplateVersions",  # launch templates, listed beside the instances
        "DescribeImages",  # the AMIs both use (facet "image", IMG001)
    }
    assert declared[m.INSTANCE_TYPE] is declared[m.INSTANCE]
    assert {op.name for op in declared[m.VOLUME].operations} == {"DescribeVolumes"}
    actions = {
        op.action
        for op in required_operations({t: frozenset() for t in (m.INSTANCE, m.INSTANCE_TYPE, m.VOLUME)})
    }
    assert {"ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeVolumes"} <= actions
    # Launch templates are listed by the same collector: their instance types are asked for
    # with the instances'.
    assert declared[m.LAUNCH_TEMPLATE] is declared[m.INSTANCE]
