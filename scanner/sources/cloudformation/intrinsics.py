"""Evaluate CloudFormation intrinsic functions as far as the template alone decides them.

Parameters resolve to their defaults, conditions are evaluated where decidable, mappings
are looked up. A reference to a declared resource stays a `Reference` (resolved by the
inventory); anything that leaves the template (a parameter without default, an import
from another stack, an unknown name) becomes an `Unknown` that says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Reference, Unknown
from scanner.sources.iac import Interpolated, computed_attribute

NO_VALUE = object()  # AWS::NoValue: the key is removed


# Pseudo parameters: the partition is the configuration's assumed partition (the same one
# the rules compare against); the rest are set at deploy time, so they are references.
def _pseudo(name: str, partition: str) -> Any:
    if name == "AWS::Partition":
        return partition
    if name == "AWS::URLSuffix":
        return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    if name == "AWS::NoValue":
        return NO_VALUE
    if name in ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
        return Reference(f"${{{name}}}")
    return None


@dataclass
class Context:
    parameters: dict[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    condition_defs: Mapping[str, Any] = field(default_factory=dict)
    partition: str = "aws"
    _conditions: dict[str, Any] = field(default_factory=dict)
    _evaluating: set[str] = field(default_factory=set)
    _resolving: set[str] = field(default_factory=set)

    def attribute(self, logical_id: str, attribute: str) -> Any:
        """A computable Ref / GetAtt of a declared resource, or None."""
        raw = self.resources.get(logical_id)
        if (
            not isinstance(raw, Mapping)
            or not isinstance(raw.get("Type"), str)
            or logical_id in self._resolving
        ):
            return None
        self._resolving.add(logical_id)
        try:
            props = resolve(raw.get("Properties") or {}, self)
        finally:
            self._resolving.discard(logical_id)
        if not isinstance(props, Mapping):
            return None
        return computed_attribute(raw["Type"], props, attribute, self.partition)

    def condition(self, name: str) -> bool | Unknown:
        if name in self._conditions:
            return self._conditions[name]
        if name not in self.condition_defs:
            return Unknown(f"condition {name} is not defined")
        if name in self._evaluating:
            return Unknown(f"condition {name} refers to itself")
        self._evaluating.add(name)
        try:
            value = _as_condition(resolve(self.condition_defs[name], self), f"condition {name}")
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = value
        return value


def _as_condition(value: Any, what: str) -> bool | Unknown:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return Unknown(f"{what} is not decidable from the template")


def parameter_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameter name -> default, as CloudFormation passes it (a string, or a list of
    strings for list types), or Unknown."""
    values: dict[str, Any] = {}
    if not isinstance(params, Mapping):
        return values
    for name, spec in params.items():
        if not isinstance(spec, Mapping) or "Default" not in spec:
            values[name] = Unknown(f"parameter {name} has no default")
            continue
        default = spec["Default"]
        ptype = str(spec.get("Type", "String"))
        if ptype.startswith("AWS::SSM::Parameter::Value"):  # the default names the SSM parameter
            values[name] = Unknown(f"parameter {name} takes its value from SSM parameter {default}")
            continue
        if ptype.startswith("List<") or ptype == "CommaDelimitedList":
            items = default if isinstance(default, list) else str(default).split(",")
            values[name] = [_as_parameter(item).strip() for item in items]
        else:
            values[name] = _as_parameter(default)
    return values


def _as_parameter(value: Any) -> str:
    """CloudFormation passes every parameter as a string (`true` -> "true", 5 -> "5")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def resolve(value: Any, ctx: Context) -> Any:
    """The value with every intrinsic function evaluated as far as possible."""
    if isinstance(value, Mapping):
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")) or key == "Condition":
                return _function(key, arg, ctx)
        out = {}
        for k, v in value.items():
            r = resolve(v, ctx)
            if r is not NO_VALUE:
                out[k] = r
        return out
    if isinstance(value, list):
        return [r for r in (resolve(v, ctx) for v in value) if r is not NO_VALUE]
    return value


def _function(name: str, arg: Any, ctx: Context) -> Any:
    handler = _FUNCTIONS.get(name)
    if handler is None:
        return Unknown(f"{name} is not evaluated by opscheck")
    return handler(arg, ctx)


def _ref(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, str):
        return Unknown(f"Ref of a non-name: {arg!r:.60}")
    if arg in ctx.parameters:
        return ctx.parameters[arg]
    pseudo = _pseudo(arg, ctx.partition)
    if pseudo is not None:
        return pseudo
    if arg in ctx.resources:
        computed = ctx.attribute(arg, "Ref")
        return computed if computed is not None else Reference(f"!Ref {arg}", target=arg)
    return Unknown(f"!Ref {arg}: no such parameter or resource in the template")


def _get_att(arg: Any, ctx: Context) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown(f"Fn::GetAtt with unexpected arguments {arg!r:.60}")
    target, attribute = resolve(arg[0], ctx), resolve(arg[1], ctx)
    if not isinstance(target, str) or not isinstance(attribute, str):
        return Unknown("Fn::GetAtt with a computed name")
    if target not in ctx.resources:
        return Unknown(f"!GetAtt {target}.{attribute}: no such resource in the template")
    computed = ctx.attribute(target, attribute)
    if computed is not None:
        return computed
    return Reference(f"!GetAtt {target}.{attribute}", target=target, attribute=attribute)


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def _sub(arg: Any, ctx: Context) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
        template, variables = arg[0], {k: resolve(v, ctx) for k, v in arg[1].items()}
    else:
        template, variables = arg, {}
    if not isinstance(template, str):
        return Unknown("Fn::Sub of a non-string")
    parts: list[Any] = []
    pos = 0
    for m in _SUB_VAR.finditer(template):
        parts.append(template[pos : m.start()])
        pos = m.end()
        name = m.group(1)
        if name.startswith("!"):  # ${!Literal} is written as ${Literal}
            parts.append("${" + name[1:] + "}")
        elif name in variables:
            parts.append(variables[name])
        elif "." in name and not name.startswith("AWS::"):
            parts.append(_get_att(name.split(".", 1), ctx))
        else:
            parts.append(_ref(name, ctx))
    parts.append(template[pos:])
    return _concat(parts, f"!Sub {template}")


def _concat(parts: list[Any], text: str) -> Any:
    """Strings joined; any Unknown makes the whole Unknown; any Reference, a Reference whose
    text shows the joined value with `${...}` where the references stand."""
    for p in parts:
        if isinstance(p, Unknown):
            return p
    refs = [p for p in parts if isinstance(p, Reference)]
    if refs:
        single = refs[0] if len(refs) == 1 else None
        rendered = "".join("${" + p.text + "}" if isinstance(p, Reference) else str(p) for p in parts)
        # The pieces are kept so JSON text written with !Sub / !Join is parsed with its
        # references in place (iac.parse_document).
        return Interpolated(
            rendered,
            target=single.target if single else None,
            attribute=single.attribute if single else None,
            parts=tuple(p if isinstance(p, Reference) else str(p) for p in parts if p != ""),
        )
    if all(isinstance(p, str | int | float) and not isinstance(p, bool) for p in parts):
        return "".join(str(p) for p in parts)
    return Unknown(f"{text} joins values that are not strings")


def _join(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Join with unexpected arguments")
    delimiter, items = resolve(arg[0], ctx), resolve(arg[1], ctx)
    if isinstance(items, Unknown | Reference):
        return items
    if not isinstance(delimiter, str) or not isinstance(items, list):
        return Unknown("Fn::Join with unexpected arguments")
    parts: list[Any] = []
    for n, item in enumerate(items):
        if n:
            parts.append(delimiter)
        parts.append(item)
    return _concat(parts, f"!Join [{delimiter!r}, ...]")


def _select(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Select with unexpected arguments")
    index, items = resolve(arg[0], ctx), resolve(arg[1], ctx)
    if isinstance(items, Reference) and items.text.startswith("Fn::GetAZs") and isinstance(index, int | str):
        # Which zone is not known before deployment, but two indexes are two zones.
        return Reference(f"!Select [{index}, !GetAZs] (a zone of the region, chosen at deployment)")
    if isinstance(items, Unknown | Reference):
        return items if isinstance(items, Unknown) else Reference("!Select from a computed list")
    try:
        return items[int(index)]
    except (ValueError, TypeError, IndexError):
        return Unknown(f"Fn::Select index {index!r} is out of range")


def _split(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Split with unexpected arguments")
    delimiter, source = resolve(arg[0], ctx), resolve(arg[1], ctx)
    if isinstance(source, str) and isinstance(delimiter, str) and delimiter:
        return source.split(delimiter)
    return source if isinstance(source, Unknown) else Reference("!Split of a computed string")


def _if(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) != 3 or not isinstance(arg[0], str):
        return Unknown("Fn::If with unexpected arguments")
    cond = ctx.condition(arg[0])
    if cond is True:
        return resolve(arg[1], ctx)
    if cond is False:
        return resolve(arg[2], ctx)
    yes, no = resolve(arg[1], ctx), resolve(arg[2], ctx)
    if yes == no and not isinstance(yes, Unknown):
        return yes
    return Unknown(f"depends on condition {arg[0]}, which is undecidable: {cond.reason}")  # type: ignore[union-attr]


def _equals(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Equals with unexpected arguments")
    a, b = resolve(arg[0], ctx), resolve(arg[1], ctx)
    for v in (a, b):
        if isinstance(v, Unknown):
            return v
        if isinstance(v, Reference):
            return Unknown(f"Fn::Equals compares {v.text}, known only at deploy time")
    # CloudFormation compares strings: `true` in YAML is the parameter value "true".
    return _as_parameter(a) == _as_parameter(b) if isinstance(a, str) or isinstance(b, str) else a == b


def _logic(kind: str):
    def apply(arg: Any, ctx: Context) -> Any:
        if not isinstance(arg, list) or not arg:
            return Unknown(f"Fn::{kind} with unexpected arguments")
        values = [_as_condition(resolve(a, ctx), f"an Fn::{kind} operand") for a in arg]
        if kind == "Not":
            v = values[0]
            return v if isinstance(v, Unknown) else not v
        decisive = kind == "Or"  # Or: one True decides; And: one False decides
        if any(v is decisive for v in values):
            return decisive
        unknown = next((v for v in values if isinstance(v, Unknown)), None)
        return unknown if unknown is not None else not decisive

    return apply


def _condition(arg: Any, ctx: Context) -> Any:
    return ctx.condition(arg) if isinstance(arg, str) else Unknown("Condition of a non-name")


def _find_in_map(arg: Any, ctx: Context) -> Any:
    if not isinstance(arg, list) or len(arg) < 3:
        return Unknown("Fn::FindInMap with unexpected arguments")
    keys = [resolve(a, ctx) for a in arg[:3]]
    for k in keys:
        if isinstance(k, Unknown):
            return k
        if not isinstance(k, str):
            return Unknown(f"Fn::FindInMap key {k} is known only at deploy time")
    try:
        return ctx.mappings[keys[0]][keys[1]][keys[2]]
    except (KeyError, TypeError):
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            return resolve(arg[3]["DefaultValue"], ctx)
        return Unknown(f"Fn::FindInMap {'/'.join(keys)} is not in the template's mappings")


def _base64(arg: Any, ctx: Context) -> Any:
    return resolve(arg, ctx)  # the encoded value matters to no rule; keep the source


def _import(arg: Any, ctx: Context) -> Any:
    name = resolve(arg, ctx)
    return Unknown(
        f"Fn::ImportValue {name if isinstance(name, str) else ''} comes from another stack".strip()
    )


def _deploy_time(name: str):
    return lambda arg, ctx: Reference(f"{name} (computed at deploy time)")


_FUNCTIONS = {
    "Ref": _ref,
    "Condition": _condition,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _logic("Not"),
    "Fn::And": _logic("And"),
    "Fn::Or": _logic("Or"),
    "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::ImportValue": _import,
    "Fn::GetAZs": _deploy_time("Fn::GetAZs"),
    "Fn::Cidr": _deploy_time("Fn::Cidr"),
}
