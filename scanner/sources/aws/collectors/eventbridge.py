"""EventBridge: event buses (with their policies), rules and their targets, and what each
target's delivery depends on.

Per region, ListEventBuses (no boto3 paginator: NextToken by hand); per bus DescribeEventBus
(Policy, KMS key, dead-letter queue) when a rule reads buses, and ListRules(EventBusName) when a
rule reads rules (ListRules without a bus name lists the default bus only); per rule
ListTargetsByRule, the targets kept in CloudFormation's target shape (the API's own names).

Then, for what the targets name (Arn, RoleArn, DeadLetterConfig.Arn) and the rule's RoleArn,
the follow-up reads of resource_policies.py and iam_roles.py, each resource once per scan. They
run only for the resource types the selected rules read (a rule asks for
`AWS::Lambda::ResourcePolicy`, `AWS::SQS::Queue`, `AWS::IAM::Role`, ... in its `needs`), and
what they emit is partial by design: only the topics, queues, roles, ... that targets name, so
these types are not declared as collected here (a rule needing every queue would be misled).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from scanner.lib.arn import parse_arn
from scanner.model import EVENT_BUS, EVENT_RULE
from scanner.sources.aws.collectors import ecs_task_definitions, iam_roles, resource_policies
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable, parse_document
from scanner.sources.aws.collectors.follow_up import NOT_READ, failed, read_and_emit
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# ListRules field -> CloudFormation property (EventPattern is parsed, like a policy).
RULE_PROPERTIES = ("Name", "EventBusName", "State", "Description", "RoleArn", "ScheduleExpression")
RULE_OBSERVED = ("ManagedBy", "CreatedBy")
BUS_OBSERVED = ("Description", "CreationTime", "LastModifiedTime", "LogConfig")


class EventBridgeCollector(Collector):
    name = "eventbridge"
    resource_types = (EVENT_BUS, EVENT_RULE)
    operations = (
        Operation("events", "ListEventBuses"),
        Operation("events", "DescribeEventBus"),
        Operation("events", "ListRules"),
        Operation("events", "ListTargetsByRule"),
        *resource_policies.OPERATIONS,
        *iam_roles.OPERATIONS,
        *ecs_task_definitions.OPERATIONS,
    )

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        primary = EVENT_RULE if ctx.wants(EVENT_RULE) else EVENT_BUS
        return [
            Task(
                f"events:ListEventBuses in {region}", partial(self._buses, ctx, region), gap=(primary, region)
            )
            for region in ctx.regions
        ]

    # -- buses ---------------------------------------------------------------------------------

    def _buses(self, ctx: CollectContext, region: str) -> list[Task]:
        unseen = [t for t in (EVENT_BUS, EVENT_RULE) if ctx.wants(t)]
        try:
            buses = self._list_buses(ctx, region)
        except ApiFailure as failure:
            ctx.gap(unseen[0], region, failure, *unseen[1:])
            return []
        except Exception as exc:  # a bug of ours: the region counts as unlisted
            ctx.gap(
                unseen[0], region, ctx.internal(f"listing event buses in {region}", exc, region), *unseen[1:]
            )
            return []
        tasks: list[Task] = []
        for bus in buses:
            name = bus.get("Name")
            if not name:
                continue
            if ctx.wants(EVENT_BUS):
                tasks.append(
                    Task(f"events:DescribeEventBus {name} in {region}", partial(self._bus, ctx, region, bus))
                )
            if ctx.wants(EVENT_RULE):
                tasks.append(
                    Task(
                        f"events:ListRules {name} in {region}",
                        partial(self._rules, ctx, region, name),
                        gap=(EVENT_RULE, region),
                    )
                )
        return tasks

    def _list_buses(self, ctx: CollectContext, region: str) -> list[dict[str, Any]]:
        buses: list[dict[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            got = ctx.call("events", region, "ListEventBuses", **({"NextToken": token} if token else {}))
            buses.extend(got.get("EventBuses") or [])
            token = got.get("NextToken")
            if not token or token in seen:  # a repeated token would loop forever
                return buses
            seen.add(token)

    def _bus(self, ctx: CollectContext, region: str, bus: dict[str, Any]) -> list[Task]:
        name = bus["Name"]
        arn = bus.get("Arn") or f"arn:{ctx.partition}:events:{region}:{ctx.account_id}:event-bus/{name}"
        resource = ctx.resource(
            type=EVENT_BUS,
            id=arn,
            name=name,
            properties={
                "Name": name,
                "Policy": NOT_READ,
                "KmsKeyIdentifier": NOT_READ,
                "DeadLetterConfig": NOT_READ,
            },
            region=region,
            origin=ctx.origin("events", "DescribeEventBus"),
            raw=jsonable(bus),
        )
        emitted = [resource]

        def fill() -> None:
            try:
                got = ctx.call("events", region, "DescribeEventBus", subject=arn, Name=name)
            except ApiFailure as failure:
                if failure.not_found:  # deleted since it was listed
                    emitted.clear()
                else:
                    failed(emitted, ctx.error(failure))
                return
            props = resource.properties
            # No Policy: nobody else may put events; no key: an AWS owned key; no DLQ: none.
            for key in ("Policy", "KmsKeyIdentifier", "DeadLetterConfig"):
                value = got.get(key)
                if value:
                    props[key] = parse_document(value) if key == "Policy" else jsonable(value)
                else:
                    props.pop(key)
            resource.observed.update(jsonable({k: got[k] for k in BUS_OBSERVED if k in got}))
            resource.raw = jsonable(got)

        return read_and_emit(ctx, f"describing event bus {arn}", region, emitted, fill)

    # -- rules and targets ---------------------------------------------------------------------

    def _rules(self, ctx: CollectContext, region: str, bus: str) -> list[Task]:
        try:
            rules = ctx.paginate(
                "events", region, "ListRules", "Rules", subject=f"bus {bus}", EventBusName=bus
            )
        except ApiFailure as failure:
            ctx.gap(EVENT_RULE, region, failure)
            return []
        return [
            Task(
                f"events:ListTargetsByRule {item.get('Arn') or item.get('Name')}",
                partial(self._rule, ctx, region, bus, item),
            )
            for item in rules
            if item.get("Name")
        ]

    def _rule(self, ctx: CollectContext, region: str, bus: str, item: dict[str, Any]) -> list[Task]:
        name = item["Name"]
        # Custom-bus rules are rule/BUS/RULE; the default bus's rule/RULE.
        path = name if bus == "default" else f"{bus}/{name}"
        arn = item.get("Arn") or f"arn:{ctx.partition}:events:{region}:{ctx.account_id}:rule/{path}"
        props: dict[str, Any] = {key: item[key] for key in RULE_PROPERTIES if item.get(key) is not None}
        props.setdefault("EventBusName", bus)
        if item.get("EventPattern") is not None:
            props["EventPattern"] = parse_document(item["EventPattern"])
        props["Targets"] = NOT_READ
        parsed = parse_arn(arn)
        resource = ctx.resource(
            type=EVENT_RULE,
            id=arn,
            name=name,
            properties=props,
            observed=jsonable({k: item[k] for k in RULE_OBSERVED if k in item}),
            region=(parsed.region if parsed else None) or region,
            origin=ctx.origin("events", "ListRules"),
            raw=jsonable(item),
        )

        def fill() -> list[Task]:
            tasks = []
            if props.get("RoleArn"):
                tasks += iam_roles.role_reads(ctx, resource, props["RoleArn"])
            try:
                targets = ctx.paginate(
                    "events",
                    region,
                    "ListTargetsByRule",
                    "Targets",
                    subject=arn,
                    Rule=name,
                    EventBusName=bus,
                )
            except ApiFailure as failure:
                failed([resource], ctx.error(failure))
                return tasks
            props["Targets"] = jsonable(targets)
            return tasks + self._target_reads(ctx, resource, targets)

        return read_and_emit(ctx, f"reading targets of {arn}", region, [resource], fill)

    def _target_reads(self, ctx: CollectContext, rule: Any, targets: list[dict[str, Any]]) -> list[Task]:
        tasks: list[Task] = []
        for target in targets:
            for arn in (target.get("Arn"), (target.get("DeadLetterConfig") or {}).get("Arn")):
                if isinstance(arn, str) and arn:
                    tasks += resource_policies.target_reads(ctx, rule, arn)
            if isinstance(target.get("RoleArn"), str) and target["RoleArn"]:
                tasks += iam_roles.role_reads(ctx, rule, target["RoleArn"])
            task = (target.get("EcsParameters") or {}).get("TaskDefinitionArn")
            if isinstance(task, str) and task:
                tasks += ecs_task_definitions.task_definition_reads(ctx, rule, task)
        return tasks
