"""One scan, end to end: source -> inventory -> rules -> outcome (what reports render)."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scanner import engine
from scanner.baseline import Baseline
from scanner.checkov import deduplicate, run_checkov
from scanner.config import Config
from scanner.inventory import Inventory
from scanner.lib.metrics import DEFAULT_WINDOW, MetricWindow
from scanner.model import Resource, Result, ScanError
from scanner.progress import Progress
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.sources import discovery
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import CallGuard
from scanner.sources.aws.organization import (
    DEFAULT_ROLE,
    LIST_ACCOUNTS,
    OrgAccount,
    Shard,
    list_accounts,
    role_arn,
)
from scanner.sources.aws.session import SESSION_OPERATIONS, AccountSession, AwsOptions
from scanner.sources.aws.source import LiveCollection, SourceUnavailable, collect_account, unsupported_needs
from scanner.sources.cloudformation.template import load_template
from scanner.sources.iac import Configuration, failed_load
from scanner.sources.terraform.loader import load_terraform
from scanner.sources.terraform.plan import load_plan, plan_errors
from scanner.suppress import apply_config, apply_inline


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class LiveSettings:
    """How a live scan (one account or an organization) runs beyond what it scans: the
    metric window, the configuration's suppressions, a baseline, a progress display."""

    metric_window: MetricWindow = DEFAULT_WINDOW
    config: Config | None = None
    baseline: Baseline | None = None
    progress: Progress | None = None


def scan_aws(
    options: AwsOptions,
    rules: list[Rule],
    extra_errors: list[ScanError] | None = None,
    settings: LiveSettings = LiveSettings(),  # frozen: one shared default is safe
) -> ScanOutcome:
    """Scan one live account with the given rules; the configuration's suppressions, then
    the baseline, applied."""
    started, t0 = _now(), time.monotonic()
    errors = list(extra_errors or [])
    rules = _runnable(rules, errors)
    try:
        collected = collect_account(options, engine.needs(rules), settings.metric_window, settings.progress)
    except SourceUnavailable as exc:
        errors.append(exc.error)
        return _nothing_scanned(rules, errors, started, t0, exc.error.message)
    results, rule_errors = engine.evaluate(rules, collected.inventory)
    used = _suppress(results, collected.inventory, settings.config, started.date())
    baselined = settings.baseline.apply(results) if settings.baseline else None
    errors.extend(collected.errors)
    errors.extend(rule_errors)
    scope = collected.inventory.scopes[0]
    finished = _now()
    fatal = None
    if collected.total_calls and _nothing_read(collected.api_calls, errors):
        fatal = "every API call of the scan failed; nothing could be scanned"
        errors.append(ScanError(kind="config", message=fatal))  # the document says why, too
    return ScanOutcome(
        mode="aws",
        targets=[{"kind": "aws-account", "account_id": scope.account_id, "regions": list(scope.regions)}],
        rules=[r.meta for r in rules],
        results=results,
        errors=sorted(errors, key=ScanError.sort_key),
        resources=len(collected.inventory),
        started_at=_iso(started),
        finished_at=_iso(finished),
        duration_s=round(time.monotonic() - t0, 3),
        api_calls=collected.api_calls,
        fatal=fatal,
        run_by=_run_by(collected.principal),
        cwd_from_repository_root=discovery.StableKeys(Path.cwd()).cwd_from_root(),
        suppressions=used,
        baseline=baselined,
    )


def _runnable(rules: list[Rule], errors: list[ScanError]) -> list[Rule]:
    """The rules the live source can feed; the others are said not to run."""
    runnable = []
    for r in rules:
        missing = unsupported_needs(r.meta.needs)
        if missing:  # it would judge an empty world: say so instead of running it
            errors.append(
                ScanError(
                    kind="config",
                    message=f"rule {r.id} not run: the live AWS source does not collect {', '.join(missing)}",
                )
            )
        else:
            runnable.append(r)
    return runnable


@dataclass(frozen=True)
class OrgOptions:
    """`--org`: which accounts, entered how, and how many at once."""

    role: str = DEFAULT_ROLE
    external_id: str | None = None
    accounts: tuple[str, ...] = ()  # --accounts: only these (each must be in the organization)
    shard: Shard | None = None
    max_accounts: int = 4  # accounts scanned at once; each runs options.max_workers calls at once


def scan_org(
    options: AwsOptions,
    org: OrgOptions,
    rules: list[Rule],
    extra_errors: list[ScanError] | None = None,
    settings: LiveSettings = LiveSettings(),  # frozen: one shared default is safe
) -> ScanOutcome:
    """Scan every active account of the organization (as narrowed) into one outcome. An
    account that cannot be entered or read is in the targets as not scanned, with the reason
    and a scan error; the others complete."""
    started, t0 = _now(), time.monotonic()
    errors = list(extra_errors or [])
    rules = _runnable(rules, errors)
    needs = engine.needs(rules)
    guard = CallGuard([*SESSION_OPERATIONS, LIST_ACCOUNTS])
    try:
        management = AccountSession(options, guard)
        accounts = list_accounts(management)
    except ApiFailure as failure:
        errors.append(failure.error)
        fatal = f"the organization's accounts could not be listed: {failure.error.message}"
        return _nothing_scanned(rules, errors, started, t0, fatal, guard.snapshot())
    targets, chosen = _org_scope(accounts, org)
    progress = settings.progress
    window = settings.metric_window.at(settings.metric_window.bounds()[1])  # one window for every account
    if progress is not None:
        progress.accounts(len(chosen))
        progress.count_calls(lambda: guard.total)

    def collect(account: OrgAccount) -> tuple[OrgAccount, LiveCollection | ScanError]:
        role = (
            None
            if account.id == management.account_id
            else role_arn(management.partition, account.id, org.role)
        )
        member = replace(
            options,
            session=management.session,
            profile=None,
            role_arn=role,
            external_id=org.external_id if role else None,
        )
        try:
            return account, collect_account(member, needs, window, progress)
        except SourceUnavailable as exc:
            error = replace(exc.error, account_id=exc.error.account_id or account.id)
            if progress is not None:
                progress.error(error)
            return account, error
        finally:
            if progress is not None:
                progress.account_done()

    results: list[Result] = []
    calls: Counter[str] = Counter(guard.snapshot())
    inventories: list[Inventory] = []
    with ThreadPoolExecutor(max_workers=max(1, org.max_accounts), thread_name_prefix="account") as pool:
        for account, got in pool.map(collect, chosen):
            if isinstance(got, ScanError):
                errors.append(got)
                targets.append(
                    _target(account.id, account.name, reason=f"could not be entered: {got.message}")
                )
                continue
            scope = got.inventory.scopes[0]
            found, rule_errors = engine.evaluate(rules, got.inventory)
            results.extend(found)
            errors.extend(got.errors + rule_errors)
            calls.update(got.api_calls)
            inventories.append(got.inventory)
            targets.append(_target(account.id, account.name, regions=list(scope.regions)))
    results.sort(key=Result.sort_key)
    used = _suppress(results, [r for inv in inventories for r in inv], settings.config, started.date())
    baselined = settings.baseline.apply(results) if settings.baseline else None
    scanned = [t for t in targets if t.get("scanned")]
    fatal = None
    if not scanned:
        fatal = "no account of the organization could be scanned"
        errors.append(ScanError(kind="config", message=fatal))
    return ScanOutcome(
        mode="aws",
        targets=sorted(targets, key=lambda t: t["account_id"]),
        rules=[r.meta for r in rules],
        results=results,
        errors=sorted(errors, key=ScanError.sort_key),
        resources=sum(len(inv) for inv in inventories),
        started_at=_iso(started),
        finished_at=_iso(_now()),
        duration_s=round(time.monotonic() - t0, 3),
        api_calls=dict(sorted(calls.items())),
        fatal=fatal,
        run_by=_run_by(management.caller_arn),
        cwd_from_repository_root=discovery.StableKeys(Path.cwd()).cwd_from_root(),
        suppressions=used,
        baseline=baselined,
    )


def _org_scope(accounts: list[OrgAccount], org: OrgOptions) -> tuple[list[dict[str, Any]], list[OrgAccount]]:
    """Targets of the accounts not scanned (and why), and the accounts to scan."""
    targets: list[dict[str, Any]] = []
    known = {a.id for a in accounts}
    for wanted in org.accounts:
        if wanted not in known:
            targets.append(_target(wanted, None, reason="not an account of the organization"))
    chosen = []
    for a in accounts:
        if (org.accounts and a.id not in org.accounts) or (org.shard and not org.shard.owns(a.id)):
            continue
        if not a.active:
            targets.append(
                _target(a.id, a.name, reason=f"the account is {a.status.lower().replace('_', ' ')}")
            )
        else:
            chosen.append(a)
    return targets, chosen


def _target(
    account_id: str, name: str | None, *, regions: list[str] | None = None, reason: str | None = None
) -> dict[str, Any]:
    target: dict[str, Any] = {"kind": "aws-account", "account_id": account_id, "regions": regions or []}
    if name:
        target["name"] = name
    target["scanned"] = reason is None
    if reason:
        target["reason"] = reason
    return target


def _nothing_scanned(
    rules: list[Rule],
    errors: list[ScanError],
    started: dt.datetime,
    t0: float,
    fatal: str,
    api_calls: dict[str, int] | None = None,
) -> ScanOutcome:
    return ScanOutcome(
        mode="aws",
        targets=[],
        rules=[r.meta for r in rules],
        results=[],
        errors=errors,
        resources=0,
        started_at=_iso(started),
        finished_at=_iso(_now()),
        duration_s=round(time.monotonic() - t0, 3),
        api_calls=api_calls or {},
        fatal=fatal,
        run_by=_run_by(),
    )


def _suppress(
    results: list[Result], resources: Iterable[Resource], config: Config | None, today: dt.date
) -> list[dict[str, Any]]:
    """The configuration's suppressions on the results; what each one did."""
    if config is None or not config.suppressions:
        return []
    tags = {(r.type, r.id, None if r.origin.source == "aws" else r.scope): r.tags for r in resources}

    def tags_of(result: Result) -> dict[str, str] | None:
        return tags.get((result.resource.type, result.resource.id, result.configuration))

    uses = apply_config(results, config.suppressions, tags_of, today)
    return [u.to_dict(today, config.path) for u in uses]


def _nothing_read(calls: dict[str, int], errors: list[ScanError]) -> bool:
    """True when every call beyond the identity check failed."""
    collection_calls = sum(n for op, n in calls.items() if not op.startswith("sts:"))
    api_errors = sum(1 for e in errors if e.kind == "api")
    return collection_calls > 0 and api_errors >= collection_calls


def _guarded(
    load: Callable[..., Configuration], source: str, path: Path, rel: str, *args: Any
) -> Configuration:
    try:
        return load(path, rel, *args)
    except Exception as exc:  # a loader bug costs this configuration, said out loud, not the scan
        return failed_load(rel, source, exc)


def _run_by(principal: str | None = None) -> dict[str, str]:
    who: dict[str, str] = {}
    # No user name in this environment (a bare container): not known, not an error.
    with contextlib.suppress(Exception):
        who["user"] = getpass.getuser()
    if principal:
        who["aws_principal"] = principal
    return who


def _stable_keys(results: list[Result], stable: discovery.StableKeys) -> None:
    """Fingerprint keys from the git work tree root; two configurations whose keys collide
    (the tops of two repositories scanned together) keep their reported paths instead."""
    keys = {c: stable.key(c) for c in {r.configuration for r in results} if c is not None}
    owners = Counter(keys.values())
    for result in results:
        if result.configuration is not None:
            key = keys[result.configuration]
            result.configuration_key = key if owners[key] == 1 else result.configuration


def scan_iac(
    paths: list[Path],
    rules: list[Rule],
    cwd: Path,
    extra_errors: list[ScanError] | None = None,
    var_files: list[Path] | None = None,
    checkov: bool = False,
    config: Config | None = None,
    baseline: Baseline | None = None,
) -> ScanOutcome:
    """Scan IaC files and directories: every configuration found is one scope."""
    started, t0 = _now(), time.monotonic()
    found = discovery.discover(paths, cwd)
    errors = list(extra_errors or []) + found.errors
    inventory = Inventory()
    configurations = [
        _guarded(load_template, "CloudFormation", path, discovery.relative(path, cwd), parsed)
        for path, parsed in found.templates
    ]
    configurations += load_terraform(found.terraform_dirs, cwd, discovery.relative, var_files or ())
    for path, plan in found.plans:
        rel = discovery.relative(path, cwd)
        errors.extend(plan_errors(rel, plan))
        configurations.append(_guarded(load_plan, "Terraform plan", path, rel, plan, cwd, discovery.relative))
    for loaded in configurations:
        errors.extend(loaded.errors)
        if not loaded.scanned:
            continue
        inventory.scopes.append(loaded.scope)
        inventory.extend(loaded.resources)
        inventory.suppressions.extend(loaded.suppressions)
    results, rule_errors = engine.evaluate(rules, inventory)
    errors.extend(rule_errors)
    metas = [r.meta for r in rules]
    if checkov and inventory.scopes:
        extra = run_checkov(paths, cwd, discovery.relative)
        results = engine.dedupe(results + deduplicate(extra.results, results), errors)
        metas += extra.rules
        errors.extend(extra.errors)
    errors.extend(apply_inline(results, inventory.suppressions, started.date()))
    used = _suppress(results, inventory, config, started.date())
    stable = discovery.StableKeys(cwd)
    _stable_keys(results, stable)
    baselined = baseline.apply(results) if baseline else None  # by fingerprint: after the keys
    fatal = None
    if not inventory.scopes:
        where = ", ".join(str(p) for p in paths)
        fatal = f"no Terraform, Terraform plan or CloudFormation template could be scanned under {where}"
        errors.append(ScanError(kind="config", message=fatal))  # the document says why, too
    return ScanOutcome(
        mode="iac",
        targets=[{"kind": "path", "path": discovery.relative(p, cwd)} for p in paths],
        rules=metas,
        results=results,
        errors=sorted(set(errors), key=ScanError.sort_key),
        resources=len(inventory),
        started_at=_iso(started),
        finished_at=_iso(_now()),
        duration_s=round(time.monotonic() - t0, 3),
        fatal=fatal,
        run_by=_run_by(),
        cwd_from_repository_root=stable.cwd_from_root(),
        suppressions=used,
        baseline=baselined,
    )
