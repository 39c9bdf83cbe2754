from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES
from scanner.inventory import Inventory
from scanner.lib.iam_policy import Match, PolicyError, parse_policy, public_statements
from scanner.model import EVENT_BUS, EVENT_BUS_POLICY, Reference, Resource, Result, Unknown, show
from scanner.rule import RuleContext, rule

ACTION = "events:PutEvents"


@rule(
    id="EB009",
    name="eventbridge-bus-policy-public",
    title="Event bus policies do not let everyone put events",
    severity="high",
    family="eventbridge",
    remediation="""
        Restrict the statement to the accounts that send events: name them as principals, or
        keep `Principal: "*"` and add a condition on `aws:PrincipalOrgID` (your organization),
        `aws:SourceAccount`, `aws:SourceArn` or `aws:PrincipalAccount`.
    """,
    terraform="""
        resource "aws_cloudwatch_event_permission" "org" {
          principal      = "*"
          statement_id   = "OrganizationAccess"
          event_bus_name = aws_cloudwatch_event_bus.central.name
          condition {
            key   = "aws:PrincipalOrgID"
            type  = "StringEquals"
            value = "o-exampleorgid"
          }
        }
    """,
    cloudformation="""
        OrgAccess:
          Type: AWS::Events::EventBusPolicy
          Properties:
            EventBusName: !Ref CentralBus
            StatementId: OrganizationAccess
            Action: events:PutEvents
            Principal: "*"
            Condition:
              Type: StringEquals
              Key: aws:PrincipalOrgID
              Value: o-exampleorgid
    """,
    references=(
        "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html",
    ),
    compliance={"NIST-800-53-r5": ("AC-3", "AC-6")},
    needs={**RULES, EVENT_BUS: (), EVENT_BUS_POLICY: ()},
)
def eb009(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A bus policy statement that allows `events:PutEvents` to Principal `*` (also written
    `{"AWS": "*"}` or `arn:aws:iam::*:root`) without a condition on aws:PrincipalOrgID,
    aws:SourceAccount, aws:SourceArn or aws:PrincipalAccount lets any AWS account put events
    on the bus, and so trigger every rule on it. One result per bus with a policy (IaC: per
    bus policy resource).
    """
    for scope in inventory.scopes:
        for bus in inventory.of_type(EVENT_BUS, scope):
            policy = bus.get("Policy")
            if policy is not None:
                yield _judge(ctx, bus, policy, "Policy")
        for res in inventory.of_type(EVENT_BUS_POLICY, scope):
            yield _judge(ctx, res, _document(res), "statement")
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, EVENT_BUS, "EventBridge event buses")


def _document(res: Resource) -> Any:
    """An EventBusPolicy resource as a policy document: Terraform's whole document, or
    CloudFormation's Statement, or the statement its Principal/Action/Condition describe."""
    if res.get("Policy") is not None:
        return res.get("Policy")
    if res.get("Statement") is not None:
        return {"Version": "2012-10-17", "Statement": [res.get("Statement")]}
    principal = res.get("Principal")
    statement: dict[str, Any] = {
        "Sid": res.get("StatementId") or "statement",
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": principal},
        "Action": res.get("Action") or ACTION,
    }
    condition = res.get("Condition")
    if isinstance(condition, Mapping):
        statement["Condition"] = {condition.get("Type"): {condition.get("Key"): condition.get("Value")}}
    elif condition is not None:  # a reference or unknown: the statement's scope is not decided
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def _judge(ctx: RuleContext, res: Resource, document: Any, what: str) -> Result:
    subject = f"Event bus {res.name}" if res.type == EVENT_BUS else f"Event bus policy {res.name}"
    if isinstance(document, Unknown | Reference):
        return ctx.unknown(res, f"{subject}: the policy is not known ({show(document)}).", {what: document})
    try:
        policy = parse_policy(document, name=what)
    except PolicyError as exc:
        return ctx.unknown(res, f"{subject}: the policy cannot be evaluated: {exc}", {what: document})
    grants = public_statements(policy, ACTION)
    evidence = {
        "public_statements": [{"statement": g.label, "why": g.why, "status": str(g.status)} for g in grants]
    }
    sure = [g for g in grants if g.status is Match.YES]
    if sure:
        return ctx.fail(
            res,
            f"{subject} lets any AWS account put events ({sure[0].label}: {sure[0].why}).",
            evidence,
        )
    if grants:
        return ctx.unknown(
            res,
            f"{subject} may let any AWS account put events ({grants[0].label}: {grants[0].why}).",
            evidence,
        )
    return ctx.passed(
        res, f"{subject} grants events:PutEvents only to named or conditioned principals.", evidence
    )
