"""The demo account's image story (IMG001-IMG004): ECR repositories (one mutable and unscanned,
one immutable and scanned through a registry-level rule although its own flag is off), ECS task
definitions by `:latest` and by digest, and a launch template on a hand-made AMI that is not
from an approved owner (the demo approves Amazon's images, as an opscheck.yml would)."""

from __future__ import annotations

from typing import Any

import boto3

ACCOUNT = "123456789012"
HOME = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{HOME}.amazonaws.com"
# A digest as ECR reports one (sha256 of the image manifest).
SERVING_DIGEST = "sha256:" + "7d3f0c2b9a51e4" * 4 + "9a51e4c8"


def seed_images(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    ecr = session.client("ecr", region_name=HOME)
    # Registry-level scan on push for the serving repositories (ml-*): it covers ml-serving
    # although the repository's own (deprecated) flag is off (IMG002 pass); notebook-base
    # matches no rule and is mutable (IMG002 and IMG004 fail).
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "ml-*", "filterType": "WILDCARD"}],
            }
        ],
    )
    ecr.create_repository(repositoryName="ml-serving", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="notebook-base")

    ecs = session.client("ecs", region_name=HOME)
    # The nightly backfill runs notebook-base:latest (IMG003 fail); the feature API is pinned by
    # digest (pass), its log router by a version tag (pass).
    ecs.register_task_definition(
        family="feature-backfill",
        containerDefinitions=[
            {"name": "backfill", "image": f"{REGISTRY}/notebook-base:latest", "memory": 2048}
        ],
    )
    ecs.register_task_definition(
        family="feature-api",
        containerDefinitions=[
            {"name": "api", "image": f"{REGISTRY}/ml-serving@{SERVING_DIGEST}", "memory": 1024},
            {
                "name": "log-router",
                "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4",
                "memory": 128,
            },
        ],
    )

    # Someone snapshotted the GPU notebook into an AMI and launches notebook workers from it: an
    # image of the account's own making, not one of the approved owners' (IMG001 fail).
    ec2 = session.client("ec2", region_name=HOME)
    notebook = facts["instances"]["gpu-notebook"]
    hand_made = ec2.create_image(InstanceId=notebook, Name="notebook-snapshot-2024-03")["ImageId"]
    ec2.create_launch_template(
        LaunchTemplateName="notebook-workers",
        LaunchTemplateData={"ImageId": hand_made, "InstanceType": "m5.large"},
    )
    return {"images": {"hand_made": hand_made}}
