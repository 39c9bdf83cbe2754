"""What every IaC loader produces and shares: a configuration (one Terraform root module,
one plan, one template), its resources and errors, and safe file reading."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import (
    ALARM,
    BUCKET,
    ENDPOINT,
    ENDPOINT_CONFIG,
    FUNCTION,
    KMS_ALIAS,
    LOGS_POLICY,
    MANAGED_POLICY,
    ROLE_POLICY,
    TRAIL,
    InlineSuppression,
    Reference,
    Resource,
    ScanError,
    Scope,
    Unknown,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
# HCL syntax trees (tree-sitter) hold some 170-190 bytes of memory per byte of .tf, measured
# by tests/reliability: a 20 MB file would need about 4 GB. 8 MiB bounds it near 1.5 GB.
MAX_HCL_BYTES = 8 * 1024 * 1024


def text_limit(path: Path) -> int:
    """The size limit of a Terraform file: HCL's, or JSON's (the general one)."""
    return MAX_FILE_BYTES if path.name.endswith(".json") else MAX_HCL_BYTES


# The property that holds a resource's own name, where it has one.
NAME_PROPERTIES = {
    TRAIL: "TrailName",
    BUCKET: "BucketName",
    FUNCTION: "FunctionName",
    ENDPOINT: "EndpointName",
    ENDPOINT_CONFIG: "EndpointConfigName",
    "AWS::Events::Rule": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::SNS::Topic": "TopicName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    ROLE_POLICY: "PolicyName",
    MANAGED_POLICY: "ManagedPolicyName",
    LOGS_POLICY: "PolicyName",
    KMS_ALIAS: "AliasName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
    "AWS::AutoScaling::AutoScalingGroup": "AutoScalingGroupName",
    ALARM: "AlarmName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SageMaker::Model": "ModelName",
    "AWS::ECS::TaskDefinition": "Family",
}


@dataclass
class Configuration:
    scope: Scope
    path: str  # relative, with "/"
    source: str  # "terraform" | "cloudformation"
    resources: list[Resource] = field(default_factory=list)
    suppressions: list[InlineSuppression] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    # False when nothing of it could be read (every file broken): its errors stand, but it
    # is no scope, so a scan of only such input exits 2 like an unparseable template.
    scanned: bool = True


def failed_load(rel: str, source: str, exc: BaseException) -> Configuration:
    """A loader bug must cost one configuration, said out loud, not the scan."""
    message = (
        f"{rel}: internal error while loading this {source} configuration, not scanned: "
        f"{type(exc).__name__}: {exc} (please report it)"
    )
    config = Configuration(scope=Scope(kind="configuration", id=rel), path=rel, source=source, scanned=False)
    config.errors.append(ScanError(kind="internal", message=message, path=rel))
    return config


class UnreadableFile(Exception):
    pass


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A file's text, refusing what is not text: too large, binary, or not UTF-8."""
    size = path.stat().st_size
    if size > limit:
        raise OSError(f"file is {size:,} bytes, above the {limit:,}-byte limit")
    return decode(path.read_bytes())


def shown(path: str | Path) -> str:
    """A path as text any report can hold: bytes of a file name that are not UTF-8 (kept by
    Python as lone surrogates, which no UTF-8 output can encode) are written as `\\xff`."""
    text = str(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def resolved(path: Path) -> Path:
    """`path.resolve()` that never raises: a module source leading into a loop of links
    (RuntimeError in resolve) or holding a NUL byte (ValueError) stays as written, and is then
    no directory, which the caller reports."""
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return Path(os.path.abspath(path))


def decode(data: bytes) -> str:
    """Text of a file's bytes, refusing binary and non-UTF-8 content."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        raise OSError("UTF-16 or UTF-32 text; only UTF-8 is read")  # not "binary": say what it is
    if b"\x00" in data:
        raise OSError("binary file (NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OSError(f"not UTF-8 text (byte {exc.start})") from None


MAX_JSON_DEPTH = 200  # nesting any IaC JSON may have: what reads it recurses, and none is deeper


class JsonError(ValueError):
    """JSON text that is not read: `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"{message} (line {line})")
        self.message = message
        self.line = line


def load_json(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads for IaC files. A key given twice in one object is an error (which value
    counts is ambiguous, and a reader of the file may see the other one); nesting is bounded
    before anything recurses into it; a lone UTF-16 surrogate escape reads as U+FFFD, as
    Go's decoder (Terraform's) reads it, not as a character no UTF-8 report can hold."""
    text = _lone_surrogates_replaced(text)
    line = _too_deep_at(text, max_depth)
    if line is not None:
        raise JsonError(f"nesting deeper than {max_depth} levels", line)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise JsonError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except _DuplicateKey as exc:
        raise JsonError(f"duplicate key {exc.key!r}", _duplicate_line(text, exc.key)) from None
    except RecursionError:  # the bound above is lower than what json recurses to; never here
        raise JsonError("nesting too deep to read") from None


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]')


def _too_deep_at(text: str, max_depth: int) -> int | None:
    """Line of the first bracket nested deeper than `max_depth`, None when none is."""
    if text.count("[") + text.count("{") <= max_depth:  # most files: no scan needed
        return None
    depth, line = 0, 1
    for m in _STRUCTURE.finditer(text):
        token = m.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > max_depth:
                return line
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")
    return None


def _duplicate_line(text: str, key: str) -> int | None:
    """Line of the second occurrence of `key` within one object (json reports no positions)."""
    seen: list[set[str]] = []
    line = 1
    for m in _STRUCTURE.finditer(text):
        token = m.group()
        if token == "\n":
            line += 1
        elif token in "[{":
            seen.append(set())
        elif token in "]}":
            if seen:
                seen.pop()
        else:
            rest = text[m.end() : m.end() + 64].lstrip()
            if seen and rest.startswith(":"):
                name = json.loads(token)
                if name == key and name in seen[-1]:
                    return line
                seen[-1].add(name)
            line += token.count("\n")
    return None


# A \u escape of a UTF-16 surrogate (with the backslashes before it: an even number of them
# is an escaped backslash followed by plain text), and the low surrogate escape after it.
_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})((?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?)")


def _lone_surrogates_replaced(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        slashes, unit, low = m.groups()
        if len(slashes) % 2 == 0:
            return m.group(0)
        if int(unit, 16) < 0xDC00 and low:  # a high surrogate and its low one: one character
            return m.group(0)
        return slashes[:-1] + "\\ufffd" + ("\\ufffd" if low else "")

    return _SURROGATE_ESCAPE.sub(fix, text) if "\\u" in text else text


def computed_attribute(rtype: str, properties: Mapping[str, Any], attribute: str, partition: str) -> Any:
    """What `Ref` / `Fn::GetAtt` of a declared resource returns when the template already
    decides it (a bucket's name and ARN from a literal BucketName); None otherwise."""
    if rtype == BUCKET:
        name = properties.get("BucketName")
        if isinstance(name, str) and name:
            if attribute == "Ref":
                return name
            if attribute == "Arn":
                return f"arn:{partition}:s3:::{name}"
    return None


def name_of(rtype: str, properties: Mapping[str, Any], fallback: str) -> str:
    value = properties.get(NAME_PROPERTIES.get(rtype, ""))
    return value if isinstance(value, str) and value else fallback


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]')


def json_spans(text: str, max_depth: int = 3) -> dict[tuple[str, ...], tuple[int, int]]:
    """Line spans (1-based) of the values under object keys, by key path, up to `max_depth`
    keys deep: {("Resources", "Trail"): (4, 20)}. The json module reports no positions; a
    scan that tracks strings and nesting does."""
    spans: dict[tuple[str, ...], tuple[int, int]] = {}
    path: list[str | None] = []  # the key each open container hangs under
    open_at: list[int] = []  # the line each open container starts on
    stack: list[str] = []
    pending_key: str | None = None
    key_line = 1
    line = 1
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token == "\n":
            line += 1
        elif token.startswith('"'):
            end = m.end()
            while end < len(text) and text[end] in " \t\r\n":
                end += 1
            if stack and stack[-1] == "{" and end < len(text) and text[end] == ":":
                pending_key, key_line = json.loads(token), line
            else:
                pending_key = None
            line += token.count("\n")
        elif token in "[{":
            stack.append(token)
            path.append(pending_key)
            open_at.append(key_line if pending_key is not None else line)
            pending_key = None
        else:
            if not stack:
                break
            stack.pop()
            key = path.pop()
            start = open_at.pop()
            keys = tuple(k for k in path if k is not None)
            if key is not None and len(keys) < max_depth:
                spans.setdefault((*keys, key), (start, line))
    return spans


# -- values shared by the IaC loaders ----------------------------------------------------------


@dataclass(frozen=True)
class Interpolated(Reference):
    """A string template holding references (`"${aws_sqs_queue.q.arn}/*"`, a heredoc, an
    `!Sub`), its pieces kept in order: literal text and the References themselves. JSON text
    written as such a template is parsed with the references in place (`parse_document`)."""

    parts: tuple[Any, ...] = field(default=(), compare=False, repr=False)


class Placeholder(dict):
    """The properties of a resource the configuration refers to without declaring it (an
    event rule named by a target, a log group named by its resource policy): the keys given
    are what the configuration says of it; every other property reads as Unknown."""

    def __init__(self, reason: str, known: Mapping[str, Any]) -> None:
        super().__init__(known)
        self.reason = reason

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key) if key in self else Unknown(self.reason)

    def __missing__(self, key: Any) -> Any:
        return Unknown(self.reason)


def parse_document(value: Any) -> Any:
    """A policy document (or event pattern, redrive policy) as a structure: JSON text is
    parsed; a template of JSON text with references is parsed with each reference kept as a
    Reference value where it stands. Text that is not a JSON object or array stays as it is
    (the rule says why it cannot read it); structures, References and Unknowns pass."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict | list) else value
    if isinstance(value, Interpolated) and value.parts:
        return _parse_template(value)
    return value


_MARK = re.compile("\ue000(\\d+)\ue001")


def _parse_template(value: Interpolated) -> Any:
    refs: list[Reference] = []
    text: list[str] = []
    in_string = escaped = False
    for part in value.parts:
        if isinstance(part, Reference):
            mark = f"\ue000{len(refs)}\ue001"
            refs.append(part)
            text.append(mark if in_string else f'"{mark}"')  # a bare ${...} is a JSON value
            continue
        piece = str(part)
        for ch in piece:
            if escaped:
                escaped = False
            elif ch == "\\" and in_string:
                escaped = True
            elif ch == '"':
                in_string = not in_string
        text.append(piece)
    try:
        parsed = json.loads("".join(text))
    except ValueError:
        return value
    if not isinstance(parsed, dict | list):
        return value
    return _restore(parsed, refs)


def _restore(value: Any, refs: list[Reference]) -> Any:
    if isinstance(value, dict):
        return {_render_marks(k, refs): _restore(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, refs) for v in value]
    if isinstance(value, str) and "\ue000" in value:
        whole = _MARK.fullmatch(value)
        if whole:
            return refs[int(whole.group(1))]
        used = [refs[int(m.group(1))] for m in _MARK.finditer(value)]
        pieces: list[Any] = []
        pos = 0
        for m in _MARK.finditer(value):
            pieces.append(value[pos : m.start()])
            pieces.append(refs[int(m.group(1))])
            pos = m.end()
        pieces.append(value[pos:])
        single = used[0] if len(used) == 1 else None
        return Interpolated(
            _render_marks(value, refs),
            target=single.target if single else None,
            attribute=single.attribute if single else None,
            parts=tuple(p for p in pieces if p != ""),
        )
    return value


def _render_marks(text: str, refs: list[Reference]) -> str:
    def wrap(m: re.Match[str]) -> str:
        t = refs[int(m.group(1))].text
        return t if t.startswith("${") and t.endswith("}") else "${" + t + "}"

    return _MARK.sub(wrap, text) if isinstance(text, str) else text
