"""Where a subnet's traffic to the internet goes: its route table (an explicit association,
else its VPC's main table) and that table's default route (0.0.0.0/0), from inline routes
(live, Terraform `route` blocks) or route resources (CloudFormation, `aws_route`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.references import refers_to
from scanner.model import (
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    Reference,
    Resource,
    Scope,
    Unknown,
    show,
)

DEFAULT = "0.0.0.0/0"


@dataclass(frozen=True)
class DefaultRoute:
    """The subnet's default route: `table` it comes from, `route` (the route's fields), or
    `unknown` saying why it cannot be told. `route` None and `unknown` None: no default route."""

    table: Resource | None = None
    route: Mapping[str, Any] | None = None
    unknown: str | None = None


def route_table(inventory: Inventory, scope: Scope, subnet: Resource) -> Resource | Unknown:
    """The route table a subnet uses."""
    subnet_id = subnet.get("SubnetId") if scope.is_live else None
    if scope.is_live:
        tables = inventory.of_type(ROUTE_TABLE, scope)
        for table in tables:
            for assoc in _list(table.get("Associations")):
                if isinstance(assoc, Mapping) and assoc.get("SubnetId") == subnet_id:
                    return table
        vpc = subnet.get("VpcId")
        for table in tables:
            if table.get("VpcId") == vpc and any(
                isinstance(a, Mapping) and a.get("Main") for a in _list(table.get("Associations"))
            ):
                return table
        return Unknown(f"the route tables of VPC {show(vpc)} were not read")
    found: list[Any] = []
    for assoc in inventory.of_type(ROUTE_TABLE_ASSOCIATION, scope):
        said = refers_to(assoc.get("SubnetId"), subnet)
        if said is None:
            return Unknown(
                f"association {assoc.name} may be for subnet {subnet.name} ({show(assoc.get('SubnetId'))})"
            )
        if said:
            found.append(assoc.get("RouteTableId"))
    if not found:
        return Unknown(
            f"subnet {subnet.name} uses its VPC's main route table, which the files do not declare"
        )
    table_ref = found[0]
    table = (
        inventory.get(table_ref.target, scope)
        if isinstance(table_ref, Reference) and table_ref.target
        else None
    )
    if table is None or table.type != ROUTE_TABLE:
        return Unknown(f"route table {show(table_ref)} is not declared in the scanned files")
    return table


def default_route(inventory: Inventory, scope: Scope, subnet: Resource) -> DefaultRoute:
    table = route_table(inventory, scope, subnet)
    if isinstance(table, Unknown):
        return DefaultRoute(unknown=table.reason)
    routes = table.get("Routes")
    if isinstance(routes, Unknown | Reference):
        return DefaultRoute(table, unknown=f"the routes of {table.name} are not known ({show(routes)})")
    candidates = [r for r in _list(routes) if isinstance(r, Mapping)]
    for route in inventory.of_type(ROUTE, scope):
        said = refers_to(route.get("RouteTableId"), table, [str(table.get("RouteTableId"))])
        if said is None:
            return DefaultRoute(table, unknown=f"route {route.name} may belong to {table.name}")
        if said:
            candidates.append(route.properties)
    for route in candidates:
        cidr = route.get("DestinationCidrBlock")
        if cidr == DEFAULT:
            return DefaultRoute(table, route)
        if isinstance(cidr, Unknown | Reference):
            return DefaultRoute(
                table, unknown=f"a route of {table.name} goes to {show(cidr)}, not known here"
            )
    return DefaultRoute(table)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
