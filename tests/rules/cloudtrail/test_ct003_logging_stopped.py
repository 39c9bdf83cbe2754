from testkit import body_contains, inject_error, live_scan, one, trail


def test_stopped_trail_fails_logging_trail_passes(aws):
    stopped = trail(aws, "stopped", logging=False)
    running = trail(aws, "running")
    outcome = live_scan(aws, "CT003")
    assert one(outcome, "CT003", stopped).status == "fail"
    assert one(outcome, "CT003", running).status == "pass"


def test_status_read_in_home_region_by_arn(aws):
    arn = trail(aws, "eu-trail", region="eu-west-1", multi_region=False)
    outcome = live_scan(aws, "CT003", regions=["eu-west-1"])
    assert one(outcome, "CT003", arn).status == "pass"


def test_unreadable_status_is_unknown(aws):
    arn = trail(aws, "main")
    inject_error(aws, "GetTrailStatus", "AccessDeniedException", match=body_contains(arn))
    result = one(live_scan(aws, "CT003"), "CT003", arn)
    assert result.status == "unknown"
    assert "GetTrailStatus" in result.message
