"""Plumbing shared by the AZ rules: iterate one type per scope, turn a zone reading into a
verdict, name resources the way messages do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.zones import Zones
from scanner.model import Resource, Result, Scope
from scanner.rule import RuleContext


def each(
    inventory: Inventory,
    ctx: RuleContext,
    resource_type: str,
    noun: str,
    judge: Callable[[Resource, Scope], Result | None],
) -> Iterator[Result]:
    """One judgement per resource of the type in every scope, and an unknown per account
    and region where the type could not be listed."""
    for scope in inventory.scopes:
        for resource in inventory.of_type(resource_type, scope):
            result = judge(resource, scope)
            if result is not None:
                yield result
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, resource_type, noun)


def spread_verdict(
    ctx: RuleContext,
    resource: Resource,
    label: str,
    found: Zones,
    evidence: dict[str, Any] | None = None,
    **kw: Any,
) -> Result:
    """Pass in two zones or more, fail in fewer, unknown when the zones are not known."""
    evidence = {**(evidence or {}), **found.evidence()}
    spread = found.spread
    if spread:
        return ctx.passed(
            resource, f"{label} spans {found.count} availability zones ({found.describe()}).", evidence, **kw
        )
    if spread is None:
        return ctx.unknown(
            resource,
            f"{label}: how many availability zones it spans is not known: {found.describe()}.",
            evidence,
            **kw,
        )
    where = (
        f"one availability zone ({found.describe()})"
        if found.count
        else "no availability zone: it names none"
    )
    return ctx.fail(
        resource,
        f"{label} is in {where}: losing that zone takes it down.",
        evidence,
        **kw,
    )


# DescribeDBInstances/DescribeDBClusters also list DocumentDB and Neptune: not RDS, not judged.
NOT_RDS_ENGINES = ("docdb", "neptune")


def is_rds(resource: Resource) -> bool:
    engine = resource.get("Engine")
    return not (isinstance(engine, str) and engine.startswith(NOT_RDS_ENGINES))
