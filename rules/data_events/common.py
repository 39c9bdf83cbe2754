"""Plumbing shared by the data-event rules: the account-wide verdict and one per resource,
both from the shared selector matcher (scanner.lib.selectors via scanner.lib.trails)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.selectors import Direction, Level, Target
from scanner.lib.trails import (
    TRAIL,
    TrailCoverage,
    account_name,
    account_subject,
    data_event_coverage,
    trail_listing,
)
from scanner.model import Resource, ResourceRef, Result, Severity, Unknown
from scanner.rule import RuleContext

DATA_NEEDS = {TRAIL: ("status", "selectors")}


def verdict(
    ctx: RuleContext,
    subject: Resource | ResourceRef,
    who: str,
    what: str,
    cov: TrailCoverage,
    evidence: dict[str, Any] | None = None,
    severity: Severity | None = None,
    every: str | None = None,
) -> Result:
    """Turn a coverage level into a result: full passes, partial and none fail, unknown says why.

    `every` names the resource kind for account-wide verdicts ("bucket"): every resource
    of the kind, now and later, must be recorded by a multi-region logging trail.
    """
    ev = {**(evidence or {}), **cov.evidence()}
    scope = f" for every {every}" if every else ""
    if cov.level == Level.FULL:
        return ctx.passed(subject, f"{who}: {what} are recorded{scope} by a logging trail.", ev)
    if cov.level == Level.UNKNOWN:
        reasons = "; ".join(cov.unknown_reasons)
        return ctx.unknown(subject, f"{who}: whether {what} are recorded{scope} is unknown ({reasons}).", ev)
    if cov.level == Level.PARTIAL:
        partly = (
            f"only for some {every}s, not for every {every} now and later"
            if every
            else "only partially (selectors narrow them to some objects or events)"
        )
        return ctx.fail(subject, f"{who}: {what} are recorded {partly}.", ev, severity=severity)
    by = "any multi-region logging trail" if every else "any logging trail that covers it"
    return ctx.fail(subject, f"{who}: {what} are not recorded{scope} by {by}.", ev, severity=severity)


def account_and_each(
    inventory: Inventory,
    ctx: RuleContext,
    *,
    resource_type: str,
    noun: str,
    what: str,
    direction: Direction | None,
    all_target: Callable[[str], Target],
    one_target: Callable[[Resource], Target],
) -> Iterator[Result]:
    """The account-wide result (multi-region logging trails recording every resource of
    the type, now and later) and one result per resource of the type."""
    for scope in inventory.scopes:
        listing = trail_listing(inventory, scope)
        subject = account_subject(scope, listing)
        if subject is not None:
            cov = data_event_coverage(listing, all_target(scope.partition), direction, region=None)
            yield verdict(ctx, subject, account_name(scope), what, cov, every=noun)
        if not scope.is_live:
            continue  # IaC: the configuration-level result is the verdict (RULES.md)
        for resource in inventory.of_type(resource_type, scope):
            region = resource.region or Unknown(f"the region of {noun} {resource.name} is not known")
            cov = data_event_coverage(listing, one_target(resource), direction, region=region)
            yield verdict(ctx, resource, f"{noun.capitalize()} {resource.name}", what, cov)
        yield from ctx.gap_unknowns(inventory, scope, resource_type, f"{noun.capitalize()}s")
