"""`opscheck demo`: the emulated platform, scanned like a live account, with its reports."""

import io
import json

from scanner.cli import main


def test_demo_writes_reports_and_shows_the_deliberate_findings(tmp_path):
    out = io.StringIO()
    assert main(["demo", "--output-dir", str(tmp_path / "demo")], out=out) == 0
    doc = json.loads((tmp_path / "demo" / "opscheck.json").read_text())
    assert doc["scan"]["mode"] == "aws" and doc["scan"]["errors"] == []
    verdicts = {(r["rule_id"], r["resource"]["name"]): (r["status"], r["severity"]) for r in doc["results"]}
    # The multi-region trail with an arbitrarily named advanced management selector covers the account.
    assert verdicts[("CT001", "123456789012")] == ("pass", "high")
    assert verdicts[("CT004", "platform-audit")] == ("pass", "medium")
    # The stopped single-region trail.
    assert verdicts[("CT003", "legacy-eu-audit")] == ("fail", "high")
    assert verdicts[("CT002", "legacy-eu-audit")] == ("fail", "medium")
    # Buckets with and without data events, one covered only under a prefix.
    assert verdicts[("DE001", "acme-ml-training-data")][0] == "pass"
    assert verdicts[("DE001", "acme-ml-model-artifacts")][0] == "fail"
    assert verdicts[("DE001", "acme-ml-feature-store")][0] == "fail"
    # Lambda exact-ARN coverage.
    assert verdicts[("DE003", "score-features")][0] == "pass"
    assert verdicts[("DE003", "batch-ingest")][0] == "fail"
    # Endpoints: covered; data capture without audit (low); neither (medium).
    assert verdicts[("DE004", "churn-predictor")][0] == "pass"
    assert verdicts[("DE004", "fraud-scorer")] == ("fail", "low")
    assert verdicts[("DE004", "recsys-ranker")] == ("fail", "medium")
    assert verdicts[("CT008", "123456789012")][0] == "fail"
    calls = doc["scan"]["stats"]["api_calls_by_operation"]
    regions = len(doc["scan"]["targets"][0]["regions"])
    assert calls["cloudtrail:DescribeTrails"] == regions
    assert calls["cloudtrail:GetTrailStatus"] == 2
    assert "emulated ML platform account" in out.getvalue()
    for sub in ("", "iac/"):  # every file format, for the account and for the examples
        for fmt in ("json", "sarif", "html"):
            assert (tmp_path / "demo" / f"{sub}opscheck.{fmt}").stat().st_size > 1000
    sarif = json.loads((tmp_path / "demo" / "opscheck.sarif").read_text())
    assert sarif["runs"][0]["automationDetails"]["id"] == "opscheck/aws-123456789012/"
    iac = json.loads((tmp_path / "demo" / "iac" / "opscheck.json").read_text())
    assert iac["scan"]["mode"] == "iac" and iac["scan"]["errors"] == []
    iac_verdicts = {
        (r["rule_id"], r["location"]["path"], r["resource"]["id"]): r["status"] for r in iac["results"]
    }
    tf = "examples/terraform/ml-platform/main.tf"
    assert iac_verdicts[("CT003", tf, "aws_cloudtrail.migration")] == "fail"
    assert iac_verdicts[("DE005", tf, "aws_cloudtrail.migration")] == "fail"
    assert (
        iac_verdicts[
            (
                "CT002",
                "examples/terraform/ml-platform/modules/audit-trail/main.tf",
                "module.audit.aws_cloudtrail.this",
            )
        ]
        == "pass"
    )
    assert (
        iac_verdicts[("DE004", "examples/cloudformation/ml-platform.yaml", "ChurnEndpointConfig")] == "fail"
    )
