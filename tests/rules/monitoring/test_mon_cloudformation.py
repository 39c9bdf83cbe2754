"""MON001-MON003 on CloudFormation templates: every rule fails, passes and is unknown on named
resources, asserted exactly. MON001 and MON002 results sit on the endpoint configuration.

`!GetAtt Endpoint.EndpointName` names the endpoint; `!Ref Endpoint` gives its ARN (the
endpoint's primary identifier), which no metric carries. A parameter without a default is
known only at deployment: unknown, never a fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import ConfigError, load, parse
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

IDS = ("MON001", "MON002", "MON003")


def _config(name: str, variant: str = "") -> str:
    variant = (
        variant
        or "{VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}"
    )
    return f"  {name}Config: {{Type: AWS::SageMaker::EndpointConfig, Properties: {{ProductionVariants: [{variant}]}}}}\n"


def _endpoint(name: str) -> str:
    return (
        f"  {name}: {{Type: AWS::SageMaker::Endpoint, Properties: "
        f"{{EndpointConfigName: !GetAtt {name}Config.EndpointConfigName}}}}\n"
    )


TEMPLATE = (
    """AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Days: {Type: Number}
  Watched: {Type: String}
Resources:
"""
    # MON001
    + _config("Watched")
    + _endpoint("Watched")
    + """  WatchedAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: Invocation5XXErrors
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
      Dimensions:
        - {Name: EndpointName, Value: !GetAtt Watched.EndpointName}
        - {Name: VariantName, Value: AllTraffic}
"""
    + _config("Mathy")
    + _endpoint("Mathy")
    + """  MathyAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      EvaluationPeriods: 1
      Threshold: 0.05
      ComparisonOperator: GreaterThanThreshold
      Metrics:
        - {Id: rate, Expression: errors / invocations, ReturnData: true}
        - Id: errors
          ReturnData: false
          MetricStat:
            Period: 60
            Stat: Sum
            Metric:
              Namespace: AWS/SageMaker
              MetricName: Invocation5XXErrors
              Dimensions:
                - {Name: EndpointName, Value: !GetAtt Mathy.EndpointName}
                - {Name: VariantName, Value: AllTraffic}
        - Id: invocations
          ReturnData: false
          MetricStat:
            Period: 60
            Stat: Sum
            Metric:
              Namespace: AWS/SageMaker
              MetricName: Invocations
              Dimensions:
                - {Name: EndpointName, Value: !GetAtt Mathy.EndpointName}
                - {Name: VariantName, Value: AllTraffic}
"""
    + _config("Unwatched")
    + _endpoint("Unwatched")
    + """  ByArnAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
      Dimensions:
        - {Name: EndpointName, Value: !Ref Unwatched}
        - {Name: VariantName, Value: AllTraffic}
  OtherAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
      Dimensions: [{Name: EndpointName, Value: some-other-endpoint}, {Name: VariantName, Value: AllTraffic}]
"""
    # MON002
    + _config("Scaled")
    + _endpoint("Scaled")
    + """  ScaledTarget:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ResourceId: !Sub endpoint/${Scaled.EndpointName}/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: 1
      MaxCapacity: 4
"""
    + _config(
        "Managed",
        "{VariantName: AllTraffic, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1, "
        "ManagedInstanceScaling: {Status: ENABLED, MinInstanceCount: 1, MaxInstanceCount: 4}}",
    )
    + _endpoint("Managed")
    + _config(
        "Serverless",
        "{VariantName: AllTraffic, ModelName: m, ServerlessConfig: {MaxConcurrency: 5, MemorySizeInMB: 2048}}",
    )
    + _endpoint("Serverless")
    # MON003
    + """  Month: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app/month, RetentionInDays: 30}}
  Long: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app/long, RetentionInDays: "400"}}
  Absent: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app/absent}}
  Bare: {Type: AWS::Logs::LogGroup}
  Vague: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /app/vague, RetentionInDays: !Ref Days}}
"""
)

# A dimension value from a parameter without a default may be any endpoint's name.
VAGUE = (
    """Parameters:
  Watched: {Type: String}
Resources:
"""
    + _config("Maybe")
    + _endpoint("Maybe")
    + """  MaybeAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SageMaker
      MetricName: ModelLatency
      Dimensions: [{Name: EndpointName, Value: !Ref Watched}, {Name: VariantName, Value: AllTraffic}]
  MaybeTarget:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ResourceId: !Sub endpoint/${Watched}/variant/AllTraffic
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      MinCapacity: 1
      MaxCapacity: 4
"""
)

EXPECTED = {
    ("MON001", "WatchedConfig"): "pass",
    ("MON001", "MathyConfig"): "pass",
    ("MON001", "UnwatchedConfig"): "fail",
    ("MON001", "ScaledConfig"): "fail",
    ("MON001", "ManagedConfig"): "fail",
    ("MON001", "ServerlessConfig"): "fail",
    ("MON002", "WatchedConfig"): "fail",
    ("MON002", "MathyConfig"): "fail",
    ("MON002", "UnwatchedConfig"): "fail",
    ("MON002", "ScaledConfig"): "pass",
    ("MON002", "ManagedConfig"): "pass",
    ("MON003", "Month"): "fail",
    ("MON003", "Long"): "pass",
    ("MON003", "Absent"): "fail",
    ("MON003", "Bare"): "fail",
    ("MON003", "Vague"): "unknown",
}
VAGUE_EXPECTED = {("MON001", "MaybeConfig"): "unknown", ("MON002", "MaybeConfig"): "unknown"}


def scan(root: Path, template: str, *ids: str) -> ScanOutcome:
    write(root, {"template.yaml": template})
    outcome = scan_iac([root / "template.yaml"], rules(*(ids or IDS)), root)
    assert outcome.fatal is None
    assert outcome.errors == [], outcome.errors
    return outcome


def verdicts(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for rule_id in IDS:
        for r in results(outcome, rule_id):
            assert (rule_id, r.resource.id) not in got
            got[(rule_id, r.resource.id)] = r.status.value
    return got


@pytest.fixture(scope="module")
def outcome(tmp_path_factory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("cfn"), TEMPLATE)


@pytest.fixture(scope="module")
def vague(tmp_path_factory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("vague"), VAGUE, "MON001", "MON002")


def by_id(outcome: ScanOutcome, rule_id: str, resource_id: str):
    (found,) = [r for r in results(outcome, rule_id) if r.resource.id == resource_id]
    return found


def test_the_template_gives_exactly_the_table(outcome, vague):
    assert verdicts(outcome) == EXPECTED
    assert verdicts(vague) == VAGUE_EXPECTED


def test_every_rule_fails_passes_and_is_unknown():
    for rule_id in IDS:
        cells = {s for (r, _), s in {**EXPECTED, **VAGUE_EXPECTED}.items() if r == rule_id}
        assert cells == {"fail", "pass", "unknown"}, rule_id


def test_get_att_and_metric_math_watch_ref_does_not(outcome):
    mathy = by_id(outcome, "MON001", "MathyConfig")
    assert mathy.message == (
        "SageMaker endpoint configuration MathyConfig: every endpoint built from it is watched (endpoint "
        "Mathy: alarm MathyAlarm watches query errors: AWS/SageMaker Invocation5XXErrors; query "
        "invocations: AWS/SageMaker Invocations)."
    )
    unwatched = by_id(outcome, "MON001", "UnwatchedConfig")
    assert unwatched.evidence["endpoints"]["Unwatched"]["near_misses"] == [
        "alarm ByArnAlarm watches no metric of it: EndpointName !Ref Unwatched gives the endpoint's ARN, not its name"
    ]


def test_a_parameter_without_default_leaves_the_alarm_and_the_target_open(vague):
    alarm = by_id(vague, "MON001", "MaybeConfig")
    assert (
        "alarm MaybeAlarm may watch it: its EndpointName dimension is not known (parameter Watched has no default)"
        in alarm.message
    )
    target = by_id(vague, "MON002", "MaybeConfig")
    assert "scalable target MaybeTarget may be for endpoint Maybe" in target.message


def test_serverless_variants_and_managed_scaling(outcome):
    assert not [r for r in results(outcome, "MON002") if r.resource.id == "ServerlessConfig"]
    managed = by_id(outcome, "MON002", "ManagedConfig")
    assert managed.evidence == {
        "variants": {"AllTraffic": "variant AllTraffic has managed instance scaling enabled"}
    }


def test_retention_from_a_parameter_without_default_is_unknown(outcome):
    vague = by_id(outcome, "MON003", "Vague")
    assert (
        vague.message == "Log group /app/vague: its retention is not known (parameter Days has no default)."
    )
    assert (
        by_id(outcome, "MON003", "Long").message
        == "Log group /app/long keeps events for 400 days (minimum 365)."
    )
    assert "never expires" in by_id(outcome, "MON003", "Bare").message


def test_a_parameter_default_and_a_condition_decide_the_retention(tmp_path):
    out = scan(
        tmp_path,
        """
        Parameters:
          Days: {Type: Number, Default: 731}
          Stage: {Type: String, Default: dev}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Resources:
          Kept: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: !Ref Days}}
          ByStage:
            Type: AWS::Logs::LogGroup
            Properties:
              RetentionInDays: !If [IsProd, 731, !Ref AWS::NoValue]
        """,
        "MON003",
    )
    assert {r.resource.id: r.status.value for r in out.results} == {"Kept": "pass", "ByStage": "fail"}


def test_min_retention_days_from_opscheck_yml(tmp_path):
    """The opscheck.yml path: the parameter is checked against the rule's declared default,
    then applied to the rule's metadata."""
    write(tmp_path, {"template.yaml": TEMPLATE})
    (tmp_path / "opscheck.yml").write_text("params:\n  MON003: {min_retention_days: 14}\n")
    config = load(tmp_path / "opscheck.yml")
    config.check(rules("MON003"))
    out = scan_iac([tmp_path / "template.yaml"], config.apply(rules("MON003")), tmp_path)
    month = by_id(out, "MON003", "Month")
    assert month.status.value == "pass" and month.evidence["min_retention_days"] == 14
    with pytest.raises(ConfigError, match="min_retention_days: expected a number"):
        parse("params:\n  MON003: {min_retention_days: a-year}\n").check(rules("MON003"))
