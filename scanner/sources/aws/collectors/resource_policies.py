"""What an EventBridge target's delivery depends on, read where the target is: Lambda function
policies, SNS topics and SQS queues with their policies; CloudWatch Logs resource policies
(logs_policies.py) and the KMS keys that encrypt topics and queues (kms_keys.py).

Each read is a follow-up (see follow_up.py): once per scan, in the resource's own account and
region, only for resources a target names and only for the types the selected rules read.
The emitted resources use the canonical model (scanner/model.py, EventBridge block); a policy
resource's id is its owner's ARN with `#policy` (never a real ARN, so it cannot be mistaken for
the owner's).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.lib.arn import Arn, parse_arn
from scanner.model import (
    KMS_KEY,
    LAMBDA_POLICY,
    LOG_GROUP,
    LOGS_POLICY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    TOPIC,
    TOPIC_INLINE_POLICY,
    Resource,
)
from scanner.sources.aws.collectors import kms_keys, logs_policies
from scanner.sources.aws.collectors.base import CollectContext, jsonable, parse_document
from scanner.sources.aws.collectors.follow_up import (
    NOT_READ,
    absent,
    failed,
    note_not_read,
    present,
    read_and_emit,
    unreadable,
    value_or_drop,
)
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

OPERATIONS = (
    Operation("lambda", "GetPolicy"),
    Operation("sns", "GetTopicAttributes"),
    Operation("sqs", "GetQueueUrl"),
    Operation("sqs", "GetQueueAttributes"),
    *logs_policies.OPERATIONS,
    *kms_keys.OPERATIONS,
)

# SQS answers a missing queue with these codes (JSON protocol / the query-compatible code).
NO_SUCH_QUEUE = frozenset({"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"})
QUEUE_ATTRIBUTES = [
    "Policy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "QueueArn",
]


def target_reads(ctx: CollectContext, owner: Resource, arn: str) -> list[Task]:
    """The follow-up reads for one target (or dead-letter queue) ARN; none for kinds whose
    delivery depends on nothing but a role (Kinesis, ECS, ...)."""
    parsed = parse_arn(arn)
    if parsed is None:
        return []
    kind = _kind(parsed)
    if kind is None or not any(ctx.wants(t) for t in KIND_TYPES[kind]):
        return []
    reason = unreadable(ctx, parsed.account, parsed.region)
    if reason:
        note_not_read(owner, arn, reason)
        return []
    if kind == "lambda":
        return _lambda_task(ctx, parsed)
    if kind == "sns":
        return _once(ctx, ("sns", arn), f"sns:GetTopicAttributes {arn}", partial(read_topic, ctx, parsed))
    if kind == "sqs":
        return _once(ctx, ("sqs", arn), f"sqs:GetQueueAttributes {arn}", partial(read_queue, ctx, parsed))
    return logs_policies.log_group_reads(ctx, parsed)


# Which resource types each kind of read produces: a read runs when a selected rule needs one.
KIND_TYPES = {
    "lambda": (LAMBDA_POLICY,),
    "sns": (TOPIC, TOPIC_INLINE_POLICY, KMS_KEY),
    "sqs": (QUEUE, QUEUE_INLINE_POLICY, KMS_KEY),
    "logs": (LOG_GROUP, LOGS_POLICY),
}


def _kind(arn: Arn) -> str | None:
    if arn.service == "lambda" and arn.resource.startswith("function:"):
        return "lambda"
    if arn.service in ("sns", "sqs") and arn.resource and ":" not in arn.resource:
        return arn.service
    if arn.service == "logs" and arn.resource.startswith("log-group:"):
        return "logs"
    return None


def _once(ctx: CollectContext, key: Any, label: str, fn: Any) -> list[Task]:
    return [Task(label, fn)] if ctx.claim(key) else []


# -- Lambda ------------------------------------------------------------------------------------


def _lambda_task(ctx: CollectContext, arn: Arn) -> list[Task]:
    # function:NAME or function:NAME:QUALIFIER. $LATEST has no policy of its own (AddPermission
    # refuses it): the unqualified function's policy is the one that applies.
    parts = arn.resource.split(":")
    name = parts[1] if len(parts) > 1 else ""
    qualifier = parts[2] if len(parts) > 2 and parts[2] not in ("", "$LATEST") else None
    if not name:
        return []
    function_arn = f"arn:{arn.partition}:lambda:{arn.region}:{arn.account}:function:{name}"
    resource_arn = f"{function_arn}:{qualifier}" if qualifier else function_arn
    return _once(
        ctx,
        ("lambda-policy", resource_arn),
        f"lambda:GetPolicy {resource_arn}",
        partial(read_function_policy, ctx, arn.region, resource_arn, name, qualifier),
    )


def read_function_policy(
    ctx: CollectContext, region: str, resource_arn: str, name: str, qualifier: str | None
) -> list[Task]:
    """GetPolicy of the function, or of its alias/version: an `AWS::Lambda::ResourcePolicy`
    whose ResourceArn is what the policy governs. No policy: exists False, PolicyDocument None."""
    policy = ctx.resource(
        type=LAMBDA_POLICY,
        id=f"{resource_arn}#policy",
        name=f"{name}:{qualifier}" if qualifier else name,
        properties={"ResourceArn": resource_arn, "PolicyDocument": NOT_READ},
        exists=NOT_READ,
        region=region,
        origin=ctx.origin("lambda", "GetPolicy"),
    )

    def fill() -> None:
        params: dict[str, Any] = {"FunctionName": name}
        if qualifier:
            params["Qualifier"] = qualifier
        try:
            got = ctx.call("lambda", region, "GetPolicy", subject=resource_arn, **params)
        except ApiFailure as failure:
            # ResourceNotFoundException: no policy (or no such function: nothing may invoke it).
            if failure.not_found:
                absent(policy, failure)
            else:
                failed([policy], ctx.error(failure))
            return
        present(policy)
        policy.properties["PolicyDocument"] = parse_document(got.get("Policy"))
        policy.observed["RevisionId"] = got.get("RevisionId")
        policy.raw = jsonable(got)

    return read_and_emit(ctx, f"reading the policy of {resource_arn}", region, [policy], fill)


# -- SNS ---------------------------------------------------------------------------------------


def read_topic(ctx: CollectContext, arn: Arn) -> list[Task]:
    """GetTopicAttributes: the topic (name, KMS key) and its policy (the Policy attribute)."""
    topic_arn, name = str(arn), arn.resource
    topic = ctx.resource(
        type=TOPIC,
        id=topic_arn,
        name=name,
        properties={"TopicName": name, "KmsMasterKeyId": NOT_READ},
        exists=NOT_READ,
        region=arn.region,
        origin=ctx.origin("sns", "GetTopicAttributes"),
    )
    policy = _inline_policy(
        ctx, TOPIC_INLINE_POLICY, topic, {"TopicArn": topic_arn}, "sns", "GetTopicAttributes"
    )
    emitted = [topic, policy]

    def fill() -> list[Task]:
        try:
            got = ctx.call("sns", arn.region, "GetTopicAttributes", subject=topic_arn, TopicArn=topic_arn)
        except ApiFailure as failure:
            if failure.not_found:
                absent(topic, failure)
                emitted.remove(policy)  # no topic, no policy to speak of
            else:
                failed(emitted, ctx.error(failure))
            return []
        attrs = got.get("Attributes") or {}
        present(topic)
        value_or_drop(topic, "KmsMasterKeyId", attrs.get("KmsMasterKeyId"))
        if attrs.get("Owner"):
            topic.observed["Owner"] = attrs["Owner"]
        topic.raw = jsonable(attrs)
        _policy_from_attribute(policy, attrs.get("Policy"))
        return kms_keys.key_reads(ctx, topic, attrs.get("KmsMasterKeyId"), arn)

    return read_and_emit(ctx, f"reading topic {topic_arn}", arn.region, emitted, fill)


# -- SQS ---------------------------------------------------------------------------------------


def read_queue(ctx: CollectContext, arn: Arn) -> list[Task]:
    """GetQueueUrl + GetQueueAttributes: the queue (encryption, FIFO) and its policy."""
    queue_arn, name = str(arn), arn.resource
    queue = ctx.resource(
        type=QUEUE,
        id=queue_arn,
        name=name,
        properties={
            "QueueName": name,
            "KmsMasterKeyId": NOT_READ,
            "SqsManagedSseEnabled": NOT_READ,
            "FifoQueue": NOT_READ,
        },
        exists=NOT_READ,
        region=arn.region,
        origin=ctx.origin("sqs", "GetQueueAttributes"),
    )
    policy = _inline_policy(ctx, QUEUE_INLINE_POLICY, queue, {"Queue": NOT_READ}, "sqs", "GetQueueAttributes")
    emitted = [queue, policy]

    def fill() -> list[Task]:
        try:
            url = ctx.call(
                "sqs",
                arn.region,
                "GetQueueUrl",
                subject=queue_arn,
                QueueName=name,
                QueueOwnerAWSAccountId=arn.account,
            )["QueueUrl"]
        except ApiFailure as failure:
            if failure.code in NO_SUCH_QUEUE or failure.not_found:
                absent(queue, failure)
                emitted.remove(policy)
            else:
                failed(emitted, ctx.error(failure))
            return []
        present(queue)
        queue.observed["QueueUrl"] = url
        policy.properties["Queue"] = url
        try:
            got = ctx.call(
                "sqs",
                arn.region,
                "GetQueueAttributes",
                subject=queue_arn,
                QueueUrl=url,
                AttributeNames=QUEUE_ATTRIBUTES,
            )
        except ApiFailure as failure:
            failed(emitted, ctx.error(failure))
            return []
        attrs = got.get("Attributes") or {}
        value_or_drop(queue, "KmsMasterKeyId", attrs.get("KmsMasterKeyId"))
        # Booleans come as "true"/"false"; a standard queue reports no FifoQueue at all.
        queue.properties["SqsManagedSseEnabled"] = attrs.get("SqsManagedSseEnabled") == "true"
        queue.properties["FifoQueue"] = attrs.get("FifoQueue") == "true"
        if "ContentBasedDeduplication" in attrs:
            queue.properties["ContentBasedDeduplication"] = attrs["ContentBasedDeduplication"] == "true"
        queue.raw = jsonable(attrs)
        _policy_from_attribute(policy, attrs.get("Policy"))
        return kms_keys.key_reads(ctx, queue, attrs.get("KmsMasterKeyId"), arn)

    return read_and_emit(ctx, f"reading queue {queue_arn}", arn.region, emitted, fill)


def _inline_policy(
    ctx: CollectContext, rtype: str, owner: Resource, props: dict[str, Any], service: str, operation: str
) -> Resource:
    return ctx.resource(
        type=rtype,
        id=f"{owner.id}#policy",
        name=owner.name,
        properties={**props, "PolicyDocument": NOT_READ},
        exists=NOT_READ,
        region=owner.region,
        origin=ctx.origin(service, operation),
    )


def _policy_from_attribute(policy: Resource, text: str | None) -> None:
    if text:
        present(policy)
        policy.properties["PolicyDocument"] = parse_document(text)
    else:
        absent(policy, f"{policy.name} has no policy (no Policy attribute)")
