"""Which availability zones something spans: from zone names, or from the subnets it names
(a subnet is in one zone). The AZ rules share this reading, live and IaC alike.

Three answers: spread over two zones or more (certain), in fewer than two (certain), or not
known. A zone that cannot be told (a subnet not in the scanned world, a zone AWS picks at
creation, a variable) never counts as a second zone and never makes a fail: it makes the
answer unknown unless the known zones already settle it.

Terraform configurations usually take zones from `data.aws_availability_zones.NAME.names[i]`:
those are read only at plan time, but two different indexes of one such list are two
different zones, and the same index is the same zone, which is all the rules ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scanner.inventory import Inventory
from scanner.lib.references import named_resource
from scanner.model import SUBNET, Reference, Scope, Unknown, show

# `data.aws_availability_zones.available.names[1]`, `...zone_ids[0]`, as an expression text
# or inside an Unknown's reason; CloudFormation's `!Select [1, !GetAZs ""]`.
_ZONE_LIST = re.compile(r"data\.aws_availability_zones\.([\w-]+)\.(names|zone_ids)\[(\d+)\]")
_GET_AZS = re.compile(r"!Select \[(\d+), !GetAZs\]")
# A zone id (use1-az1, usw2-lax1-az1): the same physical zone in every account, unlike names.
_ZONE_ID = re.compile(r"^[a-z]{2,5}\d+(-[a-z]+\d*)?-az\d+$")


@dataclass(frozen=True)
class Zones:
    """The zones something spans, as far as they are known."""

    named: frozenset[str] = frozenset()  # literal zone names or zone ids
    # (data source, attribute) -> the indexes taken from that list of distinct zones
    listed: dict[tuple[str, str], frozenset[int]] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()  # why some member's zone is not known

    def _groups(self) -> list[frozenset[Any]]:
        """Sets whose members are surely distinct zones from each other; across two sets
        nothing is known (zone names and zone ids map differently in every account; a listed
        zone may be a named one)."""
        ids = frozenset(z for z in self.named if _ZONE_ID.match(z))
        groups = [self.named - ids, ids, *self.listed.values()]
        return [g for g in groups if g]

    @property
    def spread(self) -> bool | None:
        """True: two zones or more for sure; False: fewer for sure; None: not known."""
        groups = self._groups()
        if any(len(g) >= 2 for g in groups):
            return True
        if self.unknown or len(groups) > 1:
            return None
        return False

    @property
    def count(self) -> int:
        """How many zones are known to be distinct (a lower bound)."""
        return max((len(g) for g in self._groups()), default=0)

    @property
    def any_known(self) -> bool:
        """At least one zone is known to be named (literally or by index)."""
        return bool(self.named or self.listed)

    def describe(self) -> str:
        parts = sorted(self.named)
        parts += [
            f"!Select [{i}, !GetAZs]"
            if name == "!GetAZs"
            else f"data.aws_availability_zones.{name}.{attr}[{i}]"
            for (name, attr), idx in sorted(self.listed.items())
            for i in sorted(idx)
        ]
        known = ", ".join(parts) if parts else "none known"
        return known + (f"; not known: {'; '.join(self.unknown)}" if self.unknown else "")

    def evidence(self) -> dict[str, Any]:
        return {"zones": self.describe().split("; not known:")[0], "unknown": list(self.unknown)}

    def __or__(self, other: Zones) -> Zones:
        listed = dict(self.listed)
        for key, idx in other.listed.items():
            listed[key] = listed.get(key, frozenset()) | idx
        return Zones(self.named | other.named, listed, self.unknown + other.unknown)


def zone(value: Any, what: str = "the zone") -> Zones:
    """One zone name (or zone id) as a source gives it."""
    if isinstance(value, str) and value:
        return Zones(named=frozenset({value}))
    text = value.text if isinstance(value, Reference) else value.reason if isinstance(value, Unknown) else ""
    found = _ZONE_LIST.search(text or "")
    if found:
        name, attr, index = found.groups()
        return Zones(listed={(name, attr): frozenset({int(index)})})
    found = _GET_AZS.search(text or "")
    if found:
        return Zones(listed={("!GetAZs", "names"): frozenset({int(found.group(1))})})
    return Zones(unknown=(f"{what} is not known ({show(value)})",))


def zones(values: Any, what: str = "zones") -> Zones:
    """A list of zone names; the list itself may be unknown."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return Zones(unknown=(f"the {what} are not known ({show(values)})",))
    out = Zones()
    for value in values:
        out = out | zone(value, f"a zone of the {what}")
    return out


def subnet_zone(inventory: Inventory, scope: Scope, subnet: Any) -> Zones:
    """The zone of one subnet, named by id (live, or a literal in IaC) or by reference."""
    found = named_resource(inventory, scope, subnet, SUBNET)
    if found is None and isinstance(subnet, str):
        named = [s for s in inventory.of_type(SUBNET, scope) if s.get("SubnetId") == subnet]
        found = named[0] if len(named) == 1 else None
    if found is None:
        where = "read by this scan" if scope.is_live else "declared in the scanned files"
        return Zones(unknown=(f"subnet {show(subnet)} is not {where}",))
    value = found.get("AvailabilityZone")
    if value is None:
        value = found.get("AvailabilityZoneId")
    if value is None:
        return Zones(unknown=(f"subnet {found.name} names no zone: AWS picks one when it creates it",))
    return zone(value, f"the zone of subnet {found.name}")


def subnet_zones(inventory: Inventory, scope: Scope, subnets: Any, what: str = "subnets") -> Zones:
    """The zones of a list of subnets; the list itself may be unknown."""
    if isinstance(subnets, str | Reference) and not _is_list_reference(subnets):
        subnets = [subnets]
    if not isinstance(subnets, Iterable) or isinstance(subnets, str | Reference | Unknown):
        return Zones(unknown=(f"the {what} are not known ({show(subnets)})",))
    out = Zones()
    for subnet in subnets:
        out = out | subnet_zone(inventory, scope, subnet)
    return out


def _is_list_reference(value: Any) -> bool:
    """`aws_subnet.private[*].id`, `module.vpc.private_subnets`: a whole list, not one subnet."""
    return isinstance(value, Reference) and (value.target is None or "[*]" in value.text)


def same_zone(a: Zones, b: Zones) -> bool | None:
    """Are two single-zone things (a subnet and a NAT gateway) in the same zone? None when
    it cannot be told."""
    spread = (a | b).spread
    return None if spread is None else not spread
