from __future__ import annotations

from collections.abc import Iterator

from rules.rightsizing.common import TYPE_NEEDS, live_types, sized
from scanner.inventory import Inventory
from scanner.lib.instance_types import InstancePolicy, generation
from scanner.model import Result, show
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
    for scope in inventory.scopes:
        for s in sized(inventory, scope):
            if not isinstance(s.value, str):
                yield ctx.unknown(
                    s.resource,
                    f"{s.label}: its type is not known ({show(s.value)}).",
                    {},
                    discriminator=s.variant,
                )
                continue
            live = live_types(inventory, scope, s.resource)
            info = live.get(s.value) if live else None
            verdict = generation(s.value, policy, info)
            evidence = {
                "type": s.value,
                "source": "DescribeInstanceTypes" if info else "shipped table and configuration",
            }
            if verdict is None:
                yield ctx.unknown(
                    s.resource,
                    f"{s.label}: {s.value!r} is not an instance type opscheck can read.",
                    evidence,
                    discriminator=s.variant,
                )
            elif verdict == "previous":
                yield ctx.fail(
                    s.resource,
                    f"{s.label} runs {s.value}, a previous-generation type.",
                    evidence,
                    discriminator=s.variant,
                )
            elif verdict == "older":
                yield ctx.fail(
                    s.resource,
                    f"{s.label} runs {s.value}, an older generation with current successors.",
                    evidence,
                    discriminator=s.variant,
                    severity="info",
                )
            else:
                yield ctx.passed(
                    s.resource,
                    f"{s.label} runs {s.value}, a current-generation type.",
                    evidence,
                    discriminator=s.variant,
                )
