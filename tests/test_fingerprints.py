"""Fingerprints of IaC results do not depend on the directory a scan starts from
(INTERFACE.md: `diff` and `--baseline` match on them), and the configuration a resource was
evaluated in is reported alongside it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from reports import sarif
from reports.json import result_to_dict, to_document
from scanner.scan import scan_iac
from scanner.sources.discovery import StableKeys
from testkit import rules

TRAIL = """
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "logs"
}
"""

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Audit:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
"""


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "infra" / "prod").mkdir(parents=True)
    (root / "infra" / "prod" / "main.tf").write_text(textwrap.dedent(TRAIL))
    (root / "infra" / "stack.yaml").write_text(textwrap.dedent(TEMPLATE))
    return root


def fingerprints(paths: list[Path], cwd: Path) -> dict[tuple[str, str], str]:
    outcome = scan_iac(paths, rules("CT001", "CT002", "CT004"), cwd)
    assert outcome.results
    return {(r.rule_id, r.resource.name): r.fingerprint for r in outcome.results}


def test_fingerprints_are_the_same_from_the_repository_root_and_from_a_subdirectory(tmp_path: Path) -> None:
    root = repo(tmp_path)
    from_root = fingerprints([root / "infra"], root)
    from_infra = fingerprints([root / "infra"], root / "infra")
    from_prod = fingerprints([root / "infra"], root / "infra" / "prod")
    assert from_root == from_infra == from_prod
    # Account-level results too (their resource id is the configuration's reported path).
    assert any(rule == "CT001" for rule, _ in from_root)


def test_fingerprints_still_tell_configurations_apart(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "infra" / "dev").mkdir()
    (root / "infra" / "dev" / "main.tf").write_text(textwrap.dedent(TRAIL))
    outcome = scan_iac([root / "infra"], rules("CT002"), root)
    by_config = {r.configuration: r.fingerprint for r in outcome.results}
    assert set(by_config) == {"infra/dev", "infra/prod", "infra/stack.yaml"}
    assert len(set(by_config.values())) == 3


def test_results_name_their_configuration_as_reported_paths(tmp_path: Path) -> None:
    root = repo(tmp_path)
    outcome = scan_iac([root / "infra"], rules("CT002"), root / "infra")
    docs = sorted((result_to_dict(r) for r in outcome.results), key=lambda d: d["resource"]["configuration"])
    assert [d["resource"]["configuration"] for d in docs] == ["prod", "stack.yaml"]
    assert docs[0]["resource"]["id"] == "aws_cloudtrail.main"
    assert docs[0]["location"]["path"] == "prod/main.tf"


def test_outside_a_repository_the_key_is_the_reported_path(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    keys = StableKeys(tmp_path)
    # tmp_path may itself sit inside a work tree on a developer machine; only assert when not.
    if keys._root(tmp_path) is None:
        assert keys.key("a/main.tf") == "a/main.tf"
        assert keys.key("a") == "a"


def test_a_repository_key_is_relative_to_the_work_tree_root(tmp_path: Path) -> None:
    root = repo(tmp_path)
    keys = StableKeys(root / "infra" / "prod")
    assert keys.key(".") == "infra/prod"
    assert keys.key("../stack.yaml") == "infra/stack.yaml"
    # A root module at the top of the work tree.
    (root / "main.tf").write_text(TRAIL)
    assert StableKeys(root).key(".") == "."
    assert StableKeys(root / "infra").key("..") == "."
    # A git work tree can mark itself with a `.git` file (worktrees, submodules).
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / ".git").write_text("gitdir: elsewhere\n")
    assert StableKeys(tmp_path).key("sub/x.yaml") == "x.yaml"


def test_two_repositories_scanned_together_keep_distinct_fingerprints(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name / ".git").mkdir(parents=True)
        (tmp_path / name / "main.tf").write_text(textwrap.dedent(TRAIL))  # both roots at the top: key "."
    outcome = scan_iac([tmp_path / "a", tmp_path / "b"], rules("CT002"), tmp_path)
    assert {r.configuration for r in outcome.results} == {"a", "b"}
    assert len({r.fingerprint for r in outcome.results}) == 2
    # Scanned alone, each keeps its cwd-independent key.
    alone = scan_iac([tmp_path / "a"], rules("CT002"), tmp_path)
    assert alone.results[0].configuration_key == "."


def test_sarif_paths_are_repository_relative_when_the_scan_runs_in_a_subdirectory(tmp_path: Path) -> None:
    root = repo(tmp_path)
    infra = root / "infra"
    outcome = scan_iac([infra / "prod"], rules("CT002"), infra)
    doc = to_document(outcome)
    assert doc["scan"]["cwd_from_repository_root"] == "infra"
    result = next(r for r in doc["results"] if r["status"] == "fail")
    assert result["location"]["path"].startswith("prod/")  # the document keeps cwd-relative paths
    run = json.loads(sarif.render(doc).text)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "infra/" + result["location"]["path"]
