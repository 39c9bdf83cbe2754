"""Hand-checked cases for the IAM policy evaluator (scanner/lib/iam_policy.py).

Each case is worked out from the IAM User Guide (policy evaluation logic, the Action /
Resource / Principal / NotPrincipal / Condition elements, condition operators, multivalued
keys) and the EventBridge delivery shapes in the project's AWS facts, not from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.lib.iam_policy import Outcome, Principal, Request
from scanner.model import Reference, Unknown

ACCT = "111122223333"
OTHER = "444455556666"
RULE = f"arn:aws:events:us-east-1:{ACCT}:rule/nightly"
BUS_RULE = f"arn:aws:events:us-east-1:{ACCT}:rule/orders-bus/on-order"  # custom-bus rule ARN
FN = f"arn:aws:lambda:us-east-1:{ACCT}:function:handler"
TOPIC = f"arn:aws:sns:us-east-1:{ACCT}:alerts"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCT}:jobs"
KEY = f"arn:aws:kms:us-east-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOG_STREAM = f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/events/orders:log-stream:abc"
BUS = f"arn:aws:events:us-east-1:{ACCT}:event-bus/orders-bus"
ROLE = f"arn:aws:iam::{ACCT}:role/events-target"
STREAM = f"arn:aws:kinesis:us-east-1:{ACCT}:stream/clicks"

# Another account's rule whose name carries this account's id after a ':'.
TWISTED = f"arn:aws:events:us-east-1:{OTHER}:rule/x:{ACCT}:rule/nightly"

EVENTS = Principal(service="events.amazonaws.com")
ALLOW, DENY, UNKNOWN, IMPLICIT = (
    Outcome.ALLOW,
    Outcome.EXPLICIT_DENY,
    Outcome.UNKNOWN,
    Outcome.IMPLICIT_DENY,
)


@dataclass(frozen=True)
class Case:
    id: str
    document: Any
    request: Request
    outcome: Outcome
    why: str | None = None  # a fragment of the reason, a statement's why, or a caveat


def delivery(
    action: str,
    resource: Any = None,
    rule: Any = RULE,
    *,
    absent: tuple[str, ...] = (),
    **context: Any,
) -> Request:
    """EventBridge delivering for `rule`: the service principal, SourceArn and SourceAccount."""
    ctx: dict[str, Any] = {"aws:SourceArn": rule, "aws:SourceAccount": ACCT}
    ctx.update({k.replace("__", ":"): v for k, v in context.items()})
    return Request(action, resource, EVENTS, ctx, frozenset(absent))


def identity(action: str, resource: str) -> Request:
    """A role's own identity policies (no caller principal), every other key absent."""
    return Request(action, resource, closed=True)


def stmt(
    effect: str = "Allow",
    *,
    principal: Any = None,
    action: Any = None,
    resource: Any = None,
    condition: Any = None,
    sid: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": effect}
    for key, value in (
        ("Sid", sid),
        ("Principal", principal),
        ("Action", action),
        ("Resource", resource),
        ("Condition", condition),
    ):
        if value is not None:
            out[key] = value
    out.update(elements)
    return out


def policy(*statements: Any, version: str | None = "2012-10-17") -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version:
        doc["Version"] = version
    return doc


SVC_EVENTS = {"Service": "events.amazonaws.com"}


def lambda_permission(source_arn: Any = None, **extra: Any) -> dict[str, Any]:
    """A function policy statement as Lambda's AddPermission writes it (ArnLike SourceArn)."""
    cond = {"ArnLike": {"AWS:SourceArn": source_arn}} if source_arn is not None else None
    return stmt(principal=SVC_EVENTS, action="lambda:InvokeFunction", resource=FN, condition=cond, **extra)


INVOKE = delivery("lambda:InvokeFunction", FN)
INVOKE_BUS = delivery("lambda:InvokeFunction", FN, BUS_RULE)
PUBLISH = delivery("sns:Publish", TOPIC)
SEND = delivery("sqs:SendMessage", QUEUE)
ASSUME = delivery("sts:AssumeRole", ROLE)


CASES: list[Case] = [
    # -- Lambda function policies (EB001, EB008) -------------------------------------------
    Case("lambda-arnlike-exact", policy(lambda_permission(RULE, sid="ev")), INVOKE, ALLOW, "'ev'"),
    Case(
        "lambda-arnlike-wildcard-region-and-rule",
        policy(lambda_permission(f"arn:aws:events:*:{ACCT}:rule/*")),
        INVOKE,
        ALLOW,
    ),
    Case(
        "lambda-arnlike-wildcard-covers-custom-bus-rule",
        policy(lambda_permission(f"arn:aws:events:*:{ACCT}:rule/*")),
        INVOKE_BUS,
        ALLOW,
    ),
    Case(
        "lambda-arnlike-bus-qualified-pattern",
        policy(lambda_permission(f"arn:aws:events:us-east-1:{ACCT}:rule/orders-bus/*")),
        INVOKE_BUS,
        ALLOW,
    ),
    Case(
        "lambda-custom-bus-rule-needs-bus-in-arn",
        policy(lambda_permission(f"arn:aws:events:us-east-1:{ACCT}:rule/on-order")),
        INVOKE_BUS,
        IMPLICIT,
        "condition ArnLike AWS:SourceArn does not hold",
    ),
    Case(
        "lambda-other-rule",
        policy(lambda_permission(f"arn:aws:events:us-east-1:{ACCT}:rule/weekly")),
        INVOKE,
        IMPLICIT,
        "'arn:aws:events:us-east-1:111122223333:rule/weekly'",
    ),
    Case(
        "lambda-wildcard-other-account",
        policy(lambda_permission(f"arn:aws:events:*:{OTHER}:rule/*")),
        INVOKE,
        IMPLICIT,
        "does not hold",
    ),
    Case("lambda-unscoped", policy(lambda_permission()), INVOKE, ALLOW),
    Case(
        "lambda-other-service",
        policy(stmt(principal={"Service": "sns.amazonaws.com"}, action="lambda:InvokeFunction", resource=FN)),
        INVOKE,
        IMPLICIT,
        "does not name events.amazonaws.com",
    ),
    Case(
        "lambda-source-account",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="lambda:InvokeFunction",
                resource=FN,
                condition={"StringEquals": {"AWS:SourceAccount": ACCT}},
            )
        ),
        INVOKE,
        ALLOW,
    ),
    Case(
        "lambda-other-function",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="lambda:InvokeFunction",
                resource=f"arn:aws:lambda:us-east-1:{ACCT}:function:other",
            )
        ),
        INVOKE,
        IMPLICIT,
        "is not in Resource",
    ),
    Case(
        "lambda-two-conditions-and",
        policy(
            lambda_permission(
                RULE,
                Condition={
                    "ArnLike": {"AWS:SourceArn": RULE},
                    "StringEquals": {"AWS:SourceAccount": OTHER},
                },
            )
        ),
        INVOKE,
        IMPLICIT,
        "StringEquals AWS:SourceAccount does not hold",
    ),
    # -- SNS topic policies (EB002) -----------------------------------------------------------
    Case(
        "sns-arnequals",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="sns:Publish",
                resource=TOPIC,
                condition={"ArnEquals": {"aws:SourceArn": RULE}},
            )
        ),
        PUBLISH,
        ALLOW,
    ),
    Case(
        "sns-arnequals-wildcards-like-arnlike",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="sns:Publish",
                resource=TOPIC,
                condition={"ArnEquals": {"aws:SourceArn": f"arn:aws:events:us-east-1:{ACCT}:rule/*"}},
            )
        ),
        PUBLISH,
        ALLOW,
    ),
    Case(
        "sns-default-topic-policy",
        policy(
            stmt(
                principal={"AWS": "*"},
                action=["SNS:GetTopicAttributes", "SNS:Publish"],
                resource=TOPIC,
                condition={"StringEquals": {"AWS:SourceOwner": ACCT}},
            )
        ),
        PUBLISH,
        UNKNOWN,
        "does not document whether Principal AWS '*' covers the service principal",
    ),
    # -- SQS queue policies (EB003, EB011) ----------------------------------------------------
    Case(
        "sqs-source-account",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="sqs:SendMessage",
                resource=QUEUE,
                condition={"StringEquals": {"aws:SourceAccount": ACCT}},
            )
        ),
        SEND,
        ALLOW,
    ),
    Case(
        "sqs-source-account-other",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="sqs:SendMessage",
                resource=QUEUE,
                condition={"StringEquals": {"aws:SourceAccount": OTHER}},
            )
        ),
        SEND,
        IMPLICIT,
        "StringEquals aws:SourceAccount does not hold",
    ),
    Case(
        "sqs-action-case-insensitive",
        policy(stmt(principal=SVC_EVENTS, action="SQS:sendmessage", resource=QUEUE)),
        SEND,
        ALLOW,
    ),
    Case(
        "sqs-service-wildcard",
        policy(stmt(principal=SVC_EVENTS, action="sqs:*", resource=QUEUE)),
        SEND,
        ALLOW,
    ),
    Case(
        "sqs-question-mark",
        policy(stmt(principal=SVC_EVENTS, action="sqs:SendMessag?", resource=QUEUE)),
        SEND,
        ALLOW,
    ),
    Case(
        "sqs-prefix-wildcard-miss",
        policy(stmt(principal=SVC_EVENTS, action="sqs:Receive*", resource=QUEUE)),
        SEND,
        IMPLICIT,
        "is not in Action 'sqs:Receive*'",
    ),
    Case(
        "sqs-resource-wildcard-segments",
        policy(stmt(principal=SVC_EVENTS, action="sqs:SendMessage", resource=f"arn:aws:sqs:*:{ACCT}:*")),
        SEND,
        ALLOW,
    ),
    # -- KMS key policies (EB002/EB003 with SSE-KMS) --------------------------------------------
    Case(
        "kms-generate-data-key-star",
        policy(
            stmt(principal=SVC_EVENTS, action=["kms:GenerateDataKey*", "kms:Decrypt"], resource="*"),
        ),
        delivery("kms:GenerateDataKey", KEY),
        ALLOW,
    ),
    Case(
        "kms-decrypt",
        policy(
            stmt(principal=SVC_EVENTS, action=["kms:GenerateDataKey*", "kms:Decrypt"], resource="*"),
        ),
        delivery("kms:Decrypt", KEY),
        ALLOW,
    ),
    Case(
        "kms-decrypt-only",
        policy(stmt(principal=SVC_EVENTS, action="kms:Decrypt", resource="*")),
        delivery("kms:GenerateDataKey", KEY),
        IMPLICIT,
    ),
    Case(
        "kms-default-root-policy",
        policy(stmt(principal={"AWS": f"arn:aws:iam::{ACCT}:root"}, action="kms:*", resource="*")),
        delivery("kms:GenerateDataKey", KEY),
        IMPLICIT,
        "does not name events.amazonaws.com",
    ),
    # -- trust policies (EB006) -------------------------------------------------------------------
    Case("trust-events", policy(stmt(principal=SVC_EVENTS, action="sts:AssumeRole")), ASSUME, ALLOW),
    Case(
        "trust-scheduler-only",
        policy(stmt(principal={"Service": "scheduler.amazonaws.com"}, action="sts:AssumeRole")),
        ASSUME,
        IMPLICIT,
        "does not name events.amazonaws.com",
    ),
    Case(
        "trust-service-list",
        policy(
            stmt(
                principal={"Service": ["scheduler.amazonaws.com", "events.amazonaws.com"]},
                action="sts:AssumeRole",
            )
        ),
        ASSUME,
        ALLOW,
    ),
    Case(
        "trust-source-account",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action="sts:AssumeRole",
                condition={"StringEquals": {"aws:SourceAccount": ACCT}},
            )
        ),
        ASSUME,
        ALLOW,
    ),
    Case(
        "trust-federated",
        policy(
            stmt(
                principal={"Federated": "cognito-identity.amazonaws.com"},
                action="sts:AssumeRoleWithWebIdentity",
            )
        ),
        ASSUME,
        IMPLICIT,
    ),
    Case(
        "trust-other-action",
        policy(stmt(principal=SVC_EVENTS, action="sts:TagSession")),
        ASSUME,
        IMPLICIT,
        "is not in Action",
    ),
    # -- identity policies (EB007) ----------------------------------------------------------------
    Case(
        "identity-allow",
        policy(stmt(action="kinesis:PutRecord", resource=STREAM)),
        identity("kinesis:PutRecord", STREAM),
        ALLOW,
    ),
    Case(
        "identity-other-resource",
        policy(stmt(action="kinesis:PutRecord", resource=f"arn:aws:kinesis:us-east-1:{ACCT}:stream/other")),
        identity("kinesis:PutRecord", STREAM),
        IMPLICIT,
        "is not in Resource",
    ),
    Case(
        "identity-explicit-deny-beats-allow",
        policy(
            stmt(action="kinesis:*", resource="*"),
            stmt("Deny", action="kinesis:PutRecord", resource=STREAM, sid="NoClicks"),
        ),
        identity("kinesis:PutRecord", STREAM),
        DENY,
        "'NoClicks'",
    ),
    Case(
        "identity-notaction-allows-others",
        policy(stmt(NotAction="iam:*", resource="*")),
        identity("kinesis:PutRecord", STREAM),
        ALLOW,
    ),
    Case(
        "identity-notaction-excludes",
        policy(stmt(NotAction="iam:*", resource="*")),
        identity("iam:PassRole", ROLE),
        IMPLICIT,
        "is excluded by NotAction 'iam:*'",
    ),
    Case(
        "identity-notresource-deny-spares-listed",
        policy(stmt(action="*", resource="*"), stmt("Deny", action="*", NotResource=[STREAM])),
        identity("kinesis:PutRecord", STREAM),
        ALLOW,
    ),
    Case(
        "identity-notresource-deny-hits-others",
        policy(stmt(action="*", resource="*"), stmt("Deny", action="*", NotResource=[STREAM])),
        identity("kinesis:PutRecord", f"arn:aws:kinesis:us-east-1:{ACCT}:stream/other"),
        DENY,
    ),
    Case(
        "identity-resource-question-mark",
        policy(stmt(action="kinesis:PutRecord", resource=f"arn:aws:kinesis:*:{ACCT}:stream/click?")),
        identity("kinesis:PutRecord", STREAM),
        ALLOW,
    ),
    Case(
        "identity-resource-star-inside-segment-crossing-colon",
        policy(stmt(action="s3:GetObject", resource="arn:aws:s3:::bucket/*/x")),
        identity("s3:GetObject", "arn:aws:s3:::bucket/a:b/x"),
        UNKNOWN,
        "only if a wildcard inside an ARN segment crosses ':'",
    ),
    Case(
        "identity-resource-case-sensitive",
        policy(stmt(action="kinesis:PutRecord", resource=f"arn:aws:kinesis:us-east-1:{ACCT}:stream/Clicks")),
        identity("kinesis:PutRecord", STREAM),
        IMPLICIT,
    ),
    Case(
        "identity-policy-variable",
        policy(
            stmt(action="kinesis:PutRecord", resource=f"arn:aws:kinesis:*:{ACCT}:stream/${{aws:username}}")
        ),
        identity("kinesis:PutRecord", STREAM),
        UNKNOWN,
        "policy variable ${aws:username}",
    ),
    Case(
        "identity-variable-literal-in-2008-version",
        policy(
            stmt(action="kinesis:PutRecord", resource=f"arn:aws:kinesis:*:{ACCT}:stream/${{aws:username}}"),
            version="2008-10-17",
        ),
        identity("kinesis:PutRecord", STREAM),
        IMPLICIT,
    ),
    # -- CloudWatch Logs resource policies (EB004) ----------------------------------------------
    Case(
        "logs-trust-events-to-store-log-event",
        policy(
            stmt(
                principal={"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                action=["logs:CreateLogStream", "logs:PutLogEvents"],
                resource=f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/events/*:*",
            )
        ),
        delivery("logs:PutLogEvents", LOG_STREAM),
        ALLOW,
    ),
    Case(
        "logs-other-prefix",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action=["logs:CreateLogStream", "logs:PutLogEvents"],
                resource=f"arn:aws:logs:us-east-1:{ACCT}:log-group:/aws/lambda/*:*",
            )
        ),
        delivery("logs:PutLogEvents", LOG_STREAM),
        IMPLICIT,
    ),
    # -- event bus policies (EB009 context) -----------------------------------------------------
    Case(
        "bus-moto-star-any-account",
        policy(stmt(principal={"AWS": "arn:aws:iam::*:root"}, action="events:PutEvents", resource=BUS)),
        Request("events:PutEvents", BUS, Principal(aws=OTHER)),
        ALLOW,
    ),
    Case(
        "bus-org-condition-matches",
        policy(
            stmt(
                principal="*",
                action="events:PutEvents",
                resource=BUS,
                condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            )
        ),
        Request("events:PutEvents", BUS, Principal(aws=OTHER), {"aws:PrincipalOrgID": "o-abc123"}),
        ALLOW,
    ),
    Case(
        "bus-org-condition-other-org",
        policy(
            stmt(
                principal="*",
                action="events:PutEvents",
                resource=BUS,
                condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            )
        ),
        Request("events:PutEvents", BUS, Principal(aws=OTHER), {"aws:PrincipalOrgID": "o-zzz999"}),
        IMPLICIT,
    ),
    Case(
        "bus-org-condition-key-not-known",
        policy(
            stmt(
                principal="*",
                action="events:PutEvents",
                resource=BUS,
                condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            )
        ),
        Request("events:PutEvents", BUS, Principal(aws=OTHER)),
        UNKNOWN,
        "whether the request carries aws:PrincipalOrgID is not known",
    ),
    Case(
        "bus-account-principal-is-caller-account",
        policy(stmt(principal={"AWS": OTHER}, action="events:PutEvents", resource=BUS)),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:root")),
        ALLOW,
    ),
    Case(
        "bus-account-principal-delegates-to-role-policies",
        policy(stmt(principal={"AWS": OTHER}, action="events:PutEvents", resource=BUS)),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:role/sender")),
        UNKNOWN,
        "delegates to the IAM policies of account 444455556666",
    ),
    # -- Deny and three-valued combination ------------------------------------------------------
    Case(
        "explicit-deny-beats-allow",
        policy(lambda_permission(RULE), stmt("Deny", principal="*", action="lambda:*", resource="*")),
        INVOKE,
        DENY,
    ),
    Case(
        "deny-on-unknown-key-makes-allow-unknown",
        policy(
            lambda_permission(RULE),
            stmt(
                "Deny", principal="*", action="*", condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
            ),
        ),
        INVOKE,
        UNKNOWN,
        "aws:SourceIp",
    ),
    Case(
        "deny-ipaddress-key-absent",
        policy(
            lambda_permission(RULE),
            stmt("Deny", principal="*", action="*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        ),
        delivery("lambda:InvokeFunction", FN, absent=("aws:SourceIp",)),
        ALLOW,
    ),
    Case(
        "deny-notipaddress-key-absent-holds",
        policy(
            lambda_permission(RULE),
            stmt(
                "Deny", principal="*", action="*", condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
            ),
        ),
        delivery("lambda:InvokeFunction", FN, absent=("aws:SourceIp",)),
        DENY,
    ),
    Case(
        "deny-ipaddress-in-range",
        policy(
            lambda_permission(RULE),
            stmt("Deny", principal="*", action="*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        ),
        delivery("lambda:InvokeFunction", FN, aws__SourceIp="10.1.2.3"),
        DENY,
    ),
    Case(
        "unknown-allow-without-definite-allow",
        policy(lambda_permission(RULE, Condition={"Bool": {"aws:SecureTransport": "true"}})),
        INVOKE,
        UNKNOWN,
        "aws:SecureTransport",
    ),
    Case(
        "unknown-allow-but-definite-deny",
        policy(
            lambda_permission(RULE, Condition={"Bool": {"aws:SecureTransport": "true"}}),
            stmt("Deny", principal=SVC_EVENTS, action="lambda:InvokeFunction"),
        ),
        INVOKE,
        DENY,
    ),
    Case(
        "unknown-deny-without-allow-is-implicit",
        policy(stmt("Deny", principal="*", action="*", condition={"Bool": {"aws:SecureTransport": "false"}})),
        INVOKE,
        IMPLICIT,
        "may deny explicitly",
    ),
    # -- condition operators ----------------------------------------------------------------------
    Case(
        "string-not-equals-key-absent-holds",
        policy(lambda_permission(RULE, Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
        delivery("lambda:InvokeFunction", FN, absent=("aws:PrincipalOrgID",)),
        ALLOW,
    ),
    Case(
        "string-not-equals-several-values-nor-miss",
        policy(lambda_permission(RULE, Condition={"StringNotEquals": {"aws:SourceAccount": [ACCT, OTHER]}})),
        INVOKE,
        IMPLICIT,
    ),
    Case(
        "string-not-equals-several-values-nor-hit",
        policy(
            lambda_permission(
                RULE, Condition={"StringNotEquals": {"aws:SourceAccount": [OTHER, "999988887777"]}}
            )
        ),
        INVOKE,
        ALLOW,
    ),
    Case(
        "string-equals-ignore-case",
        policy(
            lambda_permission(
                RULE,
                Condition={"StringEqualsIgnoreCase": {"aws:PrincipalServiceName": "EVENTS.amazonaws.COM"}},
            )
        ),
        delivery("lambda:InvokeFunction", FN, aws__PrincipalServiceName="events.amazonaws.com"),
        ALLOW,
    ),
    Case(
        "string-equals-case-sensitive-value",
        policy(
            lambda_permission(
                RULE, Condition={"StringEquals": {"aws:PrincipalServiceName": "EVENTS.amazonaws.COM"}}
            )
        ),
        delivery("lambda:InvokeFunction", FN, aws__PrincipalServiceName="events.amazonaws.com"),
        IMPLICIT,
    ),
    Case(
        "string-not-equals-ignore-case",
        policy(
            lambda_permission(
                RULE,
                Condition={"StringNotEqualsIgnoreCase": {"aws:PrincipalServiceName": "EVENTS.amazonaws.COM"}},
            )
        ),
        delivery("lambda:InvokeFunction", FN, aws__PrincipalServiceName="events.amazonaws.com"),
        IMPLICIT,
    ),
    Case(
        "string-like-question-mark",
        policy(
            lambda_permission(
                RULE, Condition={"StringLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCT}:rule/nightl?"}}
            )
        ),
        INVOKE,
        ALLOW,
    ),
    # The IAM User Guide example (ARN condition operators): a value with extra ':'-parts.
    # StringLike's `*` spans them; ArnLike compares the six parts one by one.
    Case(
        "string-like-star-crosses-colons",
        policy(
            lambda_permission(
                None, Condition={"StringLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCT}:rule/*"}}
            )
        ),
        delivery("lambda:InvokeFunction", FN, TWISTED),
        ALLOW,
    ),
    Case(
        "arn-like-star-stays-in-its-part",
        policy(lambda_permission(f"arn:aws:events:*:{ACCT}:rule/*")),
        delivery("lambda:InvokeFunction", FN, TWISTED),
        IMPLICIT,
        "does not hold",
    ),
    Case(
        "arn-like-not-an-arn-pattern",
        policy(lambda_permission("*")),
        INVOKE,
        UNKNOWN,
        "is not an ARN pattern",
    ),
    Case(
        "string-not-like",
        policy(lambda_permission(RULE, Condition={"StringNotLike": {"aws:SourceArn": "*:rule/test-*"}})),
        INVOKE,
        ALLOW,
    ),
    Case(
        "arn-not-like-deny-spares-allowed-rules",
        policy(
            lambda_permission(),
            stmt(
                "Deny",
                principal="*",
                action="*",
                condition={"ArnNotLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCT}:rule/night*"}},
            ),
        ),
        INVOKE,
        ALLOW,
    ),
    Case(
        "arn-not-equals-deny-hits-other-rules",
        policy(
            lambda_permission(),
            stmt(
                "Deny",
                principal="*",
                action="*",
                condition={"ArnNotEquals": {"aws:SourceArn": f"arn:aws:events:*:{ACCT}:rule/weekly"}},
            ),
        ),
        INVOKE,
        DENY,
    ),
    Case(
        "bool-true",
        policy(lambda_permission(RULE, Condition={"Bool": {"aws:SecureTransport": "true"}})),
        delivery("lambda:InvokeFunction", FN, aws__SecureTransport="true"),
        ALLOW,
    ),
    Case(
        "bool-json-false-value",
        policy(lambda_permission(RULE, Condition={"Bool": {"aws:SecureTransport": False}})),
        delivery("lambda:InvokeFunction", FN, aws__SecureTransport="true"),
        IMPLICIT,
    ),
    Case(
        "null-deny-without-source-arn-spares-rule",
        policy(
            lambda_permission(),
            stmt("Deny", principal="*", action="*", condition={"Null": {"aws:SourceArn": "true"}}),
        ),
        INVOKE,
        ALLOW,
    ),
    Case(
        "null-deny-without-source-arn-hits",
        policy(
            lambda_permission(),
            stmt("Deny", principal="*", action="*", condition={"Null": {"aws:SourceArn": "true"}}),
        ),
        Request("lambda:InvokeFunction", FN, EVENTS, closed=True),
        DENY,
        "the key is absent",
    ),
    Case(
        "null-key-not-known",
        policy(
            lambda_permission(),
            stmt("Deny", principal="*", action="*", condition={"Null": {"aws:SourceVpc": "false"}}),
        ),
        INVOKE,
        UNKNOWN,
    ),
    Case(
        "if-exists-key-absent",
        policy(lambda_permission(None, Condition={"StringEqualsIfExists": {"aws:SourceAccount": ACCT}})),
        Request("lambda:InvokeFunction", FN, EVENTS, closed=True),
        ALLOW,
    ),
    Case(
        "if-exists-key-present-other",
        policy(lambda_permission(None, Condition={"StringEqualsIfExists": {"aws:SourceAccount": OTHER}})),
        INVOKE,
        IMPLICIT,
    ),
    Case(
        "if-exists-key-not-known",
        policy(lambda_permission(None, Condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}})),
        INVOKE,
        UNKNOWN,
    ),
    Case(
        "for-any-value-hit",
        policy(
            lambda_permission(
                None, Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a/r-b/ou-c/*"}}
            )
        ),
        delivery("lambda:InvokeFunction", FN, aws__PrincipalOrgPaths=["o-x/r-y/", "o-a/r-b/ou-c/ou-d/"]),
        ALLOW,
    ),
    Case(
        "for-any-value-key-absent",
        policy(
            lambda_permission(None, Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a/*"}})
        ),
        delivery("lambda:InvokeFunction", FN, absent=("aws:PrincipalOrgPaths",)),
        IMPLICIT,
    ),
    Case(
        "for-all-values-key-absent-vacuous",
        policy(lambda_permission(None, Condition={"ForAllValues:StringLike": {"aws:TagKeys": "team*"}})),
        delivery("lambda:InvokeFunction", FN, absent=("aws:TagKeys",)),
        ALLOW,
    ),
    Case(
        "for-all-values-one-outside",
        policy(lambda_permission(None, Condition={"ForAllValues:StringLike": {"aws:TagKeys": "team*"}})),
        delivery("lambda:InvokeFunction", FN, aws__TagKeys=["team", "cost"]),
        IMPLICIT,
    ),
    Case(
        "multivalued-key-without-qualifier",
        policy(lambda_permission(None, Condition={"StringLike": {"aws:TagKeys": "team*"}})),
        delivery("lambda:InvokeFunction", FN, aws__TagKeys=["team", "cost"]),
        UNKNOWN,
        "no set qualifier",
    ),
    Case(
        "numeric-less-than",
        policy(lambda_permission(None, Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})),
        delivery("lambda:InvokeFunction", FN, aws__MultiFactorAuthAge="120"),
        ALLOW,
    ),
    Case(
        "date-less-than",
        policy(
            lambda_permission(None, Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        ),
        delivery("lambda:InvokeFunction", FN, aws__CurrentTime="2031-06-01T12:00:00Z"),
        IMPLICIT,
    ),
    Case(
        "unsupported-operator",
        policy(lambda_permission(None, Condition={"StringStartsWith": {"aws:SourceArn": "arn:"}})),
        INVOKE,
        UNKNOWN,
        "does not evaluate the operator 'StringStartsWith'",
    ),
    Case(
        "condition-key-case-insensitive",
        policy(lambda_permission(None, Condition={"StringEquals": {"AWS:SOURCEACCOUNT": ACCT}})),
        INVOKE,
        ALLOW,
    ),
    # -- principals -------------------------------------------------------------------------------
    Case(
        "principal-star-covers-service",
        policy(stmt(principal="*", action="lambda:InvokeFunction", resource=FN)),
        INVOKE,
        ALLOW,
    ),
    Case(
        "not-principal-deny-excludes-events",
        policy(lambda_permission(), stmt("Deny", NotPrincipal=SVC_EVENTS, action="*", resource="*")),
        INVOKE,
        ALLOW,
    ),
    Case(
        "not-principal-deny-covers-events",
        policy(
            lambda_permission(),
            stmt("Deny", NotPrincipal={"Service": "scheduler.amazonaws.com"}, action="*", resource="*"),
        ),
        INVOKE,
        DENY,
    ),
    Case(
        "not-principal-with-allow",
        policy(
            stmt(
                NotPrincipal={"AWS": f"arn:aws:iam::{OTHER}:root"},
                action="lambda:InvokeFunction",
                resource=FN,
            )
        ),
        INVOKE,
        UNKNOWN,
        "NotPrincipal with Allow",
    ),
    Case(
        "not-principal-role-without-account",
        policy(
            stmt(principal="*", action="events:PutEvents", resource=BUS),
            stmt("Deny", NotPrincipal={"AWS": f"arn:aws:iam::{OTHER}:role/sender"}, action="*", resource="*"),
        ),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:role/sender")),
        UNKNOWN,
        "AWS documents the outcome as uncertain",
    ),
    Case(
        "not-principal-everyone-excludes-role",
        policy(
            stmt(principal="*", action="events:PutEvents", resource=BUS),
            stmt("Deny", NotPrincipal={"AWS": "*"}, action="*", resource="*"),
        ),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:role/sender")),
        ALLOW,
    ),
    Case(
        "not-principal-role-and-account-excluded",
        policy(
            stmt(principal="*", action="events:PutEvents", resource=BUS),
            stmt(
                "Deny",
                NotPrincipal={"AWS": [f"arn:aws:iam::{OTHER}:role/sender", f"arn:aws:iam::{OTHER}:root"]},
                action="*",
                resource="*",
            ),
        ),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:role/sender")),
        ALLOW,
    ),
    Case(
        "not-principal-other-role-covered",
        policy(
            stmt(principal="*", action="events:PutEvents", resource=BUS),
            stmt("Deny", NotPrincipal={"AWS": f"arn:aws:iam::{ACCT}:role/admin"}, action="*", resource="*"),
        ),
        Request("events:PutEvents", BUS, Principal(aws=f"arn:aws:iam::{OTHER}:role/sender")),
        DENY,
    ),
    # -- resource element --------------------------------------------------------------------------
    Case(
        "no-request-resource-star",
        policy(stmt(principal=SVC_EVENTS, action="sqs:SendMessage", resource="*")),
        delivery("sqs:SendMessage"),
        ALLOW,
    ),
    Case(
        "no-request-resource-specific",
        policy(stmt(principal=SVC_EVENTS, action="sqs:SendMessage", resource=QUEUE)),
        delivery("sqs:SendMessage"),
        UNKNOWN,
        "the request gives no resource ARN",
    ),
    # -- IaC values ---------------------------------------------------------------------------------
    Case(
        "reference-principal",
        policy(
            stmt(
                principal={"Service": Reference("var.service_principal")},
                action="lambda:InvokeFunction",
                resource=FN,
            )
        ),
        INVOKE,
        UNKNOWN,
        "var.service_principal",
    ),
    Case(
        "unknown-source-arn-value",
        policy(lambda_permission(Unknown("parameter RuleArn has no default"))),
        INVOKE,
        UNKNOWN,
        "parameter RuleArn has no default",
    ),
    Case(
        "same-reference-source-arn",
        policy(lambda_permission(Reference("!GetAtt Nightly.Arn", target="Nightly", attribute="Arn"))),
        delivery(
            "lambda:InvokeFunction", FN, Reference("!GetAtt Nightly.Arn", target="Nightly", attribute="Arn")
        ),
        ALLOW,
    ),
    Case(
        "other-reference-source-arn",
        policy(lambda_permission(Reference("!GetAtt Weekly.Arn", target="Weekly", attribute="Arn"))),
        delivery(
            "lambda:InvokeFunction", FN, Reference("!GetAtt Nightly.Arn", target="Nightly", attribute="Arn")
        ),
        IMPLICIT,  # two declared rules: two different ARNs
        "does not hold",
    ),
    Case(
        "data-source-reference-may-be-the-same-rule",
        policy(
            lambda_permission(
                Reference(
                    "data.aws_cloudwatch_event_rule.r.arn",
                    target="data.aws_cloudwatch_event_rule.r",
                    attribute="arn",
                )
            )
        ),
        delivery(
            "lambda:InvokeFunction",
            FN,
            Reference(
                "aws_cloudwatch_event_rule.r.arn", target="aws_cloudwatch_event_rule.r", attribute="arn"
            ),
        ),
        UNKNOWN,
    ),
    Case(
        "reference-resource",
        policy(
            stmt(principal=SVC_EVENTS, action="sqs:SendMessage", resource=Reference("aws_sqs_queue.jobs.arn"))
        ),
        SEND,
        UNKNOWN,
        "aws_sqs_queue.jobs.arn",
    ),
    Case(
        "reference-action-list-item-with-a-known-hit",
        policy(
            stmt(
                principal=SVC_EVENTS,
                action=[Reference("local.extra_action"), "sqs:SendMessage"],
                resource=QUEUE,
            )
        ),
        SEND,
        ALLOW,
    ),
    Case(
        "reference-effect",
        policy(stmt(Reference("var.effect"), principal=SVC_EVENTS, action="sqs:SendMessage", resource=QUEUE)),
        SEND,
        UNKNOWN,
        "var.effect",
    ),
    Case(
        "reference-statement",
        policy(lambda_permission(RULE), Reference("dynamic statement")),
        INVOKE,
        UNKNOWN,
        "dynamic statement",
    ),
    Case("reference-document", Reference("data.aws_iam_policy_document.x.json"), INVOKE, UNKNOWN),
    Case(
        "reference-condition-block",
        policy(lambda_permission(None, Condition={"StringEquals": Reference("local.conditions")})),
        INVOKE,
        UNKNOWN,
        "local.conditions",
    ),
]
