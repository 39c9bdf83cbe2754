"""IMG001-IMG004 on one CloudFormation template: each rule fails, passes and is unknown (or
emits nothing) on named logical ids, asserted exactly.

Unknown comes from parameters without defaults, an `AWS::SSM::Parameter::Value<...>` parameter
(its default names the SSM parameter, not the AMI), a `{{resolve:ssm:...}}` dynamic reference
and an image whose tag a parameter gives. `!Sub`/`!Join` templates decide by their literal tail;
`!GetAtt Repo.RepositoryUri` alone is a repository with no tag.
"""

from __future__ import annotations

from pathlib import Path

from scanner import config as cfg
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

DIGEST = "sha256:" + "2d" * 32

TEMPLATE = f"""
Parameters:
  Ami: {{Type: String}}
  LatestAmi:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  Tag: {{Type: String}}
  Mutability: {{Type: String}}
Resources:
  # IMG001
  Golden: {{Type: AWS::EC2::Instance, Properties: {{ImageId: ami-0golden, InstanceType: t3.micro}}}}
  Stray: {{Type: AWS::EC2::Instance, Properties: {{ImageId: ami-0stray, InstanceType: t3.micro}}}}
  Chosen: {{Type: AWS::EC2::Instance, Properties: {{ImageId: !Ref Ami, InstanceType: t3.micro}}}}
  FromSsm: {{Type: AWS::EC2::Instance, Properties: {{ImageId: !Ref LatestAmi, InstanceType: t3.micro}}}}
  Templated:
    Type: AWS::EC2::Instance
    Properties: {{LaunchTemplate: {{LaunchTemplateId: !Ref Workers, Version: "1"}}}}
  Workers:
    Type: AWS::EC2::LaunchTemplate
    Properties: {{LaunchTemplateData: {{ImageId: "{{{{resolve:ssm:/golden/ami}}}}", InstanceType: m5.large}}}}
  GoldenWorkers:
    Type: AWS::EC2::LaunchTemplate
    Properties: {{LaunchTemplateData: {{ImageId: ami-0golden}}}}

  # IMG002 / IMG004
  Scanning:
    Type: AWS::ECR::RegistryScanningConfiguration
    Properties:
      ScanType: BASIC
      Rules:
        - ScanFrequency: SCAN_ON_PUSH
          RepositoryFilters: [{{Filter: "prod-*", FilterType: WILDCARD}}]
  ProdApi:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: prod-api
      ImageTagMutability: IMMUTABLE
      ImageScanningConfiguration: {{ScanOnPush: false}}
  DevApi:
    Type: AWS::ECR::Repository
    Properties: {{RepositoryName: dev-api}}
  Unnamed:
    # No name: CloudFormation makes one up, so no filter can be matched against it.
    Type: AWS::ECR::Repository
    Properties:
      ImageTagMutability: !Ref Mutability
  Excluded:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: prod-excluded
      ImageTagMutability: MUTABLE_WITH_EXCLUSION
      ImageTagMutabilityExclusionFilters:
        - {{ImageTagMutabilityExclusionFilterType: WILDCARD, ImageTagMutabilityExclusionFilterValue: "v*"}}

  # IMG003
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - {{Name: latest, Image: !Sub "${{DevApi.RepositoryUri}}:latest"}}
        - {{Name: untagged, Image: !GetAtt DevApi.RepositoryUri}}
        - {{Name: digest, Image: !Sub "${{ProdApi.RepositoryUri}}@{DIGEST}"}}
        - {{Name: joined, Image: !Join [":", [!GetAtt ProdApi.RepositoryUri, "2.1.0"]]}}
        - {{Name: parameter, Image: !Sub "${{ProdApi.RepositoryUri}}:${{Tag}}"}}
        - {{Name: dynamic, Image: "{{{{resolve:ssm:/images/api}}}}"}}
  Model:
    Type: AWS::SageMaker::Model
    Properties:
      ExecutionRoleArn: arn:aws:iam::123456789012:role/sm
      Containers:
        - {{Image: !Sub "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/pre", ContainerHostname: pre}}
        - {{Image: !Sub "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.amazonaws.com/model:3.0", ContainerHostname: model}}
"""


def scan(tmp_path: Path, *ids: str, params: str = "") -> ScanOutcome:
    root = write(tmp_path, {"template.yaml": TEMPLATE})
    chosen = cfg.parse(params).apply(rules(*ids)) if params else rules(*ids)
    return scan_iac([root / "template.yaml"], chosen, tmp_path)


def table(outcome: ScanOutcome, rule_id: str) -> dict[tuple[str, str | None], str]:
    return {(r.resource.id, r.discriminator): r.status.value for r in results(outcome, rule_id)}


def test_img001(tmp_path):
    assert results(scan(tmp_path, "IMG001"), "IMG001") == []  # nothing configured
    outcome = scan(tmp_path, "IMG001", params="params: {IMG001: {approved_images: [ami-0golden]}}")
    assert outcome.errors == []
    assert table(outcome, "IMG001") == {
        ("Golden", None): "pass",
        ("Stray", None): "fail",
        ("Chosen", None): "unknown",
        ("FromSsm", None): "unknown",  # the parameter's default names an SSM parameter
        ("Workers", None): "unknown",  # a dynamic reference
        ("GoldenWorkers", None): "pass",
    }


def test_img002(tmp_path):
    assert table(scan(tmp_path, "IMG002"), "IMG002") == {
        ("ProdApi", None): "pass",
        ("Excluded", None): "pass",  # prod-excluded matches prod-*
        ("DevApi", None): "fail",
        ("Unnamed", None): "unknown",  # its name is generated at deployment: prod-* may match it
    }


def test_img003(tmp_path):
    assert table(scan(tmp_path, "IMG003"), "IMG003") == {
        ("Task", "latest"): "fail",
        ("Task", "untagged"): "fail",
        ("Task", "digest"): "pass",
        ("Task", "joined"): "pass",
        ("Task", "parameter"): "unknown",
        ("Task", "dynamic"): "unknown",
        ("Model", "pre"): "fail",
        ("Model", "model"): "pass",
    }


def test_img004(tmp_path):
    outcome = scan(tmp_path, "IMG004")
    assert table(outcome, "IMG004") == {
        ("ProdApi", None): "pass",
        ("DevApi", None): "fail",  # ImageTagMutability defaults to MUTABLE
        ("Unnamed", None): "unknown",
        ("Excluded", None): "fail",  # mutable but for v*
    }
    excluded = next(r for r in results(outcome, "IMG004") if r.resource.id == "Excluded")
    assert "except those matching v*" in excluded.message
