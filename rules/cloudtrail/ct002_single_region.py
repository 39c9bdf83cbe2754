from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_BASE, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.trails import TrailView
from scanner.model import Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT002",
    name="cloudtrail-trail-single-region",
    title="Trail is multi-region",
    severity="medium",
    family="cloudtrail",
    remediation="""
        Make the trail multi-region so that activity in every region, including regions
        enabled later, is recorded. Both Terraform and CloudFormation default to a
        single-region trail when the attribute is absent.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          is_multi_region_trail = true
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            IsMultiRegionTrail: true
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-regional-and-multi-region-trails",
    ),
    compliance={"CIS-AWS-v5.0": ("3.1",), "AWS-FSBP": ("CloudTrail.1",), "NIST-800-53-r5": ("AU-12",)},
    needs=TRAIL_BASE,
)
def ct002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A single-region trail records only its home region: activity in any other region,
    including one enabled later, is not recorded by it. The attribute defaults to false in
    the API, in Terraform (`is_multi_region_trail`) and in CloudFormation
    (`IsMultiRegionTrail`), so an absent attribute is a single-region trail.
    One result per trail the account owns (organization trails are judged in the account
    that owns them).
    """

    def judge(v: TrailView, scope: Scope) -> Result:
        evidence = {"IsMultiRegionTrail": v.resource.get("IsMultiRegionTrail"), "home_region": v.home_region}
        if isinstance(v.multi_region, Unknown):
            return ctx.unknown(
                v.resource,
                f"{label(v)}: whether it is multi-region is unknown ({v.multi_region.reason}).",
                evidence,
            )
        if v.multi_region:
            return ctx.passed(v.resource, f"{label(v)} is multi-region.", evidence)
        return ctx.fail(
            v.resource,
            f"{label(v)} is a single-region trail: activity in other regions is not recorded by it.",
            evidence,
        )

    yield from per_trail(inventory, ctx, judge)
