"""Property-based fuzzing of the IaC loaders (issue 10, part 2): Terraform HCL, Terraform plan
JSON and CloudFormation (JSON and YAML), each from generated text and from good documents
with one value replaced by an arbitrary one.

Whatever the input: the scan finishes, says nothing of an internal error, every scan error
names the fuzzed file (with a line inside it, if any), every result is located in that file,
the JSON document is UTF-8 text, and the exit code is one INTERFACE.md allows.

Derandomized (the same examples on every run, so CI is reproducible); the full set
(`make reliability`) runs ten times as many.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iac_corpus import GOOD_TF, GOOD_YAML, plan_document, plan_resource, scan_in_process

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"
EXAMPLES = 500 if FULL else 40
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
HANG_S = 60
# Every example scanned: (loader, what the scanner did, seconds), tallied by the last test
# (the tally fixture is per test, and hypothesis runs many examples in one).
FUZZED: list[tuple[str, str, float]] = []
LOADERS = {".tf": "Terraform HCL", ".tf.json": "Terraform JSON", "plan.json": "plan JSON"}


def _loader(name: str) -> str:
    for suffix, loader in LOADERS.items():
        if name.endswith(suffix):
            return loader
    return "CloudFormation YAML" if name.endswith(".yaml") else "CloudFormation JSON"


def scan_one(name: str, content: bytes) -> None:
    """Scan a directory holding only `name`, and check the properties every input must keep."""
    root = Path(tempfile.mkdtemp(prefix="iac-fuzz-"))
    try:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        scan = scan_in_process(root, trace=False)  # also: the output is UTF-8 text
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert "internal error" not in scan.stderr and "Traceback" not in scan.stderr, scan.stderr
    assert scan.code in (0, 1, 2), scan.code
    assert scan.seconds < HANG_S
    doc = scan.doc
    lines = content.count(b"\n") + 1
    for error in doc["scan"]["errors"]:
        if error["kind"] == "config" and "path" not in error:
            assert scan.code == 2 and not doc["results"], error  # nothing at all could be scanned
            continue
        assert error["kind"] == "parse", error
        assert error["path"] in (name, str(Path(name).parent)), error
        assert error["path"] in error["message"], error
        assert error.get("line") is None or 1 <= error["line"] <= lines + 1, error
    for result in doc["results"]:
        assert (result["location"] or {}).get("path") in (None, name), result
    did = "scan errors naming the file, no traceback" if doc["scan"]["errors"] else "scanned, no error"
    FUZZED.append((_loader(name), did, scan.seconds))


# -- generic JSON values, and one of them put somewhere in a good document -----------------------

INTERESTING = [
    "",
    "aws_cloudtrail.t",
    "aws_s3_bucket.b.arn",
    "${aws_s3_bucket.b.id}",
    "./mod",
    "../..",
    "./\x00",
    "arn:aws:s3:::b/*",
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
    "[" * 300,
    "\ud800",
    "\ufeff",
    "AWS::CloudTrail::Trail",
    "Custom::X",
    "1e400",
    "2020-02-30",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(INTERESTING)
)
KEYS = st.sampled_from(
    [
        "address",
        "type",
        "name",
        "values",
        "resources",
        "child_modules",
        "module_calls",
        "module",
        "source",
        "expressions",
        "references",
        "constant_value",
        "after_unknown",
        "change",
        "Ref",
        "Fn::GetAtt",
        "Fn::Sub",
        "Fn::If",
        "Fn::Join",
        "Fn::Select",
        "Fn::FindInMap",
        "Condition",
        "Type",
        "Properties",
        "Metadata",
        "opscheck",
        "ignore",
    ]
) | st.text(max_size=6)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def paths_of(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths_of(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths_of(v, (*here, i))


def replaced(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(doc)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def mutations(doc: Any) -> st.SearchStrategy[Any]:
    """`doc` with the value at one of its places (any depth) replaced by an arbitrary one."""
    places = list(paths_of(doc))
    return st.tuples(st.sampled_from(places), JSON_VALUES).map(lambda pv: replaced(doc, *pv))


# -- Terraform HCL --------------------------------------------------------------------------------

HCL_TOKENS = [
    *("resource", "data", "variable", "locals", "module", "output", "provider", "dynamic", "content"),
    *('"aws_cloudtrail"', '"aws_s3_bucket"', '"aws_iam_role_policy"', '"aws_cloudwatch_event_rule"', '"t"'),
    *("{", "}", "[", "]", "(", ")", "=", "==", "?", ":", ",", ".", "*", "...", "=>", "!", "&&", "-"),
    *("for", "in", "if", "name", "s3_bucket_name", "policy", "source", "default", "count", "for_each"),
    *("each.key", "each.value", "count.index", "var.x", "local.y", "aws_s3_bucket.t.id", "module.m.o"),
    *('"${', '}"', '"%{', '"', '"x"', '"./m"', '"\\ud800"', '"\\U00110000"', '"\\n"', "\\"),
    *("<<EOF\n", "<<-EOT\n", "\nEOF\n", "\nEOT\n", "#", "//", "/*", "*/", "\n", " ", "\t"),
    *("0", "1.5e3", "1e999", "-1", "true", "null", "ü", "\ufeff", "\x00", "\r"),
    *("jsonencode(", "jsondecode(", "merge(", "lookup(", "file(", "format(", "cidrsubnet(", "regex("),
    *("try(", "can(", "length(", "range(", "flatten(", "templatefile(", "# opscheck:ignore CT001 why"),
]


@SETTINGS
@given(st.lists(st.sampled_from(HCL_TOKENS), max_size=60).map("".join))
def test_terraform_from_tokens(text: str) -> None:
    scan_one("mod/main.tf", text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(
    st.integers(0, len(GOOD_TF)),
    st.integers(0, 40),
    st.lists(st.sampled_from(HCL_TOKENS), max_size=6).map("".join),
)
def test_terraform_good_file_spliced(at: int, cut: int, insert: str) -> None:
    text = GOOD_TF[:at] + insert + GOOD_TF[at + cut :]
    scan_one("mod/main.tf", text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(mutations({"resource": {"aws_cloudtrail": {"t": {"name": "t", "s3_bucket_name": "b"}}}}))
def test_terraform_json_mutated(doc: Any) -> None:
    scan_one("mod/main.tf.json", json.dumps(doc).encode())


# -- Terraform plan JSON --------------------------------------------------------------------------


def _plan() -> dict[str, Any]:
    trail = plan_resource("aws_cloudtrail", "t", {"name": "t", "s3_bucket_name": "b", "event_selector": []})
    policy = plan_resource(
        "aws_iam_role_policy",
        "p",
        {"name": "p", "role": "r", "policy": INTERESTING[8]},
    )
    doc = plan_document([trail, policy])
    doc["planned_values"]["root_module"]["child_modules"] = [
        {"address": "module.m", "resources": [dict(trail, address="module.m.aws_cloudtrail.t")]}
    ]
    doc["resource_changes"][0]["change"]["after_unknown"] = {"s3_bucket_name": True, "event_selector": []}
    doc["configuration"] = {
        "provider_config": {
            "aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}}
        },
        "root_module": {
            "resources": [
                {
                    "address": "aws_cloudtrail.t",
                    "expressions": {
                        "s3_bucket_name": {"references": ["aws_s3_bucket.b.id", "aws_s3_bucket.b"]}
                    },
                }
            ],
            "module_calls": {"m": {"source": "./m", "module": {"resources": []}}},
        },
    }
    return doc


PLAN = _plan()


@SETTINGS
@given(mutations(PLAN))
def test_plan_mutated(doc: Any) -> None:
    scan_one("plan.json", json.dumps(doc).encode())


# -- CloudFormation --------------------------------------------------------------------------------

TEMPLATE = yaml.safe_load(
    GOOD_YAML.replace("!Ref Name", "{Ref: Name}").replace("!Ref Logs", "{Ref: Logs}").replace("!Sub", "")
)
TEMPLATE["Conditions"] = {"On": {"Fn::Equals": [{"Ref": "Name"}, "x"]}}
TEMPLATE["Resources"]["Rule"] = {
    "Type": "AWS::Events::Rule",
    "Condition": "On",
    "Properties": {
        "EventPattern": {"source": ["aws.s3"]},
        "Targets": [{"Id": "t", "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}],
    },
    "Metadata": {"opscheck": {"ignore": [{"rule": "EB001", "reason": "r", "until": "2030-01-01"}]}},
}
TEMPLATE["Resources"]["Fn"] = {
    "Type": "AWS::Lambda::Function",
    "Properties": {"FunctionName": {"Fn::Sub": "f-${Name}"}},
}


@SETTINGS
@given(mutations(TEMPLATE), st.booleans())
def test_cloudformation_mutated(doc: Any, as_yaml: bool) -> None:
    if as_yaml:
        scan_one("stack.yaml", yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))
    else:
        scan_one("stack.json", json.dumps(doc).encode())


YAML_TOKENS = [
    *(
        'AWSTemplateFormatVersion: "2010-09-09"\n',
        "Resources:\n",
        "  T:\n",
        "    Type: AWS::CloudTrail::Trail\n",
    ),
    *("    Properties:\n", "      TrailName: ", "      S3BucketName: ", "Parameters:\n", "Conditions:\n"),
    *(
        "!Ref ",
        "!GetAtt ",
        "!Sub ",
        "!If ",
        "!Join ",
        "!Select ",
        "!Bogus ",
        "!!str ",
        "!!binary ",
        "!!python/name:os.system ",
    ),
    *("&a ", "*a", "<<: ", "<<: *a\n", "---\n", "...\n", "%YAML 1.1\n", "? ", "- ", ": ", "{", "}", "[", "]"),
    *(
        '"',
        "'",
        "|\n",
        ">-\n",
        "#",
        "\n",
        "  ",
        "\t",
        "x",
        "T",
        "2020-02-30",
        "0x1F",
        "1e999",
        "~",
        "\x07",
        "\ud800",
    ),
]


@SETTINGS
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=50).map("".join))
def test_cloudformation_yaml_from_tokens(text: str) -> None:
    scan_one("stack.yaml", text.encode("utf-8", "surrogatepass"))


def test_zz_the_fuzzed_examples_are_tallied(tally) -> None:
    """Runs last in this file: one tally case per example the tests above scanned."""
    if not FUZZED:
        pytest.skip("no fuzz test ran in this session")
    for loader, did, seconds in FUZZED:
        tally(f"IaC: fuzzed {loader} (hypothesis)", did, seconds=seconds)
