"""One scan, end to end: source -> inventory -> rules -> outcome (what reports render)."""

from __future__ import annotations

import datetime as dt
import time

from scanner import engine
from scanner.model import ScanError
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import SourceUnavailable, collect_account, unsupported_needs


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
