"""Credentials, role assumption, endpoints and the client cache for one account."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from scanner import __version__
from scanner.lib.arn import GLOBAL_REGION, parse_arn
from scanner.sources.aws.errors import ApiFailure, to_scan_error
from scanner.sources.aws.guard import CallGuard, Operation

SESSION_OPERATIONS = (
    Operation("sts", "GetCallerIdentity"),
    Operation("sts", "AssumeRole"),
)


@dataclass
class AwsOptions:
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None
    regions: list[str] = field(default_factory=list)
    max_workers: int = 8
    max_attempts: int = 8
    # A ready boto3 session (the demo and tests pass one; real scans build their own).
    session: boto3.Session | None = None

    def resolved_endpoint(self) -> str | None:
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


class AccountSession:
    """One boto3 session per account; one client per (service, region), created once."""

    def __init__(self, options: AwsOptions, guard: CallGuard) -> None:
        self.options = options
        self.guard = guard
        self.endpoint_url = options.resolved_endpoint()
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": options.max_attempts},
            connect_timeout=10,
            read_timeout=30,
            max_pool_connections=max(10, options.max_workers * 2),
            user_agent_extra=f"opscheck/{__version__}",
        )
        base = options.session or boto3.Session(profile_name=options.profile)
        guard.allow(SESSION_OPERATIONS)
        guard.install(base.events)
        self.default_region = base.region_name or "us-east-1"
        self.session = base
        if options.role_arn:
            self.session = self._assume(base, options.role_arn, options.external_id)
        self.account_id, self.caller_arn, self.partition = self._identity()

    def _assume(self, base: boto3.Session, role_arn: str, external_id: str | None) -> boto3.Session:
        arn = parse_arn(role_arn)
        region = GLOBAL_REGION.get(arn.partition if arn else "aws", "us-east-1")
        sts = base.client("sts", region_name=region, endpoint_url=self.endpoint_url, config=self.config)
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": "opscheck"}
        if external_id:
            params["ExternalId"] = external_id
        try:
            creds = sts.assume_role(**params)["Credentials"]
        except Exception as exc:
            raise to_scan_error(
                exc, service="sts", operation="AssumeRole", region=None, account_id=None, subject=role_arn
            ) from exc
        assumed = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=base.region_name,
        )
        self.guard.install(assumed.events)
        return assumed

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
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                found = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
                )
                self._clients[key] = found
            return found

    @property
    def global_region(self) -> str:
        return GLOBAL_REGION.get(self.partition, "us-east-1")


__all__ = ["AccountSession", "ApiFailure", "AwsOptions"]
