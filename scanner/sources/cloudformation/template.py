"""A CloudFormation (or SAM) template -> canonical resources with file and line spans.

CloudFormation is opscheck's canonical vocabulary, so resources keep their type and
property names; intrinsic functions are evaluated (`intrinsics`), SAM's implicit
resources are made explicit (`sam`), and `Metadata.opscheck.ignore` entries become inline
suppressions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scanner.model import (
    ALARM,
    EVENT_BUS,
    EVENT_BUS_POLICY,
    EVENT_RULE,
    KMS_KEY,
    LAMBDA_POLICY,
    LOG_GROUP,
    LOGS_POLICY,
    MANAGED_POLICY,
    QUEUE,
    QUEUE_INLINE_POLICY,
    QUEUE_POLICY,
    REPOSITORY,
    ROLE,
    ROLE_POLICY,
    TOPIC_INLINE_POLICY,
    TOPIC_POLICY,
    InlineSuppression,
    Origin,
    Resource,
    ScanError,
    Scope,
    Unknown,
)
from scanner.sources.cloudformation import intrinsics, sam
from scanner.sources.cloudformation.parse import Parsed, TemplateError, parse_template
from scanner.sources.iac import Configuration, name_of, parse_document, read_text

SOURCE = "cloudformation"


# Resources whose content is another template opscheck does not read.
NESTED = {
    "AWS::CloudFormation::Stack": "nested stack",
    "AWS::Serverless::Application": "SAM application",
}


# Properties holding a policy document (or an event pattern, a redrive policy). Their type is
# JSON, yet CloudFormation also takes them as JSON text (and AWS::Logs::ResourcePolicy only
# as text): stored parsed, as every source stores them. "Policies[].PolicyDocument": in
# each element of the list.
DOCUMENTS: dict[str, tuple[str, ...]] = {
    EVENT_BUS: ("Policy",),
    EVENT_BUS_POLICY: ("Statement",),
    EVENT_RULE: ("EventPattern",),
    LAMBDA_POLICY: ("PolicyDocument",),
    TOPIC_POLICY: ("PolicyDocument",),
    TOPIC_INLINE_POLICY: ("PolicyDocument",),
    QUEUE: ("RedrivePolicy",),
    QUEUE_POLICY: ("PolicyDocument",),
    QUEUE_INLINE_POLICY: ("PolicyDocument",),
    LOGS_POLICY: ("PolicyDocument",),
    LOG_GROUP: ("ResourcePolicyDocument",),
    KMS_KEY: ("KeyPolicy",),
    ROLE: ("AssumeRolePolicyDocument", "Policies[].PolicyDocument"),
    ROLE_POLICY: ("PolicyDocument",),
    MANAGED_POLICY: ("PolicyDocument",),
}
# Documented defaults of absent properties that rules read.
DEFAULTS: dict[str, dict[str, Any]] = {
    EVENT_RULE: {"EventBusName": "default"},
    EVENT_BUS_POLICY: {"EventBusName": "default"},
    QUEUE: {"FifoQueue": False},
    ALARM: {"ActionsEnabled": True},
    REPOSITORY: {"ImageTagMutability": "MUTABLE"},
}


def canonical(resource: Resource) -> None:
    """Documents parsed, documented defaults of absent properties filled in."""
    props = resource.properties
    if isinstance(props, AllUnknown):
        return
    for path in DOCUMENTS.get(resource.type, ()):
        if path.endswith("[].PolicyDocument"):
            items = props.get(path.split("[]", 1)[0])
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and "PolicyDocument" in item:
                    item["PolicyDocument"] = parse_document(item["PolicyDocument"])
        elif path in props:
            props[path] = parse_document(props[path])
    for key, value in DEFAULTS.get(resource.type, {}).items():
        if props.get(key) is None:
            props[key] = value
    if resource.type == EVENT_BUS_POLICY and props.get("Statement") is None and props.get("Action") is None:
        props["Action"] = "events:PutEvents"  # the one action PutPermission grants
    if resource.type == QUEUE and props.get("SqsManagedSseEnabled") is None:
        # "When SqsManagedSseEnabled is not defined, SSE-SQS encryption is enabled by default"
        # unless a KMS key is given (SSE-KMS): the two exclude each other.
        key = props.get("KmsMasterKeyId")
        if key is None:
            props["SqsManagedSseEnabled"] = True
        elif isinstance(key, Unknown):
            props["SqsManagedSseEnabled"] = Unknown(f"depends on KmsMasterKeyId: {key.reason}")
        else:
            props["SqsManagedSseEnabled"] = False


class AllUnknown(dict):
    """Properties decided only at deployment as a whole: every property reads as Unknown."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason

    def get(self, key: Any, default: Any = None) -> Any:
        return Unknown(self.reason)

    def __missing__(self, key: Any) -> Any:
        return Unknown(self.reason)


def _copy(properties: Any) -> Any:
    return properties if isinstance(properties, AllUnknown) else dict(properties)


@dataclass
class _Loaded:
    resources: list[Resource] = field(default_factory=list)
    suppressions: list[InlineSuppression] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    unscanned: list[str] = field(default_factory=list)


def looks_like_template(data: Any) -> bool:
    """Recognised by AWSTemplateFormatVersion, or a Resources map of `Type: AWS::...` entries."""
    if not isinstance(data, Mapping):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    return isinstance(resources, Mapping) and any(
        isinstance(r, Mapping)
        and isinstance(r.get("Type"), str)
        and r["Type"].startswith(("AWS::", "Custom::"))
        for r in resources.values()
    )


def load_template(path: Path, rel: str, parsed: Parsed | None = None) -> Configuration:
    scope = Scope(kind="configuration", id=rel)
    config = Configuration(scope=scope, path=rel, source=SOURCE)
    if parsed is None:
        try:
            parsed = parse_template(read_text(path), json_first=path.suffix.lower() == ".json")
        except TemplateError as exc:
            config.errors.append(
                ScanError(kind="parse", message=f"{rel}: {exc.message}", path=rel, line=exc.line)
            )
            return config
        except OSError as exc:
            config.errors.append(ScanError(kind="parse", message=f"{rel}: {exc.strerror or exc}", path=rel))
            return config
    data = parsed.data
    if not looks_like_template(data):
        config.errors.append(
            ScanError(kind="parse", message=f"{rel}: not a CloudFormation template", path=rel)
        )
        return config
    if not data.get("Resources"):
        # CloudFormation refuses a template without resources; a file cut short before them
        # (or a `Resources:` left empty) would otherwise pass as a stack with nothing wrong.
        message = f"{rel}: no resources (CloudFormation requires at least one); not scanned"
        config.errors.append(ScanError(kind="parse", message=message, path=rel))
        config.scanned = False
        return config
    try:
        loaded = _load(data, parsed.spans, rel, scope)
    except RecursionError:
        config.errors.append(
            ScanError(kind="parse", message=f"{rel}: nesting too deep to evaluate", path=rel)
        )
        return config
    if loaded.unscanned:
        config.scope = replace(scope, unscanned=tuple(loaded.unscanned))
    config.resources, config.suppressions = loaded.resources, loaded.suppressions
    config.errors.extend(loaded.errors)
    return config


def _load(data: Mapping[str, Any], spans: dict[str, tuple[int, int]], rel: str, scope: Scope) -> _Loaded:
    out = _Loaded()
    raw_resources = data.get("Resources") or {}
    if not isinstance(raw_resources, Mapping):
        out.errors.append(ScanError(kind="parse", message=f"{rel}: Resources is not a mapping", path=rel))
        return out
    for section in ("Parameters", "Mappings", "Conditions", "Globals"):  # read as mappings below
        if data.get(section) is not None and not isinstance(data[section], Mapping):
            message = f"{rel}: {section} is not a mapping; not scanned"
            out.errors.append(ScanError(kind="parse", message=message, path=rel))
            return out
    ctx = intrinsics.Context(
        parameters=intrinsics.parameter_values(data.get("Parameters") or {}),
        resources=raw_resources,
        mappings=data.get("Mappings") or {},
        condition_defs=data.get("Conditions") or {},
        partition=scope.partition,
    )
    is_sam = _is_sam(data.get("Transform"))
    globals_ = (data.get("Globals") or {}) if is_sam else {}
    for logical_id, raw in raw_resources.items():
        start, end = spans.get(str(logical_id), (1, 1))
        where = ScanError(kind="parse", message="", path=rel, line=start)
        if not isinstance(raw, Mapping) or not isinstance(raw.get("Type"), str):
            out.errors.append(_at(where, f"{rel}: resource {logical_id} has no Type"))
            continue
        condition = raw.get("Condition")
        exists: bool | Unknown = True
        if isinstance(condition, str):
            decided = ctx.condition(condition)
            if decided is False:
                continue  # never created with the template's defaults
            if isinstance(decided, Unknown):
                exists = Unknown(f"created only if condition {condition} holds: {decided.reason}")
        properties = intrinsics.resolve(raw.get("Properties") or {}, ctx)
        if isinstance(properties, Unknown) or not isinstance(properties, Mapping):
            # Fn::If / Fn::Transform on the whole block: every property is unknown, none absent.
            reason = properties.reason if isinstance(properties, Unknown) else "Properties is not a mapping"
            properties = AllUnknown(f"the Properties of {logical_id} are not decided here: {reason}")
        rtype = raw["Type"]
        if rtype in NESTED:
            out.unscanned.append(f"{NESTED[rtype]} {logical_id} ({rel}:{start})")
        origin = Origin(source=SOURCE, path=rel, start_line=start, end_line=end)
        if is_sam and rtype.startswith("AWS::Serverless::"):
            expanded = sam.expand(str(logical_id), rtype, _copy(properties), globals_, origin, scope, ctx)
            out.resources.extend(expanded)
        else:
            out.resources.append(_resource(str(logical_id), rtype, _copy(properties), origin, scope, raw))
        for r in out.resources:
            if r.origin is origin:
                r.exists = exists
                canonical(r)
        # An ignore on a SAM function also covers the resources SAM generates from it.
        generated = [r.id for r in out.resources if r.origin is origin] or [str(logical_id)]
        for rid in generated:
            out.suppressions.extend(
                _suppressions(rid, raw.get("Metadata"), rel, start, out.errors if rid == generated[0] else [])
            )
    return out


def _is_sam(transform: Any) -> bool:
    names = transform if isinstance(transform, list) else [transform]
    return any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in names)


def _at(template: ScanError, message: str) -> ScanError:
    return ScanError(kind=template.kind, message=message, path=template.path, line=template.line)


def _resource(
    logical_id: str, rtype: str, props: dict[str, Any], origin: Origin, scope: Scope, raw: Any
) -> Resource:
    return Resource(
        type=rtype,
        id=logical_id,
        name=name_of(rtype, props, logical_id),
        properties=props,
        origin=origin,
        scope=scope.id,
        partition=scope.partition,
        tags=_tags(props.get("Tags")),
        raw=raw,
    )


def _tags(value: Any) -> dict[str, str]:
    if isinstance(value, list):
        return {
            str(t["Key"]): str(t.get("Value"))
            for t in value
            if isinstance(t, Mapping)
            and isinstance(t.get("Key"), str)
            and not isinstance(t.get("Value"), Unknown)
        }
    if isinstance(value, Mapping):  # SAM and a few types use a plain map
        return {str(k): str(v) for k, v in value.items() if not isinstance(v, Unknown)}
    return {}


def _suppressions(
    logical_id: str, metadata: Any, rel: str, line: int, errors: list[ScanError]
) -> list[InlineSuppression]:
    """`Metadata: {opscheck: {ignore: [{rule: ID, reason: ..., until: YYYY-MM-DD}]}}`."""
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("opscheck"), Mapping):
        return []
    entries = metadata["opscheck"].get("ignore") or []
    found = []
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("rule"), str):
            errors.append(
                ScanError(
                    kind="config",
                    message=f"{rel}: resource {logical_id}: an opscheck ignore entry needs `rule`",
                    path=rel,
                    line=line,
                )
            )
            continue
        until = entry.get("until")
        found.append(
            InlineSuppression(
                rule_id=entry["rule"].strip().upper(),
                resource_id=logical_id,
                path=rel,
                line=line,
                reason=str(entry.get("reason") or "").strip(),
                expires=str(until) if until is not None else None,
            )
        )
    return found
