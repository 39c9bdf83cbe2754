"""Load balancers, per region (AZ004; their targets for RS007): ELBv2 (application, network,
gateway) and classic."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import partial
from typing import Any

from scanner.model import CLASSIC_LOAD_BALANCER, LOAD_BALANCER, Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# RS007: how many targets a load balancer has, and how many are healthy, in observed["Targets"]
# as {"registered": N, "healthy": M}, or an Unknown when the reads failed.
TARGETS = "targets"
# DescribeTargetGroups' largest page (the API takes 1 to 400).
TARGET_GROUP_PAGE = 400


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
    declares Subnets, so both the subnet ids and the zone names are kept.

    Facet targets: one paginated DescribeTargetGroups per region with load balancers (each
    group names its load balancers), then one DescribeTargetHealth per group a listed load
    balancer uses, however many use it."""

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

    def region_detail(self, ctx: CollectContext, resources: list[Resource], region: str) -> list[Task]:
        if not ctx.wants(LOAD_BALANCER, TARGETS):
            return []
        targets = _RegionTargets(ctx, resources, region)
        return [
            Task(
                f"elbv2:DescribeTargetGroups in {region}",
                targets.list_groups,
                # A crash past the handlers below would leave the load balancers unemitted.
                gap=(LOAD_BALANCER, region),
            )
        ]

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        zones = [z for z in item.get("AvailabilityZones") or [] if isinstance(z, dict)]
        resource.properties["Subnets"] = [z["SubnetId"] for z in zones if z.get("SubnetId")]
        resource.properties["AvailabilityZones"] = [z["ZoneName"] for z in zones if z.get("ZoneName")]
        return resource


class _RegionTargets:
    """The targets of one region's listed ELBv2 load balancers. The health reads run as
    parallel tasks; the last to finish fills in every load balancer and emits them all."""

    def __init__(self, ctx: CollectContext, lbs: list[Resource], region: str) -> None:
        self.ctx = ctx
        self.lbs = lbs
        self.region = region
        self.groups_of: dict[str, list[str]] = {lb.id: [] for lb in lbs}
        self.health: dict[str, tuple[int, int] | Unknown] = {}
        self.left = 0
        self.lock = threading.Lock()

    def list_groups(self) -> list[Task]:
        try:
            groups = self.ctx.paginate(
                "elbv2",
                self.region,
                "DescribeTargetGroups",
                "TargetGroups",
                PageSize=TARGET_GROUP_PAGE,
            )
        except ApiFailure as failure:
            self._unknown(self.ctx.error(failure))
            return []
        except Exception as exc:  # a bug of ours: the load balancers stay, their targets unknown
            failure = self.ctx.internal(f"reading the target groups in {self.region}", exc, self.region)
            self._unknown(self.ctx.error(failure))
            return []
        used: dict[str, None] = {}  # ordered set: a group two load balancers use is read once
        for group in groups:
            arn = group.get("TargetGroupArn") if isinstance(group, Mapping) else None
            if not arn:
                continue
            # Groups of no listed load balancer (unattached, or of one made since) are not read.
            for lb in group.get("LoadBalancerArns") or []:
                if lb in self.groups_of and arn not in self.groups_of[lb]:
                    self.groups_of[lb].append(arn)
                    used[arn] = None
        if not used:
            self._finish()
            return []
        self.left = len(used)
        return [
            Task(
                f"elbv2:DescribeTargetHealth of {arn}",
                partial(self.read_health, arn),
                gap=(LOAD_BALANCER, self.region),
            )
            for arn in used
        ]

    def read_health(self, arn: str) -> None:
        counted: tuple[int, int] | Unknown
        try:
            got = self.ctx.call("elbv2", self.region, "DescribeTargetHealth", subject=arn, TargetGroupArn=arn)
            states = [
                (d.get("TargetHealth") or {}).get("State") for d in got.get("TargetHealthDescriptions") or []
            ]
            counted = (len(states), states.count("healthy"))
        except ApiFailure as failure:
            counted = self.ctx.error(failure)
        except Exception as exc:  # a bug of ours: the load balancers using it have unknown targets
            counted = self.ctx.error(self.ctx.internal(f"reading the targets of {arn}", exc, self.region))
        with self.lock:
            self.health[arn] = counted
            self.left -= 1
            last = self.left == 0
        if last:
            self._finish()

    def _unknown(self, unknown: Unknown) -> None:
        for lb in self.lbs:
            lb.observed["Targets"] = unknown
            self.ctx.emit(lb)

    def _finish(self) -> None:
        for lb in self.lbs:
            counts = [self.health[arn] for arn in self.groups_of[lb.id]]
            # One group unknown makes the whole count unknown: a partial one would mislead.
            unknown = next((c for c in counts if isinstance(c, Unknown)), None)
            if unknown is not None:
                lb.observed["Targets"] = unknown
            else:
                known = [c for c in counts if not isinstance(c, Unknown)]
                lb.observed["Targets"] = {
                    "registered": sum(r for r, _ in known),
                    "healthy": sum(h for _, h in known),
                }
            self.ctx.emit(lb)


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
