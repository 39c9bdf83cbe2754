"""CloudTrail (CT001-CT008) and data-event (DE001-DE005) rules on Terraform plan JSON.

One test per rule x status (fail / pass / unknown) on a plan document built here, scanned
through `scan_iac` as `terraform show -json plan.out > plan.json` would be. The builder
writes what scanner/sources/terraform/plan.py reads: `planned_values.root_module` (resources
and child_modules), `resource_changes[].change.after_unknown` and the `configuration`
expressions' `references`. A value marked AFTER_APPLY is left out of the planned values
(Terraform omits unknown attributes and nulls unknown list elements) and flagged in
`after_unknown`, exactly as Terraform writes a value "known after apply".

RULES.md: per-trail rules (CT002-CT007, DE005) give one result per planned trail, addressed by
its plan address; CT001, CT008 and DE001-DE003 one result per plan (a configuration) on its
first trail; DE004 one per aws_sagemaker_endpoint_configuration. `unknown` says why.

Cells with no `unknown` test here: CT006 and CT007 only ask whether a KMS key / log group
is set. In a plan every value is either literal or "known after apply" from an expression
the plan itself contains (root variables always have values, remote modules are expanded),
and opscheck reads a value known after apply as set (a Reference), as it reads
`kms_key_id = aws_kms_key.k.arn` in HCL. The tests below pin that reading
(`test_ct006_kms_key_known_after_apply_is_set`,
`test_ct007_log_group_known_after_apply_is_set`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Result
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import rules

AFTER_APPLY = object()  # a value Terraform knows only after apply
_OMIT = object()

TRAIL_DEFAULTS: dict[str, Any] = {
    # What the provider (v6) plans for an aws_cloudtrail whose block sets nothing else.
    "enable_logging": True,
    "is_multi_region_trail": False,
    "enable_log_file_validation": False,
    "include_global_service_events": True,
    "is_organization_trail": False,
    "kms_key_id": None,
    "cloud_watch_logs_group_arn": None,
    "cloud_watch_logs_role_arn": None,
    "sns_topic_name": None,
    "s3_key_prefix": None,
    "event_selector": [],
    "advanced_event_selector": [],
    "insight_selector": [],
    "tags": None,
}
TRAIL_COMPUTED = ("arn", "id", "home_region", "tags_all")


# -- the plan builder ------------------------------------------------------------------------


def _split(value: Any) -> tuple[Any, Any]:
    """(planned value, after_unknown flags) of a value that may hold AFTER_APPLY markers."""
    if value is AFTER_APPLY:
        return _OMIT, True
    if isinstance(value, dict):
        known, flags = {}, {}
        for key, item in value.items():
            k, f = _split(item)
            if k is not _OMIT:
                known[key] = k
            if f:
                flags[key] = f
        return known, flags
    if isinstance(value, list):
        parts = [_split(item) for item in value]
        known = [None if k is _OMIT else k for k, _ in parts]
        flags = [f if f else False for _, f in parts]
        return known, (flags if any(flags) else [])
    return value, False


def refs(*names: str) -> dict[str, list[str]]:
    """A configuration expression that refers to `names` (most specific first, as Terraform)."""
    return {"references": list(names)}


def resource(
    address: str,
    tf_type: str,
    values: dict[str, Any],
    *,
    expressions: dict[str, Any] | None = None,
    computed: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One planned resource: `values` may hold AFTER_APPLY; `computed` attributes are
    known only after apply (ids, ARNs), as on every resource being created."""
    return {
        "address": address,
        "type": tf_type,
        "values": {**values, **dict.fromkeys(computed, AFTER_APPLY)},
        "expressions": expressions or {},
    }


def trail(
    address: str = "aws_cloudtrail.t", *, expressions: dict[str, Any] | None = None, **values: Any
) -> dict[str, Any]:
    name = address.rsplit(".", 1)[-1].split("[")[0]
    return resource(
        address,
        "aws_cloudtrail",
        {"name": name, "s3_bucket_name": "audit-logs", **TRAIL_DEFAULTS, **values},
        expressions=expressions,
        computed=TRAIL_COMPUTED,
    )


def _module_path(address: str) -> tuple[list[str], str]:
    """'module.a.module.b.aws_x.y[0]' -> (['a', 'b'], 'aws_x.y[0]')."""
    parts = address.split(".")
    names = []
    while len(parts) > 2 and parts[0] == "module":
        names.append(parts[1])
        parts = parts[2:]
    return names, ".".join(parts)


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    """A `terraform show -json` document holding `resources` (modules from their addresses)."""
    planned: dict[str, Any] = {"resources": []}
    config: dict[str, Any] = {"resources": []}
    changes = []
    for r in resources:
        after, after_unknown = _split(r["values"])
        modules, local = _module_path(r["address"])
        tf_type, name = local.split("[")[0].split(".")
        entry = {"address": r["address"], "mode": "managed", "type": tf_type, "name": name, "values": after}
        node, conf = planned, config
        for depth in range(len(modules)):
            child_address = ".".join(f"module.{m}" for m in modules[: depth + 1])
            children = node.setdefault("child_modules", [])
            found = [c for c in children if c["address"] == child_address]
            if not found:
                children.append({"address": child_address, "resources": []})
            node = found[0] if found else children[-1]
            call = conf.setdefault("module_calls", {}).setdefault(
                modules[depth], {"source": f"./modules/{modules[depth]}", "module": {"resources": []}}
            )
            conf = call["module"]
        node["resources"].append(entry)
        config_address = f"{tf_type}.{name}"
        if not any(c["address"] == config_address for c in conf["resources"]):
            conf["resources"].append(
                {
                    "address": config_address,
                    "mode": "managed",
                    "type": tf_type,
                    "name": name,
                    "expressions": r["expressions"],
                }
            )
        changes.append(
            {
                "address": r["address"],
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": after_unknown,
                },
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": planned},
        "resource_changes": changes,
        "configuration": {"root_module": config},
    }


def scan(tmp_path: Path, document: dict[str, Any], *rule_ids: str) -> ScanOutcome:
    path = tmp_path / "plan" / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    outcome = scan_iac([path], rules(*rule_ids), tmp_path)
    assert outcome.fatal is None
    assert outcome.errors == [], outcome.errors
    return outcome


def one(outcome: ScanOutcome, rule_id: str, resource_id: str) -> Result:
    found = [r for r in outcome.results if r.rule_id == rule_id]
    assert [r.resource.id for r in found] == [resource_id], found
    return found[0]


def verdict(tmp_path: Path, rule_id: str, subject: str, *resources: dict[str, Any]) -> Result:
    result = one(scan(tmp_path, plan(*resources), rule_id), rule_id, subject)
    assert result.location is not None and result.location.path == "plan/plan.json"
    return result


T = "aws_cloudtrail.t"


def test_builder_writes_what_terraform_writes_for_a_value_known_after_apply():
    doc = plan(
        trail(
            is_multi_region_trail=AFTER_APPLY, event_selector=[{"data_resource": [{"values": [AFTER_APPLY]}]}]
        )
    )
    [planned] = doc["planned_values"]["root_module"]["resources"]
    assert "is_multi_region_trail" not in planned["values"]
    assert planned["values"]["event_selector"] == [{"data_resource": [{"values": [None]}]}]
    unknown = doc["resource_changes"][0]["change"]["after_unknown"]
    assert unknown["is_multi_region_trail"] is True
    assert unknown["event_selector"] == [{"data_resource": [{"values": [True]}]}]
    assert unknown["arn"] is True and "kms_key_id" not in unknown


# -- CT001 (configuration level, on the first trail) ------------------------------------------


def test_ct001_fail_without_a_multi_region_trail(tmp_path):
    result = verdict(tmp_path, "CT001", T, trail())
    assert result.status == "fail"
    assert "none qualifies" in result.message


def test_ct001_pass_with_a_multi_region_logging_trail_recording_all_management_events(tmp_path):
    result = verdict(tmp_path, "CT001", T, trail(is_multi_region_trail=True))
    assert result.status == "pass"


def test_ct001_unknown_when_logging_is_known_after_apply(tmp_path):
    result = verdict(
        tmp_path,
        "CT001",
        T,
        trail(
            is_multi_region_trail=True,
            enable_logging=AFTER_APPLY,
            expressions={"enable_logging": refs("var.logging")},
        ),
    )
    assert result.status == "unknown"
    assert "var.logging" in result.message


def test_ct001_is_on_the_first_trail_and_counts_a_trail_in_a_module(tmp_path):
    outcome = scan(
        tmp_path,
        plan(trail("aws_cloudtrail.a"), trail("module.audit.aws_cloudtrail.org", is_multi_region_trail=True)),
        "CT001",
    )
    result = one(outcome, "CT001", "aws_cloudtrail.a")
    assert result.status == "pass"
    assert "org" in result.message


# -- CT002-CT007 (per trail) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(False, "fail"), (True, "pass"), (AFTER_APPLY, "unknown")],
    ids=["fail", "pass", "unknown"],
)
def test_ct002_multi_region(tmp_path, value, expected):
    result = verdict(tmp_path, "CT002", T, trail(is_multi_region_trail=value))
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "known after apply" in result.message and "IsMultiRegionTrail" in result.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(False, "fail"), (True, "pass"), (AFTER_APPLY, "unknown")],
    ids=["fail", "pass", "unknown"],
)
def test_ct003_logging(tmp_path, value, expected):
    address = "module.audit.aws_cloudtrail.this"
    t = trail(address, enable_logging=value, expressions={"enable_logging": refs("var.enable_logging")})
    result = verdict(tmp_path, "CT003", address, t)
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "var.enable_logging" in result.message  # named after the module's expression


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ([{"read_write_type": "WriteOnly", "include_management_events": True}], "fail"),
        ([{"read_write_type": "All", "include_management_events": False}], "fail"),
        ([], "pass"),
        ([{"read_write_type": "All", "include_management_events": True}], "pass"),
    ],
    ids=["write-only", "no-management", "no-selectors", "all"],
)
def test_ct004_management_events(tmp_path, selectors, expected):
    result = verdict(tmp_path, "CT004", T, trail(event_selector=selectors))
    assert result.status == expected, result.message


READ_WRITE_AFTER_APPLY = [{"read_write_type": AFTER_APPLY, "include_management_events": True}]


def test_ct004_unknown_when_read_write_type_is_known_after_apply(tmp_path):
    t = trail(
        event_selector=READ_WRITE_AFTER_APPLY,
        expressions={"event_selector": [{"read_write_type": refs("var.rw")}]},
    )
    result = verdict(tmp_path, "CT004", T, t)
    assert result.status == "unknown"
    assert "management coverage is unknown" in result.message
    # The reason is in the evidence and in the message (tested below).
    assert result.evidence["notes"] == [
        "classic selector #1.ReadWriteType is known only after deployment (var.rw)"
    ]


def test_ct004_unknown_message_names_the_value_known_after_apply(tmp_path):
    t = trail(
        event_selector=READ_WRITE_AFTER_APPLY,
        expressions={"event_selector": [{"read_write_type": refs("var.rw")}]},
    )
    result = verdict(tmp_path, "CT004", T, t)
    assert result.status == "unknown"
    assert "ReadWriteType" in result.message and "var.rw" in result.message


def test_ct004_whole_selector_block_known_after_apply_is_unknown(tmp_path):
    # A dynamic "event_selector" over a computed collection: the whole block list is unknown.
    result = verdict(tmp_path, "CT004", T, trail(event_selector=AFTER_APPLY))
    assert result.status == "unknown"
    assert "event_selector (known after apply)" in result.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(False, "fail"), (True, "pass"), (AFTER_APPLY, "unknown")],
    ids=["fail", "pass", "unknown"],
)
def test_ct005_log_file_validation(tmp_path, value, expected):
    t = trail(
        enable_log_file_validation=value, expressions={"enable_log_file_validation": refs("var.validate")}
    )
    result = verdict(tmp_path, "CT005", T, t)
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "var.validate" in result.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "fail"), ("arn:aws:kms:us-east-1:111122223333:key/0c2b5d7e-1111-2222-3333-444455556666", "pass")],
    ids=["fail", "pass"],
)
def test_ct006_kms_key(tmp_path, value, expected):
    result = verdict(tmp_path, "CT006", T, trail(kms_key_id=value))
    assert result.status == expected, result.message


def test_ct006_kms_key_known_after_apply_is_set(tmp_path):
    key = resource("aws_kms_key.k", "aws_kms_key", {"enable_key_rotation": True}, computed=("arn", "key_id"))
    t = trail(kms_key_id=AFTER_APPLY, expressions={"kms_key_id": refs("aws_kms_key.k.arn", "aws_kms_key.k")})
    result = verdict(tmp_path, "CT006", T, key, t)
    assert result.status == "pass"
    assert "aws_kms_key.k.arn" in result.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "fail"), ("arn:aws:logs:us-east-1:111122223333:log-group:trail:*", "pass")],
    ids=["fail", "pass"],
)
def test_ct007_cloudwatch_logs(tmp_path, value, expected):
    result = verdict(tmp_path, "CT007", T, trail(cloud_watch_logs_group_arn=value))
    assert result.status == expected, result.message


def test_ct007_log_group_known_after_apply_is_set(tmp_path):
    group = resource(
        "aws_cloudwatch_log_group.g", "aws_cloudwatch_log_group", {"name": "trail"}, computed=("arn",)
    )
    t = trail(
        cloud_watch_logs_group_arn=AFTER_APPLY,
        expressions={
            "cloud_watch_logs_group_arn": refs("aws_cloudwatch_log_group.g.arn", "aws_cloudwatch_log_group.g")
        },
    )
    assert verdict(tmp_path, "CT007", T, group, t).status == "pass"


# -- CT008 (configuration level) ------------------------------------------------------------------

BOTH_INSIGHTS = [{"insight_type": "ApiCallRateInsight"}, {"insight_type": "ApiErrorRateInsight"}]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"is_multi_region_trail": True, "insight_selector": BOTH_INSIGHTS[:1]}, "fail"),
        ({"is_multi_region_trail": False, "insight_selector": BOTH_INSIGHTS}, "fail"),
        ({"is_multi_region_trail": True, "insight_selector": BOTH_INSIGHTS}, "pass"),
    ],
    ids=["one-type", "single-region", "both-on-multi-region"],
)
def test_ct008_insights(tmp_path, values, expected):
    result = verdict(tmp_path, "CT008", T, trail(**values))
    assert result.status == expected, result.message


def test_ct008_unknown_when_multi_region_is_known_after_apply(tmp_path):
    t = trail(
        is_multi_region_trail=AFTER_APPLY,
        insight_selector=BOTH_INSIGHTS,
        expressions={"is_multi_region_trail": refs("var.multi_region")},
    )
    result = verdict(tmp_path, "CT008", T, t)
    assert result.status == "unknown"
    assert "var.multi_region" in result.message


def test_ct008_unknown_when_the_insight_blocks_are_known_after_apply(tmp_path):
    result = verdict(tmp_path, "CT008", T, trail(is_multi_region_trail=True, insight_selector=AFTER_APPLY))
    assert result.status == "unknown"
    assert "insight selector" in result.message


def test_ct008_insight_type_known_after_apply_is_unknown_not_fail(tmp_path):
    t = trail(
        is_multi_region_trail=True,
        insight_selector=[{"insight_type": AFTER_APPLY}, {"insight_type": "ApiErrorRateInsight"}],
        expressions={"insight_selector": [{"insight_type": refs("var.insight_type")}]},
    )
    result = verdict(tmp_path, "CT008", T, t)
    assert result.status == "unknown", result.message


# -- DE001-DE003 (configuration level) ------------------------------------------------------------


def classic(*data_resources: tuple[str, Any], rw: str = "All") -> list[dict[str, Any]]:
    return [
        {
            "read_write_type": rw,
            "include_management_events": True,
            "exclude_management_event_sources": [],
            "data_resource": [{"type": t, "values": v} for t, v in data_resources],
        }
    ]


S3_ALL = ("AWS::S3::Object", ["arn:aws:s3"])
LAMBDA_ALL = ("AWS::Lambda::Function", ["arn:aws:lambda"])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"is_multi_region_trail": True}, {"DE001": "fail", "DE002": "fail", "DE003": "fail"}),
        (
            {"is_multi_region_trail": True, "event_selector": classic(S3_ALL, LAMBDA_ALL)},
            {"DE001": "pass", "DE002": "pass", "DE003": "pass"},
        ),
        (
            {"is_multi_region_trail": True, "event_selector": classic(S3_ALL, rw="ReadOnly")},
            {"DE001": "fail", "DE002": "pass", "DE003": "fail"},
        ),
        (
            {"is_multi_region_trail": False, "event_selector": classic(S3_ALL, LAMBDA_ALL)},
            {"DE001": "fail", "DE002": "fail", "DE003": "fail"},
        ),
    ],
    ids=["no-data-selectors", "all-buckets-and-functions", "read-only", "single-region"],
)
def test_de001_to_de003_decided(tmp_path, values, expected):
    outcome = scan(tmp_path, plan(trail(**values)), "DE001", "DE002", "DE003")
    got = {rule_id: one(outcome, rule_id, T).status.value for rule_id in expected}
    assert got == expected


@pytest.mark.parametrize("rule_id", ["DE001", "DE002"])
def test_de001_de002_unknown_when_the_bucket_values_are_known_after_apply(tmp_path, rule_id):
    t = trail(
        is_multi_region_trail=True,
        event_selector=classic(("AWS::S3::Object", [AFTER_APPLY])),
        expressions={"event_selector": [{"data_resource": [{"values": refs("var.audited_buckets")}]}]},
    )
    result = verdict(tmp_path, rule_id, T, t)
    assert result.status == "unknown"
    assert "known only after deployment (var.audited_buckets)" in result.message


def test_de003_unknown_when_the_function_values_are_known_after_apply(tmp_path):
    t = trail(
        is_multi_region_trail=True,
        event_selector=classic(("AWS::Lambda::Function", AFTER_APPLY)),
    )
    result = verdict(tmp_path, "DE003", T, t)
    assert result.status == "unknown"
    assert "Values is known only after deployment" in result.message


@pytest.mark.parametrize("rule_id", ["DE001", "DE002", "DE003"])
def test_de001_to_de003_unknown_when_multi_region_is_known_after_apply(tmp_path, rule_id):
    t = trail(is_multi_region_trail=AFTER_APPLY, event_selector=classic(S3_ALL, LAMBDA_ALL))
    result = verdict(tmp_path, rule_id, T, t)
    assert result.status == "unknown"
    assert "whether this trail counts is unknown" in result.message
    assert "known after apply" in result.message


# -- DE004 (per endpoint configuration) -------------------------------------------------------------

EC = "aws_sagemaker_endpoint_configuration.ec"


def endpoint_config(**values: Any) -> dict[str, Any]:
    return resource(
        EC,
        "aws_sagemaker_endpoint_configuration",
        {
            "name": "fraud",
            "production_variants": [
                {
                    "variant_name": "main",
                    "model_name": "fraud-model",
                    "instance_type": "ml.m5.large",
                    "initial_instance_count": 2,
                }
            ],
            "data_capture_config": [],
            **values,
        },
        computed=("arn", "id"),
    )


def sagemaker_selector(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "endpoint invocations",
            "field_selector": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::SageMaker::Endpoint"]},
                *extra,
            ],
        }
    ]


def test_de004_fail_without_an_endpoint_data_selector(tmp_path):
    result = verdict(tmp_path, "DE004", EC, trail(is_multi_region_trail=True), endpoint_config())
    assert (result.status, result.severity) == ("fail", "medium")
    assert result.resource.type == "AWS::SageMaker::EndpointConfig"


def test_de004_fail_at_low_with_data_capture_on(tmp_path):
    capture = [
        {
            "enable_capture": True,
            "initial_sampling_percentage": 10,
            "destination_s3_uri": "s3://capture/fraud",
            "capture_options": [{"capture_mode": "Input"}],
        }
    ]
    result = verdict(tmp_path, "DE004", EC, trail(), endpoint_config(data_capture_config=capture))
    assert (result.status, result.severity) == ("fail", "low")


def test_de004_pass_with_a_logging_trail_recording_endpoint_data_events(tmp_path):
    result = verdict(
        tmp_path, "DE004", EC, trail(advanced_event_selector=sagemaker_selector()), endpoint_config()
    )
    assert result.status == "pass", result.message


def test_de004_unknown_with_an_arn_condition_before_deployment(tmp_path):
    arn = {
        "field": "resources.ARN",
        "starts_with": ["arn:aws:sagemaker:us-east-1:111122223333:endpoint/fraud"],
    }
    result = verdict(
        tmp_path, "DE004", EC, trail(advanced_event_selector=sagemaker_selector(arn)), endpoint_config()
    )
    assert result.status == "unknown"
    assert "resources.ARN StartsWith" in result.message


def test_de004_unknown_when_the_arn_condition_value_is_known_after_apply(tmp_path):
    arn = {"field": "resources.ARN", "equals": [AFTER_APPLY]}
    t = trail(
        advanced_event_selector=sagemaker_selector(arn),
        expressions={
            "advanced_event_selector": [
                {
                    "field_selector": [
                        {"equals": refs("aws_sagemaker_endpoint.e.arn", "aws_sagemaker_endpoint.e")}
                    ]
                }
            ]
        },
    )
    result = verdict(tmp_path, "DE004", EC, t, endpoint_config())
    assert result.status == "unknown"
    assert "known only after deployment (aws_sagemaker_endpoint.e.arn)" in result.message


def test_de004_unknown_when_the_trail_logging_is_known_after_apply(tmp_path):
    t = trail(enable_logging=AFTER_APPLY, advanced_event_selector=sagemaker_selector())
    result = verdict(tmp_path, "DE004", EC, t, endpoint_config())
    assert result.status == "unknown"
    assert "whether this trail counts is unknown" in result.message


def test_de004_single_region_trail_does_not_cover_an_endpoint_configuration_of_another_region(tmp_path):
    t = trail(region="us-east-1", is_multi_region_trail=False, advanced_event_selector=sagemaker_selector())
    result = verdict(tmp_path, "DE004", EC, t, endpoint_config(region="eu-west-1"))
    assert result.status == "fail", result.message


# -- DE005 (per trail) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_resources", "expected"),
    [
        ((("AWS::S3::Object", ["arn:aws:s3:::training-data"]),), "fail"),
        ((("AWS::SageMaker::Endpoint", ["arn:aws:sagemaker:us-east-1:111122223333:endpoint/x"]),), "fail"),
        ((("AWS::S3::Object", ["arn:aws:s3:::training-data/"]),), "pass"),
        ((S3_ALL, LAMBDA_ALL), "pass"),
    ],
    ids=["bucket-without-slash", "sagemaker-in-classic", "bucket-with-slash", "all"],
)
def test_de005_literal_values(tmp_path, data_resources, expected):
    result = verdict(tmp_path, "DE005", T, trail(event_selector=classic(*data_resources)))
    assert result.status == expected, result.message


def test_de005_trail_without_selectors_passes(tmp_path):
    assert verdict(tmp_path, "DE005", T, trail()).status == "pass"


def test_de005_unknown_when_the_selector_blocks_are_known_after_apply(tmp_path):
    result = verdict(tmp_path, "DE005", T, trail(event_selector=AFTER_APPLY))
    assert result.status == "unknown"
    assert "could not be evaluated" in result.message and "known after apply" in result.message


def test_de005_bucket_values_known_after_apply_from_a_module_variable_are_unknown(tmp_path):
    # module "trail" { bucket_arns = [aws_s3_bucket.data.arn] } -> values = var.bucket_arns
    # in the module: the planned value is the bare bucket ARN, which CloudTrail rejects.
    bucket = resource(
        "aws_s3_bucket.data", "aws_s3_bucket", {"bucket": "training-data"}, computed=("arn", "id")
    )
    t = trail(
        "module.trail.aws_cloudtrail.this",
        event_selector=classic(("AWS::S3::Object", [AFTER_APPLY])),
        expressions={"event_selector": [{"data_resource": [{"values": refs("var.bucket_arns")}]}]},
    )
    result = verdict(tmp_path, "DE005", "module.trail.aws_cloudtrail.this", bucket, t)
    assert result.status == "unknown", result.message


def test_de005_type_known_after_apply_is_unknown(tmp_path):
    t = trail(
        event_selector=classic((AFTER_APPLY, ["arn:aws:sagemaker:us-east-1:111122223333:endpoint/x"])),
        expressions={"event_selector": [{"data_resource": [{"type": refs("var.data_type")}]}]},
    )
    result = verdict(tmp_path, "DE005", T, t)
    assert result.status == "unknown", result.message


def test_de005_bucket_arn_with_slash_known_after_apply_is_not_a_fail(tmp_path):
    # values = ["${aws_s3_bucket.data.arn}/"]: valid; the plan only records its references.
    bucket = resource(
        "aws_s3_bucket.data", "aws_s3_bucket", {"bucket": "training-data"}, computed=("arn", "id")
    )
    t = trail(
        event_selector=classic(("AWS::S3::Object", [AFTER_APPLY])),
        expressions={
            "event_selector": [
                {"data_resource": [{"values": refs("aws_s3_bucket.data.arn", "aws_s3_bucket.data")}]}
            ]
        },
    )
    result = verdict(tmp_path, "DE005", T, bucket, t)
    assert result.status == "unknown", result.message
