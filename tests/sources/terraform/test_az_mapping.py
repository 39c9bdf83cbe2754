"""Terraform -> the canonical types and properties of the availability-zone pack (AZ001-AZ008,
scanner/model.py "Availability-zone resilience"), in .tf files and in plan JSON alike.

Absent attributes: the provider's defaults (reference/aws-rule-facts.md, provider v6), and
for the Optional+Computed ones the service's choice, mapped as absent, except two whose API
default the facts document: aws_db_instance.multi_az (absent: MultiAZ False, a single-AZ
instance) and aws_nat_gateway.availability_mode (absent: "zonal"). References between the
resources stay References to the declared addresses, count/for_each instances included.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scanner.model import (
    AUTOSCALING_GROUP,
    CACHE_CLUSTER,
    CLASSIC_LOAD_BALANCER,
    DB_CLUSTER,
    DB_INSTANCE,
    ENDPOINT_CONFIG,
    FILE_SYSTEM,
    LOAD_BALANCER,
    NAT_GATEWAY,
    REPLICATION_GROUP,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SCALABLE_TARGET,
    SUBNET,
    Reference,
    Resource,
    Unknown,
)
from scanner.sources import discovery
from scanner.sources.terraform.loader import load_terraform
from scanner.sources.terraform.plan import load_plan


def load(root: Path, text: str) -> dict[str, Resource]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text(textwrap.dedent(text))
    [config] = load_terraform([root], root, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def ref(target: str, attribute: str = "id", text: str | None = None) -> Reference:
    return Reference(text or f"{target}.{attribute}", target=target, attribute=attribute)


# -- RDS ---------------------------------------------------------------------------------------


def test_db_instance_with_everything_written(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_db_instance" "main" {
          identifier        = "orders"
          engine            = "postgres"
          instance_class    = "db.m6g.large"
          multi_az          = true
          availability_zone = "eu-west-1a"
          tags = { Team = "data" }
        }

        resource "aws_db_instance" "replica" {
          identifier          = "orders-replica"
          instance_class      = "db.m6g.large"
          replicate_source_db = aws_db_instance.main.identifier
        }
        """,
    )
    main = found["aws_db_instance.main"]
    assert main.type == DB_INSTANCE
    assert main.name == "orders"
    assert main.properties == {
        "DBInstanceIdentifier": "orders",
        "Engine": "postgres",
        "DBInstanceClass": "db.m6g.large",
        "MultiAZ": True,
        "AvailabilityZone": "eu-west-1a",
        "Tags": [{"Key": "Team", "Value": "data"}],
    }
    # The replica's source is known from the files: the literal identifier.
    assert found["aws_db_instance.replica"].properties == {
        "DBInstanceIdentifier": "orders-replica",
        "DBInstanceClass": "db.m6g.large",
        "MultiAZ": False,
        "SourceDBInstanceIdentifier": "orders",
    }


def test_db_instance_defaults_multi_az_false_and_leaves_the_zone_absent(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_db_instance" "bare" {
          instance_class = "db.t3.micro"
          engine         = "mysql"
        }
        """,
    )
    bare = found["aws_db_instance.bare"]
    assert bare.properties == {"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "MultiAZ": False}
    assert bare.name == "aws_db_instance.bare"


def test_db_instance_multi_az_from_a_variable_and_from_an_unknown(tmp_path):
    found = load(
        tmp_path,
        """
        variable "ha" {
          default = true
        }
        variable "free" {}

        resource "aws_db_instance" "var" {
          instance_class = "db.t3.micro"
          multi_az       = var.ha
        }

        resource "aws_db_instance" "unset" {
          instance_class = "db.t3.micro"
          multi_az       = var.free
        }
        """,
    )
    assert found["aws_db_instance.var"].properties["MultiAZ"] is True
    assert isinstance(found["aws_db_instance.unset"].properties["MultiAZ"], Unknown)


def test_rds_cluster_and_its_instances(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_rds_cluster" "aurora" {
          cluster_identifier = "orders"
          engine             = "aurora-postgresql"
          availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        }

        resource "aws_rds_cluster" "multi_az" {
          engine                    = "postgres"
          engine_mode               = "provisioned"
          db_cluster_instance_class = "db.r6gd.large"
        }

        resource "aws_rds_cluster_instance" "member" {
          count              = 2
          identifier         = "orders-${count.index}"
          cluster_identifier = aws_rds_cluster.aurora.id
          engine             = aws_rds_cluster.aurora.engine
          instance_class     = "db.r6g.large"
          availability_zone  = ["eu-west-1a", "eu-west-1b"][count.index]
        }

        resource "aws_rds_cluster_instance" "anywhere" {
          cluster_identifier = aws_rds_cluster.aurora.cluster_identifier
          engine             = "aurora-postgresql"
          instance_class     = "db.r6g.large"
        }
        """,
    )
    aurora = found["aws_rds_cluster.aurora"]
    assert aurora.type == DB_CLUSTER
    assert aurora.name == "orders"
    assert aurora.properties == {
        "DBClusterIdentifier": "orders",
        "Engine": "aurora-postgresql",
        "EngineMode": "provisioned",  # the provider's default
        "AvailabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    }
    assert found["aws_rds_cluster.multi_az"].properties == {
        "Engine": "postgres",
        "EngineMode": "provisioned",
        "DBClusterInstanceClass": "db.r6gd.large",
    }
    for index, zone in ((0, "eu-west-1a"), (1, "eu-west-1b")):
        member = found[f"aws_rds_cluster_instance.member[{index}]"]
        assert member.type == DB_INSTANCE
        assert member.properties == {
            "DBInstanceIdentifier": f"orders-{index}",
            "DBClusterIdentifier": ref("aws_rds_cluster.aurora"),
            "Engine": "aurora-postgresql",  # what the files decide of the cluster
            "DBInstanceClass": "db.r6g.large",
            "AvailabilityZone": zone,
        }
    # A cluster member takes no MultiAZ (it does not apply to Aurora), and AWS picks its zone.
    assert found["aws_rds_cluster_instance.anywhere"].properties == {
        "DBClusterIdentifier": "orders",
        "Engine": "aurora-postgresql",
        "DBInstanceClass": "db.r6g.large",
    }


# -- subnets, Auto Scaling groups, load balancers ------------------------------------------


NETWORK = """
data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.0.${count.index}.0/24"
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_subnet" "public" {
  for_each          = { a = "eu-west-1a", b = "eu-west-1b" }
  vpc_id            = aws_vpc.main.id
  availability_zone = each.value
  cidr_block        = each.key == "a" ? "10.0.10.0/24" : "10.0.11.0/24"
}

resource "aws_subnet" "by_id" {
  vpc_id               = aws_vpc.main.id
  availability_zone_id = "euw1-az3"
}

resource "aws_subnet" "anywhere" {
  vpc_id = aws_vpc.main.id
}
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> dict[str, Resource]:
    return load(
        tmp_path_factory.mktemp("network"),
        NETWORK
        + """
        resource "aws_autoscaling_group" "splat" {
          min_size            = 1
          max_size            = 4
          desired_capacity    = 2
          vpc_zone_identifier = aws_subnet.private[*].id
        }

        resource "aws_autoscaling_group" "listed" {
          name                = "web"
          min_size            = 2
          max_size            = 2
          vpc_zone_identifier = [aws_subnet.public["a"].id, aws_subnet.public["b"].id]
        }

        resource "aws_autoscaling_group" "zones" {
          min_size           = 0
          max_size           = 1
          availability_zones = ["eu-west-1a"]
        }

        resource "aws_lb" "app" {
          name    = "app"
          subnets = [for s in aws_subnet.public : s.id]
        }

        resource "aws_lb" "nlb" {
          load_balancer_type = "network"
          internal           = true

          subnet_mapping {
            subnet_id = aws_subnet.private[0].id
          }

          subnet_mapping {
            subnet_id     = aws_subnet.private[1].id
            allocation_id = "eipalloc-0123"
          }
        }

        resource "aws_alb" "old" {
          internal = false
          subnets  = ["subnet-0aaa", "subnet-0bbb"]
        }

        resource "aws_elb" "classic" {
          availability_zones = ["eu-west-1a"]
        }

        resource "aws_elb" "in_vpc" {
          name                      = "classic"
          subnets                   = [aws_subnet.private[0].id]
          cross_zone_load_balancing = false
        }
        """,
    )


def test_subnets_with_count_for_each_and_absent_zones(network):
    public_a = network['aws_subnet.public["a"]']
    assert public_a.type == SUBNET
    assert public_a.properties == {
        "VpcId": ref("aws_vpc.main"),
        "AvailabilityZone": "eu-west-1a",
        "CidrBlock": "10.0.10.0/24",
    }
    assert network['aws_subnet.public["b"]'].properties["AvailabilityZone"] == "eu-west-1b"
    assert network["aws_subnet.by_id"].properties == {
        "VpcId": ref("aws_vpc.main"),
        "AvailabilityZoneId": "euw1-az3",
    }
    # No zone written: AWS chooses it; absent, not defaulted.
    assert network["aws_subnet.anywhere"].properties == {"VpcId": ref("aws_vpc.main")}


def test_a_zone_from_the_availability_zones_data_source_is_unknown(network):
    """Data sources are not read: `names[count.index]` is an Unknown whose reason names the
    element each instance takes (`names[0]`, `names[1]`), then the expression as written, so
    the two instances' zones do not read alike (they are two different zones)."""
    zones = [network[f"aws_subnet.private[{i}]"].properties["AvailabilityZone"] for i in (0, 1)]
    reason = (
        "data.aws_availability_zones.available.names[{}] (data.aws_availability_zones.available.names[count.index]): "
        "data sources are read at plan time (only aws_iam_policy_document is evaluated)"
    )
    assert zones == [Unknown(reason.format(0)), Unknown(reason.format(1))]
    assert network["aws_subnet.private[1]"].properties["CidrBlock"] == "10.0.1.0/24"


def test_autoscaling_groups_keep_their_subnet_references(network):
    splat = network["aws_autoscaling_group.splat"]
    assert splat.type == AUTOSCALING_GROUP
    assert splat.properties == {
        "VPCZoneIdentifier": [
            ref("aws_subnet.private[0]"),
            ref("aws_subnet.private[1]"),
        ],
        "MinSize": 1,
        "MaxSize": 4,
        "DesiredCapacity": 2,
    }
    listed = network["aws_autoscaling_group.listed"]
    assert listed.name == "web"
    assert listed.properties == {
        "AutoScalingGroupName": "web",
        "VPCZoneIdentifier": [ref('aws_subnet.public["a"]'), ref('aws_subnet.public["b"]')],
        "MinSize": 2,
        "MaxSize": 2,
    }
    # availability_zones instead of subnets; the other of the two stays absent.
    assert network["aws_autoscaling_group.zones"].properties == {
        "AvailabilityZones": ["eu-west-1a"],
        "MinSize": 0,
        "MaxSize": 1,
    }


def test_application_load_balancer_defaults(network):
    app = network["aws_lb.app"]
    assert app.type == LOAD_BALANCER
    assert app.properties == {
        "Name": "app",
        "Type": "application",  # the provider's default
        "Subnets": [
            ref('aws_subnet.public["a"]'),
            ref('aws_subnet.public["b"]'),
        ],
    }


def test_network_load_balancer_with_subnet_mappings(network):
    assert network["aws_lb.nlb"].properties == {
        "Type": "network",
        "Scheme": "internal",
        "SubnetMappings": [
            {"SubnetId": ref("aws_subnet.private[0]")},
            {"SubnetId": ref("aws_subnet.private[1]"), "AllocationId": "eipalloc-0123"},
        ],
    }
    old = network["aws_alb.old"]
    assert old.type == LOAD_BALANCER
    assert old.properties == {
        "Type": "application",
        "Scheme": "internet-facing",
        "Subnets": ["subnet-0aaa", "subnet-0bbb"],
    }


def test_classic_load_balancers(network):
    classic = network["aws_elb.classic"]
    assert classic.type == CLASSIC_LOAD_BALANCER
    # cross_zone_load_balancing: the provider's default is true (CloudFormation's is false).
    assert classic.properties == {"AvailabilityZones": ["eu-west-1a"], "CrossZone": True}
    assert network["aws_elb.in_vpc"].properties == {
        "LoadBalancerName": "classic",
        "Subnets": [ref("aws_subnet.private[0]")],
        "CrossZone": False,
    }


# -- SageMaker, Application Auto Scaling -----------------------------------------------------


def test_endpoint_configuration_variants_with_scaling_and_serverless(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_sagemaker_endpoint_configuration" "ec" {
          name = "ec"

          production_variants {
            variant_name           = "main"
            model_name             = "m"
            instance_type          = "ml.m5.large"
            initial_instance_count = 1

            managed_instance_scaling {
              min_instance_count = 2
              max_instance_count = 4
              status             = "ENABLED"
            }
          }

          production_variants {
            variant_name = "serverless"
            model_name   = "m"

            serverless_config {
              max_concurrency         = 5
              memory_size_in_mb       = 2048
              provisioned_concurrency = 1
            }
          }

          shadow_production_variants {
            variant_name           = "shadow"
            model_name             = "m2"
            instance_type          = "ml.m5.large"
            initial_instance_count = 1
          }
        }
        """,
    )
    ec = found["aws_sagemaker_endpoint_configuration.ec"]
    assert ec.type == ENDPOINT_CONFIG
    assert ec.properties == {
        "EndpointConfigName": "ec",
        "ProductionVariants": [
            {
                "VariantName": "main",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"MinInstanceCount": 2, "MaxInstanceCount": 4, "Status": "ENABLED"},
            },
            {
                "VariantName": "serverless",
                "ModelName": "m",
                "ServerlessConfig": {
                    "MaxConcurrency": 5,
                    "MemorySizeInMB": 2048,
                    "ProvisionedConcurrency": 1,
                },
            },
        ],
        "ShadowProductionVariants": [
            {
                "VariantName": "shadow",
                "ModelName": "m2",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    }


def test_scalable_target_of_an_endpoint_variant(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_sagemaker_endpoint" "e" {
          name                 = "e"
          endpoint_config_name = "ec"
        }

        resource "aws_appautoscaling_target" "variant" {
          service_namespace  = "sagemaker"
          resource_id        = "endpoint/${aws_sagemaker_endpoint.e.name}/variant/main"
          scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
          min_capacity       = 2
          max_capacity       = 6
        }
        """,
    )
    target = found["aws_appautoscaling_target.variant"]
    assert target.type == SCALABLE_TARGET
    assert target.properties == {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "endpoint/e/variant/main",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "MinCapacity": 2,
        "MaxCapacity": 6,
    }


# -- ElastiCache, EFS ----------------------------------------------------------------------


def test_elasticache_replication_groups_and_clusters(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_elasticache_replication_group" "ha" {
          replication_group_id        = "sessions"
          description                 = "sessions"
          engine                      = "valkey"
          multi_az_enabled            = true
          automatic_failover_enabled  = true
          num_cache_clusters          = 2
          preferred_cache_cluster_azs = ["eu-west-1a", "eu-west-1b"]
        }

        resource "aws_elasticache_replication_group" "bare" {
          replication_group_id = "bare"
          description          = "bare"
        }

        resource "aws_elasticache_replication_group" "sharded" {
          replication_group_id       = "sharded"
          description                = "sharded"
          automatic_failover_enabled = true
          num_node_groups            = 2
          replicas_per_node_group    = 1

          node_group_configuration {
            node_group_id              = "0001"
            primary_availability_zone  = "eu-west-1a"
            replica_availability_zones = ["eu-west-1b"]
            replica_count              = 1
          }
        }

        resource "aws_elasticache_cluster" "memcached" {
          cluster_id                   = "memo"
          engine                       = "memcached"
          num_cache_nodes              = 2
          az_mode                      = "cross-az"
          preferred_availability_zones = ["eu-west-1a", "eu-west-1b"]
        }

        resource "aws_elasticache_cluster" "single" {
          cluster_id        = "single"
          engine            = "redis"
          num_cache_nodes   = 1
          availability_zone = "eu-west-1c"
        }

        resource "aws_elasticache_cluster" "member" {
          cluster_id           = "member"
          replication_group_id = aws_elasticache_replication_group.ha.id
        }
        """,
    )
    ha = found["aws_elasticache_replication_group.ha"]
    assert ha.type == REPLICATION_GROUP
    assert ha.name == "sessions"
    assert ha.properties == {
        "ReplicationGroupId": "sessions",
        "Engine": "valkey",
        "MultiAZEnabled": True,
        "AutomaticFailoverEnabled": True,
        "NumCacheClusters": 2,
        "PreferredCacheClusterAZs": ["eu-west-1a", "eu-west-1b"],
    }
    # The provider's defaults: no Multi-AZ, no automatic failover.
    assert found["aws_elasticache_replication_group.bare"].properties == {
        "ReplicationGroupId": "bare",
        "MultiAZEnabled": False,
        "AutomaticFailoverEnabled": False,
    }
    assert found["aws_elasticache_replication_group.sharded"].properties == {
        "ReplicationGroupId": "sharded",
        "MultiAZEnabled": False,
        "AutomaticFailoverEnabled": True,
        "NumNodeGroups": 2,
        "ReplicasPerNodeGroup": 1,
        "NodeGroupConfiguration": [
            {
                "NodeGroupId": "0001",
                "PrimaryAvailabilityZone": "eu-west-1a",
                "ReplicaAvailabilityZones": ["eu-west-1b"],
                "ReplicaCount": 1,
            }
        ],
    }
    memcached = found["aws_elasticache_cluster.memcached"]
    assert memcached.type == CACHE_CLUSTER
    assert memcached.name == "memo"
    assert memcached.properties == {
        "ClusterName": "memo",
        "Engine": "memcached",
        "NumCacheNodes": 2,
        "AZMode": "cross-az",
        "PreferredAvailabilityZones": ["eu-west-1a", "eu-west-1b"],
    }
    assert found["aws_elasticache_cluster.single"].properties == {
        "ClusterName": "single",
        "Engine": "redis",
        "NumCacheNodes": 1,
        "PreferredAvailabilityZone": "eu-west-1c",
    }
    assert found["aws_elasticache_cluster.member"].properties == {
        "ClusterName": "member",
        "ReplicationGroupId": ref("aws_elasticache_replication_group.ha"),
    }


def test_efs_one_zone_and_regional(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_efs_file_system" "one_zone" {
          availability_zone_name = "eu-west-1a"
          tags = { Name = "scratch" }
        }

        resource "aws_efs_file_system" "regional" {}
        """,
    )
    one_zone = found["aws_efs_file_system.one_zone"]
    assert one_zone.type == FILE_SYSTEM
    assert one_zone.properties == {
        "AvailabilityZoneName": "eu-west-1a",
        "FileSystemTags": [{"Key": "Name", "Value": "scratch"}],
    }
    assert found["aws_efs_file_system.regional"].properties == {}


# -- NAT gateways and routing ----------------------------------------------------------------


@pytest.fixture(scope="module")
def routing(tmp_path_factory) -> dict[str, Resource]:
    return load(
        tmp_path_factory.mktemp("routing"),
        NETWORK
        + """
        resource "aws_nat_gateway" "zonal" {
          count     = 2
          subnet_id = aws_subnet.public[count.index == 0 ? "a" : "b"].id
        }

        resource "aws_nat_gateway" "regional" {
          vpc_id            = aws_vpc.main.id
          availability_mode = "regional"
        }

        resource "aws_nat_gateway" "private" {
          subnet_id         = aws_subnet.private[1].id
          connectivity_type = "private"
        }

        resource "aws_route_table" "private" {
          count  = 2
          vpc_id = aws_vpc.main.id

          route {
            cidr_block     = "0.0.0.0/0"
            nat_gateway_id = aws_nat_gateway.zonal[0].id
          }

          route {
            ipv6_cidr_block        = "::/0"
            egress_only_gateway_id = "eigw-0123"
          }
        }

        resource "aws_route_table" "attribute_syntax" {
          vpc_id = aws_vpc.main.id
          route = [
            {
              cidr_block     = "0.0.0.0/0"
              nat_gateway_id = aws_nat_gateway.regional.id
            },
          ]
        }

        resource "aws_route_table" "no_inline_routes" {
          vpc_id = aws_vpc.main.id
        }

        resource "aws_route" "default" {
          route_table_id         = aws_route_table.no_inline_routes.id
          destination_cidr_block = "0.0.0.0/0"
          nat_gateway_id         = aws_nat_gateway.zonal[1].id
        }

        resource "aws_route_table_association" "private" {
          count          = 2
          subnet_id      = aws_subnet.private[count.index].id
          route_table_id = aws_route_table.private[count.index].id
        }

        resource "aws_route_table_association" "edge" {
          gateway_id     = "igw-0123"
          route_table_id = aws_route_table.attribute_syntax.id
        }

        resource "aws_default_route_table" "main" {
          default_route_table_id = aws_vpc.main.default_route_table_id

          route {
            cidr_block = "0.0.0.0/0"
            gateway_id = "igw-0123"
          }
        }

        resource "aws_main_route_table_association" "main" {
          vpc_id         = aws_vpc.main.id
          route_table_id = aws_route_table.no_inline_routes.id
        }
        """,
    )


def test_nat_gateways_zonal_by_default(routing):
    zonal = [routing[f"aws_nat_gateway.zonal[{i}]"] for i in (0, 1)]
    assert {g.type for g in zonal} == {NAT_GATEWAY}
    assert [g.properties for g in zonal] == [
        {
            "SubnetId": ref(f'aws_subnet.public["{key}"]'),
            "ConnectivityType": "public",
            "AvailabilityMode": "zonal",
        }
        for key in ("a", "b")
    ]
    assert routing["aws_nat_gateway.regional"].properties == {
        "VpcId": ref("aws_vpc.main"),
        "ConnectivityType": "public",
        "AvailabilityMode": "regional",
    }
    assert routing["aws_nat_gateway.private"].properties == {
        "SubnetId": ref("aws_subnet.private[1]"),
        "ConnectivityType": "private",
        "AvailabilityMode": "zonal",
    }


def test_route_tables_with_inline_routes_in_block_and_attribute_syntax(routing):
    for i in (0, 1):
        table = routing[f"aws_route_table.private[{i}]"]
        assert table.type == ROUTE_TABLE
        assert table.properties == {
            "VpcId": ref("aws_vpc.main"),
            "Routes": [
                {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": ref("aws_nat_gateway.zonal[0]")},
                {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0123"},
            ],
        }
    assert routing["aws_route_table.attribute_syntax"].properties == {
        "VpcId": ref("aws_vpc.main"),
        "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": ref("aws_nat_gateway.regional")}],
    }


def test_separate_routes_and_subnet_associations(routing):
    route = routing["aws_route.default"]
    assert route.type == ROUTE
    assert route.properties == {
        "RouteTableId": ref("aws_route_table.no_inline_routes"),
        "DestinationCidrBlock": "0.0.0.0/0",
        "NatGatewayId": ref("aws_nat_gateway.zonal[1]"),
    }
    for i in (0, 1):
        association = routing[f"aws_route_table_association.private[{i}]"]
        assert association.type == ROUTE_TABLE_ASSOCIATION
        assert association.properties == {
            "SubnetId": ref(f"aws_subnet.private[{i}]"),
            "RouteTableId": ref(f"aws_route_table.private[{i}]"),
        }
    # An edge (gateway) association has no subnet.
    assert routing["aws_route_table_association.edge"].properties == {
        "RouteTableId": ref("aws_route_table.attribute_syntax")
    }


def test_the_vpc_main_route_table(routing):
    default = routing["aws_default_route_table.main"]
    assert default.type == ROUTE_TABLE
    assert default.properties == {
        "RouteTableId": ref("aws_vpc.main", "default_route_table_id"),
        "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0123"}],
        "Associations": [{"Main": True}],
        "VpcId": ref("aws_vpc.main"),
    }
    # aws_main_route_table_association marks its declared route table main, and is no
    # resource of its own.
    assert routing["aws_route_table.no_inline_routes"].properties == {
        "VpcId": ref("aws_vpc.main"),
        "Associations": [{"Main": True}],
    }
    assert "aws_main_route_table_association.main" not in routing
    assert "Associations" not in routing["aws_route_table.private[0]"].properties


def test_a_main_route_table_association_to_an_undeclared_table_adds_nothing(tmp_path):
    found = load(
        tmp_path,
        """
        resource "aws_main_route_table_association" "main" {
          vpc_id         = "vpc-0123"
          route_table_id = "rtb-0123"
        }
        """,
    )
    assert found == {}


# -- plan JSON -------------------------------------------------------------------------------

AFTER_APPLY = object()  # a value Terraform knows only after apply


def _split(value: Any) -> tuple[Any, Any]:
    """(planned value, after_unknown flags): an AFTER_APPLY value is left out (in a list:
    null) and flagged, as Terraform writes it."""
    if value is AFTER_APPLY:
        return None, True
    if isinstance(value, dict):
        known, flags = {}, {}
        for key, item in value.items():
            k, f = _split(item)
            if item is not AFTER_APPLY:
                known[key] = k
            if f:
                flags[key] = f
        return known, flags
    if isinstance(value, list):
        parts = [_split(item) for item in value]
        flags = [f or False for _, f in parts]
        return [k for k, _ in parts], (flags if any(flags) else [])
    return value, False


def plan(*resources: tuple[str, dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """A `terraform show -json` document of root-module resources: (address, values with
    AFTER_APPLY markers, configuration expressions)."""
    planned, config, changes = [], [], []
    for address, values, expressions in resources:
        after, after_unknown = _split(values)
        tf_type, name = address.split("[")[0].split(".")
        planned.append(
            {"address": address, "mode": "managed", "type": tf_type, "name": name, "values": after}
        )
        if not any(c["address"] == f"{tf_type}.{name}" for c in config):
            config.append(
                {
                    "address": f"{tf_type}.{name}",
                    "mode": "managed",
                    "type": tf_type,
                    "name": name,
                    "expressions": expressions,
                }
            )
        changes.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": after,
                    "after_unknown": after_unknown,
                },
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": config}},
    }


def load_planned(tmp_path: Path, document: dict[str, Any]) -> dict[str, Resource]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    config = load_plan(path, "plan.json", document, tmp_path, discovery.relative)
    assert config.errors == []
    return {r.id: r for r in config.resources}


def refs(*names: str) -> dict[str, list[str]]:
    return {"references": list(names)}


def const(value: Any) -> dict[str, Any]:
    return {"constant_value": value}


def test_plan_db_instance_multi_az_left_to_the_provider_is_false(tmp_path):
    computed = dict.fromkeys(
        ("id", "arn", "identifier", "availability_zone", "multi_az", "engine"), AFTER_APPLY
    )
    found = load_planned(
        tmp_path,
        plan(
            (
                "aws_db_instance.bare",
                {"instance_class": "db.t3.micro", "replicate_source_db": None, **computed},
                {"instance_class": const("db.t3.micro")},
            ),
            (
                "aws_db_instance.ha",
                {
                    **computed,
                    "instance_class": "db.m6g.large",
                    "engine": "postgres",
                    "multi_az": True,
                    "identifier": "orders",
                    "replicate_source_db": None,
                },
                {
                    "instance_class": const("db.m6g.large"),
                    "engine": const("postgres"),
                    "multi_az": const(True),
                    "identifier": const("orders"),
                },
            ),
            (
                "aws_db_instance.replica",
                {**computed, "instance_class": "db.m6g.large", "replicate_source_db": AFTER_APPLY},
                {
                    "instance_class": const("db.m6g.large"),
                    "replicate_source_db": refs("aws_db_instance.ha.identifier", "aws_db_instance.ha"),
                },
            ),
        ),
    )
    # Optional+Computed and not written: the service's choice, no "known after apply" value.
    assert found["aws_db_instance.bare"].properties == {"DBInstanceClass": "db.t3.micro", "MultiAZ": False}
    assert found["aws_db_instance.ha"].properties == {
        "DBInstanceIdentifier": "orders",
        "Engine": "postgres",
        "DBInstanceClass": "db.m6g.large",
        "MultiAZ": True,
    }
    assert found["aws_db_instance.replica"].properties == {
        "DBInstanceClass": "db.m6g.large",
        "MultiAZ": False,
        "SourceDBInstanceIdentifier": Reference(
            "aws_db_instance.ha.identifier", target="aws_db_instance.ha", attribute="identifier", partial=True
        ),
    }


def test_plan_subnets_and_autoscaling_group(tmp_path):
    """In a plan the data source is read: each subnet has its literal zone."""
    subnet_computed = dict.fromkeys(("id", "arn", "availability_zone_id"), AFTER_APPLY)
    subnets = [
        (
            f"aws_subnet.private[{i}]",
            {
                **subnet_computed,
                "vpc_id": AFTER_APPLY,
                "cidr_block": f"10.0.{i}.0/24",
                "availability_zone": f"eu-west-1{'ab'[i]}",
            },
            {
                "vpc_id": refs("aws_vpc.main.id", "aws_vpc.main"),
                "availability_zone": refs("data.aws_availability_zones.available.names", "count.index"),
                "cidr_block": refs("count.index"),
            },
        )
        for i in (0, 1)
    ]
    asg_computed = dict.fromkeys(("id", "arn", "name", "availability_zones", "desired_capacity"), AFTER_APPLY)
    found = load_planned(
        tmp_path,
        plan(
            *subnets,
            (
                "aws_subnet.anywhere",
                {
                    **subnet_computed,
                    "vpc_id": "vpc-0123",
                    "availability_zone": AFTER_APPLY,
                    "cidr_block": "10.0.9.0/24",
                },
                {"vpc_id": const("vpc-0123"), "cidr_block": const("10.0.9.0/24")},
            ),
            (
                "aws_autoscaling_group.one",
                {**asg_computed, "min_size": 1, "max_size": 2, "vpc_zone_identifier": AFTER_APPLY},
                {
                    "min_size": const(1),
                    "max_size": const(2),
                    "vpc_zone_identifier": refs(
                        "aws_subnet.private[0].id", "aws_subnet.private[0]", "aws_subnet.private"
                    ),
                },
            ),
            (
                "aws_autoscaling_group.zones",
                {
                    **asg_computed,
                    "availability_zones": ["eu-west-1a"],
                    "min_size": 1,
                    "max_size": 2,
                    "vpc_zone_identifier": AFTER_APPLY,
                },
                {"min_size": const(1), "max_size": const(2), "availability_zones": const(["eu-west-1a"])},
            ),
        ),
    )
    for i in (0, 1):
        assert found[f"aws_subnet.private[{i}]"].properties == {
            "VpcId": Reference("aws_vpc.main.id", target="aws_vpc.main", attribute="id", partial=True),
            "AvailabilityZone": f"eu-west-1{'ab'[i]}",
            "CidrBlock": f"10.0.{i}.0/24",
        }
    # Left to AWS: absent, not "known after apply".
    assert found["aws_subnet.anywhere"].properties == {"VpcId": "vpc-0123", "CidrBlock": "10.0.9.0/24"}
    assert found["aws_autoscaling_group.one"].properties == {
        "VPCZoneIdentifier": [
            Reference(
                "aws_subnet.private[0].id", target="aws_subnet.private[0]", attribute="id", partial=True
            )
        ],
        "MinSize": 1,
        "MaxSize": 2,
    }
    assert found["aws_autoscaling_group.zones"].properties == {
        "AvailabilityZones": ["eu-west-1a"],
        "MinSize": 1,
        "MaxSize": 2,
    }


def _planned_ref(text: str) -> Reference:
    parts = text.split(".")
    return Reference(
        text, target=".".join(parts[:2]), attribute=parts[2] if len(parts) > 2 else None, partial=True
    )


@pytest.mark.parametrize(
    ("references", "expected"),
    [
        # [aws_subnet.a.id, aws_subnet.b.id]: both subnets, not the first one twice or alone.
        (
            ["aws_subnet.a.id", "aws_subnet.a", "aws_subnet.b.id", "aws_subnet.b"],
            [_planned_ref("aws_subnet.a.id"), _planned_ref("aws_subnet.b.id")],
        ),
        # [aws_subnet.p[0].id, aws_subnet.p[1].id]
        (
            [
                "aws_subnet.p[0].id",
                "aws_subnet.p[0]",
                "aws_subnet.p",
                "aws_subnet.p[1].id",
                "aws_subnet.p[1]",
            ],
            [_planned_ref("aws_subnet.p[0].id"), _planned_ref("aws_subnet.p[1].id")],
        ),
        # aws_subnet.p[*].id: the whole resource, no single instance.
        (["aws_subnet.p"], [_planned_ref("aws_subnet.p")]),
        # concat([aws_subnet.a.id], var.more): the variable may add any number: the
        # expression's first reference, as for any value known after apply.
        (["aws_subnet.a.id", "aws_subnet.a", "var.more"], _planned_ref("aws_subnet.a.id")),
    ],
)
def test_plan_subnet_lists_known_after_apply(tmp_path, references, expected):
    found = load_planned(
        tmp_path,
        plan(
            (
                "aws_lb.nlb",
                {
                    "load_balancer_type": "network",
                    "subnets": AFTER_APPLY,
                    "subnet_mapping": AFTER_APPLY,
                    "internal": AFTER_APPLY,
                    "name": AFTER_APPLY,
                },
                {"load_balancer_type": const("network"), "subnets": refs(*references)},
            ),
        ),
    )
    assert found["aws_lb.nlb"].properties == {"Type": "network", "Subnets": expected}


def test_plan_subnet_mappings_and_routes_take_their_own_blocks_references(tmp_path):
    """Each unknown element of a block set gets the references of the block whose constants
    it agrees with (a plan lists set elements in its own order)."""
    blank_route = dict.fromkeys(
        (
            "cidr_block",
            "ipv6_cidr_block",
            "destination_prefix_list_id",
            "gateway_id",
            "nat_gateway_id",
            "transit_gateway_id",
            "vpc_endpoint_id",
            "network_interface_id",
            "vpc_peering_connection_id",
            "egress_only_gateway_id",
            "carrier_gateway_id",
            "local_gateway_id",
            "core_network_arn",
        ),
        "",
    )
    found = load_planned(
        tmp_path,
        plan(
            (
                "aws_lb.nlb",
                {
                    "load_balancer_type": "network",
                    "subnets": AFTER_APPLY,
                    "name": AFTER_APPLY,
                    "internal": False,
                    "subnet_mapping": [
                        {
                            "subnet_id": AFTER_APPLY,
                            "allocation_id": "eipalloc-b",
                            "private_ipv4_address": "",
                            "ipv6_address": "",
                        },
                        {
                            "subnet_id": AFTER_APPLY,
                            "allocation_id": "eipalloc-a",
                            "private_ipv4_address": "",
                            "ipv6_address": "",
                        },
                    ],
                },
                {
                    "load_balancer_type": const("network"),
                    "subnet_mapping": [
                        {
                            "subnet_id": refs("aws_subnet.a.id", "aws_subnet.a"),
                            "allocation_id": const("eipalloc-a"),
                        },
                        {
                            "subnet_id": refs("aws_subnet.b.id", "aws_subnet.b"),
                            "allocation_id": const("eipalloc-b"),
                        },
                    ],
                },
            ),
            (
                "aws_route_table.private",
                {
                    "vpc_id": "vpc-0123",
                    "route": [
                        {**blank_route, "cidr_block": "10.1.0.0/16", "transit_gateway_id": AFTER_APPLY},
                        {**blank_route, "cidr_block": "0.0.0.0/0", "nat_gateway_id": AFTER_APPLY},
                    ],
                },
                {
                    "vpc_id": const("vpc-0123"),
                    "route": [
                        {
                            "cidr_block": const("0.0.0.0/0"),
                            "nat_gateway_id": refs("aws_nat_gateway.a.id", "aws_nat_gateway.a"),
                        },
                        {
                            "cidr_block": const("10.1.0.0/16"),
                            "transit_gateway_id": refs(
                                "aws_ec2_transit_gateway.t.id", "aws_ec2_transit_gateway.t"
                            ),
                        },
                    ],
                },
            ),
        ),
    )
    assert found["aws_lb.nlb"].properties == {
        "Type": "network",
        "Scheme": "internet-facing",
        "SubnetMappings": [
            {"SubnetId": _planned_ref("aws_subnet.b.id"), "AllocationId": "eipalloc-b"},
            {"SubnetId": _planned_ref("aws_subnet.a.id"), "AllocationId": "eipalloc-a"},
        ],
    }
    # The plan's "" for every target not set is absent.
    assert found["aws_route_table.private"].properties == {
        "VpcId": "vpc-0123",
        "Routes": [
            {
                "DestinationCidrBlock": "10.1.0.0/16",
                "TransitGatewayId": _planned_ref("aws_ec2_transit_gateway.t.id"),
            },
            {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": _planned_ref("aws_nat_gateway.a.id")},
        ],
    }


def test_plan_list_with_unknown_elements_one_resource_each(tmp_path):
    found = load_planned(
        tmp_path,
        plan(
            (
                "aws_elasticache_replication_group.rg",
                {
                    "replication_group_id": "rg",
                    "multi_az_enabled": True,
                    "automatic_failover_enabled": True,
                    "engine": AFTER_APPLY,
                    "num_cache_clusters": 3,
                    "num_node_groups": AFTER_APPLY,
                    "replicas_per_node_group": AFTER_APPLY,
                    "node_group_configuration": AFTER_APPLY,
                    "preferred_cache_cluster_azs": [AFTER_APPLY, "eu-west-1c", AFTER_APPLY],
                },
                {
                    "replication_group_id": const("rg"),
                    "multi_az_enabled": const(True),
                    "automatic_failover_enabled": const(True),
                    "num_cache_clusters": const(3),
                    "preferred_cache_cluster_azs": refs(
                        "aws_subnet.a.availability_zone",
                        "aws_subnet.a",
                        "aws_subnet.b.availability_zone",
                        "aws_subnet.b",
                    ),
                },
            ),
        ),
    )
    assert found["aws_elasticache_replication_group.rg"].properties == {
        "ReplicationGroupId": "rg",
        "MultiAZEnabled": True,
        "AutomaticFailoverEnabled": True,
        "NumCacheClusters": 3,
        "PreferredCacheClusterAZs": [
            _planned_ref("aws_subnet.a.availability_zone"),
            "eu-west-1c",
            _planned_ref("aws_subnet.b.availability_zone"),
        ],
    }


def test_plan_nat_gateway_efs_and_route_association(tmp_path):
    found = load_planned(
        tmp_path,
        plan(
            (
                "aws_nat_gateway.n",
                {
                    "subnet_id": AFTER_APPLY,
                    "vpc_id": AFTER_APPLY,
                    "connectivity_type": "public",
                    "availability_mode": AFTER_APPLY,
                    "id": AFTER_APPLY,
                },
                {"subnet_id": refs("aws_subnet.a.id", "aws_subnet.a")},
            ),
            ("aws_efs_file_system.fs", {"availability_zone_name": AFTER_APPLY, "id": AFTER_APPLY}, {}),
            (
                "aws_route_table_association.a",
                {"subnet_id": AFTER_APPLY, "gateway_id": None, "route_table_id": AFTER_APPLY},
                {
                    "subnet_id": refs("aws_subnet.a.id", "aws_subnet.a"),
                    "route_table_id": refs("aws_route_table.private.id", "aws_route_table.private"),
                },
            ),
        ),
    )
    assert found["aws_nat_gateway.n"].properties == {
        "SubnetId": _planned_ref("aws_subnet.a.id"),
        "ConnectivityType": "public",
        "AvailabilityMode": "zonal",
    }
    assert found["aws_efs_file_system.fs"].properties == {}  # Regional: no zone
    assert found["aws_route_table_association.a"].properties == {
        "SubnetId": _planned_ref("aws_subnet.a.id"),
        "RouteTableId": _planned_ref("aws_route_table.private.id"),
    }
