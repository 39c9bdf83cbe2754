"""CloudWatch metric alarms of a region (MON001): one paginated DescribeAlarms per region, kept
as CloudFormation's AWS::CloudWatch::Alarm (the API's own names): the metric of a plain alarm
(Namespace, MetricName, Dimensions) and the queries of a metric-math alarm (Metrics, each with
its MetricStat.Metric dimensions, Expression and AccountId).

Only metric alarms are asked for (AlarmTypes MetricAlarm, also the API's default). A
composite alarm carries no metric and no dimensions: its rule combines other alarms, which
are metric alarms listed here themselves, so it adds no coverage of any metric; log alarms
(scheduled Logs Insights queries) watch log groups, not metrics. Neither is collected, and an
answer that lists them anyway (the emulator's) has them ignored.
"""

from __future__ import annotations

from scanner.model import ALARM
from scanner.sources.aws.collectors.listing import ListCollector, Listing


class AlarmCollector(ListCollector):
    name = "cloudwatch-alarms"
    listing = Listing(
        resource_type=ALARM,
        service="cloudwatch",
        operation="DescribeAlarms",
        result_key="MetricAlarms",
        arn_field="AlarmArn",
        name_field="AlarmName",
        properties={
            "AlarmName": "AlarmName",
            "Namespace": "Namespace",
            "MetricName": "MetricName",
            "Dimensions": "Dimensions",
            "Metrics": "Metrics",
            "ActionsEnabled": "ActionsEnabled",
            "AlarmActions": "AlarmActions",
        },
        observed=("StateValue",),
        params={"AlarmTypes": ["MetricAlarm"]},
    )
