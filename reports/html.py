"""The HTML report for auditors (INTERFACE.md, "HTML report").

One self-contained file: CSS and JavaScript inline and allowed by hash in a strict
Content-Security-Policy, no request to any other file or host, readable with JavaScript
off, printable. The results document it was made from is embedded (gzip, base64) with its
SHA-256, so a copy can be checked and extracted again (`extract_document`).

Every string of the document is text: templates autoescape and nothing from the document
is ever marked safe. The report reads results and their evidence; it never recomputes a
verdict.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

STATUSES = ("fail", "unknown", "pass", "suppressed")
SEVERITIES = ("critical", "high", "medium", "low", "info")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_STATE_RANK = {s: i for i, s in enumerate(STATUSES)}

NOTHING = "\N{EN DASH}"  # the coverage symbol for "not evaluated" / "nothing to record"

ACCOUNT = "AWS::Account"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
SAGEMAKER_ENDPOINT = "AWS::SageMaker::Endpoint"

BLOCK_ID = "opscheck-results"
_BLOCK = re.compile(
    r'<script type="application/gzip" id="' + BLOCK_ID + r'" data-sha256="(?P<digest>[^"]*)">'
    r"(?P<payload>[^<]*)</script>"
)
_SHOWN_DIGEST = re.compile(r'<code id="document-digest">(?P<digest>[^<]*)</code>')


# --------------------------------------------------------------------------- public API


def render(doc: Mapping[str, Any], text: str) -> str:
    """The report for `doc`, embedding `text` (its exact serialized form)."""
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    payload = base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode("ascii")
    report = _Report(doc)
    css = _asset("report.css") + report.extra_css()
    js = _asset("report.js")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"style-src '{_csp_hash(css)}'",
            f"script-src '{_csp_hash(js)}'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            digest=digest,
            payload=_wrap(payload, 76),
            document_bytes=len(data),
            payload_bytes=len(payload),
            block_id=BLOCK_ID,
            csp=csp,
            css=Markup(css),  # our own stylesheet, hashed above; never document text
            js=Markup(js),
        )
    )


def extract_document(html: str) -> str:
    """The results document embedded in a report, checked against its SHA-256."""
    match = _BLOCK.search(html)
    if match is None:
        raise ValueError(
            f"no embedded results document (<script id={BLOCK_ID!r}>) found: "
            "not an opscheck HTML report, or one whose data block was removed"
        )
    expected = match["digest"]
    if not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ValueError(f"the embedded results document has no valid SHA-256 (found {expected!r})")
    try:
        data = gzip.decompress(base64.b64decode(re.sub(r"\s+", "", match["payload"]), validate=True))
    except (binascii.Error, OSError, EOFError, zlib.error) as e:
        raise ValueError(f"the embedded results document is damaged and cannot be decoded: {e}") from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(
            f"the embedded results document does not match its digest: the report says "
            f"sha256 {expected}, the embedded data has sha256 {actual}; the report was altered"
        )
    shown = _SHOWN_DIGEST.search(html)
    if shown is not None and shown["digest"] != expected:
        raise ValueError(
            f"the digest shown in the report ({shown['digest']}) differs from the digest of the "
            f"embedded results document ({expected}); the report was altered"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"the embedded results document is not UTF-8 text: {e}") from e


# --------------------------------------------------------------------------- assets


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown
    env.filters["element_text"] = element_text
    env.filters["count"] = _count
    return env


@cache
def _asset(name: str) -> str:
    return (resources.files("reports") / "templates" / name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _count(n: Any, singular: str, plural: str | None = None) -> str:
    number = f"{n:,}" if isinstance(n, int) else str(n)
    return f"{number} {singular if n == 1 else (plural or singular + 's')}"


def element_text(text: object) -> Markup:
    """Text escaped for element content only (`&`, `<`, `>`): quotes need no escaping
    there, and pretty JSON is full of them. Never for attribute values."""
    return Markup(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


# --------------------------------------------------------------------------- markdown subset

_FENCE = re.compile(r"^\s*```\s*([\w+.-]*)\s*$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def markdown(text: object) -> Markup:
    """The small markdown subset rule texts use, rendered safely: paragraphs, bullet
    lists, fenced code blocks, inline code and bold. Everything else stays text."""
    lines = str(text or "").replace("\r\n", "\n").split("\n")
    out: list[Markup] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(Markup("<p>{}</p>").format(_inline(" ".join(para))))
            para.clear()
        if items:
            lis = Markup("").join(Markup("<li>{}</li>").format(_inline(i)) for i in items)
            out.append(Markup("<ul>{}</ul>").format(lis))
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            body: list[str] = []
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            lang = fence.group(1)
            label = Markup('<span class="lang">{}</span>').format(lang) if lang else Markup("")
            out.append(Markup('<pre class="code">{}<code>{}</code></pre>').format(label, "\n".join(body)))
        elif not line.strip():
            flush()
        elif bullet := _BULLET.match(line):
            if para:
                flush()
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            para.append(line.strip())
        i += 1
    flush()
    return Markup("\n").join(out)


def _inline(text: str) -> Markup:
    parts: list[Markup] = []
    pos = 0
    for m in _INLINE.finditer(text):
        parts.append(escape(text[pos : m.start()]))
        if m.group(1) is not None:
            parts.append(Markup("<code>{}</code>").format(m.group(1)))
        else:
            parts.append(Markup("<strong>{}</strong>").format(m.group(2)))
        pos = m.end()
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


# --------------------------------------------------------------------------- small helpers


def _s(value: Any) -> str:
    """A document value as display text ('' for null)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"unknown"}:
        return f"unknown ({value['unknown']})"
    return (
        json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, Mapping | list)
        else str(value)
    )


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _timestamp(value: Any) -> str:
    text = _s(value)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ")


def _duration(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return _s(value)
    if value < 60:
        return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"


def _short_name(trail: Any) -> str:
    text = _s(trail)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") and "/" in text else text


def _tri(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _location(loc: Any) -> str:
    loc = _map(loc)
    path = _s(loc.get("path"))
    if not path:
        return ""
    start, end = loc.get("start_line"), loc.get("end_line")
    if isinstance(start, int) and isinstance(end, int) and end != start:
        return f"{path}:{start}-{end}"
    return f"{path}:{start}" if isinstance(start, int) else path


# --------------------------------------------------------------------------- view model


@dataclass
class ResultView:
    n: int
    anchor: str
    status: str
    state: str  # the status, or "suppressed"
    severity: str
    rule_id: str
    rule_title: str
    family: str
    type: str
    name: str
    id: str
    account: str
    region: str
    configuration: str
    location: str
    message: str
    evidence: str
    fingerprint: str
    compliance: str
    suppression: Mapping[str, Any] | None
    expired: Mapping[str, Any] | None
    raw_evidence: Any = None

    @property
    def label(self) -> str:
        return f"account {self.id}" if self.type == ACCOUNT else (self.name or self.id)


@dataclass
class Part:
    """One line of a coverage cell: a symbol AND text, a tone, where it comes from."""

    symbol: str
    text: str
    tone: str  # ok | bad | warn | partial | muted
    source: str
    anchor: str | None = None


@dataclass
class CoverageRow:
    regions: list[str]
    cells: dict[str, list[Part]]
    label: str = ""


@dataclass
class AccountCoverage:
    account: str
    context: list[Part]
    rows: list[CoverageRow] = field(default_factory=list)


COVERAGE_COLUMNS = (
    ("trail", "Trail", "CT001"),
    ("management", "Management events", "CT001"),
    ("s3", "S3 data events", "DE001 / DE002"),
    ("lambda", "Lambda data events", "DE003"),
    ("sagemaker", "SageMaker data events", "DE004"),
    ("insights", "Insights", "CT008"),
)

_STATUS_PART = {
    "pass": ("✓", "ok"),
    "fail": ("✗", "bad"),
    "unknown": ("?", "warn"),
}


class _Report:
    """Everything the template shows, read from the document once."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.tool = _map(doc.get("tool"))
        self.scan = _map(doc.get("scan"))
        self.stats = _map(self.scan.get("stats"))
        self.rules = [_map(r) for r in _list(doc.get("rules"))]
        self.rule_by_id = {_s(r.get("id")): r for r in self.rules}
        self.targets = [_map(t) for t in _list(self.scan.get("targets"))]
        self.errors = [_map(e) for e in _list(self.scan.get("errors"))]
        self.mode = _s(self.scan.get("mode"))
        self._controls: dict[str, str] = {}
        self.results = [self._result(i, _map(r)) for i, r in enumerate(_list(doc.get("results")), 1)]
        self.summary = self._summary()

    # -- results

    def _compliance(self, rule_id: str) -> str:
        """A rule's controls as one line, made once per rule."""
        text = self._controls.get(rule_id)
        if text is None:
            items = _map(self.rule_by_id.get(rule_id, {}).get("compliance")).items()
            text = " · ".join(
                f"{_s(k)} {', '.join(_s(c) for c in v) if isinstance(v, list) else _s(v)}"
                for k, v in sorted(items)
            )
            self._controls[rule_id] = text
        return text

    def _result(self, n: int, r: Mapping[str, Any]) -> ResultView:
        res = _map(r.get("resource"))
        rule_id = _s(r.get("rule_id"))
        rule = self.rule_by_id.get(rule_id, {})
        status = _s(r.get("status"))
        suppression = r.get("suppression")
        suppression = suppression if isinstance(suppression, Mapping) else None
        evidence = r.get("evidence")
        expired = _map(evidence).get("suppression_expired")
        rtype = _s(res.get("type"))
        account = _s(res.get("account_id")) or (_s(res.get("id")) if rtype == ACCOUNT else "")
        return ResultView(
            n=n,
            anchor=f"result-{n}",
            status=status,
            state="suppressed" if suppression is not None else status,
            severity=_s(r.get("severity")),
            rule_id=rule_id,
            rule_title=_s(rule.get("title")),
            family=_s(rule.get("family")) or "other",
            type=rtype,
            name=_s(res.get("name")),
            id=_s(res.get("id")),
            account=account,
            region=_s(res.get("region")),
            configuration=_s(res.get("configuration")),
            location=_location(r.get("location")),
            message=_s(r.get("message")),
            evidence=json.dumps(evidence, indent=2, ensure_ascii=False) if evidence not in (None, {}) else "",
            fingerprint=_s(r.get("fingerprint")),
            compliance=self._compliance(rule_id),
            suppression=suppression,
            expired=expired if isinstance(expired, Mapping) else ({"note": _s(expired)} if expired else None),
            raw_evidence=evidence,
        )

    @cached_property
    def suppressed(self) -> list[ResultView]:
        return [r for r in self.results if r.suppression is not None]

    @cached_property
    def expired(self) -> list[ResultView]:
        return [r for r in self.results if r.expired is not None]

    @cached_property
    def columns(self) -> list[tuple[str, str]]:
        """Finding list columns (key, label): account/region/location only when some result has one."""
        cols = [("state", "Status"), ("sev", "Severity"), ("rule", "Rule"), ("res", "Resource")]
        if any(r.account for r in self.results):
            cols.append(("acct", "Account"))
        if any(r.region for r in self.results):
            cols.append(("region", "Region"))
        if any(r.location for r in self.results):
            cols.append(("loc", "Location"))
        cols.append(("msg", "Message"))
        return cols

    def extra_css(self) -> str:
        """The finding grid's columns, for screen and for print (narrower fixed columns)."""
        screen = {
            "state": "7.4rem",
            "sev": "6.2rem",
            "rule": "4.6rem",
            "res": "minmax(11rem, 1.25fr)",
            "acct": "7.6rem",
            "region": "7.4rem",
            "loc": "minmax(10rem, 1fr)",
            "msg": "minmax(14rem, 2.3fr)",
        }
        paper = {
            "state": "5.6rem",
            "sev": "4.9rem",
            "rule": "3.4rem",
            "res": "minmax(8rem, 1.1fr)",
            "acct": "6.6rem",
            "region": "5.6rem",
            "loc": "minmax(8rem, 1fr)",
            "msg": "minmax(10rem, 2.4fr)",
        }
        keys = [k for k, _ in self.columns]
        return (
            f"\n.findings{{--cols: 1.1rem {' '.join(screen[k] for k in keys)};}}"
            f"\n@media print{{.findings{{--cols: 0 {' '.join(paper[k] for k in keys)};}}}}\n"
        )

    # -- header and metadata

    @property
    def accounts(self) -> list[str]:
        return [_s(t.get("account_id")) for t in self.targets if t.get("kind") == "aws-account"]

    @property
    def regions(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.targets:
            for region in _list(t.get("regions")):
                seen.setdefault(_s(region), None)
        return list(seen)

    @property
    def paths(self) -> list[str]:
        return [_s(t.get("path")) for t in self.targets if t.get("kind") == "path"]

    @property
    def title(self) -> str:
        if self.mode == "aws":
            accounts = self.accounts
            return (
                f"AWS account {accounts[0]}" if len(accounts) == 1 else _count(len(accounts), "AWS account")
            )
        paths = self.paths
        if paths:
            shown = ", ".join(paths[:3])
            return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        return "scan"

    @property
    def scope_line(self) -> str:
        if self.mode == "aws":
            return f"Live scan of {self.title} · {_count(len(self.regions), 'region')}"
        if self.mode == "iac":
            return f"Infrastructure-as-code scan of {self.title}"
        return f"Scan of {self.title}"

    @property
    def run_by(self) -> list[tuple[str, str]]:
        who = self.scan.get("run_by")
        if isinstance(who, Mapping):
            names = {"user": "User", "aws_principal": "AWS principal"}
            return [(names.get(k, k.replace("_", " ").capitalize()), _s(v)) for k, v in who.items() if v]
        return [("Run by", _s(who))] if who else []

    @property
    def metadata(self) -> list[tuple[str, str, list[str]]]:
        """(label, value, a list shown folded under the value)."""
        api = self.stats.get("api_calls")
        rows: list[tuple[str, str, list[str]]] = [
            ("Tool", f"{_s(self.tool.get('name')) or 'opscheck'} {_s(self.tool.get('version'))}".strip(), []),
            ("Rules evaluated", f"{len(self.rules):,}", []),
            (
                "Mode",
                {"aws": "live AWS (read-only APIs)", "iac": "infrastructure as code"}.get(
                    self.mode, self.mode
                ),
                [],
            ),
        ]
        if self.accounts:
            rows.append(
                (
                    "Accounts",
                    ", ".join(self.accounts[:5])
                    if len(self.accounts) <= 5
                    else _count(len(self.accounts), "account"),
                    self.accounts if len(self.accounts) > 5 else [],
                )
            )
        if self.regions:
            rows.append(("Regions", _count(len(self.regions), "region"), self.regions))
        if self.paths:
            rows.append(("Paths", ", ".join(self.paths), []))
        run_by = self.run_by
        rows += (
            [(k, v, []) for k, v in run_by] if run_by else [("Run by", "not recorded in the document", [])]
        )
        rows += [
            ("Started", _timestamp(self.scan.get("started_at")), []),
            ("Finished", _timestamp(self.scan.get("finished_at")), []),
            ("Duration", _duration(self.stats.get("duration_s")), []),
        ]
        if api is not None:
            rows.append(("API calls", f"{api:,}" if isinstance(api, int) else _s(api), []))
        rows.append(("Scan id", _s(self.scan.get("id")), []))
        return rows

    @property
    def api_calls_by_operation(self) -> list[tuple[str, Any]]:
        return sorted(_map(self.stats.get("api_calls_by_operation")).items())

    # -- summary

    def _summary(self) -> Mapping[str, Any]:
        given = _map(self.doc.get("summary"))
        counts = Counter(r.state for r in self.results)
        by_severity = Counter(r.severity for r in self.results if r.state == "fail")
        return {
            "fail": given.get("fail", counts["fail"]),
            "pass": given.get("pass", counts["pass"]),
            "unknown": given.get("unknown", counts["unknown"]),
            "suppressed": given.get("suppressed", counts["suppressed"]),
            "by_severity": {s: _map(given.get("by_severity")).get(s, by_severity[s]) for s in SEVERITIES},
            "by_rule": _map(given.get("by_rule")),
        }

    @property
    def verdict(self) -> dict[str, Any]:
        s = self.summary
        fails = s["fail"] or 0
        sev = s["by_severity"]
        if fails:
            detail = ", ".join(f"{sev[k]} {k}" for k in SEVERITIES if sev.get(k))
            first = next((r for r in self.results if r.state == "fail"), None)
            return {
                "tone": "bad",
                "symbol": "✗",
                "headline": _count(fails, "failed check"),
                "detail": f"By severity: {detail}." if detail else "",
                "top": first,
            }
        if s["unknown"]:
            return {
                "tone": "warn",
                "symbol": "?",
                "headline": f"No failed checks; {_count(s['unknown'], 'check')} could not be decided",
                "detail": "Undecided results are listed with the reason in their message.",
                "top": None,
            }
        if not self.results:
            return {"tone": "muted", "symbol": NOTHING, "headline": "No results", "detail": "", "top": None}
        return {
            "tone": "ok",
            "symbol": "✓",
            "headline": "No failed checks",
            "detail": f"{_count(s['pass'], 'check')} passed.",
            "top": None,
        }

    def _breakdown(self, key: str) -> list[tuple[str, Counter[str]]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.results:
            table[getattr(r, key)][r.state] += 1
        return sorted(table.items(), key=lambda kv: (kv[0] == "", kv[0]))

    @cached_property
    def by_family(self) -> list[tuple[str, Counter[str], int]]:
        rules_per_family = Counter(_s(r.get("family")) or "other" for r in self.rules)
        rows = dict(self._breakdown("family"))
        for family in rules_per_family:
            rows.setdefault(family, Counter())
        return [(f, rows[f], rules_per_family[f]) for f in sorted(rows)]

    @cached_property
    def by_account(self) -> list[tuple[str, Counter[str]]]:
        return self._breakdown("account")

    @cached_property
    def by_configuration(self) -> list[tuple[str, Counter[str]]]:
        return self._breakdown("configuration")

    @cached_property
    def by_region(self) -> list[tuple[str, Counter[str]]]:
        return self._breakdown("region")

    @property
    def quiet_regions(self) -> list[str]:
        """Scanned regions no result names (account-wide results aside)."""
        named = {r.region for r in self.results}
        return [g for g in self.regions if g not in named]

    @property
    def severity_scale(self) -> int:
        return max([*self.summary["by_severity"].values(), 1])

    def bar(self, n: int, scale: int) -> int:
        """Bar width class in steps of 5 (the CSP allows no inline style)."""
        if not n:
            return 0
        return max(5, round(100 * n / scale / 5) * 5)

    @cached_property
    def filter_values(self) -> dict[str, list[str]]:
        def values(attr: str) -> list[str]:
            return sorted({getattr(r, attr) for r in self.results})

        return {"family": values("family"), "account": values("account"), "region": values("region")}

    @cached_property
    def state_counts(self) -> Counter[str]:
        return Counter(r.state for r in self.results)

    @cached_property
    def severity_counts(self) -> Counter[str]:
        return Counter(r.severity for r in self.results)

    @property
    def extra_severities(self) -> list[str]:
        return sorted({r.severity for r in self.results} - set(SEVERITIES))

    @property
    def extra_states(self) -> list[str]:
        return sorted({r.state for r in self.results} - set(STATUSES))

    def severity_rank(self, severity: str) -> int:
        return _SEVERITY_RANK.get(severity, len(SEVERITIES))

    def state_rank(self, state: str) -> int:
        return _STATE_RANK.get(state, len(STATUSES))

    @property
    def error_kinds(self) -> Counter[str]:
        return Counter(_s(e.get("kind")) for e in self.errors)

    @property
    def rules_with_counts(self) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        by_rule = self.summary["by_rule"]
        return [(r, _map(by_rule.get(_s(r.get("id"))))) for r in self.rules]

    def error_where(self, e: Mapping[str, Any]) -> str:
        parts = []
        if e.get("path"):
            parts.append(_s(e["path"]) + (f":{e['line']}" if e.get("line") is not None else ""))
        for key in ("account_id", "region"):
            if e.get(key):
                parts.append(_s(e[key]))
        return " · ".join(parts)

    @staticmethod
    def error_call(e: Mapping[str, Any]) -> str:
        service, operation = _s(e.get("service")), _s(e.get("operation"))
        if service and operation:
            return f"{service}:{operation}" if ":" not in operation else operation
        return service or operation

    @staticmethod
    def safe_url(url: Any) -> str | None:
        text = _s(url)
        return text if re.match(r"https?://", text, re.IGNORECASE) else None

    # -- CloudTrail coverage

    @property
    def started(self) -> str:
        return _timestamp(self.scan.get("started_at"))

    coverage_columns = COVERAGE_COLUMNS

    @cached_property
    def coverage(self) -> list[AccountCoverage]:
        return coverage_matrix(self.doc, self) if self.mode == "aws" else []


def coverage_matrix(doc: Mapping[str, Any], report: _Report | None = None) -> list[AccountCoverage]:
    """Per account and region, what the CT001/DE001-DE004/CT008 results and their evidence
    say about CloudTrail coverage. Identical regions of one account share a row."""
    report = report or _Report(doc)
    ran = set(report.rule_by_id)
    views = report.results
    account_level: dict[tuple[str, str, str], ResultView] = {}
    per_resource: dict[tuple[str, str, str, str], list[ResultView]] = defaultdict(list)
    for v in views:
        if v.type == ACCOUNT:
            account_level.setdefault((v.rule_id, v.account, v.region), v)
        elif v.type in (LAMBDA_FUNCTION, SAGEMAKER_ENDPOINT):
            per_resource[(v.rule_id, v.type, v.account, v.region)].append(v)
    errors = [e for e in report.errors if e.get("kind") == "api"]

    def acct_result(rule: str, account: str, region: str = "") -> ResultView | None:
        return account_level.get((rule, account, region)) or account_level.get((rule, account, ""))

    out: list[AccountCoverage] = []
    for target in report.targets:
        if target.get("kind") != "aws-account":
            continue
        account = _s(target.get("account_id"))
        regions = [_s(g) for g in _list(target.get("regions"))]
        context = [
            _status_part(rule, what, acct_result(rule, account), rule in ran, account)
            for rule, what in (
                ("CT001", "trail coverage"),
                ("DE001", "S3 write"),
                ("DE002", "S3 read"),
                ("DE003", "Lambda, account-wide"),
                ("DE004", "SageMaker, account-wide"),
                ("CT008", "Insights"),
            )
            if rule in ran and (rule != "DE004" or acct_result(rule, account) is not None)
        ]
        groups: dict[tuple[Any, ...], CoverageRow] = {}
        for region in regions:
            ct001 = acct_result("CT001", account, region)
            trails = _map(ct001.raw_evidence).get("trails") if ct001 else None
            cells = {
                "trail": [_trail_part(ct001, trails, region, "CT001" in ran)],
                "management": [_management_part(ct001, trails, region, "CT001" in ran)],
                "s3": [
                    _status_part(
                        "DE001", "write", acct_result("DE001", account, region), "DE001" in ran, account
                    ),
                    _status_part(
                        "DE002", "read", acct_result("DE002", account, region), "DE002" in ran, account
                    ),
                ],
                "lambda": [
                    _resources_part(
                        "DE003",
                        "function",
                        per_resource[("DE003", LAMBDA_FUNCTION, account, region)],
                        "DE003" in ran,
                        _listing_error(errors, account, region, "lambda"),
                    )
                ],
                "sagemaker": [
                    _resources_part(
                        "DE004",
                        "endpoint",
                        per_resource[("DE004", SAGEMAKER_ENDPOINT, account, region)],
                        "DE004" in ran,
                        _listing_error(errors, account, region, "sagemaker"),
                    )
                ],
                "insights": [
                    _status_part("CT008", "", acct_result("CT008", account, region), "CT008" in ran, account)
                ],
            }
            key = tuple(
                (k, tuple((p.symbol, p.text, p.tone, p.source, p.anchor) for p in parts))
                for k, parts in cells.items()
            )
            groups.setdefault(key, CoverageRow(regions=[], cells=cells)).regions.append(region)
        rows = sorted(groups.values(), key=lambda row: (len(row.regions) > 1, regions.index(row.regions[0])))
        for row in rows:
            n = len(row.regions)
            row.label = (
                row.regions[0] if n == 1 else (f"All {n} regions" if n == len(regions) else f"{n} regions")
            )
        out.append(AccountCoverage(account=account, context=context, rows=rows))
    return out


def _not_evaluated(rule: str) -> Part:
    return Part(NOTHING, "not evaluated", "muted", f"{rule} did not run in this scan")


def _status_part(rule: str, what: str, v: ResultView | None, ran: bool, account: str) -> Part:
    if not ran:
        return _not_evaluated(rule)
    if v is None:
        return Part(
            NOTHING,
            f"{what}: no result" if what else "no result",
            "muted",
            f"{rule} produced no account-level result for {account} (see scan errors)",
        )
    symbol, tone = _STATUS_PART.get(v.status, ("?", "warn"))
    coverage = _map(v.raw_evidence).get("coverage")
    word = coverage if isinstance(coverage, str) and v.status != "pass" else v.status
    text = f"{what}: {word}" if what else word
    if v.suppression is not None:
        text += " (suppressed)"
    return Part(symbol, text, tone, f"{rule} result #{v.n} ({v.status}): {v.message}", v.anchor)


def _covers(trail: Mapping[str, Any], region: str) -> bool | None:
    """Does this trail record this region? True, False, or None when undecidable."""
    logging = _tri(trail.get("logging"))
    multi = _tri(trail.get("multi_region"))
    home = trail.get("home_region")
    here = (home == region) if isinstance(home, str) else None
    if multi is True or here is True:
        scope: bool | None = True
    elif multi is False and here is False:
        scope = False
    else:
        scope = None
    if logging is False or scope is False:
        return False
    if logging is True and scope is True:
        return True
    return None


def _trail_facts(trails: list[Any], region: str) -> str:
    facts = []
    for t in trails:
        t = _map(t)
        covers = _covers(t, region)
        verdict = {True: "covers", False: "does not cover", None: "undecidable"}[covers]
        logging = {True: "logging", False: "not logging"}.get(_tri(t.get("logging")), "logging unknown")
        scope = {True: "multi-region", False: f"single-region ({_s(t.get('home_region'))})"}.get(
            _tri(t.get("multi_region")), "scope unknown"
        )
        facts.append(f"{_short_name(t.get('trail'))}: {scope}, {logging} → {verdict}")
    return "; ".join(facts)


def _trail_part(v: ResultView | None, trails: Any, region: str, ran: bool) -> Part:
    if not ran:
        return _not_evaluated("CT001")
    if v is None:
        return Part(NOTHING, "no result", "muted", "CT001 produced no account-level result (see scan errors)")
    source = f"CT001 result #{v.n}, evidence.trails"
    if not isinstance(trails, list):
        return Part("?", "trails unknown", "warn", f"{source}: {_s(trails) or 'no trail list'}", v.anchor)
    covering = [t for t in trails if _covers(_map(t), region) is True]
    undecided = [t for t in trails if _covers(_map(t), region) is None]
    facts = _trail_facts(trails, region) or "no trails"
    if covering:
        names = ", ".join(_short_name(_map(t).get("trail")) for t in covering)
        return Part("✓", names, "ok", f"{source}: {facts}", v.anchor)
    if undecided:
        return Part("?", "undecidable", "warn", f"{source}: {facts}", v.anchor)
    return Part("✗", "no trail", "bad", f"{source}: {facts}", v.anchor)


def _management_part(v: ResultView | None, trails: Any, region: str, ran: bool) -> Part:
    if not ran:
        return _not_evaluated("CT001")
    if v is None or not isinstance(trails, list):
        return Part(
            NOTHING, "no result" if v is None else "unknown", "muted" if v is None else "warn", "CT001"
        )
    source = f"CT001 result #{v.n}, evidence.trails[].records_read_write_management"
    covering = [_map(t) for t in trails if _covers(_map(t), region) is True]
    undecided = [_map(t) for t in trails if _covers(_map(t), region) is None]
    values = [t.get("records_read_write_management") for t in covering]
    detail = "; ".join(
        f"{_short_name(t.get('trail'))}: {_s(t.get('records_read_write_management')) or 'not stated'}"
        for t in covering + undecided
    )
    if "yes" in values:
        who = ", ".join(
            _short_name(t.get("trail")) for t in covering if t.get("records_read_write_management") == "yes"
        )
        return Part(
            "✓", "read + write", "ok", f"{source}: {who} records read and write management events", v.anchor
        )
    if undecided or any(x not in ("no", "partial") for x in values):
        return Part("?", "undecidable", "warn", f"{source}: {detail or 'not stated'}", v.anchor)
    if "partial" in values:
        return Part("◐", "partial", "partial", f"{source}: {detail}", v.anchor)
    return Part("✗", "not recorded", "bad", f"{source}: {detail or 'no trail covers this region'}", v.anchor)


def _listing_error(
    errors: Iterable[Mapping[str, Any]], account: str, region: str, service: str
) -> str | None:
    for e in errors:
        if (
            _s(e.get("region")) == region
            and _s(e.get("account_id")) in ("", account)
            and (_s(e.get("service")) == service or _s(e.get("operation")).startswith(service + ":"))
        ):
            return _s(e.get("message"))
    return None


def _resources_part(
    rule: str, noun: str, views: Sequence[ResultView], ran: bool, listing_error: str | None
) -> Part:
    if not ran:
        return _not_evaluated(rule)
    if not views:
        if listing_error:
            return Part("?", f"{noun}s not listed", "warn", f"{rule}: scan error: {listing_error}")
        return Part(NOTHING, f"no {noun}s", "muted", f"{rule}: no {noun} result in this region")
    counts = Counter(v.status for v in views)
    recorded, total = counts["pass"], len(views)
    text = f"{recorded}/{total} recorded"
    if counts["unknown"]:
        text += f", {counts['unknown']} unknown"
    suppressed = sum(1 for v in views if v.suppression is not None)
    if suppressed:
        text += f" ({suppressed} suppressed)"
    if counts["fail"]:
        symbol, tone = "✗", "bad"
    elif counts["unknown"]:
        symbol, tone = "?", "warn"
    else:
        symbol, tone = "✓", "ok"
    listing = "; ".join(f"{v.name or v.id}: {v.status} (#{v.n})" for v in views)
    first = next((v for v in views if v.status != "pass"), views[0])
    return Part(symbol, text, tone, f"{rule} per-{noun} results: {listing}", first.anchor)
