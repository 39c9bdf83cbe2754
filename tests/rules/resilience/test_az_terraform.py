"""AZ001-AZ008 on one Terraform configuration: every rule fails, passes and is unknown on a
named resource, asserted exactly. Zones taken from `data.aws_availability_zones` by
different indexes (count.index) are different zones; a variable without a value, or a zone
AWS picks, makes the verdict unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules
from testkit import write_tree as write

IDS = tuple(f"AZ{n:03d}" for n in range(1, 9))

MAIN = """
variable "multi_az" {}
variable "zone" {}
variable "instances" {}

data "aws_availability_zones" "available" {}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.${count.index}.0/24"
  availability_zone = data.aws_availability_zones.available.names[count.index]
}
resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.10.0/24"
  availability_zone = "us-east-1a"
}
resource "aws_subnet" "b" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.11.0/24"
  availability_zone = "us-east-1b"
}
resource "aws_subnet" "picked" {
  vpc_id     = "vpc-1"
  cidr_block = "10.0.12.0/24"
}

# AZ001
resource "aws_db_instance" "single" {
  engine         = "postgres"
  instance_class = "db.t3.micro"
}
resource "aws_db_instance" "multi" {
  engine         = "postgres"
  instance_class = "db.t3.micro"
  multi_az       = true
}
resource "aws_db_instance" "maybe" {
  engine         = "postgres"
  instance_class = "db.t3.micro"
  multi_az       = var.multi_az
}
resource "aws_db_instance" "replica" {
  instance_class      = "db.t3.micro"
  replicate_source_db = aws_db_instance.multi.identifier
}

# AZ002
resource "aws_rds_cluster" "spread" {
  engine = "aurora-postgresql"
}
resource "aws_rds_cluster_instance" "spread" {
  count              = 2
  cluster_identifier = aws_rds_cluster.spread.id
  engine             = "aurora-postgresql"
  instance_class     = "db.r6g.large"
  availability_zone  = data.aws_availability_zones.available.names[count.index]
}
resource "aws_rds_cluster" "lonely" {
  engine = "aurora-mysql"
}
resource "aws_rds_cluster_instance" "lonely" {
  cluster_identifier = aws_rds_cluster.lonely.id
  engine             = "aurora-mysql"
  instance_class     = "db.r6g.large"
}
resource "aws_rds_cluster" "counted" {
  engine = "aurora-mysql"
}
resource "aws_rds_cluster_instance" "counted" {
  count              = var.instances
  cluster_identifier = aws_rds_cluster.counted.id
  engine             = "aurora-mysql"
  instance_class     = "db.r6g.large"
}

# AZ003
resource "aws_autoscaling_group" "spread" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = aws_subnet.private[*].id
}
resource "aws_autoscaling_group" "one" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.private[0].id]
}
resource "aws_autoscaling_group" "zones" {
  min_size           = 1
  max_size           = 2
  availability_zones = ["us-east-1a", "us-east-1b"]
}
resource "aws_autoscaling_group" "vague" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.a.id, aws_subnet.picked.id]
}

# AZ004
resource "aws_lb" "nlb" {
  load_balancer_type = "network"
  subnets            = [aws_subnet.a.id]
}
resource "aws_lb" "alb" {
  subnets = [aws_subnet.a.id, aws_subnet.b.id]
}
resource "aws_lb" "mapped" {
  load_balancer_type = "network"
  subnet_mapping {
    subnet_id = aws_subnet.a.id
  }
  subnet_mapping {
    subnet_id = "subnet-0123456789abcdef0"
  }
}

# AZ005
resource "aws_sagemaker_endpoint_configuration" "scaled" {
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint" "scaled" {
  name                 = "scaled"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.scaled.name
}
resource "aws_appautoscaling_target" "scaled" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.scaled.name}/variant/AllTraffic"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 2
  max_capacity       = 4
}
resource "aws_sagemaker_endpoint_configuration" "one" {
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = 1
  }
}
resource "aws_sagemaker_endpoint_configuration" "counted" {
  production_variants {
    variant_name           = "AllTraffic"
    model_name             = "m"
    instance_type          = "ml.m5.large"
    initial_instance_count = var.instances
  }
}
resource "aws_sagemaker_endpoint_configuration" "serverless" {
  production_variants {
    variant_name = "AllTraffic"
    model_name   = "m"
    serverless_config {
      max_concurrency   = 5
      memory_size_in_mb = 2048
    }
  }
}

# AZ006
resource "aws_elasticache_replication_group" "off" {
  replication_group_id       = "off"
  description                = "x"
  num_cache_clusters         = 2
  automatic_failover_enabled = true
}
resource "aws_elasticache_replication_group" "on" {
  replication_group_id       = "on"
  description                = "x"
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
}
resource "aws_elasticache_replication_group" "vague" {
  replication_group_id       = "vague"
  description                = "x"
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = var.multi_az
}
resource "aws_elasticache_cluster" "node" {
  cluster_id      = "node"
  engine          = "redis"
  node_type       = "cache.t3.micro"
  num_cache_nodes = 1
}

# AZ007
resource "aws_efs_file_system" "one_zone" {
  availability_zone_name = "us-east-1a"
}
resource "aws_efs_file_system" "regional" {}
resource "aws_efs_file_system" "vague" {
  availability_zone_name = var.zone
}

# AZ008
resource "aws_nat_gateway" "a" {
  subnet_id = aws_subnet.a.id
}
resource "aws_nat_gateway" "regional" {
  vpc_id            = "vpc-1"
  availability_mode = "regional"
}
resource "aws_route_table" "private" {
  vpc_id = "vpc-1"
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.a.id
  }
}
resource "aws_route_table" "regional" {
  vpc_id = "vpc-1"
}
resource "aws_route" "regional" {
  route_table_id         = aws_route_table.regional.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.regional.id
}
resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.private.id
}
resource "aws_route_table_association" "b" {
  subnet_id      = aws_subnet.b.id
  route_table_id = aws_route_table.private.id
}
resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.regional.id
}
"""

EXPECTED = {
    ("AZ001", "aws_db_instance.single"): "fail",
    ("AZ001", "aws_db_instance.multi"): "pass",
    ("AZ001", "aws_db_instance.maybe"): "unknown",
    ("AZ001", "aws_db_instance.replica"): "fail",
    ("AZ002", "aws_rds_cluster.spread"): "pass",
    ("AZ002", "aws_rds_cluster.lonely"): "fail",
    ("AZ002", "aws_rds_cluster.counted"): "unknown",
    ("AZ003", "aws_autoscaling_group.spread"): "pass",
    ("AZ003", "aws_autoscaling_group.one"): "fail",
    ("AZ003", "aws_autoscaling_group.zones"): "pass",
    ("AZ003", "aws_autoscaling_group.vague"): "unknown",
    ("AZ004", "aws_lb.nlb"): "fail",
    ("AZ004", "aws_lb.alb"): "pass",
    ("AZ004", "aws_lb.mapped"): "unknown",
    ("AZ005", "aws_sagemaker_endpoint_configuration.scaled"): "pass",
    ("AZ005", "aws_sagemaker_endpoint_configuration.one"): "fail",
    ("AZ005", "aws_sagemaker_endpoint_configuration.counted"): "unknown",
    ("AZ006", "aws_elasticache_replication_group.off"): "fail",
    ("AZ006", "aws_elasticache_replication_group.on"): "pass",
    ("AZ006", "aws_elasticache_replication_group.vague"): "unknown",
    ("AZ006", "aws_elasticache_cluster.node"): "fail",
    ("AZ007", "aws_efs_file_system.one_zone"): "fail",
    ("AZ007", "aws_efs_file_system.regional"): "pass",
    ("AZ007", "aws_efs_file_system.vague"): "unknown",
    ("AZ008", "aws_subnet.a"): "pass",
    ("AZ008", "aws_subnet.b"): "fail",
    ("AZ008", "aws_subnet.private[0]"): "pass",
    ("AZ008", "aws_subnet.private[1]"): "pass",
    ("AZ008", "aws_subnet.picked"): "unknown",
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> ScanOutcome:
    root: Path = tmp_path_factory.mktemp("az")
    write(root / "cfg", {"main.tf": MAIN})
    return scan_iac([root / "cfg"], rules(*IDS), root)


def test_the_matrix_is_exact(outcome: ScanOutcome):
    got = {(r.rule_id, r.resource.id): r.status.value for rule_id in IDS for r in results(outcome, rule_id)}
    assert got == EXPECTED
    for rule_id in IDS:
        assert {v for (r, _), v in got.items() if r == rule_id} == {"fail", "pass", "unknown"}, rule_id


@pytest.mark.parametrize(
    ("rule_id", "resource", "words"),
    [
        ("AZ002", "aws_rds_cluster.spread", "names[0]"),
        ("AZ003", "aws_autoscaling_group.vague", "AWS picks one"),
        ("AZ004", "aws_lb.mapped", "subnet-0123456789abcdef0"),
        ("AZ005", "aws_sagemaker_endpoint_configuration.scaled", "autoscaling minimum of 2 instances"),
        ("AZ008", "aws_subnet.b", "us-east-1a"),
    ],
)
def test_messages_say_why(outcome: ScanOutcome, rule_id: str, resource: str, words: str):
    [found] = [r for r in results(outcome, rule_id) if r.resource.id == resource]
    assert words in found.message, found.message
