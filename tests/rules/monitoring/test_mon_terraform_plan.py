"""MON001-MON003 on Terraform plan JSON (`terraform show -json plan.out`), through the plan
loader and the same mapping tables as the .tf files: fail, pass and unknown per rule.

The plan is written as Terraform writes a create plan: values known while planning in
`planned_values` (an endpoint's literal name flows into the alarm that references it), values
known only after apply left out and flagged in `after_unknown`, their expressions'
`references` in `configuration`. An optional attribute not written is planned at its
default (`retention_in_days = 0`).

Cells, as "rule: fail | pass | unknown":
  MON001  config.unwatched (an alarm on another endpoint) | config.watched (dimension from
          the endpoint's literal name), config.mathy (metric math) | config.generated (the
          endpoint's name, so the alarm's dimension, is known after apply)
  MON002  config.watched (no target) | config.scaled (a target), config.managed (managed
          instance scaling) | config.generated (the target's resource_id known after apply);
          config.serverless: no result
  MON003  log_group.month (30), log_group.default (0: never expires) | log_group.long (400)
          | log_group.vague (known after apply)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules

IDS = ("MON001", "MON002", "MON003")
PROVIDER = "registry.terraform.io/hashicorp/aws"
VARIANT = {
    "variant_name": "AllTraffic",
    "model_name": "m",
    "instance_type": "ml.m5.large",
    "initial_instance_count": 1,
}


def resource(
    address: str,
    values: dict[str, Any],
    after_apply: dict[str, list[str]] | None = None,
    flags: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A resource being created: `values` known while planning; `after_apply`: attribute ->
    the references of its expression, for values known only after apply (id and arn always);
    `flags`: after_unknown where only part of an attribute is unknown (one key of a map)."""
    unknown = {"id": [], "arn": [], **(after_apply or {})}
    return {"address": address, "values": values, "unknown": unknown, "flags": flags or {}}


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    planned, changes, config = [], [], []
    for r in resources:
        tf_type, name = r["address"].split(".")
        head = {"address": r["address"], "mode": "managed", "type": tf_type, "name": name}
        flags = {**{k: True for k in r["unknown"]}, **r["flags"]}
        planned.append({**head, "provider_name": PROVIDER, "schema_version": 0, "values": r["values"]})
        changes.append(
            {
                **head,
                "provider_name": PROVIDER,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": r["values"],
                    "after_unknown": flags,
                },
            }
        )
        expressions: dict[str, Any] = {k: {"constant_value": v} for k, v in r["values"].items()}
        expressions.update({k: {"references": refs} for k, refs in r["unknown"].items() if refs})
        config.append({**head, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": PROVIDER,
                    "expressions": {"region": {"constant_value": "us-east-1"}},
                }
            },
            "root_module": {"resources": config},
        },
    }


def _query(qid: str, metric: str, endpoint: str) -> dict[str, Any]:
    return {
        "id": qid,
        "expression": None,
        "return_data": False,
        "metric": [
            {
                "namespace": "AWS/SageMaker",
                "metric_name": metric,
                "period": 60,
                "stat": "Sum",
                "dimensions": {"EndpointName": endpoint, "VariantName": "AllTraffic"},
            }
        ],
    }


def _endpoint(name: str, config: str, literal: bool = True) -> dict[str, Any]:
    if literal:
        return resource(f"aws_sagemaker_endpoint.{name}", {"name": name, "endpoint_config_name": config})
    return resource(
        f"aws_sagemaker_endpoint.{name}",
        {"endpoint_config_name": config},
        {"name": []},  # the provider names it at apply
    )


def _config(name: str, variant: dict[str, Any] = VARIANT) -> dict[str, Any]:
    return resource(
        f"aws_sagemaker_endpoint_configuration.{name}", {"name": name, "production_variants": [variant]}
    )


DOCUMENT = plan(
    # MON001
    _config("watched"),
    _endpoint("watched", "watched"),
    resource(
        "aws_cloudwatch_metric_alarm.watched",
        {
            "alarm_name": "watched-5xx",
            "namespace": "AWS/SageMaker",
            "metric_name": "Invocation5XXErrors",
            "dimensions": {"EndpointName": "watched", "VariantName": "AllTraffic"},
            "actions_enabled": True,
        },
    ),
    _config("mathy"),
    _endpoint("mathy", "mathy"),
    resource(
        "aws_cloudwatch_metric_alarm.mathy",
        {
            "alarm_name": "mathy-error-rate",
            "actions_enabled": True,
            "metric_query": [
                {"id": "rate", "expression": "errors / invocations", "return_data": True, "metric": []},
                _query("errors", "Invocation5XXErrors", "mathy"),
                _query("invocations", "Invocations", "mathy"),
            ],
        },
    ),
    _config("unwatched"),
    _endpoint("unwatched", "unwatched"),
    resource(
        "aws_cloudwatch_metric_alarm.other",
        {
            "alarm_name": "other",
            "dimensions": {"EndpointName": "some-other-endpoint"},
            "actions_enabled": True,
        },
    ),
    _config("generated"),
    _endpoint("generated", "generated", literal=False),
    resource(
        "aws_cloudwatch_metric_alarm.generated",
        {
            "alarm_name": "generated-latency",
            "dimensions": {"VariantName": "AllTraffic"},
            "actions_enabled": True,
        },
        {"dimensions": ["aws_sagemaker_endpoint.generated.name", "aws_sagemaker_endpoint.generated"]},
        flags={"dimensions": {"EndpointName": True}},  # the map is known, one of its values is not
    ),
    resource(
        "aws_appautoscaling_target.generated",
        {
            "service_namespace": "sagemaker",
            "scalable_dimension": "sagemaker:variant:DesiredInstanceCount",
            "min_capacity": 1,
            "max_capacity": 4,
        },
        {"resource_id": ["aws_sagemaker_endpoint.generated.name", "aws_sagemaker_endpoint.generated"]},
    ),
    # MON002
    _config("scaled"),
    _endpoint("scaled", "scaled"),
    resource(
        "aws_appautoscaling_target.scaled",
        {
            "service_namespace": "sagemaker",
            "resource_id": "endpoint/scaled/variant/AllTraffic",
            "scalable_dimension": "sagemaker:variant:DesiredInstanceCount",
            "min_capacity": 1,
            "max_capacity": 4,
        },
    ),
    _config(
        "managed",
        {
            **VARIANT,
            "managed_instance_scaling": [
                {"status": "ENABLED", "min_instance_count": 1, "max_instance_count": 4}
            ],
        },
    ),
    _endpoint("managed", "managed"),
    _config(
        "serverless",
        {
            "variant_name": "AllTraffic",
            "model_name": "m",
            "serverless_config": [{"max_concurrency": 5, "memory_size_in_mb": 2048}],
        },
    ),
    _endpoint("serverless", "serverless"),
    # MON003
    resource("aws_cloudwatch_log_group.month", {"name": "/app/month", "retention_in_days": 30}),
    resource("aws_cloudwatch_log_group.long", {"name": "/app/long", "retention_in_days": 400}),
    resource("aws_cloudwatch_log_group.default", {"name": "/app/default", "retention_in_days": 0}),
    resource(
        "aws_cloudwatch_log_group.vague",
        {"name": "/app/vague"},
        {"retention_in_days": ["data.external.policy.result"]},
    ),
)

EXPECTED = {
    ("MON001", "aws_sagemaker_endpoint_configuration.watched"): "pass",
    ("MON001", "aws_sagemaker_endpoint_configuration.mathy"): "pass",
    ("MON001", "aws_sagemaker_endpoint_configuration.unwatched"): "fail",
    ("MON001", "aws_sagemaker_endpoint_configuration.generated"): "unknown",
    ("MON001", "aws_sagemaker_endpoint_configuration.scaled"): "fail",
    ("MON001", "aws_sagemaker_endpoint_configuration.managed"): "fail",
    ("MON001", "aws_sagemaker_endpoint_configuration.serverless"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.watched"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.mathy"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.unwatched"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.generated"): "unknown",
    ("MON002", "aws_sagemaker_endpoint_configuration.scaled"): "pass",
    ("MON002", "aws_sagemaker_endpoint_configuration.managed"): "pass",
    ("MON003", "aws_cloudwatch_log_group.month"): "fail",
    ("MON003", "aws_cloudwatch_log_group.long"): "pass",
    ("MON003", "aws_cloudwatch_log_group.default"): "fail",
    ("MON003", "aws_cloudwatch_log_group.vague"): "unknown",
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> ScanOutcome:
    root: Path = tmp_path_factory.mktemp("plan")
    path = root / "plan.json"
    path.write_text(json.dumps(DOCUMENT, indent=1))
    out = scan_iac([path], rules(*IDS), root)
    assert out.fatal is None and out.errors == [], out.errors
    return out


def verdicts(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for rule_id in IDS:
        for r in results(outcome, rule_id):
            assert (rule_id, r.resource.id) not in got
            got[(rule_id, r.resource.id)] = r.status.value
    return got


def by_id(outcome: ScanOutcome, rule_id: str, resource_id: str):
    (found,) = [r for r in results(outcome, rule_id) if r.resource.id == resource_id]
    return found


def test_the_plan_gives_exactly_the_table(outcome):
    assert verdicts(outcome) == EXPECTED
    for rule_id in IDS:
        assert {s for (r, _), s in EXPECTED.items() if r == rule_id} == {"fail", "pass", "unknown"}


def test_metric_math_queries_are_read_from_the_plan(outcome):
    mathy = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.mathy")
    (why,) = mathy.evidence["endpoints"]["mathy"]["watched_by"]
    assert why.startswith("alarm mathy-error-rate watches query errors: AWS/SageMaker Invocation5XXErrors")


def test_values_known_after_apply_are_unknown_not_fails(outcome):
    generated = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.generated")
    assert "known after apply" in generated.message
    vague = by_id(outcome, "MON003", "aws_cloudwatch_log_group.vague")
    assert vague.message.startswith("Log group /app/vague: its retention is not known (")
    default = by_id(outcome, "MON003", "aws_cloudwatch_log_group.default")
    assert default.evidence["RetentionInDays"] is None  # 0, the provider's default: never expires
