"""One scan, end to end: source -> inventory -> rules -> outcome (what reports render)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from scanner import engine
from scanner.model import Result, ScanError, Severity, Status
from scanner.rule import Rule, RuleMeta
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import SourceUnavailable, collect_account, unsupported_needs


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

    def summary(self) -> dict[str, Any]:
        return summarize(self.results)


def summarize(results: list[Result]) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    by_rule: dict[str, Counter[str]] = {}
    for r in results:
        rule_counts = by_rule.setdefault(r.rule_id, Counter())
        if r.suppression is not None:
            counts["suppressed"] += 1
            rule_counts["suppressed"] += 1
            continue
        counts[r.status.value] += 1
        rule_counts[r.status.value] += 1
        if r.status == Status.FAIL:
            by_severity[r.severity.value] += 1
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def scan_aws(
    options: AwsOptions, rules: list[Rule], extra_errors: list[ScanError] | None = None
) -> ScanOutcome:
    """Scan one live account with the given rules."""
    started, t0 = _now(), time.monotonic()
    errors = list(extra_errors or [])
    runnable = []
    for r in rules:
        missing = unsupported_needs(r.meta.needs)
        if missing:  # it would judge an empty world: say so instead of running it
            errors.append(
                ScanError(
                    kind="config",
                    message=f"rule {r.id} not run: the live AWS source does not collect {', '.join(missing)}",
                )
            )
        else:
            runnable.append(r)
    rules = runnable
    try:
        collected = collect_account(options, engine.needs(rules))
    except SourceUnavailable as exc:
        errors.append(exc.error)
        finished = _now()
        return ScanOutcome(
            mode="aws",
            targets=[],
            rules=[r.meta for r in rules],
            results=[],
            errors=errors,
            resources=0,
            started_at=_iso(started),
            finished_at=_iso(finished),
            duration_s=round(time.monotonic() - t0, 3),
            api_calls={},
            fatal=exc.error.message,
        )
    results, rule_errors = engine.evaluate(rules, collected.inventory)
    errors.extend(collected.errors)
    errors.extend(rule_errors)
    scope = collected.inventory.scopes[0]
    finished = _now()
    fatal = None
    if collected.total_calls and _nothing_read(collected.api_calls, errors):
        fatal = "every API call of the scan failed; nothing could be scanned"
    return ScanOutcome(
        mode="aws",
        targets=[{"kind": "aws-account", "account_id": scope.account_id, "regions": list(scope.regions)}],
        rules=[r.meta for r in rules],
        results=results,
        errors=sorted(errors, key=ScanError.sort_key),
        resources=len(collected.inventory),
        started_at=_iso(started),
        finished_at=_iso(finished),
        duration_s=round(time.monotonic() - t0, 3),
        api_calls=collected.api_calls,
        fatal=fatal,
    )


def _nothing_read(calls: dict[str, int], errors: list[ScanError]) -> bool:
    """True when every call beyond the identity check failed."""
    collection_calls = sum(n for op, n in calls.items() if not op.startswith("sts:"))
    api_errors = sum(1 for e in errors if e.kind == "api")
    return collection_calls > 0 and api_errors >= collection_calls


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
