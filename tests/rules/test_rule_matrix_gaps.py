"""The IaC test matrix of the CloudTrail rules: rule x source x status, and the cells it lacked.

Requirement: per CloudTrail rule (CT001-CT008, DE001-DE005), IaC fixtures for fail / pass /
unknown in Terraform (HCL), Terraform plan JSON and CloudFormation. `opscheck rules` lists
CT001-DE004 as aws,tf,cfn and DE005 as tf,cfn; "tf" covers HCL and plan JSON (RULES.md).

Files (cells name file::test):
  TF    tests/rules/test_cloudtrail_rules_on_terraform.py
  CFN   tests/rules/test_cloudtrail_rules_on_cloudformation.py
  PLAN  tests/rules/test_rules_on_terraform_plan.py        (new: every plan cell)
  GAPS  tests/rules/test_rule_matrix_gaps.py               (this file: the empty HCL/CFN cells)
  TFP   tests/sources/terraform/test_tf_plan.py            (plan fixture tests/fixtures/terraform/plan)
tests/rules/data_events/* and tests/rules/cloudtrail/* scan the AWS emulator (live source only):
they fill no IaC cell.

| rule  | src  | fail                                                        | pass                                                              | unknown                                                                     |
|-------|------|-------------------------------------------------------------|-------------------------------------------------------------------|-----------------------------------------------------------------------------|
| CT001 | tf   | TF::test_ct001_needs_a_multi_region_logging_trail_with_all_management_events (+ TF::test_configuration_level_rules_fail_without_coverage) | TF::test_ct001_needs_a_multi_region_logging_trail_with_all_management_events (+ TF::test_configuration_level_rules_pass_on_full_coverage_reported_on_the_first_trail) | TF::test_ct001_needs_a_multi_region_logging_trail_with_all_management_events[is_multi_region_trail = var.multi-unknown] |
| CT001 | plan | PLAN::test_ct001_fail_without_a_multi_region_trail          | PLAN::test_ct001_pass_with_a_multi_region_logging_trail_recording_all_management_events (+ TFP::test_rules_on_a_plan_through_the_cli) | PLAN::test_ct001_unknown_when_logging_is_known_after_apply |
| CT001 | cfn  | CFN::test_configuration_level_fails_name_the_configuration  | CFN::test_configuration_level_result_is_on_the_first_trail_by_line[CT001] | CFN::test_configuration_level_unknown_when_multi_region_is_a_parameter |
| CT002 | tf   | TF::test_ct002_multi_region                                 | TF::test_ct002_multi_region                                       | TF::test_ct002_multi_region[is_multi_region_trail = var.v-unknown]          |
| CT002 | plan | PLAN::test_ct002_multi_region[fail]                         | PLAN::test_ct002_multi_region[pass] (+ TFP::test_rules_on_a_plan_through_the_cli) | PLAN::test_ct002_multi_region[unknown] (+ TFP::test_a_plan_whose_value_is_unknown_after_apply_gives_unknown) |
| CT002 | cfn  | CFN::test_per_trail_verdict[CT002-Defaults-fail]            | CFN::test_per_trail_verdict[CT002-Hardened-pass]                  | CFN::test_per_trail_verdict[CT002-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT002-MultiRegion] |
| CT003 | tf   | TF::test_ct003_logging                                      | TF::test_ct003_logging                                            | TF::test_ct003_logging[enable_logging = var.v-unknown]                      |
| CT003 | plan | PLAN::test_ct003_logging[fail] (+ TFP::test_rules_on_a_plan_through_the_cli) | PLAN::test_ct003_logging[pass]                   | PLAN::test_ct003_logging[unknown]                                           |
| CT003 | cfn  | CFN::test_per_trail_verdict[CT003-Stopped-fail]             | CFN::test_per_trail_verdict[CT003-Hardened-pass]                  | CFN::test_per_trail_verdict[CT003-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT003-Logging] |
| CT004 | tf   | TF::test_ct004_management_events                            | TF::test_ct004_management_events                                  | TF::test_ct004_selectors_over_an_unknown_collection_are_unknown; GAPS::test_ct004_undecided_read_write_type_is_unknown[tf] |
| CT004 | plan | PLAN::test_ct004_management_events[write-only]              | PLAN::test_ct004_management_events[no-selectors]                  | PLAN::test_ct004_unknown_when_read_write_type_is_known_after_apply, PLAN::test_ct004_whole_selector_block_known_after_apply_is_unknown |
| CT004 | cfn  | CFN::test_per_trail_verdict[CT004-Stopped-fail]             | CFN::test_per_trail_verdict[CT004-Hardened-pass]                  | CFN::test_per_trail_verdict[CT004-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT004-Mode]; GAPS::test_ct004_undecided_read_write_type_is_unknown[cfn] |
| CT005 | tf   | TF::test_ct005_log_file_validation                          | TF::test_ct005_log_file_validation                                | TF::test_ct005_variable_without_value_is_unknown_saying_why                 |
| CT005 | plan | PLAN::test_ct005_log_file_validation[fail]                  | PLAN::test_ct005_log_file_validation[pass]                        | PLAN::test_ct005_log_file_validation[unknown]                               |
| CT005 | cfn  | CFN::test_per_trail_verdict[CT005-Defaults-fail]            | CFN::test_per_trail_verdict[CT005-Hardened-pass]                  | CFN::test_per_trail_verdict[CT005-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT005-Validation] |
| CT006 | tf   | TF::test_ct006_kms_key[absent]                              | TF::test_ct006_kms_key[declared-key]                              | TF::test_ct006_kms_key[variable-without-value], TF::test_ct006_kms_key[remote-module-output] |
| CT006 | plan | PLAN::test_ct006_kms_key[fail]                              | PLAN::test_ct006_kms_key[pass], PLAN::test_ct006_kms_key_known_after_apply_is_set (+ TFP::test_rules_on_a_plan_through_the_cli) | n/a: see note (1) |
| CT006 | cfn  | CFN::test_per_trail_verdict[CT006-Defaults-fail]            | CFN::test_per_trail_verdict[CT006-Hardened-pass]                  | CFN::test_per_trail_verdict[CT006-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT006-KeyArn] |
| CT007 | tf   | TF::test_ct007_cloudwatch_logs                              | TF::test_ct007_cloudwatch_logs                                    | TF::test_ct007_cloudwatch_logs[variable "group" {}...-unknown]              |
| CT007 | plan | PLAN::test_ct007_cloudwatch_logs[fail]                      | PLAN::test_ct007_cloudwatch_logs[pass], PLAN::test_ct007_log_group_known_after_apply_is_set | n/a: see note (1) |
| CT007 | cfn  | CFN::test_per_trail_verdict[CT007-Defaults-fail]            | CFN::test_per_trail_verdict[CT007-Hardened-pass]                  | CFN::test_per_trail_verdict[CT007-Parametric-unknown] + CFN::test_unknown_says_which_reference_left_the_template[CT007-shared-trail-log-group] |
| CT008 | tf   | TF::test_ct008_insights                                     | TF::test_ct008_insights                                           | GAPS::test_tf_ct008_unknown (was empty)                                     |
| CT008 | plan | PLAN::test_ct008_insights[one-type], [single-region]        | PLAN::test_ct008_insights[both-on-multi-region]                   | PLAN::test_ct008_unknown_when_multi_region_is_known_after_apply, PLAN::test_ct008_unknown_when_the_insight_blocks_are_known_after_apply |
| CT008 | cfn  | CFN::test_configuration_level_fails_name_the_configuration  | CFN::test_configuration_level_result_is_on_the_first_trail_by_line[CT008] | GAPS::test_cfn_ct008_unknown (was empty)                           |
| DE001 | tf   | TF::test_de001_to_de003_classic_selectors[s3-read]          | TF::test_de001_to_de003_classic_selectors[s3-all]                 | GAPS::test_tf_de001_de002_unknown, GAPS::test_tf_de001_to_de003_unknown_when_multi_region_is_a_variable (was empty) |
| DE001 | plan | PLAN::test_de001_to_de003_decided[read-only]                | PLAN::test_de001_to_de003_decided[all-buckets-and-functions]      | PLAN::test_de001_de002_unknown_when_the_bucket_values_are_known_after_apply[DE001], PLAN::test_de001_to_de003_unknown_when_multi_region_is_known_after_apply[DE001] |
| DE001 | cfn  | CFN::test_configuration_level_fails_name_the_configuration  | CFN::test_configuration_level_result_is_on_the_first_trail_by_line[DE001] | GAPS::test_cfn_de001_de002_unknown, GAPS::test_cfn_de001_to_de003_unknown_when_multi_region_is_a_parameter (was empty) |
| DE002 | tf   | TF::test_de001_to_de003_classic_selectors[s3-write]         | TF::test_de001_to_de003_classic_selectors[s3-all]                 | GAPS::test_tf_de001_de002_unknown, GAPS::test_tf_de001_to_de003_unknown_when_multi_region_is_a_variable (was empty) |
| DE002 | plan | PLAN::test_de001_to_de003_decided[no-data-selectors]        | PLAN::test_de001_to_de003_decided[read-only]                      | PLAN::test_de001_de002_unknown_when_the_bucket_values_are_known_after_apply[DE002], PLAN::test_de001_to_de003_unknown_when_multi_region_is_known_after_apply[DE002] |
| DE002 | cfn  | CFN::test_configuration_level_fails_name_the_configuration  | CFN::test_configuration_level_result_is_on_the_first_trail_by_line[DE002] | GAPS::test_cfn_de001_de002_unknown, GAPS::test_cfn_de001_to_de003_unknown_when_multi_region_is_a_parameter (was empty) |
| DE003 | tf   | TF::test_de001_to_de003_classic_selectors[s3-all]           | TF::test_de001_to_de003_classic_selectors[lambda-all]             | GAPS::test_tf_de003_unknown, GAPS::test_tf_de001_to_de003_unknown_when_multi_region_is_a_variable (was empty) |
| DE003 | plan | PLAN::test_de001_to_de003_decided[no-data-selectors]        | PLAN::test_de001_to_de003_decided[all-buckets-and-functions]      | PLAN::test_de003_unknown_when_the_function_values_are_known_after_apply, PLAN::test_de001_to_de003_unknown_when_multi_region_is_known_after_apply[DE003] |
| DE003 | cfn  | CFN::test_configuration_level_fails_name_the_configuration  | CFN::test_configuration_level_result_is_on_the_first_trail_by_line[DE003] | GAPS::test_cfn_de003_unknown, GAPS::test_cfn_de001_to_de003_unknown_when_multi_region_is_a_parameter (was empty) |
| DE004 | tf   | TF::test_de004_endpoint_configuration_without_a_covering_trail_fails_medium | TF::test_de004_logging_trail_recording_endpoint_data_events_passes | GAPS::test_tf_de004_unknown (was empty)                         |
| DE004 | plan | PLAN::test_de004_fail_without_an_endpoint_data_selector, PLAN::test_de004_fail_at_low_with_data_capture_on | PLAN::test_de004_pass_with_a_logging_trail_recording_endpoint_data_events | PLAN::test_de004_unknown_with_an_arn_condition_before_deployment, PLAN::test_de004_unknown_when_the_arn_condition_value_is_known_after_apply, PLAN::test_de004_unknown_when_the_trail_logging_is_known_after_apply |
| DE004 | cfn  | CFN::test_de004_no_capture_and_no_trail_fails_medium        | CFN::test_de004_sagemaker_selector_without_arn_condition_passes   | CFN::test_de004_selector_with_an_arn_condition_is_unknown_before_deployment (message only checked non-empty); GAPS::test_cfn_de004_unknown |
| DE005 | tf   | TF::test_de005_classic_data_resource_values[bucket-arn]     | TF::test_de005_classic_data_resource_values[bucket-arn-slash]     | TF::test_de005_selectors_over_an_unknown_collection_are_unknown, TF::test_de005_values_from_a_variable_without_value_are_unknown |
| DE005 | plan | PLAN::test_de005_literal_values[bucket-without-slash] (+ TFP::test_rules_on_a_plan_through_the_cli) | PLAN::test_de005_literal_values[bucket-with-slash], PLAN::test_de005_trail_without_selectors_passes | PLAN::test_de005_unknown_when_the_selector_blocks_are_known_after_apply |
| DE005 | cfn  | CFN::test_de005_bucket_arn_without_slash_fails              | CFN::test_de005_valid_classic_s3_values_pass                      | GAPS::test_cfn_de005_unknown (was empty)                                    |

Note (1): CT006/CT007 ask only whether a KMS key / CloudWatch Logs group is set. A plan holds
no reference that leaves the scanned files (root variables always have values, remote modules
are expanded); a value "known after apply" comes from an expression in the plan and opscheck
reads it as set (a Reference), as it reads `kms_key_id = aws_kms_key.k.arn` in HCL and
`!GetAtt Key.Arn` in CloudFormation. Nothing these two rules read is undecided in a plan, so
the cell has no unknown test; the reading itself is pinned by the two *_known_after_apply_is_set
tests. (Terraform's plan JSON cannot say whether an unknown value may turn out null; opscheck
assumes not.)

Bugs found while filling the matrix (fixed since) are pinned by tests: here (CT004 unknown
message, CT008 InsightType reference) and in PLAN (the same two on plans, DE004 region in plans,
three DE005 cases on values known after apply).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scanner.model import Result
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import rules


def scan_tf(tmp_path: Path, text: str, *rule_ids: str) -> ScanOutcome:
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "main.tf").write_text(textwrap.dedent(text))
    outcome = scan_iac([root], rules(*rule_ids), tmp_path)
    assert outcome.fatal is None and outcome.errors == [], outcome.errors
    return outcome


def scan_cfn(tmp_path: Path, text: str, *rule_ids: str) -> ScanOutcome:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    outcome = scan_iac([path], rules(*rule_ids), tmp_path)
    assert outcome.fatal is None and outcome.errors == [], outcome.errors
    return outcome


def one(outcome: ScanOutcome, rule_id: str, resource_id: str) -> Result:
    found = [r for r in outcome.results if r.rule_id == rule_id]
    assert [r.resource.id for r in found] == [resource_id], found
    return found[0]


def tf_trail(body: str, name: str = "t") -> str:
    return (
        f'resource "aws_cloudtrail" "{name}" {{\n  name           = "{name}"\n  s3_bucket_name = "logs"\n'
        f"{textwrap.indent(textwrap.dedent(body).strip(), '  ')}\n}}\n"
    )


def cfn_trail(properties: str, name: str = "Trail", parameters: str = "") -> str:
    head = "AWSTemplateFormatVersion: '2010-09-09'\n"
    if parameters:
        head += "Parameters:\n" + textwrap.indent(textwrap.dedent(parameters).strip(), "  ") + "\n"
    return (
        head
        + f"Resources:\n  {name}:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n"
        + "      IsLogging: true\n      S3BucketName: logs\n"
        + textwrap.indent(textwrap.dedent(properties).strip(), "      ")
        + "\n"
    )


TF = "aws_cloudtrail.t"
BOTH_INSIGHTS_TF = """
insight_selector {
  insight_type = "ApiCallRateInsight"
}
insight_selector {
  insight_type = "ApiErrorRateInsight"
}
"""


def test_helpers_build_a_trail_every_rule_judges(tmp_path):
    outcome = scan_tf(
        tmp_path, tf_trail("is_multi_region_trail = true\n" + BOTH_INSIGHTS_TF), "CT002", "CT008"
    )
    assert one(outcome, "CT002", TF).status == "pass"
    assert one(outcome, "CT008", TF).status == "pass"
    cfn = scan_cfn(tmp_path, cfn_trail("IsMultiRegionTrail: true"), "CT002")
    assert one(cfn, "CT002", "Trail").status == "pass"


# -- Terraform HCL: CT008, DE001-DE004 unknown -----------------------------------------------


@pytest.mark.parametrize(
    ("prelude", "body", "said"),
    [
        (
            'variable "multi_region" {}\n',
            "is_multi_region_trail = var.multi_region\n" + BOTH_INSIGHTS_TF,
            "variable multi_region",
        ),
        (
            'variable "insight_types" {}\n',
            """
            is_multi_region_trail = true
            dynamic "insight_selector" {
              for_each = var.insight_types
              content {
                insight_type = insight_selector.value
              }
            }
            """,
            "dynamic insight_selector",
        ),
        (
            'variable "second_insight" {}\n',
            """
            is_multi_region_trail = true
            insight_selector {
              insight_type = "ApiCallRateInsight"
            }
            insight_selector {
              insight_type = var.second_insight
            }
            """,
            "variable second_insight",
        ),
    ],
    ids=["multi-region-variable", "dynamic-insights", "insight-type-variable"],
)
def test_tf_ct008_unknown(tmp_path, prelude, body, said):
    result = one(scan_tf(tmp_path, prelude + tf_trail(body), "CT008"), "CT008", TF)
    assert result.status == "unknown", result.message
    assert "Insights could not be determined" in result.message and said in result.message


S3_ALL_AND_LAMBDA_ALL_TF = """
event_selector {
  read_write_type = "All"
  data_resource {
    type   = "AWS::S3::Object"
    values = ["arn:aws:s3"]
  }
  data_resource {
    type   = "AWS::Lambda::Function"
    values = ["arn:aws:lambda"]
  }
}
"""


@pytest.mark.parametrize("rule_id", ["DE001", "DE002"])
def test_tf_de001_de002_unknown(tmp_path, rule_id):
    body = """
    is_multi_region_trail = true
    event_selector {
      read_write_type = "All"
      data_resource {
        type   = "AWS::S3::Object"
        values = var.audited_buckets
      }
    }
    """
    outcome = scan_tf(tmp_path, 'variable "audited_buckets" {}\n' + tf_trail(body), rule_id)
    result = one(outcome, rule_id, TF)
    assert result.status == "unknown", result.message
    assert "variable audited_buckets" in result.message


def test_tf_de003_unknown(tmp_path):
    body = """
    is_multi_region_trail = true
    event_selector {
      data_resource {
        type   = "AWS::Lambda::Function"
        values = [var.scoring_function_arn]
      }
    }
    """
    outcome = scan_tf(tmp_path, 'variable "scoring_function_arn" {}\n' + tf_trail(body), "DE003")
    result = one(outcome, "DE003", TF)
    assert result.status == "unknown", result.message
    assert "variable scoring_function_arn" in result.message


@pytest.mark.parametrize("rule_id", ["DE001", "DE002", "DE003"])
def test_tf_de001_to_de003_unknown_when_multi_region_is_a_variable(tmp_path, rule_id):
    body = "is_multi_region_trail = var.multi_region\n" + S3_ALL_AND_LAMBDA_ALL_TF
    result = one(scan_tf(tmp_path, 'variable "multi_region" {}\n' + tf_trail(body), rule_id), rule_id, TF)
    assert result.status == "unknown", result.message
    assert "whether this trail counts is unknown" in result.message
    assert "variable multi_region" in result.message


ENDPOINT_CONFIG_TF = """
resource "aws_sagemaker_endpoint_configuration" "ec" {
  name = "fraud"
  production_variants {
    variant_name           = "main"
    model_name             = "fraud-model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }
}
"""
SAGEMAKER_SELECTOR_TF = """
advanced_event_selector {
  name = "endpoint invocations"
  field_selector {
    field  = "eventCategory"
    equals = ["Data"]
  }
  field_selector {
    field  = "resources.type"
    equals = ["AWS::SageMaker::Endpoint"]
  }
  %s
}
"""


@pytest.mark.parametrize(
    ("prelude", "body", "said"),
    [
        (
            "",
            SAGEMAKER_SELECTOR_TF
            % 'field_selector {\n    field       = "resources.ARN"\n    starts_with = ["arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"]\n  }',
            "resources.ARN StartsWith",
        ),
        (
            'variable "trail_logging" {}\n',
            "enable_logging = var.trail_logging\n" + SAGEMAKER_SELECTOR_TF % "",
            "variable trail_logging",
        ),
    ],
    ids=["arn-condition", "logging-variable"],
)
def test_tf_de004_unknown(tmp_path, prelude, body, said):
    outcome = scan_tf(tmp_path, prelude + tf_trail(body) + ENDPOINT_CONFIG_TF, "DE004")
    result = one(outcome, "DE004", "aws_sagemaker_endpoint_configuration.ec")
    assert result.status == "unknown", result.message
    assert said in result.message


# -- CloudFormation: CT008, DE001-DE003, DE005 unknown (and DE004 with its reason) -------------


@pytest.mark.parametrize(
    ("parameters", "properties", "said"),
    [
        (
            "WideTrail: {Type: String}",
            """
            IsMultiRegionTrail: !Ref WideTrail
            InsightSelectors:
              - InsightType: ApiCallRateInsight
              - InsightType: ApiErrorRateInsight
            """,
            "parameter WideTrail has no default",
        ),
        (
            "SecondInsight: {Type: String}",
            """
            IsMultiRegionTrail: true
            InsightSelectors:
              - InsightType: ApiCallRateInsight
              - InsightType: !Ref SecondInsight
            """,
            "parameter SecondInsight has no default",
        ),
        (
            "InsightType: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /audit/insight-type}",
            """
            IsMultiRegionTrail: true
            InsightSelectors:
              - InsightType: ApiCallRateInsight
              - InsightType: !Ref InsightType
            """,
            "SSM parameter /audit/insight-type",
        ),
    ],
    ids=["multi-region-parameter", "insight-type-parameter", "insight-type-ssm"],
)
def test_cfn_ct008_unknown(tmp_path, parameters, properties, said):
    outcome = scan_cfn(tmp_path, cfn_trail(properties, parameters=parameters), "CT008")
    result = one(outcome, "CT008", "Trail")
    assert result.status == "unknown", result.message
    assert "Insights could not be determined" in result.message and said in result.message


@pytest.mark.parametrize("rule_id", ["DE001", "DE002"])
def test_cfn_de001_de002_unknown(tmp_path, rule_id):
    template = cfn_trail(
        """
        IsMultiRegionTrail: true
        EventSelectors:
          - ReadWriteType: All
            DataResources:
              - Type: AWS::S3::Object
                Values: [!Ref AuditedBuckets]
        """,
        parameters="AuditedBuckets: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /audit/buckets}",
    )
    result = one(scan_cfn(tmp_path, template, rule_id), rule_id, "Trail")
    assert result.status == "unknown", result.message
    assert "parameter AuditedBuckets takes its value from SSM parameter /audit/buckets" in result.message


def test_cfn_de003_unknown(tmp_path):
    template = cfn_trail(
        """
        IsMultiRegionTrail: true
        EventSelectors:
          - DataResources:
              - Type: AWS::Lambda::Function
                Values: !Ref ScoringFunctions
        """,
        parameters="ScoringFunctions: {Type: CommaDelimitedList}",
    )
    result = one(scan_cfn(tmp_path, template, "DE003"), "DE003", "Trail")
    assert result.status == "unknown", result.message
    assert "parameter ScoringFunctions has no default" in result.message


@pytest.mark.parametrize("rule_id", ["DE001", "DE002", "DE003"])
def test_cfn_de001_to_de003_unknown_when_multi_region_is_a_parameter(tmp_path, rule_id):
    template = cfn_trail(
        """
        IsMultiRegionTrail: !Ref WideTrail
        EventSelectors:
          - ReadWriteType: All
            DataResources:
              - Type: AWS::S3::Object
                Values: [arn:aws:s3]
              - Type: AWS::Lambda::Function
                Values: [arn:aws:lambda]
        """,
        parameters="WideTrail: {Type: String}",
    )
    result = one(scan_cfn(tmp_path, template, rule_id), rule_id, "Trail")
    assert result.status == "unknown", result.message
    assert "whether this trail counts is unknown" in result.message
    assert "parameter WideTrail has no default" in result.message


@pytest.mark.parametrize(
    ("parameters", "data_resource", "said"),
    [
        (
            "DataBucketArn: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /audit/data-bucket-arn}",
            "- Type: AWS::S3::Object\n  Values: [!Ref DataBucketArn]",
            "SSM parameter /audit/data-bucket-arn",
        ),
        (
            "DataBucketArn: {Type: String}",
            "- Type: AWS::S3::Object\n  Values: [!Ref DataBucketArn]",
            "parameter DataBucketArn has no default",
        ),
        (
            "DataType: {Type: String}",
            "- Type: !Ref DataType\n  Values: ['arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud']",
            "Type is unknown (parameter DataType has no default)",
        ),
    ],
    ids=["value-ssm", "value-parameter", "type-parameter"],
)
def test_cfn_de005_unknown(tmp_path, parameters, data_resource, said):
    properties = "EventSelectors:\n  - ReadWriteType: All\n    DataResources:\n" + textwrap.indent(
        data_resource, "      "
    )
    result = one(scan_cfn(tmp_path, cfn_trail(properties, parameters=parameters), "DE005"), "DE005", "Trail")
    assert result.status == "unknown", result.message
    assert "whether CloudTrail accepts its data selectors is unknown" in result.message
    assert said in result.message


ENDPOINT_CONFIG_CFN = """\
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: scoring
      ProductionVariants:
        - {VariantName: main, ModelName: model, InitialInstanceCount: 2, InstanceType: ml.m5.large}
"""


@pytest.mark.parametrize(
    ("parameters", "properties", "said"),
    [
        (
            "",
            """
            AdvancedEventSelectors:
              - Name: endpoint invocations
                FieldSelectors:
                  - {Field: eventCategory, Equals: [Data]}
                  - {Field: resources.type, Equals: ["AWS::SageMaker::Endpoint"]}
                  - {Field: resources.ARN, StartsWith: ["arn:aws:sagemaker:us-east-1:111122223333:endpoint/prod-"]}
            """,
            "resources.ARN StartsWith",
        ),
        (
            "TrailLogging: {Type: String}",
            """
            AdvancedEventSelectors:
              - Name: endpoint invocations
                FieldSelectors:
                  - {Field: eventCategory, Equals: [Data]}
                  - {Field: resources.type, Equals: ["AWS::SageMaker::Endpoint"]}
            """,
            "parameter TrailLogging has no default",
        ),
    ],
    ids=["arn-condition", "logging-parameter"],
)
def test_cfn_de004_unknown(tmp_path, parameters, properties, said):
    template = cfn_trail(properties, parameters=parameters)
    if parameters:
        template = template.replace("IsLogging: true", "IsLogging: !Ref TrailLogging")
    result = one(scan_cfn(tmp_path, template + ENDPOINT_CONFIG_CFN, "DE004"), "DE004", "Config")
    assert result.status == "unknown", result.message
    assert said in result.message


# -- bugs found while filling the matrix --------------------------------------


@pytest.mark.parametrize(
    ("source", "text", "subject"),
    [
        (
            "tf",
            'variable "rw" {}\n' + tf_trail("event_selector {\n  read_write_type = var.rw\n}"),
            TF,
        ),
        (
            "cfn",
            cfn_trail("EventSelectors:\n  - ReadWriteType: !Ref Rw", parameters="Rw: {Type: String}"),
            "Trail",
        ),
    ],
    ids=["tf", "cfn"],
)
def test_ct004_undecided_read_write_type_is_unknown(tmp_path, source, text, subject):
    outcome = (scan_tf if source == "tf" else scan_cfn)(tmp_path, text, "CT004")
    result = one(outcome, "CT004", subject)
    assert result.status == "unknown", result.message
    assert any("ReadWriteType is unknown" in note for note in result.evidence["notes"])


@pytest.mark.parametrize(
    ("source", "text", "subject", "said"),
    [
        (
            "tf",
            'variable "rw" {}\n' + tf_trail("event_selector {\n  read_write_type = var.rw\n}"),
            TF,
            "variable rw",
        ),
        (
            "cfn",
            cfn_trail("EventSelectors:\n  - ReadWriteType: !Ref Rw", parameters="Rw: {Type: String}"),
            "Trail",
            "parameter Rw",
        ),
    ],
    ids=["tf", "cfn"],
)
def test_ct004_unknown_message_says_which_value_is_undecided(tmp_path, source, text, subject, said):
    outcome = (scan_tf if source == "tf" else scan_cfn)(tmp_path, text, "CT004")
    result = one(outcome, "CT004", subject)
    assert result.status == "unknown"
    assert said in result.message, result.message


@pytest.mark.parametrize(
    ("source", "text", "subject"),
    [
        (
            "tf",
            'resource "aws_ssm_parameter" "insight" {\n  name  = "/audit/insight"\n  type  = "String"\n'
            '  value = "ApiCallRateInsight"\n}\n'
            + tf_trail(
                "is_multi_region_trail = true\n"
                "insight_selector {\n  insight_type = aws_ssm_parameter.insight.insecure_value\n}\n"
                'insight_selector {\n  insight_type = "ApiErrorRateInsight"\n}'
            ),
            TF,
        ),
        (
            "cfn",
            cfn_trail(
                """
                IsMultiRegionTrail: true
                InsightSelectors:
                  - InsightType: !GetAtt InsightParameter.Value
                  - InsightType: ApiErrorRateInsight
                """
            )
            + "  InsightParameter:\n    Type: AWS::SSM::Parameter\n"
            + "    Properties: {Type: String, Value: ApiCallRateInsight}\n",
            "Trail",
        ),
    ],
    ids=["tf", "cfn"],
)
def test_ct008_insight_type_set_at_deploy_time_is_unknown_not_fail(tmp_path, source, text, subject):
    outcome = (scan_tf if source == "tf" else scan_cfn)(tmp_path, text, "CT008")
    result = one(outcome, "CT008", subject)
    assert result.status == "unknown", result.message


@pytest.mark.parametrize("third", ["var.t", "var.u"])
def test_ct008_both_literal_insight_types_pass_beside_undecided_selectors(tmp_path, third):
    text = 'variable "t" {}\nvariable "u" {}\n' + tf_trail(
        "is_multi_region_trail = true\n"
        'insight_selector {\n  insight_type = "ApiCallRateInsight"\n}\n'
        "insight_selector {\n  insight_type = var.t\n}\n"
        f"insight_selector {{\n  insight_type = {third}\n}}\n"
        'insight_selector {\n  insight_type = "ApiErrorRateInsight"\n}'
    )
    result = one(scan_tf(tmp_path, text, "CT008"), "CT008", TF)
    assert result.status == "pass", result.message
