"""`opscheck diff BEFORE.json AFTER.json`: what changed between two scans, matched by
fingerprint (rule + resource identity + account/region; never line numbers).

Only fails are compared. A fail that became `unknown` is not fixed: the scan could no
longer decide (access denied, a reference left the files), so it is listed on its own. A
fail whose suppression was removed or expired is new: it fails the build from now on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from reports.console import clean

RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
KINDS = ("new", "fixed", "changed_severity", "now_unknown", "unchanged")
TITLES = {
    "new": "New fails",
    "fixed": "Fixed",
    "changed_severity": "Severity changed",
    "now_unknown": "No longer decidable (were fails, now unknown)",
    "unchanged": "Unchanged fails",
}


@dataclass
class Change:
    kind: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def current(self) -> Mapping[str, Any]:
        return self.after if self.after is not None else self.before  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        r = self.current
        out: dict[str, Any] = {
            "fingerprint": r["fingerprint"],
            "rule_id": r["rule_id"],
            "resource": r.get("resource"),
            "location": r.get("location"),
            "message": r.get("message"),
            "before": _state(self.before),
            "after": _state(self.after),
        }
        return out


def _state(r: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if r is None:
        return None  # not reported by that scan (resource gone, rule not run, out of scope)
    return {
        "status": r.get("status"),
        "severity": r.get("severity"),
        "suppressed": bool(r.get("suppression")),
    }


@dataclass
class Diff:
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    changes: dict[str, list[Change]] = field(default_factory=lambda: {k: [] for k in KINDS})
    warnings: list[str] = field(default_factory=list)

    def new_failing(self, fail_on: str) -> list[Change]:
        """What makes the exit code 1: new unsuppressed fails at or above the threshold, and
        fails whose severity rose from below the threshold to it."""
        if fail_on == "none":
            return []
        floor = RANK[fail_on]

        def rank(r: Mapping[str, Any] | None) -> int:
            return RANK.get((r or {}).get("severity", "info"), 0)

        new = [c for c in self.changes["new"] if not c.current.get("suppression") and rank(c.after) >= floor]
        risen = [
            c
            for c in self.changes["changed_severity"]
            if not c.current.get("suppression") and rank(c.before) < floor <= rank(c.after)
        ]
        return new + risen


def _fails(doc: Mapping[str, Any], which: str, warnings: list[str]) -> dict[str, Mapping[str, Any]]:
    fails: dict[str, Mapping[str, Any]] = {}
    repeated = 0
    for r in doc.get("results", []):
        if r.get("status") == "fail":
            repeated += r["fingerprint"] in fails
            fails.setdefault(r["fingerprint"], r)
    if repeated:
        warnings.append(f"{which} has {repeated} fails whose fingerprint repeats; each is compared once")
    return fails


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Diff:
    diff = Diff(before, after)
    diff.warnings = _comparability(before, after)
    fails_before = _fails(before, "BEFORE", diff.warnings)
    fails_after = _fails(after, "AFTER", diff.warnings)
    all_before = {r["fingerprint"]: r for r in before.get("results", [])}
    all_after = {r["fingerprint"]: r for r in after.get("results", [])}
    for fp, r in fails_after.items():
        old = fails_before.get(fp)
        if old is None or (old.get("suppression") and not r.get("suppression")):
            # Never failed before, or no longer suppressed (expired, removed): it fails the build now.
            diff.changes["new"].append(Change("new", all_before.get(fp), r))
        elif old.get("severity") != r.get("severity"):
            diff.changes["changed_severity"].append(Change("changed_severity", old, r))
        else:
            diff.changes["unchanged"].append(Change("unchanged", old, r))
    for fp, old in fails_before.items():
        if fp in fails_after:
            continue
        now = all_after.get(fp)
        kind = "now_unknown" if now is not None and now.get("status") == "unknown" else "fixed"
        diff.changes[kind].append(Change(kind, old, now))
    for changes in diff.changes.values():
        changes.sort(key=_order)
    return diff


def _order(c: Change) -> tuple[Any, ...]:
    r = c.current
    return (-RANK.get(r.get("severity", "info"), 0), r["rule_id"], (r.get("resource") or {}).get("id", ""))


def _comparability(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Differences that make 'new' and 'fixed' mean something else than a change in the world.
    Cleaned (reports.console.clean): the CLI prints them to the terminal, and rule ids and modes
    come from documents anyone can write."""
    return [clean(w) for w in _differences(before, after)]


def _differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    warnings = []
    b, a = before.get("scan", {}), after.get("scan", {})
    if b.get("mode") != a.get("mode"):
        warnings.append(f"the scans are of different kinds ({b.get('mode')} before, {a.get('mode')} after)")
    scope_b = {_target_key(t) for t in b.get("targets", [])}
    scope_a = {_target_key(t) for t in a.get("targets", [])}
    if scope_b != scope_a:
        warnings.append("the scans cover different targets (accounts, regions or paths)")
    rules_b = {m["id"] for m in before.get("rules", [])}
    rules_a = {m["id"] for m in after.get("rules", [])}
    if rules_b - rules_a:
        warnings.append(
            f"rules run before but not after: {', '.join(sorted(rules_b - rules_a))} "
            "(their fails are listed as fixed)"
        )
    return warnings


def _target_key(t: Mapping[str, Any]) -> str:
    return json.dumps(t, sort_keys=True)


def to_document(diff: Diff) -> dict[str, Any]:
    return {
        "schema_version": "1",
        "before": _scan_ref(diff.before),
        "after": _scan_ref(diff.after),
        "warnings": diff.warnings,
        "summary": {k: len(v) for k, v in diff.changes.items()},
        **{k: [c.to_dict() for c in v] for k, v in diff.changes.items()},
    }


def _scan_ref(doc: Mapping[str, Any]) -> dict[str, Any]:
    scan = doc.get("scan", {})
    return {"scan_id": scan.get("id"), "started_at": scan.get("started_at"), "mode": scan.get("mode")}


def render_json(diff: Diff) -> str:
    return json.dumps(to_document(diff), indent=2, ensure_ascii=False) + "\n"


def render_table(diff: Diff, out: TextIO, *, show_unchanged: bool = False) -> None:
    s = {k: len(v) for k, v in diff.changes.items()}
    b, a = diff.before.get("scan", {}), diff.after.get("scan", {})
    out.write(f"opscheck diff: {clean(b.get('started_at'))} -> {clean(a.get('started_at'))}\n")
    for w in diff.warnings:
        out.write(f"warning: {w}\n")
    for kind in KINDS:
        changes = diff.changes[kind]
        if not changes or (kind == "unchanged" and not show_unchanged):
            continue
        out.write(f"\n{TITLES[kind]} ({len(changes)}):\n")
        for c in changes:
            out.write(f"  {_line(c)}\n")
    out.write(
        f"\n{s['new']} new, {s['fixed']} fixed, {s['changed_severity']} changed severity, "
        f"{s['now_unknown']} now unknown, {s['unchanged']} unchanged\n"
    )


def _line(c: Change) -> str:
    r = c.current
    res = r.get("resource") or {}
    label = res.get("name") or res.get("id") or ""
    if res.get("type") == "AWS::Account":
        label = f"account {res.get('id')}"
    if res.get("region"):
        label += f" ({res['region']})"
    if c.kind == "changed_severity" and c.before and c.after:
        sev = f"{c.before.get('severity')} -> {c.after.get('severity')}"
    else:
        sev = str(r.get("severity"))
    notes = []
    if c.after is not None and c.after.get("suppression"):
        notes.append("suppressed")
    elif c.kind == "new" and c.before is not None and c.before.get("suppression"):
        notes.append("no longer suppressed")
    if c.kind == "fixed" and c.after is None:
        notes.append("no longer reported")
    tail = "".join(f" [{n}]" for n in notes)
    width = 17 if c.kind == "changed_severity" else 8
    return clean(f"{sev:<{width}} {r['rule_id']:<7} {label}: {r.get('message', '')}{tail}")
