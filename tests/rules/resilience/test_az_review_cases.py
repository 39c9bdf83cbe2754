"""Cases a review of the resilience pack found, each pinned on the smallest configuration
that showed it (Terraform and CloudFormation)."""

from __future__ import annotations

from pathlib import Path

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write


def tf(tmp_path: Path, text: str, *ids: str) -> dict[tuple[str, str], str]:
    write(tmp_path / "cfg", {"main.tf": text})
    return _verdicts(scan_iac([tmp_path / "cfg"], rules(*ids), tmp_path), ids)


def cfn(tmp_path: Path, text: str, *ids: str) -> dict[tuple[str, str], str]:
    path = write(tmp_path, {"stack.yaml": text}) / "stack.yaml"
    return _verdicts(scan_iac([path], rules(*ids), tmp_path), ids)


def _verdicts(out: ScanOutcome, ids: tuple[str, ...]) -> dict[tuple[str, str], str]:
    return {(r.rule_id, r.resource.id): r.status.value for i in ids for r in results(out, i)}


SUBNETS = """
resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.0.0/24"
  availability_zone = "us-east-1a"
}
resource "aws_subnet" "b" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1b"
}
resource "aws_nat_gateway" "a" {
  subnet_id = aws_subnet.a.id
}
resource "aws_route_table" "private" {
  vpc_id = "vpc-1"
}
resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.private.id
}
"""


def test_a_member_that_may_not_be_created_does_not_make_a_pass(tmp_path):
    got = tf(
        tmp_path,
        """
variable "ha" { type = bool }
resource "aws_rds_cluster" "c" { engine = "aurora-postgresql" }
resource "aws_rds_cluster_instance" "w" {
  cluster_identifier = aws_rds_cluster.c.id
  engine             = "aurora-postgresql"
  instance_class     = "db.r6g.large"
  availability_zone  = "us-east-1a"
}
resource "aws_rds_cluster_instance" "r" {
  count              = var.ha ? 1 : 0
  cluster_identifier = aws_rds_cluster.c.id
  engine             = "aurora-postgresql"
  instance_class     = "db.r6g.large"
  availability_zone  = "us-east-1b"
}
resource "aws_sagemaker_endpoint_configuration" "cfg" {
  production_variants {
    variant_name           = "A"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "e" {
  name                 = "e"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.cfg.name
}
resource "aws_appautoscaling_target" "t" {
  count              = var.ha ? 1 : 0
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.e.name}/variant/A"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 2
  max_capacity       = 4
}
""",
        "AZ002",
        "AZ005",
    )
    assert got == {
        ("AZ002", "aws_rds_cluster.c"): "unknown",
        ("AZ005", "aws_sagemaker_endpoint_configuration.cfg"): "unknown",
    }


def test_every_endpoint_of_a_shared_configuration_needs_its_own_minimum(tmp_path):
    got = cfn(
        tmp_path,
        """
Resources:
  Cfg:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants: [{VariantName: A, ModelName: m, InstanceType: ml.m5.large, InitialInstanceCount: 1}]
  One: {Type: AWS::SageMaker::Endpoint, Properties: {EndpointConfigName: !GetAtt Cfg.EndpointConfigName}}
  Two: {Type: AWS::SageMaker::Endpoint, Properties: {EndpointConfigName: !GetAtt Cfg.EndpointConfigName}}
  Scaled:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ServiceNamespace: sagemaker
      ScalableDimension: sagemaker:variant:DesiredInstanceCount
      ResourceId: !Sub "endpoint/${One.EndpointName}/variant/A"
      MinCapacity: 2
      MaxCapacity: 4
  Disabled:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      ProductionVariants:
        - VariantName: A
          ModelName: m
          InstanceType: ml.m5.large
          InitialInstanceCount: 1
          ManagedInstanceScaling: {Status: DISABLED, MinInstanceCount: 2, MaxInstanceCount: 4}
""",
        "AZ005",
    )
    assert got == {("AZ005", "Cfg"): "unknown", ("AZ005", "Disabled"): "fail"}


def test_zone_names_and_ids_are_not_counted_as_two_zones(tmp_path):
    got = tf(
        tmp_path,
        """
resource "aws_subnet" "by_id" {
  vpc_id               = "vpc-1"
  cidr_block           = "10.0.0.0/24"
  availability_zone_id = "use1-az1"
}
resource "aws_subnet" "by_name" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1a"
}
resource "aws_autoscaling_group" "mixed" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.by_id.id, aws_subnet.by_name.id]
}
""",
        "AZ003",
    )
    assert got == {("AZ003", "aws_autoscaling_group.mixed"): "unknown"}


def test_a_nat_gateway_given_as_gateway_id_is_a_nat_route(tmp_path):
    got = tf(
        tmp_path,
        SUBNETS
        + """
resource "aws_route" "gw" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_nat_gateway.a.id
}
""",
        "AZ008",
    )
    # a has no association: its VPC's main route table is not declared (unknown).
    assert got == {("AZ008", "aws_subnet.b"): "fail", ("AZ008", "aws_subnet.a"): "unknown"}


def test_doubtful_routes_and_associations_that_cannot_matter(tmp_path):
    got = tf(
        tmp_path,
        SUBNETS
        + """
variable "peer_table" {}
variable "other_subnet" {}
resource "aws_route" "nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.a.id
}
resource "aws_route" "peer" {
  route_table_id            = var.peer_table
  destination_cidr_block    = "10.8.0.0/16"
  vpc_peering_connection_id = "pcx-123"
}
resource "aws_route_table_association" "other" {
  subnet_id      = var.other_subnet
  route_table_id = aws_route_table.private.id
}
""",
        "AZ008",
    )
    # b has its own association and its default route: the peering route (another
    # destination) and the doubtful association (b has one already) change nothing. a has
    # no association: the doubtful one may be it.
    assert got == {("AZ008", "aws_subnet.b"): "fail", ("AZ008", "aws_subnet.a"): "unknown"}


def test_an_unknown_inline_route_is_unknown_not_dropped(tmp_path):
    got = tf(
        tmp_path,
        """
variable "nat_route" {}
resource "aws_subnet" "b" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.1.0/24"
  availability_zone = "us-east-1b"
}
resource "aws_nat_gateway" "a" {
  subnet_id = "subnet-elsewhere"
  vpc_id    = "vpc-1"
}
resource "aws_route_table" "private" {
  vpc_id = "vpc-1"
  route = [{ cidr_block = "10.8.0.0/16", transit_gateway_id = "tgw-1" }, var.nat_route]
}
resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.private.id
}
""",
        "AZ008",
    )
    assert got == {("AZ008", "aws_subnet.b"): "unknown"}


def test_subnets_of_a_vpc_without_nat_gateway_are_not_asked_about(tmp_path):
    got = tf(
        tmp_path,
        SUBNETS
        + """
resource "aws_subnet" "other_vpc" {
  vpc_id            = "vpc-2"
  cidr_block        = "10.1.0.0/24"
  availability_zone = "us-east-1a"
}
""",
        "AZ008",
    )
    # vpc-1's subnet a (no association) may use the main table; vpc-2 has no NAT gateway.
    assert got == {("AZ008", "aws_subnet.a"): "unknown"}


def test_cloudformation_cases(tmp_path):
    got = cfn(
        tmp_path,
        """
Parameters:
  Cluster: {Type: String}
Resources:
  SubA: {Type: AWS::EC2::Subnet, Properties: {VpcId: vpc-1, CidrBlock: 10.0.0.0/24, AvailabilityZone: us-east-1a}}
  Fs: {Type: AWS::EFS::FileSystem, Properties: {AvailabilityZoneName: !Select [0, !GetAZs ""]}}
  Asg:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: {MinSize: "1", MaxSize: "2", AvailabilityZones: [us-east-1a, us-east-1b], VPCZoneIdentifier: [!Ref SubA]}
  Prod: {Type: AWS::RDS::DBCluster, Properties: {Engine: aurora-mysql, DBClusterIdentifier: ProdDB}}
  P1: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: proddb, DBInstanceClass: db.r6g.large, AvailabilityZone: us-east-1a}}
  P2: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: proddb, DBInstanceClass: db.r6g.large, AvailabilityZone: us-east-1b}}
  Member: {Type: AWS::RDS::DBInstance, Properties: {Engine: aurora-mysql, DBClusterIdentifier: !Ref Cluster, DBInstanceClass: db.r6g.large}}
""",
        "AZ001",
        "AZ002",
        "AZ003",
        "AZ007",
    )
    assert got == {
        ("AZ007", "Fs"): "fail",  # a zone of the region, whichever: One Zone
        ("AZ003", "Asg"): "fail",  # the subnets decide, not the zones listed beside them
        ("AZ002", "Prod"): "pass",  # identifiers are case-insensitive
        # Member names a cluster (a parameter): a cluster member, no AZ001 result.
    }


def test_live_scaling_targets_count_only_in_their_own_region(aws):
    from testkit import live_scan

    for region in ("us-east-1", "eu-west-1"):
        sm = aws.client("sagemaker", region_name=region)
        sm.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
        )
        variant = {
            "VariantName": "v",
            "ModelName": "m",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
        }
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[variant])
        sm.create_endpoint(EndpointName="prod", EndpointConfigName="c")
    aws.client("application-autoscaling", region_name="eu-west-1").register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/prod/variant/v",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=4,
    )
    out = live_scan(aws, "AZ005", regions=["us-east-1", "eu-west-1"])
    got = {r.resource.region: r.status.value for r in results(out, "AZ005") if r.resource.name == "prod"}
    assert got == {"us-east-1": "fail", "eu-west-1": "pass"}
