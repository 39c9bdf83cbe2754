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
import gzip
import hashlib
import re
import zlib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports.coverage import COVERAGE_COLUMNS, coverage_matrix
from reports.html_model import ReportView, count_text
from reports.markdown import markdown
from reports.text import visible

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
    report = ReportView(doc)
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
            coverage=coverage_matrix(doc, report) if report.mode == "aws" else [],
            coverage_columns=COVERAGE_COLUMNS,
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
        # Every plain string a template prints (attributes included) is made visible before it
        # is escaped: escape sequences, bidi overrides and lone surrogates in names and paths
        # would otherwise reach the page as themselves (Markup is ours and already done).
        finalize=_visible,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown
    env.filters["element_text"] = element_text
    env.filters["count"] = count_text
    return env


@cache
def _asset(name: str) -> str:
    return (resources.files("reports") / "templates" / name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def element_text(text: object) -> Markup:
    """Text escaped for element content only (`&`, `<`, `>`): quotes need no escaping
    there, and pretty JSON is full of them. Never for attribute values."""
    shown = visible(str(text))
    return Markup(shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _visible(value: Any) -> Any:
    return visible(value) if type(value) is str else value
