"""Load balancers, per region (AZ004): ELBv2 (application, network, gateway) and classic."""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.model import CLASSIC_LOAD_BALANCER, LOAD_BALANCER, Resource
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# RS007: how many targets a load balancer has, and how many are healthy, in observed["Targets"]
# as {"registered": N, "healthy": M}, or an Unknown when the reads failed.
TARGETS = "targets"


def _with_targets(ctx: CollectContext, resource: Resource, region: str, read: Any) -> list[Task]:
    if not ctx.wants(resource.type, TARGETS):
        return []

    def run() -> None:
        try:
            resource.observed["Targets"] = read()
        except ApiFailure as failure:
            resource.observed["Targets"] = ctx.error(failure)
        except Exception as exc:  # a bug of ours: the load balancer stays, its targets unknown
            resource.observed["Targets"] = ctx.error(
                ctx.internal(f"reading the targets of {resource.id}", exc, region)
            )
        ctx.emit(resource)

    return [Task(f"targets of {resource.name}", run)]


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
    facets = {LOAD_BALANCER: frozenset({TARGETS})}
    extra_operations = (
        Operation("elbv2", "DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroups"),
        Operation("elbv2", "DescribeTargetHealth", "elasticloadbalancing:DescribeTargetHealth"),
    )

    def detail(
        self, ctx: CollectContext, resource: Resource, item: dict[str, Any], region: str
    ) -> list[Task]:
        return _with_targets(ctx, resource, region, partial(self._targets, ctx, resource, region))

    @staticmethod
    def _targets(ctx: CollectContext, resource: Resource, region: str) -> dict[str, int]:
        try:
            groups = ctx.paginate(
                "elbv2",
                region,
                "DescribeTargetGroups",
                "TargetGroups",
                subject=resource.id,
                LoadBalancerArn=resource.id,
            )
        except ApiFailure as failure:
            if failure.code != "TargetGroupNotFound":
                raise
            groups = []  # asked by load balancer: none is attached to it (emulators answer so)
        registered = healthy = 0
        for group in groups:
            arn = group["TargetGroupArn"]
            got = ctx.call("elbv2", region, "DescribeTargetHealth", subject=arn, TargetGroupArn=arn)
            states = [
                (d.get("TargetHealth") or {}).get("State") for d in got.get("TargetHealthDescriptions") or []
            ]
            registered += len(states)
            healthy += states.count("healthy")
        return {"registered": registered, "healthy": healthy}

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
    facets = {CLASSIC_LOAD_BALANCER: frozenset({TARGETS})}
    extra_operations = (
        Operation("elb", "DescribeInstanceHealth", "elasticloadbalancing:DescribeInstanceHealth"),
    )

    def detail(
        self, ctx: CollectContext, resource: Resource, item: dict[str, Any], region: str
    ) -> list[Task]:
        registered = len(item.get("Instances") or [])
        if registered == 0:
            if ctx.wants(CLASSIC_LOAD_BALANCER, TARGETS):
                resource.observed["Targets"] = {"registered": 0, "healthy": 0}
            return []
        return _with_targets(ctx, resource, region, partial(self._targets, ctx, resource, region))

    @staticmethod
    def _targets(ctx: CollectContext, resource: Resource, region: str) -> dict[str, int]:
        got = ctx.call(
            "elb", region, "DescribeInstanceHealth", subject=resource.id, LoadBalancerName=resource.name
        )
        states = [s.get("State") for s in got.get("InstanceStates") or []]
        return {"registered": len(states), "healthy": states.count("InService")}

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        resource.id = classic_arn(item, ctx, region)
        # An empty list says nothing (EC2-Classic: no subnets; some emulators list no zones
        # for a load balancer in subnets): absent, so that the other one is read.
        for key in ("AvailabilityZones", "Subnets"):
            if resource.properties.get(key) == []:
                del resource.properties[key]
        return resource
