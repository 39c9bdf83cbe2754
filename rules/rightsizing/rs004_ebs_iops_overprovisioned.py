from __future__ import annotations

import math
from collections.abc import Iterator

from rules.rightsizing.common import metric, summary_evidence
from scanner.inventory import Inventory
from scanner.lib.values import number
from scanner.model import VOLUME, Resource, Result, Unknown
from scanner.rule import RuleContext, rule

GP3_BASELINE = 3000  # gp3 IOPS included at any size
GP3_MAX = 80_000


@rule(
    id="RS004",
    name="ebs-iops-overprovisioned",
    title="Provisioned EBS IOPS are used",
    severity="medium",
    family="rightsizing",
    remediation="""
        Lower the provisioned IOPS (online, once every 6 hours) to the recommended figure,
        which keeps the observed peak below the headroom; an io1/io2 volume whose peak fits in
        gp3's range can become gp3.
    """,
    terraform="""
        resource "aws_ebs_volume" "scratch" {
          type = "gp3"
          iops = 4000 # was io2 with 16000: peak 2,900 IOPS over 14 days
        }
    """,
    cloudformation="""
        Scratch:
          Type: AWS::EC2::Volume
          Properties:
            VolumeType: gp3
            Iops: 4000
    """,
    references=("https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modify-volume.html",),
    compliance={"AWS-WA": ("COST06-BP01",)},
    sources=("aws",),
    needs={VOLUME: ("metrics",)},
    params={
        "iops_threshold_percent": 50,
        "headroom_percent": 25,
        "min_days_with_data": 7,
    },
)
def rs004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An io1/io2 volume, or a gp3 volume provisioned above gp3's included 3,000 IOPS, whose
    peak observed IOPS (read + write operations per second, from 60-second sums, so short
    peaks count) stays below the threshold (50%) of what it provisions pays for IOPS it does
    not use. The recommendation: the peak plus headroom (25%), at least gp3's 3,000, as gp3
    when that fits gp3's range. One result per such volume; other volumes are not judged.
    """
    threshold = float(ctx.params.get("iops_threshold_percent", 50))
    headroom = float(ctx.params.get("headroom_percent", 25))
    min_days = int(ctx.params.get("min_days_with_data", 7))
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        for volume in inventory.of_type(VOLUME, scope):
            result = _judge(ctx, volume, threshold, headroom, min_days)
            if result is not None:
                yield result
        yield from ctx.gap_unknowns(inventory, scope, VOLUME, "EBS volumes")


def _judge(
    ctx: RuleContext, volume: Resource, threshold: float, headroom: float, min_days: int
) -> Result | None:
    kind, iops = volume.get("VolumeType"), number(volume.get("Iops"))
    if kind not in ("io1", "io2", "gp3"):
        return None
    label = f"EBS volume {volume.name} ({kind})"
    if not isinstance(iops, int):
        return ctx.unknown(volume, f"{label}: its provisioned IOPS are not known.", {"VolumeType": kind})
    if kind == "gp3" and iops <= GP3_BASELINE:
        return None  # nothing provisioned beyond what gp3 includes
    observed = metric(volume, "iops", min_days)
    evidence = {"VolumeType": kind, "Iops": iops}
    if isinstance(observed, Unknown):
        return ctx.unknown(volume, f"{label}: its IOPS use is not known: {observed.reason}.", evidence)
    peak = observed.maximum or 0.0
    evidence["iops"] = summary_evidence(observed, threshold, unit="IOPS")
    used = 100 * peak / iops
    if used >= threshold:
        return ctx.passed(
            volume, f"{label}: IOPS peaked at {peak:,.0f} of {iops:,} provisioned ({used:.0f}%).", evidence
        )
    target = max(GP3_BASELINE, math.ceil(peak * (1 + headroom / 100)))
    new_kind = "gp3" if target <= GP3_MAX else kind
    evidence["recommendation"] = {
        "VolumeType": new_kind,
        "Iops": target,
        "projected_peak_percent": round(100 * peak / target, 1),
    }
    return ctx.fail(
        volume,
        f"{label}: IOPS peaked at {peak:,.0f} of {iops:,} provisioned ({used:.0f}%, below {threshold:.0f}%): "
        f"{new_kind} with {target:,} IOPS would still run at {100 * peak / target:.0f}% at that peak.",
        evidence,
    )
