"""Application Auto Scaling targets of SageMaker endpoint variants, per region (AZ005: a
variant with one initial instance whose scaling minimum is 2 or more runs on two or more).

Only the "sagemaker" namespace is listed: the AWS::ApplicationAutoScaling::ScalableTarget
resources of a live scan are SageMaker's, never those of ECS, DynamoDB, ...

Facet "policies" (RS002 reads the invocations per instance a target-tracking policy aims
at): one paginated DescribeScalingPolicies per region that has targets, for the whole
namespace, never one call per target. Each target gets observed["ScalingPolicies"], a list
of {PolicyName, PolicyType, PredefinedMetricType, TargetValue} (the last two None when the
policy has no such thing), or an Unknown with the reason when the call failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from scanner.model import SCALABLE_TARGET, Resource
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

NAMESPACE = "sagemaker"
POLICIES = "policies"


def target_id(item: dict[str, Any], ctx: CollectContext) -> str:
    """The target's ARN; older responses have none: NAMESPACE:RESOURCEID:DIMENSION."""
    arn = item.get("ScalableTargetARN")
    if arn:
        return str(arn)
    namespace = item.get("ServiceNamespace", NAMESPACE)
    return f"{namespace}:{item.get('ResourceId')}:{item.get('ScalableDimension')}"


def policy_summary(policy: Mapping[str, Any]) -> dict[str, Any]:
    """What a rule reads of one scaling policy."""
    tracking = policy.get("TargetTrackingScalingPolicyConfiguration") or {}
    predefined = tracking.get("PredefinedMetricSpecification") or {}
    return {
        "PolicyName": policy.get("PolicyName"),
        "PolicyType": policy.get("PolicyType"),
        "PredefinedMetricType": predefined.get("PredefinedMetricType"),
        "TargetValue": tracking.get("TargetValue"),
    }


class ScalableTargetCollector(ListCollector):
    name = "application-autoscaling"
    facets = {SCALABLE_TARGET: frozenset({POLICIES})}
    extra_operations = (Operation("application-autoscaling", "DescribeScalingPolicies"),)
    listing = Listing(
        resource_type=SCALABLE_TARGET,
        service="application-autoscaling",
        operation="DescribeScalableTargets",
        result_key="ScalableTargets",
        arn_field=None,
        make_arn=target_id,
        name_field="ResourceId",
        properties={
            "ServiceNamespace": "ServiceNamespace",
            "ResourceId": "ResourceId",
            "ScalableDimension": "ScalableDimension",
            "MinCapacity": "MinCapacity",
            "MaxCapacity": "MaxCapacity",
        },
        observed=("SuspendedState",),
        params={"ServiceNamespace": NAMESPACE},
    )

    def region_detail(self, ctx: CollectContext, resources: list[Resource], region: str) -> list[Task]:
        # A region without targets has no policy to read: no call there.
        if not ctx.wants(SCALABLE_TARGET, POLICIES):
            return []
        return [
            Task(
                f"application-autoscaling:DescribeScalingPolicies in {region}",
                partial(self._policies, ctx, resources, region),
            )
        ]

    def _policies(self, ctx: CollectContext, targets: list[Resource], region: str) -> None:
        try:
            self._attach(ctx, targets, region)
        except ApiFailure as failure:
            unknown = ctx.error(failure)
            for target in targets:
                target.observed["ScalingPolicies"] = unknown
        except Exception as exc:  # a bug of ours: the targets stay, their policies unknown
            unknown = ctx.error(ctx.internal(f"reading the scaling policies in {region}", exc, region))
            for target in targets:
                target.observed["ScalingPolicies"] = unknown
        for target in targets:
            ctx.emit(target)

    @staticmethod
    def _attach(ctx: CollectContext, targets: list[Resource], region: str) -> None:
        policies = ctx.paginate(
            "application-autoscaling",
            region,
            "DescribeScalingPolicies",
            "ScalingPolicies",
            subject=f"{NAMESPACE} scaling policies",
            ServiceNamespace=NAMESPACE,
        )
        by_target: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
        for policy in policies:
            if isinstance(policy, Mapping):
                key = (policy.get("ResourceId"), policy.get("ScalableDimension"))
                by_target.setdefault(key, []).append(policy_summary(policy))
        for target in targets:
            key = (target.get("ResourceId"), target.get("ScalableDimension"))
            target.observed["ScalingPolicies"] = by_target.get(key, [])
