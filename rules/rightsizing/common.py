"""Plumbing shared by the rightsizing rules: the instance types a scope runs or declares,
with what the live account says of each type."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.instance_types import TypeInfo, from_ec2_api
from scanner.lib.metrics import MetricSummary
from scanner.model import (
    DB_INSTANCE,
    ENDPOINT,
    ENDPOINT_CONFIG,
    INSTANCE,
    INSTANCE_TYPE,
    LAUNCH_TEMPLATE,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext

TYPE_NEEDS = {INSTANCE: (), LAUNCH_TEMPLATE: (), DB_INSTANCE: (), ENDPOINT_CONFIG: (), INSTANCE_TYPE: ()}


@dataclass(frozen=True)
class Sized:
    """One instance type a resource uses: an EC2 instance or launch template, an RDS class,
    an endpoint configuration's variant (`variant` names it)."""

    resource: Resource
    value: Any  # the type as the source gives it (a string, a Reference, an Unknown)
    what: str  # "EC2 instance", "launch template", ...
    variant: str | None = None

    @property
    def label(self) -> str:
        where = f", variant {self.variant}" if self.variant else ""
        return f"{self.what} {self.resource.name}{where}"


# What `sized` reads; live endpoint configurations come with their endpoints' listing.
SIZED_TYPES = (
    (INSTANCE, "EC2 instances"),
    (LAUNCH_TEMPLATE, "launch templates"),
    (DB_INSTANCE, "RDS DB instances"),
    (ENDPOINT, "SageMaker endpoints"),
    (ENDPOINT_CONFIG, "SageMaker endpoint configurations"),
)


def sized(inventory: Inventory, scope: Scope) -> Iterator[Sized]:
    for r in inventory.of_type(INSTANCE, scope):
        state = r.observed.get("State")
        if state in ("terminated", "shutting-down"):
            continue
        if r.get("InstanceType") is None and r.get("LaunchTemplate") is not None:
            continue  # its type is the launch template's, judged there
        yield Sized(r, r.get("InstanceType"), "EC2 instance")
    for r in inventory.of_type(LAUNCH_TEMPLATE, scope):
        data = r.get("LaunchTemplateData")
        if isinstance(data, Mapping) and data.get("InstanceType") is None:
            continue  # instance requirements, or a type chosen at launch
        yield Sized(r, data.get("InstanceType") if isinstance(data, Mapping) else data, "launch template")
    for r in inventory.of_type(DB_INSTANCE, scope):
        if r.get("DBInstanceClass") is not None:
            yield Sized(r, r.get("DBInstanceClass"), "RDS DB instance")
    for r in inventory.of_type(ENDPOINT_CONFIG, scope):
        variants = r.get("ProductionVariants")
        for index, v in enumerate(variants if isinstance(variants, list) else []):
            if isinstance(v, Mapping) and v.get("InstanceType") is not None:
                name = v.get("VariantName")
                yield Sized(
                    r, v.get("InstanceType"), "SageMaker endpoint configuration", str(name or f"#{index + 1}")
                )


def live_types(inventory: Inventory, scope: Scope, resource: Resource) -> dict[str, TypeInfo] | None:
    """What DescribeInstanceTypes said of the types seen in the resource's region (live)."""
    if not scope.is_live:
        return None
    found: dict[str, TypeInfo] = {}
    for t in inventory.of_type(INSTANCE_TYPE, scope):
        if t.region == resource.region:
            found[t.name] = from_ec2_api(dict(t.properties))
    return found


def metric(resource: Resource, name: str, min_days: int) -> MetricSummary | Unknown:
    """A metric summary the live metrics phase stored on the resource, or why there is
    none to judge by (never read, read and failed, no datapoints, too few days)."""
    metrics = resource.observed.get("Metrics")
    if not isinstance(metrics, Mapping) or name not in metrics:
        return Unknown("its metrics were not read")
    return usable(metrics[name], min_days)


def usable(value: Any, min_days: int) -> MetricSummary | Unknown:
    """A stored series as a summary to judge by, or why it is not one. A look-back shorter
    than `min_days` asks for every one of its days instead (a 5-day window can hold no 7)."""
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, MetricSummary):
        return Unknown(f"the series is not a summary ({type(value).__name__})")
    if value.points == 0 or value.maximum is None:
        return Unknown(value.no_data_reason)
    min_days = min(min_days, value.lookback_days)
    if value.days_with_data < min_days:
        return Unknown(
            f"only {value.days_with_data} day(s) of data in the last {value.lookback_days} (at least {min_days} needed)"
        )
    return value


def summary_evidence(summary: MetricSummary, threshold: float, unit: str = "%") -> dict[str, Any]:
    return {
        "maximum": round(summary.maximum or 0.0, 2),
        "p95": round(summary.p95 or 0.0, 2),
        "mean": round(summary.mean or 0.0, 2),
        "days_with_data": summary.days_with_data,
        "lookback_days": summary.lookback_days,
        "period_seconds": summary.period,
        "threshold": threshold,
        "unit": unit,
    }


# judge(sized, type name, what the account says of that type, what it says of every type
# seen in the region): one result.
TypeJudge = Callable[[Sized, str, TypeInfo | None, dict[str, TypeInfo] | None], Result]


def per_type(inventory: Inventory, ctx: RuleContext, judge: TypeJudge) -> Iterator[Result]:
    """One result per instance type used (see `sized`); unknown where the type is not known."""
    for scope in inventory.scopes:
        for s in sized(inventory, scope):
            if not isinstance(s.value, str):
                yield ctx.unknown(
                    s.resource,
                    f"{s.label}: its type is not known ({show(s.value)}).",
                    {},
                    discriminator=s.variant,
                )
                continue
            live = live_types(inventory, scope, s.resource)
            yield judge(s, s.value, live.get(s.value) if live else None, live)
        # What could not be listed has no result of its own: an unknown per type and region
        # says so (a failed DescribeInstances made RS008/RS009's instances vanish silently).
        for rtype, noun in SIZED_TYPES:
            yield from ctx.gap_unknowns(inventory, scope, rtype, noun)
