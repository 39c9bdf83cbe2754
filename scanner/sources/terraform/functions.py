"""The Terraform functions and operators opscheck evaluates (the frequent ones); others
give an explicit Unknown naming the function."""

from __future__ import annotations

import base64
import json
import math
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scanner.model import Reference, Unknown

MAX_FILE = 1024 * 1024


def _later(value: Any) -> bool:
    """Deeply: does the value hold something known only later?"""
    if isinstance(value, Unknown | Reference):
        return True
    if isinstance(value, dict):
        return any(_later(v) for v in value.values())
    if isinstance(value, list):
        return any(_later(v) for v in value)
    return False


def _first_unknown(args: list[Any]) -> Unknown | None:
    stack = list(args)
    while stack:
        v = stack.pop()
        if isinstance(v, Unknown):
            return v
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return None


def number_string(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tostring(v: Any) -> Any:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return number_string(v)
    return Unknown("tostring of a collection")


def _format(fmt: str, *args: Any) -> Any:
    """Terraform's format(): %s %d %v %q %t %f %x %X %o %b %e with flags and widths."""
    out, i, n = [], 0, 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(ch)
            i += 1
            continue
        if i + 1 < len(fmt) and fmt[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        m = re.match(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([sdvqftxXobeE])", fmt[i:])
        if not m or n >= len(args):
            return Unknown(f"format verb not evaluated in {fmt!r}")
        flags, width, precision, verb = m.groups()
        arg = args[n]
        n += 1
        spec = "%" + flags + width + (f".{precision}" if precision else "")
        try:
            if verb in "sv":
                text = _tostring(arg) if not isinstance(arg, list | dict) else json.dumps(arg)
                if isinstance(text, Unknown):
                    return text
                rendered = (spec + "s") % text
            elif verb == "q":
                rendered = (spec + "s") % json.dumps(arg)
            elif verb == "t":
                rendered = (spec + "s") % ("true" if arg else "false")
            elif verb == "b":
                rendered = (spec + "s") % format(int(arg), "b")
            else:
                rendered = (spec + verb) % (int(arg) if verb in "dxXo" else float(arg))
        except (TypeError, ValueError) as exc:
            return Unknown(f"format {m.group(0)!r} of {arg!r}: {exc}", error=True)
        out.append(rendered)
        i += len(m.group(0))
    return "".join(out)


def _toset(v: list[Any]) -> list[Any]:
    seen, out = set(), []
    for x in v:
        key = json.dumps(x, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return sorted(out, key=lambda x: json.dumps(x, sort_keys=True, default=str))


def _flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in v:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


def _replace(s: str, sub: str, rep: str) -> Any:
    if len(sub) > 1 and sub.startswith("/") and sub.endswith("/"):
        try:
            return re.sub(sub[1:-1], re.sub(r"\$(\d)", r"\\\1", rep), s)
        except re.error:
            return Unknown(f"replace with a regular expression opscheck cannot run: {sub}")
    return s.replace(sub, rep)


def _lookup(m: dict[str, Any], key: str, *default: Any) -> Any:
    if key in m:
        return m[key]
    return default[0] if default else Unknown(f"lookup: no key {key!r}")


_PURE: dict[str, Callable[..., Any]] = {
    # JSON text when everything is known; otherwise the structure itself, so a policy keeps
    # its references readable (mappings accept both forms).
    "jsonencode": lambda v: v if _later(v) else json.dumps(v, separators=(",", ":"), sort_keys=False),
    "jsondecode": lambda s: json.loads(s) if isinstance(s, str) else s,
    "merge": lambda *ms: {k: v for m in ms if isinstance(m, dict) for k, v in m.items()},
    "concat": lambda *ls: [x for lst in ls for x in (lst or [])],
    "format": _format,
    "formatlist": lambda fmt, *lists: [_format(fmt, *row) for row in zip(*lists, strict=False)],
    "lookup": _lookup,
    "tolist": lambda v: list(v),
    "toset": _toset,
    "tomap": lambda v: dict(v),
    "length": lambda v: len(v),
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "title": lambda s: s.title(),
    "join": lambda sep, lst: sep.join(_tostring(x) for x in lst),
    "split": lambda sep, s: s.split(sep),
    "replace": _replace,
    "trimspace": lambda s: s.strip(),
    "trim": lambda s, chars: s.strip(chars),
    "trimprefix": lambda s, p: s[len(p) :] if s.startswith(p) else s,
    "trimsuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "substr": lambda s, off, n: s[off : (None if n == -1 else off + n)],
    "coalesce": lambda *vs: next(
        (v for v in vs if v not in (None, "")), Unknown("coalesce: no non-empty value")
    ),
    "coalescelist": lambda *ls: next((v for v in ls if v), []),
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "distinct": lambda lst: [x for i, x in enumerate(lst) if x not in lst[:i]],
    "flatten": _flatten,
    "keys": lambda m: sorted(m) if isinstance(m, dict) else _type_error("keys", m),
    "values": lambda m: [m[k] for k in sorted(m)] if isinstance(m, dict) else _type_error("values", m),
    "element": lambda lst, i: lst[int(i) % len(lst)] if int(i) >= 0 else _type_error("element", i),
    "index": lambda lst, v: lst.index(v),
    "contains": lambda lst, v: v in lst,
    "one": lambda lst: (lst[0] if lst else None) if len(lst) <= 1 else Unknown("one: more than one element"),
    "sort": lambda lst: sorted(lst, key=str),
    "reverse": lambda lst: list(reversed(lst)),
    "slice": lambda lst, a, b: lst[a:b],
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=False)),
    "range": lambda *a: list(range(*[int(x) for x in a])),
    "min": lambda *a: min(a),
    "max": lambda *a: max(a),
    "sum": lambda lst: sum(lst),
    "abs": abs,
    "ceil": math.ceil,
    "floor": math.floor,
    "tostring": _tostring,
    "tonumber": lambda v: (
        v if isinstance(v, int | float) else (int(v) if str(v).lstrip("-").isdigit() else float(v))
    ),
    "tobool": lambda v: v if isinstance(v, bool) else {"true": True, "false": False}[str(v)],
    "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
    "base64decode": lambda s: base64.b64decode(s).decode("utf-8", "replace"),
}
# Functions that can look inside references without resolving them.
_REFERENCE_AWARE = {
    "jsonencode",
    "merge",
    "concat",
    "tolist",
    "toset",
    "tomap",
    "flatten",
    "compact",
    "lookup",
    "element",
    "coalesce",
    "coalescelist",
    "one",
    "zipmap",
    "values",
    "keys",
    "length",
    "distinct",
}


def _type_error(name: str, value: Any) -> Unknown:
    return Unknown(f"{name}() cannot take {value!r}", error=True)


def call(name: str, args: list[Any], base_dir: str | tuple[str, ...]) -> Any:
    if name == "file":
        return _file(args, base_dir)
    fn = _PURE.get(name)
    if fn is None:
        return Unknown(f"function {name}() is not evaluated by opscheck")
    if name in _REFERENCE_AWARE:
        # Collections may hold unknown or later-known leaves; only an unknown argument
        # itself makes the result unknown.
        unknown = next((a for a in args if isinstance(a, Unknown)), None)
        if unknown is not None and name not in ("coalesce", "coalescelist"):
            return unknown
        # A whole argument computed elsewhere (`merge(local.tags, data.x.tags)`): its keys
        # and items are not known, so neither is the result (never silently dropped).
        looked_at = args[:1] if name == "lookup" else args  # lookup's default may stay unused
        whole = next((a for a in looked_at if isinstance(a, Reference)), None)
        if whole is not None and name not in ("coalesce", "coalescelist", "jsonencode"):
            return Unknown(f"{name}() of {whole.text}, a value known only after apply")
    else:
        unknown = _first_unknown(args)
        if unknown is not None:
            return unknown
        if _later(args):
            return Unknown(f"{name}() of a value known only after apply")
    try:
        return fn(*args)
    except Exception as exc:  # wrong argument types: what Terraform would reject
        return Unknown(f"{name}() could not be evaluated: {type(exc).__name__}: {exc}", error=True)


def _file(args: list[Any], base_dir: str | tuple[str, ...]) -> Any:
    """file(): relative to the root module (Terraform's working directory), and only files
    inside the root module or the calling module (what `path.module` leads to)."""
    if len(args) != 1 or not isinstance(args[0], str):
        return Unknown("file() of a value known only later")
    bases = [Path(b).resolve() for b in ((base_dir,) if isinstance(base_dir, str) else base_dir)]
    path = (bases[0] / args[0]).resolve()
    if not any(b == path or b in path.parents for b in bases):
        return Unknown(f"file({args[0]!r}) reads outside the module")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a FIFO would block the scan for ever
            return Unknown(f"file({args[0]!r}) is not a regular file", error=True)
        if info.st_size > MAX_FILE:
            return Unknown(f"file({args[0]!r}) is larger than {MAX_FILE:,} bytes")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Unknown(f"file({args[0]!r}) cannot be read: {exc}", error=True)


def try_can(name: str, args: list[Any]) -> Any:
    """try()/can() catch errors (a missing key, an index out of range), not values that are
    merely unknown here: those stay unknown."""
    if name == "can":
        if not args:
            return Unknown("can() without an argument")
        value = args[0]
        if isinstance(value, Unknown):
            return False if value.error else value
        return True
    for a in args:
        if not isinstance(a, Unknown):
            return a
        if not a.error:
            return a
    return args[-1] if args else Unknown("try() without arguments")


def unary(op: str, value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Reference):
        return Unknown(f"{op}{value.text} is known only after apply")
    if op == "!" and isinstance(value, bool):
        return not value
    if op == "-" and isinstance(value, int | float) and not isinstance(value, bool):
        return -value
    return Unknown(f"operator {op} on {type(value).__name__}")


def binary(op: str, a: Any, b: Any) -> Any:
    for v in (a, b):
        if isinstance(v, Unknown):
            return v
    if isinstance(a, Reference) or isinstance(b, Reference):
        return Unknown(
            f"an operation on {(a if isinstance(a, Reference) else b).text} is known only after apply"
        )
    try:
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        if op == "&&":
            return bool(a) and bool(b)
        if op == "||":
            return bool(a) or bool(b)
        ops: dict[str, Callable[[Any, Any], Any]] = {
            "+": lambda x, y: x + y,
            "-": lambda x, y: x - y,
            "*": lambda x, y: x * y,
            "/": lambda x, y: x / y,
            "%": lambda x, y: x % y,
            "<": lambda x, y: x < y,
            ">": lambda x, y: x > y,
            "<=": lambda x, y: x <= y,
            ">=": lambda x, y: x >= y,
        }
        if op in ops:
            x, y = _num(a), _num(b)
            return ops[op](x, y)
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        return Unknown(f"operation {op} could not be evaluated: {exc}")
    return Unknown(f"operator {op} is not evaluated")


def _num(v: Any) -> int | float:
    if isinstance(v, bool):
        raise TypeError("a bool is not a number")
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        return int(v) if v.lstrip("-").isdigit() else float(v)
    raise TypeError(f"{type(v).__name__} is not a number")
