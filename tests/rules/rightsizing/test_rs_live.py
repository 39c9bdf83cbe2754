"""The rightsizing rules on a live (moto) account, through the real collectors and the
metrics phase, with two weeks of seeded CloudWatch metrics (moto makes none itself)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from scanner.scan import scan_aws
from scanner.sources.aws.session import AwsOptions
from testkit import ACCOUNT, inject_error, live_scan, results, rules

REGION = "us-east-1"


def _put(
    cw, namespace: str, dims: list[dict], metric: str, start: dt.datetime, step: int, values: list[float]
) -> None:
    data = [
        {
            "MetricName": metric,
            "Dimensions": dims,
            "Timestamp": start + dt.timedelta(seconds=step * (i + 1) - 1),
            "Value": v,
        }
        for i, v in enumerate(values)
    ]
    for i in range(0, len(data), 1000):
        cw.put_metric_data(Namespace=namespace, MetricData=data[i : i + 1000])


def test_instances_and_volumes_with_seeded_metrics(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    cw = aws.client("cloudwatch", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=14)
    hours = 14 * 24
    cpu = {
        "idle": ("m5.2xlarge", [12.0] * hours),
        "busy": ("m5.2xlarge", [70.0] * hours),
        "weekly": ("m5.2xlarge", [92.0 if h % 168 == 30 else 4.0 for h in range(hours)]),
        "tiny": ("t3.nano", [3.0] * hours),
        "silent": ("m5.large", []),
    }
    ids = {}
    for name, (kind, values) in cpu.items():
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
        ids[name] = ec2.run_instances(
            ImageId=image, InstanceType=kind, MinCount=1, MaxCount=1, TagSpecifications=tags
        )["Instances"][0]["InstanceId"]
        _put(
            cw, "AWS/EC2", [{"Name": "InstanceId", "Value": ids[name]}], "CPUUtilization", start, 3600, values
        )
    zone = f"{REGION}a"
    io1 = ec2.create_volume(AvailabilityZone=zone, VolumeType="io1", Iops=8000, Size=200)["VolumeId"]
    ec2.create_volume(AvailabilityZone=zone, VolumeType="gp2", Size=50)  # unattached gp2
    for metric in ("VolumeReadOps", "VolumeWriteOps"):  # 200 ops/s each at the peak minute
        _put(cw, "AWS/EBS", [{"Name": "VolumeId", "Value": io1}], metric, start, 3600, [12000.0] * hours)

    out = live_scan(aws, "RS001", "RS004", "RS005", "RS006", regions=[REGION])
    rs001 = {r.resource.name: r for r in results(out, "RS001")}
    assert {k: v.status.value for k, v in rs001.items()} == {
        "idle": "fail",
        "busy": "pass",
        "weekly": "pass",  # a busy hour once a week is not oversizing
        "tiny": "fail",
        "silent": "unknown",
    }
    assert rs001["idle"].evidence["recommendation"] == {"InstanceType": "m5.xlarge", "projected_peak": 24.0}
    assert "no smaller size is recommended" in rs001["tiny"].message
    assert "no datapoints in the last 14 days" in rs001["silent"].message
    rs004 = {r.resource.id.rsplit("/", 1)[-1]: r for r in results(out, "RS004")}
    assert rs004[io1].status.value == "fail"
    assert rs004[io1].evidence["recommendation"]["VolumeType"] == "gp3"
    gp2 = [r for r in results(out, "RS005") if r.status.value == "fail"]
    unattached = [r for r in results(out, "RS006") if r.status.value == "fail"]
    assert len(unattached) == 2  # the io1 and the gp2 volume attach to nothing
    assert any(r.evidence["Size"] == 50 for r in gp2)
    assert out.api_calls.get("cloudwatch:GetMetricData") == 1  # every series of the region in one call


def test_load_balancer_targets_are_read_for_rs007(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][
        0
    ]["InstanceId"]
    elb = aws.client("elb", region_name=REGION)
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    for name in ("classic-empty", "classic-served"):
        elb.create_load_balancer(LoadBalancerName=name, Listeners=listeners, AvailabilityZones=[f"{REGION}a"])
    elb.register_instances_with_load_balancer(
        LoadBalancerName="classic-served", Instances=[{"InstanceId": instance}]
    )
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [
        s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    ][:2]
    elbv2 = aws.client("elbv2", region_name=REGION)
    alb = elbv2.create_load_balancer(Name="alb-idle", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    out = live_scan(aws, "RS007", regions=[REGION])
    got = {r.resource.name: (r.status.value, r.evidence.get("targets")) for r in results(out, "RS007")}
    assert got["classic-empty"] == ("fail", {"registered": 0, "healthy": 0})
    # A registered, InService instance; no RequestCount seeded: whether it is idle is unknown.
    assert got["classic-served"] == ("unknown", {"registered": 1, "healthy": 1})
    assert got["alb-idle"] == ("fail", {"registered": 0, "healthy": 0})
    assert out.errors == [] and alb


# -- RS002: SageMaker variants, their CPU and their instance count ------------------------------


def _endpoint(aws, name: str, instances: int) -> None:
    sm = aws.client("sagemaker", region_name=REGION)
    sm.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        PrimaryContainer={"Image": "img:1"},
    )
    variant = {
        "VariantName": "v",
        "ModelName": f"{name}-model",
        "InitialInstanceCount": instances,
        "InstanceType": "ml.m5.xlarge",  # 4 vCPUs
    }
    sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def _autoscaled(aws, name: str, minimum: int, target_value: float) -> None:
    """A scalable target from `minimum`, and a target-tracking policy on InvocationsPerInstance."""
    aas = aws.client("application-autoscaling", region_name=REGION)
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": f"endpoint/{name}/variant/v",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    aas.register_scalable_target(**target, MinCapacity=minimum, MaxCapacity=8)
    aas.put_scaling_policy(
        PolicyName=f"{name}-ipi",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target_value,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
        **target,
    )


def _seed_variant(cw, name: str, start: dt.datetime, cpu: float, peak: float | None) -> None:
    """CPU summed over the vCPUs and InvocationsPerInstance (a tenth of `peak`, and `peak` on
    one day; none at all when `peak` is None), one datapoint a day: the emulator's
    GetMetricData slows with every stored point, and a day's point is enough for a summary."""
    dims = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "v"}]
    _put(cw, "/aws/sagemaker/Endpoints", dims, "CPUUtilization", start, 86400, [cpu] * 14)
    if peak is not None:
        values = [peak if d == 6 else peak / 10 for d in range(14)]
        _put(cw, "AWS/SageMaker", dims, "InvocationsPerInstance", start, 86400, values)


def _seed_endpoints(aws) -> None:
    cw = aws.client("cloudwatch", region_name=REGION)
    start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=14)
    # name: (instances, autoscaling (minimum, target value) or None, CPU % summed, peak invocations)
    seeds = {
        "tracked": (4, (4, 700.0), 300.0, 300.0),  # 1,200 a minute: 2 at 700 would do
        "needed": (3, (2, 700.0), 300.0, 650.0),  # 1,950 a minute needs all 3
        "silent": (3, (2, 700.0), 300.0, None),  # no invocations published
        "plain": (2, None, 40.0, 10.0),  # no capacity known; 10% per vCPU
    }
    for name, (instances, scaling, cpu, peak) in seeds.items():
        _endpoint(aws, name, instances)
        if scaling:
            _autoscaled(aws, name, *scaling)
        _seed_variant(cw, name, start, cpu, peak)


def _rs002(outcome) -> dict:
    return {r.resource.name: r for r in results(outcome, "RS002")}


def test_rs002_instance_count_from_scaling_policies_and_the_parameter(aws):
    _seed_endpoints(aws)
    out = live_scan(aws, "RS002", regions=[REGION])
    got = _rs002(out)
    assert {k: v.status.value for k, v in got.items()} == {
        "tracked": "fail",
        "needed": "pass",
        "silent": "pass",
        "plain": "fail",  # by its CPU: the count is not judged
    }
    tracked = got["tracked"]
    assert tracked.evidence["recommendation"] == {
        "InstanceCount": 2,
        "projected_invocations_per_instance": 600.0,
    }
    assert tracked.evidence["capacity_per_instance"] == {"value": 700.0, "source": "tracked-ipi"}
    assert "lower its scalable target's MinCapacity from 4 to 2" in tracked.message
    assert got["needed"].evidence["count"].startswith("passes: its 3 instance(s) are needed")
    assert "no datapoints in the last 14 days" in got["silent"].evidence["count"]
    assert "its instance count is not judged" in got["silent"].message
    plain = got["plain"]
    assert plain.evidence["recommendation"]["InstanceType"] == "ml.m5.large"
    assert plain.evidence["count"].startswith("not judged: no capacity per instance is known")
    assert out.errors == []
    # One policy read and one metrics call for the region.
    assert out.api_calls["application-autoscaling:DescribeScalingPolicies"] == 1
    assert out.api_calls["application-autoscaling:DescribeScalableTargets"] == 1
    assert out.api_calls["cloudwatch:GetMetricData"] == 1

    # The parameter decides over the policies: 10 a minute on each of 2 needs 1, two stay.
    (rule,) = rules("RS002")
    meta = dataclasses.replace(
        rule.meta, params={**rule.meta.params, "invocations_per_instance_capacity": 600}
    )
    out = scan_aws(AwsOptions(session=aws, regions=[REGION]), [dataclasses.replace(rule, meta=meta)])
    got = _rs002(out)
    assert got["plain"].evidence["count"].startswith("passes: its 2 instance(s) are needed")
    assert got["plain"].evidence["capacity_per_instance"] == {"value": 600.0, "source": "parameter"}
    assert got["tracked"].evidence["capacity_per_instance"]["source"] == "parameter"
    assert got["tracked"].evidence["recommendation"]["InstanceCount"] == 2
    assert got["needed"].evidence["needed_instances"] == 4  # 1,950 a minute at 600: more than it runs
    assert got["needed"].status.value == "pass"
    assert "application-autoscaling:DescribeScalingPolicies" in out.api_calls  # the facet is still read


def test_rs002_refused_scaling_policies_leave_the_count_not_judged(aws):
    _seed_endpoints(aws)
    inject_error(
        aws, "DescribeScalingPolicies", "AccessDeniedException", service_id="application-auto-scaling"
    )
    out = live_scan(aws, "RS002", regions=[REGION])
    got = _rs002(out)
    # "tracked" would fail by its count; its CPU is busy, so it passes with the count not judged.
    assert {k: v.status.value for k, v in got.items()} == {
        "tracked": "pass",
        "needed": "pass",
        "silent": "pass",
        "plain": "fail",
    }
    count = got["tracked"].evidence["count"]
    assert count.startswith("not judged: the scaling policies of endpoint/tracked/variant/v are not known")
    assert "AccessDeniedException" in count
    assert [(e.operation, e.code) for e in out.errors] == [
        ("DescribeScalingPolicies", "AccessDeniedException")
    ]


def test_rs008_rs009_say_what_a_failed_listing_left_unseen(aws):
    """Found by the fault proxy (tests/reliability): a refused DescribeInstances made RS008's
    and RS009's instance results vanish with nothing in their place."""
    ec2 = aws.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, InstanceType="m4.large", MinCount=1, MaxCount=1)
    inject_error(aws, "DescribeInstances", "UnauthorizedOperation", service_id="ec2")
    out = live_scan(aws, "RS008", "RS009", regions=[REGION])
    for rule_id in ("RS008", "RS009"):
        (got,) = [r for r in results(out, rule_id) if r.discriminator == "gap:AWS::EC2::Instance"]
        assert got.status.value == "unknown"
        assert f"EC2 instances in {REGION} of account {ACCOUNT} could not be listed" in got.message
        assert not [r for r in results(out, rule_id) if r.status.value != "unknown"]
