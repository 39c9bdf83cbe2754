"""scanner/lib/endpoint_scaling.py on hand-built resources: which Application Auto Scaling
target scales a SageMaker endpoint variant's instance count (AZ005, RS002, MON002)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.lib.endpoint_scaling import INSTANCE_COUNT, names_other_endpoints, scales_variant
from scanner.model import ENDPOINT, SCALABLE_TARGET, Origin, Reference, Resource, Scope, Unknown

LIVE = Scope(kind="aws-account", id="1", account_id="1")
IAC = Scope(kind="configuration", id="main.tf")


class Template(Reference):
    """A string template of literal text and references (as the IaC loaders give one)."""


def template(*parts: Any) -> Reference:
    t = Template("template")
    object.__setattr__(t, "parts", parts)
    return t


def endpoint(
    name: str = "scorer", rid: str = "aws_sagemaker_endpoint.e", region: str | None = None
) -> Resource:
    return Resource(
        type=ENDPOINT,
        id=rid,
        name=name,
        properties={"EndpointName": name},
        origin=Origin("terraform"),
        scope="s",
        region=region,
    )


def target(resource_id: Any, dimension: Any = INSTANCE_COUNT, region: str | None = None) -> Resource:
    props = {"ServiceNamespace": "sagemaker", "ResourceId": resource_id, "ScalableDimension": dimension}
    return Resource(
        type=SCALABLE_TARGET,
        id="t",
        name="t",
        properties=props,
        origin=Origin("terraform"),
        scope="s",
        region=region,
    )


NAME = Reference("aws_sagemaker_endpoint.e.name", target="aws_sagemaker_endpoint.e", attribute="name")
OTHER = Reference("aws_sagemaker_endpoint.o.name", target="aws_sagemaker_endpoint.o", attribute="name")


@pytest.mark.parametrize(
    ("resource_id", "variant", "expected"),
    [
        ("endpoint/scorer/variant/AllTraffic", "AllTraffic", True),
        ("endpoint/scorer/variant/AllTraffic", "Canary", False),
        ("endpoint/other/variant/AllTraffic", "AllTraffic", False),
        ("inference-component/scorer-ic", "AllTraffic", False),
        (template("endpoint/", NAME, "/variant/AllTraffic"), "AllTraffic", True),
        (template("endpoint/", OTHER, "/variant/AllTraffic"), "AllTraffic", None),
        (Unknown("var.id"), "AllTraffic", None),
    ],
)
def test_a_resource_id_names_the_variant(resource_id, variant, expected):
    assert scales_variant(target(resource_id), IAC, endpoint(), variant) is expected


def test_only_the_instance_count_dimension_and_the_endpoint_region_count_live():
    live_endpoint = endpoint(rid="arn:e", region="us-east-1")
    here = target("endpoint/scorer/variant/v", region="us-east-1")
    assert scales_variant(here, LIVE, live_endpoint, "v") is True
    there = target("endpoint/scorer/variant/v", region="eu-west-1")
    assert scales_variant(there, LIVE, live_endpoint, "v") is False
    concurrency = target(
        "endpoint/scorer/variant/v", "sagemaker:variant:DesiredProvisionedConcurrency", "us-east-1"
    )
    assert scales_variant(concurrency, LIVE, live_endpoint, "v") is False


def test_a_resource_id_built_from_other_declared_endpoints_only():
    others = {"aws_sagemaker_endpoint.o"}
    assert names_other_endpoints(template("endpoint/", OTHER, "/variant/v"), others) is True
    assert names_other_endpoints(OTHER, others) is True
    assert names_other_endpoints(template("endpoint/", NAME, "/variant/v"), others) is False
    assert names_other_endpoints(template("endpoint/", OTHER, "-", NAME, "/variant/v"), others) is False
    assert names_other_endpoints("endpoint/o/variant/v", others) is False  # literals: names_variant decides
