"""Follow-up reads: resources a collector reads because something it listed names them
(the queue, role or key behind an EventBridge target), never by listing their type.

Three rules hold for every such read:
- once per scan: the reader claims the resource (`CollectContext.claim`) before scheduling
  its read, however many references lead to it;
- only the scanned account, and only scanned regions: a reference elsewhere is noted on the
  resource that makes it (observed `NotRead`) and nothing is recorded for it, so rules find
  nothing and answer unknown;
- nothing is silently empty: a read that fails leaves an `Unknown` with the reason in the
  property it would have filled; a resource the service says does not exist is emitted with
  `exists=False` (and its unread properties None), so "read and absent" (a function with no
  policy) is told apart from "not read".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from scanner.model import Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.runner import Task

# What a property (or `exists`) holds until its read answers; compared by identity.
NOT_READ = Unknown("not read")


def unreadable(ctx: CollectContext, account: str | None, region: str | None) -> str | None:
    """Why a resource in this account/region is not read by this scan; None when it is.
    `region` None: a global resource (IAM)."""
    if account != ctx.account_id:
        return (
            f"in account {account or '(none)'}, not the scanned account {ctx.account_id}: "
            "opscheck reads only the account it scans"
        )
    if region is not None and region not in ctx.regions:
        return f"in region {region or '(none)'}, which this scan does not cover"
    return None


def note_not_read(resource: Resource, arn: str, reason: str) -> None:
    """Record on `resource` that a resource it names was deliberately not read."""
    entry = {"Arn": arn, "Reason": reason}
    notes = resource.observed.setdefault("NotRead", [])
    if entry not in notes:
        notes.append(entry)


def failed(resources: Iterable[Resource], unknown: Unknown) -> None:
    """What is still unread becomes `unknown` (the read that would have filled it failed)."""
    for resource in resources:
        for key, value in resource.properties.items():
            if value is NOT_READ:
                resource.properties[key] = unknown
        if resource.exists is NOT_READ:
            resource.exists = unknown


def absent(resource: Resource, failure: ApiFailure | str) -> None:
    """The service says the resource does not exist: emitted as such, not left out."""
    resource.exists = False
    for key, value in resource.properties.items():
        if value is NOT_READ:
            resource.properties[key] = None
    message = failure if isinstance(failure, str) else failure.error.message
    resource.observed["NotFound"] = message


def read_and_emit(
    ctx: CollectContext,
    what: str,
    region: str | None,
    resources: list[Resource],
    fill: Callable[[], Iterable[Task] | None],
    *,
    part: bool = False,
) -> list[Task]:
    """Run `fill` (the reads), then emit `resources` as `fill` left the list, whatever
    happened. A crash inside opscheck turns whatever is still unread into an Unknown that
    names the crash; the follow-ups `fill` returned are scheduled. `part`: each resource is
    a part another read may fill too (`CollectContext.emit_part`)."""
    tasks: list[Task] = []
    try:
        tasks = list(fill() or ())
    except Exception as exc:
        failed(resources, ctx.error(ctx.internal(what, exc, region)))
    for resource in resources:
        if part:
            ctx.emit_part(resource)
        else:
            ctx.emit(resource)
    return tasks


def present(resource: Resource) -> None:
    """The resource's main read answered: it exists."""
    if resource.exists is NOT_READ:
        resource.exists = True


def value_or_drop(resource: Resource, key: str, value: Any) -> None:
    """Set a property, or remove it when the API reports nothing for it (not set)."""
    if value is None or value == "":
        resource.properties.pop(key, None)
    else:
        resource.properties[key] = value
