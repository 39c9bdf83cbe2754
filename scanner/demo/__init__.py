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
from scanner.scan import scan_aws
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


def run_demo(output_dir: Path, out: TextIO, *, verbose: bool = False) -> int:
    outcome = demo_scan()
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "opscheck.json").write_text(json_report.render(outcome), encoding="utf-8")
    console.render(outcome, out, verbose=verbose)
    out.write(
        f"\nThis was an emulated account (moto), scanned like a live one. Reports: {output_dir / 'opscheck.json'}\n"
        "Scan a real account with: opscheck scan --aws [--profile NAME] [--region REGION]\n"
    )
    return 2 if outcome.fatal else 0
