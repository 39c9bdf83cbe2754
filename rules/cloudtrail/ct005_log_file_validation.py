from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_BASE, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.trails import TrailView, as_tri
from scanner.model import Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT005",
    name="cloudtrail-log-file-validation",
    title="Trail log file validation is enabled",
    severity="medium",
    family="cloudtrail",
    remediation="""
        Enable log file integrity validation so that CloudTrail delivers signed digest files
        and any change to or deletion of a log file can be detected
        (`aws cloudtrail validate-logs`).
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          enable_log_file_validation = true
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            EnableLogFileValidation: true
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
    ),
    compliance={
        "CIS-AWS-v5.0": ("3.2",),
        "CIS-AWS-v1.4": ("3.2",),
        "AWS-FSBP": ("CloudTrail.4",),
        "NIST-800-53-r5": ("AU-9", "SI-7"),
    },
    needs=TRAIL_BASE,
)
def ct005(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Without log file validation, log files can be altered or deleted without trace.
    Defaults to disabled in the API, Terraform (`enable_log_file_validation`) and
    CloudFormation (`EnableLogFileValidation`).
    """

    def judge(v: TrailView, scope: Scope) -> Result:
        value = as_tri(
            v.resource.get("EnableLogFileValidation"), default=False, what="EnableLogFileValidation"
        )
        evidence = {"EnableLogFileValidation": value}
        if isinstance(value, Unknown):
            return ctx.unknown(
                v.resource, f"{label(v)}: log file validation is unknown ({value.reason}).", evidence
            )
        if value:
            return ctx.passed(v.resource, f"{label(v)} has log file validation enabled.", evidence)
        return ctx.fail(
            v.resource,
            f"{label(v)} has log file validation disabled: tampering with its log files cannot be detected.",
            evidence,
        )

    yield from per_trail(inventory, ctx, judge)
