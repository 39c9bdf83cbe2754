from __future__ import annotations

from collections.abc import Iterator

from rules.data_events.common import DATA_NEEDS, account_and_each
from rules.data_events.de001_s3_write import S3_CLOUDFORMATION, S3_TERRAFORM
from scanner.inventory import Inventory
from scanner.lib.selectors import Direction, all_s3_buckets, s3_bucket
from scanner.model import BUCKET, Result
from scanner.rule import RuleContext, rule


@rule(
    id="DE002",
    name="cloudtrail-s3-read-data-events",
    title="S3 object-level read events are recorded",
    severity="low",
    family="data-events",
    remediation="""
        Record S3 read data events (GetObject, ...) for all buckets on a multi-region,
        logging trail: a classic selector with `ReadWriteType: All` or `ReadOnly` over
        `arn:aws:s3`, or an advanced `AWS::S3::Object` selector without a `readOnly`
        condition (or with `readOnly = true`).
    """,
    terraform=S3_TERRAFORM,
    cloudformation=S3_CLOUDFORMATION,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-23",
    ),
    compliance={
        "CIS-AWS-v5.0": ("3.9",),
        "CIS-AWS-v1.4": ("3.11",),
        "AWS-FSBP": ("S3.23",),
        "NIST-800-53-r5": ("AU-2", "AU-12"),
    },
    needs={**DATA_NEEDS, BUCKET: ()},
)
def de002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Object-level read events (GetObject, ...) show who read which data: the record an
    investigation of a data leak starts from (training sets and model artifacts included).
    Same shape as DE001, for the read direction: an account-wide result (Security Hub
    S3.23) and one per bucket. A `WriteOnly` selector does not cover reads.
    """
    yield from account_and_each(
        inventory,
        ctx,
        resource_type=BUCKET,
        noun="bucket",
        what="S3 object-level read events",
        direction=Direction.READ,
        all_target=all_s3_buckets,
        one_target=lambda b: s3_bucket(b.get("BucketName") or b.name, b.partition),
    )
