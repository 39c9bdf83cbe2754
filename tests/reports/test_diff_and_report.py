"""`opscheck diff` and `opscheck report`: matched by fingerprint, re-rendered byte for byte."""

import io
import json
from pathlib import Path

import pytest
from docbuild import document, result

from reports import diff, sarif
from reports import json as json_report
from scanner.cli import main
from scanner.model import Severity, Status, Suppression


def _write(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(json_report.dumps(doc), encoding="utf-8")
    return path


def _cli(*argv):
    out = io.StringIO()
    code = main(list(argv), out)
    return code, out.getvalue()


BEFORE = [
    result("CT002", Status.FAIL, "stays"),
    result("CT002", Status.FAIL, "fixed"),
    result("CT002", Status.FAIL, "deleted"),
    result("CT002", Status.FAIL, "goes-dark"),
    result("CT002", Status.FAIL, "escalates", severity=Severity.MEDIUM),
    result("CT002", Status.PASS, "regresses"),
]
AFTER = [
    result("CT002", Status.FAIL, "stays"),
    result("CT002", Status.PASS, "fixed"),
    result("CT002", Status.UNKNOWN, "goes-dark"),
    result("CT002", Status.FAIL, "escalates", severity=Severity.HIGH),
    result("CT002", Status.FAIL, "regresses"),
    result("CT002", Status.FAIL, "brand-new", severity=Severity.LOW),
]


def _names(changes):
    return sorted(c.current["resource"]["name"] for c in changes)


def test_changes_are_matched_by_fingerprint():
    d = diff.compare(document(BEFORE), document(AFTER))
    assert _names(d.changes["new"]) == ["brand-new", "regresses"]
    assert _names(d.changes["fixed"]) == ["deleted", "fixed"]
    assert _names(d.changes["unchanged"]) == ["stays"]
    assert _names(d.changes["changed_severity"]) == ["escalates"]
    assert _names(d.changes["now_unknown"]) == ["goes-dark"]  # not fixed: no longer decidable
    regress = next(c for c in d.changes["new"] if c.current["resource"]["name"] == "regresses")
    assert regress.to_dict()["before"]["status"] == "pass"
    gone = next(c for c in d.changes["fixed"] if c.current["resource"]["name"] == "deleted")
    assert gone.to_dict()["after"] is None
    assert d.warnings == []


def test_line_moves_do_not_make_a_result_new():
    before = document([result("CT002", path="main.tf", line=3)], mode="iac")
    after = document([result("CT002", path="main.tf", line=40)], mode="iac")
    d = diff.compare(before, after)
    assert len(d.changes["unchanged"]) == 1 and not d.changes["new"]


def test_diff_cli_exit_codes_follow_new_fails_and_fail_on(tmp_path):
    b = _write(tmp_path, "before.json", document(BEFORE))
    a = _write(tmp_path, "after.json", document(AFTER))
    code, text = _cli("diff", str(b), str(a))
    assert code == 1
    assert "New fails (2):" in text and "brand-new" in text and "Fixed (2):" in text
    assert "[no longer reported]" in text
    assert "2 new, 2 fixed, 1 changed severity, 1 now unknown, 1 unchanged" in text
    # new: a low and a medium fail; "escalates" rose from medium to high
    assert _cli("diff", str(b), str(a), "--fail-on", "critical")[0] == 0
    assert _cli("diff", str(b), str(a), "--fail-on", "high")[0] == 1
    assert _cli("diff", str(b), str(a), "--fail-on", "medium")[0] == 1
    assert _cli("diff", str(b), str(a), "--fail-on", "none")[0] == 0
    assert _cli("diff", str(b), str(b))[0] == 0


def test_diff_json(tmp_path):
    b = _write(tmp_path, "before.json", document(BEFORE))
    a = _write(tmp_path, "after.json", document(AFTER))
    code, text = _cli("diff", str(b), str(a), "--format", "json")
    doc = json.loads(text)
    assert code == 1
    assert doc["summary"] == {"new": 2, "fixed": 2, "changed_severity": 1, "now_unknown": 1, "unchanged": 1}
    esc = doc["changed_severity"][0]
    assert (esc["before"]["severity"], esc["after"]["severity"]) == ("medium", "high")


def test_suppressed_new_fails_do_not_fail_the_diff(tmp_path):
    accepted = Suppression("config", "accepted risk", "2099-01-01", "platform")
    b = _write(tmp_path, "b.json", document([]))
    a = _write(tmp_path, "a.json", document([result("CT002", Status.FAIL, "x", suppression=accepted)]))
    code, text = _cli("diff", str(b), str(a))
    assert code == 0 and "[suppressed]" in text


def test_an_expired_or_removed_suppression_makes_the_fail_new(tmp_path):
    accepted = Suppression("config", "accepted risk", "2026-01-01", "platform")
    b = _write(tmp_path, "b.json", document([result("CT002", Status.FAIL, "x", suppression=accepted)]))
    a = _write(tmp_path, "a.json", document([result("CT002", Status.FAIL, "x")]))
    code, text = _cli("diff", str(b), str(a))
    assert code == 1 and "New fails (1):" in text and "[no longer suppressed]" in text


def test_a_severity_rising_to_the_threshold_fails_the_diff(tmp_path):
    b = _write(tmp_path, "b.json", document([result("CT002", Status.FAIL, "x", severity=Severity.LOW)]))
    a = _write(tmp_path, "a.json", document([result("CT002", Status.FAIL, "x", severity=Severity.CRITICAL)]))
    assert _cli("diff", str(b), str(a), "--fail-on", "high")[0] == 1
    assert _cli("diff", str(a), str(b), "--fail-on", "high")[0] == 0  # falling never fails
    assert _cli("diff", str(b), str(a), "--fail-on", "low")[0] == 0  # it was failing the build already


def test_diff_warns_when_scans_are_not_comparable(tmp_path, capsys):
    b = _write(tmp_path, "b.json", document([result()], mode="iac"))
    a = _write(tmp_path, "a.json", document([result()]))
    _cli("diff", str(b), str(a))
    assert "different kinds" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "b.json:1:2: not valid JSON"),
        ("[]", "not an opscheck results document"),
        ('{"tool": {"name": "opscheck"}, "schema_version": "9"}', "schema_version '9'"),
        (
            '{"tool": {"name": "opscheck"}, "schema_version": "1", "scan": {}, "rules": [], '
            '"results": [{"rule_id": "X"}], "summary": {}}',
            "`scan.mode` is missing",
        ),
    ],
)
def test_bad_documents_are_clear_errors(tmp_path, capsys, content, message):
    (tmp_path / "b.json").write_text(content)
    good = _write(tmp_path, "a.json", document([]))
    assert _cli("diff", str(tmp_path / "b.json"), str(good))[0] == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _cli("report", str(tmp_path / "b.json"), "--format", "console")[0] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["results"][0].update(location="oops"), "`results[0].location` is not a JSON object"),
        (
            lambda d: d["results"][0]["location"].update(start_line="x"),
            '`results[0].location.start_line` is "x"',
        ),
        (
            lambda d: d["results"][0].update(fingerprint=None),
            "`results[0].fingerprint` is null, not a string",
        ),
        (lambda d: d["results"][0].update(message=5), "`results[0].message` is 5, not a string"),
        (lambda d: d["results"][0]["resource"].update(id=5), "`results[0].resource.id` is 5"),
        (lambda d: d["results"][0].update(status="broken"), "not one of fail, pass, unknown"),
        (lambda d: d["rules"][0].update(id=5), "`rules[0].id` is 5"),
        (lambda d: d["scan"].update(errors=None), "`scan.errors` is not a JSON array"),
        (
            lambda d: d["scan"].update(errors=[{"kind": "parse", "message": "m", "line": "abc"}]),
            "scan.errors[0].line",
        ),
    ],
)
def test_every_renderer_is_safe_from_malformed_documents(tmp_path, capsys, change, message):
    doc = document([result("CT002", path="main.tf")], mode="iac")
    change(doc)
    path = _write(tmp_path, "bad.json", doc)
    for fmt in ("sarif", "console", "html", "json"):
        assert _cli("report", str(path), "--format", fmt)[0] == 2
        err = capsys.readouterr().err
        assert message in err and "internal error" not in err, err
    assert _cli("diff", str(path), str(path))[0] == 2


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_text("\ufeff" + json_report.dumps(document([result()])), encoding="utf-8")
    assert _cli("report", str(path), "--format", "console")[0] == 0


def test_report_rerenders_json_byte_for_byte(tmp_path):
    path = _write(tmp_path, "r.json", document(AFTER))
    code, text = _cli("report", str(path), "--format", "json")
    assert code == 0 and text == path.read_text()


def test_report_console_and_sarif(tmp_path):
    path = _write(tmp_path, "r.json", document(AFTER, cwd_from_repository_root="."))
    code, text = _cli("report", str(path), "--format", "console")
    assert code == 0 and "brand-new" in text and "4 fail" in text
    out = tmp_path / "out" / "r.sarif"
    code, _ = _cli(
        "report", str(path), "--format", "sarif", "-o", str(out), "--sarif-anchor", "ci/opscheck.yml"
    )
    run = json.loads(out.read_text())["runs"][0]
    assert code == 0 and len(run["results"]) == 4
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {
        "ci/opscheck.yml"
    }


def test_report_of_a_missing_file(tmp_path, capsys):
    assert _cli("report", str(tmp_path / "nope.json"), "--format", "json")[0] == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "json,sarif"], "several formats on stdout"),
        (["--format", "html", "-o", "{tmp}/x.html", "--output-dir", "{tmp}/d"], "not both"),
        (["--format", "json", "-o", "{tmp}"], "is a directory"),
        (["--format", "json", "-o", "{tmp}/afile/x.json"], "is not a directory"),
        (["--format", "json,html", "--output-dir", "{tmp}/afile/sub"], "is not a directory"),
    ],
)
def test_output_options_are_checked_before_scanning(tmp_path, capsys, argv, message):
    (tmp_path / "afile").write_text("x")
    examples = str(Path(__file__).resolve().parents[2] / "examples")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert _cli("scan", examples, *argv)[0] == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_demo_refuses_an_output_dir_it_cannot_write(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert _cli("demo", "--output-dir", str(tmp_path / "afile" / "demo"))[0] == 2
    assert "is not a directory" in capsys.readouterr().err


def test_sarif_of_a_scan_that_scanned_nothing_is_not_successful():
    from scanner.model import ScanError

    doc = document([], mode="iac", errors=[ScanError(kind="config", message="no IaC found under x")])
    run = json.loads(sarif.render(doc).text)["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is False
    assert json.loads(sarif.render(document([result()])).text)["runs"][0]["invocations"][0][
        "executionSuccessful"
    ]
