from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.rightsizing.common import summary_evidence, usable
from scanner.inventory import Inventory
from scanner.lib.instance_types import lookup, next_size_down, projected_peak
from scanner.lib.values import number
from scanner.model import ENDPOINT, Resource, Result, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="RS002",
    name="sagemaker-endpoint-overprovisioned",
    title="SageMaker endpoints use the instances they pay for",
    severity="medium",
    family="rightsizing",
    remediation="""
        Move the variant to the smaller instance type the finding names, or run fewer
        instances (keep two or more for availability: AZ005), or let Application Auto Scaling
        set the count from InvocationsPerInstance.
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
    references=("https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html",),
    compliance={"AWS-WA": ("COST06-BP03",)},
    sources=("aws",),
    needs={ENDPOINT: ("metrics", "variants", "instance_types")},
    params={"utilization_threshold": 40, "min_days_with_data": 7},
)
def rs002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """SageMaker reports a variant's CPUUtilization and GPUUtilization summed over its devices
    (0-400% on four GPUs), so the peak is divided by the instance type's device count first:
    60% summed on a 4-GPU type is 15% per GPU. A GPU instance is judged by its GPUs, any
    other by its vCPUs. A variant whose normalised peak stays below the threshold (40%) over
    the look-back is oversized: the finding names the next smaller type with the projected
    peak, or, on the smallest type with several instances, one instance fewer when the others
    would still stay below the threshold. No datapoints, or a type whose device count is not
    known, is unknown. One result per (endpoint, instance-based variant).
    """
    threshold = float(ctx.params.get("utilization_threshold", 40))
    min_days = int(ctx.params.get("min_days_with_data", 7))
    for scope in inventory.scopes:
        if not scope.is_live:
            continue
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
                    yield _judge(ctx, endpoint, variant, threshold, min_days)
        yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")


def _judge(
    ctx: RuleContext, endpoint: Resource, variant: Mapping[str, Any], threshold: float, min_days: int
) -> Result:
    name = str(variant.get("VariantName"))
    where = {"discriminator": name}
    types = endpoint.observed.get("VariantInstanceTypes")
    kind = types.get(name) if isinstance(types, Mapping) else None
    label = f"SageMaker endpoint {endpoint.name}, variant {name} ({kind or 'type not known'})"
    info = lookup(kind) if isinstance(kind, str) else None
    gpus = info.gpus if info is not None else None
    device, count_of = ("gpu", gpus) if gpus else ("cpu", info.vcpus if info is not None else None)
    series = _variant_metric(endpoint, device, name, min_days)
    if isinstance(series, Unknown):
        return ctx.unknown(
            endpoint, f"{label}: its {device.upper()} use is not known: {series.reason}.", {}, **where
        )
    if not count_of:
        why = "its instance type is not known" if kind is None else f"the device count of {kind} is not known"
        return ctx.unknown(
            endpoint, f"{label}: {why}, so its summed {device.upper()} use cannot be normalised.", {}, **where
        )
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
        return ctx.passed(endpoint, f"{label}: {said}.", evidence, **where)
    smaller = next_size_down(kind) if isinstance(kind, str) else None
    if smaller:
        projected = projected_peak(peak, kind, smaller, devices="gpu" if device == "gpu" else "vcpu")
        evidence["recommendation"] = {
            "InstanceType": smaller,
            "projected_peak": round(projected, 1) if projected else None,
        }
        after = f", peaking near {projected:.0f}% there" if projected is not None else ""
        return ctx.fail(
            endpoint,
            f"{label}: {said} (below {threshold:.0f}%): {smaller} should do{after}.",
            evidence,
            **where,
        )
    instances = number(variant.get("DesiredInstanceCount") or variant.get("CurrentInstanceCount"))
    if isinstance(instances, int) and instances > 2:
        fewer = peak * instances / (instances - 1)
        if fewer < threshold:
            evidence["recommendation"] = {"InstanceCount": instances - 1, "projected_peak": round(fewer, 1)}
            return ctx.fail(
                endpoint,
                f"{label}: {said} (below {threshold:.0f}%) on the smallest type: {instances - 1} instances instead of "
                f"{instances} would peak near {fewer:.0f}%.",
                evidence,
                **where,
            )
    evidence["recommendation"] = None
    return ctx.fail(
        endpoint,
        f"{label}: {said} (below {threshold:.0f}%); no smaller type of its family is known and fewer instances would "
        "cost availability: consider another family.",
        evidence,
        **where,
    )


def _variant_metric(endpoint: Resource, name: str, variant: str, min_days: int):
    metrics = endpoint.observed.get("Metrics")
    per_variant = metrics.get(name) if isinstance(metrics, Mapping) else None
    if isinstance(per_variant, Unknown):
        return per_variant
    if not isinstance(per_variant, Mapping) or variant not in per_variant:
        return Unknown("its metrics were not read")
    return usable(per_variant[variant], min_days)
