"""The console report: a table of fails and unknowns (passes with --verbose), scan errors
and a summary. Coloured on a terminal, plain otherwise; scanned-world strings never carry
terminal control sequences through."""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from collections.abc import Iterable
from typing import TextIO

from scanner.model import Result, ScanError, Status
from scanner.results import ScanOutcome

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

RED, YELLOW, GREEN, CYAN, BOLD, DIM, RESET = (
    "\033[31m",
    "\033[33m",
    "\033[32m",
    "\033[36m",
    "\033[1m",
    "\033[2m",
    "\033[0m",
)
STATUS_COLOUR = {Status.FAIL: RED, Status.UNKNOWN: YELLOW, Status.PASS: GREEN}
SEVERITY_COLOUR = {"critical": BOLD + RED, "high": RED, "medium": YELLOW, "low": CYAN, "info": DIM}


def clean(text: object) -> str:
    """Printable text: control characters (escape sequences included) shown as \\xNN."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text)).replace("\n", " ")


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class _Paint:
    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, text: str, colour: str) -> str:
        return f"{colour}{text}{RESET}" if self.on and colour else text


def resource_label(r: Result) -> str:
    label = r.resource.name or r.resource.id
    if r.resource.type == "AWS::Account":
        label = f"account {r.resource.id}"
    if r.resource.region:
        label += f" ({r.resource.region})"
    if r.location:
        label += f" {r.location.path}:{r.location.start_line}"
    return clean(label)


def render(outcome: ScanOutcome, stream: TextIO, *, verbose: bool = False, width: int | None = None) -> None:
    paint = _Paint(use_colour(stream))
    width = width or shutil.get_terminal_size(fallback=(120, 24)).columns
    write = stream.write

    write(paint(_headline(outcome), BOLD) + "\n")
    shown = [r for r in outcome.results if verbose or r.status != Status.PASS or r.suppression]
    if shown:
        write("\n")
        _table(shown, write, paint, width)
    if outcome.errors:
        write("\n" + paint(f"Scan errors ({len(outcome.errors)}):", YELLOW) + "\n")
        for e in outcome.errors:
            write(_wrap(f"- [{e.kind}] {clean(_error_text(e))}", width, "  ") + "\n")
    write("\n" + summary_line(outcome, paint) + "\n")


def _headline(o: ScanOutcome) -> str:
    if o.fatal:
        return f"opscheck: nothing could be scanned: {clean(o.fatal)}"
    where = []
    for t in o.targets:
        if t.get("kind") == "aws-account":
            where.append(f"account {t['account_id']} ({len(t.get('regions', []))} regions)")
        else:
            where.append(str(t.get("path")))
    calls = f", {sum(o.api_calls.values())} API calls" if o.api_calls else ""
    return (
        f"opscheck {o.mode} scan of {', '.join(clean(w) for w in where) or 'nothing'}: "
        f"{o.resources} resources, {len(o.rules)} rules, {len(o.results)} results "
        f"in {o.duration_s:.1f} s{calls}"
    )


def _table(results: Iterable[Result], write, paint: _Paint, width: int) -> None:
    rows = [
        (
            ("suppressed" if r.suppression else r.status.value).upper(),
            r.severity.value,
            r.rule_id,
            resource_label(r),
            clean(r.message),
            r,
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
    for status, sev, rule_id, res, msg, r in rows:
        res_lines = textwrap.wrap(res, w_res, break_on_hyphens=False) or [""]
        msg_lines = textwrap.wrap(msg, w_msg) or [""]
        for i in range(max(len(res_lines), len(msg_lines))):
            first = i == 0
            s = paint(f"{status:<{w_status}}", STATUS_COLOUR.get(r.status, "")) if first else " " * w_status
            v = paint(f"{sev:<{w_sev}}", SEVERITY_COLOUR.get(sev, "")) if first else " " * w_sev
            rid = f"{rule_id:<{w_rule}}" if first else " " * w_rule
            rl = res_lines[i] if i < len(res_lines) else ""
            ml = msg_lines[i] if i < len(msg_lines) else ""
            write(f"{s}  {v}  {rid}  {rl:<{w_res}}  {ml}".rstrip() + "\n")


def _error_text(e: ScanError) -> str:
    where = []
    if e.path:
        where.append(f"{e.path}:{e.line}" if e.line else e.path)
    if e.account_id and e.account_id not in e.message:
        where.append(f"account {e.account_id}")
    return e.message + (f" [{', '.join(where)}]" if where else "")


def _wrap(text: str, width: int, indent: str) -> str:
    return "\n".join(textwrap.wrap(text, max(40, width), subsequent_indent=indent)) or text


def summary_line(o: ScanOutcome, paint: _Paint | None = None) -> str:
    paint = paint or _Paint(False)
    s = o.summary()
    sev = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n)
    fail = f"{s['fail']} fail" + (f" ({sev})" if sev else "")
    unknown = f"{s['unknown']} unknown"
    return (
        f"{paint(fail, RED if s['fail'] else '')}, {paint(unknown, YELLOW if s['unknown'] else '')}, "
        f"{s['pass']} pass, {s['suppressed']} suppressed, {len(o.errors)} scan errors"
    )
