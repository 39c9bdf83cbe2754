from __future__ import annotations

from collections.abc import Iterator

from scanner.inventory import Inventory
from scanner.lib.references import named_resource
from scanner.lib.routes import default_route
from scanner.lib.zones import same_zone, subnet_zone
from scanner.model import (
    NAT_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SUBNET,
    Reference,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule


@rule(
    id="AZ008",
    name="nat-gateway-cross-az-dependency",
    title="Private subnets reach the internet through a NAT gateway in their own zone",
    severity="low",
    family="resilience",
    remediation="""
        Give each availability zone its own NAT gateway and route each private subnet to the
        one in its zone, or use a regional NAT gateway, which serves every zone of the VPC.
    """,
    terraform="""
        resource "aws_route_table" "private_b" {
          vpc_id = aws_vpc.main.id
          route {
            cidr_block     = "0.0.0.0/0"
            nat_gateway_id = aws_nat_gateway.b.id # the NAT gateway in the subnet's own zone
          }
        }
    """,
    cloudformation="""
        PrivateRouteB:
          Type: AWS::EC2::Route
          Properties:
            RouteTableId: !Ref PrivateRouteTableB
            DestinationCidrBlock: 0.0.0.0/0
            NatGatewayId: !Ref NatGatewayB
    """,
    references=(
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html",
        "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateways-regional.html",
    ),
    compliance={"AWS-WA": ("REL10-BP01",)},
    needs={SUBNET: (), NAT_GATEWAY: (), ROUTE_TABLE: (), ROUTE: (), ROUTE_TABLE_ASSOCIATION: ()},
)
def az008(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A private subnet whose default route (0.0.0.0/0) goes to a zonal NAT gateway in
    another availability zone loses its internet access when that other zone fails, and
    pays cross-zone data charges meanwhile. A regional NAT gateway serves every zone and
    passes; so does a zonal one in the subnet's own zone. Subnets whose default route goes
    elsewhere (an internet gateway, none) get no result. One result per private subnet.
    """
    for scope in inventory.scopes:
        nats = inventory.of_type(NAT_GATEWAY, scope)
        for subnet in inventory.of_type(SUBNET, scope):
            # A route reaches only NAT gateways of the subnet's own VPC (a zonal gateway in IaC
            # may name only its subnet: then it may be any VPC's).
            in_sight = any(_maybe_same_vpc(_vpc_of(inventory, scope, n), subnet.get("VpcId")) for n in nats)
            result = _judge(ctx, inventory, scope, subnet, in_sight)
            if result is not None:
                yield result
        if scope.is_live:
            for rtype, noun in (
                (SUBNET, "Subnets"),
                (NAT_GATEWAY, "NAT gateways"),
                (ROUTE_TABLE, "Route tables"),
            ):
                yield from ctx.gap_unknowns(inventory, scope, rtype, noun)


def _judge(
    ctx: RuleContext, inventory: Inventory, scope: Scope, subnet: Resource, any_nat: bool
) -> Result | None:
    label = f"Subnet {subnet.name}"
    route = default_route(inventory, scope, subnet)
    evidence: dict = {"route_table": route.table.id if route.table else None}
    if route.unknown:
        if not any_nat:
            return None  # no NAT gateway anywhere in sight: not a question for this rule
        return ctx.unknown(
            subnet, f"{label}: where its internet traffic goes is not known: {route.unknown}.", evidence
        )
    if route.route is None:
        return None
    target = route.route.get("NatGatewayId")
    gateway = route.route.get("GatewayId")
    if target is None and _names_nat(inventory, scope, gateway):
        target = gateway  # CreateRoute takes a NAT gateway id as GatewayId too, and stores a NAT route
    evidence["default_route"] = dict(route.route)
    if target is None or route.route.get("State") == "blackhole":
        # An internet gateway, a transit gateway, ...; or a route whose NAT gateway is gone
        # (the subnet has no way out at all): not a dependency on another zone.
        return None
    nat = _nat(inventory, scope, target)
    if isinstance(nat, Unknown):
        return ctx.unknown(subnet, f"{label} routes to NAT gateway {show(target)}: {nat.reason}.", evidence)
    evidence["nat_gateway"] = nat.id
    mode = nat.get("AvailabilityMode")
    if mode == "regional":
        return ctx.passed(
            subnet, f"{label} routes to regional NAT gateway {nat.name}, which serves every zone.", evidence
        )
    if isinstance(mode, Unknown | Reference):
        return ctx.unknown(
            subnet,
            f"{label}: whether NAT gateway {nat.name} is regional is not known ({show(mode)}).",
            evidence,
        )
    itself = subnet.id if scope.is_live else Reference(f"{subnet.id}.id", subnet.id, "id")
    mine = subnet_zone(inventory, scope, itself)
    theirs = subnet_zone(inventory, scope, nat.get("SubnetId"))
    evidence["subnet_zone"], evidence["nat_zone"] = mine.describe(), theirs.describe()
    same = same_zone(mine, theirs)
    if same is None:
        return ctx.unknown(
            subnet,
            f"{label} routes to zonal NAT gateway {nat.name}; whether it is in the subnet's zone is not known "
            f"({'; '.join(mine.unknown + theirs.unknown) or 'the zones cannot be compared'}).",
            evidence,
        )
    if same:
        return ctx.passed(
            subnet, f"{label} routes to NAT gateway {nat.name} in its own zone ({mine.describe()}).", evidence
        )
    return ctx.fail(
        subnet,
        f"{label} in {mine.describe()} sends its outbound traffic (0.0.0.0/0) through NAT gateway {nat.name} in "
        f"{theirs.describe()}: losing that zone cuts this subnet off.",
        evidence,
    )


def _names_nat(inventory: Inventory, scope: Scope, gateway: object) -> bool:
    if isinstance(gateway, str):
        return gateway.startswith("nat-")
    return named_resource(inventory, scope, gateway, NAT_GATEWAY) is not None


def _vpc_of(inventory: Inventory, scope: Scope, nat: Resource) -> object:
    """A NAT gateway's VPC: its own VpcId, else its subnet's (a zonal gateway in IaC
    usually names only its subnet)."""
    vpc = nat.get("VpcId")
    if vpc is not None:
        return vpc
    found = named_resource(inventory, scope, nat.get("SubnetId"), SUBNET)
    return found.get("VpcId") if found is not None else None


def _maybe_same_vpc(a: object, b: object) -> bool:
    """False only when the two VPCs are known to differ."""
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, Reference) and isinstance(b, Reference) and a.target and b.target:
        return a.target == b.target
    return True


def _nat(inventory: Inventory, scope: Scope, target: object) -> Resource | Unknown:
    if not (isinstance(target, str) or (isinstance(target, Reference) and target.target)):
        return Unknown(f"it is not known ({show(target)})")
    found = named_resource(inventory, scope, target, NAT_GATEWAY)
    if found is None:
        where = "read by this scan" if scope.is_live else "declared in the scanned files"
        return Unknown(f"it is not {where}")
    return found
