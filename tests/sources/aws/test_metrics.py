"""The CloudWatch metrics phase: few GetMetricData calls, exact local summaries, honest unknowns.

moto publishes no AWS/* metrics of its own: every series is seeded with put_metric_data from
the window's start. The window ends at a UTC midnight so that 14 days are 14 whole dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from scanner import model as m
from scanner.model import Origin, Resource, Unknown
from scanner.sources.aws import metrics as mx
from scanner.sources.aws.collectors.base import CollectContext, Sink
from scanner.sources.aws.guard import CallGuard
from scanner.sources.aws.runner import run_tasks
from scanner.sources.aws.session import AccountSession, AwsOptions
from scanner.sources.aws.source import collect_account, required_operations, unsupported_needs
from testkit import ACCOUNT, endpoint, inject_error

REGION = "us-east-1"
OTHER = "eu-west-1"
END = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
WINDOW = mx.MetricWindow(lookback_days=14, end=END)
START = END - dt.timedelta(days=14)
HOURS = 14 * 24
METRICS = frozenset({mx.METRICS_FACET})


# -- helpers -----------------------------------------------------------------------------------


def instance(instance_id: str, region: str = REGION) -> Resource:
    """An EC2 instance as a live collector would give it (the instance collector is not
    part of this module; the phase reads only the id and the region)."""
    return Resource(
        type=mx.INSTANCE,
        id=f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{instance_id}",
        name=instance_id,
        properties={"InstanceId": instance_id},
        origin=Origin(source="aws", api="ec2:DescribeInstances"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region=region,
    )


def volume(volume_id: str, kind: str, iops: int | None = None) -> Resource:
    props: dict[str, Any] = {"VolumeType": kind}
    if iops is not None:
        props["Iops"] = iops
    return Resource(
        type=mx.VOLUME,
        id=f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{volume_id}",
        name=volume_id,
        properties=props,
        origin=Origin(source="aws", api="ec2:DescribeVolumes"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region=REGION,
    )


def context(aws, needs: dict[str, frozenset[str]], regions=(REGION,)) -> tuple[CollectContext, CallGuard]:
    guard = CallGuard(required_operations(needs))
    session = AccountSession(AwsOptions(session=aws, regions=list(regions)), guard)
    return CollectContext(session, Sink(), list(regions), needs), guard


def run_phase(ctx: CollectContext, resources: list[Resource], window: mx.MetricWindow = WINDOW) -> None:
    def crashed(task, exc):
        raise AssertionError(f"{task.label} crashed: {exc!r}")

    run_tasks(mx.metric_tasks(ctx, resources, window), 4, crashed)


def put(
    aws, namespace: str, metric: str, dims: dict[str, str], points: list[tuple[dt.datetime, float]]
) -> None:
    cw = aws.client("cloudwatch", region_name=REGION)
    dimensions = [{"Name": k, "Value": v} for k, v in dims.items()]
    for i in range(0, len(points), 500):
        cw.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": metric, "Dimensions": dimensions, "Timestamp": t, "Value": v}
                for t, v in points[i : i + 500]
            ],
        )


def hourly(values: list[float]) -> list[tuple[dt.datetime, float]]:
    """One value per hour from the window's start, ten minutes into each hour."""
    return [(START + dt.timedelta(hours=h, minutes=10), v) for h, v in enumerate(values)]


def query_sizes(aws) -> list[int]:
    """The number of queries of every GetMetricData call the clients make."""
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["MetricDataQueries"]))

    aws.events.register("provide-client-params.cloudwatch.GetMetricData", record)
    return sizes


def answer_with(aws, pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answer successive GetMetricData calls with `pages` (moto never paginates); returns
    the request parameters seen."""
    seen: list[dict[str, Any]] = []
    remaining = list(pages)

    def params(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    def handler(**_: Any) -> Any:
        page = remaining.pop(0)
        return AWSResponse("https://injected.invalid", 200, {}, None), {
            **page,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    aws.events.register("provide-client-params.cloudwatch.GetMetricData", params)
    aws.events.register("before-call.cloudwatch.GetMetricData", handler)
    return seen


# -- query ids, chunks, windows (no emulator) --------------------------------------------------


def test_query_ids_are_valid_and_unique():
    ids = [mx.query_id(i) for i in range(mx.MAX_QUERIES_PER_CALL)]
    assert len(set(ids)) == len(ids)
    assert all(mx.QUERY_ID.match(i) and len(i) <= 255 for i in ids)
    for bad in ("0m", "M1", "m-1", "", "m 1"):
        assert not mx.QUERY_ID.match(bad)


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, []), (1, [1]), (500, [500]), (501, [500, 1]), (1200, [500, 500, 200])],
)
def test_queries_are_chunked_by_the_api_limit(count, sizes):
    assert [len(c) for c in mx.chunked(list(range(count)))] == sizes


def test_planned_queries_for_1200_instances_fill_three_calls():
    resources = [instance(f"i-{n:017x}") for n in range(1200)]
    series, queries = mx.plan(resources, WINDOW)
    assert len(series) == len(queries) == 1200
    assert [len(c) for c in mx.chunked(queries)] == [500, 500, 200]
    body = queries[0].body(mx.query_id(0))
    assert body == {
        "Id": "m0",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/EC2",
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "InstanceId", "Value": "i-00000000000000000"}],
            },
            "Period": 3600,
            "Stat": "Average",
        },
        "ReturnData": True,
    }


def test_window_is_whole_hours_in_utc():
    end = dt.datetime(2025, 3, 10, 13, 47, 5, 12, tzinfo=dt.UTC)
    start, stop = mx.MetricWindow(14, end).bounds()
    assert stop == dt.datetime(2025, 3, 10, 13, tzinfo=dt.UTC)
    assert start == dt.datetime(2025, 2, 24, 13, tzinfo=dt.UTC)
    naive = mx.MetricWindow(1, dt.datetime(2025, 3, 10, 13, 30)).bounds()
    assert naive[1] == dt.datetime(2025, 3, 10, 13, tzinfo=dt.UTC)  # naive means UTC


@pytest.mark.parametrize(
    ("period", "days", "expected"),
    [
        (60, 14, 60),
        (60, 15, 60),
        (60, 16, 300),
        (3600, 14, 3600),
        (60, 90, 3600),
        (86400, 30, 86400),
        (420, 20, 600),
    ],
)
def test_a_period_finer_than_the_data_kept_is_widened(period, days, expected):
    assert mx.effective_period(period, days) == expected


def test_summary_nearest_rank_p95():
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    values = [70.0] * 320 + [95.0] * 16  # rank ceil(0.95 * 336) = 320: still 70
    points = [(t0 + dt.timedelta(hours=h), v) for h, v in enumerate(values)]
    s = mx.summarise(points, 3600, 14)
    assert (s.points, s.maximum, s.p95, s.days_with_data) == (336, 95.0, 70.0, 14)
    assert s.mean == pytest.approx((320 * 70 + 16 * 95) / 336)
    assert (s.first, s.last) == ("2025-01-01T00:00:00Z", "2025-01-14T23:00:00Z")
    one_more = mx.summarise([*points[:319], *points[320:], (t0, 95.0)], 3600, 14)
    assert one_more.p95 == 95.0  # 319 x 70 and 17 x 95: rank 320 is a 95
    assert mx.summarise([(t0, 3.0)], 60, 14).p95 == 3.0
    empty = mx.summarise([], 3600, 14)
    assert (empty.points, empty.maximum, empty.p95, empty.mean, empty.days_with_data) == (
        0,
        None,
        None,
        None,
        0,
    )
    assert empty.no_data_reason == "no datapoints in the last 14 days"


def test_dimensions_per_resource_type():
    alb = Resource(
        type=m.LOAD_BALANCER,
        id=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/web/50dc6c495c0c9188",
        name="web",
        properties={"Type": "application"},
        origin=Origin("aws"),
        scope=ACCOUNT,
        region=REGION,
    )
    (spec,) = mx.METRICS[m.LOAD_BALANCER]
    assert spec.dimensions(alb) == [{"Name": "LoadBalancer", "Value": "app/web/50dc6c495c0c9188"}]
    nlb = Resource(**{**alb.__dict__, "id": alb.id.replace("app/web", "net/inner"), "properties": {}})
    assert "network load balancers publish no RequestCount" in spec.dimensions(nlb).reason
    # moto gives a network load balancer an app/ ARN: its Type is read first.
    typed = Resource(**{**alb.__dict__, "properties": {"Type": "network"}})
    assert "network load balancers publish no RequestCount" in spec.dimensions(typed).reason
    odd = Resource(**{**nlb.__dict__, "properties": {"Type": "application"}})  # never a wrong dimension
    assert isinstance(spec.dimensions(odd), Unknown)
    ep = Resource(
        type=m.ENDPOINT,
        id="arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
        name="churn",
        properties={"EndpointName": "churn"},
        observed={"ProductionVariants": [{"VariantName": "a"}, {"VariantName": "b"}]},
        origin=Origin("aws"),
        scope=ACCOUNT,
        region=REGION,
    )
    cpu = mx.METRICS[m.ENDPOINT][0]
    assert cpu.dimensions(ep) == {
        "a": [{"Name": "EndpointName", "Value": "churn"}, {"Name": "VariantName", "Value": "a"}],
        "b": [{"Name": "EndpointName", "Value": "churn"}, {"Name": "VariantName", "Value": "b"}],
    }
    ep.observed["ProductionVariants"] = Unknown("access denied")
    assert "access denied" in cpu.dimensions(ep).reason
    # The instance id is read from the property, else from the ARN.
    bare = instance("i-0abc")
    bare.properties.clear()
    assert mx.METRICS[mx.INSTANCE][0].dimensions(bare) == [{"Name": "InstanceId", "Value": "i-0abc"}]


def test_only_volumes_with_provisioned_iops_are_queried():
    resources = [
        volume("vol-io1", "io1", 1000),
        volume("vol-gp3-fast", "gp3", 6000),
        volume("vol-gp3", "gp3", 3000),
        volume("vol-gp2", "gp2", 300),
    ]
    series, queries = mx.plan(resources, WINDOW)
    assert [s.resource.name for s in series] == ["vol-io1", "vol-gp3-fast"]
    assert [q.metric for q in queries] == ["VolumeReadOps", "VolumeWriteOps"] * 2
    assert "gp2 volume has no IOPS provisioned" in resources[3].observed["Metrics"]["iops"].reason


def test_the_metrics_facet_is_accepted_and_declares_get_metric_data():
    needs = {m.DB_INSTANCE: METRICS, m.LOAD_BALANCER: METRICS, m.ENDPOINT: METRICS}
    assert unsupported_needs(needs) == []
    assert unsupported_needs({m.DB_INSTANCE: frozenset({"colours"})}) == [f"{m.DB_INSTANCE} facet 'colours'"]
    assert unsupported_needs({m.TRAIL: METRICS}) == [f"{m.TRAIL} facet 'metrics'"]
    keys = {op.key for op in required_operations(needs)}
    assert "cloudwatch:GetMetricData" in keys
    assert "cloudwatch:GetMetricStatistics" not in keys
    assert "cloudwatch:GetMetricData" not in {
        op.key for op in required_operations({m.DB_INSTANCE: frozenset()})
    }
    # An endpoint's metrics are per variant: asking for them reads the variants.
    assert mx.with_prerequisites({m.ENDPOINT: METRICS})[m.ENDPOINT] == frozenset({"metrics", "variants"})


# -- EC2 instances in moto ---------------------------------------------------------------------


def test_instance_summaries_are_exact(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    made = ec2.run_instances(ImageId="ami-12c6146b", MinCount=4, MaxCount=4, InstanceType="m5.xlarge")
    idle, busy, weekly, silent = (i["InstanceId"] for i in made["Instances"])
    cpu = ("AWS/EC2", "CPUUtilization")
    put(aws, *cpu, {"InstanceId": idle}, hourly([1.5] * HOURS))
    put(aws, *cpu, {"InstanceId": busy}, hourly([60.0 + (h % 4) * 10 for h in range(HOURS)]))
    # Two per cent all along, and one busy hour a week.
    spikes = {40, 40 + 168}
    put(aws, *cpu, {"InstanceId": weekly}, hourly([97.0 if h in spikes else 2.0 for h in range(HOURS)]))
    # Outside the window: before its start and at its end (exclusive).
    put(aws, *cpu, {"InstanceId": silent}, [(START - dt.timedelta(minutes=5), 99.0), (END, 99.0)])

    resources = [instance(i) for i in (idle, busy, weekly, silent)]
    ctx, guard = context(aws, {mx.INSTANCE: METRICS})
    run_phase(ctx, resources)

    got = {r.name: r.observed["Metrics"]["cpu"] for r in resources}
    assert all(isinstance(s, mx.MetricSummary) for s in got.values())
    first, last = START.isoformat().replace("+00:00", "Z"), (END - dt.timedelta(hours=1)).isoformat()
    s = got[idle]
    assert (s.points, s.maximum, s.p95, s.mean, s.days_with_data, s.period) == (
        HOURS,
        1.5,
        1.5,
        1.5,
        14,
        3600,
    )
    assert (s.first, s.last) == (first, last.replace("+00:00", "Z"))
    s = got[busy]  # 84 hours each at 60, 70, 80, 90: rank 320 of 336 is a 90
    assert (s.points, s.maximum, s.p95, s.mean, s.days_with_data) == (HOURS, 90.0, 90.0, 75.0, 14)
    s = got[weekly]  # the peak sees the busy hour; the p95 does not
    assert (s.points, s.maximum, s.p95, s.days_with_data) == (HOURS, 97.0, 2.0, 14)
    assert s.mean == pytest.approx((334 * 2.0 + 2 * 97.0) / HOURS)
    s = got[silent]
    assert (s.points, s.maximum, s.p95, s.mean, s.days_with_data, s.first) == (0, None, None, None, 0, None)
    assert s.no_data_reason == "no datapoints in the last 14 days"
    assert guard.snapshot() == {"cloudwatch:GetMetricData": 1, "sts:GetCallerIdentity": 1}
    assert ctx.sink.errors == []


def test_access_denied_is_unknown_per_resource_and_one_error(aws):
    inject_error(
        aws, "GetMetricData", "AccessDenied", message="not authorized to perform cloudwatch:GetMetricData"
    )
    resources = [instance(f"i-{n:017x}") for n in range(1200)]  # three chunks: asked once
    ctx, guard = context(aws, {mx.INSTANCE: METRICS})
    run_phase(ctx, resources)
    values = [r.observed["Metrics"]["cpu"] for r in resources]
    assert all(isinstance(v, Unknown) for v in values)
    assert len({v.reason for v in values}) == 1
    assert "access denied" in values[0].reason and "GetMetricData" in values[0].reason
    (error,) = ctx.sink.errors
    assert (error.kind, error.code, error.operation, error.region) == (
        "api",
        "AccessDenied",
        "GetMetricData",
        REGION,
    )
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 1


def test_throttling_fails_only_its_chunk(aws):
    calls = {"n": 0}

    def second_call_throttled(params: dict[str, Any], **_: Any) -> Any:
        calls["n"] += 1
        if calls["n"] != 2:
            return None
        response = AWSResponse("https://injected.invalid", 400, {}, None)
        return response, {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}

    aws.events.register("before-call.cloudwatch.GetMetricData", second_call_throttled)
    resources = [instance(f"i-{n:017x}") for n in range(1200)]
    ctx, guard = context(aws, {mx.INSTANCE: METRICS})
    run_phase(ctx, resources)
    values = [r.observed["Metrics"]["cpu"] for r in resources]
    assert [isinstance(v, Unknown) for v in values] == [False] * 500 + [True] * 500 + [False] * 200
    assert "throttled" in values[500].reason
    assert [e.code for e in ctx.sink.errors] == ["Throttling"]
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 3


def test_1200_instances_in_one_region_take_three_calls(aws):
    sizes = query_sizes(aws)
    resources = [instance(f"i-{n:017x}") for n in range(1200)]
    resources += [instance(f"i-{n:017x}", OTHER) for n in range(3)]
    ctx, guard = context(aws, {mx.INSTANCE: METRICS}, regions=(REGION, OTHER))
    run_phase(ctx, resources)
    assert sorted(sizes) == [3, 200, 500, 500]  # one batch per region
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 4
    assert all(r.observed["Metrics"]["cpu"].points == 0 for r in resources)


# -- pagination and per-series status (answers injected: moto neither paginates nor fails a series)


def test_pages_are_followed_and_series_statuses_kept(aws):
    resources = [instance("i-a"), instance("i-b"), instance("i-c")]
    t = [START + dt.timedelta(hours=h) for h in range(3)]
    seen = answer_with(
        aws,
        [
            {
                "MetricDataResults": [
                    {"Id": "m0", "Timestamps": t[:2], "Values": [5.0, 7.0], "StatusCode": "PartialData"},
                    {
                        "Id": "m1",
                        "Timestamps": [],
                        "Values": [],
                        "StatusCode": "InternalError",
                        "Messages": [{"Code": "InternalError", "Value": "try later"}],
                    },
                    {"Id": "m2", "Timestamps": [t[0]], "Values": [1.0], "StatusCode": "PartialData"},
                ],
                "NextToken": "page-2",
            },
            {
                "MetricDataResults": [
                    {"Id": "m0", "Timestamps": t[2:], "Values": [9.0], "StatusCode": "Complete"},
                    {"Id": "m2", "Timestamps": [], "Values": [], "StatusCode": "PartialData"},
                ],
            },
        ],
    )
    ctx, guard = context(aws, {mx.INSTANCE: METRICS})
    run_phase(ctx, resources)
    assert [p.get("NextToken") for p in seen] == [None, "page-2"]
    assert all(p["ScanBy"] == "TimestampAscending" for p in seen)
    assert seen[0]["StartTime"] == START and seen[0]["EndTime"] == END
    a, b, c = (r.observed["Metrics"]["cpu"] for r in resources)
    assert (a.points, a.maximum, a.mean) == (3, 9.0, 7.0)
    assert isinstance(b, Unknown) and "InternalError" in b.reason and "try later" in b.reason
    assert isinstance(c, Unknown) and "partial data" in c.reason
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 2
    assert ctx.sink.errors == []  # a series CloudWatch could not answer is not a failed call


# -- EBS: read + write operations per second ---------------------------------------------------


def test_volume_iops_add_reads_and_writes_per_minute(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="io1", Iops=1000)["VolumeId"]
    minute = START + dt.timedelta(days=3, hours=4, minutes=7)
    other = minute + dt.timedelta(days=5)
    put(aws, "AWS/EBS", "VolumeReadOps", {"VolumeId": vol}, [(minute, 600.0), (other, 60.0)])
    put(aws, "AWS/EBS", "VolumeWriteOps", {"VolumeId": vol}, [(minute, 300.0)])
    res = volume(vol, "io1", 1000)
    ctx, guard = context(aws, {mx.VOLUME: METRICS})
    run_phase(ctx, [res])
    s = res.observed["Metrics"]["iops"]
    # (600 + 300) / 60 s and 60 / 60 s: two minutes with data, on two dates.
    assert (s.points, s.maximum, s.mean, s.days_with_data, s.period) == (2, 15.0, 8.0, 2, 60)
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 1


def test_a_failed_call_leaves_each_volume_unknown_once(aws):
    inject_error(aws, "GetMetricData", "AccessDeniedException")
    resources = [volume(f"vol-{n:04d}", "io2", 4000) for n in range(300)]  # 600 queries, two chunks
    ctx, guard = context(aws, {mx.VOLUME: METRICS})
    run_phase(ctx, resources)
    assert all(isinstance(r.observed["Metrics"]["iops"], Unknown) for r in resources)
    assert len(ctx.sink.errors) == 1
    assert guard.snapshot()["cloudwatch:GetMetricData"] == 1  # denied: the second chunk is not asked


# -- the phase inside collect_account ----------------------------------------------------------


def test_collect_account_fetches_every_needed_series_of_a_region_in_one_call(aws):
    rds = aws.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.m5.large",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="password-1234",
    )
    endpoint(aws, "churn")
    ec2 = aws.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in ((1, "a"), (2, "b"))
    ]
    elbv2 = aws.client("elbv2", region_name=REGION)
    alb = elbv2.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    nlb = elbv2.create_load_balancer(Name="inner", Subnets=subnets, Type="network")["LoadBalancers"][0]
    elb = aws.client("elb", region_name=REGION)
    listeners = [{"Protocol": "http", "LoadBalancerPort": 80, "InstancePort": 80}]
    elb.create_load_balancer(LoadBalancerName="old", Listeners=listeners, AvailabilityZones=["us-east-1a"])

    put(aws, "AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": "db1"}, hourly([12.0] * HOURS))
    put(
        aws,
        "/aws/sagemaker/Endpoints",
        "CPUUtilization",
        {"EndpointName": "churn", "VariantName": "v"},
        hourly([30.0] * 24),
    )
    alb_dim = alb["LoadBalancerArn"].split(":loadbalancer/")[1]
    days = [(END - dt.timedelta(days=d) + dt.timedelta(hours=12), 40.0 * d) for d in range(1, 15)]
    put(aws, "AWS/ApplicationELB", "RequestCount", {"LoadBalancer": alb_dim}, days)

    needs = {t: METRICS for t in (m.DB_INSTANCE, m.ENDPOINT, m.LOAD_BALANCER, m.CLASSIC_LOAD_BALANCER)}
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), needs, WINDOW)
    assert got.errors == []
    assert got.api_calls["cloudwatch:GetMetricData"] == 1  # 1 + 3 + 1 + 1 queries, one call
    assert got.api_calls["sagemaker:DescribeEndpoint"] == 1  # the variants, for per-variant metrics

    (db,) = got.inventory.of_type(m.DB_INSTANCE)
    assert (db.observed["Metrics"]["cpu"].maximum, db.observed["Metrics"]["cpu"].days_with_data) == (12.0, 14)
    (ep,) = got.inventory.of_type(m.ENDPOINT)
    variant = ep.observed["Metrics"]
    assert (variant["cpu"]["v"].points, variant["cpu"]["v"].maximum, variant["cpu"]["v"].days_with_data) == (
        24,
        30.0,
        1,
    )
    assert variant["gpu"]["v"].points == 0 and variant["invocations_per_instance"]["v"].points == 0
    lbs = {r.id: r for r in got.inventory.of_type(m.LOAD_BALANCER)}
    requests = lbs[alb["LoadBalancerArn"]].observed["Metrics"]["requests"]
    # Daily sums, the last 7 days only: 40, 80, ..., 280 requests a day.
    assert (requests.points, requests.maximum, requests.lookback_days, requests.period) == (
        7,
        280.0,
        7,
        86400,
    )
    assert isinstance(lbs[nlb["LoadBalancerArn"]].observed["Metrics"]["requests"], Unknown)
    (old,) = got.inventory.of_type(m.CLASSIC_LOAD_BALANCER)
    assert old.observed["Metrics"]["requests"].points == 0
    assert old.observed["Metrics"]["requests"].no_data_reason == "no datapoints in the last 7 days"


def test_no_metrics_facet_no_cloudwatch_call(aws):
    rds = aws.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.m5.large",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="password-1234",
    )
    got = collect_account(AwsOptions(session=aws, regions=[REGION]), {m.DB_INSTANCE: frozenset()})
    assert "cloudwatch:GetMetricData" not in got.api_calls
    (db,) = got.inventory.of_type(m.DB_INSTANCE)
    assert "Metrics" not in db.observed
