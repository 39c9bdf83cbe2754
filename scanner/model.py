"""The canonical data model shared by sources, rules and reports.

Resources use CloudFormation's vocabulary (type names and property names) whatever
source produced them, so one rule evaluation serves live accounts and IaC alike.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

# CloudFormation type names of the resources opscheck models, defined once for sources
# and rules alike. Account-level results use AWS::Account (not a CloudFormation type).
ACCOUNT = "AWS::Account"
TRAIL = "AWS::CloudTrail::Trail"
BUCKET = "AWS::S3::Bucket"
FUNCTION = "AWS::Lambda::Function"
ENDPOINT = "AWS::SageMaker::Endpoint"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"

# EventBridge delivery (EB rules). A resource policy is always its own resource, whatever
# the source: live collectors emit the policy a service returns as the CloudFormation
# policy type, so rules read one shape for live and IaC. Properties (CloudFormation names;
# "(opscheck)" where CloudFormation has none; live-only facts in `observed`):
#   EventBus: Name, Policy (document; live DescribeEventBus), KmsKeyIdentifier, DeadLetterConfig
#   EventBusPolicy (IaC): EventBusName (default "default"), StatementId, Action, Principal,
#     Condition, Statement; Terraform's whole-document bus policy -> Policy (opscheck)
#   Rule: Name, EventBusName (default "default"), State, RoleArn, Targets [{Id, Arn, RoleArn,
#     DeadLetterConfig {Arn}, RetryPolicy, SqsParameters {MessageGroupId}, ...}]; Terraform
#     event targets are merged into their rule's Targets
#   Lambda ResourcePolicy: ResourceArn (qualified ":alias" when the policy is the
#     qualifier's), PolicyDocument (live: GetPolicy)
#   Lambda Permission (IaC): FunctionName, Action, Principal, SourceArn, SourceAccount,
#     PrincipalOrgID, Qualifier (opscheck)
#   SNS Topic: TopicName, KmsMasterKeyId; TopicInlinePolicy: TopicArn, PolicyDocument (live:
#     the Policy attribute); TopicPolicy: Topics, PolicyDocument
#   SQS Queue: QueueName, KmsMasterKeyId, SqsManagedSseEnabled, FifoQueue, observed QueueUrl;
#     QueueInlinePolicy: Queue (URL), PolicyDocument (live: Policy attribute); QueuePolicy: Queues
#   Logs LogGroup: LogGroupName, ResourcePolicyDocument; Logs ResourcePolicy (account-level,
#     per region): PolicyName, PolicyDocument
#   KMS Key: KeyPolicy, observed KeyManager (AWS | CUSTOMER), Aliases; Alias: AliasName, TargetKeyId
#   IAM Role: RoleName, AssumeRolePolicyDocument, Policies [{PolicyName, PolicyDocument}],
#     ManagedPolicyArns, PermissionsBoundary; Policy: PolicyName, PolicyDocument, Roles;
#     ManagedPolicy: ManagedPolicyName, PolicyDocument, Roles (live id: the policy ARN)
#   ECS TaskDefinition (an ECS target's EcsParameters.TaskDefinitionArn): Family,
#     TaskRoleArn, ExecutionRoleArn (live id: the ARN as the target names it)
# Policy documents are stored parsed when the source gives JSON text; text that does not
# parse stays a string and the rule says why it cannot be evaluated.
EVENT_BUS = "AWS::Events::EventBus"
EVENT_BUS_POLICY = "AWS::Events::EventBusPolicy"
EVENT_RULE = "AWS::Events::Rule"
LAMBDA_PERMISSION = "AWS::Lambda::Permission"
LAMBDA_POLICY = "AWS::Lambda::ResourcePolicy"
TOPIC = "AWS::SNS::Topic"
TOPIC_POLICY = "AWS::SNS::TopicPolicy"
TOPIC_INLINE_POLICY = "AWS::SNS::TopicInlinePolicy"
QUEUE = "AWS::SQS::Queue"
QUEUE_POLICY = "AWS::SQS::QueuePolicy"
QUEUE_INLINE_POLICY = "AWS::SQS::QueueInlinePolicy"
LOG_GROUP = "AWS::Logs::LogGroup"
LOGS_POLICY = "AWS::Logs::ResourcePolicy"
KMS_KEY = "AWS::KMS::Key"
KMS_ALIAS = "AWS::KMS::Alias"
ROLE = "AWS::IAM::Role"
ROLE_POLICY = "AWS::IAM::Policy"
MANAGED_POLICY = "AWS::IAM::ManagedPolicy"
ECS_TASK_DEFINITION = "AWS::ECS::TaskDefinition"

# Availability-zone resilience (AZ rules). CloudFormation properties; "(opscheck)" where
# CloudFormation has none. Live ids are ARNs where the service has them, else the AWS id
# (subnet-..., nat-..., rtb-...). An absent property takes CloudFormation's default.
#   RDS DBInstance: DBInstanceIdentifier, Engine, DBInstanceClass, MultiAZ, AvailabilityZone,
#     DBClusterIdentifier (a cluster member), SourceDBInstanceIdentifier (a read replica);
#     observed SecondaryAvailabilityZone. Terraform aws_rds_cluster_instance maps here too.
#   RDS DBCluster: DBClusterIdentifier, Engine, EngineMode, DBClusterInstanceClass,
#     AvailabilityZones, MultiAZ (opscheck; live DescribeDBClusters' MultiAZ), observed
#     DBClusterMembers
#   AutoScalingGroup: AvailabilityZones, VPCZoneIdentifier (list of subnet ids), MinSize, MaxSize
#   EC2 Subnet: SubnetId (opscheck), VpcId, AvailabilityZone, AvailabilityZoneId, CidrBlock
#   ELBv2 LoadBalancer: Type (default application), Scheme, Subnets, SubnetMappings [{SubnetId}],
#     AvailabilityZones (opscheck; live: the zone names DescribeLoadBalancers reports)
#   ELB (classic) LoadBalancer: AvailabilityZones, Subnets
#   SageMaker EndpointConfig: ProductionVariants [{VariantName, InstanceType,
#     InitialInstanceCount, ServerlessConfig, ManagedInstanceScaling {MinInstanceCount}}];
#     Endpoint: EndpointName, EndpointConfigName, observed ProductionVariants (live
#     DescribeEndpoint: CurrentInstanceCount, DesiredInstanceCount, CurrentServerlessConfig)
#   ApplicationAutoScaling ScalableTarget: ServiceNamespace, ResourceId
#     (endpoint/NAME/variant/VARIANT), ScalableDimension, MinCapacity, MaxCapacity
#   ElastiCache ReplicationGroup: ReplicationGroupId, Engine, MultiAZEnabled,
#     AutomaticFailoverEnabled, NumCacheClusters, NumNodeGroups, ReplicasPerNodeGroup,
#     PreferredCacheClusterAZs; observed MemberClusters
#   ElastiCache CacheCluster: ClusterName, Engine, NumCacheNodes, AZMode,
#     PreferredAvailabilityZone, PreferredAvailabilityZones, ReplicationGroupId (opscheck:
#     live, a replication group's member)
#   EFS FileSystem: AvailabilityZoneName (set only for One Zone storage)
#   EC2 NatGateway: NatGatewayId (opscheck), SubnetId, VpcId, ConnectivityType (default
#     public), AvailabilityMode (default zonal), observed State
#   EC2 RouteTable: RouteTableId (opscheck), VpcId, Routes (opscheck: inline routes, live and
#     Terraform `route` blocks) [{DestinationCidrBlock, NatGatewayId, GatewayId, ...}],
#     Associations (opscheck: live) [{SubnetId, Main}]
#   EC2 Route: RouteTableId, DestinationCidrBlock, NatGatewayId, GatewayId, ...
#   EC2 SubnetRouteTableAssociation: SubnetId, RouteTableId
DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"
AUTOSCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
SUBNET = "AWS::EC2::Subnet"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
CLASSIC_LOAD_BALANCER = "AWS::ElasticLoadBalancing::LoadBalancer"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
REPLICATION_GROUP = "AWS::ElastiCache::ReplicationGroup"
CACHE_CLUSTER = "AWS::ElastiCache::CacheCluster"
FILE_SYSTEM = "AWS::EFS::FileSystem"
NAT_GATEWAY = "AWS::EC2::NatGateway"
ROUTE_TABLE = "AWS::EC2::RouteTable"
ROUTE = "AWS::EC2::Route"
ROUTE_TABLE_ASSOCIATION = "AWS::EC2::SubnetRouteTableAssociation"

# Rightsizing (RS rules). Live-only facts in `observed`; metric summaries (the live metrics
# phase) in observed["Metrics"][NAME] (scanner/lib/metrics.py).
#   EC2 Instance: InstanceType, LaunchTemplate, observed State (running, stopped, ...),
#     InstanceId (opscheck: live)
#   EC2 LaunchTemplate: LaunchTemplateData {InstanceType}
#   EC2 Volume: VolumeType (default gp2), Size (GiB), Iops, Throughput, observed State
#     (available = unattached), Attachments; VolumeId (opscheck: live)
#   InstanceType (live; opscheck's own type name): the DescribeInstanceTypes answer for a type seen in the
#     region, id `REGION/TYPE`, properties as the API gives them
INSTANCE = "AWS::EC2::Instance"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
VOLUME = "AWS::EC2::Volume"
INSTANCE_TYPE = "AWS::EC2::InstanceType"  # not a CloudFormation type: opscheck's record of one

# Monitoring (MON rules). CloudFormation properties; live-only facts in `observed`.
#   CloudWatch Alarm (metric alarms only; a composite alarm watches alarms, not metrics):
#     AlarmName, Namespace, MetricName, Dimensions [{Name, Value}], Metrics (metric math)
#     [{Id, Expression, AccountId, MetricStat {Metric {Namespace, MetricName, Dimensions}}}],
#     ActionsEnabled (default true), AlarmActions; observed StateValue
#   Logs LogGroup (see the EventBridge block too): RetentionInDays (absent: never expires),
#     LogGroupClass; observed RetentionPolicyName (live: an account-level retention policy
#     sets RetentionInDays), Listed (live: the group was in its region's DescribeLogGroups)
#   SageMaker endpoints and scalable targets: as in the availability-zone block.
ALARM = "AWS::CloudWatch::Alarm"

# Images (IMG rules). CloudFormation properties; "(opscheck)" where CloudFormation has none.
#   EC2 Instance: ImageId (live: DescribeInstances' ImageId)
#   EC2 LaunchTemplate: LaunchTemplateName, LaunchTemplateData {ImageId, InstanceType} (live:
#     the default version's data, the AMI id resolved when it names an SSM parameter);
#     observed DefaultVersionNumber, LatestVersionNumber, LatestLaunchTemplateData (live, when
#     the latest version is not the default)
#   EC2 Image (live; opscheck's own type): the DescribeImages answer for an AMI in use, id its
#     ARN (arn:PARTITION:ec2:REGION::image/AMI), properties as the API gives them (ImageId,
#     OwnerId, ImageOwnerAlias, CreationDate, DeprecationTime, ImageAllowed, State, ...)
#   EC2 AllowedImagesSettings (live; opscheck's own type): GetAllowedImagesSettings of one
#     region (State disabled | audit-mode | enabled, ImageCriteria, ManagedBy), id
#     ACCOUNT:REGION:allowed-images-settings
#   ECR Repository: RepositoryName, ImageTagMutability (default MUTABLE),
#     ImageTagMutabilityExclusionFilters [{ImageTagMutabilityExclusionFilterType,
#     ImageTagMutabilityExclusionFilterValue}], ImageScanningConfiguration {ScanOnPush};
#     observed ScanningConfiguration (live BatchGetRepositoryScanningConfiguration, the
#     effective one: {ScanOnPush, ScanFrequency, AppliedScanFilters})
#   ECR RegistryScanningConfiguration: ScanType (BASIC | ENHANCED), Rules [{ScanFrequency,
#     RepositoryFilters [{Filter, FilterType}]}]; live id ACCOUNT:REGION:registry-scanning-configuration
#   ECS TaskDefinition: ContainerDefinitions [{Name, Image, ...}] (CloudFormation's key case
#     whatever the source; live: the latest ACTIVE revision of every family, id the family's
#     ARN without revision, observed TaskDefinitionArn the revision read)
#   SageMaker Model: ModelName, PrimaryContainer {Image}, Containers [{Image}]
IMAGE = "AWS::EC2::Image"  # not a CloudFormation type: opscheck's record of an AMI in use
ALLOWED_IMAGES_SETTINGS = "AWS::EC2::AllowedImagesSettings"  # not a CloudFormation type either
REPOSITORY = "AWS::ECR::Repository"
REGISTRY_SCANNING = "AWS::ECR::RegistryScanningConfiguration"
MODEL = "AWS::SageMaker::Model"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for ordering and --fail-on thresholds."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Status(enum.StrEnum):
    FAIL = "fail"
    PASS = "pass"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Unknown:
    """A value that could not be read or resolved, with the reason.

    Stored in place of a property value (access denied, a reference leaving the
    scanned files, ...). Rules must turn it into an `unknown` result, never a pass.
    """

    reason: str
    # True when the value is known to be an error (a missing key, an index out of range),
    # which Terraform's try()/can() catch, rather than a value not known yet.
    error: bool = False

    def __bool__(self) -> bool:  # an Unknown must never be mistaken for a truthy fact
        raise TypeError(f"Unknown value used as a boolean: {self.reason}")


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


@dataclass(frozen=True)
class Reference:
    """A value computed from other declared things (IaC): known to be set, not known literally.

    `target` is the identity of the declared resource it points at, when it points at one
    (a CloudFormation logical id, a Terraform address), and `attribute` what of it is
    taken (`Arn`, `arn`, None for a plain Ref). The inventory resolves `target`. `text`
    is the expression as written, for messages and evidence. `partial`: the value is
    computed from the target but may hold more than it (a plan lists an expression's
    references, not the expression: `"${aws_s3_bucket.b.arn}/"` and the bare ARN look alike).
    """

    text: str
    target: str | None = None
    attribute: str | None = None
    partial: bool = False

    def __str__(self) -> str:
        return self.text


def show(value: Any, limit: int = 80) -> str:
    """A property value as messages quote it: a reference by its expression, not its repr."""
    if isinstance(value, Reference):
        text = value.text
    elif isinstance(value, Unknown):
        text = f"unknown ({value.reason})"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unsettled(value: Any) -> Unknown | None:
    """Why a value cannot be read literally: an Unknown, or a Reference (set at deploy
    time) where a rule needs the literal value. None for a literal."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Reference):
        if "known after apply" in value.text:  # a plan's own wording already says it
            return Unknown(value.text)
        return Unknown(f"{value.text} is known only after deployment")
    return None


@dataclass(frozen=True)
class Origin:
    """Where a resource came from: an API call (live) or a file span (IaC)."""

    source: str  # "aws" | "terraform" | "cloudformation"
    api: str | None = None  # "cloudtrail:DescribeTrails"
    path: str | None = None  # relative to the scan's working directory, with "/"
    start_line: int | None = None
    end_line: int | None = None


@dataclass(frozen=True)
class Location:
    path: str
    start_line: int
    end_line: int


@dataclass
class Resource:
    """One resource in the inventory.

    `properties` holds CloudFormation-named properties (declared state; for live
    resources, the state the API describes). `observed` holds facts that exist only
    in a live account (delivery times, metrics, counts in service).
    """

    type: str
    id: str
    name: str
    properties: dict[str, Any]
    origin: Origin
    scope: str  # the Scope.id this resource was collected in
    observed: dict[str, Any] = field(default_factory=dict)
    account_id: str | None = None
    region: str | None = None
    partition: str = "aws"
    tags: dict[str, str] = field(default_factory=dict)
    raw: Any = None
    # IaC: whether the resource is created at all (an undecidable count or Condition: Unknown).
    exists: bool | Unknown = True
    # IaC: the provider configuration it is deployed with, when the files do not say the
    # region (`region` is then None): resources with the same one land in the same region.
    provider: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.properties.get(key, default)

    def ref(self) -> ResourceRef:
        return ResourceRef(
            type=self.type,
            id=self.id,
            name=self.name,
            account_id=self.account_id,
            region=self.region,
        )

    def location(self) -> Location | None:
        o = self.origin
        if o.path is None or o.start_line is None:
            return None
        return Location(o.path, o.start_line, o.end_line or o.start_line)


@dataclass(frozen=True)
class Scope:
    """A unit the scan covered: an AWS account (live) or a configuration (IaC)."""

    kind: str  # "aws-account" | "configuration"
    id: str  # account id, or the configuration's path
    account_id: str | None = None
    partition: str = "aws"
    regions: tuple[str, ...] = ()
    collected_at: str | None = None  # ISO-8601 UTC; "now" for rules that compare ages
    # Live: the regions are every region enabled for the account (not a --region choice).
    all_regions: bool = False
    # IaC: parts of the configuration that were not scanned (a remote module, a nested
    # stack): configuration-level verdicts short of a pass become unknown.
    unscanned: tuple[str, ...] = ()

    @property
    def is_live(self) -> bool:
        return self.kind == "aws-account"

    def account_ref(self, region: str | None = None) -> ResourceRef:
        """The `AWS::Account` resource of account-level results."""
        name = self.account_id or self.id
        return ResourceRef(type=ACCOUNT, id=name, name=name, account_id=self.account_id, region=region)


@dataclass(frozen=True)
class ScanError:
    """Something that could not be scanned, said out loud (INTERFACE.md `scan.errors`)."""

    kind: str  # "parse" | "api" | "config" | "internal"
    message: str
    path: str | None = None
    line: int | None = None
    account_id: str | None = None
    region: str | None = None
    service: str | None = None
    operation: str | None = None
    code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message}
        for key in ("path", "line", "account_id", "region", "service", "operation", "code"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def sort_key(self) -> tuple[str, ...]:
        return (
            self.kind,
            self.account_id or "",
            self.region or "",
            self.service or "",
            self.operation or "",
            self.path or "",
            str(self.line or 0).zfill(9),
            self.message,
        )


@dataclass(frozen=True)
class InlineSuppression:
    """An `opscheck:ignore` written in the scanned code (Terraform comment or CloudFormation
    Metadata), for one rule on one resource."""

    rule_id: str
    resource_id: str
    path: str
    line: int
    reason: str
    expires: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class CollectionGap:
    """A resource type that could not be (fully) listed in an account/region."""

    resource_type: str
    scope: str
    error: ScanError
    region: str | None = None


@dataclass(frozen=True)
class ResourceRef:
    type: str
    id: str
    name: str
    account_id: str | None = None
    region: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "id": self.id, "name": self.name}
        if self.account_id is not None:
            out["account_id"] = self.account_id
        if self.region is not None:
            out["region"] = self.region
        return out


@dataclass(frozen=True)
class Suppression:
    source: str  # "inline" | "config" | "baseline"
    reason: str
    expires: str | None = None
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "expires": self.expires,
            "owner": self.owner,
        }


@dataclass
class Result:
    rule_id: str
    status: Status
    severity: Severity
    message: str
    resource: ResourceRef
    evidence: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    # Distinguishes several results of one rule on one resource (e.g. one per
    # EventBridge target); part of the fingerprint, not of the document.
    discriminator: str | None = None
    suppression: Suppression | None = None
    # IaC: the configuration (template, root module) the resource belongs to. Logical ids
    # and module addresses repeat across configurations; the fingerprint must not.
    configuration: str | None = None
    # The configuration's identity for the fingerprint: its path from the repository root,
    # so that fingerprints do not depend on the directory the scan was started from.
    configuration_key: str | None = None

    @property
    def fingerprint(self) -> str:
        key = self.configuration_key if self.configuration_key is not None else self.configuration
        return fingerprint(self.rule_id, self.resource, self.discriminator, key)

    def sort_key(self) -> tuple[Any, ...]:
        return (
            -self.severity.rank,
            self.rule_id,
            self.resource.id,
            self.resource.account_id or "",
            self.resource.region or "",
            self.discriminator or "",
            self.status.value,
        )


def fingerprint(
    rule_id: str, resource: ResourceRef, discriminator: str | None = None, configuration: str | None = None
) -> str:
    """Stable across runs and line moves: rule + resource identity + account/region (+ the
    IaC configuration it is declared in)."""
    parts = [
        "v1",
        rule_id,
        resource.type,
        # An IaC account-level result is named after its configuration's reported path,
        # which the configuration key already identifies in a cwd-independent way.
        "" if configuration is not None and resource.type == ACCOUNT else resource.id,
        resource.account_id or "",
        resource.region or "",
        discriminator or "",
    ]
    if configuration is not None:
        parts.append(configuration)
    # surrogatepass: a path that is not UTF-8 (os.fsdecode keeps its bytes as lone surrogates)
    # still has a fingerprint; every other string encodes as plain UTF-8, as before.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
