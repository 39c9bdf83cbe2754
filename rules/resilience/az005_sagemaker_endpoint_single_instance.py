from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.endpoint_scaling import sagemaker_targets, scales_variant, variants_not_known
from scanner.lib.references import refers_to
from scanner.lib.values import number
from scanner.model import (
    ENDPOINT,
    ENDPOINT_CONFIG,
    SCALABLE_TARGET,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule


@rule(
    id="AZ005",
    name="sagemaker-endpoint-single-instance",
    title="SageMaker endpoint variants run more than one instance",
    severity="medium",
    family="resilience",
    remediation="""
        Run at least two instances per production variant (SageMaker spreads them over
        availability zones), or register the variant with Application Auto Scaling with a
        minimum capacity of two.
    """,
    terraform="""
        resource "aws_sagemaker_endpoint_configuration" "model" {
          production_variants {
            variant_name           = "AllTraffic"
            model_name             = aws_sagemaker_model.m.name
            instance_type          = "ml.m5.large"
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
                ModelName: !GetAtt Model.ModelName
                InstanceType: ml.m5.large
                InitialInstanceCount: 2
    """,
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/best-practices.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/sagemaker-controls.html#sagemaker-4",
    ),
    compliance={"AWS-FSBP": ("SageMaker.4",), "AWS-WA": ("REL10-BP01",)},
    needs={ENDPOINT: ("variants",), ENDPOINT_CONFIG: (), SCALABLE_TARGET: ()},
)
def az005(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A production variant on one instance lives in one availability zone: when it fails,
    the endpoint stops answering for that variant. A variant passes with two instances or
    more, an Application Auto Scaling minimum of two or more, or a managed instance scaling
    minimum of two or more. Serverless variants have no instances and are skipped (an
    endpoint of serverless variants only gets no result). In IaC the subject is the
    endpoint configuration (InitialInstanceCount); live, the endpoint (its desired instance
    count, as DescribeEndpoint reports it). One result per configuration or endpoint.
    """
    for scope in inventory.scopes:
        targets = sagemaker_targets(inventory, scope)
        if scope.is_live:
            for endpoint in inventory.of_type(ENDPOINT, scope):
                variants = endpoint.observed.get("ProductionVariants")
                result = _judge(
                    ctx,
                    inventory,
                    scope,
                    endpoint,
                    f"SageMaker endpoint {endpoint.name}",
                    variants,
                    [endpoint],
                    targets,
                )
                if result is not None:
                    yield result
            yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")
        else:
            for config in inventory.of_type(ENDPOINT_CONFIG, scope):
                endpoints = [
                    e
                    for e in inventory.of_type(ENDPOINT, scope)
                    if refers_to(e.get("EndpointConfigName"), config, [str(config.get("EndpointConfigName"))])
                ]
                label = f"SageMaker endpoint configuration {config.name}"
                result = _judge(
                    ctx, inventory, scope, config, label, config.get("ProductionVariants"), endpoints, targets
                )
                if result is not None:
                    yield result


def _judge(
    ctx: RuleContext,
    inventory: Inventory,
    scope: Scope,
    subject: Resource,
    label: str,
    variants: Any,
    endpoints: list[Resource],
    targets: list[Resource],
) -> Result | None:
    why = variants_not_known(subject, variants)
    if why is not None:
        return ctx.unknown(subject, f"{label}: its production variants are not known: {why}.", {})
    verdicts: dict[str, tuple[bool | None, str]] = {}
    for index, variant in enumerate(variants):
        if not isinstance(variant, Mapping):
            verdicts[f"#{index + 1}"] = (None, f"variant #{index + 1} is not known ({show(variant)})")
            continue
        name = variant.get("VariantName")
        key = name if isinstance(name, str) else f"#{index + 1}"
        if variant.get("ServerlessConfig") is not None or variant.get("CurrentServerlessConfig") is not None:
            continue  # no instances to count
        verdicts[key] = _variant(inventory, scope, variant, key, endpoints, targets)
    if not verdicts:
        return None  # serverless variants only
    evidence = {"variants": {k: why for k, (_, why) in verdicts.items()}}
    failing = [k for k, (ok, _) in verdicts.items() if ok is False]
    open_ = [k for k, (ok, _) in verdicts.items() if ok is None]
    if failing:
        whys = "; ".join(verdicts[k][1] for k in failing)
        return ctx.fail(
            subject, f"{label}: {whys}, so one instance failure or zone outage stops it.", evidence
        )
    if open_:
        whys = "; ".join(verdicts[k][1] for k in open_)
        return ctx.unknown(
            subject,
            f"{label}: whether every variant runs two instances or more is not known: {whys}.",
            evidence,
        )
    whys = "; ".join(why for _, why in verdicts.values())
    return ctx.passed(subject, f"{label}: {whys}.", evidence)


def _variant(
    inventory: Inventory,
    scope: Scope,
    variant: Mapping[str, Any],
    name: str,
    endpoints: list[Resource],
    targets: list[Resource],
) -> tuple[bool | None, str]:
    count_key = "DesiredInstanceCount" if "DesiredInstanceCount" in variant else "InitialInstanceCount"
    count = number(variant.get(count_key))
    if count is None and "CurrentInstanceCount" in variant:
        count = number(variant.get("CurrentInstanceCount"))
    managed = variant.get("ManagedInstanceScaling")
    # The minimum holds only while managed instance scaling is on.
    enabled = isinstance(managed, Mapping) and managed.get("Status") == "ENABLED"
    managed_min = number(managed.get("MinInstanceCount")) if enabled else None
    if isinstance(count, int) and count >= 2:
        return True, f"variant {name} runs {count} instances"
    if isinstance(managed_min, int) and managed_min >= 2:
        return (
            True,
            f"variant {name} keeps at least {managed_min} instances (managed instance scaling)",
        )
    scaling = _scaling_minimum(scope, variant, name, endpoints, targets)
    if isinstance(scaling, int) and scaling >= 2:
        return True, f"variant {name} has an autoscaling minimum of {scaling} instances"
    unlisted = _targets_not_listed(inventory, scope, endpoints)
    if unlisted:  # a target that was not seen may keep two: not "no autoscaling"
        scaling = Unknown(unlisted)
    if isinstance(count, Unknown) or count is None:
        why = count.reason if isinstance(count, Unknown) else "it sets none"
        return None, f"the instance count of variant {name} is not known ({why})"
    if isinstance(scaling, Unknown):
        return None, f"variant {name} runs {count} instance; {scaling.reason}"
    if isinstance(managed_min, Unknown):
        return None, f"variant {name} runs {count} instance; its managed scaling minimum is not known"
    if isinstance(scaling, int):
        return False, f"variant {name} runs {count} instance and its autoscaling minimum is {scaling}"
    return False, f"variant {name} runs {count} instance and no autoscaling keeps two"


def _targets_not_listed(inventory: Inventory, scope: Scope, endpoints: list[Resource]) -> str | None:
    for endpoint in endpoints:
        gaps = inventory.gaps_for(SCALABLE_TARGET, scope, endpoint.region)
        if gaps:
            where = f" in {endpoint.region}" if endpoint.region else ""
            why = gaps[0].error.code or gaps[0].error.kind
            return f"the scalable targets{where} could not be listed ({why})"
    return None


def _scaling_minimum(
    scope: Scope,
    variant: Mapping[str, Any],
    name: str,
    endpoints: list[Resource],
    targets: list[Resource],
) -> int | Unknown | None:
    """The autoscaling minimum that holds for this variant on EVERY endpoint serving it (one
    endpoint scaled from two does not protect another built from the same configuration):
    the smallest, over the endpoints, of each endpoint's highest registered MinCapacity.
    None when no endpoint has a target; Unknown when a target may be one and says not how much,
    or may not be created."""
    per_endpoint: list[int | None] = []
    unsure: list[str] = []
    for endpoint in endpoints:
        best: int | None = None
        for target in targets:
            names = scales_variant(target, scope, endpoint, name)
            if names is False:
                continue
            minimum = number(target.get("MinCapacity"))
            if names is None:
                unsure.append(f"scalable target {target.name} may be for it")
            elif target.exists is not True:
                unsure.append(f"scalable target {target.name} may not be created")
            elif isinstance(minimum, int):
                best = minimum if best is None else max(best, minimum)
            else:
                unsure.append(f"the minimum of scalable target {target.name} is not known")
        per_endpoint.append(best)
    if per_endpoint and all(m is not None and m >= 2 for m in per_endpoint):
        return min(m for m in per_endpoint if m is not None)
    if unsure:
        return Unknown("; ".join(unsure))
    known = [m for m in per_endpoint if m is not None]
    if len(known) < len(per_endpoint) and known and max(known) >= 2:
        return Unknown("an endpoint built from this configuration has no autoscaling of its own")
    return min(known) if known and len(known) == len(per_endpoint) else None
