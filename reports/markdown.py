"""The small markdown subset rule texts use (remediation snippets), rendered safely as HTML."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from reports.text import visible

# --------------------------------------------------------------------------- markdown subset

_FENCE = re.compile(r"^\s*```\s*([\w+.-]*)\s*$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")


def markdown(text: object) -> Markup:
    """The small markdown subset rule texts use, rendered safely: paragraphs, bullet
    lists, fenced code blocks, inline code and bold. Everything else stays text."""
    # Made visible first (reports.text): a rule text read back from a document is anyone's.
    lines = visible(str(text or "").replace("\r\n", "\n")).split("\n")
    out: list[Markup] = []
    para: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if para:
            out.append(Markup("<p>{}</p>").format(_inline(" ".join(para))))
            para.clear()
        if items:
            lis = Markup("").join(Markup("<li>{}</li>").format(_inline(i)) for i in items)
            out.append(Markup("<ul>{}</ul>").format(lis))
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush()
            body: list[str] = []
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            lang = fence.group(1)
            label = Markup('<span class="lang">{}</span>').format(lang) if lang else Markup("")
            out.append(Markup('<pre class="code">{}<code>{}</code></pre>').format(label, "\n".join(body)))
        elif not line.strip():
            flush()
        elif bullet := _BULLET.match(line):
            if para:
                flush()
            items.append(bullet.group(1).strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            if items:
                flush()
            para.append(line.strip())
        i += 1
    flush()
    return Markup("\n").join(out)


def _inline(text: str) -> Markup:
    parts: list[Markup] = []
    pos = 0
    for m in _INLINE.finditer(text):
        parts.append(escape(text[pos : m.start()]))
        if m.group(1) is not None:
            parts.append(Markup("<code>{}</code>").format(m.group(1)))
        else:
            parts.append(Markup("<strong>{}</strong>").format(m.group(2)))
        pos = m.end()
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)
