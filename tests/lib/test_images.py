"""scanner/lib/images.py: image references (registry, repository, tag, digest) from literals
and templates, AMI ids, ECR wildcard filters and container definitions' key case."""

from __future__ import annotations

import pytest

from scanner.lib.images import (
    ImageRef,
    cloudformation_containers,
    filter_matches,
    image_arn,
    image_id,
    matches_everything,
    parse_image,
)
from scanner.model import Reference, Unknown
from scanner.sources.iac import Interpolated

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("nginx", None, "nginx", None, None),
        ("nginx:latest", None, "nginx", "latest", None),
        ("nginx:1.25", None, "nginx", "1.25", None),
        ("library/nginx:1.25", None, "library/nginx", "1.25", None),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "app",
            None,
            None,
        ),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v2",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "team/app",
            "v2",
            None,
        ),
        # A registry port is not a tag: only the last path component carries one.
        ("registry.local:5000/app", "registry.local:5000", "app", None, None),
        ("localhost:5000/app:dev", "localhost:5000", "app", "dev", None),
        (f"app@{DIGEST}", None, "app", None, DIGEST),
        (f"public.ecr.aws/x/app:1.0@{DIGEST}", "public.ecr.aws", "x/app", "1.0", DIGEST),
    ],
)
def test_literal_references(text, registry, repository, tag, digest):
    assert parse_image(text) == ImageRef(text, registry, repository, tag, digest)


def test_what_floats_and_what_is_pinned():
    assert parse_image("nginx").floating and parse_image("nginx:latest").floating
    assert not parse_image("nginx:LATEST").floating  # tags are case-sensitive: another tag
    assert not parse_image("nginx:1.25").floating
    pinned = parse_image(f"nginx:latest@{DIGEST}")
    assert isinstance(pinned, ImageRef) and pinned.pinned and not pinned.floating


def test_templates_decide_by_their_literal_tail():
    repo = Reference("aws_ecr_repository.app.repository_url", "aws_ecr_repository.app", "repository_url")
    tag = Reference("var.tag")

    def template(*parts):
        return Interpolated("".join(p.text if isinstance(p, Reference) else p for p in parts), parts=parts)

    assert parse_image(template(repo, ":latest")).tag == "latest"
    assert parse_image(template(repo, ":1.4.2")).tag == "1.4.2"
    assert parse_image(template(repo, f"@{DIGEST}")).digest == DIGEST
    # The whole last path component is literal: no tag written, so latest.
    untagged = parse_image(template(Reference("var.registry"), "/app"))
    assert isinstance(untagged, ImageRef) and untagged.repository == "app" and untagged.floating
    assert parse_image(template(Reference("var.registry"), "/app:v1")).tag == "v1"
    # The tag (or whether there is one) comes from a reference: unknown.
    assert isinstance(parse_image(template(repo, ":", tag)), Unknown)
    assert isinstance(parse_image(template(Reference("var.image"), "-gpu")), Unknown)


def test_references_alone():
    # An ECR repository's URL never carries a tag: used alone it pulls latest.
    for attribute, target in (("repository_url", "aws_ecr_repository.app"), ("RepositoryUri", "Repo")):
        ref = parse_image(Reference(f"{target}.{attribute}", target, attribute))
        assert isinstance(ref, ImageRef) and ref.floating and ref.tag is None
    assert isinstance(parse_image(Reference("var.image")), Unknown)
    # A plan lists an expression's references, not the expression: the URL may carry a tag.
    planned = Reference(
        "aws_ecr_repository.app.repository_url", "aws_ecr_repository.app", "repository_url", partial=True
    )
    assert isinstance(parse_image(planned), Unknown)
    assert isinstance(
        parse_image(Reference("aws_ssm_parameter.img.value", "aws_ssm_parameter.img", "value")), Unknown
    )


@pytest.mark.parametrize(
    "value", [Unknown("parameter Img has no default"), None, 3, "", "{{resolve:ssm:/img}}"]
)
def test_what_is_not_an_image_reference(value):
    assert isinstance(parse_image(value), Unknown)


def test_ami_ids():
    assert image_id("ami-0abc") == "ami-0abc"
    for value in (
        "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        "{{resolve:ssm:/golden/ami}}",
        None,
        "",
        Reference("data.aws_ami.base.id", "data.aws_ami.base", "id"),
        Unknown("variable ami has no value"),
        42,
    ):
        assert isinstance(image_id(value), Unknown), value
    assert image_arn("aws", "us-east-1", "ami-1") == "arn:aws:ec2:us-east-1::image/ami-1"


# The table of the Amazon ECR User Guide, "Filters to choose which repositories are scanned".
NAMES = ("prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo")
TABLE = {
    "prod": (True, True, True, True, True),
    "*prod": (True, True, False, False, False),
    "prod*": (True, False, True, False, True),
    "*prod*": (True, True, True, True, True),
    "prod*repo": (False, False, True, False, True),
}


@pytest.mark.parametrize("pattern", sorted(TABLE))
def test_wildcard_filters_as_ecr_documents_them(pattern):
    assert tuple(filter_matches(pattern, name) for name in NAMES) == TABLE[pattern]


def test_wildcard_edge_cases():
    assert filter_matches("*", "anything/at-all")
    assert filter_matches("ml-*", "ml-serving") and not filter_matches("ml-*", "notebook-ml-x")
    assert filter_matches("team/*", "team/app") and not filter_matches("team/*", "other/app")
    assert filter_matches("a.b", "xa.by") and not filter_matches("a.b*", "axb")  # "." is literal
    assert matches_everything("*") and matches_everything("**")
    assert not matches_everything("latest*") and not matches_everything("")


def test_container_definitions_in_cloudformation_case():
    api = [{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80}]}, "x"]
    assert cloudformation_containers(api) == [
        {"Name": "web", "Image": "nginx", "PortMappings": [{"containerPort": 80}]},
        "x",
    ]
    unknown = Unknown("not known")
    assert cloudformation_containers(unknown) is unknown
    assert cloudformation_containers([{"Name": "a", "Image": "b"}]) == [{"Name": "a", "Image": "b"}]
