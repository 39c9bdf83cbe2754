"""Rule discovery, selection and evaluation.

Rules come from the entry-point group `opscheck.rules` (the built-in packs are
registered there too) and from `--rules-dir` directories. A pack is a module or a
package; every `Rule` object found in it (and in its submodules) is a rule, so adding
a rule means adding a module, nothing else.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pkgutil
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from scanner.inventory import Inventory
from scanner.model import Result, ScanError, Severity, Status
from scanner.rule import Rule

ENTRY_POINT_GROUP = "opscheck.rules"


class RuleSelectionError(ValueError):
    """A --rules/--skip-rules value names no known rule (a usage error)."""


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)

    def by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}


def _rules_in_module(module: ModuleType) -> list[Rule]:
    return [v for v in vars(module).values() if isinstance(v, Rule)]


def _rules_in_pack(obj: Any, errors: list[ScanError], pack: str) -> list[Rule]:
    """Rules of a pack; a submodule that fails to import costs only its own rules."""
    if isinstance(obj, Rule):
        return [obj]
    if isinstance(obj, ModuleType):
        found = _rules_in_module(obj)
        if hasattr(obj, "__path__"):  # a package: walk its submodules

            def failed(name: str) -> None:
                errors.append(ScanError(kind="config", message=f"rule pack {pack}: {name} failed to load"))

            for info in pkgutil.walk_packages(obj.__path__, obj.__name__ + ".", onerror=failed):
                try:
                    module = importlib.import_module(info.name)
                except Exception as exc:
                    errors.append(
                        ScanError(
                            kind="config",
                            message=f"rule pack {pack}: module {info.name} failed to load: "
                            f"{type(exc).__name__}: {exc}; its rules are missing",
                        )
                    )
                    continue
                found.extend(_rules_in_module(module))
        return found
    if isinstance(obj, Iterable):
        return [r for r in obj if isinstance(r, Rule)]
    raise TypeError(f"{obj!r} is not a rule, a module or a list of rules")


def _add(ruleset: RuleSet, rules: Iterable[Rule], origin: str, path: str | None = None) -> None:
    known = ruleset.by_id()
    for r in rules:
        if r.id in known and known[r.id] is not r:
            ruleset.errors.append(
                ScanError(
                    kind="config",
                    message=f"rule {r.id} from {origin} ignored: the id is already taken by "
                    f"{known[r.id].module}",
                    path=path,
                )
            )
            continue
        if r.id not in known:
            ruleset.rules.append(r)
            known[r.id] = r


def discover(rules_dirs: Iterable[str | Path] = ()) -> RuleSet:
    ruleset = RuleSet()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            _add(ruleset, _rules_in_pack(ep.load(), ruleset.errors, ep.name), f"entry point {ep.name}")
        except Exception as exc:  # a broken plugin must not stop the scan
            ruleset.errors.append(
                ScanError(kind="config", message=f"rule pack {ep.name} ({ep.value}) failed to load: {exc}")
            )
    for directory in rules_dirs:
        _load_dir(ruleset, Path(directory))
    ruleset.rules.sort(key=lambda r: r.id)
    return ruleset


def _load_dir(ruleset: RuleSet, directory: Path) -> None:
    if not directory.is_dir():
        ruleset.errors.append(
            ScanError(
                kind="config", message=f"--rules-dir {directory} is not a directory", path=str(directory)
            )
        )
        return
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        # Unique per file, so same-named files in two directories never share a module.
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        module_name = f"opscheck_user_rules.{path.stem}_{digest}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError("not a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(module_name, None)
            line = _error_line(exc, path)
            ruleset.errors.append(
                ScanError(
                    kind="config",
                    message=f"rule module {path} failed to load: {type(exc).__name__}: {exc}",
                    path=str(path),
                    line=line,
                )
            )
            continue
        _add(ruleset, _rules_in_module(module), str(path), str(path))


def _error_line(exc: BaseException, path: Path) -> int | None:
    if isinstance(exc, SyntaxError):
        return exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return frames[-1].lineno if frames else None


def select(rules: list[Rule], include: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Rule]:
    """Apply --rules / --skip-rules. Ids are case-insensitive; an unknown id is an error."""
    ids = {r.id for r in rules}
    include = [i.strip().upper() for i in include if i.strip()]
    skip = [i.strip().upper() for i in skip if i.strip()]
    unknown = sorted(set(include + skip) - ids)
    if unknown:
        raise RuleSelectionError(f"unknown rule id(s): {', '.join(unknown)} (see `opscheck rules`)")
    chosen = [r for r in rules if (not include or r.id in include) and r.id not in skip]
    return chosen


def needs(rules: Iterable[Rule]) -> dict[str, frozenset[str]]:
    """Union of what the selected rules read: resource type -> facets."""
    merged: dict[str, set[str]] = {}
    for r in rules:
        for rtype, facets in r.meta.needs.items():
            merged.setdefault(rtype, set()).update(facets)
    return {k: frozenset(v) for k, v in merged.items()}


def evaluate(
    rules: Iterable[Rule],
    inventory: Inventory,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Result], list[ScanError]]:
    """Run each rule. A rule that raises, or yields something that is not a well-formed
    result of its own, becomes an internal scan error; the results it gave before stay."""
    results: list[Result] = []
    errors: list[ScanError] = []
    views = [inventory] if len(inventory.scopes) <= 1 else [inventory.scoped(s) for s in inventory.scopes]
    for r in rules:
        for view in views:
            produced = 0
            try:
                for result in r.iter_results(view, (params or {}).get(r.id)):
                    problem = _malformed(result, r.id)
                    if problem:
                        errors.append(ScanError(kind="internal", message=f"rule {r.id} produced {problem}"))
                        continue
                    results.append(result)
                    produced += 1
            except Exception as exc:
                where = f" on {view.scopes[0].id}" if len(views) > 1 else ""
                errors.append(
                    ScanError(
                        kind="internal",
                        message=f"rule {r.id} failed{where} after {produced} result(s): {type(exc).__name__}: "
                        f"{exc}; the rest of its results there are missing",
                    )
                )
    return dedupe(results, errors), errors


def _malformed(result: Any, rule_id: str) -> str | None:
    if not isinstance(result, Result):
        return f"something that is not a result: {result!r:.200}"
    if result.rule_id != rule_id:
        return f"a result of another rule ({result.rule_id})"
    if not isinstance(result.status, Status) or not isinstance(result.severity, Severity):
        return f"a result with an invalid status or severity ({result.status!r}, {result.severity!r})"
    return None


def dedupe(results: list[Result], errors: list[ScanError]) -> list[Result]:
    """One result per fingerprint; two different verdicts on one identity is a rule bug."""
    seen: dict[str, Result] = {}
    for result in results:
        fp = result.fingerprint
        first = seen.get(fp)
        if first is None:
            seen[fp] = result
            continue
        if _verdict(first) != _verdict(result):
            errors.append(
                ScanError(
                    kind="internal",
                    message=f"rule {result.rule_id} gave two different results on {result.resource.id}; "
                    "kept the more severe",
                )
            )
            if _worse(result, first):
                seen[fp] = result
    return sorted(seen.values(), key=Result.sort_key)


def _verdict(r: Result) -> tuple[Any, ...]:
    return (r.status, r.severity, r.message, r.evidence)


_STATUS_WEIGHT = {Status.FAIL: 2, Status.UNKNOWN: 1, Status.PASS: 0}


def _worse(a: Result, b: Result) -> bool:
    return (_STATUS_WEIGHT[a.status], a.severity.rank) > (_STATUS_WEIGHT[b.status], b.severity.rank)
