"""ElastiCache replication groups and cache clusters, per region (AZ006).

The API reports replication-group settings as words ("enabled", "disabled", and while a
change is under way "enabling"/"disabling"); the model keeps CloudFormation's booleans, a
setting that is changing is an Unknown (the raw word stays in `observed`). Members of a
replication group are listed as cache clusters too, with their ReplicationGroupId.
"""

from __future__ import annotations

from typing import Any

from scanner.model import CACHE_CLUSTER, REPLICATION_GROUP, Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing

# PreferredAvailabilityZone of a cluster whose nodes are spread over several zones.
MULTIPLE = "Multiple"


def switch(value: Any, what: str) -> bool | Unknown | None:
    """An "enabled"/"disabled" status as a boolean; None when the API gives none."""
    if value is None:
        return None
    if value == "enabled":
        return True
    if value == "disabled":
        return False
    return Unknown(f"{what} is {value!r}: the setting is changing and its outcome is not known yet")


class ReplicationGroupCollector(ListCollector):
    name = "elasticache-replication-groups"
    listing = Listing(
        resource_type=REPLICATION_GROUP,
        service="elasticache",
        operation="DescribeReplicationGroups",
        result_key="ReplicationGroups",
        arn_field="ARN",
        name_field="ReplicationGroupId",
        properties={"ReplicationGroupId": "ReplicationGroupId", "Engine": "Engine"},
        observed=("MemberClusters", "NodeGroups", "MultiAZ", "AutomaticFailover", "Status"),
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        props = resource.properties
        for api, cfn, what in (
            ("MultiAZ", "MultiAZEnabled", "Multi-AZ"),
            ("AutomaticFailover", "AutomaticFailoverEnabled", "automatic failover"),
        ):
            value = switch(item.get(api), what)
            if value is not None:
                props[cfn] = value
        if isinstance(item.get("NodeGroups"), list):
            props["NumNodeGroups"] = len(item["NodeGroups"])
        if isinstance(item.get("MemberClusters"), list):
            props["NumCacheClusters"] = len(item["MemberClusters"])
        return resource


class CacheClusterCollector(ListCollector):
    name = "elasticache-clusters"
    listing = Listing(
        resource_type=CACHE_CLUSTER,
        service="elasticache",
        operation="DescribeCacheClusters",
        result_key="CacheClusters",
        arn_field="ARN",
        name_field="CacheClusterId",
        properties={
            "CacheClusterId": "ClusterName",
            "Engine": "Engine",
            "NumCacheNodes": "NumCacheNodes",
            "ReplicationGroupId": "ReplicationGroupId",
        },
        observed=("PreferredAvailabilityZone", "CacheClusterStatus"),
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        zone = item.get("PreferredAvailabilityZone")
        if zone == MULTIPLE:
            resource.properties["AZMode"] = "cross-az"
        elif zone:
            resource.properties["AZMode"] = "single-az"
            resource.properties["PreferredAvailabilityZone"] = zone
        elif item.get("NumCacheNodes") == 1:
            resource.properties["AZMode"] = "single-az"  # one node is in one zone
        else:
            resource.properties["AZMode"] = Unknown(
                "ElastiCache did not report where the cluster's nodes are (no PreferredAvailabilityZone)"
            )
        return resource
