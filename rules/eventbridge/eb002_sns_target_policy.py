from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.eventbridge.common import RULES, judge_policy_and_key, per_target
from scanner.inventory import Inventory
from scanner.lib import event_targets as kinds
from scanner.model import (
    KMS_ALIAS,
    KMS_KEY,
    TOPIC,
    TOPIC_INLINE_POLICY,
    TOPIC_POLICY,
    Resource,
    Result,
    Scope,
)
from scanner.rule import RuleContext, rule


@rule(
    id="EB002",
    name="eventbridge-sns-target-policy",
    title="EventBridge may publish to its SNS targets",
    severity="high",
    family="eventbridge",
    remediation="""
        Let EventBridge publish to the topic for this rule: a topic policy statement allowing
        events.amazonaws.com sns:Publish with `aws:SourceArn` = the rule's ARN (or an execution
        role on the target). A topic encrypted with KMS needs a customer managed key whose
        policy lets events.amazonaws.com call kms:GenerateDataKey* and kms:Decrypt; the AWS
        managed key `alias/aws/sns` cannot work.
    """,
    terraform="""
        data "aws_iam_policy_document" "topic" {
          statement {
            actions   = ["sns:Publish"]
            resources = [aws_sns_topic.t.arn]
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
        resource "aws_sns_topic_policy" "t" {
          arn    = aws_sns_topic.t.arn
          policy = data.aws_iam_policy_document.topic.json
        }
    """,
    cloudformation="""
        TopicPolicy:
          Type: AWS::SNS::TopicPolicy
          Properties:
            Topics: [!Ref Topic]
            PolicyDocument:
              Version: "2012-10-17"
              Statement:
                - Effect: Allow
                  Principal: {Service: events.amazonaws.com}
                  Action: sns:Publish
                  Resource: !Ref Topic
                  Condition:
                    ArnEquals: {"aws:SourceArn": !GetAtt Rule.Arn}
    """,
    references=(
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html",
        "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
    ),
    compliance={"AWS-WA": ("REL05-BP03",)},
    needs={**RULES, TOPIC: (), TOPIC_INLINE_POLICY: (), TOPIC_POLICY: (), KMS_KEY: (), KMS_ALIAS: ()},
)
def eb002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An SNS target takes events only when EventBridge may call sns:Publish on it for this
    rule (an execution role, or a topic policy statement for events.amazonaws.com whose
    aws:SourceArn matches the rule), and, for a KMS-encrypted topic, only with a customer
    managed key whose policy lets events.amazonaws.com call kms:GenerateDataKey* and
    kms:Decrypt. One result per (rule, SNS target).
    """

    def judge(r: Resource, target: Mapping[str, Any], scope: Scope) -> Result | None:
        return judge_policy_and_key(
            inventory, ctx, r, target, scope, kinds.SNS, "sns:Publish", ("kms:GenerateDataKey", "kms:Decrypt")
        )

    yield from per_target(inventory, ctx, judge, kinds.SNS)
