"""Every CloudWatch Logs log group of a region, with its retention (MON003): one paginated
DescribeLogGroups per region (50 groups a page), no read per group.

`retentionInDays` is the retention in force: the group's own, or that of an account-level
retention policy (named in `retentionPolicyName`); absent, log events never expire. Groups of
linked source accounts (cross-account observability) are not asked for (`includeLinkedAccounts`
stays false): the scan judges the scanned account only.

A listed group is emitted as the primary part of its resource (`CollectContext.emit_part`):
the log groups an EventBridge target names are also read for their resource policy
(logs_policies.py), and the two parts join into one resource; neither read is repeated.
Listed groups carry observed["Listed"], so a rule tells them from a group known only because
a target names it (which may not exist, or sit in a region whose listing failed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from scanner.model import LOG_GROUP
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# Listing every log group is asked for with this facet (MON003); EB004 needs only the groups
# its targets name, which the EventBridge follow-ups read without any listing.
LISTING = "listing"

# DescribeLogGroups field -> CloudFormation property (absent retention: never expires).
PROPERTIES = {
    "logGroupName": "LogGroupName",
    "retentionInDays": "RetentionInDays",
    "logGroupClass": "LogGroupClass",
    "kmsKeyId": "KmsKeyId",
}
OBSERVED = {
    "retentionPolicyName": "RetentionPolicyName",
    "storedBytes": "StoredBytes",
    "metricFilterCount": "MetricFilterCount",
}


class LogGroupCollector(Collector):
    name = "logs"
    resource_types = (LOG_GROUP,)
    facets = {LOG_GROUP: frozenset({LISTING})}
    operations = (Operation("logs", "DescribeLogGroups"),)

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        if not ctx.wants(LOG_GROUP, LISTING):
            return []
        return [
            Task(
                f"logs:DescribeLogGroups in {region}",
                partial(self._list, ctx, region),
                gap=(LOG_GROUP, region),
            )
            for region in ctx.regions
        ]

    def _list(self, ctx: CollectContext, region: str) -> None:
        try:
            items = ctx.paginate("logs", region, "DescribeLogGroups", "logGroups")
        except ApiFailure as failure:
            ctx.gap(LOG_GROUP, region, failure)
            return
        except Exception as exc:  # a bug of ours: the region's groups are unseen, not absent
            ctx.gap(LOG_GROUP, region, ctx.internal(f"logs:DescribeLogGroups in {region}", exc, region))
            return
        for item in items:
            if isinstance(item, Mapping) and item.get("logGroupName"):
                ctx.emit_part(self.to_resource(ctx, item, region), primary=True)

    @staticmethod
    def to_resource(ctx: CollectContext, item: Mapping[str, Any], region: str) -> Any:
        name = str(item["logGroupName"])
        # The ARN without the trailing ":*", as the EventBridge follow-up names the group.
        arn = (
            item.get("logGroupArn") or f"arn:{ctx.partition}:logs:{region}:{ctx.account_id}:log-group:{name}"
        )
        observed: dict[str, Any] = {k: item[api] for api, k in OBSERVED.items() if item.get(api) is not None}
        created = item.get("creationTime")
        if isinstance(created, int):  # milliseconds since the epoch
            observed["CreationTime"] = jsonable(dt.datetime.fromtimestamp(created / 1000, dt.UTC))
        observed["Listed"] = True
        return ctx.resource(
            type=LOG_GROUP,
            id=str(arn),
            name=name,
            properties={cfn: item[api] for api, cfn in PROPERTIES.items() if item.get(api) is not None},
            observed=observed,
            region=region,
            origin=ctx.origin("logs", "DescribeLogGroups"),
            raw=jsonable(dict(item)),
        )
