"""scanner/lib/alarms.py on hand-built resources: which metrics an alarm reads, and whether one
of them is a SageMaker endpoint's (live and IaC), with every open case left open."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.lib.alarms import metrics, names_endpoint, watches
from scanner.model import ALARM, ENDPOINT, Origin, Reference, Resource, Unknown

ACCOUNT = "123456789012"


def resource(
    rtype: str, rid: str, name: str, props: dict[str, Any], source: str = "terraform", **kw: Any
) -> Resource:
    return Resource(type=rtype, id=rid, name=name, properties=props, origin=Origin(source), scope="s", **kw)


def endpoint(
    name: Any = "scorer", rid: str = "aws_sagemaker_endpoint.e", source: str = "terraform", **kw
) -> Resource:
    props = {} if name is None else {"EndpointName": name}
    return resource(ENDPOINT, rid, name if isinstance(name, str) else rid, props, source, **kw)


def alarm(dimensions: Any = None, source: str = "terraform", **props: Any) -> Resource:
    if dimensions is not None:
        props["Dimensions"] = dimensions
    return resource(ALARM, "aws_cloudwatch_metric_alarm.a", "a", props, source)


def dim(value: Any, name: Any = "EndpointName") -> list[dict[str, Any]]:
    return [{"Name": name, "Value": value}, {"Name": "VariantName", "Value": "v"}]


def ref(target: str, attribute: str | None, text: str | None = None, partial: bool = False) -> Reference:
    return Reference(text or f"{target}.{attribute}", target=target, attribute=attribute, partial=partial)


@pytest.mark.parametrize(
    ("value", "source", "expected"),
    [
        ("scorer", "terraform", True),
        ("Scorer", "terraform", None),  # differs in case only: not said what SageMaker publishes
        ("other", "terraform", False),
        ("arn:aws:sagemaker:us-east-1:1:endpoint/scorer", "terraform", False),
        (ref("aws_sagemaker_endpoint.e", "name"), "terraform", True),
        (ref("aws_sagemaker_endpoint.e", "id"), "terraform", True),
        (ref("aws_sagemaker_endpoint.e", "arn"), "terraform", False),
        (ref("aws_sagemaker_endpoint.e", None, "aws_sagemaker_endpoint.e"), "terraform", None),
        (ref("aws_sagemaker_endpoint.e", "name", partial=True), "terraform", None),
        (ref("aws_sagemaker_endpoint.other", "name"), "terraform", None),  # not known to be an endpoint
        (Unknown("variable x has no value"), "terraform", None),
        (42, "terraform", False),
    ],
)
def test_a_dimension_value_against_a_declared_endpoint(value, source, expected):
    assert names_endpoint(value, endpoint(), source)[0] is expected


def test_an_endpoint_arn_as_the_dimension_is_a_near_miss_only_for_that_endpoint():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/scorer"
    assert names_endpoint(arn, endpoint("Scorer"), "aws") == (
        False,
        f"EndpointName {arn!r} is the endpoint's ARN, not its name",
    )
    assert names_endpoint(arn, endpoint("other"), "aws") == (False, "")


def test_cloudformation_ref_gives_the_arn_and_get_att_the_name():
    e = endpoint(None, rid="Scorer", source="cloudformation")
    assert names_endpoint(ref("Scorer", None, "!Ref Scorer"), e, "cloudformation") == (
        False,
        "EndpointName !Ref Scorer gives the endpoint's ARN, not its name",
    )
    assert names_endpoint(ref("Scorer", "EndpointName", "!GetAtt Scorer.EndpointName"), e, "cloudformation")[
        0
    ]


def test_a_generated_name_is_no_literal_and_an_unknown_name_may_be_any():
    assert names_endpoint("scorer", endpoint(None), "terraform")[0] is False
    assert names_endpoint("scorer", endpoint(Unknown("var.name")), "terraform")[0] is None
    # The same expression as the endpoint's own name is its name.
    name = ref("aws_sagemaker_endpoint_configuration.c", "name")
    assert names_endpoint(name, endpoint(name), "terraform")[0] is True


def test_templates_around_the_name_and_other_declared_endpoints():
    class Template(Reference):
        pass

    def template(*parts: Any) -> Reference:
        t = Template("t", target="aws_sagemaker_endpoint.e", attribute="name")
        object.__setattr__(t, "parts", parts)
        return t

    e = endpoint()
    name = ref("aws_sagemaker_endpoint.e", "name")
    assert names_endpoint(template(name, "-canary"), e, "terraform")[0] is False
    assert names_endpoint(template(ref("var", "prefix"), name), e, "terraform")[0] is None
    other = ref("aws_sagemaker_endpoint.other", "name")
    assert names_endpoint(other, e, "terraform", frozenset({"aws_sagemaker_endpoint.other"}))[0] is False
    indexed = endpoint(rid='aws_sagemaker_endpoint.e["a"]')
    whole = ref("aws_sagemaker_endpoint.e", "name")
    assert names_endpoint(whole, indexed, "terraform")[0] is None  # a for_each resource as a whole


def test_the_metrics_an_alarm_reads():
    a = alarm(
        dim("scorer"),
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Metrics=[
            {"Id": "rate", "Expression": "m1 / 100"},
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "X", "Dimensions": []}}},
            "not a query",
        ],
    )
    got = list(metrics(a))
    assert [g.describe() if not isinstance(g, Unknown) else "?" for g in got] == [
        "AWS/SageMaker ModelLatency",
        "query m1: N X",
        "?",
    ]
    assert list(metrics(alarm(Metrics=Unknown("local.q")))) == [
        Unknown("its metric-math queries are not known (unknown (local.q))")
    ]


def test_live_alarms_watch_the_endpoint_of_their_region_and_account():
    e = endpoint("scorer", rid="arn:e", source="aws", region="us-east-1")
    here = resource(ALARM, "arn:a", "a", {"Dimensions": dim("scorer")}, "aws", region="us-east-1")
    assert watches(here, e, live=True, account_id=ACCOUNT).watches is True
    there = resource(ALARM, "arn:b", "b", {"Dimensions": dim("scorer")}, "aws", region="eu-west-1")
    assert watches(there, e, live=True, account_id=ACCOUNT).watches is False

    def cross(account: str) -> Resource:
        query = {"Id": "m", "AccountId": account, "MetricStat": {"Metric": {"Dimensions": dim("scorer")}}}
        return resource(ALARM, "arn:c", "c", {"Metrics": [query]}, "aws", region="us-east-1")

    assert watches(cross(ACCOUNT), e, live=True, account_id=ACCOUNT).watches is True
    assert watches(cross("999999999999"), e, live=True, account_id=ACCOUNT).watches is False


def test_iac_alarms_need_the_same_deployment_and_to_be_created():
    e = endpoint()
    assert watches(alarm(dim("scorer")), e, live=False).watches is True
    other_provider = resource(ALARM, "x", "x", {"Dimensions": dim("scorer")}, provider="provider aws.eu")
    verdict = watches(other_provider, e, live=False)
    assert verdict.watches is None and "another provider configuration" in verdict.why
    other_region = resource(ALARM, "y", "y", {"Dimensions": dim("scorer")}, region="eu-west-1")
    assert watches(other_region, endpoint(region="us-east-1"), live=False).watches is False
    maybe = resource(ALARM, "z", "z", {"Dimensions": dim("scorer")}, exists=Unknown("count = var.n"))
    assert watches(maybe, e, live=False).watches is None
    query = {"Id": "m", "AccountId": "111111111111", "MetricStat": {"Metric": {"Dimensions": dim("scorer")}}}
    assert watches(alarm(Metrics=[query]), e, live=False).watches is None  # maybe another account


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("SELECT AVG(CPUUtilization) FROM \"/aws/sagemaker/Endpoints\" WHERE EndpointName = 'scorer'", None),
        ("SELECT AVG(CPUUtilization) FROM \"/aws/sagemaker/Endpoints\" WHERE EndpointName = 'other'", False),
        ('SELECT MAX(CPUUtilization) FROM "/aws/sagemaker/Endpoints" GROUP BY EndpointName', None),
        ('SELECT AVG(CPUUtilization) FROM "AWS/EC2"', False),
        ("m1 * 100", False),
    ],
)
def test_metrics_insights_queries_are_open_when_they_may_read_the_endpoint(expression, expected):
    a = alarm(Metrics=[{"Id": "q", "Expression": expression, "ReturnData": True}])
    assert watches(a, endpoint(), live=False).watches is expected


def test_unknown_dimensions_are_open():
    assert watches(alarm(Unknown("local.dims")), endpoint(), live=False).watches is None
    assert (
        watches(alarm([{"Name": Unknown("var.k"), "Value": "scorer"}]), endpoint(), live=False).watches
        is None
    )
    assert watches(alarm(dim("scorer", name="endpointname")), endpoint(), live=False).watches is False
