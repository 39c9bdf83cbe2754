"""EB002 (SNS) and EB003 (SQS): the target's policy for this rule, and the KMS key that
encrypts it (customer key policy, AWS managed keys, SSE-SQS), live, Terraform, CloudFormation."""

from __future__ import annotations

import json
from pathlib import Path

from eventbridge_world import REGION, arn, rule_arn, seed

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import live_scan, results, rules
from testkit import write_tree as write


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    return {f"{r.resource.id}/{r.discriminator}": r.status.value for r in results(outcome, rule_id)}


def test_live_queues_and_keys(aws):
    seed(aws)
    out = live_scan(aws, "EB003", regions=[REGION])
    got = verdicts(out, "EB003")
    assert got[f"{rule_arn('nightly')}/work"] == "pass"  # policy allows, SSE-SQS
    assert got[f"{rule_arn('train-failed', 'ml')}/sse"] == "fail"  # no queue policy
    managed = next(r for r in results(out, "EB003") if r.discriminator == "managed")
    assert managed.status.value == "fail"  # alias/aws/sqs (and no policy)
    assert got[f"{rule_arn('train-failed', 'ml')}/partner"] == "unknown"  # another account


def test_live_topic_with_a_customer_key(aws):
    world = seed(aws)
    out = live_scan(aws, "EB002", regions=[REGION])
    alerts = f"{rule_arn('train-done', 'ml')}/alerts"
    # The topic policy names this rule, but the key keeps the default policy.
    assert verdicts(out, "EB002")[alerts] == "fail"
    assert "does not let events.amazonaws.com" in next(r.message for r in results(out, "EB002"))
    kms = aws.client("kms", region_name=REGION)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            },
        ],
    }
    kms.put_key_policy(KeyId=world.key_arn, PolicyName="default", Policy=json.dumps(policy))
    out = live_scan(aws, "EB002", regions=[REGION])
    assert verdicts(out, "EB002")[alerts] == "pass"


TF = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "r"
  schedule_expression = "rate(1 day)"
}
resource "aws_kms_key" "open" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = ["kms:GenerateDataKey", "kms:Decrypt"]
      Resource  = "*"
    }]
  })
}
resource "aws_kms_key" "closed" {}
resource "aws_sqs_queue" "open" {
  name              = "open"
  kms_master_key_id = aws_kms_key.open.arn
}
resource "aws_sqs_queue" "closed" {
  name              = "closed"
  kms_master_key_id = aws_kms_key.closed.arn
}
resource "aws_sqs_queue" "managed" {
  name              = "managed"
  kms_master_key_id = "alias/aws/sqs"
}
data "aws_iam_policy_document" "send" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
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
resource "aws_sqs_queue_policy" "open" {
  queue_url = aws_sqs_queue.open.id
  policy    = data.aws_iam_policy_document.send.json
}
resource "aws_sqs_queue_policy" "closed" {
  queue_url = aws_sqs_queue.closed.id
  policy    = data.aws_iam_policy_document.send.json
}
resource "aws_sqs_queue_policy" "managed" {
  queue_url = aws_sqs_queue.managed.id
  policy    = data.aws_iam_policy_document.send.json
}
resource "aws_cloudwatch_event_target" "open" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "open"
  arn       = aws_sqs_queue.open.arn
}
resource "aws_cloudwatch_event_target" "closed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "closed"
  arn       = aws_sqs_queue.closed.arn
}
resource "aws_cloudwatch_event_target" "managed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "managed"
  arn       = aws_sqs_queue.managed.arn
}
"""


def test_terraform_queue_keys(tmp_path: Path):
    root = write(tmp_path / "cfg", {"main.tf": TF})
    out = scan_iac([root], rules("EB003"), tmp_path)
    assert verdicts(out, "EB003") == {
        "aws_cloudwatch_event_rule.r/open": "pass",
        "aws_cloudwatch_event_rule.r/closed": "fail",  # the default key policy
        "aws_cloudwatch_event_rule.r/managed": "fail",  # AWS managed key
    }


def test_cloudformation_topic(tmp_path: Path):
    text = """
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: allowed, Arn: !Ref Allowed}
        - {Id: bare, Arn: !Ref Bare}
  Allowed:
    Type: AWS::SNS::Topic
  Bare:
    Type: AWS::SNS::Topic
  AllowedPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Allowed]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref Allowed
            Condition:
              ArnEquals: {"aws:SourceArn": !GetAtt Rule.Arn}
"""
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    out = scan_iac([path], rules("EB002"), tmp_path)
    assert verdicts(out, "EB002") == {"Rule/allowed": "pass", "Rule/bare": "fail"}
    assert arn  # the shared world helpers stay importable


def test_a_queue_fail_shows_the_statement_to_add(tmp_path: Path):
    text = TF.replace(
        'resource "aws_sqs_queue_policy" "closed"', 'resource "aws_sqs_queue_policy" "unused"'
    ).replace(
        "queue_url = aws_sqs_queue.closed.id",
        'queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/other"',
    )
    root = write(tmp_path / "cfg", {"main.tf": text})
    out = scan_iac([root], rules("EB003"), tmp_path)
    closed = next(r for r in results(out, "EB003") if r.discriminator == "closed")
    assert closed.status.value == "fail"
    snippet = closed.evidence["fix"]["terraform"]
    assert (
        'actions   = ["sqs:SendMessage"]' in snippet and "resources = [aws_sqs_queue.closed.arn]" in snippet
    )
    assert "values   = [aws_cloudwatch_event_rule.r.arn]" in snippet
