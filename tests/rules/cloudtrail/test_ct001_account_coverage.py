"""CT001 on the emulator: own, shadow and organization trails; unreadable data is unknown."""

from __future__ import annotations

from testkit import (
    ACCOUNT,
    add_to_response,
    body_contains,
    inject_error,
    inject_response,
    live_scan,
    management_selector,
    one,
    results,
    trail,
)

ORG_ACCOUNT = "111122223333"
ORG_TRAIL = f"arn:aws:cloudtrail:us-east-1:{ORG_ACCOUNT}:trail/org-audit"


def _add_org_trail(session) -> None:
    """A member account sees the organization trail of the management account (shadow)."""

    def mutate(parsed):
        parsed.setdefault("trailList", []).append(
            {
                "Name": "org-audit",
                "TrailARN": ORG_TRAIL,
                "HomeRegion": "us-east-1",
                "IsMultiRegionTrail": True,
                "IsOrganizationTrail": True,
                "S3BucketName": "org-audit-logs",
                "LogFileValidationEnabled": True,
                "HasCustomEventSelectors": True,
                "HasInsightSelectors": False,
            }
        )

    add_to_response(session, "DescribeTrails", mutate)


def test_multi_region_trail_with_arbitrarily_named_management_selector_passes(aws):
    trail(aws, "main", advanced=[management_selector("Log nothing interesting, honest")])
    outcome = live_scan(aws, "CT001", "CT004")
    ct001 = one(outcome, "CT001")
    assert ct001.status == "pass"
    assert ct001.resource.type == "AWS::Account" and ct001.resource.id == ACCOUNT
    assert one(outcome, "CT004").status == "pass"


def test_trail_without_selectors_records_management_events_by_default(aws):
    trail(aws, "main")
    assert one(live_scan(aws, "CT001"), "CT001").status == "pass"


def test_only_a_single_region_trail_fails_the_account(aws):
    trail(aws, "regional", multi_region=False)
    result = one(live_scan(aws, "CT001"), "CT001")
    assert result.status == "fail"
    assert "none qualifies" in result.message
    assert result.evidence["trails"][0]["multi_region"] is False


def test_no_trail_at_all_fails(aws):
    result = one(live_scan(aws, "CT001"), "CT001")
    assert result.status == "fail"
    assert "no CloudTrail trail" in result.message


def test_stopped_multi_region_trail_does_not_count(aws):
    trail(aws, "main", logging=False)
    assert one(live_scan(aws, "CT001"), "CT001").status == "fail"


def test_read_only_management_selector_does_not_count(aws):
    trail(aws, "main", classic=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}])
    outcome = live_scan(aws, "CT001", "CT004")
    assert one(outcome, "CT001").status == "fail"
    assert one(outcome, "CT004").status == "fail"


def test_multi_region_trail_seen_from_another_region_as_shadow_trail(aws):
    arn = trail(aws, "main")  # home us-east-1
    outcome = live_scan(aws, "CT001", "CT002", regions=["eu-west-1"])
    assert one(outcome, "CT001").status == "pass"
    # The shadow copy is the same trail: one per-trail result, in its home region.
    ct002 = one(outcome, "CT002", arn)
    assert ct002.resource.region == "us-east-1"
    assert outcome.api_calls["cloudtrail:GetTrailStatus"] == 1


def test_trail_listed_in_two_regions_is_read_once(aws):
    trail(aws, "main")
    outcome = live_scan(aws, "CT001", regions=["us-east-1", "eu-west-1", "us-west-2"])
    assert outcome.api_calls["cloudtrail:DescribeTrails"] == 3
    assert outcome.api_calls["cloudtrail:GetTrailStatus"] == 1
    assert outcome.api_calls["cloudtrail:GetEventSelectors"] == 1


def test_unreadable_selectors_are_unknown_not_fail(aws):
    trail(aws, "main")
    inject_error(aws, "GetEventSelectors", "AccessDeniedException")
    outcome = live_scan(aws, "CT001")
    result = one(outcome, "CT001")
    assert result.status == "unknown"
    assert "AccessDeniedException" in result.message
    assert any(
        e.operation == "GetEventSelectors" and e.code == "AccessDeniedException" for e in outcome.errors
    )


def test_unreadable_selectors_do_not_hide_another_qualifying_trail(aws):
    trail(aws, "good")
    bad = trail(aws, "other")
    inject_error(aws, "GetEventSelectors", "AccessDeniedException", match=body_contains(bad))
    assert one(live_scan(aws, "CT001"), "CT001").status == "pass"


def test_organization_trail_unreadable_from_member_is_unknown(aws):
    trail(aws, "regional", multi_region=False)
    _add_org_trail(aws)
    inject_error(aws, "GetTrailStatus", "TrailNotFoundException", match=body_contains(ORG_TRAIL))
    inject_error(aws, "GetEventSelectors", "AccessDeniedException", match=body_contains(ORG_TRAIL))
    outcome = live_scan(aws, "CT001", "CT002", "CT005")
    result = one(outcome, "CT001")
    assert result.status == "unknown"
    assert "org-audit" in result.message
    # Per-trail rules judge the organization trail in the account that owns it, not here.
    assert all(r.resource.id != ORG_TRAIL for r in outcome.results if r.rule_id != "CT001")


def test_readable_organization_trail_covers_the_member_account(aws):
    _add_org_trail(aws)
    inject_response(aws, "GetTrailStatus", {"IsLogging": True}, match=body_contains(ORG_TRAIL))
    inject_response(
        aws,
        "GetEventSelectors",
        {"TrailARN": ORG_TRAIL, "AdvancedEventSelectors": [management_selector("org")]},
        match=body_contains(ORG_TRAIL),
    )
    outcome = live_scan(aws, "CT001")
    result = one(outcome, "CT001")
    assert result.status == "pass", result.message
    assert result.evidence["trails"][0]["owned_by_other_account"] is True


def test_trails_unlistable_in_every_region_is_unknown(aws):
    trail(aws, "main")
    inject_error(aws, "DescribeTrails", "AccessDeniedException")
    outcome = live_scan(aws, "CT001", "CT002")
    assert one(outcome, "CT001").status == "unknown"
    # Per-trail rules: one unknown per region that could not be listed.
    ct002 = results(outcome, "CT002")
    assert {r.resource.region for r in ct002} == {"us-east-1", "eu-west-1"}
    assert {r.status.value for r in ct002} == {"unknown"}


def test_one_region_unlistable_still_decides_the_account(aws):
    trail(aws, "main")
    inject_error(
        aws,
        "DescribeTrails",
        "AccessDeniedException",
        match=lambda params: "eu-west-1" in params.get("url", ""),
    )
    outcome = live_scan(aws, "CT001", "CT002")
    assert one(outcome, "CT001").status == "pass"
    statuses = {(r.resource.id, r.status.value) for r in results(outcome, "CT002")}
    assert (ACCOUNT, "unknown") in statuses


def test_management_selector_not_understood_is_unknown_not_fail(aws):
    arn = trail(aws, "main")
    inject_response(
        aws,
        "GetEventSelectors",
        {"TrailARN": arn, "EventSelectors": [{"ReadWriteType": "Sometimes"}]},
        match=body_contains(arn),
    )
    outcome = live_scan(aws, "CT001", "CT004")
    assert one(outcome, "CT001").status == "unknown"
    assert one(outcome, "CT004").status == "unknown"
