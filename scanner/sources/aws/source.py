"""The live AWS source: one account, every selected collector over every region."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from scanner.inventory import Inventory
from scanner.lib.arn import partition_of_region
from scanner.model import CollectionGap, ScanError, Scope
from scanner.progress import Progress
from scanner.sources.aws import metrics
from scanner.sources.aws.collectors import COLLECTORS, collectors_for
from scanner.sources.aws.collectors.base import CollectContext, Sink
from scanner.sources.aws.errors import ApiFailure, to_scan_error
from scanner.sources.aws.guard import CallGuard, Operation, ReadOnlyViolation
from scanner.sources.aws.runner import Task, run_tasks
from scanner.sources.aws.session import SESSION_OPERATIONS, AccountSession, AwsOptions

REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
DESCRIBE_REGIONS = Operation("ec2", "DescribeRegions", "ec2:DescribeRegions")
ENABLED = ("opt-in-not-required", "opted-in")


class SourceUnavailable(Exception):
    """Nothing can be scanned (no credentials, role cannot be assumed): exit code 2."""

    def __init__(self, error: ScanError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class LiveCollection:
    inventory: Inventory
    errors: list[ScanError]
    api_calls: dict[str, int]
    principal: str | None = None  # the caller's ARN: who ran the scan, for the report

    @property
    def total_calls(self) -> int:
        return sum(self.api_calls.values())


def invalid_regions(regions: list[str]) -> list[str]:
    return [r for r in regions if not REGION_NAME.match(r)]


def unsupported_needs(needs: Mapping[str, frozenset[str]]) -> list[str]:
    """What a rule asks for that no live collector provides, when it matters: a rule whose
    types are all uncollectable would judge an empty world; a rule may also name types
    that exist only in IaC (an endpoint configuration) beside ones the live source reads."""
    problems = []
    collectable = [t for t in needs if any(t in c.resource_types for c in COLLECTORS)]
    if needs and not collectable:
        problems.extend(f"resource type {t}" for t in sorted(needs))
    for rtype in sorted(collectable):
        providers = [c for c in COLLECTORS if rtype in c.resource_types]
        known = frozenset().union(*(c.facets.get(rtype, frozenset()) for c in providers))
        known |= metrics.metric_facets(rtype)  # read by the metrics phase, not by a collector
        problems.extend(f"{rtype} facet {f!r}" for f in sorted(needs[rtype] - known))
    return problems


def required_operations(needs: Mapping[str, frozenset[str]]) -> list[Operation]:
    """Every operation a scan with these needs may call (the read-only allow-list)."""
    ops = [*SESSION_OPERATIONS, DESCRIBE_REGIONS]
    for collector in collectors_for(set(needs)):
        ops.extend(collector.operations)
    ops.extend(metrics.operations(needs))
    return ops


def collect_account(
    options: AwsOptions,
    needs: Mapping[str, frozenset[str]],
    metric_window: metrics.MetricWindow = metrics.DEFAULT_WINDOW,
    progress: Progress | None = None,
) -> LiveCollection:
    needs = metrics.with_prerequisites(needs)
    guard = CallGuard(required_operations(needs))
    if progress is not None:
        progress.count_calls(lambda: guard.total)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        session = AccountSession(options, guard)
    except ApiFailure as failure:
        raise SourceUnavailable(failure.error) from failure

    sink = Sink(listener=progress.error if progress is not None else None)
    if options.regions:
        regions, all_regions = sorted(set(options.regions)), False
    else:
        regions, all_regions = _enabled_regions(session, sink)
    if progress is not None:
        progress.add_regions(len(regions))
    ctx = CollectContext(session, sink, regions, needs)
    tasks: list[Task] = []
    for collector in collectors_for(set(needs)):
        tasks.extend(collector.tasks(ctx))

    def crashed(task: Task, exc: BaseException) -> None:
        error = ScanError(
            kind="internal",
            message=f"{task.label} stopped inside opscheck: {type(exc).__name__}: {exc} (please report it)",
            account_id=session.account_id,
            region=task.gap[1] if task.gap else None,
        )
        if task.gap:  # what it would have listed is unseen: rules answer unknown, not fail
            sink.gap(CollectionGap(task.gap[0], session.account_id, error, task.gap[1]))
        else:
            sink.error(error)

    run_tasks(tasks, options.max_workers, crashed, progress)
    sink.join_parts()
    # Second phase, once every resource is known: CloudWatch metrics in batches per region.
    run_tasks(
        metrics.metric_tasks(ctx, list(sink.resources), metric_window), options.max_workers, crashed, progress
    )

    scope = Scope(
        kind="aws-account",
        id=session.account_id,
        account_id=session.account_id,
        partition=session.partition,
        regions=tuple(regions),
        collected_at=started.isoformat().replace("+00:00", "Z"),
        all_regions=all_regions,
    )
    inventory = Inventory(scopes=[scope], gaps=list(sink.gaps))
    inventory.extend(sorted(sink.resources, key=lambda r: (r.type, r.id)))
    return LiveCollection(
        inventory=inventory,
        errors=sorted(sink.errors, key=ScanError.sort_key),
        api_calls=guard.snapshot(),
        principal=session.caller_arn,
    )


def _enabled_regions(session: AccountSession, sink: Sink) -> tuple[list[str], bool]:
    """The account's enabled regions, and whether that list is complete."""
    region = session.default_region
    try:
        got = session.client("ec2", region).describe_regions()
    except ReadOnlyViolation:
        raise
    except Exception as exc:
        failure = to_scan_error(
            exc, service="ec2", operation="DescribeRegions", region=region, account_id=session.account_id
        )
        note = f"; scanning only {region} (pass --region to choose the regions)"
        sink.error(replace(failure.error, message=failure.error.message + note))
        return [region], False
    # Emulators may list every partition's regions; an account lives in one partition.
    regions = [
        r["RegionName"]
        for r in got.get("Regions", [])
        if r.get("OptInStatus", ENABLED[0]) in ENABLED
        and partition_of_region(r["RegionName"]) == session.partition
    ]
    if not regions:
        sink.error(
            ScanError(
                kind="api",
                message=f"ec2:DescribeRegions listed no enabled region of partition {session.partition}; "
                f"scanning only {region}",
                account_id=session.account_id,
                region=region,
                service="ec2",
                operation="DescribeRegions",
            )
        )
        return [region], False
    return sorted(regions), True
