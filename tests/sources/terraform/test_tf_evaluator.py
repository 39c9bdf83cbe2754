"""The Terraform expression evaluator, exercised through small .tf files loaded with the loader.

Contract (INTERFACE.md, RULES.md): values the files decide are evaluated; what they cannot
decide (a variable without a value, an unsupported function, a self-referring local) is an
explicit `Unknown` that says why; an attribute of a declared resource is a
`scanner.model.Reference` to that resource's address, except what the files already decide
(a bucket ARN from its literal name).

Each probe puts the expression under test in `s3_key_prefix` of an `aws_cloudtrail` (mapped to
`S3KeyPrefix` without conversion) and reads the mapped property back.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Reference, Unknown
from scanner.sources import discovery
from scanner.sources.iac import Configuration
from scanner.sources.terraform.expr import Evaluator
from scanner.sources.terraform.hcl import parse_hcl
from scanner.sources.terraform.loader import load_terraform

PROBE = "aws_cloudtrail.probe"


def load(root: Path, files: dict[str, str]) -> Configuration:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    configs = load_terraform([root], root, discovery.relative)
    assert len(configs) == 1
    return configs[0]


def evaluate(tmp_path: Path, expr: str, prelude: str = "", **extra_files: str) -> Any:
    main = (
        textwrap.dedent(prelude) + f'\nresource "aws_cloudtrail" "probe" {{\n  s3_key_prefix = {expr}\n}}\n'
    )
    config = load(tmp_path, {"main.tf": main, **extra_files})
    [probe] = [r for r in config.resources if r.id == PROBE]
    return probe.properties.get("S3KeyPrefix")


def unknown_reason(value: Any) -> str:
    assert isinstance(value, Unknown), f"expected an Unknown, got {value!r}"
    return value.reason


# -- literals and strings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("42", 42),
        ("1.5", 1.5),
        ("1.25", 1.25),
        ("true", True),
        ("false", False),
        ('"plain"', "plain"),
        ('[1, "a", true]', [1, "a", True]),
        ('{ a = 1, "b c" = "d" }', {"a": 1, "b c": "d"}),
        ("{ nested = { list = [1, 2] } }", {"nested": {"list": [1, 2]}}),
    ],
)
def test_literals(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


@pytest.mark.xfail(
    strict=True,
    reason="tree-sitter-hcl 1.2.0 accepts an exponent only after a fraction (1.5e3, not 1e3): "
    "hcl.parse_hcl reports valid HCL as a syntax error and drops the whole resource block",
)
@pytest.mark.parametrize(("expr", "expected"), [("1e3", 1000), ("2E2", 200), ("1e+3", 1000)])
def test_exponent_without_a_fraction(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


def test_exponent_after_a_fraction(tmp_path):
    assert evaluate(tmp_path, "1.5e3") == 1500


def test_null_is_an_absent_value(tmp_path):
    assert evaluate(tmp_path, "null") is None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (r'"line\nbreak"', "line\nbreak"),
        (r'"tab\there"', "tab\there"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"caf\u00e9"', "café"),
        ('"literal $${not_interpolated}"', "literal ${not_interpolated}"),
        ('"literal %%{not_a_directive}"', "literal %{not_a_directive}"),
    ],
)
def test_string_escapes(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


def test_template_interpolations_render_numbers_and_bools(tmp_path):
    value = evaluate(
        tmp_path,
        '"${local.name}-${1 + 2}-${true}-${local.n}"',
        'locals {\n  name = "audit"\n  n = 2.5\n}\n',
    )
    assert value == "audit-3-true-2.5"


def test_a_template_that_is_one_interpolation_keeps_the_value_type(tmp_path):
    prelude = 'locals {\n  l = [1, 2]\n  m = { a = "b" }\n}\n'
    assert evaluate(tmp_path, '"${local.l}"', prelude) == [1, 2]
    assert evaluate(tmp_path, '"${merge(local.m, { c = "d" })}"', prelude) == {"a": "b", "c": "d"}


def test_a_template_that_is_one_string_interpolation_is_that_string(tmp_path):
    assert evaluate(tmp_path, '"${local.s}"', 'locals {\n  s = "text"\n}\n') == "text"


def test_template_if_directive(tmp_path):
    assert evaluate(tmp_path, '"%{if local.on}yes%{else}no%{endif}"', "locals {\n  on = false\n}\n") == "no"


# -- heredocs --------------------------------------------------------------------------------


def test_heredoc_keeps_indentation_and_interpolates(tmp_path):
    expr = '<<EOT\nhello ${upper("x")}\n  indented\nEOT'
    assert evaluate(tmp_path, expr) == "hello X\n  indented\n"


def test_indented_heredoc_strips_the_common_indentation(tmp_path):
    expr = '<<-EOT\n    first\n      second\n    ${"third"}\n    EOT'
    assert evaluate(tmp_path, expr) == "first\n  second\nthird\n"


def test_heredoc_does_not_process_backslash_escapes_but_does_process_template_escapes(tmp_path):
    expr = "<<EOT\na\\nb $${x}\nEOT"
    assert evaluate(tmp_path, expr) == "a\\nb ${x}\n"


def test_json_policy_heredoc_is_the_json_text(tmp_path):
    expr = textwrap.dedent(
        """\
        <<EOF
        {
          "Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${local.b}/*"}]
        }
        EOF"""
    )
    value = evaluate(tmp_path, expr, 'locals {\n  b = "data"\n}\n')
    assert isinstance(value, str)
    assert json.loads(value) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}],
    }


def test_jsondecode_of_a_heredoc(tmp_path):
    assert evaluate(tmp_path, 'jsondecode(<<EOT\n{"a": [1, 2]}\nEOT\n)') == {"a": [1, 2]}


# -- functions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("merge({ a = 1, b = 1 }, { b = 2 }, { c = 3 })", {"a": 1, "b": 2, "c": 3}),
        ("concat([1], [], [2, 3])", [1, 2, 3]),
        ('format("%s-%d", "a", 5)', "a-5"),
        ('format("100%%")', "100%"),
        ('lookup({ a = "x" }, "a", "d")', "x"),
        ('lookup({ a = "x" }, "b", "d")', "d"),
        ('toset(["b", "a", "b"])', ["a", "b"]),
        ("length([1, 2, 3])", 3),
        ("length({ a = 1 })", 1),
        ('length("four")', 4),
        ('join(",", ["a", "b", "c"])', "a,b,c"),
        ('split(",", "a,b,c")', ["a", "b", "c"]),
        ('replace("a-b-c", "-", "_")', "a_b_c"),
        ('replace("abc123", "/[0-9]+/", "#")', "abc#"),
        ('coalesce("", null, "x", "y")', "x"),
        ("flatten([[1, [2]], [], 3])", [1, 2, 3]),
        ("keys({ b = 1, a = 2 })", ["a", "b"]),
        ("values({ b = 1, a = 2 })", [2, 1]),
        ('element(["a", "b", "c"], 1)', "b"),
        ('element(["a", "b", "c"], 4)', "b"),
        ('contains(["a", "b"], "b")', True),
        ('contains(["a", "b"], "z")', False),
        ('upper(lower("MiXeD"))', "MIXED"),
    ],
)
def test_functions(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('format("trail-%02d", 7)', "trail-07"),
        ('format("[%5s]", "ab")', "[   ab]"),
        ('format("%-3s|", "a")', "a  |"),
    ],
)
def test_format_width_and_flags(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


def test_jsonencode_gives_the_encoded_structure(tmp_path):
    """jsonencode may be kept as a structure (policies stay readable) or rendered as JSON text;
    either way it must mean the same document."""
    value = evaluate(tmp_path, 'jsonencode({ Statement = [{ Effect = "Allow", Action = ["s3:*"] }] })')
    decoded = json.loads(value) if isinstance(value, str) else value
    assert decoded == {"Statement": [{"Effect": "Allow", "Action": ["s3:*"]}]}


def test_try_returns_the_first_argument_that_evaluates(tmp_path):
    assert evaluate(tmp_path, 'try(local.m.missing, local.m.present, "last")', _MAP) == "here"


def test_can_tells_whether_an_expression_evaluates(tmp_path):
    assert evaluate(tmp_path, "[can(local.m.present), can(local.m.missing)]", _MAP) == [True, False]


_MAP = 'locals {\n  m = { present = "here" }\n}\n'


@pytest.mark.parametrize(
    "expr",
    [
        'try(regex("^prod", "prod-1"), "fallback")',
        'can(regex("^prod", "prod-1"))',
        'try(var.novalue, "fallback")',
        "can(var.novalue)",
    ],
)
def test_try_and_can_do_not_decide_what_opscheck_cannot_evaluate(tmp_path, expr):
    assert isinstance(evaluate(tmp_path, expr, 'variable "novalue" {}\n'), Unknown)


def test_file_reads_a_file_inside_the_module(tmp_path):
    value = evaluate(tmp_path, 'file("${path.module}/policy.json")', **{"policy.json": '{"a": 1}\n'})
    assert value == '{"a": 1}\n'


@pytest.mark.parametrize("target", ["../outside.txt", "/etc/hostname"])
def test_file_outside_the_module_is_unknown_and_not_read(tmp_path, target):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    value = evaluate(root, f'file("{target}")')
    assert "outside" in unknown_reason(value) or "cannot be read" in unknown_reason(value)
    assert "secret" not in unknown_reason(value)


def test_file_through_a_symlink_leaving_the_module_is_unknown(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.txt").write_text("secret\n")
    (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert isinstance(evaluate(root, 'file("link.txt")'), Unknown)


def test_unknown_function_is_unknown_naming_it(tmp_path):
    assert "frobnicate" in unknown_reason(evaluate(tmp_path, 'frobnicate("x")'))


def test_function_of_an_unknown_value_is_unknown(tmp_path):
    reason = unknown_reason(evaluate(tmp_path, "upper(var.region)", 'variable "region" {}\n'))
    assert "region" in reason


# -- variables and locals ---------------------------------------------------------------------


def test_variable_default_is_used(tmp_path):
    assert evaluate(tmp_path, "var.env", 'variable "env" {\n  default = "prod"\n}\n') == "prod"


def test_variable_without_value_is_unknown_naming_it(tmp_path):
    reason = unknown_reason(
        evaluate(tmp_path, "var.trail_bucket", 'variable "trail_bucket" {\n  type = string\n}\n')
    )
    assert "trail_bucket" in reason


def test_undeclared_variable_is_unknown_naming_it(tmp_path):
    assert "nowhere" in unknown_reason(evaluate(tmp_path, "var.nowhere"))


def test_locals_refer_to_locals_and_variables(tmp_path):
    prelude = """
        variable "env" {
          default = "dev"
        }
        locals {
          name   = "${local.prefix}-${var.env}"
          prefix = "audit"
        }
    """
    assert evaluate(tmp_path, "local.name", prelude) == "audit-dev"


def test_local_referring_to_itself_is_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "local.me", "locals {\n  me = local.me\n}\n"), Unknown)


def test_locals_referring_to_each_other_are_unknown(tmp_path):
    prelude = 'locals {\n  a = local.b\n  b = "${local.a}-x"\n}\n'
    assert isinstance(evaluate(tmp_path, "local.a", prelude), Unknown)


# -- conditionals -----------------------------------------------------------------------------


def test_decidable_conditional_takes_its_branch(tmp_path):
    prelude = 'variable "env" {\n  default = "prod"\n}\n'
    assert evaluate(tmp_path, 'var.env == "prod" ? "p" : "np"', prelude) == "p"
    assert evaluate(tmp_path, 'var.env != "prod" ? "np" : [1][0]', prelude) == 1


def test_undecidable_conditional_is_unknown_saying_why(tmp_path):
    prelude = 'variable "env" {}\n'
    assert "env" in unknown_reason(evaluate(tmp_path, 'var.env == "prod" ? "p" : "np"', prelude))


def test_undecidable_conditional_with_equal_branches_is_that_value(tmp_path):
    assert evaluate(tmp_path, 'var.env == "prod" ? "same" : "same"', 'variable "env" {}\n') == "same"


# -- for-expressions, splats, indexes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("[for x in [1, 2, 3] : x * 10]", [10, 20, 30]),
        ("[for x in [1, 2, 3] : x if x > 1]", [2, 3]),
        ('[for i, s in ["a", "b"] : "${i}:${s}"]', ["0:a", "1:b"]),
        ('{ for s in ["a", "b"] : s => upper(s) }', {"a": "A", "b": "B"}),
        ("{ for k, v in { a = 1, b = 2 } : v => k if v > 1 }", {"2": "b"}),
        ('{ for s in ["x1", "y1", "x2"] : substr(s, 0, 1) => s... }', {"x": ["x1", "x2"], "y": ["y1"]}),
    ],
)
def test_for_expressions(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


def test_for_over_a_map_iterates_in_key_order(tmp_path):
    assert evaluate(tmp_path, '[for k, v in { b = 2, a = 1 } : "${k}=${v}"]') == ["a=1", "b=2"]


def test_for_over_an_unknown_collection_is_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "[for x in var.xs : x]", 'variable "xs" {}\n'), Unknown)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("local.l[*].a", [1, 2]),
        ("local.l.*.a", [1, 2]),
        ("local.l[1].a", 2),
        ("local.l.0.a", 1),
        ('local.m["k"]', "v"),
        ("local.m.k", "v"),
        ("local.one[*]", ["single"]),
    ],
)
def test_splats_and_indexes(tmp_path, expr, expected):
    prelude = 'locals {\n  l = [{ a = 1 }, { a = 2 }]\n  m = { k = "v" }\n  one = "single"\n}\n'
    assert evaluate(tmp_path, expr, prelude) == expected


def test_index_out_of_range_is_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "local.l[5]", "locals {\n  l = [1]\n}\n"), Unknown)


# -- operators --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("2 * 3 + 4", 10),
        ("10 - 2 - 3", 5),
        ("7 % 3", 1),
        ("5 / 2", 2.5),
        ("-3 + 1", -2),
        ("1 < 2", True),
        ("2 <= 1", False),
        ("3 >= 3", True),
        ('"a" == "a"', True),
        ("1 != 1", False),
        ("!true", False),
        ("true && false", False),
        ("false || true", True),
        ('1 < 2 && 2 < 3 ? "ordered" : "not"', "ordered"),
    ],
)
def test_operators(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("(1 + 2) * 3", 9), ("2 * (3 + 4)", 14), ("!(1 > 2)", True), ('(var_a == "x") || false', True)],
)
def test_parenthesised_operands(tmp_path, expr, expected):
    prelude = 'variable "var_a" {\n  default = "x"\n}\n'
    assert evaluate(tmp_path, expr.replace("var_a", "var.var_a"), prelude) == expected


def test_parenthesised_expression_alone(tmp_path):
    assert evaluate(tmp_path, "(1 + 2)") == 3


@pytest.mark.parametrize(
    ("expr", "expected"),
    [("true || var.missing", True), ("false && var.missing", False)],
)
def test_logic_operators_short_circuit_over_an_unknown(tmp_path, expr, expected):
    assert evaluate(tmp_path, expr, 'variable "missing" {}\n') is expected


def test_logic_over_an_unknown_that_matters_is_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "true && var.missing", 'variable "missing" {}\n'), Unknown)


def test_arithmetic_on_an_unknown_is_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "var.n + 1", 'variable "n" {}\n'), Unknown)


# -- references to declared resources ----------------------------------------------------------

RESOURCES = """
    resource "aws_sns_topic" "alerts" {}

    resource "aws_sns_topic" "counted" {
      count = 2
    }

    resource "aws_sns_topic" "keyed" {
      for_each = toset(["a", "b"])
    }

    resource "aws_s3_bucket" "named" {
      bucket = "audit-logs"
    }

    resource "aws_s3_bucket" "prefixed" {
      bucket_prefix = "audit-"
    }
"""


def test_attribute_of_a_declared_resource_is_a_reference_to_its_address(tmp_path):
    value = evaluate(tmp_path, "aws_sns_topic.alerts.arn", RESOURCES)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("aws_sns_topic.alerts", "arn")


def test_attribute_of_a_count_instance_references_the_indexed_address(tmp_path):
    value = evaluate(tmp_path, "aws_sns_topic.counted[1].arn", RESOURCES)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("aws_sns_topic.counted[1]", "arn")


def test_attribute_of_a_for_each_instance_references_the_keyed_address(tmp_path):
    value = evaluate(tmp_path, 'aws_sns_topic.keyed["b"].arn', RESOURCES)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ('aws_sns_topic.keyed["b"]', "arn")


def test_splat_over_counted_resources_gives_one_reference_per_instance_or_one_for_all(tmp_path):
    value = evaluate(tmp_path, "aws_sns_topic.counted[*].arn", RESOURCES)
    if isinstance(value, Reference):  # kept whole: it must still point at the resource
        assert value.target is not None and value.target.startswith("aws_sns_topic.counted")
    else:
        assert [(r.target, r.attribute) for r in value] == [
            ("aws_sns_topic.counted[0]", "arn"),
            ("aws_sns_topic.counted[1]", "arn"),
        ]


def test_a_reference_inside_a_template_keeps_its_target(tmp_path):
    value = evaluate(tmp_path, '"${aws_sns_topic.alerts.arn}:suffix"', RESOURCES)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("aws_sns_topic.alerts", "arn")
    assert "suffix" in value.text


def test_a_reference_inside_a_structure_is_kept(tmp_path):
    value = evaluate(tmp_path, "jsonencode({ Resource = [aws_sns_topic.alerts.arn] })", RESOURCES)
    decoded = json.loads(value) if isinstance(value, str) else value
    [ref] = decoded["Resource"]
    assert isinstance(ref, Reference) and ref.target == "aws_sns_topic.alerts"


def test_bucket_arn_is_computed_when_the_bucket_name_is_literal(tmp_path):
    assert evaluate(tmp_path, "aws_s3_bucket.named.arn", RESOURCES) == "arn:aws:s3:::audit-logs"
    assert evaluate(tmp_path, "aws_s3_bucket.named.id", RESOURCES) == "audit-logs"
    assert evaluate(tmp_path, '"${aws_s3_bucket.named.arn}/"', RESOURCES) == "arn:aws:s3:::audit-logs/"


def test_bucket_arn_without_a_literal_name_stays_a_reference(tmp_path):
    value = evaluate(tmp_path, "aws_s3_bucket.prefixed.arn", RESOURCES)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("aws_s3_bucket.prefixed", "arn")


def test_operation_on_a_reference_is_unknown_not_a_guess(tmp_path):
    value = evaluate(tmp_path, 'aws_sns_topic.alerts.arn == "x" ? "a" : "b"', RESOURCES)
    assert isinstance(value, Unknown)


def test_reference_to_an_undeclared_resource_is_unknown(tmp_path):
    assert "aws_sns_topic.ghost" in unknown_reason(evaluate(tmp_path, "aws_sns_topic.ghost.arn"))


def test_data_source_other_than_a_policy_document_is_unknown(tmp_path):
    prelude = 'data "aws_caller_identity" "me" {}\n'
    assert isinstance(evaluate(tmp_path, "data.aws_caller_identity.me.account_id", prelude), Unknown)


def test_count_index_and_each_outside_an_expanded_resource_are_unknown(tmp_path):
    assert isinstance(evaluate(tmp_path, "count.index"), Unknown)
    assert isinstance(evaluate(tmp_path, "each.key"), Unknown)


# -- the Evaluator directly ------------------------------------------------------------------


class _Names:
    """A minimal `Names`: var.<x> from a dict, nothing else."""

    def __init__(self, variables: dict[str, Any], base: str) -> None:
        self.variables = variables
        self.base = base

    def lookup(self, root: str, path: list[Any], text: str) -> Any:
        if root == "var" and path and path[0] in self.variables:
            return self.variables[path[0]]
        return Unknown(f"{text} is not known here")

    def base_dir(self) -> str:
        return self.base


def _attribute(text: str, name: str = "x"):
    blocks, errors = parse_hcl(textwrap.dedent(text).encode(), "t.tf")
    assert not errors
    [block] = blocks
    return block.attributes[name]


def test_evaluator_directly_with_names_and_local_bindings(tmp_path):
    attr = _attribute('locals {\n  x = "${var.a}-${each.key}-${count.index + 1}"\n}\n')
    ev = Evaluator(_Names({"a": "A"}, str(tmp_path)), {"each.key": "k", "count.index": 1})
    assert ev.eval(attr.expr, attr.source) == "A-k-2"


def test_evaluator_directly_unknown_name_is_unknown(tmp_path):
    attr = _attribute("locals {\n  x = var.b\n}\n")
    assert isinstance(Evaluator(_Names({}, str(tmp_path))).eval(attr.expr, attr.source), Unknown)


def test_evaluator_never_raises_on_odd_operands(tmp_path):
    for expr in ('"a" + 1', "1 / 0", '!"x"', '-"x"', "[1] < 2", "length(1)", 'tonumber("x")'):
        attr = _attribute(f"locals {{\n  x = {expr}\n}}\n")
        value = Evaluator(_Names({}, str(tmp_path))).eval(attr.expr, attr.source)
        assert isinstance(value, Unknown), (expr, value)


# -- values a repository does not decide -------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        'merge({ a = "x" }, aws_s3_bucket.logs.tags)',
        'concat(["x"], aws_s3_bucket.logs.tags_all)',
        "length(aws_s3_bucket.logs.tags)",
        'lookup(aws_s3_bucket.logs.tags, "a", "d")',
    ],
)
def test_a_whole_argument_computed_elsewhere_makes_a_collection_function_unknown(tmp_path, expr):
    prelude = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
    value = evaluate(tmp_path, f"jsonencode({expr})", prelude)
    assert "known only after apply" in unknown_reason(value)


def test_lookup_with_a_computed_default_that_is_not_used_is_decided(tmp_path):
    prelude = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
    assert evaluate(tmp_path, 'lookup({ a = "x" }, "a", aws_s3_bucket.logs.id)', prelude) == "x"


def test_terraform_workspace_is_unknown_unless_tf_workspace_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    assert "selected workspace" in unknown_reason(evaluate(tmp_path / "a", "terraform.workspace"))
    monkeypatch.setenv("TF_WORKSPACE", "prod")
    assert evaluate(tmp_path / "b", '"logs-${terraform.workspace}"') == "logs-prod"
