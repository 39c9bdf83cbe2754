"""Suppressions: inline `opscheck:ignore` written in the scanned code, and the entries of
`suppressions:` in opscheck.yml. A suppression marks a result; it never removes it, and an
expired one stops suppressing and says so."""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scanner.config import ConfigSuppression
from scanner.model import InlineSuppression, Result, ScanError, Status, Suppression


def apply_inline(
    results: Iterable[Result], suppressions: Iterable[InlineSuppression], today: dt.date
) -> list[ScanError]:
    """Mark fails and unknowns suppressed by an inline entry on the same resource (same file)."""
    errors: list[ScanError] = []
    index: dict[tuple[str, str, str], InlineSuppression] = {}
    for s in suppressions:
        if s.expires is not None and _date(s.expires) is None:
            errors.append(
                ScanError(
                    kind="config",
                    message=f"{s.path}: opscheck:ignore {s.rule_id} on "
                    f"{s.resource_id}: `until` must be YYYY-MM-DD, got {s.expires!r}; ignored",
                    path=s.path,
                    line=s.line,
                )
            )
            continue
        index[(s.path, s.resource_id, s.rule_id)] = s
    for r in results:
        if r.status == Status.PASS or r.location is None:
            continue
        s = index.get((r.location.path, r.resource.id, r.rule_id))
        if s is None:
            continue
        expires = _date(s.expires) if s.expires else None
        if expires is not None and expires < today:
            r.evidence["suppression_expired"] = {
                "source": "inline",
                "reason": s.reason,
                "expired": s.expires,
                "line": s.line,
            }
            continue
        r.suppression = Suppression(
            source="inline", reason=s.reason or "(no reason given)", expires=s.expires
        )
    return errors


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


@dataclass
class SuppressionUse:
    """What one configuration suppression did in a scan: reports list expired and unused ones
    so stale exceptions get cleaned up."""

    entry: ConfigSuppression
    suppressed: int = 0  # results it suppresses
    expired_matches: int = 0  # results it would suppress had it not expired

    def status(self, today: dt.date) -> str:
        if self.entry.expires is not None and self.entry.expires < today:
            return "expired"
        return "active" if self.suppressed else "unused"

    def to_dict(self, today: dt.date, path: str | None) -> dict[str, Any]:
        e = self.entry
        return {
            "source": "config",
            "path": path,
            "line": e.line,
            "rule": e.rule,
            "resource": e.resource,
            "account": e.account,
            "region": e.region,
            "tags": dict(sorted(e.tags.items())),
            "reason": e.reason,
            "owner": e.owner,
            "expires": e.expires.isoformat() if e.expires else None,
            "status": self.status(today),
            "results": self.suppressed or self.expired_matches,
        }


TagLookup = Callable[[Result], Mapping[str, str] | None]


def apply_config(
    results: Iterable[Result], entries: Sequence[ConfigSuppression], tags_of: TagLookup, today: dt.date
) -> list[SuppressionUse]:
    """Mark fails and unknowns matched by a configuration suppression (the first entry that
    matches wins; an inline suppression, already applied, stays). An expired entry leaves the
    result unsuppressed and says so in its evidence."""
    uses = [SuppressionUse(e) for e in entries]
    if not uses:
        return uses
    for r in results:
        if r.status == Status.PASS or r.suppression is not None:
            continue
        for use in uses:
            if not _matches(use.entry, r, tags_of):
                continue
            e = use.entry
            if e.expires is not None and e.expires < today:
                use.expired_matches += 1
                r.evidence.setdefault(
                    "suppression_expired",
                    {
                        "source": "config",
                        "reason": e.reason,
                        "expired": e.expires.isoformat(),
                        "line": e.line,
                    },
                )
                continue
            use.suppressed += 1
            r.suppression = Suppression(
                source="config",
                reason=e.reason,
                expires=e.expires.isoformat() if e.expires else None,
                owner=e.owner,
            )
            break
    return uses


def _matches(e: ConfigSuppression, r: Result, tags_of: TagLookup) -> bool:
    ref = r.resource
    if not fnmatch.fnmatchcase(r.rule_id, e.rule):
        return False
    if e.resource is not None and not any(
        fnmatch.fnmatchcase(v, e.resource) for v in (ref.id, ref.name) if v
    ):
        return False
    for want, got in ((e.account, ref.account_id), (e.region, ref.region)):
        if want is not None and (got is None or not fnmatch.fnmatchcase(got, want)):
            return False
    if e.tags:
        tags = tags_of(r) or {}  # tags not read: the entry cannot be shown to match
        return all(k in tags and fnmatch.fnmatchcase(str(tags[k]), v) for k, v in e.tags.items())
    return True
