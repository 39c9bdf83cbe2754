from testkit import body_contains, inject_error, live_scan, one, trail

BOTH = ["ApiCallRateInsight", "ApiErrorRateInsight"]


def test_both_insight_types_on_multi_region_logging_trail_pass(aws):
    trail(aws, "main", insights=BOTH)
    outcome = live_scan(aws, "CT008")
    assert one(outcome, "CT008").status == "pass"
    assert outcome.api_calls["cloudtrail:GetInsightSelectors"] == 1


def test_one_insight_type_fails_naming_the_missing_one(aws):
    trail(aws, "main", insights=["ApiCallRateInsight"])
    result = one(live_scan(aws, "CT008"), "CT008")
    assert result.status == "fail"
    assert "ApiErrorRateInsight" in result.message


def test_insights_on_single_region_or_stopped_trail_do_not_count(aws):
    trail(aws, "regional", multi_region=False, insights=BOTH)
    trail(aws, "stopped", logging=False, insights=BOTH)
    outcome = live_scan(aws, "CT008")
    assert one(outcome, "CT008").status == "fail"
    # Neither trail can count, so their insight selectors are not read at all.
    assert "cloudtrail:GetInsightSelectors" not in outcome.api_calls


def test_unreadable_insights_are_unknown(aws):
    arn = trail(aws, "main", insights=BOTH)
    inject_error(aws, "GetInsightSelectors", "AccessDeniedException", match=body_contains(arn))
    assert one(live_scan(aws, "CT008"), "CT008").status == "unknown"


def test_insights_not_enabled_exception_means_none(aws):
    trail(aws, "main")
    inject_error(aws, "GetInsightSelectors", "InsightNotEnabledException")
    outcome = live_scan(aws, "CT008")
    assert one(outcome, "CT008").status == "fail"
    assert not outcome.errors


def test_insight_types_split_across_two_trails_do_not_count(aws):
    trail(aws, "calls", insights=["ApiCallRateInsight"])
    trail(aws, "errors", insights=["ApiErrorRateInsight"])
    result = one(live_scan(aws, "CT008"), "CT008")
    assert result.status == "fail"
    assert "calls lacks ApiErrorRateInsight" in result.message
