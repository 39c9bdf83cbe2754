"""Strings from the scanned world made safe to show (console, HTML) and to write (JSON, SARIF).

Names, tags, paths and messages come from accounts and files someone else controls: they
may carry terminal escape sequences, bidi overrides that make a name read backwards
(Trojan Source), or lone surrogates (an undecodable file name) that no UTF-8 file can hold.
"""

from __future__ import annotations

import re
from typing import Any

# Shown spelled out: C0 controls but tab and newline (ESC starts every CSI/OSC sequence),
# DEL, C1 (U+009B is a one-character CSI), the Unicode bidi controls, the line and paragraph
# separators (line breaks to some terminals and viewers), and lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _spelled(match: re.Match[str]) -> str:
    n = ord(match.group())
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def visible(text: str) -> str:
    """`text` with every control, bidi and separator character shown as \\xNN or \\uNNNN."""
    return _UNSAFE.sub(_spelled, text)


def has_lone_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def without_lone_surrogates(value: Any) -> Any:
    """`value` (a results document or part of one) with lone surrogates replaced by U+FFFD:
    UTF-8, and so every JSON or SARIF file, cannot hold them, and strict parsers reject
    their escaped form. Python's JSON reader joins valid pairs, so any left are lone."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    return value
