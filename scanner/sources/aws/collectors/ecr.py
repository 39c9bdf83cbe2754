"""ECR: the registry scanning configuration and the repositories of every region (IMG002,
IMG004).

GetRegistryScanningConfiguration once per region: one `AWS::ECR::RegistryScanningConfiguration`
(ScanType, Rules with their repository filters, in CloudFormation's names). DescribeRepositories
(1,000 a page): one `AWS::ECR::Repository` per repository, id its ARN, with ImageTagMutability,
its exclusion filters and the repository-level ImageScanningConfiguration. When a rule reads the
effective scanning of each repository (facet "scanning", IMG002), the region's repositories are
then asked for it with BatchGetRepositoryScanningConfiguration, 25 names a call (the API's
limit): observed ScanningConfiguration {ScanOnPush, ScanFrequency, AppliedScanFilters}, or an
Unknown with the reason where the call (or the repository's entry) failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from scanner.model import REGISTRY_SCANNING, REPOSITORY, Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext, Collector, jsonable
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

NAMES_PER_CALL = 25  # BatchGetRepositoryScanningConfiguration's limit on repositoryNames
PAGE_SIZE = 1000  # DescribeRepositories' largest page


def _filters(items: Any, value_key: str, type_key: str) -> list[dict[str, Any]]:
    """The API's {filter, filterType} pairs under CloudFormation's names."""
    return [
        {value_key: f.get("filter"), type_key: f.get("filterType")}
        for f in items or []
        if isinstance(f, Mapping)
    ]


def registry_rules(rules: Any) -> list[dict[str, Any]]:
    return [
        {
            "ScanFrequency": rule.get("scanFrequency"),
            "RepositoryFilters": _filters(rule.get("repositoryFilters"), "Filter", "FilterType"),
        }
        for rule in rules or []
        if isinstance(rule, Mapping)
    ]


class RegistryScanningCollector(Collector):
    name = "ecr-registry-scanning"
    resource_types = (REGISTRY_SCANNING,)
    operations = (Operation("ecr", "GetRegistryScanningConfiguration"),)

    def tasks(self, ctx: CollectContext) -> Iterable[Task]:
        return [
            Task(
                f"ecr:GetRegistryScanningConfiguration in {region}",
                partial(self._read, ctx, region),
                gap=(REGISTRY_SCANNING, region),
            )
            for region in ctx.regions
        ]

    def _read(self, ctx: CollectContext, region: str) -> None:
        try:
            got = ctx.call("ecr", region, "GetRegistryScanningConfiguration")
        except ApiFailure as failure:
            ctx.gap(REGISTRY_SCANNING, region, failure)
            return
        config = got.get("scanningConfiguration") or {}
        properties: dict[str, Any] = {"Rules": registry_rules(config.get("rules"))}
        if config.get("scanType"):
            properties["ScanType"] = config["scanType"]
        ctx.emit(
            ctx.resource(
                type=REGISTRY_SCANNING,
                id=f"{ctx.account_id}:{region}:registry-scanning-configuration",
                name=f"ECR registry scanning ({region})",
                properties=properties,
                region=region,
                origin=ctx.origin("ecr", "GetRegistryScanningConfiguration"),
                raw=jsonable(got),
            )
        )


class RepositoryCollector(ListCollector):
    name = "ecr-repositories"
    facets = {REPOSITORY: frozenset({"scanning"})}
    extra_operations = (Operation("ecr", "BatchGetRepositoryScanningConfiguration"),)
    listing = Listing(
        resource_type=REPOSITORY,
        service="ecr",
        operation="DescribeRepositories",
        result_key="repositories",
        arn_field="repositoryArn",
        name_field="repositoryName",
        properties={"repositoryName": "RepositoryName", "imageTagMutability": "ImageTagMutability"},
        observed=("createdAt", "repositoryUri"),
        params={"maxResults": PAGE_SIZE},
    )

    def to_resource(self, ctx: CollectContext, item: dict[str, Any], region: str) -> Resource:
        resource = super().to_resource(ctx, item, region)
        exclusions = item.get("imageTagMutabilityExclusionFilters")
        if exclusions:
            resource.properties["ImageTagMutabilityExclusionFilters"] = _filters(
                exclusions, "ImageTagMutabilityExclusionFilterValue", "ImageTagMutabilityExclusionFilterType"
            )
        scanning = item.get("imageScanningConfiguration")
        if isinstance(scanning, Mapping):
            resource.properties["ImageScanningConfiguration"] = {
                "ScanOnPush": bool(scanning.get("scanOnPush"))
            }
        return resource

    def region_detail(self, ctx: CollectContext, resources: list[Resource], region: str) -> list[Task]:
        """The effective scanning of the region's repositories, 25 names a call; each batch
        emits its repositories once read."""
        if not ctx.wants(REPOSITORY, "scanning"):
            return []
        return [
            Task(
                f"ecr:BatchGetRepositoryScanningConfiguration in {region} ({start + 1}-{start + len(chunk)})",
                partial(self._scanning, ctx, region, chunk),
            )
            for start in range(0, len(resources), NAMES_PER_CALL)
            for chunk in [resources[start : start + NAMES_PER_CALL]]
        ]

    def _scanning(self, ctx: CollectContext, region: str, repositories: list[Resource]) -> None:
        """One batch read; the batch's repositories are emitted whatever happens."""
        try:
            self._read_scanning(ctx, region, repositories)
        except Exception as exc:  # a bug of ours: the effective configuration stays unknown
            what = f"reading the scanning of {len(repositories)} repositories"
            unknown = ctx.error(ctx.internal(what, exc, region))
            for r in repositories:
                r.observed["ScanningConfiguration"] = unknown
        for r in repositories:
            ctx.emit(r)

    def _read_scanning(self, ctx: CollectContext, region: str, repositories: list[Resource]) -> None:
        names = [r.name for r in repositories]
        try:
            got = ctx.call(
                "ecr",
                region,
                "BatchGetRepositoryScanningConfiguration",
                subject=f"{len(names)} repositories",
                repositoryNames=names,
            )
        except ApiFailure as failure:
            unknown = ctx.error(failure)
            for r in repositories:
                r.observed["ScanningConfiguration"] = unknown
            return
        found = {
            c.get("repositoryName"): c
            for c in got.get("scanningConfigurations") or []
            if isinstance(c, Mapping)
        }
        failures = {f.get("repositoryName"): f for f in got.get("failures") or [] if isinstance(f, Mapping)}
        for r in repositories:
            config = found.get(r.name)
            if config is not None:
                r.observed["ScanningConfiguration"] = {
                    "ScanOnPush": bool(config.get("scanOnPush")),
                    "ScanFrequency": config.get("scanFrequency"),
                    "AppliedScanFilters": _filters(config.get("appliedScanFilters"), "Filter", "FilterType"),
                }
                continue
            failure = failures.get(r.name) or {}
            reason = failure.get("failureReason") or failure.get("failureCode") or "not in the answer"
            r.observed["ScanningConfiguration"] = Unknown(
                f"BatchGetRepositoryScanningConfiguration gave no configuration for {r.name}: {reason}"
            )
