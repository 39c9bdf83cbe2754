from testkit import (
    body_contains,
    data_selector,
    endpoint,
    inject_error,
    live_scan,
    management_selector,
    one,
    trail,
)

SM = "AWS::SageMaker::Endpoint"


def test_endpoint_covered_by_advanced_selector_passes(aws):
    arn = endpoint(aws, "churn")
    trail(aws, "main", advanced=[management_selector(), data_selector(SM, arn_equals=[arn])])
    result = one(live_scan(aws, "DE004"), "DE004", arn)
    assert result.status == "pass"


def test_arn_comparison_is_case_insensitive(aws):
    arn = endpoint(aws, "Churn-Predictor")
    trail(aws, "main", advanced=[data_selector(SM, arn_equals=[arn.lower()])])
    assert one(live_scan(aws, "DE004"), "DE004", arn).status == "pass"


def test_uncovered_endpoint_fails_medium_and_with_data_capture_low(aws):
    plain = endpoint(aws, "recsys")
    captured = endpoint(aws, "fraud", capture=True)
    trail(aws, "main")
    outcome = live_scan(aws, "DE004")
    assert (one(outcome, "DE004", plain).status, one(outcome, "DE004", plain).severity) == ("fail", "medium")
    low = one(outcome, "DE004", captured)
    assert (low.status, low.severity) == ("fail", "low")
    assert low.evidence["data_capture"] is True
    assert outcome.api_calls["sagemaker:DescribeEndpoint"] == 2


def test_classic_selectors_cannot_cover_endpoints(aws):
    arn = endpoint(aws, "churn")
    trail(aws, "main", classic=[{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}])
    assert one(live_scan(aws, "DE004"), "DE004", arn).status == "fail"


def test_unreadable_endpoint_detail_still_judged_on_coverage(aws):
    arn = endpoint(aws, "churn", capture=True)
    trail(aws, "main", advanced=[data_selector(SM)])
    inject_error(aws, "DescribeEndpoint", "AccessDeniedException", match=body_contains("churn"))
    outcome = live_scan(aws, "DE004")
    assert one(outcome, "DE004", arn).status == "pass"  # coverage alone decides a pass


def test_unreadable_trail_selectors_are_unknown(aws):
    arn = endpoint(aws, "churn")
    trail(aws, "main")
    inject_error(aws, "GetEventSelectors", "AccessDeniedException")
    result = one(live_scan(aws, "DE004"), "DE004", arn)
    assert result.status == "unknown"
    assert "AccessDeniedException" in result.message


def test_endpoints_unlistable_is_unknown(aws):
    trail(aws, "main")
    inject_error(aws, "ListEndpoints", "AccessDeniedException")
    outcome = live_scan(aws, "DE004", regions=["us-east-1"])
    (result,) = outcome.results
    assert result.status == "unknown" and result.resource.region == "us-east-1"


def test_one_direction_only_is_unknown_because_invoke_direction_is_undocumented(aws):
    arn = endpoint(aws, "churn", capture=True)
    trail(aws, "main", advanced=[data_selector(SM, read_only="false")])
    result = one(live_scan(aws, "DE004"), "DE004", arn)
    assert result.status == "unknown"
    assert "not documented" in result.message
