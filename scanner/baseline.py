"""Baselines (`--baseline RESULTS.json`): the fails and unknowns an earlier scan already
reported are accepted, so that only new ones fail the build. Matching is by fingerprint,
which depends on the rule, the resource identity and the account/region, never on line
numbers or timestamps. A baselined result is marked (suppression source "baseline"), not
removed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.model import Result, Status, Suppression

# What a baseline accepts: what was reported as a problem. A result that passed then and
# fails now is new.
ACCEPTED = ("fail", "unknown")


@dataclass(frozen=True)
class Baseline:
    path: str
    fingerprints: frozenset[str]
    scan_id: str | None = None
    started_at: str | None = None

    @classmethod
    def from_document(cls, doc: Mapping[str, Any], path: str) -> Baseline:
        """From a results document (already checked by reports.document)."""
        scan = doc.get("scan") or {}
        return cls(
            path=path,
            fingerprints=frozenset(
                r["fingerprint"] for r in doc.get("results") or [] if r.get("status") in ACCEPTED
            ),
            scan_id=scan.get("id"),
            started_at=scan.get("started_at"),
        )

    def apply(self, results: Iterable[Result]) -> dict[str, Any]:
        """Mark the results the baseline holds; what it did, for the document."""
        reason = f"in the baseline {self.path}" + (f" of {self.started_at}" if self.started_at else "")
        matched = 0
        still: set[str] = set()
        for r in results:
            if r.status == Status.PASS or r.fingerprint not in self.fingerprints:
                continue
            still.add(r.fingerprint)
            if r.suppression is None:  # an inline or configuration suppression says more
                r.suppression = Suppression(source="baseline", reason=reason)
                matched += 1
        return {
            "path": self.path,
            "scan_id": self.scan_id,
            "started_at": self.started_at,
            "accepted": len(self.fingerprints),
            "matched": matched,
            # In the baseline, no longer reported as a problem: fixed, or the resource is gone.
            "resolved": len(self.fingerprints - still),
        }
