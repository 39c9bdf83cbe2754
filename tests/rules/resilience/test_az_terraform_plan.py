"""AZ001-AZ008 on Terraform plan JSON (`terraform show -json plan.out`), scanned through
`scan_iac`: every rule fails, passes and is unknown on a named plan address, asserted exactly.

The plan is built here as Terraform writes it for resources being created. A value known
while planning is in `planned_values` (a literal written in the configuration carries its
`constant_value`; one computed from a data source read while planning, or from another
resource's literal, lists its `references`). A value "known after apply" is left out of
`planned_values`, flagged in `resource_changes[].change.after_unknown`, and its configuration
expression lists the `references` it is computed from (most specific first); an argument the
configuration does not write and the provider computes has no expression at all. As
Terraform does, `after_unknown` keeps `false` for every known element of a list and `{}` for
every known block.

In a plan `data.aws_availability_zones` has been read: the subnets taking their zone from it
have a literal zone. A set of subnet ids (`vpc_zone_identifier`, `subnets`) with one element
known after apply is wholly unknown in a plan; opscheck takes one subnet per resource its
expression names (fields marked F(many=True) in scanner/sources/terraform/mapping.py).

Cells (plan addresses), as "rule: fail | pass | unknown":
  AZ001  db_instance.single (multi_az left to the provider: false), .replica (low) | .multi |
         .vague (multi_az known after apply, no reference); cluster members: no result
  AZ002  rds_cluster.lonely (one instance), .same (two in one zone) | .spread (two instances
         in two zones, by count.index from the data source) | .placed (zones RDS picks)
  AZ003  autoscaling_group.one | .spread ([a.id, b.id] known after apply), .indexed
         (private[0], private[1]), .zones (literal zones) | .vague (a subnet AWS places),
         .splat (aws_subnet.private[*].id: names no single instance)
  AZ004  lb.nlb (one subnet_mapping) | lb.alb, lb.mapped (two subnet_mappings), elb.classic
         (literal zones) | lb.vague (a subnet AWS places)
  AZ005  endpoint_configuration.one | .scaled (count 1, autoscaling minimum 2) | .counted
         (count from a data source read at apply); .serverless: no result.  In a plan of its
         own (test_a_scalable_target_of_an_endpoint_named_after_apply): .unnamed (its
         endpoint's name, hence the target's resource_id, known after apply) is unknown
  AZ006  replication_group.off (multi_az_enabled defaults to false), elasticache_cluster.node
         | replication_group.on | replication_group.vague (from a data source read at apply)
  AZ007  efs_file_system.one_zone, .picked (zone of a subnet AWS places: still One Zone) |
         .regional | .vague (a data source read at apply)
  AZ008  subnet.b (zone b, default route to the NAT gateway in zone a) | subnet.a (same
         zone), subnet.c (regional NAT gateway, aws_route), subnet.private[0], [1] (regional)
         | subnet.picked (its zone is AWS's choice)

The last three tests pin cases a review found: cluster members and routes named by a dynamic
for_each key (a plan lists `aws_rds_cluster.c` and `each.value`, not which instance: unknown,
no longer a false fail or a missing result), and the VPC's main route table declared by
aws_default_route_table (consulted: a fail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Result
from scanner.results import ScanOutcome
from scanner.scan import scan_iac
from testkit import results, rules

IDS = tuple(f"AZ{n:03d}" for n in range(1, 9))

# -- the plan builder ------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """A literal written in the configuration (`constant_value`)."""

    value: Any


@dataclass(frozen=True)
class Known:
    """Written as an expression whose value is known while planning (a data source read
    while planning, another resource's literal); Terraform lists its `refs`."""

    value: Any
    refs: tuple[str, ...]


@dataclass(frozen=True)
class AfterApply:
    """Written as an expression known only after apply; `refs`: what it refers to (none:
    `{}`, an expression of functions only)."""

    refs: tuple[str, ...] = ()


COMPUTED = object()  # not written; the provider computes it after apply (no expression)
_OMIT = object()
_NO_EXPRESSION = object()


def after_apply(address: str, attribute: str = "id") -> AfterApply:
    """`= ADDRESS.ATTRIBUTE` of a resource being created."""
    return AfterApply((f"{address}.{attribute}", address))


def subnet_ids(*addresses: str) -> AfterApply:
    """`[aws_subnet.a.id, aws_subnet.b.id]`: a set known after apply."""
    return AfterApply(tuple(r for a in addresses for r in (f"{a}.id", a)))


def _shape(value: Any) -> Any:
    """after_unknown of a known value, as Terraform writes it."""
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: s for k, s in ((k, _shape(v)) for k, v in value.items()) if s is not False}
    return False


def _split(value: Any) -> tuple[Any, Any, Any]:
    """(planned value, after_unknown, configuration expression) of a marked value."""
    if value is COMPUTED:
        return _OMIT, True, _NO_EXPRESSION
    if isinstance(value, AfterApply):
        return _OMIT, True, {"references": list(value.refs)} if value.refs else {}
    if isinstance(value, Known):
        return value.value, _shape(value.value), {"references": list(value.refs)}
    if isinstance(value, Written):
        return value.value, _shape(value.value), {"constant_value": value.value}
    if isinstance(value, dict):  # a resource's or a block's attributes
        known, flags, exprs = {}, {}, {}
        for key, item in value.items():
            k, f, e = _split(item)
            if k is not _OMIT:
                known[key] = k
            if f is not False:
                flags[key] = f
            if e is not _NO_EXPRESSION:
                exprs[key] = e
        return known, flags, exprs
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):  # blocks written
        parts = [_split(v) for v in value]
        return [k for k, _, _ in parts], [f for _, f, _ in parts], [e for _, _, e in parts]
    return value, _shape(value), _NO_EXPRESSION  # known, not written (a default, null, no block)


def resource(
    address: str, values: dict[str, Any], computed: tuple[str, ...] = ("id", "arn")
) -> dict[str, Any]:
    """A resource being created (`data.` addresses: a data source read at apply);
    `computed`: attributes not written that the provider computes after apply."""
    return {"address": address, "values": {**values, **dict.fromkeys(computed, COMPUTED)}}


def counted(address: str, count: int, values: Any, computed: tuple[str, ...] = ("id", "arn")) -> list[dict]:
    """`count = COUNT`: values(i) for each instance."""
    return [resource(f"{address}[{i}]", values(i), computed) | {"index": i} for i in range(count)]


def plan(*resources: dict[str, Any], read: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A create plan of root-module resources; `read`: data sources read while planning (in
    the prior state only)."""
    planned, changes, config, seen = [], [], [], set()
    for r in resources:
        address = r["address"]
        mode = "data" if address.startswith("data.") else "managed"
        base = address.split("[")[0]
        tf_type, name = base.removeprefix("data.").split(".")
        after, unknown, exprs = _split(r["values"])
        head = {"address": address, "mode": mode, "type": tf_type, "name": name}
        if "index" in r:
            head["index"] = r["index"]
        provider = {"provider_name": "registry.terraform.io/hashicorp/aws"}
        planned.append({**head, **provider, "schema_version": 0, "sensitive_values": {}, "values": after})
        action = "read" if mode == "data" else "create"
        changes.append(
            {
                **head,
                **provider,
                "change": {
                    "actions": [action],
                    "before": None,
                    "after": after,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
                **({"action_reason": "read_because_dependency_pending"} if mode == "data" else {}),
            }
        )
        if base not in seen:
            seen.add(base)
            entry = {
                "address": base,
                "mode": mode,
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
            }
            if isinstance(r.get("index"), int):  # count = N
                count = sum(x["address"].startswith(base + "[") for x in resources)
                entry["count_expression"] = {"constant_value": count}
            elif "index" in r:  # for_each = toset([...]): a function call, no constant
                entry["for_each_expression"] = {}
            config.append({**entry, "expressions": exprs, "schema_version": 0})
    prior = [
        {
            "address": d["address"],
            "mode": "data",
            "type": d["address"].split(".")[1],
            "name": d["address"].split(".")[2],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "values": d["values"],
            "sensitive_values": {},
        }
        for d in read
    ]
    for d in read:
        _, tf_type, name = d["address"].split(".")
        config.append(
            {
                "address": d["address"],
                "mode": "data",
                "type": tf_type,
                "name": name,
                "provider_config_key": "aws",
                "expressions": {},
                "schema_version": 0,
            }
        )
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": prior}}},
        "configuration": {
            "provider_config": {
                "aws": {
                    "name": "aws",
                    "full_name": "registry.terraform.io/hashicorp/aws",
                    "expressions": {"region": {"constant_value": "us-east-1"}},
                }
            },
            "root_module": {"resources": config},
        },
        "timestamp": "2025-01-01T00:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def scan(root: Path, document: dict[str, Any]) -> ScanOutcome:
    path = root / "plan" / "plan.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    outcome = scan_iac([path], rules(*IDS), root)
    assert outcome.fatal is None
    assert outcome.errors == [], outcome.errors
    return outcome


def verdicts(outcome: ScanOutcome) -> dict[tuple[str, str], str]:
    got: dict[tuple[str, str], str] = {}
    for rule_id in IDS:
        for r in results(outcome, rule_id):
            assert (rule_id, r.resource.id) not in got, f"two {rule_id} results for {r.resource.id}"
            got[(rule_id, r.resource.id)] = r.status.value
    return got


def one(outcome: ScanOutcome, rule_id: str, address: str) -> Result:
    [found] = [r for r in results(outcome, rule_id) if r.resource.id == address]
    return found


# -- the plan --------------------------------------------------------------------------------

ZONES = {
    "address": "data.aws_availability_zones.available",
    "values": {
        "id": "us-east-1",
        "state": "available",
        "names": ["us-east-1a", "us-east-1b", "us-east-1c"],
        "zone_ids": ["use1-az1", "use1-az2", "use1-az4"],
    },
}
VPC = after_apply("aws_vpc.main")
SUBNET_COMPUTED = (
    "id",
    "arn",
    "owner_id",
    "availability_zone_id",
    "ipv6_cidr_block_association_id",
    "tags_all",
)


def subnet(address: str, zone: Any, cidr: str) -> dict[str, Any]:
    values = {
        "vpc_id": VPC,
        "cidr_block": Written(cidr),
        "assign_ipv6_address_on_creation": False,
        "map_public_ip_on_launch": False,
        "tags": None,
        "availability_zone": zone,
    }
    return resource(address, values, SUBNET_COMPUTED)


def from_zone_list(i: int) -> Known:
    """`availability_zone = data.aws_availability_zones.available.names[count.index]`."""
    names = "data.aws_availability_zones.available.names"
    return Known(ZONES["values"]["names"][i], (names, "data.aws_availability_zones.available", "count.index"))


NETWORK = [
    resource(
        "aws_vpc.main",
        {"cidr_block": Written("10.0.0.0/16")},
        ("id", "arn", "default_route_table_id", "main_route_table_id", "owner_id"),
    ),
    *counted(
        "aws_subnet.private",
        2,
        lambda i: {
            "vpc_id": VPC,
            "cidr_block": Known(f"10.0.{i}.0/24", ("count.index",)),
            "assign_ipv6_address_on_creation": False,
            "map_public_ip_on_launch": False,
            "tags": None,
            "availability_zone": from_zone_list(i),
        },
        SUBNET_COMPUTED,
    ),
    subnet("aws_subnet.a", Written("us-east-1a"), "10.0.10.0/24"),
    subnet("aws_subnet.b", Written("us-east-1b"), "10.0.11.0/24"),
    subnet("aws_subnet.c", Written("us-east-1c"), "10.0.12.0/24"),
    subnet("aws_subnet.picked", COMPUTED, "10.0.13.0/24"),  # AWS picks its zone
]

# AZ001 -------------------------------------------------------------------------------------

DB_COMPUTED = ("id", "arn", "address", "endpoint", "resource_id", "status", "hosted_zone_id")


def db_instance(name: str, **values: Any) -> dict[str, Any]:
    base = {
        "instance_class": Written("db.t3.micro"),
        "allocated_storage": Written(20),
        "engine": Written("postgres"),
        "replicate_source_db": None,
        "identifier": COMPUTED,
        "availability_zone": COMPUTED,
        "multi_az": COMPUTED,
        "skip_final_snapshot": Written(True),
    }
    return resource(f"aws_db_instance.{name}", {**base, **values}, DB_COMPUTED)


DB_INSTANCES = [
    db_instance("single"),
    db_instance("multi", identifier=Written("orders"), multi_az=Written(True)),
    # multi_az = timestamp() != "": an expression of functions only, known after apply
    db_instance("vague", multi_az=AfterApply()),
    db_instance(
        "replica",
        engine=COMPUTED,
        allocated_storage=COMPUTED,
        replicate_source_db=Known("orders", ("aws_db_instance.multi.identifier", "aws_db_instance.multi")),
    ),
]

# AZ002 -------------------------------------------------------------------------------------


def cluster(name: str) -> dict[str, Any]:
    values = {
        "cluster_identifier": Written(name),
        "engine": Written("aurora-postgresql"),
        "engine_mode": "provisioned",
        "db_cluster_instance_class": None,
        "availability_zones": COMPUTED,
        "master_username": Written("admin"),
        "skip_final_snapshot": Written(True),
    }
    return resource(
        f"aws_rds_cluster.{name}", values, ("id", "arn", "endpoint", "reader_endpoint", "cluster_members")
    )


def member(address: str, cluster_name: str, zone: Any, **more: Any) -> dict[str, Any]:
    values = {
        "cluster_identifier": after_apply(f"aws_rds_cluster.{cluster_name}"),
        "engine": Written("aurora-postgresql"),
        "instance_class": Written("db.r6g.large"),
        "identifier": COMPUTED,
        "availability_zone": zone,
        **more,
    }
    return resource(address, values, ("id", "arn", "endpoint", "writer", "dbi_resource_id"))


CLUSTERS = [
    cluster("spread"),
    *[
        member(f"aws_rds_cluster_instance.spread[{i}]", "spread", from_zone_list(i)) | {"index": i}
        for i in range(2)
    ],
    cluster("lonely"),
    # cluster_identifier = aws_rds_cluster.lonely.cluster_identifier: the literal, known
    member(
        "aws_rds_cluster_instance.lonely",
        "lonely",
        Written("us-east-1a"),
        cluster_identifier=Known(
            "lonely", ("aws_rds_cluster.lonely.cluster_identifier", "aws_rds_cluster.lonely")
        ),
    ),
    cluster("same"),
    member("aws_rds_cluster_instance.same_writer", "same", Written("us-east-1a")),
    member("aws_rds_cluster_instance.same_reader", "same", Written("us-east-1a")),
    cluster("placed"),
    *[member(f"aws_rds_cluster_instance.placed[{i}]", "placed", COMPUTED) | {"index": i} for i in range(2)],
]

# AZ003 -------------------------------------------------------------------------------------


def asg(name: str, **values: Any) -> dict[str, Any]:
    base = {
        "min_size": Written(1),
        "max_size": Written(2),
        "desired_capacity": COMPUTED,
        "name": COMPUTED,
        "availability_zones": COMPUTED,
        "vpc_zone_identifier": COMPUTED,
        "launch_template": [
            {"id": after_apply("aws_launch_template.lt"), "version": Written("$Latest"), "name": COMPUTED}
        ],
    }
    return resource(f"aws_autoscaling_group.{name}", {**base, **values}, ("id", "arn"))


GROUPS = [
    asg("spread", vpc_zone_identifier=subnet_ids("aws_subnet.a", "aws_subnet.b")),
    asg("one", vpc_zone_identifier=subnet_ids("aws_subnet.a")),
    # [aws_subnet.private[0].id, aws_subnet.private[1].id]
    asg(
        "indexed",
        vpc_zone_identifier=AfterApply(
            (
                "aws_subnet.private[0].id",
                "aws_subnet.private[0]",
                "aws_subnet.private",
                "aws_subnet.private[1].id",
                "aws_subnet.private[1]",
            )
        ),
    ),
    asg("zones", availability_zones=Written(["us-east-1a", "us-east-1b"])),
    asg("vague", vpc_zone_identifier=subnet_ids("aws_subnet.a", "aws_subnet.picked")),
    # aws_subnet.private[*].id: Terraform lists the resource, no instance of it
    asg("splat", vpc_zone_identifier=AfterApply(("aws_subnet.private",))),
]

# AZ004 -------------------------------------------------------------------------------------


def mapping_block(subnet_id: Any, allocation: Any = "") -> dict[str, Any]:
    return {
        "subnet_id": subnet_id,
        "allocation_id": allocation,
        "private_ipv4_address": "",
        "ipv6_address": "",
        "outpost_id": COMPUTED,
    }


def lb(name: str, **values: Any) -> dict[str, Any]:
    base = {
        "name": Written(name),
        "load_balancer_type": "application",
        "internal": Written(False),
        "subnets": COMPUTED,
        "subnet_mapping": COMPUTED,
        "enable_cross_zone_load_balancing": COMPUTED,
    }
    return resource(
        f"aws_lb.{name}", {**base, **values}, ("id", "arn", "arn_suffix", "dns_name", "zone_id", "vpc_id")
    )


LOAD_BALANCERS = [
    lb(
        "nlb",
        load_balancer_type=Written("network"),
        subnet_mapping=[mapping_block(after_apply("aws_subnet.a"))],
    ),
    lb("alb", subnets=subnet_ids("aws_subnet.a", "aws_subnet.b")),
    lb(
        "mapped",
        load_balancer_type=Written("network"),
        subnet_mapping=[
            mapping_block(after_apply("aws_subnet.a"), Written("eipalloc-0a")),
            mapping_block(after_apply("aws_subnet.b"), Written("eipalloc-0b")),
        ],
    ),
    lb(
        "vague",
        load_balancer_type=Written("network"),
        subnets=subnet_ids("aws_subnet.a", "aws_subnet.picked"),
    ),
    resource(
        "aws_elb.classic",
        {
            "name": Written("classic"),
            "availability_zones": Written(["us-east-1a", "us-east-1b"]),
            "subnets": COMPUTED,
            "cross_zone_load_balancing": True,
            "listener": [
                {
                    "instance_port": Written(80),
                    "instance_protocol": Written("http"),
                    "lb_port": Written(80),
                    "lb_protocol": Written("http"),
                    "ssl_certificate_id": None,
                }
            ],
        },
        ("id", "arn", "dns_name", "zone_id", "instances", "security_groups", "source_security_group"),
    ),
]

# AZ005 -------------------------------------------------------------------------------------


def variant(**values: Any) -> dict[str, Any]:
    base = {
        "variant_name": Written("AllTraffic"),
        "model_name": Written("model"),
        "instance_type": Written("ml.m5.large"),
        "initial_instance_count": Written(1),
        "initial_variant_weight": 1,
        "serverless_config": [],
        "managed_instance_scaling": [],
        "core_dump_config": [],
        "routing_config": COMPUTED,
    }
    return {**base, **values}


def endpoint_config(name: str, *variants: dict[str, Any]) -> dict[str, Any]:
    values = {
        "name": Written(f"{name}-config"),
        "production_variants": list(variants),
        "shadow_production_variants": [],
        "data_capture_config": [],
    }
    return resource(
        f"aws_sagemaker_endpoint_configuration.{name}", values, ("id", "arn", "name_prefix", "tags_all")
    )


def endpoint(name: str, endpoint_name: Any) -> dict[str, Any]:
    config = f"aws_sagemaker_endpoint_configuration.{name}"
    values = {
        "name": endpoint_name,
        # the configuration's literal name, known while planning
        "endpoint_config_name": Known(f"{name}-config", (f"{config}.name", config)),
        "deployment_config": [],
    }
    return resource(f"aws_sagemaker_endpoint.{name}", values, ("id", "arn", "tags_all"))


def scalable_target(name: str, resource_id: Any) -> dict[str, Any]:
    values = {
        "service_namespace": Written("sagemaker"),
        "resource_id": resource_id,
        "scalable_dimension": Written("sagemaker:variant:DesiredInstanceCount"),
        "min_capacity": Written(2),
        "max_capacity": Written(4),
        "role_arn": COMPUTED,
    }
    return resource(f"aws_appautoscaling_target.{name}", values, ("id", "arn", "tags_all"))


REPLICAS = "data.aws_ssm_parameter.replicas"
SAGEMAKER = [
    endpoint_config("scaled", variant()),
    endpoint("scaled", Written("scaled")),
    # resource_id = "endpoint/${aws_sagemaker_endpoint.scaled.name}/variant/AllTraffic", the name a literal
    scalable_target(
        "scaled",
        Known(
            "endpoint/scaled/variant/AllTraffic",
            ("aws_sagemaker_endpoint.scaled.name", "aws_sagemaker_endpoint.scaled"),
        ),
    ),
    endpoint_config("one", variant()),
    endpoint("one", Written("one")),
    # initial_instance_count = tonumber(data.aws_ssm_parameter.replicas.value), read only at apply
    endpoint_config("counted", variant(initial_instance_count=AfterApply((f"{REPLICAS}.value", REPLICAS)))),
    endpoint("counted", Written("counted")),
    endpoint_config(
        "serverless",
        variant(
            instance_type=None,
            initial_instance_count=None,
            serverless_config=[
                {
                    "max_concurrency": Written(5),
                    "memory_size_in_mb": Written(2048),
                    "provisioned_concurrency": None,
                }
            ],
        ),
    ),
]

# AZ006 -------------------------------------------------------------------------------------


def replication_group(name: str, **values: Any) -> dict[str, Any]:
    base = {
        "replication_group_id": Written(name),
        "description": Written("cache"),
        "node_type": Written("cache.t3.micro"),
        "num_cache_clusters": Written(2),
        "automatic_failover_enabled": Written(True),
        "multi_az_enabled": False,  # the provider's default, written in the plan
        "engine": "redis",
        "num_node_groups": COMPUTED,
        "replicas_per_node_group": COMPUTED,
        "node_group_configuration": COMPUTED,
        "preferred_cache_cluster_azs": None,
    }
    return resource(
        f"aws_elasticache_replication_group.{name}",
        {**base, **values},
        ("id", "arn", "member_clusters", "primary_endpoint_address", "reader_endpoint_address"),
    )


HA_PARAMETER = "data.aws_ssm_parameter.cache_ha"
CACHES = [
    replication_group("off"),
    replication_group("on", multi_az_enabled=Written(True)),
    # multi_az_enabled = data.aws_ssm_parameter.cache_ha.value == "on", read only at apply
    replication_group("vague", multi_az_enabled=AfterApply((f"{HA_PARAMETER}.value", HA_PARAMETER))),
    resource(
        "aws_elasticache_cluster.node",
        {
            "cluster_id": Written("node"),
            "engine": Written("redis"),
            "node_type": Written("cache.t3.micro"),
            "num_cache_nodes": Written(1),
            "az_mode": COMPUTED,
            "availability_zone": COMPUTED,
            "preferred_availability_zones": None,
            "replication_group_id": COMPUTED,
        },
        ("id", "arn", "cache_nodes", "cluster_address", "configuration_endpoint"),
    ),
]

# AZ007 -------------------------------------------------------------------------------------

SHARED_SUBNET = "data.aws_subnet.shared"


def file_system(name: str, zone: Any) -> dict[str, Any]:
    values = {
        "availability_zone_name": zone,
        "encrypted": Written(True),
        "performance_mode": COMPUTED,
        "lifecycle_policy": [],
    }
    return resource(
        f"aws_efs_file_system.{name}",
        values,
        ("id", "arn", "availability_zone_id", "dns_name", "owner_id", "size_in_bytes"),
    )


FILE_SYSTEMS = [
    file_system("one_zone", Written("us-east-1a")),
    file_system("regional", COMPUTED),
    file_system("picked", after_apply("aws_subnet.picked", "availability_zone")),
    # data "aws_subnet" "shared" { id = aws_subnet.picked.id }: read only at apply
    file_system("vague", AfterApply((f"{SHARED_SUBNET}.availability_zone", SHARED_SUBNET))),
]

# AZ008 -------------------------------------------------------------------------------------

ROUTE_FIELDS = (
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
)


def route(**written: Any) -> dict[str, Any]:
    """One `route { ... }` of aws_route_table: a plan writes "" for every field not set."""
    return {**dict.fromkeys(ROUTE_FIELDS, ""), **written}


def association(name: str, subnet_address: str, table: str) -> dict[str, Any]:
    values = {
        "subnet_id": after_apply(subnet_address),
        "route_table_id": after_apply(table),
        "gateway_id": None,
    }
    return resource(f"aws_route_table_association.{name}", values, ("id",))


NAT_COMPUTED = (
    "id",
    "network_interface_id",
    "private_ip",
    "public_ip",
    "association_id",
    "secondary_private_ip_addresses",
)
ROUTING = [
    resource("aws_eip.nat", {"domain": Written("vpc")}, ("id", "allocation_id", "public_ip", "arn")),
    resource(
        "aws_nat_gateway.a",
        {
            "subnet_id": after_apply("aws_subnet.a"),
            "allocation_id": after_apply("aws_eip.nat"),
            "connectivity_type": "public",
            "availability_mode": COMPUTED,
            "vpc_id": COMPUTED,
        },
        NAT_COMPUTED,
    ),
    resource(
        "aws_nat_gateway.regional",
        {
            "vpc_id": VPC,
            "availability_mode": Written("regional"),
            "connectivity_type": "public",
            "subnet_id": COMPUTED,
        },
        NAT_COMPUTED,
    ),
    resource(
        "aws_route_table.private",
        {
            "vpc_id": VPC,
            "route": [
                route(cidr_block=Written("0.0.0.0/0"), nat_gateway_id=after_apply("aws_nat_gateway.a"))
            ],
        },
        ("id", "arn", "owner_id", "propagating_vgws"),
    ),
    resource(
        "aws_route_table.regional",
        {"vpc_id": VPC, "route": COMPUTED},
        ("id", "arn", "owner_id", "propagating_vgws"),
    ),
    resource(
        "aws_route.regional",
        {
            "route_table_id": after_apply("aws_route_table.regional"),
            "destination_cidr_block": Written("0.0.0.0/0"),
            "nat_gateway_id": after_apply("aws_nat_gateway.regional"),
        },
        ("id", "instance_id", "instance_owner_id", "origin", "state", "network_interface_id"),
    ),
    association("a", "aws_subnet.a", "aws_route_table.private"),
    association("b", "aws_subnet.b", "aws_route_table.private"),
    association("picked", "aws_subnet.picked", "aws_route_table.private"),
    association("c", "aws_subnet.c", "aws_route_table.regional"),
    association("private_0", "aws_subnet.private[0]", "aws_route_table.regional"),
    association("private_1", "aws_subnet.private[1]", "aws_route_table.regional"),
]

PLAN = plan(
    *NETWORK,
    *DB_INSTANCES,
    *CLUSTERS,
    *GROUPS,
    *LOAD_BALANCERS,
    *SAGEMAKER,
    *CACHES,
    *FILE_SYSTEMS,
    *ROUTING,
    resource(HA_PARAMETER, {"name": Written("/cache/ha")}, ("id", "arn", "value", "type", "version")),
    resource(REPLICAS, {"name": Written("/model/replicas")}, ("id", "arn", "value", "type", "version")),
    resource(
        SHARED_SUBNET, {"id": after_apply("aws_subnet.picked")}, ("arn", "availability_zone", "cidr_block")
    ),
    read=(ZONES,),
)

EXPECTED = {
    ("AZ001", "aws_db_instance.single"): "fail",
    ("AZ001", "aws_db_instance.replica"): "fail",
    ("AZ001", "aws_db_instance.multi"): "pass",
    ("AZ001", "aws_db_instance.vague"): "unknown",
    ("AZ002", "aws_rds_cluster.lonely"): "fail",
    ("AZ002", "aws_rds_cluster.same"): "fail",
    ("AZ002", "aws_rds_cluster.spread"): "pass",
    ("AZ002", "aws_rds_cluster.placed"): "unknown",
    ("AZ003", "aws_autoscaling_group.one"): "fail",
    ("AZ003", "aws_autoscaling_group.spread"): "pass",
    ("AZ003", "aws_autoscaling_group.indexed"): "pass",
    ("AZ003", "aws_autoscaling_group.zones"): "pass",
    ("AZ003", "aws_autoscaling_group.vague"): "unknown",
    ("AZ003", "aws_autoscaling_group.splat"): "unknown",
    ("AZ004", "aws_lb.nlb"): "fail",
    ("AZ004", "aws_lb.alb"): "pass",
    ("AZ004", "aws_lb.mapped"): "pass",
    ("AZ004", "aws_elb.classic"): "pass",
    ("AZ004", "aws_lb.vague"): "unknown",
    ("AZ005", "aws_sagemaker_endpoint_configuration.one"): "fail",
    ("AZ005", "aws_sagemaker_endpoint_configuration.scaled"): "pass",
    ("AZ005", "aws_sagemaker_endpoint_configuration.counted"): "unknown",
    ("AZ006", "aws_elasticache_replication_group.off"): "fail",
    ("AZ006", "aws_elasticache_cluster.node"): "fail",
    ("AZ006", "aws_elasticache_replication_group.on"): "pass",
    ("AZ006", "aws_elasticache_replication_group.vague"): "unknown",
    ("AZ007", "aws_efs_file_system.one_zone"): "fail",
    ("AZ007", "aws_efs_file_system.picked"): "fail",
    ("AZ007", "aws_efs_file_system.regional"): "pass",
    ("AZ007", "aws_efs_file_system.vague"): "unknown",
    ("AZ008", "aws_subnet.b"): "fail",
    ("AZ008", "aws_subnet.a"): "pass",
    ("AZ008", "aws_subnet.c"): "pass",
    ("AZ008", "aws_subnet.private[0]"): "pass",
    ("AZ008", "aws_subnet.private[1]"): "pass",
    ("AZ008", "aws_subnet.picked"): "unknown",
}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> ScanOutcome:
    return scan(tmp_path_factory.mktemp("az-plan"), PLAN)


def test_the_matrix_is_exact(outcome: ScanOutcome):
    got = verdicts(outcome)
    assert got == EXPECTED
    for rule_id in IDS:
        assert {v for (r, _), v in got.items() if r == rule_id} == {"fail", "pass", "unknown"}, rule_id


@pytest.mark.parametrize(
    ("rule_id", "address", "words"),
    [
        ("AZ001", "aws_db_instance.vague", "known after apply"),
        ("AZ002", "aws_rds_cluster.spread", "us-east-1a, us-east-1b"),
        ("AZ002", "aws_rds_cluster.placed", "RDS picks one"),
        ("AZ003", "aws_autoscaling_group.spread", "us-east-1a, us-east-1b"),
        ("AZ003", "aws_autoscaling_group.vague", "aws_subnet.picked"),
        ("AZ004", "aws_lb.nlb", "us-east-1a"),
        ("AZ006", "aws_elasticache_replication_group.vague", "data.aws_ssm_parameter.cache_ha.value"),
        ("AZ007", "aws_efs_file_system.vague", "data.aws_subnet.shared.availability_zone"),
        ("AZ008", "aws_subnet.b", "us-east-1a"),
    ],
)
def test_messages_say_why(outcome: ScanOutcome, rule_id: str, address: str, words: str):
    found = one(outcome, rule_id, address)
    assert words in found.message, found.message


def test_a_single_az_read_replica_is_low(outcome: ScanOutcome):
    assert one(outcome, "AZ001", "aws_db_instance.replica").severity == "low"
    assert one(outcome, "AZ001", "aws_db_instance.single").severity == "medium"


def test_a_scalable_target_of_an_endpoint_named_after_apply(tmp_path: Path):
    """An endpoint without a name: the provider generates it, so the target's resource_id
    `"endpoint/${aws_sagemaker_endpoint.unnamed.name}/variant/AllTraffic"` is known only
    after apply, and so is its minimum's bearing on the variant."""
    document = plan(
        endpoint_config("unnamed", variant()),
        endpoint("unnamed", COMPUTED),
        scalable_target(
            "unnamed", AfterApply(("aws_sagemaker_endpoint.unnamed.name", "aws_sagemaker_endpoint.unnamed"))
        ),
    )
    outcome = scan(tmp_path, document)
    found = one(outcome, "AZ005", "aws_sagemaker_endpoint_configuration.unnamed")
    assert found.status.value == "unknown"
    assert "aws_appautoscaling_target.unnamed" in found.message


# -- verdicts that look wrong (product bugs, not fixed here) ----------------------------------
# `aws_rds_cluster.c[each.value].id`: Terraform cannot list the instance (the key is not a
# literal) and lists `aws_rds_cluster.c` and `each.value`. plan.py makes it a Reference whose
# target is the whole resource `aws_rds_cluster.c`, and scanner/lib/references.refers_to
# compares that target with an instance address (`aws_rds_cluster.c["x"]`): False, "not this
# one", where it can only say "one of its instances, maybe this one" (None). The .tf path
# evaluates the key and passes.


def keyed(address: str, key: str, values: dict[str, Any], computed: tuple[str, ...] = ("id", "arn")) -> dict:
    """One instance of a `for_each` resource."""
    return resource(f'{address}["{key}"]', values, computed) | {"index": key}


def test_cluster_members_named_by_a_for_each_key(tmp_path: Path):
    """for_each clusters; `aws_rds_cluster_instance "i" { for_each = {"us-east-1a" = "x",
    "us-east-1b" = "x"}; cluster_identifier = aws_rds_cluster.c[each.value].id;
    availability_zone = each.key }`: two instances in two zones. The plan says the instances
    refer to some instance of aws_rds_cluster.c, not which: unknown (it was a false fail,
    "has 0 instances declared")."""
    document = plan(
        keyed(
            "aws_rds_cluster.c",
            "x",
            {"cluster_identifier": Known("x", ("each.key",)), "engine": Written("aurora-postgresql")},
        ),
        *[
            keyed(
                "aws_rds_cluster_instance.i",
                zone,
                {
                    "cluster_identifier": AfterApply(("aws_rds_cluster.c", "each.value")),
                    "engine": Written("aurora-postgresql"),
                    "instance_class": Written("db.r6g.large"),
                    "availability_zone": Known(zone, ("each.key",)),
                },
            )
            for zone in ("us-east-1a", "us-east-1b")
        ],
    )
    found = one(scan(tmp_path, document), "AZ002", 'aws_rds_cluster.c["x"]')
    assert found.status.value == "unknown" and "may not belong to it" in found.message


def test_default_route_of_a_for_each_route_table(tmp_path: Path):
    """`aws_route "default" { for_each = aws_route_table.rt; route_table_id =
    aws_route_table.rt[each.key].id; nat_gateway_id = aws_nat_gateway.a.id }`; subnet b (zone
    b) is associated with `aws_route_table.rt["b"]`, its default route going to the NAT
    gateway in zone a. The plan does not say which table the route belongs to: unknown (it
    was no result at all, the route taken for another table's)."""
    document = plan(
        subnet("aws_subnet.a", Written("us-east-1a"), "10.0.1.0/24"),
        subnet("aws_subnet.b", Written("us-east-1b"), "10.0.2.0/24"),
        resource(
            "aws_nat_gateway.a",
            {
                "subnet_id": after_apply("aws_subnet.a"),
                "connectivity_type": "public",
                "availability_mode": COMPUTED,
            },
            NAT_COMPUTED,
        ),
        keyed("aws_route_table.rt", "b", {"vpc_id": VPC, "route": COMPUTED}),
        keyed(
            "aws_route.default",
            "b",
            {
                "route_table_id": AfterApply(("aws_route_table.rt", "each.key")),
                "destination_cidr_block": Written("0.0.0.0/0"),
                "nat_gateway_id": after_apply("aws_nat_gateway.a"),
            },
            ("id",),
        ),
        resource(
            "aws_route_table_association.b",
            {
                "subnet_id": after_apply("aws_subnet.b"),
                "route_table_id": AfterApply(
                    ('aws_route_table.rt["b"].id', 'aws_route_table.rt["b"]', "aws_route_table.rt")
                ),
                "gateway_id": None,
            },
            ("id",),
        ),
    )
    got = {r.resource.id: r.status.value for r in results(scan(tmp_path, document), "AZ008")}
    assert got.get("aws_subnet.b") == "unknown"


def test_a_subnet_on_the_declared_main_route_table(tmp_path: Path):
    """Subnet b (zone b) has no association: it uses the VPC's main route table, which
    `aws_default_route_table` declares (mapping.py marks it Associations Main) with a default
    route to the NAT gateway in zone a: a fail (it was unknown, "uses its VPC's main route
    table, which the files do not declare")."""
    document = plan(
        resource(
            "aws_vpc.main", {"cidr_block": Written("10.0.0.0/16")}, ("id", "arn", "default_route_table_id")
        ),
        subnet("aws_subnet.a", Written("us-east-1a"), "10.0.1.0/24"),
        subnet("aws_subnet.b", Written("us-east-1b"), "10.0.2.0/24"),
        resource(
            "aws_nat_gateway.a",
            {
                "subnet_id": after_apply("aws_subnet.a"),
                "connectivity_type": "public",
                "availability_mode": COMPUTED,
            },
            NAT_COMPUTED,
        ),
        resource(
            "aws_default_route_table.main",
            {
                "default_route_table_id": after_apply("aws_vpc.main", "default_route_table_id"),
                "route": [
                    route(cidr_block=Written("0.0.0.0/0"), nat_gateway_id=after_apply("aws_nat_gateway.a"))
                ],
            },
            ("id", "arn", "vpc_id", "owner_id"),
        ),
    )
    got = {r.resource.id: r.status.value for r in results(scan(tmp_path, document), "AZ008")}
    assert got == {"aws_subnet.a": "pass", "aws_subnet.b": "fail"}
