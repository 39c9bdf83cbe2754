"""Load balancers, per region (AZ004): ELBv2 (application, network, gateway) and classic."""

from __future__ import annotations

from typing import Any

from scanner.model import CLASSIC_LOAD_BALANCER, LOAD_BALANCER, Resource
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing


class LoadBalancerCollector(ListCollector):
    """ELBv2. The API reports the zones as [{ZoneName, SubnetId, ...}]; CloudFormation
    declares Subnets, so both the subnet ids and the zone names are kept."""

    name = "elbv2"
    listing = Listing(
        resource_type=LOAD_BALANCER,
        service="elbv2",
        operation="DescribeLoadBalancers",
        result_key="LoadBalancers",
        arn_field="LoadBalancerArn",
        name_field="LoadBalancerName",
        properties={"Type": "Type", "Scheme": "Scheme"},
        observed=("State",),
        iam_action="elasticloadbalancing:DescribeLoadBalancers",
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        zones = [z for z in item.get("AvailabilityZones") or [] if isinstance(z, dict)]
        resource.properties["Subnets"] = [z["SubnetId"] for z in zones if z.get("SubnetId")]
        resource.properties["AvailabilityZones"] = [z["ZoneName"] for z in zones if z.get("ZoneName")]
        return resource


def classic_arn(item: dict[str, Any], ctx: CollectContext, region: str) -> str:
    """Classic load balancers have no ARN in the API; this is the one IAM and tags use."""
    return (
        f"arn:{ctx.partition}:elasticloadbalancing:{region}:{ctx.account_id}"
        f":loadbalancer/{item['LoadBalancerName']}"
    )


class ClassicLoadBalancerCollector(ListCollector):
    name = "elb"
    listing = Listing(
        resource_type=CLASSIC_LOAD_BALANCER,
        service="elb",
        operation="DescribeLoadBalancers",
        result_key="LoadBalancerDescriptions",
        # No ARN in the API: the name stands in until to_resource builds the ARN (it needs
        # the region, which Listing.make_arn is not given).
        arn_field="LoadBalancerName",
        name_field="LoadBalancerName",
        properties={"AvailabilityZones": "AvailabilityZones", "Subnets": "Subnets"},
        observed=("VPCId",),
        iam_action="elasticloadbalancing:DescribeLoadBalancers",
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        resource.id = classic_arn(item, ctx, region)
        # An empty list says nothing (EC2-Classic: no subnets; some emulators list no zones
        # for a load balancer in subnets): absent, so that the other one is read.
        for key in ("AvailabilityZones", "Subnets"):
            if resource.properties.get(key) == []:
                del resource.properties[key]
        return resource
