"""The configuration suppressions a scan reports (the document's `scan.suppressions`):
expired and unused ones are listed in every report so stale exceptions get cleaned up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def stale(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Expired and unused entries, in file order."""
    entries = (doc.get("scan") or {}).get("suppressions") or []
    return [s for s in entries if isinstance(s, Mapping) and s.get("status") in ("expired", "unused")]


def where(s: Mapping[str, Any]) -> str:
    path = s.get("path") or "opscheck.yml"
    return f"{path}:{s['line']}" if s.get("line") else str(path)


def matcher(s: Mapping[str, Any]) -> str:
    """What the entry matches, e.g. `RS006 on vol-0ab*, region eu-*, tag team=ml`."""
    parts = [str(s.get("rule"))]
    if s.get("resource"):
        parts[0] += f" on {s['resource']}"
    parts += [f"{key} {s[key]}" for key in ("account", "region") if s.get(key)]
    tags = s.get("tags") if isinstance(s.get("tags"), Mapping) else {}
    parts += [f"tag {k}={v}" for k, v in sorted(tags.items())]
    return ", ".join(parts)


def baseline_line(doc: Mapping[str, Any]) -> str | None:
    """What --baseline did, in one sentence; None without one."""
    b = (doc.get("scan") or {}).get("baseline")
    if not isinstance(b, Mapping):
        return None
    taken = f" (scan of {b['started_at']})" if b.get("started_at") else ""
    resolved = (
        f"{b['resolved']} of its {b.get('accepted', 0)} accepted results are no longer reported"
        if b.get("resolved") is not None
        else f"it accepted {b.get('accepted', 0)} results"
    )
    return (
        f"Baseline {b.get('path')}{taken}: {b.get('matched', 0)} result(s) known before, marked and not failing "
        f"the build; {resolved}."
    )


def verdict(s: Mapping[str, Any]) -> str:
    """Why it is listed: expired (and how many results fail again), or matched nothing."""
    if s.get("status") == "expired":
        again = s.get("results") or 0
        tail = f"; {again} result(s) it matched count again" if again else "; it matches nothing now either"
        return f"expired on {s.get('expires')}{tail}"
    return "matched no result: remove it, or fix what it should match"
