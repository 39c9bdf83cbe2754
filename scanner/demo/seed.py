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
                    "InitialInstanceCount": 2,
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
