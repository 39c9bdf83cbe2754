"""The read-only guard, against a real emulator: writes, credential-minting "reads" and
undeclared reads attempted through the clients opscheck creates never reach moto_server (its
recorder sees no request and its state is unchanged), and during a whole live scan every request
that leaves the process is a declared read.

The scan side is observed twice, independently: by a before-send hook in botocore's built-in
handler list (every session of the CLI process, opscheck's guard or not) and by moto_server's
request recorder (what arrived).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from canary import ACCOUNT, FULL, MotoServer, Request, clean_env, moto_server, run_cli

from scanner import engine
from scanner.sources.aws import metrics
from scanner.sources.aws.guard import CallGuard, ReadOnlyViolation
from scanner.sources.aws.session import AccountSession, AwsOptions
from scanner.sources.aws.source import required_operations

ROLE = f"arn:aws:iam::{ACCOUNT}:role/auditor"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with moto_server(tmp_path_factory.mktemp("guard-moto")) as srv:
        yield srv


@pytest.fixture
def world(server: MotoServer) -> dict[str, Any]:
    """A fresh account: a running instance, a bucket, a logging trail, a role to assume."""
    server.reset()
    s = server.session()
    ec2 = s.client("ec2", endpoint_url=server.url)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    s3 = s.client("s3", endpoint_url=server.url)
    s3.create_bucket(Bucket="trail-logs")
    ct = s.client("cloudtrail", endpoint_url=server.url)
    ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    s.client("iam", endpoint_url=server.url).create_role(
        RoleName="auditor", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    return {"instance": instance["Instances"][0]["InstanceId"], "session": s}


def all_live_operations() -> set[tuple[str, str]]:
    """What a scan with every live rule may call: the guard's allow-list for that scan."""
    live = [r for r in engine.discover().rules if "aws" in r.meta.sources]
    needs = metrics.with_prerequisites(engine.needs(live))
    return {(op.service, op.name) for op in required_operations(needs)}


def scanner_session(server: MotoServer, *, role_arn: str | None = None) -> tuple[AccountSession, CallGuard]:
    """An account session exactly as a scan of every live rule builds it (its guard allows
    every operation a collector declares), against moto_server."""
    live = [r for r in engine.discover().rules if "aws" in r.meta.sources]
    guard = CallGuard(required_operations(metrics.with_prerequisites(engine.needs(live))))
    base = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    options = AwsOptions(session=base, endpoint_url=server.url, role_arn=role_arn, regions=["us-east-1"])
    return AccountSession(options, guard), guard


# What is attempted, and how to see afterwards that the emulator's state did not change.
ATTEMPTS: list[tuple[str, str, str, Callable[[Any, dict[str, Any]], Any]]] = [
    (
        "ec2",
        "TerminateInstances",
        "a write",
        lambda c, w: c.terminate_instances(InstanceIds=[w["instance"]]),
    ),
    ("s3", "PutObject", "a write", lambda c, w: c.put_object(Bucket="trail-logs", Key="x", Body=b"x")),
    ("iam", "CreateUser", "a write", lambda c, w: c.create_user(UserName="intruder")),
    ("cloudtrail", "StopLogging", "a write", lambda c, w: c.stop_logging(Name="main")),
    ("sts", "GetSessionToken", "a read by name that mints credentials", lambda c, w: c.get_session_token()),
    (
        "sts",
        "GetFederationToken",
        "a read by name that mints credentials",
        lambda c, w: c.get_federation_token(Name="x"),
    ),
    ("ec2", "DescribeKeyPairs", "a read no collector declares", lambda c, w: c.describe_key_pairs()),
    (
        "iam",
        "ListUsers",
        "a read no collector declares, through a paginator",
        lambda c, w: list(c.get_paginator("list_users").paginate()),
    ),
    (
        "secretsmanager",
        "GetSecretValue",
        "a read no collector declares",
        lambda c, w: c.get_secret_value(SecretId="x"),
    ),
]


def unchanged(world: dict[str, Any], server: MotoServer) -> None:
    s = world["session"]
    ec2 = s.client("ec2", endpoint_url=server.url)
    state = ec2.describe_instances(InstanceIds=[world["instance"]])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] == "running"
    assert s.client("s3", endpoint_url=server.url).list_objects_v2(Bucket="trail-logs").get("KeyCount") == 0
    users = s.client("iam", endpoint_url=server.url).list_users()["Users"]
    assert users == []
    ct = s.client("cloudtrail", endpoint_url=server.url)
    assert ct.get_trail_status(Name="main")["IsLogging"] is True


@pytest.mark.parametrize("assumed", [False, True], ids=["own-credentials", "assumed-role"])
def test_non_reads_never_reach_the_emulator(server, world, tally, assumed):
    declared = all_live_operations()
    for service, operation, _, _ in ATTEMPTS:
        assert (service, operation) not in declared  # else the case would test nothing
    session, guard = scanner_session(server, role_arn=ROLE if assumed else None)
    server.start_recording()
    for service, operation, what, attempt in ATTEMPTS:
        client = session.client(service, "us-east-1")
        with pytest.raises(ReadOnlyViolation, match=f"{service}:{operation}"):
            attempt(client, world)
        tally("Read-only: refused before sending", f"{what}: refused, no request at moto_server")
    seen = server.stop_recording()
    assert seen == [], [(r.service, r.operation, r.method, r.path) for r in seen]
    assert set(guard.refused) == {f"{s}:{o}" for s, o, _, _ in ATTEMPTS}
    unchanged(world, server)


def _service_ids(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """(botocore service name, operation) as botocore's events name them (service id)."""
    core = botocore.session.get_session()
    return {(core.get_service_model(svc).service_id.hyphenize(), op) for svc, op in pairs}


def _scan_on_the_wire(
    server: MotoServer, tmp_path: Path, *args: str
) -> tuple[dict, list[dict], list[Request]]:
    wire = tmp_path / "wire.jsonl"
    env = clean_env(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", OPSCHECK_TEST_WIRE_LOG=str(wire)
    )
    server.start_recording()
    proc = run_cli(
        "scan", "--aws", "--endpoint-url", server.url, *args, "--format", "json", "-o",
        str(tmp_path / "r.json"), env=env, hooked=True,
    )  # fmt: skip
    arrived = server.stop_recording()
    assert proc.returncode in (0, 1), proc.stderr
    sent = [json.loads(line) for line in wire.read_text().splitlines()]
    return json.loads((tmp_path / "r.json").read_text()), sent, arrived


def test_every_request_of_a_full_live_scan_is_a_declared_read(server, world, tally, tmp_path):
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2"] if FULL else ["us-east-1", "eu-west-1"]
    region_args = [a for r in regions for a in ("--region", r)]
    doc, sent, arrived = _scan_on_the_wire(server, tmp_path, "--role-arn", ROLE, *region_args)
    declared = all_live_operations()
    by_id = _service_ids(declared)
    names = {op for _, op in declared}
    assert sent, "the hook saw no request"
    stray = sorted({(s["service_id"], s["operation"]) for s in sent} - by_id)
    assert stray == [], f"sent but not declared: {stray}"
    # What arrived is what was sent, one for one, and the guard counted every one of them.
    assert len(arrived) == len(sent) == doc["scan"]["stats"]["api_calls"]
    for request in arrived:
        if request.operation is not None:
            assert request.operation in names, (request.service, request.operation)
        else:  # REST protocols: a read is a GET or a HEAD
            assert request.method in ("GET", "HEAD"), (request.service, request.method, request.path)
    assert sum(1 for s in sent if s["operation"] == "AssumeRole") == 1
    tally(
        "Read-only: every request of a full live scan",
        f"{len(sent)} requests sent = received = counted, all declared reads",
    )
