"""EventBridge rules EB001-EB011 on Terraform plan JSON (`terraform show -json plan.out`).

Each plan is built here as Terraform writes it for resources being created, and scanned
through `scan_iac`. A value "known after apply" is left out of `planned_values`, flagged in
`resource_changes[].change.after_unknown`, and its configuration expression lists the
`references` it is computed from (most specific first). scanner/sources/terraform/plan.py
reads managed resources only: a `data "aws_iam_policy_document"` read while planning shows up
as a literal JSON `policy` on the resource that uses it (the data source itself sits in
`prior_state`), one read only at apply makes that `policy` known after apply, referring to
`data.aws_iam_policy_document.NAME.json`, which opscheck cannot read (unknown).

A plan gives the references of an expression, not the expression (`"${r.arn}"` and
`"${r.arn}-x"` look alike), so a reference read from a plan is partial: opscheck never takes a
`source_arn` referring to a rule for that rule's ARN, nor for another rule's. Passes below
therefore come from unconditioned policies, unscoped permissions and execution roles.

Cells, as "rule: fail | pass | unknown" (target ids of aws_cloudwatch_event_rule.r; for EB008
and EB009 the permission / policy resources), and the test asserting them:
  EB001: none, s3-only | open (permission without source_arn), via-role | scoped (source_arn =
         this rule's arn), other-rule (another rule's), source-after-apply (no reference),
         mystery (target arn known after apply, no reference)   test_eb001_lambda_targets
  EB002: kms (customer key whose policy lacks events.amazonaws.com), no-policy | plain |
         deferred (topic policy from a data source read at apply), mystery   test_eb002_sns_targets
  EB003: bare | from-data (data source read while planning) | deferred, mystery
                                                                test_eb003_sqs_targets
  EB004: with-role | logs | mystery                             test_eb004_logs_targets
         logs with the resource policy known after apply: unknown
                                  test_eb004_unknown_when_the_resource_policy_is_known_after_apply
  EB005: no-role (Kinesis) | good | mystery                     test_eb005_to_eb007_kinesis_roles
  EB006: lambda-trust | good | external (role_arn known after apply, no reference)   (same)
  EB007: reader (no kinesis:PutRecord) | good | deferred (role policy read at apply), external
  EB008: aws_lambda_permission.open (no source_arn/source_account) | .scoped, .account,
         .source_after_apply | .module_principal                test_eb008_lambda_permissions
  EB009: aws_cloudwatch_event_permission.everyone | .org, .partner |
         aws_cloudwatch_event_bus_policy.deferred               test_eb009_bus_policies
  EB010: none | standard, fifo, closed, elsewhere | dynamic (whole block known after apply)
                                                                test_eb010_eb011_dead_letter_queues
  EB011: fifo, closed (no queue policy) | standard | elsewhere (DLQ arn known after apply)  (same)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import Result
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules

# -- the plan builder ------------------------------------------------------------------------


@dataclass(frozen=True)
class AfterApply:
    """A value known only after apply; `refs`: what its configuration expression refers to."""

    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Known:
    """A value known while planning, computed from `refs` (Terraform still lists them)."""

    value: Any
    refs: tuple[str, ...]


AFTER_APPLY = AfterApply()  # known after apply, the expression refers to nothing plan.py can follow
_OMIT = object()


def ref(address: str, attribute: str = "arn") -> AfterApply:
    """`= ADDRESS.ATTRIBUTE` of a resource being created."""
    return AfterApply((f"{address}.{attribute}", address))


def from_data(name: str) -> AfterApply:
    """`= data.aws_iam_policy_document.NAME.json` of a data source read only at apply."""
    return AfterApply((f"data.aws_iam_policy_document.{name}.json", f"data.aws_iam_policy_document.{name}"))


def _split(value: Any) -> tuple[Any, Any, Any]:
    """(planned value, after_unknown flags, configuration expression) of a value."""
    if isinstance(value, AfterApply):
        return _OMIT, True, {"references": list(value.refs)} if value.refs else {}
    if isinstance(value, Known):
        return value.value, False, {"references": list(value.refs)}
    if isinstance(value, dict):
        known, flags, exprs = {}, {}, {}
        for key, item in value.items():
            k, f, e = _split(item)
            if k is not _OMIT:
                known[key] = k
            if f:
                flags[key] = f
            if e:
                exprs[key] = e
        return known, flags, exprs
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):  # nested blocks
        parts = [_split(v) for v in value]
        flags = [f or False for _, f, _ in parts]
        return [k for k, _, _ in parts], (flags if any(flags) else []), [e for _, _, e in parts]
    return value, False, None


def resource(
    address: str, values: dict[str, Any], computed: tuple[str, ...] = ("arn", "id")
) -> dict[str, Any]:
    """A resource being created (or, for `data.` addresses, a data source): `computed`
    attributes the configuration does not set are known only after apply."""
    return {"address": address, "values": values, "computed": computed}


def policy_data(name: str, document: str | None) -> dict[str, Any]:
    """data "aws_iam_policy_document" NAME: read while planning (its JSON given) or at apply."""
    if document is None:
        return resource(f"data.aws_iam_policy_document.{name}", {}, computed=("id", "json"))
    return resource(f"data.aws_iam_policy_document.{name}", {"id": "1", "json": document}, computed=())


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    planned, config, changes, prior = [], [], [], []
    for r in resources:
        mode = "data" if r["address"].startswith("data.") else "managed"
        tf_type, name = r["address"].removeprefix("data.").split(".")
        after, unknown, exprs = _split(r["values"])
        unknown = {**unknown, **dict.fromkeys(r["computed"], True)}
        head = {"address": r["address"], "mode": mode, "type": tf_type, "name": name}
        config.append({**head, "expressions": exprs})
        if mode == "data" and not unknown:  # read while planning: in the prior state only
            prior.append({**head, "values": after})
            continue
        planned.append({**head, "values": after})
        action = "read" if mode == "data" else "create"
        change = {"actions": [action], "before": None, "after": after, "after_unknown": unknown}
        changes.append({**head, "change": change})
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "prior_state": {"values": {"root_module": {"resources": prior}}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def scan(tmp_path: Path, document: dict[str, Any], *rule_ids: str) -> ScanOutcome:
    path = tmp_path / "plan" / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    outcome = scan_iac([path], rules(*rule_ids), tmp_path)
    assert outcome.fatal is None
    assert outcome.errors == [], outcome.errors
    return outcome


def verdicts(outcome: ScanOutcome, rule_id: str) -> dict[str, str]:
    """'resource id/discriminator' (or the resource id alone) -> status, for every result."""
    got: dict[str, str] = {}
    for r in results(outcome, rule_id):
        assert _key(r) not in got, f"two {rule_id} results for {_key(r)}"
        got[_key(r)] = r.status.value
    return got


def _key(result: Result) -> str:
    return result.resource.id + (f"/{result.discriminator}" if result.discriminator else "")


def message(outcome: ScanOutcome, rule_id: str, key: str) -> str:
    [found] = [r for r in results(outcome, rule_id) if _key(r) == key]
    return found.message


# -- shared pieces ------------------------------------------------------------------------------

RULE = "aws_cloudwatch_event_rule.r"
EVENTS = "events.amazonaws.com"
ACCOUNT = "123456789012"
RULE_NAME = Known("nightly", (f"{RULE}.name", RULE))  # the rule's literal name, known while planning


def cell(target_id: str) -> str:
    return f"{RULE}/{target_id}"


def event_rule(address: str = RULE, name: str = "nightly") -> dict[str, Any]:
    return resource(
        address,
        {
            "name": name,
            "schedule_expression": "rate(1 day)",
            "event_bus_name": "default",
            "state": "ENABLED",
            "description": None,
            "event_pattern": None,
            "role_arn": None,
            "tags": None,
        },
        computed=("arn", "id", "name_prefix", "tags_all"),
    )


def target(target_id: str, arn: Any, **values: Any) -> dict[str, Any]:
    """aws_cloudwatch_event_target of rule `nightly` (rule = aws_cloudwatch_event_rule.r.name)."""
    name = target_id.replace("-", "_")
    defaults = {"role_arn": None, "dead_letter_config": [], "retry_policy": [], "input": None}
    return resource(
        f"aws_cloudwatch_event_target.{name}",
        {
            "rule": RULE_NAME,
            "event_bus_name": "default",
            "target_id": target_id,
            "arn": arn,
            **defaults,
            **values,
        },
        computed=("id",),
    )


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: str | list[str], service: str | list[str] | None = EVENTS, **extra: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*", **extra}
    if service is not None:
        statement["Principal"] = {"Service": service}
    return statement


ROOT_ONLY_KEY_POLICY = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)


# -- EB001 / EB008: Lambda targets and permissions --------------------------------------------------


def function(name: str) -> dict[str, Any]:
    return resource(
        f"aws_lambda_function.{name}",
        {"function_name": name, "role": f"arn:aws:iam::{ACCOUNT}:role/lambda", "handler": "h"},
        computed=("arn", "id", "invoke_arn", "qualified_arn", "version"),
    )


def permission(name: str, function_name: str, principal: Any = EVENTS, **values: Any) -> dict[str, Any]:
    return resource(
        f"aws_lambda_permission.{name}",
        {
            "action": "lambda:InvokeFunction",
            "function_name": Known(function_name, (f"aws_lambda_function.{function_name}.function_name",)),
            "principal": principal,
            "source_arn": None,
            "source_account": None,
            "qualifier": None,
            **values,
        },
        computed=("id", "statement_id"),
    )


def lambda_plan() -> dict[str, Any]:
    functions = ("scored", "elsewhere", "pending", "open", "none", "thumbs")
    return plan(
        event_rule(),
        event_rule("aws_cloudwatch_event_rule.other", "other"),
        *(function(f) for f in functions),
        # source_arn = aws_cloudwatch_event_rule.r.arn / .other.arn / a value the plan cannot follow
        permission("scoped", "scored", source_arn=ref(RULE)),
        permission("other_rule", "elsewhere", source_arn=ref("aws_cloudwatch_event_rule.other")),
        permission("source_after_apply", "pending", source_arn=AFTER_APPLY),
        permission("open", "open"),
        permission("account", "open", source_account=ACCOUNT),
        permission("s3", "thumbs", principal="s3.amazonaws.com"),
        permission(
            "module_principal", "open", principal=AfterApply(("module.shared.principal", "module.shared"))
        ),
        target("scoped", ref("aws_lambda_function.scored")),
        target("other-rule", ref("aws_lambda_function.elsewhere")),
        target("source-after-apply", ref("aws_lambda_function.pending")),
        target("open", ref("aws_lambda_function.open")),
        target("none", ref("aws_lambda_function.none")),
        target("s3-only", ref("aws_lambda_function.thumbs")),
        target("via-role", ref("aws_lambda_function.none"), role_arn=f"arn:aws:iam::{ACCOUNT}:role/invoke"),
        target("mystery", AFTER_APPLY),
    )


def test_eb001_lambda_targets(tmp_path):
    out = scan(tmp_path, lambda_plan(), "EB001")
    assert verdicts(out, "EB001") == {
        cell("none"): "fail",
        cell("s3-only"): "fail",
        cell("open"): "pass",
        cell("via-role"): "pass",
        # A plan's reference is partial: neither this rule's ARN nor surely another's.
        cell("scoped"): "unknown",
        cell("other-rule"): "unknown",
        cell("source-after-apply"): "unknown",
        cell("mystery"): "unknown",
    }
    assert "no function policy exists" in message(out, "EB001", cell("none"))
    assert "no statement lets events.amazonaws.com in" in message(out, "EB001", cell("s3-only"))
    assert "permission aws_lambda_permission.open" in message(out, "EB001", cell("open"))
    assert "may allow it" in message(out, "EB001", cell("scoped"))
    assert "may allow it" in message(out, "EB001", cell("other-rule"))
    assert "what the target is cannot be told" in message(out, "EB001", cell("mystery"))


def test_eb008_lambda_permissions(tmp_path):
    out = scan(tmp_path, lambda_plan(), "EB008")
    assert verdicts(out, "EB008") == {
        "aws_lambda_permission.open": "fail",
        "aws_lambda_permission.scoped": "pass",
        "aws_lambda_permission.other_rule": "pass",
        "aws_lambda_permission.source_after_apply": "pass",  # set, though known only after apply
        "aws_lambda_permission.account": "pass",
        "aws_lambda_permission.module_principal": "unknown",
        # aws_lambda_permission.s3 does not concern EventBridge: no result
    }
    assert "no SourceArn or SourceAccount" in message(out, "EB008", "aws_lambda_permission.open")
    assert "SourceArn aws_cloudwatch_event_rule.r.arn" in message(
        out, "EB008", "aws_lambda_permission.scoped"
    )
    assert "module.shared.principal" in message(out, "EB008", "aws_lambda_permission.module_principal")


# -- EB002: SNS targets ------------------------------------------------------------------------------


def topic(name: str, **values: Any) -> dict[str, Any]:
    return resource(
        f"aws_sns_topic.{name}", {"name": name, "kms_master_key_id": None, "fifo_topic": False, **values}
    )


def topic_policy(name: str, policy: Any) -> dict[str, Any]:
    return resource(
        f"aws_sns_topic_policy.{name}",
        {"arn": ref(f"aws_sns_topic.{name}"), "policy": policy},
        computed=("id",),
    )


def test_eb002_sns_targets(tmp_path):
    publish = doc(allow("sns:Publish"))
    document = plan(
        event_rule(),
        resource(
            "aws_kms_key.k",
            {"policy": ROOT_ONLY_KEY_POLICY, "enable_key_rotation": True},
            computed=("arn", "id", "key_id"),
        ),
        topic("kms", kms_master_key_id=ref("aws_kms_key.k")),
        topic_policy("kms", publish),
        topic("plain"),
        topic_policy("plain", publish),
        topic("nopolicy"),
        topic("deferred"),
        policy_data("deferred", None),
        topic_policy("deferred", from_data("deferred")),
        target("kms", ref("aws_sns_topic.kms")),
        target("plain", ref("aws_sns_topic.plain")),
        target("no-policy", ref("aws_sns_topic.nopolicy")),
        target("deferred", ref("aws_sns_topic.deferred")),
        target("mystery", AFTER_APPLY),
    )
    out = scan(tmp_path, document, "EB002")
    assert verdicts(out, "EB002") == {
        cell("kms"): "fail",
        cell("no-policy"): "fail",
        cell("plain"): "pass",
        cell("deferred"): "unknown",
        cell("mystery"): "unknown",
    }
    kms = message(out, "EB002", cell("kms"))
    assert "key aws_kms_key.k does not let events.amazonaws.com call kms:GenerateDataKey" in kms
    assert "no topic policy exists" in message(out, "EB002", cell("no-policy"))
    assert "data.aws_iam_policy_document.deferred.json" in message(out, "EB002", cell("deferred"))
    assert "SNS topic" in message(out, "EB002", cell("mystery"))


# -- EB003: SQS targets ------------------------------------------------------------------------------


def queue(name: str, queue_name: str | None = None, **values: Any) -> dict[str, Any]:
    return resource(
        f"aws_sqs_queue.{name}",
        {
            "name": queue_name or name,
            "fifo_queue": False,
            "content_based_deduplication": False,
            "kms_master_key_id": None,
            "redrive_policy": None,
            **values,
        },
        computed=("arn", "id", "url", "policy", "sqs_managed_sse_enabled", "tags_all"),
    )


def queue_policy(name: str, policy: Any) -> dict[str, Any]:
    return resource(
        f"aws_sqs_queue_policy.{name}",
        {"queue_url": ref(f"aws_sqs_queue.{name}", "id"), "policy": policy},
        computed=("id",),
    )


SEND = doc(allow("sqs:SendMessage"))


def test_eb003_sqs_targets(tmp_path):
    document = plan(
        event_rule(),
        # policy = data.aws_iam_policy_document.from_data.json, read while planning: literal JSON.
        policy_data("from_data", SEND),
        queue("from_data"),
        queue_policy("from_data", Known(SEND, ("data.aws_iam_policy_document.from_data.json",))),
        queue("bare"),
        # The document names the queue's ARN (known after apply): read at apply, unknown here.
        policy_data("deferred", None),
        queue("deferred"),
        queue_policy("deferred", from_data("deferred")),
        target("from-data", ref("aws_sqs_queue.from_data")),
        target("bare", ref("aws_sqs_queue.bare")),
        target("deferred", ref("aws_sqs_queue.deferred")),
        target("mystery", AFTER_APPLY),
    )
    out = scan(tmp_path, document, "EB003")
    assert verdicts(out, "EB003") == {
        cell("bare"): "fail",
        cell("from-data"): "pass",
        cell("deferred"): "unknown",
        cell("mystery"): "unknown",
    }
    assert "no queue policy exists" in message(out, "EB003", cell("bare"))
    deferred = message(out, "EB003", cell("deferred"))
    assert "queue policy aws_sqs_queue_policy.deferred is not known" in deferred
    assert "data.aws_iam_policy_document.deferred.json" in deferred


# -- EB004: CloudWatch Logs targets ------------------------------------------------------------------

WRITE_LOGS = doc(
    allow(["logs:CreateLogStream", "logs:PutLogEvents"], [EVENTS, "delivery.logs.amazonaws.com"])
)


def logs_plan(policy_document: Any, *extra: dict[str, Any]) -> dict[str, Any]:
    return plan(
        event_rule(),
        resource("aws_cloudwatch_log_group.g", {"name": "/aws/events/nightly", "retention_in_days": 30}),
        resource(
            "aws_cloudwatch_log_resource_policy.events",
            {"policy_name": "events", "policy_document": policy_document},
            computed=("id",),
        ),
        target("logs", ref("aws_cloudwatch_log_group.g")),
        *extra,
    )


def test_eb004_logs_targets(tmp_path):
    document = logs_plan(
        WRITE_LOGS,
        target("with-role", ref("aws_cloudwatch_log_group.g"), role_arn=f"arn:aws:iam::{ACCOUNT}:role/logs"),
        target("mystery", AFTER_APPLY),
    )
    out = scan(tmp_path, document, "EB004")
    assert verdicts(out, "EB004") == {
        cell("with-role"): "fail",
        cell("logs"): "pass",
        cell("mystery"): "unknown",
    }
    assert "CloudWatch Logs targets must have none" in message(out, "EB004", cell("with-role"))
    assert "CloudWatch Logs log group" in message(out, "EB004", cell("mystery"))


def test_eb004_unknown_when_the_resource_policy_is_known_after_apply(tmp_path):
    out = scan(tmp_path, logs_plan(from_data("logs"), policy_data("logs", None)), "EB004")
    assert verdicts(out, "EB004") == {cell("logs"): "unknown"}
    assert "data.aws_iam_policy_document.logs.json" in message(out, "EB004", cell("logs"))


# -- EB005-EB007: a Kinesis target and its role --------------------------------------------------------

ASSUME_BY_EVENTS = doc({"Effect": "Allow", "Principal": {"Service": EVENTS}, "Action": "sts:AssumeRole"})
# assume_role_policy = data.aws_iam_policy_document.assume.json, read while planning.
ASSUME = Known(ASSUME_BY_EVENTS, ("data.aws_iam_policy_document.assume.json",))
ASSUME_BY_LAMBDA = doc(
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


def role(name: str, trust: Any, policy: Any) -> list[dict[str, Any]]:
    """aws_iam_role NAME (assume_role_policy from a data source read while planning) and its
    aws_iam_role_policy (role = aws_iam_role.NAME.id)."""
    return [
        resource(
            f"aws_iam_role.{name}",
            {"name": name, "path": "/", "assume_role_policy": trust, "permissions_boundary": None},
            computed=(
                "arn",
                "id",
                "unique_id",
                "create_date",
                "inline_policy",
                "managed_policy_arns",
                "tags_all",
            ),
        ),
        resource(
            f"aws_iam_role_policy.{name}",
            {"name": name, "role": ref(f"aws_iam_role.{name}", "id"), "policy": policy},
            computed=("id",),
        ),
    ]


def stream_target(target_id: str, role_arn: Any = None) -> dict[str, Any]:
    return target(target_id, ref("aws_kinesis_stream.s"), role_arn=role_arn, kinesis_target=[])


def test_eb005_to_eb007_kinesis_roles(tmp_path):
    put = doc(allow("kinesis:PutRecord", service=None))
    describe = doc(allow("kinesis:DescribeStream", service=None))
    document = plan(
        event_rule(),
        policy_data("assume", ASSUME_BY_EVENTS),
        resource("aws_kinesis_stream.s", {"name": "clicks", "shard_count": 1}),
        *role("good", ASSUME, put),
        *role("lambda_trust", ASSUME_BY_LAMBDA, put),
        *role("reader", ASSUME, describe),
        *role("deferred", ASSUME, from_data("put")),
        policy_data("put", None),
        stream_target("no-role"),
        stream_target("good", ref("aws_iam_role.good")),
        stream_target("lambda-trust", ref("aws_iam_role.lambda_trust")),
        stream_target("reader", ref("aws_iam_role.reader")),
        stream_target("deferred", ref("aws_iam_role.deferred")),
        stream_target("external", AFTER_APPLY),
        target("mystery", AFTER_APPLY),
    )
    out = scan(tmp_path, document, "EB005", "EB006", "EB007")
    assert verdicts(out, "EB005") == {
        cell("no-role"): "fail",
        cell("good"): "pass",
        cell("lambda-trust"): "pass",
        cell("reader"): "pass",
        cell("deferred"): "pass",
        cell("external"): "pass",  # a role is set, known only after apply
        cell("mystery"): "unknown",
    }
    assert verdicts(out, "EB006") == {
        cell("lambda-trust"): "fail",
        cell("good"): "pass",
        cell("reader"): "pass",
        cell("deferred"): "pass",
        cell("external"): "unknown",
    }
    assert verdicts(out, "EB007") == {
        cell("reader"): "fail",
        cell("good"): "pass",
        cell("lambda-trust"): "pass",
        cell("deferred"): "unknown",
        cell("external"): "unknown",
    }
    assert "Kinesis data stream only through one" in message(out, "EB005", cell("no-role"))
    assert "nor whether it needs a role" in message(out, "EB005", cell("mystery"))
    assert "does not let events.amazonaws.com assume it" in message(out, "EB006", cell("lambda-trust"))
    assert "is not declared in the scanned files" in message(out, "EB006", cell("external"))
    assert "do not allow kinesis:PutRecord" in message(out, "EB007", cell("reader"))
    assert "data.aws_iam_policy_document.put.json" in message(out, "EB007", cell("deferred"))


# -- EB009: event bus policies ---------------------------------------------------------------------


def bus_permission(
    name: str, principal: str, condition: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return resource(
        f"aws_cloudwatch_event_permission.{name}",
        {
            "principal": principal,
            "statement_id": name,
            "action": "events:PutEvents",
            "event_bus_name": "central",
            "condition": condition or [],
        },
        computed=("id",),
    )


def test_eb009_bus_policies(tmp_path):
    document = plan(
        resource("aws_cloudwatch_event_bus.central", {"name": "central", "event_source_name": None}),
        bus_permission("everyone", "*"),
        bus_permission(
            "org", "*", [{"key": "aws:PrincipalOrgID", "type": "StringEquals", "value": "o-abc123"}]
        ),
        bus_permission("partner", "210987654321"),
        policy_data("bus", None),
        resource(
            "aws_cloudwatch_event_bus_policy.deferred",
            {"event_bus_name": "central", "policy": from_data("bus")},
            computed=("id",),
        ),
    )
    out = scan(tmp_path, document, "EB009")
    assert verdicts(out, "EB009") == {
        "aws_cloudwatch_event_permission.everyone": "fail",
        "aws_cloudwatch_event_permission.org": "pass",
        "aws_cloudwatch_event_permission.partner": "pass",
        "aws_cloudwatch_event_bus_policy.deferred": "unknown",
    }
    assert "lets any AWS account put events" in message(
        out, "EB009", "aws_cloudwatch_event_permission.everyone"
    )
    deferred = message(out, "EB009", "aws_cloudwatch_event_bus_policy.deferred")
    assert "the policy is not known (data.aws_iam_policy_document.bus.json)" in deferred


# -- EB010 / EB011: dead-letter queues --------------------------------------------------------------

TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"


def dlq_target(target_id: str, dead_letter_config: Any) -> dict[str, Any]:
    return target(target_id, TOPIC_ARN, dead_letter_config=dead_letter_config)


def test_eb010_eb011_dead_letter_queues(tmp_path):
    document = plan(
        event_rule(),
        queue("standard"),
        queue_policy("standard", SEND),
        queue("fifo", queue_name="events-dlq.fifo", fifo_queue=True),
        queue("closed"),
        dlq_target("standard", [{"arn": ref("aws_sqs_queue.standard")}]),
        dlq_target("fifo", [{"arn": ref("aws_sqs_queue.fifo")}]),
        dlq_target("closed", [{"arn": ref("aws_sqs_queue.closed")}]),
        dlq_target("none", []),
        dlq_target("elsewhere", [{"arn": AFTER_APPLY}]),
        # dynamic "dead_letter_config" over a value known after apply: the whole block is unknown.
        dlq_target("dynamic", AFTER_APPLY),
    )
    out = scan(tmp_path, document, "EB010", "EB011")
    assert verdicts(out, "EB010") == {
        cell("none"): "fail",
        cell("standard"): "pass",
        cell("fifo"): "pass",
        cell("closed"): "pass",
        cell("elsewhere"): "pass",  # a DLQ is set, known only after apply
        cell("dynamic"): "unknown",
    }
    assert verdicts(out, "EB011") == {
        cell("fifo"): "fail",
        cell("closed"): "fail",
        cell("standard"): "pass",
        cell("elsewhere"): "unknown",
        # `none` has no DLQ and `dynamic` may have none: EB010 reports them.
    }
    assert "has no dead-letter queue" in message(out, "EB010", cell("none"))
    assert "dead_letter_config (known after apply)" in message(out, "EB010", cell("dynamic"))
    assert "is a FIFO queue" in message(out, "EB011", cell("fifo"))
    assert "does not let EventBridge send to it" in message(out, "EB011", cell("closed"))
    elsewhere = message(out, "EB011", cell("elsewhere"))
    assert "dead_letter_config.arn (known after apply)" in elsewhere and "not known" in elsewhere


# -- the builder -------------------------------------------------------------------------------------


def test_builder_writes_what_terraform_writes():
    document = plan(
        policy_data("read", SEND),
        policy_data("later", None),
        dlq_target("t", [{"arn": ref("aws_sqs_queue.q")}]),
    )
    [data_later, planned] = document["planned_values"]["root_module"]["resources"]
    assert data_later["mode"] == "data" and data_later["values"] == {}
    assert planned["values"]["dead_letter_config"] == [{}]
    [prior] = document["prior_state"]["values"]["root_module"]["resources"]
    assert prior["address"] == "data.aws_iam_policy_document.read" and prior["values"]["json"] == SEND
    read, change = document["resource_changes"]
    assert read["change"]["actions"] == ["read"] and read["change"]["after_unknown"]["json"] is True
    assert change["change"]["after_unknown"] == {"dead_letter_config": [{"arn": True}], "id": True}
    expressions = document["configuration"]["root_module"]["resources"][2]["expressions"]
    assert expressions["dead_letter_config"] == [
        {"arn": {"references": ["aws_sqs_queue.q.arn", "aws_sqs_queue.q"]}}
    ]


# -- an update plan: resources that exist already have literal ARNs ---------------------------------


def test_an_update_plan_names_existing_resources_by_their_planned_arns(tmp_path):
    """When the rule and queues exist, the plan gives their ARNs, and the target and the
    policies name them by those literals: the queue is still the declared one, and a
    policy scoped to this rule's ARN is judged for it (pass) or for another rule (fail)."""
    region = f"us-east-1:{ACCOUNT}"
    rule_arn, other_rule = f"arn:aws:events:{region}:rule/nightly", f"arn:aws:events:{region}:rule/other"

    def existing_queue(name: str, source_arn: str) -> dict[str, Any]:
        arn = f"arn:aws:sqs:{region}:{name}"
        scoped = doc(allow("sqs:SendMessage", Condition={"ArnEquals": {"aws:SourceArn": source_arn}}))
        values = {"name": name, "fifo_queue": False, "kms_master_key_id": None, "arn": arn, "policy": scoped}
        return resource(f"aws_sqs_queue.{name}", values, computed=())

    rule = event_rule()
    rule["values"]["arn"], rule["computed"] = rule_arn, ()
    document = plan(
        rule,
        existing_queue("orders", rule_arn),
        existing_queue("refunds", other_rule),
        target(
            "orders",
            Known(f"arn:aws:sqs:{region}:orders", ("aws_sqs_queue.orders.arn", "aws_sqs_queue.orders")),
        ),
        target(
            "refunds",
            Known(f"arn:aws:sqs:{region}:refunds", ("aws_sqs_queue.refunds.arn", "aws_sqs_queue.refunds")),
        ),
    )
    out = scan(tmp_path, document, "EB003")
    assert verdicts(out, "EB003") == {cell("orders"): "pass", cell("refunds"): "fail"}
