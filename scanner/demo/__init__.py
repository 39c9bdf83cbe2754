"""`opscheck demo`: an emulated ML platform account, scanned exactly like a live account.

The emulator (moto) runs in process: no AWS account, no network. The scan goes through
the same source, collectors, guard and rules as `opscheck scan --aws`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO
from unittest import mock

import boto3
from moto import mock_aws

from reports import console
from reports import json as json_report
from scanner import engine
from scanner.demo.seed import HOME, seed
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
        ruleset = engine.discover()
        live_rules = [r for r in ruleset.rules if "aws" in r.meta.sources]
        return scan_aws(AwsOptions(session=session), live_rules, ruleset.errors)


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def examples_scan() -> ScanOutcome | None:
    """Scan the bundled examples/ IaC (present in a source checkout), like `opscheck scan`."""
    if not EXAMPLES.is_dir():
        return None
    ruleset = engine.discover()
    iac_rules = [r for r in ruleset.rules if {"terraform", "cloudformation"} & set(r.meta.sources)]
    return scan_iac([EXAMPLES], iac_rules, EXAMPLES.parent, ruleset.errors)


def run_demo(output_dir: Path, out: TextIO, *, verbose: bool = False) -> int:
    outcome = demo_scan()
    output_dir.mkdir(parents=True, exist_ok=True)
    account_report = output_dir / "opscheck.json"
    account_report.write_text(json_report.render(outcome), encoding="utf-8")
    out.write("== The emulated ML platform account (moto), scanned like a live one ==\n\n")
    console.render(outcome, out, verbose=verbose)
    written = [account_report]
    iac = examples_scan()
    if iac is not None:
        iac_report = output_dir / "iac" / "opscheck.json"
        iac_report.parent.mkdir(parents=True, exist_ok=True)
        iac_report.write_text(json_report.render(iac), encoding="utf-8")
        written.append(iac_report)
        out.write(
            "\n== The code that deploys such a platform: examples/ (Terraform and CloudFormation) ==\n\n"
        )
        console.render(iac, out, verbose=verbose)
    out.write(
        f"\nReports: {', '.join(str(p) for p in written)}\n"
        "Scan a real account: opscheck scan --aws [--profile NAME] [--region REGION]\n"
        "Scan your code:      opscheck scan PATH...\n"
    )
    return 2 if outcome.fatal or (iac is not None and iac.fatal) else 0
