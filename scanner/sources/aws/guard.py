"""The read-only guard and the API call counter.

Every API call passes through a botocore hook before anything is built or sent.
The hook refuses any operation that is not on the allow-list (the operations the
collectors declare) or whose name is not a read, and counts the rest per operation.
A refused call is a bug in opscheck, never something a scan should ever do.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

READ_PREFIXES = ("Describe", "Get", "List", "Lookup", "BatchGet", "Head")
# Operations that read although their names do not say so.
READ_EXCEPTIONS = frozenset({("sts", "AssumeRole")})
# Reads by name that mint credentials or change state; never allowed.
NEVER = frozenset({("sts", "GetFederationToken"), ("sts", "GetSessionToken")})
# botocore service names whose IAM action prefix differs.
IAM_PREFIX = {"elb": "elasticloadbalancing", "elbv2": "elasticloadbalancing", "efs": "elasticfilesystem"}


@dataclass(frozen=True)
class Operation:
    """An API operation a collector calls, e.g. Operation("cloudtrail", "DescribeTrails")."""

    service: str  # the botocore service name, as in boto3.client(service)
    name: str  # the API operation name (CamelCase)
    iam_action: str | None = None  # when the IAM action differs from service:name

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def action(self) -> str:
        """The IAM action that permits the call (what `opscheck iam-policy` prints)."""
        return self.iam_action or f"{IAM_PREFIX.get(self.service, self.service)}:{self.name}"


def is_read_only(service: str, operation: str) -> bool:
    if (service, operation) in NEVER:
        return False
    if (service, operation) in READ_EXCEPTIONS:
        return True
    return operation.startswith(READ_PREFIXES)


class ReadOnlyViolation(RuntimeError):
    """An attempt to call an operation that is not a declared read."""


class CallGuard:
    """Allow-list check and per-operation counting, shared by all clients of a scan."""

    def __init__(self, allowed: Iterable[Operation]) -> None:
        self.allowed: frozenset[tuple[str, str]] = frozenset()
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.allow(allowed)

    def allow(self, operations: Iterable[Operation]) -> None:
        ops = list(operations)
        bad = [op.key for op in ops if not is_read_only(op.service, op.name)]
        if bad:
            raise ReadOnlyViolation(f"declared operations are not read-only: {', '.join(sorted(bad))}")
        with self._lock:
            self.allowed = self.allowed | {(op.service, op.name) for op in ops}

    def check(self, model: Any, **_: Any) -> None:
        """botocore handler: refuse, or count and let through."""
        service = model.service_model.service_name
        name = model.name
        key = f"{service}:{name}"
        if (service, name) not in self.allowed or not is_read_only(service, name):
            with self._lock:
                self.refused[key] += 1
            raise ReadOnlyViolation(
                f"opscheck refused to call {key}: not a declared read-only operation (this is a bug)"
            )
        with self._lock:
            self.calls[key] += 1

    def install(self, events: Any) -> None:
        """Register on a boto3/botocore event system, before clients are created.

        `before-parameter-build` is emitted once per API call, before `before-call`, whose
        handlers may answer a call without sending it; the guard sees every call first.
        """
        events.register_first("before-parameter-build", self.check, unique_id="opscheck-read-only-guard")

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.calls.items()))
