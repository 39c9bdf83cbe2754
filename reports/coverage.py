"""The CloudTrail coverage matrix of the HTML report (live scans): per account and region,
what the CT001/DE001-DE004/CT008 results and their evidence say. Built from results only."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reports.html_model import (
    ACCOUNT,
    LAMBDA_FUNCTION,
    NOTHING,
    SAGEMAKER_ENDPOINT,
    ReportView,
    ResultView,
    as_bool,
    as_list,
    as_map,
    as_text,
    short_name,
)


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


def coverage_matrix(doc: Mapping[str, Any], report: ReportView | None = None) -> list[AccountCoverage]:
    """Per account and region, what the CT001/DE001-DE004/CT008 results and their evidence
    say about CloudTrail coverage. Identical regions of one account share a row."""
    report = report or ReportView(doc)
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
        account = as_text(target.get("account_id"))
        regions = [as_text(g) for g in as_list(target.get("regions"))]
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
            trails = as_map(ct001.raw_evidence).get("trails") if ct001 else None
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
    coverage = as_map(v.raw_evidence).get("coverage")
    word = coverage if isinstance(coverage, str) and v.status != "pass" else v.status
    text = f"{what}: {word}" if what else word
    if v.suppression is not None:
        text += " (suppressed)"
    return Part(symbol, text, tone, f"{rule} result #{v.n} ({v.status}): {v.message}", v.anchor)


def _covers(trail: Mapping[str, Any], region: str) -> bool | None:
    """Does this trail record this region? True, False, or None when undecidable."""
    logging = as_bool(trail.get("logging"))
    multi = as_bool(trail.get("multi_region"))
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
        t = as_map(t)
        covers = _covers(t, region)
        verdict = {True: "covers", False: "does not cover", None: "undecidable"}[covers]
        logging = {True: "logging", False: "not logging"}.get(as_bool(t.get("logging")), "logging unknown")
        scope = {True: "multi-region", False: f"single-region ({as_text(t.get('home_region'))})"}.get(
            as_bool(t.get("multi_region")), "scope unknown"
        )
        facts.append(f"{short_name(t.get('trail'))}: {scope}, {logging} → {verdict}")
    return "; ".join(facts)


def _trail_part(v: ResultView | None, trails: Any, region: str, ran: bool) -> Part:
    if not ran:
        return _not_evaluated("CT001")
    if v is None:
        return Part(NOTHING, "no result", "muted", "CT001 produced no account-level result (see scan errors)")
    source = f"CT001 result #{v.n}, evidence.trails"
    if not isinstance(trails, list):
        return Part(
            "?", "trails unknown", "warn", f"{source}: {as_text(trails) or 'no trail list'}", v.anchor
        )
    covering = [t for t in trails if _covers(as_map(t), region) is True]
    undecided = [t for t in trails if _covers(as_map(t), region) is None]
    facts = _trail_facts(trails, region) or "no trails"
    if covering:
        names = ", ".join(short_name(as_map(t).get("trail")) for t in covering)
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
    covering = [as_map(t) for t in trails if _covers(as_map(t), region) is True]
    undecided = [as_map(t) for t in trails if _covers(as_map(t), region) is None]
    values = [t.get("records_read_write_management") for t in covering]
    detail = "; ".join(
        f"{short_name(t.get('trail'))}: {as_text(t.get('records_read_write_management')) or 'not stated'}"
        for t in covering + undecided
    )
    if "yes" in values:
        who = ", ".join(
            short_name(t.get("trail")) for t in covering if t.get("records_read_write_management") == "yes"
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
            as_text(e.get("region")) == region
            and as_text(e.get("account_id")) in ("", account)
            and (
                as_text(e.get("service")) == service or as_text(e.get("operation")).startswith(service + ":")
            )
        ):
            return as_text(e.get("message"))
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
