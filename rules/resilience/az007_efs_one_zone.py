from __future__ import annotations

from collections.abc import Iterator

from rules.resilience.common import each
from scanner.inventory import Inventory
from scanner.lib.zones import zone as zone_of
from scanner.model import FILE_SYSTEM, Reference, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="AZ007",
    name="efs-one-zone",
    title="EFS file systems use Regional storage",
    severity="low",
    family="resilience",
    remediation="""
        Use Regional (Standard) storage: the file system then stores data in several
        availability zones. A One Zone file system cannot be converted; create a Regional
        one and copy the data (AWS DataSync or AWS Backup restore).
    """,
    terraform="""
        resource "aws_efs_file_system" "data" {
          # no availability_zone_name: Regional storage
          encrypted = true
        }
    """,
    cloudformation="""
        Data:
          Type: AWS::EFS::FileSystem
          Properties:
            Encrypted: true  # no AvailabilityZoneName: Regional storage
    """,
    references=("https://docs.aws.amazon.com/efs/latest/ug/availability-durability.html",),
    compliance={"AWS-WA": ("REL10-BP01",)},
    needs={FILE_SYSTEM: ()},
)
def az007(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A One Zone EFS file system stores its data in one availability zone: losing that zone
    makes it unavailable and may lose data. The zone name is set only for One Zone storage
    (AvailabilityZoneName); without it the file system is Regional. One result per file
    system.
    """

    def judge(fs: Resource, scope: Scope) -> Result:
        zone = fs.get("AvailabilityZoneName")
        label = f"EFS file system {fs.name}"
        evidence = {"AvailabilityZoneName": zone}
        if zone is None:
            return ctx.passed(fs, f"{label} uses Regional storage.", evidence)
        vague = isinstance(zone, Unknown) or (isinstance(zone, Reference) and not zone.target)
        if vague and not zone_of(zone).any_known:
            # Set to a value not known here (a variable may be null: Regional after all). A zone
            # taken from the region's zone list is a zone, whichever: One Zone.
            return ctx.unknown(
                fs, f"{label}: its storage zone is set to {show(zone)}, not known here.", evidence
            )
        shown = (
            zone
            if isinstance(zone, str)
            else (zone.text if isinstance(zone, Reference) else zone_of(zone).describe())
        )
        return ctx.fail(fs, f"{label} uses One Zone storage in {shown}.", evidence)

    yield from each(inventory, ctx, FILE_SYSTEM, "EFS file systems", judge)
