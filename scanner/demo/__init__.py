"""`opscheck demo`: an emulated ML platform account, scanned exactly like a live account.

The emulator (moto) runs in process: no AWS account, no network. The scan goes through
the same source, collectors, guard and rules as `opscheck scan --aws`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from unittest import mock

import boto3
from moto import mock_aws

from reports import console
from reports.formats import FILE_FORMATS, render_outcome
from scanner import engine
from scanner.config import Config
from scanner.demo.seed import HOME, seed
from scanner.lib.instance_types import InstancePolicy
from scanner.results import ScanOutcome
from scanner.scan import scan_aws, scan_iac
from scanner.sources.aws.session import AwsOptions

# Variables that would point the emulated scan at a real account or endpoint.
_SCRUB = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def demo_scan() -> ScanOutcome:
    """Seed the emulated account and scan it with every rule."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({"AWS_DEFAULT_REGION": HOME, "AWS_EC2_METADATA_DISABLED": "true"})
    with mock.patch.dict(os.environ, env, clear=True), mock_aws():
        session = boto3.Session(region_name=HOME)
        seed(session)
        _log_group_policies_as_aws_answers(session)
        _instance_generations_as_aws_answers(session)
        _allowed_amis_as_aws_answers(session)
        ruleset = engine.discover()
        live_rules = DEMO_CONFIG.apply(r for r in ruleset.rules if "aws" in r.meta.sources)
        return scan_aws(AwsOptions(session=session), live_rules, ruleset.errors)


# What the demo's opscheck.yml would say: the platform approves AMIs published by Amazon only
# (IMG001 emits nothing without an approved list or Allowed AMIs turned on).
DEMO_CONFIG = Config(params={"IMG001": {"approved_owners": ["amazon"]}})


@dataclass
class _Answer:
    status_code: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def _log_group_policies_as_aws_answers(session: boto3.Session) -> None:
    """The emulator answers a log-group-scoped DescribeResourcePolicies with the account's
    policies; AWS answers with the group's own. No seeded log group has one, so the demo
    answers as AWS would: none. (Against a real account nothing is intercepted.)"""

    def answer(params: dict, **_: object) -> tuple[_Answer, dict] | None:
        body = params.get("body") or b"{}"
        try:
            request = json.loads(body)
        except ValueError:
            return None
        if request.get("policyScope") == "RESOURCE":
            return _Answer(), {"resourcePolicies": []}
        return None

    session.events.register("before-call.cloudwatch-logs.DescribeResourcePolicies", answer)


def _instance_generations_as_aws_answers(session: boto3.Session) -> None:
    """The emulator's instance-type data marks current families (m5, c5, g5, ...) as not
    current generation; AWS does not. The demo answers CurrentGeneration as AWS does for the
    families it seeds: previous generation only for the families AWS lists as such."""
    previous = InstancePolicy().previous_generation

    def correct(parsed: dict, **_: object) -> None:
        for item in parsed.get("InstanceTypes", []):
            family = str(item.get("InstanceType", "")).split(".")[0]
            item["CurrentGeneration"] = family not in previous

    session.events.register("after-call.ec2.DescribeInstanceTypes", correct)


def _allowed_amis_as_aws_answers(session: boto3.Session) -> None:
    """The emulator does not implement GetAllowedImagesSettings; AWS answers an account that
    never turned Allowed AMIs on with the state `disabled`, and so does the demo."""

    def answer(**_: object) -> tuple[_Answer, dict]:
        return _Answer(), {"State": "disabled"}

    session.events.register("before-call.ec2.GetAllowedImagesSettings", answer)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def examples_scan() -> ScanOutcome | None:
    """Scan the bundled examples/ IaC (present in a source checkout), like `opscheck scan`."""
    if not EXAMPLES.is_dir():
        return None
    ruleset = engine.discover()
    iac_rules = DEMO_CONFIG.apply(
        r for r in ruleset.rules if {"terraform", "cloudformation"} & set(r.meta.sources)
    )
    return scan_iac([EXAMPLES], iac_rules, EXAMPLES.parent, ruleset.errors)


def run_demo(output_dir: Path, out: TextIO, *, verbose: bool = False) -> int:
    outcome = demo_scan()
    written = _write_reports(outcome, output_dir)
    out.write("== The emulated ML platform account (moto), scanned like a live one ==\n\n")
    console.render(outcome, out, verbose=verbose)
    iac = examples_scan()
    if iac is not None:
        written += _write_reports(iac, output_dir / "iac")
        out.write(
            "\n== The code that deploys such a platform: examples/ (Terraform and CloudFormation) ==\n\n"
        )
        console.render(iac, out, verbose=verbose)
    out.write(
        "\nReports:\n"
        + "".join(f"  {p}\n" for p in written)
        + "Open the HTML report in a browser; upload the SARIF to GitHub code scanning.\n"
        "Scan a real account: opscheck scan --aws [--profile NAME] [--region REGION]\n"
        "Scan your code:      opscheck scan PATH...\n"
    )
    return 2 if outcome.fatal or (iac is not None and iac.fatal) else 0


def _write_reports(outcome: ScanOutcome, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render_outcome(outcome, list(FILE_FORMATS))
    written = []
    for fmt, text in rendered.texts.items():
        target = directory / f"opscheck.{fmt}"
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
