from __future__ import annotations

from collections.abc import Iterator, Mapping

from rules.resilience.common import each, spread_verdict
from scanner.inventory import Inventory
from scanner.lib.zones import Zones, subnet_zones, zones
from scanner.model import (
    CLASSIC_LOAD_BALANCER,
    LOAD_BALANCER,
    SUBNET,
    Resource,
    Result,
    Scope,
)
from scanner.rule import RuleContext, rule


@rule(
    id="AZ004",
    name="elb-single-az",
    title="Load balancers span more than one availability zone",
    severity="medium",
    family="resilience",
    remediation="""
        Attach the load balancer to subnets in at least two availability zones (application
        load balancers require it; network, gateway and classic load balancers accept one).
    """,
    terraform="""
        resource "aws_lb" "api" {
          load_balancer_type = "network"
          subnets            = [aws_subnet.public_a.id, aws_subnet.public_b.id]
        }
    """,
    cloudformation="""
        Api:
          Type: AWS::ElasticLoadBalancingV2::LoadBalancer
          Properties:
            Type: network
            Subnets: [!Ref PublicSubnetA, !Ref PublicSubnetB]
    """,
    references=(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#availability-zones",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/elb-controls.html#elb-13",
    ),
    compliance={"AWS-FSBP": ("ELB.10", "ELB.13"), "AWS-WA": ("REL10-BP01",)},
    needs={LOAD_BALANCER: (), CLASSIC_LOAD_BALANCER: (), SUBNET: ()},
)
def az004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A load balancer in one availability zone stops serving when that zone fails. Its zones
    are those the service reports (live) or those of the subnets it is attached to
    (Subnets, SubnetMappings; a classic load balancer may name AvailabilityZones). Network,
    gateway and classic load balancers accept a single zone; application load balancers
    require two, so a single-zone one is rare. One result per load balancer.
    """

    def judge(lb: Resource, scope: Scope) -> Result:
        kind = "classic" if lb.type == CLASSIC_LOAD_BALANCER else lb.get("Type") or "application"
        label = f"{kind.capitalize() if isinstance(kind, str) else 'The'} load balancer {lb.name}"
        evidence = {key: lb.get(key) for key in ("Type", "AvailabilityZones", "Subnets", "SubnetMappings")}
        found, said = Zones(), False
        named = lb.get("AvailabilityZones")
        if named is not None:
            found, said = zones(named, "zones"), True
        # Live, the zones the service reports are the answer; IaC adds the subnets' zones.
        if not (scope.is_live and named is not None):
            for key in ("Subnets", "SubnetMappings"):
                value = lb.get(key)
                if value is None:
                    continue
                if isinstance(value, list):
                    value = [v.get("SubnetId") if isinstance(v, Mapping) else v for v in value]
                found, said = found | subnet_zones(inventory, scope, value, key), True
        if not said:
            found = Zones(unknown=("it names neither subnets nor zones",))
        return spread_verdict(ctx, lb, label, found, evidence)

    yield from each(inventory, ctx, LOAD_BALANCER, "Load balancers", judge)
    yield from each(inventory, ctx, CLASSIC_LOAD_BALANCER, "Classic load balancers", judge)
