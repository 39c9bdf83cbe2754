from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label, target_label
from scanner.inventory import Inventory
from scanner.model import Reference, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="EB010",
    name="eventbridge-target-no-dlq",
    title="EventBridge targets have a dead-letter queue",
    severity="low",
    family="eventbridge",
    remediation="""
        Give the target a dead-letter queue (a standard SQS queue whose policy lets
        events.amazonaws.com send messages for this rule), so events EventBridge cannot
        deliver after its retries are kept instead of dropped.
    """,
    terraform="""
        resource "aws_cloudwatch_event_target" "t" {
          # ...
          dead_letter_config {
            arn = aws_sqs_queue.events_dlq.arn
          }
        }
    """,
    cloudformation="""
        Rule:
          Type: AWS::Events::Rule
          Properties:
            Targets:
              - Id: t
                Arn: !GetAtt Function.Arn
                DeadLetterConfig:
                  Arn: !GetAtt EventsDlq.Arn
    """,
    references=("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html",),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs=RULES,
)
def eb010(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An event EventBridge cannot deliver (the target throttles, is deleted, or denies the
    delivery) is retried for up to 24 hours and then dropped, unless the target has a
    dead-letter queue. One result per (rule, target).
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result:
        dlq = target.get("DeadLetterConfig")
        arn = dlq.get("Arn") if isinstance(dlq, Mapping) else dlq
        evidence = {"DeadLetterConfig": dlq}
        where = f"{rule_label(r)}, {target_label(target)}"
        if isinstance(arn, Unknown) or (isinstance(dlq, Unknown | Reference)):
            return ctx.unknown(
                r,
                f"{where}: whether it has a dead-letter queue is not known ({show(arn if isinstance(dlq, Mapping) else dlq)}).",
                evidence,
            )
        if arn:
            return ctx.passed(r, f"{where} has dead-letter queue {show(arn)}.", evidence)
        return ctx.fail(r, f"{where} has no dead-letter queue: events it cannot take are dropped.", evidence)

    yield from per_target(inventory, ctx, judge)
