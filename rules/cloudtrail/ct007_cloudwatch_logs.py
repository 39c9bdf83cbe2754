from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from rules.cloudtrail.common import TRAIL_STATUS, label, per_trail
from scanner.inventory import Inventory
from scanner.lib.trails import TrailView
from scanner.model import Result, Scope, Unknown
from scanner.rule import RuleContext, rule


@rule(
    id="CT007",
    name="cloudtrail-cloudwatch-logs",
    title="Trail delivers to CloudWatch Logs",
    severity="low",
    family="cloudtrail",
    remediation="""
        Send the trail to a CloudWatch Logs log group (with a role CloudTrail can assume) so
        that metric filters and alarms can react to events within minutes. If delivery
        fails, check the role's trust policy and its logs:CreateLogStream /
        logs:PutLogEvents permissions on the group.
    """,
    terraform="""
        resource "aws_cloudtrail" "main" {
          # ...
          cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
          cloud_watch_logs_role_arn  = aws_iam_role.trail_to_logs.arn
        }
    """,
    cloudformation="""
        Trail:
          Type: AWS::CloudTrail::Trail
          Properties:
            CloudWatchLogsLogGroupArn: !GetAtt TrailLogGroup.Arn
            CloudWatchLogsRoleArn: !GetAtt TrailToLogsRole.Arn
    """,
    references=(
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html",
    ),
    compliance={"CIS-AWS-v1.4": ("3.4",), "AWS-FSBP": ("CloudTrail.5",), "NIST-800-53-r5": ("AU-6", "SI-4")},
    needs=TRAIL_STATUS,
    params={"max_delivery_age_hours": 24},
)
def ct007(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """Without CloudWatch Logs delivery, nothing watches the trail in near real time.
    Fails when the trail has no `CloudWatchLogsLogGroupArn`; on live accounts also when
    the last delivery to CloudWatch Logs reports an error or is older than
    `max_delivery_age_hours` (default 24; the CIS v1.x audit step). A trail that has not
    delivered yet is judged on its configuration alone.
    """
    max_age = dt.timedelta(hours=float(ctx.params["max_delivery_age_hours"]))

    def judge(v: TrailView, scope: Scope) -> Result:
        group = v.resource.get("CloudWatchLogsLogGroupArn")
        evidence: dict = {"CloudWatchLogsLogGroupArn": group}
        if isinstance(group, Unknown):
            return ctx.unknown(
                v.resource, f"{label(v)}: its log group could not be determined ({group.reason}).", evidence
            )
        if not group:
            return ctx.fail(v.resource, f"{label(v)} does not deliver to CloudWatch Logs.", evidence)
        if v.resource.origin.source == "aws" and "Status" not in v.resource.observed:
            reason = v.logging.reason if isinstance(v.logging, Unknown) else "the trail status was not read"
            return ctx.unknown(
                v.resource, f"{label(v)}: CloudWatch Logs delivery could not be checked ({reason}).", evidence
            )
        status = v.resource.observed.get("Status") or {}
        error = status.get("LatestCloudWatchLogsDeliveryError")
        last = status.get("LatestCloudWatchLogsDeliveryTime")
        evidence.update(
            {
                k: status[k]
                for k in ("LatestCloudWatchLogsDeliveryTime", "LatestCloudWatchLogsDeliveryError")
                if status.get(k)
            }
        )
        if error:
            return ctx.fail(v.resource, f"{label(v)} fails to deliver to CloudWatch Logs: {error}.", evidence)
        age = _age(last, scope.collected_at)
        if age is not None and age > max_age:
            hours = round(age.total_seconds() / 3600)
            return ctx.fail(
                v.resource, f"{label(v)} last delivered to CloudWatch Logs {hours} hours ago.", evidence
            )
        return ctx.passed(v.resource, f"{label(v)} delivers to CloudWatch Logs group {group}.", evidence)

    yield from per_trail(inventory, ctx, judge)


def _age(last: str | None, now: str | None) -> dt.timedelta | None:
    if not last or not now:
        return None
    try:
        return dt.datetime.fromisoformat(now.replace("Z", "+00:00")) - dt.datetime.fromisoformat(
            last.replace("Z", "+00:00")
        )
    except ValueError:
        return None
