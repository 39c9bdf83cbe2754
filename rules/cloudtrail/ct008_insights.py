from __future__ import annotations

from collections.abc import Iterator

from scanner.inventory import Inventory
from scanner.lib.trails import (
    TRAIL,
    TrailView,
    Tri,
    account_name,
    account_subject,
    describe,
    trail_listing,
    tri_and,
    tri_any,
)
from scanner.model import Result, Unknown, show, unsettled
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
    """CloudTrail Insights flags unusual API call and error rates. Passes when one
    multi-region logging trail of the account (its own or an organization trail) enables
    both ApiCallRateInsight and ApiErrorRateInsight on management events. Insights on
    single-region or stopped trails do not count. One result per account
    (IaC: per configuration, on its first trail).
    """
    for scope in inventory.scopes:
        listing = trail_listing(inventory, scope)
        subject = account_subject(scope, listing)
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
        verdicts = []
        trails = []
        for v in listing.views:
            types = _insight_types(v)
            has_both: Tri = types if isinstance(types, Unknown) else all(t in types for t in INSIGHT_TYPES)
            qualifies = tri_and(v.exists, v.multi_region, v.logging, has_both)
            entry = {**v.summary(), "insights": types, "qualifies": describe(qualifies)}
            trails.append(entry)
            verdicts.append((v, qualifies, types))
        evidence = {"trails": trails}
        overall = tri_any(q for _, q, _ in verdicts)
        if overall is False and listing.not_scanned() is not None:
            overall = listing.not_scanned()  # a trail may sit in what was not scanned
        counting = [(v, t) for v, q, t in verdicts if tri_and(v.multi_region, v.logging) is True]
        if overall is True:
            good = next(v for v, q, _ in verdicts if q is True)
            yield ctx.passed(
                subject,
                f"{who} has CloudTrail Insights ({', '.join(INSIGHT_TYPES)}) on multi-region logging trail "
                f"{good.resource.name}.",
                evidence,
            )
        elif isinstance(overall, Unknown):
            yield ctx.unknown(
                subject, f"{who}: Insights could not be determined ({overall.reason}).", evidence
            )
        elif not counting:
            yield ctx.fail(subject, f"{who} has no multi-region logging trail, so no Insights.", evidence)
        else:
            gaps = "; ".join(
                f"{v.resource.name} lacks {' and '.join(t for t in INSIGHT_TYPES if t not in types)}"
                for v, types in counting
                if not isinstance(types, Unknown)
            )
            yield ctx.fail(
                subject,
                f"{who} has no multi-region logging trail with both Insights types enabled ({gaps}).",
                evidence,
            )


def _insight_types(v: TrailView) -> set[str] | Unknown:
    """The Insights types enabled on management events; Unknown only when a selector that
    cannot be read could decide whether both types are there."""
    selectors = v.resource.get("InsightSelectors")
    why = unsettled(selectors)
    if why is not None:
        return Unknown(f"the insight selectors are not known: {why.reason}")
    if selectors is None:
        return set()
    if not isinstance(selectors, list | tuple):
        selectors = [selectors]
    found: set[str] = set()
    undecided: Unknown | None = None
    for sel in selectors:
        why = unsettled(sel)
        if why is None and not isinstance(sel, dict):
            why = Unknown(f"an insight selector is not understood: {show(sel)}")
        if why is None:
            insight_type, categories = sel.get("InsightType"), sel.get("EventCategories")
            if categories is not None and not isinstance(categories, list | tuple):
                categories = [categories]
            # set at deployment: which type it is, or whether it counts, cannot be told
            why = next(
                (u for u in map(unsettled, (insight_type, *(categories or ()))) if u is not None), None
            )
        if why is not None:
            if undecided is None:
                undecided = why
            continue
        # Without EventCategories, Insights analyse management events (the API default).
        if categories and "Management" not in categories:
            continue
        if isinstance(insight_type, str) and insight_type:
            found.add(insight_type)
    if undecided is not None and not all(t in found for t in INSIGHT_TYPES):
        return undecided
    return found
