"""opscheck.yml: the shape check with file:line messages, the rule check, applying
severities and parameters, the starter file, and the command line around it."""

from __future__ import annotations

import io
import json
import re
import textwrap
from pathlib import Path

import pytest

from scanner import config as cfg
from scanner.cli import main
from scanner.config_starter import starter
from scanner.lib.metrics import MetricWindow
from scanner.model import Severity
from tests.testkit import all_rules

TEMPLATE = """\
Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
"""


def parse(text: str) -> cfg.Config:
    return cfg.parse(textwrap.dedent(text), "opscheck.yml")


def problems(text: str) -> list[str]:
    with pytest.raises(cfg.ConfigError) as info:
        parse(text)
    return info.value.problems


def rule_problems(text: str) -> list[str]:
    with pytest.raises(cfg.ConfigError) as info:
        parse(text).check(all_rules())
    return info.value.problems


# --- shape -----------------------------------------------------------------------------


def test_a_full_configuration_is_read():
    c = parse(
        """
        select: [ct001, RS001]
        skip: RS009, RS008
        severity: {RS006: Medium}
        params:
          rs001: {cpu_threshold: 25}
          RS009: {max_size: 4xlarge, allowed_accelerated: [g5]}
        metrics: {lookback_days: 30, period_seconds: 300, peak_period_seconds: 60}
        scan: {regions: [eu-west-1], fail_on: HIGH, max_workers: 4}
        """
    )
    assert c.select == ("CT001", "RS001")
    assert c.skip == ("RS009", "RS008")
    assert c.severity == {"RS006": Severity.MEDIUM}
    assert c.params == {
        "RS001": {"cpu_threshold": 25},
        "RS009": {"max_size": "4xlarge", "allowed_accelerated": ["g5"]},
    }
    assert c.metrics == MetricWindow(lookback_days=30, period_seconds=300, peak_period_seconds=60)
    assert c.scan == cfg.ScanDefaults(regions=("eu-west-1",), fail_on="high", max_workers=4)
    c.check(all_rules())


def test_an_empty_file_is_the_defaults():
    assert parse("") == cfg.Config(path="opscheck.yml")
    assert parse("# only comments\n").metrics == MetricWindow()


def test_every_problem_is_reported_with_its_line_the_key_and_what_was_expected():
    found = problems(
        """
        selekt: [RS001]
        severity:
          RS006: urgent
        metrics:
          lookback_days: 0
          period_seconds: 90
          window: 3
        scan:
          fail_on: sometimes
          max_workers: many
          regions: 12
        """
    )
    assert found == [
        "opscheck.yml:2: selekt: unknown setting; expected one of select, skip, severity, params, metrics, scan, "
        "suppressions",
        "opscheck.yml:4: severity.RS006: expected one of critical, high, medium, low, info, found the text 'urgent'",
        "opscheck.yml:8: metrics.window: unknown setting; expected one of lookback_days, period_seconds, "
        "peak_period_seconds",
        "opscheck.yml:6: metrics.lookback_days: expected a whole number from 1 to 455, found int 0",
        "opscheck.yml:7: metrics.period_seconds: expected 60, 300, or a multiple of 3600 seconds, found int 90",
        "opscheck.yml:12: scan.regions: expected a list of region names, found int 12",
        "opscheck.yml:10: scan.fail_on: expected one of critical, high, medium, low, info, none, found the text "
        "'sometimes'",
        "opscheck.yml:11: scan.max_workers: expected a whole number from 1 to 256, found the text 'many'",
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("- RS001\n", "opscheck.yml:1: expected a mapping of settings"),
        ("select: {RS001: true}\n", "opscheck.yml:1: select: expected a list of rule ids, found a mapping"),
        ("select: [RS001, 7]\n", "opscheck.yml:1: select[1]: expected a rule id such as RS001, found int 7"),
        (
            "params: [RS001]\n",
            "opscheck.yml:1: params: expected a mapping RULE_ID: {parameter: value}, found a list",
        ),
        (
            "params:\n  RS001: 30\n",
            "opscheck.yml:2: params.RS001: expected a mapping of parameter: value, found int 30",
        ),
        ("metrics: 14\n", "opscheck.yml:1: metrics: expected a mapping with lookback_days"),
        ("scan: [eu-west-1]\n", "opscheck.yml:1: scan: expected a mapping with regions"),
        (
            "metrics: {lookback_days: true}\n",
            "metrics.lookback_days: expected a whole number from 1 to 455, found true",
        ),
        ("metrics: {peak_period_seconds: 7200}\n", None),
    ],
)
def test_wrong_types(text, expected):
    if expected is None:
        assert parse(text).metrics.peak_period_seconds == 7200
        return
    assert any(p.startswith(expected) or expected in p for p in problems(text)), problems(text)


def test_a_duplicate_key_is_named_with_its_line():
    assert problems("params:\n  RS001: {cpu_threshold: 30}\n  RS001: {cpu_threshold: 20}\n") == [
        "opscheck.yml:3: params.RS001 given twice"
    ]


def test_invalid_yaml_names_the_line():
    (found,) = problems("select: [RS001\nskip: [RS002]\n")
    assert re.match(r"opscheck\.yml:\d+: not valid YAML: ", found), found


def test_an_alias_bomb_is_refused_without_expanding_it():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
    (found,) = problems("\n".join(lines) + "\n")
    assert "expands to more than 100,000 values" in found


def test_unreadable_files(tmp_path):
    with pytest.raises(cfg.ConfigError, match="no such file"):
        cfg.load(tmp_path / "missing.yml")
    with pytest.raises(cfg.ConfigError, match="is a directory"):
        cfg.load(tmp_path)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"select: [\xff\xfe]\n")
    with pytest.raises(cfg.ConfigError, match=r"not UTF-8 text \(byte 9\)"):
        cfg.load(binary)
    huge = tmp_path / "huge.yml"
    huge.write_text("#" * (cfg.MAX_BYTES + 1))
    with pytest.raises(cfg.ConfigError, match="at most 1,000,000"):
        cfg.load(huge)


# --- against the rules ----------------------------------------------------------------------


def test_rule_ids_and_parameters_are_checked_against_the_rules():
    found = rule_problems(
        """
        select: [RS001, XX999]
        severity: {ZZ001: high}
        params:
          RS001:
            cpu_treshold: 30
            min_days_with_data: seven
          RS009: {allowed_accelerated: g5}
          RS008: {previous_generation: [m1, 3]}
          NOPE1: {x: 1}
        """
    )
    assert found == [
        "opscheck.yml:2: select[1]: no rule XX999 (see `opscheck rules`)",
        "opscheck.yml:3: severity.ZZ001: no rule ZZ001 (see `opscheck rules`)",
        "opscheck.yml:6: params.RS001.cpu_treshold: RS001 has no parameter 'cpu_treshold' "
        "(its parameters: cpu_threshold, min_days_with_data)",
        "opscheck.yml:7: params.RS001.min_days_with_data: expected a number, found the text 'seven'",
        "opscheck.yml:8: params.RS009.allowed_accelerated: expected a list of strings, found the text 'g5'",
        "opscheck.yml:9: params.RS008.previous_generation: expected a list of strings, found a list",
        "opscheck.yml:10: params.NOPE1: no rule NOPE1 (see `opscheck rules`)",
    ]


def test_no_rule_declares_a_parameter_nothing_reads():
    """A parameter in the metadata is a promise to the user that setting it changes something."""
    for r in all_rules():
        source = Path(r.evaluate_fn.__code__.co_filename).read_text()
        for name in r.meta.params:  # once in the metadata, at least once where it is read
            assert source.count(f'"{name}"') >= 2, f"{r.id}: parameter {name} is declared but never read"


def test_severity_override_applies_to_every_result_of_the_rule():
    rules = {
        r.id: r
        for r in parse("severity: {RS006: critical}\nparams: {RS001: {cpu_threshold: 12}}").apply(all_rules())
    }
    assert rules["RS006"].meta.severity is Severity.CRITICAL
    assert rules["RS001"].meta.params["cpu_threshold"] == 12
    assert rules["RS001"].meta.params["min_days_with_data"] == 7  # the other defaults stay
    ctx_meta = rules["RS006"].meta
    from scanner.model import ResourceRef
    from scanner.rule import RuleContext

    ctx = RuleContext(ctx_meta, ctx_meta.params)
    ref = ResourceRef(type="AWS::EC2::Volume", id="vol-1", name="vol-1")
    assert ctx.fail(ref, "x", severity="low").severity is Severity.CRITICAL
    untouched = {r.id: r for r in all_rules()}["RS006"].meta
    assert RuleContext(untouched, {}).fail(ref, "x", severity="info").severity is Severity.INFO


# --- the starter file -------------------------------------------------------------------------


def test_the_starter_file_reads_as_the_defaults_and_uncommented_as_a_valid_configuration():
    text = starter(all_rules())
    as_written = cfg.parse(text)
    assert as_written.params == {} and as_written.metrics == MetricWindow()
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and re.match(r"# ( *)(- )?[a-z_A-Z0-9]+:", line) else line
        for line in text.splitlines()
    )
    full = cfg.parse(uncommented)
    full.check(all_rules())
    assert [s.rule for s in full.suppressions] == ["RS006"]
    declared = {r.id: dict(r.meta.params) for r in all_rules() if r.meta.params}
    assert set(full.params) == set(declared)
    rules = {r.id: r for r in full.apply(all_rules())}
    for rid, params in declared.items():
        for name, default in params.items():
            assert rules[rid].meta.params[name] == default, (rid, name)


def test_init_writes_the_starter_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "opscheck.yml"
    assert main(["init", str(target)], out=io.StringIO()) == 0
    assert target.read_text() == starter(all_rules())
    assert main(["init", str(target)], out=io.StringIO()) == 2
    assert main(["init", str(target), "--force"], out=io.StringIO()) == 0


# --- the command line ----------------------------------------------------------------------------


def _scan(tmp_path: Path, monkeypatch, *args: str) -> tuple[int, dict | None]:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    out = io.StringIO()
    code = main(["scan", "template.yaml", "--format", "json", *args], out=out)
    return code, (json.loads(out.getvalue()) if out.getvalue() else None)


def test_opscheck_yml_in_the_current_directory_is_read(tmp_path, monkeypatch):
    (tmp_path / "opscheck.yml").write_text("select: [CT002, CT003]\nseverity: {CT002: critical}\n")
    code, doc = _scan(tmp_path, monkeypatch)
    assert {r["id"] for r in doc["rules"]} == {"CT002", "CT003"}
    ct002 = [r for r in doc["results"] if r["rule_id"] == "CT002"]
    assert ct002 and all(r["severity"] == "critical" for r in ct002)
    assert code == 1


def test_the_command_line_selection_replaces_the_configuration_one(tmp_path, monkeypatch):
    (tmp_path / "opscheck.yml").write_text("select: [CT002]\n")
    _, doc = _scan(tmp_path, monkeypatch, "--rules", "CT003")
    assert {r["id"] for r in doc["rules"]} == {"CT003"}


def test_fail_on_from_the_configuration_and_the_command_line_wins(tmp_path, monkeypatch):
    (tmp_path / "opscheck.yml").write_text("select: [CT002]\nscan: {fail_on: critical}\n")
    assert _scan(tmp_path, monkeypatch)[0] == 0  # CT002 fails at medium, below critical
    assert _scan(tmp_path, monkeypatch, "--fail-on", "low")[0] == 1


def test_a_bad_configuration_stops_the_scan_with_exit_2_and_every_problem(tmp_path, monkeypatch, capsys):
    (tmp_path / "custom.yml").write_text(
        "select: [CT002]\nparams:\n  CT007: {max_delivery_age_hours: soon}\nfoo: 1\n"
    )
    code, doc = _scan(tmp_path, monkeypatch, "--config", "custom.yml")
    err = capsys.readouterr().err
    assert code == 2 and doc is None
    assert "custom.yml:4: foo: unknown setting" in err
    (tmp_path / "custom.yml").write_text("params:\n  CT007: {max_delivery_age_hours: soon}\n")
    code, _ = _scan(tmp_path, monkeypatch, "--config", "custom.yml")
    assert code == 2
    assert "custom.yml:2: params.CT007.max_delivery_age_hours: expected a number, found the text 'soon'" in (
        capsys.readouterr().err
    )


def test_a_missing_explicit_configuration_is_an_error(tmp_path, monkeypatch, capsys):
    code, _ = _scan(tmp_path, monkeypatch, "--config", "nope.yml")
    assert code == 2 and "nope.yml: no such file" in capsys.readouterr().err


def test_live_scans_take_regions_workers_and_the_metric_window_from_the_configuration(tmp_path, monkeypatch):
    import scanner.cli as cli

    seen = {}

    def fake_scan_aws(options, rules, errors, settings):
        seen.update(
            regions=options.regions, workers=options.max_workers, window=settings.metric_window, rules=rules
        )
        raise cli.UsageError("stop here")

    monkeypatch.setattr(cli, "scan_aws", fake_scan_aws)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opscheck.yml").write_text(
        "select: [RS001]\nparams: {RS001: {cpu_threshold: 20}}\n"
        "metrics: {lookback_days: 10, period_seconds: 300}\nscan: {regions: [eu-west-1], max_workers: 3}\n"
    )
    assert main(["scan", "--aws"], out=io.StringIO()) == 2
    assert seen["regions"] == ["eu-west-1"] and seen["workers"] == 3
    assert seen["window"] == MetricWindow(lookback_days=10, period_seconds=300)
    assert [r.meta.params["cpu_threshold"] for r in seen["rules"]] == [20]
    assert main(["scan", "--aws", "--region", "us-east-1", "--max-workers", "5"], out=io.StringIO()) == 2
    assert seen["regions"] == ["us-east-1"] and seen["workers"] == 5


def test_a_bad_region_in_the_configuration_is_located(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opscheck.yml").write_text("scan:\n  regions: [mars-north-1]\n")
    assert main(["scan", "--aws"], out=io.StringIO()) == 2
    assert "not a region name: mars-north-1 (opscheck.yml:2: scan.regions)" in capsys.readouterr().err
