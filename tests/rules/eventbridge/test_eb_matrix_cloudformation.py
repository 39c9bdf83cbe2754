"""EB001-EB011 on one CloudFormation template: every rule has a fail, a pass and an unknown,
each asserted on a specific (rule, target) cell (EB008: the Lambda permission or resource
policy; EB009: the bus or bus policy resource). The template is scanned once with all eleven
rules and the whole result table must be exactly EXPECTED.

Unknowns come from what a template does not decide: parameters without defaults (a target
ARN, a RoleArn, a Lambda permission's SourceArn, a log group policy's aws:SourceArn, a DLQ
ARN, a bus policy principal, a FifoQueue chosen by a condition on a parameter), a role whose
managed policy is an Fn::ImportValue, and policy conditions on a key the evaluator cannot
settle (aws:SourceOrgID).
"""

from __future__ import annotations

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

RULE_IDS = tuple(f"EB{n:03d}" for n in range(1, 12))

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  TargetArnParam: {Type: String}
  RoleArnParam: {Type: String}
  SourceArnParam: {Type: String}
  DlqArnParam: {Type: String}
  FifoParam: {Type: String, AllowedValues: ["true", "false"]}
  PartnerParam: {Type: String}
Conditions:
  IsFifo: !Equals [!Ref FifoParam, "true"]
Resources:
  # -- EB001 (Lambda targets), EB010/EB011 (their dead-letter queues) -------------------
  FnOk:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  FnBare:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  FnParam:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  OkPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref FnOk
      Principal: events.amazonaws.com
      SourceArn: !GetAtt LambdaRule.Arn
  ParamPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref FnParam
      Principal: events.amazonaws.com
      SourceArn: !Ref SourceArnParam
  Dlq:
    Type: AWS::SQS::Queue
  FifoDlq:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  DlqPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Dlq, !Ref FifoDlq]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: "*"
            Condition:
              ArnEquals: {"aws:SourceArn": !GetAtt LambdaRule.Arn}
  LambdaRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - Id: ok
          Arn: !GetAtt FnOk.Arn
          DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
        - Id: latest
          Arn: !Sub "${FnOk.Arn}:$LATEST"
        - Id: bare
          Arn: !GetAtt FnBare.Arn
          DeadLetterConfig: {Arn: !GetAtt FifoDlq.Arn}
        - Id: param-source
          Arn: !GetAtt FnParam.Arn
          DeadLetterConfig: {Arn: !Ref DlqArnParam}

  # -- EB008: permissions of a function no rule here targets ---------------------------
  Worker:
    Type: AWS::Lambda::Function
    Properties: {Role: arn:aws:iam::123456789012:role/x, Runtime: python3.12, Handler: h, Code: {ZipFile: x}}
  OpenPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Worker
      Principal: events.amazonaws.com
  OrgPolicy:
    Type: AWS::Lambda::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Worker.Arn
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: lambda:InvokeFunction
            Resource: !GetAtt Worker.Arn
            Condition:
              StringEquals: {"aws:SourceOrgID": o-abc123}

  # -- EB002: SNS targets, on a custom bus ---------------------------------------------
  TopicOk:
    Type: AWS::SNS::Topic
  TopicBare:
    Type: AWS::SNS::Topic
  TopicOrg:
    Type: AWS::SNS::Topic
  TopicOkPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref TopicOk]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref TopicOk
            Condition:
              ArnEquals: {"aws:SourceArn": !GetAtt TopicRule.Arn}
  TopicOrgPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref TopicOrg]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sns:Publish
            Resource: !Ref TopicOrg
            Condition:
              StringEquals: {"aws:SourceOrgID": o-abc123}
  TopicRule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref OrgBus
      EventPattern: {source: [app.orders]}
      Targets:
        - {Id: allowed, Arn: !Ref TopicOk}
        - {Id: bare, Arn: !Ref TopicBare}
        - {Id: org-condition, Arn: !Ref TopicOrg}

  # -- EB003: SQS targets (FIFO) -------------------------------------------------------
  FifoOk:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
  FifoNoGroup:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
  MaybeFifo:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: !If [IsFifo, true, false]
  QueuesPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref FifoOk, !Ref FifoNoGroup, !Ref MaybeFifo]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: "*"
            Condition:
              ArnEquals: {"aws:SourceArn": !GetAtt QueueRule.Arn}
  QueueRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - Id: fifo-ok
          Arn: !GetAtt FifoOk.Arn
          SqsParameters: {MessageGroupId: events}
        - {Id: fifo-no-group, Arn: !GetAtt FifoNoGroup.Arn}
        - Id: maybe-fifo
          Arn: !GetAtt MaybeFifo.Arn
          SqsParameters: {MessageGroupId: events}

  # -- EB004: CloudWatch Logs targets (log-group policies only: an account-level
  #    AWS::Logs::ResourcePolicy would govern every group here) ------------------------
  GroupOk:
    Type: AWS::Logs::LogGroup
    Properties:
      ResourcePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: [events.amazonaws.com, delivery.logs.amazonaws.com]}
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: "*"
  GroupBare:
    Type: AWS::Logs::LogGroup
  GroupParamSource:
    Type: AWS::Logs::LogGroup
    Properties:
      ResourcePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: [logs:CreateLogStream, logs:PutLogEvents]
            Resource: "*"
            Condition:
              ArnEquals: {"aws:SourceArn": !Ref SourceArnParam}
  LogsRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - {Id: logs-ok, Arn: !GetAtt GroupOk.Arn}
        - {Id: logs-bare, Arn: !GetAtt GroupBare.Arn}
        - {Id: logs-param-source, Arn: !GetAtt GroupParamSource.Arn}

  # -- EB005-EB007: Kinesis targets and their roles -------------------------------------
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  ImportedRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [!ImportValue shared-kinesis-writer-policy]
  TasksTrustRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: put
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: kinesis:PutRecord, Resource: !GetAtt Stream.Arn}]
  StreamRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      Targets:
        - {Id: no-role, Arn: !GetAtt Stream.Arn}
        - {Id: param-role, Arn: !GetAtt Stream.Arn, RoleArn: !Ref RoleArnParam}
        - {Id: imported-policies, Arn: !GetAtt Stream.Arn, RoleArn: !GetAtt ImportedRole.Arn}
        - {Id: wrong-trust, Arn: !GetAtt Stream.Arn, RoleArn: !GetAtt TasksTrustRole.Arn}

  # -- EB007: ECS RunTask needs iam:PassRole of the task definition's roles -------------
  Cluster:
    Type: AWS::ECS::Cluster
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
  ExecutionRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: job
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      TaskRoleArn: !GetAtt TaskRole.Arn
      ExecutionRoleArn: !GetAtt ExecutionRole.Arn
      ContainerDefinitions: [{Name: app, Image: public.ecr.aws/docker/library/busybox:latest}]
  RunOnlyRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: run
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: ecs:RunTask, Resource: "*"}]
  RunAndPassRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: run-and-pass
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ecs:RunTask, Resource: "*"}
              - Effect: Allow
                Action: iam:PassRole
                Resource: [!GetAtt TaskRole.Arn, !GetAtt ExecutionRole.Arn]
                Condition:
                  StringLike: {"iam:PassedToService": ecs-tasks.amazonaws.com}
  EcsRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: run-only
          Arn: !GetAtt Cluster.Arn
          RoleArn: !GetAtt RunOnlyRole.Arn
          EcsParameters: {TaskDefinitionArn: !Ref TaskDef, LaunchType: FARGATE}
        - Id: run-and-pass
          Arn: !GetAtt Cluster.Arn
          RoleArn: !GetAtt RunAndPassRole.Arn
          EcsParameters: {TaskDefinitionArn: !Ref TaskDef, LaunchType: FARGATE}

  # -- a target whose ARN is a parameter: no kind-specific rule can judge it ------------
  OpaqueRule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - {Id: opaque, Arn: !Ref TargetArnParam}

  # -- EB009: event bus policies -------------------------------------------------------
  OpenBus:
    Type: AWS::Events::EventBus
    Properties:
      Name: open
      Policy:
        Version: "2012-10-17"
        Statement:
          - Sid: Anyone
            Effect: Allow
            Principal: "*"
            Action: events:PutEvents
            Resource: "*"
  OrgBus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}
  OrgOnly:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref OrgBus
      StatementId: OrgOnly
      Action: events:PutEvents
      Principal: "*"
      Condition: {Type: StringEquals, Key: aws:PrincipalOrgID, Value: o-abc123}
  PartnerAccess:
    Type: AWS::Events::EventBusPolicy
    Properties:
      EventBusName: !Ref OrgBus
      StatementId: Partner
      Action: events:PutEvents
      Principal: !Ref PartnerParam
"""

# (rule id, "<rule logical id>/<target Id>" or the resource) -> status, for every result.
EXPECTED: dict[tuple[str, str], str] = {
    # EB001: Lambda targets without a role; the function's permissions decide.
    ("EB001", "LambdaRule/ok"): "pass",  # permission with SourceArn !GetAtt LambdaRule.Arn
    ("EB001", "LambdaRule/latest"): "pass",  # ${FnOk.Arn}:$LATEST: the unqualified permission governs
    ("EB001", "LambdaRule/bare"): "fail",  # no permission at all
    ("EB001", "LambdaRule/param-source"): "unknown",  # permission's SourceArn is a parameter
    ("EB001", "OpaqueRule/opaque"): "unknown",  # may be a Lambda function
    # EB002: SNS topic policies.
    ("EB002", "TopicRule/allowed"): "pass",
    ("EB002", "TopicRule/bare"): "fail",  # no topic policy
    ("EB002", "TopicRule/org-condition"): "unknown",  # aws:SourceOrgID: not settled
    ("EB002", "OpaqueRule/opaque"): "unknown",
    # EB003: SQS queue policy and FIFO requirements.
    ("EB003", "QueueRule/fifo-ok"): "pass",  # MessageGroupId + ContentBasedDeduplication
    ("EB003", "QueueRule/fifo-no-group"): "fail",  # FIFO, no SqsParameters.MessageGroupId
    ("EB003", "QueueRule/maybe-fifo"): "unknown",  # FifoQueue depends on a parameter
    ("EB003", "OpaqueRule/opaque"): "unknown",
    # EB004: log group resource policies.
    ("EB004", "LogsRule/logs-ok"): "pass",
    ("EB004", "LogsRule/logs-bare"): "fail",  # no logs resource policy
    ("EB004", "LogsRule/logs-param-source"): "unknown",  # aws:SourceArn is a parameter
    ("EB004", "OpaqueRule/opaque"): "unknown",
    # EB005: targets that need a role.
    ("EB005", "StreamRule/no-role"): "fail",
    ("EB005", "StreamRule/param-role"): "unknown",  # RoleArn is a parameter
    ("EB005", "StreamRule/imported-policies"): "pass",
    ("EB005", "StreamRule/wrong-trust"): "pass",
    ("EB005", "EcsRule/run-only"): "pass",
    ("EB005", "EcsRule/run-and-pass"): "pass",
    ("EB005", "OpaqueRule/opaque"): "unknown",  # kind unknown: whether it needs a role too
    # EB006: the role trusts events.amazonaws.com.
    ("EB006", "StreamRule/param-role"): "unknown",
    ("EB006", "StreamRule/imported-policies"): "pass",
    ("EB006", "StreamRule/wrong-trust"): "fail",  # trusts ecs-tasks.amazonaws.com
    ("EB006", "EcsRule/run-only"): "pass",
    ("EB006", "EcsRule/run-and-pass"): "pass",
    # EB007: the role allows the delivery action.
    ("EB007", "StreamRule/param-role"): "unknown",
    ("EB007", "StreamRule/imported-policies"): "unknown",  # managed policy from Fn::ImportValue
    ("EB007", "StreamRule/wrong-trust"): "pass",  # kinesis:PutRecord (trust is EB006's business)
    ("EB007", "EcsRule/run-only"): "fail",  # ecs:RunTask but no iam:PassRole
    ("EB007", "EcsRule/run-and-pass"): "pass",  # + iam:PassRole on TaskRole and ExecutionRole
    # EB008: per Lambda permission / resource policy granting EventBridge.
    ("EB008", "OkPermission"): "pass",
    ("EB008", "ParamPermission"): "pass",  # scoped, by a SourceArn the template leaves open
    ("EB008", "OpenPermission"): "fail",  # no SourceArn or SourceAccount
    ("EB008", "OrgPolicy"): "unknown",  # only an aws:SourceOrgID condition
    # EB009: per bus with a Policy / bus policy resource.
    ("EB009", "OpenBus"): "fail",  # Principal "*" without condition
    ("EB009", "OrgOnly"): "pass",  # aws:PrincipalOrgID condition
    ("EB009", "PartnerAccess"): "unknown",  # Principal is a parameter (could be "*")
    # EB010: every target.
    ("EB010", "LambdaRule/ok"): "pass",
    ("EB010", "LambdaRule/latest"): "fail",
    ("EB010", "LambdaRule/bare"): "pass",
    ("EB010", "LambdaRule/param-source"): "unknown",  # DeadLetterConfig.Arn is a parameter
    ("EB010", "TopicRule/allowed"): "fail",
    ("EB010", "TopicRule/bare"): "fail",
    ("EB010", "TopicRule/org-condition"): "fail",
    ("EB010", "QueueRule/fifo-ok"): "fail",
    ("EB010", "QueueRule/fifo-no-group"): "fail",
    ("EB010", "QueueRule/maybe-fifo"): "fail",
    ("EB010", "LogsRule/logs-ok"): "fail",
    ("EB010", "LogsRule/logs-bare"): "fail",
    ("EB010", "LogsRule/logs-param-source"): "fail",
    ("EB010", "StreamRule/no-role"): "fail",
    ("EB010", "StreamRule/param-role"): "fail",
    ("EB010", "StreamRule/imported-policies"): "fail",
    ("EB010", "StreamRule/wrong-trust"): "fail",
    ("EB010", "EcsRule/run-only"): "fail",
    ("EB010", "EcsRule/run-and-pass"): "fail",
    ("EB010", "OpaqueRule/opaque"): "fail",
    # EB011: targets with a dead-letter queue.
    ("EB011", "LambdaRule/ok"): "pass",  # standard queue, policy names LambdaRule
    ("EB011", "LambdaRule/bare"): "fail",  # FIFO dead-letter queue
    ("EB011", "LambdaRule/param-source"): "unknown",  # the queue is a parameter
}

# Why some cells are what they are: a fragment of the result's message. An unknown for
# another reason than the one the template sets up would be a different cell.
WHY: dict[tuple[str, str], str] = {
    ("EB001", "LambdaRule/bare"): "no function policy exists",
    ("EB001", "LambdaRule/latest"): "OkPermission",
    ("EB001", "LambdaRule/param-source"): "ParamPermission",
    ("EB001", "OpaqueRule/opaque"): "cannot be told from its ARN",
    ("EB002", "TopicRule/bare"): "no topic policy exists",
    ("EB002", "TopicRule/org-condition"): "TopicOrgPolicy",
    ("EB003", "QueueRule/fifo-no-group"): "SqsParameters.MessageGroupId",
    ("EB003", "QueueRule/maybe-fifo"): "whether the queue is a FIFO queue is not known",
    ("EB004", "LogsRule/logs-bare"): "no logs resource policy",
    ("EB004", "LogsRule/logs-param-source"): "log group policy",
    ("EB005", "StreamRule/no-role"): "has no role",
    ("EB005", "StreamRule/param-role"): "RoleArnParam",
    ("EB006", "StreamRule/param-role"): "RoleArnParam",
    ("EB006", "StreamRule/wrong-trust"): "does not let events.amazonaws.com assume it",
    ("EB007", "StreamRule/param-role"): "RoleArnParam",
    ("EB007", "StreamRule/imported-policies"): "Fn::ImportValue shared-kinesis-writer-policy",
    ("EB007", "EcsRule/run-only"): "do not allow iam:PassRole",
    ("EB007", "EcsRule/run-and-pass"): "allow ecs:RunTask, iam:PassRole",
    ("EB008", "OpenPermission"): "no SourceArn or SourceAccount",
    ("EB008", "OrgPolicy"): "not decided",
    ("EB009", "PartnerAccess"): "PartnerParam",
    ("EB010", "LambdaRule/param-source"): "DlqArnParam",
    ("EB011", "LambdaRule/bare"): "FIFO queue",
    ("EB011", "LambdaRule/param-source"): "DlqArnParam",
}


def key(rule_id: str, resource_id: str, discriminator: str | None) -> tuple[str, str]:
    return rule_id, resource_id + (f"/{discriminator}" if discriminator else "")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> ScanOutcome:
    root = tmp_path_factory.mktemp("eb-matrix")
    path = write(root, {"stack.yaml": TEMPLATE}) / "stack.yaml"
    return scan_iac([path], rules(*RULE_IDS), root)


@pytest.fixture(scope="module")
def table(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for r in outcome.results:
        cell = key(r.rule_id, r.resource.id, r.discriminator)
        assert cell not in got, f"two results for {cell}"
        got[cell] = r.status.value
    return got


def test_the_template_loads_without_errors(outcome: ScanOutcome):
    assert outcome.errors == []


def test_every_rule_has_a_fail_a_pass_and_an_unknown_cell():
    for rule_id in RULE_IDS:
        statuses = {status for (rid, _), status in EXPECTED.items() if rid == rule_id}
        assert statuses == {"fail", "pass", "unknown"}, rule_id


def test_the_matrix_is_exact(table: dict[tuple[str, str], str]):
    assert table == EXPECTED


@pytest.mark.parametrize("cell", sorted(WHY), ids=lambda c: f"{c[0]}-{c[1]}")
def test_each_cell_says_why(outcome: ScanOutcome, cell: tuple[str, str]):
    found = [r for r in outcome.results if key(r.rule_id, r.resource.id, r.discriminator) == cell]
    assert len(found) == 1, cell
    assert found[0].status.value == EXPECTED[cell]
    assert WHY[cell] in found[0].message, found[0].message


ECS_RUN_TASK_RESOURCE = """
Resources:
  Cluster: {Type: AWS::ECS::Cluster}
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: sts:AssumeRole}]
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      TaskRoleArn: !GetAtt TaskRole.Arn
      ContainerDefinitions: [{Name: app, Image: busybox}]
  OnTaskDef:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ecs:RunTask, Resource: !Ref TaskDef}
              - {Effect: Allow, Action: iam:PassRole, Resource: !GetAtt TaskRole.Arn}
  OnCluster:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: ecs:RunTask, Resource: !GetAtt Cluster.Arn}
              - {Effect: Allow, Action: iam:PassRole, Resource: !GetAtt TaskRole.Arn}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: on-taskdef
          Arn: !GetAtt Cluster.Arn
          RoleArn: !GetAtt OnTaskDef.Arn
          EcsParameters: {TaskDefinitionArn: !Ref TaskDef}
        - Id: on-cluster
          Arn: !GetAtt Cluster.Arn
          RoleArn: !GetAtt OnCluster.Arn
          EcsParameters: {TaskDefinitionArn: !Ref TaskDef}
"""


def test_ecs_run_task_is_checked_on_the_task_definition_not_the_cluster(tmp_path):
    path = write(tmp_path, {"ecs.yaml": ECS_RUN_TASK_RESOURCE}) / "ecs.yaml"
    out = scan_iac([path], rules("EB007"), tmp_path)
    got = {r.discriminator: r.status.value for r in results(out, "EB007")}
    # RunTask allowed on the task definition: pass. Allowed on the cluster only: not a pass;
    # unknown, as the evaluator does not take `!Ref X` and `!GetAtt Y.Arn` for different ARNs
    # (a Ref is an ARN for some types and a name for others).
    assert got == {"on-taskdef": "pass", "on-cluster": "unknown"}
