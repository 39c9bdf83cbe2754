"""EB008-EB010 on a live (emulated) account, through the EventBridge collectors."""

from __future__ import annotations

from eventbridge_world import ACCOUNT, REGION, arn, rule_arn, seed

from testkit import inject_error, live_scan, results


def verdicts(outcome, rule_id: str) -> dict[str, str]:
    return {
        r.resource.id + (f"/{r.discriminator}" if r.discriminator else ""): r.status.value
        for r in results(outcome, rule_id)
    }


def test_eb010_per_target_on_a_live_account(aws):
    seed(aws)
    out = live_scan(aws, "EB010", regions=[REGION])
    got = verdicts(out, "EB010")
    assert got[f"{rule_arn('nightly')}/work"] == "pass"
    assert got[f"{rule_arn('nightly')}/score"] == "fail"
    assert got[f"{rule_arn('train-done', 'ml')}/alerts"] == "pass"
    assert got[f"{rule_arn('train-failed', 'ml')}/sse"] == "fail"
    assert len(got) == 10  # every target of every rule, on both buses


def test_eb009_bus_policies(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    # moto stores Principal "*" as {"AWS": "arn:aws:iam::*:root"}.
    events.put_permission(Action="events:PutEvents", Principal="*", StatementId="everyone")
    events.create_event_bus(Name="org")
    events.put_permission(
        EventBusName="org",
        Action="events:PutEvents",
        Principal="*",
        StatementId="org",
        Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-abc123"},
    )
    out = live_scan(aws, "EB009", regions=[REGION])
    got = verdicts(out, "EB009")
    bus = arn("events", "event-bus/{}")
    assert got[bus.format("default")] == "fail"
    assert got[bus.format("ml")] == "pass"  # one named partner account
    assert got[bus.format("org")] == "pass"


def test_eb008_function_policies_read_for_targets(aws):
    seed(aws)
    lam = aws.client("lambda", region_name=REGION)
    lam.add_permission(
        FunctionName="score",
        StatementId="anyone-events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    out = live_scan(aws, "EB008", regions=[REGION])
    got = verdicts(out, "EB008")
    function = arn("lambda", "function:score")
    assert got[function] == "fail"
    fail = next(r for r in results(out, "EB008") if r.resource.id == function)
    assert fail.resource.type == "AWS::Lambda::Function" and fail.resource.account_id == ACCOUNT
    # The alias's own policy (read with Qualifier=prod) holds only the rule-scoped statement.
    assert got[f"{function}:prod"] == "pass"


# Found by the fault proxy (tests/reliability): a failed listing made these results vanish with
# no unknown in their place.


def test_eb009_buses_that_could_not_be_listed_are_unknown(aws):
    seed(aws)
    inject_error(aws, "ListEventBuses", "AccessDeniedException")
    out = live_scan(aws, "EB009", regions=[REGION])
    assert verdicts(out, "EB009") == {f"{ACCOUNT}/gap:AWS::Events::EventBus": "unknown"}


def test_eb008_rules_or_targets_that_could_not_be_listed_are_unknown(aws):
    seed(aws)
    inject_error(aws, "ListRules", "AccessDeniedException")
    out = live_scan(aws, "EB008", "EB001", regions=[REGION])
    assert verdicts(out, "EB008") == {f"{ACCOUNT}/gap:AWS::Events::Rule": "unknown"}
    # Refused on both buses: one unknown per region, not two results on one subject (the
    # full fault matrix found the engine reporting that collision as an internal error).
    assert verdicts(out, "EB001") == {f"{ACCOUNT}/gap:AWS::Events::Rule": "unknown"}
    assert not [e for e in out.errors if e.kind == "internal"], out.errors
    (gap,) = [r for r in results(out, "EB001")]
    assert len(gap.evidence["errors"]) == 2


def test_eb008_targets_that_could_not_be_listed_are_unknown_per_rule(aws):
    seed(aws)
    inject_error(aws, "ListTargetsByRule", "AccessDeniedException")
    out = live_scan(aws, "EB008", regions=[REGION])
    got = verdicts(out, "EB008")
    assert got and set(got.values()) == {"unknown"}
    assert got[rule_arn("nightly")] == "unknown"
    (nightly,) = [r for r in results(out, "EB008") if r.resource.id == rule_arn("nightly")]
    assert "the policies of the functions it invokes were not read" in nightly.message
