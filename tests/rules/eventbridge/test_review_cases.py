"""Verdicts a review found wrong once: literal ARNs and URLs naming declared resources,
Lambda qualifiers in Terraform, role-based delivery to encrypted topics, DLQ keys."""

from __future__ import annotations

from pathlib import Path

from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

HEAD = """
resource "aws_cloudwatch_event_rule" "r" {
  name                = "r"
  schedule_expression = "rate(1 day)"
}
resource "aws_lambda_function" "f" {
  function_name = "fn"
  role          = "arn:aws:iam::111111111111:role/x"
  handler       = "h"
  runtime       = "python3.12"
  filename      = "f.zip"
}
"""


def verdicts(tmp_path: Path, text: str, rule_id: str) -> dict[str, str]:
    root = write(tmp_path / "cfg", {"main.tf": HEAD + text})
    out = scan_iac([root], rules(rule_id), tmp_path)
    return {r.discriminator: r.status.value for r in results(out, rule_id)}


def permission(qualifier: str = "", function_name: str = "aws_lambda_function.f.function_name") -> str:
    q = f'\n  qualifier     = "{qualifier}"' if qualifier else ""
    return f"""
resource "aws_lambda_permission" "p" {{
  action        = "lambda:InvokeFunction"
  function_name = {function_name}{q}
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.r.arn
}}
"""


def target(arn: str, tid: str = "t") -> str:
    return f"""
resource "aws_cloudwatch_event_target" "{tid}" {{
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "{tid}"
  arn       = {arn}
}}
"""


def test_a_permission_naming_the_function_by_literal_arn(tmp_path):
    text = permission(function_name='"arn:aws:lambda:us-east-1:111111111111:function:fn"') + target(
        "aws_lambda_function.f.arn"
    )
    assert verdicts(tmp_path, text, "EB001") == {"t": "pass"}


def test_a_qualified_permission_does_not_cover_the_function(tmp_path):
    text = permission("prod") + target("aws_lambda_function.f.arn")
    assert verdicts(tmp_path, text, "EB001") == {"t": "fail"}


def test_an_alias_target_needs_the_alias_permission(tmp_path):
    unqualified = permission() + target('"${aws_lambda_function.f.arn}:prod"')
    assert verdicts(tmp_path, unqualified, "EB001") == {"t": "fail"}
    qualified = permission("prod") + target('"${aws_lambda_function.f.arn}:prod"')
    assert verdicts(tmp_path, qualified, "EB001") == {"t": "pass"}


def test_a_queue_policy_naming_the_queue_by_literal_url(tmp_path):
    text = """
resource "aws_sqs_queue" "q" {
  name = "myq"
}
resource "aws_sqs_queue_policy" "q" {
  queue_url = "https://sqs.us-east-1.amazonaws.com/111111111111/myq"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "*"
    }]
  })
}
""" + target("aws_sqs_queue.q.arn")
    assert verdicts(tmp_path, text, "EB003") == {"t": "pass"}


def test_role_delivery_to_an_encrypted_topic_is_not_failed_on_the_key_policy(tmp_path):
    text = """
resource "aws_kms_key" "k" {}
resource "aws_sns_topic" "t" {
  name              = "t"
  kms_master_key_id = aws_kms_key.k.id
}
resource "aws_cloudwatch_event_target" "t" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "t"
  arn       = aws_sns_topic.t.arn
  role_arn  = "arn:aws:iam::111111111111:role/publisher"
}
"""
    assert verdicts(tmp_path, text, "EB002") == {"t": "unknown"}


def test_a_dlq_with_the_aws_managed_key_fails(tmp_path):
    text = """
resource "aws_sqs_queue" "dlq" {
  name              = "dlq"
  kms_master_key_id = "alias/aws/sqs"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "*"
    }]
  })
}
resource "aws_cloudwatch_event_target" "t" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "t"
  arn       = aws_lambda_function.f.arn
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}
"""
    assert verdicts(tmp_path, text, "EB011") == {"t": "fail"}
