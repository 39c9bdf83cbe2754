from testkit import inject_error, live_scan, one, trail


def test_single_region_trail_fails_and_multi_region_passes(aws):
    single = trail(aws, "regional", multi_region=False, region="eu-west-1")
    multi = trail(aws, "main")
    outcome = live_scan(aws, "CT002")
    assert one(outcome, "CT002", single).status == "fail"
    assert one(outcome, "CT002", single).resource.region == "eu-west-1"
    assert one(outcome, "CT002", multi).status == "pass"


def test_region_where_trails_cannot_be_listed_is_unknown(aws):
    inject_error(aws, "DescribeTrails", "UnauthorizedOperation")
    outcome = live_scan(aws, "CT002", regions=["us-east-1"])
    result = one(outcome, "CT002")
    assert result.status == "unknown"
    assert result.resource.type == "AWS::Account" and result.resource.region == "us-east-1"
    assert "could not be listed" in result.message
