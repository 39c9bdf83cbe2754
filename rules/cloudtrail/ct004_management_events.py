from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_SELECTORS, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.selectors import Level
from scanner.lib.trails import TrailView
from scanner.model import Result, Scope, Severity, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT004",
    name="cloudtrail-management-events-partial",
    title="Trail records all management events",
    severity="medium",
    family="cloudtrail",
    remediation="""
        Record read and write management events from every event source: a classic selector
        with `ReadWriteType: All`, `IncludeManagementEvents: true` and no
        `ExcludeManagementEventSources`, or an advanced selector whose only condition is
        `eventCategory = Management`. Put data-event selectors beside it, not instead of it.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          advanced_event_selector {
            name = "Management events"
            field_selector {
              field  = "eventCategory"
              equals = ["Management"]
            }
          }
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            AdvancedEventSelectors:
              - Name: Management events
                FieldSelectors:
                  - Field: eventCategory
                    Equals: [Management]
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html",
    ),
    compliance={"CIS-AWS-v5.0": ("3.1",), "AWS-FSBP": ("CloudTrail.1",), "NIST-800-53-r5": ("AU-2",)},
    needs=TRAIL_SELECTORS,
)
def ct004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Fails when a trail records no management events, only read-only or only write-only
    ones, excludes management event sources, or narrows its advanced Management selector
    with further conditions (eventName, userIdentity.arn, eventSource, ...). Excluding
    only the kms.amazonaws.com / rdsdata.amazonaws.com sources (high-volume, a documented
    cost trade-off) fails at severity low. Advanced selectors are judged by their field
    conditions, never by their `Name`; a trail without any selectors records all
    management events (CloudTrail's default).
    """

    def judge(v: TrailView, scope: Scope) -> Result:
        cov = v.management()
        if isinstance(cov, Unknown):
            return ctx.unknown(
                v.resource,
                f"{label(v)}: event selectors could not be read ({cov.reason}).",
                {"selectors": {"unknown": cov.reason}},
            )
        evidence = {
            "read": cov.read.level.name.lower(),
            "write": cov.write.level.name.lower(),
            "notes": sorted(set(cov.read.notes + cov.write.notes)),
        }
        levels = (cov.read.level, cov.write.level)
        if all(level == Level.FULL for level in levels):
            return ctx.passed(
                v.resource, f"{label(v)} records all read and write management events.", evidence
            )
        if Level.UNKNOWN in levels and Level.NONE not in levels and Level.PARTIAL not in levels:
            return ctx.unknown(
                v.resource,
                f"{label(v)}: management coverage is unknown: "
                f"{'; '.join(evidence['notes']) or 'a selector condition is not understood'}.",
                evidence,
            )
        missing = [
            d for d, level in (("read", cov.read.level), ("write", cov.write.level)) if level == Level.NONE
        ]
        if len(missing) == 2:
            return ctx.fail(v.resource, f"{label(v)} records no management events.", evidence)
        if missing:
            return ctx.fail(
                v.resource,
                f"{label(v)} records only {'write' if missing == ['read'] else 'read'}"
                f"-only management events; {missing[0]} events are not recorded.",
                evidence,
            )
        exclusion_only = all(d.level == Level.FULL or d.exclusion_only for d in (cov.read, cov.write))
        if exclusion_only:
            return ctx.fail(
                v.resource,
                f"{label(v)} excludes management event sources (kms/rdsdata) from its management events.",
                evidence,
                severity=Severity.LOW,
            )
        return ctx.fail(
            v.resource,
            f"{label(v)} records management events only partially: its selectors carry narrowing conditions.",
            evidence,
        )

    yield from per_trail(inventory, ctx, judge)
