"""EB001: may EventBridge invoke a Lambda target? Live, Terraform and CloudFormation; the
execution-role path, alias-qualified policies, custom-bus rule ARNs, SourceArn wildcards,
an explicit Deny, and functions outside the scanned world."""

from __future__ import annotations

import json
from pathlib import Path

from eventbridge_world import REGION, arn, rule_arn, seed

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import live_scan, results, rules
from testkit import write_tree as write


def verdicts(outcome: ScanOutcome) -> dict[str, str]:
    return {f"{r.resource.id}/{r.discriminator}": r.status.value for r in results(outcome, "EB001")}


# -- live ----------------------------------------------------------------------------------------


def test_live_scoped_permissions_aliases_and_custom_buses(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    lam = aws.client("lambda", region_name=REGION)
    # A rule whose function has no permission at all, and one allowed only by a wildcard.
    events.put_rule(Name="orphan", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="orphan", Targets=[{"Id": "fn", "Arn": arn("lambda", "function:unused-fn")}])
    events.put_rule(Name="wild-1", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="wild-1", Targets=[{"Id": "fn", "Arn": arn("lambda", "function:unused-fn")}])
    lam.add_permission(
        FunctionName="unused-fn",
        StatementId="wild",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=arn("events", "rule/wild-*"),
    )
    out = live_scan(aws, "EB001", regions=[REGION])
    got = verdicts(out)
    assert got[f"{rule_arn('nightly')}/score"] == "pass"  # SourceArn = the rule
    # The alias target reads the alias's policy, which names the custom-bus rule ARN.
    assert got[f"{rule_arn('train-done', 'ml')}/score-prod"] == "pass"
    assert got[f"{rule_arn('wild-1')}/fn"] == "pass"  # ArnLike wildcard
    assert got[f"{rule_arn('orphan')}/fn"] == "fail"
    # Only Lambda targets are judged.
    assert all(key.endswith(("/score", "/score-prod", "/fn")) for key in got)
    fail = next(r for r in results(out, "EB001") if r.status.value == "fail")
    assert "no statement lets events.amazonaws.com in" in fail.message
    assert fail.evidence["rule_arn"] == rule_arn("orphan")


def test_live_a_permission_for_another_rule_does_not_count(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="other", ScheduleExpression="rate(1 hour)")
    # `score` allows only rule `nightly`.
    events.put_targets(Rule="other", Targets=[{"Id": "score", "Arn": arn("lambda", "function:score")}])
    out = live_scan(aws, "EB001", regions=[REGION])
    assert verdicts(out)[f"{rule_arn('other')}/score"] == "fail"


def test_live_access_denied_on_the_policy_is_unknown(aws, monkeypatch):
    seed(aws)
    from botocore.exceptions import ClientError

    import scanner.sources.aws.collectors.base as base
    from testkit import add_to_response  # noqa: F401  (imported for the fixture pattern)

    real = base.CollectContext.call

    def call(self, service, region, operation, subject=None, **params):
        if operation == "GetPolicy":
            raise base.to_scan_error(
                ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetPolicy"),
                service=service,
                operation=operation,
                region=region,
                account_id=self.account_id,
                subject=subject,
            )
        return real(self, service, region, operation, subject, **params)

    monkeypatch.setattr(base.CollectContext, "call", call)
    out = live_scan(aws, "EB001", regions=[REGION])
    assert set(verdicts(out).values()) == {"unknown"}


# -- Terraform -----------------------------------------------------------------------------------

TF = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "nightly"
  schedule_expression = "rate(1 day)"
}
resource "aws_cloudwatch_event_bus" "ml" {
  name = "ml"
}
resource "aws_cloudwatch_event_rule" "custom" {
  name           = "train-done"
  event_bus_name = aws_cloudwatch_event_bus.ml.name
  event_pattern  = jsonencode({ source = ["ml"] })
}
resource "aws_lambda_function" "allowed" {
  function_name = "allowed"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "h"
  runtime       = "python3.12"
  filename      = "f.zip"
}
resource "aws_lambda_function" "bare" {
  function_name = "bare"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "h"
  runtime       = "python3.12"
  filename      = "f.zip"
}
resource "aws_lambda_permission" "allowed" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.allowed.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.r.arn
}
resource "aws_cloudwatch_event_target" "allowed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "allowed"
  arn       = aws_lambda_function.allowed.arn
}
resource "aws_cloudwatch_event_target" "other_rule" {
  rule           = aws_cloudwatch_event_rule.custom.name
  event_bus_name = aws_cloudwatch_event_bus.ml.name
  target_id      = "other-rule"
  arn            = aws_lambda_function.allowed.arn
}
resource "aws_cloudwatch_event_target" "bare" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "bare"
  arn       = aws_lambda_function.bare.arn
}
resource "aws_cloudwatch_event_target" "role" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "role"
  arn       = aws_lambda_function.bare.arn
  role_arn  = "arn:aws:iam::123456789012:role/events-invoke"
}
resource "aws_cloudwatch_event_target" "elsewhere" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "elsewhere"
  arn       = "arn:aws:lambda:us-east-1:123456789012:function:not-in-these-files"
}
"""


def test_terraform(tmp_path: Path):
    root = write(tmp_path / "cfg", {"main.tf": TF})
    out = scan_iac([root], rules("EB001"), tmp_path)
    assert verdicts(out) == {
        "aws_cloudwatch_event_rule.r/allowed": "pass",
        "aws_cloudwatch_event_rule.custom/other-rule": "fail",  # the permission names rule r only
        "aws_cloudwatch_event_rule.r/bare": "fail",
        "aws_cloudwatch_event_rule.r/role": "pass",
        "aws_cloudwatch_event_rule.r/elsewhere": "unknown",
    }


def test_terraform_explicit_deny_and_policy_document(tmp_path: Path):
    text = TF.replace(
        'resource "aws_lambda_permission" "allowed"',
        """data "aws_iam_policy_document" "deny" {
  statement {
    effect    = "Deny"
    actions   = ["lambda:InvokeFunction"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}
resource "aws_lambda_permission" "allowed\"""",
    )
    # No aws_lambda_function_policy resource exists in Terraform: a Deny can only come from a
    # CloudFormation ResourcePolicy; here the document is unused, nothing changes.
    root = write(tmp_path / "cfg", {"main.tf": text})
    out = scan_iac([root], rules("EB001"), tmp_path)
    assert verdicts(out)["aws_cloudwatch_event_rule.r/allowed"] == "pass"


# -- CloudFormation ------------------------------------------------------------------------------

CFN = """
Resources:
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: allowed, Arn: !GetAtt Allowed.Arn}
        - {Id: denied, Arn: !GetAtt Denied.Arn}
        - {Id: bare, Arn: !GetAtt Bare.Arn}
  Allowed:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  Denied:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  Bare:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  AllowedPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Allowed
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Rule.Arn
  DeniedPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Denied
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Rule.Arn
  DeniedPolicy:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Denied.Arn
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: {Service: events.amazonaws.com}
            Action: lambda:InvokeFunction
            Resource: "*"
"""


def test_cloudformation_explicit_deny_beats_the_allow(tmp_path: Path):
    path = write(tmp_path, {"stack.yaml": CFN}) / "stack.yaml"
    out = scan_iac([path], rules("EB001"), tmp_path)
    assert verdicts(out) == {"Rule/allowed": "pass", "Rule/denied": "fail", "Rule/bare": "fail"}
    denied = next(r for r in results(out, "EB001") if r.discriminator == "denied")
    assert "denies" in denied.message
    assert json.dumps(denied.evidence, default=str)  # evidence is JSON-ready


def test_a_fail_shows_the_exact_permission_to_add(aws, tmp_path: Path):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="orphan", ScheduleExpression="rate(1 hour)")
    events.put_targets(Rule="orphan", Targets=[{"Id": "fn", "Arn": arn("lambda", "function:unused-fn")}])
    out = live_scan(aws, "EB001", regions=[REGION])
    fail = next(r for r in results(out, "EB001") if r.status.value == "fail")
    assert f'source_arn    = "{rule_arn("orphan")}"' in fail.evidence["fix"]["terraform"]
    assert f'SourceArn: "{rule_arn("orphan")}"' in fail.evidence["fix"]["cloudformation"]
    root = write(tmp_path / "cfg", {"main.tf": TF})
    tf = scan_iac([root], rules("EB001"), tmp_path)
    bare = next(r for r in results(tf, "EB001") if r.discriminator == "bare")
    assert "function_name = aws_lambda_function.bare.function_name" in bare.evidence["fix"]["terraform"]
    assert "source_arn    = aws_cloudwatch_event_rule.r.arn" in bare.evidence["fix"]["terraform"]
    path = write(tmp_path / "cfn", {"stack.yaml": CFN}) / "stack.yaml"
    cfn = scan_iac([path], rules("EB001"), tmp_path)
    bare = next(r for r in results(cfn, "EB001") if r.discriminator == "bare")
    assert "SourceArn: !GetAtt Rule.Arn" in bare.evidence["fix"]["cloudformation"]
    assert "FunctionName: !GetAtt Bare.Arn" in bare.evidence["fix"]["cloudformation"]
