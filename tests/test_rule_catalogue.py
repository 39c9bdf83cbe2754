"""Contract checks over every discovered rule: ids, names, severities and families as in
RULES.md, complete documentation (description, remediation prose, Terraform and
CloudFormation snippets, references, compliance), the rule entry of the results document
(INTERFACE.md), and the `opscheck rules` / `opscheck explain` commands."""

from __future__ import annotations

import inspect
import io
import json
import re
from urllib.parse import urlparse

import pytest
import yaml

from scanner import engine
from scanner.cli import main
from scanner.model import Severity
from scanner.rule import Rule

# Copied from RULES.md (v1) for the implemented ids: id -> (name, default severity, family).
CATALOGUE = {
    "CT001": ("cloudtrail-account-coverage", "high", "cloudtrail"),
    "CT002": ("cloudtrail-trail-single-region", "medium", "cloudtrail"),
    "CT003": ("cloudtrail-logging-stopped", "high", "cloudtrail"),
    "CT004": ("cloudtrail-management-events-partial", "medium", "cloudtrail"),
    "CT005": ("cloudtrail-log-file-validation", "medium", "cloudtrail"),
    "CT006": ("cloudtrail-kms-encryption", "medium", "cloudtrail"),
    "CT007": ("cloudtrail-cloudwatch-logs", "low", "cloudtrail"),
    "CT008": ("cloudtrail-insights-disabled", "low", "cloudtrail"),
    "DE001": ("cloudtrail-s3-write-data-events", "medium", "data-events"),
    "DE002": ("cloudtrail-s3-read-data-events", "low", "data-events"),
    "DE003": ("cloudtrail-lambda-data-events", "low", "data-events"),
    "DE004": ("sagemaker-endpoint-invocations-unaudited", "medium", "data-events"),
    "DE005": ("cloudtrail-data-selector-invalid", "medium", "data-events"),
    "EB001": ("eventbridge-lambda-target-permission", "high", "eventbridge"),
    "EB002": ("eventbridge-sns-target-policy", "high", "eventbridge"),
    "EB003": ("eventbridge-sqs-target-policy", "high", "eventbridge"),
    "EB004": ("eventbridge-logs-target-policy", "high", "eventbridge"),
    "EB005": ("eventbridge-target-role-missing", "high", "eventbridge"),
    "EB006": ("eventbridge-target-role-trust", "high", "eventbridge"),
    "EB007": ("eventbridge-target-role-permission", "high", "eventbridge"),
    "EB008": ("eventbridge-lambda-permission-unscoped", "medium", "eventbridge"),
    "EB011": ("eventbridge-dlq-not-deliverable", "medium", "eventbridge"),
    "EB009": ("eventbridge-bus-policy-public", "high", "eventbridge"),
    "EB010": ("eventbridge-target-no-dlq", "low", "eventbridge"),
    "AZ001": ("rds-instance-single-az", "medium", "resilience"),
    "AZ002": ("rds-cluster-single-az", "medium", "resilience"),
    "AZ003": ("asg-single-az", "medium", "resilience"),
    "AZ004": ("elb-single-az", "medium", "resilience"),
    "AZ005": ("sagemaker-endpoint-single-instance", "medium", "resilience"),
    "AZ006": ("elasticache-single-az", "medium", "resilience"),
    "AZ007": ("efs-one-zone", "low", "resilience"),
    "AZ008": ("nat-gateway-cross-az-dependency", "low", "resilience"),
    "RS001": ("ec2-overprovisioned", "medium", "rightsizing"),
    "RS002": ("sagemaker-endpoint-overprovisioned", "medium", "rightsizing"),
    "RS003": ("rds-overprovisioned", "low", "rightsizing"),
    "RS004": ("ebs-iops-overprovisioned", "medium", "rightsizing"),
    "RS005": ("ebs-gp2-volume", "low", "rightsizing"),
    "RS006": ("ebs-unattached-volume", "low", "rightsizing"),
    "RS007": ("elb-idle", "low", "rightsizing"),
    "RS008": ("instance-previous-generation", "low", "rightsizing"),
    "RS009": ("instance-size-over-limit", "medium", "rightsizing"),
    "MON001": ("sagemaker-endpoint-no-alarms", "medium", "monitoring"),
    "MON002": ("sagemaker-endpoint-no-autoscaling", "low", "monitoring"),
    "MON003": ("log-group-no-retention", "low", "monitoring"),
    "IMG001": ("ami-not-approved", "medium", "images"),
    "IMG002": ("ecr-scan-on-push-disabled", "low", "images"),
    "IMG003": ("container-image-mutable-tag", "low", "images"),
    "IMG004": ("ecr-tag-mutability", "low", "images"),
}

# Controls RULES.md names in the "fails when" column: (accepted framework keys, control).
# "CIS 3.2" (CT005) names no benchmark version, so either CIS key satisfies it.
CIS = ("CIS-AWS-v5.0", "CIS-AWS-v1.4")
NAMED_CONTROLS = {
    "CT001": [(("CIS-AWS-v5.0",), "3.1"), (("AWS-FSBP",), "CloudTrail.1")],
    "CT005": [(CIS, "3.2"), (("AWS-FSBP",), "CloudTrail.4")],
    "CT006": [(("CIS-AWS-v5.0",), "3.5"), (("CIS-AWS-v1.4",), "3.7"), (("AWS-FSBP",), "CloudTrail.2")],
    "CT007": [(("CIS-AWS-v1.4",), "3.4"), (("AWS-FSBP",), "CloudTrail.5")],
    "DE001": [(("CIS-AWS-v5.0",), "3.8"), (("AWS-FSBP",), "S3.22")],
    "DE002": [(("CIS-AWS-v5.0",), "3.9"), (("AWS-FSBP",), "S3.23")],
    "AZ001": [(("AWS-FSBP",), "RDS.5")],
    "AZ002": [(("AWS-FSBP",), "RDS.15")],
    "AZ003": [(("AWS-FSBP",), "AutoScaling.2")],
    "AZ004": [(("AWS-FSBP",), "ELB.10"), (("AWS-FSBP",), "ELB.13")],
    "AZ005": [(("AWS-FSBP",), "SageMaker.4")],
    "AZ006": [(("AWS-FSBP",), "ElastiCache.3")],
    "MON003": [(("AWS-FSBP",), "CloudWatch.16")],
    "IMG002": [(("AWS-FSBP",), "ECR.1")],
    "IMG004": [(("AWS-FSBP",), "ECR.2")],
}

COMPLIANCE_KEYS = {"CIS-AWS-v5.0", "CIS-AWS-v1.4", "AWS-FSBP", "AWS-WA", "NIST-800-53-r5"}
SOURCES = {"aws", "terraform", "cloudformation"}
CFN_TYPE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")

# INTERFACE.md, the results document: the keys of an entry of "rules".
RULE_DOCUMENT_KEYS = {
    "id",
    "name",
    "title",
    "severity",
    "family",
    "description",
    "remediation",
    "references",
    "compliance",
    "sources",
    "precision",  # additive: SARIF's precision, so `opscheck report` can render it
}


def _discover() -> list[Rule]:
    ruleset = engine.discover()
    assert not ruleset.errors, ruleset.errors
    return ruleset.rules


RULES = _discover()
by_rule = pytest.mark.parametrize("r", RULES, ids=[r.id for r in RULES])


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that accepts CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...)."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_CfnLoader.add_multi_constructor("!", _any_tag)


def _sentences(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`(])", flat) if s.strip()]


# -- the catalogue as a whole ------------------------------------------------------------------


def test_discovered_rules_are_exactly_the_catalogue():
    assert [r.id for r in RULES] == sorted(CATALOGUE)


def test_rule_names_are_unique():
    names = [r.meta.name for r in RULES]
    assert len(names) == len(set(names))


# -- per rule ----------------------------------------------------------------------------------


@by_rule
def test_id_name_severity_family_as_in_rules_md(r: Rule):
    name, severity, family = CATALOGUE[r.id]
    assert r.meta.id == r.id
    assert r.meta.name == name
    assert r.meta.severity is Severity(severity)
    assert r.meta.family == family


@by_rule
def test_title_is_one_non_empty_line(r: Rule):
    title = r.meta.title
    assert title.strip() == title and title
    assert "\n" not in title


@by_rule
def test_description_is_the_docstring_of_at_least_two_sentences(r: Rule):
    description = r.meta.description
    assert description == inspect.cleandoc(r.evaluate_fn.__doc__ or "")
    sentences = _sentences(description)
    assert len(sentences) >= 2, sentences
    assert description.rstrip()[-1] in ".!?)"


@by_rule
def test_remediation_is_prose(r: Rule):
    remediation = r.meta.remediation
    assert "```" not in remediation
    assert remediation == remediation.strip()
    assert len(_sentences(remediation)) >= 1 and remediation[-1] in ".!?)"
    assert len(remediation.split()) >= 8


@by_rule
def test_terraform_snippet_declares_a_resource_with_balanced_braces(r: Rule):
    tf = r.meta.terraform
    if "terraform" not in r.meta.sources and not tf:
        return  # a live-only finding (an unattached volume): nothing to write in code
    assert tf.strip()
    assert "```" not in tf
    assert re.search(r'^resource "aws_[a-z0-9_]+" "[A-Za-z0-9_-]+" \{', tf, re.MULTILINE), tf
    assert tf.count("{") == tf.count("}")


@by_rule
def test_cloudformation_snippet_is_yaml_declaring_aws_resources(r: Rule):
    cfn = r.meta.cloudformation
    if "cloudformation" not in r.meta.sources and not cfn:
        return  # a live-only finding: nothing to write in code
    assert cfn.strip()
    assert "```" not in cfn
    doc = yaml.load(cfn, Loader=_CfnLoader)  # a SafeLoader subclass: safe
    assert isinstance(doc, dict) and doc
    for logical_id, resource in doc.items():
        assert re.fullmatch(r"[A-Za-z0-9]+", logical_id), logical_id
        assert isinstance(resource, dict)
        assert CFN_TYPE.match(resource.get("Type", "")), resource
        assert isinstance(resource.get("Properties"), dict) and resource["Properties"]


@by_rule
def test_remediation_markdown_carries_both_snippets(r: Rule):
    text = r.meta.to_dict()["remediation"]
    assert text.startswith(r.meta.remediation)
    if r.meta.terraform:
        assert "```hcl\n" + r.meta.terraform + "\n```" in text
    if r.meta.cloudformation:
        assert "```yaml\n" + r.meta.cloudformation + "\n```" in text
    assert r.meta.terraform or "terraform" not in r.meta.sources


@by_rule
def test_references_are_https_urls(r: Rule):
    assert r.meta.references
    for url in r.meta.references:
        parsed = urlparse(url)
        assert parsed.scheme == "https" and parsed.netloc, url
        assert not re.search(r"\s", url)


@by_rule
def test_compliance_keys_and_controls(r: Rule):
    compliance = r.meta.compliance
    assert set(compliance) <= COMPLIANCE_KEYS
    for controls in compliance.values():
        assert controls and all(isinstance(c, str) and c.strip() == c and c for c in controls)
    for keys, control in NAMED_CONTROLS.get(r.id, []):
        assert any(control in compliance.get(k, ()) for k in keys), (keys, control, compliance)


@by_rule
def test_sources_are_known_and_include_every_source_of_rules_md(r: Rule):
    sources = r.meta.sources
    assert set(sources) <= SOURCES
    assert len(sources) == len(set(sources))
    # RULES.md: DE005 is code-only (tf, cfn); the rightsizing rules that need metrics or an
    # attachment state are live-only; the others run on live accounts and (at least
    # config-level) on IaC.
    live_only = {"RS001", "RS002", "RS003", "RS004", "RS006", "RS007"}
    expected = SOURCES - {"aws"} if r.id == "DE005" else {"aws"} if r.id in live_only else SOURCES
    assert set(sources) == expected


@by_rule
def test_needs_name_cloudformation_types(r: Rule):
    assert r.meta.needs
    for rtype, facets in r.meta.needs.items():
        assert CFN_TYPE.match(rtype), rtype
        assert isinstance(facets, frozenset)
        assert all(isinstance(f, str) and re.fullmatch(r"[a-z][a-z_]*", f) for f in facets), facets


@by_rule
def test_to_dict_has_exactly_the_interface_keys(r: Rule):
    d = r.meta.to_dict()
    assert set(d) == RULE_DOCUMENT_KEYS
    assert json.loads(json.dumps(d)) == d
    assert (d["id"], d["name"], d["family"], d["title"]) == (
        r.id,
        r.meta.name,
        r.meta.family,
        r.meta.title,
    )
    assert d["severity"] in {s.value for s in Severity} and d["severity"] == CATALOGUE[r.id][1]
    assert d["description"] == r.meta.description
    assert d["references"] == list(r.meta.references)
    assert d["sources"] == list(r.meta.sources)
    assert d["compliance"] == {k: list(v) for k, v in r.meta.compliance.items()}
    assert list(d["compliance"]) == sorted(d["compliance"])


# -- the commands ------------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_rules_json_lists_every_rule_document(capsys):
    code, text = _run("rules", "--format", "json")
    assert code == 0
    assert json.loads(text) == [r.meta.to_dict() for r in RULES]
    assert capsys.readouterr().err == ""  # no load warnings


def test_rules_markdown_has_a_section_per_rule():
    code, text = _run("rules", "--format", "markdown")
    assert code == 0
    assert text.startswith("# ")
    for rule_id, (name, severity, family) in CATALOGUE.items():
        assert f"\n## {rule_id}\n" in text
        assert re.search(
            rf"^\| \[{rule_id}\]\(#{rule_id.lower()}\) \| `{name}` \| {severity} \| {family} \|", text, re.M
        )
    for r in RULES:
        assert r.meta.description in text
        assert r.meta.cloudformation in text


@pytest.mark.parametrize("argv", [("rules",), ("rules", "--format", "table")], ids=["default", "table"])
def test_rules_table_has_a_row_per_rule(argv):
    code, text = _run(*argv)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["ID", "SEVERITY", "FAMILY", "NAME"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(CATALOGUE)
    for rule_id, (name, severity, family) in CATALOGUE.items():
        assert rows[rule_id][1:4] == [severity, family, name]


def test_explain_shows_the_rule_documentation(capsys):
    code, text = _run("explain", "CT004")
    assert code == 0
    ct004 = engine.discover().by_id()["CT004"].meta
    assert text.startswith(f"CT004 {CATALOGUE['CT004'][0]}: {ct004.title}\n")
    assert ct004.description in text
    assert ct004.remediation in text
    assert ct004.terraform in text and ct004.cloudformation in text
    for url in ct004.references:
        assert url in text
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("spelling", ["ct004", "cloudtrail-management-events-partial"])
def test_explain_accepts_lowercase_id_and_name(spelling):
    code, text = _run("explain", spelling)
    assert code == 0
    assert text.startswith("CT004 cloudtrail-management-events-partial:")


def test_explain_unknown_rule_is_a_usage_error(capsys):
    code, text = _run("explain", "ZZ999")
    assert code == 2
    assert text == ""
    assert "ZZ999" in capsys.readouterr().err
