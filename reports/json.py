"""The JSON results document (INTERFACE.md, schema_version "1")."""

from __future__ import annotations

import json
from typing import Any

from scanner import __version__
from scanner.model import Reference, Result, Unknown
from scanner.results import ScanOutcome

SCHEMA_VERSION = "1"


def _plain(value: Any) -> Any:
    """Evidence as plain JSON: Unknown values spelled out, dict keys sorted (determinism)."""
    if isinstance(value, Unknown):
        return {"unknown": value.reason}
    if isinstance(value, Reference):
        return {"reference": value.text}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def result_to_dict(r: Result) -> dict[str, Any]:
    return {
        "rule_id": r.rule_id,
        "status": r.status.value,
        "severity": r.severity.value,
        "message": r.message,
        "resource": r.resource.to_dict(),
        "location": (
            {"path": r.location.path, "start_line": r.location.start_line, "end_line": r.location.end_line}
            if r.location
            else None
        ),
        "evidence": _plain(r.evidence),
        "fingerprint": r.fingerprint,
        "suppression": r.suppression.to_dict() if r.suppression else None,
    }


def to_document(outcome: ScanOutcome) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "resources": outcome.resources,
        "results": len(outcome.results),
        "duration_s": outcome.duration_s,
    }
    if outcome.api_calls is not None:
        stats["api_calls"] = sum(outcome.api_calls.values())
        # Beyond the contract's minimum: what each operation cost, for least-privilege
        # reviews and for comparing scans.
        stats["api_calls_by_operation"] = dict(sorted(outcome.api_calls.items()))
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "opscheck", "version": __version__},
        "scan": {
            "id": outcome.scan_id,
            "started_at": outcome.started_at,
            "finished_at": outcome.finished_at,
            "mode": outcome.mode,
            "targets": outcome.targets,
            "errors": [e.to_dict() for e in outcome.errors],
            "stats": stats,
        },
        "rules": [m.to_dict() for m in sorted(outcome.rules, key=lambda m: m.id)],
        "results": [result_to_dict(r) for r in outcome.results],
        "summary": outcome.summary(),
    }


def render(outcome: ScanOutcome) -> str:
    return json.dumps(to_document(outcome), indent=2, ensure_ascii=False) + "\n"
