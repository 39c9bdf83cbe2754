"""The JSON results document: exact shape, Unknown spelled out, deterministic."""

import json

from reports import json as json_report
from scanner.model import ResourceRef, Result, Severity, Status, Suppression, Unknown
from scanner.results import ScanOutcome, exit_code
from testkit import live_scan, rules, trail


def _outcome(results):
    return ScanOutcome(
        mode="aws",
        targets=[],
        rules=[r.meta for r in rules("CT001", "DE001")],
        results=results,
        errors=[],
        resources=0,
        started_at="s",
        finished_at="f",
        duration_s=0.1,
        api_calls={"a:B": 2},
    )


def test_document_shape(aws):
    trail(aws, "main")
    doc = json_report.to_document(live_scan(aws, "CT001", "CT003"))
    assert list(doc) == ["schema_version", "tool", "scan", "rules", "results", "summary"]
    assert list(doc["scan"]) == [
        "id",
        "started_at",
        "finished_at",
        "mode",
        "targets",
        "errors",
        "stats",
        "run_by",  # additive
        "cwd_from_repository_root",  # additive
        "suppressions",  # additive: what each opscheck.yml suppression did
        "baseline",  # additive: what --baseline did
    ]
    assert doc["scan"]["run_by"]["aws_principal"].startswith("arn:aws:")
    assert list(doc["results"][0]) == [
        "rule_id",
        "status",
        "severity",
        "message",
        "resource",
        "location",
        "evidence",
        "fingerprint",
        "suppression",
    ]
    assert doc["summary"]["by_rule"] == {
        "CT001": {"fail": 0, "pass": 1, "unknown": 0, "suppressed": 0},
        "CT003": {"fail": 0, "pass": 1, "unknown": 0, "suppressed": 0},
    }
    assert set(doc["summary"]["by_severity"]) == {"critical", "high", "medium", "low", "info"}
    json.dumps(doc)  # serialisable as is


def test_unknown_values_and_sets_in_evidence_are_plain_json():
    r = Result(
        "CT003",
        Status.UNKNOWN,
        Severity.HIGH,
        "x.",
        ResourceRef("AWS::CloudTrail::Trail", "arn", "t"),
        evidence={"IsLogging": Unknown("denied"), "b": {"z": 1, "a": 2}, "s": {"y", "x"}},
    )
    doc = json_report.result_to_dict(r)
    assert doc["evidence"] == {"IsLogging": {"unknown": "denied"}, "b": {"a": 2, "z": 1}, "s": ["x", "y"]}
    assert list(doc["evidence"]["b"]) == ["a", "z"]


def test_suppressed_fails_count_apart_and_do_not_fail_the_build():
    ref = ResourceRef("AWS::S3::Bucket", "arn:aws:s3:::b", "b")
    suppressed = Result(
        "DE001",
        Status.FAIL,
        Severity.MEDIUM,
        "x.",
        ref,
        suppression=Suppression("config", "accepted risk", "2027-01-01", "team-a"),
    )
    outcome = _outcome([suppressed])
    summary = outcome.summary()
    assert (summary["fail"], summary["suppressed"]) == (0, 1)
    assert summary["by_severity"]["medium"] == 0
    assert exit_code(outcome, "low", strict=False) == 0
    assert json_report.to_document(outcome)["results"][0]["suppression"] == {
        "source": "config",
        "reason": "accepted risk",
        "expires": "2027-01-01",
        "owner": "team-a",
    }


def test_fail_on_threshold():
    ref = ResourceRef("AWS::S3::Bucket", "arn:aws:s3:::b", "b")
    outcome = _outcome([Result("DE001", Status.FAIL, Severity.MEDIUM, "x.", ref)])
    assert exit_code(outcome, "medium", strict=False) == 1
    assert exit_code(outcome, "high", strict=False) == 0
    assert exit_code(outcome, "none", strict=False) == 0
    unknown = _outcome([Result("DE001", Status.UNKNOWN, Severity.HIGH, "x.", ref)])
    assert exit_code(unknown, "low", strict=False) == 0
