"""The delivery resolver's own pieces: references, permissions as statements, rule ARNs."""

from __future__ import annotations

from scanner.lib import delivery
from scanner.model import LAMBDA_PERMISSION, Origin, Reference, Resource, Unknown


def res(rtype: str, rid: str, name: str | None = None, source: str = "terraform", **props) -> Resource:
    return Resource(
        type=rtype,
        id=rid,
        name=name or rid,
        properties=props,
        origin=Origin(source=source, path="main.tf", start_line=1, end_line=2),
        scope="cfg",
    )


def test_refers_to():
    fn = res("AWS::Lambda::Function", "aws_lambda_function.f", "score")
    assert delivery.refers_to(Reference("aws_lambda_function.f.arn", "aws_lambda_function.f", "arn"), fn)
    assert (
        delivery.refers_to(Reference("aws_lambda_function.g.arn", "aws_lambda_function.g", "arn"), fn)
        is False
    )
    assert delivery.refers_to(Reference("var.x"), fn) is None
    assert delivery.refers_to(Unknown("no"), fn) is None
    assert delivery.refers_to("score", fn) and delivery.refers_to("other", fn) is False


def test_terraform_types_from_addresses():
    assert delivery._terraform_type("aws_kinesis_stream.s") == "aws_kinesis_stream"
    assert delivery._terraform_type("module.a.module.b.aws_sqs_queue.q[0]") == "aws_sqs_queue"


def test_rule_arns_by_source():
    live = res("AWS::Events::Rule", "arn:aws:events:us-east-1:1:rule/ml/r", source="aws")
    assert delivery.rule_arn(live) == "arn:aws:events:us-east-1:1:rule/ml/r"
    tf = delivery.rule_arn(res("AWS::Events::Rule", "aws_cloudwatch_event_rule.r"))
    assert (tf.target, tf.attribute) == ("aws_cloudwatch_event_rule.r", "arn")
    cfn = delivery.rule_arn(res("AWS::Events::Rule", "Rule", source="cloudformation"))
    assert (cfn.target, cfn.attribute) == ("Rule", "Arn")


def test_a_permission_is_the_statement_lambda_writes():
    perm = res(
        LAMBDA_PERMISSION,
        "aws_lambda_permission.p",
        "p",
        Principal="events.amazonaws.com",
        Action="lambda:InvokeFunction",
        SourceArn="arn:aws:events:us-east-1:1:rule/*",
        SourceAccount="1",
    )
    (statement,) = delivery.permission_statement(perm)["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"] == {
        "ArnLike": {"AWS:SourceArn": "arn:aws:events:us-east-1:1:rule/*"},
        "StringEquals": {"AWS:SourceAccount": "1"},
    }
    account = res(LAMBDA_PERMISSION, "x", Principal="210987654321", Action="lambda:InvokeFunction")
    assert delivery.permission_statement(account)["Statement"][0]["Principal"] == {"AWS": "210987654321"}
