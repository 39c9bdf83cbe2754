"""Terraform root modules -> configurations of canonical resources.

A directory holding .tf files is a root module unless another scanned root uses it as a
local module (then it is evaluated as part of its caller, not again on its own).
Variables come from defaults, terraform.tfvars, *.auto.tfvars and --var-file, in
Terraform's order; local modules are followed; remote modules are listed as not scanned.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from scanner.model import InlineSuppression, Origin, Reference, Resource, ScanError, Scope, Unknown
from scanner.sources.iac import (
    Configuration,
    failed_load,
    load_json,
    name_of,
    read_text,
    resolved,
    text_limit,
)
from scanner.sources.terraform import mapping, providers
from scanner.sources.terraform.expr import Evaluator, ResourceObject
from scanner.sources.terraform.hcl import Block, module_sources
from scanner.sources.terraform.module import (
    EXISTS,
    MAX_MODULE_DEPTH,
    META_ARGUMENTS,
    ModuleDef,
    ModuleInstance,
    evaluate_block,
    expand,
    load_module_def,
    read_tfvars,
    terraform_files,
)

SOURCE = "terraform"
_IGNORE = re.compile(r"(?:#|//)\s*opscheck:ignore\s+([A-Za-z][A-Za-z0-9_]*)\s*(.*)$")
_UNTIL = re.compile(r"\buntil=(\S+)")


class Definitions:
    """ModuleDef cache: each directory is parsed once per scan, whoever uses it."""

    def __init__(self, cwd: Path, relative: Any) -> None:
        self.cwd = cwd
        self.relative = relative
        self._defs: dict[Path, ModuleDef] = {}

    def get(self, directory: Path) -> ModuleDef:
        key = resolved(directory)
        if key not in self._defs:
            self._defs[key] = load_module_def(directory, self.relative(directory, self.cwd))
        return self._defs[key]

    def drop(self, directory: Path) -> None:
        """Forget a parsed module no later root needs."""
        self._defs.pop(directory, None)


def local_sources(directory: Path) -> list[str]:
    """The local module sources a directory calls. Only files that mention `module` are
    parsed, and only their top-level module blocks are read: root detection stays cheap."""
    found: list[str] = []
    for path in terraform_files(directory):
        try:
            text = read_text(path, text_limit(path))
        except OSError:
            continue  # reported when the module is loaded
        if "module" not in text:
            continue
        if path.name.endswith(".json"):
            try:
                doc = load_json(text)
            except ValueError:
                continue
            calls = doc.get("module") if isinstance(doc, dict) else None
            for call in (calls or {}).values() if isinstance(calls, dict) else []:
                source = call.get("source") if isinstance(call, dict) else None
                if isinstance(source, str) and source.startswith(("./", "../")):
                    found.append(source)
            continue
        found.extend(module_sources(text.encode("utf-8")))
    return found


def root_modules(
    dirs: Sequence[Path], sources: Mapping[Path, Sequence[str]]
) -> tuple[list[Path], dict[Path, set[Path]]]:
    """Directories that are roots (not used as a local module by another scanned
    directory), and for each root the module directories it uses, transitively.

    Directories that call each other in a ring (a -> b -> a) are each used, yet nothing
    outside the ring reaches them: the first member of such a ring is taken as a root, so
    that it is scanned and its cycle reported instead of silently skipped (never a module
    the ring merely calls)."""
    real = {d: resolved(d) for d in dirs}  # one symlink lookup per directory
    calls: dict[Path, set[Path]] = {}
    for d, me in real.items():
        calls[me] = {resolved(d / s) for s in sources.get(d, ())} - {me}  # a self-call is a cycle

    def reach(start: Path) -> set[Path]:
        seen: set[Path] = set()
        todo = [start]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(calls.get(current, ()))
        return seen

    used = set().union(*calls.values()) if calls else set()
    roots = [d for d in dirs if real[d] not in used]
    closure = {r: reach(real[r]) for r in roots}  # by the root as given
    reached = set().union(*closure.values()) if closure else set()
    rings = []
    for d in dirs:  # in scan order: deterministic
        me = real[d]
        if me not in reached and any(me in reach(callee) for callee in calls[me]):  # on a ring
            rings.append(d)
            closure[d] = reach(me)
            reached |= closure[d]
    if rings:
        order = {d: i for i, d in enumerate(dirs)}
        roots = sorted(roots + rings, key=order.__getitem__)
    return roots, closure


class RootLoader:
    def __init__(
        self, root: Path, defs: Definitions, var_files: Sequence[Path] = (), partition: str = "aws"
    ) -> None:
        self.root = root
        self.defs = defs
        self.root_rel = defs.relative(root, defs.cwd)
        self.var_files = list(var_files)
        self.partition = partition
        self.errors: list[ScanError] = []
        self._index: dict[str, tuple[Block, Evaluator]] = {}
        self._instances: dict[str, ModuleInstance] = {}  # prefix -> module instance
        self._indexed: set[str] = set()
        self.unscanned: list[str] = []  # remote modules, missing or cyclic local modules
        self._values: dict[str, dict[str, Any]] = {}
        self._computing: set[str] = set()

    # -- the ModuleInstance side ---------------------------------------------------------

    def close(self) -> None:
        """Break the loader <-> module instance cycles, so the syntax trees they hold are
        freed now (by reference counting), not by a late garbage collection."""
        for inst in self._instances.values():
            inst.close()
        self._instances.clear()
        self._index.clear()
        self._values.clear()

    def _not_scanned(self, why: Unknown) -> Unknown:
        """A module call that is not followed: configuration-level verdicts cannot rule out
        that it declares what they look for."""
        self.unscanned.append(why.reason)
        return why

    def register(self, inst: ModuleInstance) -> None:
        self._instances[inst.prefix] = inst

    def _index_module(self, inst: ModuleInstance) -> None:
        if inst.prefix in self._indexed:
            return
        self._indexed.add(inst.prefix)
        for address, block, ev in inst.instances():
            self._index[address] = (block, ev)

    def instance_addresses(self, inst: ModuleInstance, base: str) -> list[tuple[str, str]] | None:
        """(key, address) of the instances of a count/for_each resource, or None if unknown."""
        self._index_module(inst)
        found = []
        for address in self._index:
            if address.startswith(base + "["):
                key = address[len(base) + 1 : -1]
                found.append((json.loads(key) if key.startswith('"') else key, address))
        return found if found else (None if base in self._index else [])

    def resource_values(self, address: str) -> dict[str, Any] | None:
        """The evaluated Terraform attributes of a resource instance (cached), or None."""
        if address in self._values:
            return self._values[address]
        if address not in self._index:  # its module may not be indexed yet
            owner = max((p for p in self._instances if address.startswith(p)), key=len, default=None)
            if owner is not None:
                self._index_module(self._instances[owner])
        found = self._index.get(address)
        if found is None or address in self._computing:
            return None
        self._computing.add(address)
        try:
            block, ev = found
            try:
                values = evaluate_block(block, ev)
            except RecursionError:  # a chain of references too long to follow
                values = {
                    name: Unknown(f"{address}: values depend on a chain too long to follow")
                    for name in block.attributes
                }
        finally:
            self._computing.discard(address)
        self._values[address] = values
        return values

    def instantiate(
        self, parent: ModuleInstance, name: str, call: Block
    ) -> dict[str, ModuleInstance] | Unknown:
        where = f"{parent.prefix}module.{name}"
        src_attr = call.attributes.get("source")
        source = parent.evaluator().eval(src_attr.expr, src_attr.source) if src_attr else None

        def skip(kind: str, message: str, reason: str) -> dict[str, ModuleInstance] | Unknown:
            if not any(True for _ in expand(call, where, parent.evaluator(), where, [])):
                return {}  # never created (count = 0, for_each = {}): nothing left unscanned
            path = call.source.path
            self.errors.append(
                ScanError(kind=kind, message=f"{path}: {message}", path=path, line=call.start_line)
            )
            return self._not_scanned(Unknown(reason))

        if not isinstance(source, str):
            return skip(
                "parse", f"{where} has no literal source; not scanned", f"{where} has no literal source"
            )
        if not source.startswith(("./", "../")):
            return skip(
                "config",
                f"{where} uses remote module {source!r}, which is not scanned (scan its plan JSON for full coverage)",
                f"{where} is a remote module ({source}), not scanned",
            )
        directory = resolved(parent.mod.dir / source)
        if not directory.is_dir():
            return skip(
                "parse",
                f"{where}: local module directory {source!r} does not exist",
                f"{where}: module directory {source} is missing",
            )
        ancestors = []
        inst: ModuleInstance | None = parent
        while inst is not None:
            ancestors.append(resolved(inst.mod.dir))
            inst = inst.parent
        if directory in ancestors:
            return skip(
                "parse",
                f"{where}: module {source!r} calls itself (a cycle); not followed",
                f"{where} is a module cycle",
            )
        if parent.depth + 1 > MAX_MODULE_DEPTH:
            return skip(
                "parse",
                f"{where}: modules nested deeper than {MAX_MODULE_DEPTH} levels (a cycle?); not followed",
                f"{where} is nested too deeply",
            )
        mod = self.defs.get(directory)
        instances: dict[str, ModuleInstance] = {}
        for address, block, ev in expand(call, where, parent.evaluator(), where, self.errors):
            # Inputs are evaluated on first use (ModuleInstance.variable).
            inputs = {
                k: partial(ev.eval, a.expr, a.source)
                for k, a in block.attributes.items()
                if k not in META_ARGUMENTS
            }
            key = address[len(where) :]
            child = ModuleInstance(mod, self, f"{address}.", inputs, parent.depth + 1, parent)
            child.exists = _tri_and(parent.exists, ev.local.get(EXISTS, True))
            child.deployment = providers.module_default(child, block, parent)
            instances[key] = child
        return instances

    # -- loading -------------------------------------------------------------------------

    def _inputs(self, mod: ModuleDef) -> dict[str, Any]:
        """tfvars in Terraform's order: terraform.tfvars(.json), *.auto.tfvars(.json) sorted, --var-file."""
        files = [
            mod.dir / n for n in ("terraform.tfvars", "terraform.tfvars.json") if (mod.dir / n).is_file()
        ]
        files += sorted(
            p
            for p in mod.dir.iterdir()
            if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
            and not p.name.startswith(".")
            and p.is_file()
        )
        files += self.var_files
        values: dict[str, Any] = {}
        for f in files:
            found, errors = read_tfvars(f, self.defs.relative(f, self.defs.cwd))
            values.update(found)
            self.errors.extend(errors)
        return values

    def _module_index(self, inst: ModuleInstance) -> list[tuple[str, tuple[Block, Evaluator]]]:
        """The module's own resource instances, in declaration order."""
        own = [
            (a, v)
            for a, v in self._index.items()
            if a.startswith(inst.prefix) and not a[len(inst.prefix) :].startswith("module.")
        ]
        return own

    def load(self) -> Configuration:
        scope = Scope(kind="configuration", id=self.root_rel)
        config = Configuration(scope=scope, path=self.root_rel, source=SOURCE)
        mod = self.defs.get(self.root)
        root = ModuleInstance(mod, self, "", self._inputs(mod))
        root.deployment = providers.root_default(root)
        instances = list(_walk(root))
        for inst in instances:
            config.errors.extend(inst.mod.errors)
            self._index_module(inst)
        for inst in instances:
            for address, (block, ev) in self._module_index(inst):
                tf_type = block.labels[0]
                table = mapping.TABLES.get(tf_type)
                if table is None:
                    continue
                values = _detach(self.resource_values(address) or {})
                region, provider = providers.resource_deployment(block, values, inst)
                resource = mapped_resource(
                    table,
                    address,
                    values,
                    block_origin(block),
                    scope.id,
                    partition=self.partition,
                    region=region,
                    provider=provider,
                    raw={"address": address, "type": tf_type},
                    exists=_tri_and(inst.exists, ev.local.get(EXISTS, True)),
                )
                config.resources.append(resource)
                config.suppressions.extend(_suppressions(block, address))
        # Event targets into their rules, policy attachments into their roles, ...
        config.resources, config.suppressions, joined = mapping.join(config.resources, config.suppressions)
        if self.unscanned:
            config.scope = replace(scope, unscanned=tuple(self.unscanned))
        config.errors.extend(self.errors)
        config.errors.extend(joined)
        # Every file of the root broken: nothing of it was scanned, which a scan of only it
        # must say with exit 2, not with an empty pass.
        config.scanned = mod.blocks > 0 or not mod.errors
        return config


def block_origin(block: Block) -> Origin:
    return Origin(SOURCE, path=block.source.path, start_line=block.start_line, end_line=block.end_line)


def mapped_resource(
    table: mapping.Table, address: str, values: Mapping[str, Any], origin: Origin, scope_id: str, **more: Any
) -> Resource:
    """A Terraform resource's values as the canonical resource (HCL and plan alike)."""
    props = mapping.map_values(table.fields, values)
    name_value = values.get(table.name_attr) if table.name_attr else None
    return Resource(
        type=table.cfn_type,
        id=address,
        name=name_value
        if isinstance(name_value, str) and name_value
        else name_of(table.cfn_type, props, address),
        properties=props,
        origin=origin,
        scope=scope_id,
        tags=_tags(values.get("tags")),
        **more,
    )


def _tri_and(a: bool | Unknown, b: bool | Unknown) -> bool | Unknown:
    if a is False or b is False:
        return False
    return a if isinstance(a, Unknown) else b


def _detach(value: Any) -> Any:
    """Resource objects (which resolve attributes through the loader) become plain
    references: the inventory keeps no tie to the evaluation, and pickles."""
    if isinstance(value, ResourceObject):
        return Reference(value.text, target=value.target, attribute=value.attribute)
    if isinstance(value, dict):
        return {k: _detach(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_detach(v) for v in value]
    return value


def _walk(inst: ModuleInstance) -> Iterator[ModuleInstance]:
    yield inst
    for name in inst.mod.modules:
        children = inst.children(name)
        if isinstance(children, dict):
            for child in children.values():
                yield from _walk(child)


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float | bool)}
    return {}


def _suppressions(block: Block, address: str) -> list[InlineSuppression]:
    """`# opscheck:ignore RULE reason until=YYYY-MM-DD` (or //) inside the resource block."""
    found = []
    stack = [block]
    while stack:
        b = stack.pop()
        stack.extend(b.blocks)
        for line, text in b.comments:
            m = _IGNORE.search(text.strip())
            if not m:
                continue
            rest = m.group(2).strip().rstrip("*/").strip()
            until = _UNTIL.search(rest)
            reason = _UNTIL.sub("", rest).strip()
            found.append(
                InlineSuppression(
                    rule_id=m.group(1).upper(),
                    resource_id=address,
                    path=block.source.path,
                    line=line,
                    reason=reason,
                    expires=until.group(1) if until else None,
                )
            )
    return found


PARALLEL_MIN = 48  # configurations: below this, worker start-up costs more than it saves


def load_terraform(
    dirs: Sequence[Path], cwd: Path, relative: Any, var_files: Sequence[Path] = (), workers: int | None = None
) -> list[Configuration]:
    """Every root module under `dirs` as a configuration. Large trees are parsed and
    evaluated in worker processes (one per core): a root is independent of the others."""
    if workers is None:
        workers = int(os.environ.get("OPSCHECK_WORKERS") or os.cpu_count() or 1)
    if workers > 1 and len(dirs) >= PARALLEL_MIN:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
            sources = dict(zip(dirs, pool.map(local_sources, dirs, chunksize=16), strict=True))
            roots, closure = root_modules(dirs, sources)
            batches = [roots[i :: workers * 4] for i in range(workers * 4)]
            loaded = pool.map(
                _load_batch,
                batches,
                [closure] * len(batches),
                [cwd] * len(batches),
                [relative] * len(batches),
                [list(var_files)] * len(batches),
            )
            by_root = {c.path: c for batch in loaded for c in batch}
        return [by_root[relative(r, cwd)] for r in roots]
    sources = {d: local_sources(d) for d in dirs}
    roots, closure = root_modules(dirs, sources)
    return _load_batch(roots, closure, cwd, relative, list(var_files))


def _context() -> Any:
    # fork is cheap and sees the loaded modules; elsewhere the platform default.
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


def _load_batch(
    roots: Sequence[Path], closure: Mapping[Path, set[Path]], cwd: Path, relative: Any, var_files: list[Path]
) -> list[Configuration]:
    defs = Definitions(cwd, relative)
    # How many roots still to load use each directory: a parsed module is dropped when
    # none does (syntax trees are most of the memory of a large scan).
    pending: dict[Path, int] = {}
    for root in roots:
        for d in closure[root]:
            pending[d] = pending.get(d, 0) + 1
    configurations = []
    for root in roots:
        loader = RootLoader(root, defs, var_files)
        try:
            configurations.append(loader.load())
        except Exception as exc:  # a bug costs this root, said out loud, not the scan
            configurations.append(failed_load(relative(root, cwd), SOURCE, exc))
        loader.close()
        for d in closure[root]:
            pending[d] -= 1
            if pending[d] == 0:
                defs.drop(d)
    return configurations
