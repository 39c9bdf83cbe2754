"""EBS volumes, per region (RS004, RS005, RS006).

DescribeVolumes (paginated) gives one `AWS::EC2::Volume` per volume, identified by its ARN
(the API's VolumeArn when it gives one, else built from the id): VolumeType, Size (GiB),
Iops and Throughput as the API reports them (AWS reports a gp2 volume's baseline IOPS;
Throughput only for gp3), and, observed, State (`available`: attached to nothing), the
Attachments as [{InstanceId, State}] and CreateTime.
"""

from __future__ import annotations

from typing import Any

from scanner.model import VOLUME, Resource
from scanner.sources.aws.collectors.base import CollectContext, jsonable
from scanner.sources.aws.collectors.listing import ListCollector, Listing


def volume_arn(item: dict[str, Any], ctx: CollectContext, region: str) -> str:
    given = item.get("VolumeArn")
    if isinstance(given, str) and given.startswith("arn:"):
        return given
    return f"arn:{ctx.partition}:ec2:{region}:{ctx.account_id}:volume/{item.get('VolumeId')}"


class VolumeCollector(ListCollector):
    name = "ec2-volumes"
    listing = Listing(
        resource_type=VOLUME,
        service="ec2",
        operation="DescribeVolumes",
        result_key="Volumes",
        arn_field="VolumeArn",  # filled in by `to_resource` when the API leaves it out
        name_field="VolumeId",
        properties={
            "VolumeId": "VolumeId",
            "VolumeType": "VolumeType",
            "Size": "Size",
            "Iops": "Iops",
            "Throughput": "Throughput",
        },
        observed=("State", "CreateTime"),
        name_tag=True,
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        arn = volume_arn(item, ctx, region)
        resource = super().to_resource(ctx, {**item, "VolumeArn": arn}, region)
        resource.raw = jsonable(item)
        resource.observed["Attachments"] = [
            {k: a[k] for k in ("InstanceId", "State") if a.get(k) is not None}
            for a in item.get("Attachments") or []
            if isinstance(a, dict)
        ]
        return resource
