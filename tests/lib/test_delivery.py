"""The delivery resolver's own pieces: references, permissions as statements, rule ARNs."""

from __future__ import annotations

from scanner.inventory import Inventory
from scanner.lib import delivery
from scanner.lib import event_targets as kinds
from scanner.model import (
    ECS_TASK_DEFINITION,
    EVENT_RULE,
    FUNCTION,
    LAMBDA_PERMISSION,
    QUEUE,
    Origin,
    Reference,
    Resource,
    Scope,
    Unknown,
)


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


# -- reading a (rule, target) pair ------------------------------------------------------------------

SCOPE = Scope(kind="configuration", id="cfg")
RULE = res(EVENT_RULE, "aws_cloudwatch_event_rule.r", "nightly")


def pair(target: dict, *resources: Resource) -> tuple[Inventory, delivery.Delivery]:
    inventory = Inventory(scopes=[SCOPE], resources=[RULE, *resources])
    return inventory, delivery.read(inventory, SCOPE, RULE, target)


def ref(address: str, attribute: str = "arn") -> Reference:
    return Reference(f"{address}.{attribute}", address, attribute)


def test_data_sources_and_latest_qualifiers():
    assert delivery._terraform_type("data.aws_lambda_function.f") == "aws_lambda_function"
    fn = res(FUNCTION, "aws_lambda_function.f", "score")
    _, d = pair({"Id": "t", "Arn": Reference("${aws_lambda_function.f.arn}:$LATEST", fn.id, "arn")}, fn)
    assert d.kind is kinds.LAMBDA and delivery._target_qualifier(d) is None
    _, d = pair({"Id": "t", "Arn": Reference("${aws_lambda_function.f.arn}:prod", fn.id, "arn")}, fn)
    assert delivery._target_qualifier(d) == "prod"
    assert kinds.classify("arn:aws:lambda:us-east-1:1:function:f:$LATEST").qualifier is None


def test_fifo_queue_targets():
    standard = res(QUEUE, "aws_sqs_queue.s", "s", FifoQueue=False)
    grouped = {"SqsParameters": {"MessageGroupId": "g"}}
    _, d = pair({"Id": "t", "Arn": ref(standard.id)}, standard)
    assert delivery.queue_fifo(d) is False and delivery.fifo_problems(d) == []
    fifo = res(QUEUE, "aws_sqs_queue.f", "f.fifo", FifoQueue=True, ContentBasedDeduplication=True)
    _, d = pair({"Id": "t", "Arn": ref(fifo.id), **grouped}, fifo)
    assert delivery.fifo_problems(d) == []
    _, d = pair({"Id": "t", "Arn": ref(fifo.id)}, fifo)
    assert [p.split(",")[0] for p in delivery.fifo_problems(d)] == [
        "the target sets no SqsParameters.MessageGroupId"
    ]
    nodedup = res(QUEUE, "aws_sqs_queue.n", "n.fifo", FifoQueue=True)
    _, d = pair({"Id": "t", "Arn": ref(nodedup.id), **grouped}, nodedup)
    assert "content-based deduplication" in delivery.fifo_problems(d)[0]
    # Not declared: a `.fifo` ARN is a FIFO queue, but its deduplication is not known.
    _, d = pair({"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:far.fifo", **grouped})
    assert delivery.queue_fifo(d) is True and isinstance(delivery.fifo_problems(d), Unknown)
    _, d = pair({"Id": "t", "Arn": "arn:aws:sqs:us-east-1:1:far"})
    assert delivery.queue_fifo(d) is None and isinstance(delivery.fifo_problems(d), Unknown)
    maybe = res(QUEUE, "aws_sqs_queue.m", "m", FifoQueue=Unknown("var.fifo"))
    _, d = pair({"Id": "t", "Arn": ref(maybe.id)}, maybe)
    assert isinstance(delivery.fifo_problems(d), Unknown)


def test_the_roles_an_ecs_target_passes():
    task = ref("aws_iam_role.task")
    definition = res(ECS_TASK_DEFINITION, "aws_ecs_task_definition.t", "t", TaskRoleArn=task)
    cluster = ref("aws_ecs_cluster.c")
    inventory, d = pair(
        {"Id": "t", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": ref(definition.id)}}, definition
    )
    assert delivery.passed_roles(inventory, d) == [task]
    inventory, d = pair({"Id": "t", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": "arn:x"}})
    assert "is not declared in the scanned files" in delivery.passed_roles(inventory, d).reason
    inventory, d = pair({"Id": "t", "Arn": cluster})
    assert isinstance(delivery.passed_roles(inventory, d), Unknown)
    vague = res(ECS_TASK_DEFINITION, "aws_ecs_task_definition.v", "v", ExecutionRoleArn=Unknown("var.r"))
    inventory, d = pair(
        {"Id": "t", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": ref(vague.id)}}, vague
    )
    assert "ExecutionRoleArn" in delivery.passed_roles(inventory, d).reason


def test_a_plan_gives_existing_resources_their_arns():
    """Update plans name existing resources by literal ARN: targets and rules resolve by it."""
    arn = "arn:aws:sqs:us-east-1:1:orders"
    queue = res(QUEUE, "aws_sqs_queue.orders", "orders")
    queue.observed["Arn"] = arn
    _, d = pair({"Id": "t", "Arn": arn}, queue)
    assert d.resource is queue and delivery.refers_to(arn, queue)
    rule = res(EVENT_RULE, "aws_cloudwatch_event_rule.x", "x")
    rule.observed["Arn"] = "arn:aws:events:us-east-1:1:rule/x"
    assert delivery.rule_arn(rule) == "arn:aws:events:us-east-1:1:rule/x"


def test_a_verdicts_reason_fits_inside_a_sentence():
    assert delivery.Verdict(None, "the evaluator says so.", {}).why == "the evaluator says so"
