"""Credentials, role assumption, endpoints and the client cache for one account."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import NoCredentialsError, ProfileNotFound

from scanner import __version__
from scanner.lib.arn import GLOBAL_REGION, parse_arn, partition_of_region
from scanner.sources.aws import integrity
from scanner.sources.aws.errors import ApiFailure, to_scan_error
from scanner.sources.aws.guard import CallGuard, Operation

SESSION_OPERATIONS = (
    Operation("sts", "GetCallerIdentity"),
    Operation("sts", "AssumeRole"),
)


class ConfigurationError(Exception):
    """A problem with the user's AWS configuration (unknown profile, ...): exit code 2."""


@dataclass
class AwsOptions:
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None
    regions: list[str] = field(default_factory=list)
    max_workers: int = 8
    max_attempts: int = 8  # botocore's adaptive retries: throttling, 5xx, resets and timeouts
    connect_timeout: float = 10
    read_timeout: float = 30
    # A ready boto3 session (the demo and tests pass one; real scans build their own).
    session: boto3.Session | None = None

    def resolved_endpoint(self) -> str | None:
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


class AccountSession:
    """One boto3 session per account; one client per (service, region), created once.

    The read-only guard is installed on each client this class creates, not on the
    session: botocore's credential providers (web identity, SSO, assume-role profiles)
    create clients of their own from the session, and must be left alone.
    """

    def __init__(self, options: AwsOptions, guard: CallGuard) -> None:
        self.options = options
        self.guard = guard
        self.endpoint_url = options.resolved_endpoint()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": options.max_attempts},
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_pool_connections=max(10, options.max_workers * 2),
            user_agent_extra=f"opscheck/{__version__}",
        )
        try:
            base = options.session or boto3.Session(profile_name=options.profile)
        except ProfileNotFound as exc:
            raise ConfigurationError(f"AWS profile {options.profile!r} is not configured: {exc}") from exc
        guard.allow(SESSION_OPERATIONS)
        # The first region asked for decides the partition's endpoints (GovCloud and China
        # credentials are rejected by us-east-1).
        self.default_region = (
            (options.regions[0] if options.regions else None) or base.region_name or "us-east-1"
        )
        self.session = base
        if options.role_arn:
            self.session = self._assume(base, options.role_arn, options.external_id)
        self.account_id, self.caller_arn, self.partition = self._identity()

    def _guarded(self, client: Any) -> Any:
        self.guard.install(client.meta.events)
        integrity.install(client.meta.events)
        return client

    def _assume(self, base: boto3.Session, role_arn: str, external_id: str | None) -> boto3.Session:
        """A session whose credentials come from AssumeRole and refresh before they expire
        (long and organization-wide scans outlive one hour)."""
        source = base.get_credentials()
        if source is None:
            raise to_scan_error(
                NoCredentialsError(),
                service="sts",
                operation="AssumeRole",
                region=None,
                account_id=None,
                subject=role_arn,
            )
        arn = parse_arn(role_arn)
        sts_region = self.default_region
        if arn and partition_of_region(sts_region) != arn.partition:
            sts_region = GLOBAL_REGION.get(arn.partition, sts_region)
        base_core = base._session  # the botocore session behind boto3's

        def create_client(service: str, **kwargs: Any) -> Any:
            return self._guarded(
                base_core.create_client(
                    service,
                    region_name=sts_region,
                    endpoint_url=self.endpoint_url,
                    config=self.config,
                    **kwargs,
                )
            )

        extra: dict[str, Any] = {"RoleSessionName": f"opscheck-{__version__}"}
        if external_id:
            extra["ExternalId"] = external_id
        fetcher = AssumeRoleCredentialFetcher(create_client, source, role_arn, extra_args=extra)
        credentials = DeferredRefreshableCredentials(fetcher.fetch_credentials, "assume-role")
        try:
            credentials.get_frozen_credentials()  # fail here, with a clear message, not on first use
        except Exception as exc:
            raise to_scan_error(
                exc,
                service="sts",
                operation="AssumeRole",
                region=sts_region,
                account_id=None,
                subject=role_arn,
            ) from exc
        assumed = botocore.session.Session()
        assumed._credentials = credentials  # botocore has no public setter for refreshable credentials
        assumed.set_config_variable("region", self.default_region)
        scoped = boto3.Session(botocore_session=assumed)
        # The source session's loader, which caches every service model it has parsed: a
        # fresh one would parse each model's JSON again in every account entered, CPU time
        # under the GIL that an organization scan spends once per account (measured by
        # bench/org_scan.py). Set after boto3's own set-up, which appends its resource path
        # to the loader it finds and would grow the shared one by an entry per account.
        assumed.register_component("data_loader", base_core.get_component("data_loader"))
        return scoped

    def _identity(self) -> tuple[str, str, str]:
        try:
            ident = self.client("sts", self.default_region).get_caller_identity()
        except Exception as exc:
            raise to_scan_error(
                exc, service="sts", operation="GetCallerIdentity", region=self.default_region, account_id=None
            ) from exc
        arn = parse_arn(ident["Arn"])
        return ident["Account"], ident["Arn"], arn.partition if arn else "aws"

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            found = self._clients.get(key)
            if found is None:
                found = self._guarded(
                    self.session.client(
                        service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
                    )
                )
                self._clients[key] = found
            return found

    @property
    def global_region(self) -> str:
        return GLOBAL_REGION.get(self.partition, "us-east-1")


__all__ = ["AccountSession", "ApiFailure", "AwsOptions", "ConfigurationError"]
