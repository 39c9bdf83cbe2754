from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.resilience.common import each
from scanner.inventory import Inventory
from scanner.lib.images import filter_matches, matches_everything
from scanner.lib.values import flag
from scanner.model import REGISTRY_SCANNING, REPOSITORY, Resource, Result, Scope, Unknown, show
from scanner.rule import RuleContext, rule

# Scan frequencies that scan new images without anyone asking (ECR.1's "scan on push or
# continuous scanning"); MANUAL does not.
AUTOMATIC = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


@dataclass
class Registry:
    """What the region's registry scanning configuration says of one repository."""

    covers: bool | Unknown  # a SCAN_ON_PUSH / CONTINUOUS_SCAN rule's filter matches it
    scan_type: Any = "BASIC"
    automatic_rules: bool = False  # any SCAN_ON_PUSH / CONTINUOUS_SCAN rule at all
    matched: dict[str, Any] | None = None
    source: str = "not set"  # where the configuration comes from, for messages
    evidence: dict[str, Any] = field(default_factory=dict)


@rule(
    id="IMG002",
    name="ecr-scan-on-push-disabled",
    title="ECR repositories scan images on push or continuously",
    severity="low",
    family="images",
    remediation="""
        Configure scanning at the registry level (repository-level scan on push is being
        deprecated): a scanning rule with scan frequency SCAN_ON_PUSH (basic or enhanced
        scanning) or CONTINUOUS_SCAN (enhanced) and a repository filter that matches the
        repository, `*` for every repository. Images are then scanned for known
        vulnerabilities as they are pushed.
    """,
    terraform="""
        resource "aws_ecr_registry_scanning_configuration" "this" {
          scan_type = "ENHANCED"
          rule {
            scan_frequency = "CONTINUOUS_SCAN"
            repository_filter {
              filter      = "*"
              filter_type = "WILDCARD"
            }
          }
        }
    """,
    cloudformation="""
        RegistryScanning:
          Type: AWS::ECR::RegistryScanningConfiguration
          Properties:
            ScanType: ENHANCED
            Rules:
              - ScanFrequency: CONTINUOUS_SCAN
                RepositoryFilters:
                  - Filter: "*"
                    FilterType: WILDCARD
    """,
    references=(
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html",
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-filters.html",
        "https://docs.aws.amazon.com/securityhub/latest/userguide/ecr-controls.html#ecr-1",
    ),
    compliance={"AWS-FSBP": ("ECR.1",)},
    needs={REPOSITORY: {"scanning"}, REGISTRY_SCANNING: ()},
)
def img002(inventory: Inventory, ctx: RuleContext) -> Iterator[Result]:
    """A repository whose images are not scanned on push or continuously ships unknown
    vulnerabilities. The registry-level configuration decides first: a rule with scan
    frequency SCAN_ON_PUSH or CONTINUOUS_SCAN whose wildcard filter matches the repository
    covers it, whatever the repository's own (deprecated) scan-on-push flag says. Under enhanced
    scanning a repository no rule matches is not scanned; under basic scanning without
    scan-on-push rules the repository's own flag applies. Live, the effective configuration
    (BatchGetRepositoryScanningConfiguration) passes a repository it reports as scanned. In IaC
    a registry configuration not declared is the default (basic scanning, no rules). One result
    per repository; Security Hub ECR.1.
    """

    def judge(repo: Resource, scope: Scope) -> Result:
        label = f"ECR repository {repo.name}"
        own = _own_flag(repo)
        effective = repo.observed.get("ScanningConfiguration") if scope.is_live else None
        registry = _registry(inventory, scope, repo)
        evidence: dict[str, Any] = {
            "repository_scan_on_push": own if not isinstance(own, Unknown) else show(own),
            "registry": registry.evidence,
        }
        if scope.is_live:
            evidence["effective"] = effective if not isinstance(effective, Unknown) else show(effective)
        if registry.covers is True:
            rule_ = registry.matched or {}
            return ctx.passed(
                repo,
                f"{label} is covered by the registry's {rule_.get('ScanFrequency')} rule with filter "
                f"{rule_.get('Filter')!r} ({registry.source}).",
                evidence,
            )
        if isinstance(effective, Mapping) and (
            effective.get("ScanOnPush") is True or effective.get("ScanFrequency") in AUTOMATIC
        ):
            frequency = effective.get("ScanFrequency")
            return ctx.passed(
                repo, f"{label} is scanned ({frequency}, its effective scanning configuration).", evidence
            )
        said = isinstance(effective, Mapping)  # live: AWS says it is not scanned automatically
        if isinstance(registry.covers, Unknown):
            if said and own is False:
                return _not_scanned(ctx, repo, label, evidence)
            return ctx.unknown(
                repo,
                f"{label}: whether the registry scans it is not known ({registry.covers.reason}).",
                evidence,
            )
        if registry.scan_type == "ENHANCED":
            return ctx.fail(
                repo,
                f"{label} matches no rule of the registry's enhanced scanning ({registry.source}): its images "
                "are not scanned.",
                evidence,
            )
        if not isinstance(registry.scan_type, str):
            return ctx.unknown(
                repo,
                f"{label}: the registry's scan type is not known ({show(registry.scan_type)}).",
                evidence,
            )
        if isinstance(own, Unknown):
            return ctx.unknown(
                repo, f"{label}: its scan-on-push setting is not known ({own.reason}).", evidence
            )
        if own and not registry.automatic_rules:
            # Basic scanning with no scan-on-push rule: the repository's own setting applies.
            return ctx.passed(
                repo, f"{label} scans on push (its own setting; basic scanning, no registry rule).", evidence
            )
        if own and not said:
            return ctx.unknown(
                repo,
                f"{label} scans on push by its own setting, but the registry's scan-on-push rules "
                f"({registry.source}) do not match it, and ECR sets unmatched repositories to manual scanning.",
                evidence,
            )
        return _not_scanned(ctx, repo, label, evidence, registry)

    yield from each(inventory, ctx, REPOSITORY, "ECR repositories", judge)


def _not_scanned(
    ctx: RuleContext, repo: Resource, label: str, evidence: dict[str, Any], registry: Registry | None = None
) -> Result:
    where = f" ({registry.source})" if registry is not None else ""
    return ctx.fail(
        repo,
        f"{label} is neither scanned on push nor continuously: no registry scanning rule covers it{where} "
        "and its own scan on push is off.",
        evidence,
    )


def _own_flag(repo: Resource) -> bool | Unknown:
    config = repo.get("ImageScanningConfiguration")
    if config is None:
        return False  # no block: the API's default, scan on push off
    if not isinstance(config, Mapping):
        return Unknown(f"ImageScanningConfiguration is {show(config)}")
    return flag(config.get("ScanOnPush"))


def _registry(inventory: Inventory, scope: Scope, repo: Resource) -> Registry:
    """The registry scanning configuration that applies to the repository: live, the one
    read in its region; IaC, the one declared for the same region (none: the default)."""
    configs = inventory.of_type(REGISTRY_SCANNING, scope)
    if scope.is_live:
        gaps = inventory.gaps_for(REGISTRY_SCANNING, scope, repo.region)
        found = [c for c in configs if c.region == repo.region]
        if gaps or not found:
            reason = (
                f"its registry scanning configuration could not be read ({gaps[0].error.code or gaps[0].error.kind})"
                if gaps
                else "its registry scanning configuration was not read"
            )
            return Registry(covers=Unknown(reason), scan_type=Unknown(reason), source="not read")
        return _coverage(found[0], repo, f"registry scanning in {repo.region}")
    same = [c for c in configs if (c.region, c.provider) == (repo.region, repo.provider)]
    maybe = [
        c for c in configs if c not in same and not (c.region and repo.region and c.region != repo.region)
    ]
    if same:
        return _coverage(same[0], repo, f"declared by {same[0].id}")
    if maybe:
        reason = f"{maybe[0].id} may be deployed to another region than the repository"
        return Registry(covers=Unknown(reason), scan_type=Unknown(reason), source=maybe[0].id)
    return Registry(
        covers=False, source="no registry scanning configuration is declared", evidence={"declared": False}
    )


def _coverage(config: Resource, repo: Resource, source: str) -> Registry:
    scan_type = config.get("ScanType")
    rules = config.get("Rules")
    evidence: dict[str, Any] = {"id": config.id, "ScanType": scan_type, "Rules": rules}
    if isinstance(config.exists, Unknown):
        reason = f"whether {config.id} is created is not known ({config.exists.reason})"
        return Registry(covers=Unknown(reason), scan_type=Unknown(reason), source=source, evidence=evidence)
    if config.exists is False:
        return Registry(covers=False, source=f"{config.id} is not created", evidence=evidence)
    if not isinstance(rules, list):
        if rules is None:
            rules = []
        else:
            reason = f"its rules are not known ({show(rules)})"
            return Registry(covers=Unknown(reason), scan_type=scan_type, source=source, evidence=evidence)
    name = repo.get("RepositoryName")
    if name is None:
        # Live, the name is the resource's; in IaC, CloudFormation makes one up when none is given.
        name = (
            repo.name
            if repo.origin.source == "aws"
            else Unknown("the repository's name is generated at deployment")
        )
    automatic = False
    undecided: str | None = None
    for entry in rules:
        if not isinstance(entry, Mapping):
            undecided = f"a rule is not known ({show(entry)})"
            continue
        frequency = entry.get("ScanFrequency") or "MANUAL"  # absent: manual, as the API documents
        if not isinstance(frequency, str):
            undecided = f"a rule's scan frequency is not known ({show(frequency)})"
            continue
        if frequency not in AUTOMATIC:
            continue
        automatic = True
        filters = entry.get("RepositoryFilters")
        for item in filters if isinstance(filters, list) else [filters]:
            pattern = item.get("Filter") if isinstance(item, Mapping) else item
            if not isinstance(pattern, str):
                undecided = f"filter {show(pattern)} is not known"
                continue
            if not matches_everything(pattern) and not isinstance(name, str):
                undecided = f"the repository name is not known ({show(name)})"
                continue
            if matches_everything(pattern) or filter_matches(pattern, str(name)):
                matched = {"ScanFrequency": frequency, "Filter": pattern}
                evidence["matched"] = matched
                return Registry(True, scan_type, True, matched, source, evidence)
    covers: bool | Unknown = Unknown(undecided) if undecided else False
    return Registry(
        covers, scan_type if scan_type is not None else "BASIC", automatic, None, source, evidence
    )
