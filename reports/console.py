"""The console report: a table of fails and unknowns (passes with --verbose), scan errors
and a summary. Coloured on a terminal, plain otherwise; scanned-world strings never carry
terminal control sequences through."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from reports import suppressions
from reports.json import to_document
from reports.text import visible
from scanner.results import ScanOutcome

RED, YELLOW, GREEN, CYAN, BOLD, DIM, RESET = (
    "\033[31m",
    "\033[33m",
    "\033[32m",
    "\033[36m",
    "\033[1m",
    "\033[2m",
    "\033[0m",
)
STATUS_COLOUR = {"fail": RED, "unknown": YELLOW, "pass": GREEN}
SEVERITY_COLOUR = {"critical": BOLD + RED, "high": RED, "medium": YELLOW, "low": CYAN, "info": DIM}


def clean(text: object) -> str:
    """Printable text on one line: control characters (escape sequences included), bidi
    controls and lone surrogates shown as \\xNN or \\uNNNN (reports.text.visible)."""
    return visible(str(text)).replace("\n", " ")


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, colour: str) -> str:
        return f"{colour}{text}{RESET}" if self.on and colour else text


def resource_label(r: Mapping[str, Any]) -> str:
    res = r.get("resource") or {}
    label = res.get("name") or res.get("id") or ""
    if res.get("type") == "AWS::Account":
        label = f"account {res.get('id')}"
    if res.get("region"):
        label += f" ({res['region']})"
    loc = r.get("location")
    if loc:
        label += f" {loc.get('path')}:{loc.get('start_line')}"
    return clean(label)


def render(outcome: ScanOutcome, stream: TextIO, *, verbose: bool = False, width: int | None = None) -> None:
    render_document(to_document(outcome), stream, verbose=verbose, width=width, fatal=outcome.fatal)


def render_document(
    doc: Mapping[str, Any],
    stream: TextIO,
    *,
    verbose: bool = False,
    width: int | None = None,
    fatal: str | None = None,
) -> None:
    """The table from a results document: the same for a scan and for `opscheck report`."""
    paint = _Paint(use_colour(stream))
    width = width or shutil.get_terminal_size(fallback=(120, 24)).columns
    write = stream.write
    scan = doc.get("scan", {})
    errors = scan.get("errors", [])

    write(paint(_headline(doc, fatal), BOLD) + "\n")
    shown = [
        r for r in doc.get("results", []) if verbose or r.get("status") != "pass" or r.get("suppression")
    ]
    if shown:
        write("\n")
        _table(shown, write, paint, width)
    if errors:
        write("\n" + paint(f"Scan errors ({len(errors)}):", YELLOW) + "\n")
        for e in errors:
            write(_wrap(f"- [{clean(e.get('kind'))}] {clean(error_text(e))}", width, "  ") + "\n")
    baseline = suppressions.baseline_line(doc)
    if baseline:
        write("\n" + _wrap(clean(baseline), width, "  ") + "\n")
    review = suppressions.stale(doc)
    if review:
        write("\n" + paint(f"Suppressions to review ({len(review)}):", YELLOW) + "\n")
        for s in review:
            line = f"- {suppressions.where(s)}: {suppressions.matcher(s)}: {suppressions.verdict(s)}"
            write(_wrap(clean(line), width, "  ") + "\n")
    write("\n" + summary_line(doc, paint) + "\n")


def _headline(doc: Mapping[str, Any], fatal: str | None) -> str:
    if fatal:
        return f"opscheck: nothing could be scanned: {clean(fatal)}"
    scan = doc.get("scan", {})
    stats = scan.get("stats", {})
    where = []
    accounts = [t for t in scan.get("targets", []) if t.get("kind") == "aws-account"]
    if len(accounts) > 1:  # an organization: how many accounts were and were not scanned
        scanned = sum(1 for t in accounts if t.get("scanned", True))
        regions = len({r for t in accounts for r in t.get("regions", [])})
        where.append(
            f"{len(accounts)} accounts ({scanned} scanned, {len(accounts) - scanned} not; {regions} regions)"
        )
    for t in scan.get("targets", []):
        if t.get("kind") == "aws-account":
            if len(accounts) == 1:
                where.append(f"account {t.get('account_id')} ({len(t.get('regions', []))} regions)")
        else:
            where.append(str(t.get("path")))
    calls = f", {stats['api_calls']} API calls" if stats.get("api_calls") else ""
    # Cleaned whole: a document given to `opscheck report` may hold text where counts belong.
    return clean(
        f"opscheck {scan.get('mode')} scan of {', '.join(where) or 'nothing'}: "
        f"{stats.get('resources', 0)} resources, {len(doc.get('rules', []))} rules, "
        f"{len(doc.get('results', []))} results in {float(stats.get('duration_s') or 0):.1f} s{calls}"
    )


def _table(results: Iterable[Mapping[str, Any]], write, paint: _Paint, width: int) -> None:
    rows = [
        (
            clean("suppressed" if r.get("suppression") else r.get("status")).upper(),
            clean(r.get("severity")),
            clean(r.get("rule_id")),
            resource_label(r),
            clean(r.get("message", "")),
            r.get("status"),
        )
        for r in results
    ]
    w_status = max(6, *(len(x[0]) for x in rows))
    w_sev = 8
    w_rule = max(4, *(len(x[2]) for x in rows))
    w_res = min(48, max(8, *(len(x[3]) for x in rows)))
    w_msg = max(30, width - (w_status + w_sev + w_rule + w_res + 8))
    header = (
        f"{'STATUS':<{w_status}}  {'SEVERITY':<{w_sev}}  {'RULE':<{w_rule}}  {'RESOURCE':<{w_res}}  MESSAGE"
    )
    write(paint(header, BOLD) + "\n")
    for status, sev, rule_id, res, msg, state in rows:
        res_lines = textwrap.wrap(res, w_res, break_on_hyphens=False) or [""]
        msg_lines = textwrap.wrap(msg, w_msg) or [""]
        for i in range(max(len(res_lines), len(msg_lines))):
            first = i == 0
            s = paint(f"{status:<{w_status}}", STATUS_COLOUR.get(state, "")) if first else " " * w_status
            v = paint(f"{sev:<{w_sev}}", SEVERITY_COLOUR.get(sev, "")) if first else " " * w_sev
            rid = f"{rule_id:<{w_rule}}" if first else " " * w_rule
            rl = res_lines[i] if i < len(res_lines) else ""
            ml = msg_lines[i] if i < len(msg_lines) else ""
            write(f"{s}  {v}  {rid}  {rl:<{w_res}}  {ml}".rstrip() + "\n")


def error_text(e: Mapping[str, Any]) -> str:
    where = []
    if e.get("path"):
        where.append(f"{e['path']}:{e['line']}" if e.get("line") else e["path"])
    if e.get("account_id") and e["account_id"] not in e.get("message", ""):
        where.append(f"account {e['account_id']}")
    return e.get("message", "") + (f" [{', '.join(where)}]" if where else "")


def _wrap(text: str, width: int, indent: str) -> str:
    return "\n".join(textwrap.wrap(text, max(40, width), subsequent_indent=indent)) or text


def summary_line(doc: Mapping[str, Any], paint: _Paint | None = None) -> str:
    paint = paint or _Paint(False)
    s = doc.get("summary", {})
    # Cleaned: the counts and severity keys of a document given to `report` may be any text.
    sev = ", ".join(f"{n} {k}" for k, n in s.get("by_severity", {}).items() if n)
    fail = clean(f"{s.get('fail', 0)} fail" + (f" ({sev})" if sev else ""))
    unknown = clean(f"{s.get('unknown', 0)} unknown")
    errors = len(doc.get("scan", {}).get("errors", []))
    rest = clean(f"{s.get('pass', 0)} pass, {s.get('suppressed', 0)} suppressed, {errors} scan errors")
    return (
        f"{paint(fail, RED if s.get('fail') else '')}, {paint(unknown, YELLOW if s.get('unknown') else '')}, "
        f"{rest}"
    )
