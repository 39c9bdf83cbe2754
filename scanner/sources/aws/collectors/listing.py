"""Declarative collectors: one list call per region (or once, for global services),
each item mapped onto a canonical resource. Special cases subclass and add reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from scanner.lib.arn import parse_arn
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task


@dataclass(frozen=True)
class Listing:
    resource_type: str
    service: str
    operation: str
    result_key: str
    arn_field: str | None  # item field holding the ARN; None: built by `make_arn`
    name_field: str
    properties: Mapping[str, str]  # item field -> CloudFormation property
    observed: tuple[str, ...] = ()
    regional: bool = True
    make_arn: Callable[[dict[str, Any], CollectContext], str] | None = None
    params: Mapping[str, Any] | None = None
    iam_action: str | None = None
    # Resources known by an opaque id (subnet-0a1b..., fs-12ab...): their Name tag, when set,
    # is what messages call them (the id stays the resource's id).
    name_tag: bool = False


class ListCollector(Collector):
    listing: ClassVar[Listing]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "listing" in cls.__dict__:
            lst = cls.listing
            cls.resource_types = (lst.resource_type,)
            extra = tuple(getattr(cls, "extra_operations", ()))
            cls.operations = (Operation(lst.service, lst.operation, lst.iam_action), *extra)

    def regions_for(self, ctx: CollectContext) -> list[str]:
        return ctx.regions if self.listing.regional else [ctx.session.global_region]

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        lst = self.listing
        return [
            Task(
                f"{lst.service}:{lst.operation} in {region}",
                partial(self._list, ctx, region),
                gap=(lst.resource_type, region if lst.regional else None),
            )
            for region in self.regions_for(ctx)
        ]

    def _list(self, ctx: CollectContext, region: str) -> Iterable[Task] | None:
        lst = self.listing
        try:
            items = ctx.paginate(lst.service, region, lst.operation, lst.result_key, **(lst.params or {}))
        except ApiFailure as failure:
            ctx.gap(lst.resource_type, region if lst.regional else None, failure)
            return None
        except Exception as exc:  # a bug of ours: nothing of this type is known here
            where = region if lst.regional else None
            ctx.gap(
                lst.resource_type,
                where,
                ctx.internal(f"{lst.service}:{lst.operation} in {region}", exc, where),
            )
            return None
        follow_ups: list[Task] = []
        listed: list[Any] = []
        for item in items:
            resource = self.to_resource(ctx, item, region)
            tasks = self.detail(ctx, resource, item, region)
            if tasks:
                follow_ups.extend(tasks)
            else:
                listed.append(resource)
        region_tasks = self.region_detail(ctx, listed, region) if listed else []
        if region_tasks:
            follow_ups.extend(region_tasks)
        else:
            for resource in listed:
                ctx.emit(resource)
        return follow_ups

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Any:
        lst = self.listing
        arn = item.get(lst.arn_field) if lst.arn_field else lst.make_arn(item, ctx)  # type: ignore[misc]
        parsed = parse_arn(arn or "")
        return ctx.resource(
            type=lst.resource_type,
            id=arn,
            name=(lst.name_tag and _name_tag(item)) or str(item.get(lst.name_field, arn)),
            properties={cfn: item[api] for api, cfn in lst.properties.items() if item.get(api) is not None},
            observed=jsonable({k: item[k] for k in lst.observed if k in item}),
            region=(parsed.region or None) if parsed else (region if lst.regional else None),
            origin=ctx.origin(lst.service, lst.operation),
            raw=jsonable(item),
        )

    def detail(self, ctx: CollectContext, resource: Any, item: dict[str, Any], region: str) -> list[Task]:
        """Per-item reads, as follow-up tasks that emit the resource themselves."""
        return []

    def region_detail(self, ctx: CollectContext, resources: list[Any], region: str) -> list[Task]:
        """One read for all the region's listed resources that `detail` left alone, as
        follow-up tasks that emit them themselves; none: they are emitted as listed."""
        return []


def _name_tag(item: Mapping[str, Any]) -> str | None:
    """The Name tag of a listed item (EC2's `Tags`; EFS also copies it into `Name`)."""
    for tag in item.get("Tags") or []:
        if isinstance(tag, Mapping) and tag.get("Key") == "Name" and tag.get("Value"):
            return str(tag["Value"])
    name = item.get("Name")
    return str(name) if isinstance(name, str) and name else None
