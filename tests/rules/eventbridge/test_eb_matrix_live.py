"""The live cells of the EventBridge matrix the per-rule files leave empty, and the delivery
facts checked on a live (emulated) account: ECS targets need iam:PassRole of the roles their
task definition names; FIFO queue targets need a message group and content-based
deduplication; a `:$LATEST` target is governed by the function's own policy.

Unknown on a live account comes from what the scan cannot read: a resource in another
account, or a read the account refuses (AccessDenied, injected below)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from eventbridge_world import OTHER_ACCOUNT, REGION, arn, document, queue_arn, rule_arn, seed, statement

import scanner.sources.aws.collectors.base as base
from scanner.results import ScanOutcome
from testkit import live_scan, results

EVENTS_TRUST = document(
    {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    return {
        r.resource.id + (f"/{r.discriminator}" if r.discriminator else ""): r.status.value
        for r in results(outcome, rule_id)
    }


@pytest.fixture
def deny(monkeypatch):
    """deny(operation): the account answers AccessDenied to that operation."""
    real_call, real_paginate = base.CollectContext.call, base.CollectContext.paginate

    def install(operation: str) -> None:
        def refuse(self, service, region, op, subject):
            if op == operation:
                raise base.to_scan_error(
                    ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, op),
                    service=service,
                    operation=op,
                    region=region,
                    account_id=self.account_id,
                    subject=subject,
                )

        def call(self, service, region, op, subject=None, **params):
            refuse(self, service, region, op, subject)
            return real_call(self, service, region, op, subject, **params)

        def paginate(self, service, region, op, result_key, subject=None, **params):
            refuse(self, service, region, op, subject)
            return real_paginate(self, service, region, op, result_key, subject, **params)

        monkeypatch.setattr(base.CollectContext, "call", call)
        monkeypatch.setattr(base.CollectContext, "paginate", paginate)

    return install


def _role(aws, name: str, policy: dict) -> str:
    iam = aws.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EVENTS_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="deliver", PolicyDocument=json.dumps(policy))
    return role


# -- unknown: what the scan cannot read ----------------------------------------------------------


def test_resources_in_another_account_are_unknown(aws):
    seed(aws)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="partner", ScheduleExpression="rate(1 hour)")
    events.put_targets(
        Rule="partner",
        Targets=[
            {"Id": "topic", "Arn": arn("sns", "partner-topic", account=OTHER_ACCOUNT)},
            {
                "Id": "stream",
                "Arn": arn("kinesis", "stream/features"),
                "RoleArn": arn("iam", "role/partner-role", region="", account=OTHER_ACCOUNT),
                "DeadLetterConfig": {"Arn": queue_arn("partner-dlq", OTHER_ACCOUNT)},
            },
        ],
    )
    out = live_scan(aws, "EB002", "EB006", "EB007", "EB011", regions=[REGION])
    r = rule_arn("partner")
    assert verdicts(out, "EB002")[f"{r}/topic"] == "unknown"
    assert verdicts(out, "EB006")[f"{r}/stream"] == "unknown"
    assert verdicts(out, "EB007")[f"{r}/stream"] == "unknown"
    assert verdicts(out, "EB011")[f"{r}/stream"] == "unknown"
    message = next(x for x in results(out, "EB002") if x.discriminator == "topic").message
    assert "not read" in message


def test_a_function_policy_the_account_refuses_is_unknown_for_eb008(aws, deny):
    seed(aws)
    deny("GetPolicy")
    out = live_scan(aws, "EB008", regions=[REGION])
    got = verdicts(out, "EB008")
    assert got and set(got.values()) == {"unknown"}
    assert got[arn("lambda", "function:score")] == "unknown"


def test_a_bus_the_account_refuses_to_describe_is_unknown_for_eb009(aws, deny):
    seed(aws)
    deny("DescribeEventBus")
    out = live_scan(aws, "EB009", regions=[REGION])
    got = verdicts(out, "EB009")
    assert got[arn("events", "event-bus/default")] == "unknown"
    assert got[arn("events", "event-bus/ml")] == "unknown"


def test_targets_the_account_refuses_to_list_are_unknown_for_eb010(aws, deny):
    seed(aws)
    deny("ListTargetsByRule")
    out = live_scan(aws, "EB010", "EB001", regions=[REGION])
    for rule_id in ("EB010", "EB001"):
        got = verdicts(out, rule_id)
        assert got[rule_arn("nightly")] == "unknown", rule_id
        assert set(got.values()) == {"unknown"}, rule_id


# -- ECS: iam:PassRole of the task definition's roles ------------------------------------------


def test_ecs_targets_need_pass_role_for_the_task_definition_roles(aws):
    seed(aws)
    iam = aws.client("iam", region_name=REGION)
    task_trust = document(
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    task_role = iam.create_role(RoleName="train-task", AssumeRolePolicyDocument=json.dumps(task_trust))[
        "Role"
    ]
    exec_role = iam.create_role(RoleName="train-exec", AssumeRolePolicyDocument=json.dumps(task_trust))[
        "Role"
    ]
    ecs = aws.client("ecs", region_name=REGION)
    cluster = ecs.create_cluster(clusterName="training")["cluster"]["clusterArn"]
    container = [{"name": "train", "image": "train:1", "memory": 512}]
    with_roles = ecs.register_task_definition(
        family="train",
        containerDefinitions=container,
        taskRoleArn=task_role["Arn"],
        executionRoleArn=exec_role["Arn"],
    )["taskDefinition"]["taskDefinitionArn"]
    bare = ecs.register_task_definition(family="bare", containerDefinitions=container)["taskDefinition"][
        "taskDefinitionArn"
    ]
    run = {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}
    run_only = _role(aws, "run-only", document(run))
    passing = _role(
        aws,
        "run-and-pass",
        document(
            run,
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [task_role["Arn"], exec_role["Arn"]],
                "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        ),
    )
    wrong_service = _role(
        aws,
        "pass-to-lambda",
        document(
            run,
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            },
        ),
    )
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="train", ScheduleExpression="rate(1 day)")

    def target(ident: str, role: str, task: str) -> dict:
        return {
            "Id": ident,
            "Arn": cluster,
            "RoleArn": role,
            "EcsParameters": {"TaskDefinitionArn": task, "TaskCount": 1},
        }

    unscanned = arn("ecs", "task-definition/elsewhere:1", region="eu-west-1")
    events.put_targets(
        Rule="train",
        Targets=[
            target("run-only", run_only, with_roles),
            target("passing", passing, with_roles),
            target("wrong-service", wrong_service, with_roles),
            target("no-roles", run_only, bare),
            target("unscanned", run_only, unscanned),
        ],
    )
    out = live_scan(aws, "EB007", regions=[REGION])
    got = verdicts(out, "EB007")
    r = rule_arn("train")
    assert got[f"{r}/run-only"] == "fail"
    assert got[f"{r}/passing"] == "pass"
    assert got[f"{r}/wrong-service"] == "fail"  # passing the roles to Lambda, not to ECS tasks
    assert got[f"{r}/no-roles"] == "pass"  # a task definition naming no role passes none
    assert got[f"{r}/unscanned"] == "unknown"  # its task definition is in a region not scanned
    fail = next(x for x in results(out, "EB007") if x.discriminator == "run-only")
    assert "iam:PassRole" in fail.message
    assert out.api_calls.get("ecs:DescribeTaskDefinition") == 2  # each definition once


# -- SQS FIFO targets ------------------------------------------------------------------------------


def test_fifo_queue_targets_need_content_deduplication(aws):
    # PutTargets refuses a FIFO queue target without SqsParameters (moto as AWS), so the
    # missing message group is an IaC-only fail (the Terraform and CloudFormation tests).
    seed(aws)
    sqs = aws.client("sqs", region_name=REGION)
    r = rule_arn("jobs")

    def fifo(name: str, dedup: bool) -> str:
        attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true" if dedup else "false"}
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        policy = document(statement("events.amazonaws.com", "sqs:SendMessage", queue_arn(name), r))
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
        return queue_arn(name)

    jobs, plain = fifo("jobs.fifo", True), fifo("plain.fifo", False)
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="jobs", ScheduleExpression="rate(1 day)")
    events.put_targets(
        Rule="jobs",
        Targets=[
            {"Id": "grouped", "Arn": jobs, "SqsParameters": {"MessageGroupId": "training"}},
            {"Id": "no-dedup", "Arn": plain, "SqsParameters": {"MessageGroupId": "training"}},
        ],
    )
    out = live_scan(aws, "EB003", regions=[REGION])
    got = verdicts(out, "EB003")
    assert got[f"{r}/grouped"] == "pass"
    assert got[f"{r}/no-dedup"] == "fail"
    messages = {x.discriminator: x.message for x in results(out, "EB003")}
    assert "content-based deduplication" in messages["no-dedup"]


# -- $LATEST ---------------------------------------------------------------------------------------


def test_a_latest_target_is_governed_by_the_functions_own_policy(aws):
    seed(aws)
    lam = aws.client("lambda", region_name=REGION)
    lam.add_permission(
        FunctionName="score",
        StatementId="latest",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn("latest"),
    )
    events = aws.client("events", region_name=REGION)
    events.put_rule(Name="latest", ScheduleExpression="rate(1 day)")
    events.put_rule(Name="other", ScheduleExpression="rate(1 day)")
    target = [{"Id": "latest", "Arn": arn("lambda", "function:score:$LATEST")}]
    events.put_targets(Rule="latest", Targets=target)
    events.put_targets(Rule="other", Targets=target)
    out = live_scan(aws, "EB001", regions=[REGION])
    got = verdicts(out, "EB001")
    assert got[f"{rule_arn('latest')}/latest"] == "pass"
    assert got[f"{rule_arn('other')}/latest"] == "fail"
