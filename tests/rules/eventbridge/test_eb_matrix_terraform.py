"""The whole Terraform (HCL) matrix of the EventBridge rules in one configuration: every rule
EB001-EB011 fails, passes and is unknown on a named target (or permission, or bus), and the
table below is asserted exactly, so a verdict that moves shows here.

Unknown comes from what the files do not decide: a variable without a value, a target whose
ARN is a variable (what it is cannot be told), a resource the files do not declare, a policy
condition whose value is a variable. Also here: ECS targets need iam:PassRole of the roles
their task definition names, FIFO queue targets need a message group and content-based
deduplication, a `:$LATEST` target is governed by the function's own permission, and a
function named by a `data` source is still a Lambda target."""

from __future__ import annotations

from pathlib import Path

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

ALL = tuple(f"EB{n:03d}" for n in range(1, 12))

MAIN = """
variable "anything" {}

resource "aws_cloudwatch_event_rule" "r" {
  name                = "nightly"
  schedule_expression = "rate(1 day)"
}
resource "aws_cloudwatch_event_rule" "other" {
  name                = "other"
  schedule_expression = "rate(1 hour)"
}

data "aws_iam_policy_document" "events_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}
data "aws_iam_policy_document" "scheduler_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

# -- Lambda (EB001, EB008) --
resource "aws_lambda_function" "f" {
  function_name = "score"
  role          = "arn:aws:iam::123456789012:role/x"
  handler       = "h"
  runtime       = "python3.12"
  filename      = "f.zip"
}
resource "aws_lambda_permission" "scoped" {
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.f.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.r.arn
}
resource "aws_lambda_permission" "open" {
  action        = "lambda:InvokeFunction"
  function_name = "shared"
  principal     = "events.amazonaws.com"
}
resource "aws_lambda_permission" "who" {
  action        = "lambda:InvokeFunction"
  function_name = "shared"
  principal     = var.anything
}
data "aws_lambda_function" "shared" {
  function_name = "shared"
}

# -- SNS (EB002) --
resource "aws_kms_key" "closed" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::123456789012:root" }, Action = "kms:*", Resource = "*" }]
  })
}
resource "aws_sns_topic" "open" {
  name = "open"
}
resource "aws_sns_topic_policy" "open" {
  arn = aws_sns_topic.open.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = "sns:Publish",
      Resource  = aws_sns_topic.open.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.r.arn } }
    }]
  })
}
resource "aws_sns_topic" "sealed" {
  name              = "sealed"
  kms_master_key_id = aws_kms_key.closed.arn
}
resource "aws_sns_topic_policy" "sealed" {
  arn = aws_sns_topic.sealed.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = "sns:Publish", Resource = "*" }]
  })
}
resource "aws_sns_topic" "vague" {
  name = "vague"
}
resource "aws_sns_topic_policy" "vague" {
  arn = aws_sns_topic.vague.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = "sns:Publish", Resource = "*"
      Condition = { ArnEquals = { "aws:SourceArn" = var.anything } }
    }]
  })
}

# -- SQS (EB003, EB011) --
data "aws_iam_policy_document" "to_queue" {
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
resource "aws_sqs_queue" "sse" {
  name   = "sse"
  policy = data.aws_iam_policy_document.to_queue.json
}
resource "aws_sqs_queue" "closed" {
  name = "closed"
}
resource "aws_sqs_queue" "jobs" {
  name                        = "jobs.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
  policy                      = data.aws_iam_policy_document.to_queue.json
}
resource "aws_sqs_queue" "nodedup" {
  name       = "nodedup.fifo"
  fifo_queue = true
  policy     = data.aws_iam_policy_document.to_queue.json
}
resource "aws_sqs_queue" "maybe" {
  name       = "maybe"
  fifo_queue = var.anything
  policy     = data.aws_iam_policy_document.to_queue.json
}
resource "aws_sqs_queue" "dlq_fifo" {
  name       = "dlq.fifo"
  fifo_queue = true
}

# -- Logs (EB004) --
resource "aws_cloudwatch_log_group" "audit" {
  name = "/aws/events/audit"
}
resource "aws_cloudwatch_log_resource_policy" "events" {
  policy_name = "events"
  policy_document = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow", Principal = { Service = ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
      Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.audit.arn}:*"
    }]
  })
}
resource "aws_cloudwatch_log_group" "vague" {
  name = "/aws/events/vague"
}

# -- roles (EB005, EB006, EB007) --
resource "aws_kinesis_stream" "s" {
  name        = "s"
  shard_count = 1
}
resource "aws_iam_role" "good" {
  name               = "good"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
  inline_policy {
    name = "deliver"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = ["kinesis:PutRecord", "ecs:RunTask"], Resource = "*" },
        {
          Effect = "Allow", Action = "iam:PassRole", Resource = [aws_iam_role.task.arn],
          Condition = { StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" } }
        },
      ]
    })
  }
}
resource "aws_iam_role" "run_only" {
  name               = "run-only"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}
resource "aws_iam_role_policy" "run_only" {
  role   = aws_iam_role.run_only.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecs:RunTask", Resource = "*" }] })
}
resource "aws_iam_role" "scheduler" {
  name               = "scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_trust.json
}
resource "aws_iam_role" "task" {
  name               = "task"
  assume_role_policy = data.aws_iam_policy_document.events_trust.json
}
resource "aws_ecs_cluster" "c" {
  name = "training"
}
resource "aws_ecs_task_definition" "train" {
  family                = "train"
  task_role_arn         = aws_iam_role.task.arn
  container_definitions = "[]"
}

# -- buses (EB009) --
resource "aws_cloudwatch_event_bus" "public" {
  name = "public"
}
resource "aws_cloudwatch_event_permission" "public" {
  principal      = "*"
  statement_id   = "everyone"
  event_bus_name = aws_cloudwatch_event_bus.public.name
}
resource "aws_cloudwatch_event_bus" "partner" {
  name = "partner"
}
resource "aws_cloudwatch_event_permission" "partner" {
  principal      = "111122223333"
  statement_id   = "partner"
  event_bus_name = aws_cloudwatch_event_bus.partner.name
}
resource "aws_cloudwatch_event_bus" "vague" {
  name = "vague"
}
resource "aws_cloudwatch_event_permission" "vague" {
  principal      = var.anything
  statement_id   = "vague"
  event_bus_name = aws_cloudwatch_event_bus.vague.name
}
"""

TARGETS = """
resource "aws_cloudwatch_event_target" "lambda_ok" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "lambda-ok"
  arn       = aws_lambda_function.f.arn
  dead_letter_config {
    arn = aws_sqs_queue.sse.arn
  }
}
resource "aws_cloudwatch_event_target" "lambda_latest" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "lambda-latest"
  arn       = "${aws_lambda_function.f.arn}:$LATEST"
}
resource "aws_cloudwatch_event_target" "lambda_other" {
  rule      = aws_cloudwatch_event_rule.other.name
  target_id = "lambda-other"
  arn       = aws_lambda_function.f.arn
  dead_letter_config {
    arn = aws_sqs_queue.dlq_fifo.arn
  }
}
resource "aws_cloudwatch_event_target" "lambda_shared" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "lambda-shared"
  arn       = data.aws_lambda_function.shared.arn
}
resource "aws_cloudwatch_event_target" "lambda_far" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "lambda-far"
  arn       = "arn:aws:lambda:us-east-1:999999999999:function:partner"
  role_arn  = aws_iam_role.good.arn
}
resource "aws_cloudwatch_event_target" "mystery" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "mystery"
  arn       = var.anything
  dead_letter_config {
    arn = var.anything
  }
}
resource "aws_cloudwatch_event_target" "topic_open" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "topic-open"
  arn       = aws_sns_topic.open.arn
}
resource "aws_cloudwatch_event_target" "topic_sealed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "topic-sealed"
  arn       = aws_sns_topic.sealed.arn
}
resource "aws_cloudwatch_event_target" "topic_vague" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "topic-vague"
  arn       = aws_sns_topic.vague.arn
}
resource "aws_cloudwatch_event_target" "queue_sse" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-sse"
  arn       = aws_sqs_queue.sse.arn
}
resource "aws_cloudwatch_event_target" "queue_closed" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-closed"
  arn       = aws_sqs_queue.closed.arn
  dead_letter_config {
    arn = aws_sqs_queue.closed.arn
  }
}
resource "aws_cloudwatch_event_target" "queue_fifo" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-fifo"
  arn       = aws_sqs_queue.jobs.arn
  sqs_target {
    message_group_id = "training"
  }
}
resource "aws_cloudwatch_event_target" "queue_fifo_nogroup" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-fifo-nogroup"
  arn       = aws_sqs_queue.jobs.arn
}
resource "aws_cloudwatch_event_target" "queue_nodedup" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-nodedup"
  arn       = aws_sqs_queue.nodedup.arn
  sqs_target {
    message_group_id = "training"
  }
}
resource "aws_cloudwatch_event_target" "queue_maybe" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "queue-maybe"
  arn       = aws_sqs_queue.maybe.arn
}
resource "aws_cloudwatch_event_target" "logs_ok" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "logs-ok"
  arn       = aws_cloudwatch_log_group.audit.arn
}
resource "aws_cloudwatch_event_target" "logs_role" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "logs-role"
  arn       = aws_cloudwatch_log_group.audit.arn
  role_arn  = aws_iam_role.good.arn
}
resource "aws_cloudwatch_event_target" "logs_vague" {
  rule      = aws_cloudwatch_event_rule.other.name
  target_id = "logs-vague"
  arn       = aws_cloudwatch_log_group.vague.arn
  role_arn  = var.anything
}
resource "aws_cloudwatch_event_target" "stream_good" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "stream-good"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = aws_iam_role.good.arn
}
resource "aws_cloudwatch_event_target" "stream_norole" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "stream-norole"
  arn       = aws_kinesis_stream.s.arn
}
resource "aws_cloudwatch_event_target" "stream_scheduler" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "stream-scheduler"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = aws_iam_role.scheduler.arn
}
resource "aws_cloudwatch_event_target" "stream_elsewhere" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "stream-elsewhere"
  arn       = aws_kinesis_stream.s.arn
  role_arn  = "arn:aws:iam::123456789012:role/made-elsewhere"
}
resource "aws_cloudwatch_event_target" "ecs_good" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "ecs-good"
  arn       = aws_ecs_cluster.c.arn
  role_arn  = aws_iam_role.good.arn
  ecs_target {
    task_definition_arn = aws_ecs_task_definition.train.arn
  }
}
resource "aws_cloudwatch_event_target" "ecs_run_only" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "ecs-run-only"
  arn       = aws_ecs_cluster.c.arn
  role_arn  = aws_iam_role.run_only.arn
  ecs_target {
    task_definition_arn = aws_ecs_task_definition.train.arn
  }
}
resource "aws_cloudwatch_event_target" "ecs_undeclared" {
  rule      = aws_cloudwatch_event_rule.r.name
  target_id = "ecs-undeclared"
  arn       = aws_ecs_cluster.c.arn
  role_arn  = aws_iam_role.run_only.arn
  ecs_target {
    task_definition_arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/elsewhere:3"
  }
}
"""

R, OTHER = "aws_cloudwatch_event_rule.r", "aws_cloudwatch_event_rule.other"

EXPECTED: dict[tuple[str, str], str] = {
    # EB001: the permission for this rule, and not for another; a function read by a data
    # source (what it is is known only at plan time); another account's function with a role.
    ("EB001", f"{R}/lambda-ok"): "pass",
    ("EB001", f"{R}/lambda-latest"): "pass",  # $LATEST: the function's own permission
    ("EB001", f"{OTHER}/lambda-other"): "fail",
    ("EB001", f"{R}/lambda-shared"): "unknown",  # a data source: its policy is not in the files
    ("EB001", f"{R}/lambda-far"): "unknown",
    ("EB001", f"{R}/mystery"): "unknown",
    # EB002
    ("EB002", f"{R}/topic-open"): "pass",
    ("EB002", f"{R}/topic-sealed"): "fail",  # the key policy does not let EventBridge use it
    ("EB002", f"{R}/topic-vague"): "unknown",
    ("EB002", f"{R}/mystery"): "unknown",
    ("EB002", f"{R}/lambda-shared"): "unknown",
    # EB003
    ("EB003", f"{R}/queue-sse"): "pass",
    ("EB003", f"{R}/queue-closed"): "fail",
    ("EB003", f"{R}/queue-fifo"): "pass",
    ("EB003", f"{R}/queue-fifo-nogroup"): "fail",
    ("EB003", f"{R}/queue-nodedup"): "fail",
    ("EB003", f"{R}/queue-maybe"): "unknown",
    ("EB003", f"{R}/mystery"): "unknown",
    ("EB003", f"{R}/lambda-shared"): "unknown",
    # EB004
    ("EB004", f"{R}/logs-ok"): "pass",
    ("EB004", f"{R}/logs-role"): "fail",
    ("EB004", f"{OTHER}/logs-vague"): "unknown",
    ("EB004", f"{R}/mystery"): "unknown",
    ("EB004", f"{R}/lambda-shared"): "unknown",
    # EB005: kinds that need a role
    ("EB005", f"{R}/stream-good"): "pass",
    ("EB005", f"{R}/stream-norole"): "fail",
    ("EB005", f"{R}/stream-scheduler"): "pass",
    ("EB005", f"{R}/stream-elsewhere"): "pass",
    ("EB005", f"{R}/ecs-good"): "pass",
    ("EB005", f"{R}/ecs-run-only"): "pass",
    ("EB005", f"{R}/ecs-undeclared"): "pass",
    ("EB005", f"{R}/mystery"): "unknown",
    ("EB005", f"{R}/lambda-shared"): "unknown",
    # EB006: every target with a role (a Logs target's is judged too; EB004 fails it anyway)
    ("EB006", f"{R}/logs-role"): "pass",
    ("EB006", f"{OTHER}/logs-vague"): "unknown",
    ("EB006", f"{R}/lambda-far"): "pass",
    ("EB006", f"{R}/stream-good"): "pass",
    ("EB006", f"{R}/stream-scheduler"): "fail",
    ("EB006", f"{R}/stream-elsewhere"): "unknown",
    ("EB006", f"{R}/ecs-good"): "pass",
    ("EB006", f"{R}/ecs-run-only"): "pass",
    ("EB006", f"{R}/ecs-undeclared"): "pass",
    # EB007
    ("EB007", f"{R}/lambda-far"): "fail",  # the role may not call lambda:InvokeFunction
    ("EB007", f"{R}/stream-good"): "pass",
    ("EB007", f"{R}/stream-scheduler"): "fail",
    ("EB007", f"{R}/stream-elsewhere"): "unknown",
    ("EB007", f"{R}/ecs-good"): "pass",
    ("EB007", f"{R}/ecs-run-only"): "fail",  # no iam:PassRole of the task role
    ("EB007", f"{R}/ecs-undeclared"): "unknown",  # its task definition is not in the files
    # EB008: per permission
    ("EB008", "aws_lambda_permission.scoped"): "pass",
    ("EB008", "aws_lambda_permission.open"): "fail",
    ("EB008", "aws_lambda_permission.who"): "unknown",
    # EB009: per bus policy
    ("EB009", "aws_cloudwatch_event_permission.public"): "fail",
    ("EB009", "aws_cloudwatch_event_permission.partner"): "pass",
    ("EB009", "aws_cloudwatch_event_permission.vague"): "unknown",
    # EB011: per target with a dead-letter queue
    ("EB011", f"{R}/lambda-ok"): "pass",
    ("EB011", f"{OTHER}/lambda-other"): "fail",  # a FIFO dead-letter queue
    ("EB011", f"{R}/queue-closed"): "fail",  # no policy lets EventBridge send to it
    ("EB011", f"{R}/mystery"): "unknown",
}


def scan(tmp_path: Path) -> ScanOutcome:
    root = write(tmp_path / "cfg", {"main.tf": MAIN, "targets.tf": TARGETS})
    return scan_iac([root], rules(*ALL), tmp_path)


def verdicts(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    return {
        (r.rule_id, r.resource.id + (f"/{r.discriminator}" if r.discriminator else "")): r.status.value
        for rule_id in ALL
        for r in results(outcome, rule_id)
    }


def test_every_rule_fails_passes_and_is_unknown_on_terraform(tmp_path):
    got = verdicts(scan(tmp_path))
    eb010 = {k: v for k, v in got.items() if k[0] == "EB010"}
    judged = {k: v for k, v in got.items() if k[0] != "EB010"}
    assert judged == EXPECTED
    for rule_id in ALL:
        statuses = {v for (r, _), v in got.items() if r == rule_id}
        assert statuses == {"fail", "pass", "unknown"}, rule_id
    # EB010: every target, one result each; a dead-letter queue whose ARN is a variable without
    # a value is unknown (the variable may be null).
    targets = TARGETS.count('resource "aws_cloudwatch_event_target"')
    assert len(eb010) == targets
    assert eb010[("EB010", f"{R}/lambda-ok")] == "pass"
    assert eb010[("EB010", f"{R}/mystery")] == "unknown"
    assert eb010[("EB010", f"{R}/stream-good")] == "fail"
