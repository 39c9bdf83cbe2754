from __future__ import annotations

from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_STATUS, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.trails import TrailView
from scanner.model import Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT003",
    name="cloudtrail-logging-stopped",
    title="Trail is logging",
    severity="high",
    family="cloudtrail",
    remediation="""
        Start logging on the trail (`aws cloudtrail start-logging --name ARN`) and find out
        who stopped it: a StopLogging call is itself a management event worth alerting on.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          enable_logging = true # the default; never set it to false
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            IsLogging: true
    """,
    references=("https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html",),
    compliance={"AWS-FSBP": ("CloudTrail.1",), "NIST-800-53-r5": ("AU-12",)},
    needs=TRAIL_STATUS,
)
def ct003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A trail that is not logging records nothing, whatever else it is configured to do.
    Live: the trail status (`GetTrailStatus.IsLogging`, read by ARN in the home region);
    Terraform: `enable_logging = false` (default true); CloudFormation: `IsLogging: false`.
    A status that cannot be read is `unknown`.
    """

    def judge(v: TrailView, scope: Scope) -> Result:
        status = v.resource.observed.get("Status") or {}
        evidence = {
            "IsLogging": v.resource.get("IsLogging"),
            "StopLoggingTime": status.get("StopLoggingTime"),
            "TimeLoggingStopped": status.get("TimeLoggingStopped") or None,
        }
        evidence = {k: val for k, val in evidence.items() if val is not None}
        if isinstance(v.logging, Unknown):
            return ctx.unknown(
                v.resource,
                f"{label(v)}: logging status is unknown ({v.logging.reason}).",
                {"IsLogging": {"unknown": v.logging.reason}},
            )
        if v.logging:
            return ctx.passed(v.resource, f"{label(v)} is logging.", evidence)
        return ctx.fail(v.resource, f"{label(v)} is not logging: it records no events.", evidence)

    yield from per_trail(inventory, ctx, judge)
