from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rules.monitoring.common import Subject, subjects
from scanner.inventory import Inventory
from scanner.lib.endpoint_scaling import (
    names_other_endpoints,
    sagemaker_targets,
    scales_variant,
    variants_not_known,
)
from scanner.model import (
    ENDPOINT,
    ENDPOINT_CONFIG,
    SCALABLE_TARGET,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule

ENABLED = "ENABLED"


@rule(
    id="MON002",
    name="sagemaker-endpoint-no-autoscaling",
    title="SageMaker endpoint variants scale automatically",
    severity="low",
    family="monitoring",
    remediation="""
        Register each instance-based production variant with Application Auto Scaling
        (resource id endpoint/ENDPOINT/variant/VARIANT, scalable dimension
        sagemaker:variant:DesiredInstanceCount) and give it a target-tracking policy, for
        example on SageMakerVariantInvocationsPerInstance; or turn on managed instance
        scaling on the variant. A variant with a fixed instance count is overwhelmed by a
        traffic peak and pays for idle instances the rest of the time.
    """,
    terraform="""
        resource "aws_appautoscaling_target" "scorer" {
          service_namespace  = "sagemaker"
          resource_id        = "endpoint/${aws_sagemaker_endpoint.scorer.name}/variant/AllTraffic"
          scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
          min_capacity       = 2
          max_capacity       = 6
        }

        resource "aws_appautoscaling_policy" "scorer" {
          name               = "scorer-invocations"
          policy_type        = "TargetTrackingScaling"
          service_namespace  = aws_appautoscaling_target.scorer.service_namespace
          resource_id        = aws_appautoscaling_target.scorer.resource_id
          scalable_dimension = aws_appautoscaling_target.scorer.scalable_dimension
          target_tracking_scaling_policy_configuration {
            target_value = 100
            predefined_metric_specification {
              predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
            }
          }
        }
    """,
    cloudformation="""
        ScorerScalableTarget:
          Type: AWS::ApplicationAutoScaling::ScalableTarget
          Properties:
            ServiceNamespace: sagemaker
            ResourceId: !Sub endpoint/${ScorerEndpoint.EndpointName}/variant/AllTraffic
            ScalableDimension: sagemaker:variant:DesiredInstanceCount
            MinCapacity: 2
            MaxCapacity: 6
        ScorerScalingPolicy:
          Type: AWS::ApplicationAutoScaling::ScalingPolicy
          Properties:
            PolicyName: scorer-invocations
            PolicyType: TargetTrackingScaling
            ScalingTargetId: !Ref ScorerScalableTarget
            TargetTrackingScalingPolicyConfiguration:
              TargetValue: 100
              PredefinedMetricSpecification:
                PredefinedMetricType: SageMakerVariantInvocationsPerInstance
    """,
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling.html",
        "https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html",
    ),
    compliance={"AWS-WA": ("REL07-BP01", "COST09-BP03")},
    needs={ENDPOINT: ("variants",), ENDPOINT_CONFIG: (), SCALABLE_TARGET: ()},
)
def mon002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A production variant with a fixed instance count cannot follow its traffic: a peak
    overwhelms it, a quiet night pays for idle instances. An instance-based variant passes
    when an Application Auto Scaling target scales its instance count (ServiceNamespace
    sagemaker, ResourceId endpoint/ENDPOINT/variant/VARIANT, ScalableDimension
    sagemaker:variant:DesiredInstanceCount) in the endpoint's own region, or when managed
    instance scaling is ENABLED on it. Serverless variants scale by themselves and are not
    judged (an endpoint of serverless variants only gets no result). In IaC the subject is
    the endpoint configuration, and every endpoint declared from it needs a target of its
    own; a target whose resource id is known only at deployment, or that may not be created,
    makes the result unknown. Live, the variants are those DescribeEndpoint reports; a
    region whose scalable targets could not be listed is unknown, not a fail.
    """
    for scope in inventory.scopes:
        targets = sagemaker_targets(inventory, scope)
        for subject in subjects(inventory, scope):
            result = _judge(ctx, inventory, scope, subject, targets)
            if result is not None:
                yield result
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")


@dataclass(frozen=True)
class _Variant:
    scales: bool | None
    why: str


def _judge(
    ctx: RuleContext, inventory: Inventory, scope: Scope, subject: Subject, targets: list[Resource]
) -> Result | None:
    label = subject.label
    resource = subject.resource
    if scope.is_live:
        variants = resource.observed.get("ProductionVariants")
    elif resource.type == ENDPOINT_CONFIG:
        variants = resource.get("ProductionVariants")
    else:
        config = resource.get("EndpointConfigName")
        if isinstance(config, Unknown):
            variants = Unknown(
                f"which endpoint configuration it is built from is not known ({config.reason})"
            )
        else:
            variants = Unknown(f"its endpoint configuration {show(config)} is not declared here")
    why = variants_not_known(resource, variants)
    if why is not None:
        return ctx.unknown(resource, f"{label}: its production variants are not known: {why}.", {})
    verdicts: dict[str, _Variant] = {}
    for index, variant in enumerate(variants):
        key = f"#{index + 1}"
        if not isinstance(variant, Mapping):
            verdicts[key] = _Variant(None, f"variant {key} is not known ({show(variant)})")
            continue
        name = variant.get("VariantName")
        key = name if isinstance(name, str) else key
        if variant.get("ServerlessConfig") is not None or variant.get("CurrentServerlessConfig") is not None:
            continue  # serverless: scales by itself
        verdicts[key] = _variant(inventory, scope, subject, variant, key, targets)
    if not verdicts:
        return None
    evidence = {"variants": {k: v.why for k, v in verdicts.items()}}
    failing = [v.why for v in verdicts.values() if v.scales is False]
    open_ = [v.why for v in verdicts.values() if v.scales is None]
    if failing:
        return ctx.fail(
            resource,
            f"{label}: {'; '.join(failing)}, so its instance count stays fixed whatever the traffic.",
            evidence,
        )
    if open_:
        return ctx.unknown(
            resource, f"{label}: whether every variant scales is not known: {'; '.join(open_)}.", evidence
        )
    return ctx.passed(resource, f"{label}: {'; '.join(v.why for v in verdicts.values())}.", evidence)


def _variant(
    inventory: Inventory,
    scope: Scope,
    subject: Subject,
    variant: Mapping[str, Any],
    name: str,
    targets: list[Resource],
) -> _Variant:
    managed = _managed(variant.get("ManagedInstanceScaling"))
    if managed is True:
        return _Variant(True, f"variant {name} has managed instance scaling enabled")
    endpoints = subject.endpoints
    if not endpoints:
        return _Variant(
            None,
            f"variant {name}: no endpoint declared here is built from the configuration, so which "
            "scalable target would scale it cannot be told",
        )
    missing: list[str] = []
    unsure: list[str] = []
    found: list[str] = []
    for endpoint in endpoints:
        verdict = _endpoint_target(inventory, scope, endpoint, name, targets)
        if verdict.scales is True:
            found.append(verdict.why)
        elif verdict.scales is None:
            unsure.append(verdict.why)
        else:
            missing.append(endpoint.name)
    if missing and managed is False:
        where = "" if subject.resource.type == ENDPOINT else f" for endpoint {', '.join(missing)}"
        return _Variant(
            False,
            f"variant {name} has no Application Auto Scaling target{where} and no managed instance scaling",
        )
    if isinstance(managed, Unknown):
        unsure.append(f"whether managed instance scaling is on is not known ({managed.reason})")
    if missing or unsure:
        return _Variant(None, f"variant {name}: {'; '.join(unsure)}")
    return _Variant(True, f"variant {name} is scaled by {'; '.join(found)}")


def _managed(value: Any) -> bool | Unknown:
    """Managed instance scaling on: True; off or not set: False; Unknown when not known
    (a Status the configuration leaves open, or a block without one: the API does not say
    what an absent Status means)."""
    if value is None:
        return False
    if not isinstance(value, Mapping):
        return Unknown(f"ManagedInstanceScaling is {show(value)}")
    status = value.get("Status")
    if isinstance(status, str):
        return status.upper() == ENABLED
    if status is None:
        return Unknown("ManagedInstanceScaling gives no Status")
    return Unknown(f"its Status is {show(status)}")


def _endpoint_target(
    inventory: Inventory, scope: Scope, endpoint: Resource, variant: str, targets: list[Resource]
) -> _Variant:
    """The scalable target of the endpoint's variant, if any; live, only when the region's
    targets were listed."""
    unsure: list[str] = []
    others = {e.id for e in inventory.of_type(ENDPOINT, scope)} - {endpoint.id}
    for target in targets:
        if names_other_endpoints(target.get("ResourceId"), others):
            continue  # `endpoint/${aws_sagemaker_endpoint.other.name}/...`: another endpoint's
        matched = scales_variant(target, scope, endpoint, variant)
        if matched is False:
            continue
        if matched is None:
            unsure.append(f"scalable target {target.name} may be for endpoint {endpoint.name}")
        elif target.exists is not True:
            unsure.append(f"scalable target {target.name} may not be created")
        else:
            return _Variant(True, f"scalable target {target.name}")
    if scope.is_live:
        gaps = inventory.gaps_for(SCALABLE_TARGET, scope, endpoint.region)
        if gaps:
            error = gaps[0].error
            unsure.append(
                f"the scalable targets of {endpoint.region} could not be listed ({error.code or error.kind})"
            )
    if unsure:
        return _Variant(None, "; ".join(unsure))
    return _Variant(False, "")
