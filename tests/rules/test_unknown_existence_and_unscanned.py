"""Existence and unscanned parts of a configuration as first-class unknowns (RULES.md, INTERFACE.md
"In IaC the scanned configuration is the world ... except a reference that leaves the scanned files").

Contracts tested here:

- Existence. A Terraform resource or module call whose `count` / `for_each` cannot be decided, and a
  CloudFormation resource whose `Condition` cannot be decided, may not exist at all: its
  `Resource.exists` (and `TrailView.exists`) is an `Unknown` that says why. When such a trail is the
  only one that would cover the configuration, CT001 is `unknown`, never `pass` or `fail`; once the
  value is known (a default, a tfvars file) the verdict is decided: a trail that exists passes, one
  that is never created (count 0, a false Condition) does not count and CT001 fails.
- CloudFormation compares strings in `Fn::Equals` (`true` is the parameter value "true"), and a
  parameter of type `AWS::SSM::Parameter::Value<...>` is resolved at deploy time: its Default names
  the SSM parameter, so its value is unknown.
- Unscanned parts (`Scope.unscanned`: remote modules, a module source that is not literal or points
  at a missing directory, nested stacks, SAM applications). A configuration-level verdict (CT001,
  CT008, DE001-DE003) that would be `fail` becomes `unknown` naming what was not scanned, because a
  trail may sit there; a `pass` stays a pass; per-trail rules are unaffected. A module or nested
  stack that is never created is not an unscanned part.
- DE004 on Terraform compares the region of the endpoint configuration with the trails' regions: a
  single-region trail counts only for resources deployed to its region. Same provider
  configuration or the same literal region: covered; two different literal regions: not covered; a
  region the files do not decide (a provider region from a variable without value): unknown.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scanner.lib.trails import view
from scanner.model import TRAIL, Result, Unknown
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from scanner.sources import discovery
from scanner.sources.cloudformation.template import load_template
from scanner.sources.iac import Configuration
from scanner.sources.terraform.loader import load_terraform
from testkit import one, rules
from testkit import write_tree as write

CONFIG_LEVEL = ("CT001", "CT008", "DE001", "DE002", "DE003")


# -- helpers -------------------------------------------------------------------------------------


def scan(tmp_path: Path, files: dict[str, str], *rule_ids: str) -> ScanOutcome:
    root = write(tmp_path / "cfg", files)
    outcome = scan_iac([root], rules(*rule_ids), tmp_path)
    assert outcome.fatal is None, outcome.fatal
    assert not [e for e in outcome.errors if e.kind == "internal"], outcome.errors
    return outcome


def scan_tf(tmp_path: Path, main_tf: str, *rule_ids: str, **more: str) -> ScanOutcome:
    return scan(tmp_path, {"main.tf": main_tf, **more}, *rule_ids)


def scan_cfn(tmp_path: Path, template: str, *rule_ids: str) -> ScanOutcome:
    return scan(tmp_path, {"template.yaml": template}, *rule_ids)


def load_tf(tmp_path: Path, files: dict[str, str]) -> Configuration:
    root = write(tmp_path / "cfg", files)
    found = discovery.discover([root], tmp_path)
    [config] = load_terraform(found.terraform_dirs, tmp_path, discovery.relative)
    return config


def load_cfn(tmp_path: Path, template: str) -> Configuration:
    path = write(tmp_path / "cfg", {"template.yaml": template}) / "template.yaml"
    return load_template(path, "cfg/template.yaml")


def status(outcome: ScanOutcome, rule_id: str, resource_id: str | None = None) -> str:
    return one(outcome, rule_id, resource_id).status.value


# -- Terraform building blocks -------------------------------------------------------------------

# A single-region trail declared first: every configuration-level result is reported on it, and it
# never covers the configuration by itself (CT001 fails without another trail).
TF_SINGLE = """
resource "aws_cloudtrail" "s" {
  name           = "s"
  s3_bucket_name = "logs"
}
"""


def tf_covering(name: str = "main", meta: str = "") -> str:
    """A multi-region, logging trail recording all management events and both Insights types."""
    return f"""
resource "aws_cloudtrail" "{name}" {{
  {meta}
  name                  = "{name}"
  s3_bucket_name        = "logs"
  is_multi_region_trail = true
  insight_selector {{
    insight_type = "ApiCallRateInsight"
  }}
  insight_selector {{
    insight_type = "ApiErrorRateInsight"
  }}
}}
"""


# -- existence: Terraform count / for_each ---------------------------------------------------------


def test_tf_count_on_a_variable_without_default_makes_existence_unknown(tmp_path):
    config = load_tf(
        tmp_path,
        {"main.tf": 'variable "enabled" {}\n' + tf_covering(meta="count = var.enabled ? 1 : 0")},
    )
    [trail] = [r for r in config.resources if r.type == TRAIL]
    assert trail.id == "aws_cloudtrail.main"  # judged as one instance, without an index
    assert isinstance(trail.exists, Unknown)
    assert "exists only if its count is above 0" in trail.exists.reason
    assert "enabled" in trail.exists.reason
    trail_view = view(trail, config.scope)
    assert isinstance(trail_view.exists, Unknown)
    assert trail_view.exists.reason == trail.exists.reason
    # Everything else about the trail is known: only its existence is in doubt.
    assert (trail_view.multi_region, trail_view.logging) == (True, True)


def test_tf_literal_count_gives_instances_that_exist(tmp_path):
    config = load_tf(tmp_path, {"main.tf": tf_covering(meta="count = 2")})
    trails = {r.id: r.exists for r in config.resources if r.type == TRAIL}
    assert trails == {"aws_cloudtrail.main[0]": True, "aws_cloudtrail.main[1]": True}


@pytest.mark.parametrize(
    ("variable", "expected", "subject"),
    [
        ('variable "enabled" {}', "unknown", "aws_cloudtrail.s"),
        ('variable "enabled" {\n  default = true\n}', "pass", "aws_cloudtrail.s"),
        ('variable "enabled" {\n  default = false\n}', "fail", "aws_cloudtrail.s"),
    ],
    ids=["no-default", "default-true", "default-false"],
)
def test_ct001_on_a_covering_trail_with_a_conditional_count(tmp_path, variable, expected, subject):
    text = variable + TF_SINGLE + tf_covering(meta="count = var.enabled ? 1 : 0")
    result = one(scan_tf(tmp_path, text, "CT001"), "CT001", subject)
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "exists only if its count is above 0" in result.message
        by_trail = {t["trail"]: t["qualifies"] for t in result.evidence["trails"]}
        assert by_trail["aws_cloudtrail.s"] == "no"
        assert by_trail["aws_cloudtrail.main"].startswith("unknown (")
    if expected == "fail":  # count 0: the covering trail is not in the configuration at all
        assert [t["trail"] for t in result.evidence["trails"]] == ["aws_cloudtrail.s"]


def test_ct001_unknown_existence_alone_is_unknown_on_that_trail(tmp_path):
    text = 'variable "enabled" {}\n' + tf_covering(meta="count = var.enabled ? 1 : 0")
    result = one(scan_tf(tmp_path, text, "CT001"), "CT001")
    assert (result.resource.id, result.status) == ("aws_cloudtrail.main", "unknown")


def test_ct001_count_decided_by_tfvars_passes(tmp_path):
    text = 'variable "enabled" {}\n' + TF_SINGLE + tf_covering(meta="count = var.enabled ? 1 : 0")
    outcome = scan_tf(tmp_path, text, "CT001", **{"terraform.tfvars": "enabled = true\n"})
    assert status(outcome, "CT001", "aws_cloudtrail.s") == "pass"


def test_ct001_count_error_is_reported_beside_the_unknown(tmp_path):
    text = 'variable "enabled" {}\n' + TF_SINGLE + tf_covering(meta="count = var.enabled ? 1 : 0")
    outcome = scan_tf(tmp_path, text, "CT001")
    [error] = [e for e in outcome.errors if "number of instances cannot be decided" in e.message]
    assert error.kind == "parse" and error.path == "cfg/main.tf"
    assert "may not exist" in error.message


@pytest.mark.parametrize(
    ("for_each", "expected"),
    [
        ("var.names", "unknown"),
        ('toset(["a"])', "pass"),
        ('{ a = "x" }', "pass"),
        ("toset([])", "fail"),
    ],
    ids=["unknown-collection", "known-set", "known-map", "empty-set"],
)
def test_ct001_on_a_covering_trail_with_for_each(tmp_path, for_each, expected):
    text = 'variable "names" {}\n' + TF_SINGLE + tf_covering(meta=f"for_each = {for_each}")
    result = one(scan_tf(tmp_path, text, "CT001"), "CT001", "aws_cloudtrail.s")
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "exists only for the keys of its for_each" in result.message


def test_tf_for_each_over_an_unknown_collection_is_one_instance_that_may_not_exist(tmp_path):
    config = load_tf(
        tmp_path, {"main.tf": 'variable "names" {}\n' + tf_covering(meta="for_each = var.names")}
    )
    [trail] = [r for r in config.resources if r.type == TRAIL]
    assert trail.id == "aws_cloudtrail.main"
    assert isinstance(trail.exists, Unknown)
    assert "exists only for the keys of its for_each" in trail.exists.reason


# -- existence: Terraform module instances ---------------------------------------------------------

AUDIT_MODULE = {"audit/main.tf": tf_covering()}


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ('variable "x" {}', "unknown"),
        ('variable "x" {\n  default = 1\n}', "pass"),
        ('variable "x" {\n  default = 0\n}', "fail"),
    ],
    ids=["no-default", "one", "zero"],
)
def test_ct001_on_a_module_with_count_wrapping_the_covering_trail(tmp_path, variable, expected):
    text = variable + '\nmodule "audit" {\n  source = "./audit"\n  count  = var.x\n}\n' + TF_SINGLE
    result = one(scan_tf(tmp_path, text, "CT001", **AUDIT_MODULE), "CT001", "aws_cloudtrail.s")
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "module.audit exists only if its count is above 0" in result.message


def test_module_with_unknown_count_gives_its_resources_unknown_existence(tmp_path):
    config = load_tf(
        tmp_path,
        {
            "main.tf": 'variable "x" {}\nmodule "audit" {\n  source = "./audit"\n  count  = var.x\n}\n',
            **AUDIT_MODULE,
        },
    )
    [trail] = [r for r in config.resources if r.type == TRAIL]
    assert trail.id == "module.audit.aws_cloudtrail.main"
    assert isinstance(trail.exists, Unknown)
    assert "module.audit exists only if its count is above 0" in trail.exists.reason


def test_unknown_existence_of_a_module_reaches_the_modules_it_calls(tmp_path):
    outcome = scan_tf(
        tmp_path,
        'variable "x" {}\nmodule "outer" {\n  source = "./outer"\n  count  = var.x\n}\n' + TF_SINGLE,
        "CT001",
        **{
            "outer/main.tf": 'module "audit" {\n  source = "../audit"\n}\n',
            **AUDIT_MODULE,
        },
    )
    result = one(outcome, "CT001", "aws_cloudtrail.s")
    assert result.status == "unknown", result.message
    assert "module.outer exists only if its count is above 0" in result.message


def test_ct001_on_a_module_with_for_each_over_an_unknown_collection(tmp_path):
    text = 'variable "x" {}\nmodule "audit" {\n  source   = "./audit"\n  for_each = var.x\n}\n' + TF_SINGLE
    result = one(scan_tf(tmp_path, text, "CT001", **AUDIT_MODULE), "CT001", "aws_cloudtrail.s")
    assert result.status == "unknown", result.message
    assert "module.audit exists only for the keys of its for_each" in result.message


# -- existence: CloudFormation conditions ----------------------------------------------------------

CFN_SINGLE = """
  Single:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: logs
      IsLogging: true
"""
CFN_COVERING = """
  Main:
    Type: AWS::CloudTrail::Trail
    Condition: {condition}
    Properties:
      S3BucketName: logs
      IsLogging: true
      IsMultiRegionTrail: true
"""


def cfn_conditional(parameters: str, conditions: str, condition: str = "IsProd") -> str:
    return (
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        f"Parameters:\n{textwrap.indent(textwrap.dedent(parameters), '  ')}"
        f"Conditions:\n{textwrap.indent(textwrap.dedent(conditions), '  ')}"
        "Resources:" + CFN_SINGLE + CFN_COVERING.format(condition=condition)
    )


ENV_WITHOUT_DEFAULT = "Env:\n  Type: String\n"
IS_PROD = "IsProd: !Equals [!Ref Env, prod]\n"


def test_cfn_undecidable_condition_makes_existence_unknown(tmp_path):
    config = load_cfn(tmp_path, cfn_conditional(ENV_WITHOUT_DEFAULT, IS_PROD))
    exists = {r.id: r.exists for r in config.resources}
    assert exists["Single"] is True
    assert isinstance(exists["Main"], Unknown)
    assert "created only if condition IsProd holds" in exists["Main"].reason
    assert "Env" in exists["Main"].reason


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (ENV_WITHOUT_DEFAULT, "unknown"),
        (ENV_WITHOUT_DEFAULT + "  Default: prod\n", "pass"),
        (ENV_WITHOUT_DEFAULT + "  Default: dev\n", "fail"),
    ],
    ids=["no-default", "default-prod", "default-dev"],
)
def test_ct001_on_a_covering_trail_with_a_condition(tmp_path, parameters, expected):
    outcome = scan_cfn(tmp_path, cfn_conditional(parameters, IS_PROD), "CT001", "CT002")
    result = one(outcome, "CT001", "Single")
    assert result.status == expected, result.message
    if expected == "unknown":
        assert "created only if condition IsProd holds" in result.message
    if expected == "fail":  # never created with the template's values: nothing to judge on it
        assert [t["trail"] for t in result.evidence["trails"]] == ["Single"]
        assert [r.resource.id for r in outcome.results if r.rule_id == "CT002"] == ["Single"]


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        # Or: one true operand decides, whatever the other one is.
        ("IsProd: !Or [!Equals [!Ref Env, prod], !Equals [!Ref Unset, x]]\n", "pass"),
        # And: one false operand decides.
        ("IsProd: !And [!Equals [!Ref Env, dev], !Equals [!Ref Unset, x]]\n", "fail"),
        # And with a true operand: the unknown one decides.
        ("IsProd: !And [!Equals [!Ref Env, prod], !Equals [!Ref Unset, x]]\n", "unknown"),
        ("IsProd: !Not [!Equals [!Ref Unset, x]]\n", "unknown"),
    ],
    ids=["or-true", "and-false", "and-unknown", "not-unknown"],
)
def test_ct001_condition_logic_is_three_valued(tmp_path, conditions, expected):
    parameters = "Env:\n  Type: String\n  Default: prod\nUnset:\n  Type: String\n"
    result = one(scan_cfn(tmp_path, cfn_conditional(parameters, conditions), "CT001"), "CT001", "Single")
    assert result.status == expected, result.message


@pytest.mark.parametrize(
    ("default", "compared", "expected"),
    [
        ('"true"', "true", "pass"),  # the YAML boolean is the string "true" to CloudFormation
        ("true", "true", "pass"),
        ('"true"', '"true"', "pass"),
        ('"false"', "true", "fail"),
        ("false", "true", "fail"),
        ('"1"', "1", "pass"),
        ('"2"', "1", "fail"),
    ],
    ids=["str-true", "bool-true", "both-strings", "str-false", "bool-false", "number", "other-number"],
)
def test_cfn_equals_compares_parameter_values_as_strings(tmp_path, default, compared, expected):
    template = cfn_conditional(
        f"Flag:\n  Type: String\n  Default: {default}\n",
        f"FlagSet: !Equals [!Ref Flag, {compared}]\n",
        "FlagSet",
    )
    result = one(scan_cfn(tmp_path, template, "CT001"), "CT001", "Single")
    assert result.status == expected, result.message


SSM_TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  MultiRegion:
    Type: {ptype}
    Default: {default}
Resources:
  Main:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: logs
      IsLogging: true
      IsMultiRegionTrail: !Ref MultiRegion
"""


def test_cfn_ssm_parameter_values_are_unknown_even_with_a_default(tmp_path):
    template = SSM_TEMPLATE.format(ptype="AWS::SSM::Parameter::Value<String>", default="/audit/multi-region")
    outcome = scan_cfn(tmp_path, template, "CT001", "CT002")
    ct002 = one(outcome, "CT002", "Main")
    assert ct002.status == "unknown", ct002.message
    assert "SSM parameter /audit/multi-region" in ct002.message
    ct001 = one(outcome, "CT001", "Main")
    assert ct001.status == "unknown", ct001.message
    assert "MultiRegion" in ct001.message


def test_cfn_ssm_parameter_default_that_looks_like_a_value_is_still_unknown(tmp_path):
    # The Default of an SSM parameter type is the name of the SSM parameter, never the value.
    template = SSM_TEMPLATE.format(ptype="AWS::SSM::Parameter::Value<String>", default='"true"')
    assert status(scan_cfn(tmp_path, template, "CT002"), "CT002", "Main") == "unknown"


def test_cfn_plain_string_parameter_with_the_same_default_is_decided(tmp_path):
    template = SSM_TEMPLATE.format(ptype="String", default='"true"')
    outcome = scan_cfn(tmp_path, template, "CT001", "CT002")
    assert status(outcome, "CT002", "Main") == "pass"
    assert status(outcome, "CT001", "Main") == "pass"


def test_cfn_ssm_parameter_in_a_condition_makes_existence_unknown(tmp_path):
    template = cfn_conditional(
        "Stage:\n  Type: AWS::SSM::Parameter::Value<String>\n  Default: prod\n",
        "IsProd: !Equals [!Ref Stage, prod]\n",
    )
    result = one(scan_cfn(tmp_path, template, "CT001"), "CT001", "Single")
    assert result.status == "unknown", result.message
    assert "created only if condition IsProd holds" in result.message


# -- unscanned parts: Terraform modules ------------------------------------------------------------

UNSCANNED_SOURCES = pytest.mark.parametrize(
    ("source", "said"),
    [
        ('"terraform-aws-modules/cloudtrail/aws"', "remote module (terraform-aws-modules/cloudtrail/aws)"),
        ('"git::https://example.com/audit.git?ref=v1"', "remote module (git::https://example.com/audit.git"),
        ('"./missing"', "module directory ./missing is missing"),
        ("var.source", "has no literal source"),
    ],
    ids=["registry", "git", "missing-local", "not-literal"],
)


@UNSCANNED_SOURCES
def test_configuration_level_fails_become_unknown_with_an_unscanned_module(tmp_path, source, said):
    text = f'variable "source" {{}}\nmodule "audit" {{\n  source = {source}\n}}\n' + TF_SINGLE
    outcome = scan_tf(tmp_path, text, *CONFIG_LEVEL, "CT002")
    for rule_id in CONFIG_LEVEL:
        result = one(outcome, rule_id, "aws_cloudtrail.s")
        assert result.status == "unknown", (rule_id, result.message)
        assert "not scanned" in result.message and "module.audit" in result.message, result.message
        assert said in result.message, result.message
    # Per-trail verdicts are about declared trails only: the module changes nothing there.
    assert status(outcome, "CT002", "aws_cloudtrail.s") == "fail"


@UNSCANNED_SOURCES
def test_configuration_level_pass_stays_a_pass_with_an_unscanned_module(tmp_path, source, said):
    text = f'variable "source" {{}}\nmodule "audit" {{\n  source = {source}\n}}\n' + TF_SINGLE + tf_covering()
    outcome = scan_tf(tmp_path, text, "CT001", "CT008")
    assert status(outcome, "CT001", "aws_cloudtrail.s") == "pass"
    assert status(outcome, "CT008", "aws_cloudtrail.s") == "pass"


def test_without_unscanned_parts_the_same_configuration_fails(tmp_path):
    outcome = scan_tf(tmp_path, TF_SINGLE, *CONFIG_LEVEL)
    for rule_id in CONFIG_LEVEL:
        assert status(outcome, rule_id, "aws_cloudtrail.s") == "fail", rule_id


def test_remote_module_called_from_a_local_module_is_unscanned_too(tmp_path):
    outcome = scan_tf(
        tmp_path,
        'module "wrapper" {\n  source = "./wrapper"\n}\n' + TF_SINGLE,
        "CT001",
        **{"wrapper/main.tf": 'module "audit" {\n  source = "terraform-aws-modules/cloudtrail/aws"\n}\n'},
    )
    result = one(outcome, "CT001", "aws_cloudtrail.s")
    assert result.status == "unknown", result.message
    assert "module.wrapper.module.audit" in result.message


def test_remote_module_inside_a_module_that_is_never_created_is_not_unscanned(tmp_path):
    outcome = scan_tf(
        tmp_path,
        'module "wrapper" {\n  source = "./wrapper"\n  count  = 0\n}\n' + TF_SINGLE,
        "CT001",
        **{"wrapper/main.tf": 'module "audit" {\n  source = "terraform-aws-modules/cloudtrail/aws"\n}\n'},
    )
    assert status(outcome, "CT001", "aws_cloudtrail.s") == "fail"


@pytest.mark.parametrize("meta", ["count = 0", "for_each = {}"], ids=["count-0", "empty-for_each"])
def test_remote_module_that_is_never_created_is_not_unscanned(tmp_path, meta):
    text = f'module "audit" {{\n  source = "terraform-aws-modules/cloudtrail/aws"\n  {meta}\n}}\n' + TF_SINGLE
    assert status(scan_tf(tmp_path, text, "CT001"), "CT001", "aws_cloudtrail.s") == "fail"


# -- unscanned parts: CloudFormation nested stacks and SAM applications ---------------------------

NESTED_STACK = """
  Audit:
    Type: AWS::CloudFormation::Stack
    {condition}
    Properties:
      TemplateURL: https://s3.amazonaws.com/templates/audit.yaml
"""
SAM_APPLICATION = """
  Audit:
    Type: AWS::Serverless::Application
    Properties:
      Location:
        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/audit
        SemanticVersion: 1.0.0
"""
CFN_GOOD = """
  Main:
    Type: AWS::CloudTrail::Trail
    Properties:
      S3BucketName: logs
      IsLogging: true
      IsMultiRegionTrail: true
      InsightSelectors:
        - InsightType: ApiCallRateInsight
        - InsightType: ApiErrorRateInsight
"""


def cfn_template(resources: str, transform: bool = False) -> str:
    head = 'AWSTemplateFormatVersion: "2010-09-09"\n'
    if transform:
        head += "Transform: AWS::Serverless-2016-10-31\n"
    head += "Parameters:\n  Env:\n    Type: String\n    Default: dev\n"
    head += "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n"
    return head + "Resources:" + CFN_SINGLE + resources


NESTED = pytest.mark.parametrize(
    ("resource", "transform", "said"),
    [
        (NESTED_STACK.format(condition=""), False, "nested stack Audit (cfg/template.yaml:"),
        (SAM_APPLICATION, True, "SAM application Audit (cfg/template.yaml:"),
    ],
    ids=["nested-stack", "sam-application"],
)


@NESTED
def test_cfn_configuration_level_fails_become_unknown_with_a_nested_template(
    tmp_path, resource, transform, said
):
    outcome = scan_cfn(tmp_path, cfn_template(resource, transform), *CONFIG_LEVEL, "CT002")
    for rule_id in CONFIG_LEVEL:
        result = one(outcome, rule_id, "Single")
        assert result.status == "unknown", (rule_id, result.message)
        assert "not scanned" in result.message and said in result.message, result.message
    assert status(outcome, "CT002", "Single") == "fail"


@NESTED
def test_cfn_configuration_level_pass_stays_a_pass_with_a_nested_template(
    tmp_path, resource, transform, said
):
    outcome = scan_cfn(tmp_path, cfn_template(resource + CFN_GOOD, transform), "CT001", "CT008")
    assert status(outcome, "CT001", "Single") == "pass"
    assert status(outcome, "CT008", "Single") == "pass"


def test_ct008_unknown_with_a_nested_stack_even_beside_a_multi_region_trail_without_insights(tmp_path):
    no_insights = CFN_GOOD.split("      InsightSelectors:")[0]
    outcome = scan_cfn(
        tmp_path, cfn_template(NESTED_STACK.format(condition="") + no_insights), "CT001", "CT008"
    )
    assert status(outcome, "CT001", "Single") == "pass"
    result = one(outcome, "CT008", "Single")
    assert result.status == "unknown", result.message
    assert "nested stack Audit" in result.message


def test_nested_stack_that_is_never_created_is_not_unscanned(tmp_path):
    template = cfn_template(NESTED_STACK.format(condition="Condition: IsProd"))  # Env defaults to dev
    outcome = scan_cfn(tmp_path, template, "CT001", "CT008")
    assert status(outcome, "CT001", "Single") == "fail"
    assert status(outcome, "CT008", "Single") == "fail"


def test_nested_stack_is_recorded_in_the_scope(tmp_path):
    config = load_cfn(tmp_path, cfn_template(NESTED_STACK.format(condition="")))
    [entry] = config.scope.unscanned
    assert entry.startswith("nested stack Audit (cfg/template.yaml:")


# -- DE004: the region of a Terraform endpoint configuration ---------------------------------------

PROVIDERS = """
variable "region" {}

provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

provider "aws" {
  alias  = "east"
  region = "us-east-1"
}

provider "aws" {
  alias  = "somewhere"
  region = var.region
}
"""


def sagemaker_trail(extra: str = "") -> str:
    """A logging trail (single-region unless `extra` says otherwise) recording endpoint data events."""
    return f"""
resource "aws_cloudtrail" "t" {{
  name           = "t"
  s3_bucket_name = "logs"
  {extra}
  advanced_event_selector {{
    name = "endpoints"
    field_selector {{
      field  = "eventCategory"
      equals = ["Data"]
    }}
    field_selector {{
      field  = "resources.type"
      equals = ["AWS::SageMaker::Endpoint"]
    }}
  }}
}}
"""


def endpoint_config(extra: str = "") -> str:
    return f"""
resource "aws_sagemaker_endpoint_configuration" "ec" {{
  name = "fraud"
  {extra}
  production_variants {{
    variant_name           = "main"
    model_name             = "fraud-model"
    instance_type          = "ml.m5.large"
    initial_instance_count = 2
  }}
}}
"""


EC = "aws_sagemaker_endpoint_configuration.ec"


def de004(tmp_path: Path, trail_extra: str, ec_extra: str) -> Result:
    outcome = scan_tf(tmp_path, PROVIDERS + sagemaker_trail(trail_extra) + endpoint_config(ec_extra), "DE004")
    return one(outcome, "DE004", EC)


def test_de004_trail_and_endpoint_configuration_on_the_default_provider(tmp_path):
    result = de004(tmp_path, "", "")
    assert result.status == "pass", result.message


def test_de004_trail_and_endpoint_configuration_on_the_same_provider_alias(tmp_path):
    result = de004(tmp_path, "provider = aws.west", "provider = aws.west")
    assert result.status == "pass", result.message


def test_de004_multi_region_trail_covers_an_endpoint_configuration_of_any_provider(tmp_path):
    result = de004(tmp_path, "is_multi_region_trail = true", "provider = aws.west")
    assert result.status == "pass", result.message


def test_de004_provider_region_from_a_variable_without_value_is_unknown(tmp_path):
    result = de004(tmp_path, "", "provider = aws.somewhere")
    assert result.status == "unknown", result.message
    assert "may be deployed to different regions" in result.message
    assert "aws.somewhere" in result.message


def test_de004_single_region_trail_of_the_default_region_does_not_cover_an_alias_in_another_region(
    tmp_path,
):
    result = de004(tmp_path, "", "provider = aws.west")
    assert result.status == "fail", result.message


def test_de004_single_region_trail_covers_an_alias_with_the_same_literal_region(tmp_path):
    result = de004(tmp_path, "", "provider = aws.east")
    assert result.status == "pass", result.message


def test_de004_different_literal_resource_regions_do_not_cover(tmp_path):
    result = de004(tmp_path, 'region = "us-east-1"', 'region = "us-west-2"')
    assert result.status == "fail", result.message
    [entry] = result.evidence["trails"]
    assert entry["counts"] is False


def test_de004_same_literal_resource_region_covers(tmp_path):
    result = de004(tmp_path, 'region = "us-west-2"', 'region = "us-west-2"')
    assert result.status == "pass", result.message


def test_de004_trail_of_unknown_existence_does_not_give_a_pass(tmp_path):
    outcome = scan_tf(
        tmp_path,
        'variable "on" {}\n' + sagemaker_trail("count = var.on ? 1 : 0") + endpoint_config(),
        "DE004",
    )
    result = one(outcome, "DE004", EC)
    assert result.status == "unknown", result.message
    assert "exists only if its count is above 0" in result.message
