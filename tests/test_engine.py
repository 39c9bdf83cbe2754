"""The rule engine: discovery (entry points and --rules-dir), selection, needs, evaluation,
deduplication, fingerprints, the `@rule` decorator and the RuleContext builders.

Everything runs on hand-built inventories: no AWS, no emulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from scanner import engine
from scanner.inventory import Inventory
from scanner.model import (
    CollectionGap,
    Location,
    Origin,
    Resource,
    ResourceRef,
    Result,
    ScanError,
    Scope,
    Severity,
    Status,
    Suppression,
    fingerprint,
)
from scanner.rule import Rule, RuleContext, rule

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
TRAIL = "AWS::CloudTrail::Trail"
BUCKET = "AWS::S3::Bucket"

# RULES.md, the implemented ids and their names (a contract: users put them in CI settings).
BUILT_IN = {
    "CT001": "cloudtrail-account-coverage",
    "CT002": "cloudtrail-trail-single-region",
    "CT003": "cloudtrail-logging-stopped",
    "CT004": "cloudtrail-management-events-partial",
    "CT005": "cloudtrail-log-file-validation",
    "CT006": "cloudtrail-kms-encryption",
    "CT007": "cloudtrail-cloudwatch-logs",
    "CT008": "cloudtrail-insights-disabled",
    "DE001": "cloudtrail-s3-write-data-events",
    "DE002": "cloudtrail-s3-read-data-events",
    "DE003": "cloudtrail-lambda-data-events",
    "DE004": "sagemaker-endpoint-invocations-unaudited",
    "DE005": "cloudtrail-data-selector-invalid",
    "EB001": "eventbridge-lambda-target-permission",
    "EB002": "eventbridge-sns-target-policy",
    "EB003": "eventbridge-sqs-target-policy",
    "EB004": "eventbridge-logs-target-policy",
    "EB005": "eventbridge-target-role-missing",
    "EB006": "eventbridge-target-role-trust",
    "EB007": "eventbridge-target-role-permission",
    "EB008": "eventbridge-lambda-permission-unscoped",
    "EB009": "eventbridge-bus-policy-public",
    "EB010": "eventbridge-target-no-dlq",
    "EB011": "eventbridge-dlq-not-deliverable",
    "AZ001": "rds-instance-single-az",
    "AZ002": "rds-cluster-single-az",
    "AZ003": "asg-single-az",
    "AZ004": "elb-single-az",
    "AZ005": "sagemaker-endpoint-single-instance",
    "AZ006": "elasticache-single-az",
    "AZ007": "efs-one-zone",
    "AZ008": "nat-gateway-cross-az-dependency",
    "RS001": "ec2-overprovisioned",
    "RS002": "sagemaker-endpoint-overprovisioned",
    "RS003": "rds-overprovisioned",
    "RS004": "ebs-iops-overprovisioned",
    "RS005": "ebs-gp2-volume",
    "RS006": "ebs-unattached-volume",
    "RS007": "elb-idle",
    "RS008": "instance-previous-generation",
    "RS009": "instance-size-over-limit",
    "MON001": "sagemaker-endpoint-no-alarms",
    "MON002": "sagemaker-endpoint-no-autoscaling",
    "MON003": "log-group-no-retention",
    "IMG001": "ami-not-approved",
    "IMG002": "ecr-scan-on-push-disabled",
    "IMG003": "container-image-mutable-tag",
    "IMG004": "ecr-tag-mutability",
}


# -- helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _forget_loaded_test_modules() -> Iterator[None]:
    """--rules-dir modules and test packs land in sys.modules; drop them after each test."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("opscheck_user_rules", "opscheck_testpack_")):
            del sys.modules[name]


@pytest.fixture(scope="module")
def builtin() -> dict[str, Rule]:
    ruleset = engine.discover()
    assert not ruleset.errors, ruleset.errors
    return ruleset.by_id()


def live_scope(account: str = ACCOUNT) -> Scope:
    return Scope(kind="aws-account", id=account, account_id=account, regions=("us-east-1", "eu-west-1"))


def live_trail(name: str, *, multi_region: bool, region: str = "us-east-1") -> Resource:
    return Resource(
        type=TRAIL,
        id=f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{name}",
        name=name,
        properties={"Name": name, "IsMultiRegionTrail": multi_region, "IsLogging": True},
        origin=Origin(source="aws", api="cloudtrail:DescribeTrails"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region=region,
    )


def bucket(name: str, tags: dict[str, str] | None = None, region: str = "us-east-1") -> Resource:
    return Resource(
        type=BUCKET,
        id=f"arn:aws:s3:::{name}",
        name=name,
        properties={"BucketName": name},
        origin=Origin(source="aws", api="s3:ListBuckets"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region=region,
        tags=dict(tags or {}),
    )


def bucket_inventory() -> Inventory:
    return Inventory(
        scopes=[live_scope()],
        resources=[bucket("owned", {"owner": "ml-team"}), bucket("orphan")],
    )


def ref(rid: str = "arn:aws:s3:::b", **kw) -> ResourceRef:
    fields = {"type": BUCKET, "id": rid, "name": rid.rsplit(":", 1)[-1], "account_id": ACCOUNT}
    fields.update(kw)
    return ResourceRef(**fields)


def make_rule(rule_id: str, fn, severity: str = "medium", **kw) -> Rule:
    """Wrap `fn` (which must have a docstring) as a rule."""
    return rule(
        id=rule_id,
        name=f"test-{rule_id.lower()}",
        title=f"Test rule {rule_id}",
        severity=severity,
        family="test",
        remediation="Fix it.",
        **kw,
    )(fn)


def emitting(rule_id: str, *results_of_ctx, severity: str = "medium") -> Rule:
    """A rule yielding ctx-built results: each argument is a function ctx -> Result."""

    def fn(inventory, ctx):
        """Emits canned results. Used by the engine tests."""
        for build in results_of_ctx:
            yield build(ctx)

    return make_rule(rule_id, fn, severity=severity)


# A user rule module as a third party would write it.
USER_RULE = '''
from scanner.rule import rule


@rule(
    id="ACME001",
    name="acme-bucket-owner-tag",
    title="Bucket carries an owner tag",
    severity="low",
    family="acme",
    remediation="Tag every bucket with the team that owns it.",
    sources=("aws",),
    needs={"AWS::S3::Bucket": ()},
)
def acme001(inventory, ctx):
    """Every bucket needs an owner tag. Without it nobody answers for its data."""
    for b in inventory.of_type("AWS::S3::Bucket"):
        if "owner" in b.tags:
            yield ctx.passed(b, f"Bucket {b.name} is owned by {b.tags['owner']}.")
        else:
            yield ctx.fail(b, f"Bucket {b.name} has no owner tag.", {"tags": dict(b.tags)})
'''


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# -- discovery through entry points ------------------------------------------------------------


def test_entry_points_discover_exactly_the_built_in_rules_without_errors():
    ruleset = engine.discover()
    assert ruleset.errors == []
    assert {r.id: r.meta.name for r in ruleset.rules} == BUILT_IN
    assert [r.id for r in ruleset.rules] == sorted(BUILT_IN)
    for r in ruleset.rules:
        packs = {
            "AZ": "rules.resilience.",
            "RS": "rules.rightsizing.",
            "CT": "rules.cloudtrail.",
            "DE": "rules.data_events.",
            "EB": "rules.eventbridge.",
            "MON": "rules.monitoring.",
            "IMG": "rules.images.",
        }
        assert r.module.startswith(packs[r.id.rstrip("0123456789")]), (r.id, r.module)


def test_built_in_rules_come_only_from_the_entry_point_group(monkeypatch):
    seen_groups = []

    def no_entry_points(**kw):
        seen_groups.append(kw.get("group"))
        return []

    monkeypatch.setattr(engine, "entry_points", no_entry_points)
    ruleset = engine.discover()
    assert seen_groups == ["opscheck.rules"]
    assert ruleset.rules == [] and ruleset.errors == []


def test_a_discovered_built_in_rule_runs_on_a_hand_built_inventory(builtin):
    inventory = Inventory(
        scopes=[live_scope()],
        resources=[
            live_trail("regional", multi_region=False, region="eu-west-1"),
            live_trail("main", multi_region=True),
        ],
    )
    results, errors = engine.evaluate([builtin["CT002"]], inventory)
    assert errors == []
    verdicts = {r.resource.name: (r.status, r.severity, r.resource.region) for r in results}
    assert verdicts == {
        "regional": (Status.FAIL, Severity.MEDIUM, "eu-west-1"),
        "main": (Status.PASS, Severity.MEDIUM, "us-east-1"),
    }


def test_broken_entry_point_is_a_config_error_and_other_packs_still_load(monkeypatch):
    real = list(engine.entry_points(group=engine.ENTRY_POINT_GROUP))
    broken = EntryPoint(name="broken", value="opscheck_testpack_missing_xyz", group=engine.ENTRY_POINT_GROUP)
    monkeypatch.setattr(engine, "entry_points", lambda **kw: [*real, broken])
    ruleset = engine.discover()
    assert {r.id for r in ruleset.rules} == set(BUILT_IN)
    assert len(ruleset.errors) == 1
    error = ruleset.errors[0]
    assert error.kind == "config"
    assert "broken" in error.message and "opscheck_testpack_missing_xyz" in error.message


def test_entry_point_may_name_a_module_a_rule_or_a_list_of_rules(tmp_path, monkeypatch):
    write(
        tmp_path,
        "opscheck_testpack_acme.py",
        '''
        from scanner.rule import rule

        def _make(rule_id):
            def fn(inventory, ctx):
                """A test rule. It emits nothing."""
                return []
            return rule(id=rule_id, name=rule_id.lower(), title="t", severity="low",
                        family="acme", remediation="r")(fn)

        MODULE_RULE = _make("ACME100")
        SINGLE = _make("ACME200")
        LISTED = [_make("ACME300"), _make("ACME301"), "not a rule"]
        ''',
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    group = engine.ENTRY_POINT_GROUP
    eps = [
        EntryPoint(name="a-module", value="opscheck_testpack_acme", group=group),
        EntryPoint(name="b-single", value="opscheck_testpack_acme:SINGLE", group=group),
        EntryPoint(name="c-list", value="opscheck_testpack_acme:LISTED", group=group),
    ]
    monkeypatch.setattr(engine, "entry_points", lambda **kw: eps)
    ruleset = engine.discover()
    assert ruleset.errors == []
    # The module exposes ACME100 and ACME200 (ACME300/301 sit inside a list attribute).
    assert [r.id for r in ruleset.rules] == ["ACME100", "ACME200", "ACME300", "ACME301"]


# -- --rules-dir -------------------------------------------------------------------------------


def test_rules_dir_rule_is_loaded_and_runs_in_evaluate(tmp_path):
    write(tmp_path, "acme_buckets.py", USER_RULE)
    ruleset = engine.discover([tmp_path])
    assert ruleset.errors == []
    ids = [r.id for r in ruleset.rules]
    assert set(ids) == {*BUILT_IN, "ACME001"}
    assert ids == sorted(ids)
    acme = ruleset.by_id()["ACME001"]
    assert acme.meta.description == "Every bucket needs an owner tag. Without it nobody answers for its data."
    assert acme.meta.sources == ("aws",)

    results, errors = engine.evaluate(engine.select(ruleset.rules, ["acme001"]), bucket_inventory())
    assert errors == []
    assert [(r.rule_id, r.resource.name, r.status, r.severity) for r in results] == [
        ("ACME001", "orphan", Status.FAIL, Severity.LOW),
        ("ACME001", "owned", Status.PASS, Severity.LOW),
    ]
    assert results[0].evidence == {"tags": {}}


def test_rules_dir_rule_runs_beside_all_built_ins(tmp_path):
    write(tmp_path, "acme_buckets.py", USER_RULE)
    ruleset = engine.discover([tmp_path])
    results, errors = engine.evaluate(ruleset.rules, bucket_inventory())
    assert errors == []
    assert {r.rule_id for r in results} >= {"ACME001", "CT001"}
    assert [r.status for r in results if r.rule_id == "ACME001"] == [Status.FAIL, Status.PASS]


def test_broken_rule_modules_are_config_errors_naming_the_file_and_the_rest_loads(tmp_path):
    write(tmp_path, "acme_buckets.py", USER_RULE)
    syntax = write(
        tmp_path,
        "bad_syntax.py",
        """
        from scanner.rule import rule

        def broken(:
            pass
        """,
    )
    boom = write(
        tmp_path,
        "boom.py",
        """
        import os
        raise RuntimeError("boom at import")
        """,
    )
    clash = write(
        tmp_path,
        "clash.py",
        '''
        from scanner.rule import rule

        @rule(id="CT001", name="impostor", title="t", severity="low", family="acme", remediation="r")
        def impostor(inventory, ctx):
            """Claims a built-in id. It must be refused."""
            return []

        @rule(id="ACME002", name="acme-second", title="t", severity="low", family="acme", remediation="r")
        def second(inventory, ctx):
            """Loads beside the impostor. Its module is otherwise fine."""
            return []
        ''',
    )
    ruleset = engine.discover([tmp_path])

    by_id = ruleset.by_id()
    assert set(by_id) == {*BUILT_IN, "ACME001", "ACME002"}
    assert by_id["CT001"].meta.name == BUILT_IN["CT001"]
    assert by_id["CT001"].module.startswith("rules.cloudtrail.")

    assert all(e.kind == "config" for e in ruleset.errors)
    assert len(ruleset.errors) == 3, ruleset.errors
    by_file = {}
    for e in ruleset.errors:
        named = [p for p in (syntax, boom, clash) if str(p) in e.message]
        assert len(named) == 1, e.message
        by_file[named[0]] = e

    assert by_file[syntax].path == str(syntax)
    assert by_file[syntax].line == 3
    assert "SyntaxError" in by_file[syntax].message

    assert by_file[boom].path == str(boom)
    assert "RuntimeError" in by_file[boom].message and "boom at import" in by_file[boom].message
    assert by_file[boom].line == 2

    assert "CT001" in by_file[clash].message
    assert "rules.cloudtrail.ct001_account_coverage" in by_file[clash].message


def test_duplicate_id_between_two_user_modules_keeps_the_first_and_reports_the_second(tmp_path):
    first = write(tmp_path, "a_first.py", USER_RULE)
    second = write(tmp_path, "b_second.py", USER_RULE.replace("acme-bucket-owner-tag", "acme-copy"))
    ruleset = engine.discover([tmp_path])
    assert ruleset.by_id()["ACME001"].meta.name == "acme-bucket-owner-tag"
    assert [e.kind for e in ruleset.errors] == ["config"]
    message = ruleset.errors[0].message
    assert str(second) in message and str(first) not in message
    assert "opscheck_user_rules.a_first" in message  # who holds the id


def test_files_starting_with_underscore_are_skipped(tmp_path):
    write(tmp_path, "acme_buckets.py", USER_RULE)
    write(tmp_path, "_broken_helper.py", "def nope(:\n")
    write(
        tmp_path,
        "_private_rule.py",
        USER_RULE.replace("ACME001", "ACME009").replace("acme-bucket-owner-tag", "acme-private"),
    )
    write(tmp_path, "notes.txt", "not python")
    ruleset = engine.discover([tmp_path])
    assert ruleset.errors == []
    assert set(ruleset.by_id()) == {*BUILT_IN, "ACME001"}


def test_missing_rules_dir_is_a_config_error_and_built_ins_still_load(tmp_path):
    missing = tmp_path / "does-not-exist"
    ruleset = engine.discover([missing])
    assert set(ruleset.by_id()) == set(BUILT_IN)
    assert len(ruleset.errors) == 1
    error = ruleset.errors[0]
    assert error.kind == "config"
    assert error.path == str(missing)
    assert str(missing) in error.message


def test_rules_dir_that_is_a_file_is_a_config_error(tmp_path):
    not_a_dir = write(tmp_path, "acme_buckets.py", USER_RULE)
    ruleset = engine.discover([not_a_dir])
    assert [e.kind for e in ruleset.errors] == ["config"]
    assert "ACME001" not in ruleset.by_id()


# -- select ------------------------------------------------------------------------------------


def test_select_without_include_or_skip_keeps_every_rule(builtin):
    rules = list(builtin.values())
    assert engine.select(rules) == rules


def test_select_include_is_case_insensitive_and_keeps_catalogue_order(builtin):
    rules = sorted(builtin.values(), key=lambda r: r.id)
    chosen = engine.select(rules, ["de004", " Ct002 ", ""])
    assert [r.id for r in chosen] == ["CT002", "DE004"]


def test_select_skip_is_case_insensitive(builtin):
    rules = sorted(builtin.values(), key=lambda r: r.id)
    chosen = engine.select(rules, skip=["ct001", "dE003"])
    assert [r.id for r in chosen] == sorted(set(BUILT_IN) - {"CT001", "DE003"})


def test_select_skip_wins_over_include(builtin):
    rules = sorted(builtin.values(), key=lambda r: r.id)
    chosen = engine.select(rules, include=["CT001", "CT002"], skip=["ct002"])
    assert [r.id for r in chosen] == ["CT001"]


@pytest.mark.parametrize(
    ("include", "skip"),
    [(["CT001", "ct999"], []), ([], ["XX001"]), (["CT001"], ["CT001", "DE999"])],
    ids=["unknown-include", "unknown-skip", "unknown-among-known"],
)
def test_select_unknown_id_raises(builtin, include, skip):
    with pytest.raises(engine.RuleSelectionError) as info:
        engine.select(list(builtin.values()), include, skip)
    unknown = next(i.upper() for i in [*include, *skip] if i.upper() not in BUILT_IN)
    assert unknown in str(info.value)
    assert isinstance(info.value, ValueError)


# -- needs -------------------------------------------------------------------------------------


def test_needs_of_a_rule_without_facets_is_the_bare_type(builtin):
    assert engine.needs([builtin["CT002"]]) == {TRAIL: frozenset()}


def test_needs_is_the_union_of_facets(builtin):
    assert engine.needs([builtin["CT001"], builtin["CT008"]]) == {
        TRAIL: frozenset({"status", "selectors", "insights"})
    }


def test_needs_unions_types_across_rules(builtin):
    assert engine.needs([builtin["CT002"], builtin["DE001"], builtin["DE004"]]) == {
        TRAIL: frozenset({"status", "selectors"}),
        BUCKET: frozenset(),
        "AWS::SageMaker::Endpoint": frozenset({"data_capture"}),
        "AWS::SageMaker::EndpointConfig": frozenset(),  # the IaC subject of DE004
    }


def test_needs_of_no_rules_is_empty_and_does_not_change_rule_metadata(builtin):
    assert engine.needs([]) == {}
    engine.needs([builtin["CT001"], builtin["CT008"]])
    assert builtin["CT001"].meta.needs == {TRAIL: frozenset({"status", "selectors"})}


# -- evaluate ----------------------------------------------------------------------------------


def _good_rule() -> Rule:
    return emitting("GOOD1", lambda ctx: ctx.fail(ref("arn:aws:s3:::good"), "Bucket good is bad."))


def test_rule_that_raises_becomes_internal_error_and_others_still_run():
    def explode(inventory, ctx):
        """Yields one result, then crashes. What it gave before the crash is kept."""
        yield ctx.fail(ref(), "partial")
        raise KeyError("no such property")

    exploding = make_rule("BOOM1", explode)
    results, errors = engine.evaluate([exploding, _good_rule()], Inventory(scopes=[live_scope()]))
    assert sorted(r.rule_id for r in results) == ["BOOM1", "GOOD1"]
    assert len(errors) == 1
    assert errors[0].kind == "internal"
    assert "BOOM1" in errors[0].message and "KeyError" in errors[0].message
    assert "after 1 result(s)" in errors[0].message


def test_non_result_output_is_an_internal_error():
    def junk(inventory, ctx):
        """Yields a dict instead of a Result. The engine must refuse it."""
        yield {"rule_id": "JUNK1", "status": "fail"}
        yield ctx.fail(ref(), "Bucket b is bad.")

    results, errors = engine.evaluate([make_rule("JUNK1", junk), _good_rule()], Inventory())
    assert sorted(r.rule_id for r in results) == ["GOOD1", "JUNK1"]
    assert [e.kind for e in errors] == ["internal"]
    assert "JUNK1" in errors[0].message


def test_result_of_another_rule_id_is_an_internal_error():
    def impostor(inventory, ctx):
        """Forges a result of another rule. The engine must refuse it."""
        yield Result(
            rule_id="GOOD1",
            status=Status.FAIL,
            severity=Severity.HIGH,
            message="forged",
            resource=ref("arn:aws:s3:::forged"),
        )

    results, errors = engine.evaluate([make_rule("FORGE1", impostor), _good_rule()], Inventory())
    assert [(r.rule_id, r.message) for r in results] == [("GOOD1", "Bucket good is bad.")]
    assert [e.kind for e in errors] == ["internal"]
    assert "FORGE1" in errors[0].message


def test_rule_params_default_and_override():
    seen = {}

    def fn(inventory, ctx):
        """Records its parameters. Used to check the merge."""
        seen[ctx.meta.id] = dict(ctx.params)
        return []

    a = make_rule("PARAM1", fn, params={"threshold": 40, "days": 14})
    b = make_rule("PARAM2", fn, params={"threshold": 40})
    engine.evaluate([a, b], Inventory(), params={"PARAM1": {"threshold": 25}})
    assert seen == {"PARAM1": {"threshold": 25, "days": 14}, "PARAM2": {"threshold": 40}}


@pytest.mark.parametrize("worse_first", [True, False], ids=["worse-first", "worse-second"])
def test_two_verdicts_on_one_fingerprint_are_an_internal_error_keeping_the_worse(worse_first):
    r = ref("arn:aws:s3:::twice")
    fail = lambda ctx: ctx.fail(r, "Bucket twice is bad.")  # noqa: E731
    passed = lambda ctx: ctx.passed(r, "Bucket twice is fine.")  # noqa: E731
    order = (fail, passed) if worse_first else (passed, fail)
    results, errors = engine.evaluate([emitting("TWICE1", *order)], Inventory())
    assert [(x.status, x.message) for x in results] == [(Status.FAIL, "Bucket twice is bad.")]
    assert [e.kind for e in errors] == ["internal"]
    assert "TWICE1" in errors[0].message and r.id in errors[0].message


def test_unknown_beats_pass_on_one_fingerprint():
    r = ref("arn:aws:s3:::twice")
    results, errors = engine.evaluate(
        [
            emitting(
                "TWICE2",
                lambda ctx: ctx.passed(r, "fine"),
                lambda ctx: ctx.unknown(r, "cannot tell"),
            )
        ],
        Inventory(),
    )
    assert [x.status for x in results] == [Status.UNKNOWN]
    assert [e.kind for e in errors] == ["internal"]


def test_identical_duplicates_collapse_silently():
    r = ref("arn:aws:s3:::dup")
    build = lambda ctx: ctx.fail(r, "Bucket dup is bad.", {"k": 1})  # noqa: E731
    results, errors = engine.evaluate([emitting("DUP1", build, build)], Inventory())
    assert len(results) == 1 and errors == []


def test_same_resource_with_different_discriminators_keeps_both():
    r = ref("arn:aws:s3:::multi")
    results, errors = engine.evaluate(
        [
            emitting(
                "DISC1",
                lambda ctx: ctx.fail(r, "target a", discriminator="a"),
                lambda ctx: ctx.passed(r, "target b", discriminator="b"),
            )
        ],
        Inventory(),
    )
    assert errors == []
    assert sorted(x.discriminator for x in results) == ["a", "b"]


def test_same_verdict_with_different_severity_keeps_the_more_severe_and_reports_it():
    r = ref("arn:aws:s3:::sev")
    results, errors = engine.evaluate(
        [
            emitting(
                "SEV1",
                lambda ctx: ctx.fail(r, "Bucket sev is bad.", severity=Severity.LOW),
                lambda ctx: ctx.fail(r, "Bucket sev is bad.", severity=Severity.HIGH),
            )
        ],
        Inventory(),
    )
    assert [x.severity for x in results] == [Severity.HIGH]
    assert [e.kind for e in errors] == ["internal"]


@pytest.mark.parametrize("malformed", ["severity-string", "status-string"])
def test_malformed_result_fields_do_not_crash_evaluate(malformed):
    def sloppy(inventory, ctx):
        """Builds a result with a string where an enum belongs. It must not crash the scan."""
        if malformed == "severity-string":
            yield ctx.fail(ref("arn:aws:s3:::sloppy"), "Bucket sloppy is bad.", severity="high")
        else:
            yield Result(
                rule_id="SLOPPY1",
                status="fail",
                severity=Severity.HIGH,
                message="Bucket sloppy is bad.",
                resource=ref("arn:aws:s3:::sloppy"),
            )

    results, errors = engine.evaluate([make_rule("SLOPPY1", sloppy), _good_rule()], Inventory())
    assert "GOOD1" in [r.rule_id for r in results]
    sloppy_results = [r for r in results if r.rule_id == "SLOPPY1"]
    if sloppy_results:  # accepted: then normalised to the enums
        assert sloppy_results[0].severity is Severity.HIGH and sloppy_results[0].status is Status.FAIL
    else:  # refused: then said out loud
        assert any(e.kind == "internal" and "SLOPPY1" in e.message for e in errors)


def test_results_are_sorted_by_severity_then_rule_then_resource():
    def at(rid, sev):
        return lambda ctx: ctx.fail(ref(rid), f"{rid} is bad.", severity=sev)

    b_rule = emitting(
        "BBB1",
        at("arn:aws:s3:::zeta", Severity.LOW),
        at("arn:aws:s3:::alpha", Severity.CRITICAL),
        at("arn:aws:s3:::mid", Severity.MEDIUM),
    )
    a_rule = emitting(
        "AAA1",
        at("arn:aws:s3:::zeta", Severity.MEDIUM),
        at("arn:aws:s3:::beta", Severity.MEDIUM),
        at("arn:aws:s3:::info", Severity.INFO),
        at("arn:aws:s3:::high", Severity.HIGH),
    )
    results, errors = engine.evaluate([b_rule, a_rule], Inventory())
    assert errors == []
    assert [(r.severity.value, r.rule_id, r.resource.id.rsplit(":", 1)[-1]) for r in results] == [
        ("critical", "BBB1", "alpha"),
        ("high", "AAA1", "high"),
        ("medium", "AAA1", "beta"),
        ("medium", "AAA1", "zeta"),
        ("medium", "BBB1", "mid"),
        ("low", "BBB1", "zeta"),
        ("info", "AAA1", "info"),
    ]


# -- fingerprints ------------------------------------------------------------------------------

TRAIL_REF = ResourceRef(
    type=TRAIL,
    id=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main",
    name="main",
    account_id=ACCOUNT,
    region="us-east-1",
)


def test_fingerprint_is_a_fixed_hex_digest_across_versions():
    # Baselines and `diff` match on this value: changing the algorithm breaks every saved baseline.
    assert fingerprint("CT002", TRAIL_REF) == "5263b80887c697cddce7032d05d8a773"


def test_fingerprint_is_stable_across_processes():
    code = (
        "from scanner.model import ResourceRef, fingerprint;"
        f"print(fingerprint('CT002', ResourceRef({TRAIL!r}, {TRAIL_REF.id!r}, 'main', {ACCOUNT!r}, "
        "'us-east-1'), 'd'))"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        outputs.add(proc.stdout.strip())
    assert outputs == {fingerprint("CT002", TRAIL_REF, "d")}


def test_fingerprint_ignores_message_evidence_location_status_severity_and_suppression():
    base = Result(
        rule_id="CT002",
        status=Status.FAIL,
        severity=Severity.MEDIUM,
        message="Trail main is single-region.",
        resource=TRAIL_REF,
        evidence={"IsMultiRegionTrail": False},
        location=Location("main.tf", 1, 10),
    )
    other = Result(
        rule_id="CT002",
        status=Status.PASS,
        severity=Severity.LOW,
        message="something else entirely",
        resource=ResourceRef(TRAIL, TRAIL_REF.id, "renamed-display-name", ACCOUNT, "us-east-1"),
        evidence={"different": True},
        location=Location("moved/main.tf", 40, 52),
        suppression=Suppression(source="config", reason="accepted risk"),
    )
    assert base.fingerprint == other.fingerprint == fingerprint("CT002", TRAIL_REF)


@pytest.mark.parametrize(
    ("rule_id", "changes", "discriminator"),
    [
        ("CT003", {}, None),
        ("CT002", {"id": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/other"}, None),
        ("CT002", {"type": "AWS::Account"}, None),
        ("CT002", {"account_id": OTHER_ACCOUNT}, None),
        ("CT002", {"account_id": None}, None),
        ("CT002", {"region": "eu-west-1"}, None),
        ("CT002", {"region": None}, None),
        ("CT002", {}, "target-1"),
    ],
    ids=["rule", "resource-id", "resource-type", "account", "no-account", "region", "no-region", "discr"],
)
def test_fingerprint_differs_when_identity_differs(rule_id, changes, discriminator):
    fields = {
        "type": TRAIL_REF.type,
        "id": TRAIL_REF.id,
        "name": TRAIL_REF.name,
        "account_id": TRAIL_REF.account_id,
        "region": TRAIL_REF.region,
    }
    fields.update(changes)
    assert fingerprint(rule_id, ResourceRef(**fields), discriminator) != fingerprint("CT002", TRAIL_REF)


def test_fingerprints_of_distinct_discriminators_differ_from_each_other():
    prints = {fingerprint("EB010", TRAIL_REF, d) for d in (None, "", "a", "b", "a\x1f")}
    # None and "" are the same identity (no discriminator); the rest are distinct.
    assert len(prints) == 4


# -- the @rule decorator -----------------------------------------------------------------------


def _documented(inventory, ctx):
    """A documented rule. It does nothing."""
    return []


def _undocumented(inventory, ctx):
    return []


def _blank_doc(inventory, ctx):
    """ """
    return []


@pytest.mark.parametrize("bad_id", ["ct001", "CT", "CT-001", "001", "CT001a", "", " CT001", "1CT001"])
def test_rule_decorator_rejects_a_bad_id(bad_id):
    with pytest.raises(ValueError, match="rule id"):
        make_rule(bad_id, _documented)


@pytest.mark.parametrize("good_id", ["CT001", "X1", "MY_RULE7", "EB010"])
def test_rule_decorator_accepts_well_formed_ids(good_id):
    assert make_rule(good_id, _documented).id == good_id


def test_rule_decorator_rejects_unknown_sources():
    with pytest.raises(ValueError, match="pulumi"):
        make_rule("SRC1", _documented, sources=("aws", "pulumi"))


def test_rule_decorator_rejects_a_function_without_docstring():
    with pytest.raises(ValueError, match="docstring"):
        make_rule("DOC1", _undocumented)
    with pytest.raises(ValueError, match="docstring"):
        make_rule("DOC2", _blank_doc)


def test_rule_decorator_rejects_an_unknown_severity():
    with pytest.raises(ValueError):
        make_rule("SEV9", _documented, severity="urgent")


def test_rule_decorator_normalises_its_metadata():
    def fn(inventory, ctx):
        """First line of the description.

        Second paragraph, indented in the source.
        """
        return []

    r = rule(
        id="NORM1",
        name="norm",
        title="Normalised",
        severity="high",
        family="test",
        remediation="""
            Do the thing.
            Then the other thing.
        """,
        references=["https://example.com/a"],
        compliance={"AWS-FSBP": ["CloudTrail.1"]},
        sources=["aws", "terraform"],
        needs={TRAIL: ["status"], BUCKET: []},
        params={"days": 14},
    )(fn)
    m = r.meta
    assert isinstance(r, Rule) and r.evaluate_fn is fn
    assert r.module == __name__
    assert m.severity is Severity.HIGH
    assert m.description == "First line of the description.\n\nSecond paragraph, indented in the source."
    assert m.remediation == "Do the thing.\nThen the other thing."
    assert m.references == ("https://example.com/a",)
    assert m.compliance == {"AWS-FSBP": ("CloudTrail.1",)}
    assert m.sources == ("aws", "terraform")
    assert m.needs == {TRAIL: frozenset({"status"}), BUCKET: frozenset()}
    assert m.params == {"days": 14}


# -- RuleContext builders ----------------------------------------------------------------------


@pytest.fixture
def ctx() -> RuleContext:
    r = make_rule("CTX1", _documented, severity="high", params={"x": 1})
    return RuleContext(r.meta, {"x": 2})


def test_builders_fill_rule_id_status_and_default_severity(ctx):
    r = ref()
    built = {
        Status.FAIL: ctx.fail(r, "bad"),
        Status.PASS: ctx.passed(r, "good"),
        Status.UNKNOWN: ctx.unknown(r, "unclear"),
    }
    for status, result in built.items():
        assert isinstance(result, Result)
        assert result.rule_id == "CTX1"
        assert result.status is status
        assert result.severity is Severity.HIGH
        assert result.resource == r
        assert result.location is None
        assert result.discriminator is None
    assert ctx.params == {"x": 2}


def test_builder_severity_override_and_evidence_copy(ctx):
    evidence = {"k": "v"}
    result = ctx.fail(ref(), "only a little bad", evidence, severity=Severity.LOW, discriminator="t1")
    evidence["k"] = "changed later"
    assert result.severity is Severity.LOW
    assert result.evidence == {"k": "v"}
    assert result.discriminator == "t1"
    assert ctx.fail(ref(), "no evidence").evidence == {}


def test_builder_takes_ref_and_location_from_a_resource_with_a_file_origin(ctx):
    resource = Resource(
        type=TRAIL,
        id="module.audit.aws_cloudtrail.main",
        name="main",
        properties={},
        origin=Origin(source="terraform", path="infra/audit/main.tf", start_line=12, end_line=30),
        scope="infra/audit",
    )
    result = ctx.fail(resource, "Trail main is bad.")
    assert result.location == Location("infra/audit/main.tf", 12, 30)
    assert result.resource == ResourceRef(TRAIL, "module.audit.aws_cloudtrail.main", "main")


def test_builder_location_with_only_a_start_line_spans_that_line(ctx):
    resource = Resource(
        type=TRAIL,
        id="Trail",
        name="Trail",
        properties={},
        origin=Origin(source="cloudformation", path="template.yaml", start_line=7),
        scope="template.yaml",
    )
    assert ctx.passed(resource, "ok").location == Location("template.yaml", 7, 7)


def test_builder_gives_no_location_for_a_live_resource(ctx):
    result = ctx.fail(live_trail("main", multi_region=True), "Trail main is bad.")
    assert result.location is None
    assert result.resource.account_id == ACCOUNT and result.resource.region == "us-east-1"


def test_account_ref_names_the_account_and_region():
    account = RuleContext.account(live_scope(), "eu-west-1")
    assert account == ResourceRef("AWS::Account", ACCOUNT, ACCOUNT, ACCOUNT, "eu-west-1")


def test_gap_unknowns_yield_one_unknown_per_gap_with_its_region(ctx):
    scope = live_scope()
    denied = ScanError(
        kind="api",
        message="access denied",
        account_id=ACCOUNT,
        region="eu-west-1",
        service="cloudtrail",
        operation="DescribeTrails",
        code="AccessDeniedException",
    )
    throttled = ScanError(kind="api", message="gave up", account_id=ACCOUNT, region="us-east-1")
    inventory = Inventory(
        scopes=[scope, live_scope(OTHER_ACCOUNT)],
        gaps=[
            CollectionGap(TRAIL, ACCOUNT, denied, region="eu-west-1"),
            CollectionGap(TRAIL, ACCOUNT, throttled, region="us-east-1"),
            CollectionGap(BUCKET, ACCOUNT, denied, region="eu-west-1"),  # another type
            CollectionGap(TRAIL, OTHER_ACCOUNT, denied, region="eu-west-1"),  # another scope
        ],
    )
    unknowns = list(ctx.gap_unknowns(inventory, scope, TRAIL, "Trails"))
    assert len(unknowns) == 2
    by_region = {u.resource.region: u for u in unknowns}
    assert set(by_region) == {"eu-west-1", "us-east-1"}
    for region, u in by_region.items():
        assert u.status is Status.UNKNOWN
        assert u.rule_id == "CTX1" and u.severity is Severity.HIGH
        assert u.resource == ResourceRef("AWS::Account", ACCOUNT, ACCOUNT, ACCOUNT, region)
        assert region in u.message and ACCOUNT in u.message and "CTX1" in u.message
        assert u.discriminator == f"gap:{TRAIL}"
    assert "AccessDeniedException" in by_region["eu-west-1"].message
    assert by_region["eu-west-1"].evidence == {"error": denied.to_dict()}
    assert "(api)" in by_region["us-east-1"].message  # no code: the error kind
    assert len({u.fingerprint for u in unknowns}) == 2


def test_gap_unknowns_without_region_and_without_gaps(ctx):
    scope = live_scope()
    error = ScanError(kind="api", message="denied", code="AccessDenied")
    inventory = Inventory(scopes=[scope], gaps=[CollectionGap(BUCKET, ACCOUNT, error)])
    assert list(ctx.gap_unknowns(inventory, scope, TRAIL, "Trails")) == []
    (only,) = ctx.gap_unknowns(inventory, scope, BUCKET, "Buckets")
    assert only.resource.region is None
    assert only.message.startswith(f"Buckets of account {ACCOUNT} could not be listed")
