from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib.event_targets import RoleNeed, role_need
from scanner.model import Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="EB005",
    name="eventbridge-target-role-missing",
    title="EventBridge targets that need a role have one",
    severity="high",
    family="eventbridge",
    remediation="""
        Give the target an IAM role that trusts events.amazonaws.com and allows the delivery
        action on the target (for a Kinesis stream kinesis:PutRecord, for a state machine
        states:StartExecution, for a bus in another account or region events:PutEvents, ...).
    """,
    terraform="""
        resource "aws_cloudwatch_event_target" "stream" {
          rule     = aws_cloudwatch_event_rule.r.name
          arn      = aws_kinesis_stream.s.arn
          role_arn = aws_iam_role.events_to_kinesis.arn
        }
    """,
    cloudformation="""
        Rule:
          Type: AWS::Events::Rule
          Properties:
            Targets:
              - Id: stream
                Arn: !GetAtt Stream.Arn
                RoleArn: !GetAtt EventsToKinesisRole.Arn
    """,
    references=(
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html",
        "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html",
    ),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs=RULES,
)
def eb005(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """EventBridge delivers to Kinesis streams, ECS tasks, Systems Manager Run Command, Batch
    job queues, API destinations and event buses in another account or region only through an
    IAM role on the target (RoleArn); so does any Lambda, SNS or SQS target in another
    account. Without it, every event fails. For kinds AWS documents only through console
    behaviour (Step Functions, Firehose, CodeBuild, CodePipeline, SageMaker pipelines, Redshift
    Data, SSM Automation) a missing role is `unknown`, not `fail`. One result per (rule,
    target) that needs a role.
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        d = delivery.read(inventory, scope, r, target)
        need = role_need(d.as_target, r.account_id, r.region)
        role = target.get("RoleArn")
        where = f"{rule_label(r)}, {d.label}"
        evidence = {"kind": d.kind.name, "role": str(need), "RoleArn": role}
        if need in (RoleNeed.OPTIONAL, RoleNeed.FORBIDDEN):
            return None
        if isinstance(role, Unknown):
            return ctx.unknown(r, f"{where}: whether it has a role is not known ({show(role)}).", evidence)
        if role is not None:
            return ctx.passed(r, f"{where} delivers through role {show(role)}.", evidence)
        if need is RoleNeed.UNKNOWN:
            return ctx.unknown(
                r,
                f"{where}: opscheck does not know what kind of target this is, nor whether it needs a role.",
                evidence,
            )
        if not d.kind.verified:
            return ctx.unknown(
                r,
                f"{where} has no role; a {d.kind.label} target takes one in the console, but AWS does not document "
                "that it needs one, so this is not judged a fail.",
                evidence,
            )
        return ctx.fail(
            r,
            f"{where} has no role: EventBridge delivers to a {d.kind.label} only through one, so every event fails.",
            evidence,
        )

    yield from per_target(inventory, ctx, judge)
