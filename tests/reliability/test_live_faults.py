"""Faults injected into live scans: the scan completes, retries what is worth retrying within
a bounded time, says what it could not read (account, region, service, operation), and only
the rules that needed the failed call change, and only to `unknown`.

The world is the demo's ML platform account (scanner/demo/seed.py) in moto_server, with its
CloudWatch series thinned to one datapoint in 60 (moto answers GetMetricData in time linear in
the datapoints it holds, minutes for the demo's two weeks at one-minute resolution through a
server). Every scan goes through the fault proxy (faultproxy.py) in front of moto_server.

The baseline is a scan with no fault. A faulted scan is compared result by result:
- a rule that does not call the faulted operation (its needs, through the collectors'
  declared operations) keeps every result exactly (status, message, fingerprint);
- a rule that does call it keeps each result or turns it `unknown`; a result may disappear
  only where an `unknown` of the same rule stands in for it (a listing that failed hides the
  resources it would have listed); it never gains a `pass` or a `fail` the baseline lacks;
- where the fault outlasts the retries, a scan error names the account, region, service and
  operation; where retries absorb it, nothing differs from the baseline at all.

Fast subset (make test): one fault of each family on CloudTrail's DescribeTrails, an access
denial in each protocol's format, throttling on 10% of every call, two endless paginations,
the command's exit codes. Full set (make reliability): every kind on one operation of each
protocol, an access denial on every (operation, region) the baseline called, every retried
kind at 30% of every call, and the default retry budget (8 attempts) timed once per kind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import botocore.session
import pytest
from faultproxy import KINDS, Fault, FaultProxy, endless_pages, fault_proxy
from loopback import Moto, environment, moto_server

from scanner import engine
from scanner.demo import DEMO_CONFIG, _instance_generations_as_aws_answers
from scanner.demo.seed import seed
from scanner.lib.metrics import MetricWindow
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.scan import LiveSettings, scan_aws
from scanner.sources.aws import metrics, pagination
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import required_operations

pytestmark = pytest.mark.e2e

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"
ACCOUNT = "123456789012"
REGIONS = ["us-east-1", "eu-west-1"]
# The read timeout of the scans that inject read timeouts (30 s by default, as in every
# other scan here): short enough to keep the cases quick, long enough that moto_server on a
# loaded machine answers the calls that are not faulted in time.
READ_TIMEOUT_S = 4.0
FAST_ATTEMPTS = 3  # the retry budget in the fast cases (8 by default)

# One operation per protocol family (the error formats differ), each one the scan calls.
FAST_TARGETS = (
    ("cloudtrail:DescribeTrails", "us-east-1"),  # JSON
    ("ec2:DescribeInstances", "us-east-1"),  # EC2 query
    ("lambda:GetPolicy", "us-east-1"),  # REST-JSON
    ("s3:ListBuckets", "us-east-1"),  # REST-XML
    ("iam:GetRole", "us-east-1"),  # query
    ("cloudwatch:GetMetricData", "us-east-1"),  # JSON (botocore picks it over RPC v2 CBOR)
)
# Every kind runs on this one in the fast set.
FAST_ALL_KINDS = ("cloudtrail:DescribeTrails", "us-east-1")


@dataclass
class Run:
    outcome: ScanOutcome
    seconds: float
    injected: Counter[tuple[str, str, str]]
    calls: Counter[tuple[str, str]]
    strangers: list[str]  # requests the proxy could not name (none, or faults could miss them)


@dataclass
class World:
    moto: Moto
    proxy: FaultProxy
    rules: list[Rule]
    baseline: ScanOutcome
    calls: Counter[tuple[str, str]]  # (service:Operation, region) the baseline sent
    # One CloudWatch window for every scan: it is aligned to the hour, and a run that crosses
    # one would count the seeded days of data differently from its baseline.
    window: MetricWindow = field(default_factory=lambda: MetricWindow(end=dt.datetime.now(dt.UTC)))

    def scan(
        self,
        faults: list[Fault],
        *,
        max_attempts: int = FAST_ATTEMPTS,
        hook: Callable[[boto3.Session], Any] | None = None,
    ) -> Run:
        self.proxy.set_faults(faults)
        timeout = READ_TIMEOUT_S if any(f.kind.action == "timeout" for f in faults) else 30.0
        session = _session()
        # As the demo does: moto marks current families (m5, c5) as previous generation, AWS
        # does not. Without it RS008's fallback (the shipped table, when DescribeInstanceTypes
        # fails) would disagree with the emulator rather than with AWS.
        _instance_generations_as_aws_answers(session)
        if hook is not None:
            hook(session)
        options = AwsOptions(
            session=session,
            endpoint_url=self.proxy.url,
            regions=REGIONS,
            max_attempts=max_attempts,
            read_timeout=timeout,
        )
        t0 = time.monotonic()
        outcome = scan_aws(options, self.rules, settings=LiveSettings(metric_window=self.window))
        seconds = time.monotonic() - t0
        log = self.proxy.log
        run = Run(outcome, seconds, Counter(log.injected), Counter(log.calls), list(log.strangers))
        self.proxy.set_faults([])
        return run


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


def _thin_metrics(params: dict[str, Any], **_: Any) -> None:
    params["MetricData"] = params.get("MetricData", [])[::60]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    env = environment()
    with mock.patch.dict(os.environ, env, clear=True), moto_server(env) as moto:
        seeding = _session()
        seeding.events.register("before-parameter-build.cloudwatch.PutMetricData", _thin_metrics)
        with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": moto.url}):
            seed(seeding)
        ruleset = engine.discover()
        rules = DEMO_CONFIG.apply(r for r in ruleset.rules if "aws" in r.meta.sources)
        with fault_proxy(moto.port, hold_s=READ_TIMEOUT_S + 2) as proxy:
            probe = World(moto, proxy, rules, ScanOutcome.__new__(ScanOutcome), Counter())
            first, base = probe.scan([]), probe.scan([])
            # The emulator's own gaps (moto answers a log-group-scoped DescribeResourcePolicies
            # with the account's policies) are errors of every scan, faulted or not.
            assert _errors(first.outcome) == _errors(base.outcome)
            assert not [e for e in base.outcome.errors if e.operation != "DescribeResourcePolicies"]
            assert _verdicts(first.outcome) == _verdicts(base.outcome)  # the world is stable
            assert not base.strangers, base.strangers
            yield World(moto, proxy, rules, base.outcome, base.calls, probe.window)


def _verdicts(outcome: ScanOutcome) -> dict[tuple[str, ...], tuple[str, str, str]]:
    """Results by rule and resource identity. Not by fingerprint: that holds the region, which a
    fault may leave unknown (a bucket whose GetBucketLocation failed) without the verdict on
    the resource changing."""
    return {
        (r.rule_id, r.resource.type, r.resource.id, r.discriminator or ""): (
            r.rule_id,
            r.status.value,
            r.message,
        )
        for r in outcome.results
    }


def _errors(outcome: ScanOutcome) -> set[tuple[str | None, str | None, str | None, str]]:
    return {(e.service, e.operation, e.region, e.message) for e in outcome.errors}


def _operations(rule: Rule) -> set[str]:
    return {op.key for op in required_operations(metrics.with_prerequisites(engine.needs([rule])))}


def affected(world: World, key: str) -> set[str]:
    return {r.id for r in world.rules if key in _operations(r)}


def differences(world: World, outcome: ScanOutcome, key: str) -> list[str]:
    """What the fault changed that it had no right to change (empty when all is well)."""
    hit = affected(world, key)
    before, after = _verdicts(world.baseline), _verdicts(outcome)
    unknown_rules = {rule for rule, status, _ in after.values() if status == "unknown"}
    wrong = []
    for fp, (rule, status, message) in before.items():
        now = after.get(fp)
        if now == (rule, status, message):
            continue
        if rule not in hit:
            wrong.append(f"{rule} ({status}) changed to {now} though it does not call {key}")
        elif now is None and rule not in unknown_rules:
            wrong.append(f"{rule} ({status}: {message[:60]}) vanished with no unknown in its place")
        elif now is not None and now[1] not in ("unknown", status):
            # The same verdict may come with another reason (IMG002 reads the repository's
            # effective scanning when the registry's configuration failed): a rule that calls
            # the operation judges from what it could still read.
            wrong.append(f"{rule} went {status} -> {now[1]}: {now[2][:80]}")
    for fp, (rule, status, message) in after.items():
        if fp not in before and status != "unknown":
            wrong.append(f"new {status} of {rule} under a fault: {message[:80]}")
    internal = [e.message for e in outcome.errors if e.kind == "internal"]
    return wrong + [f"internal error: {m}" for m in internal]


def errors_name_the_call(outcome: ScanOutcome, key: str, region: str) -> bool:
    service, operation = key.split(":")
    return any(
        e.kind == "api"
        and e.account_id == ACCOUNT
        and e.service == service
        and e.operation == operation
        and (e.region == region or (e.region is None and service in ("iam", "s3")))
        for e in outcome.errors
    )


def _check(world: World, kind_name: str, key: str, region: str, run: Run, tally: Any) -> None:
    kind = KINDS[kind_name]
    assert run.injected, f"{kind_name} on {key} in {region}: nothing matched (the scan never called it?)"
    wrong = differences(world, run.outcome, key)
    assert not wrong, f"{kind_name} on {key} in {region}:\n" + "\n".join(wrong)
    # A fault on every attempt outlasts any retry budget: the call fails and says so.
    if kind.code:
        service, operation = key.split(":")
        codes = {e.code for e in run.outcome.errors if (e.service, e.operation) == (service, operation)}
        assert kind.code in codes, (kind_name, key, codes)
    assert errors_name_the_call(run.outcome, key, region), (
        f"{kind_name} on {key} in {region}: no scan error names the call; errors: "
        + "; ".join(e.message for e in run.outcome.errors)
    )
    what = "retried, then a scan error" if kind.retried else "a scan error, no retry"
    tally(
        f"Live: {kind_name} on every attempt",
        f"completed; {what}; only the rules calling it answer unknown",
        seconds=run.seconds,
    )


# The fast subset (CI's, inside its 20-minute budget): one fault of each family on one
# operation; the full set runs every kind on every protocol's operation.
FAST_KINDS = (
    "ThrottlingException",
    "HTTP 429 without a body",
    "500 InternalFailure",
    "AccessDenied",
    "OptInRequired",
    "connection reset",
    "read timeout",
    "truncated body",
    "malformed body",
)


def _cases() -> list[tuple[str, str, str]]:
    cases = [(k, *FAST_ALL_KINDS) for k in FAST_KINDS]
    # One error in each protocol's format: the code the proxy wrote is the code botocore read.
    cases += [
        ("AccessDeniedException", key, region)
        for key, region in FAST_TARGETS
        if (key, region) != FAST_ALL_KINDS
    ]
    return cases


@pytest.mark.parametrize(("kind_name", "key", "region"), _cases(), ids=lambda v: str(v).replace(" ", "-"))
def test_a_fault_on_every_attempt(world, tally, kind_name, key, region):
    run = world.scan([Fault(KINDS[kind_name], key, region)])
    _check(world, kind_name, key, region, run, tally)
    # Bounded: FAST_ATTEMPTS attempts, each at most the read timeout plus botocore's backoff.
    assert run.seconds < 120


def test_every_fault_on_every_operation_called(world, tally):
    """The full set: every kind on one operation of each protocol family, and an access
    denial (in the protocol's own format) on every (operation, region) the baseline called.
    Every kind on every operation would be some 1,000 scans; what differs between the kinds
    is the wire format and botocore's handling, which the first part covers, and what differs
    between the operations is the collectors' and rules' handling, which the second covers."""
    if not FULL:
        pytest.skip("make reliability runs every fault on every operation")
    cases = [(kind, key, region) for key, region in FAST_TARGETS for kind in KINDS]
    cases = [case for case in cases if case not in _cases()]  # those ran as tests of their own
    cases += [
        ("AccessDenied", key, region)
        for key, region in sorted(world.calls)
        if not key.startswith("sts:") and (key, region) not in FAST_TARGETS
    ]
    failures = []
    for kind_name, key, region in cases:
        run = world.scan([Fault(KINDS[kind_name], key, region)])
        try:
            _check(world, kind_name, key, region, run, tally)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0] + " " + " | ".join(str(exc).splitlines()[1:3]))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "kind_name", [k for k, v in KINDS.items() if v.retried and (FULL or k == "ThrottlingException")]
)
def test_retried_faults_at_a_rate_change_nothing(world, tally, kind_name):
    """30% of every call fails: the retries absorb it; the results are the baseline's."""
    rate = 0.3 if FULL else 0.1
    run = world.scan([Fault(KINDS[kind_name], "*:*", None, rate=rate, seed=7)], max_attempts=8)
    assert sum(run.injected.values()) > 5
    assert _errors(run.outcome) == _errors(world.baseline)
    assert _verdicts(run.outcome) == _verdicts(world.baseline)
    tally(
        f"Live: {kind_name} on {rate:.0%} of all calls",
        "completed; retried; results identical to the fault-free scan",
        seconds=run.seconds,
    )


def test_the_full_retry_budget_is_bounded(world, tally):
    """The default budget (8 attempts, adaptive backoff) against a call that always fails: how
    long one failing call holds a scan. botocore caps each wait at 20 s."""
    if not FULL:
        pytest.skip("make reliability times the default budget (tens of seconds a kind)")
    for kind_name in [k for k, v in KINDS.items() if v.retried]:
        run = world.scan([Fault(KINDS[kind_name], *FAST_ALL_KINDS)], max_attempts=8)
        assert errors_name_the_call(run.outcome, *FAST_ALL_KINDS)
        assert sum(run.injected.values()) >= 8  # the budget: one try and seven retries
        assert not differences(world, run.outcome, FAST_ALL_KINDS[0])
        assert run.seconds < 8 * (READ_TIMEOUT_S + 20)
        tally(
            f"Live: {kind_name} on every attempt, default budget",
            "8 attempts, then a scan error",
            seconds=run.seconds,
        )


@pytest.mark.parametrize(
    "target",
    ["ec2:DescribeInstances", "cloudwatch:GetMetricData"]
    + (["logs:DescribeLogGroups", "lambda:ListFunctions", "iam:ListRoles"] if FULL else []),
)
def test_a_pagination_token_that_never_ends(world, tally, monkeypatch, target):
    monkeypatch.setattr(pagination, "MAX_PAGES", 10)
    seen = {}

    def hook(session: boto3.Session) -> None:
        seen["pages"] = endless_pages(session, target)

    run = world.scan([], hook=hook)
    pages = seen["pages"].pages[target]
    if target not in {k for k, _ in world.calls}:
        pytest.skip(f"the scan does not call {target}")
    assert pages >= 10  # the listing ran into the bound
    assert errors_name_the_call(run.outcome, target, "us-east-1")
    assert any("pagination did not end after 10 pages" in e.message for e in run.outcome.errors)
    assert not differences(world, run.outcome, target)
    tally(
        "Live: pagination token that never ends",
        "stopped at the page bound; a scan error",
        seconds=run.seconds,
    )


def test_exit_codes_through_the_cli(world, tally, tmp_path):
    """The CLI against the proxy: a scan error leaves the exit code to the fails (1 here, the
    demo account fails rules); --strict turns it into 2; the document lists the error."""
    world.proxy.set_faults([Fault(KINDS["AccessDenied"], *FAST_ALL_KINDS)])
    t0 = time.monotonic()
    env = {**environment(), "AWS_ENDPOINT_URL": world.proxy.url}
    base = [sys.executable, "-m", "scanner", "scan", "--aws", "--no-progress", "--format", "json"]
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    codes = {}
    for strict in (False, True):
        out = tmp_path / f"strict-{strict}.json"
        args = [*base, *regions, "--output", str(out), *(["--strict"] if strict else [])]
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert "Traceback" not in proc.stderr, proc.stderr
        document = json.loads(out.read_text())
        assert any(
            e.get("operation") == "DescribeTrails" and e.get("region") == "us-east-1"
            for e in document["scan"]["errors"]
        ), document["scan"]["errors"]
        codes[strict] = proc.returncode
    world.proxy.set_faults([])
    assert codes == {False: 1, True: 2}
    tally(
        "Live: exit codes under a fault (CLI)",
        "1 without --strict, 2 with it",
        seconds=(time.monotonic() - t0) / 2,
    )


def test_fault_cases_cover_every_protocol(world):
    """The fast targets span every protocol botocore speaks to the services the scan calls."""
    models = botocore.session.get_session()
    spoken = {models.get_service_model(key.split(":")[0]).resolved_protocol for key, _ in world.calls}
    targeted = {models.get_service_model(key.split(":")[0]).resolved_protocol for key, _ in FAST_TARGETS}
    assert targeted == spoken
    assert set(FAST_TARGETS) <= set(world.calls)
