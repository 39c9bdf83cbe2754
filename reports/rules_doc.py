"""`opscheck rules` and `opscheck explain`: rule documentation generated from the rules'
own metadata (never a second copy kept by hand)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from scanner.rule import Rule, RuleMeta


def render(rules: Sequence[Rule], fmt: str) -> str:
    metas = sorted((r.meta for r in rules), key=lambda m: m.id)
    if fmt == "json":
        return json.dumps([m.to_dict() for m in metas], indent=2) + "\n"
    if fmt == "markdown":
        return markdown(metas)
    return table(metas)


def table(metas: Sequence[RuleMeta]) -> str:
    rows = [("ID", "SEVERITY", "FAMILY", "NAME", "SOURCES", "TITLE")]
    rows += [
        (m.id, m.severity.value, m.family, m.name, ",".join(_short(s) for s in m.sources), m.title)
        for m in metas
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(f"{cell:<{widths[i]}}" for i, cell in enumerate(row[:5])) + "  " + row[5] for row in rows
    ]
    return "\n".join(lines) + "\n"


def _short(source: str) -> str:
    return {"terraform": "tf", "cloudformation": "cfn"}.get(source, source)


def _compliance(meta: RuleMeta) -> str:
    return "; ".join(f"{k} {', '.join(v)}" for k, v in sorted(meta.compliance.items()))


def markdown(metas: Sequence[RuleMeta]) -> str:
    out = [
        "# opscheck rules",
        "",
        "Generated from the rules' own metadata by `opscheck rules --format markdown`.",
        "",
    ]
    out += ["| ID | name | severity | family | sources | title |", "| --- | --- | --- | --- | --- | --- |"]
    out += [
        f"| [{m.id}](#{m.id.lower()}) | `{m.name}` | {m.severity.value} | {m.family} | "
        f"{', '.join(m.sources)} | {m.title} |"
        for m in metas
    ]
    for m in metas:
        out += [
            "",
            f"## {m.id}",
            "",
            f"**{m.title}** (`{m.name}`, {m.severity.value}, family {m.family})",
            "",
            m.description,
            "",
            "### Remediation",
            "",
            m.remediation_markdown(),
        ]
        if m.compliance:
            out += ["", f"Compliance: {_compliance(m)}"]
        if m.references:
            out += ["", "References:", ""] + [f"- <{u}>" for u in m.references]
    return "\n".join(out) + "\n"


def explain(meta: RuleMeta) -> str:
    lines = [
        f"{meta.id} {meta.name}: {meta.title}",
        f"severity {meta.severity.value}, family {meta.family}, sources {', '.join(meta.sources)}",
        "",
        meta.description,
        "",
        "Remediation:",
        "",
        meta.remediation_markdown(),
    ]
    if meta.compliance:
        lines += ["", f"Compliance: {_compliance(meta)}"]
    if meta.params:
        lines += [
            "",
            "Parameters (opscheck.yml `params`): "
            + ", ".join(f"{k}={'not set' if v is None else repr(v)}" for k, v in sorted(meta.params.items())),
        ]
    if meta.references:
        lines += ["", "References:"] + [f"  {u}" for u in meta.references]
    return "\n".join(lines) + "\n"
