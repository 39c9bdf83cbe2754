from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each
from scanner.inventory import Inventory
from scanner.lib.values import flag, number
from scanner.lib.zones import zones
from scanner.model import CACHE_CLUSTER, REPLICATION_GROUP, Reference, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="AZ006",
    name="elasticache-single-az",
    title="ElastiCache survives the loss of an availability zone",
    severity="medium",
    family="resilience",
    remediation="""
        Use a replication group with at least one replica, automatic failover and Multi-AZ
        on, so that a replica in another zone takes over. A Memcached cluster should place
        its nodes across zones (AZMode cross-az).
    """,
    terraform="""
        resource "aws_elasticache_replication_group" "cache" {
          # ...
          num_cache_clusters         = 2
          automatic_failover_enabled = true
          multi_az_enabled           = true
        }
    """,
    cloudformation="""
        Cache:
          Type: AWS::ElastiCache::ReplicationGroup
          Properties:
            NumCacheClusters: 2
            AutomaticFailoverEnabled: true
            MultiAZEnabled: true
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/elasticache-controls.html#elasticache-3",
    ),
    compliance={"AWS-FSBP": ("ElastiCache.3",), "AWS-WA": ("REL10-BP01",)},
    needs={REPLICATION_GROUP: (), CACHE_CLUSTER: ()},
)
def az006(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A cache whose data and endpoint live in one availability zone is lost with it. A
    replication group passes with automatic failover and Multi-AZ both on (both default
    to false); without them a replica is not promoted, or may sit in the same zone. A
    cache cluster outside a replication group fails on a single node (a standalone Redis
    or Valkey node, a one-node Memcached cluster); a Memcached cluster with several nodes
    passes when its nodes are placed across zones (AZMode cross-az, or preferred zones in
    two zones or more). One result per replication group and per standalone cluster.
    """

    def group(rg: Resource, scope: Scope) -> Result:
        label = f"ElastiCache replication group {rg.name}"
        failover, multi = flag(rg.get("AutomaticFailoverEnabled")), flag(rg.get("MultiAZEnabled"))
        evidence = {
            "AutomaticFailoverEnabled": rg.get("AutomaticFailoverEnabled"),
            "MultiAZEnabled": rg.get("MultiAZEnabled"),
            "NumCacheClusters": rg.get("NumCacheClusters"),
            "NumNodeGroups": rg.get("NumNodeGroups"),
        }
        missing = [
            name for name, on in (("automatic failover", failover), ("Multi-AZ", multi)) if on is False
        ]
        if missing:
            return ctx.fail(
                rg,
                f"{label} has {' and '.join(missing)} off: losing the primary's availability zone is not survived "
                "by promoting a replica in another zone.",
                evidence,
            )
        if isinstance(failover, Unknown) or isinstance(multi, Unknown):
            which = "AutomaticFailoverEnabled" if isinstance(failover, Unknown) else "MultiAZEnabled"
            return ctx.unknown(rg, f"{label}: {which} is not known ({show(rg.get(which))}).", evidence)
        return ctx.passed(rg, f"{label} has automatic failover and Multi-AZ on.", evidence)

    def cluster(cc: Resource, scope: Scope) -> Result | None:
        if cc.get("ReplicationGroupId") is not None:
            return None  # a member: judged with its replication group
        label = f"ElastiCache cluster {cc.name}"
        engine = cc.get("Engine")
        nodes = number(cc.get("NumCacheNodes"))
        evidence = {
            "Engine": engine,
            "NumCacheNodes": cc.get("NumCacheNodes"),
            "AZMode": cc.get("AZMode"),
            "PreferredAvailabilityZones": cc.get("PreferredAvailabilityZones"),
        }
        if isinstance(nodes, Unknown) or nodes is None:
            why = nodes.reason if isinstance(nodes, Unknown) else "it sets none"
            return ctx.unknown(cc, f"{label}: its number of nodes is not known ({why}).", evidence)
        if nodes < 2:
            return ctx.fail(
                cc, f"{label} is a single node: losing its availability zone loses the cache.", evidence
            )
        mode = cc.get("AZMode")
        if mode == "cross-az":
            return ctx.passed(cc, f"{label} places its {nodes} nodes across availability zones.", evidence)
        preferred = cc.get("PreferredAvailabilityZones")
        spread = zones(preferred, "preferred zones").spread if preferred is not None else False
        if spread:
            return ctx.passed(cc, f"{label} places its nodes in more than one availability zone.", evidence)
        odd_mode = isinstance(mode, Unknown | Reference) or (isinstance(mode, str) and mode != "single-az")
        if odd_mode or spread is None:
            return ctx.unknown(
                cc, f"{label}: where its nodes are placed is not known ({show(mode)}).", evidence
            )
        return ctx.fail(
            cc, f"{label} keeps its {nodes} nodes in one availability zone (AZMode single-az).", evidence
        )

    yield from each(inventory, ctx, REPLICATION_GROUP, "ElastiCache replication groups", group)
    yield from each(inventory, ctx, CACHE_CLUSTER, "ElastiCache clusters", cluster)
