"""Terraform resource types and attributes -> the canonical CloudFormation types and
properties, one small table per type, with the provider defaults of absent attributes
(terraform-provider-aws v6, see reference/aws-rule-facts.md).

Only the types the rules read are mapped; the others are left out of the inventory
(a reference to one stays a `Reference`, which is all a rule needs to know).

A few Terraform resources are not resources of their own in CloudFormation's vocabulary;
`join` puts them where CloudFormation has them, once a configuration is loaded:
- `aws_cloudwatch_event_target` -> one entry of its rule's `Targets`. The rule is found by
  reference (`rule = aws_cloudwatch_event_rule.r.name`) or by literal name on the same bus
  and deployment. A target whose rule is not declared in the configuration becomes a
  placeholder rule of its own (id: the target's address) that holds it: the target is still
  judged; every property of the rule the configuration does not say reads as Unknown.
- `aws_iam_role_policy_attachment` / `aws_iam_policy_attachment` -> the policy ARN is added
  to the declared role's `ManagedPolicyArns` (the role found by reference, name or ARN), as
  CloudFormation writes it. An attachment to a role the configuration does not declare adds
  nothing (that role is not in the inventory: whatever reads it is unknown anyway); one whose
  role cannot be decided is a scan error, never silently dropped.
- `aws_cloudwatch_log_resource_policy` with `policy_name` -> an account-level
  `AWS::Logs::ResourcePolicy`; with `resource_arn` (a log-group-scoped policy) -> the log
  group's `ResourcePolicyDocument`, as CloudFormation's `AWS::Logs::LogGroup` has it, or,
  when the log group is not declared, a placeholder log group (id: the policy's address)
  holding only its name and that document. A log-group-scoped policy is never made an
  account-level one: it grants nothing on other log groups.
- `aws_kms_key_policy` -> the declared key's `KeyPolicy` (else a placeholder key).
- `aws_main_route_table_association` -> `{"Main": True}` in the declared route table's
  `Associations` (as live DescribeRouteTables reports the VPC's main table; an
  `aws_default_route_table` is marked so too). One naming a route table the configuration
  does not declare adds nothing.
- `aws_sns_topic.policy` / `aws_sqs_queue.policy` -> an `AWS::SNS::TopicInlinePolicy` /
  `AWS::SQS::QueueInlinePolicy` of its own (id: the topic's address + "#policy"), the same
  record `aws_sns_topic_policy` / `aws_sqs_queue_policy` give.
Properties named with a leading "_" carry what `join` needs and never reach the inventory.
Policy documents (and event patterns, redrive policies) are stored parsed (`document`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.lib.images import cloudformation_containers
from scanner.model import (
    ALARM,
    AUTOSCALING_GROUP,
    BUCKET,
    CACHE_CLUSTER,
    CLASSIC_LOAD_BALANCER,
    DB_CLUSTER,
    DB_INSTANCE,
    ECS_TASK_DEFINITION,
    ENDPOINT,
    ENDPOINT_CONFIG,
    EVENT_BUS,
    EVENT_BUS_POLICY,
    EVENT_RULE,
    FILE_SYSTEM,
    FUNCTION,
    INSTANCE,
    KMS_ALIAS,
    KMS_KEY,
    LAMBDA_PERMISSION,
    LAUNCH_TEMPLATE,
    LOAD_BALANCER,
    LOG_GROUP,
    LOGS_POLICY,
    MANAGED_POLICY,
    MODEL,
    NAT_GATEWAY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    REGISTRY_SCANNING,
    REPLICATION_GROUP,
    REPOSITORY,
    ROLE,
    ROLE_POLICY,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SCALABLE_TARGET,
    SUBNET,
    TOPIC,
    TOPIC_INLINE_POLICY,
    TRAIL,
    VOLUME,
    InlineSuppression,
    Reference,
    Resource,
    ScanError,
    Unknown,
    show,
)
from scanner.sources.iac import Placeholder, name_of, parse_document

_ABSENT = object()


@dataclass(frozen=True)
class F:
    """One Terraform attribute or nested block -> one CloudFormation property."""

    cfn: str
    default: Any = _ABSENT
    block: Mapping[str, F] | None = None  # a nested block, mapped element by element
    single: bool = False  # a MaxItems-1 block: a mapping, not a list
    convert: Callable[[Any], Any] | None = None  # of a literal value; None: left out
    document: bool = False  # JSON text (or a template of it) -> a structure
    listed: bool = False  # one value -> a list of it (CloudFormation takes a list)
    # Optional+Computed in the provider: when the configuration leaves it out, the value a
    # plan shows as unknown is the provider's or the service's choice, mapped as absent.
    chosen: bool = False
    # A list of ids or zones (subnets, AZs): a plan that knows it only after apply gets one
    # Reference per resource its expression names, not one for the whole list.
    many: bool = False


@dataclass(frozen=True)
class Table:
    cfn_type: str
    fields: Mapping[str, F]
    name_attr: str | None = None  # the attribute holding the resource's own name
    computed: Mapping[str, Callable[[Mapping[str, Any], str], Any]] = field(default_factory=dict)
    # How the record joins its configuration (see `join`): None, a resource of its own.
    join: str | None = None
    # Settles a resource's properties once mapped; returns resources derived from it.
    post: Callable[[Resource], list[Resource]] | None = None


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


def _first(value: Any) -> Mapping[str, Any] | None:
    """The element of a MaxItems-1 block (a list of one mapping, in HCL and plans alike)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, Mapping) else None


def _awsvpc(value: Any) -> Any:
    """ecs_target.network_configuration -> EcsParameters.NetworkConfiguration.AwsVpcConfiguration."""
    block = _first(value)
    if block is None:
        return None
    vpc = map_values(
        {
            "subnets": F("Subnets"),
            "security_groups": F("SecurityGroups"),
            "assign_public_ip": F("AssignPublicIp"),
        },
        block,
    )
    public = vpc.get("AssignPublicIp")
    if isinstance(public, bool):
        vpc["AssignPublicIp"] = "ENABLED" if public else "DISABLED"
    return {"AwsVpcConfiguration": vpc}


def _batch(value: Any) -> Any:
    """batch_target -> BatchParameters (array_size and job_attempts are nested there)."""
    block = _first(value)
    if block is None:
        return None
    out = map_values({"job_definition": F("JobDefinition"), "job_name": F("JobName")}, block)
    if block.get("array_size") is not None:
        out["ArrayProperties"] = {"Size": block["array_size"]}
    if block.get("job_attempts") is not None:
        out["RetryStrategy"] = {"Attempts": block["job_attempts"]}
    return out


def _run_command(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        return None
    fields = {"key": F("Key"), "values": F("Values")}
    return {"RunCommandTargets": [map_values(fields, v) if isinstance(v, Mapping) else v for v in value]}


def _never_expires(value: Any) -> Any:
    """retention_in_days 0 (the provider's default) is CloudFormation's absent RetentionInDays."""
    return None if value == 0 else value


# aws_sagemaker_endpoint_configuration production_variants / shadow_production_variants.
_VARIANT_FIELDS = {
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
            "provisioned_concurrency": F("ProvisionedConcurrency"),
        },
    ),
    "managed_instance_scaling": F(
        "ManagedInstanceScaling",
        single=True,
        block={
            "min_instance_count": F("MinInstanceCount"),
            "max_instance_count": F("MaxInstanceCount"),
            "status": F("Status"),
        },
    ),
}

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
            "production_variants": F("ProductionVariants", block=_VARIANT_FIELDS),
            "shadow_production_variants": F("ShadowProductionVariants", block=_VARIANT_FIELDS),
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
}

_TARGET_FIELDS: dict[str, F] = {
    "rule": F("_Rule"),
    "event_bus_name": F("_EventBusName", default="default"),
    "target_id": F("Id", chosen=True),
    "arn": F("Arn"),
    "role_arn": F("RoleArn"),
    "input": F("Input"),
    "input_path": F("InputPath"),
    "input_transformer": F(
        "InputTransformer",
        single=True,
        block={"input_paths": F("InputPathsMap"), "input_template": F("InputTemplate")},
    ),
    "retry_policy": F(
        "RetryPolicy",
        single=True,
        block={
            "maximum_event_age_in_seconds": F("MaximumEventAgeInSeconds"),
            "maximum_retry_attempts": F("MaximumRetryAttempts"),
        },
    ),
    "dead_letter_config": F("DeadLetterConfig", single=True, block={"arn": F("Arn")}),
    "sqs_target": F("SqsParameters", single=True, block={"message_group_id": F("MessageGroupId")}),
    "kinesis_target": F(
        "KinesisParameters", single=True, block={"partition_key_path": F("PartitionKeyPath")}
    ),
    "http_target": F(
        "HttpParameters",
        single=True,
        block={
            "path_parameter_values": F("PathParameterValues"),
            "header_parameters": F("HeaderParameters"),
            "query_string_parameters": F("QueryStringParameters"),
        },
    ),
    "redshift_target": F(
        "RedshiftDataParameters",
        single=True,
        block={
            "database": F("Database"),
            "db_user": F("DbUser"),
            "secrets_manager_arn": F("SecretManagerArn"),
            "sql": F("Sql"),
            "statement_name": F("StatementName"),
            "with_event": F("WithEvent"),
        },
    ),
    "sagemaker_pipeline_target": F(
        "SageMakerPipelineParameters",
        single=True,
        block={
            "pipeline_parameter_list": F(
                "PipelineParameterList", block={"name": F("Name"), "value": F("Value")}
            )
        },
    ),
    "appsync_target": F("AppSyncParameters", single=True, block={"graphql_operation": F("GraphQLOperation")}),
    "run_command_targets": F("RunCommandParameters", convert=_run_command),
    "batch_target": F("BatchParameters", convert=_batch),
    "ecs_target": F(
        "EcsParameters",
        single=True,
        block={
            "task_definition_arn": F("TaskDefinitionArn"),
            "task_count": F("TaskCount", default=1),
            "launch_type": F("LaunchType"),
            "platform_version": F("PlatformVersion"),
            "group": F("Group"),
            "enable_ecs_managed_tags": F("EnableECSManagedTags"),
            "enable_execute_command": F("EnableExecuteCommand"),
            "propagate_tags": F("PropagateTags"),
            "network_configuration": F("NetworkConfiguration", convert=_awsvpc),
            "placement_constraint": F(
                "PlacementConstraints", block={"type": F("Type"), "expression": F("Expression")}
            ),
            "ordered_placement_strategy": F(
                "PlacementStrategies", block={"type": F("Type"), "field": F("Field")}
            ),
            "capacity_provider_strategy": F(
                "CapacityProviderStrategy",
                block={"capacity_provider": F("CapacityProvider"), "weight": F("Weight"), "base": F("Base")},
            ),
            "tags": F("TagList", convert=_tags),
        },
    ),
}


def _container_definitions(task: Resource) -> list[Resource]:
    value = task.properties.get("ContainerDefinitions")
    if value is not None:
        task.properties["ContainerDefinitions"] = cloudformation_containers(value)
    return []


def _rule_state(rule: Resource) -> list[Resource]:
    """`state` (default ENABLED), or the deprecated `is_enabled` when only it is written."""
    props = rule.properties
    enabled = props.pop("_IsEnabled", None)
    if props.get("State") in (None, ""):
        if isinstance(enabled, bool):
            props["State"] = "ENABLED" if enabled else "DISABLED"
        elif isinstance(enabled, Unknown | Reference):
            props["State"] = Unknown(f"is_enabled = {show(enabled)} is not known here")
        else:
            props["State"] = "ENABLED"
    return []


def _inline_policy(policy_type: str, owner_key: str, attribute: str) -> Callable[[Resource], list[Resource]]:
    """The owner's `policy` argument -> the inline policy record of its own type."""

    def derive(owner: Resource) -> list[Resource]:
        document = owner.properties.pop("_Policy", None)
        if document is None or document == "":
            return []
        rid = f"{owner.id}#policy"
        props = {
            owner_key: Reference(f"{owner.id}.{attribute}", target=owner.id, attribute=attribute),
            "PolicyDocument": document,
        }
        return [_derived(owner, policy_type, rid, props)]

    return derive


def _queue(queue: Resource) -> list[Resource]:
    """SSE-SQS: what the files say, else the documented default (CloudFormation: "When
    SqsManagedSseEnabled is not defined, SSE-SQS encryption is enabled by default"; the
    provider leaves the argument to the service, Optional+Computed): on unless a KMS key is
    set (the two exclude each other)."""
    props = queue.properties
    if props.get("SqsManagedSseEnabled") is None:
        key = props.get("KmsMasterKeyId")
        if key is None or key == "":
            props["SqsManagedSseEnabled"] = True
        elif isinstance(key, Unknown):
            props["SqsManagedSseEnabled"] = Unknown(f"depends on kms_master_key_id: {key.reason}")
        else:
            props["SqsManagedSseEnabled"] = False
    return _inline_policy(QUEUE_INLINE_POLICY, "Queue", "url")(queue)


def _role(role: Resource) -> list[Resource]:
    """An empty `inline_policy {}` block (the provider's way to say "none") is no policy."""
    policies = role.properties.get("Policies")
    if isinstance(policies, list):
        kept = [p for p in policies if not (isinstance(p, Mapping) and not p)]
        if kept:
            role.properties["Policies"] = kept
        else:
            del role.properties["Policies"]
    return []


TABLES.update(
    {
        "aws_cloudwatch_event_rule": Table(
            EVENT_RULE,
            {
                "name": F("Name", chosen=True),
                "event_bus_name": F("EventBusName", default="default"),
                "description": F("Description"),
                "state": F("State", chosen=True),
                "is_enabled": F("_IsEnabled", chosen=True),
                "role_arn": F("RoleArn"),
                "schedule_expression": F("ScheduleExpression"),
                "event_pattern": F("EventPattern", document=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
            post=_rule_state,
        ),
        # Not a resource of its own: one entry of its rule's Targets (see `join`).
        "aws_cloudwatch_event_target": Table(EVENT_RULE, _TARGET_FIELDS, join="event-target"),
        "aws_cloudwatch_event_bus": Table(
            EVENT_BUS,
            {
                "name": F("Name"),
                "description": F("Description"),
                "event_source_name": F("EventSourceName"),
                "kms_key_identifier": F("KmsKeyIdentifier"),
                "dead_letter_config": F("DeadLetterConfig", single=True, block={"arn": F("Arn")}),
                "log_config": F(
                    "LogConfig",
                    single=True,
                    block={"include_detail": F("IncludeDetail"), "level": F("Level")},
                ),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
        ),
        # The whole bus policy document: `Policy` (opscheck), beside the statement form below.
        "aws_cloudwatch_event_bus_policy": Table(
            EVENT_BUS_POLICY,
            {"policy": F("Policy", document=True), "event_bus_name": F("EventBusName", default="default")},
        ),
        "aws_cloudwatch_event_permission": Table(
            EVENT_BUS_POLICY,
            {
                "statement_id": F("StatementId"),
                "principal": F("Principal"),
                "action": F("Action", default="events:PutEvents"),
                "condition": F(
                    "Condition", single=True, block={"key": F("Key"), "type": F("Type"), "value": F("Value")}
                ),
                "event_bus_name": F("EventBusName", default="default"),
            },
        ),
        "aws_lambda_permission": Table(
            LAMBDA_PERMISSION,
            {
                "function_name": F("FunctionName"),
                "action": F("Action"),
                "principal": F("Principal"),
                "source_arn": F("SourceArn"),
                "source_account": F("SourceAccount"),
                "principal_org_id": F("PrincipalOrgID"),
                "qualifier": F("Qualifier"),
                "event_source_token": F("EventSourceToken"),
                "function_url_auth_type": F("FunctionUrlAuthType"),
            },
        ),
        "aws_sns_topic": Table(
            TOPIC,
            {
                "name": F("TopicName", chosen=True),
                "kms_master_key_id": F("KmsMasterKeyId"),
                "fifo_topic": F("FifoTopic", default=False),
                "policy": F("_Policy", document=True, chosen=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
            post=_inline_policy(TOPIC_INLINE_POLICY, "TopicArn", "arn"),
        ),
        "aws_sns_topic_policy": Table(
            TOPIC_INLINE_POLICY, {"arn": F("TopicArn"), "policy": F("PolicyDocument", document=True)}
        ),
        "aws_sqs_queue": Table(
            QUEUE,
            {
                "name": F("QueueName", chosen=True),
                "fifo_queue": F("FifoQueue", default=False),
                "content_based_deduplication": F("ContentBasedDeduplication", default=False),
                "kms_master_key_id": F("KmsMasterKeyId"),
                "sqs_managed_sse_enabled": F("SqsManagedSseEnabled", chosen=True),
                "redrive_policy": F("RedrivePolicy", document=True),
                "policy": F("_Policy", document=True, chosen=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
            post=_queue,
        ),
        "aws_sqs_queue_policy": Table(
            QUEUE_INLINE_POLICY, {"queue_url": F("Queue"), "policy": F("PolicyDocument", document=True)}
        ),
        "aws_cloudwatch_log_group": Table(
            LOG_GROUP,
            {
                "name": F("LogGroupName", chosen=True),
                "retention_in_days": F("RetentionInDays", convert=_never_expires),
                "kms_key_id": F("KmsKeyId"),
                "log_group_class": F("LogGroupClass"),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
        ),
        "aws_cloudwatch_log_resource_policy": Table(
            LOGS_POLICY,
            {
                "policy_name": F("PolicyName"),
                "policy_document": F("PolicyDocument", document=True),
                "resource_arn": F("_ResourceArn"),
            },
            name_attr="policy_name",
            join="log-policy",
        ),
        "aws_iam_role": Table(
            ROLE,
            {
                "name": F("RoleName", chosen=True),
                "path": F("Path"),
                "description": F("Description"),
                "assume_role_policy": F("AssumeRolePolicyDocument", document=True),
                "inline_policy": F(
                    "Policies",
                    block={"name": F("PolicyName"), "policy": F("PolicyDocument", document=True)},
                    chosen=True,
                ),
                "managed_policy_arns": F("ManagedPolicyArns", chosen=True),
                "permissions_boundary": F("PermissionsBoundary"),
                "max_session_duration": F("MaxSessionDuration"),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
            post=_role,
        ),
        "aws_iam_role_policy": Table(
            ROLE_POLICY,
            {
                "name": F("PolicyName", chosen=True),
                "role": F("Roles", listed=True),
                "policy": F("PolicyDocument", document=True),
            },
            name_attr="name",
        ),
        "aws_iam_policy": Table(
            MANAGED_POLICY,
            {
                "name": F("ManagedPolicyName", chosen=True),
                "path": F("Path"),
                "description": F("Description"),
                "policy": F("PolicyDocument", document=True),
            },
            name_attr="name",
        ),
        # Not resources of their own: the role's ManagedPolicyArns (see `join`).
        "aws_iam_role_policy_attachment": Table(
            ROLE, {"role": F("_Roles", listed=True), "policy_arn": F("_PolicyArn")}, join="attachment"
        ),
        "aws_iam_policy_attachment": Table(
            ROLE, {"roles": F("_Roles"), "policy_arn": F("_PolicyArn")}, join="attachment"
        ),
        "aws_kms_key": Table(
            KMS_KEY,
            {
                "description": F("Description"),
                "policy": F("KeyPolicy", document=True, chosen=True),
                "enable_key_rotation": F("EnableKeyRotation", default=False),
                "key_usage": F("KeyUsage"),
                "customer_master_key_spec": F("KeySpec"),
                "multi_region": F("MultiRegion"),
                "tags": F("Tags", convert=_tags),
            },
        ),
        # Not a resource of its own: the key's KeyPolicy (see `join`).
        "aws_kms_key_policy": Table(
            KMS_KEY, {"key_id": F("_KeyId"), "policy": F("KeyPolicy", document=True)}, join="key-policy"
        ),
        "aws_ecs_task_definition": Table(
            ECS_TASK_DEFINITION,
            {
                "family": F("Family"),
                "task_role_arn": F("TaskRoleArn"),
                "execution_role_arn": F("ExecutionRoleArn"),
                # JSON text (a heredoc, jsonencode(...), file(...)) of the API's camel-case
                # container definitions; parsed, then put in CloudFormation's key case.
                "container_definitions": F("ContainerDefinitions", document=True),
            },
            name_attr="family",
            post=_container_definitions,
        ),
        "aws_kms_alias": Table(
            KMS_ALIAS, {"name": F("AliasName"), "target_key_id": F("TargetKeyId")}, name_attr="name"
        ),
    }
)


# -- availability-zone resilience (AZ001-AZ008) ----------------------------------------------
# Optional+Computed attributes (`chosen=True`) that the configuration leaves out are the
# service's choice and stay absent, except where reference/aws-rule-facts.md documents the
# API default: aws_db_instance.multi_az (absent: a single-AZ instance is created, MultiAZ
# False) and aws_nat_gateway.availability_mode (absent: zonal). An absent subnet
# availability_zone is absent here too: AWS picks the zone.


def _set(value: Any) -> Any:
    """An unset string argument, which a plan writes as "" (inside route and subnet_mapping
    objects): absent."""
    return None if value == "" else value


def _scheme(value: Any) -> Any:
    """`internal` -> ELBv2 Scheme."""
    if isinstance(value, str) and value.lower() in ("true", "false"):
        value = value.lower() == "true"
    if isinstance(value, bool):
        return "internal" if value else "internet-facing"
    return value


# A route's destination and target, in aws_route_table `route` objects and aws_route alike.
_ROUTE_TARGETS = {
    "nat_gateway_id": F("NatGatewayId", convert=_set),
    "gateway_id": F("GatewayId", convert=_set),
    "transit_gateway_id": F("TransitGatewayId", convert=_set),
    "vpc_endpoint_id": F("VpcEndpointId", convert=_set),
    "network_interface_id": F("NetworkInterfaceId", convert=_set),
    "vpc_peering_connection_id": F("VpcPeeringConnectionId", convert=_set),
    "egress_only_gateway_id": F("EgressOnlyInternetGatewayId", convert=_set),
    "carrier_gateway_id": F("CarrierGatewayId", convert=_set),
    "local_gateway_id": F("LocalGatewayId", convert=_set),
    "core_network_arn": F("CoreNetworkArn", convert=_set),
}
_INLINE_ROUTE = {
    "cidr_block": F("DestinationCidrBlock", convert=_set),
    "ipv6_cidr_block": F("DestinationIpv6CidrBlock", convert=_set),
    "destination_prefix_list_id": F("DestinationPrefixListId", convert=_set),
    **_ROUTE_TARGETS,
}


_LB_FIELDS = {
    "name": F("Name", chosen=True),
    "load_balancer_type": F("Type", default="application"),
    "internal": F("Scheme", convert=_scheme, chosen=True),
    # subnets and subnet_mapping: exactly one is written, the other is computed (absent).
    "subnets": F("Subnets", chosen=True, many=True),
    "subnet_mapping": F(
        "SubnetMappings",
        chosen=True,
        block={
            "subnet_id": F("SubnetId", convert=_set),
            "allocation_id": F("AllocationId", convert=_set),
            "private_ipv4_address": F("PrivateIPv4Address", convert=_set),
            "ipv6_address": F("IPv6Address", convert=_set),
        },
    ),
    "tags": F("Tags", convert=_tags),
}


def _default_route_table(table: Resource) -> list[Resource]:
    """aws_default_route_table manages the VPC's main route table: marked `Main` in
    Associations (as live DescribeRouteTables says it), its VPC taken from
    `default_route_table_id = aws_vpc.X.default_route_table_id`."""
    props = table.properties
    props["Associations"] = [{"Main": True}]
    rtb = props.get("RouteTableId")
    if (
        "VpcId" not in props
        and isinstance(rtb, Reference)
        and rtb.target is not None
        and rtb.target.rsplit(".", 2)[-2:-1] == ["aws_vpc"]
        and rtb.attribute == "default_route_table_id"
    ):
        props["VpcId"] = Reference(f"{rtb.target}.id", target=rtb.target, attribute="id")
    return []


TABLES.update(
    {
        "aws_db_instance": Table(
            DB_INSTANCE,
            {
                "identifier": F("DBInstanceIdentifier", chosen=True),
                "engine": F("Engine", chosen=True),
                "instance_class": F("DBInstanceClass"),
                "multi_az": F("MultiAZ", default=False, chosen=True),
                "availability_zone": F("AvailabilityZone", chosen=True),
                "replicate_source_db": F("SourceDBInstanceIdentifier", convert=_set),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="identifier",
        ),
        "aws_rds_cluster": Table(
            DB_CLUSTER,
            {
                "cluster_identifier": F("DBClusterIdentifier", chosen=True),
                "engine": F("Engine"),
                "engine_mode": F("EngineMode", default="provisioned"),
                "db_cluster_instance_class": F("DBClusterInstanceClass"),
                "availability_zones": F("AvailabilityZones", chosen=True, many=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="cluster_identifier",
        ),
        # A cluster member: a DBInstance with DBClusterIdentifier, as in CloudFormation.
        "aws_rds_cluster_instance": Table(
            DB_INSTANCE,
            {
                "identifier": F("DBInstanceIdentifier", chosen=True),
                "cluster_identifier": F("DBClusterIdentifier"),
                "engine": F("Engine"),
                "instance_class": F("DBInstanceClass"),
                "availability_zone": F("AvailabilityZone", chosen=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="identifier",
        ),
        # availability_zones and vpc_zone_identifier exclude each other; the one not written
        # is computed from the other (chosen: absent).
        "aws_autoscaling_group": Table(
            AUTOSCALING_GROUP,
            {
                "name": F("AutoScalingGroupName", chosen=True),
                "availability_zones": F("AvailabilityZones", chosen=True, many=True),
                "vpc_zone_identifier": F("VPCZoneIdentifier", chosen=True, many=True),
                "min_size": F("MinSize"),
                "max_size": F("MaxSize"),
                "desired_capacity": F("DesiredCapacity", chosen=True),
            },
            name_attr="name",
        ),
        "aws_subnet": Table(
            SUBNET,
            {
                "vpc_id": F("VpcId"),
                "availability_zone": F("AvailabilityZone", chosen=True),
                "availability_zone_id": F("AvailabilityZoneId", chosen=True),
                "cidr_block": F("CidrBlock"),
                "tags": F("Tags", convert=_tags),
            },
        ),
        "aws_lb": Table(LOAD_BALANCER, _LB_FIELDS, name_attr="name"),
        "aws_alb": Table(LOAD_BALANCER, _LB_FIELDS, name_attr="name"),
        "aws_elb": Table(
            CLASSIC_LOAD_BALANCER,
            {
                "name": F("LoadBalancerName", chosen=True),
                "availability_zones": F("AvailabilityZones", chosen=True, many=True),
                "subnets": F("Subnets", chosen=True, many=True),
                "cross_zone_load_balancing": F("CrossZone", default=True),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
        ),
        "aws_appautoscaling_target": Table(
            SCALABLE_TARGET,
            {
                "service_namespace": F("ServiceNamespace"),
                "resource_id": F("ResourceId"),
                "scalable_dimension": F("ScalableDimension"),
                "min_capacity": F("MinCapacity"),
                "max_capacity": F("MaxCapacity"),
            },
        ),
        "aws_elasticache_replication_group": Table(
            REPLICATION_GROUP,
            {
                "replication_group_id": F("ReplicationGroupId"),
                "engine": F("Engine", chosen=True),
                "multi_az_enabled": F("MultiAZEnabled", default=False),
                "automatic_failover_enabled": F("AutomaticFailoverEnabled", default=False),
                "num_cache_clusters": F("NumCacheClusters", chosen=True),
                "num_node_groups": F("NumNodeGroups", chosen=True),
                "replicas_per_node_group": F("ReplicasPerNodeGroup", chosen=True),
                "preferred_cache_cluster_azs": F("PreferredCacheClusterAZs", many=True),
                "node_group_configuration": F(
                    "NodeGroupConfiguration",
                    chosen=True,
                    block={
                        "node_group_id": F("NodeGroupId", convert=_set),
                        "primary_availability_zone": F("PrimaryAvailabilityZone", convert=_set),
                        "replica_availability_zones": F("ReplicaAvailabilityZones"),
                        "replica_count": F("ReplicaCount"),
                    },
                ),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="replication_group_id",
        ),
        "aws_elasticache_cluster": Table(
            CACHE_CLUSTER,
            {
                "cluster_id": F("ClusterName"),
                "engine": F("Engine", chosen=True),
                "num_cache_nodes": F("NumCacheNodes", chosen=True),
                "az_mode": F("AZMode", chosen=True),
                "availability_zone": F("PreferredAvailabilityZone", chosen=True),
                "preferred_availability_zones": F("PreferredAvailabilityZones", many=True),
                "replication_group_id": F("ReplicationGroupId", chosen=True, convert=_set),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="cluster_id",
        ),
        # availability_zone_name is set only for One Zone storage; absent: Regional.
        "aws_efs_file_system": Table(
            FILE_SYSTEM,
            {
                "availability_zone_name": F("AvailabilityZoneName", chosen=True),
                "tags": F("FileSystemTags", convert=_tags),
            },
        ),
        "aws_nat_gateway": Table(
            NAT_GATEWAY,
            {
                "subnet_id": F("SubnetId", convert=_set),
                "vpc_id": F("VpcId", chosen=True),
                "connectivity_type": F("ConnectivityType", default="public"),
                "availability_mode": F("AvailabilityMode", default="zonal", chosen=True),
                "tags": F("Tags", convert=_tags),
            },
        ),
        # Inline routes: `route` blocks (or `route = [...]`), Routes (opscheck). Absent, the
        # table's routes are not managed here (aws_route resources may add them): absent.
        "aws_route_table": Table(
            ROUTE_TABLE,
            {
                "vpc_id": F("VpcId"),
                "route": F("Routes", block=_INLINE_ROUTE, chosen=True),
                "tags": F("Tags", convert=_tags),
            },
        ),
        # The VPC's main route table (see _default_route_table).
        "aws_default_route_table": Table(
            ROUTE_TABLE,
            {
                "default_route_table_id": F("RouteTableId"),
                "route": F("Routes", block=_INLINE_ROUTE, chosen=True),
                "tags": F("Tags", convert=_tags),
            },
            post=_default_route_table,
        ),
        # Not a resource of its own: marks its route table `Main` (see `join`).
        "aws_main_route_table_association": Table(
            ROUTE_TABLE,
            {"vpc_id": F("_VpcId"), "route_table_id": F("_RouteTableId")},
            join="main-route-table",
        ),
        "aws_route": Table(
            ROUTE,
            {
                "route_table_id": F("RouteTableId"),
                "destination_cidr_block": F("DestinationCidrBlock", convert=_set),
                "destination_ipv6_cidr_block": F("DestinationIpv6CidrBlock", convert=_set),
                "destination_prefix_list_id": F("DestinationPrefixListId", convert=_set),
                **_ROUTE_TARGETS,
            },
        ),
        # An edge association (gateway_id, no subnet) has no SubnetId.
        "aws_route_table_association": Table(
            ROUTE_TABLE_ASSOCIATION,
            {"subnet_id": F("SubnetId", convert=_set), "route_table_id": F("RouteTableId")},
        ),
    }
)


# -- rightsizing (RS005, RS008, RS009) --------------------------------------------------------
# IaC cannot see utilisation: only instance types and volume types are mapped. Optional+
# Computed attributes left out stay absent (`chosen`): aws_instance.instance_type (taken from
# the launch template), aws_ebs_volume type, size, iops and throughput. An aws_ebs_volume
# without `type` has no VolumeType here, although the API and CloudFormation create gp2:
# the rule applies that default and says so.


def _launch_template_data(template: Resource) -> list[Resource]:
    """aws_launch_template's top-level arguments -> CloudFormation's LaunchTemplateData
    (required there: present, empty when nothing of it is mapped)."""
    props = template.properties
    data: dict[str, Any] = {}
    for key in ("_InstanceType", "_ImageId"):
        if key in props:
            data[key[1:]] = props.pop(key)
    props["LaunchTemplateData"] = data
    return []


def _computed_only(value: Any) -> bool:
    """A plan's "known after apply" for an argument the configuration did not write."""
    return (
        isinstance(value, Reference) and value.target is None and value.text.endswith("(known after apply)")
    )


def _launch_template_spec(instance: Resource) -> list[Resource]:
    """aws_instance launch_template: `id` and `name` exclude each other and the provider
    computes the one not written; a plan shows it as known after apply. It is the
    provider's choice, absent as in the .tf files (the block's other key names the template)."""
    spec = instance.properties.get("LaunchTemplate")
    if isinstance(spec, dict):
        for key, other in (
            ("LaunchTemplateId", "LaunchTemplateName"),
            ("LaunchTemplateName", "LaunchTemplateId"),
        ):
            if _computed_only(spec.get(key)) and other in spec and not _computed_only(spec[other]):
                del spec[key]
    return []


TABLES.update(
    {
        "aws_instance": Table(
            INSTANCE,
            {
                "instance_type": F("InstanceType", chosen=True),
                # Optional+Computed: taken from the launch template when left out (IMG001
                # judges the template then).
                "ami": F("ImageId", chosen=True),
                # MaxItems 1: CloudFormation's LaunchTemplateSpecification. id and name
                # exclude each other (the other is computed); the plan writes "" for unset.
                "launch_template": F(
                    "LaunchTemplate",
                    single=True,
                    block={
                        "id": F("LaunchTemplateId", convert=_set),
                        "name": F("LaunchTemplateName", convert=_set),
                        "version": F("Version", convert=_set),
                    },
                ),
                "tags": F("Tags", convert=_tags),
            },
            post=_launch_template_spec,
        ),
        "aws_launch_template": Table(
            LAUNCH_TEMPLATE,
            {
                "name": F("LaunchTemplateName", chosen=True),
                "instance_type": F("_InstanceType"),
                "image_id": F("_ImageId"),
            },
            name_attr="name",
            post=_launch_template_data,
        ),
        "aws_ebs_volume": Table(
            VOLUME,
            {
                "type": F("VolumeType", chosen=True),
                "size": F("Size", chosen=True),
                "iops": F("Iops", chosen=True),
                "throughput": F("Throughput", chosen=True),
                "tags": F("Tags", convert=_tags),
            },
        ),
    }
)


# -- monitoring (MON001-MON003) ---------------------------------------------------------------
# aws_cloudwatch_metric_alarm: `dimensions` and `metric_query` exclude each other in the
# provider; dimension maps become CloudFormation's [{Name, Value}] lists, and a query's
# `metric` block (metric_name, namespace, dimensions, period, stat, unit) CloudFormation's
# MetricStat {Metric {...}, Period, Stat, Unit}. actions_enabled defaults to true.
# aws_cloudwatch_log_group is mapped with the EventBridge types above (retention_in_days 0,
# the provider's default, and absent both mean never expire: RetentionInDays absent).


def _dimensions(value: Any) -> Any:
    """A dimensions map -> CloudFormation's Dimensions list, in the order written."""
    if isinstance(value, Mapping):
        return [{"Name": name, "Value": v} for name, v in value.items()]
    return value


def _metric_stat(value: Any) -> Any:
    """metric_query.metric -> MetricStat."""
    block = _first(value)
    if block is None:
        return None
    metric = map_values(
        {
            "namespace": F("Namespace"),
            "metric_name": F("MetricName"),
            "dimensions": F("Dimensions", convert=_dimensions),
        },
        block,
    )
    stat = map_values({"period": F("Period"), "stat": F("Stat"), "unit": F("Unit")}, block)
    return {"Metric": metric, **stat}


TABLES.update(
    {
        "aws_cloudwatch_metric_alarm": Table(
            ALARM,
            {
                "alarm_name": F("AlarmName"),
                "namespace": F("Namespace"),
                "metric_name": F("MetricName"),
                "dimensions": F("Dimensions", convert=_dimensions),
                "metric_query": F(
                    "Metrics",
                    block={
                        "id": F("Id"),
                        "expression": F("Expression"),
                        "label": F("Label"),
                        "return_data": F("ReturnData"),
                        "period": F("Period"),
                        "account_id": F("AccountId"),
                        "metric": F("MetricStat", convert=_metric_stat),
                    },
                ),
                "actions_enabled": F("ActionsEnabled", default=True),
                "alarm_actions": F("AlarmActions"),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="alarm_name",
        ),
    }
)


# -- images (IMG001-IMG004) --------------------------------------------------------------------
# aws_ecr_repository.image_tag_mutability defaults to MUTABLE in the provider, as in the API;
# image_scanning_configuration.scan_on_push is required inside its block (no block: off).
# aws_ecr_registry_scanning_configuration is the region's one registry setting.

_WILDCARD_FILTER = {"filter": F("Filter"), "filter_type": F("FilterType")}
_MODEL_CONTAINER = {
    "image": F("Image"),
    "container_hostname": F("ContainerHostname"),
    "model_data_url": F("ModelDataUrl"),
    "model_package_name": F("ModelPackageName"),
    "mode": F("Mode"),
}

TABLES.update(
    {
        "aws_ecr_repository": Table(
            REPOSITORY,
            {
                "name": F("RepositoryName"),
                "image_tag_mutability": F("ImageTagMutability", default="MUTABLE"),
                "image_tag_mutability_exclusion_filter": F(
                    "ImageTagMutabilityExclusionFilters",
                    block={
                        "filter": F("ImageTagMutabilityExclusionFilterValue"),
                        "filter_type": F("ImageTagMutabilityExclusionFilterType"),
                    },
                ),
                "image_scanning_configuration": F(
                    "ImageScanningConfiguration", single=True, block={"scan_on_push": F("ScanOnPush")}
                ),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
        ),
        "aws_ecr_registry_scanning_configuration": Table(
            REGISTRY_SCANNING,
            {
                "scan_type": F("ScanType"),
                "rule": F(
                    "Rules",
                    block={
                        "scan_frequency": F("ScanFrequency"),
                        "repository_filter": F("RepositoryFilters", block=_WILDCARD_FILTER),
                    },
                ),
            },
        ),
        "aws_sagemaker_model": Table(
            MODEL,
            {
                "name": F("ModelName", chosen=True),
                "execution_role_arn": F("ExecutionRoleArn"),
                "primary_container": F("PrimaryContainer", single=True, block=_MODEL_CONTAINER),
                "container": F("Containers", block=_MODEL_CONTAINER),
                "tags": F("Tags", convert=_tags),
            },
            name_attr="name",
        ),
    }
)


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
        elif spec.document:
            value = parse_document(value)
        elif spec.convert is not None and not isinstance(value, Unknown | Reference):
            value = spec.convert(value)
        if value is None:  # an empty MaxItems-1 block, a value that means "absent"
            if spec.default is not _ABSENT:
                out[spec.cfn] = spec.default
            continue
        out[spec.cfn] = [value] if spec.listed and not isinstance(value, list) else value
    return out


def _map_block(spec: F, value: Any) -> Any:
    if isinstance(value, Unknown | Reference):
        return value
    items = value if isinstance(value, list) else [value]
    mapped = [map_values(spec.block, item) if isinstance(item, Mapping) else item for item in items]  # type: ignore[arg-type]
    if spec.single:
        return mapped[0] if mapped else None
    return mapped


def provider_chosen(table: Table, attribute: str) -> bool:
    spec = table.fields.get(attribute)
    return spec is not None and spec.chosen


def holds_many(table: Table, attribute: str) -> bool:
    """A list attribute whose elements name resources one by one (F.many)."""
    spec = table.fields.get(attribute)
    return spec is not None and spec.many


def computed_attribute(tf_type: str, values: Mapping[str, Any], attribute: str, partition: str) -> Any:
    """An attribute Terraform computes that the files already decide (a bucket's ARN from
    its literal name), or None when it is known only after apply."""
    table = TABLES.get(tf_type)
    if table is None or attribute not in table.computed:
        return None
    value = table.computed[attribute](values, partition)
    return None if value is _ABSENT else value


# -- joining records that are parts of other resources ---------------------------------------


def _derived(owner: Resource, rtype: str, rid: str, props: dict[str, Any], **raw: Any) -> Resource:
    """A resource made from another record: at its block, deployed with it."""
    base = owner.raw if isinstance(owner.raw, Mapping) else {}
    return Resource(
        type=rtype,
        id=rid,
        name=name_of(rtype, props, rid),
        properties=props,
        origin=owner.origin,
        scope=owner.scope,
        region=owner.region,
        provider=owner.provider,
        partition=owner.partition,
        exists=owner.exists,
        raw={**base, "address": owner.id, **raw},
    )


def _tf_type(resource: Resource) -> str | None:
    raw = resource.raw
    return raw.get("type") if isinstance(raw, Mapping) else None


def _where(resource: Resource) -> dict[str, Any]:
    """Where a joined record is written (and whether it is created: count/for_each), for
    results about it to point at its own block."""
    o = resource.origin
    return {
        "address": resource.id,
        "path": o.path,
        "start_line": o.start_line,
        "end_line": o.end_line,
        "exists": resource.exists,
    }


def _same_deployment(a: Resource, b: Resource) -> bool:
    return (a.region, a.provider) == (b.region, b.provider)


class _Declared:
    """The declared resources of one type, by address and by their own name (an ARN given
    for a name is reduced to the name by `name_of_arn`)."""

    def __init__(
        self, resources: list[Resource], rtype: str, name_key: str, name_of_arn: Callable[[str], str]
    ) -> None:
        chosen = [r for r in resources if r.type == rtype]
        self.by_id = {r.id: r for r in chosen}
        self.by_name: dict[str, list[Resource]] = {}
        self.name_of_arn = name_of_arn
        for r in chosen:
            name = r.properties.get(name_key)
            if isinstance(name, str):
                self.by_name.setdefault(name, []).append(r)

    def find(self, value: Any) -> list[Resource]:
        """The resources a reference, a name or an ARN designates (none when unknown)."""
        if isinstance(value, Reference):
            found = self.by_id.get(value.target) if value.target is not None else None
            return [found] if found is not None else []
        if isinstance(value, str):
            return self.by_name.get(self.name_of_arn(value) if value.startswith("arn:") else value, [])
        return []


def _bus_key(value: Any, buses: Mapping[str, Resource]) -> Any:
    """A bus name, ARN or reference -> what two of them are compared by (None: unknown)."""
    if isinstance(value, str):
        return value.rsplit(":event-bus/", 1)[-1] if value.startswith("arn:") else value
    if isinstance(value, Reference) and value.target is not None:
        bus = buses.get(value.target)
        name = bus.properties.get("Name") if bus is not None else None
        return name if isinstance(name, str) else ("reference", value.target)
    return None


def _role_name(arn: str) -> str:
    """arn:aws:iam::a:role/path/NAME -> NAME."""
    return arn.rsplit("/", 1)[-1] if ":role/" in arn else arn


def _log_group_name(arn: Any) -> Any:
    """arn:aws:logs:r:a:log-group:NAME(:*) -> NAME; anything else as it is."""
    if isinstance(arn, str) and arn.startswith("arn:") and ":log-group:" in arn:
        name = arn.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return arn


def join(
    resources: list[Resource], suppressions: list[InlineSuppression]
) -> tuple[list[Resource], list[InlineSuppression], list[ScanError]]:
    """One configuration's mapped records -> its resources in CloudFormation's shape (see the
    module docstring). Inline ignores written in a block that joined another resource apply
    to that resource; those of an owner also cover the records derived from it."""
    kept: list[Resource] = []
    joining: list[tuple[str, Resource]] = []
    derived: dict[str, list[str]] = {}
    for r in resources:
        table = TABLES.get(_tf_type(r) or "")
        if table is not None and table.join is not None:
            joining.append((table.join, r))
            continue
        kept.append(r)
        if table is not None and table.post is not None:
            extra = table.post(r)
            kept.extend(extra)
            if extra:
                derived[r.id] = [e.id for e in extra]
    errors: list[ScanError] = []
    moved: dict[str, str] = {}
    rules = _Declared(kept, EVENT_RULE, "Name", lambda arn: arn.rsplit("/", 1)[-1])
    buses = {r.id: r for r in kept if r.type == EVENT_BUS}
    roles = _Declared(kept, ROLE, "RoleName", _role_name)
    groups = _Declared(kept, LOG_GROUP, "LogGroupName", _log_group_name)
    keys = _Declared(kept, KMS_KEY, "KeyId", str)  # a key has no name: by reference only
    route_tables = _Declared(kept, ROUTE_TABLE, "RouteTableId", str)
    for kind, r in joining:
        props = r.properties
        if kind == "event-target":
            rule = _target_rule(r, rules, buses)
            if rule is None:
                rule = _placeholder_rule(r)
                kept.append(rule)
            else:
                moved[r.id] = rule.id
            rule.properties.setdefault("Targets", []).append(_target(r))
            rule.raw.setdefault("targets", []).append(_where(r))
        elif kind == "attachment":
            policy_arn = props.get("_PolicyArn")
            role_values = props.get("_Roles")
            for value in role_values if isinstance(role_values, list) else [role_values]:
                if isinstance(value, Unknown) or value is None:
                    why = value.reason if isinstance(value, Unknown) else "no role is given"
                    errors.append(
                        _error(
                            r,
                            f"the role cannot be decided ({why}); its policy is attached to no scanned role",
                        )
                    )
                    continue
                # IAM is global: a role of the configuration is the one, whatever its provider.
                found = roles.find(value)
                if not found:
                    continue  # a role declared elsewhere: not in the inventory at all
                role = found[0]
                arns = role.properties.setdefault("ManagedPolicyArns", [])
                if isinstance(arns, list) and policy_arn not in arns:
                    arns.append(policy_arn)
                moved[r.id] = role.id
        elif kind == "log-policy":
            resource_arn = props.pop("_ResourceArn", None)
            if resource_arn is None or resource_arn == "":
                kept.append(r)  # account-level
                continue
            group = next(iter(groups.find(resource_arn)), None)
            if group is not None:
                group.properties["ResourcePolicyDocument"] = props.get("PolicyDocument")
                moved[r.id] = group.id
            else:
                reason = f"log group {show(resource_arn)} is not declared in this configuration"
                known = {
                    "LogGroupName": _log_group_name(resource_arn),
                    "ResourcePolicyDocument": props.get("PolicyDocument"),
                }
                kept.append(_placeholder(r, LOG_GROUP, reason, known, known["LogGroupName"]))
        elif kind == "key-policy":
            key_id = props.pop("_KeyId", None)
            key = next(iter(keys.find(key_id if isinstance(key_id, Reference) else None)), None)
            if key is not None:
                key.properties["KeyPolicy"] = props.get("KeyPolicy")
                moved[r.id] = key.id
            else:
                reason = f"KMS key {show(key_id)} is not declared in this configuration"
                kept.append(_placeholder(r, KMS_KEY, reason, {"KeyPolicy": props.get("KeyPolicy")}, key_id))
        elif kind == "main-route-table":
            table = next(iter(route_tables.find(props.get("_RouteTableId"))), None)
            if table is None:
                continue  # a route table declared elsewhere: not in the inventory at all
            associations = table.properties.setdefault("Associations", [])
            if isinstance(associations, list) and {"Main": True} not in associations:
                associations.append({"Main": True})
            if table.properties.get("VpcId") is None and props.get("_VpcId") is not None:
                table.properties["VpcId"] = props["_VpcId"]
            moved[r.id] = table.id
    out_suppressions = []
    for s in suppressions:
        out_suppressions.append(replace(s, resource_id=moved[s.resource_id]) if s.resource_id in moved else s)
        out_suppressions.extend(replace(s, resource_id=rid) for rid in derived.get(s.resource_id, ()))
    return kept, out_suppressions, errors


def _error(r: Resource, message: str) -> ScanError:
    path = r.origin.path
    return ScanError(kind="parse", message=f"{path}: {r.id}: {message}", path=path, line=r.origin.start_line)


def _target(r: Resource) -> dict[str, Any]:
    """A target record -> its entry in the rule's Targets (CloudFormation's target shape)."""
    target = {k: v for k, v in r.properties.items() if not k.startswith("_")}
    if target.get("Id") in (None, ""):  # the provider generates one at apply
        target["Id"] = Reference(f"{r.id}.target_id (known after apply)")
    return target


def _target_rule(target: Resource, rules: _Declared, buses: Mapping[str, Resource]) -> Resource | None:
    """The declared rule a target names: by reference, or by name on the same bus and
    deployment (a rule of that name elsewhere is another rule)."""
    value = target.properties.get("_Rule")
    found = rules.find(value)
    if isinstance(value, Reference):
        return found[0] if found else None
    bus = _bus_key(target.properties.get("_EventBusName"), buses)
    if bus is None:
        return None
    return next(
        (
            rule
            for rule in found
            if _bus_key(rule.properties.get("EventBusName"), buses) == bus and _same_deployment(rule, target)
        ),
        None,
    )


def _placeholder_rule(target: Resource) -> Resource:
    name = target.properties.get("_Rule")
    bus = target.properties.get("_EventBusName")
    reason = f"event rule {show(name)} (bus {show(bus)}) is not declared in this configuration"
    return _placeholder(target, EVENT_RULE, reason, {"Name": name, "EventBusName": bus}, name)


def _placeholder(r: Resource, rtype: str, reason: str, known: Mapping[str, Any], name: Any) -> Resource:
    """A resource the record refers to but the configuration does not declare: it carries
    what the record says of it, the rest is Unknown (`Placeholder`). Its id is the record's
    address, its location the record's block."""
    resource = _derived(r, rtype, r.id, {}, placeholder=reason)
    resource.properties = Placeholder(reason, known)
    resource.name = name if isinstance(name, str) and name else r.id
    return resource
