"""What the HTML report shows, read once from a results document: display text for
every value (null, Unknown, nested JSON), one view per result, summaries. It reads results
and evidence; it never recomputes a verdict."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from reports import suppressions

STATUSES = ("fail", "unknown", "pass", "suppressed")
SEVERITIES = ("critical", "high", "medium", "low", "info")
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_STATE_RANK = {s: i for i, s in enumerate(STATUSES)}

NOTHING = "\N{EN DASH}"  # the coverage symbol for "not evaluated" / "nothing to record"

ACCOUNT = "AWS::Account"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
SAGEMAKER_ENDPOINT = "AWS::SageMaker::Endpoint"


# --------------------------------------------------------------------------- small helpers


def count_text(n: Any, singular: str, plural: str | None = None) -> str:
    number = f"{n:,}" if isinstance(n, int) else str(n)
    return f"{number} {singular if n == 1 else (plural or singular + 's')}"


def as_text(value: Any) -> str:
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


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def timestamp(value: Any) -> str:
    text = as_text(value)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.isoformat(sep=" ")


def duration(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return as_text(value)
    if value < 60:
        return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"
    minutes, seconds = divmod(round(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {seconds} s"


def short_name(trail: Any) -> str:
    text = as_text(trail)
    return text.rsplit("/", 1)[-1] if text.startswith("arn:") and "/" in text else text


def as_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def location_text(loc: Any) -> str:
    loc = as_map(loc)
    path = as_text(loc.get("path"))
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


class ReportView:
    """Everything the template shows, read from the document once."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.tool = as_map(doc.get("tool"))
        self.scan = as_map(doc.get("scan"))
        self.stats = as_map(self.scan.get("stats"))
        self.rules = [as_map(r) for r in as_list(doc.get("rules"))]
        self.rule_by_id = {as_text(r.get("id")): r for r in self.rules}
        self.targets = [as_map(t) for t in as_list(self.scan.get("targets"))]
        self.errors = [as_map(e) for e in as_list(self.scan.get("errors"))]
        self.mode = as_text(self.scan.get("mode"))
        self._controls: dict[str, str] = {}
        self.results = [self._result(i, as_map(r)) for i, r in enumerate(as_list(doc.get("results")), 1)]
        self.summary = self._summary()

    # -- results

    def _compliance(self, rule_id: str) -> str:
        """A rule's controls as one line, made once per rule."""
        text = self._controls.get(rule_id)
        if text is None:
            items = as_map(self.rule_by_id.get(rule_id, {}).get("compliance")).items()
            text = " · ".join(
                f"{as_text(k)} {', '.join(as_text(c) for c in v) if isinstance(v, list) else as_text(v)}"
                for k, v in sorted(items)
            )
            self._controls[rule_id] = text
        return text

    def _result(self, n: int, r: Mapping[str, Any]) -> ResultView:
        res = as_map(r.get("resource"))
        rule_id = as_text(r.get("rule_id"))
        rule = self.rule_by_id.get(rule_id, {})
        status = as_text(r.get("status"))
        suppression = r.get("suppression")
        suppression = suppression if isinstance(suppression, Mapping) else None
        evidence = r.get("evidence")
        expired = as_map(evidence).get("suppression_expired")
        rtype = as_text(res.get("type"))
        account = as_text(res.get("account_id")) or (as_text(res.get("id")) if rtype == ACCOUNT else "")
        return ResultView(
            n=n,
            anchor=f"result-{n}",
            status=status,
            state="suppressed" if suppression is not None else status,
            severity=as_text(r.get("severity")),
            rule_id=rule_id,
            rule_title=as_text(rule.get("title")),
            family=as_text(rule.get("family")) or "other",
            type=rtype,
            name=as_text(res.get("name")),
            id=as_text(res.get("id")),
            account=account,
            region=as_text(res.get("region")),
            configuration=as_text(res.get("configuration")),
            location=location_text(r.get("location")),
            message=as_text(r.get("message")),
            evidence=json.dumps(evidence, indent=2, ensure_ascii=False) if evidence not in (None, {}) else "",
            fingerprint=as_text(r.get("fingerprint")),
            compliance=self._compliance(rule_id),
            suppression=suppression,
            expired=expired
            if isinstance(expired, Mapping)
            else ({"note": as_text(expired)} if expired else None),
            raw_evidence=evidence,
        )

    @cached_property
    def suppressed(self) -> list[ResultView]:
        return [r for r in self.results if r.suppression is not None]

    @cached_property
    def expired(self) -> list[ResultView]:
        return [r for r in self.results if r.expired is not None]

    @cached_property
    def baseline_line(self) -> str | None:
        return suppressions.baseline_line(self.doc)

    @cached_property
    def stale_suppressions(self) -> list[dict[str, str]]:
        """opscheck.yml suppressions that expired or matched nothing (to clean up)."""
        return [
            {
                "where": suppressions.where(s),
                "matcher": suppressions.matcher(s),
                "verdict": suppressions.verdict(s),
                "reason": as_text(s.get("reason")),
                "owner": as_text(s.get("owner")) or "—",
            }
            for s in suppressions.stale(self.doc)
        ]

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
        return [as_text(t.get("account_id")) for t in self.targets if t.get("kind") == "aws-account"]

    @property
    def regions(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.targets:
            for region in as_list(t.get("regions")):
                seen.setdefault(as_text(region), None)
        return list(seen)

    @property
    def paths(self) -> list[str]:
        return [as_text(t.get("path")) for t in self.targets if t.get("kind") == "path"]

    @property
    def title(self) -> str:
        if self.mode == "aws":
            accounts = self.accounts
            return (
                f"AWS account {accounts[0]}"
                if len(accounts) == 1
                else count_text(len(accounts), "AWS account")
            )
        paths = self.paths
        if paths:
            shown = ", ".join(paths[:3])
            return shown + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        return "scan"

    @property
    def scope_line(self) -> str:
        if self.mode == "aws":
            return f"Live scan of {self.title} · {count_text(len(self.regions), 'region')}"
        if self.mode == "iac":
            return f"Infrastructure-as-code scan of {self.title}"
        return f"Scan of {self.title}"

    @property
    def run_by(self) -> list[tuple[str, str]]:
        who = self.scan.get("run_by")
        if isinstance(who, Mapping):
            names = {"user": "User", "aws_principal": "AWS principal"}
            return [(names.get(k, k.replace("_", " ").capitalize()), as_text(v)) for k, v in who.items() if v]
        return [("Run by", as_text(who))] if who else []

    @property
    def metadata(self) -> list[tuple[str, str, list[str]]]:
        """(label, value, a list shown folded under the value)."""
        api = self.stats.get("api_calls")
        rows: list[tuple[str, str, list[str]]] = [
            (
                "Tool",
                f"{as_text(self.tool.get('name')) or 'opscheck'} {as_text(self.tool.get('version'))}".strip(),
                [],
            ),
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
                    else count_text(len(self.accounts), "account"),
                    self.accounts if len(self.accounts) > 5 else [],
                )
            )
        if self.regions:
            rows.append(("Regions", count_text(len(self.regions), "region"), self.regions))
        if self.paths:
            rows.append(("Paths", ", ".join(self.paths), []))
        run_by = self.run_by
        rows += (
            [(k, v, []) for k, v in run_by] if run_by else [("Run by", "not recorded in the document", [])]
        )
        rows += [
            ("Started", timestamp(self.scan.get("started_at")), []),
            ("Finished", timestamp(self.scan.get("finished_at")), []),
            ("Duration", duration(self.stats.get("duration_s")), []),
        ]
        if api is not None:
            rows.append(("API calls", f"{api:,}" if isinstance(api, int) else as_text(api), []))
        rows.append(("Scan id", as_text(self.scan.get("id")), []))
        return rows

    @property
    def api_calls_by_operation(self) -> list[tuple[str, Any]]:
        return sorted(as_map(self.stats.get("api_calls_by_operation")).items())

    # -- summary

    def _summary(self) -> Mapping[str, Any]:
        given = as_map(self.doc.get("summary"))
        counts = Counter(r.state for r in self.results)
        by_severity = Counter(r.severity for r in self.results if r.state == "fail")
        return {
            "fail": given.get("fail", counts["fail"]),
            "pass": given.get("pass", counts["pass"]),
            "unknown": given.get("unknown", counts["unknown"]),
            "suppressed": given.get("suppressed", counts["suppressed"]),
            "by_severity": {s: as_map(given.get("by_severity")).get(s, by_severity[s]) for s in SEVERITIES},
            "by_rule": as_map(given.get("by_rule")),
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
                "headline": count_text(fails, "failed check"),
                "detail": f"By severity: {detail}." if detail else "",
                "top": first,
            }
        if s["unknown"]:
            return {
                "tone": "warn",
                "symbol": "?",
                "headline": f"No failed checks; {count_text(s['unknown'], 'check')} could not be decided",
                "detail": "Undecided results are listed with the reason in their message.",
                "top": None,
            }
        if not self.results:
            return {"tone": "muted", "symbol": NOTHING, "headline": "No results", "detail": "", "top": None}
        return {
            "tone": "ok",
            "symbol": "✓",
            "headline": "No failed checks",
            "detail": f"{count_text(s['pass'], 'check')} passed.",
            "top": None,
        }

    def _breakdown(self, key: str) -> list[tuple[str, Counter[str]]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for r in self.results:
            table[getattr(r, key)][r.state] += 1
        return sorted(table.items(), key=lambda kv: (kv[0] == "", kv[0]))

    @cached_property
    def by_family(self) -> list[tuple[str, Counter[str], int]]:
        rules_per_family = Counter(as_text(r.get("family")) or "other" for r in self.rules)
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
        return Counter(as_text(e.get("kind")) for e in self.errors)

    @property
    def rules_with_counts(self) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        by_rule = self.summary["by_rule"]
        return [(r, as_map(by_rule.get(as_text(r.get("id"))))) for r in self.rules]

    def error_where(self, e: Mapping[str, Any]) -> str:
        parts = []
        if e.get("path"):
            parts.append(as_text(e["path"]) + (f":{e['line']}" if e.get("line") is not None else ""))
        for key in ("account_id", "region"):
            if e.get(key):
                parts.append(as_text(e[key]))
        return " · ".join(parts)

    @staticmethod
    def error_call(e: Mapping[str, Any]) -> str:
        service, operation = as_text(e.get("service")), as_text(e.get("operation"))
        if service and operation:
            return f"{service}:{operation}" if ":" not in operation else operation
        return service or operation

    @staticmethod
    def safe_url(url: Any) -> str | None:
        text = as_text(url)
        return text if re.match(r"https?://", text, re.IGNORECASE) else None

    # -- CloudTrail coverage

    @property
    def started(self) -> str:
        return timestamp(self.scan.get("started_at"))
