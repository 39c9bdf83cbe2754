from __future__ import annotations

from collections.abc import Iterator

from rules.rightsizing.common import live_types, metric, summary_evidence
from scanner.inventory import Inventory
from scanner.lib.instance_types import next_size_down, projected_peak
from scanner.model import INSTANCE, INSTANCE_TYPE, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule


@rule(
    id="RS001",
    name="ec2-overprovisioned",
    title="EC2 instances use the CPU they pay for",
    severity="medium",
    family="rightsizing",
    remediation="""
        Move the instance to the next smaller size of its family (the finding names it and the
        projected peak there), or stop it if it is not needed. Check memory and network first:
        CloudWatch does not report memory without the agent.
    """,
    terraform="""
        resource "aws_instance" "worker" {
          instance_type = "m5.xlarge" # was m5.2xlarge: peak CPU 22% over 14 days
        }
    """,
    cloudformation="""
        Worker:
          Type: AWS::EC2::Instance
          Properties:
            InstanceType: m5.xlarge # was m5.2xlarge
    """,
    references=(
        "https://docs.aws.amazon.com/cost-management/latest/userguide/ce-rightsizing.html",
        "https://docs.aws.amazon.com/compute-optimizer/latest/ug/view-ec2-recommendations.html",
    ),
    compliance={"AWS-WA": ("COST06-BP03",)},
    sources=("aws",),
    needs={INSTANCE: ("metrics",), INSTANCE_TYPE: ()},
    params={"cpu_threshold": 40, "min_days_with_data": 7},
)
def rs001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A running instance whose highest hourly-average CPU over the look-back (14 days by
    default; `metrics.lookback_days` in opscheck.yml) stays below the threshold (40%) is larger than its work: the maximum, not the
    mean, so that a busy hour once a week keeps an instance from being called oversized. The
    finding recommends the next smaller size of the same family with the projected peak
    there (the peak scaled by the vCPU ratio); at the smallest size it says there is none.
    An instance with no datapoints, or fewer days of data than `min_days_with_data`, is
    unknown. One result per running instance.
    """
    threshold = float(ctx.params.get("cpu_threshold", 40))
    min_days = int(ctx.params.get("min_days_with_data", 7))
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        for instance in inventory.of_type(INSTANCE, scope):
            if instance.observed.get("State") not in (None, "running"):
                continue  # a stopped instance burns no CPU hours
            yield _judge(ctx, inventory, scope, instance, threshold, min_days)
        yield from ctx.gap_unknowns(inventory, scope, INSTANCE, "EC2 instances")


def _judge(
    ctx: RuleContext, inventory: Inventory, scope: Scope, instance: Resource, threshold: float, min_days: int
) -> Result:
    kind = instance.get("InstanceType")
    label = f"EC2 instance {instance.name} ({show(kind) if not isinstance(kind, str) else kind})"
    cpu = metric(instance, "cpu", min_days)
    if isinstance(cpu, Unknown):
        return ctx.unknown(
            instance, f"{label}: its CPU use is not known: {cpu.reason}.", {"InstanceType": kind}
        )
    evidence = {"InstanceType": kind, "cpu": summary_evidence(cpu, threshold)}
    peak = cpu.maximum or 0.0
    days = cpu.lookback_days
    if peak >= threshold:
        return ctx.passed(instance, f"{label}: CPU peaked at {peak:.0f}% over {days} days.", evidence)
    if not isinstance(kind, str):
        return ctx.fail(
            instance,
            f"{label}: CPU peaked at {peak:.0f}% over {days} days (below {threshold:.0f}%).",
            evidence,
        )
    smaller = next_size_down(kind)
    if smaller is None:
        evidence["recommendation"] = None
        return ctx.fail(
            instance,
            f"{label}: CPU peaked at {peak:.0f}% over {days} days (below {threshold:.0f}%); {kind} is the smallest size "
            "opscheck knows in its family, so no smaller size is recommended: consider a burstable or smaller family, "
            "or stopping it.",
            evidence,
        )
    live = live_types(inventory, scope, instance) or {}
    projected = projected_peak(peak, live.get(kind) or kind, live.get(smaller) or smaller)
    evidence["recommendation"] = {
        "InstanceType": smaller,
        "projected_peak": round(projected, 1) if projected else None,
    }
    after = f", where it would peak near {projected:.0f}%" if projected is not None else ""
    return ctx.fail(
        instance,
        f"{label}: CPU peaked at {peak:.0f}% over {days} days (below {threshold:.0f}%): {smaller} should do{after}.",
        evidence,
    )
