"""The target classifier: kind, name and qualifier from the ARN; what delivery needs."""

import pytest

from scanner.lib import event_targets as t
from scanner.model import Reference

A = "123456789012"
OTHER = "210987654321"


@pytest.mark.parametrize(
    ("arn", "kind", "name", "qualifier"),
    [
        (f"arn:aws:lambda:us-east-1:{A}:function:score", t.LAMBDA, "score", None),
        (f"arn:aws:lambda:us-east-1:{A}:function:score:prod", t.LAMBDA, "score", "prod"),
        (f"arn:aws:lambda:us-east-1:{A}:function:score:7", t.LAMBDA, "score", "7"),
        (f"arn:aws:sns:us-east-1:{A}:alerts", t.SNS, "alerts", None),
        (f"arn:aws:sqs:us-east-1:{A}:jobs.fifo", t.SQS, "jobs.fifo", None),
        (f"arn:aws:logs:us-east-1:{A}:log-group:/aws/events/x", t.LOGS, "/aws/events/x", None),
        (f"arn:aws:logs:us-east-1:{A}:log-group:/aws/events/x:*", t.LOGS, "/aws/events/x", None),
        (f"arn:aws:kinesis:us-east-1:{A}:stream/clicks", t.KINESIS, "clicks", None),
        (f"arn:aws:firehose:us-east-1:{A}:deliverystream/ds", t.FIREHOSE, "ds", None),
        (f"arn:aws:ecs:us-east-1:{A}:cluster/ml", t.ECS, "ml", None),
        (
            f"arn:aws:ssm:us-east-1:{A}:document/AWS-RunShellScript",
            t.SSM_RUN_COMMAND,
            "AWS-RunShellScript",
            None,
        ),
        (
            f"arn:aws:ssm:us-east-1:{A}:automation-definition/Fix:$DEFAULT",
            t.SSM_AUTOMATION,
            "Fix:$DEFAULT",
            None,
        ),
        (f"arn:aws:states:us-east-1:{A}:stateMachine:train", t.STATES, "train", None),
        (f"arn:aws:sagemaker:us-east-1:{A}:pipeline/retrain", t.SAGEMAKER_PIPELINE, "retrain", None),
        (f"arn:aws:codebuild:us-east-1:{A}:project/build", t.CODEBUILD, "build", None),
        (f"arn:aws:codepipeline:us-east-1:{A}:deploy", t.CODEPIPELINE, "deploy", None),
        (f"arn:aws:batch:us-east-1:{A}:job-queue/gpu", t.BATCH, "gpu", None),
        (f"arn:aws:events:eu-west-1:{A}:event-bus/central", t.EVENT_BUS, "central", None),
        (f"arn:aws:events:us-east-1:{A}:api-destination/hook/0a1b", t.API_DESTINATION, "hook", None),
        (f"arn:aws:redshift:us-east-1:{A}:cluster:dw", t.REDSHIFT_DATA, "dw", None),
        (f"arn:aws:execute-api:us-east-1:{A}:abc123/prod/POST/x", t.API_GATEWAY, "abc123/prod/POST/x", None),
        (f"arn:aws-us-gov:sqs:us-gov-west-1:{A}:q", t.SQS, "q", None),
        (f"arn:aws:inspector:us-east-1:{A}:target/0-x", t.UNKNOWN, None, None),
    ],
)
def test_kinds_from_arns(arn, kind, name, qualifier):
    target = t.classify(arn)
    assert target.kind is kind
    assert target.name == name and target.qualifier == qualifier


@pytest.mark.parametrize("value", [Reference("aws_lambda_function.f.arn"), "not-an-arn", None, 5])
def test_anything_but_a_literal_arn_is_unknown(value):
    target = t.classify(value)
    assert target.kind is t.UNKNOWN and target.parsed is None


def test_role_needs():
    rule = (A, "us-east-1")
    lam = t.classify(f"arn:aws:lambda:us-east-1:{A}:function:f")
    assert t.role_need(lam, *rule) is t.RoleNeed.OPTIONAL
    # Cross-account Lambda/SNS/SQS: a role in the rule's account as well as the target's policy.
    assert t.role_need(t.classify(f"arn:aws:sqs:us-east-1:{OTHER}:q"), *rule) is t.RoleNeed.REQUIRED
    assert t.role_need(t.classify(f"arn:aws:logs:us-east-1:{A}:log-group:g"), *rule) is t.RoleNeed.FORBIDDEN
    assert t.role_need(t.classify(f"arn:aws:kinesis:us-east-1:{A}:stream/s"), *rule) is t.RoleNeed.REQUIRED
    # Event buses: a role for another region; for another account's bus in this region it
    # depends on that bus's policy (an organization grant needs one), which is not readable.
    assert t.role_need(t.classify(f"arn:aws:events:us-east-1:{A}:event-bus/b"), *rule) is t.RoleNeed.OPTIONAL
    assert t.role_need(t.classify(f"arn:aws:events:eu-west-1:{A}:event-bus/b"), *rule) is t.RoleNeed.REQUIRED
    assert (
        t.role_need(t.classify(f"arn:aws:events:us-east-1:{OTHER}:event-bus/b"), *rule) is t.RoleNeed.UNKNOWN
    )
    assert t.role_need(t.classify("arn:aws:foo:us-east-1:1:x"), *rule) is t.RoleNeed.UNKNOWN


def test_unverified_actions_are_marked():
    assert t.KINESIS.verified and t.ECS.verified and t.BATCH.verified and t.EVENT_BUS.verified
    assert not t.FIREHOSE.verified and not t.STATES.verified and not t.CODEBUILD.verified
    assert all(k.actions or k in (t.LOGS, t.UNKNOWN) for k in t.KINDS)


def test_action_resources_follow_the_target_parameters():
    ecs = t.classify(f"arn:aws:ecs:us-east-1:{A}:cluster/ml")
    task = f"arn:aws:ecs:us-east-1:{A}:task-definition/train:3"
    assert t.action_resources(ecs, {"EcsParameters": {"TaskDefinitionArn": task}}) == [task]
    assert t.action_resources(ecs, {}) == [ecs.arn]
    batch = t.classify(f"arn:aws:batch:us-east-1:{A}:job-queue/gpu")
    jobdef = f"arn:aws:batch:us-east-1:{A}:job-definition/train:1"
    assert t.action_resources(batch, {"BatchParameters": {"JobDefinition": jobdef}}) == [batch.arn, jobdef]
    assert t.action_resources(batch, {"BatchParameters": {"JobDefinition": "train"}}) == [batch.arn]
