"""Terraform HCL syntax: tree-sitter-hcl parses, this module turns the tree into blocks.

Expressions are kept as syntax nodes and evaluated lazily (only what a mapped resource
or a referenced variable needs), so a large tree costs little beyond the parse.
Every block and attribute keeps its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import tree_sitter_hcl
from tree_sitter import Language, Node, Parser


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_hcl.language()))


class HclError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Source:
    """One file's text; syntax nodes point into it."""

    path: str  # relative, with "/"
    text: bytes

    def slice(self, node: Node) -> str:
        return self.text[node.start_byte : node.end_byte].decode("utf-8", "replace")


@dataclass
class Attribute:
    name: str
    expr: Node | Any  # a syntax node (HCL) or a plain JSON value (.tf.json)
    source: Source
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    source: Source
    start_line: int
    end_line: int
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)  # (line, text) inside the block
    junk_line: int | None = None  # stray text before the block's keyword (reported, skipped)

    def children(self, block_type: str) -> list[Block]:
        return [b for b in self.blocks if b.type == block_type]


def _string_lit(node: Node, src: Source) -> str:
    return "".join(src.slice(c) for c in node.children if c.type == "template_literal")


def _body(node: Node, src: Source, into: Block, depth: int = 0) -> None:
    if depth > 64:
        raise HclError("blocks nested deeper than 64 levels", node.start_point[0] + 1)
    for child in node.children:
        if child.type == "attribute":
            name_node = child.children[0]
            expr = next((c for c in child.children if c.type == "expression"), None)
            name = src.slice(name_node)
            if expr is not None:
                first = into.attributes.get(name)
                if first is not None:  # Terraform refuses it; silently keeping the last would hide one
                    raise HclError(
                        f"attribute {name!r} set twice (first at line {first.line}); Terraform rejects this",
                        child.start_point[0] + 1,
                    )
                into.attributes[name] = Attribute(name, expr, src, child.start_point[0] + 1)
                # A suppression may sit inside a map or list value (`tags = { # opscheck:ignore`);
                # only expressions whose text mentions one are walked.
                if src.text.find(IGNORE_MARK, child.start_byte, child.end_byte) >= 0:
                    into.comments.extend(_comments_within(child, src))
        elif child.type == "block":
            into.blocks.append(_block(child, src, depth + 1))
        elif child.type == "comment":
            into.comments.append((child.start_point[0] + 1, src.slice(child)))


IGNORE_MARK = b"opscheck:ignore"


def _comments_within(node: Node, src: Source) -> list[tuple[int, str]]:
    found, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == "comment":
            found.append((n.start_point[0] + 1, src.slice(n)))
        else:
            stack.extend(n.children)
    return sorted(found)


def _block(node: Node, src: Source, depth: int = 0) -> Block:
    kids = node.children
    header = []
    for c in kids:
        if c.type == "block_start":
            break
        header.append(c)
    # Error recovery can glue stray text before a block into its header ("oops resource
    # "t" "n" {"): the block starts at the last known keyword of the header.
    start = 0
    if header and src.slice(header[0]) not in TOP_LEVEL:
        for i in range(len(header) - 1, -1, -1):
            words = src.slice(header[i]).split()
            if header[i].type in ("identifier", "ERROR") and words and words[-1] in TOP_LEVEL:
                start = i
                break
    keyword = header[start] if header else kids[0]
    btype = src.slice(keyword).split()[-1] if start else src.slice(keyword)
    labels = []
    for c in header[start + 1 :]:
        if c.type == "string_lit":
            labels.append(_string_lit(c, src))
        elif c.type == "identifier":
            labels.append(src.slice(c))
    first_line = (keyword.end_point[0] if start else node.start_point[0]) + 1
    block = Block(btype, labels, src, first_line, node.end_point[0] + 1)
    if start:
        block.junk_line = node.start_point[0] + 1
    body = next((c for c in kids if c.type == "body"), None)
    if body is not None:
        _body(body, src, block, depth)
    # Comments on the block's own lines (`resource "x" "y" { # opscheck:ignore ...`) count too.
    for c in kids:
        if c.type == "comment":
            block.comments.append((c.start_point[0] + 1, src.slice(c)))
    return block


def parse_hcl(text: bytes, path: str) -> tuple[list[Block], list[HclError]]:
    """Top-level blocks of a .tf file, and the syntax errors found (with lines).

    tree-sitter recovers from errors: blocks outside the damaged region are kept, so one
    typo does not hide the rest of the file. Each top-level block is read on its own: a
    block nested too deeply costs that block only.
    """
    src = Source(path, text)
    tree = _parser().parse(text)
    root = tree.root_node
    last_line = max(1, root.end_point[0] + (0 if root.end_point[1] == 0 else 1))
    errors: list[HclError] = []
    if root.has_error:
        errors.extend(_syntax_errors(root, last_line))
    body = next((c for c in root.children if c.type == "body"), None)
    blocks: list[Block] = []
    for child in body.children if body is not None else []:
        if child.type != "block":
            continue
        try:
            block = _block(child, src)
        except RecursionError:
            errors.append(HclError("nesting too deep to read", child.start_point[0] + 1))
            continue
        except HclError as exc:
            errors.append(exc)
            continue
        if block.junk_line is not None and not any(e.line == block.junk_line for e in errors):
            errors.append(
                HclError(f"unexpected text before a {block.type} block; the block is read", block.junk_line)
            )
        if _damaged(block, errors):
            continue
        if block.type not in TOP_LEVEL:
            errors.append(HclError(f"unexpected block type {block.type!r}; not read", block.start_line))
            continue
        blocks.append(block)
    return blocks, errors


TOP_LEVEL = frozenset(
    {
        "terraform",
        "provider",
        "variable",
        "locals",
        "resource",
        "data",
        "module",
        "output",
        "moved",
        "import",
        "removed",
        "check",
        "ephemeral",
    }
)


def _syntax_errors(root: Node, last_line: int) -> list[HclError]:
    found: dict[int, HclError] = {}
    stack = [root]
    while stack and len(found) < 5:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            line = min(node.start_point[0] + 1, last_line)
            what = f"missing {node.type}" if node.is_missing else "syntax error"
            found.setdefault(line, HclError(what, line))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return list(found.values()) or [HclError("syntax error", None)]


def _damaged(block: Block, errors: list[HclError]) -> bool:
    """A block that contains a syntax error is dropped (reported), not half-read."""
    return any(e.line is not None and block.start_line <= e.line <= block.end_line for e in errors)


def module_sources(text: bytes) -> list[str]:
    """Literal local `source` values of the top-level module blocks of a file."""
    tree = _parser().parse(text)
    body = next((c for c in tree.root_node.children if c.type == "body"), None)
    found = []
    for block in body.children if body is not None else []:
        if (
            block.type != "block"
            or not block.children
            or text[block.children[0].start_byte : block.children[0].end_byte] != b"module"
        ):
            continue
        inner = next((c for c in block.children if c.type == "body"), None)
        for attr in inner.children if inner is not None else []:
            if (
                attr.type != "attribute"
                or text[attr.children[0].start_byte : attr.children[0].end_byte] != b"source"
            ):
                continue
            literal = (
                text[attr.children[-1].start_byte : attr.children[-1].end_byte]
                .decode("utf-8", "replace")
                .strip()
            )
            if literal.startswith('"') and literal.endswith('"') and "${" not in literal:
                value = literal[1:-1]
                if value.startswith(("./", "../")):
                    found.append(value)
    return found
