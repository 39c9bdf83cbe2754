"""Results documents for the HTML report tests: the demo scans (made once per session) and
variants with hostile strings, suppressions and scan errors."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from reports import json as json_report
from scanner import engine
from scanner.demo import demo_scan, examples_scan
from scanner.scan import scan_iac
from testkit import write_tree

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
ACCOUNT = "123456789012"

SEVERITIES = ("critical", "high", "medium", "low", "info")


@cache
def _live_text() -> str:
    return json_report.dumps(json_report.to_document(demo_scan()))


@cache
def _iac_text() -> str:
    outcome = examples_scan()
    assert outcome is not None, "examples/ is part of the source checkout"
    return json_report.dumps(json_report.to_document(outcome))


def live() -> tuple[dict[str, Any], str]:
    """The demo account's document (a fresh copy) and its text."""
    text = _live_text()
    return json.loads(text), text


def iac() -> tuple[dict[str, Any], str]:
    text = _iac_text()
    return json.loads(text), text


def resummarize(doc: dict[str, Any]) -> dict[str, Any]:
    """The summary block recounted after a test edited results (as scanner.results does)."""
    counts: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    by_rule: dict[str, Counter[str]] = {}
    for r in doc["results"]:
        rule = by_rule.setdefault(r["rule_id"], Counter())
        key = "suppressed" if r["suppression"] else r["status"]
        counts[key] += 1
        rule[key] += 1
        if key == "fail":
            by_severity[r["severity"]] += 1
    doc["summary"] = {
        "fail": counts["fail"],
        "pass": counts["pass"],
        "unknown": counts["unknown"],
        "suppressed": counts["suppressed"],
        "by_severity": {s: by_severity[s] for s in SEVERITIES},
        "by_rule": {
            k: {s: c[s] for s in ("fail", "pass", "unknown", "suppressed")}
            for k, c in sorted(by_rule.items())
        },
    }
    doc["scan"]["stats"]["results"] = len(doc["results"])
    return doc


def with_text(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    return doc, json_report.dumps(doc)


def hostile() -> tuple[dict[str, Any], str]:
    """The demo document with markup where the scanned world puts strings: a trail named
    like an <img> tag, a tag value holding a <script>, a suppression reason and scan error
    trying to close the script element, a rule text with HTML and a javascript: reference."""
    doc, _ = live()
    target = next(r for r in doc["results"] if r["rule_id"] == "CT003" and r["status"] == "fail")
    target["resource"]["name"] = IMG
    target["message"] = f"Trail {IMG} is not logging: it records no events. </script><b>bold</b>"
    target["evidence"]["tags"] = {"team": SCRIPT, "owner": "</script><script>alert(2)</script>"}
    other = next(r for r in doc["results"] if r["rule_id"] == "CT005" and r["status"] == "fail")
    other["suppression"] = {
        "source": "config",
        "reason": f"accepted risk {SCRIPT}",
        "expires": "2099-01-31",
        "owner": "<b>mallory</b>",
    }
    doc["scan"]["errors"] = [
        {
            "kind": "api",
            "message": f"AccessDenied for {SCRIPT}",
            "account_id": ACCOUNT,
            "region": "ap-south-1",
            "service": "lambda",
            "operation": "ListFunctions",
            "code": "AccessDeniedException",
        }
    ]
    doc["scan"]["run_by"] = {"user": IMG, "aws_principal": SCRIPT}
    doc["scan"]["baseline"] = {
        "path": f"{IMG}.json",
        "scan_id": "b1",
        "started_at": "2026-11-01T00:00:00Z",
        "accepted": 3,
        "matched": 2,
        "resolved": 1,
    }
    doc["scan"]["suppressions"] = [  # listed for review: expired and unused entries
        {
            "source": "config",
            "path": f"{IMG}.yml",
            "line": 3,
            "rule": "CT00*",
            "resource": SCRIPT,
            "account": None,
            "region": "eu-*",
            "tags": {"team": IMG},
            "reason": f"waiver {SCRIPT}",
            "owner": "<b>mallory</b>",
            "expires": "2020-01-01",
            "status": "expired",
            "results": 0,
        },
        {
            "source": "config",
            "path": "opscheck.yml",
            "line": 9,
            "rule": "AZ001",
            "resource": "old-db",
            "account": None,
            "region": None,
            "tags": {},
            "reason": "decommissioned",
            "owner": None,
            "expires": None,
            "status": "unused",
            "results": 0,
        },
    ]
    rule = next(r for r in doc["rules"] if r["id"] == "CT003")
    rule["description"] += f"\n\nSee {SCRIPT} and `{IMG}`."
    rule["references"] = [*rule["references"], "javascript:alert(1)"]
    return with_text(resummarize(doc))


FUTURE = (dt.date.today() + dt.timedelta(days=365)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=30)).isoformat()

_SUPPRESSED_TF = f"""
resource "aws_cloudtrail" "regional" {{
  name           = "regional"
  s3_bucket_name = "logs"
  # opscheck:ignore CT002 regional trail by design, see ADR-12 until={FUTURE}
  # opscheck:ignore CT005 validation arrives with the new bucket until={PAST}
}}
"""


def suppressed_iac(tmp_path: Path) -> tuple[dict[str, Any], str]:
    """A real IaC scan with an inline suppression in force and one expired; a config-file
    style suppression (with an owner) added to a third result."""
    root = write_tree(tmp_path / "cfg", {"main.tf": _SUPPRESSED_TF})
    ruleset = engine.discover()
    iac_rules = [r for r in ruleset.rules if "terraform" in r.meta.sources]
    doc = json_report.to_document(scan_iac([root], iac_rules, tmp_path, ruleset.errors))
    doc = copy.deepcopy(doc)
    ct006 = next(r for r in doc["results"] if r["rule_id"] == "CT006")
    ct006["suppression"] = {
        "source": "config",
        "reason": "KMS rollout tracked in SEC-481",
        "expires": "2099-06-30",
        "owner": "platform-security@example.com",
    }
    return with_text(resummarize(doc))


def with_errors() -> tuple[dict[str, Any], str]:
    """No results, and one scan error of every kind."""
    doc, _ = iac()
    doc["results"] = []
    doc["scan"]["errors"] = [
        {"kind": "parse", "message": "main.tf: unexpected '}'", "path": "infra/main.tf", "line": 12},
        {
            "kind": "api",
            "message": "not authorized to perform cloudtrail:DescribeTrails",
            "account_id": ACCOUNT,
            "region": "eu-west-1",
            "service": "cloudtrail",
            "operation": "DescribeTrails",
            "code": "AccessDeniedException",
        },
        {"kind": "config", "message": "opscheck.yml: unknown key 'suppresions'", "path": "opscheck.yml"},
        {"kind": "internal", "message": "rule DE003 raised KeyError: 'x'"},
    ]
    return with_text(resummarize(doc))
