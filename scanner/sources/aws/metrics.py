"""CloudWatch metrics for the rightsizing rules: a second collection phase.

Rules ask for the facet "metrics" of a resource type (RS001-RS004, RS007). Once the
collectors have listed the resources, every metric series those resources need in a region
is fetched with GetMetricData in as few calls as the API allows (at most 500 queries per
call; each call paginated by NextToken, which also splits answers above 100,800
datapoints), never one call per resource and never GetMetricStatistics.

Each series is summarised here (maximum, nearest-rank p95, mean, days with data) and stored
in `resource.observed["Metrics"][spec.name]`: a `MetricSummary`, an `Unknown` when
CloudWatch could not answer (the reason says why), or, for per-variant metrics of SageMaker
endpoints, a dict of those by variant name. A summary with `points == 0` means CloudWatch
answered and had no datapoint in the look-back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from scanner.lib.arn import parse_arn
from scanner.lib.metrics import DEFAULT_WINDOW, MetricSummary, MetricWindow, summarise
from scanner.model import (
    CLASSIC_LOAD_BALANCER,
    DB_INSTANCE,
    ENDPOINT,
    INSTANCE,
    LOAD_BALANCER,
    VOLUME,
    Resource,
    Unknown,
    is_unknown,
)
from scanner.sources.aws import pagination
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.errors import ACCESS_DENIED, ApiFailure, to_scan_error
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

METRICS_FACET = "metrics"
GET_METRIC_DATA = Operation("cloudwatch", "GetMetricData")
MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries
# Facets the metrics of a type cannot do without: an endpoint's variants come from
# DescribeEndpoint (the SageMaker collector reads it for the facet "variants").
PREREQUISITES: dict[str, frozenset[str]] = {ENDPOINT: frozenset({"variants"})}
# How long CloudWatch keeps data at a resolution (seconds, days).
RETENTION_DAYS = ((60, 15), (300, 63), (3600, 455))

Dimensions = list[dict[str, str]]
# What a spec's `dimensions` gives for a resource: one series (its dimensions), several
# series by key (SageMaker variants), or why the resource has no such series.
SeriesDimensions = Dimensions | dict[str, Dimensions] | Unknown


def per_second(value: float, period: int) -> float:
    """A per-period count (Sum over the period) as a rate per second."""
    return value / period


@dataclass(frozen=True)
class MetricSpec:
    """One metric a rule reads for a resource type, stored as observed["Metrics"][name]."""

    name: str
    namespace: str
    # Several metric names: one query each, their values added per timestamp locally
    # (EBS read + write operations), so the sum costs no metric-math query.
    metric: str | tuple[str, ...]
    dimensions: Callable[[Resource], SeriesDimensions]
    stat: str
    # "hourly" and "peak" take the window's period_seconds and peak_period_seconds
    # (configurable); "daily" is a day whatever the configuration (RS007 counts per day).
    resolution: str
    unit_transform: Callable[[float, int], float] | None = None  # (value, period) -> value
    # Summarise only the most recent days of the window (RS007 reads 7 days); fetched in the
    # same calls as the rest, the older points are dropped locally.
    lookback_days: int | None = None
    # Which resources are worth a query; the others get an Unknown saying why not.
    applies: Callable[[Resource], str | None] | None = None  # -> reason to skip, or None

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric,) if isinstance(self.metric, str) else self.metric


# --- dimensions of each resource type -------------------------------------------------


def _arn_id(resource: Resource, kind: str) -> str | None:
    """The id after `kind/` in the resource's ARN (instance/i-..., volume/vol-...)."""
    arn = parse_arn(resource.id)
    if arn and arn.resource.startswith(f"{kind}/"):
        return arn.resource.split("/", 1)[1]
    return None


def _one(name: str, value: Any, what: str) -> SeriesDimensions:
    if isinstance(value, str) and value:
        return [{"Name": name, "Value": value}]
    return Unknown(f"the {what} is not known, so its metrics cannot be asked for")


def _instance(resource: Resource) -> SeriesDimensions:
    value = resource.get("InstanceId") or _arn_id(resource, "instance")
    if value is None and resource.id.startswith("i-"):
        value = resource.id
    return _one("InstanceId", value, "instance id")


def _volume(resource: Resource) -> SeriesDimensions:
    value = resource.get("VolumeId") or _arn_id(resource, "volume")
    if value is None and resource.id.startswith("vol-"):
        value = resource.id
    return _one("VolumeId", value, "volume id")


def _db_instance(resource: Resource) -> SeriesDimensions:
    return _one(
        "DBInstanceIdentifier", resource.get("DBInstanceIdentifier") or resource.name, "DB identifier"
    )


def _variants(resource: Resource) -> SeriesDimensions:
    """One series per production variant in service (DescribeEndpoint's variants)."""
    variants = resource.observed.get("ProductionVariants")
    if is_unknown(variants):
        return Unknown(f"the endpoint's variants are unknown ({variants.reason})")
    if not isinstance(variants, list):
        return Unknown("the endpoint's variants were not read")
    endpoint = resource.get("EndpointName") or resource.name
    return {
        v["VariantName"]: [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": v["VariantName"]},
        ]
        for v in variants
        if isinstance(v, Mapping) and v.get("VariantName")
    }


def _elbv2(resource: Resource) -> SeriesDimensions:
    """ALB: `app/NAME/ID`, the part of the ARN after `loadbalancer/`. The type is read from
    `Type` first (emulators may give every load balancer an `app/` ARN), else the ARN."""
    arn = parse_arn(resource.id)
    suffix = arn.resource.split("/", 1)[1] if arn and arn.resource.startswith("loadbalancer/") else ""
    kind = resource.get("Type")
    if not isinstance(kind, str):
        kind = {"app": "application", "net": "network", "gwy": "gateway"}.get(suffix.split("/", 1)[0], "")
    if kind == "network":
        return Unknown(
            "network load balancers publish no RequestCount (AWS/NetworkELB has flow and byte counts)"
        )
    if kind == "gateway":
        return Unknown("gateway load balancers publish no RequestCount")
    if kind == "application" and suffix.startswith("app/") and suffix.count("/") == 2:
        return [{"Name": "LoadBalancer", "Value": suffix}]
    return Unknown(f"the load balancer's metric dimension cannot be told from {resource.id}")


def _classic(resource: Resource) -> SeriesDimensions:
    return _one("LoadBalancerName", resource.name, "load balancer name")


def _provisioned_iops(resource: Resource) -> str | None:
    """RS004 judges volumes with provisioned IOPS: io1, io2, gp3 above its 3,000 baseline.
    A volume whose type is not known is queried."""
    kind = resource.get("VolumeType")
    if not isinstance(kind, str) or kind in ("io1", "io2"):
        return None
    iops = resource.get("Iops")
    if kind == "gp3" and (not isinstance(iops, int | float) or iops > 3000):
        return None
    return f"not queried: a {kind} volume has no IOPS provisioned above its baseline"


METRICS: dict[str, tuple[MetricSpec, ...]] = {
    INSTANCE: (MetricSpec("cpu", "AWS/EC2", "CPUUtilization", _instance, "Average", "hourly"),),
    # 1-minute data is kept 15 days: a 14-day look-back at 60 s sees the peaks.
    VOLUME: (
        MetricSpec(
            "iops",
            "AWS/EBS",
            ("VolumeReadOps", "VolumeWriteOps"),
            _volume,
            "Sum",
            "peak",
            unit_transform=per_second,
            applies=_provisioned_iops,
        ),
    ),
    DB_INSTANCE: (MetricSpec("cpu", "AWS/RDS", "CPUUtilization", _db_instance, "Average", "hourly"),),
    # Per variant; CPU and GPU are summed over the devices (400% for 4 CPUs).
    ENDPOINT: (
        MetricSpec("cpu", "/aws/sagemaker/Endpoints", "CPUUtilization", _variants, "Average", "hourly"),
        MetricSpec("gpu", "/aws/sagemaker/Endpoints", "GPUUtilization", _variants, "Average", "hourly"),
        # Invocations per instance in each minute: the busiest minute sizes the count.
        MetricSpec(
            "invocations_per_instance", "AWS/SageMaker", "InvocationsPerInstance", _variants, "Sum", "peak"
        ),
    ),
    # Requests per day; RS007 reads the last 7 days. Network and gateway load balancers
    # have no request count: their entry is an Unknown that says so.
    LOAD_BALANCER: (
        MetricSpec("requests", "AWS/ApplicationELB", "RequestCount", _elbv2, "Sum", "daily", lookback_days=7),
    ),
    CLASSIC_LOAD_BALANCER: (
        MetricSpec("requests", "AWS/ELB", "RequestCount", _classic, "Sum", "daily", lookback_days=7),
    ),
}

# --- needs and declarations -----------------------------------------------------------


def wants_metrics(needs: Mapping[str, frozenset[str]]) -> bool:
    return any(METRICS_FACET in facets and rtype in METRICS for rtype, facets in needs.items())


def metric_facets(resource_type: str) -> frozenset[str]:
    """The facets this module adds to a type the collectors list."""
    return frozenset({METRICS_FACET}) if resource_type in METRICS else frozenset()


def operations(needs: Mapping[str, frozenset[str]]) -> list[Operation]:
    return [GET_METRIC_DATA] if wants_metrics(needs) else []


def with_prerequisites(needs: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """The needs, plus the facets the metrics of a wanted type depend on."""
    out = dict(needs)
    for rtype, facets in needs.items():
        if METRICS_FACET in facets and rtype in PREREQUISITES:
            out[rtype] = facets | PREREQUISITES[rtype]
    return out


# --- queries --------------------------------------------------------------------------

QUERY_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


def query_id(index: int) -> str:
    """A GetMetricData query id: a lowercase letter first, then [a-zA-Z0-9_]."""
    return f"m{index}"


def chunked(items: list[Any], size: int = MAX_QUERIES_PER_CALL) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def effective_period(period: int, lookback_days: int) -> int:
    """The spec's period, widened when the look-back reaches past its retention: from a
    start further back, CloudWatch returns nothing unless the period is a multiple of the
    resolution still kept (MetricStat.Period)."""
    unit = next((seconds for seconds, days in RETENTION_DAYS if lookback_days <= days), RETENTION_DAYS[-1][0])
    return math.ceil(period / unit) * unit


@dataclass(eq=False)
class Series:
    """One summarised series: a resource's spec, per variant where the spec has keys."""

    resource: Resource
    spec: MetricSpec
    key: str | None  # the variant name, or None for the resource's single series
    period: int
    points: dict[str, list[tuple[dt.datetime, float]]] = field(default_factory=dict)
    unknown: Unknown | None = None

    def fail(self, unknown: Unknown) -> None:
        """Mark the series unknown; the first reason stays (an Unknown has no truth value)."""
        if self.unknown is None:
            self.unknown = unknown

    def describe(self, metric: str) -> str:
        where = f" variant {self.key}" if self.key is not None else ""
        return f"{self.spec.namespace} {metric} of {self.resource.name}{where}"


@dataclass(frozen=True, eq=False)
class Query:
    series: Series
    metric: str
    dimensions: Dimensions

    def body(self, qid: str) -> dict[str, Any]:
        return {
            "Id": qid,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.series.spec.namespace,
                    "MetricName": self.metric,
                    "Dimensions": self.dimensions,
                },
                "Period": self.series.period,
                "Stat": self.series.spec.stat,
            },
            "ReturnData": True,
        }


def period_of(spec: MetricSpec, window: MetricWindow) -> int:
    """The period a spec is asked for in this window, widened to what CloudWatch keeps."""
    base = {"hourly": window.period_seconds, "peak": window.peak_period_seconds, "daily": 86400}
    return effective_period(base[spec.resolution], window.lookback_days)


def plan(resources: Iterable[Resource], window: MetricWindow) -> tuple[list[Series], list[Query]]:
    """Every series the resources need and one query per metric of each. A resource
    whose series cannot be asked for gets its Unknown stored here, without a query."""
    series: list[Series] = []
    queries: list[Query] = []
    for resource in resources:
        for spec in METRICS.get(resource.type, ()):
            skip = spec.applies(resource) if spec.applies else None
            dims = Unknown(skip) if skip else spec.dimensions(resource)
            if isinstance(dims, Unknown):
                store(resource, spec, None, dims)
                continue
            keyed: Mapping[str | None, Dimensions] = dims if isinstance(dims, dict) else {None: dims}
            if not keyed:  # an endpoint with no variant in service
                resource.observed.setdefault("Metrics", {})[spec.name] = {}
            for key, dimensions in keyed.items():
                one = Series(resource, spec, key, period_of(spec, window))
                series.append(one)
                queries.extend(Query(one, metric, dimensions) for metric in spec.metrics)
    return series, queries


def store(resource: Resource, spec: MetricSpec, key: str | None, value: MetricSummary | Unknown) -> None:
    metrics = resource.observed.setdefault("Metrics", {})
    if key is None:
        metrics[spec.name] = value
    else:
        metrics.setdefault(spec.name, {})[key] = value


# --- the phase ------------------------------------------------------------------------


def metric_tasks(
    ctx: CollectContext, resources: Iterable[Resource], window: MetricWindow = DEFAULT_WINDOW
) -> list[Task]:
    """One task per region over every resource whose type's metrics a selected rule needs."""
    window = window.at(window.bounds()[1])  # one window for every region
    by_region: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        if resource.type not in METRICS or not ctx.wants(resource.type, METRICS_FACET):
            continue
        if resource.region:
            by_region[resource.region].append(resource)
        else:
            for spec in METRICS[resource.type]:
                store(resource, spec, None, Unknown("the resource's region is not known"))
    return [
        Task(f"cloudwatch:GetMetricData in {region}", partial(collect_region, ctx, region, found, window))
        for region, found in sorted(by_region.items())
    ]


def collect_region(
    ctx: CollectContext, region: str, resources: list[Resource], window: MetricWindow = DEFAULT_WINDOW
) -> None:
    """Fetch and summarise every series of these resources (all in `region`)."""
    series, queries = plan(resources, window)
    try:
        _fetch_all(ctx, region, queries, window)
    except Exception as exc:  # a bug of ours: every series not yet summarised is unknown
        unknown = ctx.error(ctx.internal(f"cloudwatch:GetMetricData in {region}", exc, region))
        for one in series:
            one.fail(unknown)
    _, end = window.bounds()
    for one in series:
        store(one.resource, one.spec, one.key, _result(one, end, window.lookback_days))


def _fetch_all(ctx: CollectContext, region: str, queries: list[Query], window: MetricWindow) -> None:
    start, end = window.bounds()
    denied: Unknown | None = None
    for chunk in chunked(queries):
        if denied is not None:  # the same caller is denied the same call: not asked again
            for query in chunk:
                query.series.fail(denied)
            continue
        try:
            _fetch_chunk(ctx, region, chunk, start, end)
        except ApiFailure as failure:  # one scan error per failed call, an Unknown per series
            unknown = ctx.error(failure)
            for query in chunk:
                query.series.fail(unknown)
            if failure.code in ACCESS_DENIED:
                denied = unknown


def _endless(ctx: CollectContext, region: str, why: str) -> ApiFailure:
    """A GetMetricData pagination that would never end, as the failed call it is."""
    exc = pagination.EndlessPagination(f"pagination {why}; the series of this call are unknown")
    return to_scan_error(
        exc, service="cloudwatch", operation="GetMetricData", region=region, account_id=ctx.account_id
    )


def _fetch_chunk(
    ctx: CollectContext, region: str, chunk: list[Query], start: dt.datetime, end: dt.datetime
) -> None:
    by_id = {query_id(i): q for i, q in enumerate(chunk)}
    params: dict[str, Any] = {
        "MetricDataQueries": [q.body(qid) for qid, q in by_id.items()],
        "StartTime": start,
        "EndTime": end,
        "ScanBy": "TimestampAscending",
    }
    got: dict[str, list[tuple[dt.datetime, float]]] = defaultdict(list)
    status: dict[str, str] = {}
    trouble: dict[str, str] = {}  # id -> why CloudWatch could not answer it
    seen: set[str] = set()
    pages = 0
    while True:
        pages += 1
        if pages > pagination.MAX_PAGES:
            raise _endless(ctx, region, f"did not end after {pagination.MAX_PAGES:,} pages")
        page = ctx.call(
            "cloudwatch", region, "GetMetricData", subject=f"{len(chunk)} metric series", **params
        )
        for result in page.get("MetricDataResults") or []:
            qid = result.get("Id")
            if qid not in by_id:
                continue
            times, values = result.get("Timestamps") or [], result.get("Values") or []
            code = result.get("StatusCode") or "Complete"
            if len(times) != len(values):
                code = "a different number of timestamps and values"
            else:
                got[qid].extend((_utc(t), float(v)) for t, v in zip(times, values, strict=True))
            status[qid] = code
            if code not in ("Complete", "PartialData") and qid not in trouble:
                notes = "; ".join(
                    f"{m.get('Code')}: {m.get('Value')}" for m in result.get("Messages") or [] if m
                )
                trouble[qid] = code + (f" ({notes})" if notes else "")
        token = page.get("NextToken")
        if not token:
            break
        if token in seen:  # a service that hands the same page again would loop forever
            raise _endless(ctx, region, "returned the same NextToken twice")
        seen.add(token)
        params["NextToken"] = token
    for qid, query in by_id.items():
        one = query.series
        if qid in trouble:
            why = f"CloudWatch answered {trouble[qid]} for {one.describe(query.metric)}"
        elif status.get(qid) == "PartialData":
            why = f"CloudWatch returned partial data for {one.describe(query.metric)}"
        else:
            one.points[query.metric] = got.get(qid, [])
            continue
        one.fail(Unknown(why))


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _result(one: Series, end: dt.datetime, lookback_days: int) -> MetricSummary | Unknown:
    if one.unknown is not None:
        return one.unknown
    missing = [m for m in one.spec.metrics if m not in one.points]
    if missing:  # not answered at all: never summarise a part as the whole
        return Unknown(f"CloudWatch did not answer for {one.describe(missing[0])}")
    days = min(lookback_days, one.spec.lookback_days or lookback_days)
    since = end - dt.timedelta(days=days)
    totals: dict[dt.datetime, float] = defaultdict(float)
    for metric in one.spec.metrics:  # several metrics: added per timestamp
        for t, v in one.points[metric]:
            if t >= since:
                totals[t] += v
    transform = one.spec.unit_transform
    points = [(t, transform(v, one.period) if transform else v) for t, v in totals.items()]
    return summarise(points, one.period, days)
