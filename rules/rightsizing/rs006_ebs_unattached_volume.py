from __future__ import annotations

from collections.abc import Iterator

from scanner.inventory import Inventory
from scanner.model import VOLUME, Result
from scanner.rule import RuleContext, rule


@rule(
    id="RS006",
    name="ebs-unattached-volume",
    title="EBS volumes are attached",
    severity="low",
    family="rightsizing",
    remediation="""
        Snapshot the volume if its data may be needed, then delete it: an unattached volume is
        billed for its full size and provisioned IOPS.
    """,
    references=("https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-volume.html",),
    compliance={"AWS-WA": ("COST02-BP06",)},
    sources=("aws",),
    needs={VOLUME: ()},
)
def rs006(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A volume in state `available` is attached to no instance and still billed. Only live
    accounts say whether a volume is attached. One result per volume.
    """
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        for volume in inventory.of_type(VOLUME, scope):
            state = volume.observed.get("State")
            label = f"EBS volume {volume.name}"
            evidence = {"State": state, "Size": volume.get("Size"), "VolumeType": volume.get("VolumeType")}
            if state == "available":
                yield ctx.fail(volume, f"{label} is attached to no instance and still billed.", evidence)
            elif state == "in-use":
                yield ctx.passed(volume, f"{label} is attached.", evidence)
            else:
                yield ctx.unknown(
                    volume,
                    f"{label} is in state {state!r}: whether it stays unattached is not known.",
                    evidence,
                )
        yield from ctx.gap_unknowns(inventory, scope, VOLUME, "EBS volumes")
