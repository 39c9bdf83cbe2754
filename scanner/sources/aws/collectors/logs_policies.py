"""CloudWatch Logs resource policies for log-group targets: the region's account-level
policies (one listing per region, however many log-group targets it has) and each target log
group's own policy (policyScope RESOURCE). Follow-up reads (see follow_up.py).

A target's log group is emitted as a part (`CollectContext.emit_part`): when a rule also
lists every log group (log_groups.py, MON003), the listed group and the policy read join
into one resource, each read made once.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.lib.arn import Arn
from scanner.model import LOG_GROUP, LOGS_POLICY, ScanError
from scanner.sources.aws.collectors.base import CollectContext, jsonable, parse_document
from scanner.sources.aws.collectors.follow_up import NOT_READ, failed, read_and_emit
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

OPERATIONS = (Operation("logs", "DescribeResourcePolicies"),)


def log_group_reads(ctx: CollectContext, arn: Arn) -> list[Task]:
    name = arn.resource[len("log-group:") :]
    if name.endswith(":*"):
        name = name[:-2]
    if not name:
        return []
    tasks: list[Task] = []
    if ctx.wants(LOGS_POLICY) and ctx.claim(("logs-account-policies", arn.region)):
        tasks.append(
            Task(
                f"logs:DescribeResourcePolicies in {arn.region}",
                partial(read_account_log_policies, ctx, arn.region),
            )
        )
    group_arn = f"arn:{arn.partition}:logs:{arn.region}:{arn.account}:log-group:{name}"
    if ctx.wants(LOG_GROUP) and ctx.claim(("logs-group", group_arn)):
        tasks.append(
            Task(
                f"logs:DescribeResourcePolicies {group_arn}",
                partial(read_log_group, ctx, arn.region, group_arn, name),
            )
        )
    return tasks


def read_account_log_policies(ctx: CollectContext, region: str) -> None:
    """The region's account-level logs resource policies (one listing, however many
    log-group targets the region has)."""
    try:
        items = ctx.paginate("logs", region, "DescribeResourcePolicies", "resourcePolicies")
    except ApiFailure as failure:
        ctx.gap(LOGS_POLICY, region, failure)
        return
    except Exception as exc:
        ctx.gap(LOGS_POLICY, region, ctx.internal(f"listing logs resource policies in {region}", exc, region))
        return
    for item in items:
        name = item.get("policyName")
        # Log-group-scoped policies are read per group; an account policy always has a name.
        if not name or item.get("resourceArn") or item.get("policyScope") == "RESOURCE":
            continue
        ctx.emit(
            ctx.resource(
                type=LOGS_POLICY,
                id=f"{ctx.account_id}:{region}:logs-resource-policy/{name}",
                name=name,
                properties={"PolicyName": name, "PolicyDocument": parse_document(item.get("policyDocument"))},
                region=region,
                origin=ctx.origin("logs", "DescribeResourcePolicies"),
                raw=jsonable(item),
            )
        )


def read_log_group(ctx: CollectContext, region: str, group_arn: str, name: str) -> list[Task]:
    """The log group's own resource policy (policyScope RESOURCE) as ResourcePolicyDocument;
    None when it has none. Only the policy is read, not the group."""
    group = ctx.resource(
        type=LOG_GROUP,
        id=group_arn,
        name=name,
        properties={"LogGroupName": name, "ResourcePolicyDocument": NOT_READ},
        region=region,
        origin=ctx.origin("logs", "DescribeResourcePolicies"),
    )

    def fill() -> None:
        try:
            items = ctx.paginate(
                "logs",
                region,
                "DescribeResourcePolicies",
                "resourcePolicies",
                subject=group_arn,
                policyScope="RESOURCE",
                resourceArn=group_arn,
            )
        except ApiFailure as failure:
            if failure.not_found:
                group.properties["ResourcePolicyDocument"] = None
                group.observed["NotFound"] = failure.error.message
            else:
                failed([group], ctx.error(failure))
            return
        mine = [i for i in items if _same_group(i.get("resourceArn"), group_arn)]
        if mine:
            group.properties["ResourcePolicyDocument"] = parse_document(mine[0].get("policyDocument"))
            group.observed["RevisionId"] = mine[0].get("revisionId")
            group.raw = jsonable(mine[0])
            return
        if any(not i.get("resourceArn") and i.get("policyScope") != "RESOURCE" for i in items):
            # The endpoint ignored the log-group scope and answered with account policies
            # (older endpoints, emulators): the group's own policy is not known.
            failed([group], ctx.error(_unscoped(ctx, region, group_arn)))
            return
        group.properties["ResourcePolicyDocument"] = None

    # A part: when MON003 lists the region's log groups, the listing brings the rest of it.
    return read_and_emit(ctx, f"reading the resource policy of {group_arn}", region, [group], fill, part=True)


def _same_group(value: Any, group_arn: str) -> bool:
    return isinstance(value, str) and value.removesuffix(":*") == group_arn


def _unscoped(ctx: CollectContext, region: str, group_arn: str) -> ApiFailure:
    message = (
        f"logs:DescribeResourcePolicies for {group_arn} in {region} answered a log-group-scoped "
        "query (policyScope RESOURCE) with account-level policies: this endpoint does not support "
        "log-group resource policies, so the log group's own policy is unknown"
    )
    error = ScanError(
        kind="api",
        message=message,
        account_id=ctx.account_id,
        region=region,
        service="logs",
        operation="DescribeResourcePolicies",
        code="UnscopedResponse",
    )
    return ApiFailure(error, error.code)
