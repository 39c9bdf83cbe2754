"""The HTML report (INTERFACE.md, "HTML report"): escaping, the embedded document and its
digest, the CloudTrail coverage matrix, suppressions and scan errors, and the Nu HTML Checker."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import subprocess
from html import unescape
from html.parser import HTMLParser

import pytest
import toolchain
from html_docs import (
    ACCOUNT,
    IMG,
    SCRIPT,
    hostile,
    iac,
    live,
    resummarize,
    suppressed_iac,
    with_errors,
    with_text,
)

from reports import html
from reports.html_model import NOTHING
from reports.markdown import markdown


@pytest.fixture(scope="module")
def live_doc():
    return live()


@pytest.fixture(scope="module")
def live_html(live_doc):
    return html.render(*live_doc)


@pytest.fixture(scope="module")
def iac_html():
    return html.render(*iac())


@pytest.fixture(scope="module")
def hostile_doc():
    return hostile()


@pytest.fixture(scope="module")
def hostile_html(hostile_doc):
    return html.render(*hostile_doc)


class _Matrix(HTMLParser):
    """Rows of the coverage matrix: {region: {column: cell text}}, and each row's regions."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[list[str], dict[str, str]]] = []
        self._col: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-regions" in a:
            self.rows.append((a["data-regions"].split(), {}))
        elif tag == "td" and "data-col" in a and self.rows:
            self._col = a["data-col"]
            self.rows[-1][1][self._col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None

    def handle_data(self, data):
        if self._col is not None:
            self.rows[-1][1][self._col] += data

    def by_region(self) -> dict[str, dict[str, str]]:
        out = {}
        for regions, cells in self.rows:
            for region in regions:
                assert region not in out, f"{region} is in two rows"
                out[region] = {k: " ".join(v.split()) for k, v in cells.items()}
        return out


def matrix(report: str) -> dict[str, dict[str, str]]:
    parser = _Matrix()
    parser.feed(report)
    return parser.by_region()


# -- escaping -------------------------------------------------------------------------------------


def test_scanned_world_strings_are_text(hostile_html):
    assert IMG not in hostile_html
    assert SCRIPT not in hostile_html
    assert "<b>" not in hostile_html
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile_html  # the resource name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_html  # the tag value, in the evidence
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in hostile_html
    # Our two script elements only: the data block and the page script.
    assert len(re.findall(r"<script\b", hostile_html, re.IGNORECASE)) == 2
    assert "<img" not in hostile_html.lower()
    # A javascript: reference stays text, never a link.
    assert 'href="javascript:' not in hostile_html
    assert "javascript:alert(1)" in hostile_html


def test_strict_content_security_policy_allows_exactly_our_inline_style_and_script(live_html):
    csp = unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', live_html)[1])
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    style = re.search(r"<style>(.*?)</style>", live_html, re.DOTALL)[1]
    script = re.search(r"<script>(.*?)</script>", live_html, re.DOTALL)[1]
    for source, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_no_reference_to_another_file_or_host(live_html):
    assert not re.search(r"\bsrc=", live_html)
    assert '<link rel="icon" href="data:,">' in live_html
    assert "@import" not in live_html and "url(" not in live_html
    for href in re.findall(r'href="([^"]*)"', live_html):
        assert href.startswith(("#", "data:", "https://")), href  # https only for rule references


# -- the embedded document -----------------------------------------------------------------------


def test_digest_shown_is_the_sha256_of_the_text(live_doc, live_html):
    digest = hashlib.sha256(live_doc[1].encode("utf-8")).hexdigest()
    assert f'<code id="document-digest">{digest}</code>' in live_html
    assert f'data-sha256="{digest}"' in live_html
    assert "sha256sum opscheck.json" in live_html


def test_extract_document_round_trips_exactly(live_doc, live_html, hostile_doc, hostile_html):
    assert html.extract_document(live_html) == live_doc[1]
    assert html.extract_document(hostile_html) == hostile_doc[1]


def test_embedded_block_is_data_not_script(live_html):
    block = re.search(
        r'<script type="application/gzip" id="opscheck-results" data-sha256="[0-9a-f]{64}">([^<]*)</script>',
        live_html,
    )
    assert block is not None
    assert re.fullmatch(r"[A-Za-z0-9+/=\n]+", block[1])


def test_extract_document_rejects_a_tampered_payload(live_html):
    block = re.search(r'data-sha256="[0-9a-f]{64}">([^<]*)<', live_html)
    payload = block[1].replace("\n", "")
    text = gzip.decompress(base64.b64decode(payload)).decode()
    forged = base64.b64encode(gzip.compress(text.replace('"fail"', '"pass"', 1).encode())).decode()
    tampered = live_html.replace(block[1], forged)
    with pytest.raises(ValueError, match="does not match its digest"):
        html.extract_document(tampered)


def test_extract_document_rejects_a_consistent_forgery_that_left_the_shown_digest(live_html):
    block = re.search(r'data-sha256="([0-9a-f]{64})">([^<]*)<', live_html)
    text = gzip.decompress(base64.b64decode(block[2].replace("\n", ""))).decode()
    forged_text = text.replace('"fail"', '"pass"', 1).encode()
    forged = live_html.replace(block[2], base64.b64encode(gzip.compress(forged_text)).decode()).replace(
        f'data-sha256="{block[1]}"', f'data-sha256="{hashlib.sha256(forged_text).hexdigest()}"'
    )
    with pytest.raises(ValueError, match="differs"):
        html.extract_document(forged)


def test_extract_document_rejects_missing_or_damaged_blocks(live_html):
    with pytest.raises(ValueError, match="no embedded results document"):
        html.extract_document("<!DOCTYPE html><title>x</title>")
    with pytest.raises(ValueError, match="no embedded results document"):
        html.extract_document(
            re.sub(r'<script type="application/gzip".*?</script>', "", live_html, flags=re.DOTALL)
        )
    damaged = re.sub(r'(data-sha256="[0-9a-f]{64}">)[^<]{8}', r"\1!!!!!!!!", live_html)
    with pytest.raises(ValueError, match="damaged"):
        html.extract_document(damaged)


# -- CloudTrail coverage matrix ------------------------------------------------------------------


def test_live_report_matrix_cells_for_the_demo_account(live_doc, live_html):
    doc, _ = live_doc
    regions = doc["scan"]["targets"][0]["regions"]
    cells = matrix(live_html)
    assert sorted(cells) == sorted(regions)  # every region accounted for, once
    assert f'data-account="{ACCOUNT}"' in live_html
    # platform-audit (multi-region, logging, read+write) covers every region; legacy-eu-audit
    # is homed in eu-west-1 but not logging, so it covers nothing, not even eu-west-1.
    for region in regions:
        assert cells[region]["trail"] == "✓ platform-audit"
        assert cells[region]["management"] == "✓ read + write"
        # S3: the account-level DE001/DE002 (partial selectors), the same everywhere.
        assert cells[region]["s3"] == "✗ write: partial ✗ read: partial"
        # Insights: CT008 fails (platform-audit lacks ApiErrorRateInsight).
        assert cells[region]["insights"] == "✗ fail"
    # Lambda: eu-preprocess (eu-west-1) unrecorded; score-features recorded, batch-ingest not.
    assert cells["eu-west-1"]["lambda"] == "✗ 0/1 recorded"
    assert cells["us-east-1"]["lambda"] == "✗ 1/2 recorded"
    # SageMaker: churn-predictor recorded; recsys-ranker and fraud-scorer not, all in us-east-1.
    assert cells["us-east-1"]["sagemaker"] == "✗ 1/3 recorded"
    assert cells["eu-west-1"]["sagemaker"] == f"{NOTHING} no endpoints"
    assert cells["ap-south-1"]["lambda"] == f"{NOTHING} no functions"
    # Identical regions share one row; the two with resources stand alone.
    parser = _Matrix()
    parser.feed(live_html)
    assert [len(r) for r, _ in parser.rows] == [1, 1, len(regions) - 2]


def test_matrix_cells_say_where_they_come_from(live_html):
    section = live_html[live_html.index('id="cloudtrail"') : live_html.index('id="findings"')]
    assert re.search(
        r'title="CT001 result #\d+, evidence.trails: [^"]*platform-audit: multi-region, logging → covers',
        section,
    )
    assert re.search(r'title="DE003 per-function results: eu-preprocess: fail \(#\d+\)"', section)
    assert 'title="CT008 result #' in section
    assert re.search(r'href="#result-\d+"', section)


def test_matrix_trail_coverage_follows_the_evidence(live_doc):
    doc = json.loads(json.dumps(live_doc[0]))
    ct001 = next(r for r in doc["results"] if r["rule_id"] == "CT001")
    legacy, platform = ct001["evidence"]["trails"]
    legacy["logging"] = True  # a logging single-region trail covers its home region only
    platform["logging"] = {"unknown": "GetTrailStatus: AccessDenied"}
    cells = matrix(html.render(*with_text(doc)))
    assert cells["eu-west-1"]["trail"] == "✓ legacy-eu-audit"
    assert cells["eu-west-1"]["management"] == "? undecidable"  # legacy records "no"; platform undecided
    assert cells["us-east-1"]["trail"] == "? undecidable"
    platform["logging"] = False
    legacy["records_read_write_management"] = "partial"
    cells = matrix(html.render(*with_text(doc)))
    assert cells["us-east-1"]["trail"] == "✗ no trail"
    assert cells["us-east-1"]["management"] == "✗ not recorded"
    assert cells["eu-west-1"]["management"] == "◐ partial"


def test_matrix_says_not_evaluated_when_a_rule_did_not_run(live_doc):
    doc = json.loads(json.dumps(live_doc[0]))
    doc["rules"] = [r for r in doc["rules"] if r["id"] not in ("CT008", "DE004")]
    doc["results"] = [r for r in doc["results"] if r["rule_id"] not in ("CT008", "DE004")]
    cells = matrix(html.render(*with_text(resummarize(doc))))
    assert cells["us-east-1"]["insights"] == f"{NOTHING} not evaluated"
    assert cells["us-east-1"]["sagemaker"] == f"{NOTHING} not evaluated"
    assert cells["us-east-1"]["lambda"] == "✗ 1/2 recorded"


def test_iac_report_has_no_matrix(iac_html):
    assert 'id="cloudtrail"' not in iac_html
    assert "data-regions=" not in iac_html
    assert "Infrastructure-as-code scan of examples" in iac_html
    assert "examples/terraform/ml-platform/main.tf:55-71" in iac_html  # locations shown


# -- sections ------------------------------------------------------------------------------------


def test_metadata_and_summary(live_doc, live_html):
    doc, _ = live_doc
    assert live_html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in live_html[:200]
    assert f"opscheck {doc['tool']['version']}" in live_html
    assert doc["scan"]["id"] in live_html
    assert f"<dd>{len(doc['rules'])}</dd>" in live_html
    s = doc["summary"]
    assert f"{s['fail']} failed checks" in live_html
    for label, key in (
        ("Failed", "fail"),
        ("Unknown", "unknown"),
        ("Passed", "pass"),
        ("Suppressed", "suppressed"),
    ):
        assert f"<dt>{label}</dt><dd>{s[key]}</dd>" in live_html
    assert "No scan errors" in live_html
    assert "data-events" in live_html and "cloudtrail" in live_html  # by family


def test_run_by_and_api_calls_are_optional(live_doc):
    doc = json.loads(json.dumps(live_doc[0]))
    doc["scan"]["run_by"] = {
        "user": "alice",
        "aws_principal": "arn:aws:sts::123456789012:assumed-role/Audit/alice",
    }
    report = html.render(*with_text(doc))
    assert "arn:aws:sts::123456789012:assumed-role/Audit/alice" in report and ">alice<" in report
    del doc["scan"]["run_by"]
    for key in ("api_calls", "api_calls_by_operation"):
        doc["scan"]["stats"].pop(key, None)
    report = html.render(*with_text(doc))
    assert "not recorded in the document" in report


def test_every_result_is_listed_with_its_details(live_doc, live_html):
    doc, _ = live_doc
    assert live_html.count('<details class="finding"') == len(doc["results"])
    # Readable without JavaScript: no result hidden in the file, the controls are.
    assert not re.search(r'<details class="finding"[^>]*\shidden', live_html)
    assert '<div class="controls js-only" id="controls" hidden>' in live_html
    for r in doc["results"][:5]:
        assert html_escape(r["message"]) in live_html
    # Remediation once per rule, linked from every result.
    assert live_html.count('id="rule-CT001-remediation"') == 1
    assert live_html.count('href="#rule-CT001-remediation"') == sum(
        1 for r in doc["results"] if r["rule_id"] == "CT001"
    )
    assert (
        '<pre class="code"><span class="lang">hcl</span><code>resource &#34;aws_cloudtrail&#34;' in live_html
    )
    assert "CIS-AWS-v5.0" in live_html


def html_escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_empty_results_and_scan_errors_render():
    doc, text = with_errors()
    report = html.render(doc, text)
    assert "This scan produced no results." in report
    assert "4 scan errors" in report
    assert "infra/main.tf:12" in report
    assert "123456789012 · eu-west-1" in report and "cloudtrail:DescribeTrails" in report
    assert "AccessDeniedException" in report
    assert "unknown key &#39;suppresions&#39;" in report
    assert "rule DE003 raised KeyError" in report
    assert html.extract_document(report) == text


def test_suppressed_and_expired_results_are_marked(tmp_path):
    doc, text = suppressed_iac(tmp_path)
    report = html.render(doc, text)
    exceptions = report[report.index('id="exceptions"') : report.index('id="errors"')]
    assert "regional trail by design, see ADR-12" in exceptions
    assert "KMS rollout tracked in SEC-481" in exceptions
    assert "platform-security@example.com" in exceptions and "2099-06-30" in exceptions
    ct002 = next(r for r in doc["results"] if r["rule_id"] == "CT002")
    assert ct002["suppression"]["expires"] in exceptions
    assert "Expired suppressions (no longer applied)" in exceptions
    assert "validation arrives with the new bucket" in exceptions
    assert report.count('<span class="badge st-suppressed">Suppressed</span>') == 2
    assert report.count('<span class="badge expired">Suppression expired</span>') == 1


def test_markdown_subset_is_safe():
    out = str(markdown('Use `a<b>` here.\n\n- one `x`\n- two\n\n```hcl\nname = "<t>"\n```\n**bold** <i>'))
    assert "<p>Use <code>a&lt;b&gt;</code> here.</p>" in out
    assert "<ul><li>one <code>x</code></li><li>two</li></ul>" in out
    assert (
        '<pre class="code"><span class="lang">hcl</span><code>name = &#34;&lt;t&gt;&#34;</code></pre>' in out
    )
    assert "<strong>bold</strong> &lt;i&gt;" in out


# -- Nu HTML Checker -----------------------------------------------------------------------------


def test_nu_html_checker_finds_no_error(tmp_path, live_html, iac_html, hostile_html):
    command = toolchain.vnu_command()
    files = []
    for name, report in (("live", live_html), ("iac", iac_html), ("xss", hostile_html)):
        path = tmp_path / f"{name}.html"
        path.write_text(report, encoding="utf-8")
        files.append(str(path))
    errors_doc, errors_text = with_errors()
    path = tmp_path / "errors.html"
    path.write_text(html.render(errors_doc, errors_text), encoding="utf-8")
    files.append(str(path))
    run = subprocess.run(
        [*command, "--errors-only", "--format", "json", *files], capture_output=True, text=True, timeout=120
    )
    report = json.loads(run.stderr or run.stdout)
    errors = [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]
    assert errors == [], json.dumps(errors, indent=2)[:4000]
    assert run.returncode == 0
