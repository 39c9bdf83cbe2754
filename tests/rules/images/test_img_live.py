"""IMG001-IMG004 on a live account (moto, in process): each rule fails, passes and is unknown
(or emits nothing) on named resources.

What the emulator (moto 5.2) does not give, and how it is tested here:
- GetAllowedImagesSettings is not implemented: its answer is injected (`allowed_amis`); left
  alone it is a failed read, which IMG001 reports as one unknown per region.
- DescribeImages has no ImageAllowed: it is added to the answer where a test needs it.
- Every emulated public AMI has the owner alias `amazon`; an AMI the account makes
  (CreateImage) has the account as owner and no alias.
- BatchGetRepositoryScanningConfiguration reflects registry rules but never a repository's own
  scan-on-push flag (AWS's answer for that case is not documented): IMG002 then relies on the
  registry configuration and the repository's setting.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from scanner import config as cfg
from scanner.results import ScanOutcome
from scanner.scan import scan_aws
from scanner.sources.aws.session import AwsOptions
from testkit import ACCOUNT, add_to_response, inject_error, inject_response, results, rules

REGION = "us-east-1"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
DIGEST = "sha256:" + "0f" * 32


def scan(session: boto3.Session, *ids: str, params: str = "") -> ScanOutcome:
    """A live scan of us-east-1 with the given rules, configured by an opscheck.yml text."""
    chosen = cfg.parse(params).apply(rules(*ids)) if params else rules(*ids)
    return scan_aws(AwsOptions(session=session, regions=[REGION]), chosen)


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[tuple[str, str | None], str]:
    return {(r.resource.name, r.discriminator): r.status.value for r in results(outcome, rule_id)}


def allowed_amis(session: boto3.Session, state: str, allowed: dict[str, bool] | None = None) -> None:
    """Answer GetAllowedImagesSettings with `state`; mark DescribeImages' ImageAllowed per AMI."""
    inject_response(session, "GetAllowedImagesSettings", {"State": state, "ImageCriteria": []})

    def mark(parsed: dict[str, Any], **_: Any) -> None:
        for image in parsed.get("Images", []):
            if allowed is not None and image["ImageId"] in allowed:
                image["ImageAllowed"] = allowed[image["ImageId"]]

    add_to_response(session, "DescribeImages", mark, service_id="ec2")


def amazon_image(ec2) -> str:
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def run(ec2, image: str, name: str) -> str:
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    got = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=tags
    )
    return got["Instances"][0]["InstanceId"]


def own_image(ec2, instance: str) -> str:
    return ec2.create_image(InstanceId=instance, Name="hand-made")["ImageId"]


# -- IMG001 ---------------------------------------------------------------------------------


def test_img001_emits_nothing_without_configuration_or_allowed_amis(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    run(ec2, amazon_image(ec2), "web")
    allowed_amis(aws, "disabled")
    outcome = scan(aws, "IMG001")
    assert results(outcome, "IMG001") == [] and outcome.errors == []


def test_img001_with_approved_owners_from_opscheck_yml(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    web = run(ec2, amazon_image(ec2), "web")
    hand_made = own_image(ec2, web)
    ec2.create_launch_template(LaunchTemplateName="golden", LaunchTemplateData={"ImageId": amazon_image(ec2)})
    ec2.create_launch_template(LaunchTemplateName="snowflake", LaunchTemplateData={"ImageId": hand_made})
    # An AMI that is gone (or never shared): DescribeImages does not return it.
    ec2.create_launch_template(
        LaunchTemplateName="vanished", LaunchTemplateData={"ImageId": "ami-0badc0ffee0000000"}
    )
    allowed_amis(aws, "disabled")
    outcome = scan(aws, "IMG001", params="params:\n  IMG001:\n    approved_owners: [amazon]\n")
    assert verdicts(outcome, "IMG001") == {
        ("web", None): "pass",
        ("golden", None): "pass",
        ("snowflake", None): "fail",
        ("vanished", None): "unknown",
    }
    by_name = {r.resource.name: r for r in results(outcome, "IMG001")}
    assert f"owned by {ACCOUNT}, not an approved owner" in by_name["snowflake"].message
    assert by_name["snowflake"].evidence["OwnerId"] == ACCOUNT
    assert by_name["snowflake"].evidence["approved_owners"] == ["amazon"]
    assert "DescribeImages does not return it" in by_name["vanished"].message
    assert by_name["web"].evidence["ImageOwnerAlias"] == "amazon"
    # The AMIs of the region's instances and templates are described in one call.
    assert outcome.api_calls["ec2:DescribeImages"] == 1
    assert (
        outcome.api_calls["ec2:DescribeInstances"]
        == outcome.api_calls["ec2:DescribeLaunchTemplateVersions"]
        == 1
    )


def test_img001_approved_images_by_id(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    image = amazon_image(ec2)
    other = ec2.describe_images(Owners=["amazon"])["Images"][1]["ImageId"]
    run(ec2, image, "approved")
    run(ec2, other, "other")
    allowed_amis(aws, "disabled")
    outcome = scan(aws, "IMG001", params=f"params:\n  IMG001:\n    approved_images: [{image}]\n")
    assert verdicts(outcome, "IMG001") == {("approved", None): "pass", ("other", None): "fail"}


def test_img001_allowed_amis_enabled_fails_an_image_it_does_not_allow(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    images = [i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"][:3]]
    run(ec2, images[0], "allowed")
    run(ec2, images[1], "refused")
    undecided = run(ec2, images[2], "undecided")  # DescribeImages gives no ImageAllowed
    hand_made = own_image(ec2, undecided)
    run(ec2, hand_made, "own")  # the account's own AMIs are always allowed
    allowed_amis(aws, "enabled", {images[0]: True, images[1]: False, hand_made: False})
    outcome = scan(aws, "IMG001")  # no list configured: Allowed AMIs alone decides
    assert verdicts(outcome, "IMG001") == {
        ("allowed", None): "pass",
        ("refused", None): "fail",
        ("undecided", None): "unknown",
        ("own", None): "pass",
    }
    refused = next(r for r in results(outcome, "IMG001") if r.resource.name == "refused")
    assert "not allowed by the region's Allowed AMIs criteria" in refused.message
    assert (
        refused.evidence["ImageAllowed"] is False and refused.evidence["AllowedImagesSettings"] == "enabled"
    )


def test_img001_audit_mode_reports_what_enabling_would_refuse(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    image = amazon_image(ec2)
    run(ec2, image, "web")
    allowed_amis(aws, "audit-mode", {image: False})
    (result,) = results(scan(aws, "IMG001"), "IMG001")
    assert result.status.value == "fail" and "audit mode" in result.message


def test_img001_allowed_amis_not_readable_is_one_unknown_per_region(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    run(ec2, amazon_image(ec2), "web")
    inject_error(aws, "GetAllowedImagesSettings", "UnauthorizedOperation", service_id="ec2")
    outcome = scan(aws, "IMG001")
    (result,) = results(outcome, "IMG001")
    assert (result.status.value, result.resource.type, result.resource.region) == (
        "unknown",
        "AWS::Account",
        REGION,
    )
    assert "Allowed AMIs setting" in result.message
    # Configured, the instances are judged by the list; the setting stays an unknown of its own.
    configured = scan(aws, "IMG001", params="params:\n  IMG001:\n    approved_owners: [amazon]\n")
    assert sorted((r.resource.name, r.status.value) for r in results(configured, "IMG001")) == [
        (ACCOUNT, "unknown"),
        ("web", "pass"),
    ]


def test_img001_images_not_described_are_unknown(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    run(ec2, amazon_image(ec2), "web")
    allowed_amis(aws, "disabled")
    inject_error(aws, "DescribeImages", "UnauthorizedOperation", service_id="ec2")
    outcome = scan(aws, "IMG001", params="params:\n  IMG001:\n    approved_owners: [amazon]\n")
    (result,) = results(outcome, "IMG001")
    assert (
        result.status.value == "unknown" and "DescribeImages failed (UnauthorizedOperation)" in result.message
    )


def test_img001_judges_a_templates_latest_version_when_it_uses_another_ami(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    web = run(ec2, amazon_image(ec2), "web")
    hand_made = own_image(ec2, web)
    ec2.create_launch_template(
        LaunchTemplateName="workers", LaunchTemplateData={"ImageId": amazon_image(ec2)}
    )
    ec2.create_launch_template_version(
        LaunchTemplateName="workers", LaunchTemplateData={"ImageId": hand_made}
    )
    allowed_amis(aws, "disabled")
    outcome = scan(aws, "IMG001", params="params:\n  IMG001:\n    approved_owners: [amazon]\n")
    got = verdicts(outcome, "IMG001")
    assert got[("workers", None)] == "pass"  # the default version
    assert got[("workers", "latest")] == "fail"


# -- IMG002 -----------------------------------------------------------------------------------


def test_img002_registry_first(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}],
            }
        ],
    )
    # Covered by the registry rule although its own flag is off.
    ecr.create_repository(repositoryName="prod-api")
    # No rule matches; its own flag is off.
    ecr.create_repository(repositoryName="dev-api")
    # No rule matches; its own flag is on, but basic scanning sets unmatched repositories to
    # manual, and the effective configuration says so.
    ecr.create_repository(repositoryName="legacy", imageScanningConfiguration={"scanOnPush": True})
    outcome = scan(aws, "IMG002")
    assert verdicts(outcome, "IMG002") == {
        ("prod-api", None): "pass",
        ("dev-api", None): "fail",
        ("legacy", None): "fail",
    }
    prod = next(r for r in results(outcome, "IMG002") if r.resource.name == "prod-api")
    assert "registry's SCAN_ON_PUSH rule with filter 'prod-*'" in prod.message
    assert prod.evidence["repository_scan_on_push"] is False
    assert prod.evidence["effective"]["ScanFrequency"] == "SCAN_ON_PUSH"


def test_img002_repository_flag_applies_without_registry_rules(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    ecr.create_repository(repositoryName="unscanned")
    assert verdicts(scan(aws, "IMG002"), "IMG002") == {("scanned", None): "pass", ("unscanned", None): "fail"}


def test_img002_enhanced_scanning(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "ml", "filterType": "WILDCARD"}],
            }
        ],
    )
    ecr.create_repository(repositoryName="team-ml-models")  # "ml" without a wildcard: contained
    # Enhanced scanning ignores the repository's own flag: no rule, no scanning.
    ecr.create_repository(repositoryName="web", imageScanningConfiguration={"scanOnPush": True})
    outcome = scan(aws, "IMG002")
    assert verdicts(outcome, "IMG002") == {("team-ml-models", None): "pass", ("web", None): "fail"}


def test_img002_unreadable_configuration(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    ecr.create_repository(repositoryName="unscanned")
    inject_error(aws, "GetRegistryScanningConfiguration", "AccessDeniedException")
    # The effective configuration still answers: not scanned (own flag off) fails; the own
    # flag alone cannot be trusted without knowing the registry's scan type.
    assert verdicts(scan(aws, "IMG002"), "IMG002") == {
        ("scanned", None): "unknown",
        ("unscanned", None): "fail",
    }
    inject_error(aws, "BatchGetRepositoryScanningConfiguration", "AccessDeniedException")
    assert verdicts(scan(aws, "IMG002"), "IMG002") == {
        ("scanned", None): "unknown",
        ("unscanned", None): "unknown",
    }


def test_img002_and_img004_repositories_not_listed_are_unknown(aws):
    inject_error(aws, "DescribeRepositories", "AccessDeniedException")
    outcome = scan(aws, "IMG002", "IMG004")
    for rule_id in ("IMG002", "IMG004"):
        (result,) = results(outcome, rule_id)
        assert (result.status.value, result.resource.type) == ("unknown", "AWS::Account")
        assert "ECR repositories in us-east-1" in result.message


# -- IMG003 -----------------------------------------------------------------------------------


def task(ecs, family: str, *images: str) -> str:
    containers = [{"name": f"c{i}", "image": image, "memory": 128} for i, image in enumerate(images)]
    return ecs.register_task_definition(family=family, containerDefinitions=containers)["taskDefinition"][
        "taskDefinitionArn"
    ]


def test_img003_task_definitions_and_models(aws):
    ecs = aws.client("ecs", region_name=REGION)
    task(ecs, "web", "nginx:1.25")  # revision 1: superseded, not judged
    task(ecs, "web", f"{REGISTRY}/web:latest", f"{REGISTRY}/web", f"{REGISTRY}/web@{DIGEST}", "nginx:1.25")
    sm = aws.client("sagemaker", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/sm"
    sm.create_model(
        ModelName="pinned", ExecutionRoleArn=role, PrimaryContainer={"Image": f"{REGISTRY}/m@{DIGEST}"}
    )
    sm.create_model(
        ModelName="pipeline",
        ExecutionRoleArn=role,
        Containers=[
            {"Image": f"{REGISTRY}/pre:2.0", "ContainerHostname": "pre"},
            {"Image": f"{REGISTRY}/model", "ContainerHostname": "model"},
        ],
    )
    outcome = scan(aws, "IMG003")
    assert verdicts(outcome, "IMG003") == {
        ("web", "c0"): "fail",  # :latest
        ("web", "c1"): "fail",  # no tag
        ("web", "c2"): "pass",  # digest
        ("web", "c3"): "pass",  # another tag
        ("pinned", "PrimaryContainer"): "pass",
        ("pipeline", "pre"): "pass",
        ("pipeline", "model"): "fail",
    }
    no_tag = next(r for r in results(outcome, "IMG003") if r.discriminator == "c1")
    assert "with no tag" in no_tag.message and no_tag.evidence["repository"] == "web"
    assert outcome.api_calls["ecs:ListTaskDefinitionFamilies"] == 1
    assert outcome.api_calls["ecs:DescribeTaskDefinition"] == 1  # the family's latest revision
    assert outcome.api_calls["sagemaker:DescribeModel"] == 2


def test_img003_unreadable_definitions_and_models_are_unknown(aws):
    ecs = aws.client("ecs", region_name=REGION)
    task(ecs, "web", "nginx:latest")
    aws.client("sagemaker", region_name=REGION).create_model(
        ModelName="m", ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm", PrimaryContainer={"Image": "x:1"}
    )
    inject_error(aws, "DescribeTaskDefinition", "AccessDeniedException")
    inject_error(aws, "DescribeModel", "AccessDeniedException")
    assert verdicts(scan(aws, "IMG003"), "IMG003") == {("web", None): "unknown", ("m", None): "unknown"}


def test_img003_shares_the_reads_of_eventbridge_ecs_targets(aws):
    """EB007 reads the task definitions ECS targets run; IMG003 lists every family. A target
    naming the family (its latest revision) and the listing read it once, as one resource; a
    target pinning an older revision gets its own read, and IMG003 judges each revision once."""
    ecs = aws.client("ecs", region_name=REGION)
    old = task(ecs, "batch", "batch:1.0")
    task(ecs, "batch", "batch:latest")
    family = old.rsplit(":", 1)[0]
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    cluster = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/jobs"
    role = f"arn:aws:iam::{ACCOUNT}:role/events-ecs"
    events.put_targets(
        Rule="nightly",
        Targets=[
            {"Id": "latest", "Arn": cluster, "RoleArn": role, "EcsParameters": {"TaskDefinitionArn": family}},
            {"Id": "pinned", "Arn": cluster, "RoleArn": role, "EcsParameters": {"TaskDefinitionArn": old}},
        ],
    )
    outcome = scan(aws, "EB007", "IMG003")
    assert outcome.api_calls["ecs:DescribeTaskDefinition"] == 2  # the family's latest, the pinned one
    assert sorted((r.resource.id, r.status.value) for r in results(outcome, "IMG003")) == [
        (family, "fail"),  # the latest revision, read once for the target and the listing
        (old, "pass"),  # revision 1, pinned by a target
    ]


# -- IMG004 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "filters", "expected"),
    [
        ("MUTABLE", None, "fail"),
        ("IMMUTABLE", None, "pass"),
        ("IMMUTABLE_WITH_EXCLUSION", ["latest*"], "pass"),
        ("MUTABLE_WITH_EXCLUSION", ["release-*"], "fail"),
        ("IMMUTABLE_WITH_EXCLUSION", ["*"], "fail"),  # every tag excluded: all mutable
        ("MUTABLE_WITH_EXCLUSION", ["*"], "pass"),  # every tag excluded: all immutable
    ],
)
def test_img004_tag_mutability(aws, setting, filters, expected):
    ecr = aws.client("ecr", region_name=REGION)
    extra = {}
    if filters:
        extra["imageTagMutabilityExclusionFilters"] = [
            {"filter": f, "filterType": "WILDCARD"} for f in filters
        ]
    ecr.create_repository(repositoryName="app", imageTagMutability=setting, **extra)
    (result,) = results(scan(aws, "IMG004"), "IMG004")
    assert result.status.value == expected, result.message
    assert result.evidence["ImageTagMutability"] == setting
    if setting == "IMMUTABLE_WITH_EXCLUSION" and expected == "pass":
        assert "latest*" in result.message and "ECR.2" in result.evidence["note"]
