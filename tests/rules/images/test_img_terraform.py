"""IMG001-IMG004 on Terraform HCL: each rule fails, passes and is unknown (or emits nothing) on
named addresses, asserted exactly.

Container definitions come as `jsonencode(...)` and as a heredoc of JSON text; an image taken
from a variable without value is unknown, and so is a heredoc holding one (the whole text is
then not known). In IaC the AMI's owner is not known: `approved_owners` alone leaves an AMI that
is not in `approved_images` unknown, and the Allowed AMIs setting is never known.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from scanner import config as cfg
from scanner.cli import main
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

DIGEST = "sha256:" + "1c" * 32

MAIN = f"""
variable "image" {{}}
variable "ami" {{}}
variable "mutability" {{}}
variable "filter" {{}}

# -- IMG001 ------------------------------------------------------------------------------------
resource "aws_instance" "golden" {{
  ami           = "ami-0golden"
  instance_type = "t3.micro"
}}
resource "aws_instance" "stray" {{
  ami           = "ami-0stray"
  instance_type = "t3.micro"
}}
resource "aws_instance" "chosen" {{
  ami           = var.ami
  instance_type = "t3.micro"
}}
resource "aws_instance" "templated" {{
  launch_template {{
    id = aws_launch_template.ssm.id
  }}
}}
resource "aws_launch_template" "ssm" {{
  name     = "ssm"
  image_id = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}}
resource "aws_launch_template" "golden" {{
  name     = "golden"
  image_id = "ami-0golden"
}}

# -- IMG002 / IMG004 ---------------------------------------------------------------------------
resource "aws_ecr_registry_scanning_configuration" "this" {{
  scan_type = "BASIC"
  rule {{
    scan_frequency = "SCAN_ON_PUSH"
    repository_filter {{
      filter      = "prod-*"
      filter_type = "WILDCARD"
    }}
  }}
}}
resource "aws_ecr_repository" "prod_api" {{
  name = "prod-api"
  image_scanning_configuration {{
    scan_on_push = false
  }}
  image_tag_mutability = "IMMUTABLE"
}}
resource "aws_ecr_repository" "dev_api" {{
  name = "dev-api"
}}
resource "aws_ecr_repository" "legacy" {{
  name = "legacy"
  image_scanning_configuration {{
    scan_on_push = true
  }}
  image_tag_mutability = "IMMUTABLE_WITH_EXCLUSION"
  image_tag_mutability_exclusion_filter {{
    filter      = "latest*"
    filter_type = "WILDCARD"
  }}
}}
resource "aws_ecr_repository" "named" {{
  name                 = var.filter
  image_tag_mutability = var.mutability
}}

# -- IMG003 ------------------------------------------------------------------------------------
resource "aws_ecs_task_definition" "encoded" {{
  family = "encoded"
  container_definitions = jsonencode([
    {{ name = "latest", image = "${{aws_ecr_repository.dev_api.repository_url}}:latest", memory = 128 }},
    {{ name = "untagged", image = aws_ecr_repository.dev_api.repository_url, memory = 128 }},
    {{ name = "digest", image = "${{aws_ecr_repository.prod_api.repository_url}}@{DIGEST}", memory = 128 }},
    {{ name = "tagged", image = "public.ecr.aws/nginx/nginx:1.25", memory = 128 }},
    {{ name = "variable", image = var.image, memory = 128 }},
  ])
}}
resource "aws_ecs_task_definition" "heredoc" {{
  family                = "heredoc"
  container_definitions = <<EOF
[
  {{"name": "api", "image": "${{aws_ecr_repository.prod_api.repository_url}}:1.4.2", "memory": 256}},
  {{"name": "sidecar", "image": "busybox", "memory": 64}}
]
EOF
}}
resource "aws_ecs_task_definition" "opaque" {{
  family                = "opaque"
  container_definitions = <<EOF
[{{"name": "x", "image": "${{var.image}}", "memory": 64}}]
EOF
}}
resource "aws_sagemaker_model" "single" {{
  name               = "single"
  execution_role_arn = "arn:aws:iam::123456789012:role/sm"
  primary_container {{
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:2.0"
  }}
}}
resource "aws_sagemaker_model" "pipeline" {{
  name               = "pipeline"
  execution_role_arn = "arn:aws:iam::123456789012:role/sm"
  container {{
    image              = "123456789012.dkr.ecr.us-east-1.amazonaws.com/pre:latest"
    container_hostname = "pre"
  }}
}}
"""


def scan(tmp_path: Path, *ids: str, params: str = "") -> ScanOutcome:
    root = write(tmp_path / "infra", {"main.tf": MAIN})
    chosen = cfg.parse(params).apply(rules(*ids)) if params else rules(*ids)
    return scan_iac([root], chosen, tmp_path)


def table(outcome: ScanOutcome, rule_id: str) -> dict[tuple[str, str | None], str]:
    return {(r.resource.id, r.discriminator): r.status.value for r in results(outcome, rule_id)}


def test_img001_without_configuration_emits_nothing(tmp_path):
    outcome = scan(tmp_path, "IMG001")
    assert results(outcome, "IMG001") == [] and outcome.errors == []


def test_img001_approved_images(tmp_path):
    outcome = scan(tmp_path, "IMG001", params="params: {IMG001: {approved_images: [ami-0golden]}}")
    assert table(outcome, "IMG001") == {
        ("aws_instance.golden", None): "pass",
        ("aws_instance.stray", None): "fail",
        ("aws_instance.chosen", None): "unknown",  # a variable without value
        ("aws_launch_template.ssm", None): "unknown",  # looked up in SSM at launch
        ("aws_launch_template.golden", None): "pass",
        # aws_instance.templated: its AMI is the launch template's, judged there
    }
    stray = next(r for r in results(outcome, "IMG001") if r.resource.id == "aws_instance.stray")
    assert stray.message.endswith("uses ami-0stray: not one of the approved images.")
    assert stray.location is not None and stray.location.path == "infra/main.tf"


def test_img001_approved_owners_need_a_live_scan(tmp_path):
    outcome = scan(
        tmp_path,
        "IMG001",
        params="params: {IMG001: {approved_owners: [amazon], approved_images: [ami-0golden]}}",
    )
    got = table(outcome, "IMG001")
    assert got[("aws_instance.golden", None)] == "pass"
    assert got[("aws_instance.stray", None)] == "unknown"
    stray = next(r for r in results(outcome, "IMG001") if r.resource.id == "aws_instance.stray")
    assert "known only to a live scan" in stray.message


def test_img001_from_opscheck_yml_through_the_command_line(tmp_path, monkeypatch):
    write(
        tmp_path,
        {"infra/main.tf": MAIN, "opscheck.yml": "params:\n  IMG001:\n    approved_images: [ami-0stray]\n"},
    )
    monkeypatch.chdir(tmp_path)
    code = main(
        ["scan", "infra", "--rules", "IMG001", "--format", "json", "-o", "out.json"], out=io.StringIO()
    )
    assert code == 1
    doc = json.loads((tmp_path / "out.json").read_text())
    got = {r["resource"]["id"]: r["status"] for r in doc["results"]}
    assert got["aws_instance.stray"] == "pass" and got["aws_instance.golden"] == "fail"


def test_img002(tmp_path):
    assert table(scan(tmp_path, "IMG002"), "IMG002") == {
        ("aws_ecr_repository.prod_api", None): "pass",  # the registry rule, its own flag off
        ("aws_ecr_repository.dev_api", None): "fail",  # no rule matches, no flag
        # Its own flag is on but basic scan-on-push rules exist that do not match it: ECR sets
        # such repositories to manual scanning; whether the flag still counts is not documented.
        ("aws_ecr_repository.legacy", None): "unknown",
        ("aws_ecr_repository.named", None): "unknown",  # its name is a variable
    }


def test_img002_without_a_registry_configuration_the_repository_flag_decides(tmp_path):
    root = write(
        tmp_path / "infra",
        {
            "main.tf": """
                resource "aws_ecr_repository" "on" {
                  name = "on"
                  image_scanning_configuration {
                    scan_on_push = true
                  }
                }
                resource "aws_ecr_repository" "off" {
                  name = "off"
                }
            """
        },
    )
    outcome = scan_iac([root], rules("IMG002"), tmp_path)
    assert table(outcome, "IMG002") == {
        ("aws_ecr_repository.on", None): "pass",
        ("aws_ecr_repository.off", None): "fail",
    }


def test_img002_enhanced_scanning_and_a_filter_not_known(tmp_path):
    root = write(
        tmp_path / "infra",
        {
            "main.tf": """
                variable "filter" {}
                resource "aws_ecr_registry_scanning_configuration" "this" {
                  scan_type = "ENHANCED"
                  rule {
                    scan_frequency = "CONTINUOUS_SCAN"
                    repository_filter {
                      filter      = "ml"
                      filter_type = "WILDCARD"
                    }
                    repository_filter {
                      filter      = var.filter
                      filter_type = "WILDCARD"
                    }
                  }
                }
                resource "aws_ecr_repository" "models" {
                  name = "team-ml-models"
                }
                resource "aws_ecr_repository" "web" {
                  name = "web"
                  image_scanning_configuration {
                    scan_on_push = true
                  }
                }
            """
        },
    )
    outcome = scan_iac([root], rules("IMG002"), tmp_path)
    assert table(outcome, "IMG002") == {
        ("aws_ecr_repository.models", None): "pass",  # "ml", no wildcard: contained in the name
        ("aws_ecr_repository.web", None): "unknown",  # the other filter may match it
    }


def test_img003(tmp_path):
    assert table(scan(tmp_path, "IMG003"), "IMG003") == {
        ("aws_ecs_task_definition.encoded", "latest"): "fail",
        ("aws_ecs_task_definition.encoded", "untagged"): "fail",  # a repository URL alone
        ("aws_ecs_task_definition.encoded", "digest"): "pass",
        ("aws_ecs_task_definition.encoded", "tagged"): "pass",
        ("aws_ecs_task_definition.encoded", "variable"): "unknown",
        ("aws_ecs_task_definition.heredoc", "api"): "pass",
        ("aws_ecs_task_definition.heredoc", "sidecar"): "fail",  # no tag
        ("aws_ecs_task_definition.opaque", None): "unknown",  # the heredoc holds a variable without value
        ("aws_sagemaker_model.single", "PrimaryContainer"): "pass",
        ("aws_sagemaker_model.pipeline", "pre"): "fail",
    }


def test_img004(tmp_path):
    outcome = scan(tmp_path, "IMG004")
    assert table(outcome, "IMG004") == {
        ("aws_ecr_repository.prod_api", None): "pass",
        ("aws_ecr_repository.dev_api", None): "fail",  # image_tag_mutability defaults to MUTABLE
        ("aws_ecr_repository.legacy", None): "pass",  # immutable but for latest*: a note
        ("aws_ecr_repository.named", None): "unknown",
    }
    legacy = next(r for r in results(outcome, "IMG004") if r.resource.id == "aws_ecr_repository.legacy")
    assert legacy.evidence["ExclusionFilters"] == ["latest*"] and "note" in legacy.evidence
