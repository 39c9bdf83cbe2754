"""EB011: can EventBridge write to a target's dead-letter queue? FIFO queues never; standard
queues when their policy lets events.amazonaws.com send for this rule."""

from __future__ import annotations

from pathlib import Path

from eventbridge_world import REGION, rule_arn, seed

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import live_scan, results, rules
from testkit import write_tree as write


def verdicts(outcome: ScanOutcome) -> dict[str, str]:
    return {f"{r.resource.id}/{r.discriminator}": r.status.value for r in results(outcome, "EB011")}


def test_live(aws):
    seed(aws)
    out = live_scan(aws, "EB011", regions=[REGION])
    got = verdicts(out)
    assert got[f"{rule_arn('nightly')}/work"] == "fail"  # its DLQ is dlq.fifo
    # `work` allows events.amazonaws.com sqs:SendMessage with no condition: any rule may send.
    assert got[f"{rule_arn('train-done', 'ml')}/alerts"] == "pass"
    assert len(got) == 2  # only targets with a DLQ


TF = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "r"
  schedule_expression = "rate(1 day)"
}
resource "aws_sqs_queue" "dlq" {
  name = "events-dlq"
}
resource "aws_sqs_queue" "bare" {
  name = "bare-dlq"
}
resource "aws_sqs_queue" "fifo" {
  name       = "events.fifo"
  fifo_queue = true
}
data "aws_iam_policy_document" "dlq" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
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
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}
resource "aws_cloudwatch_event_target" "ok" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "ok"
  arn       = "arn:aws:sns:us-east-1:123456789012:t"
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}
resource "aws_cloudwatch_event_target" "bare" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "bare"
  arn       = "arn:aws:sns:us-east-1:123456789012:t"
  dead_letter_config {
    arn = aws_sqs_queue.bare.arn
  }
}
resource "aws_cloudwatch_event_target" "fifo" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "fifo"
  arn       = "arn:aws:sns:us-east-1:123456789012:t"
  dead_letter_config {
    arn = aws_sqs_queue.fifo.arn
  }
}
resource "aws_cloudwatch_event_target" "elsewhere" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "elsewhere"
  arn       = "arn:aws:sns:us-east-1:123456789012:t"
  dead_letter_config {
    arn = "arn:aws:sqs:us-east-1:123456789012:declared-elsewhere"
  }
}
"""


def test_terraform(tmp_path: Path):
    root = write(tmp_path / "cfg", {"main.tf": TF})
    out = scan_iac([root], rules("EB011"), tmp_path)
    assert verdicts(out) == {
        "aws_cloudwatch_event_rule.r/ok": "pass",
        "aws_cloudwatch_event_rule.r/bare": "fail",
        "aws_cloudwatch_event_rule.r/fifo": "fail",
        "aws_cloudwatch_event_rule.r/elsewhere": "unknown",
    }


def test_cloudformation(tmp_path: Path):
    text = """
Parameters:
  DlqArn:
    Type: String
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Fifo:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  DlqPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Dlq]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Dlq.Arn
            Condition:
              ArnEquals: {"aws:SourceArn": !GetAtt Rule.Arn}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: ok, Arn: arn:aws:sns:us-east-1:123456789012:t, DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}}
        - {Id: fifo, Arn: arn:aws:sns:us-east-1:123456789012:t, DeadLetterConfig: {Arn: !GetAtt Fifo.Arn}}
        - {Id: param, Arn: arn:aws:sns:us-east-1:123456789012:t, DeadLetterConfig: {Arn: !Ref DlqArn}}
"""
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    out = scan_iac([path], rules("EB011"), tmp_path)
    assert verdicts(out) == {"Rule/ok": "pass", "Rule/fifo": "fail", "Rule/param": "unknown"}
