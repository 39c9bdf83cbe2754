"""The EventBridge collectors: buses, rules and targets in the canonical model, and each
resource a target names read once, in its account and region, failures kept as unknowns."""

from __future__ import annotations

import pytest
from eventbridge_world import (
    BUS_POLICY_PRINCIPAL,
    INLINE,
    LOG_GROUP,
    LOG_GROUP_ARN,
    LOGS_POLICY,
    MANAGED,
    MANAGED_ARN,
    OTHER_ACCOUNT,
    REGION,
    ROLE,
    ROLE_ARN,
    RULES,
    STREAM_ARN,
    TRUST,
    arn,
    queue_arn,
    record_calls,
    rule_arn,
    seed,
)

from scanner import model as m
from scanner.model import Unknown
from scanner.sources.aws.collectors import resource_policies
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import LiveCollection, collect_account
from testkit import ACCOUNT, body_contains, inject_error, inject_response

EVERYTHING = {
    t: frozenset()
    for t in (
        m.EVENT_BUS,
        m.EVENT_RULE,
        m.LAMBDA_POLICY,
        m.TOPIC,
        m.TOPIC_INLINE_POLICY,
        m.QUEUE,
        m.QUEUE_INLINE_POLICY,
        m.LOG_GROUP,
        m.LOGS_POLICY,
        m.KMS_KEY,
        m.ROLE,
        m.MANAGED_POLICY,
    )
}
REGIONS = [REGION, "eu-west-1"]

# One read per resource a target names, and nothing more (the minimum).
EXPECTED_CALLS = {
    "sts:GetCallerIdentity": 1,
    "events:ListEventBuses": 2,  # per region
    "events:DescribeEventBus": 3,  # default + ml in us-east-1, default in eu-west-1
    "events:ListRules": 3,  # per bus
    "events:ListTargetsByRule": 4,  # per rule
    "lambda:GetPolicy": 2,  # score and score:prod
    "sns:GetTopicAttributes": 1,  # alerts
    "sqs:GetQueueUrl": 4,  # work (target and DLQ), dlq.fifo, sse-work, managed-kms; not partner
    "sqs:GetQueueAttributes": 4,
    "kms:DescribeKey": 1,  # alias/alerts; alias/aws/sqs is AWS managed by name
    "kms:GetKeyPolicy": 1,
    "logs:DescribeResourcePolicies": 2,  # account-level once, the log group once
    "iam:GetRole": 1,  # two targets and a rule, one role
    "iam:ListRolePolicies": 1,
    "iam:GetRolePolicy": 1,
    "iam:ListAttachedRolePolicies": 1,
    "iam:GetPolicy": 1,
    "iam:GetPolicyVersion": 1,
}


def collect(aws, needs=None, regions=REGIONS) -> LiveCollection:
    return collect_account(AwsOptions(session=aws, regions=list(regions)), needs or EVERYTHING)


def only(collection: LiveCollection, rtype: str, rid: str):
    found = [r for r in collection.inventory.of_type(rtype) if r.id == rid]
    assert len(found) == 1, (rtype, rid, [r.id for r in collection.inventory.of_type(rtype)])
    return found[0]


def ids(collection: LiveCollection, rtype: str) -> set[str]:
    return {r.id for r in collection.inventory.of_type(rtype)}


@pytest.fixture
def world(aws):
    return seed(aws)


def test_buses_rules_and_targets_in_the_canonical_model(aws, world):
    got = collect(aws)
    assert got.errors[0].code == "UnscopedResponse"  # the emulator's logs answer, below
    assert len(got.errors) == 1

    assert ids(got, m.EVENT_BUS) == {
        arn("events", "event-bus/default"),
        arn("events", "event-bus/ml"),
        arn("events", "event-bus/default", region="eu-west-1"),
    }
    ml = only(got, m.EVENT_BUS, arn("events", "event-bus/ml"))
    assert ml.name == "ml" and ml.region == REGION and ml.account_id == ACCOUNT
    assert ml.properties == {
        "Name": "ml",
        "Policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "partner",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{BUS_POLICY_PRINCIPAL}:root"},
                    "Action": "events:PutEvents",
                    "Resource": arn("events", "event-bus/ml"),
                }
            ],
        },
    }
    assert only(got, m.EVENT_BUS, arn("events", "event-bus/default")).properties == {"Name": "default"}

    assert ids(got, m.EVENT_RULE) == {rule_arn(name, bus) for name, (bus, _) in RULES.items()}
    done = only(got, m.EVENT_RULE, arn("events", "rule/ml/train-done"))  # custom bus: rule/BUS/RULE
    assert done.properties == {
        "Name": "train-done",
        "EventBusName": "ml",
        "State": "ENABLED",
        "EventPattern": {"source": ["ml.train-done"]},
        "Targets": RULES["train-done"][1],
    }
    nightly = only(got, m.EVENT_RULE, rule_arn("nightly"))
    assert nightly.properties == {
        "Name": "nightly",
        "EventBusName": "default",
        "State": "ENABLED",
        "ScheduleExpression": "rate(1 day)",
        "Targets": RULES["nightly"][1],
    }
    assert nightly.origin.api == "events:ListRules"
    failed_rule = only(got, m.EVENT_RULE, rule_arn("train-failed", "ml"))
    assert failed_rule.observed["NotRead"] == [
        {
            "Arn": queue_arn("partner", OTHER_ACCOUNT),
            "Reason": f"in account {OTHER_ACCOUNT}, not the scanned account {ACCOUNT}: "
            "opscheck reads only the account it scans",
        }
    ]
    assert "NotRead" not in nightly.observed
    assert failed_rule.properties["RoleArn"] == ROLE_ARN


def test_what_targets_name_is_read_in_the_model(aws, world):
    got = collect(aws)

    score = arn("lambda", "function:score")
    plain = only(got, m.LAMBDA_POLICY, f"{score}#policy")
    prod = only(got, m.LAMBDA_POLICY, f"{score}:prod#policy")
    assert plain.properties["ResourceArn"] == score and prod.properties["ResourceArn"] == f"{score}:prod"
    assert plain.exists is True and prod.exists is True
    for policy in (plain, prod):
        assert {s["Principal"]["Service"] for s in policy.properties["PolicyDocument"]["Statement"]} == {
            "events.amazonaws.com"
        }

    topic = only(got, m.TOPIC, arn("sns", "alerts"))
    assert topic.properties == {"TopicName": "alerts", "KmsMasterKeyId": "alias/alerts"}
    assert only(got, m.TOPIC_INLINE_POLICY, f"{arn('sns', 'alerts')}#policy").properties == {
        "TopicArn": arn("sns", "alerts"),
        "PolicyDocument": world.topic_policy,
    }

    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/work"
    work = only(got, m.QUEUE, queue_arn("work"))
    assert work.properties == {"QueueName": "work", "SqsManagedSseEnabled": True, "FifoQueue": False}
    assert work.observed["QueueUrl"] == url
    assert only(got, m.QUEUE_INLINE_POLICY, f"{queue_arn('work')}#policy").properties == {
        "Queue": url,
        "PolicyDocument": world.queue_policy,
    }
    dlq = only(got, m.QUEUE, queue_arn("dlq.fifo"))
    assert dlq.properties["FifoQueue"] is True and dlq.properties["ContentBasedDeduplication"] is False
    dlq_policy = only(got, m.QUEUE_INLINE_POLICY, f"{queue_arn('dlq.fifo')}#policy")
    assert dlq_policy.exists is False and dlq_policy.properties["PolicyDocument"] is None  # read: none
    assert only(got, m.QUEUE, queue_arn("sse-work")).properties["SqsManagedSseEnabled"] is True
    assert only(got, m.QUEUE, queue_arn("managed-kms")).properties["KmsMasterKeyId"] == "alias/aws/sqs"

    # KMS: the alias resolves to the customer key, whose policy is read; the predefined AWS
    # alias is an AWS managed key by name, not described.
    alias = only(got, m.KMS_ALIAS, arn("kms", "alias/alerts"))
    assert alias.properties == {"AliasName": "alias/alerts", "TargetKeyId": world.key_arn}
    key = only(got, m.KMS_KEY, world.key_arn)
    assert key.observed["KeyManager"] == "CUSTOMER" and key.observed["Arn"] == world.key_arn
    assert key.properties["KeyPolicy"]["Statement"]
    managed = only(got, m.KMS_KEY, arn("kms", "alias/aws/sqs"))
    assert managed.observed == {"KeyManager": "AWS", "Aliases": ["alias/aws/sqs"]}
    assert isinstance(managed.properties["KeyPolicy"], Unknown)
    assert ids(got, m.KMS_KEY) == {world.key_arn, arn("kms", "alias/aws/sqs")}

    (account_policy,) = got.inventory.of_type(m.LOGS_POLICY)
    assert account_policy.region == REGION
    assert account_policy.properties == {
        "PolicyName": "TrustEventsToStoreLogEvent",
        "PolicyDocument": LOGS_POLICY,
    }
    group = only(got, m.LOG_GROUP, LOG_GROUP_ARN)
    assert group.properties["LogGroupName"] == LOG_GROUP
    # The emulator ignores policyScope=RESOURCE and answers with the account policies: the
    # group's own policy is unknown (and said so), never "none".
    assert isinstance(group.properties["ResourcePolicyDocument"], Unknown)
    assert "log-group-scoped" in group.properties["ResourcePolicyDocument"].reason

    role = only(got, m.ROLE, ROLE_ARN)
    assert role.region is None
    assert role.properties == {
        "RoleName": ROLE,
        "AssumeRolePolicyDocument": TRUST,
        "Path": "/",
        "Policies": [{"PolicyName": "put-records", "PolicyDocument": INLINE}],
        "ManagedPolicyArns": [MANAGED_ARN],
    }
    assert only(got, m.MANAGED_POLICY, MANAGED_ARN).properties == {
        "ManagedPolicyName": "kinesis-write",
        "Path": "/",
        "PolicyDocument": MANAGED,
    }


def test_each_referenced_resource_is_read_once_and_nothing_else(aws, world):
    log = record_calls(aws)
    got = collect(aws)
    assert got.api_calls == EXPECTED_CALLS

    # The alias-qualified target's policy is the alias's.
    assert sorted(p.get("Qualifier", "-") for p in log.of("lambda:GetPolicy")) == ["-", "prod"]
    assert {p["FunctionName"] for p in log.of("lambda:GetPolicy")} == {"score"}
    # ListRules and ListTargetsByRule name the bus (without it they read the default bus).
    assert sorted(p["EventBusName"] for p in log.of("events:ListRules")) == ["default", "default", "ml"]
    assert {(p["Rule"], p["EventBusName"]) for p in log.of("events:ListTargetsByRule")} == {
        (name, bus) for name, (bus, _) in RULES.items()
    }
    assert {p["QueueName"] for p in log.of("sqs:GetQueueUrl")} == {
        "work",
        "dlq.fifo",
        "sse-work",
        "managed-kms",
    }
    assert {p["QueueOwnerAWSAccountId"] for p in log.of("sqs:GetQueueUrl")} == {ACCOUNT}
    assert log.of("kms:GetKeyPolicy") == [{"KeyId": world.key_arn, "PolicyName": "default"}]
    logs_params = sorted(log.of("logs:DescribeResourcePolicies"), key=len)
    assert logs_params == [{}, {"policyScope": "RESOURCE", "resourceArn": LOG_GROUP_ARN}]
    # Nothing no target names is ever read.
    assert "unused" not in repr(log.calls)
    assert OTHER_ACCOUNT not in repr(log.calls)
    for rtype in (m.QUEUE, m.TOPIC, m.ROLE):
        assert not [r for r in got.inventory.of_type(rtype) if "unused" in r.id]


def test_follow_ups_run_only_for_the_types_the_rules_read(aws, world):
    buses_only = collect(aws, {m.EVENT_BUS: frozenset()})
    assert buses_only.api_calls == {
        "sts:GetCallerIdentity": 1,
        "events:ListEventBuses": 2,
        "events:DescribeEventBus": 3,
    }
    rules_only = collect(aws, {m.EVENT_RULE: frozenset()})
    assert rules_only.api_calls == {
        "sts:GetCallerIdentity": 1,
        "events:ListEventBuses": 2,
        "events:ListRules": 3,
        "events:ListTargetsByRule": 4,
    }
    assert not rules_only.inventory.of_type(m.EVENT_BUS)
    assert len(rules_only.inventory.of_type(m.EVENT_RULE)) == 4
    roles = collect(aws, {m.EVENT_RULE: frozenset(), m.ROLE: frozenset()})
    assert {k for k in roles.api_calls if k.startswith("iam:")} == {
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
    }
    assert not roles.inventory.of_type(m.MANAGED_POLICY)


def test_event_buses_are_listed_page_by_page(aws, world):
    inject_response(
        aws,
        "ListEventBuses",
        {
            "EventBuses": [{"Name": "default", "Arn": arn("events", "event-bus/default")}],
            "NextToken": "page-2",
        },
        match=lambda params: b"NextToken" not in (params.get("body") or b""),
        service_id="eventbridge",
    )
    inject_response(
        aws,
        "ListEventBuses",
        {"EventBuses": [{"Name": "ml", "Arn": arn("events", "event-bus/ml")}]},
        match=body_contains("page-2"),
        service_id="eventbridge",
    )
    got = collect(aws, {m.EVENT_BUS: frozenset()}, regions=[REGION])
    assert got.api_calls["events:ListEventBuses"] == 2
    assert ids(got, m.EVENT_BUS) == {arn("events", "event-bus/default"), arn("events", "event-bus/ml")}


def test_a_scoped_log_group_policy_is_read(aws, world):
    group_policy = {"Version": "2012-10-17", "Statement": [{"Sid": "group", "Effect": "Allow"}]}
    inject_response(
        aws,
        "DescribeResourcePolicies",
        {
            "resourcePolicies": [
                {
                    "policyDocument": '{"Version": "2012-10-17", "Statement": [{"Sid": "group", "Effect": "Allow"}]}',
                    "policyScope": "RESOURCE",
                    "resourceArn": LOG_GROUP_ARN,
                    "revisionId": "r1",
                }
            ]
        },
        match=body_contains('"RESOURCE"'),
    )
    got = collect(aws, {m.EVENT_RULE: frozenset(), m.LOG_GROUP: frozenset()}, regions=[REGION])
    assert got.errors == []
    group = only(got, m.LOG_GROUP, LOG_GROUP_ARN)
    assert group.properties == {"LogGroupName": LOG_GROUP, "ResourcePolicyDocument": group_policy}
    assert not got.inventory.of_type(m.LOGS_POLICY)  # not asked for: not read
    assert got.api_calls["logs:DescribeResourcePolicies"] == 1


def test_a_log_group_without_its_own_policy_has_none(aws, world):
    inject_response(
        aws, "DescribeResourcePolicies", {"resourcePolicies": []}, match=body_contains('"RESOURCE"')
    )
    got = collect(aws, {m.EVENT_RULE: frozenset(), m.LOG_GROUP: frozenset()}, regions=[REGION])
    assert only(got, m.LOG_GROUP, LOG_GROUP_ARN).properties["ResourcePolicyDocument"] is None


def test_access_denied_on_a_policy_is_unknown_not_no_policy(aws, world):
    inject_error(
        aws,
        "GetPolicy",
        "AccessDeniedException",
        service_id="lambda",
        match=lambda params: (params.get("query_string") or {}).get("Qualifier") == "prod",
    )
    got = collect(aws, regions=[REGION])
    prod = only(got, m.LAMBDA_POLICY, f"{arn('lambda', 'function:score')}:prod#policy")
    document = prod.properties["PolicyDocument"]
    assert isinstance(document, Unknown) and "access denied" in document.reason
    assert isinstance(prod.exists, Unknown)
    plain = only(got, m.LAMBDA_POLICY, f"{arn('lambda', 'function:score')}#policy")
    assert plain.properties["PolicyDocument"]["Statement"]
    denied = [e for e in got.errors if e.operation == "GetPolicy"]
    assert (
        len(denied) == 1 and denied[0].code == "AccessDeniedException" and "score:prod" in denied[0].message
    )
    assert len(got.inventory.of_type(m.QUEUE)) == 4  # the scan went on


def test_access_denied_on_a_role_leaves_its_policies_unknown(aws, world):
    inject_error(aws, "GetRole", "AccessDenied", service_id="iam")
    got = collect(aws, regions=[REGION])
    role = only(got, m.ROLE, ROLE_ARN)
    for key in ("AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"):
        assert isinstance(role.properties[key], Unknown), key
    assert isinstance(role.exists, Unknown)
    assert got.api_calls["iam:GetRole"] == 1
    assert "iam:ListRolePolicies" not in got.api_calls
    assert not got.inventory.of_type(m.MANAGED_POLICY)


def test_a_failed_inline_policy_read_is_unknown_in_place(aws, world):
    inject_error(aws, "GetRolePolicy", "AccessDenied", service_id="iam")
    got = collect(aws, regions=[REGION])
    (inline,) = only(got, m.ROLE, ROLE_ARN).properties["Policies"]
    assert inline["PolicyName"] == "put-records" and isinstance(inline["PolicyDocument"], Unknown)
    assert only(got, m.MANAGED_POLICY, MANAGED_ARN).properties["PolicyDocument"] == MANAGED


def test_unreadable_targets_leave_the_rule_with_unknown_targets(aws, world):
    inject_error(aws, "ListTargetsByRule", "AccessDeniedException", match=body_contains("train-done"))
    got = collect(aws, regions=[REGION])
    done = only(got, m.EVENT_RULE, rule_arn("train-done", "ml"))
    assert isinstance(done.properties["Targets"], Unknown)
    assert only(got, m.EVENT_RULE, rule_arn("nightly")).properties["Targets"] == RULES["nightly"][1]
    # What only train-done's targets name is not read; the rest is.
    assert "sns:GetTopicAttributes" not in got.api_calls
    assert got.api_calls["lambda:GetPolicy"] == 1
    assert got.api_calls["iam:GetRole"] == 1  # nightly names the role too


def test_a_region_whose_buses_cannot_be_listed_is_a_gap(aws, world):
    inject_error(
        aws,
        "ListEventBuses",
        "AccessDeniedException",
        match=lambda params: "eu-west-1" in params.get("url", ""),
    )
    got = collect(aws)
    gaps = {(g.resource_type, g.region) for g in got.inventory.gaps}
    assert gaps == {(m.EVENT_BUS, "eu-west-1"), (m.EVENT_RULE, "eu-west-1")}
    assert [e.operation for e in got.errors if e.region == "eu-west-1"] == ["ListEventBuses"]  # said once
    assert len(got.inventory.of_type(m.EVENT_RULE)) == 4


def test_resources_that_do_not_exist_are_read_as_absent(aws, world):
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="stale", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="stale",
        Targets=[
            {"Id": "gone-fn", "Arn": arn("lambda", "function:unused-fn")},  # exists, no policy
            {"Id": "gone-q", "Arn": queue_arn("deleted")},
            {"Id": "k", "Arn": STREAM_ARN, "RoleArn": arn("iam", "role/deleted-role", region="")},
        ],
    )
    got = collect(aws, regions=[REGION])
    no_policy = only(got, m.LAMBDA_POLICY, f"{arn('lambda', 'function:unused-fn')}#policy")
    assert no_policy.exists is False and no_policy.properties["PolicyDocument"] is None
    queue = only(got, m.QUEUE, queue_arn("deleted"))
    assert queue.exists is False
    assert not [r for r in got.inventory.of_type(m.QUEUE_INLINE_POLICY) if "deleted" in r.id]
    role = only(got, m.ROLE, arn("iam", "role/deleted-role", region=""))
    assert role.exists is False and role.properties["AssumeRolePolicyDocument"] is None
    assert [e for e in got.errors if e.code != "UnscopedResponse"] == []  # absent is a fact, not an error


def test_a_crash_while_reading_keeps_the_resource_with_unknown_facts(aws, world, monkeypatch):
    def broken(value):
        raise RuntimeError("mapping bug")

    monkeypatch.setattr(resource_policies, "parse_document", broken)
    got = collect(aws, regions=[REGION])
    topic_policy = only(got, m.TOPIC_INLINE_POLICY, f"{arn('sns', 'alerts')}#policy")
    assert isinstance(topic_policy.properties["PolicyDocument"], Unknown)
    assert "mapping bug" in topic_policy.properties["PolicyDocument"].reason
    assert only(got, m.ROLE, ROLE_ARN).properties["Policies"][0]["PolicyDocument"] == INLINE
    assert any(e.kind == "internal" and "mapping bug" in e.message for e in got.errors)
    assert len(got.inventory.of_type(m.EVENT_RULE)) == 4


def test_targets_in_unscanned_regions_are_noted_not_read(aws, world):
    events = aws.client("events", region_name=REGION)
    far = arn("sqs", "far-away", region="ap-south-1")
    events.put_rule(Name="far", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="far", Targets=[{"Id": "far", "Arn": far}])
    log = record_calls(aws)
    got = collect(aws, regions=[REGION])
    assert only(got, m.EVENT_RULE, rule_arn("far")).observed["NotRead"] == [
        {"Arn": far, "Reason": "in region ap-south-1, which this scan does not cover"}
    ]
    assert "far-away" not in repr(log.calls)


def test_a_key_named_two_ways_is_described_per_reference_and_read_once(aws, world):
    sqs = aws.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName="keyed", Attributes={"KmsMasterKeyId": world.key_arn})
    foreign_key = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab", account=OTHER_ACCOUNT)
    sns = aws.client("sns", region_name=REGION)
    sns.create_topic(Name="foreign", Attributes={"KmsMasterKeyId": foreign_key})
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="keys", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="keys",
        Targets=[{"Id": "q", "Arn": queue_arn("keyed")}, {"Id": "t", "Arn": arn("sns", "foreign")}],
    )
    got = collect(aws, regions=[REGION])
    # The alias must be described to find its key; the key ARN needs no description when the
    # alias's answer claimed that key first (threads race): 1 or 2 calls, the policy read once.
    assert got.api_calls["kms:DescribeKey"] in (1, 2)
    assert got.api_calls["kms:GetKeyPolicy"] == 1
    assert [r.id for r in got.inventory.of_type(m.KMS_KEY) if r.id == world.key_arn] == [world.key_arn]
    assert only(got, m.TOPIC, arn("sns", "foreign")).observed["NotRead"][0]["Arn"] == foreign_key
