"""RS001, RS003 and RS004 on live resources whose metric summaries are given (the metrics
phase itself is tested in tests/sources/aws/test_metrics.py): fail, pass and unknown, the
recommendation and its projected peak, a busy hour once a week, the smallest size."""

from __future__ import annotations

import datetime as dt

from scanner import engine
from scanner.inventory import Inventory
from scanner.lib.metrics import summarise
from scanner.model import (
    DB_INSTANCE,
    ENDPOINT,
    INSTANCE,
    LOAD_BALANCER,
    VOLUME,
    Origin,
    Resource,
    Scope,
    Unknown,
)
from testkit import rules

ACCOUNT = "123456789012"
SCOPE = Scope(kind="aws-account", id=ACCOUNT, account_id=ACCOUNT, regions=("us-east-1",))
START = dt.datetime(2026, 11, 14, tzinfo=dt.UTC)


def hourly(values: list[float] | float, days: int = 14, spikes: dict[int, float] | None = None):
    """A 14-day hourly series: a constant (or a repeating list), with spikes by hour index."""
    pattern = values if isinstance(values, list) else [values]
    points = []
    for hour in range(days * 24):
        value = (spikes or {}).get(hour, pattern[hour % len(pattern)])
        points.append((START + dt.timedelta(hours=hour), value))
    return summarise(points, 3600, 14)


def resource(
    rtype: str, name: str, props: dict, metrics: dict | None = None, state: str | None = None
) -> Resource:
    r = Resource(
        type=rtype,
        id=f"arn:aws:ec2:us-east-1:{ACCOUNT}:{name}",
        name=name,
        properties=props,
        origin=Origin(source="aws", api="test"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region="us-east-1",
    )
    if metrics is not None:
        r.observed["Metrics"] = metrics
    if state:
        r.observed["State"] = state
    return r


def run(rule_id: str, *resources: Resource) -> dict[str, tuple[str, str, dict]]:
    inventory = Inventory(scopes=[SCOPE], resources=list(resources))
    found, errors = engine.evaluate(rules(rule_id), inventory)
    assert errors == []
    return {r.resource.name: (r.status.value, r.message, r.evidence) for r in found}


def test_rs001_idle_busy_weekly_peak_smallest_and_unknown():
    weekly = {24 * 7 * w + 14: 92.0 for w in range(2)}  # one busy hour a week
    got = run(
        "RS001",
        resource(INSTANCE, "idle", {"InstanceType": "m5.2xlarge"}, {"cpu": hourly(12.0)}, "running"),
        resource(INSTANCE, "busy", {"InstanceType": "m5.2xlarge"}, {"cpu": hourly([20.0, 75.0])}, "running"),
        resource(
            INSTANCE, "weekly", {"InstanceType": "m5.2xlarge"}, {"cpu": hourly(4.0, spikes=weekly)}, "running"
        ),
        resource(INSTANCE, "tiny", {"InstanceType": "t3.nano"}, {"cpu": hourly(3.0)}, "running"),
        resource(
            INSTANCE, "silent", {"InstanceType": "m5.large"}, {"cpu": summarise([], 3600, 14)}, "running"
        ),
        resource(INSTANCE, "new", {"InstanceType": "m5.large"}, {"cpu": hourly(5.0, days=3)}, "running"),
        resource(
            INSTANCE, "denied", {"InstanceType": "m5.large"}, {"cpu": Unknown("AccessDenied")}, "running"
        ),
        resource(INSTANCE, "stopped", {"InstanceType": "m5.large"}, {"cpu": hourly(0.0)}, "stopped"),
    )
    assert {k: v[0] for k, v in got.items()} == {
        "idle": "fail",
        "busy": "pass",
        "weekly": "pass",  # the maximum, not the mean: a weekly peak is work
        "tiny": "fail",
        "silent": "unknown",
        "new": "unknown",
        "denied": "unknown",
    }
    _, message, evidence = got["idle"]
    assert evidence["recommendation"] == {"InstanceType": "m5.xlarge", "projected_peak": 24.0}
    assert "m5.xlarge should do, where it would peak near 24%" in message
    assert evidence["cpu"]["maximum"] == 12.0 and evidence["cpu"]["threshold"] == 40.0
    assert "no smaller size is recommended" in got["tiny"][1] and got["tiny"][2]["recommendation"] is None
    assert "no datapoints in the last 14 days" in got["silent"][1]
    assert "only 3 day(s) of data" in got["new"][1]


def test_rs003_database_cpu():
    got = run(
        "RS003",
        resource(
            DB_INSTANCE,
            "idle-db",
            {"DBInstanceClass": "db.r6g.xlarge", "Engine": "postgres"},
            {"cpu": hourly(8.0)},
        ),
        resource(
            DB_INSTANCE,
            "busy-db",
            {"DBInstanceClass": "db.r6g.large", "Engine": "postgres"},
            {"cpu": hourly(55.0)},
        ),
        resource(DB_INSTANCE, "quiet-db", {"DBInstanceClass": "db.r6g.large", "Engine": "postgres"}, {}),
        resource(
            DB_INSTANCE,
            "graph",
            {"DBInstanceClass": "db.r6g.large", "Engine": "neptune"},
            {"cpu": hourly(1.0)},
        ),
    )
    assert {k: v[0] for k, v in got.items()} == {"idle-db": "fail", "busy-db": "pass", "quiet-db": "unknown"}
    assert "peaked at 8%" in got["idle-db"][1]


def test_rs004_provisioned_iops():
    def per_second(peak: float):
        points = [(START + dt.timedelta(minutes=m), 50.0) for m in range(0, 14 * 24 * 60, 30)]
        points.append((START + dt.timedelta(days=3), peak))
        return summarise(points, 60, 14)

    got = run(
        "RS004",
        resource(VOLUME, "io1-idle", {"VolumeType": "io1", "Iops": 10000}, {"iops": per_second(1200.0)}),
        resource(VOLUME, "io2-busy", {"VolumeType": "io2", "Iops": 10000}, {"iops": per_second(9000.0)}),
        resource(VOLUME, "gp3-base", {"VolumeType": "gp3", "Iops": 3000}, {}),
        resource(VOLUME, "gp3-extra", {"VolumeType": "gp3", "Iops": 12000}, {"iops": per_second(5000.0)}),
        resource(VOLUME, "gp2", {"VolumeType": "gp2", "Iops": 300}, {}),
        resource(VOLUME, "io1-dark", {"VolumeType": "io1", "Iops": 5000}, {"iops": Unknown("AccessDenied")}),
    )
    assert {k: v[0] for k, v in got.items()} == {
        "io1-idle": "fail",
        "io2-busy": "pass",
        "gp3-extra": "fail",
        "io1-dark": "unknown",
    }
    assert got["io1-idle"][2]["recommendation"] == {
        "VolumeType": "gp3",
        "Iops": 3000,
        "projected_peak_percent": 40.0,
    }
    assert got["gp3-extra"][2]["recommendation"]["Iops"] == 6250  # 5,000 + 25% headroom


def endpoint(name: str, variants: list[dict], types: dict, metrics: dict | None) -> Resource:
    r = resource(ENDPOINT, name, {"EndpointName": name}, metrics)
    r.observed["ProductionVariants"] = variants
    r.observed["VariantInstanceTypes"] = types
    return r


def test_rs002_normalises_summed_utilisation_by_device_count():
    v = [{"VariantName": "AllTraffic", "DesiredInstanceCount": 2, "CurrentInstanceCount": 2}]
    got = run(
        "RS002",
        # 60% summed over 4 GPUs is 15% per GPU: oversized.
        endpoint("gpu", v, {"AllTraffic": "ml.g5.12xlarge"}, {"gpu": {"AllTraffic": hourly(60.0)}}),
        # 300% summed over 4 vCPUs is 75% each: busy.
        endpoint("cpu", v, {"AllTraffic": "ml.m5.xlarge"}, {"cpu": {"AllTraffic": hourly(300.0)}}),
        endpoint("dark", v, {"AllTraffic": "ml.m5.xlarge"}, {"cpu": {"AllTraffic": summarise([], 3600, 14)}}),
        endpoint("untyped", v, {}, {"cpu": {"AllTraffic": hourly(10.0)}}),
        endpoint(
            "many",
            [{"VariantName": "v", "DesiredInstanceCount": 4}],
            {"v": "ml.t2.medium"},
            {"cpu": {"v": hourly(40.0)}},  # 20% of 2 vCPUs on the smallest size, four instances
        ),
        endpoint(
            "serverless",
            [{"VariantName": "s", "CurrentServerlessConfig": {"MemorySizeInMB": 2048}}],
            {},
            {},
        ),
    )
    assert {k: v[0] for k, v in got.items()} == {
        "gpu": "fail",
        "cpu": "pass",
        "dark": "unknown",
        "untyped": "unknown",
        "many": "fail",
    }
    _, message, evidence = got["gpu"]
    assert evidence["peak_per_device"] == 15.0 and evidence["devices"] == 4
    assert "60% summed over 4 GPUs, 15% each" in message
    assert evidence["recommendation"]["InstanceType"] == "ml.g5.8xlarge"
    assert got["many"][2]["recommendation"] == {"InstanceCount": 3, "projected_peak": 26.7}


def daily(values: list[float]):
    return summarise([(START + dt.timedelta(days=d), v) for d, v in enumerate(values)], 86400, 7)


def test_rs007_idle_load_balancers():
    def lb(name: str, kind: str, targets, requests) -> Resource:
        r = resource(
            LOAD_BALANCER, name, {"Type": kind}, {"requests": requests} if requests is not None else {}
        )
        if targets is not None:
            r.observed["Targets"] = targets
        return r

    healthy = {"registered": 2, "healthy": 2}
    got = run(
        "RS007",
        lb("empty", "application", {"registered": 0, "healthy": 0}, daily([5000.0] * 7)),
        lb("sick", "application", {"registered": 3, "healthy": 0}, daily([5000.0] * 7)),
        lb("quiet", "application", healthy, daily([20.0, 40.0, 99.0, 10.0, 0.0, 5.0, 80.0])),
        lb("busy", "application", healthy, daily([20.0, 4000.0, 99.0, 10.0, 0.0, 5.0, 80.0])),
        lb("tcp", "network", healthy, Unknown("network load balancers publish no RequestCount")),
        lb("dark", "application", Unknown("AccessDenied"), daily([])),
    )
    assert {k: v[0] for k, v in got.items()} == {
        "empty": "fail",
        "sick": "fail",
        "quiet": "fail",
        "busy": "pass",  # one busy day in seven is traffic
        "tcp": "unknown",
        "dark": "unknown",
    }
    assert "at most 99 requests a day" in got["quiet"][1]
    assert "AccessDenied" in got["dark"][1]
