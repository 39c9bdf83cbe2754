"""EC2 instances, per region, and the facts of the instance types they run (RS001, RS008,
RS009).

DescribeInstances (1,000 a page, terminated instances left out) gives one `AWS::EC2::Instance`
per instance, identified by its ARN. The API has no launch-template field on an instance: EC2
tags an instance launched from a template with `aws:ec2launchtemplate:id` and
`aws:ec2launchtemplate:version`, which become `LaunchTemplate {LaunchTemplateId, Version}`.

When a selected rule reads instance types, the distinct types of the region's instances are
then described in one DescribeInstanceTypes call per region (100 types a call, paginated):
one `opscheck::EC2::InstanceType` each, id `REGION/TYPE`, its properties the API's
`InstanceTypeInfo` as given (VCpuInfo, MemoryInfo, GpuInfo, CurrentGeneration, ...). A call
that fails is a gap for instance types in that region only: rules then fall back to the
shipped table or answer unknown. RDS classes and SageMaker `ml.*` types are not EC2 types
and are never asked for here.

Launch templates (ec2_images.py) are listed by the same collector, in a task of their own per
region: the instance types asked for are those of the region's instances and templates, and
the AMIs they use are described (facet "image", IMG001) once both listings are done.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from scanner.model import INSTANCE, INSTANCE_TYPE, LAUNCH_TEMPLATE, Resource
from scanner.sources.aws.collectors import ec2_images
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.collectors.listing import _name_tag
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

DESCRIBE_INSTANCES = Operation("ec2", "DescribeInstances")
DESCRIBE_INSTANCE_TYPES = Operation("ec2", "DescribeInstanceTypes")
# Every state but "terminated" (AWS lists terminated instances for about an hour).
LIVE_STATES = ("pending", "running", "shutting-down", "stopping", "stopped")
TYPES_PER_CALL = 100  # DescribeInstanceTypes' limit on InstanceTypes
# DescribeInstances' largest page (MaxResults), the one AWS's pagination guidance uses (an
# unpaginated call may be throttled or time out); unasked, moto pages by 100 reservations.
PAGE_SIZE = 1000
TEMPLATE_ID_TAG = "aws:ec2launchtemplate:id"
TEMPLATE_VERSION_TAG = "aws:ec2launchtemplate:version"


def instance_arn(partition: str, region: str, account: str, instance_id: str) -> str:
    return f"arn:{partition}:ec2:{region}:{account}:instance/{instance_id}"


def launch_template(tags: Any) -> dict[str, str] | None:
    """{LaunchTemplateId, Version} from the tags EC2 puts on an instance launched from a
    launch template; None when it was not."""
    found: dict[str, str] = {}
    for tag in tags or []:
        if not isinstance(tag, Mapping) or not isinstance(tag.get("Value"), str):
            continue
        if tag.get("Key") == TEMPLATE_ID_TAG:
            found["LaunchTemplateId"] = tag["Value"]
        elif tag.get("Key") == TEMPLATE_VERSION_TAG:
            found["Version"] = tag["Value"]
    return found if "LaunchTemplateId" in found else None


def chunked(items: list[str], size: int = TYPES_PER_CALL) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class InstanceCollector(Collector):
    name = "ec2-instances"
    resource_types = (INSTANCE, INSTANCE_TYPE, LAUNCH_TEMPLATE)
    operations = (
        DESCRIBE_INSTANCES,
        DESCRIBE_INSTANCE_TYPES,
        ec2_images.DESCRIBE_LAUNCH_TEMPLATE_VERSIONS,
        ec2_images.DESCRIBE_IMAGES,
    )
    # "image": describe the AMIs the instances (launch templates) use.
    facets = {INSTANCE: frozenset({"image"}), LAUNCH_TEMPLATE: frozenset({"image"})}

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        primary = self._unseen(ctx)[0]
        instances = ctx.wants(INSTANCE) or ctx.wants(INSTANCE_TYPE)
        templates = ctx.wants(LAUNCH_TEMPLATE)
        tasks: list[Task] = []
        for region in ctx.regions:
            join = ec2_images.RegionJoin(int(instances) + int(templates), partial(self._finish, ctx, region))
            if instances:
                tasks.append(
                    Task(
                        f"ec2:DescribeInstances in {region}",
                        partial(self._instances, ctx, region, join),
                        gap=(primary, region),
                    )
                )
            if templates:
                tasks.append(
                    Task(
                        f"ec2:DescribeLaunchTemplateVersions in {region}",
                        partial(ec2_images.list_launch_templates, ctx, region, join),
                        gap=(LAUNCH_TEMPLATE, region),
                    )
                )
        return tasks

    def _finish(self, ctx: CollectContext, region: str, types: set[str], images: set[str]) -> list[Task]:
        """Once the region's instances and templates are listed: their types' facts (when a
        rule reads them) and the AMIs they use (when a rule reads those)."""
        tasks = ec2_images.image_reads(ctx, region, images)
        if types and ctx.wants(INSTANCE_TYPE):
            tasks.append(
                Task(
                    f"ec2:DescribeInstanceTypes in {region}",
                    partial(self._types, ctx, region, sorted(types)),
                    gap=(INSTANCE_TYPE, region),
                )
            )
        return tasks

    @staticmethod
    def _unseen(ctx: CollectContext) -> list[str]:
        """What a failed DescribeInstances leaves unseen: the wanted of the two types (the
        instances are listed only when one of them is wanted)."""
        wanted = [t for t in (INSTANCE, INSTANCE_TYPE) if ctx.wants(t)]
        return wanted or [INSTANCE]

    def _instances(self, ctx: CollectContext, region: str, join: ec2_images.RegionJoin) -> list[Task]:
        unseen = self._unseen(ctx)
        try:
            reservations = ctx.paginate(
                "ec2",
                region,
                "DescribeInstances",
                "Reservations",
                Filters=[{"Name": "instance-state-name", "Values": list(LIVE_STATES)}],
                MaxResults=PAGE_SIZE,
            )
        except ApiFailure as failure:
            ctx.gap(unseen[0], region, failure, *unseen[1:])
            return join.done()
        except Exception as exc:  # a bug of ours: the region counts as unlisted
            failure = ctx.internal(f"ec2:DescribeInstances in {region}", exc, region)
            ctx.gap(unseen[0], region, failure, *unseen[1:])
            return join.done()
        types: set[str] = set()
        images: set[str] = set()
        for reservation in reservations:
            for item in reservation.get("Instances") or []:
                if not isinstance(item, Mapping) or not item.get("InstanceId"):
                    continue
                if (item.get("State") or {}).get("Name") == "terminated":
                    continue
                if isinstance(item.get("InstanceType"), str) and item["InstanceType"]:
                    types.add(item["InstanceType"])
                if isinstance(item.get("ImageId"), str) and item["ImageId"]:
                    images.add(item["ImageId"])
                if ctx.wants(INSTANCE):
                    ctx.emit(self.to_resource(ctx, item, region))
        return join.done(types, images if ctx.wants(INSTANCE, "image") else ())

    def to_resource(self, ctx: CollectContext, item: Mapping[str, Any], region: str) -> Resource:
        instance_id = str(item["InstanceId"])
        arn = instance_arn(ctx.partition, region, ctx.account_id, instance_id)
        properties: dict[str, Any] = {"InstanceId": instance_id}
        if item.get("InstanceType"):
            properties["InstanceType"] = item["InstanceType"]
        if item.get("ImageId"):
            properties["ImageId"] = item["ImageId"]
        template = launch_template(item.get("Tags"))
        if template is not None:
            properties["LaunchTemplate"] = template
        observed: dict[str, Any] = {}
        state = (item.get("State") or {}).get("Name")
        if state:
            observed["State"] = state
        if item.get("LaunchTime") is not None:
            observed["LaunchTime"] = jsonable(item["LaunchTime"])
        return ctx.resource(
            type=INSTANCE,
            id=arn,
            name=_name_tag(item) or instance_id,
            properties=properties,
            observed=observed,
            region=region,
            origin=ctx.origin("ec2", "DescribeInstances"),
            raw=jsonable(item),
        )

    def _types(self, ctx: CollectContext, region: str, types: list[str]) -> None:
        """Describe the region's instance types; a failure is a gap for instance types there
        (what earlier calls answered is kept)."""
        for chunk in chunked(types, TYPES_PER_CALL):
            try:
                infos = ctx.paginate(
                    "ec2",
                    region,
                    "DescribeInstanceTypes",
                    "InstanceTypes",
                    subject=f"{len(chunk)} instance types",
                    InstanceTypes=chunk,
                )
            except ApiFailure as failure:
                ctx.gap(INSTANCE_TYPE, region, failure)
                return
            for info in infos:
                name = info.get("InstanceType") if isinstance(info, Mapping) else None
                if isinstance(name, str) and name:
                    ctx.emit(
                        ctx.resource(
                            type=INSTANCE_TYPE,
                            id=f"{region}/{name}",
                            name=name,
                            properties=jsonable(info),
                            region=region,
                            origin=ctx.origin("ec2", "DescribeInstanceTypes"),
                        )
                    )
