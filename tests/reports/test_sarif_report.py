"""The SARIF writer: what GitHub code scanning needs, from a results document."""

import gzip
import json

import pytest
from docbuild import ACCOUNT, document, outcome, result

from reports import sarif
from reports.formats import render_outcome
from scanner.model import Severity, Status, Suppression


def _run(doc, **kw):
    return json.loads(sarif.render(doc, **kw).text)["runs"][0]


def test_only_unsuppressed_fails_become_results_with_levels_from_severity():
    doc = document(
        [
            result("CT001", Status.FAIL, "a", severity=Severity.HIGH),
            result("CT002", Status.FAIL, "b", severity=Severity.MEDIUM),
            result("CT005", Status.FAIL, "c", severity=Severity.LOW),
            result("CT002", Status.PASS, "ok"),
            result("CT002", Status.UNKNOWN, "dark"),
            result("CT003", Status.FAIL, "quiet", suppression=Suppression("config", "accepted", None, "sec")),
        ]
    )
    run = _run(doc)
    got = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert got == {("CT001", "error"), ("CT002", "warning"), ("CT005", "note")}
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_rules_carry_help_severity_tags_and_precision():
    run = _run(document([result("CT001", Status.FAIL, "a", severity=Severity.HIGH)]))
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert ids == ["CT001", "CT002", "CT003", "CT005", "DE001"]  # every rule evaluated
    ct001 = run["tool"]["driver"]["rules"][0]
    assert ct001["name"] == "CloudtrailAccountCoverage"
    assert ct001["properties"]["security-severity"] == "8.0"
    assert ct001["properties"]["precision"] in {"very-high", "high", "medium", "low"}
    tags = ct001["properties"]["tags"]
    assert tags[:2] == ["security", "cloudtrail"] and "CIS-AWS-v5.0/3.1" in tags and len(tags) <= 20
    assert "```hcl" in ct001["help"]["markdown"] and "## Remediation" in ct001["help"]["markdown"]
    assert "Terraform:" in ct001["help"]["text"]
    assert ct001["helpUri"].startswith("https://")
    assert ct001["defaultConfiguration"]["level"] == "error"
    # wrapped docstring lines are joined into paragraphs
    assert "\n" not in ct001["fullDescription"]["text"].split("\n\n")[0]


def test_tags_are_capped_at_twenty():
    meta = {"id": "X1", "family": "f", "compliance": {"A": [str(i) for i in range(30)]}}
    tags = sarif.tags(meta)
    assert len(tags) == 20 and tags[0] == "security"


def test_iac_results_point_at_repository_relative_lines():
    doc = document(
        [result("CT002", path="modules/audit/main.tf", line=7)], mode="iac", cwd_from_repository_root="infra"
    )
    loc = _run(doc)["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "infra/modules/audit/main.tf"
    assert loc["region"] == {"startLine": 7, "endLine": 17}
    assert _run(doc)["automationDetails"]["id"] == "opscheck/iac/"


def test_paths_that_climb_out_of_the_scan_directory_are_normalised():
    doc = document([result("CT002", path="../shared/trail.tf")], mode="iac", cwd_from_repository_root="infra")
    uri = _run(doc)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "shared/trail.tf"


def test_live_results_are_anchored_and_carry_the_arn():
    doc = document([result("CT002", name="legacy", region="eu-west-1")])
    res = _run(doc, anchor="ops/opscheck.yml")["results"][0]
    arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/legacy"
    assert arn in res["message"]["text"]
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "ops/opscheck.yml"
    assert loc["physicalLocation"]["region"]["startLine"] == 1
    assert loc["logicalLocations"] == [{"fullyQualifiedName": arn, "kind": "resource", "name": "legacy"}]
    assert (
        _run(doc)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "opscheck.yml"
    )


def test_fingerprints_and_automation_ids():
    doc = document([result("CT002", name="a")])
    res = _run(doc)["results"][0]
    assert res["partialFingerprints"]["primaryLocationLineHash"] == doc["results"][0]["fingerprint"]
    assert _run(doc)["automationDetails"]["id"] == f"opscheck/aws-{ACCOUNT}/"
    two = document([result()], accounts=(ACCOUNT, "210987654321"))
    assert _run(two)["automationDetails"]["id"] == "opscheck/aws-accounts/"


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("envs/prod #1/main.tf", "envs/prod%20%231/main.tf"),
        ("{{cookiecutter.name}}/main.tf", "%7B%7Bcookiecutter.name%7D%7D/main.tf"),
        ("a:b.tf", "a%3Ab.tf"),  # not a URI with scheme `a`
        ("m\u00fcnchen/100%.tf", "m%C3%BCnchen/100%25.tf"),
    ],
)
def test_special_characters_in_paths_are_encoded(path, uri):
    doc = document([result("CT002", path=path)], mode="iac")
    got = _run(doc)["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert got == uri


def test_scan_errors_become_notifications():
    from scanner.model import ScanError

    doc = document(
        [result()],
        mode="iac",
        errors=[ScanError(kind="parse", message="bad token", path="main.tf", line=4)],
        cwd_from_repository_root="infra",
    )
    note = _run(doc)["invocations"][0]["toolExecutionNotifications"][0]
    assert note["message"]["text"] == "bad token"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "infra/main.tf"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


def test_result_limit_keeps_the_most_severe_and_says_so():
    results = [result("CT005", name=f"low{i}", severity=Severity.LOW) for i in range(3)]
    results += [result("CT001", name=f"high{i}", severity=Severity.HIGH) for i in range(2)]
    report = sarif.render(document(results), max_results=2)
    run = json.loads(report.text)["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error", "error"]
    assert (
        report.dropped == 3 and "25,000" not in report.problems[0] and "3 least severe" in report.problems[0]
    )
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("least severe" in n["message"]["text"] for n in notes)


def test_size_limit_shrinks_until_the_gzipped_file_fits():
    results = [result("CT002", name=f"t{i}", message=f"Trail t{i} " + "x" * 400 + str(i)) for i in range(400)]
    full = sarif.render(document(results))
    limit = len(gzip.compress(full.text.encode())) // 2
    report = sarif.render(document(results), max_gzip_bytes=limit)
    assert len(gzip.compress(report.text.encode())) <= limit
    assert 0 < report.dropped < 400 and "gzipped" in report.problems[0]
    json.loads(report.text)  # still a whole, valid file


def test_a_dropped_result_is_a_scan_error_in_every_format(monkeypatch):
    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    out = outcome([result("CT002", name="a"), result("CT002", name="b")])
    rendered = render_outcome(out, ["json", "sarif"])
    doc = json.loads(rendered.texts["json"])
    assert [e["kind"] for e in doc["scan"]["errors"]] == ["report"]
    notes = json.loads(rendered.texts["sarif"])["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1  # said once, not once per rendering
