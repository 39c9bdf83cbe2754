"""Credentials, role assumption and failures that leave nothing to scan."""

import json

import boto3

from scanner.scan import exit_code, scan_aws
from scanner.sources.aws.session import AwsOptions
from testkit import live_scan, rules, trail


def test_assume_role_scans_the_target_account(aws):
    trail(aws, "in-source-account")
    role = "arn:aws:iam::222233334444:role/opscheck-audit"
    seen = {}

    def capture(params, **_):
        seen["body"] = params.get("body")

    aws.events.register("before-call.sts.AssumeRole", capture)
    outcome = scan_aws(
        AwsOptions(session=aws, role_arn=role, external_id="ext-123", regions=["us-east-1"]), rules("CT001")
    )
    assert outcome.targets[0]["account_id"] == "222233334444"
    assert outcome.results[0].status == "fail"  # the other account has no trail
    assert seen["body"]["ExternalId"] == "ext-123"
    assert outcome.api_calls["sts:AssumeRole"] == 1


def test_no_credentials_means_nothing_scanned_exit_2(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    outcome = scan_aws(
        AwsOptions(session=boto3.Session(region_name="us-east-1"), regions=["us-east-1"]), rules("CT001")
    )
    assert outcome.fatal and "GetCallerIdentity" in outcome.fatal
    assert outcome.errors[0].code == "NoCredentialsError"
    assert exit_code(outcome, "low", strict=False) == 2


def test_role_that_cannot_be_assumed_is_fatal(aws):
    from testkit import inject_error

    inject_error(aws, "AssumeRole", "AccessDenied")
    outcome = scan_aws(
        AwsOptions(session=aws, role_arn="arn:aws:iam::222233334444:role/x", regions=["us-east-1"]),
        rules("CT001"),
    )
    assert outcome.fatal and "AssumeRole" in outcome.fatal
    assert exit_code(outcome, "low", strict=False) == 2


def test_every_collection_call_failing_is_fatal(aws):
    from testkit import inject_error

    for op in ("DescribeTrails", "GetTrailStatus", "GetEventSelectors"):
        inject_error(aws, op, "AccessDeniedException")
    outcome = live_scan(aws, "CT001")
    assert outcome.fatal
    assert exit_code(outcome, "none", strict=False) == 2


def test_errors_never_carry_credentials(aws):
    from testkit import inject_error

    inject_error(aws, "DescribeTrails", "AccessDeniedException")
    outcome = live_scan(aws, "CT001")
    text = json.dumps([e.to_dict() for e in outcome.errors])
    assert "testing" not in text  # the fake access key and secret
