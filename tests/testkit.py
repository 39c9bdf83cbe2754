"""Helpers for tests: seed the emulator, scan it like a live account, inject AWS faults."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from scanner import engine
from scanner.model import Result
from scanner.results import ScanOutcome
from scanner.rule import Rule
from scanner.scan import scan_aws
from scanner.sources.aws.session import AwsOptions

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, discovered through the `opscheck.rules` entry points (the plugin path)."""
    ruleset = engine.discover()
    assert not ruleset.errors, ruleset.errors
    return tuple(ruleset.rules)


def rules(*ids: str) -> list[Rule]:
    return engine.select(list(all_rules()), ids)


def live_scan(session: boto3.Session, *ids: str, regions: Iterable[str] = REGIONS) -> ScanOutcome:
    return scan_aws(
        AwsOptions(session=session, regions=list(regions)), rules(*ids) if ids else list(all_rules())
    )


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Files under `root` (relative names, parents created), their text dedented."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def results(outcome: ScanOutcome, rule_id: str) -> list[Result]:
    return [r for r in outcome.results if r.rule_id == rule_id]


def one(outcome: ScanOutcome, rule_id: str, resource_id: str | None = None) -> Result:
    found = [r for r in results(outcome, rule_id) if resource_id is None or r.resource.id == resource_id]
    assert len(found) == 1, f"expected one {rule_id} result for {resource_id}, got {found}"
    return found[0]


def by_resource(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    return {r.resource.id: r.status.value for r in results(outcome, rule_id)}


# -- seeding -----------------------------------------------------------------------------------


def trail_arn(name: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def bucket(session: boto3.Session, name: str, region: str = "us-east-1") -> str:
    s3 = session.client("s3", region_name=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    return name


def trail(
    session: boto3.Session,
    name: str,
    *,
    region: str = "us-east-1",
    multi_region: bool = True,
    logging: bool = True,
    bucket_name: str | None = None,
    classic: list[dict[str, Any]] | None = None,
    advanced: list[dict[str, Any]] | None = None,
    insights: list[str] | None = None,
    **extra: Any,
) -> str:
    """Create a trail (and its bucket) and return its ARN."""
    bucket_name = bucket_name or f"{name}-logs-bucket"
    existing = {b["Name"] for b in session.client("s3", region_name="us-east-1").list_buckets()["Buckets"]}
    if bucket_name not in existing:
        bucket(session, bucket_name)
    ct = session.client("cloudtrail", region_name=region)
    arn = ct.create_trail(Name=name, S3BucketName=bucket_name, IsMultiRegionTrail=multi_region, **extra)[
        "TrailARN"
    ]
    if logging:
        ct.start_logging(Name=name)
    if classic is not None:
        ct.put_event_selectors(TrailName=name, EventSelectors=classic)
    if advanced is not None:
        ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    if insights:
        ct.put_insight_selectors(TrailName=name, InsightSelectors=[{"InsightType": t} for t in insights])
    return arn


def management_selector(name: str = "Management events") -> dict[str, Any]:
    return {"Name": name, "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}


def data_selector(resource_type: str, name: str = "data", **conditions: Any) -> dict[str, Any]:
    """An advanced data selector; keyword arguments: arn_starts_with=[...], arn_equals=[...], read_only="true"."""
    fields: list[dict[str, Any]] = [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": [resource_type]},
    ]
    ops = {"arn_starts_with": "StartsWith", "arn_equals": "Equals", "arn_not_starts_with": "NotStartsWith"}
    for key, op in ops.items():
        if key in conditions:
            fields.append({"Field": "resources.ARN", op: conditions[key]})
    if "read_only" in conditions:
        fields.append({"Field": "readOnly", "Equals": [conditions["read_only"]]})
    for field_name, values in conditions.get("extra", {}).items():
        fields.append({"Field": field_name, **values})
    return {"Name": name, "FieldSelectors": fields}


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


def function(session: boto3.Session, name: str, region: str = "us-east-1") -> str:
    iam = session.client("iam", region_name="us-east-1")
    try:
        role = iam.get_role(RoleName="test-lambda-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="test-lambda-role", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]["Arn"]
    return session.client("lambda", region_name=region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]


def endpoint(session: boto3.Session, name: str, *, capture: bool = False, region: str = "us-east-1") -> str:
    sm = session.client("sagemaker", region_name=region)
    sm.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        PrimaryContainer={"Image": "img:1"},
    )
    config: dict[str, Any] = {
        "EndpointConfigName": f"{name}-config",
        "ProductionVariants": [
            {
                "VariantName": "v",
                "ModelName": f"{name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    }
    if capture:
        config["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": 10,
            "DestinationS3Uri": "s3://x/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        }
    sm.create_endpoint_config(**config)
    return sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")["EndpointArn"]


# -- fault injection -------------------------------------------------------------------------

Matcher = Callable[[dict[str, Any]], bool]


def inject_error(
    session: boto3.Session,
    operation: str,
    code: str,
    *,
    service_id: str = "*",
    match: Matcher | None = None,
    message: str = "injected by the test",
    status: int = 400,
) -> None:
    """Make `operation` fail with `code` (before anything is sent), optionally only when
    `match(request_dict)` is true."""

    def handler(params: dict[str, Any], **_: Any) -> Any:
        if match is not None and not match(params):
            return None
        response = AWSResponse("https://injected.invalid", status, {}, None)
        return response, {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    session.events.register(f"before-call.{service_id}.{operation}", handler)


def inject_response(
    session: boto3.Session,
    operation: str,
    parsed: dict[str, Any],
    *,
    match: Matcher | None = None,
    service_id: str = "*",
) -> None:
    """Answer `operation` with `parsed` (a successful response) instead of the emulator."""

    def handler(params: dict[str, Any], **_: Any) -> Any:
        if match is not None and not match(params):
            return None
        return AWSResponse("https://injected.invalid", 200, {}, None), {
            **parsed,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    session.events.register(f"before-call.{service_id}.{operation}", handler)


def body_contains(text: str) -> Matcher:
    return lambda params: text.encode() in (params.get("body") or b"")


def add_to_response(
    session: boto3.Session, operation: str, mutate: Callable[[dict[str, Any]], None], service_id: str = "*"
) -> None:
    """Change a parsed response after the emulator answered (e.g. add an organization trail)."""

    def handler(parsed: dict[str, Any], **_: Any) -> None:
        mutate(parsed)

    session.events.register(f"after-call.{service_id}.{operation}", handler)
