"""Credentials, role assumption and failures that leave nothing to scan."""

import json

import boto3

from scanner.results import exit_code
from scanner.scan import scan_aws
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


def test_web_identity_credentials_are_not_blocked_by_the_guard(aws, monkeypatch, tmp_path):
    """GitHub OIDC / EKS: botocore's own credential provider calls AssumeRoleWithWebIdentity;
    the guard watches opscheck's clients, not the credential chain."""
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJub25lIn0.e30.")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    trail(aws, "main")
    outcome = scan_aws(AwsOptions(regions=["us-east-1"]), rules("CT001"))
    assert outcome.fatal is None, outcome.errors
    assert outcome.results[0].status == "pass"
    assert "sts:AssumeRoleWithWebIdentity" not in outcome.api_calls  # not ours to count or refuse


def test_first_region_decides_the_partition_endpoints(aws):
    seen = []
    aws.events.register(
        "before-call.sts.GetCallerIdentity", lambda context, **_: seen.append(context["client_region"])
    )
    live_scan(aws, "CT002", regions=["eu-west-1"])
    assert seen == ["eu-west-1"]


def test_unknown_profile_is_a_configuration_error():
    import pytest

    from scanner.sources.aws.session import ConfigurationError

    with pytest.raises(ConfigurationError, match="nope"):
        scan_aws(AwsOptions(profile="nope", regions=["us-east-1"]), rules("CT001"))


def test_assumed_role_credentials_refresh(aws):
    from scanner.sources.aws.guard import CallGuard
    from scanner.sources.aws.session import AccountSession
    from scanner.sources.aws.source import required_operations

    session = AccountSession(
        AwsOptions(session=aws, role_arn="arn:aws:iam::222233334444:role/audit", regions=["us-east-1"]),
        CallGuard(required_operations({})),
    )
    credentials = session.session.get_credentials()
    assert credentials.method == "assume-role"
    assert credentials.refresh_needed() is False  # refreshable, not a frozen copy


def test_accounts_entered_share_the_parsed_service_models(aws):
    """An organization scan enters every account: each assumed session reuses the source
    session's loader (each service model parsed once per process, not once per account)
    and leaves its search paths as they were."""
    from scanner.sources.aws.guard import CallGuard
    from scanner.sources.aws.session import AccountSession
    from scanner.sources.aws.source import required_operations

    loader = aws._session.get_component("data_loader")
    paths = list(loader.search_paths)
    entered = [
        AccountSession(
            AwsOptions(session=aws, role_arn=f"arn:aws:iam::{account}:role/audit", regions=["us-east-1"]),
            CallGuard(required_operations({})),
        )
        for account in ("222233334444", "333344445555")
    ]
    for session in entered:
        assert session.session._session.get_component("data_loader") is loader
        session.client("cloudtrail", "us-east-1")
    assert loader.search_paths == paths
    assert [s.account_id for s in entered] == ["222233334444", "333344445555"]
