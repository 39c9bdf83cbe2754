"""opscheck.yml on a live (moto) scan through the command line: the metric window and the rule
parameters change what RS001 sees and decides, and GetMetricData is asked for that window."""

from __future__ import annotations

import datetime as dt
import io
import json

from scanner.cli import main

REGION = "us-east-1"


def _seed(aws) -> str:
    """An m5.2xlarge at 70% CPU from 14 to 6 days ago, then 10% for the last 5 days."""
    ec2 = aws.client("ec2", region_name=REGION)
    cw = aws.client("cloudwatch", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, InstanceType="m5.2xlarge", MinCount=1, MaxCount=1)[
        "Instances"
    ][0]["InstanceId"]
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": instance}],
            "Timestamp": end - dt.timedelta(hours=h, seconds=1),
            "Value": 10.0 if h < 5 * 24 else 70.0,
        }
        for h in range(14 * 24)
    ]
    for i in range(0, len(data), 1000):
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=data[i : i + 1000])
    return instance


def _rs001(tmp_path, monkeypatch, config: str) -> dict:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opscheck.yml").write_text(config)
    out = io.StringIO()
    code = main(["scan", "--aws", "--region", REGION, "--rules", "RS001", "--format", "json"], out=out)
    assert code in (0, 1)
    doc = json.loads(out.getvalue())
    (result,) = [r for r in doc["results"] if r["rule_id"] == "RS001"]
    assert doc["scan"]["stats"]["api_calls_by_operation"]["cloudwatch:GetMetricData"] == 1
    return result


def test_the_look_back_and_parameters_come_from_opscheck_yml(aws, tmp_path, monkeypatch):
    _seed(aws)
    default = _rs001(tmp_path, monkeypatch, "")
    assert default["status"] == "pass"  # the busy week is inside 14 days
    assert default["evidence"]["cpu"]["lookback_days"] == 14
    assert default["evidence"]["cpu"]["period_seconds"] == 3600

    recent = _rs001(
        tmp_path,
        monkeypatch,
        "metrics: {lookback_days: 5, period_seconds: 300}\nparams: {RS001: {min_days_with_data: 3}}\n",
    )
    assert recent["status"] == "fail"  # only the quiet days are in the window
    assert recent["evidence"]["cpu"]["lookback_days"] == 5
    assert recent["evidence"]["cpu"]["period_seconds"] == 300
    assert "10%" in recent["message"]

    # min_days_with_data (7) asks a 5-day window for all of its 5 days, not for 7 it cannot hold
    assert _rs001(tmp_path, monkeypatch, "metrics: {lookback_days: 5}\n")["status"] == "fail"

    strict = _rs001(tmp_path, monkeypatch, "params: {RS001: {cpu_threshold: 80}}\nseverity: {RS001: high}\n")
    assert strict["status"] == "fail" and strict["severity"] == "high"
    assert strict["evidence"]["cpu"]["threshold"] == 80
