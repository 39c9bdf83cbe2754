"""Suppressions: inline `opscheck:ignore` written in the scanned code (config-file
suppressions and baselines arrive with the operations issue). A suppression marks a
result; it never removes it, and an expired one stops suppressing and says so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

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
