"""Auto Scaling groups, per region (AZ003)."""

from __future__ import annotations

from typing import Any

from scanner.model import AUTOSCALING_GROUP, Resource
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing


def subnet_ids(value: Any) -> list[str] | None:
    """The API's comma-separated VPCZoneIdentifier as CloudFormation's list; empty: None."""
    if not isinstance(value, str):
        return None
    ids = [part.strip() for part in value.split(",") if part.strip()]
    return ids or None


class AutoScalingGroupCollector(ListCollector):
    name = "autoscaling"
    listing = Listing(
        resource_type=AUTOSCALING_GROUP,
        service="autoscaling",
        operation="DescribeAutoScalingGroups",
        result_key="AutoScalingGroups",
        arn_field="AutoScalingGroupARN",
        name_field="AutoScalingGroupName",
        properties={
            "AvailabilityZones": "AvailabilityZones",
            "MinSize": "MinSize",
            "MaxSize": "MaxSize",
            "DesiredCapacity": "DesiredCapacity",
        },
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        subnets = subnet_ids(item.get("VPCZoneIdentifier"))
        if subnets is not None:
            resource.properties["VPCZoneIdentifier"] = subnets
        return resource
