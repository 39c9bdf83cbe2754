"""SAM: the resources the transform creates implicitly for EventBridge triggers, made explicit.

INTERFACE.md: SAM templates (Transform: AWS::Serverless-2016-10-31) are recognised; at least the
resources SAM creates for EventBridge triggers (rule, target, Lambda permission) are modelled.
SAM names them <Function><Event> (the rule) and <Function><Event>Permission.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from scanner.model import Reference
from scanner.sources.cloudformation.template import load_template

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation"
RULE_EVENTS = {"Nightly": "Schedule", "OnUpload": "EventBridgeRule", "Legacy": "CloudWatchEvent"}


@pytest.fixture
def sam(tmp_path):
    path = tmp_path / "template.yaml"
    shutil.copy(FIXTURES / "sam_events.yaml", path)
    config = load_template(path, "template.yaml")
    assert config.errors == []
    return {r.id: r for r in config.resources}


def load(tmp_path: Path, text: str):
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    config = load_template(path, "template.yaml")
    assert config.errors == []
    return {r.id: r for r in config.resources}


def test_function_becomes_a_lambda_function(sam):
    fn = sam["Scorer"]
    assert fn.type == "AWS::Lambda::Function"
    assert fn.name == "batch-scorer"
    assert fn.get("Handler") == "app.handler"
    assert "Events" not in fn.properties


def test_exactly_the_rule_events_create_a_rule_and_a_permission(sam):
    assert {rid: r.type for rid, r in sam.items()} == {
        "Scorer": "AWS::Lambda::Function",
        "ScorerNightly": "AWS::Events::Rule",
        "ScorerNightlyPermission": "AWS::Lambda::Permission",
        "ScorerOnUpload": "AWS::Events::Rule",
        "ScorerOnUploadPermission": "AWS::Lambda::Permission",
        "ScorerLegacy": "AWS::Events::Rule",
        "ScorerLegacyPermission": "AWS::Lambda::Permission",
    }  # SQS and Api events add nothing


@pytest.mark.parametrize("event", sorted(RULE_EVENTS))
def test_rule_targets_the_function(sam, event):
    rule = sam[f"Scorer{event}"]
    [target] = rule.get("Targets")
    arn = target["Arn"]
    assert isinstance(arn, Reference)
    assert (arn.target, arn.attribute) == ("Scorer", "Arn")
    assert target.get("Id")
    assert rule.get("State", "ENABLED") == "ENABLED"


def test_schedule_event_is_a_scheduled_rule(sam):
    assert sam["ScorerNightly"].get("ScheduleExpression") == "rate(1 day)"
    assert sam["ScorerNightly"].get("EventPattern") is None


@pytest.mark.parametrize(("event", "source"), [("OnUpload", "aws.s3"), ("Legacy", "aws.ec2")])
def test_pattern_events_are_pattern_rules(sam, event, source):
    assert sam[f"Scorer{event}"].get("EventPattern")["source"] == [source]


@pytest.mark.parametrize("event", sorted(RULE_EVENTS))
def test_permission_lets_that_rule_invoke_the_function(sam, event):
    permission = sam[f"Scorer{event}Permission"]
    assert permission.get("Action") == "lambda:InvokeFunction"
    assert permission.get("Principal") == "events.amazonaws.com"
    source = permission.get("SourceArn")
    assert isinstance(source, Reference)
    assert (source.target, source.attribute) == (f"Scorer{event}", "Arn")
    function = permission.get("FunctionName")
    assert getattr(function, "target", function) in ("Scorer", "batch-scorer")


def test_generated_resources_point_at_the_function_lines(sam):
    spans = {(r.origin.path, r.origin.start_line) for r in sam.values()}
    assert spans == {("template.yaml", 10)}


def test_globals_function_properties_are_merged_and_the_function_wins(sam):
    fn = sam["Scorer"]
    assert fn.get("Runtime") == "python3.12"  # from Globals
    assert fn.get("Timeout") == 30  # from Globals
    assert fn.get("MemorySize") == 1024  # the function's own value overrides Globals


def test_transform_given_as_a_list_is_still_sam(tmp_path):
    resources = load(
        tmp_path,
        """\
        Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Events:
                Tick:
                  Type: Schedule
                  Properties: {Schedule: rate(5 minutes)}
        """,
    )
    assert set(resources) == {"Fn", "FnTick", "FnTickPermission"}


def test_disabled_schedule_is_a_disabled_rule(tmp_path):
    resources = load(
        tmp_path,
        """\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Events:
                Tick:
                  Type: Schedule
                  Properties: {Schedule: rate(5 minutes), Enabled: false}
        """,
    )
    assert resources["FnTick"].get("State") == "DISABLED"


def test_function_with_false_condition_creates_nothing(tmp_path):
    resources = load(
        tmp_path,
        """\
        Transform: AWS::Serverless-2016-10-31
        Conditions:
          Never: !Equals [a, b]
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Condition: Never
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Events:
                Tick:
                  Type: Schedule
                  Properties: {Schedule: rate(5 minutes)}
        """,
    )
    assert resources == {}


def test_globals_maps_are_deep_merged_as_sam_does(tmp_path):
    resources = load(
        tmp_path,
        """\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Environment:
              Variables: {LOG_LEVEL: info, STAGE: prod}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              Environment:
                Variables: {STAGE: dev, MODEL: v2}
        """,
    )
    assert resources["Fn"].get("Environment") == {
        "Variables": {"LOG_LEVEL": "info", "STAGE": "dev", "MODEL": "v2"}
    }


def test_sam_function_tags_are_the_resource_tags(tmp_path):
    resources = load(
        tmp_path,
        """\
        Transform: AWS::Serverless-2016-10-31
        Globals:
          Function:
            Tags: {team: ml}
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
        """,
    )
    assert resources["Fn"].tags.get("team") == "ml"
