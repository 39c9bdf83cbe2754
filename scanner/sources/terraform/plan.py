"""Terraform plan JSON (`terraform show -json plan.out`) -> canonical resources.

`planned_values` gives the values Terraform already knows, fully evaluated (modules,
count/for_each, functions: everything the HCL evaluator approximates). Values known only
after apply (`after_unknown`) become References, named after what the configuration
refers to. When the .tf sources sit beside the plan, every resource is located at its
block's file and lines, and the blocks' inline suppressions apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from scanner.model import Origin, Reference, ScanError, Scope, show
from scanner.sources.iac import Configuration, resolved
from scanner.sources.terraform import mapping
from scanner.sources.terraform.hcl import Block
from scanner.sources.terraform.loader import SOURCE, Definitions, _suppressions, block_origin, mapped_resource

_INDEX = re.compile(r"\[[^\]]*\]")


def _resources(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from module.get("resources") or []
    for child in module.get("child_modules") or []:
        if isinstance(child, Mapping):
            yield from _resources(child)


def _config_index(module: Mapping[str, Any], prefix: str = "") -> dict[str, Mapping[str, Any]]:
    """configuration: resource address without index -> its configuration entry."""
    found = {}
    for r in module.get("resources") or []:
        if isinstance(r, Mapping) and r.get("address"):
            found[f"{prefix}{r['address']}"] = r
    for name, call in (module.get("module_calls") or {}).items():
        if isinstance(call, Mapping) and isinstance(call.get("module"), Mapping):
            found.update(_config_index(call["module"], f"{prefix}module.{name}."))
    return found


def _deployment(
    values: Mapping[str, Any], entry: Mapping[str, Any], provider_config: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(region, provider label) as in providers.py: the planned `region` attribute (AWS
    provider 6), else the constant region of the provider configuration the resource uses."""
    region = values.get("region")
    if isinstance(region, str) and region:
        return (region, None)
    if region is not None:  # known only after apply: not the provider's
        return (None, f"region {show(region)}")
    key = entry.get("provider_config_key")
    key = key if isinstance(key, str) and key else "aws"
    config = provider_config.get(key)
    if isinstance(config, Mapping):
        expressions = config.get("expressions")
        region_expr = expressions.get("region") if isinstance(expressions, Mapping) else None
        constant = region_expr.get("constant_value") if isinstance(region_expr, Mapping) else None
        if isinstance(constant, str) and constant:
            return (constant, None)
        if not config.get("alias") and not config.get("module_address"):
            return (None, None)  # the root's default provider, region set outside the files
    return (None, None) if key == "aws" else (None, f"provider {key}")


def _module_dirs(module: Mapping[str, Any], base: Path, prefix: str = "") -> dict[str, Path]:
    """Module path ("", "module.a.") -> its source directory, for local sources."""
    dirs = {prefix: base}
    for name, call in (module.get("module_calls") or {}).items():
        if not isinstance(call, Mapping):
            continue
        source = call.get("source")
        if (
            isinstance(source, str)
            and source.startswith(("./", "../"))
            and isinstance(call.get("module"), Mapping)
        ):
            dirs.update(_module_dirs(call["module"], resolved(base / source), f"{prefix}module.{name}."))
    return dirs


def _unknown_reference(expression: Any, what: str, prefix: str = "") -> Reference:
    refs = expression.get("references") if isinstance(expression, Mapping) else None
    if refs and isinstance(refs, list):  # a damaged plan may hold anything here
        # Terraform lists `aws_kms_key.k.arn` before `aws_kms_key.k`: the most specific first.
        # They are written relative to the module: the target's address has its prefix.
        text = str(refs[0])
        target = (
            prefix + ".".join(text.split(".")[:2])
            if not text.startswith(("var.", "local.", "module.", "data."))
            else None
        )
        attribute = text.split(".")[2] if target and len(text.split(".")) > 2 else None
        return Reference(text, target=target, attribute=attribute, partial=True)
    return Reference(f"{what} (known after apply)")


_NOT_RESOURCES = ("var.", "local.", "module.", "data.", "path.", "terraform.", "self.")
# The keys of one expression in `configuration` (a block's expressions are keyed by argument).
_EXPRESSION_KEYS = frozenset({"references", "constant_value"})


def _each_resource(expression: Any, prefix: str = "") -> list[Reference] | None:
    """The declared resources an expression names, one Reference each, in the order written
    (`[aws_subnet.a.id, aws_subnet.b.id]`: a, b), or None when it takes values from
    elsewhere too (a variable, a local, a module, a data source), which may add elements of
    their own. `aws_subnet.x` without an index (a splat, a for expression) stays one
    Reference to the whole resource, which names no single instance."""
    refs = expression.get("references") if isinstance(expression, Mapping) else None
    if not refs or not isinstance(refs, list):  # a damaged plan may hold anything here
        return None
    found: dict[str, Reference] = {}
    for text in map(str, refs):
        if text.startswith(("count.", "each.")):
            continue  # an index, not an element
        parts = text.split(".")
        if text.startswith(_NOT_RESOURCES) or len(parts) < 2:
            return None
        address = ".".join(parts[:2])
        if address not in found:  # Terraform lists the most specific reference first
            attribute = parts[2] if len(parts) > 2 else None
            found[address] = Reference(text, target=prefix + address, attribute=attribute, partial=True)
    indexed = {_INDEX.sub("", a) for a in found if a != _INDEX.sub("", a)}
    return [r for a, r in found.items() if a not in indexed] or None


def _block_expression(expressions: list[Any], value: Any) -> Any:
    """Of several blocks' expressions, the one whose constants agree with a planned element
    (set elements are not in the order written); None when not exactly one does."""
    if not isinstance(value, Mapping):
        return None
    agreeing = [
        e
        for e in expressions
        if isinstance(e, Mapping)
        and all(
            value.get(k) == x["constant_value"]
            for k, x in e.items()
            if isinstance(x, Mapping) and "constant_value" in x and value.get(k) is not None
        )
    ]
    return agreeing[0] if len(agreeing) == 1 else None


def _apply_unknown(values: Any, unknown: Any, expressions: Any, what: str, prefix: str = "") -> Any:
    """Put a Reference wherever `after_unknown` says the planned value is not known yet."""
    if unknown is True:
        return _unknown_reference(expressions, what, prefix)
    if isinstance(unknown, Mapping):
        out = dict(values) if isinstance(values, Mapping) else {}
        # A map argument written as one expression (`dimensions = { EndpointName =
        # aws_sagemaker_endpoint.e.name }`): Terraform lists the references of the whole map,
        # which stand for each of its elements known after apply (partially: the map may
        # take values from elsewhere too).
        whole = (
            isinstance(expressions, Mapping) and bool(expressions) and set(expressions) <= _EXPRESSION_KEYS
        )
        for key, flag in unknown.items():
            sub_expr = (
                expressions if whole else expressions.get(key) if isinstance(expressions, Mapping) else None
            )
            if isinstance(sub_expr, list) and len(sub_expr) <= 1:
                sub_expr = sub_expr[0] if sub_expr else None
            out[key] = _apply_unknown(out.get(key), flag, sub_expr, f"{what}.{key}", prefix)
        return out
    if isinstance(unknown, list) and isinstance(values, list):
        flags = [unknown[i] if i < len(unknown) else False for i in range(len(values))]
        if isinstance(expressions, list):  # several blocks: each element its own block's
            return [
                _apply_unknown(v, f, _block_expression(expressions, v), what, prefix)
                for v, f in zip(values, flags, strict=True)
            ]
        each = _each_resource(expressions, prefix)
        unknown_at = [i for i, f in enumerate(flags) if f is True]
        out = [_apply_unknown(v, f, expressions, what, prefix) for v, f in zip(values, flags, strict=True)]
        if each is not None and len(each) > 1 and unknown_at:
            # `[aws_subnet.a.id, aws_subnet.b.id]`: one resource per unknown element (which
            # is which does not matter: each is one of them), else none can be told.
            for j, i in enumerate(unknown_at):
                out[i] = each[j] if len(each) == len(unknown_at) else Reference(f"{what} (known after apply)")
        return out
    if isinstance(unknown, list) and values is None and any(unknown):
        return Reference(f"{what} (known after apply)")
    return values


def load_plan(path: Path, rel: str, data: Mapping[str, Any], cwd: Path, relative: Any) -> Configuration:
    scope = Scope(kind="configuration", id=rel)
    config = Configuration(scope=scope, path=rel, source=SOURCE)
    planned = (data.get("planned_values") or {}).get("root_module") or {}
    changes = {
        c["address"]: c
        for c in data.get("resource_changes") or []
        if isinstance(c, Mapping) and isinstance(c.get("address"), str)  # a key: hashable
    }
    configuration = (data.get("configuration") or {}).get("root_module") or {}
    config_index = _config_index(configuration)
    provider_config = (data.get("configuration") or {}).get("provider_config") or {}
    located = _locator(path.parent, configuration, cwd, relative, config)
    for entry in _resources(planned):
        if not isinstance(entry, Mapping) or entry.get("mode", "managed") != "managed":
            continue
        tf_type, address = entry.get("type"), entry.get("address")
        table = mapping.TABLES.get(tf_type) if isinstance(tf_type, str) else None
        if table is None or not isinstance(address, str):
            continue
        values = entry.get("values") if isinstance(entry.get("values"), Mapping) else {}
        change = (changes.get(address) or {}).get("change") or {}
        base_address = _INDEX.sub("", address)
        entry = config_index.get(base_address) or {}
        expressions = entry.get("expressions") or {}
        after_unknown = change.get("after_unknown") or {}
        prefix = base_address[: -len(f"{tf_type}.{base_address.rsplit('.', 1)[-1]}")]
        values = _apply_unknown(values, after_unknown, expressions, address, prefix)
        if isinstance(after_unknown, Mapping):
            # A list of subnet ids or zones known only after apply (Terraform plans a set with
            # an unknown element as wholly unknown): one Reference per resource it names.
            for k, flag in after_unknown.items():
                if flag is True and mapping.holds_many(table, k):
                    each = _each_resource(expressions.get(k), prefix)
                    if each is not None:
                        values[k] = each
        if entry and isinstance(after_unknown, Mapping):
            # An Optional+Computed argument the configuration does not set (a queue's policy,
            # a target's id) is the provider's or the service's choice: absent for the mapping,
            # as in the .tf files, so that the same documented defaults apply.
            values = {
                k: v
                for k, v in values.items()
                if not (
                    after_unknown.get(k) is True
                    and k not in expressions
                    and mapping.provider_chosen(table, k)
                )
            }
        block = located(base_address)
        origin = (
            block_origin(block) if block is not None else Origin(SOURCE, path=rel, start_line=1, end_line=1)
        )
        region, provider = _deployment(values, entry, provider_config)
        resource = mapped_resource(
            table,
            address,
            values,
            origin,
            scope.id,
            region=region,
            provider=provider,
            raw={"address": address, "type": tf_type, "plan": rel},
        )
        if isinstance(values.get("arn"), str) and values["arn"]:
            # A resource that exists already (an update or no-op plan) has its ARN planned:
            # other resources then name it by that literal, not by reference.
            resource.observed["Arn"] = values["arn"]
        config.resources.append(resource)
        if block is not None:
            config.suppressions.extend(_suppressions(block, address))
    config.resources, config.suppressions, joined = mapping.join(config.resources, config.suppressions)
    config.errors.extend(joined)
    return config


def _locator(base: Path, configuration: Mapping[str, Any], cwd: Path, relative: Any, config: Configuration):
    """address (without index) -> the resource's block in the .tf sources beside the plan."""
    dirs = _module_dirs(configuration, resolved(base))
    if not any(p.suffix == ".tf" for p in base.iterdir()):
        return lambda address: None
    defs = Definitions(cwd, relative)

    def locate(address: str) -> Block | None:
        parts = address.split(".")
        prefix_parts: list[str] = []
        while len(parts) > 2 and parts[0] == "module":
            prefix_parts += parts[:2]
            parts = parts[2:]
        prefix = ".".join(prefix_parts) + ("." if prefix_parts else "")
        directory = dirs.get(prefix)
        if directory is None or not directory.is_dir() or len(parts) != 2:
            return None
        return defs.get(directory).declared(parts[0], parts[1])

    return locate


def shape_error(data: Mapping[str, Any]) -> str | None:
    """The first key of a plan whose value is not of the kind `terraform show -json` writes
    there, where the loader reads it as such (a hostile or damaged plan would otherwise cost
    the scan an internal error, or be read as empty without a word); None when all are."""
    todo: list[tuple[Any, str, str]] = [
        (data.get("planned_values"), "planned_values", "planned"),
        (data.get("resource_changes"), "resource_changes", "changes"),
        (data.get("configuration"), "configuration", "configuration"),
    ]
    while todo:
        value, where, kind = todo.pop()
        if value is None:
            continue
        wanted = list if kind in ("changes", "resources", "children", "config resources") else Mapping
        if not isinstance(value, wanted):
            what = "an array" if wanted is list else "an object"
            return f"{where} must be {what}, not {_json_type(value)}"
        if kind == "planned":
            todo.append((value.get("root_module"), f"{where}.root_module", "module"))
        elif kind == "module":
            todo.append((value.get("resources"), f"{where}.resources", "resources"))
            todo.append((value.get("child_modules"), f"{where}.child_modules", "children"))
        elif kind == "children":
            todo += [(c, f"{where}[{i}]", "module") for i, c in enumerate(value) if isinstance(c, Mapping)]
        elif kind == "changes":
            for i, c in enumerate(value):
                if isinstance(c, Mapping):
                    todo.append((c.get("change"), f"{where}[{i}].change", "change"))
        elif kind == "change":
            todo.append((value.get("after_unknown"), f"{where}.after_unknown", "object"))
        elif kind == "configuration":
            todo.append((value.get("root_module"), f"{where}.root_module", "config module"))
            todo.append((value.get("provider_config"), f"{where}.provider_config", "object"))
        elif kind == "config module":
            todo.append((value.get("resources"), f"{where}.resources", "config resources"))
            todo.append((value.get("module_calls"), f"{where}.module_calls", "calls"))
        elif kind == "config resources":
            for i, r in enumerate(value):
                if isinstance(r, Mapping):
                    todo.append((r.get("expressions"), f"{where}[{i}].expressions", "object"))
        elif kind == "calls":
            for name, call in value.items():
                if isinstance(call, Mapping):
                    todo.append((call.get("module"), f"{where}.{name}.module", "config module"))
    return None


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array"}.get(type(value), "an object")


def plan_errors(rel: str, data: Mapping[str, Any]) -> list[ScanError]:
    """A plan whose format is newer than what opscheck knows is read anyway, and said."""
    version = str(data.get("format_version", ""))
    if version and not version.startswith("1."):
        return [
            ScanError(
                kind="parse",
                message=f"{rel}: plan format_version {version} is not 1.x; read as 1.x",
                path=rel,
            )
        ]
    return []
