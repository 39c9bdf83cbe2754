"""MON001-MON003 on a live account emulated by moto, scanned through the real collectors in
us-east-1 and eu-west-1. Every rule fails, passes and is unknown on named resources:

| rule   | fail                                        | pass                                   | unknown                                      |
|--------|---------------------------------------------|----------------------------------------|----------------------------------------------|
| MON001 | endpoint `unwatched` (an alarm on another   | `watched` (its own metric), `mathy`    | `insights` (a Metrics Insights query naming  |
|        | endpoint; one on its name in eu-west-1)     | (metric math on its metrics)           | it); every endpoint when DescribeAlarms is   |
|        |                                             |                                        | refused                                      |
| MON002 | `watched`, `mathy`, `unwatched`, `insights` | `scaled` (a target), `managed`         | `refused` (DescribeEndpoint refused); every  |
|        | (no target), `elsewhere` (its target is in  | (managed instance scaling)             | endpoint without managed scaling when        |
|        | eu-west-1)                                  |                                        | DescribeScalableTargets is refused           |
| MON003 | `/app/month` (30 days), `/app/forever`      | `/app/long` (400), `/app/policy` (731  | account/region when DescribeLogGroups is     |
|        | (none)                                      | from an account-level policy)          | refused                                      |

No result: the serverless endpoint `serverless` (MON002) and the Delivery-class log group
`/app/delivery` (MON003). `min_retention_days: 14` in opscheck.yml makes `/app/month` pass.

What moto (5.2) lacks, worked around here (answers rewritten with testkit.add_to_response):
DescribeEndpoint drops ManagedInstanceScaling from the variants (`managed` gets it back);
DescribeLogGroups reports no retentionPolicyName nor logGroupClass.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from scanner import model as m
from scanner.cli import main
from scanner.results import ScanOutcome
from testkit import ACCOUNT, add_to_response, body_contains, endpoint, inject_error, live_scan, results

REGION = "us-east-1"
EU = "eu-west-1"
IDS = ("MON001", "MON002", "MON003")


def arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}"


def group(name: str, region: str = REGION) -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"


def gap(rtype: str) -> str:
    return f"{ACCOUNT}/gap:{rtype}"


def _dims(name: str) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "v"}]


def _alarm(cloudwatch: Any, name: str, **kw: Any) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", **kw
    )


def seed(aws) -> None:
    for name in ("watched", "mathy", "unwatched", "insights", "scaled", "managed", "elsewhere", "refused"):
        endpoint(aws, name)
    sm = aws.client("sagemaker", region_name=REGION)
    sm.create_endpoint_config(
        EndpointConfigName="serverless-config",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "watched-model",
                "ServerlessConfig": {"MaxConcurrency": 5, "MemorySizeInMB": 2048},
            }
        ],
    )
    sm.create_endpoint(EndpointName="serverless", EndpointConfigName="serverless-config")

    # -- alarms
    cw = aws.client("cloudwatch", region_name=REGION)
    _alarm(
        cw,
        "watched-5xx",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=_dims("watched"),
        Statistic="Sum",
        Period=60,
    )

    def query(qid: str, metric: str) -> dict[str, Any]:
        stat = {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": _dims("mathy")}}
        return {"Id": qid, "MetricStat": {**stat, "Period": 60, "Stat": "Sum"}, "ReturnData": False}

    _alarm(
        cw,
        "mathy-error-rate",
        Metrics=[
            {"Id": "rate", "Expression": "errors / invocations", "ReturnData": True},
            query("errors", "Invocation5XXErrors"),
            query("invocations", "Invocations"),
        ],
    )
    _alarm(
        cw,
        "other-latency",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=_dims("other-endpoint"),
        Statistic="Average",
        Period=60,
    )
    _alarm(
        cw,
        "insights-cpu",
        Metrics=[
            {
                "Id": "cpu",
                "Expression": "SELECT AVG(CPUUtilization) FROM \"/aws/sagemaker/Endpoints\" WHERE EndpointName = 'insights'",
                "Period": 60,
                "ReturnData": True,
            }
        ],
    )
    # The name of `unwatched`, but in another region: metrics are regional.
    cw_eu = aws.client("cloudwatch", region_name=EU)
    _alarm(
        cw_eu,
        "unwatched-in-eu",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=_dims("unwatched"),
        Statistic="Average",
        Period=60,
    )

    # -- scalable targets
    for region, name in ((REGION, "scaled"), (EU, "elsewhere")):
        aws.client("application-autoscaling", region_name=region).register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=f"endpoint/{name}/variant/v",
            ScalableDimension="sagemaker:variant:DesiredInstanceCount",
            MinCapacity=1,
            MaxCapacity=4,
        )

    def managed(parsed: dict) -> None:  # moto drops ManagedInstanceScaling
        if parsed.get("EndpointName") == "managed":
            for variant in parsed.get("ProductionVariants", []):
                variant["ManagedInstanceScaling"] = {
                    "Status": "ENABLED",
                    "MinInstanceCount": 1,
                    "MaxInstanceCount": 4,
                }

    add_to_response(aws, "DescribeEndpoint", managed)
    inject_error(aws, "DescribeEndpoint", "AccessDeniedException", match=body_contains('"refused"'))

    # -- log groups
    logs = aws.client("logs", region_name=REGION)
    for name, days in (
        ("/app/month", 30),
        ("/app/long", 400),
        ("/app/forever", None),
        ("/app/policy", None),
        ("/app/delivery", None),
    ):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)

    def as_aws_answers(parsed: dict) -> None:  # moto knows no account policies nor classes
        for item in parsed.get("logGroups", []):
            if item["logGroupName"] == "/app/policy":
                item.update(retentionInDays=731, retentionPolicyName="two-years")
            if item["logGroupName"] == "/app/delivery":
                item.update(logGroupClass="DELIVERY", retentionInDays=1)

    add_to_response(aws, "DescribeLogGroups", as_aws_answers)


@pytest.fixture
def world(aws) -> None:
    seed(aws)


EXPECTED = {
    ("MON001", arn("watched")): "pass",
    ("MON001", arn("mathy")): "pass",
    ("MON001", arn("unwatched")): "fail",
    ("MON001", arn("insights")): "unknown",
    ("MON001", arn("scaled")): "fail",
    ("MON001", arn("managed")): "fail",
    ("MON001", arn("elsewhere")): "fail",
    ("MON001", arn("refused")): "fail",
    ("MON001", arn("serverless")): "fail",
    ("MON002", arn("watched")): "fail",
    ("MON002", arn("mathy")): "fail",
    ("MON002", arn("unwatched")): "fail",
    ("MON002", arn("insights")): "fail",
    ("MON002", arn("scaled")): "pass",
    ("MON002", arn("managed")): "pass",
    ("MON002", arn("elsewhere")): "fail",
    ("MON002", arn("refused")): "unknown",
    ("MON003", group("/app/month")): "fail",
    ("MON003", group("/app/long")): "pass",
    ("MON003", group("/app/forever")): "fail",
    ("MON003", group("/app/policy")): "pass",
}


def verdicts(out: ScanOutcome, *ids: str) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for rule_id in ids:
        for r in results(out, rule_id):
            key = (rule_id, r.resource.id + (f"/{r.discriminator}" if r.discriminator else ""))
            assert key not in got, key
            got[key] = r.status.value
    return got


def one(out: ScanOutcome, rule_id: str, resource_id: str):
    (found,) = [r for r in results(out, rule_id) if r.resource.id == resource_id]
    return found


# -- the matrix --------------------------------------------------------------------------------


def test_the_readable_account_gives_exactly_the_table(aws, world):
    out = live_scan(aws, *IDS)
    assert [e.operation for e in out.errors] == ["DescribeEndpoint"]  # `refused`, and only it
    assert verdicts(out, *IDS) == EXPECTED


def test_every_rule_fails_passes_and_is_unknown_somewhere():
    # MON003's unknown needs a refused listing: test_refused_listings_are_unknown.
    for rule_id in IDS:
        cells = {status for (r, _), status in EXPECTED.items() if r == rule_id}
        if rule_id == "MON003":
            cells.add("unknown")
        assert cells == {"fail", "pass", "unknown"}, rule_id


def test_each_listing_is_one_call_per_region(aws, world):
    out = live_scan(aws, *IDS)
    calls = out.api_calls
    assert calls["cloudwatch:DescribeAlarms"] == calls["logs:DescribeLogGroups"] == 2
    assert calls["application-autoscaling:DescribeScalableTargets"] == 2
    assert calls["sagemaker:DescribeEndpoint"] == 9  # MON002's variants, once per endpoint
    # MON001 and MON003 alone read no endpoint's variants.
    assert "sagemaker:DescribeEndpoint" not in live_scan(aws, "MON001", "MON003").api_calls


# -- MON001 ------------------------------------------------------------------------------------


def test_an_alarm_on_the_endpoint_metric_and_one_through_metric_math(aws, world):
    out = live_scan(aws, "MON001", regions=[REGION])
    watched = one(out, "MON001", arn("watched"))
    assert watched.message == (
        "SageMaker endpoint watched is watched: alarm watched-5xx watches AWS/SageMaker Invocation5XXErrors."
    )
    mathy = one(out, "MON001", arn("mathy"))
    assert mathy.evidence["endpoints"]["mathy"]["watched_by"] == [
        "alarm mathy-error-rate watches query errors: AWS/SageMaker Invocation5XXErrors; "
        "query invocations: AWS/SageMaker Invocations"
    ]


def test_alarms_on_another_endpoint_or_in_another_region_do_not_count(aws, world):
    out = live_scan(aws, "MON001")
    unwatched = one(out, "MON001", arn("unwatched"))
    assert unwatched.status.value == "fail"
    assert unwatched.message == (
        "SageMaker endpoint unwatched: no CloudWatch alarm watches any of its metrics (4 alarms in "
        "us-east-1 checked), so its errors and latency reach no one."
    )
    assert unwatched.evidence["endpoints"]["unwatched"]["alarms_checked"] == 4


def test_a_metrics_insights_query_naming_the_endpoint_is_unknown(aws, world):
    out = live_scan(aws, "MON001", regions=[REGION])
    result = one(out, "MON001", arn("insights"))
    assert result.status.value == "unknown"
    assert "Metrics Insights query" in result.message and "is not evaluated" in result.message


def test_refused_alarms_are_unknown_for_every_endpoint_and_a_scan_error(aws, world):
    inject_error(aws, "DescribeAlarms", "AccessDenied", service_id="cloudwatch")
    out = live_scan(aws, "MON001", regions=[REGION])
    got = verdicts(out, "MON001")
    assert set(got.values()) == {"unknown"}
    assert set(got) == {k for k in EXPECTED if k[0] == "MON001"}
    (error,) = out.errors
    assert (error.kind, error.service, error.operation, error.code, error.region) == (
        "api",
        "cloudwatch",
        "DescribeAlarms",
        "AccessDenied",
        REGION,
    )
    watched = one(out, "MON001", arn("watched"))
    assert "the alarms of us-east-1 could not be listed (AccessDenied)" in watched.message


# -- MON002 ------------------------------------------------------------------------------------


def test_targets_managed_scaling_and_a_serverless_variant(aws, world):
    out = live_scan(aws, "MON002")
    got = {r.resource.id: r for r in results(out, "MON002")}
    assert arn("serverless") not in got  # scales by itself: not judged
    assert got[arn("managed")].evidence == {
        "variants": {"v": "variant v has managed instance scaling enabled"}
    }
    assert got[arn("scaled")].evidence == {
        "variants": {"v": "variant v is scaled by scalable target endpoint/scaled/variant/v"}
    }
    # The target of `elsewhere` is registered in eu-west-1; the endpoint runs in us-east-1.
    assert got[arn("elsewhere")].status.value == "fail"
    assert got[arn("elsewhere")].message == (
        "SageMaker endpoint elsewhere: variant v has no Application Auto Scaling target and no managed "
        "instance scaling, so its instance count stays fixed whatever the traffic."
    )
    assert "AccessDeniedException" in got[arn("refused")].message


def test_refused_scalable_targets_are_unknown_but_managed_scaling_still_passes(aws, world):
    inject_error(aws, "DescribeScalableTargets", "AccessDenied")
    out = live_scan(aws, "MON002", regions=[REGION])
    got = verdicts(out, "MON002")
    assert got[("MON002", arn("managed"))] == "pass"
    assert got[("MON002", arn("scaled"))] == "unknown"
    assert got[("MON002", arn("watched"))] == "unknown"
    assert (
        "the scalable targets of us-east-1 could not be listed (AccessDenied)"
        in one(out, "MON002", arn("watched")).message
    )


# -- MON003 ------------------------------------------------------------------------------------


def test_retention_absent_short_long_from_a_policy_and_the_delivery_class(aws, world):
    out = live_scan(aws, "MON003", regions=[REGION])
    got = {r.resource.id: r for r in results(out, "MON003")}
    assert group("/app/delivery") not in got
    assert got[group("/app/month")].message == (
        "Log group /app/month keeps events for 30 days, less than the minimum of 365 days."
    )
    assert got[group("/app/forever")].evidence == {"RetentionInDays": None, "min_retention_days": 365}
    policy = got[group("/app/policy")]
    assert policy.evidence["RetentionPolicyName"] == "two-years"
    assert "(account-level retention policy two-years)" in policy.message


REFUSED = [
    ("MON001", m.ALARM, "cloudwatch", "DescribeAlarms"),
    ("MON003", m.LOG_GROUP, "cloudwatch-logs", "DescribeLogGroups"),
    ("MON001", m.ENDPOINT, "sagemaker", "ListEndpoints"),
    ("MON002", m.ENDPOINT, "sagemaker", "ListEndpoints"),
]


@pytest.mark.parametrize(
    ("rule_id", "rtype", "service_id", "operation"), REFUSED, ids=[f"{x[0]}-{x[3]}" for x in REFUSED]
)
def test_refused_listings_are_unknown(aws, world, rule_id, rtype, service_id, operation):
    inject_error(aws, operation, "AccessDenied", service_id=service_id)
    out = live_scan(aws, rule_id, regions=[REGION])
    assert {e.operation for e in out.errors} >= {operation}
    got = verdicts(out, rule_id)
    if rtype == m.ALARM:  # no account-level result: every endpoint of the region is unknown
        assert set(got.values()) == {"unknown"} and len(got) == 9
        return
    assert got == {(rule_id, gap(rtype)): "unknown"}
    (result,) = results(out, rule_id)
    assert (result.resource.type, result.resource.region) == (m.ACCOUNT, REGION)
    assert "AccessDenied" in result.message


def test_min_retention_days_from_opscheck_yml_changes_the_verdict(aws, world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def month(config: str) -> dict:
        (tmp_path / "opscheck.yml").write_text(config)
        out = io.StringIO()
        code = main(["scan", "--aws", "--region", REGION, "--rules", "MON003", "--format", "json"], out=out)
        assert code in (0, 1)
        doc = json.loads(out.getvalue())
        (found,) = [r for r in doc["results"] if r["resource"]["id"] == group("/app/month")]
        return found

    assert month("")["status"] == "fail"
    relaxed = month("params:\n  MON003: {min_retention_days: 14}\n")
    assert relaxed["status"] == "pass"
    assert relaxed["evidence"] == {"RetentionInDays": 30, "min_retention_days": 14}
    assert relaxed["message"] == "Log group /app/month keeps events for 30 days (minimum 14)."
