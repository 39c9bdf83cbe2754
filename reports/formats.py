"""Every output format from one results document, so a scan and `opscheck report` write the
same bytes. The JSON text is made once: the HTML report embeds it and shows its digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reports import json as json_report
from reports import sarif
from reports.text import has_lone_surrogates, without_lone_surrogates
from scanner.model import ScanError
from scanner.results import ScanOutcome

FILE_FORMATS = ("json", "sarif", "html")


@dataclass
class Rendered:
    doc: dict[str, Any]
    texts: dict[str, str] = field(default_factory=dict)
    # Report limits that left something out (SARIF); already added to the scan's errors
    # when rendering a fresh outcome.
    problems: list[str] = field(default_factory=list)


def render_outcome(outcome: ScanOutcome, formats: list[str], *, anchor: str | None = None) -> Rendered:
    """Render the file formats of a fresh scan. A SARIF limit that drops results becomes a
    scan error first, so the JSON, HTML and console outputs report it too."""
    doc, text = _document(outcome)
    problems: list[str] = []
    if "sarif" in formats:
        problems = sarif.render(doc, anchor=anchor).problems
        if problems:
            outcome.errors.extend(ScanError(kind="report", message=p) for p in problems)
            doc, text = _document(outcome)
    rendered = Rendered(doc=doc, problems=problems)
    for fmt in formats:
        if fmt in FILE_FORMATS:
            rendered.texts[fmt] = render_document(doc, text, fmt, anchor=anchor)
    return rendered


def _document(outcome: ScanOutcome) -> tuple[dict[str, Any], str]:
    """The document and its text. A file name that is not UTF-8 reaches the scan as lone
    surrogates (os.fsdecode), which no UTF-8 file can hold: they become U+FFFD here, once,
    for every format (the check is one pass over the text; the fix only runs when needed)."""
    doc = json_report.to_document(outcome)
    text = json_report.dumps(doc)
    if has_lone_surrogates(text):
        doc = without_lone_surrogates(doc)
        text = json_report.dumps(doc)
    return doc, text


def render_document(doc: Mapping[str, Any], text: str, fmt: str, *, anchor: str | None = None) -> str:
    """One file format of a document whose exact JSON text is `text`."""
    if fmt == "json":
        return text
    if fmt == "sarif":
        return sarif.render(doc, anchor=anchor).text
    if fmt == "html":
        from reports import html

        return html.render(doc, text)
    raise ValueError(f"not a file format: {fmt}")
