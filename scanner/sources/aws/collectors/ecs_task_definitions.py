"""ECS task definitions an EventBridge ECS target runs (EcsParameters.TaskDefinitionArn): the
task and execution roles they name, which the target's role must be allowed to pass to ECS.
A follow-up read (see follow_up.py): once per scan, only in the scanned account and regions.
"""

from __future__ import annotations

from functools import partial

from scanner.lib.arn import parse_arn
from scanner.model import ECS_TASK_DEFINITION, Resource
from scanner.sources.aws.collectors.base import CollectContext, jsonable
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


def read_task_definition(ctx: CollectContext, arn: str, region: str) -> list[Task]:
    # Keyed by the ARN as the target names it (a family without revision means its latest
    # ACTIVE revision, which is what RunTask starts and what DescribeTaskDefinition returns).
    family = arn.split("task-definition/", 1)[1].split(":", 1)[0]
    definition = ctx.resource(
        type=ECS_TASK_DEFINITION,
        id=arn,
        name=family,
        properties={"Family": family, "TaskRoleArn": NOT_READ, "ExecutionRoleArn": NOT_READ},
        exists=NOT_READ,
        region=region,
        origin=ctx.origin("ecs", "DescribeTaskDefinition"),
    )

    def fill() -> None:
        try:
            got = ctx.call("ecs", region, "DescribeTaskDefinition", subject=arn, taskDefinition=arn)
        except ApiFailure as failure:
            # ECS answers a missing definition with a generic ClientException: not read, not absent.
            failed([definition], ctx.error(failure))
            return
        task = got.get("taskDefinition") or {}
        present(definition)
        value_or_drop(definition, "TaskRoleArn", task.get("taskRoleArn"))
        value_or_drop(definition, "ExecutionRoleArn", task.get("executionRoleArn"))
        definition.observed["TaskDefinitionArn"] = task.get("taskDefinitionArn")
        definition.raw = jsonable(task)

    return read_and_emit(ctx, f"reading task definition {arn}", region, [definition], fill)
