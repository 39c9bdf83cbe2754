"""Which region a Terraform resource is deployed to (scanner/sources/terraform/providers.py):
the literal `region` of the provider configuration it uses, followed through `provider =
aws.<alias>`, a module call's `providers` map and a module's own provider block; otherwise a
label naming the provider configuration, never a guessed region."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from scanner.sources import discovery
from scanner.sources.terraform.loader import load_terraform

PROVIDERS = """
provider "aws" {
  region = "us-east-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
variable "dr_region" {}
provider "aws" {
  alias  = "dr"
  region = var.dr_region
}
"""

BUCKET = 'resource "aws_s3_bucket" "q" {\n  bucket = "q"\n}\n'


def deployments(root: Path, files: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    [config] = load_terraform([root], root, discovery.relative)
    return {r.id: (r.region, r.provider) for r in config.resources}


def test_root_resources_take_the_region_of_the_provider_they_name(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'resource "aws_s3_bucket" "default" {\n  bucket = "a"\n}\n'
            + 'resource "aws_s3_bucket" "west" {\n  provider = aws.west\n  bucket = "b"\n}\n'
            + 'resource "aws_s3_bucket" "dr" {\n  provider = aws.dr\n  bucket = "c"\n}\n'
            + 'resource "aws_s3_bucket" "nowhere" {\n  provider = aws.nowhere\n  bucket = "d"\n}\n'
            + 'resource "aws_s3_bucket" "own" {\n  region = "eu-west-1"\n  provider = aws.west\n  bucket = "e"\n}\n'
        },
    )
    assert found == {
        "aws_s3_bucket.default": ("us-east-1", None),
        "aws_s3_bucket.west": ("us-west-2", None),
        "aws_s3_bucket.dr": (None, "provider aws.dr"),  # region from a variable without value
        "aws_s3_bucket.nowhere": (None, "provider aws.nowhere"),  # not declared
        "aws_s3_bucket.own": ("eu-west-1", None),  # the resource's own region argument wins
    }


def test_without_a_literal_default_region_the_configuration_region_is_left_unsaid(tmp_path):
    found = deployments(
        tmp_path, {"main.tf": 'variable "r" {}\nprovider "aws" {\n  region = var.r\n}\n' + BUCKET}
    )
    assert found == {"aws_s3_bucket.q": (None, None)}


def test_a_providers_map_passes_an_alias_down_to_a_module(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'module "west" {\n  source = "./q"\n  providers = {\n    aws = aws.west\n  }\n}\n'
            + 'module "same" {\n  source = "./q"\n  providers = { aws = aws }\n}\n'
            + 'module "inherit" {\n  source = "./q"\n}\n'
            + 'module "dr" {\n  source = "./q"\n  providers = {\n    aws = aws.dr\n  }\n}\n'
            + 'module "nested" {\n  source = "./outer"\n  providers = {\n    aws = aws.west\n  }\n}\n',
            "q/main.tf": BUCKET,
            "outer/main.tf": 'module "inner" {\n  source = "../q"\n}\n',
        },
    )
    assert found == {
        "module.west.aws_s3_bucket.q": ("us-west-2", None),
        "module.same.aws_s3_bucket.q": ("us-east-1", None),
        "module.inherit.aws_s3_bucket.q": ("us-east-1", None),
        "module.dr.aws_s3_bucket.q": (None, "provider aws.dr"),
        "module.nested.module.inner.aws_s3_bucket.q": ("us-west-2", None),  # inherited through two levels
    }


def test_a_module_with_its_own_provider_block_uses_it(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'module "legacy" {\n  source = "./legacy"\n  region = "ap-south-1"\n}\n'
            + 'module "unset" {\n  source = "./legacy"\n}\n',
            "legacy/main.tf": 'variable "region" {}\nprovider "aws" {\n  region = var.region\n}\n' + BUCKET,
        },
    )
    assert found == {
        "module.legacy.aws_s3_bucket.q": ("ap-south-1", None),
        "module.unset.aws_s3_bucket.q": (None, "provider aws of module.unset"),
    }


def test_an_alias_inside_a_module_that_comes_from_its_caller_is_a_label(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'module "m" {\n  source = "./m"\n  providers = {\n    aws.x = aws.west\n  }\n}\n',
            "m/main.tf": 'resource "aws_s3_bucket" "q" {\n  provider = aws.x\n  bucket = "q"\n}\n',
        },
    )
    assert found == {"module.m.aws_s3_bucket.q": (None, "provider aws.x of module.m")}


def test_provider_blocks_in_tf_json(tmp_path):
    doc = {
        "provider": {"aws": [{"region": "eu-central-1"}, {"alias": "west", "region": "us-west-2"}]},
        "resource": {
            "aws_s3_bucket": {"a": {"bucket": "a"}, "b": {"bucket": "b", "provider": "aws.west"}},
        },
    }
    found = deployments(tmp_path, {"main.tf.json": json.dumps(doc, indent=1)})
    assert found == {"aws_s3_bucket.a": ("eu-central-1", None), "aws_s3_bucket.b": ("us-west-2", None)}


def test_a_plan_gives_the_region_of_the_provider_configuration_a_resource_uses(tmp_path):
    from scanner.sources.terraform.plan import load_plan

    def bucket(name: str) -> dict:
        return {
            "address": f"aws_s3_bucket.{name}",
            "mode": "managed",
            "type": "aws_s3_bucket",
            "name": name,
            "values": {"bucket": name},
        }

    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {"resources": [bucket("a"), bucket("b"), bucket("c"), bucket("d")]}
        },
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}},
                "aws.west": {
                    "name": "aws",
                    "alias": "west",
                    "expressions": {"region": {"constant_value": "us-west-2"}},
                },
                "aws.dr": {
                    "name": "aws",
                    "alias": "dr",
                    "expressions": {"region": {"references": ["var.r"]}},
                },
            },
            "root_module": {
                "resources": [
                    {"address": "aws_s3_bucket.a", "provider_config_key": "aws"},
                    {"address": "aws_s3_bucket.b", "provider_config_key": "aws.west"},
                    {"address": "aws_s3_bucket.c", "provider_config_key": "aws.dr"},
                    {"address": "aws_s3_bucket.d"},
                ]
            },
        },
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    config = load_plan(path, "plan.json", plan, tmp_path, discovery.relative)
    assert {r.id: (r.region, r.provider) for r in config.resources} == {
        "aws_s3_bucket.a": ("us-east-1", None),
        "aws_s3_bucket.b": ("us-west-2", None),
        "aws_s3_bucket.c": (None, "provider aws.dr"),
        "aws_s3_bucket.d": ("us-east-1", None),  # no key: the default provider
    }


def test_a_providers_map_is_read_without_its_comments_and_in_tf_json(tmp_path):
    found = deployments(
        tmp_path / "hcl",
        {
            "main.tf": PROVIDERS
            + 'module "m" {\n  source = "./q"\n  providers = {\n    # aws = aws\n    aws = aws.west // the DR copy\n  }\n}\n'
            + 'module "other" {\n  source = "./q"\n  providers = {\n    aws.x = aws.west\n  }\n}\n',
            "q/main.tf": BUCKET,
        },
    )
    assert found == {
        "module.m.aws_s3_bucket.q": ("us-west-2", None),
        "module.other.aws_s3_bucket.q": ("us-east-1", None),  # `aws` itself is not passed: inherited
    }
    doc = {
        "provider": {"aws": [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]},
        "module": {"m": {"source": "./q", "providers": {"aws": "aws.west"}}},
    }
    found = deployments(tmp_path / "json", {"main.tf.json": json.dumps(doc), "q/main.tf": BUCKET})
    assert found == {"module.m.aws_s3_bucket.q": ("us-west-2", None)}


def test_an_override_file_changes_a_provider_region(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'resource "aws_s3_bucket" "w" {\n  provider = aws.west\n  bucket = "w"\n}\n',
            "override.tf": 'provider "aws" {\n  alias  = "west"\n  region = "eu-north-1"\n}\n',
        },
    )
    assert found == {"aws_s3_bucket.w": ("eu-north-1", None)}


def test_a_resource_region_that_is_not_known_is_not_replaced_by_the_provider_region(tmp_path):
    found = deployments(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + 'variable "r" {}\nresource "aws_s3_bucket" "b" {\n  region = var.r\n  bucket = "b"\n}\n'
        },
    )
    assert found == {"aws_s3_bucket.b": (None, "region = var.r")}
