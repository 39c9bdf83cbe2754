"""A template -> canonical resources: recognition, identity, origin, tags, inline suppressions.

INTERFACE.md: templates are recognised by AWSTemplateFormatVersion or a Resources map whose
entries have `Type: AWS::...`; CloudFormation resource.id is the logical ID and resource.name the
human name (the name property when known, else the logical ID); location.path is relative and
uses '/'.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.model import InlineSuppression, Reference, Unknown
from scanner.sources.cloudformation.parse import TemplateError, parse_yaml
from scanner.sources.cloudformation.template import load_template, looks_like_template

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cloudformation"


def data(text: str):
    return parse_yaml(textwrap.dedent(text)).data


# -- recognition -----------------------------------------------------------------------------


def test_template_without_format_version_is_recognised_by_its_aws_resources():
    assert looks_like_template(
        data(
            """\
            Resources:
              Logs:
                Type: AWS::Logs::LogGroup
            """
        )
    )


def test_format_version_alone_is_enough():
    assert looks_like_template({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})


@pytest.mark.parametrize("name", ["kubernetes.yaml", "workflow.yml", "docker-compose.yml", "app-config.yaml"])
def test_other_yaml_is_not_a_template(name):
    text = (FIXTURES / "not_templates" / name).read_text()
    try:
        parsed = parse_yaml(text).data
    except TemplateError:  # not one YAML document opscheck reads: certainly not a template
        return
    assert not looks_like_template(parsed)


@pytest.mark.parametrize(
    "value",
    [
        None,
        [],
        "Resources",
        {"Resources": "none"},
        {"Resources": {"cpu": 2, "memory": "4Gi"}},
        {"Resources": {"Thing": {"Type": "kubernetes.io/Deployment"}}},
        {"resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}},  # serverless.yml nests it lower-case
    ],
)
def test_data_that_only_resembles_a_template_is_not_one(value):
    assert not looks_like_template(value)


# -- identity, origin, tags ------------------------------------------------------------------

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
  Owner:
    Type: String
Resources:
  NamedTrail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: org-audit
      IsLogging: true
      S3BucketName: !Ref LogBucket
      Tags:
        - Key: team
          Value: security
        - Key: env
          Value: !Ref Env
  ComputedTrail:
    Type: AWS::CloudTrail::Trail
    Properties:
      TrailName: !Sub "${AWS::StackName}-trail"
      IsLogging: true
      S3BucketName: !Ref LogBucket
  LogBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "logs-${Env}"
      Tags:
        - Key: owner
          Value: !Ref Owner
        - Key: cost-center
          Value: "42"
  Unnamed:
    Type: AWS::SNS::Topic
"""


@pytest.fixture
def loaded(tmp_path):
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "audit.yaml"
    path.write_text(TEMPLATE)
    config = load_template(path, "stacks/audit.yaml")
    assert config.errors == []
    return config


def by_id(config):
    return {r.id: r for r in config.resources}


def test_configuration_is_the_template(loaded):
    assert loaded.path == "stacks/audit.yaml"
    assert loaded.source == "cloudformation"
    assert loaded.scope.id == "stacks/audit.yaml"
    assert not loaded.scope.is_live
    assert {r.scope for r in loaded.resources} == {"stacks/audit.yaml"}


def test_resource_id_is_the_logical_id_and_type_is_kept(loaded):
    assert {(r.id, r.type) for r in loaded.resources} == {
        ("NamedTrail", "AWS::CloudTrail::Trail"),
        ("ComputedTrail", "AWS::CloudTrail::Trail"),
        ("LogBucket", "AWS::S3::Bucket"),
        ("Unnamed", "AWS::SNS::Topic"),
    }


def test_name_is_the_literal_name_property_else_the_logical_id(loaded):
    names = {r.id: r.name for r in loaded.resources}
    assert names["NamedTrail"] == "org-audit"
    assert names["ComputedTrail"] == "ComputedTrail"  # name known only at deploy time
    assert names["LogBucket"] == "logs-dev"  # resolved from the parameter default
    assert names["Unnamed"] == "Unnamed"


def test_origin_is_the_relative_path_and_the_resource_lines(loaded):
    resources = by_id(loaded)
    spans = {rid: (r.origin.path, r.origin.start_line, r.origin.end_line) for rid, r in resources.items()}
    assert spans == {
        "NamedTrail": ("stacks/audit.yaml", 9, 19),
        "ComputedTrail": ("stacks/audit.yaml", 20, 25),
        "LogBucket": ("stacks/audit.yaml", 26, 34),
        "Unnamed": ("stacks/audit.yaml", 35, 36),
    }
    assert all(r.origin.source == "cloudformation" for r in resources.values())
    location = resources["NamedTrail"].location()
    assert (location.path, location.start_line, location.end_line) == ("stacks/audit.yaml", 9, 19)


def test_tags_from_the_tag_list(loaded):
    resources = by_id(loaded)
    assert resources["NamedTrail"].tags == {"team": "security", "env": "dev"}
    # A tag whose value leaves the template is not invented.
    assert "owner" not in resources["LogBucket"].tags
    assert resources["LogBucket"].tags["cost-center"] == "42"
    assert resources["Unnamed"].tags == {}


def test_properties_are_resolved(loaded):
    trail = by_id(loaded)["NamedTrail"]
    bucket = trail.get("S3BucketName")
    # !Ref LogBucket is the bucket's name: known from the template (logs-${Env}, Env defaulting
    # to dev), or else a reference to the declared bucket; never unknown.
    assert bucket == "logs-dev" or (isinstance(bucket, Reference) and bucket.target == "LogBucket")
    assert trail.get("IsLogging") is True
    assert trail.get("Tags") == [{"Key": "team", "Value": "security"}, {"Key": "env", "Value": "dev"}]


def test_resource_without_type_is_a_parse_error_with_its_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  Good:\n"
        "    Type: AWS::SNS::Topic\n"
        "  Broken:\n"
        "    Properties: {}\n"
    )
    config = load_template(path, "t.yaml")
    assert [r.id for r in config.resources] == ["Good"]
    [error] = config.errors
    assert (error.kind, error.path, error.line) == ("parse", "t.yaml", 5)
    assert "Broken" in error.message


def test_unparseable_template_is_one_parse_error_naming_file_and_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: !Nope x\n")
    config = load_template(path, "sub/t.yaml")
    assert config.resources == []
    [error] = config.errors
    assert (error.kind, error.path, error.line) == ("parse", "sub/t.yaml", 4)
    assert "sub/t.yaml" in error.message


# -- Metadata opscheck ignore ----------------------------------------------------------------


def test_metadata_ignore_entries_become_inline_suppressions(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            Resources:
              Bucket:
                Type: AWS::S3::Bucket
              Trail:
                Type: AWS::CloudTrail::Trail
                Metadata:
                  opscheck:
                    ignore:
                      - rule: ct002
                        reason: regional by design
                        until: 2999-12-31
                      - rule: CT007
                        reason: "no log group in the sandbox"
                Properties:
                  IsLogging: true
                  S3BucketName: !Ref Bucket
            """
        )
    )
    config = load_template(path, "t.yaml")
    assert config.errors == []
    found = sorted(config.suppressions, key=lambda s: s.rule_id)
    assert all(4 <= s.line <= 13 for s in found)  # a line of the Trail resource
    assert [replace(s, line=0) for s in found] == [
        InlineSuppression(
            rule_id="CT002",
            resource_id="Trail",
            path="t.yaml",
            line=0,
            reason="regional by design",
            expires="2999-12-31",
        ),
        InlineSuppression(
            rule_id="CT007",
            resource_id="Trail",
            path="t.yaml",
            line=0,
            reason="no log group in the sandbox",
            expires=None,
        ),
    ]


def test_ignore_entry_without_a_rule_is_a_config_error(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  Topic:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Metadata:\n"
        "      opscheck:\n"
        "        ignore:\n"
        "          - reason: forgot the rule id\n"
    )
    config = load_template(path, "t.yaml")
    assert config.suppressions == []
    [error] = config.errors
    assert (error.kind, error.path) == ("config", "t.yaml")
    assert 2 <= error.line <= 7  # a line of the Topic resource


def test_other_metadata_is_not_a_suppression(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  Topic:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Metadata:\n"
        "      cfn_nag: {rules_to_suppress: [{id: W47}]}\n"
        "      checkov: {skip: [{id: CKV_AWS_26}]}\n"
    )
    config = load_template(path, "t.yaml")
    assert config.suppressions == [] and config.errors == []


def test_unknown_values_stay_unknown_in_properties(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "Parameters:\n"
        "  Key: {Type: String}\n"
        "Resources:\n"
        "  Trail:\n"
        "    Type: AWS::CloudTrail::Trail\n"
        "    Properties: {IsLogging: true, S3BucketName: b, KMSKeyId: !Ref Key}\n"
    )
    [trail] = load_template(path, "t.yaml").resources
    assert isinstance(trail.get("KMSKeyId"), Unknown)
    assert "Key" in trail.get("KMSKeyId").reason
