"""Two scans of the same account or the same files give the same documents, except the scan
id, the timestamps and the duration.

What is normalised (canary.VOLATILE): JSON — scan.id, scan.started_at, scan.finished_at,
scan.stats.duration_s; SARIF — the invocation's startTimeUtc and endTimeUtc; HTML — the embedded
document block and its shown digest (the embedded copy is the JSON document, compared as such),
and the scan id, start, end and duration where the page shows them. Nothing else.

Live: the demo's ML platform account in the in-process emulator, every live rule, scanned with
8 workers and with 1 (thread scheduling and completion order differ). CLI scans on moto_server
under different PYTHONHASHSEED values and concurrency are in tests/e2e/test_cli_moto_server.py
(test_two_scans_give_identical_documents); the full set also scans the demo account there.
IaC: Terraform (for_each over sets and maps, count, modules, tfvars), a plan JSON, CloudFormation
and SAM, the bundled examples/, scanned with directory listings shuffled (os.scandir, os.listdir)
and in CLI subprocesses under different PYTHONHASHSEED values.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from canary import (
    FULL,
    clean_env,
    first_difference,
    moto_server,
    normalised_document,
    normalised_html,
    normalised_sarif,
    run_cli,
)
from moto import mock_aws

from reports.formats import FILE_FORMATS, render_outcome
from scanner import demo, engine
from scanner.cli import main
from scanner.demo.seed import seed
from scanner.results import ScanOutcome
from scanner.scan import scan_aws
from scanner.sources.aws.session import AwsOptions

REPO = Path(__file__).resolve().parents[2]


def normalised(texts: dict[str, str]) -> dict[str, str]:
    """json, sarif and html texts of one run, with only ids, timestamps and durations replaced."""
    return {
        "json": normalised_document(texts["json"]),
        "sarif": normalised_sarif(texts["sarif"]),
        "html": normalised_html(texts["html"], texts["json"]),
    }


def assert_same(runs: list[dict[str, str]], label: str) -> None:
    first = normalised(runs[0])
    for n, other in enumerate(runs[1:], start=2):
        again = normalised(other)
        for fmt in first:
            assert first[fmt] == again[fmt], f"{label}: {fmt} of run 1 vs run {n}: " + first_difference(
                first[fmt], again[fmt]
            )
    # Something did vary, and was normalised away: the comparison is not of one run with itself.
    assert len({json.loads(r["json"])["scan"]["id"] for r in runs}) == len(runs)


# -- live ---------------------------------------------------------------------------------------


def _no_metric_data(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse("https://seed.invalid", 200, {}, None), {}


@pytest.fixture
def demo_account() -> Iterator[boto3.Session]:
    """The demo's account in the in-process emulator, answered as `opscheck demo` answers it.
    The fast subset seeds it without the two weeks of CloudWatch metrics (the emulator takes
    minutes to serve GetMetricData over them on a loaded machine); the full set keeps them."""
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        if not FULL:
            session.events.register("before-call.cloudwatch.PutMetricData", _no_metric_data)
        seed(session)
        session.events.unregister("before-call.cloudwatch.PutMetricData", _no_metric_data)
        demo._log_group_policies_as_aws_answers(session)
        demo._instance_generations_as_aws_answers(session)
        demo._allowed_amis_as_aws_answers(session)
        yield session


def _live(session: boto3.Session, workers: int, regions: list[str]) -> ScanOutcome:
    ruleset = engine.discover()
    rules = demo.DEMO_CONFIG.apply(r for r in ruleset.rules if "aws" in r.meta.sources)
    return scan_aws(AwsOptions(session=session, regions=regions, max_workers=workers), rules)


def test_live_scan_twice_with_different_concurrency(demo_account, tally):
    regions = ["us-east-1", "eu-west-1", "us-west-2"] if FULL else ["us-east-1", "eu-west-1"]
    workers = [8, 1, 4] if FULL else [8, 1]
    outcomes = [_live(demo_account, w, regions) for w in workers]
    assert len(outcomes[0].results) > 100 and not outcomes[0].fatal
    runs = [render_outcome(o, list(FILE_FORMATS)).texts for o in outcomes]
    assert_same(runs, f"live, workers {workers}")
    tally(
        "Determinism: live scan twice",
        f"workers {'/'.join(map(str, workers))}: json, sarif, html identical except ids/timestamps/durations",
    )


# -- IaC ----------------------------------------------------------------------------------------

TERRAFORM = {
    "main.tf": """\
        variable "buckets" {
          default = ["zeta-data", "alpha-data", "mid-data", "beta-data", "kappa-data"]
        }
        variable "trails" {
          default = { zeta = true, alpha = false, mid = true, beta = false }
        }
        resource "aws_s3_bucket" "data" {
          for_each = toset(var.buckets)
          bucket   = each.key
        }
        resource "aws_cloudtrail" "regional" {
          for_each              = var.trails
          name                  = "trail-${each.key}"
          s3_bucket_name        = aws_s3_bucket.data["alpha-data"].id
          is_multi_region_trail = each.value
          enable_logging        = each.key != "mid"
        }
        resource "aws_instance" "worker" {
          for_each      = toset(["c", "a", "b"])
          ami           = var.ami
          instance_type = "m5.24xlarge"
          tags          = merge({ Name = each.key }, { team = "ml" })
        }
        resource "aws_cloudwatch_event_rule" "fanout" {
          count         = 3
          name          = "fanout-${count.index}"
          event_pattern = jsonencode({ source = ["aws.s3", "aws.ec2"], "detail-type" = ["Object Created"] })
        }
        module "audit" {
          source = "./modules/audit"
          name   = "audit"
        }
        """,
    "variables.tf": 'variable "ami" {}\n',
    "terraform.tfvars": 'ami = "ami-0123456789abcdef0"\n',
    "z.auto.tfvars": 'buckets = ["zeta-data", "alpha-data", "omega-data"]\n',
    "a.auto.tfvars": 'buckets = ["alpha-data", "zeta-data"]\n',
    "modules/audit/main.tf": """\
        variable "name" {}
        resource "aws_s3_bucket" "logs" {
          bucket = "${var.name}-logs"
        }
        resource "aws_cloudtrail" "this" {
          name                  = var.name
          s3_bucket_name        = aws_s3_bucket.logs.id
          is_multi_region_trail = true
        }
        """,
}

CLOUDFORMATION = """\
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      Env: {Type: String}
    Resources:
      ZTrail:
        Type: AWS::CloudTrail::Trail
        Properties: {IsLogging: false, S3BucketName: !Ref Logs, TrailName: !Sub "z-${Env}"}
      Logs:
        Type: AWS::S3::Bucket
      ATrail:
        Type: AWS::CloudTrail::Trail
        Properties: {IsLogging: true, IsMultiRegionTrail: true, S3BucketName: !Ref Logs}
      MTopic:
        Type: AWS::SNS::Topic
      Rule:
        Type: AWS::Events::Rule
        Properties:
          EventPattern: {source: [aws.s3]}
          Targets: [{Arn: !Ref MTopic, Id: t1}, {Arn: !GetAtt Queue.Arn, Id: t0}]
      Queue:
        Type: AWS::SQS::Queue
    """


def build_iac(root: Path) -> list[str]:
    """A tree under `root` beside copies of the repository's examples/ and IaC fixtures; the
    paths to scan, relative to `root`."""
    for name, text in TERRAFORM.items():
        target = root / "infra" / "tf" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    (root / "infra" / "cfn").mkdir(parents=True)
    (root / "infra" / "cfn" / "stack.yaml").write_text(textwrap.dedent(CLOUDFORMATION))
    shutil.copytree(REPO / "examples", root / "examples")
    shutil.copytree(REPO / "tests" / "fixtures", root / "fixtures")
    return ["infra", "examples", "fixtures"]


def _shuffled(rng: random.Random, real: Any) -> Any:
    scandir = real is os.scandir

    def listing(*args: Any, **kwargs: Any) -> Any:
        entries = list(real(*args, **kwargs))
        rng.shuffle(entries)
        return _Scandir(entries) if scandir else entries

    return listing


class _Scandir:
    """os.scandir's result, shuffled: an iterator and a context manager, as os.walk uses it."""

    def __init__(self, entries: list[Any]) -> None:
        self._entries = iter(entries)

    def __iter__(self) -> _Scandir:
        return self

    def __next__(self) -> Any:
        return next(self._entries)

    def __enter__(self) -> _Scandir:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def close(self) -> None:
        pass


def _scan_in_process(
    root: Path, paths: list[str], monkeypatch: pytest.MonkeyPatch, seed_: int | None
) -> dict:
    out_dir = root.parent / f"out-{seed_}"
    monkeypatch.chdir(root)
    with monkeypatch.context() as m:
        if seed_ is not None:  # every directory listing in a different order
            rng = random.Random(seed_)
            m.setattr(os, "scandir", _shuffled(rng, os.scandir))
            m.setattr(os, "listdir", _shuffled(rng, os.listdir))
        code = main(
            ["scan", *paths, "--format", "json,sarif,html", "--output-dir", str(out_dir)], out=io.StringIO()
        )
    assert code == 1
    return {fmt: (out_dir / f"opscheck.{fmt}").read_text() for fmt in FILE_FORMATS}


def test_iac_scan_with_shuffled_directory_listings(tmp_path, monkeypatch, tally):
    root = tmp_path / "repo"
    paths = build_iac(root)
    seeds = [None, 1, 2, 3, 4, 5] if FULL else [None, 1, 2]
    runs = [_scan_in_process(root, paths, monkeypatch, s) for s in seeds]
    doc = json.loads(runs[0]["json"])
    kinds = {r["location"]["path"].rsplit(".", 1)[-1] for r in doc["results"] if r["location"]}
    assert {"tf", "json", "yaml"} <= kinds and len(doc["results"]) > 200  # every kind was scanned
    assert_same(runs, "IaC, shuffled listings")
    tally(
        "Determinism: IaC scan twice",
        f"{len(seeds) - 1} shuffled listing orders: json, sarif, html identical except ids/timestamps/durations",
    )


def test_iac_scan_under_different_hash_seeds(tmp_path, tally):
    root = tmp_path / "repo"
    paths = build_iac(root)
    seeds = ["0", "1", "4242", "random"] if FULL else ["0", "1"]
    runs = []
    for seed_ in seeds:
        out = tmp_path / f"out-{seed_}"
        proc = run_cli(
            "scan", *paths, "--format", "json,sarif,html", "--output-dir", str(out),
            env=clean_env(PYTHONHASHSEED=seed_), cwd=root,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        runs.append({fmt: (out / f"opscheck.{fmt}").read_text() for fmt in FILE_FORMATS})
    assert_same(runs, f"IaC, PYTHONHASHSEED {seeds}")
    tally(
        "Determinism: IaC scan twice",
        f"PYTHONHASHSEED {'/'.join(seeds)}: json, sarif, html identical except ids/timestamps/durations",
    )


# -- live, CLI on moto_server: the demo account (full set only; the fast subset's CLI case is
# tests/e2e/test_cli_moto_server.py::test_two_scans_give_identical_documents) ---------------------


@pytest.mark.skipif(not FULL, reason="full set only (OPSCHECK_RELIABILITY=full): minutes on a loaded machine")
def test_cli_scans_of_the_demo_account_on_moto_server(tmp_path, tally, monkeypatch):
    with moto_server(tmp_path) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)  # the seed's clients go to the server
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        # Without the metrics: GetMetricData over them is the in-process case's (minutes here).
        session.events.register("before-call.cloudwatch.PutMetricData", _no_metric_data)
        seed(session)
        monkeypatch.delenv("AWS_ENDPOINT_URL")
        runs = []
        variants = [("0", "8"), ("1", "1"), ("4242", "3")]
        for hash_seed, workers in variants:
            out = tmp_path / f"out-{hash_seed}"
            proc = run_cli(
                "scan", "--aws", "--endpoint-url", server.url, "--region", "us-east-1", "--region", "eu-west-1",
                "--max-workers", workers, "--format", "json,sarif,html", "--output-dir", str(out),
                env=clean_env(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", PYTHONHASHSEED=hash_seed),
                timeout=1800,
            )  # fmt: skip
            assert proc.returncode == 1, proc.stderr
            runs.append({fmt: (out / f"opscheck.{fmt}").read_text() for fmt in FILE_FORMATS})
    assert_same(runs, "CLI on moto_server, demo account")
    tally(
        "Determinism: live scan twice",
        "CLI on moto_server, demo account, PYTHONHASHSEED 0/1/4242 and workers 8/1/3: identical "
        "except ids/timestamps/durations",
    )
