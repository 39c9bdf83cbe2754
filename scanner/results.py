"""What a scan produced, independent of where it came from: reports and exit codes read
this, never a source."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Result, ScanError, Severity, Status
from scanner.rule import RuleMeta


@dataclass
class ScanOutcome:
    mode: str  # "aws" | "iac"
    targets: list[dict[str, Any]]
    rules: list[RuleMeta]
    results: list[Result]
    errors: list[ScanError]
    resources: int
    started_at: str
    finished_at: str
    duration_s: float
    api_calls: dict[str, int] | None = None
    scan_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Set when nothing at all could be scanned (exit code 2).
    fatal: str | None = None
    # Who ran it, as far as known: {"user": OS user, "aws_principal": caller ARN}.
    run_by: dict[str, str] = field(default_factory=dict)
    # The scan's directory from the root of its git work tree ("." at the root; None
    # outside git): reports turn cwd-relative paths into repository-relative ones with it.
    cwd_from_repository_root: str | None = None
    # What each opscheck.yml suppression did: active, expired or unused (SuppressionUse.to_dict).
    suppressions: list[dict[str, Any]] = field(default_factory=list)
    # What --baseline did (Baseline.apply), or None without one.
    baseline: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        return summarize(self.results)


def summarize(results: list[Result]) -> dict[str, Any]:
    return summarize_rows(
        (r.rule_id, r.status.value, r.severity.value, r.suppression is not None) for r in results
    )


def summarize_rows(rows: Iterable[tuple[str, str, str, bool]]) -> dict[str, Any]:
    """The document's summary from (rule id, status, severity, suppressed) of each result:
    also what `opscheck merge` recounts from documents."""
    counts: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    by_rule: dict[str, Counter[str]] = {}
    for rule_id, status, severity, suppressed in rows:
        rule_counts = by_rule.setdefault(rule_id, Counter())
        if suppressed:
            counts["suppressed"] += 1
            rule_counts["suppressed"] += 1
            continue
        counts[status] += 1
        rule_counts[status] += 1
        if status == Status.FAIL.value:
            by_severity[severity] += 1
    return {
        "fail": counts["fail"],
        "pass": counts["pass"],
        "unknown": counts["unknown"],
        "suppressed": counts["suppressed"],
        "by_severity": {s.value: by_severity[s.value] for s in Severity},
        "by_rule": {
            rid: {k: c[k] for k in ("fail", "pass", "unknown", "suppressed")}
            for rid, c in sorted(by_rule.items())
        },
    }


def exit_code(outcome: ScanOutcome, fail_on: str, strict: bool) -> int:
    """INTERFACE.md: 0 clean, 1 an unsuppressed fail at or above --fail-on, 2 nothing scanned
    (or, with --strict, any scan error)."""
    if outcome.fatal or (strict and outcome.errors):
        return 2
    if fail_on == "none":
        return 0
    threshold = Severity(fail_on).rank
    for r in outcome.results:
        if r.status == Status.FAIL and r.suppression is None and r.severity.rank >= threshold:
            return 1
    return 0
