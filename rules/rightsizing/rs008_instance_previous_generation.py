from __future__ import annotations

from collections.abc import Iterator

from rules.rightsizing.common import TYPE_NEEDS, Sized, per_type
from scanner.inventory import Inventory
from scanner.lib.instance_types import InstancePolicy, TypeInfo, generation
from scanner.model import Result
from scanner.rule import RuleContext, rule

DEFAULTS = InstancePolicy()


@rule(
    id="RS008",
    name="instance-previous-generation",
    title="Instances use a current-generation type",
    severity="low",
    family="rightsizing",
    remediation="""
        Move to the current generation of the family (m3 -> m7i or m7g, c3 -> c7i, r3 -> r7i,
        t2 -> t3): the same size costs less and performs better. Check the AMI and drivers
        (ENA, NVMe) first for very old types.
    """,
    terraform="""
        resource "aws_instance" "worker" {
          instance_type = "m7i.large" # was m3.large
        }
    """,
    cloudformation="""
        Worker:
          Type: AWS::EC2::Instance
          Properties:
            InstanceType: m7i.large # was m3.large
    """,
    references=("https://aws.amazon.com/ec2/previous-generation/",),
    compliance={"AWS-WA": ("COST06-BP03",)},
    needs=TYPE_NEEDS,
    params={
        "previous_generation": sorted(DEFAULTS.previous_generation),
        "older_generation": sorted(DEFAULTS.older_generation),
    },
)
def rs008(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An instance type of a previous generation costs more for less than its current
    successor. Live, DescribeInstanceTypes' CurrentGeneration decides; in IaC (and for
    SageMaker `ml.*` and RDS classes, which that API does not cover) the configured
    `previous_generation` family list does. Families in `older_generation` (t2, m4, c4, r4 by
    default: AWS does not list them as previous generation) are reported at severity info.
    One result per EC2 instance, launch template, RDS instance and endpoint variant.
    """
    policy = InstancePolicy(
        previous_generation=frozenset(ctx.params.get("previous_generation", DEFAULTS.previous_generation)),
        older_generation=frozenset(ctx.params.get("older_generation", DEFAULTS.older_generation)),
    )

    def judge(s: Sized, kind: str, info: TypeInfo | None, live: dict[str, TypeInfo] | None) -> Result:
        verdict = generation(kind, policy, info)
        source = "DescribeInstanceTypes" if info else "shipped table and configuration"
        evidence = {"type": kind, "source": source}
        where = {"discriminator": s.variant}
        if verdict is None:
            return ctx.unknown(
                s.resource,
                f"{s.label}: {kind!r} is not an instance type opscheck can read.",
                evidence,
                **where,
            )
        if verdict == "previous":
            return ctx.fail(
                s.resource, f"{s.label} runs {kind}, a previous-generation type.", evidence, **where
            )
        if verdict == "older":
            message = f"{s.label} runs {kind}, an older generation with current successors."
            return ctx.fail(s.resource, message, evidence, severity="info", **where)
        return ctx.passed(s.resource, f"{s.label} runs {kind}, a current-generation type.", evidence, **where)

    yield from per_type(inventory, ctx, judge)
