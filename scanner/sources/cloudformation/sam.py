"""The resources the SAM transform creates implicitly, made explicit.

An `AWS::Serverless::Function` becomes an `AWS::Lambda::Function`; each of its Events of
type Schedule, ScheduleV2 (as a rule), EventBridgeRule or CloudWatchEvent becomes the
`AWS::Events::Rule` (logical id FunctionEvent) targeting the function and the
`AWS::Lambda::Permission` (FunctionEventPermission) that lets that rule invoke it, as SAM
generates them, with the dead-letter queue and its queue policy when the event asks SAM to
create one (`DeadLetterConfig: {Type: SQS}`). Other serverless types are kept as declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.model import FUNCTION, Origin, Reference, Resource, Scope
from scanner.sources.cloudformation import intrinsics
from scanner.sources.iac import name_of

RULE_EVENTS = ("Schedule", "EventBridgeRule", "CloudWatchEvent")
# SAM function property -> CloudFormation Lambda property (the ones rules read).
FUNCTION_PROPERTIES = (
    "FunctionName",
    "Runtime",
    "Handler",
    "Role",
    "MemorySize",
    "Timeout",
    "PackageType",
    "Architectures",
    "Environment",
    "VpcConfig",
    "Tags",
    "KmsKeyArn",
    "DeadLetterQueue",
    "Layers",
    "ImageUri",
)


def expand(
    logical_id: str,
    rtype: str,
    props: dict[str, Any],
    globals_: Mapping[str, Any],
    origin: Origin,
    scope: Scope,
    ctx: intrinsics.Context,
) -> list[Resource]:
    def make(rid: str, t: str, p: dict[str, Any], tags: dict[str, str] | None = None) -> Resource:
        return Resource(
            type=t,
            id=rid,
            name=name_of(t, p, rid),
            properties=p,
            origin=origin,
            scope=scope.id,
            partition=scope.partition,
            tags=tags or {},
            raw={"generated_by": f"SAM from {logical_id}"},
        )

    if rtype != "AWS::Serverless::Function":
        return [make(logical_id, rtype, props)]
    # SAM merges Globals into each function, maps key by key (the function wins).
    merged = _deep_merge(intrinsics.resolve(dict(globals_.get("Function") or {}), ctx), props)
    fn_props = {k: merged[k] for k in FUNCTION_PROPERTIES if k in merged}
    if "Role" not in fn_props:  # SAM creates <Function>Role
        fn_props["Role"] = Reference(f"!GetAtt {logical_id}Role.Arn (created by SAM)")
    tags = fn_props.get("Tags")
    tag_map = (
        {str(k): str(v) for k, v in tags.items() if isinstance(v, str | int | float)}
        if isinstance(tags, Mapping)
        else {}
    )
    if isinstance(tags, Mapping):
        fn_props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    dlq = fn_props.pop("DeadLetterQueue", None)
    if isinstance(dlq, Mapping) and dlq.get("TargetArn") is not None:  # SAM's name for DeadLetterConfig
        fn_props["DeadLetterConfig"] = {"TargetArn": dlq["TargetArn"]}
    out = [make(logical_id, FUNCTION, fn_props, tag_map)]
    function_arn = Reference(f"!GetAtt {logical_id}.Arn", target=logical_id, attribute="Arn")
    events = merged.get("Events") or {}
    for event_name, event in events.items() if isinstance(events, Mapping) else []:
        if not isinstance(event, Mapping) or event.get("Type") not in RULE_EVENTS:
            continue  # ScheduleV2 is EventBridge Scheduler, not a rule; its role model differs
        out.extend(_rule_and_permission(logical_id, str(event_name), event, function_arn, make))
    return out


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _rule_and_permission(
    fn_id: str, event_name: str, event: Mapping[str, Any], function_arn: Reference, make
):
    p = event.get("Properties") or {}
    if not isinstance(p, Mapping):
        p = {}
    rule_id = f"{fn_id}{event_name}"
    rule: dict[str, Any] = {}
    if event["Type"] == "Schedule":
        rule["ScheduleExpression"] = p.get("Schedule")
    else:
        rule["EventPattern"] = p.get("Pattern")
    if p.get("EventBusName") is not None:
        rule["EventBusName"] = p["EventBusName"]
    name = p.get("Name") if p.get("Name") is not None else p.get("RuleName")  # RuleName: EventBridgeRule
    if name is not None:
        rule["Name"] = name
    enabled = p.get("Enabled", True)
    rule["State"] = p.get("State") or ("ENABLED" if enabled is not False else "DISABLED")
    target: dict[str, Any] = {
        "Id": p.get("Target", {}).get("Id") if isinstance(p.get("Target"), Mapping) else None,
        "Arn": function_arn,
    }
    target["Id"] = target["Id"] or f"{rule_id}LambdaTarget"
    for key in ("Input", "InputPath", "InputTransformer", "RetryPolicy"):
        if p.get(key) is not None:
            target[key] = p[key]
    rule_arn = Reference(f"!GetAtt {rule_id}.Arn", target=rule_id, attribute="Arn")
    generated = []
    dlq = p.get("DeadLetterConfig")
    if isinstance(dlq, Mapping) and dlq.get("Arn") is not None:
        target["DeadLetterConfig"] = {"Arn": dlq["Arn"]}
    elif isinstance(dlq, Mapping) and dlq.get("Type") == "SQS":
        # SAM creates the queue (QueueLogicalId, else <rule>Queue) and the queue policy
        # (<rule>QueuePolicy) that lets the rule send to it.
        qid = dlq.get("QueueLogicalId") if isinstance(dlq.get("QueueLogicalId"), str) else f"{rule_id}Queue"
        queue_arn = Reference(f"!GetAtt {qid}.Arn", target=qid, attribute="Arn")
        target["DeadLetterConfig"] = {"Arn": queue_arn}
        statement = {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
        policy = {
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "Queues": [Reference(f"!Ref {qid}", target=qid)],
        }
        generated = [
            make(qid, "AWS::SQS::Queue", {}),
            make(f"{rule_id}QueuePolicy", "AWS::SQS::QueuePolicy", policy),
        ]
    rule["Targets"] = [target]
    permission = {
        "Action": "lambda:InvokeFunction",
        "FunctionName": Reference(f"!Ref {fn_id}", target=fn_id),
        "Principal": "events.amazonaws.com",
        "SourceArn": rule_arn,
    }
    return [
        make(rule_id, "AWS::Events::Rule", rule),
        make(f"{rule_id}Permission", "AWS::Lambda::Permission", permission),
        *generated,
    ]
