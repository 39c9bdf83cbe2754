"""Reading a results document back (`opscheck report`, `opscheck diff`): from a JSON file,
or from the copy embedded in an HTML report. Every problem is one clear sentence naming the
file, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reports.json import SCHEMA_VERSION
from reports.text import without_lone_surrogates

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


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
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors add
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
    if _ESCAPED_SURROGATE.search(text):
        # `\ud800` read back is a lone surrogate (valid pairs are joined): no file can be
        # written with it. The text stays as given: it is what the HTML report embeds.
        doc = without_lone_surrogates(doc)
    check(doc, path)
    return doc, text


def check(doc: Any, path: Path | str) -> None:
    """The shape every renderer relies on, checked once here: a document that passes cannot
    crash a renderer, and one that does not is named with the JSON path at fault."""
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
    problems: list[str] = []
    _expect(doc, SHAPE, "", problems)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DocumentError(f"{path}: {problems[0]}{more}")


# What renderers read, by JSON path: a type, a tuple of allowed values, a nested shape, or
# [shape] for an array of it. `None` in a tuple of types allows null. Keys not named here
# are free (the document may grow additively).
_TEXT = (str,)
_OPT_TEXT = (str, type(None))
_OPT_INT = (int, type(None))
_LINE = "line"  # an integer >= 1
RESULT = {
    "rule_id": _TEXT,
    "status": ("fail", "pass", "unknown"),
    "severity": ("critical", "high", "medium", "low", "info"),
    "message": _TEXT,
    "fingerprint": _TEXT,
    "resource": {
        "type": _TEXT,
        "id": _TEXT,
        "name?": _OPT_TEXT,
        "account_id?": _OPT_TEXT,
        "region?": _OPT_TEXT,
    },
    "location?": {"path": _TEXT, "start_line": _LINE, "end_line": _LINE},
    "suppression?": {"source": _TEXT, "reason": _OPT_TEXT, "expires": _OPT_TEXT, "owner": _OPT_TEXT},
    "evidence?": (dict,),
}
SHAPE = {
    "scan": {
        "mode": ("aws", "iac"),
        "targets": [(dict,)],
        "errors": [{"kind": _TEXT, "message": _TEXT, "path?": _OPT_TEXT, "line?": _OPT_INT}],
        "stats": (dict,),
    },
    "rules": [{"id": _TEXT, "severity?": ("critical", "high", "medium", "low", "info")}],
    "results": [RESULT],
    "summary": (dict,),
}


def _expect(value: Any, shape: Any, where: str, problems: list[str]) -> None:
    if len(problems) >= 20:  # enough to act on
        return
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            problems.append(f"`{where or '.'}` is not a JSON object")
            return
        for raw_key, sub in shape.items():
            key = raw_key.rstrip("?")
            optional = raw_key.endswith("?")
            if key not in value:
                if not optional:
                    problems.append(f"`{_join(where, key)}` is missing")
                continue
            if optional and value[key] is None:
                continue
            _expect(value[key], sub, _join(where, key), problems)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            problems.append(f"`{where}` is not a JSON array")
            return
        for i, item in enumerate(value):
            _expect(item, shape[0], f"{where}[{i}]", problems)
    elif shape == _LINE:
        if type(value) is not int or value < 1:
            problems.append(f"`{where}` is {json.dumps(value)}, not a line number")
    elif all(isinstance(s, type) for s in shape):
        if not isinstance(value, shape) or (isinstance(value, bool) and bool not in shape):
            problems.append(f"`{where}` is {json.dumps(value)[:60]}, not {_kinds(shape)}")
    elif value not in shape:
        problems.append(f"`{where}` is {json.dumps(value)[:60]}, not one of {', '.join(shape)}")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kinds(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", dict: "an object", type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)
