"""The SARIF opscheck writes passes both validators INTERFACE.md names: the OASIS SARIF 2.1.0
JSON schema, and Microsoft's SARIF multitool `validate` with GitHub's rules enabled; and each
validator really fails a broken file (sarif_validators.py says how the multitool is run)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sarif_validators import (
    MultitoolRunError,
    describe,
    minimal_log,
    multitool_findings,
    schema_errors,
)

from reports import sarif
from reports.json import to_document
from scanner.demo import demo_scan, examples_scan

SCANS = ["demo", "examples"]


def _results(log):
    return log["runs"][0]["results"]


def _location(log):
    return _results(log)[0]["locations"][0]["physicalLocation"]


def _driver(log):
    return log["runs"][0]["tool"]["driver"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The SARIF for the live demo account and for the IaC examples, as files."""
    out = tmp_path_factory.mktemp("sarif")
    iac = examples_scan()
    if iac is None:
        pytest.skip("examples/ is not here (not a source checkout)")
    files = {}
    for name, outcome in (("demo", demo_scan()), ("examples", iac)):
        path = out / f"{name}.sarif"
        path.write_text(sarif.render(to_document(outcome)).text, encoding="utf-8")
        files[name] = path
    return files


@pytest.fixture(scope="module")
def multitool_on_reports(written: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):
    """One multitool run over both files (it takes a second to start, and about half a second per file),
    and over a copy of the demo file broken the way GitHub rejects, to see it noticed."""
    folder = tmp_path_factory.mktemp("multitool")
    files = dict(written)
    broken = json.loads(written["demo"].read_text(encoding="utf-8"))
    first = _location(broken)
    first["artifactLocation"] = {"uri": "file:///home/runner/work/repo/opscheck.yml"}
    del first["region"]
    files["demo-broken"] = folder / "demo-broken.sarif"
    files["demo-broken"].write_text(json.dumps(broken, indent=2), encoding="utf-8")
    found = multitool_findings(list(files.values()), folder / "run")
    return {name: found[path] for name, path in files.items()}


@pytest.mark.parametrize("scan", SCANS)
def test_opscheck_sarif_is_valid_against_the_sarif_schema(written, scan):
    log = json.loads(written[scan].read_text(encoding="utf-8"))
    # Not vacuous: both scans have unsuppressed fails, so there are results to check.
    assert log["runs"] and all(run["results"] for run in log["runs"])
    errors = schema_errors(log)
    assert not errors, f"{written[scan].name}: {len(errors)} schema error(s):\n" + "\n".join(errors)


@pytest.mark.parametrize("scan", SCANS)
def test_opscheck_sarif_passes_the_multitool_with_github_rules(multitool_on_reports, scan):
    findings = multitool_on_reports[scan]
    blocking = [f for f in findings if f.blocking]
    advice = [f for f in findings if not f.blocking]
    assert not blocking, (
        f"{scan}.sarif: {len(blocking)} multitool error(s)/warning(s)/GitHub finding(s):\n"
        f"{describe(blocking)}\n(and {len(advice)} note(s), not failing: "
        f"{sorted({f.rule_id for f in advice})})"
    )


def test_the_multitool_run_on_opscheck_sarif_can_fail(multitool_on_reports):
    found = {(f.rule_id, f.path) for f in multitool_on_reports["demo-broken"] if f.blocking}
    where = "runs[0].results[0].locations[0].physicalLocation"
    assert {("GH1003", where), ("GH1006", f"{where}.artifactLocation.uri")} <= found, found


# -- the validators fail what they should -----------------------------------------------------

Mutation = Callable[[dict[str, Any]], object]


def _unknown_level(log):
    _results(log)[0]["level"] = "fatal"


# (case, how to break the minimal file, the JSON path of the schema error it must produce)
SCHEMA_CASES: list[tuple[str, Mutation, str]] = [
    ("unknown-level", _unknown_level, "$.runs[0].results[0].level"),
    (
        "start-line-zero",
        lambda log: _location(log)["region"].update(startLine=0),
        "$.runs[0].results[0].locations[0].physicalLocation.region.startLine",
    ),
    ("no-version", lambda log: log.pop("version"), "$"),
    ("unknown-top-level-property", lambda log: log.update(generator="opscheck"), "$"),
    ("driver-without-name", lambda log: _driver(log).pop("name"), "$.runs[0].tool.driver"),
    (
        "message-without-text-or-id",
        lambda log: _results(log)[0].update(message={}),
        "$.runs[0].results[0].message",
    ),
    ("rank-over-100", lambda log: _results(log)[0].update(rank=101.0), "$.runs[0].results[0].rank"),
    (
        "property-bag-not-an-object",
        lambda log: _driver(log)["rules"][0].update(properties=["security-severity", "8.0"]),
        "$.runs[0].tool.driver.rules[0].properties",
    ),
]


def test_the_hand_written_baseline_passes_the_schema():
    assert schema_errors(minimal_log()) == []


@pytest.mark.parametrize(("case", "mutate", "path"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_the_schema_rejects_a_broken_file_and_names_the_path(case, mutate, path):
    log = minimal_log()
    mutate(log)
    errors = schema_errors(log)
    assert any(e.startswith(f"{path}: ") for e in errors), errors


# The multitool costs about half a second per file, so the broken cases share files: each
# result case breaks its own result of run 0 of one file, each run case its own extra run.
# (case, how to break it, the rule it must trip, the JSON path it must name, below the result/run)
Breaker = Callable[[dict[str, Any], dict[str, Any]], object]  # (result or run, run 0) -> None


def _thread_flow_by_index(result, run):
    run["threadFlowLocations"] = [{"location": result["locations"][0]}]
    result["codeFlows"] = [{"threadFlows": [{"locations": [{"index": 0}]}]}]


def _rule_without_help(result, run):
    rule = {
        k: v for k, v in run["tool"]["driver"]["rules"][0].items() if k not in ("help", "fullDescription")
    }
    run["tool"]["driver"]["rules"].append({**rule, "id": "XX002", "name": "RuleWithoutHelp"})
    result.update(ruleId="XX002", ruleIndex=1)


def _driver_without_rules(run, _):
    del run["tool"]["driver"]["rules"]
    for result in run["results"]:
        del result["ruleIndex"]


def _driver_without_version(run, _):
    del run["tool"]["driver"]["version"]
    del run["tool"]["driver"]["semanticVersion"]


def _physical(result):
    return result["locations"][0]["physicalLocation"]


RESULT_CASES: list[tuple[str, Breaker, str, str]] = [
    (
        "absolute-file-uri",
        lambda result, _: _physical(result)["artifactLocation"].update(
            uri="file:///home/runner/work/x/main.tf"
        ),
        "GH1006",
        ".locations[0].physicalLocation.artifactLocation.uri",
    ),
    (
        "https-uri",
        lambda result, _: _physical(result)["artifactLocation"].update(uri="https://example.com/main.tf"),
        "GH1005",
        ".locations[0].physicalLocation.artifactLocation.uri",
    ),
    (
        "no-region",
        lambda result, _: _physical(result).pop("region"),
        "GH1003",
        ".locations[0].physicalLocation",
    ),
    ("no-locations", lambda result, _: result.pop("locations"), "GH1001", ""),
    (
        "message-id-without-text",
        lambda result, _: result.update(message={"id": "default", "arguments": ["x"]}),
        "GH1007",
        ".message",
    ),
    (
        "thread-flow-location-by-index",
        _thread_flow_by_index,
        "GH1002",
        ".codeFlows[0].threadFlows[0].locations[0].index",
    ),
    (
        "eleven-locations",
        lambda result, _: result.update(locations=result["locations"] * 11),
        "GH1004",
        ".locations",
    ),
    # GH2012 names the rule, not the result: the path is rules[1] (the rule this case adds).
    ("rule-without-help", _rule_without_help, "GH2012", None),
]
RUN_CASES: list[tuple[str, Breaker, str, str]] = [
    ("driver-without-rules", _driver_without_rules, "GH1018", ".tool.driver"),
    ("run-without-results", lambda run, _: run.pop("results"), "GH1014", ""),
    # A SARIF rule at level warning, not a GitHub one: warnings fail validation too.
    ("driver-without-version", _driver_without_version, "SARIF2005", ".tool.driver"),
]
LOG_CASES: list[tuple[str, Mutation, str, str]] = [
    ("no-schema-uri", lambda log: log.pop("$schema"), "GH1013", ""),
    (
        "draft-schema-uri",
        lambda log: log.update(
            {"$schema": "https://schemastore.azurewebsites.net/schemas/json/sarif-2.1.0-rtm.4.json"}
        ),
        "GH1011",
        "$schema",
    ),
]


def _broken_files() -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, str, str]]]:
    """The files to write, and for each case: (file, rule, JSON path)."""
    files: dict[str, dict[str, Any]] = {"baseline": minimal_log()}
    expect: dict[str, tuple[str, str, str]] = {}
    log = minimal_log()
    run = log["runs"][0]
    run["results"] = [json.loads(json.dumps(run["results"][0])) for _ in RESULT_CASES]
    for i, (case, breaker, rule, below) in enumerate(RESULT_CASES):
        breaker(run["results"][i], run)
        path = "runs[0].tool.driver.rules[1]" if below is None else f"runs[0].results[{i}]{below}"
        expect[case] = ("broken", rule, path)
    for i, (case, breaker, rule, below) in enumerate(RUN_CASES, start=1):
        extra = minimal_log()["runs"][0]
        breaker(extra, run)
        log["runs"].append(extra)
        expect[case] = ("broken", rule, f"runs[{i}]{below}")
    files["broken"] = log
    for case, mutate, rule, path in LOG_CASES:
        files[case] = minimal_log()
        mutate(files[case])
        expect[case] = (case, rule, path)
    return files, expect


BROKEN_FILES, EXPECTED = _broken_files()


@pytest.fixture(scope="module")
def multitool_on_broken(tmp_path_factory: pytest.TempPathFactory):
    """The baseline and the broken files in one multitool run."""
    folder = tmp_path_factory.mktemp("broken")
    paths = {name: folder / f"{name}.sarif" for name in BROKEN_FILES}
    for name, log in BROKEN_FILES.items():
        paths[name].write_text(json.dumps(log, indent=2), encoding="utf-8")
    found = multitool_findings(list(paths.values()), folder / "run")
    return {name: found[path] for name, path in paths.items()}


def test_the_hand_written_baseline_passes_the_multitool(multitool_on_broken):
    baseline = multitool_on_broken["baseline"]
    assert not [f for f in baseline if f.blocking], describe(baseline)


@pytest.mark.parametrize("case", list(EXPECTED))
def test_the_multitool_with_github_rules_fails_a_broken_file(multitool_on_broken, case):
    file, rule, path = EXPECTED[case]
    found = multitool_on_broken[file]
    hits = [f for f in found if f.rule_id == rule and f.path == path]
    assert hits, (
        f"{case}: expected {rule} at {path!r} in {file}.sarif; the multitool said:\n{describe(found)}"
    )
    assert all(f.blocking for f in hits)
    if rule.startswith("GH"):  # enabled at level error by sarif_ghas.config.xml
        assert {f.level for f in hits} == {"error"}


def test_a_file_the_multitool_cannot_load_fails_the_run_instead_of_passing(tmp_path):
    # An unknown enum value makes the multitool skip the file, and every file after it, and
    # exit 0 with no finding at all: the canary at the end of each run turns that into a failure.
    log = minimal_log()
    _unknown_level(log)
    unloadable = tmp_path / "unloadable.sarif"
    unloadable.write_text(json.dumps(log), encoding="utf-8")
    with pytest.raises(MultitoolRunError, match=r"stops without a word on unloadable\.sarif"):
        multitool_findings([unloadable], tmp_path / "run")
