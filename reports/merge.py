"""`opscheck merge A.json B.json ...`: one results document from several (the shards of an
organization scan run on different machines, or scans of different accounts or paths).
Results are deduplicated by fingerprint, targets combined, errors and API calls added up,
and the summary recounted. Documents of different modes (aws, iac) are not merged."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from reports.json import SCHEMA_VERSION
from scanner import __version__
from scanner.model import Severity
from scanner.results import summarize_rows

_RANK = {s.value: s.rank for s in Severity}


class MergeError(Exception):
    """The documents cannot be merged into one."""


def merge(docs: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[dict[str, Any], list[str]]:
    """The merged document and warnings (one sentence each). `docs` are (name, document),
    already checked by reports.document.load."""
    if not docs:
        raise MergeError("nothing to merge")
    warnings: list[str] = []
    modes = {d["scan"]["mode"] for _, d in docs}
    if len(modes) > 1:
        raise MergeError(f"cannot merge scans of different modes ({', '.join(sorted(modes))})")
    versions = {(d.get("tool") or {}).get("version") for _, d in docs}
    if len(versions) > 1:
        warnings.append(
            f"the documents come from different opscheck versions ({', '.join(sorted(map(str, versions)))})"
        )
    # The later scan wins where two documents judged the same result differently.
    ordered = sorted(docs, key=lambda nd: str(nd[1]["scan"].get("finished_at") or ""))
    results: dict[str, Mapping[str, Any]] = {}
    where: dict[str, str] = {}
    for name, doc in ordered:
        for r in doc["results"]:
            fp = r["fingerprint"]
            before = results.get(fp)
            if before is not None and _verdict(before) != _verdict(r):
                warnings.append(
                    f"{r['rule_id']} on {r['resource']['id']}: {where[fp]} and {name} disagree; kept {name} (the later scan)"
                )
            results[fp] = r
            where[fp] = name
    merged_results = sorted(results.values(), key=_sort_key)
    targets = _targets([d for _, d in docs], warnings)
    scans = [d["scan"] for _, d in docs]
    stats = _stats(scans, len(merged_results))
    rules: dict[str, Mapping[str, Any]] = {}
    for _, doc in docs:
        for rule in doc["rules"]:
            rules.setdefault(rule["id"], rule)
    errors = list({_key(e): e for s in scans for e in s["errors"]}.values())
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "opscheck", "version": __version__},
        "scan": {
            "id": str(uuid.uuid4()),
            "started_at": min((s.get("started_at") or "" for s in scans), default=""),
            "finished_at": max((s.get("finished_at") or "" for s in scans), default=""),
            "mode": modes.pop(),
            "targets": targets,
            "errors": errors,
            "stats": stats,
            "run_by": dict(scans[0].get("run_by") or {}),
            "cwd_from_repository_root": next(
                (s["cwd_from_repository_root"] for s in scans if s.get("cwd_from_repository_root")), None
            ),
            "suppressions": [x for s in scans for x in s.get("suppressions") or []],
            "baseline": _baseline(scans, merged_results),
            "merged_from": [{"name": name, "scan_id": d["scan"].get("id")} for name, d in docs],
        },
        "rules": [rules[k] for k in sorted(rules)],
        "results": merged_results,
        "summary": summarize_rows(
            (r["rule_id"], r["status"], r["severity"], bool(r.get("suppression"))) for r in merged_results
        ),
    }
    return doc, warnings


def _targets(docs: list[Mapping[str, Any]], warnings: list[str]) -> list[dict[str, Any]]:
    """One target per account or path; a scanned one wins over a not-scanned one, and an
    account scanned twice is said (its resources are counted twice in the stats)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        for t in doc["scan"]["targets"]:
            key = (str(t.get("kind")), str(t.get("account_id") or t.get("path")))
            before = found.get(key)
            if before is None:
                found[key] = dict(t)
                continue
            if before.get("scanned", True) and t.get("scanned", True):
                if t.get("kind") == "aws-account":
                    warnings.append(f"account {key[1]} was scanned in more than one document")
                before["regions"] = sorted(set(before.get("regions") or []) | set(t.get("regions") or []))
            elif t.get("scanned", True):
                found[key] = dict(t)
    return [found[k] for k in sorted(found)]


def _stats(scans: list[Mapping[str, Any]], results: int) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "resources": sum(int(s["stats"].get("resources") or 0) for s in scans),
        "results": results,
        # Shards run side by side: the merged scan took as long as the slowest.
        "duration_s": max(float(s["stats"].get("duration_s") or 0) for s in scans),
    }
    calls = [s["stats"] for s in scans if s["stats"].get("api_calls") is not None]
    if calls:
        stats["api_calls"] = sum(int(c["api_calls"]) for c in calls)
        by_op: Counter[str] = Counter()
        for c in calls:
            by_op.update(c.get("api_calls_by_operation") or {})
        stats["api_calls_by_operation"] = dict(sorted(by_op.items()))
    return stats


def _baseline(scans: list[Mapping[str, Any]], results: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    given = [s.get("baseline") for s in scans if s.get("baseline")]
    if not given:
        return None
    first = dict(given[0])
    if any(b.get("path") != first.get("path") for b in given):
        return None  # different baselines: no single figure is true
    first["matched"] = sum(1 for r in results if (r.get("suppression") or {}).get("source") == "baseline")
    # Each shard counted the other shards' accepted results as gone, and the documents do not
    # hold the baseline's fingerprints: how many are resolved is not known after a merge.
    first["resolved"] = None
    return first


def _verdict(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return (r.get("status"), r.get("severity"), r.get("message"))


def _sort_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    """As scanner.model.Result.sort_key: severity, rule, resource, account, region."""
    res = r["resource"]
    return (
        -_RANK.get(r["severity"], 0),
        r["rule_id"],
        res["id"],
        res.get("account_id") or "",
        res.get("region") or "",
        r["fingerprint"],
        r["status"],
    )


def _key(error: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, str(v)) for k, v in error.items()))
