"""Intrinsic functions evaluated as far as the template alone decides them.

INTERFACE.md / RULES.md: a reference that leaves the scanned files (a parameter without default,
an import from another stack) is unknown and says why; a reference to a declared resource is
known to be set, not known literally (scanner.model.Reference); unknown never becomes a value.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scanner.model import Reference, Unknown
from scanner.sources.cloudformation.intrinsics import Context, parameter_values, resolve
from scanner.sources.cloudformation.parse import parse_yaml
from scanner.sources.cloudformation.template import load_template

PARAMETERS = {
    "Env": {"Type": "String", "Default": "dev"},
    "Region2": {"Type": "String"},  # no default
    "Subnets": {"Type": "CommaDelimitedList", "Default": "subnet-a, subnet-b,subnet-c"},
    "Azs": {"Type": "List<AWS::EC2::AvailabilityZone::Name>", "Default": "us-east-1a,us-east-1b"},
    "Size": {"Type": "Number", "Default": 3},
}
RESOURCES = {
    "Bucket": {"Type": "AWS::S3::Bucket"},
    "Key": {"Type": "AWS::KMS::Key"},
}
MAPPINGS = {"Sizes": {"dev": {"Instance": "t3.small"}, "prod": {"Instance": "m5.xlarge"}}}
CONDITIONS = {
    "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
    "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
    "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
    "DevAndProd": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
    "DevAndNotProd": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "NotProd"}]},
    "DevOrProd": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
    "ProdOrProd": {"Fn::Or": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "b"]}]},
    "Secondary": {"Fn::Equals": [{"Ref": "Region2"}, "eu-west-1"]},
    "SecondaryAndDev": {"Fn::And": [{"Condition": "Secondary"}, {"Condition": "IsDev"}]},
    "SecondaryAndProd": {"Fn::And": [{"Condition": "Secondary"}, {"Condition": "IsProd"}]},
    "SecondaryOrDev": {"Fn::Or": [{"Condition": "Secondary"}, {"Condition": "IsDev"}]},
    "SecondaryOrProd": {"Fn::Or": [{"Condition": "Secondary"}, {"Condition": "IsProd"}]},
    "InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
    "Self": {"Fn::Not": [{"Condition": "Self"}]},
    "PingA": {"Fn::And": [{"Condition": "PingB"}, {"Condition": "IsDev"}]},
    "PingB": {"Fn::Or": [{"Condition": "PingA"}, {"Condition": "IsProd"}]},
}


@pytest.fixture
def ctx() -> Context:
    return Context(
        parameters=parameter_values(PARAMETERS),
        resources=RESOURCES,
        mappings=MAPPINGS,
        condition_defs=CONDITIONS,
    )


def short(snippet: str):
    """A short-form expression as the parser gives it (the long form)."""
    return parse_yaml(f"V: {snippet}\n").data["V"]


def ev(snippet: str, ctx: Context):
    return resolve(short(snippet), ctx)


def unknown_reason(value) -> str:
    assert isinstance(value, Unknown), f"expected Unknown, got {value!r}"
    return value.reason


# -- parameters ------------------------------------------------------------------------------


def test_parameter_with_default_resolves_to_it(ctx):
    assert ev("!Ref Env", ctx) == "dev"
    assert ev("!Ref Size", ctx) in (3, "3")


def test_parameter_without_default_is_unknown_naming_it(ctx):
    assert "Region2" in unknown_reason(ev("!Ref Region2", ctx))


def test_parameter_values_marks_parameters_without_default():
    values = parameter_values({"A": {"Type": "String"}, "B": {"Type": "String", "Default": ""}})
    assert "A" in unknown_reason(values["A"])
    assert values["B"] == ""  # an empty default is a default


def test_comma_delimited_list_parameter_is_a_list(ctx):
    assert ev("!Ref Subnets", ctx) == ["subnet-a", "subnet-b", "subnet-c"]
    assert ev("!Ref Azs", ctx) == ["us-east-1a", "us-east-1b"]
    assert ev("!Select [1, !Ref Subnets]", ctx) == "subnet-b"
    assert ev('!Join [",", !Ref Subnets]', ctx) == "subnet-a,subnet-b,subnet-c"


# -- conditions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("IsDev", True),
        ("IsProd", False),
        ("NotProd", True),
        ("DevAndProd", False),
        ("DevAndNotProd", True),
        ("DevOrProd", True),
        ("ProdOrProd", False),
        # One decisive operand decides even when another is undecidable.
        ("SecondaryAndProd", False),
        ("SecondaryOrDev", True),
    ],
)
def test_decidable_conditions(ctx, name, expected):
    assert ctx.condition(name) is expected


@pytest.mark.parametrize(
    ("name", "mentions"),
    [
        ("Secondary", "Region2"),
        ("SecondaryAndDev", "Region2"),
        ("SecondaryOrProd", "Region2"),
        ("InUsEast1", "AWS::Region"),
    ],
)
def test_undecidable_conditions_are_unknown_and_say_why(ctx, name, mentions):
    assert mentions in unknown_reason(ctx.condition(name))


def test_self_referencing_conditions_are_unknown_not_a_recursion_error(ctx):
    assert "Self" in unknown_reason(ctx.condition("Self"))
    assert isinstance(ctx.condition("PingA"), Unknown)
    assert isinstance(ctx.condition("PingB"), Unknown)


def test_undefined_condition_is_unknown(ctx):
    assert "Missing" in unknown_reason(ctx.condition("Missing"))


def test_condition_function_inside_a_value(ctx):
    assert ev("!Condition IsDev", ctx) is True
    assert ev("!Not [!Condition IsDev]", ctx) is False


def test_boolean_looking_default_is_the_string_cloudformation_passes():
    ctx = Context(
        parameters=parameter_values({"Flag": {"Type": "String", "Default": True}}),
        condition_defs={"On": {"Fn::Equals": [{"Ref": "Flag"}, "true"]}},
    )
    assert ctx.condition("On") is True


# -- conditions on resources -----------------------------------------------------------------


def load(tmp_path: Path, text: str):
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    config = load_template(path, "template.yaml")
    assert config.errors == []
    return {r.id: r for r in config.resources}


def test_resource_whose_condition_is_false_is_not_loaded(tmp_path):
    resources = load(
        tmp_path,
        """\
        Parameters:
          Env: {Type: String, Default: dev}
          Other: {Type: String}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          IsDev: !Equals [!Ref Env, dev]
          Maybe: !Equals [!Ref Other, x]
        Resources:
          ProdTrail:
            Type: AWS::CloudTrail::Trail
            Condition: IsProd
            Properties: {IsLogging: true, S3BucketName: logs}
          DevTrail:
            Type: AWS::CloudTrail::Trail
            Condition: IsDev
            Properties: {IsLogging: true, S3BucketName: logs}
          MaybeTrail:
            Type: AWS::CloudTrail::Trail
            Condition: Maybe
            Properties: {IsLogging: true, S3BucketName: logs}
          Plain:
            Type: AWS::S3::Bucket
        """,
    )
    assert "ProdTrail" not in resources
    assert {"DevTrail", "Plain"} <= set(resources)
    # Undecidable: it may be created, so it is still judged.
    assert "MaybeTrail" in resources


# -- Fn::If and AWS::NoValue ----------------------------------------------------------------


def test_if_on_a_decidable_condition_takes_the_branch(ctx):
    assert ev("!If [IsDev, small, big]", ctx) == "small"
    assert ev("!If [IsProd, small, big]", ctx) == "big"


def test_if_on_an_undecidable_condition_is_unknown_naming_the_condition(ctx):
    reason = unknown_reason(ev("!If [Secondary, replica, primary]", ctx))
    assert "Secondary" in reason


def test_no_value_removes_the_key(ctx):
    value = resolve(
        short("{KMSKeyId: !Ref AWS::NoValue, Direct: !If [IsProd, x, !Ref AWS::NoValue], Kept: 1}"), ctx
    )
    assert value == {"Kept": 1}


def test_no_value_removes_a_list_item(ctx):
    assert ev("[a, !If [IsProd, b, !Ref AWS::NoValue], c]", ctx) == ["a", "c"]


# -- references to declared resources --------------------------------------------------------


def test_ref_to_a_declared_resource_is_a_reference(ctx):
    value = ev("!Ref Bucket", ctx)
    assert isinstance(value, Reference)
    assert value.target == "Bucket"
    assert value.attribute is None


@pytest.mark.parametrize("snippet", ["!GetAtt Key.Arn", "!GetAtt [Key, Arn]"])
def test_getatt_to_a_declared_resource_is_a_reference_with_attribute(ctx, snippet):
    value = ev(snippet, ctx)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("Key", "Arn")


def test_ref_and_getatt_to_undeclared_names_are_unknown(ctx):
    assert "Nowhere" in unknown_reason(ev("!Ref Nowhere", ctx))
    assert "Nowhere" in unknown_reason(ev("!GetAtt Nowhere.Arn", ctx))


# -- Fn::Sub ---------------------------------------------------------------------------------


def test_sub_with_partition_is_literal(ctx):
    assert ev('!Sub "arn:${AWS::Partition}:s3:::logs/"', ctx) == "arn:aws:s3:::logs/"


def test_sub_partition_follows_the_context_partition():
    ctx = Context(partition="aws-cn")
    assert resolve(short('!Sub "arn:${AWS::Partition}:s3"'), ctx) == "arn:aws-cn:s3"


@pytest.mark.parametrize("pseudo", ["AWS::Region", "AWS::AccountId"])
def test_sub_with_a_deploy_time_pseudo_parameter_is_a_reference(ctx, pseudo):
    value = ev(f'!Sub "arn:aws:logs:${{{pseudo}}}:x"', ctx)
    assert isinstance(value, Reference)
    assert isinstance(ev(f"!Ref {pseudo}", ctx), Reference)


def test_sub_with_escaped_literal(ctx):
    assert ev('!Sub "${!Literal}-${Env}"', ctx) == "${Literal}-dev"


def test_sub_list_form_with_variables(ctx):
    assert ev('!Sub ["${Name}-${Env}", {Name: app}]', ctx) == "app-dev"


def test_sub_of_a_resource_attribute_is_a_reference_to_it(ctx):
    value = ev('!Sub "${Bucket.Arn}/"', ctx)
    assert isinstance(value, Reference)
    assert (value.target, value.attribute) == ("Bucket", "Arn")


def test_sub_with_a_parameter_without_default_is_unknown(ctx):
    assert "Region2" in unknown_reason(ev('!Sub "logs-${Region2}"', ctx))


# -- Fn::Join, Select, Split, FindInMap, ImportValue ----------------------------------------


def test_join_of_literals_is_literal(ctx):
    assert ev('!Join ["-", [a, !Ref Env, 3]]', ctx) == "a-dev-3"


def test_join_with_a_reference_is_a_reference(ctx):
    assert isinstance(ev('!Join ["", [!GetAtt Bucket.Arn, "/"]]', ctx), Reference)


def test_join_with_an_unknown_is_unknown(ctx):
    assert "Region2" in unknown_reason(ev('!Join ["-", [a, !Ref Region2]]', ctx))


def test_split_and_select_of_literals(ctx):
    assert ev('!Select [2, !Split [",", "a,b,c"]]', ctx) == "c"


def test_find_in_map_hit(ctx):
    assert ev("!FindInMap [Sizes, !Ref Env, Instance]", ctx) == "t3.small"


def test_find_in_map_miss_is_unknown(ctx):
    assert isinstance(ev("!FindInMap [Sizes, staging, Instance]", ctx), Unknown)


def test_find_in_map_with_an_unknown_key_is_unknown(ctx):
    assert isinstance(ev("!FindInMap [Sizes, !Ref Region2, Instance]", ctx), Unknown)


def test_import_value_is_unknown_naming_the_export(ctx):
    assert "shared-key-arn" in unknown_reason(ev("!ImportValue shared-key-arn", ctx))
    assert "dev-vpc" in unknown_reason(ev('!ImportValue {"Fn::Sub": "${Env}-vpc"}', ctx))


def test_base64_and_getazs_do_not_become_unknown_or_crash(ctx):
    assert not isinstance(ev('!Base64 "#!/bin/sh"', ctx), Unknown)
    assert not isinstance(ev('!GetAZs ""', ctx), Unknown)


def test_resolve_leaves_plain_values_alone(ctx):
    value = {"A": [1, "two", {"B": True}], "C": None}
    assert resolve(value, ctx) == value
