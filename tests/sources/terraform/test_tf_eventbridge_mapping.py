"""Terraform (HCL and plan JSON) -> the EventBridge delivery resources of the canonical model
(scanner/model.py): rules with their targets merged in, buses and bus policies, Lambda
permissions, topics, queues, log groups and logs resource policies, IAM roles and policies,
KMS keys and aliases. Policy documents are stored parsed, references inside them kept as
References to the resource they name; absent attributes take the provider defaults of
reference/aws-rule-facts.md (event_bus_name "default", event permission action
"events:PutEvents", rule state ENABLED, SSE-SQS on unless a KMS key is set).
"""

from __future__ import annotations

import json
import pickle
import textwrap
from pathlib import Path

import pytest

from scanner.model import (
    EVENT_BUS,
    EVENT_BUS_POLICY,
    EVENT_RULE,
    KMS_ALIAS,
    KMS_KEY,
    LAMBDA_PERMISSION,
    LOG_GROUP,
    LOGS_POLICY,
    MANAGED_POLICY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    ROLE,
    ROLE_POLICY,
    TOPIC,
    TOPIC_INLINE_POLICY,
    Reference,
    Resource,
    Unknown,
)
from scanner.sources import discovery
from scanner.sources.iac import Configuration
from scanner.sources.terraform.loader import load_terraform
from scanner.sources.terraform.plan import load_plan


def load(root: Path, files: dict[str, str]) -> Configuration:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    [config] = load_terraform([root], root, discovery.relative)
    return config


def by_id(config: Configuration) -> dict[str, Resource]:
    ids = [r.id for r in config.resources]
    assert len(ids) == len(set(ids)), ids
    return {r.id: r for r in config.resources}


def ref(value: object, target: str, attribute: str | None = None) -> None:
    assert isinstance(value, Reference), value
    assert value.target == target, value
    if attribute is not None:
        assert value.attribute == attribute, value


MAIN = """\
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "Events"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.work.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.orders.arn]
    }
  }
}

resource "aws_lambda_function" "scorer" {
  function_name = "scorer"
  role          = aws_iam_role.events.arn
  handler       = "app.handler"
  runtime       = "python3.12"
}

resource "aws_cloudwatch_event_bus" "custom" {
  name               = "orders-bus"
  kms_key_identifier = aws_kms_key.bus.arn
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_rule" "orders" {
  name          = "orders"
  event_pattern = jsonencode({ source = ["acme.orders"] })
}

resource "aws_cloudwatch_event_rule" "custom" {
  name           = "custom-rule"
  event_bus_name = aws_cloudwatch_event_bus.custom.name
  state          = "DISABLED"
  role_arn       = aws_iam_role.events.arn
  event_pattern  = <<EOF
{"source": ["acme.custom"]}
EOF
}

resource "aws_cloudwatch_event_rule" "legacy" {
  name                = "legacy"
  is_enabled          = false
  schedule_expression = "rate(5 minutes)"
}

resource "aws_cloudwatch_event_target" "to_lambda" {
  rule      = aws_cloudwatch_event_rule.orders.name
  target_id = "lambda"
  arn       = aws_lambda_function.scorer.arn
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }
  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_target" "to_queue" {
  rule = "orders"
  arn  = aws_sqs_queue.work.arn
  sqs_target {
    message_group_id = "orders"
  }
}

resource "aws_cloudwatch_event_target" "to_ecs" {
  rule           = "custom-rule"
  event_bus_name = "orders-bus"
  target_id      = "ecs"
  arn            = "arn:aws:ecs:us-east-1:111122223333:cluster/jobs"
  role_arn       = aws_iam_role.events.arn
  ecs_target {
    task_definition_arn = "arn:aws:ecs:us-east-1:111122223333:task-definition/job:1"
    launch_type         = "FARGATE"
    network_configuration {
      subnets          = ["subnet-1"]
      assign_public_ip = true
    }
  }
}

resource "aws_cloudwatch_event_target" "wrong_bus" {
  rule      = "custom-rule"
  target_id = "sns"
  arn       = aws_sns_topic.alerts.arn
}

resource "aws_cloudwatch_event_target" "external" {
  rule           = "managed-elsewhere"
  event_bus_name = "arn:aws:events:us-east-1:111122223333:event-bus/shared"
  target_id      = "logs"
  arn            = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/events/orders"
}

resource "aws_cloudwatch_event_bus_policy" "custom" {
  event_bus_name = aws_cloudwatch_event_bus.custom.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Org"
      Effect    = "Allow"
      Principal = "*"
      Action    = "events:PutEvents"
      Resource  = aws_cloudwatch_event_bus.custom.arn
      Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-123" } }
    }]
  })
}

resource "aws_cloudwatch_event_permission" "org" {
  principal    = "*"
  statement_id = "OrgAccess"
  condition {
    key   = "aws:PrincipalOrgID"
    type  = "StringEquals"
    value = "o-123"
  }
}

resource "aws_cloudwatch_event_permission" "account" {
  principal      = "444455556666"
  statement_id   = "Account"
  action         = "events:PutEvents"
  event_bus_name = "orders-bus"
}

resource "aws_lambda_permission" "events" {
  statement_id  = "AllowEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.scorer.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.orders.arn
  qualifier     = "live"
}

resource "aws_sns_topic" "alerts" {
  name              = "alerts"
  kms_master_key_id = aws_kms_key.topic.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = "sns:Publish", Resource = "*" }]
  })
}

resource "aws_sns_topic" "plain" {
  name = "plain"
}

resource "aws_sns_topic_policy" "plain" {
  arn    = aws_sns_topic.plain.arn
  policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"},
    "Action": "sns:Publish",
    "Resource": "${aws_sns_topic.plain.arn}",
    "Condition": {"ArnEquals": {"aws:SourceArn": "${aws_cloudwatch_event_rule.orders.arn}"}}
  }]
}
EOF
}

resource "aws_sqs_queue" "work" {
  name                        = "work.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
}

resource "aws_sqs_queue" "dlq" {
  name              = "dlq"
  kms_master_key_id = aws_kms_key.bus.arn
  redrive_policy    = jsonencode({ maxReceiveCount = 3, deadLetterTargetArn = "arn:aws:sqs:us-east-1:111122223333:x" })
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "*"
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.orders.arn } }
    }]
  })
}

resource "aws_sqs_queue" "unencrypted" {
  name                    = "unencrypted"
  sqs_managed_sse_enabled = false
}

resource "aws_sqs_queue_policy" "work" {
  queue_url = aws_sqs_queue.work.id
  policy    = data.aws_iam_policy_document.queue.json
}

resource "aws_cloudwatch_log_group" "events" {
  name              = "/aws/events/orders"
  retention_in_days = 0
}

resource "aws_cloudwatch_log_group" "kept" {
  name              = "/aws/events/kept"
  retention_in_days = 30
}

resource "aws_cloudwatch_log_resource_policy" "account" {
  policy_name     = "TrustEventsToStoreLogEvent"
  policy_document = <<-EOF
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
      "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
      "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/aws/events/*:*"}]}
  EOF
}

resource "aws_cloudwatch_log_resource_policy" "scoped" {
  resource_arn = aws_cloudwatch_log_group.events.arn
  policy_document = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = "logs:PutLogEvents", Resource = "*" }]
  })
}

resource "aws_cloudwatch_log_resource_policy" "scoped_by_arn" {
  resource_arn    = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/events/kept:*"
  policy_document = jsonencode({ Statement = [] })
}

resource "aws_iam_role" "events" {
  name                 = "events-invoke"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  managed_policy_arns  = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  permissions_boundary = "arn:aws:iam::111122223333:policy/boundary"
  inline_policy {
    name   = "run"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "ecs:RunTask", Resource = "*" }] })
  }
}

resource "aws_iam_role" "bare" {
  assume_role_policy = jsonencode({ Statement = [] })
  inline_policy {}
}

resource "aws_iam_role_policy" "pass" {
  name   = "pass"
  role   = aws_iam_role.events.id
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }] })
}

resource "aws_iam_policy" "extra" {
  name   = "extra"
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}
EOF
}

resource "aws_iam_role_policy_attachment" "extra" {
  role       = aws_iam_role.events.name
  policy_arn = aws_iam_policy.extra.arn
}

resource "aws_iam_role_policy_attachment" "by_name" {
  role       = "events-invoke"
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole"
}

resource "aws_iam_role_policy_attachment" "computed_name" {
  role       = aws_iam_role.bare.id
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy_attachment" "elsewhere" {
  role       = "declared-in-another-stack"
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_kms_key" "bus" {
  description = "bus"
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }]
  })
}

resource "aws_kms_key" "topic" {
  description = "topic"
}

resource "aws_kms_key_policy" "topic" {
  key_id = aws_kms_key.topic.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Principal = { Service = "events.amazonaws.com" }, Action = ["kms:GenerateDataKey*", "kms:Decrypt"], Resource = "*" }]
  })
}

resource "aws_kms_alias" "topic" {
  name          = "alias/topic"
  target_key_id = aws_kms_key.topic.key_id
}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Configuration, dict[str, Resource]]:
    config = load(tmp_path_factory.mktemp("eb"), {"main.tf": MAIN})
    return config, by_id(config)


@pytest.fixture(scope="module")
def found(world) -> dict[str, Resource]:
    return world[1]


def test_loads_without_errors(world):
    config, _ = world
    assert config.errors == []


# -- rules and targets ---------------------------------------------------------------------------


def test_rule_on_the_default_bus(found):
    rule = found["aws_cloudwatch_event_rule.orders"]
    assert (rule.type, rule.name) == (EVENT_RULE, "orders")
    assert rule.properties["Name"] == "orders"
    assert rule.properties["EventBusName"] == "default"  # provider default
    assert rule.properties["State"] == "ENABLED"  # provider default
    assert rule.properties["EventPattern"] == {"source": ["acme.orders"]}  # jsonencode -> parsed


def test_rule_on_a_custom_bus_with_state_role_and_heredoc_pattern(found):
    props = found["aws_cloudwatch_event_rule.custom"].properties
    assert props["EventBusName"] == "orders-bus"  # the bus's literal name, through the reference
    assert props["State"] == "DISABLED"
    ref(props["RoleArn"], "aws_iam_role.events", "arn")
    assert props["EventPattern"] == {"source": ["acme.custom"]}


def test_deprecated_is_enabled_gives_the_state(found):
    props = found["aws_cloudwatch_event_rule.legacy"].properties
    assert props["State"] == "DISABLED"
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert "_IsEnabled" not in props and "Targets" not in props


def test_targets_are_merged_into_their_rule_by_reference_and_by_name(found):
    targets = found["aws_cloudwatch_event_rule.orders"].properties["Targets"]
    assert len(targets) == 2
    to_lambda, to_queue = targets
    assert to_lambda["Id"] == "lambda"
    ref(to_lambda["Arn"], "aws_lambda_function.scorer", "arn")
    assert to_lambda["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}
    ref(to_lambda["DeadLetterConfig"]["Arn"], "aws_sqs_queue.dlq", "arn")
    assert "RoleArn" not in to_lambda and "SqsParameters" not in to_lambda
    ref(to_queue["Arn"], "aws_sqs_queue.work", "arn")
    assert to_queue["SqsParameters"] == {"MessageGroupId": "orders"}
    # No target_id: the provider makes one at apply.
    assert isinstance(to_queue["Id"], Reference) and "known after apply" in to_queue["Id"].text
    for t in targets:
        assert not any(k.startswith("_") for k in t)


def test_targets_are_no_resources_of_their_own(found):
    for address in ("to_lambda", "to_queue", "to_ecs"):
        assert f"aws_cloudwatch_event_target.{address}" not in found


def test_target_on_a_custom_bus_with_role_and_ecs_parameters(found):
    [target] = found["aws_cloudwatch_event_rule.custom"].properties["Targets"]
    assert target["Id"] == "ecs"
    ref(target["RoleArn"], "aws_iam_role.events", "arn")
    assert target["EcsParameters"] == {
        "TaskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/job:1",
        "TaskCount": 1,
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {
            "AwsVpcConfiguration": {"Subnets": ["subnet-1"], "AssignPublicIp": "ENABLED"}
        },
    }


def test_the_rule_records_where_each_target_is_written(found):
    rule = found["aws_cloudwatch_event_rule.orders"]
    where = rule.raw["targets"]
    assert [w["address"] for w in where] == [
        "aws_cloudwatch_event_target.to_lambda",
        "aws_cloudwatch_event_target.to_queue",
    ]
    lines = MAIN.splitlines()
    assert lines[where[0]["start_line"] - 1].startswith('resource "aws_cloudwatch_event_target" "to_lambda"')
    assert where[0]["path"] == "main.tf"
    assert where[0]["exists"] is True


def test_a_target_whose_rule_is_not_declared_gets_a_placeholder_rule(found):
    # "custom-rule" exists, but on orders-bus: on the default bus it is another rule.
    for address, name, bus in (
        ("aws_cloudwatch_event_target.wrong_bus", "custom-rule", "default"),
        (
            "aws_cloudwatch_event_target.external",
            "managed-elsewhere",
            "arn:aws:events:us-east-1:111122223333:event-bus/shared",
        ),
    ):
        rule = found[address]
        assert (rule.type, rule.name) == (EVENT_RULE, name)
        assert rule.properties["Name"] == name
        assert rule.properties["EventBusName"] == bus
        [target] = rule.properties["Targets"]
        assert target["Arn"] is not None
        # What the configuration does not say of the rule is unknown, never a default.
        assert isinstance(rule.properties.get("State"), Unknown)
        assert isinstance(rule.get("RoleArn"), Unknown)
        assert "not declared" in rule.properties.get("EventPattern").reason
        assert rule.raw["placeholder"]
        assert rule.location() is not None and rule.location().start_line > 1


# -- buses and bus policies ----------------------------------------------------------------------


def test_event_bus(found):
    bus = found["aws_cloudwatch_event_bus.custom"]
    assert (bus.type, bus.name, bus.properties["Name"]) == (EVENT_BUS, "orders-bus", "orders-bus")
    ref(bus.properties["KmsKeyIdentifier"], "aws_kms_key.bus", "arn")
    ref(bus.properties["DeadLetterConfig"]["Arn"], "aws_sqs_queue.dlq", "arn")


def test_whole_bus_policy_document(found):
    policy = found["aws_cloudwatch_event_bus_policy.custom"]
    assert policy.type == EVENT_BUS_POLICY
    assert policy.properties["EventBusName"] == "orders-bus"
    [statement] = policy.properties["Policy"]["Statement"]
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}
    ref(statement["Resource"], "aws_cloudwatch_event_bus.custom", "arn")


def test_event_permission_takes_cloudformation_names_and_defaults(found):
    org = found["aws_cloudwatch_event_permission.org"]
    assert org.type == EVENT_BUS_POLICY
    assert org.properties == {
        "StatementId": "OrgAccess",
        "Principal": "*",
        "Action": "events:PutEvents",  # provider default
        "Condition": {"Key": "aws:PrincipalOrgID", "Type": "StringEquals", "Value": "o-123"},
        "EventBusName": "default",  # provider default
    }
    account = found["aws_cloudwatch_event_permission.account"].properties
    assert (account["Principal"], account["EventBusName"]) == ("444455556666", "orders-bus")
    assert "Condition" not in account


# -- Lambda ----------------------------------------------------------------------------------------


def test_lambda_permission(found):
    permission = found["aws_lambda_permission.events"]
    assert permission.type == LAMBDA_PERMISSION
    props = permission.properties
    assert props["FunctionName"] == "scorer"  # the function's literal name, through the reference
    assert (props["Action"], props["Principal"], props["Qualifier"]) == (
        "lambda:InvokeFunction",
        "events.amazonaws.com",
        "live",
    )
    ref(props["SourceArn"], "aws_cloudwatch_event_rule.orders", "arn")
    assert "SourceAccount" not in props and "PrincipalOrgID" not in props


# -- SNS and SQS -----------------------------------------------------------------------------------


def test_topic_policy_argument_is_an_inline_policy_of_its_own(found):
    topic = found["aws_sns_topic.alerts"]
    assert (topic.type, topic.name) == (TOPIC, "alerts")
    ref(topic.properties["KmsMasterKeyId"], "aws_kms_key.topic", "arn")
    assert not any(k.startswith("_") for k in topic.properties)
    policy = found["aws_sns_topic.alerts#policy"]
    assert policy.type == TOPIC_INLINE_POLICY
    ref(policy.properties["TopicArn"], "aws_sns_topic.alerts", "arn")
    assert policy.properties["PolicyDocument"]["Statement"][0]["Action"] == "sns:Publish"
    assert policy.origin == topic.origin
    assert "aws_sns_topic.plain#policy" not in found  # no policy argument, no record


def test_topic_policy_heredoc_with_two_references_is_parsed_with_both_kept(found):
    policy = found["aws_sns_topic_policy.plain"]
    assert policy.type == TOPIC_INLINE_POLICY
    ref(policy.properties["TopicArn"], "aws_sns_topic.plain", "arn")
    [statement] = policy.properties["PolicyDocument"]["Statement"]
    ref(statement["Resource"], "aws_sns_topic.plain", "arn")
    ref(statement["Condition"]["ArnEquals"]["aws:SourceArn"], "aws_cloudwatch_event_rule.orders", "arn")
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}


def test_queue_sse_is_what_the_files_say_else_the_documented_default(found):
    assert found["aws_sqs_queue.work"].type == QUEUE
    work = found["aws_sqs_queue.work"].properties
    assert (work["QueueName"], work["FifoQueue"], work["ContentBasedDeduplication"]) == (
        "work.fifo",
        True,
        True,
    )
    assert work["SqsManagedSseEnabled"] is True  # no KMS key: SSE-SQS, the default
    dlq = found["aws_sqs_queue.dlq"].properties
    ref(dlq["KmsMasterKeyId"], "aws_kms_key.bus", "arn")
    assert dlq["SqsManagedSseEnabled"] is False  # SSE-KMS instead
    assert dlq["FifoQueue"] is False
    assert dlq["RedrivePolicy"] == {
        "maxReceiveCount": 3,
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:111122223333:x",
    }
    assert found["aws_sqs_queue.unencrypted"].properties["SqsManagedSseEnabled"] is False


def test_queue_policy_argument_keeps_references_inside_the_structure(found):
    policy = found["aws_sqs_queue.dlq#policy"]
    assert policy.type == QUEUE_INLINE_POLICY
    ref(policy.properties["Queue"], "aws_sqs_queue.dlq", "url")
    [statement] = policy.properties["PolicyDocument"]["Statement"]
    ref(statement["Condition"]["ArnEquals"]["aws:SourceArn"], "aws_cloudwatch_event_rule.orders", "arn")


def test_queue_policy_from_a_policy_document_data_source(found):
    policy = found["aws_sqs_queue_policy.work"]
    assert policy.type == QUEUE_INLINE_POLICY
    ref(policy.properties["Queue"], "aws_sqs_queue.work", "id")
    document = policy.properties["PolicyDocument"]
    assert document["Version"] == "2012-10-17"
    [statement] = document["Statement"]
    assert statement["Sid"] == "Events"
    assert statement["Action"] == ["sqs:SendMessage"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com"]}
    [resource] = statement["Resource"]
    ref(resource, "aws_sqs_queue.work", "arn")
    [source] = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    ref(source, "aws_cloudwatch_event_rule.orders", "arn")


# -- CloudWatch Logs -------------------------------------------------------------------------------


def test_account_level_logs_resource_policy(found):
    policy = found["aws_cloudwatch_log_resource_policy.account"]
    assert (policy.type, policy.name) == (LOGS_POLICY, "TrustEventsToStoreLogEvent")
    [statement] = policy.properties["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "_ResourceArn" not in policy.properties


def test_log_group_scoped_policy_becomes_the_groups_resource_policy(found):
    group = found["aws_cloudwatch_log_group.events"]
    assert (group.type, group.properties["LogGroupName"]) == (LOG_GROUP, "/aws/events/orders")
    assert "RetentionInDays" not in group.properties  # 0: never expires, as CloudFormation's absent
    assert group.properties["ResourcePolicyDocument"]["Statement"][0]["Action"] == "logs:PutLogEvents"
    kept = found["aws_cloudwatch_log_group.kept"].properties
    assert kept["RetentionInDays"] == 30
    assert kept["ResourcePolicyDocument"] == {"Statement": []}  # matched by its literal ARN
    assert "aws_cloudwatch_log_resource_policy.scoped" not in found
    assert "aws_cloudwatch_log_resource_policy.scoped_by_arn" not in found
    assert all(r.type != LOGS_POLICY or r.id.endswith(".account") for r in found.values())


# -- IAM -------------------------------------------------------------------------------------------


def test_role(found):
    role = found["aws_iam_role.events"]
    assert (role.type, role.name) == (ROLE, "events-invoke")
    props = role.properties
    trust = props["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Principal": {"Service": ["events.amazonaws.com"]}}
    ]
    assert props["Policies"] == [
        {
            "PolicyName": "run",
            "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}]},
        }
    ]
    assert props["PermissionsBoundary"] == "arn:aws:iam::111122223333:policy/boundary"


def test_policy_attachments_end_up_in_the_roles_managed_policy_arns(found):
    arns = found["aws_iam_role.events"].properties["ManagedPolicyArns"]
    assert arns[0] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ref(arns[1], "aws_iam_policy.extra", "arn")
    assert arns[2] == "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole"
    assert len(arns) == 3
    # A role without a literal name is found by reference.
    bare = found["aws_iam_role.bare"].properties
    assert bare["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert "Policies" not in bare  # an empty inline_policy block means none
    assert not any(a.startswith("aws_iam_role_policy_attachment.") for a in found)


def test_role_policy_and_managed_policy(found):
    inline = found["aws_iam_role_policy.pass"]
    assert (inline.type, inline.name) == (ROLE_POLICY, "pass")
    [role] = inline.properties["Roles"]
    ref(role, "aws_iam_role.events", "id")
    assert inline.properties["PolicyDocument"]["Statement"][0]["Action"] == "iam:PassRole"
    managed = found["aws_iam_policy.extra"]
    assert (managed.type, managed.name) == (MANAGED_POLICY, "extra")
    assert managed.properties["PolicyDocument"]["Statement"][0]["Action"] == "sqs:SendMessage"


# -- KMS -------------------------------------------------------------------------------------------


def test_kms_keys_policies_and_alias(found):
    bus_key = found["aws_kms_key.bus"]
    assert bus_key.type == KMS_KEY
    assert bus_key.properties["KeyPolicy"]["Statement"][0]["Action"] == "kms:*"
    topic_key = found["aws_kms_key.topic"].properties
    assert topic_key["KeyPolicy"]["Statement"][0]["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert "aws_kms_key_policy.topic" not in found
    alias = found["aws_kms_alias.topic"]
    assert (alias.type, alias.name, alias.properties["AliasName"]) == (
        KMS_ALIAS,
        "alias/topic",
        "alias/topic",
    )
    ref(alias.properties["TargetKeyId"], "aws_kms_key.topic", "key_id")


# -- what cannot be joined -------------------------------------------------------------------------


def test_a_reference_outside_the_quotes_of_heredoc_json_is_a_json_value(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            resource "aws_sqs_queue" "q" {
              name = "q"
            }
            resource "aws_sqs_queue_policy" "p" {
              queue_url = aws_sqs_queue.q.id
              policy    = <<EOF
            {"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
              "Sid": "a \\"${aws_sqs_queue.q.name}", "Resource": ${jsonencode(aws_sqs_queue.q.arn)}}]}
            EOF
            }
            """
        },
    )
    [statement] = by_id(config)["aws_sqs_queue_policy.p"].properties["PolicyDocument"]["Statement"]
    ref(statement["Resource"], "aws_sqs_queue.q", "arn")
    assert statement["Sid"] == 'a "q'  # an escaped quote does not end the string


def test_the_loaded_configuration_pickles(world):
    """Large trees are loaded in worker processes: what they return must pickle."""
    config, _ = world
    again = pickle.loads(pickle.dumps(config))
    rule = next(r for r in again.resources if r.id == "aws_cloudwatch_event_target.external")
    assert isinstance(rule.properties.get("State"), Unknown)
    policy = next(r for r in again.resources if r.id == "aws_sns_topic_policy.plain")
    [statement] = policy.properties["PolicyDocument"]["Statement"]
    ref(statement["Resource"], "aws_sns_topic.plain", "arn")


def test_target_parameter_blocks_take_cloudformation_shapes(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            resource "aws_cloudwatch_event_rule" "r" {
              name                = "r"
              schedule_expression = "rate(1 hour)"
            }
            resource "aws_cloudwatch_event_target" "batch" {
              rule = aws_cloudwatch_event_rule.r.name
              arn  = "arn:aws:batch:us-east-1:111122223333:job-queue/q"
              batch_target {
                job_definition = "arn:aws:batch:us-east-1:111122223333:job-definition/d:1"
                job_name       = "nightly"
                array_size     = 4
                job_attempts   = 2
              }
              input_transformer {
                input_paths    = { id = "$.id" }
                input_template = "{\\"id\\": <id>}"
              }
            }
            resource "aws_cloudwatch_event_target" "ssm" {
              rule = aws_cloudwatch_event_rule.r.name
              arn  = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
              run_command_targets {
                key    = "tag:Role"
                values = ["web"]
              }
              kinesis_target {
                partition_key_path = "$.id"
              }
            }
            resource "aws_iam_role" "a" {
              name               = "a"
              assume_role_policy = jsonencode({ Statement = [] })
            }
            resource "aws_iam_policy_attachment" "shared" {
              name       = "shared"
              roles      = [aws_iam_role.a.name, "elsewhere"]
              policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
            }
            """
        },
    )
    assert config.errors == []
    found = by_id(config)
    batch, ssm = found["aws_cloudwatch_event_rule.r"].properties["Targets"]
    assert batch["BatchParameters"] == {
        "JobDefinition": "arn:aws:batch:us-east-1:111122223333:job-definition/d:1",
        "JobName": "nightly",
        "ArrayProperties": {"Size": 4},
        "RetryStrategy": {"Attempts": 2},
    }
    assert batch["InputTransformer"] == {"InputPathsMap": {"id": "$.id"}, "InputTemplate": '{"id": <id>}'}
    assert ssm["RunCommandParameters"] == {"RunCommandTargets": [{"Key": "tag:Role", "Values": ["web"]}]}
    assert ssm["KinesisParameters"] == {"PartitionKeyPath": "$.id"}
    assert found["aws_iam_role.a"].properties["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]


def test_undeclared_log_group_and_key_get_placeholders(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            resource "aws_cloudwatch_log_resource_policy" "p" {
              resource_arn    = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/events/far:*"
              policy_document = jsonencode({ Statement = [] })
            }
            resource "aws_kms_key_policy" "k" {
              key_id = "arn:aws:kms:us-east-1:111122223333:key/abc"
              policy = jsonencode({ Statement = [] })
            }
            """
        },
    )
    assert config.errors == []
    found = by_id(config)
    group = found["aws_cloudwatch_log_resource_policy.p"]
    assert (group.type, group.name) == (LOG_GROUP, "/aws/events/far")
    assert group.properties["ResourcePolicyDocument"] == {"Statement": []}
    assert isinstance(group.get("RetentionInDays"), Unknown)  # not "never expires"
    key = found["aws_kms_key_policy.k"]
    assert (key.type, key.name) == (KMS_KEY, "arn:aws:kms:us-east-1:111122223333:key/abc")
    assert key.properties["KeyPolicy"] == {"Statement": []}
    assert isinstance(key.get("EnableKeyRotation"), Unknown)


def test_attachment_whose_role_cannot_be_decided_is_a_scan_error(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            variable "role" {}
            resource "aws_iam_role_policy_attachment" "a" {
              role       = var.role
              policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
            }
            """
        },
    )
    [error] = config.errors
    assert (
        "aws_iam_role_policy_attachment.a" in error.message and "attached to no scanned role" in error.message
    )
    assert (error.path, error.line) == ("main.tf", 2)
    assert config.resources == []


def test_target_whose_rule_is_unknown_keeps_its_target_on_a_placeholder(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            variable "rule" {}
            resource "aws_cloudwatch_event_target" "t" {
              rule = var.rule
              arn  = "arn:aws:sqs:us-east-1:111122223333:q"
            }
            """
        },
    )
    [rule] = config.resources
    assert (rule.type, rule.id) == (EVENT_RULE, "aws_cloudwatch_event_target.t")
    assert isinstance(rule.properties["Name"], Unknown)
    assert rule.properties["Targets"][0]["Arn"] == "arn:aws:sqs:us-east-1:111122223333:q"


def test_ignores_in_a_target_block_apply_to_the_rule_it_joins(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            resource "aws_cloudwatch_event_rule" "r" {
              name          = "r"
              event_pattern = jsonencode({ source = ["x"] })
            }
            resource "aws_cloudwatch_event_target" "t" {
              # opscheck:ignore EB010 replayed from the archive
              rule = aws_cloudwatch_event_rule.r.name
              arn  = "arn:aws:sqs:us-east-1:111122223333:q"
            }
            resource "aws_sqs_queue" "q" {
              # opscheck:ignore EB003 reviewed
              name   = "q"
              policy = jsonencode({ Statement = [] })
            }
            """
        },
    )
    assert sorted((s.rule_id, s.resource_id) for s in config.suppressions) == [
        ("EB003", "aws_sqs_queue.q"),
        ("EB003", "aws_sqs_queue.q#policy"),
        ("EB010", "aws_cloudwatch_event_rule.r"),
    ]


def test_targets_in_a_module_join_the_modules_rule(tmp_path):
    config = load(
        tmp_path,
        {
            "main.tf": """\
            module "events" {
              source = "./events"
            }
            """,
            "events/main.tf": """\
            resource "aws_cloudwatch_event_rule" "r" {
              name_prefix   = "generated-"
              event_pattern = jsonencode({ source = ["x"] })
            }
            resource "aws_cloudwatch_event_target" "t" {
              rule = aws_cloudwatch_event_rule.r.name
              arn  = "arn:aws:sqs:us-east-1:111122223333:q"
            }
            """,
        },
    )
    [rule] = config.resources
    assert rule.id == "module.events.aws_cloudwatch_event_rule.r"
    assert rule.properties["Targets"][0]["Arn"] == "arn:aws:sqs:us-east-1:111122223333:q"


# -- plan JSON -------------------------------------------------------------------------------------


def _plan() -> dict:
    def resource(address: str, values: dict) -> dict:
        tf_type, name = address.rsplit(".", 2)[-2:]
        return {"address": address, "mode": "managed", "type": tf_type, "name": name, "values": values}

    def change(address: str, unknown: dict) -> dict:
        return {"address": address, "change": {"actions": ["create"], "after_unknown": unknown}}

    def config(address: str, expressions: dict) -> dict:
        tf_type, name = address.rsplit(".", 2)[-2:]
        return {
            "address": address,
            "mode": "managed",
            "type": tf_type,
            "name": name,
            "expressions": expressions,
        }

    def refs(*texts: str) -> dict:
        return {"references": list(texts)}

    queue_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": "*",
            }
        ],
    }
    return {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    resource(
                        "aws_cloudwatch_event_rule.orders",
                        {
                            "name": "orders",
                            "event_bus_name": "default",
                            "event_pattern": '{"source":["acme.orders"]}',
                            "state": "ENABLED",
                        },
                    ),
                    resource(
                        "aws_cloudwatch_event_target.fn",
                        {
                            "rule": "orders",
                            "event_bus_name": "default",
                            "dead_letter_config": [],
                            "retry_policy": [
                                {"maximum_event_age_in_seconds": 600, "maximum_retry_attempts": 2}
                            ],
                            "sqs_target": [],
                            "ecs_target": [],
                            "input": None,
                        },
                    ),
                    resource(
                        "aws_lambda_permission.events",
                        {
                            "action": "lambda:InvokeFunction",
                            "function_name": "scorer",
                            "principal": "events.amazonaws.com",
                            "statement_id": "AllowEvents",
                            "qualifier": None,
                        },
                    ),
                    resource(
                        "aws_sqs_queue.q", {"name": "q", "fifo_queue": False, "kms_master_key_id": None}
                    ),
                    resource("aws_sqs_queue_policy.q", {"policy": json.dumps(queue_policy)}),
                ],
                "child_modules": [
                    {
                        "address": "module.m",
                        "resources": [
                            resource(
                                "module.m.aws_cloudwatch_event_rule.r",
                                {"event_bus_name": "default", "name_prefix": "gen-"},
                            ),
                            resource(
                                "module.m.aws_cloudwatch_event_target.t",
                                {"event_bus_name": "default", "arn": "arn:aws:sqs:us-east-1:111122223333:q"},
                            ),
                        ],
                    }
                ],
            }
        },
        "resource_changes": [
            change("aws_cloudwatch_event_rule.orders", {"arn": True, "id": True}),
            change("aws_cloudwatch_event_target.fn", {"arn": True, "id": True, "target_id": True}),
            change("aws_lambda_permission.events", {"id": True, "source_arn": True}),
            change(
                "aws_sqs_queue.q",
                {"arn": True, "id": True, "url": True, "policy": True, "sqs_managed_sse_enabled": True},
            ),
            change("aws_sqs_queue_policy.q", {"id": True, "queue_url": True}),
            change("module.m.aws_cloudwatch_event_rule.r", {"arn": True, "id": True, "name": True}),
            change("module.m.aws_cloudwatch_event_target.t", {"id": True, "target_id": True, "rule": True}),
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    config("aws_cloudwatch_event_rule.orders", {"name": {"constant_value": "orders"}}),
                    config(
                        "aws_cloudwatch_event_target.fn",
                        {
                            "rule": refs(
                                "aws_cloudwatch_event_rule.orders.name", "aws_cloudwatch_event_rule.orders"
                            ),
                            "arn": refs("aws_lambda_function.scorer.arn", "aws_lambda_function.scorer"),
                        },
                    ),
                    config(
                        "aws_lambda_permission.events",
                        {
                            "source_arn": refs(
                                "aws_cloudwatch_event_rule.orders.arn", "aws_cloudwatch_event_rule.orders"
                            )
                        },
                    ),
                    config("aws_sqs_queue.q", {"name": {"constant_value": "q"}}),
                    config(
                        "aws_sqs_queue_policy.q", {"queue_url": refs("aws_sqs_queue.q.id", "aws_sqs_queue.q")}
                    ),
                ],
                "module_calls": {
                    "m": {
                        "source": "./m",
                        "module": {
                            "resources": [
                                config(
                                    "aws_cloudwatch_event_rule.r", {"name_prefix": {"constant_value": "gen-"}}
                                ),
                                config(
                                    "aws_cloudwatch_event_target.t",
                                    {
                                        "rule": refs(
                                            "aws_cloudwatch_event_rule.r.name", "aws_cloudwatch_event_rule.r"
                                        )
                                    },
                                ),
                            ]
                        },
                    }
                },
            }
        },
    }


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, Resource]:
    root = tmp_path_factory.mktemp("plan")
    path = root / "plan.json"
    data = _plan()
    path.write_text(json.dumps(data))
    config = load_plan(path, "plan.json", data, root, discovery.relative)
    assert config.errors == []
    return by_id(config)


def test_plan_target_joins_its_rule(planned):
    rule = planned["aws_cloudwatch_event_rule.orders"]
    assert rule.properties["EventPattern"] == {"source": ["acme.orders"]}
    assert rule.properties["State"] == "ENABLED"
    [target] = rule.properties["Targets"]
    ref(target["Arn"], "aws_lambda_function.scorer", "arn")
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 600, "MaximumRetryAttempts": 2}
    # Empty blocks of the plan are absent, not None; the generated id is known after apply.
    assert (
        "DeadLetterConfig" not in target and "SqsParameters" not in target and "EcsParameters" not in target
    )
    assert isinstance(target["Id"], Reference) and "known after apply" in target["Id"].text
    assert "aws_cloudwatch_event_target.fn" not in planned


def test_plan_lambda_permission_source_arn_refers_to_the_rule(planned):
    permission = planned["aws_lambda_permission.events"]
    assert permission.type == LAMBDA_PERMISSION
    assert permission.properties["FunctionName"] == "scorer"
    ref(permission.properties["SourceArn"], "aws_cloudwatch_event_rule.orders", "arn")


def test_plan_arguments_the_service_chooses_take_the_documented_defaults(planned):
    queue = planned["aws_sqs_queue.q"]
    assert queue.properties["SqsManagedSseEnabled"] is True
    assert "aws_sqs_queue.q#policy" not in planned  # no policy argument: no inline policy
    policy = planned["aws_sqs_queue_policy.q"]
    ref(policy.properties["Queue"], "aws_sqs_queue.q", "id")
    assert policy.properties["PolicyDocument"]["Statement"][0]["Action"] == "sqs:SendMessage"


def test_plan_references_in_a_module_name_the_modules_resources(planned):
    rule = planned["module.m.aws_cloudwatch_event_rule.r"]
    assert "Name" not in rule.properties  # generated from name_prefix: as in the .tf files
    [target] = rule.properties["Targets"]
    assert target["Arn"] == "arn:aws:sqs:us-east-1:111122223333:q"
