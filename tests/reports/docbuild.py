"""Results documents built through the real model and JSON writer, for report tests."""

from __future__ import annotations

from typing import Any

from reports import json as json_report
from scanner.model import Location, ResourceRef, Result, ScanError, Severity, Status, Suppression
from scanner.results import ScanOutcome
from testkit import rules

ACCOUNT = "123456789012"


def result(
    rule_id: str = "CT002",
    status: Status = Status.FAIL,
    name: str = "main",
    *,
    severity: Severity = Severity.MEDIUM,
    path: str | None = None,
    line: int = 3,
    suppression: Suppression | None = None,
    region: str | None = "us-east-1",
    message: str | None = None,
    rtype: str = "AWS::CloudTrail::Trail",
) -> Result:
    if path is None:  # live: the ARN is the id
        ref = ResourceRef(rtype, f"arn:aws:cloudtrail:{region}:{ACCOUNT}:trail/{name}", name, ACCOUNT, region)
        location = None
    else:
        ref = ResourceRef(rtype, f"aws_cloudtrail.{name}", name)
        location = Location(path, line, line + 10)
    return Result(
        rule_id=rule_id,
        status=status,
        severity=severity,
        message=message or f"Trail {name} is {status.value}.",
        resource=ref,
        location=location,
        suppression=suppression,
        configuration=path.rsplit("/", 1)[0] if path and "/" in path else ("." if path else None),
    )


def outcome(
    results: list[Result],
    *,
    mode: str = "aws",
    errors: list[ScanError] | None = None,
    rule_ids: tuple[str, ...] = ("CT001", "CT002", "CT003", "CT005", "DE001"),
    cwd_from_repository_root: str | None = ".",
    accounts: tuple[str, ...] = (ACCOUNT,),
) -> ScanOutcome:
    targets: list[dict[str, Any]] = (
        [{"kind": "aws-account", "account_id": a, "regions": ["us-east-1", "eu-west-1"]} for a in accounts]
        if mode == "aws"
        else [{"kind": "path", "path": "."}]
    )
    return ScanOutcome(
        mode=mode,
        targets=targets,
        rules=[r.meta for r in rules(*rule_ids)],
        results=sorted(results, key=Result.sort_key),
        errors=list(errors or []),
        resources=len(results),
        started_at="2026-11-28T01:00:00Z",
        finished_at="2026-11-28T01:00:05Z",
        duration_s=5.0,
        run_by={"user": "auditor"},
        cwd_from_repository_root=cwd_from_repository_root,
    )


def document(results: list[Result], **kw: Any) -> dict[str, Any]:
    return json_report.to_document(outcome(results, **kw))
