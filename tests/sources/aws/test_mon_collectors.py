"""The monitoring collectors: CloudWatch metric alarms and CloudWatch Logs log groups, one
paginated listing per region each, in the canonical model; a log group an EventBridge target
names and the listing of every log group join into one resource, each read made once."""

from __future__ import annotations

import pytest
from eventbridge_world import LOG_GROUP, LOG_GROUP_ARN, REGION, seed

from scanner import model as m
from scanner.model import Unknown
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import LiveCollection, collect_account
from testkit import ACCOUNT, body_contains, inject_error, inject_response

ALARMS = {m.ALARM: frozenset()}
LISTING = {m.LOG_GROUP: frozenset({"listing"})}


def collect(aws, needs, regions=(REGION,)) -> LiveCollection:
    return collect_account(AwsOptions(session=aws, regions=list(regions)), needs)


def group_arn(name: str, region: str = REGION) -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"


def alarm_arn(name: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"


def _metric_alarm(name: str, **extra) -> dict:
    return {
        "AlarmName": name,
        "AlarmArn": alarm_arn(name),
        "StateValue": "OK",
        "ActionsEnabled": True,
        **extra,
    }


# -- alarms ------------------------------------------------------------------------------------


def test_alarms_are_listed_page_by_page_and_composite_alarms_are_left_out(aws):
    dims = [{"Name": "EndpointName", "Value": "scorer"}, {"Name": "VariantName", "Value": "v"}]
    first = _metric_alarm(
        "scorer-latency", Namespace="AWS/SageMaker", MetricName="ModelLatency", Dimensions=dims, Threshold=1.0
    )
    query = {
        "Id": "errors",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/SageMaker", "MetricName": "Invocation5XXErrors", "Dimensions": dims},
            "Period": 60,
            "Stat": "Sum",
        },
        "ReturnData": False,
    }
    second = _metric_alarm(
        "scorer-error-rate",
        Metrics=[{"Id": "rate", "Expression": "errors / 100", "ReturnData": True}, query],
        ActionsEnabled=False,
    )
    composite = {"AlarmName": "scorer-any", "AlarmArn": alarm_arn("scorer-any"), "AlarmRule": 'ALARM("x")'}
    inject_response(
        aws,
        "DescribeAlarms",
        {"MetricAlarms": [first], "CompositeAlarms": [composite], "NextToken": "page-2"},
        match=lambda params: b"page-2" not in (params.get("body") or b""),
        service_id="cloudwatch",
    )
    inject_response(
        aws,
        "DescribeAlarms",
        {"MetricAlarms": [second]},
        match=body_contains("page-2"),
        service_id="cloudwatch",
    )
    got = collect(aws, ALARMS)
    assert got.errors == []
    assert got.api_calls["cloudwatch:DescribeAlarms"] == 2
    alarms = {a.name: a for a in got.inventory.of_type(m.ALARM)}
    assert set(alarms) == {"scorer-latency", "scorer-error-rate"}  # no composite alarm
    latency = alarms["scorer-latency"]
    assert latency.id == alarm_arn("scorer-latency") and latency.region == REGION
    assert latency.properties == {
        "AlarmName": "scorer-latency",
        "Namespace": "AWS/SageMaker",
        "MetricName": "ModelLatency",
        "Dimensions": dims,
        "ActionsEnabled": True,
    }
    assert latency.observed == {"StateValue": "OK"}
    rate = alarms["scorer-error-rate"]
    assert rate.properties["Metrics"][1]["MetricStat"]["Metric"]["Dimensions"] == dims
    assert rate.properties["ActionsEnabled"] is False


def test_only_metric_alarms_are_asked_for(aws):
    seen: list[bytes] = []

    def record(params, **_):
        seen.append(params.get("body") or b"")

    aws.events.register("before-call.cloudwatch.DescribeAlarms", record)
    collect(aws, ALARMS)
    (body,) = seen
    assert b"AlarmTypes" in body and b"MetricAlarm" in body and b"CompositeAlarm" not in body


def test_alarms_of_every_region_are_listed_from_moto(aws):
    for region in (REGION, "eu-west-1"):
        aws.client("cloudwatch", region_name=region).put_metric_alarm(
            AlarmName=f"q-{region}",
            Namespace="AWS/SQS",
            MetricName="ApproximateNumberOfMessagesVisible",
            Dimensions=[{"Name": "QueueName", "Value": "q"}],
            Statistic="Maximum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    got = collect(aws, ALARMS, regions=(REGION, "eu-west-1"))
    assert {(a.name, a.region) for a in got.inventory.of_type(m.ALARM)} == {
        (f"q-{REGION}", REGION),
        ("q-eu-west-1", "eu-west-1"),
    }
    assert got.api_calls == {"sts:GetCallerIdentity": 1, "cloudwatch:DescribeAlarms": 2}


def test_refused_alarms_are_a_gap_and_one_scan_error(aws):
    inject_error(aws, "DescribeAlarms", "AccessDenied", service_id="cloudwatch")
    got = collect(aws, ALARMS)
    (gap,) = got.inventory.gaps
    assert (gap.resource_type, gap.region, gap.error.code) == (m.ALARM, REGION, "AccessDenied")
    assert [e.operation for e in got.errors] == ["DescribeAlarms"]


# -- log groups ----------------------------------------------------------------------------------


def test_log_groups_are_listed_page_by_page_with_their_retention(aws):
    page_1 = [
        {"logGroupName": "/app/forever", "creationTime": 1_700_000_000_000, "storedBytes": 10},
        {"logGroupName": "/app/month", "retentionInDays": 30, "logGroupClass": "STANDARD"},
    ]
    page_2 = [
        {
            "logGroupName": "/app/policy",
            "retentionInDays": 731,
            "retentionPolicyName": "two-years",
            "logGroupArn": group_arn("/app/policy"),
            "arn": group_arn("/app/policy") + ":*",
        }
    ]
    inject_response(
        aws,
        "DescribeLogGroups",
        {"logGroups": page_1, "nextToken": "page-2"},
        match=lambda params: b"page-2" not in (params.get("body") or b""),
    )
    inject_response(aws, "DescribeLogGroups", {"logGroups": page_2}, match=body_contains("page-2"))
    got = collect(aws, LISTING)
    assert got.errors == [] and got.api_calls["logs:DescribeLogGroups"] == 2
    groups = {g.name: g for g in got.inventory.of_type(m.LOG_GROUP)}
    assert {n: g.id for n, g in groups.items()} == {
        n: group_arn(n) for n in ("/app/forever", "/app/month", "/app/policy")
    }
    assert groups["/app/forever"].properties == {
        "LogGroupName": "/app/forever"
    }  # no retention: never expires
    assert groups["/app/forever"].observed == {
        "StoredBytes": 10,
        "CreationTime": "2023-11-14T22:13:20Z",
        "Listed": True,
    }
    assert groups["/app/month"].properties == {
        "LogGroupName": "/app/month",
        "RetentionInDays": 30,
        "LogGroupClass": "STANDARD",
    }
    assert groups["/app/policy"].observed == {"RetentionPolicyName": "two-years", "Listed": True}


def test_log_groups_are_listed_only_for_the_listing_facet(aws):
    aws.client("logs", region_name=REGION).create_log_group(logGroupName="/app/x")
    assert "logs:DescribeLogGroups" not in collect(aws, {m.LOG_GROUP: frozenset()}).api_calls
    got = collect(aws, LISTING, regions=(REGION, "eu-west-1"))
    assert got.api_calls["logs:DescribeLogGroups"] == 2
    assert [g.id for g in got.inventory.of_type(m.LOG_GROUP)] == [group_arn("/app/x")]


def test_refused_log_groups_are_a_gap(aws):
    inject_error(aws, "DescribeLogGroups", "AccessDeniedException")
    got = collect(aws, LISTING)
    (gap,) = got.inventory.gaps
    assert (gap.resource_type, gap.region) == (m.LOG_GROUP, REGION)
    assert not got.inventory.of_type(m.LOG_GROUP)


@pytest.fixture
def world(aws):
    return seed(aws)


def test_a_log_group_a_target_names_and_the_listing_are_one_resource(aws, world):
    """EB004 reads the group's policy because a target names it, MON003 lists every group:
    one resource with both, one DescribeResourcePolicies for it, one listing per region."""
    aws.client("logs", region_name=REGION).put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=90)
    inject_response(
        aws, "DescribeResourcePolicies", {"resourcePolicies": []}, match=body_contains('"RESOURCE"')
    )
    needs = {m.EVENT_RULE: frozenset(), m.LOG_GROUP: frozenset({"listing"}), m.LOGS_POLICY: frozenset()}
    got = collect(aws, needs)
    assert got.errors == []
    (group,) = [g for g in got.inventory.of_type(m.LOG_GROUP) if g.id == LOG_GROUP_ARN]
    assert group.properties == {
        "LogGroupName": LOG_GROUP,
        "RetentionInDays": 90,
        "ResourcePolicyDocument": None,
    }
    assert group.observed["Listed"] is True
    assert group.origin.api == "logs:DescribeLogGroups"
    assert got.api_calls["logs:DescribeLogGroups"] == 1
    assert got.api_calls["logs:DescribeResourcePolicies"] == 2  # the account's policies, the group's own
    # Without the listing, the target's group is still read, alone and unlisted.
    alone = collect(aws, {m.EVENT_RULE: frozenset(), m.LOG_GROUP: frozenset()})
    (group,) = alone.inventory.of_type(m.LOG_GROUP)
    assert group.properties == {"LogGroupName": LOG_GROUP, "ResourcePolicyDocument": None}
    assert "Listed" not in group.observed


def test_a_failed_policy_read_keeps_the_listed_retention(aws, world):
    inject_error(aws, "DescribeResourcePolicies", "AccessDeniedException", match=body_contains('"RESOURCE"'))
    got = collect(aws, {m.EVENT_RULE: frozenset(), m.LOG_GROUP: frozenset({"listing"})})
    (group,) = [g for g in got.inventory.of_type(m.LOG_GROUP) if g.id == LOG_GROUP_ARN]
    assert isinstance(group.properties["ResourcePolicyDocument"], Unknown)
    assert "RetentionInDays" not in group.properties and group.observed["Listed"] is True
