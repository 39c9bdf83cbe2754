"""Shared reasoning about CloudTrail trails, used by the CloudTrail and data-event rules.

Three-valued logic throughout: a fact is True, False or an `Unknown` with a reason
(access denied, an unresolved reference). `Unknown` never turns into a pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.selectors import (
    Coverage,
    Direction,
    Level,
    Target,
    TrailSelectors,
    data_coverage,
    management_coverage,
)
from scanner.model import TRAIL, Resource, ResourceRef, Scope, Unknown, show, unsettled

Tri = bool | Unknown

# The region of a resource declared in IaC: the region the configuration deploys to, the
# same as its trails'.
CONFIGURATION_REGION = "(the configuration's region)"


def tri_and(*values: Tri) -> Tri:
    """False if any is False; else Unknown if any is Unknown; else True."""
    unknowns = [v for v in values if isinstance(v, Unknown)]
    if any(v is False for v in values):
        return False
    return unknowns[0] if unknowns else True


def tri_any(values: Iterable[Tri]) -> Tri:
    """True if any is True; else Unknown if any is Unknown; else False."""
    unknown: Unknown | None = None
    for v in values:
        if v is True:
            return True
        if isinstance(v, Unknown) and unknown is None:
            unknown = v
    return unknown if unknown is not None else False


def as_tri(value: Any, default: bool | None = None, what: str = "value") -> Tri:
    """A property as a three-valued boolean (strings "true"/"false" accepted)."""
    if isinstance(value, Unknown):
        return value
    if value is None:
        return default if default is not None else Unknown(f"{what} is not set")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    why = unsettled(value)
    if why is not None:
        return Unknown(f"{what}: {why.reason}")
    return Unknown(f"{what} has a value that is not a boolean: {show(value)}")


@dataclass(frozen=True)
class TrailView:
    resource: Resource
    multi_region: Tri
    logging: Tri
    selectors: TrailSelectors | Unknown
    organization: bool
    external: bool  # owned by another account (an organization trail seen from a member)
    exists: Tri = True  # IaC: an undecidable count or Condition may mean no trail at all

    @property
    def home_region(self) -> str | None:
        return self.resource.region

    @property
    def arn(self) -> str:
        return self.resource.id

    def management(self) -> Coverage | Unknown:
        if isinstance(self.selectors, Unknown):
            return self.selectors
        return management_coverage(self.selectors)

    def records_all_management(self) -> Tri:
        """Read and write management events, at most kms/rdsdata sources excluded."""
        cov = self.management()
        if isinstance(cov, Unknown):
            return cov
        directions = (cov.read, cov.write)
        if all(_management_ok(d.level, d.exclusion_only) for d in directions):
            return True
        if any(
            d.level == Level.NONE or (d.level == Level.PARTIAL and not d.exclusion_only) for d in directions
        ):
            return False
        # One selector note applies to both directions: say it once.
        notes = "; ".join(dict.fromkeys(n for d in directions if d.level == Level.UNKNOWN for n in d.notes))
        return Unknown(f"management selectors not understood: {notes}")

    def summary(self) -> dict[str, Any]:
        """Evidence: what the verdict about this trail rests on."""
        out = {
            "trail": self.arn,
            "home_region": self.home_region,
            "multi_region": _ev(self.multi_region),
            "logging": _ev(self.logging),
            "organization_trail": self.organization,
            "owned_by_other_account": self.external,
        }
        if self.resource.provider is not None:
            out["provider"] = self.resource.provider
        return out


def _management_ok(level: Level, exclusion_only: bool) -> bool:
    return level == Level.FULL or (level == Level.PARTIAL and exclusion_only)


def _ev(value: Tri) -> Any:
    return {"unknown": value.reason} if isinstance(value, Unknown) else value


def view(trail: Resource, scope: Scope) -> TrailView:
    props = trail.properties
    org = as_tri(props.get("IsOrganizationTrail"), default=False, what="IsOrganizationTrail")
    return TrailView(
        resource=trail,
        multi_region=as_tri(props.get("IsMultiRegionTrail"), default=False, what="IsMultiRegionTrail"),
        # CloudFormation requires IsLogging; Terraform's enable_logging defaults to true and
        # the Terraform mapping fills it in. Absent in a live resource means it was not read.
        logging=as_tri(props.get("IsLogging"), what="IsLogging"),
        selectors=TrailSelectors.from_properties(props),
        organization=org is True,
        external=bool(scope.account_id and trail.account_id and trail.account_id != scope.account_id),
        exists=trail.exists,
    )


def trails_in(inventory: Inventory, scope: Scope) -> list[TrailView]:
    """Every trail visible in the scope: own, shadow (deduplicated) and organization trails."""
    return [view(t, scope) for t in inventory.of_type(TRAIL, scope)]


def own_trails(inventory: Inventory, scope: Scope) -> list[TrailView]:
    """Trails the scope owns: per-trail rules judge these (an organization trail is judged
    in the account that owns it, not once per member)."""
    return [v for v in trails_in(inventory, scope) if not v.external]


@dataclass(frozen=True)
class TrailListing:
    """The trails of a scope, and where they could not be listed.

    Multi-region and organization trails appear (as shadow trails) in every region, so
    one region listed successfully is enough to have seen all of them; a failed region
    hides only the single-region trails whose home it is.
    """

    views: tuple[TrailView, ...]
    failed_regions: frozenset[str]
    listed_somewhere: bool
    reason: str | None = None
    # Live scans: the regions listed, and whether they are all the account's enabled regions.
    scanned_regions: frozenset[str] | None = None
    all_regions: bool = True
    # IaC: parts of the configuration not scanned (remote modules, nested stacks).
    unscanned: tuple[str, ...] = ()

    def not_scanned(self) -> Unknown | None:
        """Why a trail may exist that this configuration's scan did not see."""
        if self.unscanned:
            return Unknown(f"not scanned: {'; '.join(self.unscanned)}")
        return None

    def region_unseen(self, region: str | Unknown | None) -> Unknown | None:
        """Why single-region trails of `region` may be missing, or None if all were seen."""
        if self.scanned_regions is None:  # IaC: the configuration is the world, but for what was not scanned
            return self.not_scanned()
        if isinstance(region, Unknown) or region is None:
            if self.failed_regions:
                return Unknown(f"trails could not be listed in {', '.join(sorted(self.failed_regions))}")
            if not self.all_regions:
                return Unknown(
                    "only some regions were scanned, and a trail of the resource's region may exist"
                )
            return None
        if region in self.failed_regions:
            return Unknown(f"trails could not be listed in {region}")
        if region not in self.scanned_regions:
            return Unknown(f"region {region} was not scanned, so its single-region trails are not known")
        return None


def trail_listing(inventory: Inventory, scope: Scope) -> TrailListing:
    """The trails of a scope and what hides any: every CloudTrail rule starts here, so it
    is computed once per inventory."""
    return inventory.memo(("trail_listing", scope.id), lambda: _trail_listing(inventory, scope))


def _trail_listing(inventory: Inventory, scope: Scope) -> TrailListing:
    gaps = inventory.gaps_for(TRAIL, scope)
    failed = frozenset(g.region for g in gaps if g.region)
    listed = not scope.is_live or not scope.regions or not set(scope.regions) <= failed
    reason = None
    if not listed:
        reason = f"trails could not be listed in any region ({gaps[0].error.message})"
    return TrailListing(
        tuple(trails_in(inventory, scope)),
        failed,
        listed,
        reason,
        scanned_regions=frozenset(scope.regions) if scope.is_live else None,
        all_regions=scope.all_regions,
        unscanned=scope.unscanned,
    )


def first_declared(views: Iterable[TrailView]) -> TrailView | None:
    """The trail declared first in a configuration (IaC account-level results anchor there)."""

    def key(v: TrailView) -> tuple[int, str, int, str]:
        # The root module's own trails before those of its modules (Terraform addresses).
        o = v.resource.origin
        return (v.resource.id.count("module."), o.path or "", o.start_line or 0, v.resource.id)

    ordered = sorted(views, key=key)
    return ordered[0] if ordered else None


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def deployment_region(resource: Resource) -> str:
    """IaC: where a resource is deployed, as far as the files say: its region, else the
    provider configuration it uses, else the configuration's (default provider's) region."""
    return resource.region or resource.provider or CONFIGURATION_REGION


def _same_deployment_region(trail: str, resource: str) -> Tri:
    """IaC: whether a trail and a resource land in the same region. Both under the default
    provider: yes. Two explicit region names: compare them. Otherwise (provider aliases)
    the files do not say."""
    if trail == resource:
        return True
    if _REGION.match(trail) and _REGION.match(resource):
        return False
    return Unknown(f"the trail ({trail}) and the resource ({resource}) may be deployed to different regions")


def describe(value: Tri) -> str:
    if isinstance(value, Unknown):
        return f"unknown ({value.reason})"
    return "yes" if value else "no"


@dataclass(frozen=True)
class TrailCoverage:
    """Data-event coverage of one target by the best of several trails."""

    level: Level
    trails: list[dict[str, Any]]
    unknown_reasons: list[str]

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"coverage": self.level.name.lower(), "trails": self.trails}
        if self.unknown_reasons:
            out["unknown_because"] = self.unknown_reasons
        return out


def data_event_coverage(
    listing: TrailListing,
    target: Target,
    direction: Direction | None,
    region: str | Unknown | None = None,
) -> TrailCoverage:
    """How well the logging trails record `target`'s data events in `direction`
    (None: both directions at once).

    `region` is the resource's region: a single-region trail counts for resources in
    its own region. With `region=None` only multi-region trails count (account-wide
    coverage, the Security Hub S3.22/S3.23 semantics).
    """
    best = Level.NONE
    trails: list[dict[str, Any]] = []
    unknown_reasons: list[str] = []
    for v in listing.views:
        if region is None:
            in_region: Tri = False  # account-wide: multi-region trails only
        elif listing.scanned_regions is None and isinstance(region, str):
            in_region = _same_deployment_region(deployment_region(v.resource), region)
        elif isinstance(region, Unknown):
            in_region = region
        else:
            in_region = v.home_region == region
        eligible = tri_and(v.exists, v.logging, tri_any([v.multi_region, in_region]))
        entry = v.summary()
        if eligible is False:
            entry["counts"] = False
            trails.append(entry)
            continue
        if isinstance(v.selectors, Unknown):
            level, notes = Level.UNKNOWN, [f"selectors unreadable: {v.selectors.reason}"]
        else:
            cov = data_coverage(v.selectors, target)
            dcs = [cov.get(direction)] if direction else [cov.read, cov.write]
            level = min(d.level for d in dcs)
            notes = [n for d in dcs for n in d.notes]
        if isinstance(eligible, Unknown) and level == Level.FULL:
            level = Level.UNKNOWN
            notes.append(f"whether this trail counts is unknown: {eligible.reason}")
        if level == Level.UNKNOWN:
            unknown_reasons.extend(f"{v.arn}: {n}" for n in notes)
        entry["coverage"] = level.name.lower()
        entry["selectors"] = notes
        trails.append(entry)
        best = max(best, level)
    if best < Level.FULL:
        unseen = None
        if not listing.listed_somewhere:
            unseen = Unknown(listing.reason or "trails could not be listed")
        elif region is not None:
            unseen = listing.region_unseen(region)
        else:
            unseen = listing.not_scanned()
        if unseen is not None:
            best = Level.UNKNOWN
            unknown_reasons.append(unseen.reason)
    # Both directions of one selector give the same note: say it once.
    reasons = list(dict.fromkeys(unknown_reasons)) if best == Level.UNKNOWN else []
    return TrailCoverage(best, trails, reasons)


def account_subject(scope: Scope, listing: TrailListing) -> Resource | ResourceRef | None:
    """Subject of account-level results (CT001, CT008, DE001-DE003): the account (live) or
    the first trail declared in the configuration (IaC); None for a configuration without
    trails, which gets no account-level result (RULES.md)."""
    if scope.is_live:
        return scope.account_ref()
    first = first_declared(listing.views)
    return first.resource if first else None


def account_name(scope: Scope) -> str:
    return f"Account {scope.account_id}" if scope.is_live else "This configuration"
