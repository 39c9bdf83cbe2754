"""End to end: the installed CLI, as a subprocess, against a moto_server process on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()  # stopped by its PID, never left behind
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "PROXY" not in k.upper()}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


@pytest.fixture
def account(server: str) -> boto3.Session:
    """A fresh emulated account with a small CloudTrail setup."""
    urllib.request.urlopen(urllib.request.Request(f"{server}/moto-api/reset", method="POST")).close()
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    s3 = session.client("s3", endpoint_url=server)
    s3.create_bucket(Bucket="e2e-trail-logs")
    s3.create_bucket(Bucket="e2e-training-data")
    ct = session.client("cloudtrail", endpoint_url=server)
    ct.create_trail(Name="main", S3BucketName="e2e-trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    ct.put_event_selectors(
        TrailName="main",
        AdvancedEventSelectors=[
            {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {
                "Name": "training",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::e2e-training-data/"]},
                ],
            },
        ],
    )
    ct_eu = session.client("cloudtrail", region_name="eu-west-1", endpoint_url=server)
    ct_eu.create_trail(Name="legacy", S3BucketName="e2e-trail-logs")  # single-region, never started
    return session


def opscheck(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "opscheck"), *args],
        capture_output=True,
        text=True,
        env=env or _env(),
        timeout=timeout,
    )


def scan(server: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return opscheck(
        "scan",
        "--aws",
        "--endpoint-url",
        server,
        "--region",
        "us-east-1",
        "--region",
        "eu-west-1",
        *extra,
        env=env,
    )


def test_json_document(server, account, tmp_path):
    out = tmp_path / "results.json"
    proc = scan(server, "--format", "json", "-o", str(out))
    assert proc.returncode == 1, proc.stderr  # there are fails at or above low
    assert "Traceback" not in proc.stderr
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == "1"
    assert doc["tool"]["name"] == "opscheck"
    assert doc["scan"]["mode"] == "aws"
    assert doc["scan"]["targets"] == [
        {"kind": "aws-account", "account_id": ACCOUNT, "regions": ["eu-west-1", "us-east-1"]}
    ]
    # moto_server does not implement GetAllowedImagesSettings (EC2's Allowed AMIs): the only
    # scan errors are that read, once per region (IMG001 says unknown there, nothing else).
    assert sorted((e["operation"], e["region"]) for e in doc["scan"]["errors"]) == [
        ("GetAllowedImagesSettings", "eu-west-1"),
        ("GetAllowedImagesSettings", "us-east-1"),
    ]
    stats = doc["scan"]["stats"]
    assert stats["api_calls"] == sum(stats["api_calls_by_operation"].values())
    assert stats["api_calls_by_operation"]["cloudtrail:DescribeTrails"] == 2
    assert stats["results"] == len(doc["results"])
    assert {r["id"] for r in doc["rules"]} == {f"CT00{i}" for i in range(1, 9)} | {
        f"DE00{i}" for i in range(1, 5)
    } | {f"EB{i:03d}" for i in range(1, 12)} | {f"AZ00{i}" for i in range(1, 9)} | {
        f"RS00{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9)
    } | {f"MON00{i}" for i in range(1, 4)} | {f"IMG00{i}" for i in range(1, 5)}
    for rule in doc["rules"]:
        assert set(rule) == {
            "id",
            "name",
            "title",
            "severity",
            "family",
            "description",
            "remediation",
            "references",
            "compliance",
            "sources",
            "precision",  # additive: SARIF's precision, so `opscheck report` can render it
        }
    verdicts = {(r["rule_id"], r["resource"]["id"]): r["status"] for r in doc["results"]}
    legacy = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/legacy"
    main = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"
    assert verdicts[("CT001", ACCOUNT)] == "pass"
    assert verdicts[("CT003", legacy)] == "fail"
    assert verdicts[("CT003", main)] == "pass"
    assert verdicts[("DE001", "arn:aws:s3:::e2e-training-data")] == "pass"
    assert verdicts[("DE001", "arn:aws:s3:::e2e-trail-logs")] == "fail"
    for r in doc["results"]:
        assert re.fullmatch(r"[0-9a-f]{32}", r["fingerprint"])
        assert r["location"] is None and r["suppression"] is None
        assert r["message"].endswith(".")
    summary = doc["summary"]
    assert summary["fail"] == sum(r["status"] == "fail" for r in doc["results"])
    assert summary["pass"] + summary["fail"] + summary["unknown"] == len(doc["results"])
    # Deterministic order: severity (critical first), then rule id, then resource id.
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    keys = [(rank[r["severity"]], r["rule_id"], r["resource"]["id"]) for r in doc["results"]]
    assert keys == sorted(keys)


def test_two_scans_give_identical_documents(server, account, tmp_path):
    docs = []
    # Different hash seeds (set and dict-of-set orders) and concurrency (completion order).
    for name, hash_seed, workers in (("a.json", "0", "8"), ("b.json", "4242", "1")):
        scan(
            server,
            "--format",
            "json",
            "-o",
            str(tmp_path / name),
            "--max-workers",
            workers,
            env=_env(PYTHONHASHSEED=hash_seed),
        )
        doc = json.loads((tmp_path / name).read_text())
        for key in ("id", "started_at", "finished_at"):
            doc["scan"].pop(key)
        doc["scan"]["stats"].pop("duration_s")
        docs.append(json.dumps(doc, sort_keys=True))
    assert docs[0] == docs[1]


def test_every_format_into_an_output_dir_then_report_and_diff(server, account, tmp_path):
    out = tmp_path / "nightly"
    proc = scan(
        server, "--format", "json,sarif,html", "--output-dir", str(out), "--sarif-anchor", "ops/opscheck.yml"
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""  # files only: nothing on stdout
    doc = json.loads((out / "opscheck.json").read_text())
    sarif = json.loads((out / "opscheck.sarif").read_text())
    html = (out / "opscheck.html").read_text()
    fails = [r for r in doc["results"] if r["status"] == "fail" and not r["suppression"]]
    assert len(sarif["runs"][0]["results"]) == len(fails) > 0
    assert sarif["runs"][0]["automationDetails"]["id"] == f"opscheck/aws-{ACCOUNT}/"
    assert hashlib.sha256((out / "opscheck.json").read_bytes()).hexdigest() in html
    # The HTML report's embedded copy is the JSON document, byte for byte.
    again = opscheck("report", str(out / "opscheck.html"), "--format", "json")
    assert again.returncode == 0 and again.stdout == (out / "opscheck.json").read_text()
    # Re-rendering the SARIF from the document gives the same file.
    sarif2 = opscheck(
        "report", str(out / "opscheck.json"), "--format", "sarif", "--sarif-anchor", "ops/opscheck.yml"
    )
    assert sarif2.returncode == 0 and sarif2.stdout == (out / "opscheck.sarif").read_text()
    # The same account twice: nothing new, nothing fixed, exit 0.
    scan(server, "--format", "json", "-o", str(tmp_path / "again.json"))
    diff = opscheck("diff", str(out / "opscheck.json"), str(tmp_path / "again.json"))
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert f"0 new, 0 fixed, 0 changed severity, 0 now unknown, {len(fails)} unchanged" in diff.stdout


def test_console_table_plain_when_not_a_tty(server, account):
    proc = scan(server)
    assert proc.returncode == 1
    out = proc.stdout
    assert "\x1b[" not in out  # no colour codes in a pipe
    assert re.search(r"^STATUS\s+SEVERITY\s+RULE\s+RESOURCE\s+MESSAGE", out, re.M)
    assert re.search(r"^FAIL\s+high\s+CT003\s+legacy \(eu-west-1\)", out, re.M)
    assert "fail (" in out and "scan errors" in out


def test_endpoint_from_environment(server, account, tmp_path):
    out = tmp_path / "r.json"
    proc = opscheck(
        "scan",
        "--aws",
        "--region",
        "us-east-1",
        "--format",
        "json",
        "-o",
        str(out),
        env=_env(AWS_ENDPOINT_URL=server),
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(out.read_text())["scan"]["targets"][0]["account_id"] == ACCOUNT


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--fail-on", "high"), 1),  # CT003 on the stopped trail is high
        (("--fail-on", "critical"), 0),
        (("--fail-on", "none"), 0),
        (("--rules", "CT001"), 0),  # the account is covered
        (("--rules", "CT001,CT003", "--fail-on", "medium"), 1),
        (("--skip-rules", "CT002,CT003,CT004,CT005,CT006,CT007,CT008,DE001,DE002,DE003,DE004"), 0),
    ],
)
def test_exit_codes_follow_fail_on(server, account, args, code):
    proc = scan(server, "--quiet", *args)
    assert proc.returncode == code, proc.stdout + proc.stderr


def test_strict_turns_scan_errors_into_exit_2(server, account, tmp_path):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "flaky.py").write_text(
        "from scanner.rule import rule\n\n"
        "@rule(id='USR001', name='flaky', title='Flaky', severity='low', family='house', remediation='-')\n"
        "def usr001(inventory, ctx):\n"
        '    """Always crashes."""\n'
        "    raise RuntimeError('boom')\n"
        "    yield\n"
    )
    proc = scan(server, "--rules", "CT001,USR001", "--rules-dir", str(rules_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr  # CT001 passes; the crash is a scan error
    assert "rule USR001 failed" in proc.stdout
    strict = scan(server, "--rules", "CT001,USR001", "--rules-dir", str(rules_dir), "--strict")
    assert strict.returncode == 2


def test_broken_rule_module_is_a_configuration_error(server, account, tmp_path):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "broken.py").write_text("x = 1\nthis is not python\n")
    proc = scan(server, "--rules-dir", str(rules_dir))
    assert proc.returncode == 2
    assert f"{rules_dir / 'broken.py'}:2" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan",), "nothing to scan"),
        (("scan", "--aws", "--region", "moon-1"), "not a region name"),
        (("scan", "--aws", "--rules", "XX999"), "unknown rule id"),
        (("scan", "--aws", "--format", "yaml"), "unknown format"),
        (("scan", "--aws", "--external-id", "x"), "--external-id needs --role-arn"),
        (("explain", "NOPE1"), "no rule"),
        (("scan", "--aws", "--rules", "DE005"), "none of the selected rules applies to live AWS scans"),
        (("scan", "--aws", "--no-such-flag"), "unrecognized arguments"),
        (("scan", "--aws", "--profile", "nope", "--region", "us-east-1"), "profile 'nope' is not configured"),
        (("scan", "--aws", "--format", "console,json"), "several formats on stdout"),
        (("scan", "--aws", "--rules-dir", "/no/such/dir"), "is not a directory"),
    ],
)
def test_usage_errors_exit_2_without_traceback(args, message):
    proc = opscheck(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_credentials_exit_2(server):
    env = _env()
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    proc = scan(server, env=env)
    assert proc.returncode == 2
    assert "nothing could be scanned" in proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout


def test_python_dash_m_scanner_runs(server, account):
    proc = subprocess.run(
        [sys.executable, "-m", "scanner", "rules", "--format", "json"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
    )
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)) == 48
