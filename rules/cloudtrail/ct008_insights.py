from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import account_name, account_subject
from scanner.inventory import Inventory
from scanner.lib.trails import TRAIL, TrailView, describe, trail_listing, tri_and
from scanner.model import Result, Unknown
from scanner.rule import RuleContext, rule

INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


@rule(
    id="CT008",
    name="cloudtrail-insights-disabled",
    title="CloudTrail Insights is enabled on a multi-region trail",
    severity="low",
    family="cloudtrail",
    remediation="""
        Enable both Insights types (API call rate and API error rate) on the account's
        multi-region trail, so unusual bursts of write activity or errors (credential
        misuse, runaway automation) are detected. Insights are billed per event analysed.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          insight_selector {
            insight_type = "ApiCallRateInsight"
          }
          insight_selector {
            insight_type = "ApiErrorRateInsight"
          }
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            InsightSelectors:
              - InsightType: ApiCallRateInsight
              - InsightType: ApiErrorRateInsight
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html",
    ),
    compliance={"NIST-800-53-r5": ("SI-4",)},
    needs={TRAIL: ("status", "insights")},
)
def ct008(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """CloudTrail Insights flags unusual API call and error rates. Passes when the
    multi-region logging trails of the account (its own or an organization trail)
    together enable both ApiCallRateInsight and ApiErrorRateInsight on management events.
    Insights on single-region or stopped trails do not count. One result per account
    (IaC: per configuration, on its first trail).
    """
    for scope in inventory.scopes:
        listing = trail_listing(inventory, scope)
        subject = account_subject(ctx, scope, listing)
        if subject is None:
            continue
        who = account_name(scope)
        if not listing.listed_somewhere:
            yield ctx.unknown(
                subject,
                f"{who}: trails could not be listed, so Insights coverage is unknown.",
                {"reason": listing.reason},
            )
            continue
        enabled: set[str] = set()
        unknown: list[str] = []
        trails = []
        for v in listing.views:
            counts = tri_and(v.multi_region, v.logging)
            entry = {**v.summary(), "counts": describe(counts)}
            trails.append(entry)
            if counts is False:
                continue
            types = _insight_types(v)
            entry["insights"] = sorted(types) if not isinstance(types, Unknown) else {"unknown": types.reason}
            if isinstance(counts, Unknown):
                unknown.append(f"{v.resource.name}: {counts.reason}")
            elif isinstance(types, Unknown):
                unknown.append(f"{v.resource.name}: {types.reason}")
            else:
                enabled |= types
        evidence = {"enabled_insight_types": sorted(enabled), "trails": trails}
        missing = [t for t in INSIGHT_TYPES if t not in enabled]
        if not missing:
            yield ctx.passed(
                subject,
                f"{who} has CloudTrail Insights ({', '.join(INSIGHT_TYPES)}) on a "
                "multi-region logging trail.",
                evidence,
            )
        elif unknown:
            yield ctx.unknown(
                subject, f"{who}: Insights could not be determined for {'; '.join(unknown)}.", evidence
            )
        else:
            yield ctx.fail(
                subject,
                f"{who} has no multi-region logging trail with {' and '.join(missing)} enabled.",
                evidence,
            )


def _insight_types(v: TrailView) -> set[str] | Unknown:
    selectors = v.resource.get("InsightSelectors")
    if isinstance(selectors, Unknown):
        return selectors
    found = set()
    for sel in selectors or []:
        categories = sel.get("EventCategories")
        # Without EventCategories, Insights analyse management events (the API default).
        if categories and "Management" not in categories:
            continue
        if sel.get("InsightType"):
            found.add(str(sel["InsightType"]))
    return found
