"""The rightsizing rules on a live (moto) account, through the real collectors and the
metrics phase, with two weeks of seeded CloudWatch metrics (moto makes none itself)."""

from __future__ import annotations

import datetime as dt

from testkit import live_scan, results

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
