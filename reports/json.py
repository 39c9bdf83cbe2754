"""The JSON results document (INTERFACE.md, schema_version "1")."""

from __future__ import annotations

import json
from typing import Any

from scanner import __version__
from scanner.model import Reference, Result, Unknown
from scanner.results import ScanOutcome

SCHEMA_VERSION = "1"


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Evidence as plain JSON: Unknown values spelled out, dict keys sorted (determinism)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        items = value.items()
        if all(type(k) is str for k in value):
            return (
                {k: _plain(v) for k, v in sorted(items)}
                if len(value) > 1
                else {k: _plain(v) for k, v in items}
            )
        return {str(k): _plain(v) for k, v in sorted(items, key=lambda kv: str(kv[0]))}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if isinstance(value, Unknown):
        return {"unknown": value.reason}
    if isinstance(value, Reference):
        return {"reference": value.text}
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, dict):
        return _plain(dict(value))
    if isinstance(value, str | int | float):  # subclasses such as enums
        return value.value if hasattr(value, "value") else value
    return str(value)


def _resource(r: Result) -> dict[str, Any]:
    out = r.resource.to_dict()
    if r.configuration is not None:
        # IaC: the template or root module the resource was evaluated in; a module used
        # by two roots yields the same address and location in both.
        out["configuration"] = r.configuration
    return out


def result_to_dict(r: Result) -> dict[str, Any]:
    return {
        "rule_id": r.rule_id,
        "status": r.status.value,
        "severity": r.severity.value,
        "message": r.message,
        "resource": _resource(r),
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
            # Beyond the contract's minimum (additive): who ran it, and where in its
            # repository, so SARIF re-rendered later still gets repository-relative paths.
            "run_by": dict(sorted(outcome.run_by.items())),
            "cwd_from_repository_root": outcome.cwd_from_repository_root,
            # Additive: what each opscheck.yml suppression did (active, expired, unused).
            "suppressions": outcome.suppressions,
            # Additive: the --baseline given, and how many of its results matched or are resolved.
            "baseline": outcome.baseline,
        },
        "rules": [m.to_dict() for m in sorted(outcome.rules, key=lambda m: m.id)],
        "results": [result_to_dict(r) for r in outcome.results],
        "summary": outcome.summary(),
    }


def render(outcome: ScanOutcome) -> str:
    """The document as text: the top level indented, each rule and result on one line
    (readable, diff-friendly, and written by the C encoder: fast at 100,000 results)."""
    return dumps(to_document(outcome))


def dumps(doc: dict[str, Any]) -> str:
    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    lines = ["{"]
    keys = list(doc)
    for i, key in enumerate(keys):
        value = doc[key]
        comma = "," if i < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"  {compact(key)}: [")
            lines.extend(
                f"    {compact(item)}{',' if j < len(value) - 1 else ''}" for j, item in enumerate(value)
            )
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {compact(key)}: {compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
