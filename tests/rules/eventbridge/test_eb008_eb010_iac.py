"""EB008 (unscoped Lambda permission), EB009 (public bus policy) and EB010 (no DLQ) on
Terraform and CloudFormation: fail, pass and unknown, defaults when attributes are absent."""

from __future__ import annotations

from pathlib import Path

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write


def tf(tmp_path: Path, text: str, *ids: str) -> ScanOutcome:
    root = write(tmp_path / "cfg", {"main.tf": text})
    return scan_iac([root], rules(*ids), tmp_path)


def cfn(tmp_path: Path, text: str, *ids: str) -> ScanOutcome:
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    return scan_iac([path], rules(*ids), tmp_path)


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    out = {}
    for r in results(outcome, rule_id):
        key = r.resource.id + (f"/{r.discriminator}" if r.discriminator else "")
        out[key] = r.status.value
    return out


TF_RULE = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "nightly"
  schedule_expression = "rate(1 day)"
}
resource "aws_lambda_function" "f" {
  function_name = "score"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "h"
  runtime       = "python3.12"
  filename      = "f.zip"
}
resource "aws_sqs_queue" "dlq" {
  name = "events-dlq"
}
"""


# -- EB010 -----------------------------------------------------------------------------------


def test_eb010_terraform_targets_with_and_without_dlq(tmp_path):
    out = tf(
        tmp_path,
        TF_RULE
        + """
resource "aws_cloudwatch_event_target" "with" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "with"
  arn       = aws_lambda_function.f.arn
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}
resource "aws_cloudwatch_event_target" "without" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "without"
  arn       = aws_lambda_function.f.arn
}
""",
        "EB010",
    )
    assert verdicts(out, "EB010") == {
        "aws_cloudwatch_event_rule.r/with": "pass",
        "aws_cloudwatch_event_rule.r/without": "fail",
    }
    fail = next(r for r in results(out, "EB010") if r.status.value == "fail")
    assert "without" in fail.message and fail.evidence["target"]["Id"] == "without"


def test_eb010_a_target_of_an_undeclared_rule_is_still_judged(tmp_path):
    out = tf(
        tmp_path,
        """
resource "aws_cloudwatch_event_target" "orphan" {
  rule      = "defined-elsewhere"
  target_id = "t"
  arn       = "arn:aws:sqs:us-east-1:123456789012:q"
}
""",
        "EB010",
    )
    assert list(verdicts(out, "EB010").values()) == ["fail"]


def test_eb010_cloudformation(tmp_path):
    out = cfn(
        tmp_path,
        """
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: ok
          Arn: arn:aws:sqs:us-east-1:123456789012:q
          DeadLetterConfig:
            Arn: !GetAtt Dlq.Arn
        - Id: bare
          Arn: arn:aws:sqs:us-east-1:123456789012:q
        - Id: maybe
          Arn: arn:aws:sqs:us-east-1:123456789012:q
          DeadLetterConfig: !If [Never, {Arn: x}, !Ref AWS::NoValue]
Conditions:
  Never: !Equals [!Ref Unset, "x"]
Parameters:
  Unset:
    Type: String
""",
        "EB010",
    )
    assert verdicts(out, "EB010") == {"Rule/ok": "pass", "Rule/bare": "fail", "Rule/maybe": "unknown"}


# -- EB008 -----------------------------------------------------------------------------------


def test_eb008_terraform_permissions(tmp_path):
    out = tf(
        tmp_path,
        TF_RULE
        + """
resource "aws_lambda_permission" "scoped" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.r.arn
}
resource "aws_lambda_permission" "account" {
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.f.function_name
  principal      = "events.amazonaws.com"
  source_account = "123456789012"
}
resource "aws_lambda_permission" "open" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "events.amazonaws.com"
}
resource "aws_lambda_permission" "s3" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "s3.amazonaws.com"
}
variable "who" {}
resource "aws_lambda_permission" "var" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = var.who
}
""",
        "EB008",
    )
    assert verdicts(out, "EB008") == {
        "aws_lambda_permission.scoped": "pass",
        "aws_lambda_permission.account": "pass",
        "aws_lambda_permission.open": "fail",
        "aws_lambda_permission.var": "unknown",
    }


def test_eb008_cloudformation_permission_and_resource_policy(tmp_path):
    out = cfn(
        tmp_path,
        """
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: arn:aws:iam::123456789012:role/x
      Runtime: python3.12
      Handler: h
      Code: {ZipFile: "x"}
  Scoped:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Rule.Arn
  Open:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: events.amazonaws.com
  OpenPolicy:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Fn.Arn
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: lambda:InvokeFunction
            Resource: !GetAtt Fn.Arn
  ScopedPolicy:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Fn.Arn
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: lambda:InvokeFunction
            Resource: !GetAtt Fn.Arn
            Condition:
              ArnLike: {"AWS:SourceArn": !GetAtt Rule.Arn}
""",
        "EB008",
    )
    assert verdicts(out, "EB008") == {
        "Scoped": "pass",
        "Open": "fail",
        "OpenPolicy": "fail",
        "ScopedPolicy": "pass",
    }


# -- EB009 -----------------------------------------------------------------------------------


def test_eb009_terraform_bus_policies_and_permissions(tmp_path):
    out = tf(
        tmp_path,
        """
resource "aws_cloudwatch_event_bus" "central" {
  name = "central"
}
resource "aws_cloudwatch_event_permission" "org" {
  principal      = "*"
  statement_id   = "Org"
  event_bus_name = aws_cloudwatch_event_bus.central.name
  condition {
    key   = "aws:PrincipalOrgID"
    type  = "StringEquals"
    value = "o-abc123"
  }
}
resource "aws_cloudwatch_event_permission" "everyone" {
  principal    = "*"
  statement_id = "Everyone"
}
resource "aws_cloudwatch_event_permission" "partner" {
  principal    = "210987654321"
  statement_id = "Partner"
}
data "aws_iam_policy_document" "open" {
  statement {
    sid       = "Open"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.central.arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_cloudwatch_event_bus_policy" "doc" {
  event_bus_name = aws_cloudwatch_event_bus.central.name
  policy         = data.aws_iam_policy_document.open.json
}
""",
        "EB009",
    )
    assert verdicts(out, "EB009") == {
        "aws_cloudwatch_event_permission.org": "pass",
        "aws_cloudwatch_event_permission.everyone": "fail",
        "aws_cloudwatch_event_permission.partner": "pass",
        "aws_cloudwatch_event_bus_policy.doc": "fail",
    }


def test_eb009_cloudformation(tmp_path):
    out = cfn(
        tmp_path,
        """
Parameters:
  Org:
    Type: String
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: central
      Policy:
        Version: "2012-10-17"
        Statement:
          - Sid: Any
            Effect: Allow
            Principal: "*"
            Action: events:PutEvents
            Resource: "*"
  OrgOnly:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref Bus
      StatementId: OrgOnly
      Action: events:PutEvents
      Principal: "*"
      Condition:
        Type: StringEquals
        Key: aws:PrincipalOrgID
        Value: o-abc123
  FromParameter:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: FromParameter
      Statement:
        Effect: Allow
        Principal: "*"
        Action: events:PutEvents
        Resource: "*"
        Condition:
          StringEquals:
            aws:PrincipalOrgID: !Ref Org
""",
        "EB009",
    )
    assert verdicts(out, "EB009") == {"Bus": "fail", "OrgOnly": "pass", "FromParameter": "pass"}
