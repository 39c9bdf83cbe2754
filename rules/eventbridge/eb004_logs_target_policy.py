from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib import event_targets as kinds
from scanner.model import LOG_GROUP, LOGS_POLICY, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule

ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
# The principals a logs resource policy may name for EventBridge delivery (RULES.md, EB004).
PRINCIPALS = ("events.amazonaws.com", "delivery.logs.amazonaws.com")


@rule(
    id="EB004",
    name="eventbridge-logs-target-policy",
    title="EventBridge may write to its CloudWatch Logs targets",
    severity="high",
    family="eventbridge",
    remediation="""
        Remove the RoleArn from the log group target, and give CloudWatch Logs a resource
        policy (account-level or on the log group) that lets events.amazonaws.com call
        logs:CreateLogStream and logs:PutLogEvents on the group.
    """,
    terraform="""
        data "aws_iam_policy_document" "events_to_logs" {
          statement {
            actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            resources = ["${aws_cloudwatch_log_group.events.arn}:*"]
            principals {
              type        = "Service"
              identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
            }
          }
        }
        resource "aws_cloudwatch_log_resource_policy" "events" {
          policy_name     = "TrustEventsToStoreLogEvent"
          policy_document = data.aws_iam_policy_document.events_to_logs.json
        }
    """,
    cloudformation="""
        EventsToLogs:
          Type: AWS::Logs::ResourcePolicy
          Properties:
            PolicyName: TrustEventsToStoreLogEvent
            PolicyDocument: !Sub |
              {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "${EventsLogGroup.Arn}"}]}
    """,
    references=("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, LOG_GROUP: (), LOGS_POLICY: ()},
)
def eb004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """CloudWatch Logs targets take only a logs resource policy: "For Amazon CloudWatch Logs
    targets, do not specify a RoleArn". The policy (account-level, or the log group's own)
    must let events.amazonaws.com (or delivery.logs.amazonaws.com) call
    logs:CreateLogStream and logs:PutLogEvents on the group. One result per (rule, log group
    target).
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        d = delivery.read(inventory, scope, r, target)
        if d.kind is not kinds.LOGS:
            return None
        where = f"{rule_label(r)}, {d.label}"
        role = target.get("RoleArn")
        if isinstance(role, Unknown):
            return ctx.unknown(
                r, f"{where}: whether a RoleArn is set is not known ({show(role)}).", {"RoleArn": role}
            )
        if role is not None:
            return ctx.fail(
                r,
                f"{where} has RoleArn {show(role)}: CloudWatch Logs targets must have none.",
                {"RoleArn": role},
            )
        verdicts = {action: _either(inventory, d, action) for action in ACTIONS}
        evidence = {"rule_arn": d.rule_arn, **{a: v.evidence for a, v in verdicts.items()}}
        missing = [a for a, v in verdicts.items() if v.allowed is False]
        undecided = [a for a, v in verdicts.items() if v.allowed is None]
        if missing:
            evidence["fix"] = delivery.fix(d, *ACTIONS)
            return ctx.fail(
                r,
                f"{where}: no logs resource policy lets EventBridge call {' and '.join(missing)} on the group.",
                evidence,
            )
        if undecided:
            why = verdicts[undecided[0]].why
            return ctx.unknown(
                r, f"{where}: whether EventBridge may write to the group is not known: {why}.", evidence
            )
        return ctx.passed(
            r, f"{where}: a logs resource policy lets EventBridge write to the group.", evidence
        )

    yield from per_target(inventory, ctx, judge, kinds.LOGS)


def _either(inventory: Inventory, d: delivery.Delivery, action: str) -> delivery.Verdict:
    """Allowed for either principal; the first decisive answer otherwise."""
    verdicts = [delivery.resource_policy_allows(inventory, d, action, p) for p in PRINCIPALS]
    for v in verdicts:
        if v.allowed:
            return v
    return next((v for v in verdicts if v.allowed is None), verdicts[0])
