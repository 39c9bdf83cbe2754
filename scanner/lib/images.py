"""Images as rules read them, whatever the source: container image references (registry,
repository, tag, digest), AMI ids, and the wildcard filters ECR matches repository names and
image tags with.

Written once here for IMG001-IMG004; no rule parses an image string itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model import Reference, Unknown, show, unsettled

# The attributes that give an ECR repository's URL (Terraform, CloudFormation): a
# registry/repository address that never carries a tag or digest.
REPOSITORY_URL_ATTRIBUTES = frozenset({"repository_url", "RepositoryUri"})
# CloudFormation dynamic references and EC2's own SSM form: the value is looked up at
# deployment (or launch), so the files do not say it.
DYNAMIC = "{{resolve:"
SSM_IMAGE = "resolve:ssm:"
LATEST = "latest"


@dataclass(frozen=True)
class ImageRef:
    """A container image reference, `[registry/]repository[:tag][@digest]`.

    `repository` and `registry` are None where a reference hides them (a template such as
    `"${aws_ecr_repository.app.repository_url}:v1"` decides the tag, not the name).
    """

    text: str
    registry: str | None = None
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None

    @property
    def pinned(self) -> bool:
        """By digest: the reference names one image, whatever happens to tags."""
        return self.digest is not None

    @property
    def floating(self) -> bool:
        """`:latest`, written or implied (no tag and no digest: Docker pulls `latest`)."""
        return self.digest is None and (self.tag is None or self.tag == LATEST)

    def evidence(self) -> dict[str, Any]:
        return {
            "image": self.text,
            "registry": self.registry,
            "repository": self.repository,
            "tag": self.tag,
            "digest": self.digest,
        }


def parse_image(value: Any) -> ImageRef | Unknown:
    """An image reference as a source gives it: a literal string, a template whose literal
    tail decides the tag or digest, an ECR repository URL reference (no tag), or why it
    cannot be read (a variable, a parameter, an SSM lookup)."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, str):
        return _parse_literal(value)
    if isinstance(value, Reference):
        return _parse_reference(value)
    if value is None:
        return Unknown("no image is given")
    return Unknown(f"the image is not a string ({show(value)})")


def _parse_literal(text: str) -> ImageRef | Unknown:
    if DYNAMIC in text:
        return Unknown(f"{text} is resolved at deployment")
    if not text.strip():
        return Unknown("the image is empty")
    name, _, digest = text.partition("@")
    prefix, _, last = name.rpartition("/")
    # The tag is after a ":" in the last path component only: a registry may have a port.
    repository, colon, tag = last.rpartition(":") if ":" in last else (last, "", "")
    path = f"{prefix}/{repository}" if prefix else repository
    first, _, remainder = path.partition("/")
    has_registry = bool(remainder) and ("." in first or ":" in first or first == "localhost")
    return ImageRef(
        text=text,
        registry=first if has_registry else None,
        repository=remainder if has_registry else path,
        tag=tag if colon else None,
        digest=digest or None,
    )


def _parse_reference(value: Reference) -> ImageRef | Unknown:
    parts = getattr(value, "parts", ())  # a template: literal text and references, in order
    if not parts:
        # `partial`: a plan names the references of an expression, not the expression; the
        # URL may be followed by a tag.
        if value.attribute in REPOSITORY_URL_ATTRIBUTES and not value.partial:
            return ImageRef(text=value.text)  # a repository URL alone: no tag, so `latest`
        return _later(value)
    if not isinstance(parts[-1], str):
        return Unknown(f"the tag of {value.text} comes from {show(parts[-1])}, not known here")
    # The literal text after the last reference (a !Join gives it in pieces).
    pieces: list[str] = []
    for part in reversed(parts):
        if not isinstance(part, str):
            break
        pieces.insert(0, part)
    tail = "".join(pieces)
    if "@" in tail:
        return ImageRef(text=value.text, digest=tail.rsplit("@", 1)[1] or None)
    last = tail.rsplit("/", 1)[1] if "/" in tail else None
    if last is not None:  # the whole last path component is literal
        repository, colon, tag = last.rpartition(":") if ":" in last else (last, "", "")
        return ImageRef(text=value.text, repository=repository, tag=tag if colon else None)
    if ":" in tail:
        return ImageRef(text=value.text, tag=tail.rsplit(":", 1)[1])
    return Unknown(f"whether {value.text} names a tag is not known before deployment")


def image_id(value: Any) -> str | Unknown:
    """An AMI id as a source gives it, or why it is not known here (a variable, a
    parameter, an SSM parameter looked up at launch)."""
    if isinstance(value, str):
        if value.startswith(SSM_IMAGE) or DYNAMIC in value:
            return Unknown(f"{value} is looked up in SSM Parameter Store at launch")
        if not value.strip():
            return Unknown("the image id is empty")
        return value
    if value is None:
        return Unknown("no image id is given")
    if isinstance(value, Reference):
        return _later(value)
    if isinstance(value, Unknown):
        return value
    return Unknown(f"the image id is not a string ({show(value)})")


def _later(value: Reference) -> Unknown:
    """Why a reference's value is not known here (set at deployment)."""
    found = unsettled(value)
    return found if found is not None else Unknown(f"{value.text} is not known here")


def image_arn(partition: str, region: str, ami: str) -> str:
    """The ARN EC2 gives an AMI (images have no account in their ARN)."""
    return f"arn:{partition}:ec2:{region}::image/{ami}"


# -- ECR wildcard filters -----------------------------------------------------------------------


def filter_matches(pattern: str, name: str) -> bool:
    """An ECR WILDCARD filter against a repository name: without `*` the filter matches any
    name that contains it; with `*`, the whole name, each `*` standing for zero or more
    characters (Amazon ECR User Guide, "Filters to choose which repositories are scanned")."""
    if "*" not in pattern:
        return pattern in name
    regex = ".*".join(re.escape(piece) for piece in pattern.split("*"))
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


def matches_everything(pattern: str) -> bool:
    """A filter of only `*`: every name, every tag."""
    return bool(pattern) and set(pattern) == {"*"}


# -- ECS container definitions ------------------------------------------------------------------


def cloudformation_containers(value: Any) -> Any:
    """ECS container definitions in CloudFormation's key case (`Image`, `Name`, ...): the
    API and Terraform's JSON write the same keys in camel case (`image`, `name`). Values
    are kept as given; anything that is not a list of mappings is returned unchanged."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        if isinstance(item, Mapping):
            out.append({(k[:1].upper() + k[1:]) if isinstance(k, str) else k: v for k, v in item.items()})
        else:
            out.append(item)
    return out
