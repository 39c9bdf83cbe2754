from __future__ import annotations

from collections.abc import Iterator, Mapping

from rules.rightsizing.common import metric, summary_evidence
from scanner.inventory import Inventory
from scanner.model import CLASSIC_LOAD_BALANCER, LOAD_BALANCER, Resource, Result, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="RS007",
    name="elb-idle",
    title="Load balancers carry traffic to healthy targets",
    severity="low",
    family="rightsizing",
    remediation="""
        Delete a load balancer that serves nothing (no registered or healthy targets, or a
        handful of requests a day), or register the targets it was meant for: it is billed by
        the hour whatever it carries.
    """,
    references=(
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html",
    ),
    compliance={"AWS-WA": ("COST02-BP06",)},
    sources=("aws",),
    needs={LOAD_BALANCER: ("targets", "metrics"), CLASSIC_LOAD_BALANCER: ("targets", "metrics")},
    params={"min_daily_requests": 100, "min_days_with_data": 1},
)
def rs007(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A load balancer with no registered targets, or none healthy, serves nothing; one that
    carried fewer than 100 requests on every day of the last 7 is idle (Trusted Advisor's
    "Idle Load Balancers" criteria). Requests come from RequestCount (application and classic
    load balancers); network and gateway load balancers publish none, so with healthy
    targets they are unknown. CloudWatch publishes RequestCount only for periods with
    requests: no datapoints at all is unknown, not idle. One result per load balancer.
    """
    floor = float(ctx.params.get("min_daily_requests", 100))
    min_days = int(ctx.params.get("min_days_with_data", 1))
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        for rtype, noun in (
            (LOAD_BALANCER, "Load balancers"),
            (CLASSIC_LOAD_BALANCER, "Classic load balancers"),
        ):
            for lb in inventory.of_type(rtype, scope):
                yield _judge(ctx, lb, floor, min_days)
            yield from ctx.gap_unknowns(inventory, scope, rtype, noun)


def _judge(ctx: RuleContext, lb: Resource, floor: float, min_days: int) -> Result:
    kind = "classic" if lb.type == CLASSIC_LOAD_BALANCER else str(lb.get("Type") or "application")
    label = f"{kind.capitalize()} load balancer {lb.name}"
    targets = lb.observed.get("Targets")
    evidence: dict = {"targets": targets if isinstance(targets, Mapping) else None}
    if isinstance(targets, Mapping):
        if not targets.get("registered"):
            return ctx.fail(lb, f"{label} has no registered targets: it serves nothing.", evidence)
        if not targets.get("healthy"):
            return ctx.fail(
                lb, f"{label} has {targets['registered']} registered targets and none healthy.", evidence
            )
    requests = metric(lb, "requests", min_days)
    if isinstance(requests, Unknown):
        why = requests.reason
        if isinstance(targets, Unknown):
            why = f"{targets.reason}; {why}"
        return ctx.unknown(lb, f"{label}: whether it is idle is not known: {why}.", evidence)
    evidence["requests"] = summary_evidence(requests, floor, unit="requests a day")
    busiest = requests.maximum or 0.0
    if busiest < floor:
        return ctx.fail(
            lb,
            f"{label} carried at most {busiest:,.0f} requests a day over the last {requests.lookback_days} days "
            f"(fewer than {floor:,.0f}).",
            evidence,
        )
    if isinstance(targets, Unknown):
        return ctx.unknown(
            lb, f"{label}: its traffic is real, but its targets are not known: {targets.reason}.", evidence
        )
    return ctx.passed(
        lb, f"{label} carried up to {busiest:,.0f} requests a day to healthy targets.", evidence
    )
