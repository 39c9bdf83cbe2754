from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.model import MANAGED_POLICY, ROLE, ROLE_POLICY, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule

ROLE_NEEDS = {ROLE: (), MANAGED_POLICY: (), ROLE_POLICY: ()}


@rule(
    id="EB006",
    name="eventbridge-target-role-trust",
    title="EventBridge target roles exist and trust events.amazonaws.com",
    severity="high",
    family="eventbridge",
    remediation="""
        Point the target at an existing role whose trust policy lets events.amazonaws.com call
        sts:AssumeRole (ideally conditioned on aws:SourceArn = this rule's ARN). Roles for
        EventBridge Scheduler (scheduler.amazonaws.com) or Pipes (pipes.amazonaws.com) do not
        serve rule targets.
    """,
    terraform="""
        data "aws_iam_policy_document" "events_assume" {
          statement {
            actions = ["sts:AssumeRole"]
            principals {
              type        = "Service"
              identifiers = ["events.amazonaws.com"]
            }
          }
        }
        resource "aws_iam_role" "events_target" {
          name               = "events-target"
          assume_role_policy = data.aws_iam_policy_document.events_assume.json
        }
    """,
    cloudformation="""
        EventsTargetRole:
          Type: AWS::IAM::Role
          Properties:
            AssumeRolePolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: {Service: events.amazonaws.com}
                  Action: sts:AssumeRole
    """,
    references=("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html",),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, **ROLE_NEEDS},
)
def eb006(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A target's role is used only if it exists and its trust policy lets
    events.amazonaws.com assume it. One result per (rule, target) with a RoleArn.
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        role_arn = target.get("RoleArn")
        if role_arn is None:
            return None
        d = delivery.read(inventory, scope, r, target)
        where = f"{rule_label(r)}, {d.label}, role {show(role_arn)}"
        role = delivery.find_role(inventory, scope, role_arn)
        if isinstance(role, Unknown):
            return ctx.unknown(r, f"{where}: {role.reason}.", {"RoleArn": role_arn})
        if role.exists is False:
            return ctx.fail(
                r, f"{where}: the role does not exist, so no event is delivered.", {"RoleArn": role_arn}
            )
        verdict = delivery.role_trusts_events(d, role)
        if verdict.allowed:
            return ctx.passed(r, f"{where}: {verdict.why}.", verdict.evidence)
        if verdict.allowed is None:
            return ctx.unknown(
                r,
                f"{where}: whether EventBridge may assume it is not known: {verdict.why}.",
                verdict.evidence,
            )
        return ctx.fail(r, f"{where}: {verdict.why}, so no event is delivered.", verdict.evidence)

    yield from per_target(inventory, ctx, judge)
