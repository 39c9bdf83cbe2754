"""Plumbing shared by the CloudTrail rules: iterate trails, choose the result's subject."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scanner.inventory import Inventory
from scanner.lib.trails import TRAIL, TrailView, own_trails
from scanner.model import Result, Scope
from scanner.rule import RuleContext

TRAIL_BASE = {TRAIL: ()}
TRAIL_STATUS = {TRAIL: ("status",)}
TRAIL_SELECTORS = {TRAIL: ("status", "selectors")}


def label(v: TrailView) -> str:
    """How a message names a trail: live trails with their home region."""
    if v.resource.origin.source == "aws":
        return f"Trail {v.resource.name} ({v.home_region})"
    return f"Trail {v.resource.name}"


def per_trail(
    inventory: Inventory, ctx: RuleContext, judge: Callable[[TrailView, Scope], Result]
) -> Iterator[Result]:
    """One result per trail the scope owns, plus an unknown per region where trails
    could not be listed."""
    for scope in inventory.scopes:
        for v in own_trails(inventory, scope):
            yield judge(v, scope)
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, TRAIL, "Trails")
