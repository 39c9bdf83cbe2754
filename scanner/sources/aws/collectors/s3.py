"""S3 buckets (ListBuckets is global and paginated; newer responses carry the region)."""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.model import BUCKET, Resource
from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

# GetBucketLocation's legacy answers: no constraint is us-east-1, "EU" is eu-west-1.
LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def _bucket_arn(item: dict[str, Any], ctx: CollectContext) -> str:
    return item.get("BucketArn") or f"arn:{ctx.partition}:s3:::{item['Name']}"


class S3BucketCollector(ListCollector):
    name = "s3"
    extra_operations = (Operation("s3", "GetBucketLocation"),)
    listing = Listing(
        resource_type=BUCKET,
        service="s3",
        operation="ListBuckets",
        result_key="Buckets",
        arn_field=None,
        make_arn=_bucket_arn,
        name_field="Name",
        properties={"Name": "BucketName"},
        observed=("CreationDate", "BucketRegion"),
        regional=False,
        iam_action="s3:ListAllMyBuckets",
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Any:
        resource = super().to_resource(ctx, item, region)
        resource.region = item.get("BucketRegion") or None
        return resource

    def detail(
        self, ctx: CollectContext, resource: Resource, item: dict[str, Any], region: str
    ) -> list[Task]:
        # Current ListBuckets responses carry BucketRegion: no extra call. Older endpoints
        # and emulators do not; then one GetBucketLocation per bucket, so that a
        # single-region trail can be credited with the buckets of its region.
        if resource.region:
            return []
        return [Task(f"s3:GetBucketLocation {resource.name}", partial(self._locate, ctx, resource, region))]

    def _locate(self, ctx: CollectContext, resource: Resource, region: str) -> None:
        try:
            got = ctx.call("s3", region, "GetBucketLocation", subject=resource.id, Bucket=resource.name)
            constraint = got.get("LocationConstraint")
            resource.region = LEGACY_LOCATIONS.get(constraint, constraint)
        except ApiFailure as failure:
            ctx.error(failure)  # the region stays unknown; rules that need it say so
        except Exception as exc:
            ctx.error(ctx.internal(f"locating bucket {resource.name}", exc, region))
        ctx.emit(resource)
