from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.values import number
from scanner.model import LOG_GROUP, Resource, Result, Unknown
from scanner.rule import RuleContext, rule

# Log events of the Delivery class stay one day in CloudWatch Logs by design (they are
# delivered to S3 or Firehose); their retention is the destination's, not the group's.
DELIVERY = "DELIVERY"


@rule(
    id="MON003",
    name="log-group-no-retention",
    title="CloudWatch log groups keep logs for the configured minimum, not forever",
    severity="low",
    family="monitoring",
    remediation="""
        Set a retention period on every log group: at least the minimum your audit and
        investigation needs ask for (365 days by default, as Security Hub's CloudWatch.16
        expects), and not "never expire", which keeps (and bills) every event forever. Log
        groups that services create on their own (Lambda, SageMaker, ...) start without
        retention: declare them in your code with the retention, or set it once they exist.
    """,
    terraform="""
        resource "aws_cloudwatch_log_group" "scorer" {
          name              = "/aws/sagemaker/Endpoints/scorer"
          retention_in_days = 365
        }
    """,
    cloudformation="""
        ScorerLogs:
          Type: AWS::Logs::LogGroup
          Properties:
            LogGroupName: /aws/sagemaker/Endpoints/scorer
            RetentionInDays: 365
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html#SettingLogRetention",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html#cloudwatch-16",
    ),
    compliance={"AWS-FSBP": ("CloudWatch.16",), "NIST-800-53-r5": ("AU-11",)},
    needs={LOG_GROUP: ("listing",)},
    params={"min_retention_days": 365},
)
def mon003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A log group without a retention period keeps its events forever ("never expire");
    one with a shorter period than the configured minimum (`min_retention_days`, default
    365, as Security Hub CloudWatch.16 checks) deletes them before an investigation or an
    audit may need them. Live, the retention is the one in force (DescribeLogGroups reports
    an account-level retention policy in place of the group's own, named in the evidence).
    In Terraform `retention_in_days = 0` (the provider's default) and an absent value both
    mean never expire; in CloudFormation an absent RetentionInDays does. A value known only
    at deployment (a parameter or variable without a value) is unknown. Log groups of the
    Delivery class keep events one day by design (they are delivered to S3 or Firehose) and
    are not judged; a log group a configuration names without declaring it (the target of a
    log-group resource policy) is judged where it is declared.
    """
    minimum = ctx.params["min_retention_days"]
    for scope in inventory.scopes:
        for group in inventory.of_type(LOG_GROUP, scope):
            if scope.is_live and not group.observed.get("Listed"):
                continue  # known only because an EventBridge target names it: not listed
            if not scope.is_live and isinstance(group.raw, dict) and group.raw.get("placeholder"):
                continue  # named by a resource policy, declared elsewhere
            result = _judge(ctx, group, minimum)
            if result is not None:
                yield result
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, LOG_GROUP, "Log groups")


def _judge(ctx: RuleContext, group: Resource, minimum: int) -> Result | None:
    label = f"Log group {group.name}"
    log_class = group.get("LogGroupClass")
    if isinstance(log_class, str) and log_class.upper() == DELIVERY:
        return None
    value = group.get("RetentionInDays")
    days = number(value)
    evidence: dict[str, Any] = {"RetentionInDays": value, "min_retention_days": minimum}
    policy = group.observed.get("RetentionPolicyName")
    if policy:
        evidence["RetentionPolicyName"] = policy
    source = f" (account-level retention policy {policy})" if policy else ""
    if isinstance(days, Unknown):
        return ctx.unknown(group, f"{label}: its retention is not known ({days.reason}).", evidence)
    if isinstance(log_class, Unknown) and (days is None or days < minimum):
        # Only a Delivery-class group keeps events one day by design; this one may be one.
        return ctx.unknown(
            group,
            f"{label}: its log class is not known ({log_class.reason}), so its retention cannot be judged.",
            evidence,
        )
    if days is None:
        return ctx.fail(
            group,
            f"{label} never expires its events{source}: they are kept, and billed, forever; "
            f"set a retention of at least {minimum} days.",
            evidence,
        )
    if days < minimum:
        return ctx.fail(
            group,
            f"{label} keeps events for {days} days{source}, less than the minimum of {minimum} days.",
            evidence,
        )
    return ctx.passed(group, f"{label} keeps events for {days} days{source} (minimum {minimum}).", evidence)
