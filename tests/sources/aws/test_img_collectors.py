"""The images collectors (IMG001-IMG004): launch templates, the AMIs in use, the Allowed AMIs
setting, ECR registry scanning and repositories (with the effective scanning, 25 a call), the
latest revision of every ECS task definition family and SageMaker models, in the canonical
model (scanner/model.py "Images"); a read that fails is a gap or an Unknown, never an absence.

What the emulator (moto 5.2) does not give, and how it is tested here:
- Pagination: moto answers ListTaskDefinitionFamilies, DescribeLaunchTemplateVersions (every
  template) and DescribeRepositories in one page; the pages AWS would give are injected
  (`pages`), and the page size asked for is recorded.
- GetAllowedImagesSettings is not implemented (a failed read, hence a gap); its answer is
  injected where a test needs one.
"""

from __future__ import annotations

from typing import Any

import boto3

from scanner import model as m
from scanner.sources.aws.collectors import COLLECTORS, ec2_images
from scanner.sources.aws.session import AwsOptions
from scanner.sources.aws.source import LiveCollection, collect_account, required_operations
from testkit import ACCOUNT, inject_response

REGION = "us-east-1"
OTHER = "eu-west-1"


def collect(aws: boto3.Session, needs: dict[str, tuple[str, ...]], regions=(REGION,)) -> LiveCollection:
    return collect_account(
        AwsOptions(session=aws, regions=list(regions)), {k: frozenset(v) for k, v in needs.items()}
    )


def requests(aws: boto3.Session, service: str, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the clients make, in order."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(dict(params))

    aws.events.register(f"provide-client-params.{service}.{operation}", record)
    return seen


def pages(
    aws: boto3.Session, operation: str, token: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Answer `operation` in two pages: `first` (with a next token), then `second`."""

    def asks_next(params: dict[str, Any]) -> bool:
        body = params.get("body") or b""
        # JSON protocols send bytes; EC2's query protocol still holds a dict at this point.
        return token in body if isinstance(body, dict) else token.encode() in body

    inject_response(aws, operation, second, match=asks_next)
    inject_response(aws, operation, {**first, token: "page-2"}, match=lambda p: not asks_next(p))


# -- launch templates and images ---------------------------------------------------------------


def amazon_images(ec2, n: int = 2) -> list[str]:
    return [i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"][:n]]


def test_launch_templates_with_their_default_and_latest_version(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    first, second = amazon_images(ec2)
    template = ec2.create_launch_template(
        LaunchTemplateName="workers", LaunchTemplateData={"ImageId": first, "InstanceType": "m5.large"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={"ImageId": second})
    ec2.create_launch_template(LaunchTemplateName="single", LaunchTemplateData={"ImageId": first})
    asked = requests(aws, "ec2", "DescribeLaunchTemplateVersions")
    got = collect(aws, {m.LAUNCH_TEMPLATE: ("image",)})
    assert got.errors == []
    templates = {r.name: r for r in got.inventory.of_type(m.LAUNCH_TEMPLATE)}
    workers = templates["workers"]
    assert workers.id == f"arn:aws:ec2:{REGION}:{ACCOUNT}:launch-template/{template}"
    assert workers.properties == {
        "LaunchTemplateName": "workers",
        "LaunchTemplateData": {"ImageId": first, "InstanceType": "m5.large"},
    }
    assert workers.observed["DefaultVersionNumber"] == 1 and workers.observed["LatestVersionNumber"] == 2
    assert workers.observed["LatestLaunchTemplateData"]["ImageId"] == second
    assert "LatestLaunchTemplateData" not in templates["single"].observed  # one version: both
    assert asked == [{"Versions": ["$Default", "$Latest"], "ResolveAlias": True, "MaxResults": 200}]
    # Both AMIs (default and latest) described in one call; no instance listing asked for them.
    images = {r.name: r for r in got.inventory.of_type(m.IMAGE)}
    assert set(images) == {first, second}
    assert images[first].id == f"arn:aws:ec2:{REGION}::image/{first}"
    assert images[first].properties["ImageOwnerAlias"] == "amazon"
    assert got.api_calls == {
        "sts:GetCallerIdentity": 1,
        "ec2:DescribeLaunchTemplateVersions": 1,
        "ec2:DescribeImages": 1,
    }


def test_launch_template_versions_are_paginated(aws):
    def version(template: str, name: str, number: int) -> dict[str, Any]:
        return {
            "LaunchTemplateId": template,
            "LaunchTemplateName": name,
            "VersionNumber": number,
            "DefaultVersion": True,
            "LaunchTemplateData": {"InstanceType": "t3.micro"},
        }

    pages(
        aws,
        "DescribeLaunchTemplateVersions",
        "NextToken",
        {"LaunchTemplateVersions": [version("lt-1", "a", 1)]},
        {"LaunchTemplateVersions": [version("lt-2", "b", 3)]},
    )
    got = collect(aws, {m.LAUNCH_TEMPLATE: ()})
    assert got.api_calls["ec2:DescribeLaunchTemplateVersions"] == 2
    assert sorted(r.name for r in got.inventory.of_type(m.LAUNCH_TEMPLATE)) == ["a", "b"]
    assert got.inventory.of_type(m.IMAGE) == []  # no facet "image": no DescribeImages


def test_images_of_instances_and_templates_in_one_call_per_region(aws, monkeypatch):
    ec2 = aws.client("ec2", region_name=REGION)
    first, second = amazon_images(ec2)
    for image in (first, first, second):
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={"ImageId": "ami-0gone0000000000"})
    asked = requests(aws, "ec2", "DescribeImages")
    got = collect(aws, {m.INSTANCE: ("image",), m.LAUNCH_TEMPLATE: ("image",)}, regions=(REGION, OTHER))
    assert got.errors == []
    assert got.api_calls["ec2:DescribeImages"] == 1  # none in the region without instances
    (request,) = asked
    # Filtered, not ImageIds: one AMI that is gone must not fail the call for the others.
    assert request["Filters"] == [
        {"Name": "image-id", "Values": sorted([first, second, "ami-0gone0000000000"])}
    ]
    assert request["IncludeDeprecated"] is True and request["IncludeDisabled"] is True
    assert "ImageIds" not in request
    assert {r.name for r in got.inventory.of_type(m.IMAGE)} == {first, second}
    (instance, *_) = got.inventory.of_type(m.INSTANCE)
    assert instance.properties["ImageId"] in (first, second)
    # More AMIs than one call takes are split.
    monkeypatch.setattr(ec2_images, "IMAGES_PER_CALL", 2)
    again = collect(aws, {m.INSTANCE: ("image",), m.LAUNCH_TEMPLATE: ("image",)})
    assert again.api_calls["ec2:DescribeImages"] == 2


def test_images_are_described_only_for_the_facet(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    ec2.run_instances(ImageId=amazon_images(ec2, 1)[0], MinCount=1, MaxCount=1, InstanceType="t3.micro")
    got = collect(aws, {m.INSTANCE: (), m.INSTANCE_TYPE: ()})
    assert (
        "ec2:DescribeImages" not in got.api_calls
        and "ec2:DescribeLaunchTemplateVersions" not in got.api_calls
    )
    assert got.api_calls["ec2:DescribeInstanceTypes"] == 1


def test_launch_template_types_are_described_with_the_instances(aws):
    ec2 = aws.client("ec2", region_name=REGION)
    image = amazon_images(ec2, 1)[0]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    ec2.create_launch_template(LaunchTemplateName="t", LaunchTemplateData={"InstanceType": "c5.large"})
    asked = requests(aws, "ec2", "DescribeInstanceTypes")
    got = collect(aws, {m.INSTANCE: (), m.INSTANCE_TYPE: (), m.LAUNCH_TEMPLATE: ()})
    assert got.api_calls["ec2:DescribeInstanceTypes"] == 1
    assert asked[0]["InstanceTypes"] == ["c5.large", "t3.micro"]


def test_failed_template_listing_is_a_gap(aws):
    from testkit import inject_error

    inject_error(aws, "DescribeLaunchTemplateVersions", "UnauthorizedOperation", service_id="ec2")
    got = collect(aws, {m.LAUNCH_TEMPLATE: ("image",), m.INSTANCE: ("image",)})
    assert [(g.resource_type, g.region) for g in got.inventory.gaps] == [(m.LAUNCH_TEMPLATE, REGION)]


def test_allowed_images_settings(aws):
    # The emulator does not implement the call: a failed read, a gap per region.
    got = collect(aws, {m.ALLOWED_IMAGES_SETTINGS: ()}, regions=(REGION, OTHER))
    assert sorted((g.resource_type, g.region) for g in got.inventory.gaps) == [
        (m.ALLOWED_IMAGES_SETTINGS, OTHER),
        (m.ALLOWED_IMAGES_SETTINGS, REGION),
    ]
    assert {e.operation for e in got.errors} == {"GetAllowedImagesSettings"}
    inject_response(
        aws,
        "GetAllowedImagesSettings",
        {"State": "enabled", "ImageCriteria": [{"ImageProviders": ["amazon"]}], "ManagedBy": "account"},
    )
    got = collect(aws, {m.ALLOWED_IMAGES_SETTINGS: ()})
    (settings,) = got.inventory.of_type(m.ALLOWED_IMAGES_SETTINGS)
    assert settings.id == f"{ACCOUNT}:{REGION}:allowed-images-settings"
    assert settings.properties == {
        "State": "enabled",
        "ImageCriteria": [{"ImageProviders": ["amazon"]}],
        "ManagedBy": "account",
    }


# -- ECR ---------------------------------------------------------------------------------------


def test_registry_scanning_configuration(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}],
            },
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
            },
        ],
    )
    got = collect(aws, {m.REGISTRY_SCANNING: ()})
    (config,) = got.inventory.of_type(m.REGISTRY_SCANNING)
    assert config.id == f"{ACCOUNT}:{REGION}:registry-scanning-configuration"
    assert config.properties == {
        "ScanType": "ENHANCED",
        "Rules": [
            {
                "ScanFrequency": "CONTINUOUS_SCAN",
                "RepositoryFilters": [{"Filter": "prod-*", "FilterType": "WILDCARD"}],
            },
            {
                "ScanFrequency": "SCAN_ON_PUSH",
                "RepositoryFilters": [{"Filter": "*", "FilterType": "WILDCARD"}],
            },
        ],
    }


def test_repositories_in_the_canonical_model(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="plain")
    ecr.create_repository(
        repositoryName="team/app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filter": "latest", "filterType": "WILDCARD"}],
        imageScanningConfiguration={"scanOnPush": True},
    )
    asked = requests(aws, "ecr", "DescribeRepositories")
    got = collect(aws, {m.REPOSITORY: ()})
    repos = {r.name: r for r in got.inventory.of_type(m.REPOSITORY)}
    app = repos["team/app"]
    assert app.id == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app"
    assert app.properties == {
        "RepositoryName": "team/app",
        "ImageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "ImageTagMutabilityExclusionFilters": [
            {
                "ImageTagMutabilityExclusionFilterValue": "latest",
                "ImageTagMutabilityExclusionFilterType": "WILDCARD",
            }
        ],
        "ImageScanningConfiguration": {"ScanOnPush": True},
    }
    assert repos["plain"].properties["ImageTagMutability"] == "MUTABLE"
    assert asked == [{"maxResults": 1000}]
    # IMG004 alone asks nothing per repository.
    assert set(got.api_calls) == {"sts:GetCallerIdentity", "ecr:DescribeRepositories"}


def test_repositories_are_paginated(aws):
    def repo(name: str) -> dict[str, Any]:
        return {
            "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
            "repositoryName": name,
            "imageTagMutability": "MUTABLE",
        }

    pages(
        aws, "DescribeRepositories", "nextToken", {"repositories": [repo("a")]}, {"repositories": [repo("b")]}
    )
    got = collect(aws, {m.REPOSITORY: ()})
    assert got.api_calls["ecr:DescribeRepositories"] == 2
    assert sorted(r.name for r in got.inventory.of_type(m.REPOSITORY)) == ["a", "b"]


def test_effective_scanning_of_30_repositories_takes_two_calls(aws):
    ecr = aws.client("ecr", region_name=REGION)
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "svc-0*", "filterType": "WILDCARD"}],
            }
        ],
    )
    names = [f"svc-{i:02d}" for i in range(30)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    asked = requests(aws, "ecr", "BatchGetRepositoryScanningConfiguration")
    got = collect(aws, {m.REPOSITORY: ("scanning",)})
    assert got.errors == []
    assert got.api_calls["ecr:BatchGetRepositoryScanningConfiguration"] == 2
    assert sorted(len(a["repositoryNames"]) for a in asked) == [5, 25]
    assert sorted(n for a in asked for n in a["repositoryNames"]) == names
    repos = {r.name: r for r in got.inventory.of_type(m.REPOSITORY)}
    assert len(repos) == 30
    assert repos["svc-01"].observed["ScanningConfiguration"] == {
        "ScanOnPush": False,
        "ScanFrequency": "SCAN_ON_PUSH",
        "AppliedScanFilters": [{"Filter": "svc-0*", "FilterType": "WILDCARD"}],
    }
    assert repos["svc-29"].observed["ScanningConfiguration"]["ScanFrequency"] == "MANUAL"


def test_effective_scanning_failures_are_unknown_per_repository(aws):
    from testkit import inject_error

    ecr = aws.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="alpha")
    ecr.create_repository(repositoryName="beta")
    inject_response(
        aws,
        "BatchGetRepositoryScanningConfiguration",
        {
            "scanningConfigurations": [
                {"repositoryName": "alpha", "scanOnPush": True, "scanFrequency": "SCAN_ON_PUSH"}
            ],
            "failures": [
                {"repositoryName": "beta", "failureCode": "REPOSITORY_NOT_FOUND", "failureReason": "gone"}
            ],
        },
    )
    repos = {r.name: r for r in collect(aws, {m.REPOSITORY: ("scanning",)}).inventory.of_type(m.REPOSITORY)}
    assert repos["alpha"].observed["ScanningConfiguration"]["ScanOnPush"] is True
    unknown = repos["beta"].observed["ScanningConfiguration"]
    assert isinstance(unknown, m.Unknown) and "gone" in unknown.reason
    # The whole call refused: every repository of the batch keeps an Unknown, none is lost.
    aws2 = boto3.Session(region_name=REGION)
    inject_error(aws2, "BatchGetRepositoryScanningConfiguration", "AccessDeniedException")
    got = collect(aws2, {m.REPOSITORY: ("scanning",)})
    assert len(got.inventory.of_type(m.REPOSITORY)) == 2
    assert all(
        isinstance(r.observed["ScanningConfiguration"], m.Unknown)
        for r in got.inventory.of_type(m.REPOSITORY)
    )


# -- ECS and SageMaker -------------------------------------------------------------------------


def test_latest_revision_of_every_family(aws):
    ecs = aws.client("ecs", region_name=REGION)
    for family, image in (("web", "nginx:1.0"), ("web", "nginx:1.1"), ("batch", "batch:latest")):
        ecs.register_task_definition(
            family=family,
            containerDefinitions=[{"name": family, "image": image, "memory": 128, "essential": True}],
        )
    asked = requests(aws, "ecs", "ListTaskDefinitionFamilies")
    described = requests(aws, "ecs", "DescribeTaskDefinition")
    got = collect(aws, {m.ECS_TASK_DEFINITION: ("containers",)})
    assert got.errors == []
    assert asked == [{"status": "ACTIVE", "maxResults": 100}]
    assert sorted(d["taskDefinition"] for d in described) == ["batch", "web"]  # by family name
    found = {r.name: r for r in got.inventory.of_type(m.ECS_TASK_DEFINITION)}
    web = found["web"]
    assert web.id == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web"
    assert web.observed["TaskDefinitionArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:2"
    assert web.properties["ContainerDefinitions"][0]["Image"] == "nginx:1.1"
    assert web.properties["ContainerDefinitions"][0]["Essential"] is True  # CloudFormation's key case
    assert web.exists is True


def test_task_definition_families_are_paginated(aws):
    ecs = aws.client("ecs", region_name=REGION)
    for family in ("a", "b"):
        ecs.register_task_definition(
            family=family, containerDefinitions=[{"name": family, "image": "x:1", "memory": 64}]
        )
    pages(aws, "ListTaskDefinitionFamilies", "nextToken", {"families": ["a"]}, {"families": ["b"]})
    got = collect(aws, {m.ECS_TASK_DEFINITION: ("containers",)})
    assert got.api_calls["ecs:ListTaskDefinitionFamilies"] == 2
    assert got.api_calls["ecs:DescribeTaskDefinition"] == 2
    assert sorted(r.name for r in got.inventory.of_type(m.ECS_TASK_DEFINITION)) == ["a", "b"]


def test_without_the_containers_facet_families_are_not_listed(aws):
    aws.client("ecs", region_name=REGION).register_task_definition(
        family="a", containerDefinitions=[{"name": "a", "image": "x:1", "memory": 64}]
    )
    got = collect(aws, {m.ECS_TASK_DEFINITION: ()})  # EB007 alone: only what targets name
    assert "ecs:ListTaskDefinitionFamilies" not in got.api_calls
    assert got.inventory.of_type(m.ECS_TASK_DEFINITION) == []


def test_models_with_their_containers(aws):
    sm = aws.client("sagemaker", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/sm"
    sm.create_model(ModelName="one", ExecutionRoleArn=role, PrimaryContainer={"Image": "x/one:1"})
    sm.create_model(
        ModelName="two", ExecutionRoleArn=role, Containers=[{"Image": "x/pre:1"}, {"Image": "x/model:2"}]
    )
    asked = requests(aws, "sagemaker", "ListModels")
    got = collect(aws, {m.MODEL: ()})
    models = {r.name: r for r in got.inventory.of_type(m.MODEL)}
    assert models["one"].id == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/one"
    assert models["one"].properties["PrimaryContainer"]["Image"] == "x/one:1"
    assert [c["Image"] for c in models["two"].properties["Containers"]] == ["x/pre:1", "x/model:2"]
    assert asked == [{"MaxResults": 100}]
    assert got.api_calls["sagemaker:DescribeModel"] == 2


def test_images_collectors_declare_their_types_and_operations():
    declared = {t: c for c in COLLECTORS for t in c.resource_types}
    for rtype, ops in (
        (m.ALLOWED_IMAGES_SETTINGS, {"GetAllowedImagesSettings"}),
        (m.REGISTRY_SCANNING, {"GetRegistryScanningConfiguration"}),
        (m.REPOSITORY, {"DescribeRepositories", "BatchGetRepositoryScanningConfiguration"}),
        (m.ECS_TASK_DEFINITION, {"ListTaskDefinitionFamilies", "DescribeTaskDefinition"}),
        (m.MODEL, {"ListModels", "DescribeModel"}),
    ):
        assert {op.name for op in declared[rtype].operations} == ops, rtype
    needs = {t: frozenset() for t in (m.REPOSITORY, m.MODEL, m.ALLOWED_IMAGES_SETTINGS)}
    actions = {op.action for op in required_operations(needs)}
    assert {
        "ecr:BatchGetRepositoryScanningConfiguration",
        "sagemaker:DescribeModel",
        "ec2:GetAllowedImagesSettings",
    } <= actions
