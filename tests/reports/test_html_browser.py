"""The HTML report in a real headless Chromium (Debian's, driven by Playwright; never a
downloaded browser): no request leaves the file, no console or page error, filters and
sorting work, scanned-world strings stay text, it reads without JavaScript, and it prints."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import toolchain
from html_docs import IMG, SCRIPT, hostile, live, resummarize, with_text

from reports import html


def expect(locator):
    from playwright.sync_api import expect

    return expect(locator)


@pytest.fixture(scope="module")
def browser():
    executable = toolchain.chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=toolchain.CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    where = tmp_path_factory.mktemp("html")
    docs = {"live": live(), "xss": hostile()}
    paths = {}
    for name, (doc, text) in docs.items():
        paths[name] = where / f"{name}.html"
        paths[name].write_text(html.render(doc, text), encoding="utf-8")
    return docs, paths


class Page:
    """A page on a report with every event that matters recorded."""

    def __init__(self, browser, path, **context_options):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, **context_options)
        self.page = self.context.new_page()
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"page: {e}"))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_rows(self) -> int:
        return self.page.locator("#findings-list > details.finding:not([hidden])").count()

    def count_text(self) -> str:
        return self.page.inner_text("#findings-count")

    def column(self, key: str) -> list[str]:
        return self.page.eval_on_selector_all(
            f"#findings-list > details.finding:not([hidden]) > summary .c-{key}",
            "els => els.map(e => e.textContent.trim())",
        )

    def close(self):
        assert self.blocked == [], f"requests left the file: {self.blocked}"
        assert self.errors == [], self.errors
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        self.context.close()


@pytest.fixture
def live_page(browser, reports):
    page = Page(browser, reports[1]["live"])
    yield page
    page.close()


def test_opens_offline_without_any_request_or_error(live_page, reports):
    doc = reports[0]["live"][0]
    p = live_page.page
    assert p.title().startswith("opscheck report")
    assert p.locator("#cloudtrail table.matrix").is_visible()
    assert p.locator("#controls").is_visible()  # revealed by the script
    assert live_page.count_text() == f"{len(doc['results'])} of {len(doc['results'])} results shown"


def test_status_and_severity_filters_hide_and_show_rows(live_page, reports):
    doc = reports[0]["live"][0]
    total = len(doc["results"])
    passes = sum(1 for r in doc["results"] if r["status"] == "pass" and not r["suppression"])
    low_not_pass = sum(1 for r in doc["results"] if r["severity"] == "low" and r["status"] != "pass")
    p = live_page.page
    p.click('button.chip[data-filter="state"][data-value="pass"]')
    assert live_page.visible_rows() == total - passes
    assert live_page.count_text() == f"{total - passes} of {total} results shown"
    shown = {"Fail", "Unknown"} if any(r["status"] == "unknown" for r in doc["results"]) else {"Fail"}
    assert set(live_page.column("state")) == shown
    p.click('button.chip[data-filter="sev"][data-value="low"]')
    assert live_page.visible_rows() == total - passes - low_not_pass
    p.click('button.chip[data-filter="state"][data-value="pass"]')
    assert live_page.visible_rows() == total - sum(1 for r in doc["results"] if r["severity"] == "low")
    p.click("#f-reset")
    assert live_page.visible_rows() == total
    p.select_option('select[data-filter="region"]', "eu-west-1")
    assert live_page.visible_rows() == sum(
        1 for r in doc["results"] if r["resource"].get("region") == "eu-west-1"
    )


def test_free_text_filter(live_page, reports):
    doc = reports[0]["live"][0]
    term = "eu-preprocess"
    expected = sum(1 for r in doc["results"] if term in json.dumps(r))
    assert 0 < expected < len(doc["results"])
    live_page.page.fill("#f-text", term.upper())
    expect(live_page.page.locator("#findings-count")).to_have_text(
        f"{expected} of {len(doc['results'])} results shown"
    )
    assert live_page.visible_rows() == expected
    live_page.page.fill("#f-text", "no result has this text")
    expect(live_page.page.locator("#findings-empty")).to_be_visible()


def test_sorting_by_column_headers(live_page):
    p = live_page.page
    p.click('#findings-head button[data-key="rule"]')
    rules = live_page.column("rule")
    assert rules == sorted(rules) and rules != live_page.column("rule")[::-1]
    p.click('#findings-head button[data-key="rule"]')
    assert live_page.column("rule") == sorted(rules, reverse=True)
    assert p.get_attribute('#findings-head button[data-key="rule"]', "data-dir") == "desc"
    p.click('#findings-head button[data-key="sev"]')
    order = ["Critical", "High", "Medium", "Low", "Info"]
    ranks = [order.index(s) for s in live_page.column("sev")]
    assert ranks == sorted(ranks)


def test_matrix_link_opens_a_result_hidden_by_a_filter(live_page):
    p = live_page.page
    p.click('button.chip[data-filter="state"][data-value="fail"]')
    link = p.locator('#cloudtrail tr[data-regions="eu-west-1"] td[data-col="lambda"] a')
    target = link.get_attribute("href")[1:]
    link.click()
    row = p.locator(f"#{target}")
    assert row.is_visible()
    assert row.evaluate("el => el.open")
    assert "eu-preprocess" in row.inner_text()


def test_save_results_document_downloads_the_exact_text(live_page, reports):
    text = reports[0]["live"][1]
    p = live_page.page
    with p.expect_download() as download:
        p.click("#save-json")
    assert download.value.suggested_filename == "opscheck.json"
    assert Path(download.value.path()).read_bytes() == text.encode("utf-8")
    expect(p.locator("#save-status")).to_contain_text("SHA-256 verified")


def test_scanned_world_strings_render_as_text_and_run_nothing(browser, reports):
    doc, _ = reports[0]["xss"]
    n = next(i for i, r in enumerate(doc["results"], 1) if r["resource"]["name"] == IMG)
    page = Page(browser, reports[1]["xss"])
    p = page.page
    name = f"#result-{n} .res-name"
    assert p.text_content(name) == IMG  # a text node, not an element
    p.locator(f"#result-{n}").scroll_into_view_if_needed()  # rows off screen are not rendered
    expect(p.locator(name)).to_have_text(IMG, use_inner_text=True)
    p.click(f"#result-{n} > summary")
    evidence = p.inner_text(f"#result-{n} .evidence pre")
    assert SCRIPT in evidence and "</script><script>alert(2)</script>" in evidence
    assert IMG in p.inner_text(".meta-grid")  # run_by.user
    assert p.locator("img").count() == 0
    assert p.locator("script").count() == 2
    assert p.locator("b").count() == 0
    page.close()  # no dialog, no error, no request


def test_readable_with_javascript_off(browser, reports):
    doc = reports[0]["live"][0]
    page = Page(browser, reports[1]["live"], java_script_enabled=False)
    p = page.page
    rows = p.locator("#findings-list > details.finding")
    assert rows.count() == len(doc["results"])
    assert p.locator("#findings-list > details.finding:visible").count() == len(doc["results"])
    assert p.locator("#controls").is_hidden()
    assert p.locator("#save-json").is_hidden()
    assert p.locator("#cloudtrail table.matrix").is_visible()
    p.click("#result-1 > summary")  # native <details> opens without script
    assert p.locator("#result-1 .evidence pre").is_visible()
    page.close()


def test_screenshot_and_pdf(live_page, tmp_path):
    p = live_page.page
    shot = tmp_path / "report.png"
    p.screenshot(path=str(shot), full_page=False)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = tmp_path / "report.pdf"
    p.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 3


def test_filters_stay_fast_at_5000_results(browser, tmp_path):
    doc, _ = live()
    base = doc["results"]
    results = []
    for i in range(5000):
        r = json.loads(json.dumps(base[i % len(base)]))
        r["resource"]["id"] += f"-{i}"
        r["resource"]["name"] = f"{r['resource']['name']}-{i}"
        r["fingerprint"] = f"{i:032x}"
        results.append(r)
    doc["results"] = results
    doc, text = with_text(resummarize(doc))
    path = tmp_path / "big.html"
    started = time.perf_counter()
    path.write_text(html.render(doc, text), encoding="utf-8")
    assert time.perf_counter() - started < 10
    page = Page(browser, path)
    p = page.page
    elapsed = p.evaluate(
        """() => {
            const t0 = performance.now();
            document.querySelector('button.chip[data-value="pass"]').click();
            document.body.offsetHeight;  // include the layout the change causes
            return performance.now() - t0;
        }"""
    )
    assert page.visible_rows() == sum(1 for r in results if r["status"] != "pass")
    assert elapsed < 1000, f"filtering 5,000 rows took {elapsed:.0f} ms"
    page.close()
