from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.images import image_arn, image_id
from scanner.model import (
    ALLOWED_IMAGES_SETTINGS,
    IMAGE,
    INSTANCE,
    LAUNCH_TEMPLATE,
    Resource,
    Result,
    Scope,
    Unknown,
    show,
)
from scanner.rule import RuleContext, rule

# Allowed AMIs states in which EC2 judges every image (ImageAllowed): enforced, or reported only.
JUDGING = ("enabled", "audit-mode")


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)  # why it fails
    undecided: list[str] = field(default_factory=list)  # why it cannot be decided
    reasons: list[str] = field(default_factory=list)  # why it passes


@rule(
    id="IMG001",
    name="ami-not-approved",
    title="Instances and launch templates use approved AMIs",
    severity="medium",
    family="images",
    remediation="""
        Launch from an AMI your platform team approves: one of the `approved_images` or
        owned by one of the `approved_owners` (account ids, or aliases such as `amazon`)
        set for this rule in opscheck.yml, and allowed by the account's Allowed AMIs
        criteria where that setting is on. Rebuild the launch template (or replace the
        instance) on an approved image, or add the image's owner to the list when it is
        trusted.
    """,
    terraform="""
        data "aws_ami" "approved" {
          most_recent = true
          owners      = ["123456789012"] # the image factory account
          filter {
            name   = "name"
            values = ["platform-base-*"]
          }
        }

        resource "aws_launch_template" "worker" {
          name     = "worker"
          image_id = data.aws_ami.approved.id
        }
    """,
    cloudformation="""
        Worker:
          Type: AWS::EC2::LaunchTemplate
          Properties:
            LaunchTemplateData:
              ImageId: ami-0abcdef1234567890 # from the image factory account
    """,
    references=(
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetAllowedImagesSettings.html",
    ),
    compliance={"AWS-WA": ("SEC06-BP02",)},
    needs={INSTANCE: {"image"}, LAUNCH_TEMPLATE: {"image"}, ALLOWED_IMAGES_SETTINGS: ()},
    params={"approved_owners": [], "approved_images": []},
)
def img001(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """An instance or launch template whose AMI comes from an owner nobody vetted runs
    software nobody reviewed. The image must be one of the configured `approved_images` or
    owned by one of the `approved_owners` (matched against the AMI's OwnerId or owner alias,
    which only a live scan knows), and, live, allowed by the region's Allowed AMIs setting when
    it is enabled or in audit mode (DescribeImages' ImageAllowed; AMIs of the account itself are
    always allowed). With neither a list configured nor Allowed AMIs on, the rule emits no
    results. An AMI DescribeImages does not return, or one given by a variable, a parameter or
    an SSM parameter, is unknown. One result per instance and launch template (live, a second
    one, `latest`, when the template's latest version uses another AMI than its default).
    """
    owners = {str(o) for o in ctx.params.get("approved_owners") or []}
    approved = {str(i) for i in ctx.params.get("approved_images") or []}
    configured = bool(owners or approved)
    for scope in inventory.scopes:
        states = _allowed_states(inventory, scope) if scope.is_live else {}
        for resource, value, discriminator in _uses(inventory, scope):
            state = states.get(resource.region) if scope.is_live else None
            judging = isinstance(state, str) and state in JUDGING
            if not configured and not judging:
                continue  # nothing to judge against here
            yield _judge(ctx, inventory, scope, resource, value, discriminator, owners, approved, state)
        if scope.is_live:
            yield from ctx.gap_unknowns(inventory, scope, ALLOWED_IMAGES_SETTINGS, "The Allowed AMIs setting")
            if configured:
                yield from ctx.gap_unknowns(inventory, scope, INSTANCE, "EC2 instances")
                yield from ctx.gap_unknowns(inventory, scope, LAUNCH_TEMPLATE, "Launch templates")


def _allowed_states(inventory: Inventory, scope: Scope) -> dict[str | None, Any]:
    return {s.region: s.get("State") for s in inventory.of_type(ALLOWED_IMAGES_SETTINGS, scope)}


def _uses(inventory: Inventory, scope: Scope) -> Iterator[tuple[Resource, Any, str | None]]:
    """(resource, the AMI as the source gives it, discriminator) for every image in use."""
    for r in inventory.of_type(INSTANCE, scope):
        if r.observed.get("State") in ("terminated", "shutting-down"):
            continue
        if r.get("ImageId") is None:
            continue  # IaC: the AMI is the launch template's, judged there
        yield r, r.get("ImageId"), None
    for r in inventory.of_type(LAUNCH_TEMPLATE, scope):
        data = r.get("LaunchTemplateData")
        if not isinstance(data, Mapping):
            yield r, data, None
            continue
        if data.get("ImageId") is not None:
            yield r, data.get("ImageId"), None
        latest = r.observed.get("LatestLaunchTemplateData")
        if isinstance(latest, Mapping) and latest.get("ImageId") not in (None, data.get("ImageId")):
            yield r, latest.get("ImageId"), "latest"


def _judge(
    ctx: RuleContext,
    inventory: Inventory,
    scope: Scope,
    resource: Resource,
    value: Any,
    discriminator: str | None,
    owners: set[str],
    approved: set[str],
    state: Any,
) -> Result:
    kind = "EC2 instance" if resource.type == INSTANCE else "launch template"
    version = " (its latest version)" if discriminator else ""
    label = f"{kind} {resource.name}{version}"
    where = {"discriminator": discriminator}
    evidence: dict[str, Any] = {
        "ImageId": value if isinstance(value, str) else show(value),
        "approved_owners": sorted(owners),
        "approved_images": sorted(approved),
    }
    if scope.is_live:
        evidence["AllowedImagesSettings"] = state if isinstance(state, str) else "not read"
    ami = image_id(value)
    if isinstance(ami, Unknown):
        return ctx.unknown(resource, f"{label}: its AMI is not known ({ami.reason}).", evidence, **where)
    image = _image(inventory, scope, resource, ami) if scope.is_live else None
    if isinstance(image, Resource):
        evidence.update(
            {
                k: image.get(k)
                for k in (
                    "OwnerId",
                    "ImageOwnerAlias",
                    "Name",
                    "CreationDate",
                    "DeprecationTime",
                    "ImageAllowed",
                )
            }
        )
    verdict = Verdict()
    if owners or approved:
        _against_lists(verdict, ami, image, owners, approved, scope)
    if isinstance(state, str) and state in JUDGING:
        _against_allowed_amis(verdict, ami, image, state, scope)
    note = _deprecated(image, scope)
    if verdict.problems:
        return ctx.fail(
            resource, f"{label} uses {ami}: {'; '.join(verdict.problems)}{note}.", evidence, **where
        )
    if verdict.undecided:
        return ctx.unknown(
            resource, f"{label} uses {ami}: {'; '.join(verdict.undecided)}{note}.", evidence, **where
        )
    return ctx.passed(resource, f"{label} uses {ami}: {'; '.join(verdict.reasons)}{note}.", evidence, **where)


def _image(inventory: Inventory, scope: Scope, resource: Resource, ami: str) -> Resource | Unknown:
    """What DescribeImages said of the AMI in the resource's region, or why nothing is known."""
    region = resource.region or ""
    found = inventory.get(image_arn(scope.partition, region, ami), scope)
    if found is not None:
        return found
    gaps = inventory.gaps_for(IMAGE, scope, resource.region)
    if gaps:
        return Unknown(f"DescribeImages failed ({gaps[0].error.code or gaps[0].error.kind})")
    return Unknown(
        "DescribeImages does not return it (deregistered, no longer shared with the account, "
        "or hidden by Allowed AMIs)"
    )


def _against_lists(
    verdict: Verdict,
    ami: str,
    image: Resource | Unknown | None,
    owners: set[str],
    approved: set[str],
    scope: Scope,
) -> None:
    if ami in approved:
        verdict.reasons.append("an approved image")
        return
    if not owners:
        verdict.problems.append("not one of the approved images")
        return
    if image is None:  # IaC: the files name the AMI, not its owner
        verdict.undecided.append(
            "not one of the approved images, and its owner is known only to a live scan (approved_owners)"
        )
        return
    if isinstance(image, Unknown):
        verdict.undecided.append(f"its owner is not known: {image.reason}")
        return
    owner, alias = image.get("OwnerId"), image.get("ImageOwnerAlias")
    if owner in owners or (alias is not None and alias in owners):
        verdict.reasons.append(f"owned by {alias or owner}, an approved owner")
        return
    shown = f"{owner} ({alias})" if alias else str(owner)
    verdict.problems.append(f"owned by {shown}, not an approved owner")


def _against_allowed_amis(
    verdict: Verdict, ami: str, image: Resource | Unknown | None, state: str, scope: Scope
) -> None:
    if not isinstance(image, Resource):
        reason = image.reason if isinstance(image, Unknown) else "it was not described"
        verdict.undecided.append(f"whether Allowed AMIs ({state}) allows it is not known: {reason}")
        return
    if image.get("OwnerId") == scope.account_id:
        verdict.reasons.append("an AMI of the account itself, which Allowed AMIs always allows")
        return
    allowed = image.get("ImageAllowed")
    if allowed is True:
        verdict.reasons.append(f"allowed by the region's Allowed AMIs criteria ({state})")
    elif allowed is False:
        if state == "enabled":
            verdict.problems.append(
                "not allowed by the region's Allowed AMIs criteria: it can no longer be launched"
            )
        else:
            verdict.problems.append(
                "not allowed by the region's Allowed AMIs criteria (audit mode: launches are refused once enabled)"
            )
    else:
        verdict.undecided.append(f"DescribeImages does not say whether Allowed AMIs ({state}) allows it")


def _deprecated(image: Resource | Unknown | None, scope: Scope) -> str:
    """A note when the AMI's deprecation time has passed (evidence, not a verdict)."""
    if not isinstance(image, Resource):
        return ""
    when = image.get("DeprecationTime")
    now = scope.collected_at
    if isinstance(when, str) and isinstance(now, str) and when[:19] <= now[:19]:
        return f" (deprecated since {when[:10]})"
    return ""
