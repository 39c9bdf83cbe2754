"""The inventory: the single meeting point of sources and rules.

Resources indexed by type, by identity (ARN / address / logical id) and by name,
the scopes the scan covered, and the gaps (what could not be listed and why).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from scanner.model import CollectionGap, InlineSuppression, Resource, Scope, Unknown

T = TypeVar("T")


@dataclass
class Inventory:
    scopes: list[Scope] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    gaps: list[CollectionGap] = field(default_factory=list)
    suppressions: list[InlineSuppression] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_type: dict[str, list[Resource]] = defaultdict(list)
        self._by_scope_type: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._by_scope: dict[str, list[Resource]] = defaultdict(list)
        self._by_id: dict[str, list[Resource]] = defaultdict(list)
        self._by_name: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        self._memo: dict[Any, Any] = {}
        for resource in self.resources:
            self._index(resource)

    # -- building ---------------------------------------------------------------------------

    def add(self, resource: Resource) -> None:
        self.resources.append(resource)
        self._index(resource)

    def memo(self, key: Any, compute: Callable[[], T]) -> T:
        """A fact derived from the inventory that several rules read (a scope's trail
        listing), computed once while the inventory stays as it is."""
        state = (len(self.resources), len(self.gaps), len(self.scopes))
        cached = self._memo.get(key)
        if cached is None or cached[0] != state:
            cached = self._memo[key] = (state, compute())
        return cached[1]

    def extend(self, resources: Iterable[Resource]) -> None:
        for resource in resources:
            self.add(resource)

    def _index(self, resource: Resource) -> None:
        self._by_type[resource.type].append(resource)
        self._by_scope_type[(resource.scope, resource.type)].append(resource)
        self._by_scope[resource.scope].append(resource)
        self._by_id[resource.id].append(resource)
        self._by_name[(resource.type, resource.name)].append(resource)

    # -- reading ----------------------------------------------------------------------------

    def scoped(self, scope: Scope) -> Inventory:
        """The part of the inventory one scope covers (rules run scope by scope, so a rule
        that fails on one configuration still judges the others)."""
        view = Inventory(
            scopes=[scope],
            gaps=[g for g in self.gaps if g.scope == scope.id],
            suppressions=list(self.suppressions),
        )
        view.extend(self._by_scope.get(scope.id, []))
        return view

    def scope(self, scope_id: str) -> Scope | None:
        return next((s for s in self.scopes if s.id == scope_id), None)

    def of_type(self, resource_type: str, scope: Scope | str | None = None) -> list[Resource]:
        """Resources of a type, in a stable order (by id), optionally within one scope."""
        if scope is not None:
            scope_id = scope if isinstance(scope, str) else scope.id
            items = self._by_scope_type.get((scope_id, resource_type), [])
        else:
            items = self._by_type.get(resource_type, [])
        return sorted(items, key=lambda r: (r.id, r.scope))

    def get(self, resource_id: str, scope: Scope | str | None = None) -> Resource | None:
        items = self._by_id.get(resource_id, [])
        if scope is not None:
            scope_id = scope if isinstance(scope, str) else scope.id
            items = [r for r in items if r.scope == scope_id]
        return items[0] if items else None

    def by_name(self, resource_type: str, name: str) -> list[Resource]:
        return list(self._by_name.get((resource_type, name), []))

    def resolve(
        self, reference: str, resource_type: str | None = None, scope: Scope | str | None = None
    ) -> Resource | Unknown:
        """Resolve an identity (ARN, address, logical id) or a name to a resource.

        A reference that leaves the scanned world resolves to Unknown, explicitly.
        """
        found = self.get(reference, scope)
        if found is None and resource_type is not None:
            candidates = self.by_name(resource_type, reference)
            if scope is not None:
                scope_id = scope if isinstance(scope, str) else scope.id
                candidates = [r for r in candidates if r.scope == scope_id]
            if len(candidates) == 1:
                found = candidates[0]
        if found is None or (resource_type is not None and found.type != resource_type):
            return Unknown(f"{reference} is not among the scanned resources")
        return found

    def gaps_for(
        self, resource_type: str, scope: Scope | str, region: str | None = None
    ) -> list[CollectionGap]:
        """Where `resource_type` could not be listed in this scope (and region, if given)."""
        scope_id = scope if isinstance(scope, str) else scope.id
        return [
            g
            for g in self.gaps
            if g.resource_type == resource_type
            and g.scope == scope_id
            and (region is None or g.region in (None, region))
        ]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)
