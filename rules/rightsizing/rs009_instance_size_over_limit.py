from __future__ import annotations

from collections.abc import Iterator

from rules.rightsizing.common import TYPE_NEEDS, Sized, per_type
from scanner.inventory import Inventory
from scanner.lib.instance_types import (
    DEFAULT_MAX_SIZE,
    InstancePolicy,
    TypeInfo,
    accelerated_not_allowed,
    over_size_limit,
)
from scanner.model import Result
from scanner.rule import RuleContext, rule

DEFAULTS = InstancePolicy()


@rule(
    id="RS009",
    name="instance-size-over-limit",
    title="Instance sizes and accelerated families stay within policy",
    severity="medium",
    family="rightsizing",
    remediation="""
        Use a size within the limit (scale out instead of up), or, when the workload needs it,
        raise `max_size` or add the accelerated family to `allowed_accelerated` for this rule in
        opscheck.yml, so that the exception is written down.
    """,
    terraform="""
        resource "aws_instance" "trainer" {
          instance_type = "g5.2xlarge" # within max_size; g5 in allowed_accelerated
        }
    """,
    cloudformation="""
        Trainer:
          Type: AWS::EC2::Instance
          Properties:
            InstanceType: g5.2xlarge
    """,
    references=("https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html",),
    compliance={"AWS-WA": ("COST06-BP01",)},
    needs=TYPE_NEEDS,
    params={
        "max_size": DEFAULT_MAX_SIZE,
        "allowed_accelerated": sorted(DEFAULTS.allowed_accelerated),
        "accelerated_series": sorted(DEFAULTS.accelerated_series),
    },
)
def rs009(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A size above the configured maximum (default above 8xlarge), or an accelerated family
    (GPU, Inferentia, Trainium, FPGA: series p, g, gr, inf, trn, dl, f, vt by default) that
    is not in `allowed_accelerated`, is spend the platform team has not agreed to. Live,
    DescribeInstanceTypes' accelerator fields decide what is accelerated; in IaC the series.
    One result per EC2 instance, launch template, RDS instance and endpoint variant.
    """
    max_size = str(ctx.params.get("max_size", DEFAULT_MAX_SIZE))
    policy = InstancePolicy(
        max_size=max_size,
        allowed_accelerated=frozenset(ctx.params.get("allowed_accelerated", ())),
        accelerated_series=frozenset(ctx.params.get("accelerated_series", DEFAULTS.accelerated_series)),
    )

    def judge(s: Sized, kind: str, info: TypeInfo | None, live: dict[str, TypeInfo] | None) -> Result:
        big = over_size_limit(kind, max_size, set(live) if live else None)
        accelerated = accelerated_not_allowed(kind, policy, info)
        evidence = {
            "type": kind,
            "max_size": max_size,
            "allowed_accelerated": sorted(policy.allowed_accelerated),
        }
        where = {"discriminator": s.variant}
        problems = []
        if big:
            problems.append(f"its size is above the limit {max_size}")
        if accelerated:
            problems.append("it is an accelerated type not in the allowed list")
        if problems:
            return ctx.fail(
                s.resource, f"{s.label} runs {kind}: {' and '.join(problems)}.", evidence, **where
            )
        if big is None or accelerated is None:
            message = f"{s.label} runs {kind}: whether it is within the size policy is not known."
            return ctx.unknown(s.resource, message, evidence, **where)
        return ctx.passed(s.resource, f"{s.label} runs {kind}, within the size policy.", evidence, **where)

    yield from per_type(inventory, ctx, judge)
