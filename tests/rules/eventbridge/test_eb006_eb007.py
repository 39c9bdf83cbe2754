"""EB006 (the role exists and trusts events.amazonaws.com) and EB007 (its policies allow the
delivery action; an explicit Deny blocks it), live, Terraform, CloudFormation."""

from __future__ import annotations

import json
from pathlib import Path

from eventbridge_world import REGION, STREAM_ARN, arn, rule_arn, seed

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import live_scan, results, rules
from testkit import write_tree as write


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    return {f"{r.resource.id}/{r.discriminator}": r.status.value for r in results(outcome, rule_id)}


def _role(iam, name: str, service: str, policy: dict | None = None) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return role


def test_live_roles(aws):
    seed(aws)
    iam = aws.client("iam", region_name=REGION)
    allow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kinesis:PutRecord", "Resource": "*"}],
    }
    denied = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "kinesis:PutRecord", "Resource": STREAM_ARN},
        ],
    }
    scheduler = _role(iam, "scheduler-role", "scheduler.amazonaws.com", allow)
    reader = _role(
        iam,
        "reader-role",
        "events.amazonaws.com",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "kinesis:DescribeStream", "Resource": "*"}],
        },
    )
    deny = _role(iam, "deny-role", "events.amazonaws.com", denied)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="roles", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="roles",
        Targets=[
            {"Id": "scheduler", "Arn": STREAM_ARN, "RoleArn": scheduler},
            {"Id": "reader", "Arn": STREAM_ARN, "RoleArn": reader},
            {"Id": "deny", "Arn": STREAM_ARN, "RoleArn": deny},
            {"Id": "gone", "Arn": STREAM_ARN, "RoleArn": arn("iam", "role/never-created", region="")},
        ],
    )
    out = live_scan(aws, "EB006", "EB007", regions=[REGION])
    trust, perms = verdicts(out, "EB006"), verdicts(out, "EB007")
    r = rule_arn("roles")
    assert trust[f"{r}/scheduler"] == "fail"  # Scheduler's principal, not EventBridge rules'
    assert trust[f"{r}/reader"] == "pass" and perms[f"{r}/reader"] == "fail"
    assert perms[f"{r}/deny"] == "fail"  # the explicit Deny beats kinesis:*
    assert trust[f"{r}/gone"] == "fail" and perms[f"{r}/gone"] == "fail"
    # The seeded role: inline PutRecord and an attached managed policy.
    assert trust[f"{rule_arn('nightly')}/features"] == "pass"
    assert perms[f"{rule_arn('nightly')}/features"] == "pass"


TF = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "r"
  schedule_expression = "rate(1 day)"
}
resource "aws_kinesis_stream" "s" {
  name        = "s"
  shard_count = 1
}
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}
resource "aws_iam_role" "good" {
  name               = "good"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
resource "aws_iam_role_policy" "good" {
  role = aws_iam_role.good.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "kinesis:PutRecord", Resource = aws_kinesis_stream.s.arn }]
  })
}
resource "aws_iam_role" "bare" {
  name               = "bare"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
resource "aws_iam_role" "managed" {
  name               = "managed"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}
resource "aws_iam_role_policy_attachment" "managed" {
  role       = aws_iam_role.managed.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonKinesisFullAccess"
}
resource "aws_cloudwatch_event_target" "good" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "good"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = aws_iam_role.good.arn
}
resource "aws_cloudwatch_event_target" "bare" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "bare"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = aws_iam_role.bare.arn
}
resource "aws_cloudwatch_event_target" "managed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "managed"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = aws_iam_role.managed.arn
}
"""


def test_terraform(tmp_path: Path):
    root = write(tmp_path / "cfg", {"main.tf": TF})
    out = scan_iac([root], rules("EB006", "EB007"), tmp_path)
    assert set(verdicts(out, "EB006").values()) == {"pass"}
    assert verdicts(out, "EB007") == {
        "aws_cloudwatch_event_rule.r/good": "pass",
        "aws_cloudwatch_event_rule.r/bare": "fail",
        "aws_cloudwatch_event_rule.r/managed": "unknown",  # an AWS managed policy not in the files
    }


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
        Statement: [{Effect: Allow, Principal: {Service: pipes.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: put
          PolicyDocument:
            Statement: [{Effect: Allow, Action: kinesis:PutRecord, Resource: !GetAtt Stream.Arn}]
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: stream, Arn: !GetAtt Stream.Arn, RoleArn: !GetAtt Role.Arn}
"""
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    out = scan_iac([path], rules("EB006", "EB007"), tmp_path)
    assert verdicts(out, "EB006") == {"Rule/stream": "fail"}  # trusts Pipes, not EventBridge
    assert verdicts(out, "EB007") == {"Rule/stream": "pass"}
