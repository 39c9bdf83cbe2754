"""Evaluate Terraform expressions: the common subset, everything else an explicit Unknown.

Values are plain Python (None, bool, int, float, str, list, dict), `Unknown` (cannot be
known from the files: a variable without a value, a remote module's output, an
unsupported function) or `Reference` (an attribute of a declared resource, known only
after apply; kept, with the address of the resource it points at).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tree_sitter import Node

from scanner.model import Reference, Unknown
from scanner.sources.iac import Interpolated
from scanner.sources.terraform import functions
from scanner.sources.terraform.hcl import Source

MAX_DEPTH = 200


class Names(Protocol):
    """What an expression can refer to (a module instance, plus local names)."""

    def lookup(self, root: str, path: list[Any], text: str) -> Any: ...

    def base_dir(self) -> str: ...


class Evaluator:
    def __init__(self, names: Names, local: Mapping[str, Any] | None = None) -> None:
        self.names = names
        self.local = dict(local or {})  # count.index, each.*, for-expression variables

    def child(self, **local: Any) -> Evaluator:
        return Evaluator(self.names, {**self.local, **local})

    # -- entry ---------------------------------------------------------------------------

    def eval(self, node: Node | Any, src: Source | None, depth: int = 0) -> Any:
        """Evaluate a syntax node (or pass a plain JSON value through, for .tf.json)."""
        if not isinstance(node, Node):
            return self._json_value(node, depth)
        if depth > MAX_DEPTH:
            return Unknown("expression nested too deeply")
        assert src is not None
        handler = _HANDLERS.get(node.type)
        if handler is None:
            return Unknown(f"unsupported expression {node.type}: {src.slice(node)[:60]}")
        return handler(self, node, src, depth + 1)

    # -- .tf.json ------------------------------------------------------------------------

    def _json_value(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            return Unknown("value nested too deeply")
        if isinstance(value, str) and ("${" in value or "%{" in value):
            return self.eval_template_string(value)
        if isinstance(value, list):
            return [self._json_value(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {k: self._json_value(v, depth + 1) for k, v in value.items()}
        return value

    def eval_template_string(self, text: str) -> Any:
        """A JSON string holding an HCL template (`"${var.x}-y"`)."""
        from scanner.sources.terraform.hcl import _parser  # the same parser, a one-line document

        quoted = json.dumps(text)
        src = Source("<json>", f"x = {quoted}\n".encode())
        tree = _parser().parse(src.text)
        if tree.root_node.has_error:
            return Unknown(f"template {text[:60]!r} does not parse")
        expr = _find(tree.root_node, "expression")
        return self.eval(expr, src) if expr is not None else Unknown("empty template")

    # -- node kinds ----------------------------------------------------------------------

    def _expression(self, node: Node, src: Source, depth: int) -> Any:
        kids = [c for c in node.children if c.is_named]
        if not kids:
            return Unknown("empty expression")
        if len(kids) == 1 and node.children[0].type == "(":  # parenthesised
            return self.eval(kids[0], src, depth)
        head = kids[0]
        if head.type == "variable_expr":
            return self._traversal(kids, src, depth)
        value = self.eval(head, src, depth)
        return self._apply_steps(value, kids[1:], src, depth, src.slice(node))

    def _literal(self, node: Node, src: Source, depth: int) -> Any:
        inner = node.children[0]
        text = src.slice(inner)
        if inner.type == "numeric_lit":
            try:
                return int(text)
            except ValueError:
                return float(text)
        if inner.type == "bool_lit":
            return text == "true"
        if inner.type == "null_lit":
            return None
        if inner.type == "string_lit":
            return _unescape("".join(src.slice(c) for c in inner.children if c.type == "template_literal"))
        return Unknown(f"unsupported literal {text[:40]}")

    def _collection(self, node: Node, src: Source, depth: int) -> Any:
        return self.eval(node.children[0], src, depth)

    def _tuple(self, node: Node, src: Source, depth: int) -> Any:
        return [self.eval(c, src, depth) for c in node.children if c.type == "expression"]

    def _object(self, node: Node, src: Source, depth: int) -> Any:
        out: dict[str, Any] = {}
        for elem in node.children:
            if elem.type != "object_elem":
                continue
            key_node = elem.child_by_field_name("key")
            val_node = elem.child_by_field_name("val")
            key = self._object_key(key_node, src, depth)
            if isinstance(key, Unknown | Reference):
                return Unknown(f"an object key is known only later: {src.slice(key_node)[:40]}")
            out[str(key)] = self.eval(val_node, src, depth)
        return out

    def _object_key(self, node: Node, src: Source, depth: int) -> Any:
        kids = [c for c in node.children if c.is_named]
        # A bare identifier key is the name itself, not a variable.
        if len(kids) == 1 and kids[0].type == "variable_expr" and node.children[0].type != "(":
            return src.slice(kids[0])
        return self.eval(node, src, depth)

    def _template_expr(self, node: Node, src: Source, depth: int) -> Any:
        inner = node.children[0]
        if inner.type == "heredoc_template":
            return self._heredoc(inner, src, depth)
        return self._template_parts(inner.children, src, depth, quoted=True)

    def _template_parts(self, parts: list[Node], src: Source, depth: int, quoted: bool) -> Any:
        pieces: list[Any] = []
        for part in parts:
            if part.type == "template_literal":
                text = src.slice(part)
                pieces.append(_unescape(text) if quoted else _unescape_heredoc(text))
            elif part.type == "template_interpolation":
                expr = next((c for c in part.children if c.type == "expression"), None)
                pieces.append(self.eval(expr, src, depth) if expr is not None else "")
            elif part.type == "template_directive":
                pieces.append(self._directive(part, src, depth))
        # A template that is just one interpolation keeps the value's type ("${var.list}").
        content = [
            p for p in parts if p.type in ("template_literal", "template_interpolation", "template_directive")
        ]
        if (
            len(content) == 1
            and content[0].type == "template_interpolation"
            and not isinstance(pieces[0], str)
        ):
            return pieces[0]
        return _concat(pieces, src.slice(parts[0].parent) if parts else "")

    def _heredoc(self, node: Node, src: Source, depth: int) -> Any:
        """Reconstruct the heredoc body from byte ranges (tree-sitter drops indentation)."""
        kids = node.children
        strip = src.slice(kids[0]).startswith("<<-")
        idents = [c for c in kids if c.type == "heredoc_identifier"]
        if len(idents) < 2:
            return Unknown("unterminated heredoc")
        text = src.text
        start = (
            text.index(b"\n", idents[0].end_byte) + 1
            if b"\n" in text[idents[0].end_byte :]
            else idents[0].end_byte
        )
        end = text.rfind(b"\n", 0, idents[-1].start_byte) + 1
        pieces: list[Any] = []
        pos = start
        for c in kids:
            if c.type in ("template_interpolation", "template_directive") and start <= c.start_byte < end:
                pieces.append(_unescape_heredoc(text[pos : c.start_byte].decode("utf-8", "replace")))
                if c.type == "template_interpolation":
                    expr = next((x for x in c.children if x.type == "expression"), None)
                    pieces.append(self.eval(expr, src, depth) if expr is not None else "")
                else:
                    pieces.append(self._directive(c, src, depth))
                pos = c.end_byte
        pieces.append(_unescape_heredoc(text[pos:end].decode("utf-8", "replace")))
        if strip:
            pieces = _strip_indent(pieces)
        return _concat(pieces, "<<heredoc")

    def _directive(self, node: Node, src: Source, depth: int) -> Any:
        inner = node.children[0]
        if inner.type != "template_if":
            return Unknown("template for-directives are not evaluated")
        intro = next(c for c in inner.children if c.type == "template_if_intro")
        cond = self.eval(next(c for c in intro.children if c.type == "expression"), src, depth)
        if not isinstance(cond, bool):
            return cond if isinstance(cond, Unknown) else Unknown("template if on a value known only later")
        branch: list[Node] = []
        in_else = False
        for c in inner.children:
            if c.type == "template_else_intro":
                in_else = True
            elif (
                c.type in ("template_literal", "template_interpolation", "template_directive")
                and in_else != cond
            ):
                branch.append(c)
        return self._template_parts(branch, src, depth, quoted=True) if branch else ""

    def _function_call(self, node: Node, src: Source, depth: int) -> Any:
        name = src.slice(node.children[0])
        args_node = next((c for c in node.children if c.type == "function_arguments"), None)
        args: list[Any] = []
        expand = False
        if args_node is not None:
            for c in args_node.children:
                if c.type == "expression":
                    args.append(self.eval(c, src, depth))
                elif c.type == "ellipsis":
                    expand = True
        if expand and args:
            last = args.pop()
            if isinstance(last, Unknown | Reference):
                return Unknown(f"{name}(...) expands a value known only later")
            args.extend(last if isinstance(last, list) else [last])
        if name in ("try", "can"):
            return functions.try_can(name, args)
        return functions.call(name, args, self.names.base_dir())

    def _conditional(self, node: Node, src: Source, depth: int) -> Any:
        exprs = [c for c in node.children if c.type == "expression"]
        cond = self.eval(exprs[0], src, depth)
        if isinstance(cond, bool):
            return self.eval(exprs[1] if cond else exprs[2], src, depth)
        yes, no = self.eval(exprs[1], src, depth), self.eval(exprs[2], src, depth)
        if yes == no and not isinstance(yes, Unknown):
            return yes
        reason = (
            cond.reason if isinstance(cond, Unknown) else f"{src.slice(exprs[0])[:60]} is known only later"
        )
        return Unknown(f"depends on a condition that cannot be decided: {reason}")

    def _operation(self, node: Node, src: Source, depth: int) -> Any:
        inner = node.children[0]
        kids = inner.children
        if inner.type == "unary_operation":
            return functions.unary(src.slice(kids[0]), self._seq(kids[1:], src, depth))
        # Operands are not wrapped: `2 * var.x` is literal, *, variable_expr, get_attr, and
        # `(1 + 2) * 3` starts with the bracket tokens of its left operand.
        at, level = len(kids), 0
        for i, c in enumerate(kids):
            if c.type == "(":
                level += 1
            elif c.type == ")":
                level -= 1
            elif not c.is_named and level == 0:
                at = i
                break
        if at == len(kids):
            return Unknown(f"operation not understood: {src.slice(inner)[:60]}")
        op = src.slice(kids[at])
        a = self._seq(kids[:at], src, depth)
        if op in ("&&", "||") and isinstance(a, bool) and (a is (op == "||")):
            return a  # short circuit: the other side does not matter
        return functions.binary(op, a, self._seq(kids[at + 1 :], src, depth))

    def _seq(self, nodes: list[Node], src: Source, depth: int) -> Any:
        """An unwrapped operand: a head node and its traversal steps."""
        if not nodes:
            return Unknown("missing operand")
        if nodes[0].type == "(" and nodes[-1].type == ")" and len(nodes) == 3:
            return self.eval(nodes[1], src, depth)
        if nodes[0].type == "variable_expr":
            return self._traversal(nodes, src, depth)
        text = "".join(src.slice(n) for n in nodes)
        return self._apply_steps(self.eval(nodes[0], src, depth), nodes[1:], src, depth, text)

    def _for(self, node: Node, src: Source, depth: int) -> Any:
        inner = node.children[0]
        intro = next(c for c in inner.children if c.type == "for_intro")
        names = [src.slice(c) for c in intro.children if c.type == "identifier"]
        collection = self.eval(next(c for c in intro.children if c.type == "expression"), src, depth)
        if isinstance(collection, Unknown | Reference):
            return Unknown(f"for-expression over a value known only later: {src.slice(intro)[:60]}")
        exprs = [c for c in inner.children if c.type == "expression"]
        cond_node = next((c for c in inner.children if c.type == "for_cond"), None)
        grouping = any(c.type == "ellipsis" for c in inner.children)
        # Terraform iterates maps in lexical key order.
        items = (
            sorted(collection.items()) if isinstance(collection, dict) else list(enumerate(collection or []))
        )
        is_object = inner.type == "for_object_expr"
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for k, v in items:
            bound = {names[0]: v} if len(names) == 1 else {names[0]: k, names[1]: v}
            ev = self.child(**bound)
            if cond_node is not None:
                keep = ev.eval(next(c for c in cond_node.children if c.type == "expression"), src, depth)
                if isinstance(keep, Unknown | Reference) or not isinstance(keep, bool):
                    return Unknown("for-expression filter known only later")
                if not keep:
                    continue
            if is_object:
                key = ev.eval(exprs[0], src, depth)
                if not isinstance(key, str | int | float | bool):
                    return Unknown("for-expression key known only later")
                value = ev.eval(exprs[1], src, depth)
                if grouping:
                    out_map.setdefault(str(key), []).append(value)
                else:
                    out_map[str(key)] = value
            else:
                out_list.append(ev.eval(exprs[0], src, depth))
        return out_map if is_object else out_list

    # -- traversals: var.x, local.y, aws_s3_bucket.b.arn, module.m.out, each.key ----------

    def _traversal(self, kids: list[Node], src: Source, depth: int) -> Any:
        root = src.slice(kids[0])
        steps = kids[1:]
        text = src.slice(kids[0]) + "".join(src.slice(s) for s in steps)
        if root in self.local:
            return self._apply_steps(self.local[root], steps, src, depth, text)
        if root in ("count", "each"):
            path, rest = self._static_path(steps, src, depth, limit=1)
            value = self.local.get(f"{root}.{path[0]}") if path else None
            if value is None:
                return Unknown(f"{text} used outside a count/for_each resource")
            return self._apply_steps(value, rest, src, depth, text)
        path, rest = self._static_path(steps, src, depth)
        value = self.names.lookup(root, path, text)
        return self._apply_steps(value, rest, src, depth, text)

    def _static_path(
        self, steps: list[Node], src: Source, depth: int, limit: int = 64
    ) -> tuple[list[Any], list[Node]]:
        """Leading .name and [literal] steps; the rest is applied to the looked-up value."""
        path: list[Any] = []
        for i, step in enumerate(steps):
            if len(path) >= limit:
                return path, steps[i:]
            if step.type == "get_attr":
                path.append(src.slice(step.children[1]))
            elif step.type == "index":
                key = self._index_key(step, src, depth)
                if isinstance(key, Unknown | Reference):
                    return path, steps[i:]
                path.append(key)
            else:
                return path, steps[i:]
        return path, []

    def _index_key(self, step: Node, src: Source, depth: int) -> Any:
        inner = step.children[0]
        if inner.type == "legacy_index":
            return int(src.slice(inner).lstrip(".").strip() or 0)
        expr = next((c for c in inner.children if c.type == "expression"), None)
        return self.eval(expr, src, depth) if expr is not None else Unknown("empty index")

    def _apply_steps(self, value: Any, steps: list[Node], src: Source, depth: int, text: str) -> Any:
        for step in steps:
            if isinstance(value, Unknown):
                return value
            if step.type == "get_attr":
                value = _get(value, src.slice(step.children[1]), text)
            elif step.type == "index":
                key = self._index_key(step, src, depth)
                if isinstance(key, Unknown):
                    return key
                value = _get(value, key, text)
            elif step.type == "splat":
                value = self._splat(value, step, src, depth, text)
            else:
                return Unknown(f"unsupported step in {text[:60]}")
        return value

    def _splat(self, value: Any, step: Node, src: Source, depth: int, text: str) -> Any:
        inner = step.children[0]
        rest = [c for c in inner.children if c.type in ("get_attr", "index")]
        if isinstance(value, Reference):
            return Reference(text, target=value.target, attribute=value.attribute)
        items = value if isinstance(value, list) else ([] if value is None else [value])
        return [self._apply_steps(v, rest, src, depth, text) for v in items]


@dataclass(frozen=True)
class ResourceObject(Reference):
    """A declared resource instance used as a value (`aws_s3_bucket.b`, or one element of
    `aws_s3_bucket.features`): taking an attribute computes what the files decide and
    keeps a Reference for the rest."""

    resolve: Callable[[str], Any] | None = field(default=None, compare=False, repr=False)

    def get_attribute(self, key: str) -> Any:
        if self.resolve is not None:
            value = self.resolve(key)
            if value is not None:
                return value
        return Reference(f"{self.text}.{key}", target=self.target, attribute=key)


def _get(value: Any, key: Any, text: str) -> Any:
    if isinstance(value, ResourceObject):
        return value.get_attribute(str(key))
    if isinstance(value, Reference):
        return Reference(text, target=value.target, attribute=value.attribute)
    if isinstance(value, dict):
        if str(key) in value:
            return value[str(key)]
        return Unknown(f"{text}: no attribute or key {key!r}", error=True)
    if isinstance(value, list | tuple):
        try:
            index = int(key)
            if index < 0:
                raise IndexError(index)
            return value[index]
        except (ValueError, TypeError, IndexError):
            return Unknown(f"{text}: index {key!r} is out of range", error=True)
    return Unknown(f"{text}: cannot take {key!r} of {type(value).__name__}", error=True)


def _find(node: Node, kind: str) -> Node | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == kind:
            return n
        stack.extend(reversed(n.children))
    return None


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)|\$\$\{|%%\{", re.S)


def _unescape(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "$${":
            return "${"
        if token == "%%{":
            return "%{"
        esc = m.group(1)
        if esc[0] in "uU":
            # Not a character (a lone surrogate, beyond U+10FFFF): U+FFFD, as Terraform's Go
            # reads it; chr() would fail or make a string no UTF-8 report can hold.
            code = int(esc[1:], 16)
            return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return _ESCAPES.get(esc, "\\" + esc)

    return _ESCAPE.sub(sub, text) if ("\\" in text or "$${" in text or "%%{" in text) else text


def _unescape_heredoc(text: str) -> str:
    return text.replace("$${", "${").replace("%%{", "%{")


def _strip_indent(pieces: list[Any]) -> list[Any]:
    """`<<-`: remove the smallest indentation of the literal lines from each of them."""
    literal = "".join(p if isinstance(p, str) else "x" for p in pieces)
    lines = [line for line in literal.split("\n") if line.strip()]
    indent = min((len(line) - len(line.lstrip(" \t")) for line in lines), default=0)
    if not indent:
        return pieces
    out: list[Any] = []
    at_line_start = True
    for p in pieces:
        if not isinstance(p, str):
            out.append(p)
            at_line_start = False
            continue
        parts = p.split("\n")
        fixed = []
        for i, part in enumerate(parts):
            if (i > 0 or at_line_start) and part[:indent].strip() == "":
                part = part[indent:]
            fixed.append(part)
        out.append("\n".join(fixed))
        at_line_start = p.endswith("\n")
    return out


def _concat(pieces: list[Any], text: str) -> Any:
    for p in pieces:
        if isinstance(p, Unknown):
            return p
    if any(isinstance(p, Reference) for p in pieces):
        refs = [p for p in pieces if isinstance(p, Reference)]
        single = refs[0] if len(refs) == 1 else None
        # The pieces are kept (literal text, plain References), so JSON written as a
        # template is parsed with its references in place (iac.parse_document).
        parts: list[Any] = []
        for p in pieces:
            r = _plain(p) if isinstance(p, Reference) else _render(p)
            if isinstance(r, Unknown):
                return r
            if r != "":
                parts.append(r)
        rendered = "".join(p.text if isinstance(p, Reference) else p for p in parts)
        return Interpolated(
            rendered if single is None else _wrap(pieces),
            target=single.target if single else None,
            attribute=single.attribute if single else None,
            parts=tuple(parts),
        )
    out = []
    for p in pieces:
        r = _render(p)
        if isinstance(r, Unknown):
            return r
        out.append(r)
    return "".join(out)


def _plain(ref: Reference) -> Reference:
    """A resource object used inside a template: the plain reference (the pieces are kept in
    the inventory, which holds no tie to the evaluation)."""
    if isinstance(ref, ResourceObject):
        return Reference(ref.text, target=ref.target, attribute=ref.attribute)
    return ref


def _wrap(pieces: list[Any]) -> str:
    return "".join("${" + p.text + "}" if isinstance(p, Reference) else str(_render(p)) for p in pieces)


def _render(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return functions.number_string(value)
    if value is None:
        return ""
    return Unknown("a collection used inside a string template")


_HANDLERS: dict[str, Callable[[Evaluator, Node, Source, int], Any]] = {
    "expression": Evaluator._expression,
    "literal_value": Evaluator._literal,
    "collection_value": Evaluator._collection,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "template_expr": Evaluator._template_expr,
    "function_call": Evaluator._function_call,
    "conditional": Evaluator._conditional,
    "operation": Evaluator._operation,
    "for_expr": Evaluator._for,
    "variable_expr": lambda self, node, src, depth: self._traversal([node], src, depth),
}
