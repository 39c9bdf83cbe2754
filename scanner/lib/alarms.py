"""Which metrics a CloudWatch alarm reads, and whether it watches a SageMaker endpoint.

An alarm reads one metric (Namespace, MetricName, Dimensions) or, with metric math, the
metrics of its queries (`Metrics[].MetricStat.Metric`); a metric is the endpoint's when its
`EndpointName` dimension is the endpoint's name. SageMaker publishes the invocation metrics
(AWS/SageMaker) and the instance metrics (/aws/sagemaker/Endpoints) with that dimension;
any namespace counts, as a metric an application publishes per endpoint watches it too.

One answer per (alarm, endpoint), for live scans and IaC alike: True (it watches), False (it
does not), None (it may: a value known only at deployment, a Metrics Insights query that is
not evaluated), each with the reason in words. In IaC a dimension value that references the
endpoint's name (Terraform `aws_sagemaker_endpoint.e.name` or `.id`, CloudFormation
`!GetAtt E.EndpointName`) watches it; one that gives its ARN (Terraform `.arn`,
CloudFormation `!Ref E`: the endpoint's primary identifier is its ARN) names no metric of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Reference, Resource, Unknown, show

DIMENSION = "EndpointName"
# Attributes of an endpoint reference that give its name: Terraform `name` and `id` (the
# provider's id of an endpoint is its name), CloudFormation `!GetAtt E.EndpointName`.
_NAME_ATTRIBUTES = ("name", "id", "EndpointName")
_SELECT = re.compile(r"\bSELECT\b", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']*)'")
_EQUALS = re.compile(r"\bEndpointName\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class Metric:
    """One metric an alarm reads: its own, or one metric-math query's (`query` its Id)."""

    namespace: Any
    name: Any
    dimensions: Any
    query: str | None = None
    account_id: Any = None

    def describe(self) -> str:
        what = " ".join(v if isinstance(v, str) else show(v, 40) for v in (self.namespace, self.name))
        return f"query {self.query}: {what}" if self.query else what


@dataclass(frozen=True)
class Watch:
    """Whether an alarm watches an endpoint, and why."""

    watches: bool | None
    why: str
    metrics: tuple[str, ...] = field(default=())
    # Why an alarm that names the endpoint reads none of its metrics (its ARN as EndpointName).
    missed: tuple[str, ...] = field(default=())


def metrics(alarm: Resource) -> Iterator[Metric | Unknown]:
    """The metrics the alarm reads; an Unknown where its queries cannot be read."""
    if alarm.get("MetricName") is not None or alarm.get("Dimensions") is not None:
        yield Metric(alarm.get("Namespace"), alarm.get("MetricName"), alarm.get("Dimensions"))
    queries = alarm.get("Metrics")
    if isinstance(queries, Unknown | Reference):
        yield Unknown(f"its metric-math queries are not known ({show(queries)})")
        return
    for index, query in enumerate(queries if isinstance(queries, list) else []):
        if not isinstance(query, Mapping):
            yield Unknown(f"metric-math query #{index + 1} is not known ({show(query)})")
            continue
        stat = query.get("MetricStat")
        if stat is None:
            continue  # an expression over other queries (or a Metrics Insights query, below)
        metric = stat.get("Metric") if isinstance(stat, Mapping) else stat
        qid = str(query.get("Id") or f"#{index + 1}")
        if not isinstance(metric, Mapping):
            yield Unknown(f"the metric of query {qid} is not known ({show(metric)})")
            continue
        yield Metric(
            metric.get("Namespace"),
            metric.get("MetricName"),
            metric.get("Dimensions"),
            query=qid,
            account_id=query.get("AccountId"),
        )


def expressions(alarm: Resource) -> list[Any]:
    """The metric-math expressions of the alarm's queries, as written."""
    queries = alarm.get("Metrics")
    return [
        q.get("Expression")
        for q in (queries if isinstance(queries, list) else [])
        if isinstance(q, Mapping) and q.get("Expression") is not None
    ]


def watches(
    alarm: Resource,
    endpoint: Resource,
    *,
    live: bool,
    account_id: str | None = None,
    other_endpoints: frozenset[str] = frozenset(),
) -> Watch:
    """Does `alarm` watch a metric of `endpoint`? Live: the endpoint's region and account;
    IaC: deployed with it (same region or provider configuration) and created.
    `other_endpoints`: the ids of the other endpoints declared beside it (a reference to
    one of them names another endpoint)."""
    where = _same_place(alarm, endpoint, live)
    if where is False:
        return Watch(False, f"alarm {alarm.name} is in another region")
    found: list[str] = []
    maybe: list[str] = []
    missed: list[str] = []  # the endpoint named, but not so that a metric of it is read
    for metric in metrics(alarm):
        if isinstance(metric, Unknown):
            maybe.append(metric.reason)
            continue
        verdict, why = _metric_names(metric, alarm, endpoint, live, account_id, other_endpoints)
        if verdict is True:
            found.append(metric.describe())
        elif verdict is None:
            maybe.append(why)
        elif why:
            missed.append(why)
    for expression in expressions(alarm):
        why = _insights_query(expression, endpoint)
        if why:
            maybe.append(why)
    label = f"alarm {alarm.name}"
    if found:
        doubt = _doubt(alarm, where)
        if doubt:
            return Watch(None, f"{label} watches it ({'; '.join(found)}) but {doubt}", tuple(found))
        return Watch(True, f"{label} watches {'; '.join(found)}", tuple(found))
    if maybe:
        return Watch(None, f"{label} may watch it: {'; '.join(maybe)}")
    if missed:
        return Watch(False, f"{label} watches no metric of it: {'; '.join(missed)}", missed=tuple(missed))
    return Watch(False, f"{label} watches no metric of it")


def _same_place(alarm: Resource, endpoint: Resource, live: bool) -> bool | None:
    """Same region (live), or same deployment (IaC): None when the files leave it open."""
    if live:
        return alarm.region == endpoint.region
    if alarm.region and endpoint.region:
        return alarm.region == endpoint.region
    if (alarm.region, alarm.provider) == (endpoint.region, endpoint.provider):
        return True
    return None


def _doubt(alarm: Resource, where: bool | None) -> str | None:
    if where is None:
        return "it is deployed with another provider configuration, which may be another region"
    if alarm.exists is not True:
        reason = alarm.exists.reason if isinstance(alarm.exists, Unknown) else "it is not created"
        return f"it may not be created ({reason})"
    return None


def _metric_names(
    metric: Metric,
    alarm: Resource,
    endpoint: Resource,
    live: bool,
    account_id: str | None,
    others: frozenset[str],
) -> tuple[bool | None, str]:
    """Is this metric the endpoint's: its EndpointName dimension is the endpoint's name."""
    dims = metric.dimensions
    if isinstance(dims, Unknown | Reference):
        return None, f"the dimensions of {metric.describe()} are not known ({show(dims)})"
    if not isinstance(dims, list):
        return False, ""
    verdicts: list[tuple[bool | None, str]] = []
    for dim in dims:
        if not isinstance(dim, Mapping):
            verdicts.append((None, f"a dimension of {metric.describe()} is not known ({show(dim)})"))
            continue
        name = dim.get("Name")
        if isinstance(name, str):
            if name == DIMENSION:
                verdicts.append(names_endpoint(dim.get("Value"), endpoint, alarm.origin.source, others))
        elif name is not None:
            verdicts.append((None, f"a dimension name of {metric.describe()} is not known ({show(name)})"))
    if any(v is True for v, _ in verdicts):
        account = metric.account_id
        if account is None or (live and account == account_id):
            return True, ""
        if live:  # a cross-account query reads the other account's endpoint of that name
            return False, f"{metric.describe()} is read from account {show(account)}"
        return None, f"{metric.describe()} is read from account {show(account)}, maybe another"
    unsure = [why for v, why in verdicts if v is None]
    if unsure:
        return None, "; ".join(unsure)
    return False, "; ".join(why for _, why in verdicts if why)


def endpoint_name(endpoint: Resource) -> Any:
    """The endpoint's name: live, as listed; IaC, as written (None: the service names it)."""
    return endpoint.name if endpoint.origin.source == "aws" else endpoint.get("EndpointName")


def names_endpoint(
    value: Any, endpoint: Resource, source: str, others: frozenset[str] = frozenset()
) -> tuple[bool | None, str]:
    """Is a dimension value the endpoint's name? `source` is the alarm's (a CloudFormation
    `!Ref` of an endpoint gives its ARN); `others`: ids of other declared endpoints."""
    name = endpoint_name(endpoint)
    if isinstance(value, str):
        if value.startswith("arn:") and ":endpoint/" in value:
            # SageMaker lower-cases the name in an endpoint's ARN: compared without case.
            mine = isinstance(name, str) and value.rsplit("/", 1)[-1].lower() == name.lower()
            return False, f"EndpointName {value!r} is the endpoint's ARN, not its name" if mine else ""
        if isinstance(name, str):
            if value == name:
                return True, ""
            if value.lower() == name.lower():
                return None, f"EndpointName {value!r} differs from the endpoint's name {name!r} in case only"
            return False, ""
        if name is None:
            return False, ""  # a name the service generates: no literal written beforehand is it
        return None, f"EndpointName {value!r} may be the endpoint's name ({show(name)})"
    if isinstance(value, Unknown):
        return None, f"its EndpointName dimension is not known ({value.reason})"
    if isinstance(value, Reference):
        return _reference(value, endpoint, name, source, others)
    return False, ""


def _reference(
    value: Reference, endpoint: Resource, name: Any, source: str, others: frozenset[str]
) -> tuple[bool | None, str]:
    if value == name:
        return True, ""  # the same expression as the endpoint's own name
    parts = getattr(value, "parts", None)
    if parts and len(parts) > 1:  # a template: "${aws_sagemaker_endpoint.e.name}-canary"
        mine = [p for p in parts if isinstance(p, Reference) and p.target == endpoint.id]
        text = [p for p in parts if isinstance(p, str) and p]
        if mine and text and all(isinstance(p, str) or p.target == endpoint.id for p in parts):
            return False, ""  # the name with more text: not the name
        return None, f"EndpointName {value.text} is known only at deployment"
    if value.target == endpoint.id:
        if value.partial:
            return (
                None,
                f"EndpointName {value.text} is computed from the endpoint and may hold more than its name",
            )
        if value.attribute in _NAME_ATTRIBUTES:
            return True, ""
        if value.attribute == "arn" or (value.attribute is None and source == "cloudformation"):
            return False, f"EndpointName {value.text} gives the endpoint's ARN, not its name"
        return None, f"EndpointName {value.text} may not be the endpoint's name"
    if value.target in others:
        return False, ""  # another declared endpoint's name or ARN
    if value.target is not None and endpoint.id.startswith(value.target + "["):
        return None, f"EndpointName {value.text} may name this instance of the endpoint"
    return None, f"EndpointName {value.text} is known only at deployment"


def _insights_query(expression: Any, endpoint: Resource) -> str | None:
    """A Metrics Insights query (SELECT ... FROM ... WHERE ...) that may read the endpoint's
    metrics: it quotes the endpoint's name, or reads a SageMaker namespace without keeping
    to other named endpoints (`WHERE EndpointName = 'other'`). It is not evaluated, so it
    makes the answer open, never a pass."""
    if isinstance(expression, Unknown | Reference):
        return f"a metric-math expression is not known ({show(expression)})"
    if not isinstance(expression, str) or not _SELECT.search(expression):
        return None  # arithmetic over other queries: those are judged themselves
    name = endpoint_name(endpoint)
    quoted = _QUOTED.findall(expression)
    names_it = isinstance(name, str) and name in quoted
    other = _EQUALS.search(expression) is not None
    if names_it or (not other and "sagemaker" in expression.lower()):
        return f"its Metrics Insights query {show(expression)} is not evaluated"
    return None
