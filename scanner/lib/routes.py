"""Where a subnet's traffic to the internet goes: its route table (an explicit association,
else its VPC's main table) and that table's default route (0.0.0.0/0), from inline routes
(live, Terraform `route` blocks) or route resources (CloudFormation, `aws_route`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.references import named_resource, refers_to
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
    """The route table a subnet uses: the one explicitly associated with it, else its VPC's
    main route table (live: the association marked Main; IaC: `aws_default_route_table` or
    `aws_main_route_table_association`, mapped as such)."""
    tables = inventory.of_type(ROUTE_TABLE, scope)
    if scope.is_live:
        subnet_id = subnet.get("SubnetId")
        for table in tables:
            for assoc in _list(table.get("Associations")):
                if isinstance(assoc, Mapping) and assoc.get("SubnetId") == subnet_id:
                    return table
    else:
        found: list[Any] = []
        doubts: list[str] = []
        for assoc in inventory.of_type(ROUTE_TABLE_ASSOCIATION, scope):
            said = refers_to(assoc.get("SubnetId"), subnet)
            if said is None:
                doubts.append(
                    f"association {assoc.name} may be for subnet {subnet.name} ({show(assoc.get('SubnetId'))})"
                )
            elif said:
                found.append(assoc.get("RouteTableId"))
        # A subnet has one association: a known one settles it whatever the doubtful ones are.
        if not found and doubts:
            return Unknown("; ".join(doubts))
        if found:
            table_ref = found[0]
            table = (
                named_resource(inventory, scope, table_ref, ROUTE_TABLE)
                if isinstance(table_ref, Reference)
                else None
            )
            if table is None:
                return Unknown(f"route table {show(table_ref)} is not declared in the scanned files")
            return table
    return _main_table(tables, subnet, scope)


def _main_table(tables: list[Resource], subnet: Resource, scope: Scope) -> Resource | Unknown:
    vpc = subnet.get("VpcId")
    for table in tables:
        main = any(isinstance(a, Mapping) and a.get("Main") for a in _list(table.get("Associations")))
        if main and _same(table.get("VpcId"), vpc):
            return table
    if scope.is_live:
        return Unknown(f"the route tables of VPC {show(vpc)} were not read")
    return Unknown(f"subnet {subnet.name} uses its VPC's main route table, which the files do not declare")


def _same(a: Any, b: Any) -> bool:
    """The same VPC: equal ids, or references to the same declared VPC."""
    if isinstance(a, Reference) and isinstance(b, Reference):
        return bool(a.target) and a.target == b.target
    return isinstance(a, str) and a == b


def default_route(inventory: Inventory, scope: Scope, subnet: Resource) -> DefaultRoute:
    table = route_table(inventory, scope, subnet)
    if isinstance(table, Unknown):
        return DefaultRoute(unknown=table.reason)
    routes = table.get("Routes")
    if isinstance(routes, Unknown | Reference):
        return DefaultRoute(table, unknown=f"the routes of {table.name} are not known ({show(routes)})")
    candidates: list[Any] = list(_list(routes))
    doubts: list[str] = []
    table_id = table.get("RouteTableId")
    for route in inventory.of_type(ROUTE, scope):
        if _literal_other(route.get("DestinationCidrBlock")):
            continue  # not a default route, whichever table it belongs to
        said = refers_to(route.get("RouteTableId"), table, [table_id] if isinstance(table_id, str) else [])
        if said is None:
            doubts.append(f"route {route.name} may belong to {table.name}")
        elif said:
            candidates.append(route.properties)
    for route in candidates:
        if not isinstance(route, Mapping):
            doubts.append(f"a route of {table.name} is not known ({show(route)})")
            continue
        cidr = route.get("DestinationCidrBlock")
        if cidr == DEFAULT:
            return DefaultRoute(table, route)
        if isinstance(cidr, Unknown | Reference):
            doubts.append(f"a route of {table.name} goes to {show(cidr)}, not known here")
    if doubts:
        return DefaultRoute(table, unknown="; ".join(doubts))
    return DefaultRoute(table)


def _literal_other(cidr: Any) -> bool:
    return isinstance(cidr, str) and cidr != DEFAULT


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
