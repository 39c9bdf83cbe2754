"""The rightsizing pack (RS001-RS009) at scale: API calls of a live scan against the minimum.

A synthetic account of 1,200 running EC2 instances in one region (a root gp2 volume each, io1
and gp3 data volumes, unattached volumes, a few databases, SageMaker endpoints and load
balancers, two weeks of CPU, IOPS and request metrics) is scanned with the rightsizing rules
only, in that region only; then the demo account (scanner.demo) is scanned with the same
rules. For each operation: the calls the scan made, the minimum the API allows for what the
account holds, the ratio, and the reasoning for the minimum.

    .venv/bin/python bench/rightsizing_scale.py [--instances N] [--cpu-every N] [--no-demo]

Both accounts are moto in process (mock_aws): loopback only, no AWS account. What an account
holds is counted with the emulator's own list calls before the scan, on clients the scan's
call guard does not see. The page-size column is what the scan asked for ("-": nothing, the
service's default page).

Two things about moto that the GetMetricData figures depend on:
- moto never splits a GetMetricData answer by datapoints, so the calls it counts are the
  query-bound figure (500 queries a call). AWS returns at most 100,800 datapoints a call and
  pages the rest by NextToken; the lower bound printed for AWS counts those pages.
- moto answers a GetMetricData query by filtering every stored datapoint once per period of
  the query (a one-minute period over 14 days: 20,161 passes), which at 1,200 instances with
  two weeks of hourly CPU takes hours. `own_series_only` puts each datapoint of the query's
  series straight into its period and lets moto's own Statistics compute the values: the
  same answers, the same requests through botocore and the scan's guard, the same counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from botocore.config import Config
from moto import mock_aws
from moto.cloudwatch.models import CloudWatchBackend, Statistics

import scanner.demo
from scanner import engine
from scanner.lib.metrics import DEFAULT_WINDOW
from scanner.model import (
    CLASSIC_LOAD_BALANCER,
    DB_INSTANCE,
    ENDPOINT,
    INSTANCE,
    INSTANCE_TYPE,
    LOAD_BALANCER,
    SCALABLE_TARGET,
    VOLUME,
    ScanError,
)
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.scan import scan_aws
from scanner.sources.aws import metrics as mx
from scanner.sources.aws.collectors.ec2_instances import TYPES_PER_CALL
from scanner.sources.aws.session import AwsOptions

REGION = "us-east-1"
INSTANCES = 1200
# Hourly CPU for every seventh instance (7 is prime to the 10 types: the sample holds each):
# moto takes PutMetricData at some 9,000 datapoints a second (all 1,200 instances: about 45 s)
# and the scan parses every datapoint it gets back. moto's call counts do not depend on
# datapoints; the other instances answer none (RS001 unknown).
CPU_EVERY = 7
RIGHTSIZING = tuple(f"RS{n:03d}" for n in range(1, 10))

# The largest page each list call allows (what a scan asking for the most gets back).
EC2_PAGE = 1000  # DescribeInstances MaxResults (AWS's pagination guidance asks for 1,000)
RDS_PAGE = 100  # DescribeDBInstances MaxRecords
SAGEMAKER_PAGE = 100  # ListEndpoints MaxResults (AWS's default is 10)
ELB_PAGE = 400  # ELBv2 and classic DescribeLoadBalancers, ELBv2 DescribeTargetGroups PageSize
SCALING_PAGE = 50  # DescribeScalableTargets MaxResults
DATAPOINTS_PER_CALL = 100_800  # GetMetricData answers at most this many; the rest by NextToken
PUT_LIMIT = 1000  # PutMetricData takes up to 1,000 metric data items a call
PAGE_PARAMETERS = ("MaxResults", "MaxRecords", "PageSize")

# A fleet of current and previous generations (m4); m5.12xlarge is above RS009's default limit.
TYPES = (
    "m5.large",
    "m5.xlarge",
    "m5.2xlarge",
    "c5.xlarge",
    "c5.2xlarge",
    "r5.large",
    "r5.xlarge",
    "t3.medium",
    "m4.large",
    "m5.12xlarge",
)


def cpu_profile(index: int) -> Callable[[int], float]:
    """Hourly CPU % of instance `index`: idle, steady, busy, or idle but one busy hour a week."""
    profiles: tuple[Callable[[int], float], ...] = (
        lambda h: 3.0 + h % 6,
        lambda h: 35.0 + (h * 7) % 20,
        lambda h: 70.0 + (h * 3) % 20,
        lambda h: 92.0 if h % (24 * 7) == 30 else 4.0,
    )
    return profiles[index % len(profiles)]


# -- the synthetic account -----------------------------------------------------------------------


@dataclass
class Fleet:
    """What was seeded, by id, for the metrics."""

    instances: list[str] = field(default_factory=list)
    io1: dict[str, int] = field(default_factory=dict)  # volume id -> provisioned IOPS
    data_volumes: int = 0  # gp3 data volumes, attached
    unattached: int = 0
    databases: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    load_balancers: dict[str, str] = field(default_factory=dict)  # RequestCount dimension -> namespace


def seed_fleet(session: boto3.Session, count: int) -> Fleet:
    fleet = Fleet()
    ec2 = session.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    zones: dict[str, str] = {}
    for n in range(count):
        # One launch per instance, as an Auto Scaling group launches them: a reservation each,
        # so listing pages hold instances, not batches of them.
        got = ec2.run_instances(ImageId=image, InstanceType=TYPES[n % len(TYPES)], MinCount=1, MaxCount=1)
        item = got["Instances"][0]
        fleet.instances.append(item["InstanceId"])
        zones[item["InstanceId"]] = item["Placement"]["AvailabilityZone"]
    # Every instance has its root gp2 volume (moto creates it); every tenth also an io1 data
    # volume, the fifth of each ten a gp3 one, and one in twenty volumes stays unattached.
    for n, instance in enumerate(fleet.instances):
        if n % 10 == 0:
            iops = 3000 + 1000 * (n // 10 % 8)
            kind: dict[str, Any] = {"VolumeType": "io1", "Iops": iops, "Size": 200}
        elif n % 10 == 5:
            kind = {"VolumeType": "gp3", "Size": 100}
        else:
            continue
        volume = ec2.create_volume(AvailabilityZone=zones[instance], **kind)["VolumeId"]
        ec2.attach_volume(VolumeId=volume, InstanceId=instance, Device="/dev/sdf")
        if kind["VolumeType"] == "io1":
            fleet.io1[volume] = kind["Iops"]
        else:
            fleet.data_volumes += 1
    for n in range(max(1, count // 20)):
        ec2.create_volume(AvailabilityZone=f"{REGION}a", VolumeType=("gp2", "gp3")[n % 2], Size=50)
        fleet.unattached += 1
    _databases(session, fleet)
    _endpoints(session, fleet)
    _load_balancers(session, fleet)
    return fleet


def _databases(session: boto3.Session, fleet: Fleet) -> None:
    rds = session.client("rds", region_name=REGION)
    for n, kind in enumerate(("db.m5.large", "db.m5.xlarge", "db.r5.large", "db.r5.2xlarge")):
        name = f"orders-db-{n}"
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass=kind,
            AllocatedStorage=100,
            MasterUsername="admin1",
            MasterUserPassword="password-1234",
        )
        fleet.databases.append(name)


def _endpoints(session: boto3.Session, fleet: Fleet) -> None:
    sm = session.client("sagemaker", region_name=REGION)
    for name in ("ranker", "embedder", "fraud-scorer"):
        sm.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1"},
        )
        variant = {
            "VariantName": "primary",
            "ModelName": f"{name}-model",
            "InitialInstanceCount": 2,
            "InstanceType": "ml.m5.xlarge",
        }
        sm.create_endpoint_config(EndpointConfigName=f"{name}-config", ProductionVariants=[variant])
        sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
        fleet.endpoints.append(name)


def _load_balancers(session: boto3.Session, fleet: Fleet) -> None:
    """Two ALBs and an NLB with a target group each (two instances registered), and a
    classic load balancer with two instances."""
    ec2 = session.client("ec2", region_name=REGION)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][:2]
    vpc = subnets[0]["VpcId"]
    elbv2 = session.client("elbv2", region_name=REGION)
    targets = [{"Id": i} for i in fleet.instances[:2]]
    for name, kind, protocol in (
        ("web", "application", "HTTP"),
        ("api", "application", "HTTP"),
        ("grpc", "network", "TCP"),
    ):
        lb = elbv2.create_load_balancer(Name=name, Subnets=[s["SubnetId"] for s in subnets], Type=kind)
        arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
        group = elbv2.create_target_group(Name=f"{name}-tg", Protocol=protocol, Port=80, VpcId=vpc)
        group_arn = group["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=group_arn, Targets=targets)
        elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol=protocol,
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
        )
        if kind == "application":
            fleet.load_balancers[arn.split(":loadbalancer/", 1)[1]] = "AWS/ApplicationELB"
    elb = session.client("elb", region_name=REGION)
    elb.create_load_balancer(
        LoadBalancerName="legacy",
        Listeners=[{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=[f"{REGION}a"],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="legacy", Instances=[{"InstanceId": i} for i in fleet.instances[:2]]
    )
    fleet.load_balancers["legacy"] = "AWS/ELB"


@dataclass
class Seeded:
    datapoints: int
    calls: int
    seconds: float
    cpu_instances: int


def seed_metrics(session: boto3.Session, fleet: Fleet, end: dt.datetime, cpu_every: int) -> Seeded:
    """Two weeks before `end`: hourly CPU of every `cpu_every`-th instance and of every database
    and endpoint variant, each io1 volume's busiest minute of every day (reads and writes),
    requests per day of the ALBs and the classic load balancer. Sent PUT_LIMIT items a call,
    per namespace."""
    start = end - dt.timedelta(days=DEFAULT_WINDOW.lookback_days)
    hours = DEFAULT_WINDOW.lookback_days * 24
    days = DEFAULT_WINDOW.lookback_days
    data: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def series(
        namespace: str, metric: str, dims: dict[str, str], points: Sequence[tuple[dt.datetime, float]]
    ) -> None:
        dimensions = [{"Name": k, "Value": v} for k, v in dims.items()]
        data[namespace].extend(
            {"MetricName": metric, "Dimensions": dimensions, "Timestamp": t, "Value": v} for t, v in points
        )

    def hourly(value: Callable[[int], float]) -> list[tuple[dt.datetime, float]]:
        return [(start + dt.timedelta(hours=h, minutes=10), value(h)) for h in range(hours)]

    sampled = fleet.instances[::cpu_every]
    for n, instance in enumerate(sampled):
        series("AWS/EC2", "CPUUtilization", {"InstanceId": instance}, hourly(cpu_profile(n)))
    for volume, iops in fleet.io1.items():
        # The day's busiest minute at a tenth of what is provisioned, reads and writes alike;
        # one-minute sums of operations, as EBS reports them.
        busiest = [(start + dt.timedelta(days=d, hours=14, minutes=7), iops * 60 / 20) for d in range(days)]
        for metric in ("VolumeReadOps", "VolumeWriteOps"):
            series("AWS/EBS", metric, {"VolumeId": volume}, busiest)
    for n, name in enumerate(fleet.databases):
        series("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": name}, hourly(cpu_profile(n)))
    for n, name in enumerate(fleet.endpoints):
        # Summed over the variant's 4 vCPUs (ml.m5.xlarge): up to 400%.
        per_cpu = cpu_profile(n)
        series(
            "/aws/sagemaker/Endpoints",
            "CPUUtilization",
            {"EndpointName": name, "VariantName": "primary"},
            hourly(lambda h, f=per_cpu: 4 * f(h)),
        )
    for n, (dimension, namespace) in enumerate(fleet.load_balancers.items()):
        key = "LoadBalancer" if namespace == "AWS/ApplicationELB" else "LoadBalancerName"
        per_day = (48_000.0, 40.0)[n % 2]  # a busy one, then one nearly idle
        points = [(start + dt.timedelta(days=d, hours=12), per_day) for d in range(days)]
        series(namespace, "RequestCount", {key: dimension}, points)

    # Seeding is not what is measured: the client skips botocore's client-side validation of
    # every item (a quarter of the time); moto still parses and validates each one.
    cw = session.client("cloudwatch", region_name=REGION, config=Config(parameter_validation=False))
    t0 = time.perf_counter()
    calls = 0
    for namespace, items in data.items():
        for i in range(0, len(items), PUT_LIMIT):
            cw.put_metric_data(Namespace=namespace, MetricData=items[i : i + PUT_LIMIT])
            calls += 1
    return Seeded(sum(len(v) for v in data.values()), calls, time.perf_counter() - t0, len(sampled))


# -- moto's GetMetricData, in time proportional to the datapoints ------------------------------


def _series_key(name: str, dims: Sequence[tuple[str, str]]) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(dims))


def _plain(query: dict[str, Any]) -> bool:
    """A metric query with dimensions and no unit: the only kind the scan sends."""
    stat = query.get("MetricStat") or {}
    return bool(stat.get("Metric", {}).get("Dimensions")) and "Unit" not in stat


@contextmanager
def own_series_only() -> Iterator[None]:
    """moto's GetMetricData answers, each query from the datapoints of its own series.

    moto walks every period from StartTime to EndTime and, in each, filters every stored
    datapoint. Here each datapoint of the query's series (moto's match: the metric name and
    the exact set of dimensions, never the namespace) goes straight to its period (the
    same periods: from StartTime, Period wide), and moto's own `Statistics` computes each
    period's value. Answers equal moto's (tests/test_bench_rightsizing_scale.py checks it);
    other queries (expressions, no dimensions, a unit) go to moto as they come."""
    original = CloudWatchBackend.get_metric_data

    def answer(
        self: CloudWatchBackend,
        queries: list[dict[str, Any]],
        start_time: dt.datetime,
        end_time: dt.datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        if start >= end or not all(_plain(q) for q in queries):  # moto's errors, moto's way
            return original(self, queries, start_time, end_time, scan_by)
        by_series: dict[Any, list[Any]] = defaultdict(list)
        for datum in self.get_all_metrics():
            if start <= datum.timestamp < end:
                by_series[_series_key(datum.name, [(d.name, d.value) for d in datum.dimensions])].append(
                    datum
                )
        answers = []
        for query in queries:
            stat = query["MetricStat"]
            metric, period = stat["Metric"], int(stat["Period"])
            key = _series_key(metric["MetricName"], [(d["Name"], d["Value"]) for d in metric["Dimensions"]])
            buckets: dict[int, list[Any]] = defaultdict(list)
            for datum in by_series.get(key, []):
                buckets[int((datum.timestamp - start).total_seconds()) // period].append(datum)
            timestamps, values = [], []
            for n in sorted(buckets):
                stats = Statistics([stat["Stat"]], start + dt.timedelta(seconds=n * period))
                stats.metric_data = buckets[n]
                values.append(stats.get_statistics_for_type(stat["Stat"]))
                timestamps.append(stats.timestamp)
            if scan_by == "TimestampDescending":
                timestamps.reverse()
                values.reverse()
            if query.get("ReturnData", True):
                answers.append(
                    {
                        "id": query["Id"],
                        "label": query.get("Label") or f"{metric['MetricName']} {stat['Stat']}",
                        "values": values,
                        "timestamps": timestamps,
                        "status_code": "Complete",
                    }
                )
        return answers

    with mock.patch.object(CloudWatchBackend, "get_metric_data", answer):
        yield


# -- what an account holds ---------------------------------------------------------------------


@dataclass
class RegionCensus:
    instances: int = 0
    instance_types: set[str] = field(default_factory=set)
    volumes: int = 0
    provisioned_iops: int = 0  # io1, io2, gp3 above its 3,000 baseline: RS004 reads their IOPS
    databases: int = 0
    endpoints: int = 0
    variants: int = 0
    elbv2: int = 0
    albs: int = 0  # application load balancers: the ELBv2 kind that publishes RequestCount
    target_groups: int = 0  # attached to a load balancer
    classic: int = 0
    scalable_targets: int = 0  # SageMaker's


def _all(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    answers = client.get_paginator(operation).paginate(**params)
    return [item for page in answers for item in page.get(key) or []]


def census(session: boto3.Session, regions: Sequence[str]) -> dict[str, RegionCensus]:
    found: dict[str, RegionCensus] = {}
    for region in regions:
        c = found[region] = RegionCensus()
        ec2 = session.client("ec2", region_name=region)
        reservations = _all(
            ec2, "describe_instances", "Reservations", PaginationConfig={"PageSize": EC2_PAGE}
        )
        for reservation in reservations:
            for item in reservation["Instances"]:
                if item["State"]["Name"] != "terminated":
                    c.instances += 1
                    c.instance_types.add(item["InstanceType"])
        for volume in _all(ec2, "describe_volumes", "Volumes"):
            c.volumes += 1
            kind, iops = volume.get("VolumeType"), volume.get("Iops") or 0
            c.provisioned_iops += kind in ("io1", "io2") or (kind == "gp3" and iops > 3000)
        c.databases = len(
            _all(session.client("rds", region_name=region), "describe_db_instances", "DBInstances")
        )
        sm = session.client("sagemaker", region_name=region)
        for endpoint in _all(sm, "list_endpoints", "Endpoints"):
            c.endpoints += 1
            described = sm.describe_endpoint(EndpointName=endpoint["EndpointName"])
            c.variants += len(described.get("ProductionVariants") or [])
        elbv2 = session.client("elbv2", region_name=region)
        lbs = _all(elbv2, "describe_load_balancers", "LoadBalancers")
        c.elbv2 = len(lbs)
        c.albs = sum(lb.get("Type") == "application" for lb in lbs)
        groups = _all(elbv2, "describe_target_groups", "TargetGroups")
        c.target_groups = sum(bool(g.get("LoadBalancerArns")) for g in groups)
        c.classic = len(
            _all(
                session.client("elb", region_name=region),
                "describe_load_balancers",
                "LoadBalancerDescriptions",
            )
        )
        scaling = session.client("application-autoscaling", region_name=region)
        c.scalable_targets = len(
            _all(scaling, "describe_scalable_targets", "ScalableTargets", ServiceNamespace="sagemaker")
        )
    return found


# -- the minimum -------------------------------------------------------------------------------


def pages(items: int, page: int) -> int:
    """Calls to list `items` at `page` a call: one at least, to learn there are none."""
    return max(1, math.ceil(items / page))


@dataclass(frozen=True)
class SeriesKind:
    label: str
    count: int
    points: int  # datapoints a full series holds over the look-back


def metric_series(c: RegionCensus) -> list[SeriesKind]:
    """The series the rightsizing rules read in a region, with what a full one holds: one
    query per metric of each spec of the metrics phase (scanner/sources/aws/metrics.py)."""
    holders = {
        INSTANCE: c.instances,
        VOLUME: c.provisioned_iops,
        DB_INSTANCE: c.databases,
        ENDPOINT: c.variants,  # per variant
        LOAD_BALANCER: c.albs,  # network and gateway load balancers have no RequestCount
        CLASSIC_LOAD_BALANCER: c.classic,
    }
    lookback = DEFAULT_WINDOW.lookback_days * 86400
    kinds = []
    for rtype, count in holders.items():
        for spec in mx.METRICS[rtype]:
            period = mx.period_of(spec, DEFAULT_WINDOW)
            for metric in spec.metrics:
                if count:
                    kinds.append(
                        SeriesKind(f"{spec.namespace} {metric}, {period} s", count, lookback // period)
                    )
    return kinds


def minimum(
    found: dict[str, RegionCensus], needs: dict[str, frozenset[str]], regions_given: bool
) -> dict[str, tuple[int, str]]:
    """Operation -> (least calls, why), for what the rules need and the account holds."""
    regions = list(found.values())
    least: dict[str, tuple[int, str]] = {
        "sts:GetCallerIdentity": (1, "account id and partition"),
        "ec2:DescribeRegions": (
            (0, "regions given: none to discover") if regions_given else (1, "the enabled regions")
        ),
    }
    if INSTANCE in needs or INSTANCE_TYPE in needs:
        least["ec2:DescribeInstances"] = (
            sum(pages(c.instances, EC2_PAGE) for c in regions),
            f"{EC2_PAGE:,} instances a page (MaxResults), a page at least per region",
        )
    if INSTANCE_TYPE in needs:
        least["ec2:DescribeInstanceTypes"] = (
            sum(math.ceil(len(c.instance_types) / TYPES_PER_CALL) for c in regions),
            f"per region with instances: its distinct types, {TYPES_PER_CALL} a call",
        )
    if VOLUME in needs:
        least["ec2:DescribeVolumes"] = (
            len(regions),
            "one per region: asked without MaxResults, EC2 (and moto) answer every volume at once",
        )
    if DB_INSTANCE in needs:
        least["rds:DescribeDBInstances"] = (
            sum(pages(c.databases, RDS_PAGE) for c in regions),
            f"{RDS_PAGE} a page (MaxRecords), a page at least per region",
        )
    if ENDPOINT in needs:
        endpoints = sum(c.endpoints for c in regions)
        least["sagemaker:ListEndpoints"] = (
            sum(pages(c.endpoints, SAGEMAKER_PAGE) for c in regions),
            f"{SAGEMAKER_PAGE} a page (MaxResults; AWS's default is 10), a page at least per region",
        )
        least["sagemaker:DescribeEndpoint"] = (endpoints, "one per endpoint: its variants (no batch read)")
        least["sagemaker:DescribeEndpointConfig"] = (
            endpoints,
            "one per endpoint: its variants' instance types",
        )
    if LOAD_BALANCER in needs:
        least["elbv2:DescribeLoadBalancers"] = (
            sum(pages(c.elbv2, ELB_PAGE) for c in regions),
            f"{ELB_PAGE} a page (PageSize), a page at least per region",
        )
        least["elbv2:DescribeTargetGroups"] = (
            sum(pages(c.target_groups, ELB_PAGE) for c in regions if c.elbv2),
            f"per region with ELBv2 load balancers: one listing of its target groups, {ELB_PAGE} a page "
            "(each names its load balancers)",
        )
        least["elbv2:DescribeTargetHealth"] = (
            sum(c.target_groups for c in regions),
            "one per target group behind a load balancer (no batch read)",
        )
    if CLASSIC_LOAD_BALANCER in needs:
        least["elb:DescribeLoadBalancers"] = (
            sum(pages(c.classic, ELB_PAGE) for c in regions),
            f"{ELB_PAGE} a page (PageSize), a page at least per region",
        )
        least["elb:DescribeInstanceHealth"] = (
            sum(c.classic for c in regions),
            "one per classic load balancer (no batch read)",
        )
    if SCALABLE_TARGET in needs:
        least["application-autoscaling:DescribeScalableTargets"] = (
            sum(pages(c.scalable_targets, SCALING_PAGE) for c in regions),
            f"SageMaker's, {SCALING_PAGE} a page, a page at least per region",
        )
        if "policies" in needs[SCALABLE_TARGET]:
            least["application-autoscaling:DescribeScalingPolicies"] = (
                sum(bool(c.scalable_targets) for c in regions),
                "per region with scalable targets: the namespace's policies in one listing",
            )
    if any(mx.METRICS_FACET in facets for facets in needs.values()):
        queries = [sum(k.count for k in metric_series(c)) for c in regions]
        least["cloudwatch:GetMetricData"] = (
            sum(math.ceil(q / mx.MAX_QUERIES_PER_CALL) for q in queries),
            f"per region: its series, {mx.MAX_QUERIES_PER_CALL} queries a call "
            f"({sum(queries):,} queries; moto does not page by datapoints)",
        )
    return least


# -- running and printing ----------------------------------------------------------------------


@dataclass
class Asked:
    """What the scan's requests asked for (page sizes, GetMetricData's queries) and the
    datapoints GetMetricData returned."""

    page_sizes: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    metric_calls: list[list[int]] = field(default_factory=list)  # the periods of each call's queries
    datapoints: int = 0

    def watch(self, session: boto3.Session) -> None:
        """Record every request of clients created from `session` from now on (the scan's)."""

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            op = f"{model.service_model.service_name}:{model.name}"
            for name in PAGE_PARAMETERS:
                if isinstance(params.get(name), int):
                    self.page_sizes[op].add(params[name])
            if model.name == "GetMetricData" and "NextToken" not in params:
                self.metric_calls.append([q["MetricStat"]["Period"] for q in params["MetricDataQueries"]])

        def returned(parsed: dict[str, Any], **_: Any) -> None:
            self.datapoints += sum(len(r.get("Values") or []) for r in parsed.get("MetricDataResults") or [])

        session.events.register("provide-client-params", record)
        session.events.register("after-call.cloudwatch.GetMetricData", returned)


@dataclass
class Run:
    outcome: ScanOutcome
    found: dict[str, RegionCensus]
    asked: Asked
    needs: dict[str, frozenset[str]]
    regions_given: bool


def rightsizing_rules() -> list[Rule]:
    ruleset = engine.discover()
    return engine.select(list(ruleset.rules), RIGHTSIZING)


def scan_synthetic(count: int, cpu_every: int) -> Run:
    rules = rightsizing_rules()
    with mock_aws(), own_series_only():
        session = boto3.Session(region_name=REGION)
        t0 = time.perf_counter()
        fleet = seed_fleet(session, count)
        resources_s = time.perf_counter() - t0
        end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        seeded = seed_metrics(session, fleet, end, cpu_every)
        found = census(session, [REGION])
        # moto marks current families as previous generation; the demo's correction answers as
        # AWS does, so RS008 judges this fleet as it would a real one.
        scanner.demo._instance_generations_as_aws_answers(session)
        asked = Asked()
        asked.watch(session)
        t1 = time.perf_counter()
        outcome = scan_aws(AwsOptions(session=session, regions=[REGION]), rules)
        scan_s = time.perf_counter() - t1
    c = found[REGION]
    hours = DEFAULT_WINDOW.lookback_days * 24
    print(
        f"== Synthetic account: {c.instances:,} running EC2 instances in 1 region ({REGION}); "
        f"the rightsizing pack ({len(rules)} rules) scanning that region only ==\n"
        f"seeded {c.instances:,} instances ({len(c.instance_types)} types, one launch each), "
        f"{c.volumes:,} volumes ({c.instances:,} root gp2, {len(fleet.io1):,} io1, "
        f"{fleet.data_volumes:,} gp3 "
        f"attached, {fleet.unattached:,} unattached), {c.databases} DB instances, {c.endpoints} SageMaker "
        f"endpoints, {c.elbv2} ELBv2 and {c.classic} classic load balancers in {resources_s:.1f} s\n"
        f"seeded {seeded.datapoints:,} datapoints over {DEFAULT_WINDOW.lookback_days} days (hourly CPU of "
        f"{seeded.cpu_instances:,} instances (every {cpu_every}th) and of every DB instance and endpoint "
        f"variant; each io1 volume's busiest minute a day; requests a day of {len(fleet.load_balancers)} "
        f"load balancers) in {seeded.calls:,} PutMetricData calls of up to {PUT_LIMIT:,}: "
        f"{seeded.seconds:.1f} s, {seeded.datapoints / seeded.seconds:,.0f} datapoints/s "
        f"(hourly CPU of all {c.instances:,} would be {c.instances * hours:,} datapoints, "
        f"~{c.instances * hours * seeded.seconds / seeded.datapoints:.0f} s)\n"
        f"scan: {scan_s:.1f} s (GetMetricData returned {asked.datapoints:,} datapoints)"
    )
    return Run(outcome, found, asked, engine.needs(rules), regions_given=True)


def scan_demo() -> Run:
    """scanner.demo's account and emulator session, the rightsizing rules only: the bench
    steps in at the demo's scan to keep those rules and to count what the account holds."""
    captured: dict[str, Any] = {}

    def rightsizing_scan(
        options: AwsOptions, rules: list[Rule], extra_errors: list[ScanError] | None = None
    ) -> ScanOutcome:
        chosen = [r for r in rules if r.id in RIGHTSIZING]
        ec2 = options.session.client("ec2", region_name=scanner.demo.HOME)
        regions = [r["RegionName"] for r in ec2.describe_regions()["Regions"]]
        captured["found"] = census(options.session, regions)
        captured["asked"] = asked = Asked()
        asked.watch(options.session)
        captured["needs"] = engine.needs(chosen)
        return scan_aws(options, chosen, extra_errors)

    t0 = time.perf_counter()
    with own_series_only(), mock.patch.object(scanner.demo, "scan_aws", rightsizing_scan):
        outcome = scanner.demo.demo_scan()
    scanned = outcome.targets[0]["regions"]
    found = {r: c for r, c in captured["found"].items() if r in scanned}
    print(
        f"== The demo account (scanner.demo): the rightsizing pack over {len(scanned)} regions ==\n"
        f"seed and scan: {time.perf_counter() - t0:.1f} s (scan {outcome.duration_s:.1f} s)"
    )
    return Run(outcome, found, captured["asked"], captured["needs"], regions_given=False)


def report(run: Run) -> None:
    calls = run.outcome.api_calls or {}
    least = minimum(run.found, run.needs, run.regions_given)
    print(f"{'operation':48} {'calls':>6} {'minimum':>8} {'ratio':>6} {'page':>5}  why")
    for op in sorted(set(calls) | {op for op, (n, _) in least.items() if n}):
        made = calls.get(op, 0)
        n, why = least.get(op, (0, "not expected"))
        ratio = f"{made / n:.2f}" if n else "-"
        page = ",".join(str(p) for p in sorted(run.asked.page_sizes.get(op, ()))) or "-"
        print(f"{op:48} {made:>6} {n:>8} {ratio:>6} {page:>5}  {why}")
    total, total_min = sum(calls.values()), sum(n for n, _ in least.values())
    print(f"{'total':48} {total:>6} {total_min:>8} {total / total_min:>6.2f}")
    _metric_bound(run)
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for r in run.outcome.results:
        statuses[r.rule_id][r.status.value] += 1
    print(
        "results: "
        + "; ".join(
            f"{rule} " + ", ".join(f"{n:,} {s}" for s, n in sorted(c.items()))
            for rule, c in sorted(statuses.items())
        )
    )
    if run.outcome.errors:
        print(f"scan errors: {len(run.outcome.errors)}, first: {run.outcome.errors[0].message}")
    print()


def _metric_bound(run: Run) -> None:
    """GetMetricData on AWS: each call carries at most 500 queries and returns at most
    100,800 datapoints, so pages >= the larger of the two bounds."""
    kinds = [(region, k) for region, c in run.found.items() for k in metric_series(c)]
    if not kinds:
        return
    print(
        "GetMetricData on AWS, if every series were full (real AWS returns only the datapoints that exist):"
    )
    print(f"  {'series':52} {'count':>6} {'points each':>12} {'datapoints':>12}")
    for _, k in kinds:
        print(f"  {k.label:52} {k.count:>6,} {k.points:>12,} {k.count * k.points:>12,}")
    bound = 0
    for region, c in run.found.items():
        series = metric_series(c)
        if not series:
            continue
        queries = sum(k.count for k in series)
        points = sum(k.count * k.points for k in series)
        by_queries = math.ceil(queries / mx.MAX_QUERIES_PER_CALL)
        by_points = math.ceil(points / DATAPOINTS_PER_CALL)
        bound += max(by_queries, by_points)
        print(
            f"  {region}: {queries:,} queries -> >= {by_queries} calls at {mx.MAX_QUERIES_PER_CALL}; "
            f"{points:,} datapoints -> >= {by_points} pages at {DATAPOINTS_PER_CALL:,}; "
            f"lower bound {max(by_queries, by_points)}"
        )
    lookback = DEFAULT_WINDOW.lookback_days * 86400
    chunks = [sum(lookback // p for p in call) for call in run.asked.metric_calls]
    at_chunking = sum(max(1, math.ceil(p / DATAPOINTS_PER_CALL)) for p in chunks)
    sizes = ", ".join(str(len(call)) for call in run.asked.metric_calls)
    print(
        f"  AWS pages >= {bound} in all; the scan's {len(chunks)} requests ({sizes} queries) would take "
        f">= {at_chunking} pages with full series.\n"
        "  moto does not paginate GetMetricData by datapoints: the moto count above is the "
        "query-bound figure."
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=INSTANCES, help="EC2 instances (default 1,200)")
    parser.add_argument(
        "--cpu-every", type=int, default=CPU_EVERY, help="hourly CPU for every N-th instance (1: all)"
    )
    parser.add_argument("--no-demo", action="store_true", help="the synthetic account only")
    args = parser.parse_args(argv)
    # Nothing from the caller's AWS setup (profile, endpoint, credentials, config files)
    # reaches the emulated accounts: moto supplies fake credentials of its own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    t0 = time.perf_counter()
    with mock.patch.dict(os.environ, env, clear=True):
        report(scan_synthetic(args.instances, args.cpu_every))
        if not args.no_demo:
            report(scan_demo())
    print(f"bench runtime: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
