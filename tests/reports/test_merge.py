"""`opscheck merge`: results deduplicated by fingerprint, targets combined, disagreements and
mode mismatches said; the merged document reads back as any other."""

from __future__ import annotations

import copy
import io
import json

import pytest
from html_docs import iac, live

from reports.document import check
from reports.merge import MergeError, merge
from scanner.cli import main


def test_the_later_scan_wins_a_disagreement_and_says_so():
    doc, _ = live()
    later = copy.deepcopy(doc)
    later["scan"]["finished_at"] = "2099-01-01T00:00:00Z"
    target = next(r for r in later["results"] if r["status"] == "fail")
    target["status"] = "pass"
    merged, warnings = merge([("old.json", doc), ("new.json", later)])
    check(merged, "merged")
    kept = next(r for r in merged["results"] if r["fingerprint"] == target["fingerprint"])
    assert kept["status"] == "pass"
    assert any("old.json and new.json disagree; kept new.json" in w for w in warnings)
    assert merged["summary"]["fail"] == doc["summary"]["fail"] - 1


def test_scans_of_different_modes_are_not_merged():
    with pytest.raises(MergeError, match="different modes"):
        merge([("a", live()[0]), ("b", iac()[0])])
    with pytest.raises(MergeError, match="nothing to merge"):
        merge([])


def test_an_account_not_scanned_in_one_shard_and_scanned_in_another_counts_as_scanned():
    doc, _ = live()
    account = doc["scan"]["targets"][0]["account_id"]
    failed = copy.deepcopy(doc)
    failed["results"] = []
    failed["scan"]["targets"] = [
        {"kind": "aws-account", "account_id": account, "regions": [], "scanned": False, "reason": "throttled"}
    ]
    merged, _ = merge([("a", failed), ("b", doc)])
    assert merged["scan"]["targets"] == doc["scan"]["targets"]
    assert len(merged["results"]) == len(doc["results"])


def test_the_command_line(tmp_path, capsys):
    doc, _ = live()
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "b.json").write_text(json.dumps(iac()[0]))
    assert main(["merge", str(tmp_path / "a.json"), "-o", str(tmp_path / "m.json")], out=io.StringIO()) == 0
    assert json.loads((tmp_path / "m.json").read_text())["summary"] == doc["summary"]
    assert main(["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json")], out=io.StringIO()) == 2
    assert "cannot merge scans of different modes (aws, iac)" in capsys.readouterr().err
    assert main(["merge", str(tmp_path / "missing.json")], out=io.StringIO()) == 2
