from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, per_target, rule_label
from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib import event_targets as kinds
from scanner.model import (
    KMS_ALIAS,
    KMS_KEY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    QUEUE_POLICY,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule

ACTION = "sqs:SendMessage"
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


@rule(
    id="EB011",
    name="eventbridge-dlq-not-deliverable",
    title="EventBridge can write to its dead-letter queues",
    severity="medium",
    family="eventbridge",
    remediation="""
        Use a standard (not FIFO) SQS queue as the dead-letter queue and give it a queue policy
        that lets events.amazonaws.com call sqs:SendMessage with `aws:SourceArn` set to this
        rule's ARN.
    """,
    terraform="""
        data "aws_iam_policy_document" "dlq" {
          statement {
            actions   = ["sqs:SendMessage"]
            resources = [aws_sqs_queue.events_dlq.arn]
            principals {
              type        = "Service"
              identifiers = ["events.amazonaws.com"]
            }
            condition {
              test     = "ArnEquals"
              variable = "aws:SourceArn"
              values   = [aws_cloudwatch_event_rule.r.arn]
            }
          }
        }
        resource "aws_sqs_queue_policy" "dlq" {
          queue_url = aws_sqs_queue.events_dlq.id
          policy    = data.aws_iam_policy_document.dlq.json
        }
    """,
    cloudformation="""
        DlqPolicy:
          Type: AWS::SQS::QueuePolicy
          Properties:
            Queues: [!Ref EventsDlq]
            PolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: {Service: events.amazonaws.com}
                  Action: sqs:SendMessage
                  Resource: !GetAtt EventsDlq.Arn
                  Condition:
                    ArnEquals: {"aws:SourceArn": !GetAtt Rule.Arn}
    """,
    references=("https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html",),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, QUEUE: (), QUEUE_INLINE_POLICY: (), QUEUE_POLICY: (), KMS_KEY: (), KMS_ALIAS: ()},
)
def eb011(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A dead-letter queue catches the events EventBridge could not deliver only if it can
    take them: "EventBridge DLQs are standard Amazon SQS queues" (a FIFO queue does not
    work), and the queue policy must let events.amazonaws.com call sqs:SendMessage for this
    rule. One result per (rule, target) with a dead-letter queue.
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        config = target.get("DeadLetterConfig")
        arn = config.get("Arn") if isinstance(config, Mapping) else None
        if arn is None:
            return None  # no DLQ: EB010's business
        where = f"{rule_label(r)}, target {show(target.get('Id'))}, dead-letter queue {show(arn)}"
        d = delivery.read(inventory, scope, r, {"Id": target.get("Id"), "Arn": arn})
        if isinstance(arn, Unknown) or d.kind not in (kinds.SQS, kinds.UNKNOWN):
            if isinstance(arn, Unknown):
                return ctx.unknown(r, f"{where}: the queue is not known.", {"DeadLetterConfig": config})
            return ctx.fail(r, f"{where} is not an SQS queue.", {"DeadLetterConfig": config})
        fifo = delivery.queue_fifo(d)
        if fifo is True:
            return ctx.fail(
                r,
                f"{where} is a FIFO queue: EventBridge dead-letter queues must be standard queues.",
                {"DeadLetterConfig": config},
            )
        verdict = delivery.resource_policy_allows(inventory, d, ACTION)
        key = delivery.key_allows(inventory, d, d.resource, KEY_ACTIONS)
        evidence = {"rule_arn": d.rule_arn, "fifo": fifo, **verdict.evidence, "kms": key.evidence}
        if verdict.allowed is False:
            evidence["fix"] = delivery.fix(d, ACTION)
            return ctx.fail(
                r, f"{where}: its queue policy does not let EventBridge send to it ({verdict.why}).", evidence
            )
        if key.allowed is False:
            return ctx.fail(r, f"{where}: {key.why}, so EventBridge cannot write to it.", evidence)
        if key.allowed is None and verdict.allowed is not None:
            return ctx.unknown(
                r, f"{where}: whether EventBridge may use its KMS key is not known: {key.why}.", evidence
            )
        if verdict.allowed is None or fifo is None:
            why = verdict.why if verdict.allowed is None else "whether it is a FIFO queue is not known"
            return ctx.unknown(
                r, f"{where}: whether EventBridge can write to it is not known: {why}.", evidence
            )
        return ctx.passed(r, f"{where} is a standard queue EventBridge may send to for this rule.", evidence)

    yield from per_target(inventory, ctx, judge)
