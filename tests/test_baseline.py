"""`opscheck baseline create` and `scan --baseline`: known fails and unknowns are marked
(suppression source "baseline") and do not fail the build; new ones do; matching is by
fingerprint, so moved lines do not matter; a bad baseline stops before scanning."""

from __future__ import annotations

import io
import json
from pathlib import Path

from scanner.cli import main
from tests.testkit import trail as known_trail


def trail(name: str, multi_region: bool = False) -> str:
    return (
        f"  {name}:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: true\n"
        f"      S3BucketName: logs\n      IsMultiRegionTrail: {str(multi_region).lower()}\n"
    )


def write(tmp_path: Path, *trails: str, preamble: str = "") -> None:
    (tmp_path / "trails.yaml").write_text(preamble + "Resources:\n" + "".join(trails))


def scan(*args: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = main(["scan", "trails.yaml", "--rules", "CT002", "--format", "json", *args], out=out)
    return code, json.loads(out.getvalue())


def create(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["baseline", "create", "trails.yaml", "--rules", "CT002", *args], out=out)
    return code, out.getvalue()


def test_only_new_fails_fail_the_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, trail("Audit"), trail("Sandbox"), trail("Org", multi_region=True))
    code, said = create()
    assert code == 0  # accepting fails is the point: not a failed build
    assert said == (
        "wrote opscheck-baseline.json: 2 results (fail or unknown) accepted; scans given "
        "--baseline opscheck-baseline.json fail only on new ones\n"
    )
    baseline = json.loads((tmp_path / "opscheck-baseline.json").read_text())
    assert baseline["tool"]["name"] == "opscheck" and len(baseline["results"]) == 3

    # Lines move (a comment block on top), a new single-region trail appears, and the
    # multi-region one becomes single-region: two new fails.
    write(
        tmp_path,
        trail("Audit"),
        trail("Sandbox"),
        trail("Org"),
        trail("Fresh"),
        preamble="# reviewed 2026-11\n# owner: platform\n",
    )
    code, doc = scan("--baseline", "opscheck-baseline.json")
    assert code == 1
    state = {r["resource"]["name"]: (r["suppression"] or {}).get("source") for r in doc["results"]}
    assert state == {"Audit": "baseline", "Sandbox": "baseline", "Org": None, "Fresh": None}
    audit = next(r for r in doc["results"] if r["resource"]["name"] == "Audit")
    assert audit["suppression"]["reason"].startswith("in the baseline opscheck-baseline.json of 20")
    assert doc["summary"]["fail"] == 2 and doc["summary"]["suppressed"] == 2
    assert doc["scan"]["baseline"] == {
        "path": "opscheck-baseline.json",
        "scan_id": baseline["scan"]["id"],
        "started_at": baseline["scan"]["started_at"],
        "accepted": 2,
        "matched": 2,
        "resolved": 0,
    }

    # Fixed: only the known fail left, and one of the accepted results is gone.
    write(tmp_path, trail("Audit"), trail("Sandbox", multi_region=True))
    code, doc = scan("--baseline", "opscheck-baseline.json")
    assert code == 0
    assert doc["scan"]["baseline"]["matched"] == 1 and doc["scan"]["baseline"]["resolved"] == 1

    console = io.StringIO()
    main(["scan", "trails.yaml", "--rules", "CT002", "--baseline", "opscheck-baseline.json"], out=console)
    said = " ".join(console.getvalue().split())
    assert "Baseline opscheck-baseline.json (scan of 20" in said
    assert "1 result(s) known before, marked and not failing the build; 1 of its 2 accepted" in said


def test_a_baseline_from_a_scan_document_and_without_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, trail("Audit"))
    assert main(["scan", "trails.yaml", "--rules", "CT002", "--format", "json", "-o", "results.json"]) == 1
    assert scan("--baseline", "results.json")[0] == 0  # any results document is a baseline
    code, doc = scan()
    assert code == 1 and doc["scan"]["baseline"] is None


def test_bad_baselines_stop_before_scanning(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, trail("Audit"))
    out = io.StringIO()
    assert main(["scan", "trails.yaml", "--baseline", "missing.json"], out=out) == 2
    assert "--baseline: cannot read missing.json" in capsys.readouterr().err
    (tmp_path / "junk.json").write_text('{"tool": {"name": "other"}}')
    assert main(["scan", "trails.yaml", "--baseline", "junk.json"], out=out) == 2
    assert "--baseline: junk.json: not an opscheck results document" in capsys.readouterr().err
    assert out.getvalue() == ""
    assert create("--baseline", "junk.json")[0] == 2
    assert create("--output-dir", "out")[0] == 2
    assert create("--format", "sarif")[0] == 2
    assert "writes one JSON document" in capsys.readouterr().err


def test_baseline_create_names_its_file_and_exits_2_when_nothing_was_scanned(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, trail("Audit"))
    code, said = create("-o", "base/line.json")
    assert code == 0 and said.startswith("wrote base/line.json: 1 results")
    (tmp_path / "empty").mkdir()
    assert main(["baseline", "create", "empty"], out=io.StringIO()) == 2


def test_live_scans_take_a_baseline_too(aws, tmp_path, monkeypatch):
    known_trail(aws, "known", multi_region=False)
    monkeypatch.chdir(tmp_path)
    live = ["--aws", "--region", "us-east-1", "--rules", "CT002"]
    assert main(["baseline", "create", *live, "-o", "base.json"], out=io.StringIO()) == 0
    known_trail(aws, "fresh", multi_region=False)
    out = io.StringIO()
    assert main(["scan", *live, "--format", "json", "--baseline", "base.json"], out=out) == 1
    doc = json.loads(out.getvalue())
    state = {r["resource"]["name"]: (r["suppression"] or {}).get("source") for r in doc["results"]}
    assert state == {"known": "baseline", "fresh": None}
