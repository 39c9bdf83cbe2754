"""EB004 (CloudWatch Logs targets) and EB005 (targets that need a role) on live, Terraform
and CloudFormation."""

from __future__ import annotations

import json
from pathlib import Path

from eventbridge_world import LOG_GROUP_ARN, REGION, arn, document, rule_arn, seed, statement

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import live_scan, results, rules
from testkit import write_tree as write


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    return {f"{r.resource.id}/{r.discriminator}": r.status.value for r in results(outcome, rule_id)}


def test_live_logs_target_policy_and_role(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="with-role", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="with-role",
        Targets=[{"Id": "logs", "Arn": f"{LOG_GROUP_ARN}:*", "RoleArn": arn("iam", "role/x", region="")}],
    )
    out = live_scan(aws, "EB004", regions=[REGION])
    got = verdicts(out, "EB004")
    # The seeded account policy grants logs:PutLogEvents but not logs:CreateLogStream, and the
    # emulator cannot answer for the log group's own policy (it returns account policies to a
    # log-group-scoped query): the group's policy might grant it, so unknown, not fail.
    assert got[f"{rule_arn('audit')}/audit"] == "unknown"
    assert got[f"{rule_arn('with-role')}/logs"] == "fail"
    audit = next(r for r in results(out, "EB004") if "audit" in r.resource.id)
    assert "log group policy is not known" in audit.message
    logs = aws.client("logs", region_name=REGION)
    logs.put_resource_policy(
        policyName="TrustEventsToStoreLogEvent",
        policyDocument=json.dumps(
            document(
                statement(
                    "events.amazonaws.com",
                    ["logs:CreateLogStream", "logs:PutLogEvents"],  # type: ignore[arg-type]
                    arn("logs", "log-group:/aws/events/*:*"),
                )
            )
        ),
    )
    out = live_scan(aws, "EB004", regions=[REGION])
    assert verdicts(out, "EB004")[f"{rule_arn('audit')}/audit"] == "pass"


def test_live_roles_where_the_kind_needs_one(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="stream", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="stream",
        Targets=[
            {"Id": "bare", "Arn": arn("kinesis", "stream/features")},
            {"Id": "sfn", "Arn": arn("states", "stateMachine:train")},
            {"Id": "bus", "Arn": arn("events", "event-bus/central", region="eu-west-1")},
        ],
    )
    out = live_scan(aws, "EB005", regions=[REGION])
    got = verdicts(out, "EB005")
    assert got[f"{rule_arn('stream')}/bare"] == "fail"
    assert got[f"{rule_arn('stream')}/sfn"] == "unknown"  # AWS does not document it
    assert got[f"{rule_arn('stream')}/bus"] == "fail"  # a bus in another region
    assert got[f"{rule_arn('nightly')}/features"] == "pass"
    assert got[f"{rule_arn('train-failed', 'ml')}/partner"] == "fail"  # a queue in another account
    assert f"{rule_arn('nightly')}/score" not in got  # Lambda in the same account: role optional


TF = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "r"
  schedule_expression = "rate(1 day)"
}
resource "aws_cloudwatch_log_group" "g" {
  name = "/aws/events/r"
}
resource "aws_kinesis_stream" "s" {
  name        = "s"
  shard_count = 1
}
data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.g.arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}
resource "aws_cloudwatch_log_resource_policy" "p" {
  policy_name     = "events"
  policy_document = data.aws_iam_policy_document.logs.json
}
resource "aws_cloudwatch_event_target" "logs" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "logs"
  arn       = aws_cloudwatch_log_group.g.arn
}
resource "aws_cloudwatch_event_target" "logs_role" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "logs-role"
  arn       = aws_cloudwatch_log_group.g.arn
  role_arn  = "arn:aws:iam::123456789012:role/x"
}
resource "aws_cloudwatch_event_target" "stream" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "stream"
  arn       = aws_kinesis_stream.s.arn
}
"""


def test_terraform(tmp_path: Path):
    root = write(tmp_path / "cfg", {"main.tf": TF})
    out = scan_iac([root], rules("EB004", "EB005"), tmp_path)
    eb004 = verdicts(out, "EB004")
    assert eb004["aws_cloudwatch_event_rule.r/logs-role"] == "fail"
    # The policy names `${g.arn}:*`, a template of the reference: not provably the group.
    assert eb004["aws_cloudwatch_event_rule.r/logs"] in {"pass", "unknown"}
    assert verdicts(out, "EB005") == {"aws_cloudwatch_event_rule.r/stream": "fail"}


def test_cloudformation(tmp_path: Path):
    text = """
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      ResourcePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: "*"
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: stream, Arn: !GetAtt Stream.Arn}
        - {Id: stream-role, Arn: !GetAtt Stream.Arn, RoleArn: !GetAtt Role.Arn}
        - {Id: logs, Arn: !GetAtt Group.Arn}
"""
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    out = scan_iac([path], rules("EB004", "EB005"), tmp_path)
    assert verdicts(out, "EB005") == {"Rule/stream": "fail", "Rule/stream-role": "pass"}
    assert verdicts(out, "EB004") == {"Rule/logs": "pass"}
