"""RS001, RS002, RS003, RS004 and RS007 on live resources whose metric summaries are given
(the metrics phase itself is tested in tests/sources/aws/test_metrics.py): fail, pass and
unknown, the recommendation and its projected peak, a busy hour once a week, the smallest
size; RS002's instance count against the capacity a parameter or a scaling policy gives."""

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
    SCALABLE_TARGET,
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


# -- RS002's instance count: the busiest minute's invocations against one instance's capacity --


def per_minute(peak: float, days: int = 14):
    """InvocationsPerInstance summed per minute: one busy minute a day at `peak`, the others
    at a tenth of it (sparse: a minute an hour is enough for the summary)."""
    points = []
    for hour in range(days * 24):
        value = peak if hour % 24 == 13 else peak / 10
        points.append((START + dt.timedelta(hours=hour), value))
    return summarise(points, 60, 14)


def serving(
    name: str, instances: int, invocations, cpu: float = 300.0, kind: str = "ml.m5.xlarge"
) -> Resource:
    """A one-variant endpoint (variant v): CPU summed over 4 vCPUs (300%: busy), and its
    InvocationsPerInstance series."""
    v = [{"VariantName": "v", "DesiredInstanceCount": instances, "CurrentInstanceCount": instances}]
    metrics = {"cpu": {"v": hourly(cpu)}, "invocations_per_instance": {"v": invocations}}
    return endpoint(name, v, {"v": kind}, metrics)


def scaling(
    endpoint_name: str,
    minimum: int,
    policies,
    region: str = "us-east-1",
    dimension: str = "DesiredInstanceCount",
) -> Resource:
    resource_id = f"endpoint/{endpoint_name}/variant/v"
    target = Resource(
        type=SCALABLE_TARGET,
        id=f"arn:aws:application-autoscaling:{region}:{ACCOUNT}:scalable-target/{endpoint_name}",
        name=resource_id,
        properties={
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": f"sagemaker:variant:{dimension}",
            "MinCapacity": minimum,
            "MaxCapacity": 8,
        },
        origin=Origin(source="aws", api="test"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region=region,
    )
    target.observed["ScalingPolicies"] = policies
    return target


def tracking(name: str, target: float, metric: str = "SageMakerVariantInvocationsPerInstance") -> dict:
    return {
        "PolicyName": name,
        "PolicyType": "TargetTrackingScaling",
        "PredefinedMetricType": metric,
        "TargetValue": target,
    }


def run_with(params: dict, *resources: Resource) -> dict[str, tuple[str, str, dict]]:
    inventory = Inventory(scopes=[SCOPE], resources=list(resources))
    found, errors = engine.evaluate(rules("RS002"), inventory, params={"RS002": params})
    assert errors == []
    return {r.resource.name: (r.status.value, r.message, r.evidence) for r in found}


def test_rs002_count_with_the_capacity_parameter():
    got = run_with(
        {"invocations_per_instance_capacity": 600},
        # 4 x 150 = 600 a minute: one instance would take it, two stay for availability.
        serving("spare", 4, per_minute(150.0)),
        serving("full", 3, per_minute(500.0)),  # 1,500 a minute needs 3 at 600
        serving("quiet-days", 3, summarise([], 60, 14)),
        serving("both", 4, per_minute(100.0), cpu=40.0),  # CPU 10% per vCPU too
        serving("single", 1, per_minute(10.0)),
    )
    assert {k: v[0] for k, v in got.items()} == {
        "spare": "fail",
        "full": "pass",
        "quiet-days": "pass",  # CPU decides; the count is not judged
        "both": "fail",
        "single": "pass",
    }
    _, message, evidence = got["spare"]
    assert evidence["recommendation"] == {"InstanceCount": 2, "projected_invocations_per_instance": 300.0}
    assert evidence["count_recommendation"] == evidence["recommendation"]
    assert evidence["capacity_per_instance"] == {"value": 600.0, "source": "parameter"}
    assert evidence["peak_invocations_per_minute"] == 600.0 and evidence["needed_instances"] == 2
    assert evidence["invocations_per_instance"]["maximum"] == 150.0
    assert "4 instances where 2 would do" in message and "two kept for availability" in message
    assert "MinCapacity" not in message  # no scalable target
    assert "75% each" in message  # the CPU clause passed and is said too
    assert evidence["count"].startswith("fails: runs 4 instances where 2 would do")
    _, message, evidence = got["full"]
    assert "its 3 instance(s) are needed" in message
    assert evidence["count"].startswith("passes: ")
    _, message, evidence = got["quiet-days"]
    assert "its instance count is not judged: its InvocationsPerInstance is not known" in message
    assert "no datapoints in the last 14 days" in evidence["count"]
    assert evidence["count"].startswith("not judged: ")
    _, message, evidence = got["both"]
    assert "ml.m5.large should do" in message and "4 instances where 2 would do" in message
    assert evidence["recommendation"]["InstanceType"] == "ml.m5.large"  # the type first
    assert evidence["count_recommendation"]["InstanceCount"] == 2


def test_rs002_count_from_a_target_tracking_policy():
    got = run(
        "RS002",
        # 4 x 300 = 1,200 a minute at 700 per instance: 2 would do; autoscaling holds 4.
        serving("tracked", 4, per_minute(300.0)),
        scaling("tracked", 4, [tracking("steady", 1000.0), tracking("ipi-target", 700.0)]),
        serving("busy", 3, per_minute(650.0)),  # 1,950 a minute needs 3 at 700
        scaling("busy", 2, [tracking("ipi-target", 700.0)]),
        serving("stepped", 4, per_minute(10.0)),  # a step policy only: no capacity known
        scaling("stepped", 4, [{"PolicyName": "s", "PolicyType": "StepScaling"}]),
        serving("untargeted", 4, per_minute(10.0), cpu=40.0),  # CPU decides: fail
        serving("denied", 4, per_minute(10.0)),
        scaling("denied", 4, Unknown("application-autoscaling:DescribeScalingPolicies: AccessDenied")),
        serving("elsewhere", 4, per_minute(10.0)),  # its namesake's policy is in another region
        scaling("elsewhere", 4, [tracking("ipi", 700.0)], region="eu-west-1"),
        serving("concurrency", 4, per_minute(10.0)),  # a target of another dimension
        scaling("concurrency", 4, [tracking("ipi", 700.0)], dimension="DesiredProvisionedConcurrency"),
    )
    rs002 = {k: v for k, v in got.items() if not k.startswith("endpoint/")}
    assert {k: v[0] for k, v in rs002.items()} == {
        "tracked": "fail",
        "busy": "pass",
        "stepped": "pass",
        "untargeted": "fail",
        "denied": "pass",
        "elsewhere": "pass",
        "concurrency": "pass",
    }
    _, message, evidence = got["tracked"]
    assert evidence["capacity_per_instance"] == {"value": 700.0, "source": "ipi-target"}  # the lowest target
    assert evidence["recommendation"] == {"InstanceCount": 2, "projected_invocations_per_instance": 600.0}
    assert "from policy ipi-target" in message
    assert "lower its scalable target's MinCapacity from 4 to 2" in message
    assert got["busy"][2]["needed_instances"] == 3
    not_judged = "not judged: no capacity per instance is known (set invocations_per_instance_capacity"
    assert got["stepped"][2]["count"].startswith(not_judged)
    assert got["elsewhere"][2]["count"].startswith(not_judged)
    assert got["concurrency"][2]["count"].startswith(not_judged)
    _, message, evidence = got["untargeted"]
    assert evidence["recommendation"]["InstanceType"] == "ml.m5.large"
    assert evidence["count"].startswith(not_judged)
    assert "AccessDenied" in got["denied"][2]["count"] and "AccessDenied" in got["denied"][1]
    # The parameter wins over a policy.
    again = run_with(
        {"invocations_per_instance_capacity": 2000},
        serving("tracked", 4, per_minute(300.0)),
        scaling("tracked", 4, [tracking("ipi-target", 700.0)]),
    )
    assert again["tracked"][2]["capacity_per_instance"]["source"] == "parameter"
    assert again["tracked"][2]["recommendation"]["InstanceCount"] == 2


def test_rs002_count_never_goes_below_two_where_two_or_more_run():
    got = run_with(
        {"invocations_per_instance_capacity": 10_000},
        serving("pair", 2, per_minute(5.0)),  # 10 a minute: one would do, two stay
        serving("trio", 3, per_minute(5.0)),
        serving("solo", 1, per_minute(5.0)),
    )
    assert {k: v[0] for k, v in got.items()} == {"pair": "pass", "trio": "fail", "solo": "pass"}
    assert "two kept for availability" in got["pair"][1]
    assert got["trio"][2]["recommendation"]["InstanceCount"] == 2


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
