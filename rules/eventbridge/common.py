"""Plumbing shared by the EventBridge rules: iterate (rule, target) pairs, name them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from scanner.inventory import Inventory
from scanner.lib import event_targets as kinds
from scanner.lib.event_targets import TargetKind
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


def per_target(
    inventory: Inventory, ctx: RuleContext, judge: Judge, kind: TargetKind | None = None
) -> Iterator[Result]:
    """One result per target of every rule; an unknown where the targets themselves are not
    known (an IaC value set at deployment) or where rules could not be listed. A rule about
    one `kind` of target also answers unknown for a target whose kind cannot be told (its
    ARN is a variable, or a reference to something not declared)."""
    from scanner.lib import delivery

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
                if result is None and kind is not None:
                    result = _kind_not_known(ctx, delivery.read(inventory, scope, rule, target), kind)
                if result is None:
                    continue
                result.discriminator = target_key(target, index)
                result.evidence.setdefault("target", {"Id": target.get("Id"), "Arn": target.get("Arn")})
                yield result
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, EVENT_RULE, "EventBridge rules")


def _kind_not_known(ctx: RuleContext, d: Any, kind: TargetKind) -> Result | None:
    if d.kind is not kinds.UNKNOWN or d.parsed.parsed is not None:
        return None  # a literal ARN of another service, or a declared resource of another kind
    return ctx.unknown(
        d.rule,
        f"{rule_label(d.rule)}, {d.label}: what the target is cannot be told from its ARN, so whether it is a "
        f"{kind.label} that EventBridge may deliver to is not known.",
        {"rule_arn": d.rule_arn},
    )


def judge_policy_and_key(
    inventory: Inventory,
    ctx: RuleContext,
    rule: Resource,
    target: Mapping[str, Any],
    scope: Scope,
    kind: Any,
    action: str,
    key_actions: tuple[str, ...],
) -> Result | None:
    """EB002/EB003: a topic or queue target takes events when EventBridge may call `action`
    (through an execution role, judged by EB006/EB007, or the target's resource policy) and
    may use the KMS key that encrypts it."""
    from scanner.lib import delivery

    d = delivery.read(inventory, scope, rule, target)
    if d.kind is not kind:
        return None
    where = f"{rule_label(rule)}, {d.label}"
    role = target.get("RoleArn")
    if isinstance(role, Unknown):
        return ctx.unknown(
            rule, f"{where}: whether it uses an execution role is not known ({show(role)}).", {}
        )
    if role is not None:
        access = delivery.Verdict(
            True, f"it delivers through execution role {show(role)} (EB006/EB007 judge it)", {}
        )
    else:
        access = delivery.resource_policy_allows(inventory, d, action)
    owner = d.resource if d.resource is not None else None
    key = delivery.key_allows(inventory, d, owner, key_actions)
    if role is not None and key.allowed is False:
        # With an execution role the key policy may defer to IAM (the role's own KMS
        # permissions): how that works for SNS/SQS delivery is not documented (facts file).
        key = delivery.Verdict(
            None,
            f"{key.why}; with an execution role the role's KMS permissions may decide instead",
            key.evidence,
        )
    evidence = {"rule_arn": d.rule_arn, "access": access.evidence, "kms": key.evidence}
    if access.allowed is False:
        evidence["fix"] = delivery.fix(d, action)
        return ctx.fail(rule, f"{where}: EventBridge may not call {action} on it ({access.why}).", evidence)
    if key.allowed is False:
        return ctx.fail(rule, f"{where}: {key.why}, so EventBridge cannot deliver to it.", evidence)
    if access.allowed is None or key.allowed is None:
        why = access.why if access.allowed is None else key.why
        return ctx.unknown(
            rule, f"{where}: whether EventBridge can deliver to it is not known: {why}.", evidence
        )
    return ctx.passed(rule, f"{where}: EventBridge may call {action} on it, and {key.why}.", evidence)
