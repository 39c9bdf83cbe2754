from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rules.monitoring.common import Subject, subjects
from scanner.inventory import Inventory
from scanner.lib.alarms import Watch, watches
from scanner.model import ALARM, ENDPOINT, ENDPOINT_CONFIG, Resource, Result, Scope
from scanner.rule import RuleContext, rule


@rule(
    id="MON001",
    name="sagemaker-endpoint-no-alarms",
    title="SageMaker endpoints are watched by a CloudWatch alarm",
    severity="medium",
    family="monitoring",
    remediation="""
        Create at least one CloudWatch alarm on the endpoint's metrics, with an action that
        reaches someone: server errors (Invocation5XXErrors) and latency (ModelLatency) in the
        AWS/SageMaker namespace, instance health (CPUUtilization, MemoryUtilization) in
        /aws/sagemaker/Endpoints. SageMaker publishes them with the dimensions EndpointName and
        VariantName; give both, the endpoint's name (not its ARN) as EndpointName. A
        metric-math alarm counts when one of its queries reads such a metric.
    """,
    terraform="""
        resource "aws_cloudwatch_metric_alarm" "scorer_errors" {
          alarm_name          = "scorer-5xx"
          namespace           = "AWS/SageMaker"
          metric_name         = "Invocation5XXErrors"
          statistic           = "Sum"
          period              = 300
          evaluation_periods  = 1
          threshold           = 1
          comparison_operator = "GreaterThanOrEqualToThreshold"
          dimensions = {
            EndpointName = aws_sagemaker_endpoint.scorer.name
            VariantName  = "AllTraffic"
          }
          alarm_actions = [aws_sns_topic.oncall.arn]
        }
    """,
    cloudformation="""
        ScorerErrorsAlarm:
          Type: AWS::CloudWatch::Alarm
          Properties:
            Namespace: AWS/SageMaker
            MetricName: Invocation5XXErrors
            Statistic: Sum
            Period: 300
            EvaluationPeriods: 1
            Threshold: 1
            ComparisonOperator: GreaterThanOrEqualToThreshold
            Dimensions:
              - Name: EndpointName
                Value: !GetAtt ScorerEndpoint.EndpointName
              - Name: VariantName
                Value: AllTraffic
            AlarmActions: [!Ref OnCallTopic]
    """,
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html",
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        "https://docs.aws.amazon.com/wellarchitected/latest/reliability-pillar/rel_monitor_aws_resources_monitor_resources.html",
    ),
    compliance={"AWS-WA": ("REL06-BP01",), "NIST-800-53-r5": ("SI-4",)},
    needs={ENDPOINT: (), ENDPOINT_CONFIG: (), ALARM: ()},
)
def mon001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An endpoint nobody alarms on fails silently: errors, latency and saturation are
    published to CloudWatch, but no one is told. A CloudWatch metric alarm watches the
    endpoint when one of the metrics it reads (its own, or a metric-math query's
    MetricStat) has the dimension EndpointName equal to the endpoint's name, in the
    endpoint's region and account. Composite alarms are not read: they combine metric
    alarms, which are judged themselves. A Metrics Insights query that may read the endpoint
    is not evaluated, and a dimension value known only at deployment (a variable without a
    value, a name AWS generates) may be the endpoint's: both make the result unknown, never
    a pass nor a fail. In IaC the subject is the endpoint configuration, judged on the
    endpoints declared from it (an endpoint built from no declared configuration is judged
    on its own); alarms on an endpoint's ARN (`!Ref` of the endpoint, Terraform `.arn`)
    watch nothing, as metrics carry its name. One result per endpoint (live) or
    configuration (IaC).
    """
    for scope in inventory.scopes:
        alarms = inventory.of_type(ALARM, scope)
        endpoint_ids = frozenset(e.id for e in inventory.of_type(ENDPOINT, scope))
        for subject in subjects(inventory, scope):
            yield _judge(ctx, inventory, scope, subject, alarms, endpoint_ids)
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, ENDPOINT, "SageMaker endpoints")


def _judge(
    ctx: RuleContext,
    inventory: Inventory,
    scope: Scope,
    subject: Subject,
    alarms: list[Resource],
    endpoint_ids: frozenset[str],
) -> Result:
    label = subject.label
    if not subject.endpoints:
        return ctx.unknown(
            subject.resource,
            f"{label}: no endpoint declared here is built from it, so which alarms watch its "
            "endpoints cannot be told.",
            {"endpoints": []},
        )
    per_endpoint = {
        e.name: _endpoint(inventory, scope, e, alarms, endpoint_ids - {e.id}) for e in subject.endpoints
    }
    evidence: dict[str, Any] = {"endpoints": {name: v.evidence for name, v in per_endpoint.items()}}
    alone = len(per_endpoint) == 1 and subject.resource.type == ENDPOINT
    unwatched = [name for name, v in per_endpoint.items() if v.status is False]
    open_ = [name for name, v in per_endpoint.items() if v.status is None]
    if unwatched:
        what = f"{label}: no CloudWatch alarm watches any of its metrics"
        if not alone:
            what = f"{label}: no CloudWatch alarm watches any metric of endpoint {', '.join(unwatched)}"
        checked = per_endpoint[unwatched[0]].checked
        region = next(e.region for e in subject.endpoints if e.name == unwatched[0])
        if scope.is_live:
            seen = f"{_alarms(checked)} in {region} checked" if checked else f"no alarm in {region}"
        else:
            seen = f"{_alarms(checked)} declared here checked" if checked else "no alarm is declared here"
        near = per_endpoint[unwatched[0]].evidence.get("near_misses")
        if near:  # an alarm meant for it, on a value no metric carries: say which
            seen += "; " + "; ".join(near)
        return ctx.fail(
            subject.resource, f"{what} ({seen}), so its errors and latency reach no one.", evidence
        )
    if open_:
        whys = "; ".join(per_endpoint[n].why for n in open_)
        return ctx.unknown(
            subject.resource,
            f"{label}: whether a CloudWatch alarm watches it is not known: {whys}.",
            evidence,
        )
    if alone:
        return ctx.passed(
            subject.resource, f"{label} is watched: {per_endpoint[subject.endpoints[0].name].why}.", evidence
        )
    whys = "; ".join(f"endpoint {n}: {v.why}" for n, v in per_endpoint.items())
    return ctx.passed(
        subject.resource, f"{label}: every endpoint built from it is watched ({whys}).", evidence
    )


@dataclass(frozen=True)
class _Verdict:
    """One endpoint's verdict: watched (True), not (False), not known (None)."""

    status: bool | None
    why: str
    checked: int  # the alarms of its region (live) or configuration (IaC) looked at
    evidence: dict[str, Any]


def _endpoint(
    inventory: Inventory, scope: Scope, endpoint: Resource, alarms: list[Resource], others: frozenset[str]
) -> _Verdict:
    live = scope.is_live
    seen: list[Watch] = []
    for alarm in alarms:
        if live and alarm.region != endpoint.region:
            continue  # alarms read their own region's metrics
        seen.append(watches(alarm, endpoint, live=live, account_id=scope.account_id, other_endpoints=others))
    watching = [w for w in seen if w.watches is True]
    maybe = [w for w in seen if w.watches is None]
    # Alarms that name the endpoint yet read none of its metrics (its ARN as EndpointName).
    missed = [w.why for w in seen if w.missed]
    evidence: dict[str, Any] = {
        "alarms_checked": len(seen),
        "watched_by": [w.why for w in watching],
        "undecided": [w.why for w in maybe],
    }
    if missed:
        evidence["near_misses"] = missed
    if watching:
        return _Verdict(True, "; ".join(w.why for w in watching), len(seen), evidence)
    gaps = inventory.gaps_for(ALARM, scope, endpoint.region) if live else []
    if gaps:
        error = gaps[0].error
        evidence["error"] = error.to_dict()
        why = f"the alarms of {endpoint.region} could not be listed ({error.code or error.kind})"
        return _Verdict(None, why, len(seen), evidence)
    if maybe:
        return _Verdict(None, "; ".join(w.why for w in maybe), len(seen), evidence)
    return _Verdict(False, "; ".join(missed) or "no alarm watches it", len(seen), evidence)


def _alarms(n: int) -> str:
    return f"{n} alarm" if n == 1 else f"{n} alarms"
