"""Does a property value name a resource? One answer for every rule that follows a name,
an ARN, a queue URL or a reference from one resource to another (IaC and live alike)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.arn import parse_arn
from scanner.model import Reference, Resource, Scope, Unknown


def refers_to(value: Any, resource: Resource, names: Iterable[str] = ()) -> bool | None:
    """Does a property value (an ARN, a name, a URL, a reference) name this resource?
    None when it cannot be told (an unknown value, a reference without a target)."""
    if isinstance(value, Reference):
        if not value.target:
            return None
        if value.target == resource.id:
            return True
        # `aws_rds_cluster.c` for one instance `aws_rds_cluster.c["x"]` (a splat, or an index
        # not known before apply): maybe this one.
        return None if resource.id.startswith(value.target + "[") else False
    if isinstance(value, Unknown):
        return None
    if not isinstance(value, str):
        return False
    known = {resource.id, resource.name, *names}
    if isinstance(resource.observed.get("Arn"), str):
        known.add(resource.observed["Arn"])
    return value in known or _named_in(value) in known


def _named_in(value: str) -> str | None:
    """The resource name a literal ARN or SQS queue URL carries: `...:function:NAME[:Q]`,
    `...:topic-or-queue-name`, `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`."""
    if value.startswith("https://") and "/" in value.rstrip("/"):
        return value.rstrip("/").rsplit("/", 1)[-1]
    parsed = parse_arn(value)
    if parsed is None:
        return None
    if parsed.service == "lambda" and parsed.resource.startswith("function:"):
        return parsed.resource.split(":")[1]
    return parsed.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def named_resource(
    inventory: Inventory, scope: Scope, value: Any, rtype: str | None = None
) -> Resource | None:
    """The scanned resource a value names by reference (IaC: the declared resource it points
    at) or by id (live: ARNs and AWS ids are resource ids); None when it names none (of
    `rtype`, when given), or cannot be told."""
    if isinstance(value, Reference):
        found = inventory.get(value.target, scope) if value.target else None
    elif isinstance(value, str):
        found = inventory.get(value, scope)
    else:
        found = None
    if found is None or (rtype is not None and found.type != rtype):
        return None
    return found
