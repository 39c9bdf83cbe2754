from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, judge_policy_and_key, per_target, rule_label
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
    Status,
    Unknown,
)
from scanner.rule import RuleContext, rule


@rule(
    id="EB003",
    name="eventbridge-sqs-target-policy",
    title="EventBridge may send to its SQS targets",
    severity="high",
    family="eventbridge",
    remediation="""
        Let EventBridge send to the queue for this rule: a queue policy statement allowing
        events.amazonaws.com sqs:SendMessage with `aws:SourceArn` = the rule's ARN (or an
        execution role on the target). A queue encrypted with KMS needs a customer managed key
        whose policy lets events.amazonaws.com call kms:GenerateDataKey and kms:Decrypt;
        SSE-SQS needs nothing, the AWS managed key `alias/aws/sqs` cannot work.
    """,
    terraform="""
        data "aws_iam_policy_document" "queue" {
          statement {
            actions   = ["sqs:SendMessage"]
            resources = [aws_sqs_queue.q.arn]
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
        resource "aws_sqs_queue_policy" "q" {
          queue_url = aws_sqs_queue.q.id
          policy    = data.aws_iam_policy_document.queue.json
        }
    """,
    cloudformation="""
        QueuePolicy:
          Type: AWS::SQS::QueuePolicy
          Properties:
            Queues: [!Ref Queue]
            PolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: {Service: events.amazonaws.com}
                  Action: sqs:SendMessage
                  Resource: !GetAtt Queue.Arn
                  Condition:
                    ArnEquals: {"aws:SourceArn": !GetAtt Rule.Arn}
    """,
    references=(
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html",
    ),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, QUEUE: (), QUEUE_INLINE_POLICY: (), QUEUE_POLICY: (), KMS_KEY: (), KMS_ALIAS: ()},
)
def eb003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An SQS target takes events only when EventBridge may call sqs:SendMessage on it for this
    rule (an execution role, or a queue policy statement for events.amazonaws.com whose
    aws:SourceArn matches the rule), and, for a KMS-encrypted queue, only with a customer
    managed key whose policy lets events.amazonaws.com call kms:GenerateDataKey and
    kms:Decrypt. SSE-SQS (the default without a KMS key) needs nothing. A FIFO queue also
    needs a message group on the target (SqsParameters.MessageGroupId) and content-based
    deduplication on the queue. One result per (rule, SQS target).
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        result = judge_policy_and_key(
            inventory,
            ctx,
            r,
            target,
            scope,
            kinds.SQS,
            "sqs:SendMessage",
            ("kms:GenerateDataKey", "kms:Decrypt"),
        )
        if result is None:
            return None
        d = delivery.read(inventory, scope, r, target)
        where = f"{rule_label(r)}, {d.label}"
        problems = delivery.fifo_problems(d)
        if isinstance(problems, Unknown):
            if result.status is not Status.PASS:
                return result
            return ctx.unknown(
                r, f"{where}: EventBridge may send to it, but {problems.reason}.", result.evidence
            )
        if not problems:
            return result
        result.evidence["fifo"] = problems
        if result.status is Status.FAIL:
            result.message += f" Also, {'; '.join(problems)}."
            return result
        return ctx.fail(r, f"{where}: {'; '.join(problems)}, so no event is delivered.", result.evidence)

    yield from per_target(inventory, ctx, judge, kinds.SQS)
