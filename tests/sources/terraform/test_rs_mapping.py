"""Terraform and CloudFormation -> the canonical types of the rightsizing rules (RS005, RS008,
RS009; scanner/model.py "Rightsizing"): EC2 instances, launch templates and EBS volumes, in
.tf files, in plan JSON and in templates.

Absent Optional+Computed attributes stay absent: aws_instance.instance_type (taken from the
launch template), aws_ebs_volume type / size / iops / throughput. A volume without `type`
has no VolumeType, although AWS creates gp2 (reference/aws-rule-facts.md RS005): the rule
applies that default and says so in its message.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scanner.model import INSTANCE, LAUNCH_TEMPLATE, VOLUME, Reference, Resource
from scanner.sources import discovery
from scanner.sources.cloudformation.template import load_template
from scanner.sources.terraform.loader import load_terraform
from scanner.sources.terraform.plan import load_plan


def load(root: Path, text: str) -> dict[str, Resource]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(textwrap.dedent(text))
    [config] = load_terraform([root], root, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def ref(target: str, attribute: str = "id") -> Reference:
    return Reference(f"{target}.{attribute}", target=target, attribute=attribute)


# -- .tf files ---------------------------------------------------------------------------------

CONFIG = """
variable "size" {
  default = "c5.2xlarge"
}

resource "aws_launch_template" "app" {
  name          = "app"
  instance_type = var.size
}

# Attribute-based selection: no instance type at all.
resource "aws_launch_template" "flex" {
  name_prefix = "flex-"
  instance_requirements {
    vcpu_count {
      min = 2
    }
    memory_mib {
      min = 4096
    }
  }
}

resource "aws_instance" "web" {
  ami           = "ami-123"
  instance_type = "m5.large"
  tags = { Name = "web" }
}

resource "aws_instance" "templated" {
  launch_template {
    id = aws_launch_template.app.id
  }
}

resource "aws_instance" "by_name" {
  instance_type = "t3.micro"
  launch_template {
    name = "shared"
  }
}

resource "aws_ebs_volume" "untyped" {
  availability_zone = "eu-west-1a"
  size              = 100
}

resource "aws_ebs_volume" "provisioned" {
  availability_zone = "eu-west-1a"
  type              = "io2"
  size              = 50
  iops              = 4000
}

resource "aws_ebs_volume" "fast" {
  availability_zone = "eu-west-1a"
  type              = "gp3"
  size              = 200
  iops              = 6000
  throughput        = 250
  tags = { Name = "data" }
}
"""


@pytest.fixture
def found(tmp_path) -> dict[str, Resource]:
    return load(tmp_path, CONFIG)


def test_instances_with_a_type_or_a_launch_template(found):
    web = found["aws_instance.web"]
    assert web.type == INSTANCE
    assert web.properties == {
        "InstanceType": "m5.large",
        "ImageId": "ami-123",  # IMG001
        "Tags": [{"Key": "Name", "Value": "web"}],
    }
    # The type comes from the template: no InstanceType of its own.
    assert found["aws_instance.templated"].properties == {
        "LaunchTemplate": {"LaunchTemplateId": ref("aws_launch_template.app")}
    }
    assert found["aws_instance.by_name"].properties == {
        "InstanceType": "t3.micro",
        "LaunchTemplate": {"LaunchTemplateName": "shared"},
    }


def test_launch_templates_keep_their_type_in_launch_template_data(found):
    app = found["aws_launch_template.app"]
    assert (app.type, app.name) == (LAUNCH_TEMPLATE, "app")
    assert app.properties == {
        "LaunchTemplateName": "app",
        "LaunchTemplateData": {"InstanceType": "c5.2xlarge"},
    }
    flex = found["aws_launch_template.flex"]
    assert flex.properties == {"LaunchTemplateData": {}}
    assert flex.name == "aws_launch_template.flex"


def test_volumes_without_a_type_have_no_volume_type(found):
    untyped = found["aws_ebs_volume.untyped"]
    assert untyped.type == VOLUME
    assert untyped.properties == {"Size": 100}  # gp2 by the API's default: the rule says so
    assert found["aws_ebs_volume.provisioned"].properties == {"VolumeType": "io2", "Size": 50, "Iops": 4000}
    assert found["aws_ebs_volume.fast"].properties == {
        "VolumeType": "gp3",
        "Size": 200,
        "Iops": 6000,
        "Throughput": 250,
        "Tags": [{"Key": "Name", "Value": "data"}],
    }


def test_an_instance_type_from_a_variable_without_default_is_not_a_literal(tmp_path):
    found = load(
        tmp_path,
        """
        variable "kind" {}

        resource "aws_instance" "x" {
          instance_type = var.kind
        }

        resource "aws_ebs_volume" "v" {
          availability_zone = "eu-west-1a"
          type              = var.kind
        }
        """,
    )
    assert not isinstance(found["aws_instance.x"].properties["InstanceType"], str)
    assert not isinstance(found["aws_ebs_volume.v"].properties["VolumeType"], str)


def test_a_launch_template_version_in_tf_files(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_instance" "x" {
          launch_template {
            name    = "shared"
            version = "$Latest"
          }
        }
        """,
    )
    assert found["aws_instance.x"].properties == {
        "LaunchTemplate": {"LaunchTemplateName": "shared", "Version": "$Latest"}
    }


# -- plan JSON ---------------------------------------------------------------------------------

LATER = object()  # a value Terraform knows only after apply


def planned(
    address: str, values: dict[str, Any], expressions: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(planned_values entry, configuration entry, resource_changes entry) of one resource;
    LATER values (also inside a list of blocks) are left out and flagged in after_unknown."""

    def split(value: Any) -> tuple[Any, Any]:
        if isinstance(value, dict):
            known = {k: split(v)[0] for k, v in value.items() if v is not LATER}
            flags = {k: f for k, v in value.items() if (f := (True if v is LATER else split(v)[1]))}
            return known, flags
        if isinstance(value, list):
            parts = [split(v) for v in value]
            flags = [f or False for _, f in parts]
            return [k for k, _ in parts], (flags if any(flags) else [])
        return value, False

    after, unknown = split(values)
    tf_type, name = address.split(".")
    head = {"address": address, "mode": "managed", "type": tf_type, "name": name}
    return (
        {**head, "values": after},
        {**head, "expressions": expressions},
        {**head, "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}},
    )


def load_planned(
    tmp_path: Path, *resources: tuple[str, dict[str, Any], dict[str, Any]]
) -> dict[str, Resource]:
    entries = [planned(*r) for r in resources]
    document = {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [e[0] for e in entries]}},
        "configuration": {"root_module": {"resources": [e[1] for e in entries]}},
        "resource_changes": [e[2] for e in entries],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    config = load_plan(path, "plan.json", document, tmp_path, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def test_plan_volume_without_type_and_instances(tmp_path):
    found = load_planned(
        tmp_path,
        (
            "aws_ebs_volume.untyped",
            {
                "availability_zone": "eu-west-1a",
                "size": 100,
                "type": LATER,
                "iops": LATER,
                "throughput": LATER,
                "tags": None,
                "id": LATER,
                "arn": LATER,
            },
            {"availability_zone": const("eu-west-1a"), "size": const(100)},
        ),
        (
            "aws_ebs_volume.fast",
            {
                "availability_zone": "eu-west-1a",
                "type": "gp3",
                "size": 200,
                "iops": 6000,
                "throughput": LATER,
            },
            {
                "availability_zone": const("eu-west-1a"),
                "type": const("gp3"),
                "size": const(200),
                "iops": const(6000),
            },
        ),
        (
            "aws_instance.web",
            {"ami": "ami-123", "instance_type": "m5.large", "launch_template": [], "id": LATER, "arn": LATER},
            {"ami": const("ami-123"), "instance_type": const("m5.large")},
        ),
        (
            "aws_instance.templated",
            {
                "instance_type": LATER,
                "launch_template": [{"id": LATER, "name": LATER, "version": "$Latest"}],
                "id": LATER,
            },
            {
                "launch_template": [
                    {
                        "id": {"references": ["aws_launch_template.app.id", "aws_launch_template.app"]},
                        "version": const("$Latest"),
                    }
                ]
            },
        ),
        (
            "aws_launch_template.app",
            {"name": "app", "instance_type": "c5.2xlarge", "id": LATER, "latest_version": LATER},
            {"name": const("app"), "instance_type": const("c5.2xlarge")},
        ),
    )
    # Left to the provider: absent, as in the .tf files (not "known after apply").
    assert found["aws_ebs_volume.untyped"].properties == {"Size": 100}
    assert found["aws_ebs_volume.fast"].properties == {"VolumeType": "gp3", "Size": 200, "Iops": 6000}
    assert found["aws_instance.web"].properties == {"InstanceType": "m5.large", "ImageId": "ami-123"}
    # The template's name, computed from its id, is not asked for; the version is kept.
    assert found["aws_instance.templated"].properties == {
        "LaunchTemplate": {
            "LaunchTemplateId": Reference(
                "aws_launch_template.app.id", target="aws_launch_template.app", attribute="id", partial=True
            ),
            "Version": "$Latest",
        }
    }
    app = found["aws_launch_template.app"]
    assert (app.type, app.name) == (LAUNCH_TEMPLATE, "app")
    assert app.properties == {
        "LaunchTemplateName": "app",
        "LaunchTemplateData": {"InstanceType": "c5.2xlarge"},
    }


# -- CloudFormation ----------------------------------------------------------------------------

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Template:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateName: app
      LaunchTemplateData:
        InstanceType: m4.large
        ImageId: ami-123
  Web:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: p3.16xlarge
      ImageId: ami-123
  FromTemplate:
    Type: AWS::EC2::Instance
    Properties:
      LaunchTemplate:
        LaunchTemplateId: !Ref Template
        Version: !GetAtt Template.LatestVersionNumber
  Untyped:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      Size: 100
  Provisioned:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: eu-west-1a
      VolumeType: io1
      Size: 50
      Iops: 2500
"""


def test_cloudformation_keeps_instances_templates_and_volumes_as_written(tmp_path):
    path = tmp_path / "stack.yaml"
    path.write_text(TEMPLATE)
    config = load_template(path, "stack.yaml")
    assert config.errors == []
    found = {r.id: r for r in config.resources}
    assert {r: found[r].type for r in found} == {
        "Template": LAUNCH_TEMPLATE,
        "Web": INSTANCE,
        "FromTemplate": INSTANCE,
        "Untyped": VOLUME,
        "Provisioned": VOLUME,
    }
    assert found["Template"].properties["LaunchTemplateData"] == {
        "InstanceType": "m4.large",
        "ImageId": "ami-123",
    }
    assert found["Web"].properties["InstanceType"] == "p3.16xlarge"
    spec = found["FromTemplate"].properties["LaunchTemplate"]
    assert (spec["LaunchTemplateId"].target, spec["LaunchTemplateId"].attribute) == ("Template", None)
    assert spec["Version"].attribute == "LatestVersionNumber"
    assert "InstanceType" not in found["FromTemplate"].properties
    # No VolumeType written: absent (gp2 by CloudFormation's default, which the rule applies).
    assert found["Untyped"].properties == {"AvailabilityZone": "eu-west-1a", "Size": 100}
    assert found["Provisioned"].properties == {
        "AvailabilityZone": "eu-west-1a",
        "VolumeType": "io1",
        "Size": 50,
        "Iops": 2500,
    }
