"""Report safety (issue 10): strings from the scanned world go through every report format
as text. HTML runs nothing and fetches nothing (checked in headless Chromium), the console
gets no terminal control sequence, JSON and SARIF stay strictly valid (SARIF also against
both validators), and the diff a workflow puts into a GitHub job summary cannot leave its
code fence.

The corpus (hostile_strings.py) goes through (a) crafted results documents, built through
the real model and writers, and (b) real scans: Terraform and CloudFormation files whose
paths, resource names, tags and suppression reasons are hostile, and a live scan of the
moto emulator with hostile EventBridge rule, target, SageMaker endpoint and alarm names.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import toolchain
from hostile_strings import (
    BY_KEY,
    CORPUS,
    EVIL_HOST,
    HUGE,
    SENTINEL,
    UNSAFE,
    Hostile,
    generated,
    shown,
)
from markupsafe import escape

from reports import console, diff, formats
from reports.markdown import markdown
from scanner.model import Location, ResourceRef, Result, ScanError, Severity, Status, Suppression
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import ACCOUNT, live_scan, rules, write_tree

# The SARIF validators live beside the report tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from sarif_validators import describe, multitool_findings, schema_errors

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"
# `make reliability` adds generated mixes of the same ingredients.
STRINGS: tuple[Hostile, ...] = CORPUS + ((*generated(150), HUGE) if FULL else ())
SURROGATES = re.compile("[\ud800-\udfff]")
# The console's own colours (reports/console.py): the only escape sequences it may write.
OWN_SGR = re.compile(r"\x1b\[(?:[0-9;]*)m")


def written(text: str) -> str:
    """What a UTF-8 report holds for `text`: lone surrogates become U+FFFD (reports/text.py)."""
    return SURROGATES.sub("\ufffd", text)


def expect_shown(text: str) -> str:
    return shown(written(text))


def one_line(text: str) -> str:
    """Whitespace runs as one space (the console wraps and collapses; the test compares words)."""
    return " ".join(text.split())


# -- strict parsing ----------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
    return dict(pairs)


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """JSON as a strict parser takes it: UTF-8 encodable, no NaN/Infinity, no duplicate keys,
    no lone surrogates (which `\\ud800` escapes would give)."""
    text.encode("utf-8")  # raises on a lone surrogate written raw
    doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)

    def walk(v: Any) -> None:
        if isinstance(v, str):
            assert not SURROGATES.search(v), f"lone surrogate in {v[:80]!r}"
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return doc


def unsafe_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(text)})


# -- crafted documents -------------------------------------------------------------------------


def _ident(h: Hostile) -> str:
    # A lone surrogate in a resource id crashes the fingerprint (scanner/model.py encodes
    # the id strictly; reported with this change): ids carry the key for those two.
    return h.key if SURROGATES.search(h.text) else h.text


def _segment(text: str) -> str:
    """A path as long as a file system allows (PATH_MAX 4,096 bytes): longer ones cannot come
    from a scan, and their SARIF URI would pass .NET's limit, which stops the multitool."""
    return text[:4000]


def case_results(h: Hostile, n: int) -> list[Result]:
    """Two results for one hostile string: a fail (it reaches SARIF) and a suppressed one,
    the string in every field the scanned world fills."""
    t = h.text
    ref = ResourceRef(
        "AWS::Events::Rule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{_ident(h)}", t, ACCOUNT, "us-east-1"
    )
    evidence = {
        "case": h.key,
        "tags": {"team": t, f"k-{t}": "v"},
        "policy": {"Statement": [{"Effect": "Allow", "Resource": t, "Condition": {"StringEquals": {t: t}}}]},
        "params": {"approved_owners": [t]},
    }
    fail = Result(
        "EB001",
        Status.FAIL,
        Severity.HIGH,
        f"EventBridge rule {t} has no dead-letter queue.",
        ref,
        evidence=evidence,
        location=Location(f"infra/{_segment(t)}/main.tf", 1 + n, 2 + n),
    )
    kept = Result(
        "CT002",
        Status.FAIL,
        Severity.MEDIUM,
        f"Trail {t} is a single-region trail.",
        ResourceRef("AWS::CloudTrail::Trail", f"trail/{_ident(h)}", t, ACCOUNT, "eu-west-1"),
        evidence={"case": h.key},
        suppression=Suppression("config", f"accepted: {t}", "2099-01-31", t),
    )
    return [fail, kept]


def crafted_outcome(strings: tuple[Hostile, ...]) -> ScanOutcome:
    results = [r for n, h in enumerate(strings) for r in case_results(h, n)]
    joined = " | ".join(h.text for h in strings if h.key != "long")[:4000]
    targets: list[dict[str, Any]] = [
        {"kind": "aws-account", "account_id": f"{i:012d}", "name": h.text, "regions": ["us-east-1"]}
        for i, h in enumerate(strings, 1)
    ]
    targets.append({"kind": "aws-account", "account_id": ACCOUNT, "scanned": False, "reason": joined})
    errors = [
        ScanError(
            kind="api",
            message=f"AccessDenied on {h.text}",
            path=f"{_segment(h.text)}.tf",
            line=3,
            account_id=ACCOUNT,
            region="us-east-1",
            service="events",
            operation="ListTargetsByRule",
            code=h.text,
        )
        for h in strings
    ]
    stale = [
        {
            "source": "config",
            "path": f"{h.text}.yml",
            "line": i + 1,
            "rule": "CT00*",
            "resource": h.text,
            "account": None,
            "region": "eu-*",
            "tags": {"team": h.text},
            "reason": f"waiver {h.text}",
            "owner": h.text,
            "expires": "2020-01-01",
            "status": "expired",
            "results": 0,
        }
        for i, h in enumerate(strings)
    ]
    return ScanOutcome(
        mode="aws",
        targets=targets,
        rules=[r.meta for r in rules("EB001", "CT002")],
        results=sorted(results, key=Result.sort_key),
        errors=errors,
        resources=len(results),
        started_at="2026-11-28T01:00:00Z",
        finished_at="2026-11-28T01:00:05Z",
        duration_s=5.0,
        api_calls={"events:ListRules": 1},
        run_by={"user": joined, "aws_principal": joined},
        cwd_from_repository_root=".",
        suppressions=stale,
        baseline={"path": f"{joined}.json", "accepted": 1, "matched": 1, "resolved": 0},
    )


# Chromium needs tens of seconds to lay out a page holding the 200,000-character value in a
# few dozen places (40,000 characters already take seconds): the browser test leaves it out,
# its escaping is checked in the page source like every other string's.
IN_BROWSER = tuple(h for h in STRINGS if h is not HUGE)


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every file format of the crafted document, rendered as a scan renders them, on disk
    (and the HTML of the same document without the value too long for the browser)."""
    out = tmp_path_factory.mktemp("hostile")
    browsed = formats.render_outcome(crafted_outcome(IN_BROWSER), ["html"]).texts["html"]
    (out / "browsed.html").write_text(browsed, encoding="utf-8")
    rendered = formats.render_outcome(crafted_outcome(STRINGS), ["json", "sarif", "html"])
    paths = {}
    for fmt, text in rendered.texts.items():
        paths[fmt] = out / f"opscheck.{fmt}"
        paths[fmt].write_text(text, encoding="utf-8")  # strict UTF-8: raises on a surrogate
    return {"doc": rendered.doc, "texts": rendered.texts, "paths": paths, "dir": out}


def by_case(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    cases: dict[str, list[dict[str, Any]]] = {}
    for r in doc["results"]:
        cases.setdefault(r["evidence"]["case"], []).append(r)
    return cases


# -- JSON and SARIF ----------------------------------------------------------------------------


def test_json_document_is_strict_json_and_keeps_every_string(crafted, tally):
    doc = strict_json(crafted["texts"]["json"])
    cases = by_case(doc)
    errors = {e["code"]: e for e in doc["scan"]["errors"]}
    for h in STRINGS:
        want = written(h.text)
        fail, kept = sorted(cases[h.key], key=lambda r: r["rule_id"] != "EB001")
        assert fail["resource"]["name"] == want and kept["suppression"]["owner"] == want, h.attacks
        assert fail["evidence"]["tags"]["team"] == want
        assert fail["location"]["path"] == f"infra/{written(_segment(h.text))}/main.tf"
        assert errors[want]["message"] == f"AccessDenied on {want}"
        tally(
            "Reports: hostile strings in JSON", "strict JSON; every string kept (lone surrogates as U+FFFD)"
        )


def test_sarif_is_strict_json_valid_against_the_schema_and_keeps_every_string(crafted, tally):
    log = strict_json(crafted["texts"]["sarif"])
    errors = schema_errors(log)
    assert not errors, "\n".join(errors[:20])
    results = {r["properties"]["resource"]["name"]: r for r in log["runs"][0]["results"]}
    notes = [n["message"]["text"] for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    for h in STRINGS:
        want = written(h.text)
        r = results[want]
        assert want in r["message"]["text"], h.attacks
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.isascii() and " " not in uri and not unsafe_in(uri), uri[:200]
        assert any(f"AccessDenied on {want}" in n for n in notes)
        tally("Reports: hostile strings in SARIF", "strict JSON; schema-valid; URIs percent-encoded")


def test_sarif_passes_the_multitool_with_githubs_rules(crafted, tally):
    path = crafted["paths"]["sarif"]
    found = multitool_findings([path], crafted["dir"] / "multitool")[path]
    blocking = [f for f in found if f.blocking]
    assert not blocking, describe(blocking)
    for _ in STRINGS:
        tally("Reports: hostile strings in SARIF (multitool, GitHub rules)", "validates")


# -- HTML, as text -----------------------------------------------------------------------------


def test_html_holds_no_raw_control_bidi_or_surrogate_character(crafted, tally):
    text = crafted["texts"]["html"]
    assert not unsafe_in(text)
    # Escaped, not dropped: the spelled-out form of every string is in the page source.
    for h in STRINGS:
        assert str(escape(expect_shown(h.text))) in text, h.attacks
        tally("Reports: hostile strings in HTML (source)", "escaped; control and bidi characters spelled out")


# -- HTML, in Chromium -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = toolchain.chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=toolchain.CHROMIUM_ARGS)
        yield b
        b.close()


# Elements no escaped string can create; the report itself has exactly these of each.
INJECTABLE = {
    "script": 2,  # the embedded document and the report's own script
    "style": 1,
    "img": 0,
    "svg": 0,
    "iframe": 0,
    "link": 1,  # the data: icon
    "base": 0,
    "form": 0,
    "meta[http-equiv='refresh']": 0,
    "a[href^='javascript:' i]": 0,
    f"a[href*='{EVIL_HOST}']": 0,
}


class Watched:
    """A report opened with every request, dialog, console message and page error recorded;
    only the report file itself (and its inline data: icon) may load."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.url = path.as_uri()
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def exercise(self) -> None:
        """Open every result, send every element the events injected handlers wait for, filter
        by a hostile word: an injected handler or script would have run by now."""
        self.page.evaluate(
            """() => {
                document.querySelectorAll('details').forEach(d => d.open = true);
                for (const el of document.querySelectorAll('body *')) {
                    for (const type of ['mouseover', 'mouseenter', 'focus', 'animationstart']) {
                        el.dispatchEvent(new Event(type));  // handlers on the element itself
                    }
                }
            }"""
        )
        self.page.keyboard.press("Tab")
        if self.page.locator("#f-text").count():
            self.page.fill("#f-text", "script")
            self.page.wait_for_timeout(250)
            self.page.fill("#f-text", "")
        self.page.wait_for_timeout(250)

    def check_clean(self) -> None:
        p = self.page
        assert p.evaluate(f"() => window.{SENTINEL}") is None, "an injected script ran"
        handlers = p.evaluate(
            "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
        )
        assert handlers == [], f"event handler attributes in the page: {handlers[:10]}"
        for selector, n in INJECTABLE.items():
            assert p.locator(selector).count() == n, f"{selector}: {p.locator(selector).count()} != {n}"
        outside = [u for u in self.requests if u not in (self.url, "data:,")]
        assert outside == [], f"requests left the report: {outside[:10]}"
        assert self.dialogs == [], f"a dialog opened: {self.dialogs[:5]}"
        assert self.errors == [], f"console or page errors: {self.errors[:5]}"

    def texts(self, selector: str) -> list[str]:
        return p_texts(self.page, selector)

    def close(self) -> None:
        self.context.close()


def p_texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def _without_csp(path: Path) -> Path:
    """The same report with its Content-Security-Policy removed: what escaping alone holds."""
    text = path.read_text(encoding="utf-8")
    bare, n = re.subn(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', "", text)
    assert n == 1
    out = path.with_name(path.stem + "-no-csp.html")
    out.write_text(bare, encoding="utf-8")
    return out


@pytest.mark.parametrize("csp", ["as written", "without its CSP"])
def test_html_in_chromium_runs_nothing_fetches_nothing_and_shows_the_text(browser, crafted, tally, csp):
    browsed = crafted["dir"] / "browsed.html"
    path = browsed if csp == "as written" else _without_csp(browsed)
    page = Watched(browser, path)
    try:
        page.exercise()
        page.check_clean()
        names = page.texts("#findings-list .res-name")
        messages = page.texts("#findings-list .c-msg")
        reasons = page.texts("#findings-list dd.supp")
        errors = page.texts("#errors table.errors tbody tr")
        evidence = "\n".join(page.texts("#findings-list .evidence pre"))
        accounts = page.texts("#scope table.data tbody tr td:first-child")
        for h in IN_BROWSER:
            want = expect_shown(h.text)
            assert names.count(want) >= 2, f"{h.key}: name not shown as text ({h.attacks})"
            assert any(
                m == expect_shown(f"EventBridge rule {h.text} has no dead-letter queue.") for m in messages
            )
            assert any(expect_shown(f"accepted: {h.text}") in r for r in reasons), h.key
            assert any(expect_shown(f"AccessDenied on {h.text}") in e for e in errors), h.key
            assert shown(json.dumps(written(h.text), ensure_ascii=False)) in evidence, h.key
            assert any(want in a for a in accounts), h.key
            tally(
                f"Reports: hostile strings in HTML (Chromium, {csp})",
                "shown as text; no script ran; no outside request",
            )
    finally:
        page.close()


# -- console -----------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def console_text(doc: dict[str, Any], *, tty: bool) -> str:
    stream = Tty() if tty else io.StringIO()
    # Wide enough that no message wraps: the test looks for each one whole.
    console.render_document(doc, stream, verbose=True, width=10_000_000)
    return stream.getvalue()


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "tty"])
def test_console_writes_no_control_sequence_from_the_scanned_world(tally, monkeypatch, tty):
    monkeypatch.delenv("NO_COLOR", raising=False)
    for h in STRINGS:
        doc = formats.render_outcome(crafted_outcome((h,)), []).doc
        text = console_text(doc, tty=tty)
        text.encode("utf-8")  # a lone surrogate would make the real stdout raise
        own = OWN_SGR.findall(text)
        assert bool(own) == tty, "colour only on a terminal"
        bare = OWN_SGR.sub("", text)
        assert not unsafe_in(bare.replace("\n", "")), f"{h.key}: {unsafe_in(bare)} ({h.attacks})"
        flat = one_line(bare)
        for part in (f"EventBridge rule {h.text} has no dead-letter queue.", f"AccessDenied on {h.text}"):
            assert one_line(console.clean(written(part))) in flat, f"{h.key}: {part[:60]!r} not shown"
        tally(f"Reports: hostile strings in the console ({'TTY' if tty else 'not a TTY'})", "shown escaped")


# -- Markdown: the diff in a job summary, and rule texts ---------------------------------------


def closes_fence(line: str, fence: str) -> bool:
    """CommonMark: a closing code fence is up to three spaces, at least as many of the fence
    character as opened it, then only spaces or tabs."""
    m = re.fullmatch(r" {0,3}(`{3,}|~{3,})[ \t]*", line)
    return bool(m) and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)


def test_diff_in_a_job_summary_stays_inside_its_code_fence(tally):
    """The nightly workflow (examples/workflows/nightly-org-scan.yml) puts `opscheck diff`
    between ```text fences into $GITHUB_STEP_SUMMARY, where Markdown outside the fence
    renders: images fetch, links and HTML show. No line of the diff may close the fence."""
    for h in STRINGS:
        before = formats.render_outcome(crafted_outcome(()), []).doc
        before["rules"].append({**before["rules"][0], "id": h.text})  # named in a warning
        after = formats.render_outcome(crafted_outcome((h,)), []).doc
        result = diff.compare(before, after)
        out = io.StringIO()
        diff.render_table(result, out, show_unchanged=True)
        text = out.getvalue()
        assert not unsafe_in(text.replace("\n", "")), f"{h.key}: {unsafe_in(text)}"
        lines = text.split("\n")
        assert not any(closes_fence(line, "```") for line in lines), h.key
        assert not any(line.lstrip().startswith(("```", "~~~")) for line in lines), h.key
        assert any(console.clean(h.text) in w for w in result.warnings)  # the rule id, as given
        assert any(
            one_line(console.clean(written(h.text))) in one_line(line) for line in lines if "EB001" in line
        )
        tally(
            "Reports: hostile strings in the diff (job summary Markdown)", "one line each; fence never closed"
        )


ALLOWED_TAGS = {"p", "ul", "li", "pre", "code", "strong", "span"}


def test_rule_texts_rendered_from_markdown_create_no_markup_link_or_image(tally):
    """reports/markdown.py renders rule descriptions and remediation into the HTML report; a
    document read back by `opscheck report` may carry any text there."""
    for h in STRINGS:
        for text in (h.text, f"See `{h.text}` and **{h.text}**.\n\n- {h.text}\n\n```hcl\n{h.text}\n```"):
            out = str(markdown(text))
            tags = set(re.findall(r"</?([a-zA-Z][\w-]*)", out))
            assert tags <= ALLOWED_TAGS, f"{h.key}: {tags - ALLOWED_TAGS}"
            attributes = re.findall(r"<[a-z]+\s+([^>]*)>", out)
            assert all(a in ('class="code"', 'class="lang"') for a in attributes), attributes
            assert not unsafe_in(out)
        tally(
            "Reports: hostile strings in rule texts (Markdown renderer)", "text only; no tag, link or image"
        )


# -- real scans: IaC -------------------------------------------------------------------------


def hcl(text: str) -> str:
    """A Terraform string literal holding `text` exactly (HCL escapes, templates disarmed)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            # Escaped: the HCL parser drops a raw U+2028 at the end of a string.
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


def file_name(h: Hostile) -> str:
    """The string as one path segment (no `/`, no NUL, at most 200 bytes)."""
    name = h.text.replace("/", "\u2215").replace("\x00", "") or "empty"
    while len(os.fsencode(name)) > 200:
        name = name[: len(name) // 2]
    return name


# Strings a UTF-8 file cannot hold, or a file system name cannot hold (lone high surrogates).
IN_FILES = tuple(h for h in STRINGS if not SURROGATES.search(h.text))


def _comment(text: str) -> str:
    """The string as a comment's text: its first line, without NUL (the scanner rightly takes
    a file with NUL bytes for a binary one)."""
    first = text.splitlines()[0] if text.strip() else "x"
    return first.replace("\x00", "") or "x"


def iac_tree(root: Path) -> Path:
    files: dict[str, str] = {}
    for i, h in enumerate(IN_FILES):
        files[f"tf/{i:03d}-{file_name(h)}/main.tf"] = f"""
            resource "aws_cloudtrail" "t{i}" {{
              name           = {hcl(h.text)}
              s3_bucket_name = "logs"
              tags           = {{ team = {hcl(h.text)} }}
              # opscheck:ignore CT006 {_comment(h.text)} until=2099-01-01
            }}
            """
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                f"Trail{i}": {
                    "Type": "AWS::CloudTrail::Trail",
                    "Properties": {
                        "TrailName": h.text,
                        "S3BucketName": "logs",
                        "IsLogging": True,
                        "Tags": [{"Key": "team", "Value": h.text}],
                    },
                    "Metadata": {"opscheck": {"ignore": [{"rule": "CT006", "reason": h.text}]}},
                }
            },
        }
        files[f"cfn/{i:03d}-{file_name(h)}.json"] = json.dumps(template)
    return write_tree(root, files)


def check_rendered(rendered: formats.Rendered, names: dict[str, str], category: str, tally: Any) -> None:
    """Every format of a real scan: strict JSON and SARIF (schema), HTML and console with no
    raw control character, and each hostile name in the console and the HTML as text."""
    doc = strict_json(rendered.texts["json"])
    log = strict_json(rendered.texts["sarif"])
    assert not schema_errors(log), schema_errors(log)[:10]
    page = rendered.texts["html"]
    assert not unsafe_in(page)
    text = console_text(rendered.doc, tty=True)
    assert not unsafe_in(OWN_SGR.sub("", text).replace("\n", ""))
    flat = one_line(OWN_SGR.sub("", text))
    in_doc = {r["resource"]["name"] for r in doc["results"]}
    for key, name in names.items():
        assert written(name) in in_doc, f"{key}: no result names it"
        assert one_line(console.clean(written(name))) in flat, f"{key}: not in the console output"
        assert str(escape(expect_shown(name))) in page, f"{key}: not in the HTML report"
        tally(category, "scanned; every format valid; the name shown as text")


def test_iac_scan_of_hostile_files(tmp_path, tally):
    root = iac_tree(tmp_path / "repo")
    iac_rules = [r for r in rules("CT002", "CT003", "CT005", "CT006")]
    outcome = scan_iac([root], iac_rules, tmp_path)
    assert not [e for e in outcome.errors if e.kind != "report"], outcome.errors[:3]
    rendered = formats.render_outcome(outcome, ["json", "sarif", "html"])
    # Both sources read every file: one Terraform and one CloudFormation trail per string.
    by_source: dict[str, set[str]] = {"tf": set(), "cfn": set()}
    for r in rendered.doc["results"]:
        by_source["tf" if r["resource"]["id"].startswith("aws_cloudtrail.") else "cfn"].add(
            r["resource"]["name"]
        )
        if r["rule_id"] == "CT006":
            assert r["suppression"] and r["suppression"]["source"] == "inline", r["resource"]
    assert by_source["tf"] == by_source["cfn"] == {h.text for h in IN_FILES}
    # Paths: each file's directory or name is the hostile string.
    paths = {r["location"]["path"] for r in rendered.doc["results"] if r["location"]}
    assert len(paths) == 2 * len(IN_FILES)
    check_rendered(
        rendered, {h.key: h.text for h in IN_FILES}, "Reports: hostile strings from a real IaC scan", tally
    )


def test_iac_scan_of_a_file_whose_name_is_not_utf8(tmp_path, tally):
    """Linux file names are bytes: one that is not UTF-8 reaches the scan as lone surrogates
    (os.fsdecode). The scan shows its odd bytes spelled out (`\\xff`), the same in every
    format, instead of failing to write at all."""
    root = write_tree(tmp_path / "repo", {"ok.tf": 'resource "aws_cloudtrail" "t" {\n  name = "t"\n}\n'})
    bad = os.fsdecode(b"trail-\xff\xfe.tf")
    (root / "ok.tf").rename(root / bad)
    outcome = scan_iac([root], rules("CT002", "CT005"), tmp_path)
    rendered = formats.render_outcome(outcome, ["json", "sarif", "html"])
    doc = strict_json(rendered.texts["json"])
    assert {r["location"]["path"] for r in doc["results"]} == {"repo/trail-\\xff\\xfe.tf"}
    log = strict_json(rendered.texts["sarif"])
    assert not schema_errors(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]
    }
    assert uris == {"repo/trail-%5Cxff%5Cxfe.tf"}
    assert not unsafe_in(rendered.texts["html"]) and "trail-\\xff\\xfe.tf" in rendered.texts["html"]
    text = io.StringIO()
    console.render(outcome, text, width=200)  # straight from the outcome: spelled, not replaced
    assert "trail-\\xff\\xfe.tf" in text.getvalue()
    text.getvalue().encode("utf-8")
    tally("Reports: file name not UTF-8 (IaC scan)", "its odd bytes spelled out (\\xff) in every format")


def test_iac_scan_of_a_template_whose_name_is_not_utf8(tmp_path, tally):
    """The configuration's path is part of each fingerprint: a name that is not UTF-8 must
    not stop the scan (it did: the fingerprint encoded strictly)."""
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {"S3BucketName": "b"}}},
    }
    root = write_tree(tmp_path / "repo", {"t.json": json.dumps(template)})
    (root / "t.json").rename(root / os.fsdecode(b"stack-\xff.json"))
    outcome = scan_iac([root], rules("CT002"), tmp_path)
    assert outcome.results and not outcome.errors
    rendered = formats.render_outcome(outcome, ["json", "sarif", "html"])
    assert "stack-\\\\xff.json" in rendered.texts["json"]  # JSON escapes the backslash
    tally("Reports: template name not UTF-8 (IaC scan)", "scanned; its odd byte spelled out (\\xff)")


# -- real scans: live (moto) -------------------------------------------------------------------

# Kept small in the fast run: every name costs an EventBridge rule, a target, a SageMaker model,
# endpoint config and endpoint, and an alarm, and the scan reads them all back.
LIVE = (
    tuple(h for h in CORPUS if not SURROGATES.search(h.text))
    if FULL
    else tuple(
        BY_KEY[k] for k in ("script", "attr-dq", "osc8", "c1-csi", "bidi-rlo", "md-fence", "line-sep", "long")
    )
)


def test_live_scan_of_hostile_names(aws, browser, tmp_path, tally):
    from testkit import endpoint

    events = aws.client("events")
    cloudwatch = aws.client("cloudwatch")
    names: dict[str, str] = {}
    for i, h in enumerate(LIVE):
        rule = h.text
        events.put_rule(Name=rule, EventPattern='{"source": ["aws.s3"]}', State="ENABLED")
        fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f{i}"
        events.put_targets(Rule=rule, Targets=[{"Id": f"t{i}", "Arn": fn}])
        ep = h.text
        endpoint(aws, ep)
        cloudwatch.put_metric_alarm(
            AlarmName=f"alarm {h.text}",
            Namespace="AWS/SageMaker",
            MetricName="Invocations",
            Dimensions=[{"Name": "EndpointName", "Value": ep}],
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
        names[h.key] = rule
    outcome = live_scan(aws, "EB001", "MON001", regions=["us-east-1"])
    rendered = formats.render_outcome(outcome, ["json", "sarif", "html"])
    check_rendered(rendered, names, "Reports: hostile strings from a live scan (moto)", tally)
    messages = " ".join(r["message"] for r in rendered.doc["results"] if r["rule_id"] == "MON001")
    assert all(f"alarm {written(n)}" in messages for n in names.values()), "alarm names reach the report"
    path = tmp_path / "live.html"
    path.write_text(rendered.texts["html"], encoding="utf-8")
    page = Watched(browser, path)
    try:
        page.exercise()
        page.check_clean()
        shown_names = set(page.texts("#findings-list .res-name"))
        assert {expect_shown(n) for n in names.values()} <= shown_names
    finally:
        page.close()
