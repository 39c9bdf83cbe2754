"""A small but realistic ML platform, seeded into the AWS emulator for `opscheck demo`.

Each area has its own function so later rule packs extend the account without touching
the others. Deliberate findings are named in comments; everything else is meant to pass.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3

from scanner.demo.seed_images import seed_images
from scanner.demo.seed_monitoring import seed_monitoring
from scanner.demo.seed_resilience import seed_resilience
from scanner.demo.seed_rightsizing import seed_rightsizing

ACCOUNT = "123456789012"
HOME = "us-east-1"
EU = "eu-west-1"

TRAIL_BUCKET = "acme-ml-cloudtrail-logs"
TRAINING_BUCKET = "acme-ml-training-data"
ARTIFACT_BUCKET = "acme-ml-model-artifacts"
FEATURE_BUCKET = "acme-ml-feature-store"

TRAIL_KEY_ALIAS = "alias/cloudtrail"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed(session: boto3.Session) -> dict[str, Any]:
    """Seed every area; returns the names the README and tests refer to."""
    facts: dict[str, Any] = {}
    facts.update(seed_storage(session))
    facts.update(seed_compute(session))
    facts.update(seed_cloudtrail(session, facts))
    facts.update(seed_events(session, facts))
    facts.update(seed_resilience(session, facts))
    facts.update(seed_rightsizing(session, facts))
    facts.update(seed_monitoring(session, facts))
    facts.update(seed_images(session, facts))
    return facts


def seed_storage(session: boto3.Session) -> dict[str, Any]:
    s3 = session.client("s3", region_name=HOME)
    for bucket in (TRAIL_BUCKET, TRAINING_BUCKET, ARTIFACT_BUCKET):
        s3.create_bucket(Bucket=bucket)
    s3_eu = session.client("s3", region_name=EU)
    s3_eu.create_bucket(Bucket=FEATURE_BUCKET, CreateBucketConfiguration={"LocationConstraint": EU})
    return {"buckets": [TRAIL_BUCKET, TRAINING_BUCKET, ARTIFACT_BUCKET, FEATURE_BUCKET]}


def seed_compute(session: boto3.Session) -> dict[str, Any]:
    iam = session.client("iam", region_name=HOME)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="ml-lambda-exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    sm_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    sm_role = iam.create_role(RoleName="ml-sagemaker-exec", AssumeRolePolicyDocument=json.dumps(sm_trust))[
        "Role"
    ]["Arn"]

    functions = {}
    for region, name in ((HOME, "score-features"), (HOME, "batch-ingest"), (EU, "eu-preprocess")):
        fn = session.client("lambda", region_name=region).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            MemorySize=512,
            Timeout=60,
        )
        functions[name] = fn["FunctionArn"]

    sm = session.client("sagemaker", region_name=HOME)
    endpoints = {}
    # One instance for fraud-scorer (AZ005 fail) and recsys-ranker (autoscaled from two); four
    # for churn-predictor, more than its invocations need (RS002, seed_rightsizing).
    instances = {"churn-predictor": 4, "fraud-scorer": 1, "recsys-ranker": 1}
    for name, capture in (("churn-predictor", True), ("fraud-scorer", True), ("recsys-ranker", False)):
        sm.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn=sm_role,
            PrimaryContainer={
                "Image": f"{ACCOUNT}.dkr.ecr.{HOME}.amazonaws.com/{name}:1.4.2",
                "ModelDataUrl": f"s3://{ARTIFACT_BUCKET}/production/{name}/model.tar.gz",
            },
        )
        config: dict[str, Any] = {
            "EndpointConfigName": f"{name}-config",
            "ProductionVariants": [
                {
                    "VariantName": "primary",
                    "ModelName": f"{name}-model",
                    "InitialInstanceCount": instances[name],
                    "InstanceType": "ml.m5.xlarge",
                }
            ],
        }
        if capture:
            config["DataCaptureConfig"] = {
                "EnableCapture": True,
                "InitialSamplingPercentage": 20,
                "DestinationS3Uri": f"s3://{ARTIFACT_BUCKET}/capture/{name}",
                "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            }
        sm.create_endpoint_config(**config)
        arn = sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")["EndpointArn"]
        endpoints[name] = arn
    return {"functions": functions, "endpoints": endpoints}


def seed_cloudtrail(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    kms = session.client("kms", region_name=HOME)
    key = kms.create_key(Description="CloudTrail log encryption")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=TRAIL_KEY_ALIAS, TargetKeyId=key)
    logs = session.client("logs", region_name=HOME)
    logs.create_log_group(logGroupName="/aws/cloudtrail/platform-audit")

    ct = session.client("cloudtrail", region_name=HOME)
    ct.create_trail(
        Name="platform-audit",
        S3BucketName=TRAIL_BUCKET,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:/aws/cloudtrail/platform-audit:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-logs",
    )
    ct.start_logging(Name="platform-audit")
    ct.put_event_selectors(
        TrailName="platform-audit",
        AdvancedEventSelectors=[
            # The Name is free text; only the field conditions decide coverage.
            {
                "Name": "Everything that changes the platform",
                "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
            },
            {
                "Name": "Training data: every object",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{TRAINING_BUCKET}/"]},
                ],
            },
            {
                # Deliberate finding: only the production/ prefix of the artifact bucket.
                "Name": "Production model artifacts",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{ARTIFACT_BUCKET}/production/"]},
                ],
            },
            {
                "Name": "Scoring function invocations",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                    {"Field": "resources.ARN", "Equals": [facts["functions"]["score-features"]]},
                ],
            },
            {
                "Name": "Churn model invocations",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::SageMaker::Endpoint"]},
                    {"Field": "resources.ARN", "Equals": [facts["endpoints"]["churn-predictor"]]},
                ],
            },
        ],
    )
    # Deliberate finding: only the call-rate Insights type (CT008 wants both).
    ct.put_insight_selectors(
        TrailName="platform-audit", InsightSelectors=[{"InsightType": "ApiCallRateInsight"}]
    )

    # Deliberate findings: a single-region trail left behind in eu-west-1, never started,
    # without validation or KMS, recording reads of the feature store only.
    ct_eu = session.client("cloudtrail", region_name=EU)
    ct_eu.create_trail(Name="legacy-eu-audit", S3BucketName=TRAIL_BUCKET)
    ct_eu.put_event_selectors(
        TrailName="legacy-eu-audit",
        EventSelectors=[
            {
                "ReadWriteType": "ReadOnly",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{FEATURE_BUCKET}/"]}],
            }
        ],
    )
    return {"trails": ["platform-audit", "legacy-eu-audit"]}


# -- EventBridge ---------------------------------------------------------------------------------
# The platform's own events go to a custom bus; SageMaker's state changes arrive on the default
# bus. Targets of every kind the EventBridge rules judge, most of them wired correctly.

EVENTS_BUS = "ml-events"
PARTNER_ACCOUNT = "210987654321"  # the labelling vendor that publishes to ml-events
EVENTS_DLQ = "ml-events-dlq"
FIFO_DLQ = "ml-events-dlq.fifo"
LOGS_RESOURCE_POLICY = "TrustEventsToStoreLogEvent"
EVENTS = "events.amazonaws.com"


def _arn(service: str, resource: str, region: str = HOME) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def _role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _rule_arn(name: str, bus: str = "default") -> str:
    return _arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(service: str) -> str:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def _allow_rules(sid: str, action: str, resource: str, rules: list[str]) -> dict[str, Any]:
    """A resource-policy statement letting EventBridge perform `action` for these rules only."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": EVENTS},
        "Action": action,
        "Resource": resource,
        "Condition": {"ArnEquals": {"aws:SourceArn": rules[0] if len(rules) == 1 else rules}},
    }


def _queue(name: str) -> str:
    return _arn("sqs", name)


def _stream(name: str) -> str:
    return _arn("kinesis", f"stream/{name}")


def _group(name: str) -> str:
    return _arn("logs", f"log-group:{name}")


def _sagemaker(detail_type: str, **detail: list[str]) -> dict[str, str]:
    """PutRule arguments for a SageMaker state-change pattern (default bus)."""
    pattern: dict[str, Any] = {"source": ["aws.sagemaker"], "detail-type": [detail_type]}
    if detail:
        pattern["detail"] = detail
    return {"EventPattern": json.dumps(pattern)}


def _platform(source: str, detail_type: str) -> dict[str, str]:
    """PutRule arguments for one of the platform's own events (ml-events bus)."""
    return {"EventPattern": json.dumps({"source": [source], "detail-type": [detail_type]})}


def _event_rules(facts: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(bus, rule, PutRule schedule or pattern, targets); a target's DLQ is the queue's name."""
    functions = facts["functions"]
    return [
        (
            "default",
            "nightly-batch-ingest",
            {"ScheduleExpression": "cron(0 2 * * ? *)"},
            # Deliberate findings: the function lets any account's rule invoke it (EB008), and
            # the target has no dead-letter queue (EB010).
            [{"Id": "batch-ingest", "Arn": functions["batch-ingest"]}],
        ),
        (
            "default",
            "training-job-state-change",
            _sagemaker(
                "SageMaker Training Job State Change", TrainingJobStatus=["Completed", "Failed", "Stopped"]
            ),
            [
                # Queue policy for this rule, SSE-SQS: delivers.
                {"Id": "training-jobs-queue", "Arn": _queue("ml-training-jobs"), "DLQ": EVENTS_DLQ},
                # Deliberate finding (EB004): a RoleArn on a CloudWatch Logs target.
                {
                    "Id": "training-run-logs",
                    "Arn": _group("/aws/events/ml-training-runs"),
                    "RoleArn": _role_arn("ml-events-to-logs"),
                    "DLQ": EVENTS_DLQ,
                },
            ],
        ),
        (
            "default",
            "model-package-approved",
            _sagemaker("SageMaker Model Package State Change", ModelApprovalStatus=["Approved"]),
            [
                # Re-score with the approved model through the function's prod alias.
                # Deliberate findings: the permission was added to the unqualified function, not
                # to the alias the target names (EB001); the DLQ is a FIFO queue (EB011).
                {"Id": "score-features-prod", "Arn": f"{functions['score-features']}:prod", "DLQ": FIFO_DLQ},
                # Deliberate finding (EB002): the topic's customer key does not let EventBridge in.
                {"Id": "model-alerts", "Arn": _arn("sns", "ml-model-alerts"), "DLQ": EVENTS_DLQ},
            ],
        ),
        (
            "default",
            "endpoint-state-change",
            _sagemaker("SageMaker Endpoint State Change"),
            [
                # Deliberate finding (EB005): a Kinesis target without a role.
                {"Id": "inference-audit-stream", "Arn": _stream("ml-inference-audit"), "DLQ": EVENTS_DLQ},
                {
                    "Id": "endpoint-events-archive",
                    "Arn": _stream("ml-endpoint-events"),
                    "RoleArn": _role_arn("ml-events-to-kinesis"),
                    "DLQ": EVENTS_DLQ,
                },
            ],
        ),
        (
            EVENTS_BUS,
            "feature-drift-detected",
            _platform("acme.ml.monitoring", "Feature Drift Detected"),
            [
                # Scoped permission, a DLQ whose policy names this rule: delivers.
                {"Id": "score-features", "Arn": functions["score-features"], "DLQ": EVENTS_DLQ},
                # Deliberate finding (EB007): the role trusts EventBridge but may only read the stream.
                {
                    "Id": "feature-stream",
                    "Arn": _stream("ml-feature-stream"),
                    "RoleArn": _role_arn("ml-feature-stream-reader"),
                    "DLQ": EVENTS_DLQ,
                },
            ],
        ),
        (
            EVENTS_BUS,
            "retrain-requested",
            _platform("acme.ml.training", "Retrain Requested"),
            [
                # Deliberate finding (EB006): the role was made for EventBridge Scheduler.
                {
                    "Id": "retrain-pipeline",
                    "Arn": _arn("states", "stateMachine:ml-retrain-pipeline"),
                    "RoleArn": _role_arn("ml-retrain-scheduler"),
                    "DLQ": EVENTS_DLQ,
                }
            ],
        ),
        (
            EVENTS_BUS,
            "batch-scoring-requested",
            _platform("acme.ml.scoring", "Batch Scoring Requested"),
            # Deliberate finding (EB003): the queue has no policy.
            [{"Id": "batch-scoring-queue", "Arn": _queue("ml-batch-scoring-requests"), "DLQ": EVENTS_DLQ}],
        ),
        (
            EVENTS_BUS,
            "ml-events-audit",
            {"EventPattern": json.dumps({"account": [ACCOUNT, PARTNER_ACCOUNT]})},
            # No RoleArn; the account's logs resource policy covers /aws/events/*: delivers.
            [{"Id": "audit-log", "Arn": _group("/aws/events/ml-audit"), "DLQ": EVENTS_DLQ}],
        ),
    ]


def seed_events(session: boto3.Session, facts: dict[str, Any]) -> dict[str, Any]:
    iam = session.client("iam", region_name=HOME)
    lam = session.client("lambda", region_name=HOME)
    sqs = session.client("sqs", region_name=HOME)

    # The scoring function is released through a prod alias, which the approval rule targets.
    version = lam.publish_version(FunctionName="score-features")["Version"]
    lam.create_alias(FunctionName="score-features", Name="prod", FunctionVersion=version)
    rules = _event_rules(facts)

    # Roles for the targets that need one.
    iam.create_role(RoleName="ml-events-to-kinesis", AssumeRolePolicyDocument=_trust(EVENTS))
    iam.put_role_policy(
        RoleName="ml-events-to-kinesis",
        PolicyName="put-endpoint-events",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
                "Resource": _arn("kinesis", "stream/ml-endpoint-events"),
            }
        ),
    )
    iam.create_role(RoleName="ml-feature-stream-reader", AssumeRolePolicyDocument=_trust(EVENTS))
    reader = iam.create_policy(
        PolicyName="ml-feature-stream-read",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": ["kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords"],
                "Resource": _arn("kinesis", "stream/ml-feature-stream"),
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="ml-feature-stream-reader", PolicyArn=reader)
    iam.create_role(
        RoleName="ml-retrain-scheduler", AssumeRolePolicyDocument=_trust("scheduler.amazonaws.com")
    )
    iam.put_role_policy(
        RoleName="ml-retrain-scheduler",
        PolicyName="start-retrain",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": _arn("states", "stateMachine:ml-retrain-pipeline"),
            }
        ),
    )
    iam.create_role(RoleName="ml-events-to-logs", AssumeRolePolicyDocument=_trust(EVENTS))
    iam.create_role(RoleName="ml-stepfunctions-exec", AssumeRolePolicyDocument=_trust("states.amazonaws.com"))

    # What the targets name.
    kinesis = session.client("kinesis", region_name=HOME)
    for stream in ("ml-inference-audit", "ml-endpoint-events", "ml-feature-stream"):
        kinesis.create_stream(StreamName=stream, ShardCount=1)
    session.client("stepfunctions", region_name=HOME).create_state_machine(
        name="ml-retrain-pipeline",
        definition=json.dumps({"StartAt": "Retrain", "States": {"Retrain": {"Type": "Pass", "End": True}}}),
        roleArn=_role_arn("ml-stepfunctions-exec"),
    )
    logs = session.client("logs", region_name=HOME)
    for name in ("/aws/events/ml-training-runs", "/aws/events/ml-audit"):
        logs.create_log_group(logGroupName=name)
        logs.put_retention_policy(logGroupName=name, retentionInDays=365)
    logs.put_resource_policy(
        policyName=LOGS_RESOURCE_POLICY,
        policyDocument=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": [EVENTS, "delivery.logs.amazonaws.com"]},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": _arn("logs", "log-group:/aws/events/*:*"),
            }
        ),
    )

    # Queues: the DLQ names every rule that uses it; the FIFO one cannot be a DLQ at all.
    dlq_rules = sorted(
        {
            _rule_arn(name, bus)
            for bus, name, _, targets in rules
            for t in targets
            if t.get("DLQ") == EVENTS_DLQ
        }
    )
    for name, attributes in (
        (
            EVENTS_DLQ,
            {
                "Policy": _doc(
                    _allow_rules(
                        "EventBridgeDeadLetters", "sqs:SendMessage", _arn("sqs", EVENTS_DLQ), dlq_rules
                    )
                )
            },
        ),
        (FIFO_DLQ, {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        (
            "ml-training-jobs",
            {
                "SqsManagedSseEnabled": "true",
                "Policy": _doc(
                    _allow_rules(
                        "TrainingJobEvents",
                        "sqs:SendMessage",
                        _arn("sqs", "ml-training-jobs"),
                        [_rule_arn("training-job-state-change")],
                    )
                ),
            },
        ),
        ("ml-batch-scoring-requests", {"SqsManagedSseEnabled": "true"}),
    ):
        sqs.create_queue(QueueName=name, Attributes=attributes)

    # The alerts topic: its policy lets the rule publish, but its key leaves EventBridge out
    # (the default key policy names only the account).
    kms = session.client("kms", region_name=HOME)
    key = kms.create_key(Description="ML model alerts topic")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/ml-model-alerts", TargetKeyId=key)
    sns = session.client("sns", region_name=HOME)
    topic = sns.create_topic(Name="ml-model-alerts", Attributes={"KmsMasterKeyId": "alias/ml-model-alerts"})[
        "TopicArn"
    ]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=_doc(
            _allow_rules("ModelApprovalAlerts", "sns:Publish", topic, [_rule_arn("model-package-approved")])
        ),
    )

    # Function permissions: scoped to the rule; unscoped (any account's rule); and on the
    # unqualified function while the rule targets the alias.
    lam.add_permission(
        FunctionName="score-features",
        StatementId="feature-drift-detected",
        Action="lambda:InvokeFunction",
        Principal=EVENTS,
        SourceArn=_rule_arn("feature-drift-detected", EVENTS_BUS),
    )
    lam.add_permission(
        FunctionName="batch-ingest",
        StatementId="AllowEventBridgeInvoke",
        Action="lambda:InvokeFunction",
        Principal=EVENTS,
    )
    lam.add_permission(
        FunctionName="score-features",
        StatementId="model-package-approved",
        Action="lambda:InvokeFunction",
        Principal=EVENTS,
        SourceArn=_rule_arn("model-package-approved"),
    )

    # Buses: the platform bus admits the labelling vendor only; a test statement left on the
    # default bus lets every AWS account put events (deliberate finding, EB009).
    events = session.client("events", region_name=HOME)
    events.create_event_bus(Name=EVENTS_BUS)
    events.put_permission(
        EventBusName=EVENTS_BUS,
        Action="events:PutEvents",
        Principal=PARTNER_ACCOUNT,
        StatementId="LabellingVendorPutEvents",
    )
    events.put_permission(
        EventBusName="default", Action="events:PutEvents", Principal="*", StatementId="CrossAccountTest"
    )
    for bus, name, trigger, targets in rules:
        events.put_rule(Name=name, EventBusName=bus, State="ENABLED", **trigger)
        entries = []
        for target in targets:
            entry = {k: v for k, v in target.items() if k != "DLQ"}
            if target.get("DLQ"):
                entry["DeadLetterConfig"] = {"Arn": _queue(target["DLQ"])}
                entry["RetryPolicy"] = {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600}
            entries.append(entry)
        failed = events.put_targets(Rule=name, EventBusName=bus, Targets=entries)["FailedEntryCount"]
        assert not failed, f"put_targets {bus}/{name}"
    return {
        "aliases": [f"{facts['functions']['score-features']}:prod"],
        "event_buses": ["default", EVENTS_BUS],
        "event_rules": {name: _rule_arn(name, bus) for bus, name, _, _ in rules},
    }
