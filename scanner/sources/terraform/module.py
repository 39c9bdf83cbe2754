"""Terraform modules: a directory's blocks (ModuleDef) and one evaluated instance of it
(ModuleInstance: variables bound, locals, child modules, resources expanded by count and
for_each into instance addresses)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import Reference, ScanError, Unknown
from scanner.sources.iac import JsonError, json_spans, load_json, read_text, shown, text_limit
from scanner.sources.terraform import mapping
from scanner.sources.terraform.expr import Evaluator, ResourceObject
from scanner.sources.terraform.hcl import (
    Attribute,
    Block,
    HclError,
    Source,
    _parser,
    _syntax_errors,
    parse_hcl,
)

MAX_MODULE_DEPTH = 16
META_ARGUMENTS = {
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
    "lifecycle",
    "provider",
}


@dataclass
class ModuleDef:
    """The blocks of one module directory."""

    dir: Path
    rel: str
    variables: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Attribute] = field(default_factory=dict)
    resources: list[Block] = field(default_factory=list)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    outputs: dict[str, Block] = field(default_factory=dict)
    providers: list[Block] = field(default_factory=list)  # `provider "aws"` blocks
    errors: list[ScanError] = field(default_factory=list)
    files: int = 0
    blocks: int = 0  # top-level blocks read from its files
    # (type, name) -> resource block: every block added is checked for a duplicate, and a
    # linear search made a 40,000-resource file take hours.
    by_address: dict[tuple[str, str], Block] = field(default_factory=dict, repr=False)

    def declared(self, rtype: str, name: str) -> Block | None:
        return self.by_address.get((rtype, name))

    def same_address(self, b: Block) -> Block | None:
        """The block already read that `b` would declare again (or override)."""
        if b.type == "resource" and len(b.labels) >= 2:
            return self.declared(b.labels[0], b.labels[1])
        if b.type == "data" and len(b.labels) >= 2:
            return self.data.get((b.labels[0], b.labels[1]))
        if b.type == "provider" and b.labels:
            alias = provider_alias(b)
            return next(
                (p for p in self.providers if p.labels[:1] == b.labels[:1] and provider_alias(p) == alias),
                None,
            )
        named = {"variable": self.variables, "module": self.modules, "output": self.outputs}.get(b.type)
        return named.get(b.labels[0]) if named is not None and b.labels else None

    def local_sources(self) -> list[str]:
        out = []
        for call in self.modules.values():
            source = call.attributes.get("source")
            value = Evaluator(_NoNames(str(self.dir))).eval(source.expr, source.source) if source else None
            if isinstance(value, str) and value.startswith(("./", "../")):
                out.append(value)
        return out


class _NoNames:
    def __init__(self, base: str) -> None:
        self._base = base

    def lookup(self, root: str, path: list[Any], text: str) -> Any:
        return Unknown(f"{text} cannot be used here")

    def base_dir(self) -> str:
        return self._base


def provider_alias(block: Block) -> str | None:
    """A provider block's alias (Terraform requires a literal), None for the default one."""
    attr = block.attributes.get("alias")
    if attr is None:
        return None
    if hasattr(attr.expr, "type"):
        return attr.source.slice(attr.expr).strip().strip('"')
    return attr.expr if isinstance(attr.expr, str) else None


def is_terraform_file(name: str) -> bool:
    """A configuration file Terraform reads: `.tf` / `.tf.json`, but not the hidden and
    editor backup files it ignores (`.x.tf`, `x.tf~`, `#x.tf#`)."""
    if name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#")):
        return False
    return name.endswith((".tf", ".tf.json"))


def terraform_files(directory: Path) -> list[Path]:
    """The module's configuration files, sorted; regular files only (a FIFO would block), and
    links that lead nowhere (a loop, a missing target): reading one says why, as Terraform does."""
    return sorted(
        p
        for p in directory.iterdir()
        if is_terraform_file(p.name) and (p.is_file() or (p.is_symlink() and not p.exists()))
    )


def load_module_def(directory: Path, rel: str) -> ModuleDef:
    """Parse every .tf and .tf.json file of a directory (each file once). A file that does
    not parse costs its own blocks, not the module's."""
    mod = ModuleDef(directory, rel)
    try:
        files = terraform_files(directory)
    except OSError as exc:  # a local module directory that cannot be listed
        # Worded as discovery words it, so that a directory both walked and called is one error.
        message = f"{rel}: cannot read directory: {exc.strerror or exc}; not scanned"
        mod.errors.append(ScanError(kind="parse", message=message, path=rel))
        return mod
    # Override files are merged into the blocks of the others, after them (Terraform's rule).
    files.sort(key=lambda p: _is_override(p.name))
    for path in files:
        name = shown(path.name)
        frel = f"{rel}/{name}" if rel not in ("", ".") else name
        try:
            text = read_text(path, text_limit(path))
        except OSError as exc:
            mod.errors.append(
                ScanError(
                    kind="parse",
                    message=f"{frel}: {exc.strerror or exc}; the module is scanned without this file",
                    path=frel,
                )
            )
            continue
        if path.name.endswith(".tf.json"):
            blocks, errors = _parse_tf_json(text, frel)
        else:
            blocks, errors = parse_hcl(text.encode("utf-8"), frel)
        for e in errors:
            mod.errors.append(
                ScanError(
                    kind="parse",
                    message=f"{frel}: {e.message}; the module is scanned without the damaged block",
                    path=frel,
                    line=e.line,
                )
            )
        mod.files += 1
        mod.blocks += len(blocks)
        for b in blocks:
            if not (_is_override(path.name) and _merge_override(mod, b)):
                _add_block(mod, b, frel)
    return mod


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


def _merge_override(mod: ModuleDef, b: Block) -> bool:
    """Merge an override block into the block it overrides: its arguments replace the
    originals, its nested blocks replace the nested blocks of the same type."""
    if b.type == "locals":
        mod.locals.update(b.attributes)
        return True
    base = mod.same_address(b)
    if base is None:
        return False
    base.attributes.update(b.attributes)
    replaced = {c.type for c in b.blocks}
    base.blocks = [c for c in base.blocks if c.type not in replaced] + b.blocks
    base.comments.extend(b.comments)
    return True


def _duplicate(mod: ModuleDef, b: Block) -> bool:
    """Terraform refuses two blocks with one address; keep the first, say so, go on."""
    first = mod.same_address(b)
    if first is None:
        return False
    what = {
        "resource": f"resource {'.'.join(b.labels[:2])}",
        "data": f"data source data.{'.'.join(b.labels[:2])}",
    }.get(b.type, f'{b.type} "{b.labels[0]}"')
    mod.errors.append(
        ScanError(
            kind="parse",
            message=(
                f"{b.source.path}:{b.start_line}: duplicate {what} (first declared at "
                f"{first.source.path}:{first.start_line}); Terraform rejects this, the first is scanned"
            ),
            path=b.source.path,
            line=b.start_line,
        )
    )
    return True


def _add_block(mod: ModuleDef, b: Block, frel: str) -> None:
    if _duplicate(mod, b):
        return
    if b.type == "variable" and b.labels:
        mod.variables[b.labels[0]] = b
    elif b.type == "locals":
        mod.locals.update(b.attributes)
    elif b.type == "resource" and len(b.labels) >= 2:
        mod.resources.append(b)
        mod.by_address[(b.labels[0], b.labels[1])] = b
    elif b.type == "data" and len(b.labels) >= 2:
        mod.data[(b.labels[0], b.labels[1])] = b
    elif b.type == "module" and b.labels:
        mod.modules[b.labels[0]] = b
    elif b.type == "output" and b.labels:
        mod.outputs[b.labels[0]] = b
    elif b.type == "provider" and b.labels[:1] == ["aws"]:
        mod.providers.append(b)


def _parse_tf_json(text: str, frel: str) -> tuple[list[Block], list[HclError]]:
    """Terraform JSON syntax: the same blocks (with their lines), values kept as JSON
    (templates inside strings are evaluated like HCL templates)."""
    try:
        doc = load_json(text)
    except JsonError as exc:
        message = exc.message if exc.message.startswith("invalid JSON") else f"invalid JSON: {exc.message}"
        return [], [HclError(message, exc.line)]
    if not isinstance(doc, Mapping):
        return [], [HclError("a .tf.json file must hold an object", 1)]
    src = Source(frel, text.encode())
    spans = json_spans(text, 3)
    blocks: list[Block] = []

    def new(btype: str, labels: list[str], key: tuple[str, ...]) -> Block:
        start, end = spans.get(key, (1, 1))
        return Block(btype, labels, src, start, end)

    def body(block: Block, content: Any) -> None:
        if not isinstance(content, Mapping):
            return
        for key, value in content.items():
            if key == "dynamic" and isinstance(value, Mapping):
                for label, spec in value.items():
                    for item in spec if isinstance(spec, list) else [spec]:
                        child = Block("dynamic", [label], src, block.start_line, block.end_line)
                        body(child, item)
                        block.blocks.append(child)
                continue
            items = value if isinstance(value, list) else [value]
            if key in _JSON_NESTED and items and all(isinstance(v, Mapping) for v in items):
                for item in items:
                    child = Block(key, [], src, block.start_line, block.end_line)
                    body(child, item)
                    block.blocks.append(child)
            else:
                block.attributes[key] = Attribute(key, value, src, block.start_line)

    errors: list[HclError] = []

    def fail(value: Any, where: tuple[str, ...]) -> None:
        line = next((spans[where[:n]][0] for n in range(len(where), 0, -1) if where[:n] in spans), None)
        errors.append(HclError(f"`{'.'.join(where)}` must be an object, not {type(value).__name__}", line))

    def pairs(value: Any, where: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        """The (label, content) pairs under a key: an object, or (as the JSON syntax allows
        at every label level) an array of objects; anything else is an error at its line."""
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                yield from item.items()
            elif item is not None:
                fail(item, where)

    def bodies(value: Any, where: tuple[str, ...]) -> Iterator[Mapping[str, Any]]:
        """A block's body: an object, or an array of objects (one block each)."""
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                yield item
            else:
                fail(item, where)

    for btype in ("resource", "data"):
        for rtype, named in pairs(doc.get(btype), (btype,)):
            for name, content in pairs(named, (btype, rtype)):
                for item in bodies(content, (btype, rtype, name)):
                    b = new(btype, [rtype, name], (btype, rtype, name))
                    body(b, item)
                    blocks.append(b)
    for btype in ("provider", "variable", "module", "output"):
        for name, content in pairs(doc.get(btype), (btype,)):
            for item in bodies(content, (btype, name)):
                b = new(btype, [name], (btype, name))
                body(b, item)
                blocks.append(b)
    locals_ = doc.get("locals")
    for item in locals_ if isinstance(locals_, list) else [locals_ or {}]:
        b = new("locals", [], ("locals",))
        body(b, item)
        blocks.append(b)
    return blocks, errors


# Nested blocks of the mapped types (in .tf.json a block is an object or a list of objects).
_JSON_NESTED = {
    "event_selector",
    "data_resource",
    "advanced_event_selector",
    "field_selector",
    "insight_selector",
    "production_variants",
    "data_capture_config",
    "serverless_config",
    "statement",
    "principals",
    "not_principals",
    "condition",
    "dynamic",
    "content",
    "lifecycle",
}


@dataclass
class ResourceInstance:
    address: str
    tf_type: str
    name: str
    block: Block
    values: dict[str, Any]
    module: ModuleInstance


class ModuleInstance:
    """A module with its inputs bound: what its expressions refer to."""

    def __init__(
        self,
        mod: ModuleDef,
        loader: Any,
        prefix: str,
        inputs: Mapping[str, Any],
        depth: int = 0,
        parent: ModuleInstance | None = None,
    ) -> None:
        self.mod = mod
        self.parent = parent
        self.exists: bool | Unknown = True  # an undecidable count/for_each on the module call
        # Its default `aws` provider: (region, label); see providers.py.
        self.deployment: tuple[str | None, str | None] = (None, None)
        self.loader = loader
        self.prefix = prefix  # "" for the root, "module.net." for a child
        self.depth = depth
        self._inputs = dict(inputs)  # values, or callables evaluated on first use
        self.variables = self._bind(self._inputs)
        loader.register(self)
        self._locals: dict[str, Any] = {}
        self._evaluating: set[str] = set()
        self._children: dict[str, Any] = {}
        self._values: dict[str, dict[str, Any]] = {}

    # -- binding -------------------------------------------------------------------------

    def _bind(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        for name, block in self.mod.variables.items():
            if name in inputs:
                bound[name] = inputs[name]  # possibly a thunk: see variable()
            elif "default" in block.attributes:
                attr = block.attributes["default"]
                bound[name] = Evaluator(_NoNames(str(self.mod.dir))).eval(attr.expr, attr.source)
            else:
                where = f"module {self.prefix.rstrip('.')}" if self.prefix else "the root module"
                bound[name] = Unknown(f"variable {name} of {where} has no value (no default, no tfvars)")
        return bound

    def close(self) -> None:
        self._children.clear()
        self._locals.clear()
        self.variables.clear()
        self.parent = None
        self.loader = None

    def variable(self, name: str) -> Any:
        """A variable's value; module inputs are evaluated lazily, on first use, so that an
        input built from another resource's attributes sees that resource."""
        value = self.variables[name]
        if callable(value):
            self.variables[name] = Unknown(f"var.{name} refers to itself")
            value = self.variables[name] = value()
        return value

    def base_dir(self) -> tuple[str, ...]:
        """Where file() resolves (the root module, Terraform's working directory) and what
        it may read (the root module and this module)."""
        return (str(self.loader.root), str(self.mod.dir))

    def evaluator(self, **local: Any) -> Evaluator:
        return Evaluator(self, local)

    # -- what expressions refer to --------------------------------------------------------

    def lookup(self, root: str, path: list[Any], text: str) -> Any:
        if root == "var":
            if not path:
                return Unknown(f"{text}: a variable name is needed")
            if path[0] not in self.variables:
                return Unknown(f"{text}: variable {path[0]} is not declared")
            return _descend(self.variable(str(path[0])), path[1:], text)
        if root == "local":
            return _descend(self._local(str(path[0])), path[1:], text) if path else Unknown(text)
        if root == "module":
            return self._module_output(path, text)
        if root == "data":
            return self._data(path, text)
        if root == "path":  # relative to the root module, as Terraform renders them
            module = Path(os.path.relpath(self.mod.dir, self.loader.root)).as_posix()
            where = {"module": module, "root": ".", "cwd": "."}
            return where.get(str(path[0]), Unknown(text)) if path else Unknown(text)
        if root == "terraform":
            if path and path[0] == "workspace":
                # Which workspace a repository is applied in is not in its files: honour
                # TF_WORKSPACE as Terraform does, otherwise say it is not known.
                workspace = os.environ.get("TF_WORKSPACE")
                return workspace or Unknown(
                    "terraform.workspace depends on the selected workspace (set TF_WORKSPACE)"
                )
            return Unknown(text)
        if len(path) >= 1 and self.mod.declared(root, str(path[0])) is not None:
            return self._resource_reference(root, path, text)
        return Unknown(f"{text} is not declared in {self.mod.rel or 'the module'}")

    def _local(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        attr = self.mod.locals.get(name)
        if attr is None:
            return Unknown(f"local.{name} is not declared")
        if name in self._evaluating:
            return Unknown(f"local.{name} refers to itself")
        self._evaluating.add(name)
        try:
            value = self.evaluator().eval(attr.expr, attr.source)
        except RecursionError:  # a very long chain of locals
            value = Unknown(f"local.{name} depends on a chain of values too long to follow")
        finally:
            self._evaluating.discard(name)
        self._locals[name] = value
        return value

    def _resource_reference(self, rtype: str, path: list[Any], text: str) -> Any:
        name = str(path[0])
        rest = path[1:]
        base = f"{self.prefix}{rtype}.{name}"
        block = self.mod.declared(rtype, name)
        expanded = block is not None and ("count" in block.attributes or "for_each" in block.attributes)
        if rest and isinstance(rest[0], int | float) and not isinstance(rest[0], bool):
            target, rest = f"{base}[{int(rest[0])}]", rest[1:]
        elif rest and isinstance(rest[0], str) and self._is_for_each(rtype, name):
            target, rest = f"{base}[{json.dumps(rest[0])}]", rest[1:]
        elif expanded:  # the whole collection: a list (count) or a map (for_each) of instances
            instances = self.loader.instance_addresses(self, base)
            if instances is None:
                return Reference(text, target=base, attribute=str(rest[0]) if rest else None)
            objects = {k: self._object(rtype, a) for k, a in instances}
            collection: Any = objects if self._is_for_each(rtype, name) else list(objects.values())
            return _descend(collection, rest, text)
        else:
            target = base
        return _descend(self._object(rtype, target), rest, text)

    def _object(self, rtype: str, address: str) -> ResourceObject:
        def resolve(attribute: str) -> Any:
            values = self.loader.resource_values(address)
            if values is None:
                return None
            computed = mapping.computed_attribute(rtype, values, attribute, self.loader.partition)
            if computed is not None:
                return computed
            literal = values.get(attribute)
            # An argument written in the configuration is also the attribute's value.
            return literal if isinstance(literal, str | int | float | bool) else None

        return ResourceObject(address, target=address, resolve=resolve)

    def _is_for_each(self, rtype: str, name: str) -> bool:
        block = self.mod.declared(rtype, name)
        return block is not None and "for_each" in block.attributes

    def _module_output(self, path: list[Any], text: str) -> Any:
        if not path:
            return Unknown(text)
        name, rest = str(path[0]), path[1:]
        children = self.children(name)
        if isinstance(children, Unknown):
            return children
        if "" in children:  # a module without count / for_each
            child = children[""]
        elif rest:  # module.m[0].out or module.m["key"].out
            key = rest[0]
            child = children.get(f"[{json.dumps(key) if isinstance(key, str) else key}]")
            rest = rest[1:]
        else:
            return Unknown(f"{text}: a module with count or for_each needs an index")
        if child is None:
            return Unknown(f"{text}: no such module instance")
        if not rest:
            return Unknown(f"{text}: a module output name is needed")
        output = child.mod.outputs.get(str(rest[0]))
        if output is None or "value" not in output.attributes:
            return Unknown(f"{text}: module {name} has no output {rest[0]}")
        attr = output.attributes["value"]
        return _descend(child.evaluator().eval(attr.expr, attr.source), rest[1:], text)

    def _data(self, path: list[Any], text: str) -> Any:
        if len(path) < 2:
            return Unknown(text)
        dtype, name = str(path[0]), str(path[1])
        block = self.mod.data.get((dtype, name))
        if block is None:
            return Unknown(f"{text} is not declared")
        if dtype == "aws_iam_policy_document" and len(path) >= 3 and path[2] in ("json", "minified_json"):
            return _descend(policy_document(block, self), path[3:], text)
        # The address with its indexes evaluated (`names[count.index]` -> `names[1]`): two
        # instances taking different elements of one data source must not read alike.
        resolved = f"data.{dtype}.{name}" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[2:]
        )
        shown = text if resolved == text else f"{resolved} ({text})"
        return Unknown(
            f"{shown}: data sources are read at plan time (only aws_iam_policy_document is evaluated)"
        )

    # -- child modules -------------------------------------------------------------------

    def children(self, name: str) -> dict[str, ModuleInstance] | Unknown:
        if name in self._children:
            return self._children[name]
        call = self.mod.modules.get(name)
        result: dict[str, ModuleInstance] | Unknown
        if call is None:
            result = Unknown(f"module.{name} is not declared")
        else:
            result = self.loader.instantiate(self, name, call)
        self._children[name] = result
        return result

    # -- resources -------------------------------------------------------------------------

    def instances(self) -> Iterator[tuple[str, Block, Evaluator]]:
        """(address, block, evaluator) of every resource instance, count/for_each expanded."""
        for block in self.mod.resources:
            rtype, name = block.labels[0], block.labels[1]
            base = f"{self.prefix}{rtype}.{name}"
            yield from expand(block, base, self.evaluator(), f"resource {base}", self.loader.errors)


MAX_INSTANCES = 10_000
EXISTS = "__exists__"  # evaluator-local marker: whether the instance is created at all


def expand(
    block: Block, base: str, ev: Evaluator, what: str, errors: list[ScanError]
) -> Iterator[tuple[str, Block, Evaluator]]:
    """count and for_each: one (address, block, evaluator) per instance. When the number
    or the keys cannot be decided, one instance whose existence is Unknown."""
    if "count" in block.attributes:
        attr = block.attributes["count"]
        count = ev.eval(attr.expr, attr.source)
        if isinstance(count, int | float) and not isinstance(count, bool) and count > MAX_INSTANCES:
            errors.append(
                _error_at(attr, f"{what}: count = {count} is above {MAX_INSTANCES:,}; judged as one instance")
            )
            count = Unknown(f"count = {count} is too large to expand")
        if isinstance(count, bool) or not isinstance(count, int | float):
            reason = count.reason if isinstance(count, Unknown) else f"count is {count!r}"
            unknown = Unknown(f"{what} exists only if its count is above 0: {reason}")
            errors.append(
                _error_at(
                    attr,
                    f"{what}: the number of instances cannot be decided ({reason}); "
                    "judged as one instance that may not exist",
                )
            )
            yield (
                base,
                block,
                ev.child(**{"count.index": Unknown("count.index of an unknown count"), EXISTS: unknown}),
            )
            return
        for i in range(int(count)):
            yield f"{base}[{i}]", block, ev.child(**{"count.index": i})
        return
    if "for_each" in block.attributes:
        attr = block.attributes["for_each"]
        coll = ev.eval(attr.expr, attr.source)
        items = _for_each_items(coll)
        if isinstance(items, Unknown) or len(items) > MAX_INSTANCES:
            reason = (
                items.reason if isinstance(items, Unknown) else f"{len(items)} keys is too many to expand"
            )
            unknown = Unknown(f"{what} exists only for the keys of its for_each: {reason}")
            errors.append(
                _error_at(
                    attr,
                    f"{what}: the for_each keys cannot be decided ({reason}); judged as one instance that may not exist",
                )
            )
            each = Unknown("each of an unknown for_each")
            yield base, block, ev.child(**{"each.key": each, "each.value": each, EXISTS: unknown})
            return
        for key, value in items:
            yield (
                f"{base}[{json.dumps(key, ensure_ascii=False)}]",
                block,
                ev.child(**{"each.key": key, "each.value": value}),
            )
        return
    yield base, block, ev


def _error_at(attr: Attribute, message: str) -> ScanError:
    return ScanError(
        kind="parse", message=f"{attr.source.path}: {message}", path=attr.source.path, line=attr.line
    )


def _for_each_items(coll: Any) -> list[tuple[str, Any]] | Unknown:
    """(key, value) of a for_each: a map, or a set of strings; anything else undecided."""
    if isinstance(coll, Unknown):
        return coll
    if isinstance(coll, Reference):
        return Unknown(f"{coll.text} is known only after apply")
    if isinstance(coll, dict):
        pairs = list(coll.items())
    elif isinstance(coll, list):
        pairs = [(v, v) for v in coll]
    else:
        return Unknown(
            f"for_each of {type(coll).__name__} {coll!r:.40} (a map or a set of strings is needed)"
        )
    for key, _ in pairs:
        if not isinstance(key, str):
            return Unknown(f"a for_each key is {key!r:.40}, not a known string")
    return pairs


def evaluate_block(block: Block, ev: Evaluator, depth: int = 0) -> dict[str, Any]:
    """Attributes and nested blocks (as lists of mappings), `dynamic` blocks expanded."""
    out: dict[str, Any] = {}
    for name, attr in block.attributes.items():
        # Meta-arguments belong to the resource or module itself; inside a nested block a
        # name like `version` (launch_template.version) is an ordinary attribute.
        if depth > 0 or name not in META_ARGUMENTS:
            out[name] = ev.eval(attr.expr, attr.source)
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            out.setdefault(child.labels[0], [])
            items = _dynamic(child, ev, depth)
            if isinstance(items, Unknown) or isinstance(out[child.labels[0]], Unknown):
                out[child.labels[0]] = items if isinstance(items, Unknown) else out[child.labels[0]]
            else:
                out[child.labels[0]].extend(items)
        elif child.type != "lifecycle" and depth < 32:
            existing = out.setdefault(child.type, [])
            if isinstance(existing, list):
                existing.append(evaluate_block(child, ev, depth + 1))
    return out


def _dynamic(block: Block, ev: Evaluator, depth: int) -> list[dict[str, Any]] | Unknown:
    attr = block.attributes.get("for_each")
    content = next((b for b in block.blocks if b.type == "content"), None)
    if attr is None or content is None:
        return Unknown(f"dynamic {block.labels[0]} without for_each or content")
    coll = ev.eval(attr.expr, attr.source)
    if isinstance(coll, Unknown | Reference):
        return Unknown(f"dynamic {block.labels[0]} iterates over a value known only later")
    iterator_attr = block.attributes.get("iterator")
    iterator = block.labels[0]
    if iterator_attr is not None and hasattr(iterator_attr.expr, "type"):
        iterator = iterator_attr.source.slice(iterator_attr.expr).strip()
    items = coll.items() if isinstance(coll, dict) else enumerate(coll or [])
    return [
        evaluate_block(content, ev.child(**{iterator: {"key": k, "value": v}}), depth + 1) for k, v in items
    ]


def policy_document(block: Block, module: ModuleInstance) -> dict[str, Any] | Unknown:
    """data "aws_iam_policy_document": its statements as IAM policy JSON (a structure),
    with source_policy_documents first and override_policy_documents replacing statements
    of the same Sid, as the provider builds it."""
    ev = module.evaluator()
    values = evaluate_block(block, ev)
    statements: list[Any] = []
    for doc in _documents(values.get("source_policy_documents")):
        if isinstance(doc, Unknown):
            return doc
        statements.extend(doc)
    for st in values.get("statement") or []:
        if not isinstance(st, Mapping):
            return Unknown("a policy statement could not be evaluated")
        statements.append(_statement(st))
    for doc in _documents(values.get("override_policy_documents")):
        if isinstance(doc, Unknown):
            return doc
        for st in doc:
            sid = st.get("Sid") if isinstance(st, Mapping) else None
            at = next(
                (
                    i
                    for i, s in enumerate(statements)
                    if sid and isinstance(s, Mapping) and s.get("Sid") == sid
                ),
                None,
            )
            if at is None:
                statements.append(st)
            else:
                statements[at] = st
    return {"Version": values.get("version", "2012-10-17"), "Statement": statements}


def _documents(value: Any) -> list[list[Any] | Unknown]:
    """Policy documents given as JSON text or structures -> their statement lists."""
    if value is None:
        return []
    if isinstance(value, Unknown | Reference):
        return [value if isinstance(value, Unknown) else Unknown(f"{value.text} is known only after apply")]
    out: list[list[Any] | Unknown] = []
    for doc in value if isinstance(value, list) else [value]:
        if isinstance(doc, str):
            try:
                doc = json.loads(doc)
            except ValueError:
                out.append(Unknown("a policy document is not JSON"))
                continue
        if isinstance(doc, Unknown):
            out.append(doc)
        elif isinstance(doc, Mapping):
            stmts = doc.get("Statement") or []
            out.append(stmts if isinstance(stmts, list) else [stmts])
        else:
            out.append(Unknown("a policy document could not be evaluated"))
    return out


def _statement(st: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
    if st.get("sid"):
        out["Sid"] = st["sid"]
    for tf, iam in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if st.get(tf) is not None:
            out[iam] = st[tf]
    for tf, iam in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        for p in st.get(tf) or []:
            out.setdefault(iam, {})
            if isinstance(p, Mapping) and isinstance(out[iam], dict):
                ptype, ids = p.get("type"), p.get("identifiers")
                if ptype == "*" and ids in (["*"], "*"):
                    out[iam] = "*"
                elif isinstance(ptype, str):
                    out[iam].setdefault(ptype, []).extend(ids if isinstance(ids, list) else [ids])
    for c in st.get("condition") or []:
        if isinstance(c, Mapping):
            values = c.get("values")
            slot = out.setdefault("Condition", {}).setdefault(c.get("test"), {})
            existing = slot.get(c.get("variable"))
            # Two blocks with the same test and variable: their values together.
            if isinstance(existing, list) and isinstance(values, list):
                slot[c.get("variable")] = existing + values
            else:
                slot[c.get("variable")] = values
    return out


def _descend(value: Any, path: list[Any], text: str) -> Any:
    for key in path:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, ResourceObject):
            value = value.get_attribute(str(key))
            continue
        if isinstance(value, Reference):
            return Reference(text, target=value.target, attribute=value.attribute)
        if isinstance(value, dict) and str(key) in value:
            value = value[str(key)]
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return Unknown(f"{text}: no {key!r}", error=True)
    return value


def read_tfvars(path: Path, rel: str) -> tuple[dict[str, Any], list[ScanError]]:
    """Variable values from a .tfvars (HCL attributes) or .tfvars.json file."""
    try:
        text = read_text(path, text_limit(path))
    except OSError as exc:
        return {}, [ScanError(kind="parse", message=f"{rel}: {exc.strerror or exc}", path=rel)]
    if path.name.endswith(".json"):
        try:
            data = load_json(text)
        except JsonError as exc:
            return {}, [ScanError(kind="parse", message=f"{rel}: {exc.message}", path=rel, line=exc.line)]
        if not isinstance(data, dict):
            return {}, [ScanError(kind="parse", message=f"{rel}: must hold a JSON object", path=rel, line=1)]
        return data, []
    src = Source(rel, text.encode())
    tree = _parser().parse(src.text)
    found = [
        ScanError(kind="parse", message=f"{rel}: {e.message}", path=rel, line=e.line)
        for e in (
            _syntax_errors(tree.root_node, src.text.count(b"\n") + 1) if tree.root_node.has_error else []
        )
    ]
    # A tfvars file is a body of attributes.
    values: dict[str, Any] = {}
    body = next((c for c in tree.root_node.children if c.type == "body"), None)
    ev = Evaluator(_NoNames(str(path.parent)))
    for child in body.children if body is not None else []:
        if child.type == "attribute" and not child.has_error:
            expr = next((c for c in child.children if c.type == "expression"), None)
            if expr is not None:
                name = src.slice(child.children[0])
                if name in values:  # Terraform refuses it; which value counts would be a guess
                    line = child.start_point[0] + 1
                    message = f"{rel}: variable {name!r} set twice; Terraform rejects this"
                    found.append(ScanError(kind="parse", message=message, path=rel, line=line))
                values[name] = ev.eval(expr, src)
    return values, found
