"""VPC networking, per region (AZ008, and the subnet -> zone lookups of AZ003/AZ004):
subnets, NAT gateways and route tables, identified by their AWS ids (subnet-, nat-, rtb-)."""

from __future__ import annotations

from typing import Any

from scanner.model import NAT_GATEWAY, ROUTE_TABLE, SUBNET, Resource
from scanner.sources.aws.collectors.base import CollectContext, jsonable
from scanner.sources.aws.collectors.listing import ListCollector, Listing

# NAT gateway states listed (all but "deleted").
LIVE_NAT_STATES = ("pending", "available", "deleting", "failed")
# Association states after which a subnet no longer uses the table.
GONE = frozenset({"disassociated", "failed"})


class SubnetCollector(ListCollector):
    name = "ec2-subnets"
    listing = Listing(
        resource_type=SUBNET,
        service="ec2",
        operation="DescribeSubnets",
        result_key="Subnets",
        arn_field="SubnetId",
        name_field="SubnetId",
        properties={
            "SubnetId": "SubnetId",
            "VpcId": "VpcId",
            "AvailabilityZone": "AvailabilityZone",
            "AvailabilityZoneId": "AvailabilityZoneId",
            "CidrBlock": "CidrBlock",
        },
        observed=("SubnetArn", "State"),
        name_tag=True,
    )


class NatGatewayCollector(ListCollector):
    """NAT gateways not deleted (the API lists deleted ones for about an hour). AvailabilityMode
    is set only when the API reports it (absent: zonal, the model's default)."""

    name = "ec2-nat-gateways"
    listing = Listing(
        resource_type=NAT_GATEWAY,
        service="ec2",
        operation="DescribeNatGateways",
        result_key="NatGateways",
        arn_field="NatGatewayId",
        name_field="NatGatewayId",
        properties={
            "NatGatewayId": "NatGatewayId",
            "SubnetId": "SubnetId",
            "VpcId": "VpcId",
            "ConnectivityType": "ConnectivityType",
            "AvailabilityMode": "AvailabilityMode",
        },
        observed=("State", "AutoProvisionZones"),
        params={"Filter": [{"Name": "state", "Values": list(LIVE_NAT_STATES)}]},
        name_tag=True,
    )


class RouteTableCollector(ListCollector):
    """Route tables with their routes as the API gives them (Routes[].State "blackhole" is a
    route whose target is gone) and their current associations as [{SubnetId, Main}]
    (GatewayId for an edge association)."""

    name = "ec2-route-tables"
    listing = Listing(
        resource_type=ROUTE_TABLE,
        service="ec2",
        operation="DescribeRouteTables",
        result_key="RouteTables",
        arn_field="RouteTableId",
        name_field="RouteTableId",
        properties={"RouteTableId": "RouteTableId", "VpcId": "VpcId"},
        name_tag=True,
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        resource.properties["Routes"] = jsonable(item.get("Routes") or [])
        resource.properties["Associations"] = [
            association(a)
            for a in item.get("Associations") or []
            if (a.get("AssociationState") or {}).get("State") not in GONE
        ]
        return resource


def association(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: item[k] for k in ("SubnetId", "GatewayId") if item.get(k)}
    out["Main"] = bool(item.get("Main"))
    return out
