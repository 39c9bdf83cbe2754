"""Can EventBridge deliver a rule's events to a target? The resolver the EB rules share.

It finds, for one (rule, target) pair, what the target is (its kind, from a literal ARN or
from the declared resource an IaC reference points at), the rule's ARN as policies name it
(`rule/BUS/RULE` on a custom bus; in IaC the reference to the rule's ARN, which policies
written with `aws_cloudwatch_event_rule.r.arn` / `!GetAtt Rule.Arn` name the same way), and
the resource policies that govern delivery to the target, whatever source they came from
(scanner/model.py, EventBridge block). Evaluation is the IAM policy evaluator's; what the
world does not say (a policy not read, a target outside the scanned files) is `unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.inventory import Inventory
from scanner.lib import event_targets as kinds
from scanner.lib.event_targets import Target, TargetKind, classify
from scanner.lib.iam_policy import (
    Decision,
    Outcome,
    Policy,
    PolicyError,
    Principal,
    Request,
    evaluate,
    parse_policy,
)
from scanner.lib.references import named_resource, refers_to
from scanner.model import (
    ECS_TASK_DEFINITION,
    EVENT_BUS,
    FUNCTION,
    KMS_ALIAS,
    KMS_KEY,
    LAMBDA_PERMISSION,
    LAMBDA_POLICY,
    LOG_GROUP,
    LOGS_POLICY,
    MANAGED_POLICY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    TOPIC,
    TOPIC_INLINE_POLICY,
    TOPIC_POLICY,
    Reference,
    Resource,
    Scope,
    Unknown,
    show,
)

EVENTS = "events.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"
# Keys a call from the EventBridge service principal does not carry (they describe an IAM
# principal's own account or organization); any other key a policy tests stays unknown.
ABSENT_FOR_SERVICE = frozenset({"aws:PrincipalOrgID", "aws:PrincipalAccount", "aws:PrincipalArn"})

# Declared resource types (CloudFormation names; Terraform resources mapped onto them) and
# Terraform types the loaders do not model, by the kind of target they are.
TYPE_KINDS: dict[str, TargetKind] = {
    FUNCTION: kinds.LAMBDA,
    "AWS::Lambda::Alias": kinds.LAMBDA,
    "AWS::Lambda::Version": kinds.LAMBDA,
    TOPIC: kinds.SNS,
    QUEUE: kinds.SQS,
    LOG_GROUP: kinds.LOGS,
    EVENT_BUS: kinds.EVENT_BUS,
    "AWS::Kinesis::Stream": kinds.KINESIS,
    "AWS::KinesisFirehose::DeliveryStream": kinds.FIREHOSE,
    "AWS::ECS::Cluster": kinds.ECS,
    "AWS::StepFunctions::StateMachine": kinds.STATES,
    "AWS::SageMaker::Pipeline": kinds.SAGEMAKER_PIPELINE,
    "AWS::CodeBuild::Project": kinds.CODEBUILD,
    "AWS::CodePipeline::Pipeline": kinds.CODEPIPELINE,
    "AWS::Batch::JobQueue": kinds.BATCH,
    "AWS::Events::ApiDestination": kinds.API_DESTINATION,
    "AWS::Redshift::Cluster": kinds.REDSHIFT_DATA,
    "AWS::SSM::Document": kinds.SSM_RUN_COMMAND,
}
TERRAFORM_KINDS: dict[str, TargetKind] = {
    "aws_lambda_function": kinds.LAMBDA,
    "aws_lambda_alias": kinds.LAMBDA,
    "aws_sns_topic": kinds.SNS,
    "aws_sqs_queue": kinds.SQS,
    "aws_cloudwatch_log_group": kinds.LOGS,
    "aws_cloudwatch_event_bus": kinds.EVENT_BUS,
    "aws_kinesis_stream": kinds.KINESIS,
    "aws_kinesis_firehose_delivery_stream": kinds.FIREHOSE,
    "aws_ecs_cluster": kinds.ECS,
    "aws_sfn_state_machine": kinds.STATES,
    "aws_sagemaker_pipeline": kinds.SAGEMAKER_PIPELINE,
    "aws_codebuild_project": kinds.CODEBUILD,
    "aws_codepipeline": kinds.CODEPIPELINE,
    "aws_batch_job_queue": kinds.BATCH,
    "aws_cloudwatch_event_api_destination": kinds.API_DESTINATION,
    "aws_redshift_cluster": kinds.REDSHIFT_DATA,
    "aws_ssm_document": kinds.SSM_RUN_COMMAND,
}


@dataclass(frozen=True)
class Delivery:
    """One (rule, target) pair, read."""

    rule: Resource
    target: Mapping[str, Any]
    scope: Scope
    kind: TargetKind
    arn: Any  # the target's Arn as the source gives it (literal, Reference, Unknown)
    parsed: Target  # what the literal ARN says (kind `unknown` for a reference)
    resource: Resource | None  # the target's own resource, when the inventory has it
    rule_arn: Any
    rule_account: Any
    live: bool

    @property
    def label(self) -> str:
        return f"target {show(self.target.get('Id'))} ({show(self.arn)})"

    @property
    def as_target(self) -> Target:
        """The target with the kind the resolver settled on (a reference's kind comes from
        the resource it points at, not from an ARN)."""
        return Target(self.parsed.arn, self.kind, self.parsed.parsed, self.parsed.name, self.parsed.qualifier)


def read(inventory: Inventory, scope: Scope, rule: Resource, target: Mapping[str, Any]) -> Delivery:
    arn = target.get("Arn")
    parsed = classify(arn)
    resource = _target_resource(inventory, scope, arn)
    kind = parsed.kind
    if kind is kinds.UNKNOWN and resource is not None:
        kind = TYPE_KINDS.get(resource.type, kinds.UNKNOWN)
    if kind is kinds.UNKNOWN and isinstance(arn, Reference) and arn.target:
        kind = TERRAFORM_KINDS.get(_terraform_type(arn.target), kinds.UNKNOWN)
    live = rule.origin.source == "aws"
    return Delivery(
        rule=rule,
        target=target,
        scope=scope,
        kind=kind,
        arn=arn,
        parsed=parsed,
        resource=resource,
        rule_arn=rule_arn(rule),
        rule_account=rule.account_id if live else Unknown("the account a configuration deploys to"),
        live=live,
    )


def rule_arn(rule: Resource) -> Any:
    """The rule's ARN as a policy's aws:SourceArn names it: live, the ARN itself; in IaC,
    the reference to the declared rule's ARN attribute (a placeholder rule, for a target
    whose rule is declared elsewhere, has no ARN the files decide)."""
    if rule.origin.source == "aws":
        return rule.id
    if isinstance(rule.observed.get("Arn"), str):
        return rule.observed["Arn"]  # a Terraform plan of a rule that exists: its ARN is known
    # A placeholder's properties carry why they are not declared (scanner.sources.iac).
    undeclared = getattr(rule.properties, "reason", None)
    if undeclared:
        return Unknown(f"the ARN of rule {rule.name} is not decided here: {undeclared}")
    attribute = "Arn" if rule.origin.source == "cloudformation" else "arn"
    return Reference(f"{rule.id}.{attribute}", target=rule.id, attribute=attribute)


def _terraform_type(address: str) -> str:
    """`module.m.aws_sqs_queue.q[0]`, `data.aws_sqs_queue.q` -> `aws_sqs_queue`."""
    parts = [p for p in address.split(".") if p]
    while len(parts) >= 2 and parts[0] == "module":
        parts = parts[2:]
    if parts[:1] == ["data"]:
        parts = parts[1:]
    return parts[0] if parts else ""


def _target_resource(inventory: Inventory, scope: Scope, arn: Any) -> Resource | None:
    if isinstance(arn, Reference):
        found = inventory.get(arn.target, scope) if arn.target else None
        return found
    if isinstance(arn, str):
        # Live: collected resources are keyed by ARN (a Lambda alias target by its function).
        found = inventory.get(arn, scope)
        if found is None and arn.endswith(":*"):
            found = inventory.get(arn[:-2], scope)
        return found or _planned_arns(inventory, scope).get(arn.removesuffix(":*"))
    return None


def _planned_arns(inventory: Inventory, scope: Scope) -> dict[str, Resource]:
    """Declared resources by the ARN a Terraform plan gives them (those that already exist)."""

    def index() -> dict[str, Resource]:
        return {
            r.observed["Arn"]: r
            for r in inventory
            if r.scope == scope.id and isinstance(r.observed.get("Arn"), str)
        }

    return inventory.memo(("planned-arns", scope.id), index)


# -- references ---------------------------------------------------------------------------------


def queue_fifo(d: Delivery) -> bool | None:
    """Is the SQS queue `d` delivers to a FIFO queue? Their names end in `.fifo` (SQS requires
    it); else the queue's FifoQueue. None when neither tells."""
    if isinstance(d.arn, str) and d.arn.endswith(".fifo"):
        return True
    value = d.resource.get("FifoQueue") if d.resource is not None else None
    if isinstance(value, bool):
        return value
    if d.resource is None or isinstance(value, Unknown | Reference):
        return None
    return False  # absent: CloudFormation's default, a standard queue


def fifo_problems(d: Delivery) -> list[str] | Unknown:
    """Why EventBridge cannot send to a FIFO queue target: the target must name a message
    group (SqsParameters.MessageGroupId) and the queue must deduplicate by content (EventBridge
    API reference, Target.SqsParameters). Empty for a standard queue or a FIFO queue set up
    right."""
    fifo = queue_fifo(d)
    if fifo is None:
        return Unknown("whether the queue is a FIFO queue is not known")
    if not fifo:
        return []
    problems: list[str] = []
    params = d.target.get("SqsParameters")
    group = params.get("MessageGroupId") if isinstance(params, Mapping) else None
    if isinstance(params, Unknown | Reference) or isinstance(group, Unknown):
        return Unknown(
            f"the target's message group is not known ({show(params if group is None else group)})"
        )
    if not group:
        problems.append("the target sets no SqsParameters.MessageGroupId, which a FIFO queue needs")
    dedup = d.resource.get("ContentBasedDeduplication") if d.resource is not None else None
    if d.resource is None or isinstance(dedup, Unknown | Reference):
        if problems:
            return problems
        return Unknown("whether the FIFO queue deduplicates by content is not known")
    if dedup is not True:
        problems.append("the FIFO queue does not have content-based deduplication, which EventBridge needs")
    return problems


# -- resource policies ------------------------------------------------------------------------


@dataclass
class Policies:
    """The resource policies that govern delivery to one target, parsed, with what could not
    be read said out loud."""

    policies: list[Policy] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # resource ids, for the evidence
    unknown: list[str] = field(default_factory=list)  # why some policy is not known

    def add(self, resource: Resource, document: Any, name: str) -> None:
        self.sources.append(resource.id)
        if isinstance(document, Unknown | Reference):
            self.unknown.append(f"{name} is not known ({show(document)})")
            return
        if document is None:
            return  # read, and absent
        try:
            self.policies.append(parse_policy(document, name=name))
        except PolicyError as exc:
            self.unknown.append(f"{name} cannot be evaluated: {exc}")


def resource_policies(inventory: Inventory, d: Delivery) -> Policies | Unknown:
    """Every resource policy on the target of `d` (Lambda, SNS, SQS, CloudWatch Logs), or
    Unknown when the target itself is not in the scanned world."""
    if d.live:
        return _live_policies(inventory, d)
    if d.resource is None:
        return Unknown(f"{show(d.arn)} is not declared in the scanned files")
    return _declared_policies(inventory, d)


def _live_policies(inventory: Inventory, d: Delivery) -> Policies | Unknown:
    arn = d.arn if isinstance(d.arn, str) else None
    if arn is None:
        return Unknown(f"the target ARN is not known ({show(d.arn)})")
    found = Policies()
    if d.kind is kinds.LOGS:
        group = d.resource
        if group is None:
            return Unknown(f"log group {d.parsed.name} was not read")
        found.add(
            group,
            group.get("ResourcePolicyDocument"),
            "log group policy",
        )
        for policy in inventory.of_type(LOGS_POLICY, d.scope):
            if policy.region == d.parsed.region:
                found.add(policy, policy.get("PolicyDocument"), f"logs resource policy {policy.name}")
        return found
    if d.kind is kinds.LAMBDA and arn.endswith(":$LATEST"):
        arn = arn.removesuffix(":$LATEST")  # the collector reads the function's own policy
    holder = inventory.get(f"{arn}#policy", d.scope)
    if holder is None:
        return Unknown(f"the policy of {arn} was not read (another account or region, or the read failed)")
    document = holder.get("PolicyDocument")
    if isinstance(document, Unknown):
        return Unknown(f"the policy of {arn} could not be read: {document.reason}")
    found.add(holder, document, _policy_name(d.kind))
    return found


def _policy_name(kind: TargetKind) -> str:
    return {kinds.LAMBDA: "function policy", kinds.SNS: "topic policy", kinds.SQS: "queue policy"}.get(
        kind, "resource policy"
    )


def _declared_policies(inventory: Inventory, d: Delivery) -> Policies:
    target = d.resource
    assert target is not None
    found = Policies()
    scope = d.scope
    if d.kind is kinds.LAMBDA:
        for res in inventory.of_type(LAMBDA_POLICY, scope):
            if _names(res.get("ResourceArn"), target, found):
                found.add(res, res.get("PolicyDocument"), f"resource policy {res.name}")
        wanted = _target_qualifier(d)
        for res in inventory.of_type(LAMBDA_PERMISSION, scope):
            if not _names(res.get("FunctionName"), target, found):
                continue
            # A permission governs the function or one alias/version: only the target's counts.
            granted = _permission_qualifier(res)
            if isinstance(wanted, Unknown) or isinstance(granted, Unknown):
                found.unknown.append(
                    f"whether permission {res.name} is for the qualifier the target invokes is not known"
                )
            elif granted == wanted:
                found.add(res, permission_statement(res), f"permission {res.name}")
    elif d.kind is kinds.SNS:
        for res in inventory.of_type(TOPIC_INLINE_POLICY, scope):
            if _names(res.get("TopicArn"), target, found):
                found.add(res, res.get("PolicyDocument"), f"topic policy {res.name}")
        for res in inventory.of_type(TOPIC_POLICY, scope):
            if _names_any(res.get("Topics"), target, found):
                found.add(res, res.get("PolicyDocument"), f"topic policy {res.name}")
    elif d.kind is kinds.SQS:
        for res in inventory.of_type(QUEUE_INLINE_POLICY, scope):
            if _names(res.get("Queue"), target, found):
                found.add(res, res.get("PolicyDocument"), f"queue policy {res.name}")
        for res in inventory.of_type(QUEUE_POLICY, scope):
            if _names_any(res.get("Queues"), target, found):
                found.add(res, res.get("PolicyDocument"), f"queue policy {res.name}")
    elif d.kind is kinds.LOGS:
        document = target.get("ResourcePolicyDocument")
        if document is not None:
            found.add(target, document, "log group policy")
        for res in inventory.of_type(LOGS_POLICY, scope):
            found.add(res, res.get("PolicyDocument"), f"logs resource policy {res.name}")
    return found


def _target_qualifier(d: Delivery) -> str | Unknown | None:
    """The alias or version a Lambda target invokes: from a literal ARN, or the `:NAME` a
    Terraform template appends to the function's ARN (`"${aws_lambda_function.f.arn}:prod"`)."""
    if d.parsed.qualifier:
        return d.parsed.qualifier
    if isinstance(d.arn, Reference):
        if str(d.arn.attribute).lower() == "qualified_arn":
            return Unknown("a qualified ARN names a version published at deployment")
        tail = re.search(r"\}:([^:}\s]+)$", d.arn.text)
        if tail:
            return None if tail.group(1) == "$LATEST" else tail.group(1)
    return None


def _permission_qualifier(res: Resource) -> str | Unknown | None:
    qualifier = res.get("Qualifier")
    if isinstance(qualifier, Unknown | Reference):
        return Unknown(f"the qualifier of {res.name} is not known")
    if isinstance(qualifier, str):
        return qualifier
    name = res.get("FunctionName")
    if isinstance(name, str) and name.startswith("arn:"):
        return classify(name).qualifier
    return None


def _names(value: Any, target: Resource, found: Policies) -> bool:
    said = refers_to(value, target)
    if said is None:
        found.unknown.append(f"{show(value)} may or may not name {target.name}")
    return bool(said)


def _names_any(values: Any, target: Resource, found: Policies) -> bool:
    if isinstance(values, Unknown | Reference):
        found.unknown.append(f"the resources {show(values)} may include {target.name}")
        return False
    return any(_names(v, target, found) for v in values or [])


def permission_statement(res: Resource) -> dict[str, Any]:
    """An `AWS::Lambda::Permission` as the function-policy statement Lambda writes for it
    (AddPermission: SourceArn becomes ArnLike, SourceAccount and PrincipalOrgID StringEquals)."""
    principal = res.get("Principal")
    statement: dict[str, Any] = {
        "Sid": res.name,
        "Effect": "Allow",
        "Principal": {"Service": principal}
        if isinstance(principal, str) and principal.endswith(".amazonaws.com")
        else ("*" if principal == "*" else {"AWS": principal}),
        "Action": res.get("Action") or "lambda:InvokeFunction",
    }
    conditions: dict[str, dict[str, Any]] = {}
    if res.get("SourceArn") is not None:
        conditions.setdefault("ArnLike", {})["AWS:SourceArn"] = res.get("SourceArn")
    if res.get("SourceAccount") is not None:
        conditions.setdefault("StringEquals", {})["AWS:SourceAccount"] = res.get("SourceAccount")
    if res.get("PrincipalOrgID") is not None:
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = res.get("PrincipalOrgID")
    if conditions:
        statement["Condition"] = conditions
    return {"Version": "2012-10-17", "Statement": [statement]}


# -- decisions ---------------------------------------------------------------------------------


def delivery_request(d: Delivery, action: str, principal: str = EVENTS) -> Request:
    """EventBridge (or the service it delivers through) calling `action` on the target for
    this rule."""
    resource: Any = d.arn
    if d.kind is kinds.LOGS and isinstance(d.arn, str):
        # A log group's ARN as logs policies name it: `log-group:NAME:*` (what
        # DescribeLogGroups returns); targets are written with or without the `:*`.
        resource = d.arn.removesuffix(":*") + ":*"
    elif d.kind is kinds.LAMBDA and isinstance(d.arn, str) and d.arn.endswith(":$LATEST"):
        resource = d.arn.removesuffix(":$LATEST")  # the function's own policy names it unqualified
    elif isinstance(d.arn, Reference) and d.resource is not None and d.arn.target == d.resource.id:
        pass  # the target as the files name it (`!Ref Topic`, `aws_sqs_queue.q.arn`): policies do too
    elif not d.live and d.resource is not None:
        # Policies in IaC name the target by reference; a literal ARN stays as written.
        attribute = "Arn" if d.resource.origin.source == "cloudformation" else "arn"
        resource = (
            d.arn
            if isinstance(d.arn, str)
            else Reference(f"{d.resource.id}.{attribute}", d.resource.id, attribute)
        )
    return service_request(d, action, resource, principal)


def service_request(d: Delivery, action: str, resource: Any, principal: str = EVENTS) -> Request:
    """A service principal acting for this rule: the source keys it carries, the keys it
    never carries marked absent."""
    return Request(
        action=action,
        resource=resource,
        principal=Principal(service=principal),
        context={"aws:SourceArn": d.rule_arn, "aws:SourceAccount": d.rule_account},
        absent=ABSENT_FOR_SERVICE,
    )


@dataclass(frozen=True)
class Verdict:
    """allowed: True, False, or None (cannot be decided); why: one sentence; the evidence."""

    allowed: bool | None
    why: str
    evidence: dict[str, Any]

    def __post_init__(self) -> None:
        # Rules put `why` inside their own sentence: no full stop of its own.
        object.__setattr__(self, "why", self.why.rstrip(". "))


def resource_policy_allows(
    inventory: Inventory, d: Delivery, action: str, principal: str = EVENTS
) -> Verdict:
    """Whether the target's resource policies let EventBridge do `action` for this rule."""
    found = resource_policies(inventory, d)
    if isinstance(found, Unknown):
        return Verdict(None, found.reason, {"policies": []})
    request = delivery_request(d, action, principal)
    decision = evaluate(found.policies, request) if found.policies else None
    evidence: dict[str, Any] = {
        "policies": found.sources,
        "statements": [s.sentence() for s in decision.statements] if decision else [],
        "caveats": [*(decision.caveats if decision else ()), *found.unknown],
    }
    if decision is not None and decision.outcome is Outcome.ALLOW:
        return Verdict(True, decision.reason, evidence)
    if found.unknown or (decision is not None and decision.outcome is Outcome.UNKNOWN):
        reason = decision.reason if decision and decision.outcome is Outcome.UNKNOWN else found.unknown[0]
        return Verdict(None, reason, evidence)
    if decision is None:
        return Verdict(False, f"no {_policy_name(d.kind)} exists", evidence)
    return Verdict(False, _denied(decision), evidence)


def _denied(decision: Decision) -> str:
    if decision.outcome is Outcome.EXPLICIT_DENY:
        return decision.reason
    return "no statement lets events.amazonaws.com in for this rule"


# -- KMS keys of encrypted topics and queues ---------------------------------------------------

AWS_MANAGED_ALIASES = ("alias/aws/",)


def key_allows(inventory: Inventory, d: Delivery, owner: Resource | None, actions: Iterable[str]) -> Verdict:
    """Whether the KMS key that encrypts a target topic or queue lets EventBridge use it.
    Not encrypted with KMS (or SSE-SQS): nothing to allow. An AWS managed key cannot work:
    its policy cannot name events.amazonaws.com (SNS/SQS developer guides)."""
    if owner is None:
        return Verdict(None, f"{show(d.arn)} was not read or is not declared", {})
    key_id = owner.get("KmsMasterKeyId")
    evidence: dict[str, Any] = {"KmsMasterKeyId": key_id}
    if key_id is None:
        return Verdict(True, "not encrypted with a KMS key", evidence)
    if isinstance(key_id, Unknown):
        return Verdict(None, f"its KMS key is not known ({key_id.reason})", evidence)
    if isinstance(key_id, str) and key_id.split(":")[-1].startswith(AWS_MANAGED_ALIASES):
        return Verdict(
            False,
            f"it is encrypted with the AWS managed key {key_id}, whose policy cannot allow EventBridge",
            evidence,
        )
    key = _find_key(inventory, d.scope, owner, key_id)
    if isinstance(key, Unknown):
        return Verdict(None, key.reason, evidence)
    evidence["key"] = key.id
    if key.observed.get("KeyManager") == "AWS":
        return Verdict(
            False,
            f"it is encrypted with AWS managed key {key.name}, whose policy cannot allow EventBridge",
            evidence,
        )
    document = key.get("KeyPolicy")
    if isinstance(document, Unknown | Reference):
        return Verdict(None, f"the policy of key {key.name} is not known ({show(document)})", evidence)
    if document is None:
        # No policy written: AWS applies the default key policy, which lets the account's IAM
        # policies decide and names no service principal.
        return Verdict(
            False,
            f"key {key.name} has the default key policy, which does not let events.amazonaws.com use it",
            evidence,
        )
    try:
        policy = parse_policy(document, name=f"key policy of {key.name}")
    except PolicyError as exc:
        return Verdict(None, f"the policy of key {key.name} cannot be evaluated: {exc}", evidence)
    missing: list[str] = []
    undecided: list[str] = []
    for action in actions:
        decision = evaluate(policy, service_request(d, action, key.id if d.live else "*"))
        evidence[action] = [s.sentence() for s in decision.statements]
        if decision.outcome is Outcome.UNKNOWN:
            undecided.append(f"{action}: {decision.reason}")
        elif decision.outcome is not Outcome.ALLOW:
            missing.append(action)
    if missing:
        return Verdict(
            False,
            f"the policy of key {key.name} does not let events.amazonaws.com call {' and '.join(missing)}",
            evidence,
        )
    if undecided:
        return Verdict(None, f"the policy of key {key.name} may not allow it ({undecided[0]})", evidence)
    return Verdict(True, f"the policy of key {key.name} lets EventBridge use it", evidence)


def _find_key(inventory: Inventory, scope: Scope, owner: Resource, key_id: Any) -> Resource | Unknown:
    """The key behind a KmsMasterKeyId: a key or alias reference (IaC), or a key id, key ARN,
    alias name or alias ARN (live, as the collector recorded it)."""
    if isinstance(key_id, Reference):
        found = inventory.get(key_id.target, scope) if key_id.target else None
    elif isinstance(key_id, str):
        found = None
        for candidate in _key_arns(owner, key_id):
            found = inventory.get(candidate, scope)
            if found is not None:
                break
        if found is None and owner.origin.source != "aws":
            aliases = [a for a in inventory.of_type(KMS_ALIAS, scope) if a.get("AliasName") == key_id]
            found = aliases[0] if len(aliases) == 1 else None
    else:
        found = None
    if found is not None and found.type == KMS_ALIAS:
        target = found.get("TargetKeyId")
        if not (isinstance(target, str) or (isinstance(target, Reference) and target.target)):
            return Unknown(f"the key behind alias {found.name} is not known ({show(target)})")
        found = named_resource(inventory, scope, target)
    if found is None or found.type != KMS_KEY:
        return Unknown(f"KMS key {show(key_id)} is not among the scanned resources")
    return found


def _key_arns(owner: Resource, key_id: str) -> list[str]:
    if key_id.startswith("arn:"):
        return [key_id]
    region, account = owner.region, owner.account_id
    partition = owner.partition or "aws"
    if region is None or account is None:
        return []
    kind = "" if key_id.startswith("alias/") else "key/"
    return [f"arn:{partition}:kms:{region}:{account}:{kind}{key_id}"]


# -- execution roles -----------------------------------------------------------------------------


def find_role(inventory: Inventory, scope: Scope, role_arn: Any) -> Resource | Unknown:
    """The role a target names: by reference (IaC), by ARN (live, as GetRole returned it), or
    by the name at the end of a literal ARN among declared roles."""
    if isinstance(role_arn, Reference):
        found = inventory.get(role_arn.target, scope) if role_arn.target else None
        if found is not None and found.type == ROLE:
            return found
        return Unknown(f"role {role_arn.text} is not declared in the scanned files")
    if not isinstance(role_arn, str):
        return Unknown(f"the role is not known ({show(role_arn)})")
    found = inventory.get(role_arn, scope)
    if found is not None and found.type == ROLE:
        return found
    name = role_arn.rsplit("/", 1)[-1]
    named = [r for r in inventory.of_type(ROLE, scope) if r.name == name or r.get("RoleName") == name]
    if len(named) == 1:
        return named[0]
    return Unknown(f"role {role_arn} was not read (another account, or not declared in the scanned files)")


def role_trusts_events(d: Delivery, role: Resource) -> Verdict:
    """The role's trust policy lets events.amazonaws.com assume it for this rule."""
    document = role.get("AssumeRolePolicyDocument")
    evidence: dict[str, Any] = {"role": role.id}
    if isinstance(document, Unknown | Reference):
        return Verdict(None, f"the trust policy of {role.name} is not known ({show(document)})", evidence)
    try:
        policy = parse_policy(document, name=f"trust policy of {role.name}")
    except PolicyError as exc:
        return Verdict(None, f"the trust policy of {role.name} cannot be evaluated: {exc}", evidence)
    decision = evaluate(policy, service_request(d, "sts:AssumeRole", None))
    evidence["statements"] = [s.sentence() for s in decision.statements]
    if decision.outcome is Outcome.ALLOW:
        return Verdict(True, f"{role.name} trusts events.amazonaws.com", evidence)
    if decision.outcome is Outcome.UNKNOWN:
        return Verdict(None, decision.reason, evidence)
    return Verdict(
        False, f"the trust policy of {role.name} does not let events.amazonaws.com assume it", evidence
    )


def role_policies(inventory: Inventory, scope: Scope, role: Resource) -> tuple[list[Policy], list[str]]:
    """The role's identity policies (inline, attached managed, and IaC `AWS::IAM::Policy`
    resources naming it), and what could not be read, as sentences."""
    found = Policies()
    unread = found.unknown
    inline = role.get("Policies")
    if isinstance(inline, Unknown | Reference):
        unread.append(f"the inline policies of {role.name} are not known ({show(inline)})")
    for item in inline if isinstance(inline, list) else []:
        if isinstance(item, Mapping):
            found.add(role, item.get("PolicyDocument"), f"inline policy {show(item.get('PolicyName'))}")
    managed = role.get("ManagedPolicyArns")
    if isinstance(managed, Unknown | Reference):
        unread.append(f"the managed policies of {role.name} are not known ({show(managed)})")
    for arn in managed if isinstance(managed, list) else []:
        policy = inventory.get(arn.target, scope) if isinstance(arn, Reference) and arn.target else None
        if policy is None and isinstance(arn, str):
            policy = inventory.get(arn, scope)
        if policy is None or policy.type != MANAGED_POLICY:
            unread.append(f"managed policy {show(arn)} was not read")
            continue
        found.add(policy, policy.get("PolicyDocument"), f"managed policy {policy.name}")
    for res in inventory.of_type(ROLE_POLICY, scope):
        roles = res.get("Roles")
        if isinstance(roles, list) and any(refers_to(r, role, [str(role.get("RoleName"))]) for r in roles):
            found.add(res, res.get("PolicyDocument"), f"policy {res.name}")
    boundary = role.get("PermissionsBoundary")
    if boundary is not None:
        unread.append(f"permissions boundary {show(boundary)} is not evaluated")
    return found.policies, unread


def role_allows(inventory: Inventory, d: Delivery, role: Resource, actions: Iterable[str]) -> Verdict:
    """The role's identity policies allow every delivery action on the target, and for an ECS
    target iam:PassRole of the roles its task definition names, passed to ECS tasks."""
    policies, unread = role_policies(inventory, d.scope, role)
    evidence: dict[str, Any] = {"role": role.id, "caveats": list(unread)}
    resources = kinds.action_resources(d.as_target, d.target) if isinstance(d.arn, str) else [d.arn]
    task = task_definition_arn(d)
    if d.kind is kinds.ECS and isinstance(task, Reference):
        resources = [task]  # ecs:RunTask acts on the task definition, not on the cluster
    requests = [Request(action=action, resource=resource) for action in actions for resource in resources]
    # A request whose implicit deny does not settle the verdict (the roles it would pass are not known).
    tentative: dict[int, str] = {}
    if d.kind is kinds.ECS:
        passed = passed_roles(inventory, d)
        pass_context = {"iam:PassedToService": ECS_TASKS}
        if isinstance(passed, Unknown):
            tentative[len(requests)] = passed.reason
            requests.append(Request(action="iam:PassRole", resource=passed, context=pass_context))
        else:
            requests += [Request(action="iam:PassRole", resource=r, context=pass_context) for r in passed]
    missing: list[str] = []
    undecided: list[str] = []
    for index, request in enumerate(requests):
        decision = evaluate(policies, request)
        evidence[f"{request.action} on {show(request.resource)}"] = [
            s.sentence() for s in decision.statements
        ]
        if decision.outcome is Outcome.EXPLICIT_DENY or (
            decision.outcome is Outcome.IMPLICIT_DENY and not unread and index not in tentative
        ):
            missing.append(request.action)
        elif decision.outcome is Outcome.IMPLICIT_DENY and index in tentative:
            undecided.append(f"{request.action}: {tentative[index]}")
        elif decision.outcome is not Outcome.ALLOW:
            undecided.append(
                f"{request.action}: {decision.reason}"
                if decision.outcome is Outcome.UNKNOWN
                else f"{request.action}: {unread[0]}"
            )
    if missing:
        return Verdict(
            False,
            f"the policies of {role.name} do not allow {', '.join(dict.fromkeys(missing))} on the target",
            evidence,
        )
    if undecided or (unread and any("boundary" in u for u in unread)):
        return Verdict(None, undecided[0] if undecided else unread[-1], evidence)
    allowed = ", ".join(dict.fromkeys(r.action for r in requests))
    return Verdict(True, f"the policies of {role.name} allow {allowed}", evidence)


def task_definition_arn(d: Delivery) -> Any:
    """The task definition an ECS target runs (EcsParameters.TaskDefinitionArn), as written."""
    params = d.target.get("EcsParameters")
    return params.get("TaskDefinitionArn") if isinstance(params, Mapping) else None


def passed_roles(inventory: Inventory, d: Delivery) -> list[Any] | Unknown:
    """The roles an ECS target's task definition names (task role, execution role): running
    the task passes each to ECS, so the target's role needs iam:PassRole on them. Unknown when
    the task definition is not read or not declared."""
    arn = task_definition_arn(d)
    if arn is None:
        return Unknown("the target names no task definition")
    if not isinstance(arn, Reference | str):
        return Unknown(f"the task definition is not known ({show(arn)})")
    found = named_resource(inventory, d.scope, arn, ECS_TASK_DEFINITION)
    if found is None:
        where = "read" if d.live else "declared in the scanned files"
        return Unknown(
            f"task definition {show(arn)} is not {where}; the task and execution roles it names need iam:PassRole"
        )
    if isinstance(found.exists, Unknown):
        return Unknown(f"task definition {show(arn)} could not be read ({found.exists.reason})")
    if found.exists is False:
        return Unknown(f"task definition {show(arn)} does not exist")
    roles = []
    for key in ("TaskRoleArn", "ExecutionRoleArn"):
        value = found.get(key)
        if isinstance(value, Unknown):
            return Unknown(f"the {key} of task definition {found.name} is not known ({show(value)})")
        if value is not None:
            roles.append(value)
    return roles


# -- the exact permission to add ---------------------------------------------------------------


def _expr(value: Any, style: str) -> str:
    """A value as this source writes it: a literal quoted, a reference as an expression."""
    if isinstance(value, Reference) and value.target:
        if style == "terraform":
            return f"{value.target}.{value.attribute or 'id'}"
        return f"!GetAtt {value.target}.{value.attribute}" if value.attribute else f"!Ref {value.target}"
    if isinstance(value, str):
        return f'"{value}"'
    return '"<unknown>"'


def fix(d: Delivery, *actions: str) -> dict[str, str]:
    """The statement that lets this rule deliver to this target, in Terraform and
    CloudFormation, naming this rule's ARN and this target (RULES.md: the remediation shows
    the exact permission to add)."""
    rule_tf, rule_cfn = _expr(d.rule_arn, "terraform"), _expr(d.rule_arn, "cloudformation")
    target_tf, target_cfn = _expr(d.arn, "terraform"), _expr(d.arn, "cloudformation")
    if d.kind is kinds.LAMBDA:
        function = d.resource.id if d.resource is not None and not d.live else None
        name_tf = f"{function}.function_name" if function else f'"{d.parsed.name}"'
        qualifier = f'\n  qualifier     = "{d.parsed.qualifier}"' if d.parsed.qualifier else ""
        return {
            "terraform": (
                f'resource "aws_lambda_permission" "events" {{\n  action        = "lambda:InvokeFunction"\n'
                f'  function_name = {name_tf}{qualifier}\n  principal     = "events.amazonaws.com"\n'
                f"  source_arn    = {rule_tf}\n}}"
            ),
            "cloudformation": (
                "EventsPermission:\n  Type: AWS::Lambda::Permission\n  Properties:\n"
                f"    Action: lambda:InvokeFunction\n    FunctionName: {target_cfn}\n"
                f"    Principal: events.amazonaws.com\n    SourceArn: {rule_cfn}"
            ),
        }
    condition = "ArnEquals" if d.kind in (kinds.SNS, kinds.SQS) else "ArnLike"
    listed = ", ".join(f'"{a}"' for a in actions)
    return {
        "terraform": (
            f"statement {{\n  actions   = [{listed}]\n  resources = [{target_tf}]\n"
            '  principals {\n    type        = "Service"\n    identifiers = ["events.amazonaws.com"]\n  }\n'
            f'  condition {{\n    test     = "{condition}"\n    variable = "aws:SourceArn"\n'
            f"    values   = [{rule_tf}]\n  }}\n}}"
        ),
        "cloudformation": (
            "- Effect: Allow\n  Principal: {Service: events.amazonaws.com}\n"
            f"  Action: [{', '.join(actions)}]\n  Resource: {target_cfn}\n"
            f'  Condition:\n    {condition}: {{"aws:SourceArn": {rule_cfn}}}'
        ),
    }
