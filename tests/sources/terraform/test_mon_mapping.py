"""Terraform and CloudFormation -> the canonical types of the monitoring rules (MON001-MON003;
scanner/model.py "Monitoring"): metric alarms with their dimensions and metric-math queries,
log groups with their retention, in .tf files, in plan JSON and in templates."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from scanner.model import ALARM, LOG_GROUP, Reference, Resource, Unknown
from scanner.sources import discovery
from scanner.sources.cloudformation.template import load_template
from scanner.sources.terraform.loader import load_terraform
from scanner.sources.terraform.plan import load_plan


def load(root: Path, text: str) -> dict[str, Resource]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(textwrap.dedent(text))
    [config] = load_terraform([root], root, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def test_a_metric_alarm_and_its_metric_math_queries(tmp_path):
    got = load(
        tmp_path,
        """
        variable "endpoint" {}
        resource "aws_sagemaker_endpoint" "e" {
          endpoint_config_name = "c"
        }
        resource "aws_cloudwatch_metric_alarm" "plain" {
          alarm_name  = "plain"
          namespace   = "AWS/SageMaker"
          metric_name = "ModelLatency"
          dimensions  = { EndpointName = var.endpoint, VariantName = "v" }
        }
        resource "aws_cloudwatch_metric_alarm" "math" {
          alarm_name      = "math"
          actions_enabled = false
          alarm_actions   = ["arn:aws:sns:us-east-1:123456789012:oncall"]
          metric_query {
            id          = "rate"
            expression  = "errors / 100"
            return_data = true
          }
          metric_query {
            id          = "errors"
            account_id  = "123456789012"
            metric {
              namespace   = "AWS/SageMaker"
              metric_name = "Invocation5XXErrors"
              period      = 60
              stat        = "Sum"
              unit        = "Count"
              dimensions  = { EndpointName = aws_sagemaker_endpoint.e.id }
            }
          }
        }
        """,
    )
    plain = got["aws_cloudwatch_metric_alarm.plain"]
    assert plain.type == ALARM and plain.name == "plain"
    assert plain.properties == {
        "AlarmName": "plain",
        "Namespace": "AWS/SageMaker",
        "MetricName": "ModelLatency",
        "Dimensions": [
            {
                "Name": "EndpointName",
                "Value": Unknown("variable endpoint of the root module has no value (no default, no tfvars)"),
            },
            {"Name": "VariantName", "Value": "v"},
        ],
        "ActionsEnabled": True,  # the provider's default
    }
    math = got["aws_cloudwatch_metric_alarm.math"]
    assert math.properties == {
        "AlarmName": "math",
        "ActionsEnabled": False,
        "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:oncall"],
        "Metrics": [
            {"Id": "rate", "Expression": "errors / 100", "ReturnData": True},
            {
                "Id": "errors",
                "AccountId": "123456789012",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/SageMaker",
                        "MetricName": "Invocation5XXErrors",
                        "Dimensions": [
                            {
                                "Name": "EndpointName",
                                "Value": Reference(
                                    "aws_sagemaker_endpoint.e.id",
                                    target="aws_sagemaker_endpoint.e",
                                    attribute="id",
                                ),
                            }
                        ],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                    "Unit": "Count",
                },
            },
        ],
    }


def test_log_group_retention_zero_and_absent_mean_never_expire(tmp_path):
    got = load(
        tmp_path,
        """
        variable "days" {}
        resource "aws_cloudwatch_log_group" "zero" {
          name              = "/a/zero"
          retention_in_days = 0
        }
        resource "aws_cloudwatch_log_group" "absent" {
          name = "/a/absent"
        }
        resource "aws_cloudwatch_log_group" "year" {
          name              = "/a/year"
          retention_in_days = 365
          log_group_class   = "INFREQUENT_ACCESS"
        }
        resource "aws_cloudwatch_log_group" "vague" {
          name              = "/a/vague"
          retention_in_days = var.days
        }
        """,
    )
    props = {k.split(".")[-1]: r.properties for k, r in got.items() if r.type == LOG_GROUP}
    assert props["zero"] == {"LogGroupName": "/a/zero"}
    assert props["absent"] == {"LogGroupName": "/a/absent"}
    assert props["year"] == {
        "LogGroupName": "/a/year",
        "RetentionInDays": 365,
        "LogGroupClass": "INFREQUENT_ACCESS",
    }
    assert isinstance(props["vague"]["RetentionInDays"], Unknown)


def test_a_plan_map_with_a_value_known_after_apply_keeps_its_reference(tmp_path):
    """`dimensions = { EndpointName = aws_sagemaker_endpoint.e.name }` on an endpoint named at
    apply: Terraform plans the map's known keys, flags the unknown one, and lists the whole
    map's references; that value becomes a (partial) reference to the endpoint."""
    head = {
        "address": "aws_cloudwatch_metric_alarm.a",
        "mode": "managed",
        "type": "aws_cloudwatch_metric_alarm",
        "name": "a",
    }
    values = {"alarm_name": "a", "dimensions": {"VariantName": "v"}, "actions_enabled": True}
    refs = ["aws_sagemaker_endpoint.e.name", "aws_sagemaker_endpoint.e"]
    document = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{**head, "values": values}]}},
        "resource_changes": [
            {
                **head,
                "change": {
                    "actions": ["create"],
                    "after": values,
                    "after_unknown": {"dimensions": {"EndpointName": True}},
                },
            }
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        **head,
                        "expressions": {
                            "alarm_name": {"constant_value": "a"},
                            "dimensions": {"references": refs},
                        },
                    }
                ]
            }
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    config = load_plan(path, "plan.json", document, tmp_path, discovery.relative)
    (alarm,) = config.resources
    assert alarm.properties["Dimensions"] == [
        {"Name": "VariantName", "Value": "v"},
        {
            "Name": "EndpointName",
            "Value": Reference(
                "aws_sagemaker_endpoint.e.name",
                target="aws_sagemaker_endpoint.e",
                attribute="name",
                partial=True,
            ),
        },
    ]


def test_cloudformation_alarms_and_log_groups_load_as_written(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        textwrap.dedent(
            """
            Resources:
              Alarm:
                Type: AWS::CloudWatch::Alarm
                Properties:
                  AlarmName: a
                  Namespace: AWS/SageMaker
                  MetricName: ModelLatency
                  Dimensions: [{Name: EndpointName, Value: scorer}]
              Muted:
                Type: AWS::CloudWatch::Alarm
                Properties: {ActionsEnabled: "false", Dimensions: []}
              Logs: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 30}}
            """
        )
    )
    config = load_template(path, "t.yaml")
    got = {r.id: r for r in config.resources}
    assert got["Alarm"].name == "a" and got["Alarm"].properties["ActionsEnabled"] is True  # the default
    assert got["Muted"].properties["ActionsEnabled"] == "false"
    assert got["Logs"].properties == {"RetentionInDays": 30}
