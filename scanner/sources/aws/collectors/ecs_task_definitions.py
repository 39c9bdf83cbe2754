"""ECS task definitions: those an EventBridge ECS target runs (EcsParameters.TaskDefinitionArn:
the task and execution roles they name, which the target's role must be allowed to pass to
ECS), and, when a rule reads containers (facet "containers", IMG003), the latest ACTIVE
revision of every family of the scanned regions.

Both are one read, `read_task_definition`, keyed by the ARN it is asked for and claimed once
per scan (`CollectContext.claim`): a target that names a family without revision means its
latest ACTIVE revision, which is exactly what the listing reads for that family, under the
same ARN; whichever gets there first reads it, the other finds it claimed. A target that pins
a revision (`family:3`) gets a read of its own, under that ARN (a pinned revision stays what
it is when the family moves on); IMG003 judges each revision read once.

The listing: ListTaskDefinitionFamilies(status=ACTIVE) (100 families a page), then one
DescribeTaskDefinition per family (by family name: its latest ACTIVE revision; the API has no
batch read). ListTaskDefinitions would list every ACTIVE revision, many more pages for the
same families. Reads of the targets' definitions: once per scan, only in the scanned account
and regions (see follow_up.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from scanner.lib.arn import parse_arn
from scanner.lib.images import cloudformation_containers
from scanner.model import ECS_TASK_DEFINITION, Resource
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.collectors.follow_up import (
    NOT_READ,
    failed,
    note_not_read,
    present,
    read_and_emit,
    unreadable,
    value_or_drop,
)
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

OPERATIONS = (Operation("ecs", "DescribeTaskDefinition"),)
LIST_FAMILIES = Operation("ecs", "ListTaskDefinitionFamilies")
FAMILIES_PAGE_SIZE = 100  # ListTaskDefinitionFamilies' largest page


def family_arn(partition: str, region: str, account: str, family: str) -> str:
    """The ARN of a family without revision: its latest ACTIVE revision, where ECS takes it."""
    return f"arn:{partition}:ecs:{region}:{account}:task-definition/{family}"


def task_definition_reads(ctx: CollectContext, owner: Resource, arn: str) -> list[Task]:
    """The read of one task definition a target names (an ARN, with or without revision)."""
    if not ctx.wants(ECS_TASK_DEFINITION):
        return []
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "ecs" or not parsed.resource.startswith("task-definition/"):
        return []
    reason = unreadable(ctx, parsed.account, parsed.region)
    if reason:
        note_not_read(owner, arn, reason)
        return []
    if not ctx.claim(("ecs-task-definition", arn)):
        return []
    return [Task(f"ecs:DescribeTaskDefinition {arn}", partial(read_task_definition, ctx, arn, parsed.region))]


def read_task_definition(ctx: CollectContext, arn: str, region: str, listed: bool = False) -> list[Task]:
    """Read one task definition, kept under the ARN it is asked for (a family without
    revision means its latest ACTIVE revision, which is what RunTask starts and what
    DescribeTaskDefinition returns). `listed`: found by the family listing, asked for by
    family name."""
    family = arn.split("task-definition/", 1)[1].split(":", 1)[0]
    definition = ctx.resource(
        type=ECS_TASK_DEFINITION,
        id=arn,
        name=family,
        properties={
            "Family": family,
            "TaskRoleArn": NOT_READ,
            "ExecutionRoleArn": NOT_READ,
            "ContainerDefinitions": NOT_READ,
        },
        exists=NOT_READ,
        region=region,
        origin=ctx.origin("ecs", "DescribeTaskDefinition"),
    )

    def fill() -> None:
        try:
            # The listing asks by family name, the documented way to name the latest ACTIVE
            # revision; a target's ARN is asked for as the target writes it.
            ask = family if listed else arn
            got = ctx.call("ecs", region, "DescribeTaskDefinition", subject=arn, taskDefinition=ask)
        except ApiFailure as failure:
            # ECS answers a missing definition with a generic ClientException, which other
            # failures share: not read, never taken for absent.
            failed([definition], ctx.error(failure))
            return
        task = got.get("taskDefinition") or {}
        present(definition)
        value_or_drop(definition, "TaskRoleArn", task.get("taskRoleArn"))
        value_or_drop(definition, "ExecutionRoleArn", task.get("executionRoleArn"))
        definition.properties["ContainerDefinitions"] = cloudformation_containers(
            jsonable(task.get("containerDefinitions") or [])
        )
        definition.observed["TaskDefinitionArn"] = task.get("taskDefinitionArn")
        definition.observed["Status"] = task.get("status")
        definition.raw = jsonable(task)

    return read_and_emit(ctx, f"reading task definition {arn}", region, [definition], fill)


class TaskDefinitionCollector(Collector):
    """The latest ACTIVE revision of every task definition family (IMG003), when a rule reads
    containers; a rule that reads only the definitions targets name (EB007) lists nothing."""

    name = "ecs-task-definitions"
    resource_types = (ECS_TASK_DEFINITION,)
    operations = (LIST_FAMILIES, *OPERATIONS)
    facets = {ECS_TASK_DEFINITION: frozenset({"containers"})}

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        if not ctx.wants(ECS_TASK_DEFINITION, "containers"):
            return []
        return [
            Task(
                f"ecs:ListTaskDefinitionFamilies in {region}",
                partial(self._families, ctx, region),
                gap=(ECS_TASK_DEFINITION, region),
            )
            for region in ctx.regions
        ]

    def _families(self, ctx: CollectContext, region: str) -> list[Task]:
        try:
            families = ctx.paginate(
                "ecs",
                region,
                "ListTaskDefinitionFamilies",
                "families",
                status="ACTIVE",
                maxResults=FAMILIES_PAGE_SIZE,
            )
        except ApiFailure as failure:
            ctx.gap(ECS_TASK_DEFINITION, region, failure)
            return []
        tasks: list[Task] = []
        for family in sorted({f for f in families if isinstance(f, str) and f}):
            arn = family_arn(ctx.partition, region, ctx.account_id, family)
            if ctx.claim(("ecs-task-definition", arn)):
                tasks.append(
                    Task(
                        f"ecs:DescribeTaskDefinition {arn}",
                        partial(read_task_definition, ctx, arn, region, True),
                    )
                )
        return tasks
