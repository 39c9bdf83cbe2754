"""checkov as an extra rule pack, run out of process (`--checkov`).

checkov pins an old boto3 and ships a clashing `hcl2` module (DESIGN.md), so it never
enters opscheck's environment: it runs from its own virtual environment, offline, on a
curated list of AWS checks, with a timeout. Its findings become results of rules named
after the check (family `checkov`); a finding on a resource one of our own rules already
judged is dropped (ours decides), and checkov's own skip comments are honoured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import Location, ResourceRef, Result, ScanError, Severity, Status, Suppression
from scanner.rule import RuleMeta
from scanner.sources.terraform.mapping import TABLES

DEFAULT_TIMEOUT_S = 600

# check id -> (severity, our rule that judges the same thing, or None)
CURATED: dict[str, tuple[str, str | None]] = {
    "CKV_AWS_67": ("medium", "CT002"),  # CloudTrail in all regions
    "CKV_AWS_251": ("high", "CT003"),  # CloudTrail logging enabled
    "CKV_AWS_36": ("medium", "CT005"),  # log file validation
    "CKV_AWS_35": ("medium", "CT006"),  # CloudTrail KMS encryption
    "CKV2_AWS_10": ("low", "CT007"),  # CloudTrail to CloudWatch Logs
    "CKV_AWS_157": ("medium", "AZ001"),  # RDS Multi-AZ
    "CKV_AWS_16": ("medium", None),  # RDS storage encrypted
    "CKV_AWS_7": ("medium", None),  # KMS key rotation
    "CKV_AWS_18": ("low", None),  # S3 access logging
    "CKV_AWS_21": ("low", None),  # S3 versioning
    "CKV_AWS_145": ("low", None),  # S3 encrypted with KMS
    "CKV_AWS_116": ("low", None),  # Lambda DLQ
    "CKV_AWS_117": ("low", None),  # Lambda in a VPC
    "CKV_AWS_173": ("medium", None),  # Lambda environment encrypted
    "CKV_AWS_98": ("medium", None),  # SageMaker endpoint configuration KMS
    "CKV_AWS_122": ("medium", None),  # SageMaker notebook root access
    "CKV_AWS_26": ("medium", None),  # SNS encryption
    "CKV_AWS_27": ("medium", None),  # SQS encryption
    "CKV_AWS_158": ("low", None),  # CloudWatch log group KMS
}


class CheckovUnavailable(Exception):
    """No checkov executable: `--checkov` cannot be honoured (exit code 2)."""


@dataclass
class CheckovOutcome:
    results: list[Result] = field(default_factory=list)
    rules: list[RuleMeta] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def find_checkov() -> str:
    """$OPSCHECK_CHECKOV, then the repository's .venv-checkov (`make checkov`), then PATH."""
    candidates = [os.environ.get("OPSCHECK_CHECKOV")]
    candidates.append(str(Path(__file__).resolve().parents[1] / ".venv-checkov" / "bin" / "checkov"))
    candidates.append(shutil.which("checkov"))
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    raise CheckovUnavailable(
        "checkov is not installed: run `make checkov` (it gets its own virtual environment, .venv-checkov), "
        "or set OPSCHECK_CHECKOV to a checkov executable"
    )


def run_checkov(
    paths: Iterable[Path],
    cwd: Path,
    relative: Any,
    timeout: float | None = None,
    executable: str | None = None,
) -> CheckovOutcome:
    exe = executable or find_checkov()
    outcome = CheckovOutcome()
    metas: dict[str, RuleMeta] = {}
    limit = timeout or float(os.environ.get("OPSCHECK_CHECKOV_TIMEOUT", DEFAULT_TIMEOUT_S))
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True",
        "LOG_LEVEL": "ERROR",
    }
    for path in paths:
        target = ["-d", str(path)] if path.is_dir() else ["-f", str(path)]
        cmd = [
            exe,
            *target,
            "--framework",
            "terraform",
            "terraform_plan",
            "cloudformation",
            "--check",
            ",".join(CURATED),
            "-o",
            "json",
            "--skip-download",
            "--compact",
        ]
        rel = relative(path, cwd)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, env=env, check=False)
        except subprocess.TimeoutExpired:
            outcome.errors.append(
                ScanError(
                    kind="internal",
                    message=f"checkov timed out after {limit:.0f} s on {rel}; its results for it are missing",
                    path=rel,
                )
            )
            continue
        except OSError as exc:
            raise CheckovUnavailable(f"checkov could not be started ({exe}): {exc}") from exc
        try:
            reports = json.loads(proc.stdout) if proc.stdout.strip() else []
        except ValueError:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            outcome.errors.append(
                ScanError(
                    kind="internal",
                    message=f"checkov on {rel} gave no JSON (exit {proc.returncode}): {tail[0][:300]}",
                    path=rel,
                )
            )
            continue
        base = path if path.is_dir() else path.parent
        for report in reports if isinstance(reports, list) else [reports]:
            if isinstance(report, Mapping):
                _read_report(report, base, cwd, relative, outcome, metas)
    outcome.rules = sorted(metas.values(), key=lambda m: m.id)
    return outcome


def _read_report(
    report: Mapping[str, Any],
    base: Path,
    cwd: Path,
    relative: Any,
    outcome: CheckovOutcome,
    metas: dict[str, RuleMeta],
) -> None:
    results = report.get("results") or {}
    for key, status in (
        ("failed_checks", Status.FAIL),
        ("passed_checks", Status.PASS),
        ("skipped_checks", None),
    ):
        for check in results.get(key) or []:
            if not isinstance(check, Mapping) or check.get("check_id") not in CURATED:
                continue
            result = _result(check, status, base, cwd, relative)
            if result is None:
                continue
            outcome.results.append(result)
            metas.setdefault(result.rule_id, _meta(check))


def _result(
    check: Mapping[str, Any], status: Status | None, base: Path, cwd: Path, relative: Any
) -> Result | None:
    check_id = str(check["check_id"])
    severity = Severity(CURATED[check_id][0])
    file_path = str(check.get("file_path") or "").lstrip("/")
    lines = check.get("file_line_range") or [1, 1]
    path = relative(base / file_path, cwd) if file_path else relative(base, cwd)
    resource = str(check.get("resource") or "")
    rtype, rid = _resource(resource)
    skipped = status is None
    verdict = "fails" if status in (Status.FAIL, None) else "passes"
    message = f"{rid}: {check.get('check_name') or check_id} — {verdict} (checkov {check_id})."
    suppression = None
    if skipped:
        status = Status.FAIL
        suppression = Suppression(
            source="inline", reason=str(check.get("suppress_comment") or "checkov:skip")
        )
    return Result(
        rule_id=check_id,
        status=status,
        severity=severity,
        message=message,
        resource=ResourceRef(type=rtype, id=rid, name=rid.rsplit(".", 1)[-1] if "." in rid else rid),
        evidence={
            "checkov": {
                "check_id": check_id,
                "evaluated_keys": (check.get("check_result") or {}).get("evaluated_keys") or [],
                "guideline": check.get("guideline"),
            }
        },
        location=Location(path, int(lines[0] or 1), int(lines[-1] or lines[0] or 1)),
        suppression=suppression,
        configuration=path,
    )


def _resource(resource: str) -> tuple[str, str]:
    """checkov's resource name -> (CloudFormation type, opscheck id)."""
    if resource.startswith("AWS::"):  # AWS::CloudTrail::Trail.AuditTrail
        rtype, _, logical_id = resource.rpartition(".")
        return rtype, logical_id
    parts = resource.split(".")
    # Terraform: [module.x.]aws_type.name[index]
    tf_type = next((p for p in parts if p.startswith("aws_")), "")
    table = TABLES.get(tf_type)
    return (table.cfn_type if table else f"terraform:{tf_type}" if tf_type else "terraform"), resource


def _meta(check: Mapping[str, Any]) -> RuleMeta:
    check_id = str(check["check_id"])
    title = str(check.get("check_name") or check_id)
    guideline = check.get("guideline")
    return RuleMeta(
        id=check_id,
        name=f"checkov-{check_id.lower().replace('_', '-')}",
        title=title,
        severity=Severity(CURATED[check_id][0]),
        family="checkov",
        description=f"checkov check {check_id}: {title}. Run by opscheck out of process (--checkov); "
        "the severity is opscheck's.",
        remediation="Follow the checkov guideline for this check." + (f" {guideline}" if guideline else ""),
        references=(str(guideline),) if guideline else (),
        sources=("terraform", "cloudformation"),
    )


def deduplicate(checkov: list[Result], ours: Iterable[Result]) -> list[Result]:
    """Drop a checkov finding when the overlapping rule of ours judged the same resource."""
    judged = {(r.rule_id, r.location.path, r.location.start_line) for r in ours if r.location is not None}
    kept = []
    for r in checkov:
        overlap = CURATED[r.rule_id][1]
        if overlap and r.location and (overlap, r.location.path, r.location.start_line) in judged:
            continue
        kept.append(r)
    return kept
