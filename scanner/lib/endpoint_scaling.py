"""Which Application Auto Scaling target scales a SageMaker endpoint variant's instance count:
ResourceId `endpoint/NAME/variant/VARIANT`, dimension `sagemaker:variant:DesiredInstanceCount`,
in the endpoint's region when live. One answer for AZ005 (the target's minimum) and RS002
(its scaling policies), IaC and live alike."""

from __future__ import annotations

import re
from typing import Any

from scanner.inventory import Inventory
from scanner.model import SCALABLE_TARGET, Reference, Resource, Scope, Unknown, show

NAMESPACE = "sagemaker"
INSTANCE_COUNT = "sagemaker:variant:DesiredInstanceCount"
_RESOURCE_ID = re.compile(r"^endpoint/(?P<endpoint>[^/]+)/variant/(?P<variant>[^/]+)$")
_ENDPOINT = "\0endpoint\0"  # stands for a reference to the endpoint inside a ResourceId template


def sagemaker_targets(inventory: Inventory, scope: Scope) -> list[Resource]:
    """The scope's scalable targets that may be SageMaker's (a namespace not given may be)."""
    return [
        t for t in inventory.of_type(SCALABLE_TARGET, scope) if t.get("ServiceNamespace") in (NAMESPACE, None)
    ]


def scales_variant(target: Resource, scope: Scope, endpoint: Resource, variant: str) -> bool | None:
    """Does this target scale the instance count of the endpoint's variant? None when it
    cannot be told (a ResourceId built from references)."""
    if scope.is_live and target.region != endpoint.region:
        return False  # endpoint names are unique per region only
    dimension = target.get("ScalableDimension")
    if isinstance(dimension, str) and dimension != INSTANCE_COUNT:
        return False  # provisioned concurrency of a serverless variant, not instances
    return names_variant(target.get("ResourceId"), endpoint, variant)


def names_variant(resource_id: Any, endpoint: Resource, variant: str) -> bool | None:
    """Does a scalable target's ResourceId (`endpoint/NAME/variant/VARIANT`) name this
    endpoint's variant? None when it cannot be told."""
    text = _as_text(resource_id, endpoint)
    if text is None:
        return None
    m = _RESOURCE_ID.match(text)
    if m is None:
        return False
    endpoint_names = {endpoint.name, str(endpoint.get("EndpointName")), _ENDPOINT}
    if m["endpoint"] not in endpoint_names:
        return None if "\0" in m["endpoint"] else False
    if "\0" in m["variant"]:
        return None
    return m["variant"] == variant


def names_other_endpoints(resource_id: Any, others: set[str] | frozenset[str]) -> bool:
    """Is a declared ResourceId built from other declared endpoints only (IaC:
    `endpoint/${aws_sagemaker_endpoint.other.name}/variant/V` is not this endpoint's, where
    `names_variant` can only say it may be)? `others`: the ids of the other endpoints."""
    parts = getattr(resource_id, "parts", None) or (
        (resource_id,) if isinstance(resource_id, Reference) else ()
    )
    refs = [p for p in parts if isinstance(p, Reference)]
    return bool(refs) and all(r.target in others for r in refs)


def _as_text(value: Any, endpoint: Resource) -> str | None:
    if isinstance(value, str):
        return value
    parts = getattr(value, "parts", None)
    if parts:
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Reference) and part.target == endpoint.id:
                out.append(_ENDPOINT)
            else:
                out.append("\0other\0")
        return "".join(out)
    return None


def variants_not_known(endpoint: Resource, variants: Any) -> str | None:
    """Why an endpoint's production variants cannot be judged, or None when they are a
    non-empty list (shared by the rules that judge variants one by one)."""
    if isinstance(variants, list) and variants:
        return None
    if isinstance(variants, Unknown):
        return variants.reason
    if variants == []:
        status = endpoint.observed.get("EndpointStatus")
        return "none is reported" + (f" (endpoint status {status})" if status else "")
    return f"not read ({show(variants)})"
