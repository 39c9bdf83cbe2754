"""CloudTrail (CT) and data-event (DE) rules on CloudFormation templates.

RULES.md: CT002-CT007 judge each declared trail; CT001, CT008 and DE001-DE003 run once per
template that declares a trail and report on the first trail declared in it; DE004's subject in
IaC is the endpoint configuration; DE005 flags classic selector values CloudTrail rejects. A
parameter without default makes a verdict unknown unless the literal value decides it.
INTERFACE.md: inline suppressions through Metadata.opscheck.ignore, with expiry.
aws-rule-facts.md: IsMultiRegionTrail and EnableLogFileValidation default to false in
CloudFormation; IsLogging is required; DataCaptureConfig.EnableCapture defaults to enabled;
classic whole-bucket S3 values need the trailing '/'.
"""

from __future__ import annotations

import functools
import io
import json
import sys
import textwrap
from pathlib import Path

import pytest

import rules.cloudtrail.ct002_single_region
import rules.cloudtrail.ct003_logging_stopped
from scanner import engine
from scanner.cli import main
from scanner.inventory import Inventory
from scanner.model import TRAIL, Origin, Resource, Result, Scope
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.scan import scan_iac
from scanner.sources.cloudformation.template import load_template
from testkit import one, results

CONFIG_LEVEL = ("CT001", "CT008", "DE001", "DE002", "DE003")


@functools.cache
def catalogue() -> dict[str, Rule]:
    """Every rule, discovered through the `opscheck.rules` entry points."""
    ruleset = engine.discover()
    assert not ruleset.errors, ruleset.errors
    return {r.id: r for r in ruleset.rules}


def scan(tmp_path: Path, text: str, *rule_ids: str, name: str = "template.yaml") -> ScanOutcome:
    root = tmp_path / "iac"
    root.mkdir(exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))
    chosen = [catalogue()[i] for i in rule_ids] if rule_ids else list(catalogue().values())
    outcome = scan_iac([root], chosen, tmp_path)
    assert outcome.fatal is None
    return outcome


# -- per-trail rules: CT002-CT007 ------------------------------------------------------------

TRAILS = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  MultiRegion: {Type: String}
  Logging: {Type: String}
  Validation: {Type: String}
  KeyArn: {Type: String}
  Mode: {Type: String}
  WideByDefault: {Type: String, Default: "true"}
  ValidationOff: {Type: String, Default: "false"}
Conditions:
  WriteOnlyMode: !Equals [!Ref Mode, write-only]
Resources:
  Logs:
    Type: AWS::S3::Bucket
  Key:
    Type: AWS::KMS::Key
  LogGroup:
    Type: AWS::Logs::LogGroup
  LogRole:
    Type: AWS::IAM::Role
  Defaults:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref Logs
  Hardened:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: hardened
      IsLogging: true
      IsMultiRegionTrail: true
      EnableLogFileValidation: true
      KMSKeyId: !GetAtt Key.Arn
      CloudWatchLogsLogGroupArn: !GetAtt LogGroup.Arn
      CloudWatchLogsRoleArn: !GetAtt LogRole.Arn
      S3BucketName: !Ref Logs
      EventSelectors:
        - ReadWriteType: All
          IncludeManagementEvents: true
  Stopped:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: false
      IsMultiRegionTrail: false
      EnableLogFileValidation: false
      S3BucketName: !Ref Logs
      EventSelectors:
        - ReadWriteType: WriteOnly
  Parametric:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: !Ref Logging
      IsMultiRegionTrail: !Ref MultiRegion
      EnableLogFileValidation: !Ref Validation
      KMSKeyId: !Ref KeyArn
      CloudWatchLogsLogGroupArn: !ImportValue shared-trail-log-group
      S3BucketName: !Ref Logs
      EventSelectors: !If
        - WriteOnlyMode
        - [{ReadWriteType: WriteOnly}]
        - [{ReadWriteType: All}]
  Defaulted:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: "true"
      IsMultiRegionTrail: !Ref WideByDefault
      EnableLogFileValidation: !Ref ValidationOff
      KMSKeyId: !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/trail"
      CloudWatchLogsLogGroupArn: arn:aws:logs:us-east-1:123456789012:log-group:trail:*
      S3BucketName: !Ref Logs
      EventSelectors:
        - ReadWriteType: ReadOnly
"""

EXPECTED = {
    # rule: {trail: status}
    "CT002": {
        "Defaults": "fail",  # absent IsMultiRegionTrail = false
        "Hardened": "pass",
        "Stopped": "fail",
        "Parametric": "unknown",
        "Defaulted": "pass",
    },
    "CT003": {
        "Defaults": "pass",
        "Hardened": "pass",
        "Stopped": "fail",  # IsLogging: false
        "Parametric": "unknown",
        "Defaulted": "pass",
    },
    "CT004": {
        "Defaults": "pass",  # no selectors: all management events
        "Hardened": "pass",
        "Stopped": "fail",  # WriteOnly
        "Parametric": "unknown",  # selectors depend on an undecidable condition
        "Defaulted": "fail",  # ReadOnly
    },
    "CT005": {
        "Defaults": "fail",  # absent EnableLogFileValidation = false
        "Hardened": "pass",
        "Stopped": "fail",
        "Parametric": "unknown",
        "Defaulted": "fail",
    },
    "CT006": {
        "Defaults": "fail",
        "Hardened": "pass",  # !GetAtt Key.Arn
        "Stopped": "fail",
        "Parametric": "unknown",  # a parameter without default
        "Defaulted": "pass",
    },
    "CT007": {
        "Defaults": "fail",
        "Hardened": "pass",
        "Stopped": "fail",
        "Parametric": "unknown",  # an import from another stack
        "Defaulted": "pass",
    },
}


@pytest.fixture(scope="module")
def trails_outcome(tmp_path_factory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("trails"), TRAILS, *EXPECTED)


@pytest.mark.parametrize(
    ("rule_id", "trail", "status"),
    [(rule_id, trail, status) for rule_id, table in EXPECTED.items() for trail, status in table.items()],
)
def test_per_trail_verdict(trails_outcome, rule_id, trail, status):
    result = one(trails_outcome, rule_id, trail)
    assert result.status == status, result.message
    assert result.resource.type == "AWS::CloudTrail::Trail"
    assert result.location is not None and result.location.path == "iac/template.yaml"


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_one_result_per_trail(trails_outcome, rule_id):
    assert sorted(r.resource.id for r in results(trails_outcome, rule_id)) == sorted(EXPECTED[rule_id])


@pytest.mark.parametrize(
    ("rule_id", "parameter"),
    [
        ("CT002", "MultiRegion"),
        ("CT003", "Logging"),
        ("CT004", "Mode"),
        ("CT005", "Validation"),
        ("CT006", "KeyArn"),
        ("CT007", "shared-trail-log-group"),
    ],
)
def test_unknown_says_which_reference_left_the_template(trails_outcome, rule_id, parameter):
    assert parameter in one(trails_outcome, rule_id, "Parametric").message


def test_result_points_at_the_trail_lines(trails_outcome):
    result = one(trails_outcome, "CT002", "Hardened")
    assert (result.location.start_line, result.location.end_line) == (26, 39)
    assert result.resource.name == "hardened"
    assert one(trails_outcome, "CT002", "Defaults").resource.name == "Defaults"


def test_evidence_is_in_cloudformation_terms(trails_outcome):
    assert one(trails_outcome, "CT005", "Stopped").evidence.get("EnableLogFileValidation") is False
    assert one(trails_outcome, "CT003", "Stopped").evidence.get("IsLogging") is False


# -- configuration-level rules on the first trail declared -----------------------------------

TWO_TRAILS = """\
Resources:
  ZuluTrail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
  AlphaTrail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      IsMultiRegionTrail: true
      S3BucketName: logs
      InsightSelectors:
        - InsightType: ApiCallRateInsight
        - InsightType: ApiErrorRateInsight
      AdvancedEventSelectors:
        - Name: management
          FieldSelectors:
            - {Field: eventCategory, Equals: [Management]}
        - Name: s3
          FieldSelectors:
            - {Field: eventCategory, Equals: [Data]}
            - {Field: resources.type, Equals: ["AWS::S3::Object"]}
        - Name: lambda
          FieldSelectors:
            - {Field: eventCategory, Equals: [Data]}
            - {Field: resources.type, Equals: ["AWS::Lambda::Function"]}
  Data:
    Type: AWS::S3::Bucket
"""


@pytest.mark.parametrize("rule_id", CONFIG_LEVEL)
def test_configuration_level_result_is_on_the_first_trail_by_line(tmp_path, rule_id):
    outcome = scan(tmp_path, TWO_TRAILS, rule_id)
    result = one(outcome, rule_id)  # once per template, though it declares two trails
    assert result.resource.id == "ZuluTrail"  # first by line, although last by name
    assert result.resource.type == "AWS::CloudTrail::Trail"
    assert (result.location.path, result.location.start_line) == ("iac/template.yaml", 2)
    # The verdict is the configuration's: the second trail covers everything.
    assert result.status == "pass", result.message


def test_configuration_level_results_on_the_first_trail_of_a_json_template(tmp_path):
    template = {
        "Resources": {
            "Zulu": {
                "Type": "AWS::CloudTrail::Trail",
                "Properties": {"IsLogging": True, "S3BucketName": "x"},
            },
            "Alpha": {
                "Type": "AWS::CloudTrail::Trail",
                "Properties": {"IsLogging": True, "S3BucketName": "x"},
            },
        }
    }
    outcome = scan(tmp_path, json.dumps(template, indent=2), *CONFIG_LEVEL, name="template.json")
    for rule_id in CONFIG_LEVEL:
        result = one(outcome, rule_id)
        assert result.resource.id == "Zulu"
        assert result.location.start_line == 3
        assert result.status == "fail", result.message  # neither trail is multi-region


def test_configuration_level_fails_name_the_configuration(tmp_path):
    outcome = scan(
        tmp_path,
        """\
        Resources:
          Regional:
            Type: AWS::CloudTrail::Trail
            Properties: {IsLogging: true, S3BucketName: logs}
        """,
        *CONFIG_LEVEL,
    )
    assert {r.rule_id: r.status for r in outcome.results} == dict.fromkeys(CONFIG_LEVEL, "fail")


def test_configuration_level_unknown_when_multi_region_is_a_parameter(tmp_path):
    outcome = scan(
        tmp_path,
        """\
        Parameters:
          Wide: {Type: String}
        Resources:
          Trail:
            Type: AWS::CloudTrail::Trail
            Properties: {IsLogging: true, S3BucketName: logs, IsMultiRegionTrail: !Ref Wide}
        """,
        "CT001",
    )
    result = one(outcome, "CT001", "Trail")
    assert result.status == "unknown"
    assert "Wide" in result.message


def test_no_configuration_level_result_without_a_trail(tmp_path):
    outcome = scan(
        tmp_path,
        """\
        Resources:
          Data:
            Type: AWS::S3::Bucket
          Fn:
            Type: AWS::Lambda::Function
            Properties: {Runtime: python3.12, Handler: app.handler, Role: arn:aws:iam::1:role/x, Code: {}}
        """,
        *CONFIG_LEVEL,
    )
    assert outcome.results == []
    assert outcome.errors == []


def test_each_template_gets_its_own_configuration_level_result(tmp_path):
    root = tmp_path / "iac"
    for stack in ("dev", "prod"):
        (root / stack).mkdir(parents=True)
        (root / stack / "template.yaml").write_text(
            f"Resources:\n  {stack.title()}Trail:\n    Type: AWS::CloudTrail::Trail\n"
            "    Properties: {IsLogging: true, S3BucketName: logs}\n"
        )
    (root / "buckets-only.yaml").write_text("Resources:\n  Data:\n    Type: AWS::S3::Bucket\n")
    outcome = scan_iac([root], [catalogue()["CT001"]], tmp_path)
    assert sorted((r.resource.id, r.location.path) for r in outcome.results) == [
        ("DevTrail", "iac/dev/template.yaml"),
        ("ProdTrail", "iac/prod/template.yaml"),
    ]


# -- DE004 on endpoint configurations --------------------------------------------------------

ENDPOINT_CONFIG = """\
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: scoring
      ProductionVariants:
        - {VariantName: main, ModelName: model, InitialInstanceCount: 2, InstanceType: ml.m5.large}
"""
CAPTURE = """\
      DataCaptureConfig:
        InitialSamplingPercentage: 20
        DestinationS3Uri: s3://capture/scoring
        CaptureOptions: [{CaptureMode: Input}, {CaptureMode: Output}]
"""
SAGEMAKER_TRAIL = """\
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: {logging}
      S3BucketName: logs
      AdvancedEventSelectors:
        - Name: endpoint invocations
          FieldSelectors:
            - {{Field: eventCategory, Equals: [Data]}}
            - {{Field: resources.type, Equals: ["AWS::SageMaker::Endpoint"]}}
"""


def de004(tmp_path, *parts: str) -> Result:
    outcome = scan(tmp_path, "Resources:\n" + "".join(parts), "DE004")
    result = one(outcome, "DE004")
    assert result.resource.type == "AWS::SageMaker::EndpointConfig"
    assert (result.resource.id, result.resource.name) == ("Config", "scoring")
    return result


def test_de004_capture_on_by_default_and_no_trail_fails_low(tmp_path):
    result = de004(tmp_path, ENDPOINT_CONFIG, CAPTURE)  # no EnableCapture: enabled
    assert (result.status, result.severity) == ("fail", "low")


def test_de004_capture_explicitly_on_and_no_trail_fails_low(tmp_path):
    result = de004(tmp_path, ENDPOINT_CONFIG, CAPTURE + "        EnableCapture: true\n")
    assert (result.status, result.severity) == ("fail", "low")


@pytest.mark.parametrize("capture", ["", CAPTURE + "        EnableCapture: false\n"])
def test_de004_no_capture_and_no_trail_fails_medium(tmp_path, capture):
    result = de004(tmp_path, ENDPOINT_CONFIG, capture)
    assert (result.status, result.severity) == ("fail", "medium")


def test_de004_sagemaker_selector_without_arn_condition_passes(tmp_path):
    result = de004(tmp_path, ENDPOINT_CONFIG, CAPTURE, SAGEMAKER_TRAIL.format(logging="true"))
    assert result.status == "pass", result.message


def test_de004_selector_on_a_trail_that_is_not_logging_does_not_count(tmp_path):
    result = de004(tmp_path, ENDPOINT_CONFIG, SAGEMAKER_TRAIL.format(logging="false"))
    assert result.status == "fail"


def test_de004_selector_with_an_arn_condition_is_unknown_before_deployment(tmp_path):
    arn_condition = '            - {Field: resources.ARN, StartsWith: ["arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-"]}\n'
    result = de004(tmp_path, ENDPOINT_CONFIG, SAGEMAKER_TRAIL.format(logging="true") + arn_condition)
    assert result.status == "unknown"
    assert result.message


def test_de004_selector_for_another_type_does_not_cover(tmp_path):
    trail = SAGEMAKER_TRAIL.format(logging="true").replace("AWS::SageMaker::Endpoint", "AWS::S3::Object")
    result = de004(tmp_path, ENDPOINT_CONFIG, trail)
    assert result.status == "fail"


# -- DE005 classic selector values -----------------------------------------------------------

DE005_TEMPLATE = """\
Resources:
  Data:
    Type: AWS::S3::Bucket
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
      EventSelectors:
        - ReadWriteType: All
          DataResources:
            - Type: {type}
              Values:
                - {value}
"""


def de005(tmp_path, value: str, resource_type: str = "AWS::S3::Object") -> Result:
    outcome = scan(tmp_path, DE005_TEMPLATE.format(type=resource_type, value=value), "DE005")
    return one(outcome, "DE005", "Trail")


@pytest.mark.parametrize(
    "value",
    [
        "arn:aws:s3:::training-data",  # no trailing slash
        "!GetAtt Data.Arn",  # a bucket ARN used bare
        '!Sub "arn:${AWS::Partition}:s3:::training-data"',
    ],
)
def test_de005_bucket_arn_without_slash_fails(tmp_path, value):
    result = de005(tmp_path, value)
    assert result.status == "fail"
    assert "/" in result.message


@pytest.mark.parametrize(
    "value",
    [
        '!Sub "${Data.Arn}/"',
        "arn:aws:s3:::training-data/",
        "arn:aws:s3:::training-data/images/",
        "arn:aws:s3",
        "arn:aws:s3:::",
    ],
)
def test_de005_valid_classic_s3_values_pass(tmp_path, value):
    assert de005(tmp_path, value).status == "pass"


def test_de005_classic_selector_of_a_sagemaker_type_fails(tmp_path):
    result = de005(
        tmp_path,
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/scoring",
        resource_type="AWS::SageMaker::Endpoint",
    )
    assert result.status == "fail"
    assert "AWS::SageMaker::Endpoint" in result.message


@pytest.mark.parametrize("resource_type", ["AWS::Lambda::Function", "AWS::DynamoDB::Table"])
def test_de005_other_classic_types_are_allowed(tmp_path, resource_type):
    assert de005(tmp_path, "arn:aws:lambda", resource_type=resource_type).status == "pass"


def test_de005_trail_without_selectors_passes(tmp_path):
    outcome = scan(
        tmp_path,
        "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n"
        "    Properties: {IsLogging: true, S3BucketName: logs}\n",
        "DE005",
    )
    assert one(outcome, "DE005", "Trail").status == "pass"


def test_de005_join_of_bucket_arn_and_slash_passes(tmp_path):
    assert de005(tmp_path, '!Join ["", [!GetAtt Data.Arn, "/"]]').status == "pass"


def test_de005_sub_of_bucket_arn_with_a_prefix_passes(tmp_path):
    assert de005(tmp_path, '!Sub "${Data.Arn}/models"').status == "pass"


def test_de005_sub_of_bucket_name_without_slash_fails(tmp_path):
    assert de005(tmp_path, '!Sub "arn:aws:s3:::${Data}"').status == "fail"


# -- inline suppressions (Metadata.opscheck.ignore) ------------------------------------------


def suppressed_template(until: str | None, rule: str = "CT002") -> str:
    entry = f"          - rule: {rule}\n            reason: regional trail for the sandbox account\n"
    if until is not None:
        entry += f"            until: {until}\n"
    return (
        "Resources:\n"
        "  Trail:\n"
        "    Type: AWS::CloudTrail::Trail\n"
        "    Metadata:\n"
        "      opscheck:\n"
        "        ignore:\n" + entry + "    Properties:\n"
        "      IsLogging: true\n"
        "      S3BucketName: logs\n"
    )


def cli(tmp_path, monkeypatch, text: str, *args: str) -> tuple[int, dict]:
    (tmp_path / "template.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = main(["scan", "template.yaml", "--format", "json", *args], out=out)
    return code, json.loads(out.getvalue())


def test_unsuppressed_fail_exits_1(tmp_path, monkeypatch):
    template = suppressed_template(None).replace("rule: CT002", "rule: CT003")
    code, doc = cli(tmp_path, monkeypatch, template, "--rules", "CT002")
    assert code == 1
    [result] = doc["results"]
    assert (result["status"], result["suppression"]) == ("fail", None)


@pytest.mark.parametrize("until", [None, "2999-12-31", '"2999-12-31"'])
def test_active_inline_suppression_marks_the_result_and_spares_the_exit_code(tmp_path, monkeypatch, until):
    code, doc = cli(tmp_path, monkeypatch, suppressed_template(until), "--rules", "CT002")
    assert code == 0
    [result] = doc["results"]
    assert result["status"] == "fail"  # marked, never removed
    assert result["suppression"]["source"] == "inline"
    assert result["suppression"]["reason"] == "regional trail for the sandbox account"
    assert result["suppression"]["expires"] == (None if until is None else "2999-12-31")
    assert doc["summary"]["fail"] == 0
    assert doc["summary"]["suppressed"] == 1
    assert doc["scan"]["errors"] == []


def test_inline_suppression_covers_only_its_rule(tmp_path, monkeypatch):
    template = suppressed_template("2999-12-31").replace("IsLogging: true", "IsLogging: false")
    code, doc = cli(tmp_path, monkeypatch, template, "--rules", "CT002,CT003")
    assert code == 1
    by_rule = {r["rule_id"]: r for r in doc["results"]}
    assert by_rule["CT002"]["suppression"] is not None
    assert by_rule["CT003"]["suppression"] is None


def test_expired_inline_suppression_no_longer_suppresses_and_says_so(tmp_path, monkeypatch):
    code, doc = cli(tmp_path, monkeypatch, suppressed_template("2000-01-01"), "--rules", "CT002")
    assert code == 1
    [result] = doc["results"]
    assert result["suppression"] is None
    expired = result["evidence"]["suppression_expired"]
    assert expired["source"] == "inline"
    assert "2000-01-01" in json.dumps(expired)


@pytest.mark.parametrize("until", ['"31/12/2099"', "someday", '"2099-02-30"'])
def test_invalid_until_is_a_config_error_and_does_not_suppress(tmp_path, monkeypatch, until):
    code, doc = cli(tmp_path, monkeypatch, suppressed_template(until), "--rules", "CT002")
    assert code == 1
    [result] = doc["results"]
    assert result["suppression"] is None
    [error] = doc["scan"]["errors"]
    assert error["kind"] == "config"
    assert error["path"] == "template.yaml"
    assert 2 <= error["line"] <= 9  # within the resource that carries the entry
    assert "CT002" in error["message"]


def test_inline_suppression_of_a_configuration_level_result_on_the_first_trail(tmp_path, monkeypatch):
    code, doc = cli(
        tmp_path, monkeypatch, suppressed_template("2999-12-31", rule="CT001"), "--rules", "CT001"
    )
    assert code == 0
    [result] = doc["results"]
    assert (result["rule_id"], result["status"]) == ("CT001", "fail")
    assert result["suppression"]["source"] == "inline"


# -- one rule function for live accounts and CloudFormation ----------------------------------

ACCOUNT = "123456789012"


def live_inventory() -> Inventory:
    scope = Scope(
        kind="aws-account",
        id=ACCOUNT,
        account_id=ACCOUNT,
        regions=("us-east-1",),
        all_regions=True,
        collected_at="2025-01-01T00:00:00Z",
    )
    trail = Resource(
        type=TRAIL,
        id=f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/regional",
        name="regional",
        properties={
            "TrailName": "regional",
            "IsMultiRegionTrail": False,
            "IsLogging": False,
            "LogFileValidationEnabled": False,
            "S3BucketName": "logs",
        },
        origin=Origin(source="aws", api="cloudtrail:DescribeTrails"),
        scope=ACCOUNT,
        account_id=ACCOUNT,
        region="us-east-1",
    )
    return Inventory(scopes=[scope], resources=[trail])


def cloudformation_inventory(tmp_path: Path) -> Inventory:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Resources:\n  Regional:\n    Type: AWS::CloudTrail::Trail\n"
        "    Properties: {IsLogging: false, S3BucketName: logs}\n"
    )
    config = load_template(path, "template.yaml")
    assert config.errors == []
    return Inventory(scopes=[config.scope], resources=config.resources)


def calls_of(code, run) -> tuple[list, int]:
    """Run `run()` and count the frames that executed `code`."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event == "call" and frame.f_code is code:
            count += 1

    sys.setprofile(profile)
    try:
        value = run()
    finally:
        sys.setprofile(None)
    return value, count


@pytest.mark.parametrize(
    ("rule_id", "defined"),
    [
        ("CT002", rules.cloudtrail.ct002_single_region.ct002),
        ("CT003", rules.cloudtrail.ct003_logging_stopped.ct003),
    ],
)
def test_live_and_cloudformation_verdicts_come_from_the_same_rule_function(tmp_path, rule_id, defined):
    rule = catalogue()[rule_id]
    assert rule is defined  # the entry point hands out the module's own Rule object
    assert "cloudformation" in rule.meta.sources and "aws" in rule.meta.sources
    code = rule.evaluate_fn.__code__

    live, live_calls = calls_of(code, lambda: rule.evaluate(live_inventory()))
    iac, iac_calls = calls_of(code, lambda: rule.evaluate(cloudformation_inventory(tmp_path)))

    assert live_calls >= 1 and iac_calls >= 1
    [live_result] = live
    [iac_result] = iac
    assert live_result.resource.id == f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/regional"
    assert live_result.location is None
    assert iac_result.resource.id == "Regional"
    assert iac_result.location.path == "template.yaml"
    # Same function, same facts, same verdict.
    assert live_result.status == iac_result.status == "fail"
    assert live_result.severity == iac_result.severity
    assert {type(r) for r in (live_result, iac_result)} == {Result}
