"""Terraform resources -> canonical (CloudFormation-named) resources.

Contract: resource.type is the CloudFormation type name; Terraform resource.id is the full
address; location is the resource block's file (relative, '/') and line span; absent
attributes take the provider defaults of reference/aws-rule-facts.md:
aws_cloudtrail is_multi_region_trail false, enable_logging true, enable_log_file_validation
false, include_global_service_events true, is_organization_trail false; event_selector
read_write_type All, include_management_events true; SageMaker data_capture_config without
enable_capture is sent as false by the provider.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scanner.model import ENDPOINT, ENDPOINT_CONFIG, TRAIL, Reference, Resource, Unknown
from scanner.sources import discovery
from scanner.sources.terraform.loader import load_terraform


def resources(root: Path, text: str, cwd: Path | None = None) -> dict[str, Resource]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(textwrap.dedent(text))
    [config] = load_terraform([root], cwd or root, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


FULL_TRAIL = """\
resource "aws_kms_key" "trail" {
  description = "trail key"
}

resource "aws_cloudtrail" "full" {
  name                          = "full-trail"
  s3_bucket_name                = "trail-logs"
  s3_key_prefix                 = "prefix"
  sns_topic_name                = "trail-topic"
  is_multi_region_trail         = true
  enable_logging                = false
  enable_log_file_validation    = true
  include_global_service_events = false
  is_organization_trail         = true
  kms_key_id                    = aws_kms_key.trail.arn
  cloud_watch_logs_group_arn    = "arn:aws:logs:us-east-1:111122223333:log-group:trail:*"
  cloud_watch_logs_role_arn     = "arn:aws:iam::111122223333:role/trail-to-logs"

  event_selector {
    read_write_type                  = "WriteOnly"
    include_management_events        = false
    exclude_management_event_sources = ["kms.amazonaws.com"]

    data_resource {
      type   = "AWS::S3::Object"
      values = ["arn:aws:s3:::data/"]
    }

    data_resource {
      type   = "AWS::Lambda::Function"
      values = ["arn:aws:lambda"]
    }
  }

  event_selector {}

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }

  insight_selector {
    insight_type = "ApiErrorRateInsight"
  }

  tags = {
    Team = "security"
    Env  = "prod"
  }
}

resource "aws_cloudtrail" "bare" {
  name           = "bare"
  s3_bucket_name = "trail-logs"
}
"""


@pytest.fixture
def trails(tmp_path) -> dict[str, Resource]:
    return resources(tmp_path / "cfg", FULL_TRAIL, tmp_path)


def test_trail_type_id_and_name(trails):
    full = trails["aws_cloudtrail.full"]
    assert (full.type, full.id, full.name) == (TRAIL, "aws_cloudtrail.full", "full-trail")
    assert full.origin.source == "terraform"


def test_every_trail_attribute_is_mapped(trails):
    props = trails["aws_cloudtrail.full"].properties
    expected = {
        "TrailName": "full-trail",
        "S3BucketName": "trail-logs",
        "S3KeyPrefix": "prefix",
        "SnsTopicName": "trail-topic",
        "IsMultiRegionTrail": True,
        "IsLogging": False,
        "EnableLogFileValidation": True,
        "IncludeGlobalServiceEvents": False,
        "IsOrganizationTrail": True,
        "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:111122223333:log-group:trail:*",
        "CloudWatchLogsRoleArn": "arn:aws:iam::111122223333:role/trail-to-logs",
    }
    assert {k: props.get(k) for k in expected} == expected
    key = props["KMSKeyId"]
    assert isinstance(key, Reference) and (key.target, key.attribute) == ("aws_kms_key.trail", "arn")


def test_absent_trail_attributes_take_the_provider_defaults(trails):
    props = trails["aws_cloudtrail.bare"].properties
    assert props["IsMultiRegionTrail"] is False
    assert props["IsLogging"] is True
    assert props["EnableLogFileValidation"] is False
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["IsOrganizationTrail"] is False
    for absent in ("KMSKeyId", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn", "SnsTopicName"):
        assert props.get(absent) is None
    assert not props.get("EventSelectors")
    assert not props.get("AdvancedEventSelectors")
    assert not props.get("InsightSelectors")


def test_event_selectors_and_data_resources(trails):
    first, second = trails["aws_cloudtrail.full"].properties["EventSelectors"]
    assert first["ReadWriteType"] == "WriteOnly"
    assert first["IncludeManagementEvents"] is False
    assert first["ExcludeManagementEventSources"] == ["kms.amazonaws.com"]
    assert first["DataResources"] == [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data/"]},
        {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]},
    ]
    # An empty event_selector block takes the provider defaults.
    assert second["ReadWriteType"] == "All"
    assert second["IncludeManagementEvents"] is True
    assert not second.get("DataResources")


def test_insight_selectors(trails):
    assert trails["aws_cloudtrail.full"].properties["InsightSelectors"] == [
        {"InsightType": "ApiCallRateInsight"},
        {"InsightType": "ApiErrorRateInsight"},
    ]


def test_tags_are_resource_tags_and_a_cloudformation_tag_list(trails):
    full = trails["aws_cloudtrail.full"]
    assert full.tags == {"Team": "security", "Env": "prod"}
    assert sorted(full.properties["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "Env", "Value": "prod"},
        {"Key": "Team", "Value": "security"},
    ]
    assert trails["aws_cloudtrail.bare"].tags == {}


def test_origin_is_the_relative_path_and_line_span_of_the_block(trails):
    full = trails["aws_cloudtrail.full"]
    lines = FULL_TRAIL.splitlines()
    assert full.origin.path == "cfg/main.tf"
    assert lines[full.origin.start_line - 1].startswith('resource "aws_cloudtrail" "full"')
    assert lines[full.origin.end_line - 1] == "}"
    assert (full.origin.start_line, full.origin.end_line) == (5, 49)
    loc = full.location()
    assert loc is not None and (loc.path, loc.start_line, loc.end_line) == ("cfg/main.tf", 5, 49)
    bare = trails["aws_cloudtrail.bare"].origin
    assert (bare.start_line, bare.end_line) == (51, 54)


def test_advanced_event_selectors_and_field_selectors(tmp_path):
    found = resources(
        tmp_path,
        """
        resource "aws_cloudtrail" "adv" {
          name = "adv"

          advanced_event_selector {
            name = "Anything at all"
            field_selector {
              field  = "eventCategory"
              equals = ["Management"]
            }
          }

          advanced_event_selector {
            field_selector {
              field  = "eventCategory"
              equals = ["Data"]
            }
            field_selector {
              field  = "resources.type"
              equals = ["AWS::S3::Object"]
            }
            field_selector {
              field           = "resources.ARN"
              starts_with     = ["arn:aws:s3:::data/"]
              not_starts_with = ["arn:aws:s3:::data/tmp/"]
              ends_with       = [".csv"]
              not_ends_with   = [".log"]
              not_equals      = ["arn:aws:s3:::data/x"]
            }
          }
        }
        """,
    )
    first, second = found["aws_cloudtrail.adv"].properties["AdvancedEventSelectors"]
    assert first == {
        "Name": "Anything at all",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
    }
    assert not second.get("Name")
    fields = {f["Field"]: f for f in second["FieldSelectors"]}
    assert fields["resources.type"] == {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    assert fields["resources.ARN"] == {
        "Field": "resources.ARN",
        "StartsWith": ["arn:aws:s3:::data/"],
        "NotStartsWith": ["arn:aws:s3:::data/tmp/"],
        "EndsWith": [".csv"],
        "NotEndsWith": [".log"],
        "NotEquals": ["arn:aws:s3:::data/x"],
    }


def test_unknown_attribute_stays_unknown_not_the_default(tmp_path):
    found = resources(
        tmp_path,
        """
        variable "multi" {}
        resource "aws_cloudtrail" "t" {
          name                  = "t"
          is_multi_region_trail = var.multi
        }
        """,
    )
    value = found["aws_cloudtrail.t"].properties["IsMultiRegionTrail"]
    assert isinstance(value, Unknown) and "multi" in value.reason


def test_name_falls_back_to_the_address_when_unknown(tmp_path):
    found = resources(tmp_path, 'variable "n" {}\nresource "aws_cloudtrail" "t" {\n  name = var.n\n}\n')
    assert found["aws_cloudtrail.t"].name == "aws_cloudtrail.t"


# -- SageMaker -----------------------------------------------------------------------------------

SAGEMAKER = """
resource "aws_sagemaker_endpoint_configuration" "no_flag" {
  name = "no-flag"

  production_variants {
    variant_name           = "main"
    model_name             = "model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }

  data_capture_config {
    initial_sampling_percentage = 50
    destination_s3_uri          = "s3://capture/"
    capture_options {
      capture_mode = "Input"
    }
  }

  tags = {
    Model = "fraud"
  }
}

resource "aws_sagemaker_endpoint_configuration" "on" {
  name = "on"

  production_variants {
    variant_name = "serverless"
    model_name   = "model"
    serverless_config {
      max_concurrency   = 5
      memory_size_in_mb = 2048
    }
  }

  data_capture_config {
    enable_capture              = true
    initial_sampling_percentage = 100
    destination_s3_uri          = "s3://capture/"
    kms_key_id                  = "arn:aws:kms:us-east-1:111122223333:key/k"
    capture_options {
      capture_mode = "InputAndOutput"
    }
  }
}

resource "aws_sagemaker_endpoint_configuration" "none" {
  name = "none"
  production_variants {
    variant_name = "main"
    model_name   = "model"
  }
}

resource "aws_sagemaker_endpoint" "ep" {
  name                 = "fraud-endpoint"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.on.name
}
"""


def test_data_capture_without_enable_capture_is_disabled_in_terraform(tmp_path):
    found = resources(tmp_path, SAGEMAKER)
    config = found["aws_sagemaker_endpoint_configuration.no_flag"]
    assert (config.type, config.name) == (ENDPOINT_CONFIG, "no-flag")
    capture = config.properties["DataCaptureConfig"]
    assert isinstance(capture, dict)  # one block: a mapping, as in CloudFormation
    assert capture["EnableCapture"] is False
    assert capture["InitialSamplingPercentage"] == 50
    assert capture["DestinationS3Uri"] == "s3://capture/"
    assert config.tags == {"Model": "fraud"}


def test_data_capture_enabled_and_serverless_variant(tmp_path):
    found = resources(tmp_path, SAGEMAKER)
    props = found["aws_sagemaker_endpoint_configuration.on"].properties
    assert props["DataCaptureConfig"]["EnableCapture"] is True
    assert props["DataCaptureConfig"]["KmsKeyId"] == "arn:aws:kms:us-east-1:111122223333:key/k"
    [variant] = props["ProductionVariants"]
    assert variant["VariantName"] == "serverless"
    assert variant["ServerlessConfig"] == {"MaxConcurrency": 5, "MemorySizeInMB": 2048}


def test_production_variants_are_mapped(tmp_path):
    found = resources(tmp_path, SAGEMAKER)
    [variant] = found["aws_sagemaker_endpoint_configuration.no_flag"].properties["ProductionVariants"]
    assert variant == {
        "VariantName": "main",
        "ModelName": "model",
        "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 2,
    }


def test_no_data_capture_block_means_no_data_capture_config(tmp_path):
    found = resources(tmp_path, SAGEMAKER)
    assert found["aws_sagemaker_endpoint_configuration.none"].properties.get("DataCaptureConfig") is None


def test_endpoint_refers_to_its_configuration(tmp_path):
    found = resources(tmp_path, SAGEMAKER)
    endpoint = found["aws_sagemaker_endpoint.ep"]
    assert (endpoint.type, endpoint.name) == (ENDPOINT, "fraud-endpoint")
    config_name = endpoint.properties["EndpointConfigName"]
    assert config_name == "on" or (
        isinstance(config_name, Reference) and config_name.target == "aws_sagemaker_endpoint_configuration.on"
    )


# -- buckets and functions -----------------------------------------------------------------------


def test_bucket_and_function(tmp_path):
    found = resources(
        tmp_path,
        """
        resource "aws_s3_bucket" "data" {
          bucket = "training-data"
          tags = {
            Class = "confidential"
          }
        }

        resource "aws_lambda_function" "score" {
          function_name = "score"
          role          = "arn:aws:iam::111122223333:role/score"
          handler       = "app.handler"
          runtime       = "python3.12"
        }
        """,
    )
    bucket = found["aws_s3_bucket.data"]
    assert (bucket.type, bucket.name, bucket.properties["BucketName"]) == (
        "AWS::S3::Bucket",
        "training-data",
        "training-data",
    )
    assert bucket.tags == {"Class": "confidential"}
    function = found["aws_lambda_function.score"]
    assert (function.type, function.name) == ("AWS::Lambda::Function", "score")
    assert function.properties["FunctionName"] == "score"
    assert function.properties["Runtime"] == "python3.12"
    assert function.properties["MemorySize"] == 128  # provider default
    assert function.properties["Timeout"] == 3  # provider default
