"""Parsing CloudFormation templates: short-form tags, resource line spans, hostile input.

INTERFACE.md: CloudFormation templates in YAML or JSON, short-form tags accepted; a file that
looks like a template but cannot be parsed is a scan error with a line, never a crash.
"""

from __future__ import annotations

import itertools
import json
import textwrap
import time
from pathlib import Path

import pytest

from scanner.sources.cloudformation.parse import (
    MAX_DEPTH,
    TemplateError,
    parse_json,
    parse_template,
    parse_yaml,
)
from scanner.sources.cloudformation.template import load_template

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation"


def value_of(snippet: str):
    """The parsed value of `snippet` written as the value of key `V`."""
    return parse_yaml(f"V: {snippet}\n").data["V"]


# -- short-form tags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "long_form"),
    [
        ("!Ref Bucket", {"Ref": "Bucket"}),
        ("!GetAtt Bucket.Arn", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        ("!GetAtt [Bucket, Arn]", {"Fn::GetAtt": ["Bucket", "Arn"]}),
        # Only the first dot separates the logical id from the attribute.
        ("!GetAtt Stack.Outputs.VpcId", {"Fn::GetAtt": ["Stack", "Outputs.VpcId"]}),
        (
            '!Sub "arn:${AWS::Partition}:s3:::${Bucket}/"',
            {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/"},
        ),
        ('!Sub ["${Name}-logs", {Name: !Ref Env}]', {"Fn::Sub": ["${Name}-logs", {"Name": {"Ref": "Env"}}]}),
        ('!Join ["-", [a, !Ref Env]]', {"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}),
        ("!Select [1, [a, b, c]]", {"Fn::Select": [1, ["a", "b", "c"]]}),
        ('!Split [",", "a,b"]', {"Fn::Split": [",", "a,b"]}),
        ("!If [IsProd, big, small]", {"Fn::If": ["IsProd", "big", "small"]}),
        ("!Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
        ("!Not [!Equals [a, b]]", {"Fn::Not": [{"Fn::Equals": ["a", "b"]}]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Equals [x, y]]", {"Fn::Or": [{"Condition": "A"}, {"Fn::Equals": ["x", "y"]}]}),
        ("!FindInMap [Sizes, !Ref Env, Instance]", {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Instance"]}),
        ('!Base64 "#!/bin/sh"', {"Fn::Base64": "#!/bin/sh"}),
        ('!GetAZs ""', {"Fn::GetAZs": ""}),
        ("!GetAZs eu-west-1", {"Fn::GetAZs": "eu-west-1"}),
        ("!ImportValue shared-vpc", {"Fn::ImportValue": "shared-vpc"}),
        ('!ImportValue {"Fn::Sub": "${Env}-vpc"}', {"Fn::ImportValue": {"Fn::Sub": "${Env}-vpc"}}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
    ],
)
def test_short_form_tag_becomes_the_long_form(snippet, long_form):
    assert value_of(snippet) == long_form


def test_short_form_template_equals_its_long_form_json_twin():
    short = parse_yaml((FIXTURES / "short_forms.yaml").read_text()).data
    long = parse_json((FIXTURES / "short_forms_long.json").read_text()).data
    assert short == long
    # Guard against both sides being empty or wrongly shaped.
    assert len(short["Resources"]["Handle"]["Metadata"]) == 15


def test_short_forms_nest_inside_each_other():
    assert value_of('!Join ["", [!GetAtt Bucket.Arn, !Sub "/${Prefix}"]]') == {
        "Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "/${Prefix}"}]]
    }


def test_a_block_mapping_under_a_short_form_tag():
    text = textwrap.dedent(
        """\
        V: !Sub
          - "${A}-${B}"
          - A: !Ref First
            B: second
        """
    )
    assert parse_yaml(text).data["V"] == {"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "First"}, "B": "second"}]}


# -- resource line spans ---------------------------------------------------------------------


def test_yaml_resource_spans_run_from_logical_id_to_last_property():
    parsed = parse_yaml((FIXTURES / "spans.yaml").read_text())
    assert parsed.spans == {
        "Bucket": (9, 15),  # comment above and blank line below are not part of it
        "Trail": (18, 21),  # flow mapping over two lines
        "Queue": (22, 26),  # quoted scalar over two lines
        "Flow": (27, 27),  # the whole resource on one line
        "Group": (28, 34),  # a list as the last property
        "Last": (35, 39),  # blank line and Outputs after it are not part of it
    }


def test_json_resource_spans_with_tabs_escaped_quotes_and_braces_in_strings():
    text = (FIXTURES / "spans.json").read_text()
    assert "\t" in text and '\\"' in text and "-}-" in text  # the fixture is what it claims
    parsed = parse_json(text)
    assert parsed.spans == {"Bucket": (6, 12), "Trail": (13, 13), "Topic": (14, 17)}
    # A "Resources" key nested elsewhere (Metadata) is not the template's Resources.
    assert "NotAResource" not in parsed.spans
    assert parsed.data["Resources"]["Bucket"]["Properties"]["Tags"][0] == {
        "Key": 'quote"}',
        "Value": "back\\slash\\",
    }


def test_parse_template_reads_json_first_with_spans():
    text = json.dumps(
        {"Resources": {"A": {"Type": "AWS::S3::Bucket"}, "B": {"Type": "AWS::SNS::Topic"}}}, indent=2
    )
    assert parse_template(text, json_first=True).spans == {"A": (3, 5), "B": (6, 8)}


def test_block_scalar_last_property_ends_at_its_last_text_line():
    text = textwrap.dedent(
        """\
        Resources:
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Code:
                ZipFile: |
                  def handler(event, context):
                      return 1


          Other:
            Type: AWS::SNS::Topic
        """
    )
    assert parse_yaml(text).spans["Fn"] == (2, 8)


# -- errors: a line, never a crash -----------------------------------------------------------


def raises_template_error(parse, text: str) -> TemplateError:
    with pytest.raises(TemplateError) as info:
        parse(text)
    return info.value


def test_unknown_tag_is_an_error_with_its_line():
    text = "Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Reff x\n"
    err = raises_template_error(parse_yaml, text)
    assert err.line == 5
    assert "!Reff" in err.message


def test_duplicate_key_is_an_error_at_the_second_occurrence():
    text = textwrap.dedent(
        """\
        Resources:
          Trail:
            Type: AWS::CloudTrail::Trail
            Properties: {IsLogging: true}
          Trail:
            Type: AWS::CloudTrail::Trail
            Properties: {IsLogging: false}
        """
    )
    err = raises_template_error(parse_yaml, text)
    assert err.line == 5
    assert "Trail" in err.message


def test_malformed_yaml_is_an_error_with_a_line():
    text = textwrap.dedent(
        """\
        AWSTemplateFormatVersion: "2010-09-09"
        Resources:
          A:
            Type: AWS::S3::Bucket
            Properties: {BucketName: [unclosed}
          B:
            Type: AWS::S3::Bucket
        """
    )
    err = raises_template_error(parse_yaml, text)
    assert err.line == 5


def test_malformed_json_is_an_error_with_a_line():
    text = '{\n  "Resources": {\n    "A": {"Type": "AWS::S3::Bucket",}\n  }\n}\n'
    err = raises_template_error(parse_json, text)
    assert err.line == 3
    assert "JSON" in err.message


def test_malformed_json_read_through_parse_template_keeps_the_json_error():
    text = '{\n  "Resources": {\n    "A": {"Type": "AWS::S3::Bucket"\n  }\n}\n'
    with pytest.raises(TemplateError) as info:
        parse_template(text, json_first=True)
    assert info.value.line is not None and info.value.line >= 3


def test_yaml_alias_bomb_is_refused_quickly_with_a_line():
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(lines) + "\n"  # 10**10 nodes once expanded
    started = time.monotonic()
    err = raises_template_error(parse_yaml, text)
    assert time.monotonic() - started < 10
    assert isinstance(err.line, int) and 1 <= err.line <= len(lines)


def test_small_alias_use_is_accepted():
    text = "Defaults: &tags [{Key: team, Value: ml}]\nOther: *tags\n"
    assert parse_yaml(text).data["Other"] == [{"Key": "team", "Value": "ml"}]


def test_yaml_nesting_deeper_than_the_bound_is_an_error_with_a_line():
    depth = MAX_DEPTH + 50
    text = "Resources:\n  A:\n    Metadata: " + "[" * depth + "]" * depth + "\n"
    err = raises_template_error(parse_yaml, text)
    assert err.line == 3


def test_yaml_nesting_within_the_bound_is_accepted():
    depth = 50
    text = "Resources:\n  A:\n    Metadata: " + "[" * depth + "x" + "]" * depth + "\n"
    value = parse_yaml(text).data["Resources"]["A"]["Metadata"]
    for _ in range(depth):
        value = value[0]
    assert value == "x"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 50, 5000])
def test_json_nesting_deeper_than_the_bound_is_an_error_with_a_line(depth):
    text = '{\n"Resources": {\n"A": {"Type": "AWS::S3::Bucket", "Metadata": ' + "[" * depth + "]" * depth
    text += "}}}\n"
    err = raises_template_error(parse_json, text)
    assert err.line == 3


@pytest.mark.parametrize("value", ["2024-02-30", "!!int twelve"])
def test_a_value_yaml_cannot_construct_is_an_error_with_a_line(value):
    text = f"Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Metadata:\n      Since: {value}\n"
    err = raises_template_error(parse_yaml, text)
    assert err.line == 5


def test_duplicate_key_in_json_is_an_error_at_the_second_occurrence():
    text = (
        "{\n"
        '  "Resources": {\n'
        '    "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {"IsLogging": false}},\n'
        '    "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {"IsLogging": true}}\n'
        "  }\n"
        "}\n"
    )
    err = raises_template_error(parse_json, text)
    assert err.line == 4


# -- UTF-8 byte order mark -------------------------------------------------------------------


def test_json_template_with_a_utf8_bom_loads_with_spans(tmp_path):
    raw = (FIXTURES / "bom.json").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    path = tmp_path / "bom.json"
    path.write_bytes(raw)
    config = load_template(path, "bom.json")
    assert config.errors == []
    [trail] = config.resources
    assert (trail.id, trail.name) == ("Trail", "bom-trail")
    assert (trail.origin.start_line, trail.origin.end_line) == (4, 7)


def test_yaml_template_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfResources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    config = load_template(path, "bom.yaml")
    assert config.errors == []
    assert [(r.id, r.origin.start_line) for r in config.resources] == [("Topic", 2)]
