"""Parse CloudFormation templates (YAML with the short-form intrinsic tags, or JSON) into
plain data plus the line span of every resource.

Hostile input is refused with a `TemplateError` naming the line: unknown tags, duplicate
keys, alias expansions beyond a bound (a "billion laughs" document), nesting deeper than a
bound. Nothing here evaluates the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from scanner.sources.iac import JsonError, json_spans, load_json

try:  # libyaml: several times faster, same semantics
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_EXPANDED_NODES = 2_000_000  # what a document may expand to through aliases
MAX_DEPTH = 200


class TemplateError(Exception):
    """The file cannot be read as a template; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Parsed:
    data: Any
    # Logical id -> (start line, end line) of each entry of `Resources`, 1-based.
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)


# Short-form tag -> (long-form key, how the scalar form is split)
_TAGS = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!If": "Fn::If",
    "!Equals": "Fn::Equals",
    "!Not": "Fn::Not",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!FindInMap": "Fn::FindInMap",
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Transform": "Fn::Transform",
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
    "!ForEach": "Fn::ForEach",
}


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with the intrinsic tags, duplicate-key detection and line numbers."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except TemplateError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:  # a date that does not exist, !!int x
            raise TemplateError(f"a value cannot be read: {exc}", node.start_mark.line + 1) from None


def _intrinsic(loader: _Loader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    tag = "!" + tag_suffix
    key = _TAGS.get(tag)
    if key is None:
        raise TemplateError(f"unknown tag {tag}", node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if key == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise TemplateError("a mapping key is not a scalar", key_node.start_mark.line + 1) from None
        if key in out:
            raise TemplateError(f"duplicate key {key!r}", key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_multi_constructor("!", _intrinsic)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _check_size(node: yaml.Node) -> None:
    """Refuse documents whose alias expansion or depth is out of bounds, without expanding."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise TemplateError(f"nesting deeper than {MAX_DEPTH} levels", n.start_mark.line + 1)
        found = sizes.get(id(n))
        if found is not None:
            return found
        if isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(v, depth + 1) for v in n.value)
        else:
            total = 1
        if total > MAX_EXPANDED_NODES:
            raise TemplateError(
                f"the document expands to more than {MAX_EXPANDED_NODES:,} nodes (YAML aliases)",
                n.start_mark.line + 1,
            )
        sizes[id(n)] = total
        return total

    size(node, 0)


def _last_line(node: yaml.Node) -> int:
    """1-based line of the last character of a node (block collections end where their
    last value ends, not where the next token starts)."""
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        return _last_line(last[1] if isinstance(last, tuple) else last)
    end = node.end_mark
    return end.line if end.column == 0 and end.line > node.start_mark.line else end.line + 1


def _resource_spans_yaml(root: yaml.Node) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return spans
    for key, value in root.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "Resources"
            and isinstance(value, yaml.MappingNode)
        ):
            for rkey, rvalue in value.value:
                if isinstance(rkey, yaml.ScalarNode):
                    start = rkey.start_mark.line + 1
                    spans[rkey.value] = (start, max(_last_line(rvalue), start))
    return spans


def parse_yaml(text: str) -> Parsed:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Parsed(None)
        _check_size(node)
        data = loader.construct_document(node)
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise TemplateError(
            f"{exc.problem or exc.context or 'invalid YAML'}", mark.line + 1 if mark else None
        ) from None
    except yaml.reader.ReaderError as exc:  # a control character: it has a position, not a mark
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)  # libyaml: int
        raise TemplateError(f"character U+{code:04X} is not allowed in YAML", line) from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise TemplateError("nesting too deep to read") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date that does not exist
        raise TemplateError(f"a value cannot be read: {exc}") from None
    finally:
        loader.dispose()
    return Parsed(data, _trim(_resource_spans_yaml(node), text))


def _trim(spans: dict[str, tuple[int, int]], text: str) -> dict[str, tuple[int, int]]:
    """End spans on the last non-blank line (block scalars keep trailing blank lines)."""
    lines = text.split("\n")
    out = {}
    for key, (start, end) in spans.items():
        while end > start and end <= len(lines) and not lines[end - 1].strip():
            end -= 1
        out[key] = (start, end)
    return out


def parse_json(text: str) -> Parsed:
    try:
        data = load_json(text, MAX_DEPTH)
    except JsonError as exc:
        raise TemplateError(exc.message, exc.line) from None
    return Parsed(data, _resource_spans_json(text))


def _resource_spans_json(text: str) -> dict[str, tuple[int, int]]:
    """Line spans of the entries of the top-level "Resources" object."""
    return {
        path[1]: span
        for path, span in json_spans(text, 2).items()
        if len(path) == 2 and path[0] == "Resources"
    }


def parse_template(text: str, json_first: bool) -> Parsed:
    """JSON for .json files (falling back to YAML), YAML otherwise."""
    if json_first:
        try:
            return parse_json(text)
        except TemplateError as json_error:
            try:
                return parse_yaml(text)
            except TemplateError:
                raise json_error from None
    return parse_yaml(text)
