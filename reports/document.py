"""Reading a results document back (`opscheck report`, `opscheck diff`): from a JSON file,
or from the copy embedded in an HTML report. Every problem is one clear sentence naming the
file, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports.json import SCHEMA_VERSION

RESULT_KEYS = ("rule_id", "status", "severity", "message", "resource", "fingerprint")


class DocumentError(Exception):
    """The file is not a readable opscheck results document."""


def load(path: Path) -> tuple[dict[str, Any], str]:
    """The document and its exact text (the HTML report's digest is over the text)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if text.lstrip()[:1] == "<":  # an HTML report: its embedded, digest-checked copy
        from reports import html

        try:
            text = html.extract_document(text)
        except ValueError as exc:
            raise DocumentError(f"{path}: {exc}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from exc
    check(doc, path)
    return doc, text


def check(doc: Any, path: Path | str) -> None:
    """The shape every renderer relies on, checked once here."""
    if not isinstance(doc, dict):
        raise DocumentError(f"{path}: not an opscheck results document (the top level is not an object)")
    tool = doc.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "opscheck":
        raise DocumentError(f'{path}: not an opscheck results document (no tool.name "opscheck")')
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DocumentError(
            f"{path}: results document schema_version {version!r}; this opscheck reads {SCHEMA_VERSION!r}"
        )
    for key, kind, name in (
        ("scan", dict, "object"),
        ("rules", list, "array"),
        ("results", list, "array"),
        ("summary", dict, "object"),
    ):
        if not isinstance(doc.get(key), kind):
            raise DocumentError(f"{path}: `{key}` is missing or not a JSON {name}")
    for i, r in enumerate(doc["results"]):
        if not isinstance(r, dict):
            raise DocumentError(f"{path}: results[{i}] is not an object")
        missing = [k for k in RESULT_KEYS if k not in r]
        if missing:
            raise DocumentError(f"{path}: results[{i}] lacks {', '.join(missing)}")
    for i, m in enumerate(doc["rules"]):
        if not isinstance(m, dict) or "id" not in m:
            raise DocumentError(f"{path}: rules[{i}] has no id")
