from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.images import ImageRef, parse_image
from scanner.model import ECS_TASK_DEFINITION, MODEL, Reference, Resource, Result, Unknown, show
from scanner.rule import RuleContext, rule


@dataclass(frozen=True)
class Container:
    """One image a task definition or a model runs; `key` names the container in results."""

    resource: Resource
    key: str
    image: Any

    @property
    def label(self) -> str:
        kind = "ECS task definition" if self.resource.type == ECS_TASK_DEFINITION else "SageMaker model"
        return f"{kind} {self.resource.name}, container {self.key}"


@rule(
    id="IMG003",
    name="container-image-mutable-tag",
    title="Containers run images by digest or an immutable tag, not latest",
    severity="low",
    family="images",
    remediation="""
        Reference the image by digest (`repository@sha256:...`) or by a tag that names one
        build (a version or the commit), and push that tag to a repository with immutable
        tags. `:latest` (or no tag, which means latest) changes with every push: a task or
        an endpoint started later runs another image than the one tested, and a rollback has
        nothing to go back to.
    """,
    terraform="""
        resource "aws_ecs_task_definition" "api" {
          family = "api"
          container_definitions = jsonencode([{
            name  = "api"
            image = "${aws_ecr_repository.api.repository_url}:1.4.2"
          }])
        }
    """,
    cloudformation="""
        Api:
          Type: AWS::ECS::TaskDefinition
          Properties:
            ContainerDefinitions:
              - Name: api
                Image: !Sub "${ApiRepository.RepositoryUri}:1.4.2"
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image",
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html",
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
    ),
    compliance={"AWS-WA": ("REL08-BP04", "SEC11-BP07")},
    needs={ECS_TASK_DEFINITION: {"containers"}, MODEL: ()},
)
def img003(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An image referenced by `:latest`, or with no tag (which pulls latest), is whatever was
    pushed last: two tasks of one definition can run different code and nothing records which.
    A digest or another tag passes; an image given by a variable or parameter that the files do
    not decide is unknown. Live, the latest ACTIVE revision of every ECS task definition family
    (and a revision an EventBridge target pins) and every SageMaker model are judged. One result
    per container (ECS container name; SageMaker `PrimaryContainer` or `Containers[i]`), so a
    finding names the container to fix and a suppression can cover one sidecar alone.
    """
    for scope in inventory.scopes:
        seen: set[str] = set()
        for task in inventory.of_type(ECS_TASK_DEFINITION, scope):
            if scope.is_live:
                # A revision read twice (a family's latest, and pinned by a target) is judged once.
                revision = task.observed.get("TaskDefinitionArn")
                if isinstance(revision, str):
                    if revision in seen:
                        continue
                    seen.add(revision)
            yield from _judge_resource(ctx, task, "ContainerDefinitions")
        for model in inventory.of_type(MODEL, scope):
            yield from _judge_resource(ctx, model, "PrimaryContainer", "Containers")
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, ECS_TASK_DEFINITION, "ECS task definitions")
            yield from ctx.gap_unknowns(inventory, scope, MODEL, "SageMaker models")


def _judge_resource(ctx: RuleContext, resource: Resource, *keys: str) -> Iterator[Result]:
    kind = "ECS task definition" if resource.type == ECS_TASK_DEFINITION else "SageMaker model"
    if resource.exists is False:
        return
    if isinstance(resource.exists, Unknown) and resource.origin.source == "aws":  # its read failed
        yield ctx.unknown(resource, f"{kind} {resource.name} could not be read ({resource.exists.reason}).")
        return
    containers: list[Container] = []
    for key in keys:
        value = resource.get(key)
        if isinstance(value, Unknown | Reference):  # the definitions as a whole are not known
            reason = (
                value.reason if isinstance(value, Unknown) else f"{value.text}, known only after deployment"
            )
            yield ctx.unknown(resource, f"{kind} {resource.name}: its containers are not known ({reason}).")
            return
        containers.extend(_containers(resource, key, value))
    for container in containers:
        yield _judge(ctx, container)


def _containers(resource: Resource, key: str, value: Any) -> Iterator[Container]:
    if value is None:
        return
    if key == "PrimaryContainer":
        if isinstance(value, Mapping) and value.get("Image") is not None:
            yield Container(resource, "PrimaryContainer", value.get("Image"))
        elif not isinstance(value, Mapping):
            yield Container(resource, "PrimaryContainer", value)
        return
    if not isinstance(value, list):
        yield Container(resource, key, value if not isinstance(value, Mapping) else value.get("Image"))
        return
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            yield Container(resource, f"{key}[{index}]", item)
            continue
        if item.get("Image") is None:
            continue  # a SageMaker container from a model package: no image written here
        name = item.get("Name") if key == "ContainerDefinitions" else item.get("ContainerHostname")
        yield Container(
            resource, name if isinstance(name, str) and name else f"{key}[{index}]", item.get("Image")
        )


def _judge(ctx: RuleContext, c: Container) -> Result:
    parsed = parse_image(c.image)
    where = {"discriminator": c.key}
    if isinstance(parsed, Unknown):
        evidence = {"image": show(c.image), "container": c.key}
        return ctx.unknown(
            c.resource, f"{c.label}: its image is not known ({parsed.reason}).", evidence, **where
        )
    evidence = {**_evidence(parsed), "container": c.key}
    if parsed.pinned:
        return ctx.passed(c.resource, f"{c.label} runs {parsed.text} by digest.", evidence, **where)
    if parsed.tag is None:
        return ctx.fail(
            c.resource,
            f"{c.label} runs {parsed.text} with no tag, which pulls whatever latest is.",
            evidence,
            **where,
        )
    if parsed.floating:
        return ctx.fail(
            c.resource,
            f"{c.label} runs {parsed.text}: the latest tag moves with every push.",
            evidence,
            **where,
        )
    return ctx.passed(c.resource, f"{c.label} runs {parsed.text}, tag {parsed.tag}.", evidence, **where)


def _evidence(parsed: ImageRef) -> dict[str, Any]:
    return {k: v for k, v in parsed.evidence().items() if v is not None}
