"""A small account for the EventBridge collectors: buses, rules, and every kind of target
whose delivery the collectors follow up (Lambda, SNS + KMS, SQS, Logs, a role), next to
resources no target names (which must never be read)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from testkit import ACCOUNT

REGION = "us-east-1"
OTHER_ACCOUNT = "999999999999"


def arn(service: str, resource: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def rule_arn(name: str, bus: str = "default") -> str:
    return arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")


def queue_arn(name: str, account: str = ACCOUNT) -> str:
    return arn("sqs", name, account=account)


def statement(principal: str, action: str, resource: str, source_arn: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": action,
        "Resource": resource,
    }
    if source_arn:
        out["Condition"] = {"ArnEquals": {"aws:SourceArn": source_arn}}
    return out


def document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ROLE = "events-to-kinesis"
ROLE_ARN = arn("iam", f"role/{ROLE}", region="")
TRUST = document(
    {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
)
INLINE = document({"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": "*"})
MANAGED = document(
    {"Effect": "Allow", "Action": ["kinesis:PutRecord", "kinesis:PutRecords"], "Resource": "*"}
)
MANAGED_ARN = f"arn:aws:iam::{ACCOUNT}:policy/kinesis-write"
STREAM_ARN = arn("kinesis", "stream/features")
LOG_GROUP = "/aws/events/audit"
LOG_GROUP_ARN = arn("logs", f"log-group:{LOG_GROUP}")
LOGS_POLICY = document(
    statement("events.amazonaws.com", "logs:PutLogEvents", arn("logs", "log-group:/aws/events/*:*"))
)
BUS_POLICY_PRINCIPAL = "111122223333"

# Rule name -> (bus, targets). Two targets name the queue `work` (one as a dead-letter queue)
# and two name the role; `partner` is in another account.
RULES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "nightly": (
        "default",
        [
            {"Id": "score", "Arn": arn("lambda", "function:score")},
            {
                "Id": "work",
                "Arn": queue_arn("work"),
                "DeadLetterConfig": {"Arn": queue_arn("dlq.fifo")},
                "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600},
            },
            {"Id": "features", "Arn": STREAM_ARN, "RoleArn": ROLE_ARN},
        ],
    ),
    "audit": ("default", [{"Id": "audit", "Arn": f"{LOG_GROUP_ARN}:*"}]),
    "train-done": (
        "ml",
        [
            {"Id": "score-prod", "Arn": arn("lambda", "function:score:prod")},
            {"Id": "alerts", "Arn": arn("sns", "alerts"), "DeadLetterConfig": {"Arn": queue_arn("work")}},
            {"Id": "features", "Arn": STREAM_ARN, "RoleArn": ROLE_ARN},
        ],
    ),
    "train-failed": (
        "ml",
        [
            {"Id": "sse", "Arn": queue_arn("sse-work")},
            {"Id": "managed", "Arn": queue_arn("managed-kms")},
            {"Id": "partner", "Arn": queue_arn("partner", OTHER_ACCOUNT)},
        ],
    ),
}


def _code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


@dataclass
class World:
    key_arn: str
    queue_policy: dict[str, Any]
    topic_policy: dict[str, Any]


def seed(aws: boto3.Session) -> World:
    iam = aws.client("iam", region_name=REGION)
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=ROLE, PolicyName="put-records", PolicyDocument=json.dumps(INLINE))
    iam.create_policy(PolicyName="kinesis-write", PolicyDocument=json.dumps(MANAGED))
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=MANAGED_ARN)
    iam.create_role(RoleName="unused-role", AssumeRolePolicyDocument=json.dumps(TRUST))

    lam = aws.client("lambda", region_name=REGION)
    for name in ("score", "unused-fn"):
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=arn("iam", "role/unused-role", region=""),
            Handler="handler.handler",
            Code={"ZipFile": _code()},
        )
    version = lam.publish_version(FunctionName="score")["Version"]
    lam.create_alias(FunctionName="score", Name="prod", FunctionVersion=version)
    lam.add_permission(
        FunctionName="score",
        StatementId="nightly",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn("nightly"),
    )
    lam.add_permission(
        FunctionName="score",
        Qualifier="prod",
        StatementId="train-done",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn("train-done", "ml"),
    )

    kms = aws.client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="alerts")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/alerts", TargetKeyId=key_arn)
    kms.create_key(Description="unused")

    sns = aws.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="alerts", Attributes={"KmsMasterKeyId": "alias/alerts"})["TopicArn"]
    topic_policy = document(
        statement("events.amazonaws.com", "sns:Publish", topic, rule_arn("train-done", "ml"))
    )
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(topic_policy))
    sns.create_topic(Name="unused-topic")

    sqs = aws.client("sqs", region_name=REGION)
    queue_policy = document(statement("events.amazonaws.com", "sqs:SendMessage", queue_arn("work")))
    sqs.create_queue(QueueName="work", Attributes={"Policy": json.dumps(queue_policy)})
    sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})
    sqs.create_queue(QueueName="sse-work", Attributes={"SqsManagedSseEnabled": "true"})
    sqs.create_queue(QueueName="managed-kms", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})
    sqs.create_queue(QueueName="unused-q")

    logs = aws.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName=LOG_GROUP)
    logs.put_resource_policy(policyName="TrustEventsToStoreLogEvent", policyDocument=json.dumps(LOGS_POLICY))

    events = aws.client("events", region_name=REGION)
    events.create_event_bus(Name="ml")
    events.put_permission(
        EventBusName="ml", Action="events:PutEvents", Principal=BUS_POLICY_PRINCIPAL, StatementId="partner"
    )
    for name, (bus, targets) in RULES.items():
        if name == "nightly":
            events.put_rule(Name=name, EventBusName=bus, ScheduleExpression="rate(1 day)")
        else:
            pattern = json.dumps({"source": [f"ml.{name}"]})
            # A rule-level role too: the third reference to the same role.
            role = {"RoleArn": ROLE_ARN} if name == "train-failed" else {}
            events.put_rule(Name=name, EventBusName=bus, EventPattern=pattern, **role)
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return World(key_arn=key_arn, queue_policy=queue_policy, topic_policy=topic_policy)


@dataclass
class CallLog:
    """Every API call's operation and parameters, as the scanner sent them."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handler(self) -> Callable[..., None]:
        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls.append((f"{model.service_model.service_name}:{model.name}", dict(params)))

        return record

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [params for op, params in self.calls if op == operation]


def record_calls(aws: boto3.Session) -> CallLog:
    log = CallLog()
    aws.events.register("provide-client-params", log.handler())
    return log
