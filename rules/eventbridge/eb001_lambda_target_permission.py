from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib import event_targets as kinds
from scanner.model import LAMBDA_PERMISSION, LAMBDA_POLICY, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule

ACTION = "lambda:InvokeFunction"


@rule(
    id="EB001",
    name="eventbridge-lambda-target-permission",
    title="EventBridge may invoke its Lambda targets",
    severity="high",
    family="eventbridge",
    remediation="""
        Add a function policy statement that lets events.amazonaws.com invoke the function for
        this rule (for an alias or version target, on that qualifier), or give the target an
        execution role allowed to call lambda:InvokeFunction on it.
    """,
    terraform="""
        resource "aws_lambda_permission" "events" {
          statement_id  = "AllowEventBridge"
          action        = "lambda:InvokeFunction"
          function_name = aws_lambda_function.f.function_name
          qualifier     = "prod" # only for an alias or version target
          principal     = "events.amazonaws.com"
          source_arn    = aws_cloudwatch_event_rule.r.arn
        }
    """,
    cloudformation="""
        EventsPermission:
          Type: AWS::Lambda::Permission
          Properties:
            Action: lambda:InvokeFunction
            FunctionName: !GetAtt Function.Arn
            Principal: events.amazonaws.com
            SourceArn: !GetAtt Rule.Arn
    """,
    references=(
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",
        "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html",
    ),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, LAMBDA_POLICY: (), LAMBDA_PERMISSION: ()},
)
def eb001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A Lambda target receives events only when EventBridge may invoke it: through an
    execution role on the target (RoleArn, judged by EB006/EB007), or through a function
    policy statement that lets events.amazonaws.com call lambda:InvokeFunction for this
    rule's ARN (`rule/BUS/RULE` on a custom bus; SourceArn wildcards as ArnLike). For an
    alias or version target, the policy of that qualifier counts, not the function's. Follows
    the EventBridge user guide as of 2025, where Lambda, SNS and SQS targets may use either.
    One result per (rule, Lambda target).
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        d = delivery.read(inventory, scope, r, target)
        if d.kind is not kinds.LAMBDA:
            return None
        where = f"{rule_label(r)}, {d.label}"
        role = target.get("RoleArn")
        if isinstance(role, Unknown):
            return ctx.unknown(
                r,
                f"{where}: whether it uses an execution role is not known ({show(role)}).",
                {"RoleArn": role},
            )
        other = d.parsed.account
        if role is not None and d.live and other and other != r.account_id:
            # Another account's function: the role AND that function's policy are needed,
            # and opscheck reads only the scanned account.
            return ctx.unknown(
                r,
                f"{where} is in account {other}: its function policy is not read by this scan.",
                {"RoleArn": role},
            )
        if role is not None and not d.live and other and d.resource is None:
            # Which account a configuration deploys to is not in the files: the function may
            # be another account's, whose policy would have to allow the role too.
            return ctx.unknown(
                r,
                f"{where} is in account {other} and not declared in the scanned files: if that is not the account "
                "this configuration deploys to, the function's policy must also allow the role, and it is not read.",
                {"RoleArn": role},
            )
        if role is not None:
            return ctx.passed(
                r,
                f"{where} is invoked through execution role {show(role)} (EB006/EB007 judge the role).",
                {"RoleArn": role},
            )
        verdict = delivery.resource_policy_allows(inventory, d, ACTION)
        evidence = {"rule_arn": d.rule_arn, **verdict.evidence}
        if verdict.allowed:
            return ctx.passed(
                r, f"{where}: the function policy lets this rule invoke it ({verdict.why})", evidence
            )
        if verdict.allowed is None:
            return ctx.unknown(
                r,
                f"{where}: whether this rule may invoke the function is not known: {verdict.why}.",
                evidence,
            )
        evidence["fix"] = delivery.fix(d, ACTION)
        return ctx.fail(
            r,
            f"{where}: EventBridge may not invoke the function for this rule ({verdict.why}) and the target has no "
            "execution role, so its events are not delivered.",
            evidence,
        )

    yield from per_target(inventory, ctx, judge, kinds.LAMBDA)
