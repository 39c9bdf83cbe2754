"""CloudTrail and data-event rules on Terraform configurations (RULES.md, INTERFACE.md).

Per-trail rules (CT002-CT007, DE005) give one result per declared trail, addressed by its full
Terraform address; the account-level rules (CT001, CT008, DE001-DE003) give one result per root
configuration that declares a trail, on the first trail declared in it; DE004 judges each
aws_sagemaker_endpoint_configuration. A reference that leaves the scanned files makes the verdict
`unknown`; inline `# opscheck:ignore` / `// opscheck:ignore` comments inside a resource block
suppress a rule on it, until their `until=` date.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import one, results, rules
from testkit import write_tree as write

PER_TRAIL = ("CT002", "CT003", "CT004", "CT005", "CT006", "CT007")
CONFIG_LEVEL = ("CT001", "CT008", "DE001", "DE002", "DE003")


def scan(tmp_path: Path, main_tf: str, *rule_ids: str, **more_files: str) -> ScanOutcome:
    root = write(tmp_path / "cfg", {"main.tf": main_tf, **more_files})
    return scan_iac([root], rules(*rule_ids), tmp_path)


def status(outcome: ScanOutcome, rule_id: str, resource_id: str) -> str:
    return one(outcome, rule_id, resource_id).status.value


def trail(name: str = "t", body: str = "", rtype: str = "aws_cloudtrail") -> str:
    """An aws_cloudtrail block; `body` holds extra attributes and blocks."""
    return f'resource "{rtype}" "{name}" {{\n  name           = "{name}"\n  s3_bucket_name = "logs"\n{body}\n}}\n'


GOOD_TRAIL_BODY = """
  is_multi_region_trail      = true
  enable_log_file_validation = true
  kms_key_id                 = aws_kms_key.k.arn
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.g.arn}:*"
  cloud_watch_logs_role_arn  = "arn:aws:iam::111122223333:role/trail"
"""
KEY_AND_GROUP = """
resource "aws_kms_key" "k" {}
resource "aws_cloudwatch_log_group" "g" {
  name = "trail"
}
"""


# -- per trail: CT002-CT007 ------------------------------------------------------------------------


def test_well_configured_trail_passes_every_per_trail_rule(tmp_path):
    outcome = scan(tmp_path, KEY_AND_GROUP + trail("good", GOOD_TRAIL_BODY), *PER_TRAIL)
    for rule_id in PER_TRAIL:
        result = one(outcome, rule_id, "aws_cloudtrail.good")
        assert result.status == "pass", (rule_id, result.message)
        assert result.resource.type == "AWS::CloudTrail::Trail"
        assert result.resource.name == "good"
        assert result.location is not None and result.location.path == "cfg/main.tf"


def test_bare_trail_fails_on_the_terraform_defaults(tmp_path):
    outcome = scan(tmp_path, trail("bare"), *PER_TRAIL)
    assert status(outcome, "CT002", "aws_cloudtrail.bare") == "fail"  # is_multi_region_trail default false
    assert status(outcome, "CT003", "aws_cloudtrail.bare") == "pass"  # enable_logging default true
    assert status(outcome, "CT004", "aws_cloudtrail.bare") == "pass"  # no selectors: all management events
    assert (
        status(outcome, "CT005", "aws_cloudtrail.bare") == "fail"
    )  # enable_log_file_validation default false
    assert status(outcome, "CT006", "aws_cloudtrail.bare") == "fail"  # no kms_key_id
    assert status(outcome, "CT007", "aws_cloudtrail.bare") == "fail"  # no cloud_watch_logs_group_arn


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "fail"),
        ("is_multi_region_trail = false", "fail"),
        ("is_multi_region_trail = true", "pass"),
        ("is_multi_region_trail = var.v", "unknown"),
    ],
)
def test_ct002_multi_region(tmp_path, body, expected):
    outcome = scan(tmp_path, 'variable "v" {}\n' + trail("t", body), "CT002")
    assert status(outcome, "CT002", "aws_cloudtrail.t") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "pass"),
        ("enable_logging = false", "fail"),
        ("enable_logging = true", "pass"),
        ("enable_logging = var.v", "unknown"),
    ],
)
def test_ct003_logging(tmp_path, body, expected):
    outcome = scan(tmp_path, 'variable "v" {}\n' + trail("t", body), "CT003")
    assert status(outcome, "CT003", "aws_cloudtrail.t") == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "pass"),
        ('event_selector {\n  read_write_type = "All"\n}', "pass"),
        ('event_selector {\n  read_write_type = "WriteOnly"\n}', "fail"),
        ('event_selector {\n  read_write_type = "ReadOnly"\n}', "fail"),
        ("event_selector {\n  include_management_events = false\n}", "fail"),
        (
            'advanced_event_selector {\n  name = "whatever the team called it"\n'
            '  field_selector {\n    field  = "eventCategory"\n    equals = ["Management"]\n  }\n}',
            "pass",
        ),
        (
            'advanced_event_selector {\n  name = "Management events"\n'
            '  field_selector {\n    field  = "eventCategory"\n    equals = ["Management"]\n  }\n'
            '  field_selector {\n    field  = "readOnly"\n    equals = ["true"]\n  }\n}',
            "fail",
        ),
        (
            'advanced_event_selector {\n  name = "Management events"\n'
            '  field_selector {\n    field  = "eventCategory"\n    equals = ["Management"]\n  }\n'
            '  field_selector {\n    field           = "userIdentity.arn"\n'
            '    not_starts_with = ["arn:aws:iam::111122223333:role/noisy"]\n  }\n}',
            "fail",
        ),
        (
            'advanced_event_selector {\n  name = "Management events"\n'
            '  field_selector {\n    field  = "eventCategory"\n    equals = ["Data"]\n  }\n'
            '  field_selector {\n    field  = "resources.type"\n    equals = ["AWS::S3::Object"]\n  }\n}',
            "fail",
        ),
    ],
    ids=[
        "no-selectors",
        "classic-all",
        "classic-write-only",
        "classic-read-only",
        "classic-no-management",
        "advanced-any-name",
        "advanced-read-only",
        "advanced-narrowed",
        "advanced-data-only-named-management",
    ],
)
def test_ct004_management_events(tmp_path, body, expected):
    assert status(scan(tmp_path, trail("t", body), "CT004"), "CT004", "aws_cloudtrail.t") == expected


def test_ct004_excluding_kms_events_fails_at_low_severity(tmp_path):
    body = 'event_selector {\n  exclude_management_event_sources = ["kms.amazonaws.com"]\n}'
    result = one(scan(tmp_path, trail("t", body), "CT004"), "CT004", "aws_cloudtrail.t")
    assert (result.status, result.severity) == ("fail", "low")


def test_ct004_selectors_over_an_unknown_collection_are_unknown(tmp_path):
    body = 'dynamic "event_selector" {\n  for_each = var.selectors\n  content {\n    read_write_type = "All"\n  }\n}'
    outcome = scan(tmp_path, 'variable "selectors" {}\n' + trail("t", body), "CT004")
    assert status(outcome, "CT004", "aws_cloudtrail.t") == "unknown"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "fail"),
        ("enable_log_file_validation = false", "fail"),
        ("enable_log_file_validation = true", "pass"),
    ],
)
def test_ct005_log_file_validation(tmp_path, body, expected):
    assert status(scan(tmp_path, trail("t", body), "CT005"), "CT005", "aws_cloudtrail.t") == expected


def test_ct005_variable_without_value_is_unknown_saying_why(tmp_path):
    outcome = scan(
        tmp_path,
        'variable "validate" {}\n' + trail("t", "enable_log_file_validation = var.validate"),
        "CT005",
    )
    result = one(outcome, "CT005", "aws_cloudtrail.t")
    assert result.status == "unknown"
    assert "validate" in result.message


def test_ct005_variable_with_a_tfvars_value_is_decided(tmp_path):
    outcome = scan(
        tmp_path,
        'variable "validate" {}\n' + trail("t", "enable_log_file_validation = var.validate"),
        "CT005",
        **{"terraform.tfvars": "validate = true\n"},
    )
    assert status(outcome, "CT005", "aws_cloudtrail.t") == "pass"


@pytest.mark.parametrize(
    ("prelude", "body", "expected"),
    [
        ('resource "aws_kms_key" "k" {}\n', "kms_key_id = aws_kms_key.k.arn", "pass"),
        ("", 'kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/abcd"', "pass"),
        ("", "", "fail"),
        ('variable "key" {}\n', "kms_key_id = var.key", "unknown"),
        (
            'module "keys" {\n  source = "terraform-aws-modules/kms/aws"\n}\n',
            "kms_key_id = module.keys.key_arn",
            "unknown",
        ),
    ],
    ids=["declared-key", "literal-arn", "absent", "variable-without-value", "remote-module-output"],
)
def test_ct006_kms_key(tmp_path, prelude, body, expected):
    assert (
        status(scan(tmp_path, prelude + trail("t", body), "CT006"), "CT006", "aws_cloudtrail.t") == expected
    )


@pytest.mark.parametrize(
    ("prelude", "body", "expected"),
    [
        (KEY_AND_GROUP, 'cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.g.arn}:*"', "pass"),
        ("", "", "fail"),
        ('variable "group" {}\n', "cloud_watch_logs_group_arn = var.group", "unknown"),
    ],
)
def test_ct007_cloudwatch_logs(tmp_path, prelude, body, expected):
    assert (
        status(scan(tmp_path, prelude + trail("t", body), "CT007"), "CT007", "aws_cloudtrail.t") == expected
    )


def test_per_trail_rules_judge_each_trail_and_each_instance(tmp_path):
    text = (
        trail("single")
        + trail("multi", "is_multi_region_trail = true")
        + trail("counted", "count = 2\n  is_multi_region_trail = count.index == 1").replace(
            '"counted"\n', '"counted-${count.index}"\n', 1
        )
    )
    outcome = scan(tmp_path, text, "CT002")
    assert {r.resource.id: r.status.value for r in results(outcome, "CT002")} == {
        "aws_cloudtrail.single": "fail",
        "aws_cloudtrail.multi": "pass",
        "aws_cloudtrail.counted[0]": "fail",
        "aws_cloudtrail.counted[1]": "pass",
    }


def test_trails_in_local_modules_are_judged_with_their_module_address(tmp_path):
    outcome = scan(
        tmp_path,
        'module "audit" {\n  source = "./modules/audit"\n  multi  = true\n}\n',
        "CT002",
        **{
            "modules/audit/main.tf": 'variable "multi" {}\n'
            + trail("main", "is_multi_region_trail = var.multi"),
        },
    )
    result = one(outcome, "CT002", "module.audit.aws_cloudtrail.main")
    assert result.status == "pass"
    assert result.location is not None and result.location.path == "cfg/modules/audit/main.tf"


def test_result_location_is_the_trail_block(tmp_path):
    text = "# header\n\n" + trail("t")
    result = one(scan(tmp_path, text, "CT002"), "CT002", "aws_cloudtrail.t")
    assert result.location is not None
    assert (result.location.path, result.location.start_line, result.location.end_line) == (
        "cfg/main.tf",
        3,
        7,
    )


# -- configuration level: CT001, CT008, DE001-DE003 -------------------------------------------------

FULL_COVERAGE = """
  is_multi_region_trail = true

  event_selector {
    read_write_type           = "All"
    include_management_events = true

    data_resource {
      type   = "AWS::S3::Object"
      values = ["arn:aws:s3"]
    }

    data_resource {
      type   = "AWS::Lambda::Function"
      values = ["arn:aws:lambda"]
    }
  }

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }

  insight_selector {
    insight_type = "ApiErrorRateInsight"
  }
"""


def test_configuration_level_rules_pass_on_full_coverage_reported_on_the_first_trail(tmp_path):
    outcome = scan(tmp_path, trail("first", FULL_COVERAGE) + trail("second"), *CONFIG_LEVEL)
    for rule_id in CONFIG_LEVEL:
        [result] = results(outcome, rule_id)
        assert result.status == "pass", (rule_id, result.message)
        assert result.resource.id == "aws_cloudtrail.first"
        assert result.resource.type == "AWS::CloudTrail::Trail"
        assert result.location is not None and result.location.start_line == 1


def test_configuration_level_rules_fail_without_coverage(tmp_path):
    outcome = scan(tmp_path, trail("only"), *CONFIG_LEVEL)
    for rule_id in CONFIG_LEVEL:
        [result] = results(outcome, rule_id)
        assert result.status == "fail", (rule_id, result.message)
        assert result.resource.id == "aws_cloudtrail.only"


def test_configuration_level_result_is_on_the_first_declared_trail_across_files(tmp_path):
    outcome = scan(
        tmp_path,
        "# no trail here\n",
        "CT001",
        **{"b.tf": trail("from_b", FULL_COVERAGE), "a.tf": "\n\n" + trail("from_a")},
    )
    [result] = results(outcome, "CT001")
    assert result.status == "pass"  # from_b qualifies
    assert result.resource.id == "aws_cloudtrail.from_a"  # a.tf comes first
    assert result.location is not None and (result.location.path, result.location.start_line) == (
        "cfg/a.tf",
        3,
    )


def test_configuration_without_a_trail_gets_no_configuration_level_result(tmp_path):
    outcome = scan(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n', *CONFIG_LEVEL)
    assert outcome.results == []


def test_each_root_configuration_gets_its_own_configuration_level_result(tmp_path):
    write(tmp_path / "envs" / "prod", {"main.tf": trail("prod", FULL_COVERAGE)})
    write(tmp_path / "envs" / "dev", {"main.tf": trail("dev")})
    outcome = scan_iac([tmp_path / "envs"], rules("CT001"), tmp_path)
    assert {(r.location.path, r.status.value) for r in results(outcome, "CT001")} == {
        ("envs/prod/main.tf", "pass"),
        ("envs/dev/main.tf", "fail"),
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("is_multi_region_trail = true", "pass"),
        ("is_multi_region_trail = false", "fail"),
        ("is_multi_region_trail = true\n  enable_logging = false", "fail"),
        ('is_multi_region_trail = true\n  event_selector {\n    read_write_type = "ReadOnly"\n  }', "fail"),
        ("is_multi_region_trail = var.multi", "unknown"),
    ],
)
def test_ct001_needs_a_multi_region_logging_trail_with_all_management_events(tmp_path, body, expected):
    outcome = scan(tmp_path, 'variable "multi" {}\n' + trail("t", body), "CT001")
    assert status(outcome, "CT001", "aws_cloudtrail.t") == expected


@pytest.mark.parametrize(
    ("insights", "multi", "expected"),
    [
        (["ApiCallRateInsight", "ApiErrorRateInsight"], True, "pass"),
        (["ApiCallRateInsight"], True, "fail"),
        ([], True, "fail"),
        (["ApiCallRateInsight", "ApiErrorRateInsight"], False, "fail"),
    ],
)
def test_ct008_insights(tmp_path, insights, multi, expected):
    body = f"is_multi_region_trail = {str(multi).lower()}\n" + "".join(
        f'  insight_selector {{\n    insight_type = "{i}"\n  }}\n' for i in insights
    )
    assert status(scan(tmp_path, trail("t", body), "CT008"), "CT008", "aws_cloudtrail.t") == expected


@pytest.mark.parametrize(
    ("selector", "de001", "de002", "de003"),
    [
        (
            'read_write_type = "All"\n    data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3"]\n    }',
            "pass",
            "pass",
            "fail",
        ),
        (
            'read_write_type = "WriteOnly"\n    data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3:::"]\n    }',
            "pass",
            "fail",
            "fail",
        ),
        (
            'read_write_type = "ReadOnly"\n    data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3"]\n    }',
            "fail",
            "pass",
            "fail",
        ),
        (
            'data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3:::one-bucket/"]\n    }',
            "fail",
            "fail",
            "fail",
        ),
        (
            'data_resource {\n      type = "AWS::Lambda::Function"\n      values = ["arn:aws:lambda"]\n    }',
            "fail",
            "fail",
            "pass",
        ),
    ],
    ids=["s3-all", "s3-write", "s3-read", "one-bucket", "lambda-all"],
)
def test_de001_to_de003_classic_selectors(tmp_path, selector, de001, de002, de003):
    body = f"is_multi_region_trail = true\n  event_selector {{\n    {selector}\n  }}"
    outcome = scan(tmp_path, trail("t", body), "DE001", "DE002", "DE003")
    got = {rid: status(outcome, rid, "aws_cloudtrail.t") for rid in ("DE001", "DE002", "DE003")}
    assert got == {"DE001": de001, "DE002": de002, "DE003": de003}


def test_de001_advanced_selector_without_arn_condition_covers_every_bucket(tmp_path):
    body = """
  is_multi_region_trail = true
  advanced_event_selector {
    name = "s3"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }
  }
"""
    outcome = scan(tmp_path, trail("t", body), "DE001", "DE002")
    assert status(outcome, "DE001", "aws_cloudtrail.t") == "pass"
    assert status(outcome, "DE002", "aws_cloudtrail.t") == "pass"


@pytest.mark.parametrize(
    "body",
    [
        'event_selector {\n    data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3"]\n    }\n  }',
        'is_multi_region_trail = true\n  enable_logging = false\n  event_selector {\n    data_resource {\n      type = "AWS::S3::Object"\n      values = ["arn:aws:s3"]\n    }\n  }',
    ],
    ids=["single-region", "not-logging"],
)
def test_de001_only_multi_region_logging_trails_give_configuration_coverage(tmp_path, body):
    assert status(scan(tmp_path, trail("t", body), "DE001"), "DE001", "aws_cloudtrail.t") == "fail"


# -- DE004 ---------------------------------------------------------------------------------------

ENDPOINT_CONFIG = """
resource "aws_sagemaker_endpoint_configuration" "ec" {
  name = "fraud"
  production_variants {
    variant_name           = "main"
    model_name             = "fraud-model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }
  %s
}
"""
CAPTURE_NO_FLAG = """data_capture_config {
    initial_sampling_percentage = 100
    destination_s3_uri          = "s3://capture/"
    capture_options {
      capture_mode = "Input"
    }
  }"""
SAGEMAKER_SELECTOR = """
  advanced_event_selector {
    name = "endpoints"
    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }
    field_selector {
      field  = "resources.type"
      equals = ["AWS::SageMaker::Endpoint"]
    }
  }
"""


def test_de004_endpoint_configuration_without_a_covering_trail_fails_medium(tmp_path):
    outcome = scan(tmp_path, trail("t") + ENDPOINT_CONFIG % "", "DE004")
    result = one(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec")
    assert (result.status, result.severity) == ("fail", "medium")
    assert result.resource.type == "AWS::SageMaker::EndpointConfig"
    assert result.resource.name == "fraud"


def test_de004_capture_without_enable_capture_is_off_in_terraform(tmp_path):
    outcome = scan(tmp_path, ENDPOINT_CONFIG % CAPTURE_NO_FLAG, "DE004")
    result = one(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec")
    assert (result.status, result.severity) == ("fail", "medium")
    assert result.evidence["data_capture"] is False


def test_de004_capture_enabled_without_a_trail_still_fails_at_low(tmp_path):
    capture = CAPTURE_NO_FLAG.replace(
        "data_capture_config {", "data_capture_config {\n    enable_capture = true"
    )
    outcome = scan(tmp_path, ENDPOINT_CONFIG % capture, "DE004")
    result = one(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec")
    assert (result.status, result.severity) == ("fail", "low")


def test_de004_logging_trail_recording_endpoint_data_events_passes(tmp_path):
    outcome = scan(tmp_path, trail("t", SAGEMAKER_SELECTOR) + ENDPOINT_CONFIG % "", "DE004")
    assert status(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec") == "pass"


def test_de004_trail_that_is_not_logging_does_not_cover(tmp_path):
    outcome = scan(
        tmp_path, trail("t", "enable_logging = false\n" + SAGEMAKER_SELECTOR) + ENDPOINT_CONFIG % "", "DE004"
    )
    assert status(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec") == "fail"


# -- DE005 ---------------------------------------------------------------------------------------

BUCKET = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'


def _s3_selector(values: str, dtype: str = "AWS::S3::Object") -> str:
    return f'event_selector {{\n    data_resource {{\n      type   = "{dtype}"\n      values = {values}\n    }}\n  }}'


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        ("[aws_s3_bucket.b.arn]", "AWS::S3::Object", "fail"),
        ('["${aws_s3_bucket.b.arn}/"]', "AWS::S3::Object", "pass"),
        ('["arn:aws:s3:::b"]', "AWS::S3::Object", "fail"),
        ('["arn:aws:s3:::b/"]', "AWS::S3::Object", "pass"),
        ('["arn:aws:s3:::b/prefix/"]', "AWS::S3::Object", "pass"),
        ('["arn:aws:s3"]', "AWS::S3::Object", "pass"),
        ('["arn:aws:lambda"]', "AWS::Lambda::Function", "pass"),
        ('["arn:aws:sagemaker:us-east-1:111122223333:endpoint/x"]', "AWS::SageMaker::Endpoint", "fail"),
    ],
    ids=[
        "bucket-arn",
        "bucket-arn-slash",
        "literal-no-slash",
        "literal-slash",
        "prefix",
        "all",
        "lambda",
        "sagemaker-classic",
    ],
)
def test_de005_classic_data_resource_values(tmp_path, values, dtype, expected):
    outcome = scan(tmp_path, BUCKET + trail("t", _s3_selector(values, dtype)), "DE005")
    assert status(outcome, "DE005", "aws_cloudtrail.t") == expected


def test_de005_bucket_arn_of_a_bucket_without_a_literal_name_fails_too(tmp_path):
    text = 'resource "aws_s3_bucket" "b" {\n  bucket_prefix = "data-"\n}\n' + trail(
        "t", _s3_selector("[aws_s3_bucket.b.arn]")
    )
    assert status(scan(tmp_path, text, "DE005"), "DE005", "aws_cloudtrail.t") == "fail"


def test_de005_selectors_over_an_unknown_collection_are_unknown(tmp_path):
    dyn = 'variable "sel" {}\n' + trail(
        "t",
        'dynamic "event_selector" {\n    for_each = var.sel\n    content {\n      read_write_type = "All"\n    }\n  }',
    )
    assert status(scan(tmp_path, dyn, "DE005"), "DE005", "aws_cloudtrail.t") == "unknown"


@pytest.mark.parametrize("values", ["var.values", "[var.one]", '["${var.one}"]'])
def test_de005_values_from_a_variable_without_value_are_unknown(tmp_path, values):
    text = 'variable "values" {}\nvariable "one" {}\n' + trail("t", _s3_selector(values))
    assert status(scan(tmp_path, text, "DE005"), "DE005", "aws_cloudtrail.t") == "unknown"


# -- inline suppressions -------------------------------------------------------------------------

FUTURE = (dt.date.today() + dt.timedelta(days=365)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def test_hash_comment_inside_the_block_suppresses_with_its_reason(tmp_path):
    body = "  # opscheck:ignore CT002 regional trail by design, see ADR-12"
    result = one(scan(tmp_path, trail("t", body), "CT002"), "CT002", "aws_cloudtrail.t")
    assert result.status == "fail"  # still reported, only marked
    assert result.suppression is not None
    assert result.suppression.source == "inline"
    assert result.suppression.reason == "regional trail by design, see ADR-12"
    assert result.suppression.expires is None


def test_slash_comment_with_until_suppresses_until_that_date(tmp_path):
    body = f"  // opscheck:ignore CT005 until={FUTURE} validation comes with the new bucket"
    result = one(scan(tmp_path, trail("t", body), "CT005"), "CT005", "aws_cloudtrail.t")
    assert result.suppression is not None
    assert result.suppression.expires == FUTURE
    assert result.suppression.reason == "validation comes with the new bucket"


def test_until_may_come_after_the_reason_and_in_a_nested_block(tmp_path):
    body = f'  event_selector {{\n    read_write_type = "WriteOnly" # opscheck:ignore CT004 reads are too noisy until={FUTURE}\n  }}'
    result = one(scan(tmp_path, trail("t", body), "CT004"), "CT004", "aws_cloudtrail.t")
    assert result.status == "fail"
    assert result.suppression is not None and result.suppression.expires == FUTURE
    assert "noisy" in result.suppression.reason


@pytest.mark.parametrize(
    "body",
    [
        '  tags = {\n    # opscheck:ignore CT002 regional by design\n    team = "ml"\n  }',
        '  tags = merge(\n    { team = "ml" }, // opscheck:ignore CT002 regional by design\n    {},\n  )',
    ],
)
def test_a_comment_inside_an_attribute_value_suppresses_too(tmp_path, body):
    result = one(scan(tmp_path, trail("t", body), "CT002"), "CT002", "aws_cloudtrail.t")
    assert result.suppression is not None and result.suppression.reason == "regional by design"


def test_the_marker_inside_a_string_or_heredoc_is_not_a_suppression(tmp_path):
    body = '  tags = {\n    note = "opscheck:ignore CT002 not a comment"\n  }\n  s3_key_prefix = <<EOT\n# opscheck:ignore CT002 text\nEOT'
    result = one(scan(tmp_path, trail("t", body), "CT002"), "CT002", "aws_cloudtrail.t")
    assert result.suppression is None


def test_expired_suppression_no_longer_suppresses_and_says_so(tmp_path):
    body = f"  # opscheck:ignore CT002 until={PAST} temporary exception"
    result = one(scan(tmp_path, trail("t", body), "CT002"), "CT002", "aws_cloudtrail.t")
    assert result.status == "fail"
    assert result.suppression is None
    expired = result.evidence["suppression_expired"]
    assert PAST in json.dumps(expired)


def test_suppression_with_an_invalid_until_is_ignored_and_reported(tmp_path):
    outcome = scan(tmp_path, trail("t", "  # opscheck:ignore CT002 until=next-week soon"), "CT002")
    assert one(outcome, "CT002", "aws_cloudtrail.t").suppression is None
    [error] = [e for e in outcome.errors if e.path == "cfg/main.tf"]
    assert error.line == 4 and "until" in error.message


def test_suppression_comment_after_the_opening_brace_counts(tmp_path):
    text = 'resource "aws_cloudtrail" "t" { # opscheck:ignore CT002 regional\n  name = "t"\n}\n'
    assert one(scan(tmp_path, text, "CT002"), "CT002", "aws_cloudtrail.t").suppression is not None


def test_suppression_is_for_its_rule_and_its_resource_only(tmp_path):
    text = trail("a", "  # opscheck:ignore CT002 accepted") + trail("b")
    outcome = scan(tmp_path, text, "CT002", "CT005")
    assert one(outcome, "CT002", "aws_cloudtrail.a").suppression is not None
    assert one(outcome, "CT005", "aws_cloudtrail.a").suppression is None
    assert one(outcome, "CT002", "aws_cloudtrail.b").suppression is None


def test_suppression_on_the_first_trail_covers_its_configuration_level_result(tmp_path):
    text = trail("first", "  # opscheck:ignore CT001 covered by the organization trail") + trail("second")
    result = one(scan(tmp_path, text, "CT001"), "CT001", "aws_cloudtrail.first")
    assert result.status == "fail" and result.suppression is not None


def test_suppression_in_a_module_block_applies_to_every_instance(tmp_path):
    outcome = scan(
        tmp_path,
        'module "m" {\n  source = "./m"\n  count  = 2\n}\n',
        "CT002",
        **{"m/main.tf": trail("t", "  # opscheck:ignore CT002 module trails are regional")},
    )
    suppressed = {r.resource.id: r.suppression is not None for r in results(outcome, "CT002")}
    assert suppressed == {"module.m[0].aws_cloudtrail.t": True, "module.m[1].aws_cloudtrail.t": True}


# -- exit codes ----------------------------------------------------------------------------------


def run_cli(tmp_path: Path, monkeypatch, capsys, *argv: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = main(["scan", *argv, "--format", "json"], out=out)
    assert "Traceback" not in capsys.readouterr().err
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


def test_exit_code_1_on_an_unsuppressed_fail(tmp_path, monkeypatch, capsys):
    write(tmp_path / "cfg", {"main.tf": trail("t")})
    code, doc = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT002")
    assert code == 1
    assert doc["summary"]["fail"] == 1


def test_exit_code_0_when_every_fail_is_suppressed(tmp_path, monkeypatch, capsys):
    write(tmp_path / "cfg", {"main.tf": trail("t", "  # opscheck:ignore CT002 regional by design")})
    code, doc = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT002")
    assert code == 0
    assert (doc["summary"]["fail"], doc["summary"]["suppressed"]) == (0, 1)
    [result] = doc["results"]
    assert result["suppression"] == {
        "source": "inline",
        "reason": "regional by design",
        "expires": None,
        "owner": None,
    }


def test_exit_code_1_when_the_suppression_expired(tmp_path, monkeypatch, capsys):
    write(tmp_path / "cfg", {"main.tf": trail("t", f"  # opscheck:ignore CT002 until={PAST} was temporary")})
    code, doc = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT002")
    assert code == 1
    assert doc["results"][0]["suppression"] is None
    assert "suppression_expired" in doc["results"][0]["evidence"]


@pytest.mark.parametrize(("fail_on", "expected"), [("low", 1), ("medium", 1), ("high", 0), ("none", 0)])
def test_exit_code_follows_fail_on(tmp_path, monkeypatch, capsys, fail_on, expected):
    write(tmp_path / "cfg", {"main.tf": trail("t")})  # CT002 fails at medium
    code, _ = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT002", "--fail-on", fail_on)
    assert code == expected


def test_exit_code_1_on_a_high_fail_with_fail_on_high(tmp_path, monkeypatch, capsys):
    write(tmp_path / "cfg", {"main.tf": trail("t", "enable_logging = false")})
    code, _ = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT003", "--fail-on", "high")
    assert code == 1


def test_exit_code_0_when_only_unknown(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "cfg", {"main.tf": 'variable "v" {}\n' + trail("t", "enable_log_file_validation = var.v")}
    )
    code, doc = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT005")
    assert code == 0
    assert doc["summary"]["unknown"] == 1


def test_exit_code_2_when_nothing_could_be_scanned(tmp_path, monkeypatch, capsys):
    write(tmp_path / "empty", {"README.md": "no terraform here\n"})
    code, _ = run_cli(tmp_path, monkeypatch, capsys, "empty")
    assert code == 2


def test_results_document_uses_the_terraform_address_and_relative_location(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "cfg",
        {
            "main.tf": 'module "audit" {\n  source = "./audit"\n}\n',
            "audit/main.tf": 'resource "aws_cloudtrail" "main" {\n  for_each = toset(["raw"])\n  name = "t-${each.key}"\n}\n',
        },
    )
    _, doc = run_cli(tmp_path, monkeypatch, capsys, "cfg", "--rules", "CT002")
    [result] = doc["results"]
    assert result["resource"] == {
        "type": "AWS::CloudTrail::Trail",
        "id": 'module.audit.aws_cloudtrail.main["raw"]',
        "name": "t-raw",
        "configuration": "cfg",  # the root module it was evaluated in
    }
    assert result["location"] == {"path": "cfg/audit/main.tf", "start_line": 1, "end_line": 4}


# -- one rule, two sources -----------------------------------------------------------------------

EQUIVALENT_CFN = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: trail-logs
  Key:
    Type: AWS::KMS::Key
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: main
      S3BucketName: !Ref Logs
      IsLogging: true
      IsMultiRegionTrail: true
      EnableLogFileValidation: false
      KMSKeyId: !GetAtt Key.Arn
      EventSelectors:
        - ReadWriteType: WriteOnly
          IncludeManagementEvents: true
          DataResources:
            - Type: AWS::S3::Object
              Values:
                - !GetAtt Logs.Arn
      InsightSelectors:
        - InsightType: ApiCallRateInsight
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: fraud
      ProductionVariants:
        - VariantName: main
          ModelName: fraud-model
          InstanceType: ml.m5.large
          InitialInstanceCount: 2
"""
EQUIVALENT_TF = """\
resource "aws_s3_bucket" "logs" {
  bucket = "trail-logs"
}

resource "aws_kms_key" "key" {}

resource "aws_cloudtrail" "trail" {
  name                  = "main"
  s3_bucket_name        = aws_s3_bucket.logs.id
  is_multi_region_trail = true
  kms_key_id            = aws_kms_key.key.arn

  event_selector {
    read_write_type = "WriteOnly"
    data_resource {
      type   = "AWS::S3::Object"
      values = [aws_s3_bucket.logs.arn]
    }
  }

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }
}

resource "aws_sagemaker_endpoint_configuration" "config" {
  name = "fraud"
  production_variants {
    variant_name           = "main"
    model_name             = "fraud-model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }
}
"""


def test_the_same_rule_objects_give_the_same_verdicts_on_cloudformation_and_terraform(tmp_path):
    chosen = rules(*PER_TRAIL, *CONFIG_LEVEL, "DE004", "DE005")
    (tmp_path / "stack.yaml").write_text(EQUIVALENT_CFN)
    write(tmp_path / "tf", {"main.tf": EQUIVALENT_TF})
    cfn = scan_iac([tmp_path / "stack.yaml"], chosen, tmp_path)
    tf = scan_iac([tmp_path / "tf"], chosen, tmp_path)
    assert cfn.errors == [] and tf.errors == []

    def verdicts(outcome: ScanOutcome) -> dict[str, tuple[str, str]]:
        got = {}
        for r in outcome.results:
            assert r.rule_id not in got, f"two {r.rule_id} results"
            got[r.rule_id] = (r.status.value, r.severity.value)
        return got

    from_cfn, from_tf = verdicts(cfn), verdicts(tf)
    assert from_cfn == from_tf
    assert set(from_tf) == {*PER_TRAIL, *CONFIG_LEVEL, "DE004", "DE005"}
    # The case is not trivial: it mixes passes and fails.
    assert from_tf["CT002"][0] == "pass" and from_tf["CT005"][0] == "fail"
    assert from_tf["DE005"][0] == "fail" and from_tf["CT004"][0] == "fail"
    assert {r.resource.id for r in tf.results if r.rule_id == "CT002"} == {"aws_cloudtrail.trail"}
    assert {r.resource.id for r in cfn.results if r.rule_id == "CT002"} == {"Trail"}
