"""Plumbing shared by the monitoring rules on SageMaker endpoints: which subject a result is
about (RULES.md: the endpoint configuration in IaC, the endpoint live) and which declared
endpoints a configuration serves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scanner.inventory import Inventory
from scanner.lib.references import refers_to
from scanner.model import ENDPOINT, ENDPOINT_CONFIG, Resource, Scope


@dataclass(frozen=True)
class Subject:
    """What one result is about, and the endpoints it stands for."""

    resource: Resource
    label: str  # "SageMaker endpoint NAME", "SageMaker endpoint configuration NAME"
    endpoints: tuple[Resource, ...]


def subjects(inventory: Inventory, scope: Scope) -> Iterator[Subject]:
    """Live: every endpoint. IaC: every endpoint configuration with the endpoints declared
    from it; an endpoint built from no declared configuration (one named by a variable, or
    declared elsewhere) is a subject of its own, so that it is never left unjudged."""
    endpoints = inventory.of_type(ENDPOINT, scope)
    if scope.is_live:
        for endpoint in endpoints:
            yield Subject(endpoint, f"SageMaker endpoint {endpoint.name}", (endpoint,))
        return
    claimed: set[str] = set()
    for config in inventory.of_type(ENDPOINT_CONFIG, scope):
        served = tuple(e for e in endpoints if serves(config, e))
        claimed.update(e.id for e in served)
        yield Subject(config, f"SageMaker endpoint configuration {config.name}", served)
    for endpoint in endpoints:
        if endpoint.id not in claimed:
            yield Subject(endpoint, f"SageMaker endpoint {endpoint.name}", (endpoint,))


def serves(config: Resource, endpoint: Resource) -> bool:
    """Is the endpoint declared from this configuration (by reference or literal name)?"""
    name = config.get("EndpointConfigName")
    return (
        refers_to(endpoint.get("EndpointConfigName"), config, [name] if isinstance(name, str) else []) is True
    )


def endpoint_names(endpoints: tuple[Resource, ...]) -> str:
    return ", ".join(e.name for e in endpoints)
