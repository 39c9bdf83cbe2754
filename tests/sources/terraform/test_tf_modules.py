"""Terraform modules and variables (INTERFACE.md "IaC inputs", "Exit codes", results document).

- Variables take their defaults, then terraform.tfvars(.json), *.auto.tfvars(.json) in
  lexical order, then each --var-file, later ones winning.
- Local modules ("./", "../") are followed, with their inputs; a directory used as a local
  module by a scanned root is evaluated as part of its caller and not again as a root.
- Remote modules are listed as not scanned; a missing local module directory is a scan error.
- Terraform resource.id is the full address (module.audit.aws_cloudtrail.main, [key] for
  count/for_each instances).
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.model import Reference, Unknown
from scanner.sources import discovery
from scanner.sources.iac import Configuration
from scanner.sources.terraform.loader import load_terraform
from testkit import write_tree as write

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terraform"
MODULES_TREE = FIXTURES / "modules_tree"


def load(paths: list[Path], cwd: Path, var_files: list[Path] = ()) -> list[Configuration]:
    found = discovery.discover(paths, cwd)
    return load_terraform(found.terraform_dirs, cwd, discovery.relative, var_files)


def by_id(config: Configuration) -> dict[str, Any]:
    return {r.id: r for r in config.resources}


def scan_json(argv: list[str], cwd: Path, monkeypatch, capsys) -> tuple[int, dict[str, Any], str]:
    monkeypatch.chdir(cwd)
    out = io.StringIO()
    code = main(["scan", *argv, "--format", "json"], out=out)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, json.loads(out.getvalue()), err


# -- variables ---------------------------------------------------------------------------------

TFVARS_ROOT = {
    "main.tf": """
        variable "a" { default = "default" }
        variable "b" { default = "default" }
        variable "c" { default = "default" }
        variable "d" { default = "default" }
        variable "e" { default = "default" }
        variable "f" { default = "default" }

        resource "aws_cloudtrail" "t" {
          name = join(",", [var.a, var.b, var.c, var.d, var.e, var.f])
        }
    """,
    "terraform.tfvars": """
        b = "tfvars"
        c = "tfvars"
        d = "tfvars"
        e = "tfvars"
        f = "tfvars"
    """,
    "terraform.tfvars.json": '{"c": "tfvars.json", "d": "tfvars.json", "e": "tfvars.json", "f": "tfvars.json"}',
    # Written out of order: the loader must sort them.
    "b.auto.tfvars": 'e = "b.auto"\nf = "b.auto"\n',
    "a.auto.tfvars": 'd = "a.auto"\ne = "a.auto"\nf = "a.auto"\n',
}


def test_variable_precedence_defaults_tfvars_auto_tfvars_sorted(tmp_path):
    root = write(tmp_path / "root", TFVARS_ROOT)
    [config] = load([root], tmp_path)
    assert config.resources[0].name == "default,tfvars,tfvars.json,a.auto,b.auto,b.auto"
    assert config.errors == []


def test_var_file_wins_over_every_tfvars_file(tmp_path):
    root = write(tmp_path / "root", TFVARS_ROOT)
    (tmp_path / "one.tfvars").write_text('e = "one"\nf = "one"\n')
    (tmp_path / "two.tfvars.json").write_text('{"f": "two"}')
    [config] = load([root], tmp_path, [tmp_path / "one.tfvars", tmp_path / "two.tfvars.json"])
    assert config.resources[0].name == "default,tfvars,tfvars.json,a.auto,one,two"


def test_var_file_through_the_cli(tmp_path, monkeypatch, capsys):
    write(tmp_path / "root", TFVARS_ROOT)
    (tmp_path / "cli.tfvars").write_text('f = "cli"\n')
    _, doc, _ = scan_json(
        ["root", "--var-file", "cli.tfvars", "--rules", "CT002"], tmp_path, monkeypatch, capsys
    )
    [result] = doc["results"]
    assert result["resource"]["name"] == "default,tfvars,tfvars.json,a.auto,b.auto,cli"


def test_missing_var_file_is_a_usage_error(tmp_path, monkeypatch, capsys):
    write(tmp_path / "root", TFVARS_ROOT)
    monkeypatch.chdir(tmp_path)
    assert main(["scan", "root", "--var-file", "nope.tfvars"], out=io.StringIO()) == 2
    assert "nope.tfvars" in capsys.readouterr().err


def test_tfvars_values_of_every_type(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                variable "multi" {}
                variable "bucket" {}
                variable "selectors" {}
                resource "aws_cloudtrail" "t" {
                  name                  = "t"
                  is_multi_region_trail = var.multi
                  s3_bucket_name        = var.bucket
                  dynamic "event_selector" {
                    for_each = var.selectors
                    content {
                      read_write_type = event_selector.value.rw
                    }
                  }
                }
            """,
            "terraform.tfvars": """
                multi     = true
                bucket    = "logs-${"bucket"}"
                selectors = [{ rw = "ReadOnly" }, { rw = "WriteOnly" }]
            """,
        },
    )
    [config] = load([root], tmp_path)
    props = config.resources[0].properties
    assert props["IsMultiRegionTrail"] is True
    assert props["S3BucketName"] == "logs-bucket"
    assert [s["ReadWriteType"] for s in props["EventSelectors"]] == ["ReadOnly", "WriteOnly"]


def test_tfvars_do_not_reach_into_modules(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": 'module "m" {\n  source = "./m"\n}\n',
            "terraform.tfvars": 'name = "from-root-tfvars"\n',
            "m/main.tf": 'variable "name" {\n  default = "module-default"\n}\nresource "aws_cloudtrail" "t" {\n  name = var.name\n}\n',
        },
    )
    [config] = load([root], tmp_path)
    assert by_id(config)["module.m.aws_cloudtrail.t"].name == "module-default"


def test_broken_tfvars_is_a_scan_error_with_file(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": 'variable "x" {\n  default = "d"\n}\nresource "aws_cloudtrail" "t" {\n  name = var.x\n}\n',
            "terraform.tfvars.json": "{not json",
        },
    )
    [config] = load([root], tmp_path)
    assert [e.path for e in config.errors] == ["root/terraform.tfvars.json"]
    assert config.resources[0].name == "d"


# -- local modules -----------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the fixture tree (so that scans relative to it are independent of the repo)."""
    return Path(shutil.copytree(MODULES_TREE, tmp_path / "tree"))


def test_scanning_the_tree_finds_one_root_and_follows_its_modules(tree):
    configs = load([tree], tree)
    assert [c.path for c in configs] == ["platform"]
    assert sorted(by_id(configs[0])) == sorted(
        [
            "aws_s3_bucket.logs",
            "aws_cloudtrail.root",
            "module.audit.aws_cloudtrail.main",
            "module.audit.module.nested.aws_cloudtrail.inner",
            "module.regional[0].aws_cloudtrail.t",
            "module.regional[1].aws_cloudtrail.t",
            'module.per_env["dev"].aws_cloudtrail.t',
            'module.per_env["prod"].aws_cloudtrail.t',
        ]
    )
    assert configs[0].errors == []


def test_module_inputs_are_bound_including_one_built_from_a_root_resource(tree):
    [config] = load([tree], tree)
    trail = by_id(config)["module.audit.aws_cloudtrail.main"]
    assert trail.properties["TrailName"] == "org-trail"  # the input, not the default
    assert trail.properties["S3BucketName"] == "platform-trail-logs"  # aws_s3_bucket.logs.id
    assert trail.properties["IsMultiRegionTrail"] is True


def test_nested_module_inputs_come_from_the_calling_module(tree):
    [config] = load([tree], tree)
    inner = by_id(config)["module.audit.module.nested.aws_cloudtrail.inner"]
    assert inner.name == "org-trail-inner"


def test_module_outputs_are_used_by_the_root(tree):
    [config] = load([tree], tree)
    root_trail = by_id(config)["aws_cloudtrail.root"]
    assert root_trail.properties["TrailName"] == "org-trail-from-output"
    assert root_trail.properties["S3BucketName"] == "platform-trail-logs"


def test_count_and_for_each_on_modules_give_indexed_addresses_and_their_values(tree):
    [config] = load([tree], tree)
    ids = by_id(config)
    assert ids["module.regional[0].aws_cloudtrail.t"].name == "regional-0"
    assert ids["module.regional[1].aws_cloudtrail.t"].name == "regional-1"
    assert ids['module.per_env["dev"].aws_cloudtrail.t'].name == "env-dev-d"
    assert ids['module.per_env["prod"].aws_cloudtrail.t'].name == "env-prod-p"


def test_resources_of_modules_point_at_the_module_files(tree):
    [config] = load([tree], tree)
    ids = by_id(config)
    main = ids["module.audit.aws_cloudtrail.main"].origin
    assert (main.path, main.start_line, main.end_line) == ("platform/modules/audit/main.tf", 10, 14)
    shared = ids["module.regional[1].aws_cloudtrail.t"].origin
    assert (shared.path, shared.start_line, shared.end_line) == ("shared/trail/main.tf", 5, 8)


def test_a_module_directory_scanned_alone_is_a_root(tree):
    configs = load([tree / "shared" / "trail"], tree)
    assert [c.path for c in configs] == ["shared/trail"]
    [trail] = configs[0].resources
    assert trail.id == "aws_cloudtrail.t"
    assert isinstance(trail.properties["TrailName"], Unknown)  # its input has no value alone
    assert "name" in trail.properties["TrailName"].reason


def test_module_directories_are_not_scanned_again_as_roots_through_the_cli(tree, monkeypatch, capsys):
    code, doc, _ = scan_json([".", "--rules", "CT002"], tree, monkeypatch, capsys)
    ids = sorted(r["resource"]["id"] for r in doc["results"])
    assert "aws_cloudtrail.t" not in ids and "aws_cloudtrail.inner" not in ids
    assert len(ids) == 7 and len(set(ids)) == 7
    assert code == 1


def test_count_and_for_each_on_resources_give_indexed_addresses(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                locals {
                  envs = { dev = "d", prod = "p" }
                }

                resource "aws_cloudtrail" "counted" {
                  count = 2
                  name  = "counted-${count.index}"
                }

                resource "aws_cloudtrail" "keyed" {
                  for_each = local.envs
                  name     = "${each.key}-${each.value}"
                }

                resource "aws_cloudtrail" "from_set" {
                  for_each = toset(["x"])
                  name     = "set-${each.value}"
                }

                resource "aws_cloudtrail" "none" {
                  count = 0
                  name  = "never"
                }

                resource "aws_cloudtrail" "uses" {
                  name           = "uses"
                  s3_bucket_name = aws_cloudtrail.keyed["prod"].name
                  sns_topic_name = aws_cloudtrail.counted[1].arn
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    ids = by_id(config)
    assert {k: v.name for k, v in ids.items() if k != "aws_cloudtrail.uses"} == {
        "aws_cloudtrail.counted[0]": "counted-0",
        "aws_cloudtrail.counted[1]": "counted-1",
        'aws_cloudtrail.keyed["dev"]': "dev-d",
        'aws_cloudtrail.keyed["prod"]': "prod-p",
        'aws_cloudtrail.from_set["x"]': "set-x",
    }
    arn = ids["aws_cloudtrail.uses"].properties["SnsTopicName"]
    assert isinstance(arn, Reference) and arn.target == "aws_cloudtrail.counted[1]" and arn.attribute == "arn"
    bucket = ids["aws_cloudtrail.uses"].properties["S3BucketName"]
    # The argument written in the configuration is the attribute (or it stays a reference to it).
    assert bucket == "prod-p" or (
        isinstance(bucket, Reference) and bucket.target == 'aws_cloudtrail.keyed["prod"]'
    )


def test_for_each_key_containing_module_is_kept(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                resource "aws_cloudtrail" "k" {
                  for_each = toset(["module.audit", "plain"])
                  name     = each.key
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    assert sorted(by_id(config)) == ['aws_cloudtrail.k["module.audit"]', 'aws_cloudtrail.k["plain"]']


def test_references_inside_a_module_carry_the_module_address(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": 'module "audit" {\n  source = "./audit"\n}\n',
            "audit/main.tf": """
                resource "aws_kms_key" "k" {}
                resource "aws_cloudtrail" "main" {
                  name       = "main"
                  kms_key_id = aws_kms_key.k.arn
                }
            """,
        },
    )
    [config] = load([root], tmp_path)
    key = by_id(config)["module.audit.aws_cloudtrail.main"].properties["KMSKeyId"]
    assert isinstance(key, Reference)
    assert (key.target, key.attribute) == ("module.audit.aws_kms_key.k", "arn")


def test_unknown_count_is_judged_as_one_instance_and_said(tmp_path):
    root = write(
        tmp_path / "root",
        {"main.tf": 'variable "n" {}\nresource "aws_cloudtrail" "t" {\n  count = var.n\n  name  = "t"\n}\n'},
    )
    [config] = load([root], tmp_path)
    assert [r.id for r in config.resources] == ["aws_cloudtrail.t"]
    [error] = config.errors
    assert error.path == "root/main.tf" and error.line == 3 and "cannot be decided" in error.message
    assert "exists only if its count is above 0" in config.resources[0].exists.reason


def test_output_of_a_module_with_count_needs_its_index(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                module "m" {
                  source = "./m"
                  count  = 2
                  name   = "n${count.index}"
                }
                resource "aws_cloudtrail" "t" {
                  name           = module.m[1].name
                  s3_bucket_name = module.m[5].name
                }
            """,
            "m/main.tf": 'variable "name" {}\noutput "name" {\n  value = "out-${var.name}"\n}\n',
        },
    )
    [config] = load([root], tmp_path)
    props = by_id(config)["aws_cloudtrail.t"].properties
    assert props["TrailName"] == "out-n1"
    assert isinstance(props["S3BucketName"], Unknown)


# -- modules that cannot be followed -------------------------------------------------------------

REMOTE = {
    "main.tf": """
        module "vpc" {
          source  = "terraform-aws-modules/vpc/aws"
          version = "5.0.0"
        }

        resource "aws_cloudtrail" "t" {
          name           = "t"
          s3_bucket_name = module.vpc.log_bucket
        }
    """
}


def test_remote_module_is_a_scan_error_and_the_rest_is_scanned(tmp_path):
    root = write(tmp_path / "root", REMOTE)
    [config] = load([root], tmp_path)
    [error] = config.errors
    assert "terraform-aws-modules/vpc/aws" in error.message and "not scanned" in error.message
    assert (error.path, error.line) == ("root/main.tf", 2)
    [trail] = config.resources
    assert trail.id == "aws_cloudtrail.t"
    assert isinstance(trail.properties["S3BucketName"], Unknown)


def test_remote_module_through_the_cli(tmp_path, monkeypatch, capsys):
    write(tmp_path / "root", REMOTE)
    code, doc, _ = scan_json(["root", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert code == 1  # the trail was scanned (single-region: CT002 fails)
    assert [r["resource"]["id"] for r in doc["results"]] == ["aws_cloudtrail.t"]
    assert any(
        "not scanned" in e["message"] and e.get("path") == "root/main.tf" for e in doc["scan"]["errors"]
    )


@pytest.mark.parametrize(
    "source", ["git::https://example.com/m.git", "github.com/acme/m", "s3::https://b/m.zip"]
)
def test_other_remote_sources_are_not_fetched(tmp_path, source):
    root = write(tmp_path / "root", {"main.tf": f'module "m" {{\n  source = "{source}"\n}}\n'})
    [config] = load([root], tmp_path)
    assert len(config.errors) == 1 and source in config.errors[0].message


def test_missing_local_module_directory_is_a_scan_error_naming_file_and_line(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                resource "aws_cloudtrail" "t" {
                  name = "t"
                }

                module "gone" {
                  source = "./modules/gone"
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    [error] = config.errors
    assert (error.path, error.line) == ("root/main.tf", 6)
    assert "modules/gone" in error.message
    assert [r.id for r in config.resources] == ["aws_cloudtrail.t"]


def test_module_calling_itself_through_a_parent_terminates_with_an_error(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "root",
        {
            "main.tf": 'module "loop" {\n  source = "./loop"\n}\n',
            "loop/main.tf": 'module "again" {\n  source = "./"\n}\nresource "aws_cloudtrail" "t" {\n  name = "t"\n}\n',
        },
    )
    code, doc, _ = scan_json(["root", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert code in (0, 1)
    errors = [e for e in doc["scan"]["errors"] if e.get("path") == "root/loop/main.tf"]
    assert errors and errors[0]["line"] == 1
    assert any(word in errors[0]["message"] for word in ("cycle", "deeper", "itself"))


def test_two_modules_calling_each_other_terminate_with_an_error(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "root",
        {
            "main.tf": 'module "a" {\n  source = "./a"\n}\n',
            "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\nresource "aws_cloudtrail" "t" {\n  name = "t"\n}\n',
        },
    )
    code, doc, _ = scan_json(["root", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert code in (0, 1)
    assert any("cycle" in e["message"] or "deeper" in e["message"] for e in doc["scan"]["errors"])


def test_a_ring_of_modules_no_root_reaches_is_scanned_not_skipped(tmp_path, monkeypatch, capsys):
    # a and b call each other and nothing else calls either: each is "used", yet no root
    # reaches them. The first of the ring is scanned as a root and the cycle reported.
    write(
        tmp_path / "ring",
        {
            "a/main.tf": 'module "b" {\n  source = "../b"\n}\nresource "aws_cloudtrail" "a" {\n  name = "a"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\nresource "aws_cloudtrail" "b" {\n  name = "b"\n}\n',
        },
    )
    code, doc, _ = scan_json(["ring", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert code == 1
    assert {(r["resource"]["id"], r["resource"]["configuration"]) for r in doc["results"]} == {
        ("aws_cloudtrail.a", "ring/a"),
        ("module.b.aws_cloudtrail.b", "ring/a"),
    }
    assert any("cycle" in e["message"] for e in doc["scan"]["errors"])


def test_a_module_a_ring_calls_is_not_scanned_again_on_its_own(tmp_path, monkeypatch, capsys):
    # `0lib` sorts before the ring and is reached only through it: it stays a module of it.
    write(
        tmp_path / "ring",
        {
            "a/main.tf": 'module "b" {\n  source = "../b"\n}\n',
            "b/main.tf": 'module "a" {\n  source = "../a"\n}\nmodule "lib" {\n  source = "../0lib"\n}\n',
            "0lib/main.tf": 'resource "aws_cloudtrail" "t" {\n  name = "t"\n}\n',
        },
    )
    code, doc, _ = scan_json(["ring", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert code == 1
    assert [(r["resource"]["id"], r["resource"]["configuration"]) for r in doc["results"]] == [
        ("module.b.module.lib.aws_cloudtrail.t", "ring/a")
    ]


def test_module_calling_itself_scanned_alone_is_scanned_and_the_cycle_reported(tmp_path, monkeypatch, capsys):
    write(
        tmp_path / "selfcall",
        {
            "main.tf": 'module "again" {\n  source = "./"\n}\nresource "aws_cloudtrail" "t" {\n  name = "t"\n}\n'
        },
    )
    code, doc, _ = scan_json(["selfcall", "--rules", "CT002"], tmp_path, monkeypatch, capsys)
    assert "aws_cloudtrail.t" in {r["resource"]["id"] for r in doc["results"]}
    assert any(e.get("path") == "selfcall/main.tf" and e.get("line") == 1 for e in doc["scan"]["errors"])
    assert code == 1


# -- dynamic blocks, policy documents --------------------------------------------------------------


def test_dynamic_blocks_over_a_literal_list_and_with_an_iterator(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                locals {
                  types = ["AWS::S3::Object", "AWS::Lambda::Function"]
                }

                resource "aws_cloudtrail" "t" {
                  name = "t"
                  dynamic "event_selector" {
                    for_each = local.types
                    content {
                      read_write_type = "WriteOnly"
                      data_resource {
                        type   = event_selector.value
                        values = ["${event_selector.key}"]
                      }
                    }
                  }
                  dynamic "insight_selector" {
                    for_each = ["ApiCallRateInsight", "ApiErrorRateInsight"]
                    iterator = ins
                    content {
                      insight_type = ins.value
                    }
                  }
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    props = config.resources[0].properties
    assert props["EventSelectors"] == [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["0"]}],
        },
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["1"]}],
        },
    ]
    assert props["InsightSelectors"] == [
        {"InsightType": "ApiCallRateInsight"},
        {"InsightType": "ApiErrorRateInsight"},
    ]


def test_dynamic_block_over_an_unknown_collection_makes_the_selectors_unknown(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                variable "selectors" {}
                resource "aws_cloudtrail" "t" {
                  name = "t"
                  dynamic "event_selector" {
                    for_each = var.selectors
                    content {
                      read_write_type = "All"
                    }
                  }
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    assert isinstance(config.resources[0].properties["EventSelectors"], Unknown)


def test_dynamic_block_over_an_empty_list_gives_no_blocks(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                resource "aws_cloudtrail" "t" {
                  name = "t"
                  dynamic "event_selector" {
                    for_each = []
                    content {
                      read_write_type = "All"
                    }
                  }
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    assert config.resources[0].properties.get("EventSelectors") in (None, [])


def test_iam_policy_document_is_rendered_as_a_policy_structure(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                resource "aws_s3_bucket" "logs" {
                  bucket = "logs"
                }

                data "aws_iam_policy_document" "key" {
                  statement {
                    sid       = "AllowCloudTrail"
                    effect    = "Allow"
                    actions   = ["kms:GenerateDataKey*"]
                    resources = ["*"]
                    principals {
                      type        = "Service"
                      identifiers = ["cloudtrail.amazonaws.com"]
                    }
                    condition {
                      test     = "StringLike"
                      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
                      values   = ["arn:aws:cloudtrail:*:111122223333:trail/*"]
                    }
                  }
                  statement {
                    actions   = ["s3:GetObject"]
                    resources = ["${aws_s3_bucket.logs.arn}/*"]
                    principals {
                      type        = "*"
                      identifiers = ["*"]
                    }
                  }
                }

                resource "aws_kms_key" "k" {
                  policy = data.aws_iam_policy_document.key.json
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    policy = by_id(config)["aws_kms_key.k"].properties["KeyPolicy"]
    if isinstance(policy, str):
        policy = json.loads(policy)
    first, second = policy["Statement"]
    assert first["Sid"] == "AllowCloudTrail"
    assert first["Effect"] == "Allow"
    assert first["Action"] in (["kms:GenerateDataKey*"], "kms:GenerateDataKey*")
    assert first["Resource"] in (["*"], "*")
    assert first["Principal"] in (
        {"Service": ["cloudtrail.amazonaws.com"]},
        {"Service": "cloudtrail.amazonaws.com"},
    )
    cond = first["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]
    assert cond in (
        ["arn:aws:cloudtrail:*:111122223333:trail/*"],
        "arn:aws:cloudtrail:*:111122223333:trail/*",
    )
    assert second["Effect"] == "Allow"  # the provider's default
    assert second["Principal"] == "*"
    assert second["Resource"] in (["arn:aws:s3:::logs/*"], "arn:aws:s3:::logs/*")


# -- Terraform JSON ------------------------------------------------------------------------------


def test_tf_json_files_are_read_with_templates_nested_blocks_and_modules(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf.json": json.dumps(
                {
                    "variable": {"env": {"default": "prod"}},
                    "locals": {"prefix": "audit"},
                    "resource": {
                        "aws_s3_bucket": {"logs": {"bucket": "${local.prefix}-logs"}},
                        "aws_cloudtrail": {
                            "main": {
                                "name": "${local.prefix}-${var.env}",
                                "s3_bucket_name": "${aws_s3_bucket.logs.id}",
                                "is_multi_region_trail": True,
                                "event_selector": [
                                    {
                                        "read_write_type": "WriteOnly",
                                        "data_resource": {
                                            "type": "AWS::S3::Object",
                                            "values": ["${aws_s3_bucket.logs.arn}/"],
                                        },
                                    }
                                ],
                                "tags": {"Team": "security"},
                            }
                        },
                    },
                    "module": {"m": {"source": "./m", "name": "from-json"}},
                },
                indent=2,
            ),
            "m/main.tf": 'variable "name" {}\nresource "aws_cloudtrail" "t" {\n  name = var.name\n}\n',
        },
    )
    [config] = load([root], tmp_path)
    ids = by_id(config)
    trail = ids["aws_cloudtrail.main"]
    assert trail.name == "audit-prod"
    assert trail.properties["S3BucketName"] == "audit-logs"
    assert trail.properties["IsMultiRegionTrail"] is True
    assert trail.properties["EventSelectors"] == [
        {
            "ReadWriteType": "WriteOnly",
            "IncludeManagementEvents": True,
            "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::audit-logs/"]}],
        }
    ]
    assert trail.tags == {"Team": "security"}
    assert trail.origin.path == "root/main.tf.json"
    assert ids["module.m.aws_cloudtrail.t"].name == "from-json"


def test_tf_json_and_hcl_files_of_one_module_see_each_other(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "vars.tf.json": json.dumps({"variable": {"bucket": {"default": "shared"}}}),
            "main.tf": 'resource "aws_cloudtrail" "t" {\n  name           = "t"\n  s3_bucket_name = var.bucket\n}\n',
        },
    )
    [config] = load([root], tmp_path)
    assert config.resources[0].properties["S3BucketName"] == "shared"


def test_tf_json_resources_point_at_their_lines(tmp_path):
    text = json.dumps(
        {"resource": {"aws_cloudtrail": {"first": {"name": "first"}, "second": {"name": "second"}}}}, indent=2
    )
    root = write(tmp_path / "root", {"main.tf.json": text})
    [config] = load([root], tmp_path)
    lines = text.splitlines()
    second = by_id(config)["aws_cloudtrail.second"].origin
    assert '"second"' in lines[second.start_line - 1]
    assert second.end_line > second.start_line


def test_tf_json_dynamic_blocks_are_expanded(tmp_path):
    doc = {
        "resource": {
            "aws_cloudtrail": {
                "t": {
                    "name": "t",
                    "dynamic": {
                        "event_selector": {
                            "for_each": ["WriteOnly"],
                            "content": {"read_write_type": "${event_selector.value}"},
                        }
                    },
                }
            }
        }
    }
    root = write(tmp_path / "root", {"main.tf.json": json.dumps(doc)})
    [config] = load([root], tmp_path)
    selectors = config.resources[0].properties.get("EventSelectors")
    assert isinstance(selectors, Unknown) or [s["ReadWriteType"] for s in selectors] == ["WriteOnly"]


# -- file() and path.module ------------------------------------------------------------------------


def test_file_with_path_module_reads_the_module_file_wherever_the_scan_starts(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                module "m" {
                  source = "./modules/m"
                }
                resource "aws_cloudtrail" "t" {
                  name           = "t"
                  s3_key_prefix  = trimspace(file("${path.module}/prefix.txt"))
                  sns_topic_name = module.m.topic
                }
            """,
            "prefix.txt": "root-prefix\n",
            "modules/m/main.tf": 'output "topic" {\n  value = trimspace(file("${path.module}/topic.txt"))\n}\n',
            "modules/m/topic.txt": "module-topic\n",
        },
    )
    for cwd in (root, tmp_path):
        [config] = load([root], cwd)
        props = config.resources[0].properties
        assert (props["S3KeyPrefix"], props["SnsTopicName"]) == ("root-prefix", "module-topic"), cwd


def test_iam_policy_document_includes_its_source_documents_or_is_unknown(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": """
                data "aws_iam_policy_document" "base" {
                  statement {
                    effect    = "Deny"
                    actions   = ["kms:*"]
                    resources = ["*"]
                  }
                }

                data "aws_iam_policy_document" "combined" {
                  source_policy_documents = [data.aws_iam_policy_document.base.json]
                  statement {
                    actions   = ["kms:Decrypt"]
                    resources = ["*"]
                  }
                }

                resource "aws_kms_key" "k" {
                  policy = data.aws_iam_policy_document.combined.json
                }
            """
        },
    )
    [config] = load([root], tmp_path)
    policy = config.resources[0].properties["KeyPolicy"]
    if not isinstance(policy, Unknown):
        assert sorted(s["Effect"] for s in policy["Statement"]) == ["Allow", "Deny"]
