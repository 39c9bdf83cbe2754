"""The HTML report at 1,000 and 5,000 results: render time, file size, and how fast the file
opens in headless Chromium (Debian's, never a downloaded one).

The synthetic documents are made from the demo account's document: its rules, and its
results copied across accounts and regions with fresh names, statuses mixed like a large
estate (mostly pass, a third fail, some unknown, a few suppressed), evidence as the demo's
rules write it.

    .venv/bin/python bench/html_report.py [--sizes 1000,5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The repository first, tests/ (for toolchain.py) last: tests/rules must not shadow `rules`.
sys.path[:0] = [str(REPO)]
sys.path.append(str(REPO / "tests"))

import toolchain  # noqa: E402

from reports import html  # noqa: E402
from reports import json as json_report  # noqa: E402
from scanner.demo import demo_scan  # noqa: E402

SEVERITIES = ("critical", "high", "medium", "low", "info")
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")


def synthetic(base: dict[str, Any], size: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    doc = copy.deepcopy(base)
    templates = base["results"]
    accounts = [f"{100000000000 + 111111111 * i}" for i in range(1, 1 + max(2, size // 600))]
    results = []
    for i in range(size):
        r = copy.deepcopy(templates[i % len(templates)])
        account = accounts[i % len(accounts)]
        region = REGIONS[(i // len(accounts)) % len(REGIONS)]
        res = r["resource"]
        if res["type"] != "AWS::Account":
            res["name"] = f"{res['name']}-{i:05d}"
            res["id"] = res["id"].replace("123456789012", account).rsplit("/", 1)[0] + f"/{res['name']}"
            res["region"] = region
        res["account_id"] = account
        if res["type"] == "AWS::Account":
            res["id"] = res["name"] = account
        roll = rng.random()
        if roll < 0.55:
            r["status"] = "pass"
        elif roll < 0.88:
            r["status"] = "fail"
        else:
            r["status"] = "unknown"
            r["evidence"] = {
                **r["evidence"],
                "IsLogging": {"unknown": "cloudtrail:GetTrailStatus: AccessDenied"},
            }
            r["message"] = f"{r['message'].rstrip('.')}: could not be decided (access denied)."
        if r["status"] == "fail" and rng.random() < 0.08:
            r["suppression"] = {
                "source": "config",
                "reason": f"Accepted risk, ticket SEC-{1000 + i}",
                "expires": "2027-06-30",
                "owner": "platform-security@example.com",
            }
        r["fingerprint"] = hashlib.sha256(f"{r['rule_id']}/{res['id']}/{i}".encode()).hexdigest()[:32]
        results.append(r)
    rank = {s: n for n, s in enumerate(SEVERITIES)}
    results.sort(key=lambda r: (rank[r["severity"]], r["rule_id"], r["resource"]["id"]))
    doc["results"] = results
    doc["scan"]["targets"] = [
        {"kind": "aws-account", "account_id": a, "regions": sorted(REGIONS)} for a in accounts
    ]
    doc["scan"]["stats"]["results"] = size
    doc["summary"] = _summary(results)
    return doc


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {k: 0 for k in ("fail", "pass", "unknown", "suppressed")}
    by_severity = dict.fromkeys(SEVERITIES, 0)
    by_rule: dict[str, dict[str, int]] = {}
    for r in results:
        key = "suppressed" if r["suppression"] else r["status"]
        counts[key] += 1
        by_rule.setdefault(r["rule_id"], dict.fromkeys(counts, 0))[key] += 1
        if key == "fail":
            by_severity[r["severity"]] += 1
    return {**counts, "by_severity": by_severity, "by_rule": dict(sorted(by_rule.items()))}


def open_times(browser: Any, path: Path) -> dict[str, float]:
    """One fresh page: load event, and the findings table painted (opened at #findings)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
    )
    started = time.perf_counter()
    page.goto(path.as_uri() + "#findings", wait_until="load")
    loaded = time.perf_counter()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    painted = time.perf_counter()
    timing = page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            const fcp = performance.getEntriesByName('first-contentful-paint')[0];
            return {load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : null};
        }"""
    )
    filter_ms = page.evaluate(
        """() => {
            const t0 = performance.now();
            document.querySelector('button.chip[data-value="pass"]').click();
            document.body.offsetHeight;
            return performance.now() - t0;
        }"""
    )
    sort_ms = page.evaluate(
        """() => {
            const t0 = performance.now();
            document.querySelector('#findings-head button[data-key="res"]').click();
            document.body.offsetHeight;
            return performance.now() - t0;
        }"""
    )
    context.close()
    return {
        "goto_load_s": loaded - started,
        "table_painted_s": painted - started,
        "load_event_ms": timing["load"],
        "fcp_ms": timing["fcp"] or float("nan"),
        "filter_ms": filter_ms,
        "sort_ms": sort_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the reports into this directory")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    base = json_report.to_document(demo_scan())
    where = args.keep or Path(tempfile.mkdtemp(prefix="opscheck-html-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=toolchain.chromium(), args=toolchain.CHROMIUM_ARGS)
        for size in (int(s) for s in args.sizes.split(",")):
            doc = synthetic(base, size)
            text = json_report.dumps(doc)
            renders = []
            for _ in range(args.runs):
                t = time.perf_counter()
                report = html.render(json.loads(text), text)
                renders.append(time.perf_counter() - t)
            path = where / f"report-{size}.html"
            path.write_text(report, encoding="utf-8")
            assert html.extract_document(report) == text
            opens = [open_times(browser, path) for _ in range(args.runs)]
            median = {k: statistics.median(o[k] for o in opens) for k in opens[0]}
            rows.append((size, len(text.encode()), path.stat().st_size, statistics.median(renders), median))
        browser.close()

    print(f"reports in {where}; medians of {args.runs} runs\n")
    header = (
        f"{'results':>8} {'JSON MB':>8} {'HTML MB':>8} {'render s':>9} {'load s':>7} "
        f"{'table s':>8} {'FCP ms':>7} {'filter ms':>10} {'sort ms':>8}"
    )
    print(header)
    for size, json_bytes, html_bytes, render_s, m in rows:
        print(
            f"{size:>8,} {json_bytes / 1e6:>8.2f} {html_bytes / 1e6:>8.2f} {render_s:>9.2f} "
            f"{m['goto_load_s']:>7.2f} {m['table_painted_s']:>8.2f} {m['fcp_ms']:>7.0f} "
            f"{m['filter_ms']:>10.0f} {m['sort_ms']:>8.0f}"
        )
    print(
        "\nload s: navigation to the load event (wall clock); table s: until the findings table,"
        " opened at #findings, is painted (two animation frames after load); filter/sort: one click,"
        " including the layout it causes."
    )


if __name__ == "__main__":
    main()
