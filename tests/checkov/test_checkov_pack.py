"""--checkov: checkov's curated checks merged as family `checkov`, out of process."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from scanner.checkov import CURATED, find_checkov
from scanner.cli import main

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: audit-logs
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: !Ref Logs
      IsLogging: true
"""


def _fake_checkov(tmp_path: Path, reports: object, *, sleep: float = 0, stdout: str | None = None) -> Path:
    """An executable that prints canned checkov JSON (and records its arguments)."""
    script = tmp_path / "fake-checkov"
    payload = stdout if stdout is not None else json.dumps(reports)
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, time\n"
        f"open({str(tmp_path / 'args.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        f"time.sleep({sleep})\n"
        f"sys.stdout.write({payload!r})\n"
        "sys.exit(1)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _check(check_id: str, resource: str, lines: list[int], **extra: object) -> dict:
    return {
        "check_id": check_id,
        "check_name": f"name of {check_id}",
        "file_path": "/template.yaml",
        "file_line_range": lines,
        "resource": resource,
        "check_result": {"evaluated_keys": ["Properties/X"]},
        "guideline": "https://docs.example/ckv",
        **extra,
    }


def _scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, dict]:
    (tmp_path / "iac").mkdir(exist_ok=True)
    (tmp_path / "iac" / "template.yaml").write_text(TEMPLATE)
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "iac", "--format", "json", "-o", "out.json", *args], out=io.StringIO())
    doc = json.loads((tmp_path / "out.json").read_text()) if (tmp_path / "out.json").exists() else {}
    return code, doc


REPORT = [
    {
        "check_type": "cloudformation",
        "results": {
            "failed_checks": [
                _check("CKV_AWS_36", "AWS::CloudTrail::Trail.Trail", [7, 11]),  # CT005 judged it: dropped
                _check("CKV_AWS_18", "AWS::S3::Bucket.Logs", [3, 6]),  # no rule of ours: kept
                _check("CKV_AWS_999", "AWS::S3::Bucket.Logs", [3, 6]),  # not curated: ignored
            ],
            "passed_checks": [_check("CKV_AWS_21", "AWS::S3::Bucket.Logs", [3, 6])],
            "skipped_checks": [
                _check("CKV_AWS_145", "AWS::S3::Bucket.Logs", [3, 6], suppress_comment="no KMS here")
            ],
        },
    }
]


def test_findings_are_merged_deduplicated_and_skips_honoured(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCHECK_CHECKOV", str(_fake_checkov(tmp_path, REPORT)))
    code, doc = _scan(tmp_path, monkeypatch, "--checkov")
    assert code == 1
    by = {(r["rule_id"], r["resource"]["id"]): r for r in doc["results"]}
    assert ("CKV_AWS_36", "Trail") not in by  # our CT005 decides about that trail
    assert by[("CT005", "Trail")]["status"] == "fail"
    kept = by[("CKV_AWS_18", "Logs")]
    assert kept["status"] == "fail" and kept["severity"] == CURATED["CKV_AWS_18"][0]
    assert kept["location"] == {"path": "iac/template.yaml", "start_line": 3, "end_line": 6}
    assert kept["resource"]["type"] == "AWS::S3::Bucket"
    assert by[("CKV_AWS_21", "Logs")]["status"] == "pass"
    skipped = by[("CKV_AWS_145", "Logs")]
    assert skipped["suppression"] == {
        "source": "inline",
        "reason": "no KMS here",
        "expires": None,
        "owner": None,
    }
    assert not any(r["rule_id"] == "CKV_AWS_999" for r in doc["results"])
    families = {r["id"]: r["family"] for r in doc["rules"]}
    assert families["CKV_AWS_18"] == "checkov" and families["CT005"] == "cloudtrail"
    args = json.loads((tmp_path / "args.json").read_text())
    assert "--skip-download" in args and set(args[args.index("--check") + 1].split(",")) == set(CURATED)


def test_without_checkov_flag_checkov_never_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCHECK_CHECKOV", str(_fake_checkov(tmp_path, REPORT)))
    code, doc = _scan(tmp_path, monkeypatch)
    assert code == 1  # our own CT005 fail
    assert not (tmp_path / "args.json").exists()
    assert not any(r["rule_id"].startswith("CKV") for r in doc["results"])


def test_missing_checkov_is_a_clear_usage_error_only_when_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPSCHECK_CHECKOV", str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("scanner.checkov.Path.is_file", lambda self: False)
    code, _ = _scan(tmp_path, monkeypatch, "--checkov")
    assert code == 2
    assert "make checkov" in capsys.readouterr().err


def test_timeout_and_garbage_are_scan_errors_not_crashes(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSCHECK_CHECKOV", str(_fake_checkov(tmp_path, [], sleep=5)))
    monkeypatch.setenv("OPSCHECK_CHECKOV_TIMEOUT", "1")
    code, doc = _scan(tmp_path, monkeypatch, "--checkov")
    assert code == 1  # our own rules still ran
    assert any("checkov timed out after 1 s" in e["message"] for e in doc["scan"]["errors"])
    monkeypatch.delenv("OPSCHECK_CHECKOV_TIMEOUT")
    monkeypatch.setenv("OPSCHECK_CHECKOV", str(_fake_checkov(tmp_path, None, stdout="Traceback: boom\n")))
    code, doc = _scan(tmp_path, monkeypatch, "--checkov", "--strict")
    assert code == 2
    assert any("gave no JSON" in e["message"] for e in doc["scan"]["errors"])


def _real_checkov() -> str | None:
    try:
        return find_checkov()
    except Exception:
        return None


@pytest.mark.skipif(_real_checkov() is None and not os.environ.get("CI"), reason="checkov not installed here")
def test_real_checkov_on_the_examples(tmp_path, monkeypatch):
    """The real checkov, from its own virtual environment (.ci/run installs it)."""
    assert _real_checkov() is not None, "CI must install checkov (make checkov)"
    examples = Path(__file__).resolve().parents[2] / "examples"
    shutil.copytree(examples, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "examples", "--checkov", "--format", "json", "-o", "out.json"], out=io.StringIO())
    doc = json.loads((tmp_path / "out.json").read_text())
    assert code == 1 and doc["scan"]["errors"] == []
    checkov = [r for r in doc["results"] if r["rule_id"].startswith("CKV")]
    assert {r["rule_id"] for r in checkov} >= {"CKV_AWS_18", "CKV_AWS_21"}
    # The trails are judged by our rules: checkov's overlapping CloudTrail checks are dropped.
    assert not any(
        r["rule_id"] in ("CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35", "CKV_AWS_251", "CKV2_AWS_10")
        and r["resource"]["type"] == "AWS::CloudTrail::Trail"
        for r in checkov
    )
