"""Terraform plan JSON: planned values through the same mapping tables, unknown-after-apply
values as references, resources located at their .tf blocks when the sources are beside."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from scanner.cli import main
from scanner.model import Reference
from scanner.sources.discovery import relative
from scanner.sources.terraform.plan import load_plan

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "terraform" / "plan"


def _load(tmp_path: Path, with_sources: bool = True):
    shutil.copytree(FIXTURE, tmp_path / "p")
    if not with_sources:
        for tf in (tmp_path / "p").rglob("*.tf"):
            tf.unlink()
    path = tmp_path / "p" / "plan.json"
    return load_plan(path, "p/plan.json", json.loads(path.read_text()), tmp_path, relative)


def test_planned_values_are_mapped_with_addresses_as_ids(tmp_path):
    config = _load(tmp_path)
    trails = {r.id: r for r in config.resources if r.type == "AWS::CloudTrail::Trail"}
    assert set(trails) == {"aws_cloudtrail.legacy", "module.audit.aws_cloudtrail.this"}
    legacy = trails["aws_cloudtrail.legacy"]
    assert legacy.properties["IsLogging"] is False
    assert legacy.properties["EventSelectors"][0]["DataResources"][0]["Values"] == [
        "arn:aws:s3:::acme-curated"
    ]
    assert {r.type for r in config.resources} >= {"AWS::S3::Bucket"}
    assert config.scope.id == "p/plan.json"


def test_values_known_after_apply_are_references_named_after_the_configuration(tmp_path):
    this = next(r for r in _load(tmp_path).resources if r.id == "module.audit.aws_cloudtrail.this")
    key = this.properties["KMSKeyId"]
    assert isinstance(key, Reference) and key.text == "var.kms_key"


def test_resources_are_located_at_their_blocks_beside_the_plan(tmp_path):
    config = _load(tmp_path)
    by_id = {r.id: r.origin for r in config.resources}
    assert (by_id["aws_cloudtrail.legacy"].path, by_id["aws_cloudtrail.legacy"].start_line) == (
        "p/main.tf",
        27,
    )
    module = by_id["module.audit.aws_cloudtrail.this"]
    assert (module.path, module.start_line) == ("p/modules/trail/main.tf", 5)
    # The inline suppression written in the .tf block applies to the planned resource.
    assert [(s.rule_id, s.resource_id) for s in config.suppressions] == [("CT005", "aws_cloudtrail.legacy")]


def test_without_sources_results_point_at_the_plan(tmp_path):
    config = _load(tmp_path, with_sources=False)
    assert {(r.origin.path, r.origin.start_line) for r in config.resources} == {("p/plan.json", 1)}
    assert config.suppressions == []


def test_rules_on_a_plan_through_the_cli(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "p")
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "p/plan.json", "--format", "json", "-o", "out.json"], out=io.StringIO()) == 1
    doc = json.loads((tmp_path / "out.json").read_text())
    verdicts = {(r["rule_id"], r["resource"]["id"]): r for r in doc["results"]}
    assert verdicts[("CT003", "aws_cloudtrail.legacy")]["status"] == "fail"
    assert verdicts[("CT002", "module.audit.aws_cloudtrail.this")]["status"] == "pass"
    assert (
        verdicts[("CT006", "module.audit.aws_cloudtrail.this")]["status"] == "pass"
    )  # set, known after apply
    assert verdicts[("CT005", "aws_cloudtrail.legacy")]["suppression"]["source"] == "inline"
    assert verdicts[("DE005", "aws_cloudtrail.legacy")]["status"] == "fail"
    assert verdicts[("CT001", "aws_cloudtrail.legacy")]["status"] == "pass"  # config-level, first trail
    assert verdicts[("CT003", "aws_cloudtrail.legacy")]["location"] == {
        "path": "p/main.tf",
        "start_line": 27,
        "end_line": 40,
    }


def test_a_plan_whose_value_is_unknown_after_apply_gives_unknown(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "p")
    plan = json.loads((tmp_path / "p" / "plan.json").read_text())
    plan["resource_changes"][0]["change"]["after_unknown"]["is_multi_region_trail"] = True
    for child in plan["planned_values"]["root_module"]["child_modules"]:
        for r in child["resources"]:
            r["values"].pop("is_multi_region_trail")
    (tmp_path / "p" / "plan.json").write_text(json.dumps(plan))
    monkeypatch.chdir(tmp_path)
    main(["scan", "p/plan.json", "--format", "json", "-o", "out.json"], out=io.StringIO())
    doc = json.loads((tmp_path / "out.json").read_text())
    result = next(
        r for r in doc["results"] if r["rule_id"] == "CT002" and r["resource"]["id"].startswith("module.")
    )
    assert result["status"] == "unknown"


def test_a_plan_named_on_the_command_line_is_found_by_content_whatever_its_name(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "p")
    for tf in (tmp_path / "p").rglob("*.tf"):
        tf.unlink()
    (tmp_path / "p" / "plan.json").rename(tmp_path / "p" / "tfplan")  # terraform show -json > tfplan
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = main(["scan", "p/tfplan", "--rules", "CT002", "--format", "json"], out=out)
    doc = json.loads(out.getvalue())
    assert code in (0, 1), doc["scan"]["errors"]
    assert doc["scan"]["errors"] == []
    assert {r["resource"]["configuration"] for r in doc["results"]} == {"p/tfplan"}
