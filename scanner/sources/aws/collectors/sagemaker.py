"""SageMaker endpoints, with what DescribeEndpoint says when a rule needs it: the data-capture
state (facet "data_capture", DE004) or the production variants in service (facet "variants",
AZ005: observed ProductionVariants with CurrentInstanceCount, DesiredInstanceCount,
CurrentServerlessConfig). One DescribeEndpoint per endpoint serves both."""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.model import ENDPOINT, MODEL, Resource, Unknown
from scanner.sources.aws.collectors.base import CollectContext, jsonable
from scanner.sources.aws.collectors.listing import ListCollector, Listing
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task


class SageMakerEndpointCollector(ListCollector):
    name = "sagemaker"
    facets = {ENDPOINT: frozenset({"data_capture", "variants", "instance_types"})}
    extra_operations = (
        Operation("sagemaker", "DescribeEndpoint"),
        Operation("sagemaker", "DescribeEndpointConfig"),
    )
    listing = Listing(
        resource_type=ENDPOINT,
        service="sagemaker",
        operation="ListEndpoints",
        result_key="Endpoints",
        arn_field="EndpointArn",
        name_field="EndpointName",
        properties={"EndpointName": "EndpointName"},
        observed=("EndpointStatus", "CreationTime"),
        params={"MaxResults": 100},  # the largest page; unasked, AWS answers 10 endpoints a call
    )

    def detail(
        self, ctx: CollectContext, resource: Resource, item: dict[str, Any], region: str
    ) -> list[Task]:
        # ListEndpoints has no data-capture state nor variants; DescribeEndpoint is the one
        # call that has both (no need for DescribeEndpointConfig).
        wanted = ("data_capture", "variants", "instance_types")
        if not any(ctx.wants(ENDPOINT, facet) for facet in wanted):
            resource.properties["DataCaptureConfig"] = Unknown(
                "not collected: no selected rule reads data capture"
            )
            resource.observed["ProductionVariants"] = Unknown(
                "not collected: no selected rule reads the production variants"
            )
            return []
        return [
            Task(
                f"sagemaker:DescribeEndpoint {resource.name}", partial(self._describe, ctx, resource, region)
            )
        ]

    def _describe(self, ctx: CollectContext, resource: Resource, region: str) -> None:
        try:
            self._read(ctx, resource, region)
        except Exception as exc:  # a bug of ours: keep the endpoint, its capture state unknown
            unknown = ctx.error(ctx.internal(f"reading {resource.id}", exc, region))
            resource.properties["DataCaptureConfig"] = unknown
            resource.observed["ProductionVariants"] = unknown
        ctx.emit(resource)

    def _read(self, ctx: CollectContext, resource: Resource, region: str) -> None:
        resource.properties["DataCaptureConfig"] = Unknown("not read")
        try:
            got = ctx.call(
                "sagemaker", region, "DescribeEndpoint", subject=resource.id, EndpointName=resource.name
            )
        except ApiFailure as failure:
            unknown = ctx.error(failure)
            resource.properties["DataCaptureConfig"] = unknown
            resource.observed["ProductionVariants"] = unknown
            return
        if got.get("EndpointConfigName"):
            resource.properties["EndpointConfigName"] = got["EndpointConfigName"]
        capture = got.get("DataCaptureConfig")
        # CloudFormation keeps EnableCapture on the endpoint configuration; the endpoint
        # reports the configuration in force, so the same property name serves both.
        resource.properties["DataCaptureConfig"] = {
            "EnableCapture": bool(capture and capture.get("EnableCapture"))
        }
        resource.observed["DataCaptureConfig"] = jsonable(capture) if capture else None
        resource.observed["ProductionVariants"] = jsonable(got.get("ProductionVariants") or [])
        resource.raw = jsonable(got)
        if ctx.wants(ENDPOINT, "instance_types") and got.get("EndpointConfigName"):
            self._instance_types(ctx, resource, region, got["EndpointConfigName"])

    def _instance_types(self, ctx: CollectContext, resource: Resource, region: str, config: str) -> None:
        """DescribeEndpoint does not say which instance type a variant runs; its endpoint
        configuration does (RS002 normalises CPU and GPU use by the type's device counts)."""
        try:
            got = ctx.call(
                "sagemaker", region, "DescribeEndpointConfig", subject=config, EndpointConfigName=config
            )
        except ApiFailure as failure:
            resource.observed["VariantInstanceTypes"] = ctx.error(failure)
            return
        resource.observed["VariantInstanceTypes"] = {
            v["VariantName"]: v.get("InstanceType")
            for v in got.get("ProductionVariants") or []
            if v.get("VariantName")
        }


class SageMakerModelCollector(ListCollector):
    """SageMaker models and the container images they run (IMG003): ListModels (100 a page),
    then DescribeModel per model (the only call that gives PrimaryContainer and Containers;
    there is no batch read). A model DescribeModel cannot read keeps an Unknown in both."""

    name = "sagemaker-models"
    extra_operations = (Operation("sagemaker", "DescribeModel"),)
    listing = Listing(
        resource_type=MODEL,
        service="sagemaker",
        operation="ListModels",
        result_key="Models",
        arn_field="ModelArn",
        name_field="ModelName",
        properties={"ModelName": "ModelName"},
        observed=("CreationTime",),
        params={"MaxResults": 100},  # the largest page
    )

    def detail(
        self, ctx: CollectContext, resource: Resource, item: dict[str, Any], region: str
    ) -> list[Task]:
        return [
            Task(f"sagemaker:DescribeModel {resource.name}", partial(self._describe, ctx, resource, region))
        ]

    def _describe(self, ctx: CollectContext, resource: Resource, region: str) -> None:
        try:
            got = ctx.call("sagemaker", region, "DescribeModel", subject=resource.id, ModelName=resource.name)
        except ApiFailure as failure:
            unknown = ctx.error(failure)
            resource.properties["PrimaryContainer"] = unknown
            resource.properties["Containers"] = unknown
        except Exception as exc:  # a bug of ours: keep the model, its images unknown
            unknown = ctx.error(ctx.internal(f"reading {resource.id}", exc, region))
            resource.properties["PrimaryContainer"] = unknown
            resource.properties["Containers"] = unknown
        else:
            for key in ("PrimaryContainer", "Containers", "ExecutionRoleArn"):
                if got.get(key) is not None:
                    resource.properties[key] = jsonable(got[key])
            resource.raw = jsonable(got)
        ctx.emit(resource)
