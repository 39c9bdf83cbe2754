"""bench/org_scan.py on a small organization (the management account and two members, 5 ms
added a round trip): its table has both concurrencies, the proxy counted every call the scan
made, and both concurrencies judged alike. The 3- and 30-account figures are the bench's."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path
from types import ModuleType
from unittest import mock

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "org_scan.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("org_scan", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_a_small_organization_scanned_at_both_concurrencies(bench, capsys):
    assert bench.main(["--accounts", "2", "--latency-ms", "5", "--no-warm-up"]) == 0
    out = capsys.readouterr().out
    assert "management + 2 member accounts = 3 accounts; 2 regions (us-east-1, eu-west-1)" in out
    rows = {
        m["label"]: m
        for m in re.finditer(
            r"^(?P<label>default|1) \((?P<shape>\d+ acct x \d+ calls)\)\s+(?P<wall>[\d.]+)\s+(?P<calls>[\d,]+)"
            r"\s+[\d.]+\s+(?P<proxy>[\d,]+)\s+(?P<accounts>\d+)\s+[\d.]+\s+(?P<results>[\d,]+)\s+(?P<errors>\d+)",
            out,
            re.MULTILINE,
        )
    }
    assert set(rows) == {"default", "1"}
    assert rows["default"]["shape"] == "4 acct x 8 calls" and rows["1"]["shape"] == "1 acct x 1 calls"
    for row in rows.values():
        calls = int(row["calls"].replace(",", ""))
        assert row["accounts"] == "3" and row["errors"] == "0"
        assert calls > 3 * 20  # every account collected, not just entered
        assert int(row["proxy"].replace(",", "")) >= calls  # the proxy saw every call
    assert rows["default"]["calls"] == rows["1"]["calls"]
    assert rows["default"]["results"] == rows["1"]["results"]
    assert re.search(r"proxy round trips vs API calls, default: [\d,]+ vs [\d,]+: equal", out)
    assert "sts:AssumeRole 2 (one per member: 2)" in out
    assert "results identical between the concurrencies" in out
    assert "speed-up, default vs 1:" in out


def test_the_proxy_relays_and_counts_on_loopback_only(bench):
    """Method, path, headers and body reach moto_server; the answer comes back whole; the
    proxy binds 127.0.0.1 and forwards nowhere else."""
    env = bench._environment()
    with (
        mock.patch.dict(os.environ, env, clear=True),
        bench.moto_server(env) as moto,
        bench.latency_proxy(moto.port, 30) as proxy,
    ):
        assert proxy.server_address[0] == "127.0.0.1"
        session = bench._session()
        s3 = session.client("s3", endpoint_url=proxy.url)
        s3.create_bucket(Bucket="relayed")
        s3.put_object(Bucket="relayed", Key="k", Body=b"x" * 70_000)
        t0 = time.perf_counter()
        assert s3.get_object(Bucket="relayed", Key="k")["Body"].read() == b"x" * 70_000
        assert time.perf_counter() - t0 >= 0.03  # the injected round trip
        assert s3.head_object(Bucket="relayed", Key="k")["ContentLength"] == 70_000
        with urllib.request.urlopen(f"{proxy.url}/moto-api/data.json") as answer:
            assert "s3" in json.loads(answer.read())
        assert proxy.tally.total == 5 and proxy.tally.services["s3"] == 4
        assert proxy.tally.failed == 0
