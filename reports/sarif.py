"""SARIF 2.1.0 for GitHub code scanning and other viewers (INTERFACE.md), rendered from a
results document, so `opscheck report` gives the same file as the scan that wrote it.

Only unsuppressed fails become SARIF results: GitHub ignores SARIF `suppressions`, so a
suppressed result written here would open an alert. GitHub's limits are enforced here, not
discovered at upload time: what does not fit is left out (lowest severity first) and said
in the file's notifications and in `problems`, never a file GitHub rejects.
"""

from __future__ import annotations

import gzip
import json
import posixpath
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner import HOMEPAGE

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning's documented upload limits.
MAX_RESULTS = 25_000
MAX_TAGS = 20
MAX_GZIP_BYTES = 10 * 1024 * 1024
DEFAULT_ANCHOR = "opscheck.yml"


@dataclass
class SarifReport:
    text: str
    # Limits that made results be left out, as sentences (the CLI reports them as scan errors).
    problems: list[str] = field(default_factory=list)
    dropped: int = 0


def render(
    doc: Mapping[str, Any],
    *,
    anchor: str | None = None,
    max_results: int | None = None,
    max_gzip_bytes: int | None = None,
) -> SarifReport:
    """`anchor`: the file live results (no file of their own) point at, cwd-relative
    (INTERFACE.md: `--sarif-anchor`, default the config file, else opscheck.yml)."""
    max_results = MAX_RESULTS if max_results is None else max_results
    max_gzip_bytes = MAX_GZIP_BYTES if max_gzip_bytes is None else max_gzip_bytes
    scan = doc.get("scan", {})
    prefix = scan.get("cwd_from_repository_root")
    fails = [r for r in doc.get("results", []) if r.get("status") == "fail" and not r.get("suppression")]
    # The document lists results most severe first; keep that order so any cut drops the least severe.
    fails.sort(key=lambda r: -_RANK.get(r.get("severity", "info"), 0))
    keep = min(len(fails), max_results)
    problems: list[str] = []
    if len(fails) > max_results:
        problems.append(
            f"SARIF: {len(fails):,} fails exceed GitHub's limit of {max_results:,} results per run; the "
            f"{len(fails) - max_results:,} least severe are left out of the SARIF file (the JSON and HTML "
            "reports have them all)"
        )
    while True:
        text = _dumps(_log(doc, fails[:keep], problems, anchor or DEFAULT_ANCHOR, prefix))
        size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
        if size <= max_gzip_bytes or keep == 0:
            break
        # Shrink in proportion, with a margin, until the compressed file fits.
        keep = max(0, min(keep - 1, int(keep * max_gzip_bytes / size * 0.95)))
        problems = [p for p in problems if not p.startswith("SARIF file")] + [
            f"SARIF file over GitHub's {max_gzip_bytes // (1024 * 1024)} MB (gzipped) limit: only the "
            f"{keep:,} most severe of {len(fails):,} fails are in it (the JSON and HTML reports have them all)"
        ]
    return SarifReport(text=text, problems=problems, dropped=len(fails) - keep)


_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


def _dumps(log: dict[str, Any]) -> str:
    return json.dumps(log, ensure_ascii=False, indent=1) + "\n"


def _log(
    doc: Mapping[str, Any],
    fails: list[Mapping[str, Any]],
    problems: list[str],
    anchor: str,
    prefix: str | None,
) -> dict[str, Any]:
    scan = doc.get("scan", {})
    metas = {m["id"]: m for m in doc.get("rules", [])}
    for r in fails:  # a result of a rule the document does not describe still needs a descriptor
        metas.setdefault(r["rule_id"], {"id": r["rule_id"], "severity": r.get("severity", "info")})
    ids = sorted(metas)
    index = {rid: i for i, rid in enumerate(ids)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "opscheck",
                "semanticVersion": doc.get("tool", {}).get("version", "0.0.0"),
                "version": doc.get("tool", {}).get("version", "0.0.0"),
                "informationUri": HOMEPAGE,
                "rules": [_descriptor(metas[rid]) for rid in ids],
            }
        },
        "automationDetails": {"id": automation_id(scan)},
        "invocations": [_invocation(scan, problems, prefix, scanned=bool(doc.get("results")))],
        "originalUriBaseIds": {
            "%SRCROOT%": {"description": {"text": "The root of the repository that was scanned."}}
        },
        "results": [_result(r, metas[r["rule_id"]], index[r["rule_id"]], anchor, prefix) for r in fails],
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def automation_id(scan: Mapping[str, Any]) -> str:
    """GitHub's category: one per scan kind and account, so the nightly scan of one account
    and a PR check never close each other's alerts."""
    if scan.get("mode") != "aws":
        return "opscheck/iac/"
    accounts = sorted({t["account_id"] for t in scan.get("targets", []) if t.get("account_id")})
    if len(accounts) == 1:
        return f"opscheck/aws-{accounts[0]}/"
    # Several accounts in one run (an organization scan): one stable category for all of them.
    return "opscheck/aws-accounts/" if accounts else "opscheck/aws/"


# -- rules -----------------------------------------------------------------------------------


def _descriptor(meta: Mapping[str, Any]) -> dict[str, Any]:
    severity = meta.get("severity", "info")
    title = meta.get("title") or meta["id"]
    description = meta.get("description") or title
    desc: dict[str, Any] = {
        "id": meta["id"],
        "name": _pascal(meta.get("name") or meta["id"]),
        "shortDescription": {"text": _one_line(title)},
        "fullDescription": {"text": _plain_paragraphs(description)},
        "help": {"text": _help_text(meta), "markdown": _help_markdown(meta)},
        "defaultConfiguration": {"level": LEVEL.get(severity, "note")},
        "properties": {
            "tags": tags(meta),
            "precision": meta.get("precision", "high"),
            "security-severity": SECURITY_SEVERITY.get(severity, "1.0"),
        },
    }
    refs = meta.get("references") or []
    if refs:
        desc["helpUri"] = refs[0]
    return desc


def tags(meta: Mapping[str, Any]) -> list[str]:
    """`security` first (GitHub shows security-severity only for rules tagged so), then the
    family and the compliance controls, at most GitHub's 20."""
    out = ["security"]
    if meta.get("family"):
        out.append(meta["family"])
    for framework, controls in sorted((meta.get("compliance") or {}).items()):
        out.extend(f"{framework}/{c}" for c in controls)
    return list(dict.fromkeys(out))[:MAX_TAGS]


def _pascal(name: str) -> str:
    """SARIF viewers show `name` as an identifier: cloudtrail-account-coverage -> CloudtrailAccountCoverage."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plain_paragraphs(text: str) -> str:
    """Hard-wrapped docstring prose as paragraphs: wrapped lines joined, blank lines kept."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip())]
    return "\n\n".join(p for p in paragraphs if p)


def _controls(meta: Mapping[str, Any]) -> list[str]:
    return [f"{fw} {', '.join(cs)}" for fw, cs in sorted((meta.get("compliance") or {}).items())]


def _help_markdown(meta: Mapping[str, Any]) -> str:
    parts = [
        f"**{meta['id']}** {meta.get('title', '')}".strip(),
        _plain_paragraphs(meta.get("description", "")),
    ]
    if meta.get("remediation"):
        parts.append("## Remediation\n\n" + meta["remediation"].strip())
    controls = _controls(meta)
    if controls:
        parts.append("## Compliance\n\n" + "\n".join(f"- {c}" for c in controls))
    refs = meta.get("references") or []
    if refs:
        parts.append("## References\n\n" + "\n".join(f"- <{u}>" for u in refs))
    return "\n\n".join(p for p in parts if p)


def _help_text(meta: Mapping[str, Any]) -> str:
    parts = [f"{meta['id']} {meta.get('title', '')}".strip(), _plain_paragraphs(meta.get("description", ""))]
    if meta.get("remediation"):
        parts.append("Remediation:\n" + meta["remediation"].strip())
    controls = _controls(meta)
    if controls:
        parts.append("Compliance: " + "; ".join(controls))
    refs = meta.get("references") or []
    if refs:
        parts.append("References:\n" + "\n".join(refs))
    return "\n\n".join(p for p in parts if p)


# -- results ---------------------------------------------------------------------------------


def repository_path(path: str, prefix: str | None) -> str:
    """A cwd-relative report path as a path from the repository root (GitHub resolves
    SARIF URIs against the checkout)."""
    joined = posixpath.normpath(posixpath.join(prefix, path)) if prefix and prefix != "." else path
    return posixpath.normpath(joined)


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986): everything but path characters percent-encoded,
    UTF-8 for non-ASCII; `:` too, or `a:b.tf` would read as a URI with scheme `a`."""
    return urllib.parse.quote(path, safe="/!$&'()*+,;=@")


def _result(
    r: Mapping[str, Any], meta: Mapping[str, Any], rule_index: int, anchor: str, prefix: str | None
) -> dict[str, Any]:
    resource = r.get("resource") or {}
    loc = r.get("location")
    message = r.get("message") or f"{r['rule_id']} fails on {resource.get('id', 'a resource')}."
    if loc and loc.get("path"):
        start = max(1, int(loc.get("start_line") or 1))
        end = max(start, int(loc.get("end_line") or start))
        physical = {
            "artifactLocation": {"uri": _uri(repository_path(loc["path"], prefix)), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": start, "endLine": end},
        }
    else:
        # No file of its own (a live resource): the stable anchor file, line 1, and the ARN.
        physical = {
            "artifactLocation": {"uri": _uri(repository_path(anchor, prefix)), "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 1},
        }
        ident = resource.get("id")
        if ident and ident not in message:
            message = f"{message} ({ident})"
    location: dict[str, Any] = {"physicalLocation": physical}
    logical = _logical(resource)
    if logical:
        location["logicalLocations"] = [logical]
    out: dict[str, Any] = {
        "ruleId": r["rule_id"],
        "ruleIndex": rule_index,
        "level": LEVEL.get(r.get("severity", "info"), "note"),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {"primaryLocationLineHash": r["fingerprint"]},
        "properties": {
            "severity": r.get("severity"),
            "security-severity": SECURITY_SEVERITY.get(r.get("severity", "info"), "1.0"),
            "resource": {k: v for k, v in resource.items() if v is not None},
        },
    }
    return out


def _logical(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    ident = resource.get("id")
    if not ident:
        return None
    logical: dict[str, Any] = {"fullyQualifiedName": ident, "kind": "resource"}
    if resource.get("name"):
        logical["name"] = resource["name"]
    return logical


def _invocation(
    scan: Mapping[str, Any], problems: list[str], prefix: str | None, *, scanned: bool
) -> dict[str, Any]:
    # A fresh scan carries this file's own limit problems among its errors already: the
    # ones of this rendering replace them.
    notes = [_notification(e, prefix) for e in scan.get("errors", []) if e.get("kind") != "report"]
    notes += [{"level": "error", "message": {"text": p}, "descriptor": {"id": "report"}} for p in problems]
    # Nothing at all could be scanned (no credentials, no IaC found): the run did not succeed,
    # and an empty result list must not read as a clean bill.
    nothing = not scanned and not scan.get("stats", {}).get("resources") and bool(scan.get("errors"))
    inv: dict[str, Any] = {"executionSuccessful": not nothing, "toolExecutionNotifications": notes}
    for key, name in (("started_at", "startTimeUtc"), ("finished_at", "endTimeUtc")):
        if scan.get(key):
            inv[name] = scan[key]
    return inv


def _notification(e: Mapping[str, Any], prefix: str | None) -> dict[str, Any]:
    text = e.get("message", "")
    context = [f"{k} {e[k]}" for k in ("account_id", "region", "service", "operation", "code") if e.get(k)]
    if context:
        text += f" [{', '.join(context)}]"
    note: dict[str, Any] = {
        "level": "warning" if e.get("kind") == "api" else "error",
        "message": {"text": text},
        "descriptor": {"id": e.get("kind", "internal")},
    }
    if e.get("path"):
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": _uri(repository_path(e["path"], prefix)), "uriBaseId": "%SRCROOT%"}
        }
        if e.get("line"):
            physical["region"] = {"startLine": max(1, int(e["line"]))}
        note["locations"] = [{"physicalLocation": physical}]
    return note
