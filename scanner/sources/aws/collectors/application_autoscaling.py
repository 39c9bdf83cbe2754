"""Application Auto Scaling targets of SageMaker endpoint variants, per region (AZ005: a
variant with one initial instance whose scaling minimum is 2 or more runs on two or more).

Only the "sagemaker" namespace is listed: the AWS::ApplicationAutoScaling::ScalableTarget
resources of a live scan are SageMaker's, never those of ECS, DynamoDB, ...
"""

from __future__ import annotations

from typing import Any

from scanner.model import SCALABLE_TARGET
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing

NAMESPACE = "sagemaker"


def target_id(item: dict[str, Any], ctx: CollectContext) -> str:
    """The target's ARN; older responses have none: NAMESPACE:RESOURCEID:DIMENSION."""
    arn = item.get("ScalableTargetARN")
    if arn:
        return str(arn)
    namespace = item.get("ServiceNamespace", NAMESPACE)
    return f"{namespace}:{item.get('ResourceId')}:{item.get('ScalableDimension')}"


class ScalableTargetCollector(ListCollector):
    name = "application-autoscaling"
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
