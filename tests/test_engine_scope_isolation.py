"""The engine runs every rule scope by scope (scanner/engine.py `evaluate`, Inventory.scoped).

Contract: a rule that raises while judging one scope (an IaC configuration, or an account) still
gives its results for every other scope; the exception becomes exactly one `internal` ScanError
that names the rule, the scope, the exception and how many results that scope had already given
(those results are kept). Each run of a rule sees one scope with only that scope's resources and
collection gaps, so a rule cannot mix configurations up. Other rules are not affected.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner import engine
from scanner.inventory import Inventory
from scanner.model import TRAIL, CollectionGap, Origin, Resource, Result, ScanError, Scope
from scanner.rule import Rule, RuleContext, rule
from scanner.scan import scan_iac
from testkit import rules

SCOPES = ("cfg/a", "cfg/b", "cfg/c")


# -- helpers -------------------------------------------------------------------------------------


def configuration_trail(scope_id: str, name: str = "t", multi_region: bool = False) -> Resource:
    return Resource(
        type=TRAIL,
        id=f"aws_cloudtrail.{name}",
        name=name,
        properties={"TrailName": name, "IsMultiRegionTrail": multi_region, "IsLogging": True},
        origin=Origin(source="terraform", path=f"{scope_id}/main.tf", start_line=1, end_line=4),
        scope=scope_id,
    )


def configurations(*scope_ids: str) -> Inventory:
    """One Terraform configuration per id, each declaring one single-region trail `t`."""
    return Inventory(
        scopes=[Scope(kind="configuration", id=s) for s in scope_ids],
        resources=[configuration_trail(s) for s in scope_ids],
    )


def make_rule(rule_id: str, fn) -> Rule:
    return rule(
        id=rule_id,
        name=f"test-{rule_id.lower()}",
        title=f"Test rule {rule_id}",
        severity="medium",
        family="test",
        remediation="Fix it.",
        needs={TRAIL: ()},
    )(fn)


def fragile(rule_id: str, broken: set[str], before_raising: int = 0) -> Rule:
    """Fails every trail of every scope it sees; on a scope in `broken` it gives
    `before_raising` results first, then raises."""

    def fn(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
        """Judges each trail; crashes on the scopes it is told to."""
        for scope in inventory.scopes:
            trails = inventory.of_type(TRAIL, scope)
            if scope.id in broken:
                for t in trails[:before_raising]:
                    yield ctx.fail(t, f"{scope.id}: trail {t.name} judged before the crash.")
                raise ValueError(f"cannot read {scope.id}")
            for t in trails:
                yield ctx.fail(t, f"{scope.id}: trail {t.name} is bad.")

    return make_rule(rule_id, fn)


def by_scope(results: list[Result], rule_id: str) -> dict[str, str]:
    return {r.configuration: r.status.value for r in results if r.rule_id == rule_id}


def internal(errors: list[ScanError]) -> list[ScanError]:
    return [e for e in errors if e.kind == "internal"]


# -- hand-built inventories -----------------------------------------------------------------------


@pytest.mark.parametrize("broken", SCOPES, ids=["first", "middle", "last"])
def test_a_rule_raising_on_one_configuration_still_judges_the_others(broken):
    results, errors = engine.evaluate([fragile("FRAG1", {broken})], configurations(*SCOPES))
    assert by_scope(results, "FRAG1") == {s: "fail" for s in SCOPES if s != broken}
    [error] = errors
    assert error.kind == "internal"
    assert f"rule FRAG1 failed on {broken} after 0 result(s)" in error.message
    assert f"ValueError: cannot read {broken}" in error.message


def test_results_given_before_the_exception_in_that_scope_are_kept():
    inventory = configurations(*SCOPES)
    inventory.add(configuration_trail("cfg/b", "second"))
    results, errors = engine.evaluate([fragile("FRAG1", {"cfg/b"}, before_raising=1)], inventory)
    kept = sorted((r.configuration, r.resource.id) for r in results)
    assert kept == [
        ("cfg/a", "aws_cloudtrail.t"),
        ("cfg/b", "aws_cloudtrail.second"),  # of_type orders by id: `second` before `t`
        ("cfg/c", "aws_cloudtrail.t"),
    ]
    [error] = internal(errors)
    assert "on cfg/b after 1 result(s)" in error.message


def test_a_rule_raising_everywhere_gives_one_error_per_scope_and_other_rules_run():
    good = fragile("GOOD1", set())
    results, errors = engine.evaluate([fragile("FRAG1", set(SCOPES)), good], configurations(*SCOPES))
    assert by_scope(results, "FRAG1") == {}
    assert by_scope(results, "GOOD1") == {s: "fail" for s in SCOPES}
    assert sorted(e.message.split(" after ")[0] for e in internal(errors)) == [
        f"rule FRAG1 failed on {s}" for s in SCOPES
    ]
    assert len(errors) == len(SCOPES)


def test_a_broken_rule_does_not_cost_a_built_in_rule_any_result():
    ct002 = rules("CT002")
    results, errors = engine.evaluate([fragile("FRAG1", {"cfg/a"}), *ct002], configurations(*SCOPES))
    assert by_scope(results, "CT002") == {s: "fail" for s in SCOPES}  # single-region trails
    assert by_scope(results, "FRAG1") == {"cfg/b": "fail", "cfg/c": "fail"}
    assert len(internal(errors)) == 1


def test_built_in_configuration_level_rule_judges_each_configuration_on_its_own():
    # cfg/a holds the only multi-region trail: it must not cover cfg/b.
    inventory = Inventory(
        scopes=[Scope(kind="configuration", id=s) for s in ("cfg/a", "cfg/b")],
        resources=[configuration_trail("cfg/a", multi_region=True), configuration_trail("cfg/b")],
    )
    results, errors = engine.evaluate(rules("CT001"), inventory)
    assert errors == []
    assert by_scope(results, "CT001") == {"cfg/a": "pass", "cfg/b": "fail"}


def test_each_run_sees_one_scope_with_only_its_resources_and_gaps():
    seen: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = []

    def spy(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
        """Records what it is given."""
        seen.append(
            (
                tuple(s.id for s in inventory.scopes),
                tuple(r.scope for r in inventory),
                tuple(g.scope for g in inventory.gaps),
            )
        )
        return iter(())

    inventory = configurations(*SCOPES)
    inventory.gaps.extend(
        CollectionGap(TRAIL, s, ScanError(kind="parse", message=f"{s} unreadable"))
        for s in ("cfg/a", "cfg/c")
    )
    results, errors = engine.evaluate([make_rule("SPY1", spy)], inventory)
    assert (results, errors) == ([], [])
    assert seen == [
        (("cfg/a",), ("cfg/a",), ("cfg/a",)),
        (("cfg/b",), ("cfg/b",), ()),
        (("cfg/c",), ("cfg/c",), ("cfg/c",)),
    ]


def test_live_accounts_are_isolated_the_same_way():
    accounts = ("111122223333", "444455556666")
    inventory = Inventory(
        scopes=[Scope(kind="aws-account", id=a, account_id=a, regions=("us-east-1",)) for a in accounts],
        resources=[
            Resource(
                type=TRAIL,
                id=f"arn:aws:cloudtrail:us-east-1:{a}:trail/t",
                name="t",
                properties={"IsMultiRegionTrail": True, "IsLogging": True},
                origin=Origin(source="aws", api="cloudtrail:DescribeTrails"),
                scope=a,
                account_id=a,
                region="us-east-1",
            )
            for a in accounts
        ],
    )
    results, errors = engine.evaluate([fragile("FRAG1", {accounts[0]})], inventory)
    assert [r.resource.account_id for r in results] == [accounts[1]]
    [error] = errors
    assert error.kind == "internal" and f"on {accounts[0]}" in error.message


def test_with_a_single_scope_the_error_names_no_scope():
    results, errors = engine.evaluate([fragile("FRAG1", {"cfg/a"})], configurations("cfg/a"))
    assert results == []
    [error] = errors
    assert error.kind == "internal"
    assert error.message.startswith("rule FRAG1 failed after 0 result(s): ValueError")


# -- end to end: two Terraform configurations through scan_iac --------------------------------------


def _terraform_root(root: Path, multi_region: bool) -> None:
    root.mkdir(parents=True)
    (root / "main.tf").write_text(
        textwrap.dedent(
            f"""
            resource "aws_cloudtrail" "t" {{
              name                  = "t"
              s3_bucket_name        = "logs"
              is_multi_region_trail = {str(multi_region).lower()}
            }}
            """
        )
    )


def test_scan_iac_keeps_the_other_configurations_when_a_rule_raises_on_one(tmp_path):
    _terraform_root(tmp_path / "iac" / "good", multi_region=True)
    _terraform_root(tmp_path / "iac" / "broken", multi_region=False)
    outcome = scan_iac([tmp_path / "iac"], [fragile("FRAG1", {"iac/broken"}), *rules("CT001")], tmp_path)
    assert outcome.fatal is None
    assert by_scope(outcome.results, "FRAG1") == {"iac/good": "fail"}
    assert by_scope(outcome.results, "CT001") == {"iac/good": "pass", "iac/broken": "fail"}
    [error] = internal(outcome.errors)
    assert "rule FRAG1 failed on iac/broken after 0 result(s): ValueError" in error.message
