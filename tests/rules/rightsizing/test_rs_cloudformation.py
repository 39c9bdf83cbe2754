"""RS005, RS008, RS009 on CloudFormation (the IaC-capable rightsizing rules): fail, pass and
unknown on named resources, asserted exactly; RS006 (live only) gives no IaC result."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

TEMPLATE = """
Parameters:
  Type: {Type: String}
Resources:
  Old: {Type: AWS::EC2::Instance, Properties: {InstanceType: m3.large, ImageId: ami-1}}
  T2: {Type: AWS::EC2::Instance, Properties: {InstanceType: t2.micro, ImageId: ami-1}}
  New: {Type: AWS::EC2::Instance, Properties: {InstanceType: m7i.large, ImageId: ami-1}}
  Big: {Type: AWS::EC2::Instance, Properties: {InstanceType: m5.16xlarge, ImageId: ami-1}}
  Gpu: {Type: AWS::EC2::Instance, Properties: {InstanceType: p4d.24xlarge, ImageId: ami-1}}
  Param: {Type: AWS::EC2::Instance, Properties: {InstanceType: !Ref Type, ImageId: ami-1}}
  Tpl: {Type: AWS::EC2::LaunchTemplate, Properties: {LaunchTemplateData: {InstanceType: c4.xlarge}}}
  Db: {Type: AWS::RDS::DBInstance, Properties: {DBInstanceClass: db.m3.medium, Engine: mysql}}
  Cfg:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.g5.12xlarge, InitialInstanceCount: 1}]
  Gp2: {Type: AWS::EC2::Volume, Properties: {Size: 2000, AvailabilityZone: us-east-1a}}
  Small: {Type: AWS::EC2::Volume, Properties: {Size: 100, VolumeType: gp2, AvailabilityZone: us-east-1a}}
  Gp3: {Type: AWS::EC2::Volume, Properties: {Size: 100, VolumeType: gp3, AvailabilityZone: us-east-1a}}
  Vt: {Type: AWS::EC2::Volume, Properties: {Size: 100, VolumeType: !Ref Type, AvailabilityZone: us-east-1a}}
"""

EXPECTED = {
    ("RS005", "Gp2"): ("fail", "low"),  # no type: gp2 is the default
    ("RS005", "Small"): ("fail", "low"),
    ("RS005", "Gp3"): ("pass", "low"),
    ("RS005", "Vt"): ("unknown", "low"),
    ("RS008", "Old"): ("fail", "low"),
    ("RS008", "T2"): ("fail", "info"),  # older generation, not previous
    ("RS008", "Tpl"): ("fail", "info"),
    ("RS008", "Db"): ("fail", "low"),
    ("RS008", "New"): ("pass", "low"),
    ("RS008", "Big"): ("pass", "low"),
    ("RS008", "Gpu"): ("pass", "low"),
    ("RS008", "Cfg"): ("pass", "low"),
    ("RS008", "Param"): ("unknown", "low"),
    ("RS009", "Big"): ("fail", "medium"),
    ("RS009", "Gpu"): ("fail", "medium"),
    ("RS009", "Cfg"): ("fail", "medium"),
    ("RS009", "Old"): ("pass", "medium"),
    ("RS009", "New"): ("pass", "medium"),
    ("RS009", "T2"): ("pass", "medium"),
    ("RS009", "Tpl"): ("pass", "medium"),
    ("RS009", "Db"): ("pass", "medium"),
    ("RS009", "Param"): ("unknown", "medium"),
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> ScanOutcome:
    root: Path = tmp_path_factory.mktemp("rs")
    path = write(root, {"stack.yaml": TEMPLATE}) / "stack.yaml"
    return scan_iac([path], rules("RS005", "RS006", "RS008", "RS009"), root)


def test_the_matrix_is_exact(outcome: ScanOutcome):
    assert outcome.errors == []
    got = {
        (r.rule_id, r.resource.id): (r.status.value, r.severity.value)
        for rule_id in ("RS005", "RS006", "RS008", "RS009")
        for r in results(outcome, rule_id)
    }
    assert got == EXPECTED


def test_the_gp3_recommendation_keeps_the_gp2_baseline(outcome: ScanOutcome):
    found = {r.resource.id: r for r in results(outcome, "RS005")}
    assert found["Gp2"].evidence["recommendation"] == {"VolumeType": "gp3", "Iops": 6000}  # 3 x 2,000 GiB
    assert found["Small"].evidence["recommendation"] == {"VolumeType": "gp3", "Iops": 3000}  # the gp3 floor
    assert "no type given: gp2 is the default" in found["Gp2"].message


def test_policy_parameters_change_the_verdict(tmp_path):
    """The size limit and the allowed accelerated families are rule parameters (opscheck.yml)."""
    (rule,) = rules("RS009")
    params = {**rule.meta.params, "max_size": "24xlarge", "allowed_accelerated": ["p4d", "g5"]}
    relaxed = dataclasses.replace(rule, meta=dataclasses.replace(rule.meta, params=params))
    path = write(tmp_path, {"stack.yaml": TEMPLATE}) / "stack.yaml"
    verdicts = {
        r.resource.id: r.status.value for r in results(scan_iac([path], [relaxed], tmp_path), "RS009")
    }
    assert verdicts["Big"] == verdicts["Gpu"] == verdicts["Cfg"] == "pass"
