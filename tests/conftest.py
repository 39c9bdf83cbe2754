"""Shared fixtures: an isolated environment and an in-process AWS emulator."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

# Never let a test reach a real account: fake credentials, no profile, no endpoint override.
_AWS_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)


@pytest.fixture(autouse=True)
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in _AWS_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    empty = tmp_path_factory.mktemp("awsconfig")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("NO_COLOR", "1")
    # One console width whatever runs the tests (a terminal, a pipe, a pytest-xdist worker).
    monkeypatch.setenv("COLUMNS", "120")
    assert "AWS_ENDPOINT_URL" not in os.environ


@pytest.fixture
def aws() -> Iterator[boto3.Session]:
    """A boto3 session inside the moto emulator (account 123456789012)."""
    with mock_aws():
        yield boto3.Session(region_name="us-east-1")
