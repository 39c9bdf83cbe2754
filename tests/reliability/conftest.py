"""Reliability tests: faults injected into live scans, hostile IaC, hostile report strings,
secret hygiene and determinism.

CI runs a fast subset (`make test`); `make reliability` runs the full set
(OPSCHECK_RELIABILITY=full: every fault on every targeted operation, more fuzzing examples,
the 50 MB file) and prints the table RELIABILITY.md publishes.

Each case is recorded through the `tally` fixture: its category (a row of the table), what the
scanner did, and how long it took. The table is printed at the end of the session and, when
OPSCHECK_RELIABILITY_TABLE names a file, written there as Markdown.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"


@dataclass
class Row:
    cases: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    slowest_s: float = 0.0
    peak_mib: float = 0.0


_TABLE: dict[str, Row] = defaultdict(Row)


class Tally:
    """Records the cases of one test: `tally("category", "what the scanner did")`."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(
        self, category: str, outcome: str, *, seconds: float | None = None, peak_mib: float = 0.0
    ) -> None:
        row = _TABLE[category]
        row.cases += 1
        row.outcomes[outcome] += 1
        took = seconds if seconds is not None else time.monotonic() - self.started
        row.slowest_s = max(row.slowest_s, took)
        row.peak_mib = max(row.peak_mib, peak_mib)
        self.started = time.monotonic()


@pytest.fixture
def tally() -> Iterator[Tally]:
    yield Tally()


def table_markdown() -> str:
    lines = [
        "| category | cases | what the scanner did | slowest case | peak memory |",
        "|---|---:|---|---:|---:|",
    ]
    for category in sorted(_TABLE):
        row = _TABLE[category]
        did = "; ".join(f"{what} ({n})" for what, n in sorted(row.outcomes.items()))
        peak = f"{row.peak_mib:.0f} MiB" if row.peak_mib else "-"
        lines.append(f"| {category} | {row.cases} | {did} | {row.slowest_s:.2f} s | {peak} |")
    total = sum(row.cases for row in _TABLE.values())
    lines.append(f"| **total** | **{total}** | | | |")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TABLE:
        return
    text = table_markdown()
    mode = "full set" if FULL else "fast subset"
    terminalreporter.write_sep("=", f"reliability cases ({mode})")
    terminalreporter.write(text)
    target = os.environ.get("OPSCHECK_RELIABILITY_TABLE")
    if target:
        Path(target).write_text(text, encoding="utf-8")
