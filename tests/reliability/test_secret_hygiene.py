"""No credential, session token or signing detail in any report or log.

Canary credentials (recognisable access key ids, secrets and session tokens) reach the CLI
through the environment, a shared credentials file and profile, and an assumed role whose
moto-issued credentials are captured as they are issued. The CLI scans moto_server with every
format, --verbose and the progress line (stderr on a pseudo-terminal), and fails in the ways a
user meets: access denied, credentials rejected (unknown key, wrong secret), an endpoint that is
not AWS (refusing connections, or echoing the signed request back), a configuration error and a
credentials file botocore cannot parse. Stdout, stderr and every written file are searched for
each credential part and for "Authorization", "X-Amz-Security-Token" and "Signature=".

AWS's own error messages can carry signing details (a canonical request with the session token,
an echoed Authorization header); those are built here as AWS words them and must come out
scrubbed, in the scan error and every output made from it.
"""

from __future__ import annotations

import http.server
import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse
from canary import (
    ACCOUNT,
    ENV_CANARY,
    FILE_CANARY,
    FULL,
    Canary,
    MotoServer,
    RunResult,
    clean_env,
    leaks,
    moto_server,
    outputs_of,
    run_cli,
)

from reports import console
from reports.formats import FILE_FORMATS, render_outcome
from scanner.cli import FORMATS
from scanner.progress import Progress
from scanner.scan import LiveSettings, scan_aws
from scanner.sources.aws.errors import to_scan_error
from scanner.sources.aws.session import AwsOptions
from testkit import all_rules, trail

ROLE = f"arn:aws:iam::{ACCOUNT}:role/auditor"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
EVERY_FORMAT = ",".join(FORMATS)  # console on stdout, the file formats into --output-dir


def seed_small_account(session: boto3.Session, url: str) -> None:
    s3 = session.client("s3", endpoint_url=url)
    s3.create_bucket(Bucket="canary-trail-logs")
    ct = session.client("cloudtrail", endpoint_url=url)
    ct.create_trail(Name="main", S3BucketName="canary-trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    session.client("iam", endpoint_url=url).create_role(
        RoleName="auditor", AssumeRolePolicyDocument=json.dumps(TRUST)
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with moto_server(tmp_path_factory.mktemp("secrets-moto")) as srv:
        seed_small_account(srv.session(), srv.url)
        yield srv


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MotoServer, Canary]]:
    """moto_server checking signatures and IAM policies, with a user allowed a few trail reads
    only; returns the server and the user's moto-issued credentials."""
    # The first requests set the account up unauthenticated; then every request is checked.
    with moto_server(tmp_path_factory.mktemp("auth-moto"), INITIAL_NO_AUTH_ACTION_COUNT="12") as srv:
        s = srv.session()
        iam = s.client("iam", endpoint_url=srv.url)
        iam.create_user(UserName="canary-auditor")
        key = iam.create_access_key(UserName="canary-auditor")["AccessKey"]
        allowed = ["sts:GetCallerIdentity", "cloudtrail:DescribeTrails", "s3:ListAllMyBuckets"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}],
        }
        iam.put_user_policy(
            UserName="canary-auditor", PolicyName="some-reads", PolicyDocument=json.dumps(policy)
        )
        s.client("s3", endpoint_url=srv.url).create_bucket(Bucket="canary-trail-logs")
        s.client("cloudtrail", endpoint_url=srv.url).create_trail(
            Name="main", S3BucketName="canary-trail-logs"
        )
        unknown = boto3.Session(
            aws_access_key_id="AKIAUNKNOWN", aws_secret_access_key="x", region_name="us-east-1"
        )
        sts = unknown.client("sts", endpoint_url=srv.url)
        for _ in range(20):  # spend what is left of the unauthenticated allowance
            try:
                sts.get_caller_identity()
            except botocore.exceptions.ClientError:
                break
        else:
            pytest.fail("moto_server never started checking credentials")
        yield srv, Canary(key["AccessKeyId"], key["SecretAccessKey"])


def scan_cli(
    url: str, out: Path, *extra: str, env: dict[str, str], tty: bool = True, formats: str = EVERY_FORMAT
) -> RunResult:
    return run_cli(
        "scan", "--aws", "--endpoint-url", url, "--region", "us-east-1", "--region", "eu-west-1",
        "--format", formats, "--output-dir", str(out), "--verbose", *extra,
        env=env, tty_stderr=tty, hooked=True,
    )  # fmt: skip


def captured(path: Path) -> list[Canary]:
    if not path.exists():
        return []
    return [Canary(**json.loads(line)) for line in path.read_text().splitlines()]


def assert_clean(proc: RunResult, out: Path, canaries: list[Canary]) -> int:
    found = outputs_of(proc, out)
    assert not leaks(found, canaries), leaks(found, canaries)
    assert "Traceback" not in proc.stderr
    return len(found)


def canary_env(canary: Canary, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = clean_env(
        AWS_ACCESS_KEY_ID=canary.key_id,
        AWS_SECRET_ACCESS_KEY=canary.secret,
        OPSCHECK_TEST_CAPTURE=str(tmp_path / "issued.jsonl"),
        **extra,
    )
    if canary.token:
        env["AWS_SESSION_TOKEN"] = canary.token
    return env


# -- credentials that work -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "assume", [True, False] if FULL else [True], ids=lambda a: "assumed-role" if a else "own"
)
def test_canaries_from_the_environment(server, tmp_path, tally, assume):
    out = tmp_path / "out"
    extra = ("--role-arn", ROLE) if assume else ()
    proc = scan_cli(server.url, out, *extra, env=canary_env(ENV_CANARY, tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "scanning: regions 2" in proc.stderr  # the progress line was drawn
    assert "opscheck: api error" in proc.stderr  # --verbose logged the emulator's gaps
    issued = captured(tmp_path / "issued.jsonl")
    assert len(issued) == (1 if assume else 0)
    n = assert_clean(proc, out, [ENV_CANARY, *issued])
    assert {p.name for p in out.iterdir()} == {f"opscheck.{f}" for f in FILE_FORMATS}
    what = "assumed role: env and moto-issued" if assume else "env"
    tally("Secrets: canary credentials in reports and logs", f"{what} credentials absent from {n} outputs")
    if FULL:  # the saved document rendered again, and compared with itself
        doc = out / "opscheck.json"
        for fmt in FORMATS:
            again = run_cli("report", str(doc), "--format", fmt, "--verbose", env=clean_env())
            assert again.returncode == 0
            assert_clean(again, None, [ENV_CANARY, *issued])
        diff = run_cli("diff", str(doc), str(doc), "--verbose", env=clean_env())
        assert_clean(diff, None, [ENV_CANARY, *issued])
        tally("Secrets: canary credentials in reports and logs", "report/diff of the document: absent")


def write_profile(tmp_path: Path, canary: Canary, *, assume: bool) -> dict[str, str]:
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[canary]\naws_access_key_id = {canary.key_id}\naws_secret_access_key = {canary.secret}\n"
        f"aws_session_token = {canary.token}\n"
    )
    config = tmp_path / "config"
    text = "[profile canary]\nregion = us-east-1\n"
    if assume:  # botocore's own assume-role provider, from the profile
        text += f"[profile auditor]\nrole_arn = {ROLE}\nsource_profile = canary\nregion = us-east-1\n"
    config.write_text(text)
    return {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": str(config)}


@pytest.mark.parametrize(
    "assume", [False, True] if FULL else [False], ids=lambda a: "role-profile" if a else "profile"
)
def test_canaries_from_a_credentials_file(server, tmp_path, tally, assume):
    out = tmp_path / "out"
    env = clean_env(
        OPSCHECK_TEST_CAPTURE=str(tmp_path / "issued.jsonl"),
        **write_profile(tmp_path, FILE_CANARY, assume=assume),
    )
    if assume:  # botocore's provider makes its own STS client: only the environment points it here
        env["AWS_ENDPOINT_URL"] = server.url
    profile = "auditor" if assume else "canary"
    # The source of the credentials is the point here: the fast subset runs a few rules only.
    rules = () if FULL else ("--rules", "CT001,CT003,DE001")
    proc = scan_cli(server.url, out, "--profile", profile, *rules, env=env, tty=FULL)
    assert proc.returncode == 1, proc.stderr
    issued = captured(tmp_path / "issued.jsonl")
    assert len(issued) == (1 if assume else 0)
    n = assert_clean(proc, out, [FILE_CANARY, *issued])
    tally(
        "Secrets: canary credentials in reports and logs",
        f"{profile} profile credentials absent from {n} outputs",
    )


# -- credentials and endpoints that fail ------------------------------------------------------------


def test_access_denied(auth_server, tmp_path, tally):
    srv, user = auth_server
    out = tmp_path / "out"
    proc = scan_cli(srv.url, out, env=canary_env(user, tmp_path))
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads((out / "opscheck.json").read_text())
    denied = [e for e in doc["scan"]["errors"] if e.get("code") == "AccessDenied"]
    assert len(denied) > 10, doc["scan"]["errors"]
    assert "access denied" in proc.stderr  # --verbose logs them
    n = assert_clean(proc, out, [user])
    tally(
        "Secrets: canary credentials in reports and logs",
        f"access denied ({len(denied)} errors): absent from {n} outputs",
    )


@pytest.mark.parametrize(
    ("case", "code"),
    [("unknown access key", "InvalidClientTokenId"), ("wrong secret", "SignatureDoesNotMatch")],
)
def test_credentials_rejected(auth_server, tmp_path, tally, case, code):
    srv, user = auth_server
    canary = (
        ENV_CANARY
        if case == "unknown access key"
        else Canary(user.key_id, ENV_CANARY.secret)  # a token would be rejected first
    )
    out = tmp_path / "out"
    proc = scan_cli(srv.url, out, env=canary_env(canary, tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    doc = json.loads((out / "opscheck.json").read_text())
    assert [e["code"] for e in doc["scan"]["errors"]] == [code]
    n = assert_clean(proc, out, [canary, user])
    tally(
        "Secrets: canary credentials in reports and logs",
        f"credentials rejected ({case}): absent from {n} outputs",
    )


class _Echo(http.server.BaseHTTPRequestHandler):
    """Not AWS: answers every request with its own headers, Authorization first (as a
    misconfigured proxy or a debugging endpoint does)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = "".join(f"{k}: {v}\n" for k, v in sorted(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def echo_endpoint() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # closed again when the block ends


@pytest.mark.parametrize(
    "kind", ["echoes the request", "refuses connections"] if FULL else ["echoes the request"]
)
def test_bad_endpoint(echo_endpoint, tmp_path, tally, kind):
    url = echo_endpoint if kind == "echoes the request" else _closed_port()
    out = tmp_path / "out"
    proc = scan_cli(url, out, env=canary_env(ENV_CANARY, tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [error] = json.loads((out / "opscheck.json").read_text())["scan"]["errors"]
    assert error["operation"] == "GetCallerIdentity"
    if kind == "echoes the request":
        assert "[signing details removed]" in error["message"]  # the echo was cut, not dropped
    n = assert_clean(proc, out, [ENV_CANARY])
    tally("Secrets: canary credentials in reports and logs", f"endpoint that {kind}: absent from {n} outputs")


@pytest.mark.parametrize("case", ["configuration error", "unparseable credentials file"])
def test_configuration_errors(server, tmp_path, tally, case):
    out = tmp_path / "out"
    env = canary_env(ENV_CANARY, tmp_path)
    extra: tuple[str, ...] = ()
    if case == "configuration error":
        config = tmp_path / "opscheck.yml"
        config.write_text(f"scan:\n  regions: [us-east-1]\n  access_key: {ENV_CANARY.key_id}\n")
        extra = ("--config", str(config))
    else:  # the canary secret sits in a file botocore cannot parse
        creds = tmp_path / "credentials"
        creds.write_text(
            f"[canary\naws_access_key_id = {FILE_CANARY.key_id}\naws_secret_access_key = {FILE_CANARY.secret}\n"
        )
        env.update(AWS_SHARED_CREDENTIALS_FILE=str(creds))
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]
        extra = ("--profile", "canary")
    proc = scan_cli(server.url, out, *extra, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip()
    # The configuration error names the key, never its value (the key id here).
    n = assert_clean(proc, out, [ENV_CANARY, FILE_CANARY])
    tally("Secrets: canary credentials in reports and logs", f"{case}: absent from {n} outputs")


# -- signing details in AWS's own error messages ------------------------------------------------------

T = ENV_CANARY
# Error responses as AWS words them. JSON-protocol services answer a bad signature with the
# canonical request they computed, signed headers and their values included.
SIGNING_ERRORS: dict[str, dict[str, Any]] = {
    "InvalidSignatureException with the canonical request": {
        "Code": "InvalidSignatureException",
        "Message": "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.\n\nThe Canonical String for this request "
        f"should have been\n'POST\n/\n\nhost:logs.us-east-1.amazonaws.com\nx-amz-security-token:{T.token}\n"
        "\nhost;x-amz-security-token\ne3b0'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"
        f"20240101T000000Z\n20240101/us-east-1/logs/aws4_request\n9f86'\n",
    },
    "IncompleteSignature echoing the Authorization header": {
        "Code": "IncompleteSignature",
        "Message": "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
        f"Credential={T.key_id}/20240101/us-east-1/ec2/aws4_request, Signature=0a1b2c3d4e5f",
    },
    "S3 SignatureDoesNotMatch with StringToSign and CanonicalRequest beside the message": {
        "Code": "SignatureDoesNotMatch",
        "Message": "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        "AWSAccessKeyId": T.key_id,
        "StringToSign": "AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/us-east-1/s3/aws4_request\n9f86",
        "SignatureProvided": "0a1b2c3d4e5f",
        "CanonicalRequest": f"GET\n/\n\nhost:s3.amazonaws.com\nx-amz-security-token:{T.token}\n",
    },
    "a message naming the access key id": {
        "Code": "InvalidClientTokenId",
        "Message": f"The security token included in the request is invalid (access key {T.key_id}).",
    },
}


def _client_error(error: dict[str, Any], operation: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}, operation
    )


def _forbidden(text: str) -> list[str]:
    found = leaks({"text": text}, [ENV_CANARY])
    lowered = text.lower()
    # Header names in any case ("x-amz-security-token:" in a canonical request); the word
    # "Authorization" alone may stay ("Authorization header requires ..."), an echoed header not.
    found += [m for m in ("x-amz-security-token", "signature=", "credential=") if m in lowered]
    found += [m for m in ("authorization=", "authorization:") if m in lowered]
    return [f for f in found if f != "text: Authorization"]


@pytest.mark.parametrize("case", list(SIGNING_ERRORS))
def test_signing_details_are_scrubbed_from_scan_errors(case, tally):
    error = SIGNING_ERRORS[case]
    failure = to_scan_error(
        _client_error(error, "DescribeThings"),
        service="logs",
        operation="DescribeThings",
        region="us-east-1",
        account_id=ACCOUNT,
    )
    message = failure.error.message
    assert _forbidden(message) == [], message
    assert error["Code"] in message  # still says what happened
    tally("Secrets: signing details in AWS error messages", "scrubbed from the scan error")


class _Answer(AWSResponse):
    def __init__(self) -> None:
        super().__init__("https://injected.invalid", 403, {}, None)


def test_scrubbed_signing_errors_in_every_output_of_a_scan(aws, tally):
    """The same answers met during a scan: the document, SARIF, HTML, console and --verbose log."""
    trail(aws, "main")
    targets = {
        "DescribeLogGroups": "InvalidSignatureException with the canonical request",
        "DescribeInstances": "IncompleteSignature echoing the Authorization header",
        "GetBucketLocation": "S3 SignatureDoesNotMatch with StringToSign and CanonicalRequest beside the message",
        "ListFunctions": "a message naming the access key id",
    }
    for operation, case in targets.items():

        def answer(error: dict[str, Any] = SIGNING_ERRORS[case], **_: Any) -> Any:
            return _Answer(), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}

        aws.events.register(f"before-call.*.{operation}", answer)
    log = io.StringIO()
    outcome = scan_aws(
        AwsOptions(session=aws, regions=["us-east-1"]),
        list(all_rules()),
        settings=LiveSettings(progress=Progress(log=log)),
    )
    codes = {e.code for e in outcome.errors}
    assert {e["Code"] for e in SIGNING_ERRORS.values()} <= codes
    rendered = render_outcome(outcome, list(FILE_FORMATS))
    shown = io.StringIO()
    console.render_document(rendered.doc, shown, verbose=True)
    outputs = {**rendered.texts, "console": shown.getvalue(), "--verbose log": log.getvalue()}
    assert log.getvalue().count("api error") >= len(targets)
    for name, text in outputs.items():
        assert _forbidden(text) == [], name
    tally(
        "Secrets: signing details in AWS error messages",
        f"scrubbed from all {len(outputs)} outputs of a scan",
    )
