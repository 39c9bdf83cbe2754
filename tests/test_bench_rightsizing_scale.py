"""bench/rightsizing_scale.py: its GetMetricData shortcut answers as moto does, and a small run
prints calls equal to the minimum (the full 1,200-instance run is the bench's, not the suite's)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import pytest
from moto.cloudwatch.models import CloudWatchBackend

BENCH = Path(__file__).resolve().parents[1] / "bench" / "rightsizing_scale.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rightsizing_scale", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_own_series_only_answers_as_moto_does(aws, bench):
    cw = aws.client("cloudwatch", region_name="us-east-1")
    end = dt.datetime(2025, 3, 15, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=2)
    instance = [{"Name": "InstanceId", "Value": "i-1"}]
    variant = [{"Name": "EndpointName", "Value": "e"}, {"Name": "VariantName", "Value": "v"}]
    # Several points a period, points on period edges, three before the window.
    cpu = [
        {"MetricName": "CPUUtilization", "Dimensions": instance, "Timestamp": t, "Value": float(n % 7)}
        for n, t in enumerate(start + dt.timedelta(minutes=13 * k) for k in range(-3, 220))
    ]
    hourly = [
        {"MetricName": "CPUUtilization", "Dimensions": variant, "Timestamp": t, "Value": 40.0 + h}
        for h, t in enumerate(start + dt.timedelta(hours=h) for h in range(48))
    ]
    cw.put_metric_data(Namespace="AWS/EC2", MetricData=cpu)
    cw.put_metric_data(Namespace="/aws/sagemaker/Endpoints", MetricData=hourly)

    def query(qid: str, dims: list[dict[str, str]], period: int, stat: str) -> dict[str, Any]:
        namespace = "AWS/EC2" if dims[0]["Name"] == "InstanceId" else "/aws/sagemaker/Endpoints"
        metric = {"Namespace": namespace, "MetricName": "CPUUtilization", "Dimensions": dims}
        return {"Id": qid, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}}

    queries = [
        query("a", instance, 3600, "Average"),
        query("b", instance, 60, "Sum"),
        query("c", instance, 300, "Maximum"),
        query("d", variant, 3600, "Average"),
        query("e", [{"Name": "InstanceId", "Value": "i-none"}], 3600, "Average"),
    ]

    def ask(scan_by: str) -> list[dict[str, Any]]:
        got = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy=scan_by)
        return got["MetricDataResults"]

    moto_answer = CloudWatchBackend.get_metric_data
    handed_to_moto: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        handed_to_moto.append(1)
        return moto_answer(*args, **kwargs)

    for scan_by in ("TimestampAscending", "TimestampDescending"):
        expected = ask(scan_by)
        with mock.patch.object(CloudWatchBackend, "get_metric_data", spy), bench.own_series_only():
            assert ask(scan_by) == expected
        assert handed_to_moto == []  # answered by the shortcut itself
        assert [len(r["Values"]) for r in expected] == [48, 220, 220, 48, 0]


def test_a_small_run_prints_each_call_against_its_minimum(bench, capsys):
    bench.main(["--instances", "30", "--no-demo"])
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:4] for line in out.splitlines() if ":" in line.split(" ")[0]}
    assert rows["cloudwatch:GetMetricData"] == ["1", "1", "1.00"]
    assert rows["ec2:DescribeInstances"] == ["1", "1", "1.00"]
    assert "30 running EC2 instances in 1 region (us-east-1)" in out
    assert "moto does not paginate GetMetricData by datapoints" in out
