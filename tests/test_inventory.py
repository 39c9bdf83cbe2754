"""The inventory: indexes by type, identity and name; the resolver; gaps."""

from scanner.inventory import Inventory
from scanner.model import BUCKET, TRAIL, CollectionGap, Origin, Resource, ScanError, Scope, Unknown

LIVE = Scope(kind="aws-account", id="111111111111", account_id="111111111111", regions=("us-east-1",))
OTHER = Scope(kind="aws-account", id="222222222222", account_id="222222222222", regions=("us-east-1",))


def _res(rtype, rid, name, scope=LIVE):
    return Resource(type=rtype, id=rid, name=name, properties={}, origin=Origin("aws"), scope=scope.id)


def _inventory():
    inv = Inventory(scopes=[LIVE, OTHER])
    inv.extend(
        [
            _res(TRAIL, "arn:aws:cloudtrail:us-east-1:111111111111:trail/b", "b"),
            _res(TRAIL, "arn:aws:cloudtrail:us-east-1:111111111111:trail/a", "a"),
            _res(BUCKET, "arn:aws:s3:::data", "data"),
            _res(BUCKET, "arn:aws:s3:::data-2", "data", OTHER),  # same name, other account
        ]
    )
    return inv


def test_of_type_is_sorted_and_scoped():
    inv = _inventory()
    assert [r.name for r in inv.of_type(TRAIL)] == ["a", "b"]
    assert [r.id for r in inv.of_type(BUCKET, OTHER)] == ["arn:aws:s3:::data-2"]
    assert inv.of_type("AWS::EC2::Instance") == []
    assert len(inv) == 4


def test_resolve_by_identity_and_by_unique_name():
    inv = _inventory()
    assert inv.resolve("arn:aws:s3:::data").name == "data"
    assert inv.resolve("a", TRAIL).id.endswith("trail/a")
    assert inv.resolve("data", BUCKET, LIVE).id == "arn:aws:s3:::data"


def test_references_leaving_the_scanned_world_are_unknown():
    inv = _inventory()
    missing = inv.resolve("arn:aws:s3:::elsewhere")
    assert isinstance(missing, Unknown) and "not among the scanned resources" in missing.reason
    assert isinstance(inv.resolve("data", BUCKET), Unknown)  # ambiguous across scopes
    assert isinstance(inv.resolve("arn:aws:s3:::data", TRAIL), Unknown)  # wrong type


def test_gaps_by_type_scope_and_region():
    error = ScanError(kind="api", message="denied")
    inv = Inventory(
        scopes=[LIVE],
        gaps=[CollectionGap(TRAIL, LIVE.id, error, "eu-west-1"), CollectionGap(BUCKET, LIVE.id, error, None)],
    )
    assert len(inv.gaps_for(TRAIL, LIVE)) == 1
    assert inv.gaps_for(TRAIL, LIVE, "us-east-1") == []
    assert len(inv.gaps_for(BUCKET, LIVE, "us-east-1")) == 1  # a global gap covers every region
    assert inv.gaps_for(TRAIL, OTHER) == []


def test_unknown_is_never_truthy():
    import pytest

    with pytest.raises(TypeError):
        bool(Unknown("denied"))


def test_a_derived_fact_is_computed_once_and_again_after_the_inventory_changes():
    from scanner.lib.trails import trail_listing

    inv = _inventory()
    first = trail_listing(inv, LIVE)
    assert trail_listing(inv, LIVE) is first  # shared by every rule that asks
    assert [v.resource.name for v in first.views] == ["a", "b"]
    inv.add(_res(TRAIL, "arn:aws:cloudtrail:us-east-1:111111111111:trail/c", "c"))
    assert [v.resource.name for v in trail_listing(inv, LIVE).views] == ["a", "b", "c"]
    inv.gaps.append(
        CollectionGap(
            scope=LIVE.id, resource_type=TRAIL, region="us-east-1", error=ScanError("api", "denied")
        )
    )
    assert trail_listing(inv, LIVE).listed_somewhere is False
