"""The demo account's sizing story (RS001-RS009): instances, volumes and databases with two
weeks of seeded CloudWatch metrics (moto produces none by itself), some idle and some busy,
an instance busy one hour a week, gp2, io1 and unattached volumes, old and oversized types,
an endpoint held at more instances than its invocations need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import boto3

HOME = "us-east-1"
DAYS = 14

# name -> (instance type, hourly CPU % by hour index): what the demo shows for each.
INSTANCES: dict[str, tuple[str, Callable[[int], float]]] = {
    "feature-api": ("m5.2xlarge", lambda h: 9 + (h % 7)),  # idle: next size down
    "trainer-cpu": ("c5.4xlarge", lambda h: 60 + (h % 5) * 6),  # busy
    "weekly-report": ("m5.xlarge", lambda h: 92.0 if h % (24 * 7) == 30 else 4.0),  # one busy hour a week
    "legacy-etl": ("m3.large", lambda h: 55.0),  # previous generation
    "gpu-notebook": ("g5.xlarge", lambda h: 70.0),  # an accelerated family nobody allowed
}


def seed_rightsizing(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    ec2 = session.client("ec2", region_name=HOME)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    start = now - dt.timedelta(days=DAYS)
    instances = {}
    for name, (kind, _) in INSTANCES.items():
        got = ec2.run_instances(
            ImageId=image,
            InstanceType=kind,
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
        )
        instances[name] = got["Instances"][0]["InstanceId"]
    cw = session.client("cloudwatch", region_name=HOME)
    for name, (_, cpu) in INSTANCES.items():
        _put(cw, "AWS/EC2", "CPUUtilization", "InstanceId", instances[name], start, 3600, DAYS * 24, cpu)
    for db, cpu in (("feature-store-db", lambda h: 8.0 + h % 3), ("experiments-db", lambda h: 61.0)):
        _put(cw, "AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db, start, 3600, DAYS * 24, cpu)

    # Endpoint variants report CPU summed over their vCPUs (ml.m5.xlarge: 4): churn-predictor
    # idles at 40% summed (10% each), fraud-scorer works at 300% (75% each).
    for endpoint, cpu in (("churn-predictor", lambda h: 40.0), ("fraud-scorer", lambda h: 300.0)):
        _put_variant(cw, endpoint, "primary", start, cpu)
    _churn_scaling(session, cw, start)

    _serve(session, cw, instances["feature-api"], start)
    volumes = _volumes(session, instances["feature-api"])
    # The io1 volume provisions 10,000 IOPS and peaks near 600 (300 reads + 300 writes a second).
    for metric in ("VolumeReadOps", "VolumeWriteOps"):
        _put(
            cw,
            "AWS/EBS",
            metric,
            "VolumeId",
            volumes["feature-index"],
            start,
            1800,
            DAYS * 48,
            lambda h: 300.0 * 60,
        )
    return {"instances": instances, "volumes": volumes}


def _volumes(session: boto3.Session, attach_to: str) -> dict[str, str]:
    ec2 = session.client("ec2", region_name=HOME)
    zone = ec2.describe_instances(InstanceIds=[attach_to])["Reservations"][0]["Instances"][0]["Placement"][
        "AvailabilityZone"
    ]
    ids = {}
    for name, kwargs in (
        ("feature-index", {"VolumeType": "io1", "Iops": 10000, "Size": 500}),
        ("notebook-scratch", {"VolumeType": "gp2", "Size": 200}),
        ("model-cache", {"VolumeType": "gp3", "Size": 100}),
    ):
        volume = ec2.create_volume(
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}],
            **kwargs,
        )
        ids[name] = volume["VolumeId"]
    ec2.attach_volume(VolumeId=ids["feature-index"], InstanceId=attach_to, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=ids["model-cache"], InstanceId=attach_to, Device="/dev/sdg")
    return ids  # notebook-scratch stays unattached (RS006) and gp2 (RS005)


def _serve(session: boto3.Session, cw: Any, instance: str, start: dt.datetime) -> None:
    """inference-api forwards to feature-api and carries traffic (RS007 pass); feature-grpc
    (seed_resilience) has no targets at all (fail)."""
    elbv2 = session.client("elbv2", region_name=HOME)
    lb = elbv2.describe_load_balancers(Names=["inference-api"])["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="inference", Protocol="HTTP", Port=80, VpcId=lb["VpcId"])
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": instance}])
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}],
    )
    dimension = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]  # app/NAME/ID
    _put(
        cw,
        "AWS/ApplicationELB",
        "RequestCount",
        "LoadBalancer",
        dimension,
        start,
        86400,
        DAYS,
        lambda d: 48_000.0,
    )


def _churn_scaling(session: boto3.Session, cw: Any, start: dt.datetime) -> None:
    """churn-predictor runs four instances, held there by an autoscaling minimum of four,
    while its busiest minute (300 invocations on each, 1,200 in all) needs two at the 700 a
    minute its target-tracking policy aims at (RS002: lower the minimum to two)."""
    scaling = session.client("application-autoscaling", region_name=HOME)
    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/churn-predictor/variant/primary",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    }
    scaling.register_scalable_target(**target, MinCapacity=4, MaxCapacity=8)
    scaling.put_scaling_policy(
        PolicyName="churn-invocations",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 700.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
        **target,
    )
    # One minute a day is enough to summarise (fewer points keep the emulator fast).
    _put_variant(
        cw,
        "churn-predictor",
        "primary",
        start,
        lambda d: 300.0 if d == 6 else 30.0,
        metric=("AWS/SageMaker", "InvocationsPerInstance"),
        hours=24,
    )


def _put_variant(
    cw: Any,
    endpoint: str,
    variant: str,
    start: dt.datetime,
    series: Callable[[int], float],
    metric: tuple[str, str] = ("/aws/sagemaker/Endpoints", "CPUUtilization"),
    hours: int = 1,
) -> None:
    """One datapoint every `hours`, at the end of each step, for the look-back."""
    namespace, name = metric
    data = [
        {
            "MetricName": name,
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ],
            "Timestamp": start + dt.timedelta(hours=hours * (i + 1)) - dt.timedelta(seconds=1),
            "Value": series(i),
        }
        for i in range(DAYS * 24 // hours)
    ]
    cw.put_metric_data(Namespace=namespace, MetricData=data)


def _put(
    cw: Any,
    namespace: str,
    metric: str,
    dimension: str,
    value: str,
    start: dt.datetime,
    step: int,
    count: int,
    series: Callable[[int], float],
) -> None:
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": dimension, "Value": value}],
            "Timestamp": start + dt.timedelta(seconds=step * (i + 1) - 1),
            "Value": float(series(i)),
        }
        for i in range(count)
    ]
    for chunk in range(0, len(data), 1000):
        cw.put_metric_data(Namespace=namespace, MetricData=data[chunk : chunk + 1000])
