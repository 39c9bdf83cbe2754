from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_BASE, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.trails import TrailView
from scanner.model import Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT006",
    name="cloudtrail-kms-encryption",
    title="Trail logs are encrypted with a KMS key",
    severity="medium",
    family="cloudtrail",
    remediation="""
        Encrypt the trail's log files with a customer managed KMS key (SSE-KMS) whose key
        policy lets CloudTrail encrypt and only the log readers decrypt.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          kms_key_id = aws_kms_key.trail.arn # an ARN: a key or alias ARN
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            KMSKeyId: !GetAtt TrailKey.Arn
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/encrypting-cloudtrail-log-files-with-aws-kms.html",
    ),
    compliance={
        "CIS-AWS-v5.0": ("3.5",),
        "CIS-AWS-v1.4": ("3.7",),
        "AWS-FSBP": ("CloudTrail.2",),
        "NIST-800-53-r5": ("AU-9", "SC-28"),
    },
    needs=TRAIL_BASE,
)
def ct006(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Trail logs encrypted only with S3-managed keys can be read by anyone with read access
    to the bucket; a KMS key adds a second, separately audited permission. Fails when the
    trail has no `KMSKeyId` (Terraform `kms_key_id`).
    """

    def judge(v: TrailView, scope: Scope) -> Result:
        key = v.resource.get("KMSKeyId")
        evidence = {"KMSKeyId": key}
        if isinstance(key, Unknown):
            return ctx.unknown(
                v.resource, f"{label(v)}: its KMS key could not be determined ({key.reason}).", evidence
            )
        if key:
            return ctx.passed(v.resource, f"{label(v)} encrypts its logs with KMS key {key}.", evidence)
        return ctx.fail(v.resource, f"{label(v)} does not encrypt its logs with a KMS key.", evidence)

    yield from per_trail(inventory, ctx, judge)
