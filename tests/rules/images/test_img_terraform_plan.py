"""IMG001-IMG004 on Terraform plan JSON (`terraform show -json plan.out`), scanned through
`scan_iac`: the types come through the plan loader with the same mapping as HCL.

In a plan, `container_definitions` is the JSON text the provider normalised; an image
interpolating a repository URL that is known only after apply leaves the whole text known
after apply (unknown). A value known after apply is left out of `planned_values`, flagged in
`after_unknown`, and its configuration expression lists its references.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner import config as cfg
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules

AFTER_APPLY = object()
DIGEST = "sha256:" + "3e" * 32


def resource(address: str, values: dict[str, Any], references: dict[str, list[str]] | None = None) -> dict:
    return {"address": address, "values": values, "references": references or {}}


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    planned, changes, config = [], [], []
    for r in resources:
        tf_type, name = r["address"].split(".")
        after = {k: v for k, v in r["values"].items() if v is not AFTER_APPLY}
        unknown = {k: True for k, v in r["values"].items() if v is AFTER_APPLY}
        head = {"address": r["address"], "mode": "managed", "type": tf_type, "name": name}
        provider = {"provider_name": "registry.terraform.io/hashicorp/aws"}
        planned.append({**head, **provider, "schema_version": 0, "values": after, "sensitive_values": {}})
        changes.append(
            {
                **head,
                **provider,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        expressions = {k: {"references": v} for k, v in r["references"].items()}
        config.append({**head, "provider_config_key": "aws", "expressions": expressions, "schema_version": 0})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def containers(*images: str) -> str:
    return json.dumps([{"name": f"c{i}", "image": image, "memory": 128} for i, image in enumerate(images)])


PLAN = plan(
    resource("aws_instance.golden", {"ami": "ami-0golden", "instance_type": "t3.micro", "id": AFTER_APPLY}),
    resource("aws_instance.stray", {"ami": "ami-0stray", "instance_type": "t3.micro", "id": AFTER_APPLY}),
    resource(
        "aws_instance.later",
        {"ami": AFTER_APPLY, "instance_type": "t3.micro", "id": AFTER_APPLY},
        {"ami": ["data.aws_ami.base.id", "data.aws_ami.base"]},
    ),
    resource(
        "aws_ecr_registry_scanning_configuration.this",
        {
            "scan_type": "BASIC",
            "rule": [
                {
                    "scan_frequency": "SCAN_ON_PUSH",
                    "repository_filter": [{"filter": "prod-*", "filter_type": "WILDCARD"}],
                }
            ],
        },
    ),
    resource(
        "aws_ecr_repository.prod",
        {
            "name": "prod-api",
            "image_tag_mutability": "IMMUTABLE",
            "image_scanning_configuration": [{"scan_on_push": False}],
            "repository_url": AFTER_APPLY,
        },
    ),
    resource(
        "aws_ecr_repository.dev",
        {
            "name": "dev-api",
            "image_tag_mutability": "MUTABLE",
            "image_scanning_configuration": [],
            "repository_url": AFTER_APPLY,
        },
    ),
    resource(
        "aws_ecs_task_definition.literal",
        {"family": "literal", "container_definitions": containers("nginx:latest", f"app@{DIGEST}", "nginx")},
    ),
    resource(
        "aws_ecs_task_definition.later",
        {"family": "later", "container_definitions": AFTER_APPLY},
        {"container_definitions": ["aws_ecr_repository.dev.repository_url", "aws_ecr_repository.dev"]},
    ),
    resource(
        "aws_sagemaker_model.m",
        {
            "name": "m",
            "primary_container": [{"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:latest"}],
            "container": [],
        },
    ),
)


def scan(tmp_path: Path, *ids: str, params: str = "") -> ScanOutcome:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN))
    chosen = cfg.parse(params).apply(rules(*ids)) if params else rules(*ids)
    return scan_iac([path], chosen, tmp_path)


def table(outcome: ScanOutcome, rule_id: str) -> dict[tuple[str, str | None], str]:
    return {(r.resource.id, r.discriminator): r.status.value for r in results(outcome, rule_id)}


def test_img001_on_a_plan(tmp_path):
    assert results(scan(tmp_path, "IMG001"), "IMG001") == []
    outcome = scan(tmp_path, "IMG001", params="params: {IMG001: {approved_images: [ami-0golden]}}")
    assert outcome.errors == []
    assert table(outcome, "IMG001") == {
        ("aws_instance.golden", None): "pass",
        ("aws_instance.stray", None): "fail",
        ("aws_instance.later", None): "unknown",  # a data source read at apply
    }


def test_img002_and_img004_on_a_plan(tmp_path):
    outcome = scan(tmp_path, "IMG002", "IMG004")
    assert table(outcome, "IMG002") == {
        ("aws_ecr_repository.prod", None): "pass",
        ("aws_ecr_repository.dev", None): "fail",
    }
    assert table(outcome, "IMG004") == {
        ("aws_ecr_repository.prod", None): "pass",
        ("aws_ecr_repository.dev", None): "fail",
    }


def test_img003_on_a_plan(tmp_path):
    assert table(scan(tmp_path, "IMG003"), "IMG003") == {
        ("aws_ecs_task_definition.literal", "c0"): "fail",
        ("aws_ecs_task_definition.literal", "c1"): "pass",
        ("aws_ecs_task_definition.literal", "c2"): "fail",
        ("aws_ecs_task_definition.later", None): "unknown",
        ("aws_sagemaker_model.m", "PrimaryContainer"): "fail",
    }
