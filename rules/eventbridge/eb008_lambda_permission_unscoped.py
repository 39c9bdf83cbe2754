from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rules.eventbridge.common import RULES, rule_label
from scanner.inventory import Inventory
from scanner.lib.arn import parse_arn
from scanner.lib.iam_policy import (
    Outcome,
    Policy,
    PolicyError,
    Principal,
    Request,
    evaluate,
    parse_policy,
)
from scanner.model import (
    EVENT_RULE,
    FUNCTION,
    LAMBDA_PERMISSION,
    LAMBDA_POLICY,
    Reference,
    Resource,
    ResourceRef,
    Result,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule

EVENTS = "events.amazonaws.com"
INVOKE = "lambda:InvokeFunction"
# Keys that tie a service's call to one source; without one, any account's rule can invoke.
SOURCE_KEYS = frozenset({"aws:SourceArn", "aws:SourceAccount"})


@rule(
    id="EB008",
    name="eventbridge-lambda-permission-unscoped",
    title="Lambda permissions for EventBridge name the rule that may invoke",
    severity="medium",
    family="eventbridge",
    remediation="""
        Scope the permission to the rule: set `SourceArn` to the rule's ARN (for a rule on a
        custom bus, `arn:aws:events:REGION:ACCOUNT:rule/BUS/RULE`), or at least
        `SourceAccount` to your account.
    """,
    terraform="""
        resource "aws_lambda_permission" "events" {
          statement_id  = "AllowEventBridge"
          action        = "lambda:InvokeFunction"
          function_name = aws_lambda_function.f.function_name
          principal     = "events.amazonaws.com"
          source_arn    = aws_cloudwatch_event_rule.r.arn
        }
    """,
    cloudformation="""
        EventsPermission:
          Type: AWS::Lambda::Permission
          Properties:
            Action: lambda:InvokeFunction
            FunctionName: !Ref Function
            Principal: events.amazonaws.com
            SourceArn: !GetAtt Rule.Arn
    """,
    references=(
        "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html",
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",
    ),
    compliance={"NIST-800-53-r5": ("AC-3", "AC-6")},
    needs={**RULES, LAMBDA_POLICY: (), LAMBDA_PERMISSION: ()},
)
def eb008(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A function policy that lets events.amazonaws.com invoke the function with no
    aws:SourceArn or aws:SourceAccount condition lets a rule in any AWS account invoke it
    ("other accounts could potentially configure resources in their account to invoke your
    Lambda function", AddPermission). Live: one result per function policy read for a
    target; IaC: per Lambda permission or resource policy that grants EventBridge.
    """
    for scope in inventory.scopes:
        for permission in inventory.of_type(LAMBDA_PERMISSION, scope):
            result = _permission(ctx, permission)
            if result is not None:
                yield result
        for policy in inventory.of_type(LAMBDA_POLICY, scope):
            result = _policy(ctx, policy)
            if result is not None:
                yield result
        if scope.is_live:
            # Live, the policies judged are those the rules' targets lead to: where rules or
            # their targets could not be listed, the policies behind them were never read.
            for event_rule in inventory.of_type(EVENT_RULE, scope):
                targets = event_rule.get("Targets")
                if isinstance(targets, Unknown):
                    yield ctx.unknown(
                        event_rule,
                        f"{rule_label(event_rule)}: its targets are not known ({show(targets)}), so the "
                        "policies of the functions it invokes were not read.",
                        {},
                    )
            yield from ctx.gap_unknowns(inventory, scope, EVENT_RULE, "EventBridge rules")


def _permission(ctx: RuleContext, res: Resource) -> Result | None:
    principal = res.get("Principal")
    evidence = {k: res.get(k) for k in ("FunctionName", "Principal", "Action", "SourceArn", "SourceAccount")}
    if isinstance(principal, Unknown | Reference):
        return ctx.unknown(
            res, f"Lambda permission {res.name}: its principal is not known ({show(principal)}).", evidence
        )
    if principal != EVENTS:
        return None  # not an EventBridge permission
    scoped = [k for k in ("SourceArn", "SourceAccount") if res.get(k) is not None]
    if scoped:
        return ctx.passed(
            res,
            f"Lambda permission {res.name} lets EventBridge invoke {show(res.get('FunctionName'))} only for "
            f"{' and '.join(f'{k} {show(res.get(k))}' for k in scoped)}.",
            evidence,
        )
    return ctx.fail(
        res,
        f"Lambda permission {res.name} lets EventBridge rules of any account invoke "
        f"{show(res.get('FunctionName'))}: it has no SourceArn or SourceAccount.",
        evidence,
    )


def _policy(ctx: RuleContext, res: Resource) -> Result | None:
    document = res.get("PolicyDocument")
    if document is None:
        return None  # the function has no policy
    subject = _subject(res)
    where = f"Function policy of {show(res.get('ResourceArn'))}"
    if isinstance(document, Unknown | Reference):
        return ctx.unknown(subject, f"{where} is not known ({show(document)}).", {"PolicyDocument": document})
    try:
        policy = parse_policy(document, name="function policy")
    except PolicyError as exc:
        return ctx.unknown(subject, f"{where} cannot be evaluated: {exc}", {"PolicyDocument": document})
    # Would EventBridge be let in with no source at all? Other condition keys stay unknown.
    request = Request(
        action=INVOKE,
        resource=res.get("ResourceArn"),
        principal=Principal(service=EVENTS),
        context={},
        absent=SOURCE_KEYS,
    )
    decision = evaluate(policy, request)
    evidence: dict[str, Any] = {
        "statements": [s.sentence() for s in decision.statements],
        "caveats": list(decision.caveats),
    }
    if decision.outcome is Outcome.ALLOW:
        return ctx.fail(
            subject,
            f"{where} lets EventBridge rules of any account invoke it: no statement that lets "
            "events.amazonaws.com in requires aws:SourceArn or aws:SourceAccount.",
            evidence,
        )
    if decision.outcome is Outcome.UNKNOWN:
        return ctx.unknown(
            subject,
            f"{where}: whether EventBridge needs a source to invoke is not decided ({decision.reason}).",
            evidence,
        )
    if not _names_events(policy):
        return None  # the policy does not concern EventBridge
    return ctx.passed(
        subject, f"{where} lets EventBridge invoke only for a named source rule or account.", evidence
    )


def _subject(res: Resource) -> Resource | ResourceRef:
    """Live: the function (its policy is not a resource users know); IaC: the policy resource."""
    if res.origin.source != "aws":
        return res
    arn = res.get("ResourceArn")
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:
        return res
    name = parsed.resource.split(":")[1] if ":" in parsed.resource else parsed.resource
    return ResourceRef(FUNCTION, arn, name, parsed.account or res.account_id, parsed.region or res.region)


def _names_events(policy: Policy) -> bool:
    """An Allow statement naming the EventBridge service principal."""
    return any(
        st.effect == "Allow"
        and any(kind == "Service" and value == EVENTS for kind, value in st.principal or ())
        for st in policy.statements
    )
