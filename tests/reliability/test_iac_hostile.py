"""Hostile and broken IaC (issue 10, part 2): the corpus of iac_corpus.py, each case scanned
beside the good files.

For each case: exactly one scan error, naming the file (and its line where one means
something), or none where the scanner must accept the file; every other result exactly what a
scan of the good files alone gives; the exit code INTERFACE.md gives (1: the good files fail
rules; 2 for a path the command refuses); no traceback; bounded time and memory. Every case
also goes through the `opscheck` command (one process for all in the fast set, one per category
in the full set); the unreadable files only there, without the capabilities that let root read
anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from iac_corpus import (
    HUGE,
    MEMORY_PER_BYTE,
    MIB,
    TRUNCATABLE,
    UNREADABLE,
    Case,
    Scan,
    can_drop_dac_override,
    corpus,
    fresh_dir,
    huge,
    parser_of,
    remove,
    result_keys,
    scan_cli,
    scan_in_process,
    shown_path,
    skips,
    truncation_sweep,
    write_case,
    write_good,
)

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"
CASES = corpus(FULL)
HANG_S = 120  # a hang guard, not a benchmark: the figures go to the table
KEEP_ALL = lambda where: False  # noqa: E731 - skip no result


@pytest.fixture(scope="module")
def good() -> Iterator[tuple[Scan, Scan]]:
    """The good files alone: in-process, and through the command."""
    root = write_good(fresh_dir("iac-good-"))
    try:
        inside, command = scan_in_process(root), scan_cli(root, timeout=HANG_S)
        for scan in (inside, command):
            assert scan.doc["scan"]["errors"] == [] and scan.code == 1 and scan.doc["results"]
        yield inside, command
    finally:
        remove(root)


@pytest.fixture
def root() -> Iterator[Path]:
    path = fresh_dir("iac-case-")
    yield path
    remove(path)


def check(case: Case, scan: Scan, good: Scan, prefix: str = "") -> str:
    """Assert what the case must give; returns what the scanner did, for the table."""
    assert "Traceback" not in scan.stderr
    assert "internal error" not in scan.stderr
    errors = [e for e in scan.doc["scan"]["errors"] if (e.get("path") or "").startswith(prefix)]
    if case.bad is None:
        assert errors == [], errors
        outcome = "accepted, no error"
    else:
        bad = prefix + shown_path(case.bad)
        assert len(errors) == 1, errors
        [error] = errors
        assert error["kind"] in ("parse", "config"), error
        assert error["path"] == bad and bad in error["message"], error
        if case.line is not None:
            assert error.get("line") == case.line, error
            outcome = "one scan error naming file:line"
        else:
            assert error.get("line") is None or error["line"] >= 1, error
            outcome = (
                "one scan error naming file:line" if error.get("line") else "one scan error naming the file"
            )
    mine = result_keys(scan.doc, skips(case), strip=prefix)
    assert mine == result_keys(good.doc, KEEP_ALL), "the other files' results changed"
    return outcome + ", others unchanged"


def memory_bound(case: Case, baseline_mib: float) -> float:
    return baseline_mib + MEMORY_PER_BYTE[parser_of(case)] * case.input_bytes / MIB + 64


# -- every case in-process -----------------------------------------------------------------------


IN_PROCESS = [c for c in CASES if not c.cli_only and not c.usage_error]


@pytest.mark.parametrize("case", IN_PROCESS, ids=[f"{c.category[5:]}:{c.name}" for c in IN_PROCESS])
def test_case(case: Case, good, root, tally) -> None:
    write_case(root, case)
    scan = scan_in_process(root, case.targets)
    outcome = check(case, scan, good[0])
    assert scan.code == good[0].code == 1
    assert scan.seconds < HANG_S
    # tracemalloc sees the Python heap only (the parsers' C memory is measured through the command)
    assert scan.peak_mib < memory_bound(case, good[0].peak_mib), scan.peak_mib
    tally(case.category, outcome, seconds=scan.seconds, peak_mib=scan.peak_mib)


# -- every case through the command, one process per category ----------------------------------


# The full set: one process per category; the fast one: a single process for every case.
GROUPS = sorted({c.category for c in CASES}) if FULL else ["every category"]


@pytest.mark.parametrize("group", GROUPS)
def test_cases_through_the_command(group: str, good, root, tally) -> None:
    """The cases in one tree, each beside its own copy of the good files: each gives its one
    error, the good files their results, the command exit code 1. Run without the right to
    bypass file permissions, so the unreadable files are unreadable."""
    cases = [c for c in CASES if group in (c.category, "every category") and not c.usage_error]
    locked = can_drop_dac_override()
    if not locked:
        cases = [c for c in cases if c.category != UNREADABLE]
        if not cases:
            pytest.skip("root without the right to drop CAP_DAC_OVERRIDE: mode 000 stays readable")
    for i, case in enumerate(cases):
        write_case(root / f"case{i}", case)
    scan = scan_cli(root, timeout=HANG_S, locked=locked)
    assert scan.code == 1, scan.stderr
    for i, case in enumerate(cases):
        outcome = check(case, scan, good[1], prefix=f"case{i}/")
        if case.cli_only:  # counted here: the in-process test cannot make them unreadable
            tally(case.category, outcome, seconds=scan.seconds, peak_mib=scan.peak_mib)
    everyone = sum(c.input_bytes for c in cases)
    assert scan.peak_mib < good[1].peak_mib + MEMORY_PER_BYTE["hcl"] * everyone / MIB + 64, scan.peak_mib


def test_strict_makes_a_scan_error_exit_2_through_the_command(good, root) -> None:
    [case] = [c for c in CASES if c.name == "tf-syntax-in-good-module"]
    write_case(root, case)
    scan = scan_cli(root, ".", "--strict", timeout=HANG_S)
    assert scan.code == 2 and "Traceback" not in scan.stderr
    check(case, scan, good[1])


USAGE = [c for c in CASES if c.usage_error]


@pytest.mark.parametrize("case", USAGE, ids=[c.name for c in USAGE])
def test_path_the_command_refuses(case: Case, root, tally) -> None:
    """A path given on the command line that leads nowhere (a loop of links) is a usage error:
    exit 2, the path named on stderr, no traceback."""
    write_case(root, case)
    scan = scan_cli(root, *case.targets, timeout=HANG_S)
    assert scan.code == 2 and "Traceback" not in scan.stderr
    assert str(case.bad) in scan.stderr
    tally(case.category, "refused before scanning: exit 2 naming the path", seconds=scan.seconds)


# -- huge files, through the command (its resident memory includes the parsers') ----------------


def huge_cases() -> list[Case]:
    if FULL:
        return huge(5 * MIB) + huge(50 * MIB)
    # Fast mode: 5 MB of JSON and YAML; 1 MB of HCL, whose parse costs ~180 bytes a byte.
    return [c for c in huge(5 * MIB, hcl_size=MIB) if c.name.startswith(("hcl-blocks", "yaml", "plan"))]


HUGE_CASES = huge_cases()


@pytest.mark.parametrize("case", HUGE_CASES, ids=[c.name for c in HUGE_CASES])
def test_huge_file(case: Case, good, root, tally) -> None:
    write_case(root, case)
    scan = scan_cli(root, timeout=HANG_S * 3)
    assert scan.code == 1, scan.stderr
    outcome = check(case, scan, good[1])
    assert scan.peak_mib < memory_bound(case, good[1].peak_mib), f"{scan.peak_mib:.0f} MiB"
    tally(HUGE, outcome, seconds=scan.seconds, peak_mib=scan.peak_mib)


# -- truncation at many offsets (the full set) ---------------------------------------------------


@pytest.mark.skipif(not FULL, reason="the sweep is in the full set (make reliability)")
@pytest.mark.parametrize("kind", list(TRUNCATABLE))
def test_truncation_sweep(kind: str, good, root, tally) -> None:
    """Every 7th prefix of a good file: a prefix that is still valid may scan without error
    (no scanner can tell it was cut); any error names the file; nothing else changes."""
    for _, path, text, offset in truncation_sweep(7):
        if not path.endswith(TRUNCATABLE[kind][1]):
            continue
        case = Case("IaC: truncated file (sweep)", f"{kind}@{offset}", {path: text.encode()}, path)
        target = root / str(offset)
        write_case(target, case)
        scan = scan_in_process(target, trace=False)
        errors = scan.doc["scan"]["errors"]
        assert all(e["path"] == path and e["kind"] != "internal" for e in errors), errors
        assert len(errors) <= 1, errors
        own = str(Path(path).parent) if kind.startswith("tf") else path
        keep = result_keys(
            scan.doc, lambda w, own=own, path=path: w in (own, path) or w.startswith(own + "/")
        )
        assert keep == result_keys(good[0].doc, KEEP_ALL)
        assert scan.code == 1
        tally(
            case.category,
            "one scan error naming the file" if errors else "valid prefix, scanned",
            seconds=scan.seconds,
        )
