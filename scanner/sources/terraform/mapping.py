"""Terraform resource types and attributes -> the canonical CloudFormation types and
properties, one small table per type, with the provider defaults of absent attributes
(terraform-provider-aws v6, see reference/aws-rule-facts.md).

Only the types the rules read are mapped; the others are left out of the inventory
(a reference to one stays a `Reference`, which is all a rule needs to know).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import BUCKET, ENDPOINT, ENDPOINT_CONFIG, FUNCTION, TRAIL, Reference, Unknown

_ABSENT = object()


@dataclass(frozen=True)
class F:
    """One Terraform attribute or nested block -> one CloudFormation property."""

    cfn: str
    default: Any = _ABSENT
    block: Mapping[str, F] | None = None  # a nested block, mapped element by element
    single: bool = False  # a MaxItems-1 block: a mapping, not a list
    convert: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Table:
    cfn_type: str
    fields: Mapping[str, F]
    name_attr: str | None = None  # the attribute holding the resource's own name
    computed: Mapping[str, Callable[[Mapping[str, Any], str], Any]] = field(default_factory=dict)


def _strings(value: Any) -> Any:
    """A list(string) attribute: Terraform converts numbers and bools to strings."""
    if isinstance(value, list):
        return [_string(v) for v in value]
    return value


def _string(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
    return v


def _tags(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [{"Key": k, "Value": v} for k, v in value.items()]
    return value


SELECTOR_FIELDS = {
    "field": F("Field"),
    "equals": F("Equals", convert=_strings),
    "not_equals": F("NotEquals", convert=_strings),
    "starts_with": F("StartsWith", convert=_strings),
    "not_starts_with": F("NotStartsWith", convert=_strings),
    "ends_with": F("EndsWith", convert=_strings),
    "not_ends_with": F("NotEndsWith", convert=_strings),
}

TABLES: dict[str, Table] = {
    "aws_cloudtrail": Table(
        TRAIL,
        {
            "name": F("TrailName"),
            "s3_bucket_name": F("S3BucketName"),
            "s3_key_prefix": F("S3KeyPrefix"),
            "sns_topic_name": F("SnsTopicName"),
            "is_multi_region_trail": F("IsMultiRegionTrail", default=False),
            "enable_logging": F("IsLogging", default=True),
            "enable_log_file_validation": F("EnableLogFileValidation", default=False),
            "include_global_service_events": F("IncludeGlobalServiceEvents", default=True),
            "is_organization_trail": F("IsOrganizationTrail", default=False),
            "kms_key_id": F("KMSKeyId"),
            "cloud_watch_logs_group_arn": F("CloudWatchLogsLogGroupArn"),
            "cloud_watch_logs_role_arn": F("CloudWatchLogsRoleArn"),
            "tags": F("Tags", convert=_tags),
            "event_selector": F(
                "EventSelectors",
                block={
                    "read_write_type": F("ReadWriteType", default="All"),
                    "include_management_events": F("IncludeManagementEvents", default=True),
                    "exclude_management_event_sources": F("ExcludeManagementEventSources"),
                    "data_resource": F(
                        "DataResources", block={"type": F("Type"), "values": F("Values", convert=_strings)}
                    ),
                },
            ),
            "advanced_event_selector": F(
                "AdvancedEventSelectors",
                block={"name": F("Name"), "field_selector": F("FieldSelectors", block=SELECTOR_FIELDS)},
            ),
            "insight_selector": F("InsightSelectors", block={"insight_type": F("InsightType")}),
        },
        name_attr="name",
    ),
    "aws_s3_bucket": Table(
        BUCKET,
        {"bucket": F("BucketName"), "tags": F("Tags", convert=_tags)},
        name_attr="bucket",
        computed={
            "id": lambda v, p: v.get("bucket", _ABSENT),
            "bucket": lambda v, p: v.get("bucket", _ABSENT),
            "arn": lambda v, p: (
                f"arn:{p}:s3:::{v['bucket']}" if isinstance(v.get("bucket"), str) else _ABSENT
            ),
        },
    ),
    "aws_lambda_function": Table(
        FUNCTION,
        {
            "function_name": F("FunctionName"),
            "runtime": F("Runtime"),
            "handler": F("Handler"),
            "role": F("Role"),
            "memory_size": F("MemorySize", default=128),
            "timeout": F("Timeout", default=3),
            "package_type": F("PackageType", default="Zip"),
            "architectures": F("Architectures"),
            "tags": F("Tags", convert=_tags),
        },
        name_attr="function_name",
    ),
    "aws_sagemaker_endpoint_configuration": Table(
        ENDPOINT_CONFIG,
        {
            "name": F("EndpointConfigName"),
            "production_variants": F(
                "ProductionVariants",
                block={
                    "variant_name": F("VariantName"),
                    "model_name": F("ModelName"),
                    "instance_type": F("InstanceType"),
                    "initial_instance_count": F("InitialInstanceCount"),
                    "serverless_config": F(
                        "ServerlessConfig",
                        single=True,
                        block={
                            "max_concurrency": F("MaxConcurrency"),
                            "memory_size_in_mb": F("MemorySizeInMB"),
                        },
                    ),
                },
            ),
            # The provider sends enable_capture=false when it is absent (a bool zero value),
            # unlike CloudFormation, where the API default (enabled) applies.
            "data_capture_config": F(
                "DataCaptureConfig",
                single=True,
                block={
                    "enable_capture": F("EnableCapture", default=False),
                    "initial_sampling_percentage": F("InitialSamplingPercentage"),
                    "destination_s3_uri": F("DestinationS3Uri"),
                    "kms_key_id": F("KmsKeyId"),
                },
            ),
            "tags": F("Tags", convert=_tags),
        },
        name_attr="name",
    ),
    "aws_sagemaker_endpoint": Table(
        ENDPOINT,
        {
            "name": F("EndpointName"),
            "endpoint_config_name": F("EndpointConfigName"),
            "tags": F("Tags", convert=_tags),
        },
        name_attr="name",
    ),
    "aws_kms_key": Table(
        "AWS::KMS::Key",
        {
            "description": F("Description"),
            "policy": F("KeyPolicy"),
            "enable_key_rotation": F("EnableKeyRotation", default=False),
        },
    ),
}


def map_values(fields: Mapping[str, F], values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for tf_name, spec in fields.items():
        value = values.get(tf_name, _ABSENT)
        if value is _ABSENT or value is None:
            if spec.default is not _ABSENT:
                out[spec.cfn] = spec.default
            continue
        if spec.block is not None:
            value = _map_block(spec, value)
        elif spec.convert is not None and not isinstance(value, Unknown | Reference):
            value = spec.convert(value)
        out[spec.cfn] = value
    return out


def _map_block(spec: F, value: Any) -> Any:
    if isinstance(value, Unknown | Reference):
        return value
    items = value if isinstance(value, list) else [value]
    mapped = [map_values(spec.block, item) if isinstance(item, Mapping) else item for item in items]  # type: ignore[arg-type]
    if spec.single:
        return mapped[0] if mapped else None
    return mapped


def computed_attribute(tf_type: str, values: Mapping[str, Any], attribute: str, partition: str) -> Any:
    """An attribute Terraform computes that the files already decide (a bucket's ARN from
    its literal name), or None when it is known only after apply."""
    table = TABLES.get(tf_type)
    if table is None or attribute not in table.computed:
        return None
    value = table.computed[attribute](values, partition)
    return None if value is _ABSENT else value
