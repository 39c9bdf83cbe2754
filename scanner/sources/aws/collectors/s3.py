"""S3 buckets (ListBuckets is global and paginated; newer responses carry the region)."""

from __future__ import annotations

from typing import Any

from scanner.sources.aws.collectors.base import CollectContext
from scanner.sources.aws.collectors.listing import ListCollector, Listing

BUCKET = "AWS::S3::Bucket"


def _bucket_arn(item: dict[str, Any], ctx: CollectContext) -> str:
    return item.get("BucketArn") or f"arn:{ctx.partition}:s3:::{item['Name']}"


class S3BucketCollector(ListCollector):
    name = "s3"
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
        # Older ListBuckets responses (and emulators) omit BucketRegion: the region stays
        # unknown rather than guessed, and rules that need it say so.
        resource.region = item.get("BucketRegion") or None
        return resource
