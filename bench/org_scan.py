"""An organization scan through a slow network: wall time, API calls and accounts per minute at
the default concurrency and at concurrency 1.

moto_server runs on 127.0.0.1 behind a small loopback proxy (this file) that adds a fixed
delay to every request's round trip (--latency-ms, default 20 ms: about what a scanner in one
region sees from AWS endpoints in another). Through the proxy the bench builds an
organization, the management account plus N member accounts (--accounts 3 and --accounts 30
by default), each seeded with a small footprint for the built-in rules, then scans it with
scan_org and every built-in rule, over two regions, twice: at the default concurrency (4
accounts at once, 8 calls at once in each) and at concurrency 1 (one account, one call).

    .venv/bin/python bench/org_scan.py [--accounts N ...] [--latency-ms MS]

What each account holds (member k; the management account is seeded as member 0):
- us-east-1: a trail (multi-region when k is even, single-region when odd) and its S3 log
  bucket, logging; an IAM role for Lambda; a Lambda function that an EventBridge schedule
  rule on the default bus targets (with the permission that lets events invoke it); an RDS
  PostgreSQL instance (Multi-AZ when k is even); an EC2 instance.
- eu-west-1, when k is odd: a second EC2 instance and a second RDS instance.
No CloudWatch datapoints: the rightsizing rules answer unknown (no data) after asking.

Why a proxy and not moto in process: in process a call costs the CPU time of botocore and
moto and nothing else, so concurrency can only lose (the GIL). A real scan waits on the
network for most of each call; the delay stands for that, and concurrency is there to hide
it. The proxy counts every request it relays: the scan's own count (outcome.api_calls, from
the read-only guard, one per API call whatever the retries) can only be equal or lower.

What bounds the default concurrency is the scan's own CPU, not the network: one process, one
GIL, so accounts per minute can not exceed 60 / (the scan's CPU seconds per account) on any
number of cores. About half of that CPU is botocore building clients: one per service and
region in every account (some 28 for two regions, each making fewer than two calls). Each
account entered used to parse every service model's JSON again as well (a fresh botocore
loader per assumed-role session: 1.5 CPU s per account instead of 0.65 with the loader shared,
scanner/sources/aws/session.py).

Loopback only: moto_server and the proxy listen on 127.0.0.1 and the proxy forwards to
127.0.0.1 and nowhere else. Fake credentials; the caller's AWS configuration is ignored.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import statistics
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.session

from scanner import engine
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.scan import OrgOptions, scan_org
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import unsupported_needs

# bench/loopback.py: moto_server and the relay, shared with the reliability tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import (
    CREDENTIAL,
    LOOPBACK,
    Moto,
    Relay,
    environment,
    moto_server,
    serving,
)

REGIONS = ("us-east-1", "eu-west-1")
HOME = REGIONS[0]
SIZES = (3, 30)
LATENCY_MS = 20.0
SEED_WORKERS = 8  # accounts seeded at once: seeding is set-up, not what is measured
ROLE = "OrganizationAccountAccessRole"
# (label, accounts at once, calls at once in each account)
CONCURRENCIES = (("default", 4, 8), ("1", 1, 1))


# -- the proxy in front of moto_server ----------------------------------------------------------


@dataclass
class Tally:
    """What the proxy relayed: requests in all, per service (from the SigV4 credential
    scope) and per access key (one per account entered, plus the management account's)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    total: int = 0
    services: Counter[str] = field(default_factory=Counter)
    keys: Counter[str] = field(default_factory=Counter)
    failed: int = 0  # requests moto_server could not be reached for
    cpu: float = 0.0  # CPU seconds the relaying threads spent (the sleep is not CPU)

    def count(self, auth: str) -> None:
        found = CREDENTIAL.search(auth)
        with self.lock:
            self.total += 1
            if found:
                self.keys[found.group(1)] += 1
                self.services[found.group(3)] += 1

    def reset(self) -> None:
        with self.lock:
            self.total, self.failed, self.cpu = 0, 0, 0.0
            self.services.clear()
            self.keys.clear()


class LatencyProxy(ThreadingHTTPServer):
    """Relays every request to moto_server on 127.0.0.1, `latency` seconds later."""

    daemon_threads = True

    def __init__(self, upstream_port: int, latency_s: float) -> None:
        super().__init__((LOOPBACK, 0), _Relay)
        self.upstream_port = upstream_port
        self.latency_s = latency_s
        self.tally = Tally()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"


class _Relay(Relay):
    server: LatencyProxy

    def _dispatch(self) -> None:
        # The proxy shares this process (and its GIL) with the scan: its CPU time is
        # counted apart, so that the scan's own can be told.
        start = time.thread_time()
        try:
            body = self.read_body()
            self.server.tally.count(self.headers.get("Authorization", ""))
            time.sleep(self.server.latency_s)  # the round trip a real network would add
            self.handle_request(body)
        finally:
            spent = time.thread_time() - start
            with self.server.tally.lock:
                self.server.tally.cpu += spent

    def upstream_failed(self, exc: OSError) -> None:
        with self.server.tally.lock:
            self.server.tally.failed += 1

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _dispatch


@contextmanager
def latency_proxy(upstream_port: int, latency_ms: float) -> Iterator[LatencyProxy]:
    proxy = LatencyProxy(upstream_port, latency_ms / 1000)
    with serving(proxy, "latency-proxy"):
        yield proxy


# -- the organization ---------------------------------------------------------------------------


def _session(key: str = "testing", secret: str = "testing", token: str | None = None) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name=HOME
    )


@dataclass
class Organization:
    accounts: dict[str, str]  # account id -> name, the management account first
    seconds: float
    requests: int  # what building and seeding sent through the proxy
    footprint: Counter[str]  # what was seeded, in all accounts


def build_organization(proxy: LatencyProxy, members: int, management: boto3.Session) -> Organization:
    """The organization (its management account is moto's default, 123456789012) and
    `members` member accounts, every account seeded, all through the proxy."""
    endpoint = proxy.url
    proxy.tally.reset()
    t0 = time.perf_counter()
    org = management.client("organizations", endpoint_url=endpoint)
    org.create_organization(FeatureSet="ALL")
    me = management.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    accounts = {me: "management"}
    for k in range(1, members + 1):
        name = f"member-{k:02d}"
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        accounts[status["AccountId"]] = name
    # moto's default AMIs are public images, the same in every account: one look-up a region.
    images = {
        region: management.client("ec2", region_name=region, endpoint_url=endpoint).describe_images(
            Owners=["amazon"]
        )["Images"][0]["ImageId"]
        for region in REGIONS
    }
    sts = management.client("sts", endpoint_url=endpoint)

    def seed(k: int, account: str) -> Counter[str]:
        if k == 0:
            session = _session()
        else:  # as the scan will: through the organization role (moto keeps accounts apart)
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="seed")[
                "Credentials"
            ]
            session = _session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        return seed_account(session, endpoint, account, k, images)

    footprint: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=SEED_WORKERS, thread_name_prefix="seed") as pool:
        # Iterating the results raises a seeding failure here instead of losing it.
        for seeded in pool.map(seed, range(len(accounts)), list(accounts)):
            footprint.update(seeded)
    return Organization(accounts, time.perf_counter() - t0, proxy.tally.total, footprint)


def seed_account(
    session: boto3.Session, endpoint: str, account: str, k: int, images: dict[str, str]
) -> Counter[str]:
    """Account k's footprint (see the module docstring); returns what it created."""

    def client(service: str, region: str = HOME) -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint)

    made: Counter[str] = Counter()
    bucket = f"org-bench-{account}-trail-logs"  # bucket names are global, not per account
    client("s3").create_bucket(Bucket=bucket)
    ct = client("cloudtrail")
    ct.create_trail(Name="audit", S3BucketName=bucket, IsMultiRegionTrail=k % 2 == 0)
    ct.start_logging(Name="audit")
    made.update(["S3 buckets", "trails", *(["multi-region trails"] if k % 2 == 0 else [])])

    role = client("iam").create_role(RoleName="bench-lambda", AssumeRolePolicyDocument=LAMBDA_TRUST)["Role"][
        "Arn"
    ]
    function = client("lambda").create_function(
        FunctionName="nightly-report",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": HANDLER_ZIP},
    )["FunctionArn"]
    events = client("events")
    rule = events.put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")["RuleArn"]
    events.put_targets(Rule="nightly", Targets=[{"Id": "report", "Arn": function}])
    client("lambda").add_permission(
        FunctionName="nightly-report",
        StatementId="events-nightly",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule,
    )
    made.update(["IAM roles", "Lambda functions", "EventBridge rules"])

    for n, region in enumerate([HOME] if k % 2 == 0 else REGIONS):
        client("rds", region).create_db_instance(
            DBInstanceIdentifier=f"app-db-{n}",
            Engine="postgres",
            DBInstanceClass="db.t3.medium",
            AllocatedStorage=20,
            MasterUsername="app",
            MasterUserPassword="bench-password-1",
            MultiAZ=k % 2 == 0,
        )
        client("ec2", region).run_instances(
            ImageId=images[region], InstanceType="m5.large", MinCount=1, MaxCount=1
        )
        made.update(["RDS instances", "EC2 instances"])
        if region != HOME:
            made.update([f"RDS instances in {region}", f"EC2 instances in {region}"])
    return made


LAMBDA_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def _handler_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


HANDLER_ZIP = _handler_zip()


# -- the scans ----------------------------------------------------------------------------------


def live_rules() -> list[Rule]:
    """Every built-in rule the live source can feed (all of them, today), discovered as the
    command line discovers them."""
    ruleset = engine.discover()
    if ruleset.errors:
        raise RuntimeError(f"rule discovery failed: {ruleset.errors}")
    return [r for r in ruleset.rules if not unsupported_needs(r.meta.needs)]


@dataclass
class Run:
    label: str
    max_accounts: int
    max_workers: int
    seconds: float
    cpu_scan: float  # this process but the proxy's relaying threads
    cpu_proxy: float
    cpu_moto: float | None
    outcome: ScanOutcome
    trips: int
    trips_by_service: Counter[str]
    trips_by_key: Counter[str]
    failed_trips: int

    @property
    def calls(self) -> int:
        return sum((self.outcome.api_calls or {}).values())

    @property
    def scanned(self) -> int:
        return sum(1 for t in self.outcome.targets if t.get("scanned"))

    def verdicts(self) -> list[tuple[str, str]]:
        return sorted((r.fingerprint, r.status.value) for r in self.outcome.results)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def scan(
    proxy: LatencyProxy,
    moto: Moto,
    management: boto3.Session,
    rules: list[Rule],
    label: str,
    accounts: int,
    workers: int,
) -> Run:
    options = AwsOptions(
        endpoint_url=proxy.url, regions=list(REGIONS), session=management, max_workers=workers
    )
    proxy.tally.reset()
    moto0, cpu0, t0 = moto.cpu_seconds(), _cpu(), time.perf_counter()
    outcome = scan_org(options, OrgOptions(role=ROLE, max_accounts=accounts), rules)
    seconds, cpu, moto1 = time.perf_counter() - t0, _cpu() - cpu0, moto.cpu_seconds()
    t = proxy.tally
    with t.lock:
        return Run(
            label=label,
            max_accounts=accounts,
            max_workers=workers,
            seconds=seconds,
            cpu_scan=cpu - t.cpu,
            cpu_proxy=t.cpu,
            cpu_moto=None if moto0 is None or moto1 is None else moto1 - moto0,
            outcome=outcome,
            trips=t.total,
            trips_by_service=Counter(t.services),
            trips_by_key=Counter(t.keys),
            failed_trips=t.failed,
        )


# -- the report ---------------------------------------------------------------------------------


def report(
    members: int, latency_ms: float, org: Organization, rules: list[Rule], runs: list[Run], warm: Run | None
) -> bool:
    """The table and the reasoning for one organization; True when every run judged the same."""
    accounts = len(org.accounts)
    print(
        f"== Organization: management + {members} member accounts = {accounts} accounts; "
        f"{len(REGIONS)} regions ({', '.join(REGIONS)}); {len(rules)} rules; "
        f"{latency_ms:g} ms added to every round trip =="
    )
    # Other work on the machine takes CPU from the three processes measured here.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "-"
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) after the runs")
    f = org.footprint
    print(
        f"built and seeded through the proxy in {org.seconds:.1f} s ({org.requests:,} requests, "
        f"{SEED_WORKERS} accounts at once): {f['trails']} trails ({f['multi-region trails']} multi-region) "
        f"and their S3 buckets, {f['IAM roles']} IAM roles, {f['Lambda functions']} Lambda functions each "
        f"the target of an EventBridge schedule rule ({f['EventBridge rules']}), {f['RDS instances']} RDS "
        f"instances and {f['EC2 instances']} EC2 instances ({f[f'EC2 instances in {REGIONS[1]}']} of each "
        f"in {REGIONS[1]})"
    )
    if warm is not None:
        print(
            f"warm-up scan, not measured: {warm.seconds:.1f} s, moto_server CPU "
            f"{'-' if warm.cpu_moto is None else f'{warm.cpu_moto:.1f}'} s (first requests to each account's "
            "services and regions: moto builds their backends)"
        )
    else:
        print("no warm-up scan: the first run's figures include moto building each account's backends")
    print(
        f"{'concurrency':28} {'wall s':>7} {'API calls':>9} {'calls/s':>8} {'proxy':>6} {'accounts':>8} "
        f"{'acct/min':>8} {'results':>7} {'errors':>6} {'CPU scan':>8} {'proxy':>5} {'moto':>5}"
    )
    for run in runs:
        shape = f"{run.label} ({run.max_accounts} acct x {run.max_workers} calls)"
        moto_cpu = "-" if run.cpu_moto is None else f"{run.cpu_moto:.1f}"
        print(
            f"{shape:28} {run.seconds:>7.1f} {run.calls:>9,} {run.calls / run.seconds:>8.1f} "
            f"{run.trips:>6,} {run.scanned:>8} {run.scanned * 60 / run.seconds:>8.1f} "
            f"{len(run.outcome.results):>7,} {len(run.outcome.errors):>6} {run.cpu_scan:>8.1f} {run.cpu_proxy:>5.1f} {moto_cpu:>5}"
        )
    fast, slow = runs[0], runs[-1]
    print(
        "CPU: seconds, user + system: scan = this process less the proxy's relaying threads, "
        "proxy = those threads, moto = the moto_server process"
    )
    print(
        f"speed-up, {fast.label} vs {slow.label}: {slow.seconds / fast.seconds:.1f}x "
        f"(at most {fast.max_accounts * fast.max_workers} calls in flight vs 1; {os.cpu_count()} CPUs "
        f"shared by the scan, the proxy and moto_server)"
    )
    # At concurrency 1 nothing overlaps: a call's wall time is the sum of its parts.
    per_call = slow.seconds / slow.calls * 1000
    parts = {"scan": slow.cpu_scan, "moto": slow.cpu_moto or 0.0, "proxy": slow.cpu_proxy}
    ms = {k: v / slow.calls * 1000 for k, v in parts.items()}
    rest = per_call - latency_ms - sum(ms.values())
    print(
        f"at concurrency 1 a call takes {per_call:.1f} ms: {latency_ms:g} ms injected, CPU {ms['scan']:.1f} "
        f"ms in the scan, {ms['moto']:.1f} in moto, {ms['proxy']:.1f} in the proxy; {rest:.1f} ms on no CPU "
        f"of the three (waiting for a CPU that other work on the machine holds, hand-overs between "
        f"threads and processes)"
    )
    # One process, one GIL: the scan cannot go faster than its own CPU time, whatever the
    # latency, so its CPU per account bounds accounts per minute on any number of cores.
    per_account = fast.cpu_scan / fast.scanned
    print(
        f"{fast.label}: the scan process was on a CPU {fast.cpu_scan / fast.seconds:.0%} of the wall time; "
        f"{per_account:.2f} CPU s per account bounds one scan process at {60 / per_account:.0f} accounts "
        f"per minute, whatever the latency and the concurrency"
    )
    _calls(fast, accounts)
    for run in runs:
        _trips(run)
    same = all(run.verdicts() == fast.verdicts() for run in [*runs, *([warm] if warm else [])])
    if same:
        statuses = Counter(status for _, status in fast.verdicts())
        print(
            f"results identical between the concurrencies: {len(fast.verdicts()):,} fingerprints, the "
            f"same status each ({', '.join(f'{n:,} {s}' for s, n in sorted(statuses.items()))})"
        )
    else:
        print("results DIFFER between the concurrencies (fingerprints or statuses)")
    for run in runs:
        _errors(run)
    print()
    return same


def _calls(run: Run, accounts: int) -> None:
    """Where the calls go: the organization once, then each account."""
    calls = run.outcome.api_calls or {}
    listing = calls.get("organizations:ListAccounts", 0)
    identity = calls.get("sts:GetCallerIdentity", 0)
    assume = calls.get("sts:AssumeRole", 0)
    collection = run.calls - listing - identity - assume
    print(
        f"calls: organizations:ListAccounts {listing}; sts:GetCallerIdentity {identity} (the management "
        f"account's before listing, then one per account scanned: 1 + {accounts}, the management account's "
        f"twice); sts:AssumeRole {assume} (one per member: {accounts - 1}); collection {collection:,}, "
        f"{collection / accounts:.1f} per account"
    )
    keys = sorted(run.trips_by_key.values())
    if keys:
        print(
            f"round trips per access key, {run.label} (a member's key is its assumed role's; the "
            f"management key also carries the listing and every AssumeRole): min {keys[0]}, median "
            f"{statistics.median(keys):g}, max {keys[-1]} over {len(keys)} keys"
        )


def _trips(run: Run) -> None:
    """The proxy's count against the scan's: equal unless something sent a request the
    guard does not count (a retry: the guard counts an API call once, before the first try)."""
    guard: Counter[str] = Counter()
    for op, n in (run.outcome.api_calls or {}).items():
        guard[_signing_name(op.split(":", 1)[0])] += n
    differ = [
        f"{s}: proxy {run.trips_by_service[s]}, guard {guard[s]}"
        for s in sorted(set(guard) | set(run.trips_by_service))
        if run.trips_by_service[s] != guard[s]
    ]
    extra = run.trips - run.calls
    verdict = "equal" if extra == 0 else f"{extra:+,} ({'; '.join(differ) or 'the services match'})"
    failed = f"; {run.failed_trips} could not reach moto_server" if run.failed_trips else ""
    print(f"proxy round trips vs API calls, {run.label}: {run.trips:,} vs {run.calls:,}: {verdict}{failed}")


@functools.cache
def _signing_name(service: str) -> str:
    """The service name in a request's credential scope (what the proxy sees) for a botocore
    service name (what the guard counts by): elbv2 signs as elasticloadbalancing."""
    return botocore.session.get_session().get_service_model(service).signing_name


def _errors(run: Run) -> None:
    if not run.outcome.errors:
        return
    kinds = Counter(
        (e.kind, f"{e.service}:{e.operation}" if e.service else "", e.message[:80])
        for e in run.outcome.errors
    )
    print(f"scan errors, {run.label}: {len(run.outcome.errors)}")
    for (kind, op, message), n in sorted(kinds.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {n:>4} x {kind} {op} {message}")


# -- main ---------------------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    return environment(HOME)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--accounts",
        type=int,
        action="append",
        metavar="N",
        help="member accounts besides the management account; repeatable (default: 3, then 30)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=LATENCY_MS, help="added to every round trip (default 20)"
    )
    parser.add_argument(
        "--no-warm-up",
        action="store_true",
        help="no unmeasured scan first (quicker; the first measured run then pays moto's set-up)",
    )
    args = parser.parse_args(argv)
    sizes = args.accounts or list(SIZES)
    if any(n < 1 for n in sizes) or args.latency_ms < 0:
        parser.error("--accounts must be at least 1 and --latency-ms at least 0")
    env = _environment()
    rules = live_rules()
    t0 = time.perf_counter()
    identical = True
    with mock.patch.dict(os.environ, env, clear=True), moto_server(env) as moto:
        for members in sizes:
            # A fresh emulator for each organization: one management account, one organization.
            moto.reset()
            with latency_proxy(moto.port, args.latency_ms) as proxy:
                management = _session()
                org = build_organization(proxy, members, management)
                # moto builds an account's backends for a service and region on its first
                # request there (EC2's default VPC and images, ...): seconds of moto CPU that
                # would land on whichever measured scan ran first. A scan first, not measured.
                warm = (
                    None
                    if args.no_warm_up
                    else scan(proxy, moto, management, rules, "warm-up", *CONCURRENCIES[0][1:])
                )
                runs = [scan(proxy, moto, management, rules, *shape) for shape in CONCURRENCIES]
            identical = report(members, args.latency_ms, org, rules, runs, warm) and identical
    print(f"bench runtime: {time.perf_counter() - t0:.1f} s")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
