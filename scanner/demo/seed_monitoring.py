"""The demo account's monitoring story (MON001-MON003): alarms on two of the three endpoints,
one of them through metric math, none on churn-predictor; the endpoints' autoscaling comes
from seed_resilience (recsys-ranker) and seed_rightsizing (churn-predictor), fraud-scorer has
none; log groups that keep their events forever, too briefly, or long enough."""

from __future__ import annotations

from typing import Any

import boto3

HOME = "us-east-1"
ACCOUNT = "123456789012"
ALERTS = f"arn:aws:sns:{HOME}:{ACCOUNT}:ml-model-alerts"


def seed_monitoring(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    cloudwatch = session.client("cloudwatch", region_name=HOME)
    # fraud-scorer: its p99 latency, on the endpoint's own metric (MON001 pass).
    cloudwatch.put_metric_alarm(
        AlarmName="fraud-scorer-latency-p99",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=[
            {"Name": "EndpointName", "Value": "fraud-scorer"},
            {"Name": "VariantName", "Value": "primary"},
        ],
        ExtendedStatistic="p99",
        Period=300,
        EvaluationPeriods=3,
        Threshold=250_000,  # microseconds
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[ALERTS],
    )

    # recsys-ranker: the share of 5xx answers, through metric math (MON001 pass).
    def metric(qid: str, name: str) -> dict[str, Any]:
        dimensions = [
            {"Name": "EndpointName", "Value": "recsys-ranker"},
            {"Name": "VariantName", "Value": "primary"},
        ]
        return {
            "Id": qid,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": name, "Dimensions": dimensions},
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    cloudwatch.put_metric_alarm(
        AlarmName="recsys-ranker-error-rate",
        Metrics=[
            {"Id": "rate", "Expression": "errors / MAX([errors, invocations])", "ReturnData": True},
            metric("errors", "Invocation5XXErrors"),
            metric("invocations", "Invocations"),
        ],
        EvaluationPeriods=2,
        Threshold=0.02,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[ALERTS],
    )
    # churn-predictor has none (MON001 fail); a queue alarm shows that other alarms do not count.
    cloudwatch.put_metric_alarm(
        AlarmName="training-jobs-backlog",
        Namespace="AWS/SQS",
        MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[{"Name": "QueueName", "Value": "ml-training-jobs"}],
        Statistic="Maximum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=100,
        ComparisonOperator="GreaterThanThreshold",
    )

    # Log groups (MON003; the trail's /aws/cloudtrail/platform-audit never expires either, and
    # the EventBridge targets' /aws/events/* keep a year): SageMaker creates an endpoint's log
    # group without retention (fail), a function's logs kept 30 days (fail below 365), two years
    # for the scoring function (pass).
    logs = session.client("logs", region_name=HOME)
    groups = {
        "/aws/sagemaker/Endpoints/fraud-scorer": None,
        "/aws/lambda/batch-ingest": 30,
        "/aws/lambda/score-features": 731,
    }
    for name, days in groups.items():
        logs.create_log_group(logGroupName=name)
        if days is not None:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    return {"alarms": 3, "log_groups": sorted(groups)}
