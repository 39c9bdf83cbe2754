"""What an EventBridge target is, from its ARN, and what delivering to it takes.

RULES.md (EventBridge): Lambda, SNS and SQS accept either an execution role or a resource
policy; CloudWatch Logs takes a logs resource policy and must have no role; every other kind
needs a role that trusts events.amazonaws.com and allows the delivery action. Where the facts
file marks an action UNVERIFIED, `verified` is False: a role missing it is `unknown`, not a
`fail`, until AWS documents it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.lib.arn import Arn, parse_arn


class RoleNeed(enum.StrEnum):
    OPTIONAL = "optional"  # a role or the target's resource policy (Lambda, SNS, SQS)
    FORBIDDEN = "forbidden"  # CloudWatch Logs: "do not specify a RoleArn"
    REQUIRED = "required"
    UNKNOWN = "unknown"  # a kind opscheck does not know: no verdict on roles


@dataclass(frozen=True)
class TargetKind:
    name: str  # "lambda", "sns", ..., "unknown"
    label: str  # for messages: "Lambda function"
    role: RoleNeed
    actions: tuple[str, ...]  # what a role must allow (EB007); all of them
    verified: bool  # the actions (and the role requirement) are documented by AWS


def _kind(
    name: str, label: str, role: RoleNeed, actions: tuple[str, ...], verified: bool = True
) -> TargetKind:
    return TargetKind(name, label, role, actions, verified)


LAMBDA = _kind("lambda", "Lambda function", RoleNeed.OPTIONAL, ("lambda:InvokeFunction",))
SNS = _kind("sns", "SNS topic", RoleNeed.OPTIONAL, ("sns:Publish",))
SQS = _kind("sqs", "SQS queue", RoleNeed.OPTIONAL, ("sqs:SendMessage",))
LOGS = _kind("logs", "CloudWatch Logs log group", RoleNeed.FORBIDDEN, ())
KINESIS = _kind("kinesis", "Kinesis data stream", RoleNeed.REQUIRED, ("kinesis:PutRecord",))
FIREHOSE = _kind(
    "firehose",
    "Firehose delivery stream",
    RoleNeed.REQUIRED,
    ("firehose:PutRecord", "firehose:PutRecordBatch"),
    False,
)
ECS = _kind("ecs", "ECS cluster (RunTask)", RoleNeed.REQUIRED, ("ecs:RunTask",))
SSM_RUN_COMMAND = _kind(
    "ssm-run-command", "Systems Manager Run Command document", RoleNeed.REQUIRED, ("ssm:SendCommand",)
)
SSM_AUTOMATION = _kind(
    "ssm-automation",
    "Systems Manager Automation",
    RoleNeed.REQUIRED,
    ("ssm:StartAutomationExecution",),
    False,
)
STATES = _kind("states", "Step Functions state machine", RoleNeed.REQUIRED, ("states:StartExecution",), False)
SAGEMAKER_PIPELINE = _kind(
    "sagemaker-pipeline",
    "SageMaker pipeline",
    RoleNeed.REQUIRED,
    ("sagemaker:StartPipelineExecution",),
    False,
)
CODEBUILD = _kind("codebuild", "CodeBuild project", RoleNeed.REQUIRED, ("codebuild:StartBuild",), False)
CODEPIPELINE = _kind(
    "codepipeline",
    "CodePipeline pipeline",
    RoleNeed.REQUIRED,
    ("codepipeline:StartPipelineExecution",),
    False,
)
BATCH = _kind("batch", "Batch job queue", RoleNeed.REQUIRED, ("batch:SubmitJob",))
EVENT_BUS = _kind("event-bus", "event bus", RoleNeed.REQUIRED, ("events:PutEvents",))
API_DESTINATION = _kind(
    "api-destination", "API destination", RoleNeed.REQUIRED, ("events:InvokeApiDestination",)
)
REDSHIFT_DATA = _kind(
    "redshift-data",
    "Redshift cluster (Data API)",
    RoleNeed.REQUIRED,
    ("redshift-data:ExecuteStatement",),
    False,
)
# API Gateway "can use resource policy or IAM role" (EventBridge user guide): no role verdict.
API_GATEWAY = _kind("api-gateway", "API Gateway stage", RoleNeed.UNKNOWN, ("execute-api:Invoke",), False)
APPSYNC = _kind("appsync", "AppSync API", RoleNeed.REQUIRED, ("appsync:GraphQL",), False)
UNKNOWN = _kind("unknown", "target", RoleNeed.UNKNOWN, (), False)

KINDS: tuple[TargetKind, ...] = (
    LAMBDA, SNS, SQS, LOGS, KINESIS, FIREHOSE, ECS, SSM_RUN_COMMAND, SSM_AUTOMATION, STATES,
    SAGEMAKER_PIPELINE, CODEBUILD, CODEPIPELINE, BATCH, EVENT_BUS, API_DESTINATION, REDSHIFT_DATA,
    API_GATEWAY, APPSYNC, UNKNOWN,
)  # fmt: skip

# (service, resource prefix) -> kind; the first match wins, so longer prefixes come first.
_BY_ARN: tuple[tuple[str, str, TargetKind], ...] = (
    ("lambda", "function:", LAMBDA),
    ("sns", "", SNS),
    ("sqs", "", SQS),
    ("logs", "log-group:", LOGS),
    ("kinesis", "stream/", KINESIS),
    ("firehose", "deliverystream/", FIREHOSE),
    ("ecs", "cluster/", ECS),
    ("ssm", "document/", SSM_RUN_COMMAND),
    ("ssm", "automation-definition/", SSM_AUTOMATION),
    ("states", "stateMachine:", STATES),
    ("sagemaker", "pipeline/", SAGEMAKER_PIPELINE),
    ("codebuild", "project/", CODEBUILD),
    ("codepipeline", "", CODEPIPELINE),
    ("batch", "job-queue/", BATCH),
    ("events", "event-bus/", EVENT_BUS),
    ("events", "api-destination/", API_DESTINATION),
    ("redshift", "cluster:", REDSHIFT_DATA),
    ("redshift-serverless", "workgroup/", REDSHIFT_DATA),
    ("execute-api", "", API_GATEWAY),
    ("appsync", "", APPSYNC),
)


@dataclass(frozen=True)
class Target:
    """One rule target, read: its kind and the parts of its ARN the resolver needs."""

    arn: str
    kind: TargetKind
    parsed: Arn | None
    # The resource whose policy or name the delivery concerns: function name, topic/queue
    # name, log group name, bus name, ...
    name: str | None = None
    # Lambda alias or version ("prod", "3"); the policy read is the qualifier's.
    qualifier: str | None = None

    @property
    def account(self) -> str | None:
        return self.parsed.account if self.parsed else None

    @property
    def region(self) -> str | None:
        return self.parsed.region if self.parsed else None


_LOG_GROUP = re.compile(r"^log-group:(?P<name>.+?)(?::\*)?$")


def classify(arn: Any) -> Target:
    """The target behind an ARN. Anything not a literal ARN (an IaC reference) or of a
    service opscheck does not know is kind `unknown`: rules then say so, never guess."""
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    if parsed is None:
        return Target(str(arn), UNKNOWN, None)
    for service, prefix, kind in _BY_ARN:
        if parsed.service == service and parsed.resource.startswith(prefix):
            return _named(arn, kind, parsed)
    return Target(arn, UNKNOWN, parsed)


def _named(arn: str, kind: TargetKind, parsed: Arn) -> Target:
    resource = parsed.resource
    if kind is LAMBDA:
        # function:NAME or function:NAME:QUALIFIER. $LATEST has no policy of its own (Lambda
        # refuses permissions on it): the unqualified function's policy governs it.
        parts = resource.split(":")
        qualifier = parts[2] if len(parts) > 2 and parts[2] not in ("", "$LATEST") else None
        return Target(arn, kind, parsed, parts[1], qualifier)
    if kind is LOGS:
        m = _LOG_GROUP.match(resource)
        return Target(arn, kind, parsed, m["name"] if m else None)
    if kind in (SNS, SQS, CODEPIPELINE, API_GATEWAY):
        return Target(arn, kind, parsed, resource)
    if kind is STATES:
        return Target(arn, kind, parsed, resource.split(":", 1)[1])
    if kind is REDSHIFT_DATA and parsed.service == "redshift":
        return Target(arn, kind, parsed, resource.split(":", 1)[1])
    if "/" in resource:
        return Target(arn, kind, parsed, resource.split("/", 1)[1].split("/", 1)[0])
    return Target(arn, kind, parsed, resource)


def role_need(target: Target, rule_account: str | None, rule_region: str | None) -> RoleNeed:
    """Whether this target, from this rule, needs a role. Any target in another account
    needs one (EventBridge cross-account delivery), and so does a bus in another region;
    a bus in the rule's own account and region is only 'recommended' to have one."""
    cross_account = bool(target.account and rule_account and target.account != rule_account)
    cross_region = bool(target.region and rule_region and target.region != rule_region)
    if target.kind is LOGS:
        return RoleNeed.FORBIDDEN
    if target.kind is EVENT_BUS:
        if cross_region:
            return RoleNeed.REQUIRED
        # Another account's bus in this region takes events without a role when its policy
        # names this account, and needs one when it grants an organization: not readable here.
        return RoleNeed.UNKNOWN if cross_account else RoleNeed.OPTIONAL
    if cross_account and target.kind.role is RoleNeed.OPTIONAL:
        return RoleNeed.REQUIRED
    return target.kind.role


def action_resources(target: Target, parameters: Mapping[str, Any] | None = None) -> list[str]:
    """The resources a role's delivery action is checked on: the target ARN, and for the
    kinds whose action acts on something else, that too when the target names it."""
    params = parameters or {}
    if target.kind is ECS:
        ecs = params.get("EcsParameters") or {}
        task = ecs.get("TaskDefinitionArn") if isinstance(ecs, Mapping) else None
        return [task] if isinstance(task, str) else [target.arn]
    if target.kind is BATCH:
        batch = params.get("BatchParameters") or {}
        definition = batch.get("JobDefinition") if isinstance(batch, Mapping) else None
        return (
            [target.arn, definition]
            if isinstance(definition, str) and definition.startswith("arn:")
            else [target.arn]
        )
    return [target.arn]
