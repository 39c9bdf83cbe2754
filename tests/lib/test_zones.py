"""The zone reading the AZ rules share: spread, single, or not known."""

from __future__ import annotations

from scanner.inventory import Inventory
from scanner.lib.zones import Zones, subnet_zones, zone, zones
from scanner.model import SUBNET, Origin, Reference, Resource, Scope, Unknown

SCOPE = Scope(kind="configuration", id="cfg")
LIVE = Scope(kind="aws-account", id="123456789012", account_id="123456789012")


def subnet(rid: str, scope: Scope = SCOPE, **props) -> Resource:
    return Resource(
        type=SUBNET,
        id=rid,
        name=rid,
        properties=props,
        origin=Origin(
            source="aws" if scope is LIVE else "terraform", path="main.tf", start_line=1, end_line=1
        ),
        scope=scope.id,
    )


def listed(i: int, name: str = "available") -> Unknown:
    return Unknown(f"data.aws_availability_zones.{name}.names[{i}]: data sources are read at plan time")


def test_literal_zone_names():
    assert zones(["us-east-1a", "us-east-1b"]).spread is True
    assert zones(["us-east-1a", "us-east-1a"]).spread is False
    assert zones([]).spread is False
    assert zones(["us-east-1a", Reference("var.zone")]).spread is None
    assert zones(Reference("var.zones")).spread is None
    assert zones("us-east-1a").count == 1


def test_indexes_of_one_zone_list_are_distinct_zones():
    assert zones([listed(0), listed(1)]).spread is True
    assert zones([listed(0), listed(0)]).spread is False
    assert zones([listed(0), listed(0, "other")]).spread is None  # two lists may share a zone
    assert zones([listed(0), "us-east-1a"]).spread is None
    assert zone(Reference("data.aws_availability_zones.az.names[2]")).listed == {
        ("az", "names"): frozenset({2})
    }


def test_subnets_resolve_to_their_zones():
    a = subnet("aws_subnet.a", AvailabilityZone="us-east-1a")
    b = subnet("aws_subnet.b", AvailabilityZone="us-east-1b")
    a2 = subnet("aws_subnet.a2", AvailabilityZone="us-east-1a")
    picked = subnet("aws_subnet.p")
    inv = Inventory(scopes=[SCOPE], resources=[a, b, a2, picked])

    def ref(address: str) -> Reference:
        return Reference(f"{address}.id", address, "id")

    assert subnet_zones(inv, SCOPE, [ref(a.id), ref(b.id)]).spread is True
    assert subnet_zones(inv, SCOPE, [ref(a.id), ref(a2.id)]).spread is False
    one = subnet_zones(inv, SCOPE, [ref(a.id), ref(picked.id)])
    assert one.spread is None and "AWS picks one" in one.unknown[0]
    # Two known zones settle it whatever the unknown member is.
    assert subnet_zones(inv, SCOPE, [ref(a.id), ref(b.id), ref(picked.id)]).spread is True
    assert "not declared" in subnet_zones(inv, SCOPE, ["subnet-123"]).unknown[0]
    assert (
        subnet_zones(inv, SCOPE, Reference("aws_subnet.private[*].id", "aws_subnet.private", "id")).spread
        is None
    )
    assert subnet_zones(inv, SCOPE, Reference("var.subnets")).spread is None
    assert subnet_zones(inv, SCOPE, ref(a.id)).spread is False  # one subnet given alone


def test_live_subnets_by_id():
    s1 = subnet("subnet-1", LIVE, SubnetId="subnet-1", AvailabilityZone="eu-west-1a")
    s2 = subnet("subnet-2", LIVE, SubnetId="subnet-2", AvailabilityZone="eu-west-1b")
    inv = Inventory(scopes=[LIVE], resources=[s1, s2])
    assert subnet_zones(inv, LIVE, ["subnet-1", "subnet-2"]).spread is True
    assert "not read by this scan" in subnet_zones(inv, LIVE, ["subnet-9"]).unknown[0]


def test_union_and_description():
    both = Zones(named=frozenset({"a"})) | zone(listed(1))
    assert both.spread is None and "data.aws_availability_zones.available.names[1]" in both.describe()
    assert zones(["b", "a"]).evidence() == {"zones": "a, b", "unknown": []}


def test_cloudformation_get_azs_indexes():
    first, second = Reference("!Select [0, !GetAZs] (x)"), Reference("!Select [1, !GetAZs] (x)")
    assert zones([first, second]).spread is True
    assert zones([first, first]).spread is False
    assert zones([second]).describe() == "!Select [1, !GetAZs]"
    assert zones([first, "us-east-1a"]).spread is None


def test_zone_names_and_zone_ids_are_not_compared():
    assert zones(["use1-az1", "use1-az2"]).spread is True
    assert zones(["use1-az1", "use1-az1"]).spread is False
    assert zones(["use1-az1", "us-east-1a"]).spread is None  # names map to ids per account
    assert zones(["use1-az1", "us-east-1a", "us-east-1b"]).spread is True
    assert zones(["usw2-lax1-az1"]).count == 1
