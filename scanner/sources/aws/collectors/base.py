"""What every collector gets (a context to call AWS and to emit results) and declares."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore import xform_name

from scanner.model import CollectionGap, Origin, Resource, ScanError, Unknown
from scanner.sources.aws.errors import ApiFailure, to_scan_error
from scanner.sources.aws.guard import Operation, ReadOnlyViolation
from scanner.sources.aws.pagination import bounded
from scanner.sources.aws.runner import Task
from scanner.sources.aws.session import AccountSession


@dataclass
class Sink:
    """Thread-safe collection of what the collectors found."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    gaps: list[CollectionGap] = field(default_factory=list)
    # Parts of one resource that two independent reads fill (a log group listed for its
    # retention, and read for its policy because a target names it), joined by `join_parts`.
    parts: list[tuple[Resource, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Told of each error as it is recorded (the progress display and --verbose).
    listener: Callable[[ScanError], None] | None = None

    def add(self, resource: Resource) -> None:
        with self._lock:
            self.resources.append(resource)

    def add_part(self, resource: Resource, primary: bool) -> None:
        with self._lock:
            self.parts.append((resource, primary))

    def join_parts(self) -> None:
        """Every resource emitted in parts becomes one, once the reads are done (no thread
        fills a part any more): the primary part (the listing) is the base, with its origin
        and raw answer; the others add the properties and observed facts it lacks."""
        with self._lock:
            groups: dict[tuple[str, str], list[tuple[Resource, bool]]] = {}
            for resource, primary in self.parts:
                groups.setdefault((resource.type, resource.id), []).append((resource, primary))
            self.parts = []
            for pieces in groups.values():
                ordered = [r for r, p in pieces if p] + [r for r, p in pieces if not p]
                base = ordered[0]
                for other in ordered[1:]:
                    for key, value in other.properties.items():
                        base.properties.setdefault(key, value)
                    for key, value in other.observed.items():
                        base.observed.setdefault(key, value)
                self.resources.append(base)

    def error(self, error: ScanError) -> None:
        with self._lock:
            self.errors.append(error)
        if self.listener is not None:
            self.listener(error)

    def gap(self, gap: CollectionGap, report: bool = True) -> None:
        """Record a gap; `report=False` when its error is already reported (one failed
        listing that leaves several resource types unseen)."""
        with self._lock:
            self.gaps.append(gap)
            if report:
                self.errors.append(gap.error)
        if report and self.listener is not None:
            self.listener(gap.error)


class CollectContext:
    """A collector's window on one account: calls (counted, guarded) and a sink."""

    def __init__(
        self,
        session: AccountSession,
        sink: Sink,
        regions: list[str],
        needs: Mapping[str, frozenset[str]],
    ) -> None:
        self.session = session
        self.sink = sink
        self.regions = regions
        self.needs = needs
        self.account_id = session.account_id
        self.partition = session.partition
        self.scope_id = session.account_id
        # What has been claimed for reading in this scan (see `claim`). Per scan, not per
        # process: collectors are module-level singletons shared by every scan.
        self._claimed: set[Hashable] = set()
        self._claim_lock = threading.Lock()

    def claim(self, key: Hashable) -> bool:
        """True for the first caller that claims `key` in this scan, False for every later one.

        Reads that several resources lead to (a queue two targets name, a role two rules
        use) claim the resource before scheduling its read, so it is read once per scan
        whichever collector or thread gets there first."""
        with self._claim_lock:
            if key in self._claimed:
                return False
            self._claimed.add(key)
            return True

    def wants(self, resource_type: str, facet: str | None = None) -> bool:
        if resource_type not in self.needs:
            return False
        return facet is None or facet in self.needs[resource_type]

    def call(
        self, service: str, region: str, operation: str, subject: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """One API call; failures raise ApiFailure carrying a ready scan error."""
        client = self.session.client(service, region)
        method = getattr(client, xform_name(operation))
        try:
            return method(**params)
        except ReadOnlyViolation:
            raise
        except Exception as exc:
            raise to_scan_error(
                exc,
                service=service,
                operation=operation,
                region=region,
                account_id=self.account_id,
                subject=subject,
            ) from exc

    def paginate(
        self,
        service: str,
        region: str,
        operation: str,
        result_key: str,
        subject: str | None = None,
        **params: Any,
    ) -> list[Any]:
        """All pages of a list call, through botocore's paginator where one exists."""
        client = self.session.client(service, region)
        name = xform_name(operation)
        items: list[Any] = []
        try:
            if client.can_paginate(name):
                for page in bounded(client.get_paginator(name).paginate(**params)):
                    items.extend(page.get(result_key) or [])
            else:
                items.extend(getattr(client, name)(**params).get(result_key) or [])
        except ReadOnlyViolation:
            raise
        except Exception as exc:
            raise to_scan_error(
                exc,
                service=service,
                operation=operation,
                region=region,
                account_id=self.account_id,
                subject=subject,
            ) from exc
        return items

    def emit(self, resource: Resource) -> None:
        self.sink.add(resource)

    def emit_part(self, resource: Resource, primary: bool = False) -> None:
        """Emit one part of a resource that another read may emit a part of too (same type
        and id); the scan joins them into one (`Sink.join_parts`), `primary` as the base."""
        self.sink.add_part(resource, primary)

    def gap(self, resource_type: str, region: str | None, failure: ApiFailure, *also: str) -> None:
        """`resource_type` could not be (fully) listed; `also`: further types the same
        failure leaves unseen (its error is reported once)."""
        self.sink.gap(CollectionGap(resource_type, self.scope_id, failure.error, region))
        for other in also:
            self.sink.gap(CollectionGap(other, self.scope_id, failure.error, region), report=False)

    def internal(self, what: str, exc: BaseException, region: str | None = None) -> ApiFailure:
        """A failure inside opscheck itself (a bug), described like an API failure."""
        error = ScanError(
            kind="internal",
            message=f"{what} failed inside opscheck: {type(exc).__name__}: {exc} (please report it)",
            account_id=self.account_id,
            region=region,
        )
        return ApiFailure(error, None)

    def error(self, failure: ApiFailure) -> Unknown:
        """Record a failed read and return the Unknown to store in its place."""
        self.sink.error(failure.error)
        return Unknown(failure.error.message)

    def origin(self, service: str, operation: str) -> Origin:
        return Origin(source="aws", api=f"{service}:{operation}")

    def resource(self, **kwargs: Any) -> Resource:
        kwargs.setdefault("scope", self.scope_id)
        kwargs.setdefault("account_id", self.account_id)
        kwargs.setdefault("partition", self.partition)
        return Resource(**kwargs)


class Collector:
    """Declares what it produces and which operations it calls; yields its first tasks."""

    name: ClassVar[str]
    resource_types: ClassVar[tuple[str, ...]]
    operations: ClassVar[tuple[Operation, ...]]
    # Extra reads a rule can ask for, per resource type (see RuleMeta.needs).
    facets: ClassVar[dict[str, frozenset[str]]] = {}

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        raise NotImplementedError


def jsonable(value: Any) -> Any:
    """API responses with datetimes turned into ISO-8601 strings (UTC)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def parse_document(value: Any) -> Any:
    """A policy document (or event pattern) as the model stores it: parsed when the API
    gives JSON text (IAM's URL-encoded text too), else as given; None stays None."""
    if not isinstance(value, str):
        return value
    for text in (value, urllib.parse.unquote(value)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return value
