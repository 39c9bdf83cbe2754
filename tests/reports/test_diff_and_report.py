"""`opscheck diff` and `opscheck report`: matched by fingerprint, re-rendered byte for byte."""

import io
import json

import pytest
from docbuild import document, result

from reports import diff
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
    # only the low-severity brand-new and the medium regression are new: high threshold passes
    assert _cli("diff", str(b), str(a), "--fail-on", "high")[0] == 0
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
            "results[0] lacks status",
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
