"""Launch templates, the AMIs in use and the account's Allowed AMIs setting (IMG001; launch
templates also for RS008, RS009).

Launch templates: one DescribeLaunchTemplateVersions per region, without a template id and
with Versions ["$Default", "$Latest"], lists the default and latest version of every template
(200 a page); ResolveAlias makes EC2 answer the AMI id a `resolve:ssm:` ImageId stands for.
One `AWS::EC2::LaunchTemplate` per template, id its ARN, LaunchTemplateData the default
version's (what a launch that names no version uses); the latest version's data is kept in
observed LatestLaunchTemplateData when it is another version.

Images: once the region's instances and launch templates are listed (a join: both listings
report what they found, the last one schedules the reads), the distinct AMI ids they use are
described with DescribeImages, 200 ids a call, filtered by `image-id` rather than passed as
ImageIds: an ImageIds request fails as a whole when one AMI is gone (deregistered, no longer
shared), a filter answers the others. Deprecated and disabled AMIs are asked for too. One
`AWS::EC2::Image` per AMI described; an AMI in use that is not answered is simply absent
(IMG001 says it could not be described).

Allowed AMIs: one GetAllowedImagesSettings per region, `AWS::EC2::AllowedImagesSettings`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from scanner.lib.images import image_arn
from scanner.model import ALLOWED_IMAGES_SETTINGS, IMAGE, LAUNCH_TEMPLATE, Resource
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

DESCRIBE_LAUNCH_TEMPLATE_VERSIONS = Operation("ec2", "DescribeLaunchTemplateVersions")
DESCRIBE_IMAGES = Operation("ec2", "DescribeImages")
GET_ALLOWED_IMAGES_SETTINGS = Operation("ec2", "GetAllowedImagesSettings")
TEMPLATE_PAGE_SIZE = 200  # DescribeLaunchTemplateVersions' largest page
# Values of one filter in a DescribeImages request: a conservative batch (EC2 documents no
# maximum for image-id values; 200 is the limit other EC2 filters have).
IMAGES_PER_CALL = 200
IMAGE_PAGE_SIZE = 1000  # DescribeImages' largest page


class RegionJoin:
    """What a region's listings (instances, launch templates) found; the last one to report
    gets the follow-up reads that need all of it (instance types, images)."""

    def __init__(self, listings: int, finish: Callable[[set[str], set[str]], list[Task]]) -> None:
        self._pending = listings
        self._types: set[str] = set()
        self._images: set[str] = set()
        self._finish = finish
        self._lock = threading.Lock()

    def done(self, types: Iterable[str] = (), images: Iterable[str] = ()) -> list[Task]:
        with self._lock:
            self._types.update(types)
            self._images.update(images)
            self._pending -= 1
            last = self._pending == 0
        return self._finish(set(self._types), set(self._images)) if last else []


def template_arn(partition: str, region: str, account: str, template_id: str) -> str:
    return f"arn:{partition}:ec2:{region}:{account}:launch-template/{template_id}"


def list_launch_templates(ctx: CollectContext, region: str, join: RegionJoin) -> list[Task]:
    """Every launch template of the region with its default (and latest) version."""
    types: set[str] = set()
    images: set[str] = set()
    try:
        versions = ctx.paginate(
            "ec2",
            region,
            "DescribeLaunchTemplateVersions",
            "LaunchTemplateVersions",
            Versions=["$Default", "$Latest"],
            ResolveAlias=True,
            MaxResults=TEMPLATE_PAGE_SIZE,
        )
    except ApiFailure as failure:
        ctx.gap(LAUNCH_TEMPLATE, region, failure)
        return join.done()
    except Exception as exc:  # a bug of ours: the region's templates count as unlisted
        ctx.gap(
            LAUNCH_TEMPLATE,
            region,
            ctx.internal(f"ec2:DescribeLaunchTemplateVersions in {region}", exc, region),
        )
        return join.done()
    by_template: dict[str, list[Mapping[str, Any]]] = {}
    for item in versions:
        if isinstance(item, Mapping) and item.get("LaunchTemplateId"):
            by_template.setdefault(str(item["LaunchTemplateId"]), []).append(item)
    for template_id, items in sorted(by_template.items()):
        resource = to_launch_template(ctx, region, template_id, items)
        for data in (resource.get("LaunchTemplateData"), resource.observed.get("LatestLaunchTemplateData")):
            if isinstance(data, Mapping):
                if isinstance(data.get("InstanceType"), str) and data["InstanceType"]:
                    types.add(data["InstanceType"])
                if isinstance(data.get("ImageId"), str) and data["ImageId"].startswith("ami-"):
                    images.add(data["ImageId"])
        ctx.emit(resource)
    return join.done(types, images if ctx.wants(LAUNCH_TEMPLATE, "image") else ())


def to_launch_template(
    ctx: CollectContext, region: str, template_id: str, items: list[Mapping[str, Any]]
) -> Resource:
    # The answer may hold one version twice (it is both the default and the latest).
    default = next((i for i in items if i.get("DefaultVersion")), items[0])
    latest = max(items, key=lambda i: int(i.get("VersionNumber") or 0))
    name = str(default.get("LaunchTemplateName") or template_id)
    observed: dict[str, Any] = {
        "DefaultVersionNumber": default.get("VersionNumber"),
        "LatestVersionNumber": latest.get("VersionNumber"),
    }
    if latest.get("VersionNumber") != default.get("VersionNumber"):
        observed["LatestLaunchTemplateData"] = jsonable(latest.get("LaunchTemplateData") or {})
    return ctx.resource(
        type=LAUNCH_TEMPLATE,
        id=template_arn(ctx.partition, region, ctx.account_id, template_id),
        name=name,
        properties={
            "LaunchTemplateName": name,
            "LaunchTemplateData": jsonable(default.get("LaunchTemplateData") or {}),
        },
        observed=observed,
        region=region,
        origin=ctx.origin("ec2", "DescribeLaunchTemplateVersions"),
        raw=jsonable(list(items)),
    )


def image_reads(ctx: CollectContext, region: str, images: set[str]) -> list[Task]:
    if not images:
        return []
    return [
        Task(
            f"ec2:DescribeImages in {region}",
            partial(describe_images, ctx, region, sorted(images)),
            gap=(IMAGE, region),
        )
    ]


def describe_images(ctx: CollectContext, region: str, images: list[str]) -> None:
    """The AMIs in use in the region; a failed call is a gap for images there (IMG001 then
    answers unknown for what they would have decided)."""
    for start in range(0, len(images), IMAGES_PER_CALL):
        chunk = images[start : start + IMAGES_PER_CALL]
        try:
            found = ctx.paginate(
                "ec2",
                region,
                "DescribeImages",
                "Images",
                subject=f"{len(chunk)} images",
                Filters=[{"Name": "image-id", "Values": chunk}],
                IncludeDeprecated=True,
                IncludeDisabled=True,
                MaxResults=IMAGE_PAGE_SIZE,
            )
        except ApiFailure as failure:
            ctx.gap(IMAGE, region, failure)
            return
        for item in found:
            ami = item.get("ImageId") if isinstance(item, Mapping) else None
            if isinstance(ami, str) and ami:
                ctx.emit(
                    ctx.resource(
                        type=IMAGE,
                        id=image_arn(ctx.partition, region, ami),
                        name=ami,
                        properties=jsonable(item),
                        region=region,
                        # The owner's account, not the scanned one (a public or shared AMI).
                        account_id=str(item.get("OwnerId") or "") or None,
                        origin=ctx.origin("ec2", "DescribeImages"),
                    )
                )


class AllowedImagesCollector(Collector):
    """The Allowed AMIs setting of every region (IMG001)."""

    name = "ec2-allowed-images"
    resource_types = (ALLOWED_IMAGES_SETTINGS,)
    operations = (GET_ALLOWED_IMAGES_SETTINGS,)

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        return [
            Task(
                f"ec2:GetAllowedImagesSettings in {region}",
                partial(self._read, ctx, region),
                gap=(ALLOWED_IMAGES_SETTINGS, region),
            )
            for region in ctx.regions
        ]

    def _read(self, ctx: CollectContext, region: str) -> None:
        try:
            got = ctx.call("ec2", region, "GetAllowedImagesSettings")
        except ApiFailure as failure:
            ctx.gap(ALLOWED_IMAGES_SETTINGS, region, failure)
            return
        ctx.emit(
            ctx.resource(
                type=ALLOWED_IMAGES_SETTINGS,
                id=f"{ctx.account_id}:{region}:allowed-images-settings",
                name=f"Allowed AMIs ({region})",
                properties={k: v for k, v in jsonable(got).items() if v is not None},
                region=region,
                origin=ctx.origin("ec2", "GetAllowedImagesSettings"),
            )
        )
