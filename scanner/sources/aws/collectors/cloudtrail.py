"""CloudTrail trails: own, shadow and organization trails, with status and selectors.

DescribeTrails runs in every scanned region (it returns the region's trails plus shadow
copies of multi-region and organization trails). Trails are de-duplicated by ARN, then
each unique trail is read once, by ARN, in its home region: status, event selectors and,
for multi-region logging trails (the only ones that count for Insights), insight selectors.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import partial
from typing import Any

from scanner.lib.arn import parse_arn
from scanner.model import TRAIL, Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# DescribeTrails field -> CloudFormation property.
TRAIL_PROPERTIES = {
    "Name": "TrailName",
    "S3BucketName": "S3BucketName",
    "S3KeyPrefix": "S3KeyPrefix",
    "SnsTopicName": "SnsTopicName",
    "IncludeGlobalServiceEvents": "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail": "IsMultiRegionTrail",
    "LogFileValidationEnabled": "EnableLogFileValidation",
    "CloudWatchLogsLogGroupArn": "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn": "CloudWatchLogsRoleArn",
    "KmsKeyId": "KMSKeyId",
    "IsOrganizationTrail": "IsOrganizationTrail",
}
# DescribeTrails fields kept as observed facts.
TRAIL_OBSERVED = ("HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors", "SnsTopicARN")

INSIGHTS_NOT_ENABLED = "InsightNotEnabledException"

# Properties filled by the extra reads (facets), with the facet that fills each.
FACET_PROPERTIES = {
    "IsLogging": "status",
    "EventSelectors": "selectors",
    "AdvancedEventSelectors": "selectors",
    "InsightSelectors": "insights",
}


class _Seen:
    """Trails found so far, by ARN, and how many regions are still being listed."""

    def __init__(self, regions: int) -> None:
        self.lock = threading.Lock()
        self.remaining = regions
        self.trails: dict[str, dict[str, Any]] = {}
        self.regions: dict[str, set[str]] = {}

    def add(self, region: str, trails: list[dict[str, Any]]) -> bool:
        """Record one region's trails; True for the call that completes the set."""
        with self.lock:
            for trail in trails:
                arn = trail.get("TrailARN")
                if not arn:
                    continue
                self.trails.setdefault(arn, trail)
                self.regions.setdefault(arn, set()).add(region)
            self.remaining -= 1
            return self.remaining == 0


class CloudTrailCollector(Collector):
    name = "cloudtrail"
    resource_types = (TRAIL,)
    facets = {TRAIL: frozenset({"status", "selectors", "insights"})}
    operations = (
        Operation("cloudtrail", "DescribeTrails"),
        Operation("cloudtrail", "GetTrailStatus"),
        Operation("cloudtrail", "GetEventSelectors"),
        Operation("cloudtrail", "GetInsightSelectors"),
    )

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        seen = _Seen(len(ctx.regions))
        return [
            Task(
                f"cloudtrail:DescribeTrails in {region}",
                partial(self._list, ctx, seen, region),
                gap=(TRAIL, region),
            )
            for region in ctx.regions
        ]

    def _list(self, ctx: CollectContext, seen: _Seen, region: str) -> list[Task]:
        found: list[dict[str, Any]] = []
        try:
            found = (
                ctx.call("cloudtrail", region, "DescribeTrails", includeShadowTrails=True).get("trailList")
                or []
            )
        except ApiFailure as failure:
            ctx.gap(TRAIL, region, failure)
        except Exception as exc:  # a bug of ours: the region counts as unlisted, the scan goes on
            ctx.gap(TRAIL, region, ctx.internal(f"listing trails in {region}", exc, region))
        if not seen.add(region, found):
            return []
        return [
            Task(f"cloudtrail trail {arn}", partial(self._read, ctx, trail, sorted(seen.regions[arn])))
            for arn, trail in sorted(seen.trails.items())
        ]

    def _read(self, ctx: CollectContext, trail: dict[str, Any], seen_in: list[str]) -> None:
        arn = trail["TrailARN"]
        try:
            resource = self._build(ctx, trail, seen_in)
        except Exception as exc:  # the trail exists: keep it, with what could not be read unknown
            unknown = ctx.error(ctx.internal(f"reading trail {arn}", exc))
            resource = ctx.resource(
                type=TRAIL,
                id=arn,
                name=str(trail.get("Name") or arn.rsplit("/", 1)[-1]),
                properties={key: unknown for key in (*FACET_PROPERTIES, "IsMultiRegionTrail")},
                origin=ctx.origin("cloudtrail", "DescribeTrails"),
                raw=jsonable(trail),
            )
        ctx.emit(resource)

    def _build(self, ctx: CollectContext, trail: dict[str, Any], seen_in: list[str]) -> Resource:
        arn = trail["TrailARN"]
        parsed = parse_arn(arn)
        home = trail.get("HomeRegion") or (parsed.region if parsed else None) or seen_in[0]
        props: dict[str, Any] = {
            cfn: trail[api] for api, cfn in TRAIL_PROPERTIES.items() if trail.get(api) is not None
        }
        # Facets no selected rule reads are not fetched, and say so: an absent selector list
        # would otherwise read as CloudTrail's default (all management events).
        for key, facet in FACET_PROPERTIES.items():
            props[key] = Unknown(f"{key} not collected: no selected rule reads the trail's {facet}")
        observed: dict[str, Any] = {k: trail[k] for k in TRAIL_OBSERVED if k in trail}
        observed["SeenInRegions"] = seen_in

        # Insights count only on logging trails, so reading them needs the status too.
        if ctx.wants(TRAIL, "status") or ctx.wants(TRAIL, "insights"):
            try:
                status = ctx.call("cloudtrail", home, "GetTrailStatus", subject=arn, Name=arn)
                props["IsLogging"] = bool(status.get("IsLogging"))
                observed["Status"] = jsonable(status)
            except ApiFailure as failure:
                props["IsLogging"] = ctx.error(failure)

        if ctx.wants(TRAIL, "selectors"):
            try:
                sel = ctx.call("cloudtrail", home, "GetEventSelectors", subject=arn, TrailName=arn)
                props["EventSelectors"] = sel.get("EventSelectors") or []
                props["AdvancedEventSelectors"] = sel.get("AdvancedEventSelectors") or []
            except ApiFailure as failure:
                unknown = ctx.error(failure)
                props["EventSelectors"] = props["AdvancedEventSelectors"] = unknown

        if ctx.wants(TRAIL, "insights"):
            props["InsightSelectors"] = self._insights(ctx, home, arn, props)

        return ctx.resource(
            type=TRAIL,
            id=arn,
            name=trail.get("Name") or arn.rsplit("/", 1)[-1],
            properties=props,
            observed=observed,
            account_id=parsed.account if parsed else ctx.account_id,
            region=home,
            partition=parsed.partition if parsed else ctx.partition,
            origin=ctx.origin("cloudtrail", "DescribeTrails"),
            raw=jsonable(trail),
        )

    def _insights(self, ctx: CollectContext, home: str, arn: str, props: dict[str, Any]) -> Any:
        # Only multi-region logging trails count for Insights coverage (CT008); reading the
        # others would cost a call per trail and decide nothing.
        if props.get("IsMultiRegionTrail") is not True or props.get("IsLogging") is not True:
            return Unknown("insight selectors not read: not a multi-region logging trail")
        try:
            got = ctx.call("cloudtrail", home, "GetInsightSelectors", subject=arn, TrailName=arn)
        except ApiFailure as failure:
            if failure.code == INSIGHTS_NOT_ENABLED:
                return []
            return ctx.error(failure)
        return got.get("InsightSelectors") or []
