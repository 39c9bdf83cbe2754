"""CT005 (log file validation), CT006 (KMS), CT007 (CloudWatch Logs) on the emulator."""

import datetime as dt

from testkit import ACCOUNT, body_contains, inject_response, live_scan, one, trail

LOG_GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail:*"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/trail-logs"


def _key(aws):
    return aws.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def test_hardened_trail_passes_all_three(aws):
    arn = trail(
        aws,
        "main",
        EnableLogFileValidation=True,
        KmsKeyId=_key(aws),
        CloudWatchLogsLogGroupArn=LOG_GROUP,
        CloudWatchLogsRoleArn=ROLE,
    )
    outcome = live_scan(aws, "CT005", "CT006", "CT007")
    for rule_id in ("CT005", "CT006", "CT007"):
        assert one(outcome, rule_id, arn).status == "pass", rule_id


def test_default_trail_fails_all_three(aws):
    arn = trail(aws, "main")
    outcome = live_scan(aws, "CT005", "CT006", "CT007")
    for rule_id in ("CT005", "CT006", "CT007"):
        result = one(outcome, rule_id, arn)
        assert result.status == "fail", rule_id
        assert "main" in result.message


def _status(**fields):
    return {"IsLogging": True, **fields}


def test_cloudwatch_delivery_error_fails(aws):
    arn = trail(aws, "main", CloudWatchLogsLogGroupArn=LOG_GROUP, CloudWatchLogsRoleArn=ROLE)
    inject_response(
        aws,
        "GetTrailStatus",
        _status(LatestCloudWatchLogsDeliveryError="AccessDenied"),
        match=body_contains(arn),
    )
    result = one(live_scan(aws, "CT007"), "CT007", arn)
    assert result.status == "fail"
    assert "AccessDenied" in result.message


def test_stale_cloudwatch_delivery_fails(aws):
    arn = trail(aws, "main", CloudWatchLogsLogGroupArn=LOG_GROUP, CloudWatchLogsRoleArn=ROLE)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    inject_response(
        aws, "GetTrailStatus", _status(LatestCloudWatchLogsDeliveryTime=old), match=body_contains(arn)
    )
    result = one(live_scan(aws, "CT007"), "CT007", arn)
    assert result.status == "fail"
    assert "30 hours ago" in result.message


def test_recent_cloudwatch_delivery_passes(aws):
    arn = trail(aws, "main", CloudWatchLogsLogGroupArn=LOG_GROUP, CloudWatchLogsRoleArn=ROLE)
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    inject_response(
        aws, "GetTrailStatus", _status(LatestCloudWatchLogsDeliveryTime=recent), match=body_contains(arn)
    )
    assert one(live_scan(aws, "CT007"), "CT007", arn).status == "pass"


def test_unlisted_region_makes_every_per_trail_setting_unknown(aws):
    from testkit import inject_error, results

    inject_error(aws, "DescribeTrails", "AccessDeniedException")
    outcome = live_scan(aws, "CT005", "CT006", "CT007", regions=["eu-west-1"])
    for rule_id in ("CT005", "CT006", "CT007"):
        (result,) = results(outcome, rule_id)
        assert (result.status, result.resource.region) == ("unknown", "eu-west-1"), rule_id


def test_cloudwatch_delivery_unknown_when_status_unreadable(aws):
    from testkit import inject_error

    arn = trail(aws, "main", CloudWatchLogsLogGroupArn=LOG_GROUP, CloudWatchLogsRoleArn=ROLE)
    inject_error(aws, "GetTrailStatus", "AccessDeniedException", match=body_contains(arn))
    result = one(live_scan(aws, "CT007"), "CT007", arn)
    assert result.status == "unknown"
    assert "AccessDeniedException" in result.message


def test_missing_log_group_fails_even_when_status_unreadable(aws):
    from testkit import inject_error

    arn = trail(aws, "main")
    inject_error(aws, "GetTrailStatus", "AccessDeniedException", match=body_contains(arn))
    assert one(live_scan(aws, "CT007"), "CT007", arn).status == "fail"  # the configuration decides
