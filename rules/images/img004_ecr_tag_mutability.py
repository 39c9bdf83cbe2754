from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rules.resilience.common import each
from scanner.inventory import Inventory
from scanner.lib.images import matches_everything
from scanner.model import REPOSITORY, Resource, Result, Scope, show
from scanner.rule import RuleContext, rule

FILTER_VALUE = "ImageTagMutabilityExclusionFilterValue"


@rule(
    id="IMG004",
    name="ecr-tag-mutability",
    title="ECR repositories keep image tags immutable",
    severity="low",
    family="images",
    remediation="""
        Make the repository's tags immutable: a tag, once pushed, then always names the same
        image, so what was tested is what runs and a compromised pipeline cannot move a
        release tag to another image. Push every build under a new tag (a version or the
        commit) and deploy by that tag or by digest.
    """,
    terraform="""
        resource "aws_ecr_repository" "app" {
          name                 = "app"
          image_tag_mutability = "IMMUTABLE"
        }
    """,
    cloudformation="""
        App:
          Type: AWS::ECR::Repository
          Properties:
            RepositoryName: app
            ImageTagMutability: IMMUTABLE
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-2",
    ),
    compliance={"AWS-FSBP": ("ECR.2",)},
    needs={REPOSITORY: ()},
)
def img004(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A repository with mutable tags lets a push move an existing tag (`v1.2`, `prod`) to
    another image: deployments by that tag silently change what they run. `MUTABLE` (the
    default) fails and `IMMUTABLE` passes, as in Security Hub ECR.2. With exclusion filters,
    `MUTABLE_WITH_EXCLUSION` fails (every tag but the excluded ones can move);
    `IMMUTABLE_WITH_EXCLUSION` passes with a note naming the tags that stay mutable, since
    whether ECR.2 accepts it is not documented, unless a filter of only `*` excludes every
    tag. One result per repository.
    """

    def judge(repo: Resource, scope: Scope) -> Result:
        label = f"ECR repository {repo.name}"
        setting = repo.get("ImageTagMutability")
        raw_filters = repo.get("ImageTagMutabilityExclusionFilters")
        patterns = _patterns(raw_filters)
        evidence: dict[str, Any] = {"ImageTagMutability": setting, "ExclusionFilters": patterns}
        if setting is None:
            setting = "MUTABLE"  # the API's default; every source sets it, this is a safeguard
            evidence["ImageTagMutability"] = "MUTABLE (the default)"
        if not isinstance(setting, str):
            return ctx.unknown(repo, f"{label}: its tag mutability is not known ({show(setting)}).", evidence)
        if setting in ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION") and patterns is None:
            return ctx.unknown(
                repo, f"{label}: its exclusion filters are not known ({show(raw_filters)}).", evidence
            )
        everything = any(matches_everything(p) for p in patterns or [])
        if setting == "IMMUTABLE":
            return ctx.passed(repo, f"{label} has immutable tags.", evidence)
        if setting == "MUTABLE":
            return ctx.fail(
                repo, f"{label} has mutable tags: a push can move any tag to another image.", evidence
            )
        if setting == "MUTABLE_WITH_EXCLUSION":
            if everything:
                evidence["note"] = "the exclusion filter * makes every tag immutable"
                return ctx.passed(
                    repo, f"{label} excludes every tag from mutability: its tags are immutable.", evidence
                )
            return ctx.fail(
                repo,
                f"{label} has mutable tags except those matching {', '.join(patterns or [])}.",
                evidence,
            )
        if setting == "IMMUTABLE_WITH_EXCLUSION":
            if everything:
                return ctx.fail(
                    repo,
                    f"{label} excludes every tag from immutability (filter *): its tags are mutable.",
                    evidence,
                )
            evidence["note"] = (
                "tags matching the exclusion filters stay mutable; Security Hub ECR.2 documents a pass for "
                "IMMUTABLE only"
            )
            return ctx.passed(
                repo,
                f"{label} has immutable tags except those matching {', '.join(patterns or [])}, which can still move.",
                evidence,
            )
        return ctx.unknown(
            repo, f"{label}: tag mutability {setting!r} is not a value opscheck knows.", evidence
        )

    yield from each(inventory, ctx, REPOSITORY, "ECR repositories", judge)


def _patterns(value: Any) -> list[str] | None:
    """The exclusion filters' patterns; None when one of them is not known literally."""
    if value is None:
        return []
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        pattern = item.get(FILTER_VALUE) if isinstance(item, Mapping) else None
        if not isinstance(pattern, str):
            return None
        out.append(pattern)
    return out
