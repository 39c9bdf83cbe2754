from __future__ import annotations

from collections.abc import Iterator

from scanner.inventory import Inventory
from scanner.lib.values import number
from scanner.model import VOLUME, Resource, Result, Unknown, show
from scanner.rule import RuleContext, rule

# gp2's baseline is 3 IOPS per GiB (at least 100, at most 16,000) with bursts to 3,000 below
# 1 TiB; gp3 gives 3,000 at any size. Provisioning max(3,000, 3 x GiB) keeps what gp2 gave.
GP2_MAX_BASELINE = 16_000


@rule(
    id="RS005",
    name="ebs-gp2-volume",
    title="EBS volumes use gp3 rather than gp2",
    severity="low",
    family="rightsizing",
    remediation="""
        Change the volume type to gp3 (online, no detach): gp3 costs less per GiB than gp2
        and gives 3,000 IOPS and 125 MiB/s at any size. Provision IOPS of at least
        max(3000, 3 x GiB) so that a large volume keeps its gp2 baseline.
    """,
    terraform="""
        resource "aws_ebs_volume" "data" {
          size = 500
          type = "gp3"
          iops = 3000 # max(3000, 3 x 500)
        }
    """,
    cloudformation="""
        Data:
          Type: AWS::EC2::Volume
          Properties:
            Size: 500
            VolumeType: gp3
            Iops: 3000
    """,
    references=("https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html",),
    compliance={"AWS-WA": ("COST06-BP01",)},
    needs={VOLUME: ()},
)
def rs005(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A gp2 volume pays more per GiB than gp3 for the same or lower performance. A volume
    with no type is gp2: the API and CloudFormation default (Terraform leaves it to the API).
    The recommendation keeps the volume's gp2 baseline: gp3 with IOPS of at least
    max(3,000, 3 x GiB). One result per volume.
    """
    for scope in inventory.scopes:
        for volume in inventory.of_type(VOLUME, scope):
            yield _judge(ctx, volume)
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, VOLUME, "EBS volumes")


def _judge(ctx: RuleContext, volume: Resource) -> Result:
    kind = volume.get("VolumeType")
    label = f"EBS volume {volume.name}"
    evidence: dict = {"VolumeType": kind, "Size": volume.get("Size")}
    if isinstance(kind, Unknown) or (kind is not None and not isinstance(kind, str)):
        return ctx.unknown(volume, f"{label}: its type is not known ({show(kind)}).", evidence)
    if kind not in (None, "gp2"):
        return ctx.passed(volume, f"{label} is {kind}.", evidence)
    default = " (no type given: gp2 is the default)" if kind is None else ""
    size = number(volume.get("Size"))
    if isinstance(size, int):
        iops = max(3000, min(3 * size, GP2_MAX_BASELINE))
        evidence["recommendation"] = {"VolumeType": "gp3", "Iops": iops}
        advice = f"; gp3 with {iops:,} IOPS keeps its gp2 baseline"
    else:
        advice = "; provision gp3 IOPS of at least max(3,000, 3 x GiB)"
    return ctx.fail(volume, f"{label} is gp2{default}{advice}.", evidence)
