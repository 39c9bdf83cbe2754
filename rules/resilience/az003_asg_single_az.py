from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each, spread_verdict
from scanner.inventory import Inventory
from scanner.lib.zones import Zones, subnet_zones, zones
from scanner.model import AUTOSCALING_GROUP, SUBNET, Resource, Result, Scope
from scanner.rule import RuleContext, rule


@rule(
    id="AZ003",
    name="asg-single-az",
    title="Auto Scaling groups span more than one availability zone",
    severity="medium",
    family="resilience",
    remediation="""
        Give the group subnets (or zones) in at least two availability zones, so that it
        replaces capacity in another zone when one fails.
    """,
    terraform="""
        resource "aws_autoscaling_group" "workers" {
          # ...
          vpc_zone_identifier = [aws_subnet.private_a.id, aws_subnet.private_b.id]
        }
    """,
    cloudformation="""
        Workers:
          Type: AWS::AutoScaling::AutoScalingGroup
          Properties:
            VPCZoneIdentifier: [!Ref PrivateSubnetA, !Ref PrivateSubnetB]
    """,
    references=(
        "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-benefits.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/autoscaling-controls.html#autoscaling-2",
    ),
    compliance={"AWS-FSBP": ("AutoScaling.2",), "AWS-WA": ("REL10-BP01",)},
    needs={AUTOSCALING_GROUP: (), SUBNET: ()},
)
def az003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An Auto Scaling group in one availability zone cannot replace its instances when that
    zone fails. Its zones are those it names (AvailabilityZones, AvailabilityZoneIds) and
    the zones of its subnets (VPCZoneIdentifier), each subnet resolved to its zone; a subnet
    or zone that cannot be resolved makes the verdict unknown, never a fail. One result per
    group.
    """

    def judge(group: Resource, scope: Scope) -> Result:
        found = Zones()
        named = [
            key
            for key in ("AvailabilityZones", "AvailabilityZoneIds", "VPCZoneIdentifier")
            if group.get(key) is not None
        ]
        if scope.is_live and "AvailabilityZones" in named:
            named = ["AvailabilityZones"]  # the zones the service reports are the answer
        elif "VPCZoneIdentifier" in named:
            named = ["VPCZoneIdentifier"]  # the subnets decide; zones given too must contain them
        for key in named:
            value = group.get(key)
            found = found | (
                subnet_zones(inventory, scope, value) if key == "VPCZoneIdentifier" else zones(value, key)
            )
        if not named:
            found = Zones(unknown=("the group names neither zones nor subnets",))
        evidence = {key: group.get(key) for key in named}
        return spread_verdict(ctx, group, f"Auto Scaling group {group.name}", found, evidence)

    yield from each(inventory, ctx, AUTOSCALING_GROUP, "Auto Scaling groups", judge)
