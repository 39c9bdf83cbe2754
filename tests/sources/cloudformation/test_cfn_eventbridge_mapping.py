"""CloudFormation and SAM -> the EventBridge delivery resources of the canonical model
(scanner/model.py). CloudFormation is the canonical vocabulary: types and properties stay as
written; policy documents (and event patterns) written as JSON text are stored parsed, with
`!Sub` / `!Join` references kept as References where they stand; documented defaults of
absent properties are filled in (EventBusName "default", EventBusPolicy Action
"events:PutEvents", SSE-SQS on unless a KMS key is given). SAM's Schedule / EventBridgeRule
/ CloudWatchEvent events give the rule with its target, the permission whose SourceArn is
the rule's ARN and, with `DeadLetterConfig: {Type: SQS}`, the queue and queue policy SAM adds.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scanner.model import (
    EVENT_BUS,
    EVENT_BUS_POLICY,
    EVENT_RULE,
    KMS_ALIAS,
    KMS_KEY,
    LAMBDA_PERMISSION,
    LAMBDA_POLICY,
    LOG_GROUP,
    LOGS_POLICY,
    MANAGED_POLICY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    TOPIC,
    TOPIC_INLINE_POLICY,
    TOPIC_POLICY,
    Reference,
    Resource,
)
from scanner.sources.cloudformation.template import load_template


def load(path: Path, text: str) -> dict[str, Resource]:
    path.write_text(textwrap.dedent(text))
    config = load_template(path, path.name)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def ref(value: object, target: str, attribute: str | None = None) -> None:
    assert isinstance(value, Reference), value
    assert (value.target, value.attribute) == (target, attribute), value


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties:
      Name: orders-bus
      KmsKeyIdentifier: !GetAtt Key.Arn
      DeadLetterConfig:
        Arn: !GetAtt Dlq.Arn
      Policy: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"}]}'
  OrgAccess:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: OrgAccess
      Principal: "*"
      Condition:
        Key: aws:PrincipalOrgID
        Type: StringEquals
        Value: o-123
  WholeStatement:
    Type: AWS::Events::EventBusPolicy
    Properties:
      StatementId: Whole
      EventBusName: !Ref Bus
      Statement:
        Effect: Allow
        Principal: {AWS: "arn:aws:iam::444455556666:root"}
        Action: events:PutEvents
        Resource: !GetAtt Bus.Arn
  Orders:
    Type: AWS::Events::Rule
    Properties:
      Name: orders
      EventPattern: '{"source": ["acme.orders"]}'
      Targets:
        - Id: lambda
          Arn: !GetAtt Fn.Arn
          DeadLetterConfig:
            Arn: !GetAtt Dlq.Arn
          RetryPolicy:
            MaximumRetryAttempts: 3
        - Id: queue
          Arn: !GetAtt Work.Arn
          SqsParameters:
            MessageGroupId: orders
  OnBus:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      State: DISABLED
      EventPattern: {source: [acme.custom]}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: scorer
      Role: !GetAtt Role.Arn
      Runtime: python3.12
      Handler: app.handler
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref Fn
      Action: lambda:InvokeFunction
      Principal: events.amazonaws.com
      SourceArn: !GetAtt Orders.Arn
      SourceAccount: !Ref AWS::AccountId
  FnPolicy:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Fn.Arn
      PolicyDocument: !Sub '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "lambda:InvokeFunction", "Resource": "${Fn.Arn}", "Condition": {"ArnLike": {"AWS:SourceArn": "${Orders.Arn}"}}}]}'
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      KmsMasterKeyId: alias/aws/sns
  TopicPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Topic]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref Topic
  TopicInline:
    Type: AWS::SNS::TopicInlinePolicy
    Properties:
      TopicArn: !Ref Topic
      PolicyDocument: '{"Statement": []}'
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work.fifo
      FifoQueue: true
  Dlq:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !Ref Key
      RedrivePolicy: '{"maxReceiveCount": 3, "deadLetterTargetArn": "arn:aws:sqs:us-east-1:111122223333:x"}'
  Plain:
    Type: AWS::SQS::Queue
    Properties:
      SqsManagedSseEnabled: false
  WorkPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Work]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Work.Arn
            Condition: {ArnEquals: {"aws:SourceArn": !GetAtt Orders.Arn}}
  DlqInline:
    Type: AWS::SQS::QueueInlinePolicy
    Properties:
      Queue: !Ref Dlq
      PolicyDocument: {Statement: []}
  EventsLogs:
    Type: AWS::Logs::ResourcePolicy
    Properties:
      PolicyName: TrustEventsToStoreLogEvent
      PolicyDocument: !Sub >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/events/*:*"}]}
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/events/orders
      ResourcePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: logs:PutLogEvents
            Resource: "*"
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: events-invoke
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: run
          PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}]}'
      ManagedPolicyArns: [!Ref Extra]
  Inline:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: pass
      Roles: [!Ref Role]
      PolicyDocument: {Statement: [{Effect: Allow, Action: iam:PassRole, Resource: "*"}]}
  Extra:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: extra
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: "*"}]}
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: [kms:GenerateDataKey*, kms:Decrypt]
            Resource: "*"
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/events
      TargetKeyId: !Ref Key
"""


@pytest.fixture(scope="module")
def found(tmp_path_factory) -> dict[str, Resource]:
    return load(tmp_path_factory.mktemp("cfn") / "template.yaml", TEMPLATE)


def test_every_type_is_kept_with_its_name(found):
    expected = {
        "Bus": (EVENT_BUS, "orders-bus"),
        "OrgAccess": (EVENT_BUS_POLICY, "OrgAccess"),
        "Orders": (EVENT_RULE, "orders"),
        "Invoke": (LAMBDA_PERMISSION, "Invoke"),
        "FnPolicy": (LAMBDA_POLICY, "FnPolicy"),
        "Topic": (TOPIC, "alerts"),
        "TopicPolicy": (TOPIC_POLICY, "TopicPolicy"),
        "TopicInline": (TOPIC_INLINE_POLICY, "TopicInline"),
        "Work": (QUEUE, "work.fifo"),
        "WorkPolicy": (QUEUE_POLICY, "WorkPolicy"),
        "DlqInline": (QUEUE_INLINE_POLICY, "DlqInline"),
        "EventsLogs": (LOGS_POLICY, "TrustEventsToStoreLogEvent"),
        "Group": (LOG_GROUP, "/aws/events/orders"),
        "Role": (ROLE, "events-invoke"),
        "Inline": (ROLE_POLICY, "pass"),
        "Extra": (MANAGED_POLICY, "extra"),
        "Key": (KMS_KEY, "Key"),
        "KeyAlias": (KMS_ALIAS, "alias/events"),
    }
    assert {k: (found[k].type, found[k].name) for k in expected} == expected


def test_rule_targets_stay_in_cloudformation_shape_and_the_bus_defaults(found):
    props = found["Orders"].properties
    assert props["EventBusName"] == "default"
    assert props["EventPattern"] == {"source": ["acme.orders"]}  # JSON text -> parsed
    lambda_target, queue_target = props["Targets"]
    assert lambda_target["Id"] == "lambda"
    ref(lambda_target["Arn"], "Fn", "Arn")
    ref(lambda_target["DeadLetterConfig"]["Arn"], "Dlq", "Arn")
    assert lambda_target["RetryPolicy"] == {"MaximumRetryAttempts": 3}
    assert queue_target["SqsParameters"] == {"MessageGroupId": "orders"}
    on_bus = found["OnBus"].properties
    ref(on_bus["EventBusName"], "Bus")
    assert on_bus["State"] == "DISABLED"
    assert on_bus["EventPattern"] == {"source": ["acme.custom"]}


def test_bus_policy_text_is_parsed(found):
    bus = found["Bus"].properties
    assert bus["Policy"]["Statement"][0]["Principal"] == "*"
    ref(bus["KmsKeyIdentifier"], "Key", "Arn")
    ref(bus["DeadLetterConfig"]["Arn"], "Dlq", "Arn")


def test_event_bus_policy_defaults(found):
    org = found["OrgAccess"].properties
    assert org["EventBusName"] == "default"
    assert org["Action"] == "events:PutEvents"
    assert org["Condition"] == {"Key": "aws:PrincipalOrgID", "Type": "StringEquals", "Value": "o-123"}
    whole = found["WholeStatement"].properties
    ref(whole["EventBusName"], "Bus")
    assert "Action" not in whole  # the statement form carries its own
    ref(whole["Statement"]["Resource"], "Bus", "Arn")


def test_lambda_permission_source_arn_is_the_rules_arn(found):
    props = found["Invoke"].properties
    ref(props["FunctionName"], "Fn")
    ref(props["SourceArn"], "Orders", "Arn")
    assert isinstance(props["SourceAccount"], Reference)
    assert (props["Action"], props["Principal"]) == ("lambda:InvokeFunction", "events.amazonaws.com")


def test_sub_policy_text_is_parsed_with_each_reference_in_place(found):
    policy = found["FnPolicy"].properties
    ref(policy["ResourceArn"], "Fn", "Arn")
    [statement] = policy["PolicyDocument"]["Statement"]
    ref(statement["Resource"], "Fn", "Arn")
    ref(statement["Condition"]["ArnLike"]["AWS:SourceArn"], "Orders", "Arn")
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}


def test_topic_policies(found):
    topic = found["Topic"].properties
    assert topic["KmsMasterKeyId"] == "alias/aws/sns"
    policy = found["TopicPolicy"].properties
    [topic_ref] = policy["Topics"]
    ref(topic_ref, "Topic")
    ref(policy["PolicyDocument"]["Statement"][0]["Resource"], "Topic")
    inline = found["TopicInline"].properties
    ref(inline["TopicArn"], "Topic")
    assert inline["PolicyDocument"] == {"Statement": []}


def test_queue_sse_default_and_policies(found):
    work = found["Work"].properties
    assert (work["FifoQueue"], work["SqsManagedSseEnabled"]) == (True, True)  # SSE-SQS by default
    dlq = found["Dlq"].properties
    ref(dlq["KmsMasterKeyId"], "Key")
    assert dlq["SqsManagedSseEnabled"] is False  # SSE-KMS
    assert dlq["FifoQueue"] is False
    assert dlq["RedrivePolicy"]["maxReceiveCount"] == 3
    assert found["Plain"].properties["SqsManagedSseEnabled"] is False
    policy = found["WorkPolicy"].properties
    ref(policy["Queues"][0], "Work")
    [statement] = policy["PolicyDocument"]["Statement"]
    ref(statement["Condition"]["ArnEquals"]["aws:SourceArn"], "Orders", "Arn")
    inline = found["DlqInline"].properties
    ref(inline["Queue"], "Dlq")
    assert inline["PolicyDocument"] == {"Statement": []}


def test_logs_resource_policy_text_with_pseudo_parameters_is_parsed(found):
    policy = found["EventsLogs"].properties
    [statement] = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    resource = statement["Resource"]
    assert isinstance(resource, Reference) and resource.target is None
    assert resource.text.startswith("arn:aws:logs:") and resource.text.endswith(":log-group:/aws/events/*:*")
    group = found["Group"].properties
    assert group["ResourcePolicyDocument"]["Statement"][0]["Action"] == "logs:PutLogEvents"


def test_iam_and_kms(found):
    role = found["Role"].properties
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    assert role["Policies"][0]["PolicyDocument"] == {
        "Statement": [{"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}]
    }
    ref(role["ManagedPolicyArns"][0], "Extra")
    inline = found["Inline"].properties
    ref(inline["Roles"][0], "Role")
    assert inline["PolicyDocument"]["Statement"][0]["Action"] == "iam:PassRole"
    assert found["Extra"].properties["PolicyDocument"]["Statement"][0]["Action"] == "sqs:SendMessage"
    assert found["Key"].properties["KeyPolicy"]["Statement"][0]["Action"] == [
        "kms:GenerateDataKey*",
        "kms:Decrypt",
    ]
    ref(found["KeyAlias"].properties["TargetKeyId"], "Key")


def test_text_that_is_not_json_stays_a_string(tmp_path):
    found = load(
        tmp_path / "t.yaml",
        """\
        Resources:
          Logs:
            Type: AWS::Logs::ResourcePolicy
            Properties:
              PolicyName: broken
              PolicyDocument: '{"Statement": ['
        """,
    )
    assert found["Logs"].properties["PolicyDocument"] == '{"Statement": ['


# -- SAM -------------------------------------------------------------------------------------------


SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Scorer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
            DeadLetterConfig:
              Type: SQS
        OnOrder:
          Type: EventBridgeRule
          Properties:
            RuleName: on-order
            EventBusName: orders-bus
            Pattern: {source: [acme.orders]}
            DeadLetterConfig:
              Type: SQS
              QueueLogicalId: OrdersDlq
"""


@pytest.fixture(scope="module")
def sam(tmp_path_factory) -> dict[str, Resource]:
    return load(tmp_path_factory.mktemp("sam") / "template.yaml", SAM)


def test_sam_rule_holds_its_target_and_the_permission_names_the_rule(sam):
    rule = sam["ScorerNightly"].properties
    assert rule["EventBusName"] == "default"
    assert rule["ScheduleExpression"] == "rate(1 day)"
    [target] = rule["Targets"]
    ref(target["Arn"], "Scorer", "Arn")
    permission = sam["ScorerNightlyPermission"]
    assert permission.type == LAMBDA_PERMISSION
    ref(permission.properties["SourceArn"], "ScorerNightly", "Arn")
    ref(permission.properties["FunctionName"], "Scorer")
    on_order = sam["ScorerOnOrder"]
    assert (on_order.name, on_order.properties["EventBusName"]) == ("on-order", "orders-bus")


def test_sam_dead_letter_queue_and_its_policy_are_made_explicit(sam):
    [target] = sam["ScorerNightly"].properties["Targets"]
    ref(target["DeadLetterConfig"]["Arn"], "ScorerNightlyQueue", "Arn")
    queue = sam["ScorerNightlyQueue"]
    assert queue.type == QUEUE
    assert queue.properties["SqsManagedSseEnabled"] is True
    policy = sam["ScorerNightlyQueuePolicy"]
    assert policy.type == QUEUE_POLICY
    ref(policy.properties["Queues"][0], "ScorerNightlyQueue")
    [statement] = policy.properties["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Principal"]) == (
        "sqs:SendMessage",
        {"Service": "events.amazonaws.com"},
    )
    ref(statement["Resource"], "ScorerNightlyQueue", "Arn")
    ref(statement["Condition"]["ArnEquals"]["aws:SourceArn"], "ScorerNightly", "Arn")
    # QueueLogicalId names the queue; the policy keeps the rule's name.
    [on_order] = sam["ScorerOnOrder"].properties["Targets"]
    ref(on_order["DeadLetterConfig"]["Arn"], "OrdersDlq", "Arn")
    assert sam["OrdersDlq"].type == QUEUE
    assert sam["ScorerOnOrderQueuePolicy"].type == QUEUE_POLICY
