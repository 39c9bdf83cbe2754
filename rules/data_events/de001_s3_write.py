from __future__ import annotations

from collections.abc import Iterator

from rules.data_events.common import DATA_NEEDS, account_and_each
from scanner.inventory import Inventory
from scanner.lib.selectors import Direction, all_s3_buckets, s3_bucket
from scanner.model import BUCKET, Result
from scanner.rule import RuleContext, rule

S3_TERRAFORM = """
    resource "aws_cloudtrail" "main" {
      # ... multi-region, logging
      advanced_event_selector {
        name = "S3 object-level events"
        field_selector {
          field  = "eventCategory"
          equals = ["Data"]
        }
        field_selector {
          field  = "resources.type"
          equals = ["AWS::S3::Object"]
        }
      }
    }
"""
S3_CLOUDFORMATION = """
    Trail:
      Type: AWS::CloudTrail::Trail
      Properties:
        IsMultiRegionTrail: true
        AdvancedEventSelectors:
          - Name: S3 object-level events
            FieldSelectors:
              - Field: eventCategory
                Equals: [Data]
              - Field: resources.type
                Equals: [AWS::S3::Object]
"""


@rule(
    id="DE001",
    name="cloudtrail-s3-write-data-events",
    title="S3 object-level write events are recorded",
    severity="medium",
    family="data-events",
    remediation="""
        Record S3 data events for all buckets on a multi-region, logging trail: a classic
        selector with `DataResources: [{Type: AWS::S3::Object, Values: [arn:aws:s3]}]` and
        `ReadWriteType: All` or `WriteOnly`, or an advanced selector on
        `resources.type = AWS::S3::Object` without a `resources.ARN` or `readOnly` condition.
        Data events are billed per event: an advanced selector can leave out noisy buckets
        with `resources.ARN NotStartsWith` (which then fail here, on purpose, by name).
    """,
    terraform=S3_TERRAFORM,
    cloudformation=S3_CLOUDFORMATION,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-22",
    ),
    compliance={
        "CIS-AWS-v5.0": ("3.8",),
        "CIS-AWS-v1.4": ("3.10",),
        "AWS-FSBP": ("S3.22",),
        "NIST-800-53-r5": ("AU-2", "AU-12"),
    },
    needs={**DATA_NEEDS, BUCKET: ()},
)
def de001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Object-level write events (PutObject, DeleteObject, ...) are not management events:
    without a data-event selector, nobody can tell who changed or deleted an object.

    One account-wide result (as Security Hub S3.22: a multi-region logging trail records
    write events for all buckets) and one result per bucket: covered when a logging trail
    (multi-region, or single-region in the bucket's region) records write events for
    all its objects. Selectors are read with the shared matcher: `arn:aws:s3` and
    `arn:aws:s3:::` mean all buckets, `arn:aws:s3:::bucket/` the whole bucket, a longer
    prefix only part of it (partial, fails); advanced selectors by their conditions.
    """
    yield from account_and_each(
        inventory,
        ctx,
        resource_type=BUCKET,
        noun="bucket",
        what="S3 object-level write events",
        direction=Direction.WRITE,
        all_target=all_s3_buckets,
        one_target=lambda b: s3_bucket(b.get("BucketName") or b.name, b.partition),
    )
