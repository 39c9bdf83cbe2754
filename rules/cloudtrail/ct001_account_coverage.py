from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_SELECTORS
from scanner.inventory import Inventory
from scanner.lib.trails import account_name, account_subject, describe, trail_listing, tri_and, tri_any
from scanner.model import Result, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT001",
    name="cloudtrail-account-coverage",
    title="Account has a multi-region trail recording all management events",
    severity="high",
    family="cloudtrail",
    remediation="""
        Create (or fix) one trail that is multi-region, logging, and records read and write
        management events. An organization trail created in the management or delegated
        administrator account satisfies this for every member account.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          name                          = "main"
          s3_bucket_name                = aws_s3_bucket.trail.id
          is_multi_region_trail         = true
          include_global_service_events = true
          enable_logging                = true
          enable_log_file_validation    = true
          kms_key_id                    = aws_kms_key.trail.arn

          event_selector {
            read_write_type           = "All"
            include_management_events = true
          }
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            TrailName: main
            S3BucketName: !Ref TrailBucket
            IsLogging: true
            IsMultiRegionTrail: true
            IncludeGlobalServiceEvents: true
            EnableLogFileValidation: true
            KMSKeyId: !GetAtt TrailKey.Arn
            EventSelectors:
              - ReadWriteType: All
                IncludeManagementEvents: true
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/receive-cloudtrail-log-files-from-multiple-regions.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-1",
    ),
    compliance={
        "CIS-AWS-v5.0": ("3.1",),
        "CIS-AWS-v1.4": ("3.1",),
        "AWS-FSBP": ("CloudTrail.1",),
        "NIST-800-53-r5": ("AU-2", "AU-12"),
    },
    needs=TRAIL_SELECTORS,
)
def ct001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Every account needs at least one trail that is multi-region, logging, and records
    read and write management events; without it, API activity in some region or of some
    kind leaves no audit record beyond the 90-day event history.

    Every trail visible to the account counts: its own trails, shadow copies of
    multi-region trails, and organization trails owned by the management account. When
    an organization trail's status or selectors cannot be read from a member account,
    the verdict is `unknown`, never `fail`. Advanced selectors are judged by their field
    conditions, never by their `Name`. Excluding only the kms/rdsdata event sources still
    counts as recording management events here (CT004 reports the exclusion).
    One result per account (IaC: per configuration, on its first trail).
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
                f"{who}: trails could not be listed, so coverage is unknown.",
                {"reason": listing.reason},
            )
            continue
        verdicts = []
        trails = []
        for v in listing.views:
            ok = tri_and(v.exists, v.multi_region, v.logging, v.records_all_management())
            verdicts.append((v, ok))
            entry = v.summary()
            entry["records_read_write_management"] = describe(v.records_all_management())
            entry["qualifies"] = describe(ok)
            trails.append(entry)
        evidence = {"trails": trails}
        overall = tri_any(ok for _, ok in verdicts)
        if overall is False and listing.not_scanned() is not None:
            overall = listing.not_scanned()  # a trail may sit in what was not scanned
        if overall is True:
            good = next(v for v, ok in verdicts if ok is True)
            yield ctx.passed(
                subject,
                f"{who} is covered by multi-region logging trail {good.resource.name} "
                "recording read and write management events.",
                evidence,
            )
        elif isinstance(overall, Unknown):
            yield ctx.unknown(
                subject,
                f"{who}: no trail is known to give full coverage, and whether "
                f"one does could not be determined: {overall.reason}.",
                evidence,
            )
        elif not trails and listing.failed_regions:
            yield ctx.fail(
                subject,
                f"{who} has no CloudTrail trail in the regions that could be listed "
                "(a multi-region trail would appear in every one of them).",
                evidence,
            )
        elif not trails:
            yield ctx.fail(subject, f"{who} has no CloudTrail trail at all.", evidence)
        else:
            yield ctx.fail(
                subject,
                f"{who} has no trail that is multi-region, logging and records read "
                f"and write management events ({len(trails)} trail(s) seen, none qualifies).",
                evidence,
            )
