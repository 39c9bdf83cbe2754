from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from rules.eventbridge.eb006_target_role_trust import ROLE_NEEDS
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib.event_targets import LOGS
from scanner.model import ECS_TASK_DEFINITION, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="EB007",
    name="eventbridge-target-role-permission",
    title="EventBridge target roles allow the delivery action",
    severity="high",
    family="eventbridge",
    remediation="""
        Allow the delivery action on the target in the role's policies (kinesis:PutRecord on
        the stream, states:StartExecution on the state machine, events:PutEvents on the bus,
        lambda:InvokeFunction / sns:Publish / sqs:SendMessage when a Lambda, SNS or SQS target
        uses a role, ...), and remove any Deny that blocks it.
    """,
    terraform="""
        resource "aws_iam_role_policy" "deliver" {
          role = aws_iam_role.events_target.id
          policy = jsonencode({
            Version   = "2012-10-17"
            Statement = [{ Effect = "Allow", Action = "kinesis:PutRecord", Resource = aws_kinesis_stream.s.arn }]
          })
        }
    """,
    cloudformation="""
        DeliverPolicy:
          Type: AWS::IAM::Policy
          Properties:
            PolicyName: deliver
            Roles: [!Ref EventsTargetRole]
            PolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Action: kinesis:PutRecord
                  Resource: !GetAtt Stream.Arn
    """,
    references=("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html",),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, **ROLE_NEEDS, ECS_TASK_DEFINITION: ()},
)
def eb007(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A target's role must allow the delivery action on the target: kinesis:PutRecord,
    firehose:PutRecord/PutRecordBatch, ecs:RunTask (and iam:PassRole, to ECS tasks, of the task
    and execution roles its task definition names), ssm:SendCommand, states:StartExecution,
    sagemaker:StartPipelineExecution, codebuild:StartBuild, codepipeline:StartPipelineExecution,
    batch:SubmitJob, events:PutEvents, events:InvokeApiDestination,
    redshift-data:ExecuteStatement, or lambda:InvokeFunction / sns:Publish / sqs:SendMessage
    when those targets use a role; an explicit Deny blocks it. Actions AWS does not document
    for EventBridge make a missing permission `unknown`, not `fail`; permission boundaries and
    SCPs are not evaluated (a boundary makes an allow `unknown`). One result per (rule,
    target) with a RoleArn.
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        role_arn = target.get("RoleArn")
        if role_arn is None:
            return None
        d = delivery.read(inventory, scope, r, target)
        if d.kind is LOGS:
            return None  # a Logs target must have no role at all: EB004 reports it
        where = f"{rule_label(r)}, {d.label}, role {show(role_arn)}"
        if not d.kind.actions:
            return ctx.unknown(
                r, f"{where}: opscheck does not know which action delivering to this target takes.", {}
            )
        role = delivery.find_role(inventory, scope, role_arn)
        if isinstance(role, Unknown):
            return ctx.unknown(r, f"{where}: {role.reason}.", {"RoleArn": role_arn})
        if role.exists is False:
            return ctx.fail(r, f"{where}: the role does not exist.", {"RoleArn": role_arn})
        verdict = delivery.role_allows(inventory, d, role, d.kind.actions)
        if verdict.allowed:
            return ctx.passed(r, f"{where}: {verdict.why}.", verdict.evidence)
        if verdict.allowed is None:
            return ctx.unknown(
                r, f"{where}: whether the role may deliver is not known: {verdict.why}.", verdict.evidence
            )
        if not d.kind.verified:
            return ctx.unknown(
                r,
                f"{where}: {verdict.why}; AWS does not document {', '.join(d.kind.actions)} as the action "
                f"EventBridge uses for a {d.kind.label}, so this is not judged a fail.",
                verdict.evidence,
            )
        return ctx.fail(r, f"{where}: {verdict.why}, so no event is delivered.", verdict.evidence)

    yield from per_target(inventory, ctx, judge)
