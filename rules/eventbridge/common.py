"""Plumbing shared by the EventBridge rules: iterate (rule, target) pairs, name them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from scanner.inventory import Inventory
from scanner.model import EVENT_RULE, Reference, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext

RULES = {EVENT_RULE: ()}

# A judge returns None for a target the rule does not concern (EB001 judges Lambda targets only).
Judge = Callable[[Resource, Mapping[str, Any], Scope], Result | None]


def rule_label(rule: Resource) -> str:
    bus = rule.get("EventBusName")
    on_bus = f" on bus {show(bus)}" if bus not in (None, "default") else ""
    return f"EventBridge rule {rule.name}{on_bus}"


def target_label(target: Mapping[str, Any]) -> str:
    return f"target {show(target.get('Id'))} ({show(target.get('Arn'))})"


def target_key(target: Mapping[str, Any], index: int) -> str:
    """The discriminator of a (rule, target) result: the target id, unique within a rule."""
    ident = target.get("Id")
    return ident if isinstance(ident, str) else f"#{index}"


def per_target(inventory: Inventory, ctx: RuleContext, judge: Judge) -> Iterator[Result]:
    """One result per target of every rule; an unknown where the targets themselves are not
    known (an IaC value set at deployment) or where rules could not be listed."""
    for scope in inventory.scopes:
        for rule in inventory.of_type(EVENT_RULE, scope):
            targets = rule.get("Targets")
            if isinstance(targets, Unknown | Reference):
                yield ctx.unknown(
                    rule, f"{rule_label(rule)}: its targets are not known ({show(targets)}).", {}
                )
                continue
            for index, target in enumerate(targets or []):
                if not isinstance(target, Mapping):
                    yield ctx.unknown(
                        rule,
                        f"{rule_label(rule)}: target #{index + 1} is not known ({show(target)}).",
                        {},
                        discriminator=f"#{index}",
                    )
                    continue
                result = judge(rule, target, scope)
                if result is None:
                    continue
                result.discriminator = target_key(target, index)
                result.evidence.setdefault("target", {"Id": target.get("Id"), "Arn": target.get("Arn")})
                yield result
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, EVENT_RULE, "EventBridge rules")
