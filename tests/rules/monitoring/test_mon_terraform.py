"""MON001-MON003 on one Terraform configuration: every rule fails, passes and is unknown on a
named resource, asserted exactly. MON001 and MON002 results sit on the endpoint
configuration (RULES.md); an endpoint built from no declared configuration is judged on its
own. A variable without a value makes a verdict unknown, never a fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

IDS = ("MON001", "MON002", "MON003")

MAIN = """
variable "retention" {}

# -- MON001: alarms ---------------------------------------------------------------------------
resource "aws_sagemaker_endpoint_configuration" "watched" {
  name = "watched"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "watched" {
  name                 = "watched"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.watched.name
}
resource "aws_cloudwatch_metric_alarm" "watched" {
  alarm_name          = "watched-5xx"
  namespace           = "AWS/SageMaker"
  metric_name         = "Invocation5XXErrors"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    EndpointName = aws_sagemaker_endpoint.watched.name
    VariantName  = "AllTraffic"
  }
}

# The endpoint's name is left to the provider: only a reference to it can name it.
resource "aws_sagemaker_endpoint_configuration" "mathy" {
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "mathy" {
  endpoint_config_name = aws_sagemaker_endpoint_configuration.mathy.name
}
resource "aws_cloudwatch_metric_alarm" "mathy" {
  alarm_name          = "mathy-error-rate"
  evaluation_periods  = 1
  threshold           = 0.05
  comparison_operator = "GreaterThanThreshold"
  metric_query {
    id          = "rate"
    expression  = "errors / invocations"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocation5XXErrors"
      period      = 60
      stat        = "Sum"
      dimensions  = { EndpointName = aws_sagemaker_endpoint.mathy.id, VariantName = "AllTraffic" }
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      period      = 60
      stat        = "Sum"
      dimensions  = { EndpointName = aws_sagemaker_endpoint.mathy.id, VariantName = "AllTraffic" }
    }
  }
}

# An alarm on another endpoint, and one giving this endpoint's ARN: neither watches it.
resource "aws_sagemaker_endpoint_configuration" "unwatched" {
  name = "unwatched"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "unwatched" {
  name                 = "unwatched"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.unwatched.name
}
resource "aws_cloudwatch_metric_alarm" "other" {
  alarm_name          = "other-latency"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  dimensions          = { EndpointName = "some-other-endpoint", VariantName = "AllTraffic" }
}
resource "aws_cloudwatch_metric_alarm" "by_arn" {
  alarm_name          = "unwatched-by-arn"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  dimensions          = { EndpointName = aws_sagemaker_endpoint.unwatched.arn, VariantName = "AllTraffic" }
}

# -- MON002: autoscaling ------------------------------------------------------------------------
resource "aws_sagemaker_endpoint_configuration" "scaled" {
  name = "scaled"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "scaled" {
  name                 = "scaled"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.scaled.name
}
resource "aws_appautoscaling_target" "scaled" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.scaled.name}/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 1
  max_capacity       = 4
}

resource "aws_sagemaker_endpoint_configuration" "managed" {
  name = "managed"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
    managed_instance_scaling {
      status             = "ENABLED"
      min_instance_count = 1
      max_instance_count = 4
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "serverless" {
  name = "serverless"
  production_variants {
    variant_name = "AllTraffic"
    model_name   = "m"
    serverless_config {
      max_concurrency   = 5
      memory_size_in_mb = 2048
    }
  }
}

# -- MON003: retention --------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "month" {
  name              = "/app/month"
  retention_in_days = 30
}
resource "aws_cloudwatch_log_group" "long" {
  name              = "/app/long"
  retention_in_days = 400
}
resource "aws_cloudwatch_log_group" "absent" {
  name = "/app/absent"
}
resource "aws_cloudwatch_log_group" "zero" {
  name              = "/app/zero"
  retention_in_days = 0
}
resource "aws_cloudwatch_log_group" "vague" {
  name              = "/app/vague"
  retention_in_days = var.retention
}
# A policy on a log group declared elsewhere: a placeholder, judged where it is declared.
resource "aws_cloudwatch_log_resource_policy" "elsewhere" {
  policy_name     = "elsewhere"
  resource_arn    = "arn:aws:logs:us-east-1:123456789012:log-group:/other/stack"
  policy_document = "{}"
}
"""

# An alarm and a scalable target named by variables without a value: they may be for any
# endpoint of the configuration, so each endpoint's verdict short of a pass is unknown.
VAGUE = """
variable "endpoint_name" {}
variable "target_endpoint" {}

# An alarm whose EndpointName is a variable without a value: it may be this endpoint.
resource "aws_sagemaker_endpoint_configuration" "maybe" {
  name = "maybe"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
  production_variants {
    variant_name = "Serverless"
    model_name   = "m"
    serverless_config {
      max_concurrency   = 5
      memory_size_in_mb = 2048
    }
  }
}
resource "aws_sagemaker_endpoint" "maybe" {
  name                 = "maybe"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.maybe.name
}
resource "aws_cloudwatch_metric_alarm" "maybe" {
  alarm_name          = "maybe-latency"
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanThreshold"
  dimensions          = { EndpointName = var.endpoint_name, VariantName = "AllTraffic" }
}

resource "aws_sagemaker_endpoint_configuration" "vague" {
  name = "vague"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "vague" {
  name                 = "vague"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.vague.name
}
resource "aws_appautoscaling_target" "vague" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${var.target_endpoint}/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 1
  max_capacity       = 4
}

# An alarm and a target that name `sure` for certain: a pass stands beside the vague ones.
resource "aws_sagemaker_endpoint_configuration" "sure" {
  name = "sure"
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "sure" {
  name                 = "sure"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.sure.name
}
resource "aws_cloudwatch_metric_alarm" "sure" {
  alarm_name = "sure-latency"
  dimensions = { EndpointName = "sure", VariantName = "AllTraffic" }
}
resource "aws_appautoscaling_target" "sure" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/sure/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 1
  max_capacity       = 4
}
"""

EXPECTED = {
    ("MON001", "aws_sagemaker_endpoint_configuration.watched"): "pass",
    ("MON001", "aws_sagemaker_endpoint_configuration.mathy"): "pass",
    ("MON001", "aws_sagemaker_endpoint_configuration.unwatched"): "fail",
    ("MON001", "aws_sagemaker_endpoint_configuration.scaled"): "fail",
    # No endpoint is declared from these: which alarms would watch one cannot be told.
    ("MON001", "aws_sagemaker_endpoint_configuration.managed"): "unknown",
    ("MON001", "aws_sagemaker_endpoint_configuration.serverless"): "unknown",
    ("MON002", "aws_sagemaker_endpoint_configuration.watched"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.mathy"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.unwatched"): "fail",
    ("MON002", "aws_sagemaker_endpoint_configuration.scaled"): "pass",
    ("MON002", "aws_sagemaker_endpoint_configuration.managed"): "pass",
    ("MON003", "aws_cloudwatch_log_group.month"): "fail",
    ("MON003", "aws_cloudwatch_log_group.long"): "pass",
    ("MON003", "aws_cloudwatch_log_group.absent"): "fail",
    ("MON003", "aws_cloudwatch_log_group.zero"): "fail",
    ("MON003", "aws_cloudwatch_log_group.vague"): "unknown",
}


def scan(root: Path, files: dict[str, str], *ids: str) -> ScanOutcome:
    write(root, files)
    outcome = scan_iac([root], rules(*(ids or IDS)), root)
    assert outcome.fatal is None
    assert outcome.errors == [], outcome.errors
    return outcome


def verdicts(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for rule_id in IDS:
        for r in results(outcome, rule_id):
            assert (rule_id, r.resource.id) not in got
            got[(rule_id, r.resource.id)] = r.status.value
    return got


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("tf"), {"main.tf": MAIN})


def by_id(outcome: ScanOutcome, rule_id: str, resource_id: str):
    (found,) = [r for r in results(outcome, rule_id) if r.resource.id == resource_id]
    return found


def test_the_configuration_gives_exactly_the_table(outcome):
    assert verdicts(outcome) == EXPECTED


VAGUE_EXPECTED = {
    ("MON001", "aws_sagemaker_endpoint_configuration.maybe"): "unknown",
    ("MON001", "aws_sagemaker_endpoint_configuration.vague"): "unknown",
    ("MON001", "aws_sagemaker_endpoint_configuration.sure"): "pass",
    ("MON002", "aws_sagemaker_endpoint_configuration.maybe"): "unknown",  # its serverless variant: skipped
    ("MON002", "aws_sagemaker_endpoint_configuration.vague"): "unknown",
    ("MON002", "aws_sagemaker_endpoint_configuration.sure"): "pass",
}


@pytest.fixture(scope="module")
def vague(tmp_path_factory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("vague"), {"main.tf": VAGUE}, "MON001", "MON002")


def test_values_known_only_at_deployment_give_exactly_the_table(vague):
    assert verdicts(vague) == VAGUE_EXPECTED


def test_every_rule_fails_passes_and_is_unknown():
    for rule_id in IDS:
        cells = {s for (r, _), s in {**EXPECTED, **VAGUE_EXPECTED}.items() if r == rule_id}
        assert cells == {"fail", "pass", "unknown"}, rule_id


def test_results_point_at_the_configuration_block(outcome):
    watched = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.watched")
    assert watched.location is not None and watched.location.path == "main.tf"
    assert MAIN.splitlines()[watched.location.start_line - 1].startswith(
        'resource "aws_sagemaker_endpoint_configuration" "watched"'
    )


def test_metric_math_on_the_endpoint_metrics_passes(outcome):
    mathy = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.mathy")
    (why,) = mathy.evidence["endpoints"]["aws_sagemaker_endpoint.mathy"]["watched_by"]
    assert why == (
        "alarm mathy-error-rate watches query errors: AWS/SageMaker Invocation5XXErrors; "
        "query invocations: AWS/SageMaker Invocations"
    )


def test_an_alarm_on_the_endpoint_arn_or_another_endpoint_does_not_watch_it(outcome):
    unwatched = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.unwatched")
    assert unwatched.message == (
        "SageMaker endpoint configuration unwatched: no CloudWatch alarm watches any metric of endpoint "
        "unwatched (4 alarms declared here checked; alarm unwatched-by-arn watches no metric of it: "
        "EndpointName aws_sagemaker_endpoint.unwatched.arn gives the endpoint's ARN, not its name), so its "
        "errors and latency reach no one."
    )
    (missed,) = unwatched.evidence["endpoints"]["unwatched"]["near_misses"]
    assert missed == (
        "alarm unwatched-by-arn watches no metric of it: EndpointName aws_sagemaker_endpoint.unwatched.arn "
        "gives the endpoint's ARN, not its name"
    )


def test_a_dimension_from_a_variable_without_a_value_is_unknown(vague):
    maybe = by_id(vague, "MON001", "aws_sagemaker_endpoint_configuration.maybe")
    assert maybe.message == (
        "SageMaker endpoint configuration maybe: whether a CloudWatch alarm watches it is not known: "
        "alarm maybe-latency may watch it: its EndpointName dimension is not known (variable "
        "endpoint_name of the root module has no value (no default, no tfvars))."
    )


def test_targets_managed_scaling_and_serverless_variants(outcome):
    scaled = by_id(outcome, "MON002", "aws_sagemaker_endpoint_configuration.scaled")
    assert scaled.evidence == {
        "variants": {
            "AllTraffic": "variant AllTraffic is scaled by scalable target aws_appautoscaling_target.scaled"
        }
    }
    serverless = by_id(outcome, "MON001", "aws_sagemaker_endpoint_configuration.serverless")
    assert serverless.status.value == "unknown"  # no endpoint declared from it
    assert not [r for r in results(outcome, "MON002") if r.resource.id.endswith(".serverless")]


def test_a_target_named_by_a_variable_may_be_any_endpoint_s(vague):
    maybe = by_id(vague, "MON002", "aws_sagemaker_endpoint_configuration.maybe")
    assert list(maybe.evidence["variants"]) == ["AllTraffic"]  # the serverless one is skipped
    assert "scalable target aws_appautoscaling_target.vague may be for endpoint maybe" in maybe.message


def test_retention_zero_and_absent_both_never_expire(outcome):
    for address in ("aws_cloudwatch_log_group.absent", "aws_cloudwatch_log_group.zero"):
        result = by_id(outcome, "MON003", address)
        assert result.evidence == {"RetentionInDays": None, "min_retention_days": 365}
        assert "never expires its events" in result.message


def test_an_endpoint_built_from_no_declared_configuration_is_judged_on_its_own(tmp_path):
    out = scan(
        tmp_path,
        {
            "main.tf": """
            variable "config" {}
            resource "aws_sagemaker_endpoint" "e" {
              name                 = "loose"
              endpoint_config_name = var.config
            }
            """
        },
        "MON001",
        "MON002",
    )
    got = {(r.rule_id, r.resource.id): (r.status.value, r.message) for r in out.results}
    assert got == {
        (
            "MON001",
            "aws_sagemaker_endpoint.e",
        ): (
            "fail",
            "SageMaker endpoint loose: no CloudWatch alarm watches any of its metrics (no alarm is "
            "declared here), so its errors and latency reach no one.",
        ),
        (
            "MON002",
            "aws_sagemaker_endpoint.e",
        ): (
            "unknown",
            "SageMaker endpoint loose: its production variants are not known: which endpoint configuration "
            "it is built from is not known (variable config of the root module has no value (no default, "
            "no tfvars)).",
        ),
    }


def test_an_alarm_that_may_not_be_created_does_not_make_a_pass(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
            variable "alarms" {}
            resource "aws_sagemaker_endpoint_configuration" "c" {
              name = "c"
              production_variants {
                variant_name           = "v"
                model_name             = "m"
                instance_type          = "ml.m5.large"
                initial_instance_count = 1
              }
            }
            resource "aws_sagemaker_endpoint" "e" {
              name                 = "e"
              endpoint_config_name = aws_sagemaker_endpoint_configuration.c.name
            }
            resource "aws_cloudwatch_metric_alarm" "a" {
              count      = var.alarms ? 1 : 0
              alarm_name = "e-latency"
              dimensions = { EndpointName = aws_sagemaker_endpoint.e.name, VariantName = "v" }
            }
            """
        },
    )
    out = scan_iac([tmp_path], rules("MON001"), tmp_path)
    assert [e.kind for e in out.errors] == ["parse"]  # its count cannot be decided: said once
    (result,) = results(out, "MON001")
    assert result.status.value == "unknown"
    assert "may not be created" in result.message
