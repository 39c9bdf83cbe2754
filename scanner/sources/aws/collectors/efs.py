"""EFS file systems, per region (AZ007). AvailabilityZoneName is set only for One Zone storage."""

from __future__ import annotations

from scanner.model import FILE_SYSTEM
from scanner.sources.aws.collectors.listing import ListCollector, Listing


class FileSystemCollector(ListCollector):
    name = "efs"
    listing = Listing(
        resource_type=FILE_SYSTEM,
        service="efs",
        operation="DescribeFileSystems",
        result_key="FileSystems",
        arn_field="FileSystemArn",
        name_field="FileSystemId",
        properties={"AvailabilityZoneName": "AvailabilityZoneName"},
        observed=("AvailabilityZoneId",),
        iam_action="elasticfilesystem:DescribeFileSystems",
        name_tag=True,
    )
