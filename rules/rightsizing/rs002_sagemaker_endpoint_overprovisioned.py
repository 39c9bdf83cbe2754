from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.rightsizing.common import summary_evidence, usable
from scanner.inventory import Inventory
from scanner.lib.endpoint_scaling import sagemaker_targets, scales_variant
from scanner.lib.instance_types import lookup, next_size_down, projected_peak
from scanner.lib.metrics import MetricSummary
from scanner.lib.values import number
from scanner.model import ENDPOINT, SCALABLE_TARGET, Resource, Result, Scope, Status, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="RS002",
    name="sagemaker-endpoint-overprovisioned",
    title="SageMaker endpoints use the instances they pay for",
    severity="medium",
    family="rightsizing",
    remediation="""
        Move the variant to the smaller instance type the finding names, or run the number of
        instances it names (never fewer than two where two or more run: AZ005); when the variant
        autoscales, lower its scalable target's MinCapacity instead, and let a target-tracking
        policy on SageMakerVariantInvocationsPerInstance set the count.
    """,
    terraform="""
        resource "aws_sagemaker_endpoint_configuration" "model" {
          production_variants {
            variant_name           = "AllTraffic"
            instance_type          = "ml.g5.2xlarge" # was ml.g5.12xlarge: peak GPU 15% per device
            initial_instance_count = 2
          }
        }
    """,
    cloudformation="""
        ModelConfig:
          Type: AWS::SageMaker::EndpointConfig
          Properties:
            ProductionVariants:
              - VariantName: AllTraffic
                InstanceType: ml.g5.2xlarge
                InitialInstanceCount: 2
    """,
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html",
        "https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-loadtest.html",
    ),
    compliance={"AWS-WA": ("COST06-BP03",)},
    sources=("aws",),
    needs={ENDPOINT: ("metrics", "variants", "instance_types"), SCALABLE_TARGET: ("policies",)},
    params={
        "utilization_threshold": 40,
        "min_days_with_data": 7,
        # Invocations a minute one instance should take; None: a target-tracking policy's target.
        "invocations_per_instance_capacity": None,
    },
)
def rs002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Two clauses judge each instance-based variant over the look-back (14 days by default):
    its utilisation and its instance count.

    Utilisation: SageMaker reports a variant's CPUUtilization and GPUUtilization summed over
    its devices (0-400% on four GPUs), so the peak is divided by the instance type's device
    count first: 60% summed on a 4-GPU type is 15% per GPU. A GPU instance is judged by its
    GPUs, any other by its vCPUs. A normalised peak below the threshold (40%) is oversized:
    the finding names the next smaller type with the projected peak, or, on the smallest
    type with several instances, one instance fewer when the others would still stay below
    the threshold. No datapoints, or a type whose device count is not known, is unknown.

    Instance count: the busiest minute's InvocationsPerInstance times the variant's instance
    count is its peak invocations a minute; divided by what one instance should take, it
    gives the instances needed (never fewer than two where two or more run, for availability:
    AZ005). More instances than that fail, with the count and the invocations each would
    take; when the variant autoscales from a MinCapacity above it, the finding says to lower
    the minimum. What one instance should take is the parameter
    `invocations_per_instance_capacity` (invocations a minute), else the TargetValue of the
    variant's target-tracking policy on SageMakerVariantInvocationsPerInstance (invocations
    a minute per instance; the lowest when there are several). Without either, or without
    invocation datapoints on `min_days_with_data` days, the count is not judged and the
    evidence says why. The count is today's: a variant that scaled during the look-back is
    approximated. A period coarser than a minute (a long look-back) averages the busiest
    minute with its neighbours.

    A variant fails when either clause fails (the message names both findings when both
    do), passes when its utilisation passes and its count passes or cannot be judged, and
    is unknown otherwise. One result per (endpoint, instance-based variant).
    """
    threshold = float(ctx.params.get("utilization_threshold", 40))
    min_days = int(ctx.params.get("min_days_with_data", 7))
    capacity = ctx.params.get("invocations_per_instance_capacity")
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
        targets = sagemaker_targets(inventory, scope)
        for endpoint in inventory.of_type(ENDPOINT, scope):
            variants = endpoint.observed.get("ProductionVariants")
            if not isinstance(variants, list):
                why = variants.reason if isinstance(variants, Unknown) else "they were not read"
                yield ctx.unknown(
                    endpoint, f"SageMaker endpoint {endpoint.name}: its variants are not known: {why}."
                )
                continue
            for variant in variants:
                if isinstance(variant, Mapping) and variant.get("CurrentServerlessConfig") is None:
                    name = str(variant.get("VariantName"))
                    mine = [t for t in targets if scales_variant(t, scope, endpoint, name) is True]
                    usage = _usage(endpoint, variant, threshold, min_days)
                    count = _count(inventory, scope, endpoint, variant, mine, capacity, min_days)
                    yield _combine(ctx, endpoint, variant, usage, count)
        yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")


@dataclass
class Clause:
    """One clause's verdict: PASS, FAIL, or UNKNOWN (for the count: not judged)."""

    status: Status
    said: str  # a message fragment, without the variant's label
    evidence: dict[str, Any] = field(default_factory=dict)
    recommendation: dict[str, Any] | None = None


def _label(endpoint: Resource, variant: Mapping[str, Any]) -> str:
    name = str(variant.get("VariantName"))
    types = endpoint.observed.get("VariantInstanceTypes")
    kind = types.get(name) if isinstance(types, Mapping) else None
    return f"SageMaker endpoint {endpoint.name}, variant {name} ({kind or 'type not known'})"


def _instances(variant: Mapping[str, Any]) -> int | None:
    found = number(variant.get("DesiredInstanceCount") or variant.get("CurrentInstanceCount"))
    return found if isinstance(found, int) else None


def _usage(endpoint: Resource, variant: Mapping[str, Any], threshold: float, min_days: int) -> Clause:
    """CPU or GPU use, normalised by the type's device count."""
    name = str(variant.get("VariantName"))
    types = endpoint.observed.get("VariantInstanceTypes")
    kind = types.get(name) if isinstance(types, Mapping) else None
    info = lookup(kind) if isinstance(kind, str) else None
    gpus = info.gpus if info is not None else None
    device, count_of = ("gpu", gpus) if gpus else ("cpu", info.vcpus if info is not None else None)
    series = _variant_metric(endpoint, device, name, min_days)
    if isinstance(series, Unknown):
        return Clause(Status.UNKNOWN, f"its {device.upper()} use is not known: {series.reason}")
    if not count_of:
        why = "its instance type is not known" if kind is None else f"the device count of {kind} is not known"
        return Clause(Status.UNKNOWN, f"{why}, so its summed {device.upper()} use cannot be normalised")
    peak = (series.maximum or 0.0) / count_of
    unit = "GPU" if device == "gpu" else "vCPU"
    evidence = {
        "InstanceType": kind,
        device: summary_evidence(series, threshold),
        "devices": count_of,
        "peak_per_device": round(peak, 1),
    }
    said = f"peak {device.upper()} {series.maximum:.0f}% summed over {count_of} {unit}s, {peak:.0f}% each"
    if peak >= threshold:
        return Clause(Status.PASS, said, evidence)
    smaller = next_size_down(kind) if isinstance(kind, str) else None
    if smaller:
        projected = projected_peak(peak, kind, smaller, devices="gpu" if device == "gpu" else "vcpu")
        after = f", peaking near {projected:.0f}% there" if projected is not None else ""
        recommendation = {
            "InstanceType": smaller,
            "projected_peak": round(projected, 1) if projected else None,
        }
        return Clause(
            Status.FAIL,
            f"{said} (below {threshold:.0f}%): {smaller} should do{after}",
            evidence,
            recommendation,
        )
    instances = _instances(variant)
    if instances is not None and instances > 2:
        fewer = peak * instances / (instances - 1)
        if fewer < threshold:
            return Clause(
                Status.FAIL,
                f"{said} (below {threshold:.0f}%) on the smallest type: {instances - 1} instances instead of "
                f"{instances} would peak near {fewer:.0f}%",
                evidence,
                {"InstanceCount": instances - 1, "projected_peak": round(fewer, 1)},
            )
    return Clause(
        Status.FAIL,
        f"{said} (below {threshold:.0f}%); no smaller type of its family is known and fewer instances would "
        "cost availability: consider another family",
        evidence,
    )


NO_CAPACITY = (
    "no capacity per instance is known (set invocations_per_instance_capacity, or use a target-tracking "
    "policy on SageMakerVariantInvocationsPerInstance)"
)
TRACKED_METRIC = "SageMakerVariantInvocationsPerInstance"


def _capacity(
    inventory: Inventory, scope: Scope, endpoint: Resource, targets: list[Resource], given: Any
) -> tuple[float, str] | str:
    """Invocations a minute one instance should take, and where that comes from; or why
    none is known."""
    if given is not None:
        if isinstance(given, int | float) and not isinstance(given, bool) and given > 0:
            return float(given), "parameter"
        return f"invocations_per_instance_capacity must be a number above 0 (it is {given!r})"
    if not targets:
        gaps = inventory.gaps_for(SCALABLE_TARGET, scope, endpoint.region)
        if gaps:
            code = gaps[0].error.code or gaps[0].error.kind
            return f"its scalable targets could not be listed ({code}), so no scaling policy is known"
        return NO_CAPACITY
    found: list[tuple[float, str]] = []
    for target in targets:
        policies = target.observed.get("ScalingPolicies")
        if isinstance(policies, Unknown):
            return f"the scaling policies of {target.name} are not known: {policies.reason}"
        if not isinstance(policies, list):
            return f"the scaling policies of {target.name} were not read"
        for policy in policies:
            if not isinstance(policy, Mapping) or policy.get("PredefinedMetricType") != TRACKED_METRIC:
                continue
            value = policy.get("TargetValue")
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                found.append((float(value), str(policy.get("PolicyName"))))
    if not found:
        return NO_CAPACITY
    # Several target-tracking policies: scale-in waits for all, so the lowest target rules.
    return min(found)


def _count(
    inventory: Inventory,
    scope: Scope,
    endpoint: Resource,
    variant: Mapping[str, Any],
    targets: list[Resource],
    given: Any,
    min_days: int,
) -> Clause:
    """Instances the busiest minute needs against the instances the variant runs."""
    instances = _instances(variant)
    if instances is None or instances < 1:
        return Clause(Status.UNKNOWN, "its instance count is not known")
    capacity = _capacity(inventory, scope, endpoint, targets, given)
    if isinstance(capacity, str):
        return Clause(Status.UNKNOWN, capacity, {"instance_count": instances})
    per_instance, source = capacity
    evidence: dict[str, Any] = {
        "instance_count": instances,
        "capacity_per_instance": {"value": per_instance, "source": source},
    }
    series = _variant_metric(endpoint, "invocations_per_instance", str(variant.get("VariantName")), min_days)
    if isinstance(series, Unknown):
        return Clause(Status.UNKNOWN, f"its InvocationsPerInstance is not known: {series.reason}", evidence)
    evidence["invocations_per_instance"] = summary_evidence(
        series, per_instance, unit=f"invocations per instance per {series.period} s"
    )
    peak_total = _per_minute(series) * instances
    raw = max(1, math.ceil(peak_total / per_instance - 1e-9))  # the float quotient may be 2.0000001
    needed = max(raw, 2 if instances >= 2 else 1)  # two or more keep the variant in two zones (AZ005)
    evidence["peak_invocations_per_minute"] = round(peak_total, 1)
    evidence["needed_instances"] = needed
    origin = "invocations_per_instance_capacity" if source == "parameter" else f"policy {source}"
    load = (
        f"peak {peak_total:,.0f} invocations a minute against {per_instance:,.0f} per instance from {origin}"
    )
    kept = ", two kept for availability" if raw < needed else ""
    if needed >= instances:
        return Clause(Status.PASS, f"its {instances} instance(s) are needed ({load}{kept})", evidence)
    projected = peak_total / needed
    each = f"{needed} would take {projected:,.0f} each"
    said = f"runs {instances} instances where {needed} would do ({load}; {each}{kept})"
    minimums = [m for t in targets if isinstance(m := number(t.get("MinCapacity")), int) and m > needed]
    if minimums:
        said += f": lower its scalable target's MinCapacity from {max(minimums)} to {needed}"
    return Clause(
        Status.FAIL,
        said,
        evidence,
        {"InstanceCount": needed, "projected_invocations_per_instance": round(projected, 1)},
    )


def _per_minute(series: MetricSummary) -> float:
    """The busiest period's invocations per instance, as a rate a minute (the period is a
    minute unless the look-back reaches past CloudWatch's one-minute retention)."""
    return (series.maximum or 0.0) * 60 / series.period


def _combine(
    ctx: RuleContext, endpoint: Resource, variant: Mapping[str, Any], usage: Clause, count: Clause
) -> Result:
    where = {"discriminator": str(variant.get("VariantName"))}
    label = _label(endpoint, variant)
    evidence = dict(usage.evidence)
    if usage.status == Status.FAIL:
        evidence["recommendation"] = usage.recommendation
    elif count.status == Status.FAIL:
        evidence["recommendation"] = count.recommendation
    verdict = {Status.PASS: "passes", Status.FAIL: "fails", Status.UNKNOWN: "not judged"}[count.status]
    evidence["count"] = f"{verdict}: {count.said}"
    evidence.update(count.evidence)
    if count.status == Status.FAIL:
        evidence["count_recommendation"] = count.recommendation
    count_said = (
        count.said if count.status != Status.UNKNOWN else f"its instance count is not judged: {count.said}"
    )
    if usage.status == Status.FAIL and count.status == Status.FAIL:
        return ctx.fail(endpoint, f"{label}: {usage.said}; and {count.said}.", evidence, **where)
    if usage.status == Status.FAIL:
        return ctx.fail(endpoint, f"{label}: {usage.said}.", evidence, **where)
    if count.status == Status.FAIL:
        return ctx.fail(endpoint, f"{label}: {count.said}; {usage.said}.", evidence, **where)
    if usage.status == Status.PASS:
        return ctx.passed(endpoint, f"{label}: {usage.said}; {count_said}.", evidence, **where)
    return ctx.unknown(endpoint, f"{label}: {usage.said}; {count_said}.", evidence, **where)


def _variant_metric(endpoint: Resource, name: str, variant: str, min_days: int) -> MetricSummary | Unknown:
    metrics = endpoint.observed.get("Metrics")
    per_variant = metrics.get(name) if isinstance(metrics, Mapping) else None
    if isinstance(per_variant, Unknown):
        return per_variant
    if not isinstance(per_variant, Mapping) or variant not in per_variant:
        return Unknown("its metrics were not read")
    return usable(per_variant[variant], min_days)
