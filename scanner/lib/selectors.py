"""The CloudTrail selector matcher: which events does a trail record for a resource?

One implementation for every rule (management coverage for CT001/CT004, data-event
coverage for DE001-DE004), over selectors in CloudFormation/API shape:

- classic `EventSelectors`: [{ReadWriteType, IncludeManagementEvents,
  ExcludeManagementEventSources, DataResources: [{Type, Values}]}]
- advanced `AdvancedEventSelectors`: [{Name, FieldSelectors: [{Field, Equals, StartsWith,
  EndsWith, NotEquals, NotStartsWith, NotEndsWith}]}]

Coverage is a `Level` per direction (read, write). Levels are ordered so that AND
(conditions inside one selector) is `min` and OR (several selectors) is `max`:
NONE < PARTIAL < UNKNOWN < FULL. UNKNOWN means "might be full": a value whose meaning
is not documented. The selector `Name` never matters; only field conditions do.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.model import Reference, Unknown, show, unsettled

S3_OBJECT = "AWS::S3::Object"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
SAGEMAKER_ENDPOINT = "AWS::SageMaker::Endpoint"
DYNAMODB_TABLE = "AWS::DynamoDB::Table"
CLASSIC_DATA_TYPES = frozenset({S3_OBJECT, LAMBDA_FUNCTION, DYNAMODB_TABLE})

MANAGEMENT_KEYS = ("ReadWriteType", "IncludeManagementEvents", "ExcludeManagementEventSources")
MANAGEMENT_EXCLUDABLE_SOURCES = frozenset({"kms.amazonaws.com", "rdsdata.amazonaws.com"})

POSITIVE_OPS = ("Equals", "StartsWith", "EndsWith")
NEGATIVE_OPS = ("NotEquals", "NotStartsWith", "NotEndsWith")
OPERATORS = POSITIVE_OPS + NEGATIVE_OPS


class Level(enum.IntEnum):
    NONE = 0
    PARTIAL = 1
    UNKNOWN = 2
    FULL = 3


class Direction(enum.StrEnum):
    READ = "read"
    WRITE = "write"


BOTH = (Direction.READ, Direction.WRITE)


@dataclass(frozen=True)
class DirCoverage:
    """Coverage in one direction, with the reasons behind it."""

    level: Level = Level.NONE
    notes: tuple[str, ...] = ()
    # PARTIAL only because kms/rdsdata management sources are excluded (CT004 low).
    exclusion_only: bool = False

    def better(self, other: DirCoverage) -> DirCoverage:
        """OR of two alternatives: the higher level; on a tie, the milder kind of gap."""
        if other.level != self.level:
            return other if other.level > self.level else self
        # Equal levels: keep every reason (why nothing matched, or each partial selector).
        notes = self.notes + tuple(n for n in other.notes if n not in self.notes)
        if self.level == Level.NONE:
            return DirCoverage(Level.NONE, notes)
        return DirCoverage(self.level, notes, self.exclusion_only or other.exclusion_only)


@dataclass(frozen=True)
class Coverage:
    read: DirCoverage = field(default_factory=DirCoverage)
    write: DirCoverage = field(default_factory=DirCoverage)

    def get(self, direction: Direction) -> DirCoverage:
        return self.read if direction == Direction.READ else self.write

    def merge(self, other: Coverage) -> Coverage:
        return Coverage(self.read.better(other.read), self.write.better(other.write))

    @property
    def level(self) -> Level:
        """Both directions together."""
        return min(self.read.level, self.write.level)


@dataclass(frozen=True)
class Target:
    """The resources a coverage question is about.

    `prefix=True`: every ARN that starts with `arn` (all objects of a bucket, all
    buckets, all functions); otherwise exactly the resource `arn`.
    """

    resource_type: str
    arn: str
    prefix: bool = False
    case_insensitive: bool = False
    # IaC: the resource's ARN is set at deploy time (account, region), so any condition on
    # resources.ARN is undecidable; only selectors without one decide coverage.
    arn_known: bool = True

    def norm(self, value: str) -> str:
        return value.lower() if self.case_insensitive else value


def s3_bucket(bucket: str, partition: str = "aws") -> Target:
    return Target(S3_OBJECT, f"arn:{partition}:s3:::{bucket}/", prefix=True)


def all_s3_buckets(partition: str = "aws") -> Target:
    return Target(S3_OBJECT, f"arn:{partition}:s3:::", prefix=True)


def lambda_function(function_arn: str) -> Target:
    return Target(LAMBDA_FUNCTION, function_arn)


def all_lambda_functions(partition: str = "aws") -> Target:
    return Target(LAMBDA_FUNCTION, f"arn:{partition}:lambda:", prefix=True)


def sagemaker_endpoint(endpoint_arn: str) -> Target:
    # SageMaker ARNs carry the lower-cased endpoint name; compare case-insensitively.
    return Target(SAGEMAKER_ENDPOINT, endpoint_arn, case_insensitive=True)


def sagemaker_endpoint_unknown_arn() -> Target:
    """An endpoint declared in IaC, whose ARN exists only once it is deployed."""
    return Target(SAGEMAKER_ENDPOINT, "", case_insensitive=True, arn_known=False)


def all_sagemaker_endpoints(partition: str = "aws") -> Target:
    return Target(SAGEMAKER_ENDPOINT, f"arn:{partition}:sagemaker:", prefix=True, case_insensitive=True)


@dataclass(frozen=True)
class TrailSelectors:
    classic: tuple[Mapping[str, Any], ...] = ()
    advanced: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_default(self) -> bool:
        """No selectors at all: CloudTrail's default, all management events, no data events."""
        return not self.classic and not self.advanced

    @classmethod
    def from_properties(cls, props: Mapping[str, Any]) -> TrailSelectors | Unknown:
        classic = props.get("EventSelectors")
        advanced = props.get("AdvancedEventSelectors")
        for value in (classic, advanced):
            why = unsettled(value)
            if why is not None:
                return why
        if classic is not None and not isinstance(classic, list | tuple):
            return Unknown(f"EventSelectors is not a list: {show(classic)}")
        if advanced is not None and not isinstance(advanced, list | tuple):
            return Unknown(f"AdvancedEventSelectors is not a list: {show(advanced)}")
        return cls(tuple(classic or ()), tuple(advanced or ()))


# -- condition matching --------------------------------------------------------------------


def _values(field_selector: Mapping[str, Any], op: str) -> list[str] | None:
    """An operator's values; None when the operator is not used (absent, or an empty list as
    generated configuration writes it)."""
    values = field_selector.get(op)
    if values is None or (isinstance(values, list | tuple) and not values):
        return None
    if isinstance(values, list | tuple):
        return [_text(v) for v in values]
    return [_text(values)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _match(op: str, subject: str, value: str) -> bool:
    base = op.removeprefix("Not")
    if base == "Equals":
        hit = subject == value
    elif base == "StartsWith":
        hit = subject.startswith(value)
    else:
        hit = subject.endswith(value)
    return not hit if op.startswith("Not") else hit


def _prefix_level(op: str, prefix: str, value: str) -> Level:
    """How much of {prefix + anything} satisfies `op value`."""
    if op == "StartsWith":
        if prefix.startswith(value):
            return Level.FULL
        return Level.PARTIAL if value.startswith(prefix) else Level.NONE
    if op == "Equals":
        return Level.PARTIAL if value.startswith(prefix) else Level.NONE
    if op == "EndsWith":
        return Level.FULL if value == "" else Level.PARTIAL
    if op == "NotStartsWith":
        if prefix.startswith(value):
            return Level.NONE
        return Level.PARTIAL if value.startswith(prefix) else Level.FULL
    if op == "NotEquals":
        return Level.PARTIAL if value.startswith(prefix) else Level.FULL
    # NotEndsWith
    return Level.NONE if value == "" else Level.PARTIAL


def arn_condition_level(target: Target, op: str, values: Sequence[str]) -> Level:
    """Level of one `resources.ARN` operator (several values: OR if positive, AND if negative)."""
    if not target.arn_known:
        return Level.UNKNOWN
    subject = target.norm(target.arn)
    levels = []
    for raw in values:
        value = target.norm(raw)
        if target.prefix:
            levels.append(_prefix_level(op, subject, value))
        else:
            levels.append(Level.FULL if _match(op, subject, value) else Level.NONE)
    if not levels:
        return Level.UNKNOWN
    return max(levels) if op in POSITIVE_OPS else min(levels)


def _describe(field_selector: Mapping[str, Any]) -> str:
    parts = []
    for op in OPERATORS:
        values = _values(field_selector, op)
        if values is not None:
            parts.append(f"{op} {', '.join(values)}")
    return f"{field_selector.get('Field')} " + " and ".join(parts)


def _selector_label(kind: str, index: int, selector: Any) -> str:
    name = selector.get("Name") if isinstance(selector, Mapping) else None
    label = f"{kind} selector #{index + 1}"
    return f'{label} "{name}"' if name else label


def _read_only_directions(field_selector: Mapping[str, Any]) -> tuple[Direction, ...] | None:
    """Directions admitted by a readOnly condition; None when the condition is not understood."""
    if any(_values(field_selector, op) is not None for op in OPERATORS if op != "Equals"):
        return None
    values = {v.lower() for v in _values(field_selector, "Equals") or []}
    if not values or not values <= {"true", "false"}:
        return None
    dirs = []
    if "true" in values:
        dirs.append(Direction.READ)
    if "false" in values:
        dirs.append(Direction.WRITE)
    return tuple(dirs)


def _equals_contains(field_selector: Mapping[str, Any], wanted: str) -> bool | None:
    """True/False for an Equals-only condition; None when other operators appear."""
    if any(_values(field_selector, op) is not None for op in OPERATORS if op != "Equals"):
        return None
    return wanted in (_values(field_selector, "Equals") or [])


# -- exact reasoning over prefix sets --------------------------------------------------------


@dataclass(frozen=True)
class PrefixSet:
    """ARNs that start with one of `includes` and with none of `excludes`.

    Selectors built from StartsWith / NotStartsWith (and classic S3 values) are exactly
    such sets, which makes "do these selectors together record every object?" decidable.
    Other conditions are under-approximated (never claimed as coverage they may not give).
    """

    includes: tuple[str, ...]
    excludes: tuple[str, ...] = ()

    def restrict(self, values: Iterable[str]) -> PrefixSet:
        """AND with `StartsWith values`: two prefixes meet only if one extends the other."""
        out: list[str] = []
        for inc in self.includes:
            for v in values:
                if inc.startswith(v):
                    out.append(inc)
                elif v.startswith(inc):
                    out.append(v)
        return PrefixSet(tuple(dict.fromkeys(out)), self.excludes)

    def without(self, values: Iterable[str]) -> PrefixSet:
        return PrefixSet(self.includes, (*self.excludes, *values))

    def contains(self, arn: str) -> bool:
        return any(arn.startswith(i) for i in self.includes) and not any(
            arn.startswith(e) for e in self.excludes
        )


EMPTY = PrefixSet(())


def union_level(sets: Iterable[PrefixSet], prefix: str) -> Level:
    """How much of {prefix + anything} the union of `sets` holds.

    Whether an ARN is in a set depends only on the longest of the sets' strings that
    prefixes it, so testing `prefix` and each string that extends it decides the question.
    """
    sets = [st for st in sets if st.includes]
    points = {prefix} | {x for st in sets for x in (*st.includes, *st.excludes) if x.startswith(prefix)}
    hits = [any(st.contains(p) for st in sets) for p in sorted(points)]
    if hits and all(hits):
        return Level.FULL
    return Level.PARTIAL if any(hits) else Level.NONE


def _shape_problem(value: Any, path: str = "selector") -> str | None:
    """Why a selector cannot be read (an unresolved value, a wrong type), or None."""
    if isinstance(value, Unknown):
        return f"{path} is unknown ({value.reason})"
    if isinstance(value, Reference):
        return f"{path} is known only after deployment ({value.text})"
    if isinstance(value, Mapping):
        for k, v in value.items():
            problem = _shape_problem(v, f"{path}.{k}")
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for n, v in enumerate(value):
            problem = _shape_problem(v, f"{path}[{n}]")
            if problem:
                return problem
        return None
    if value is None or isinstance(value, str | bool | int | float):
        return None
    return f"{path} has an unexpected value {show(value)}"


def _about(selector: Any, target: Target, classic: bool) -> bool | None:
    """Whether a selector is about the target's data events: False only when its readable
    category and type conditions say it is about something else."""
    if not isinstance(selector, Mapping):
        return None
    if classic:
        resources = selector.get("DataResources")
        if not isinstance(resources, list | tuple):
            return None
        types = [dr.get("Type") if isinstance(dr, Mapping) else None for dr in resources]
        if all(isinstance(t, str) for t in types):
            return target.resource_type in types
        return None
    fields = selector.get("FieldSelectors")
    if not isinstance(fields, list | tuple):
        return None
    wanted = {"eventCategory": "Data", "resources.type": target.resource_type}
    for fs in fields:
        if not isinstance(fs, Mapping) or fs.get("Field") not in wanted:
            continue
        equals = fs.get("Equals")
        literal = isinstance(equals, list) and all(isinstance(v, str) for v in equals)
        if literal and wanted[fs["Field"]] not in equals:
            return False
    return None


def _malformed(selector: Any, label: str, lists: tuple[str, ...]) -> str | None:
    if not isinstance(selector, Mapping):
        return f"{label} is not a mapping: {show(selector)}"
    for key in lists:
        value = selector.get(key)
        if value is not None and not isinstance(value, list | tuple):
            return f"{label}: {key} is not a list"
        for item in value or []:
            if not isinstance(item, Mapping):
                return f"{label}: an entry of {key} is not a mapping"
    problem = _shape_problem(selector, label)
    return problem


# -- advanced selectors ---------------------------------------------------------------------


@dataclass
class _Eval:
    level: Level
    directions: tuple[Direction, ...]
    notes: list[str]
    exclusion_only: bool = False
    # Prefix targets: the ARNs the selector records (exact, or an under-approximation).
    arns: PrefixSet | None = None
    exact: bool = True


def _advanced_selector(
    selector: Mapping[str, Any], label: str, category: str, target: Target | None
) -> _Eval | None:
    """Evaluate one advanced selector for `category` ("Data" or "Management").

    Returns None when the selector is about another category or resource type.
    """
    fields = selector.get("FieldSelectors") or []
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    for fs in fields:
        by_field.setdefault(str(fs.get("Field", "")), []).append(fs)

    cat = by_field.pop("eventCategory", [])
    if not cat:
        return None
    if not all(_equals_contains(fs, category) for fs in cat):
        return None

    notes: list[str] = []
    level = Level.FULL
    exclusion_only = False

    if category == "Data":
        assert target is not None
        types = by_field.pop("resources.type", [])
        if not types or not all(_equals_contains(fs, target.resource_type) for fs in types):
            return None
    directions: tuple[Direction, ...] = BOTH
    for fs in by_field.pop("readOnly", []):
        dirs = _read_only_directions(fs)
        if dirs is None:
            notes.append(f"{label}: condition not understood: {_describe(fs)}")
            level = min(level, Level.UNKNOWN)
        else:
            directions = tuple(d for d in directions if d in dirs)

    arns = PrefixSet((target.norm(target.arn),)) if target is not None and target.prefix else None
    exact = level == Level.FULL
    if category == "Data":
        for fs in by_field.pop("resources.ARN", []):
            for op in OPERATORS:
                values = _values(fs, op)
                if values is None:
                    continue
                cond = arn_condition_level(target, op, values)  # type: ignore[arg-type]
                if cond < Level.FULL:
                    notes.append(f"{label}: resources.ARN {op} {', '.join(values)}")
                level = min(level, cond)
                if arns is not None:
                    arns, exact = _narrow(arns, exact, op, [target.norm(v) for v in values])  # type: ignore[union-attr]
    else:
        sources = by_field.pop("eventSource", [])
        for fs in sources:
            excluded = _values(fs, "NotEquals") or []
            only_not_equals = all(_values(fs, op) is None for op in OPERATORS if op != "NotEquals")
            if only_not_equals and set(excluded) <= MANAGEMENT_EXCLUDABLE_SOURCES:
                notes.append(f"{label}: excludes {', '.join(sorted(excluded))}")
                exclusion_only = level == Level.FULL or exclusion_only
                level = min(level, Level.PARTIAL)
            else:
                notes.append(f"{label}: narrowed by {_describe(fs)}")
                exclusion_only = False
                level = min(level, Level.PARTIAL)
    for _field, conds in sorted(by_field.items()):
        for fs in conds:
            notes.append(f"{label}: narrowed by {_describe(fs)}")
        exclusion_only = False
        level = min(level, Level.PARTIAL)
        arns, exact = (EMPTY if arns is not None else None), False
    if arns is not None and exact:
        level = union_level([arns], target.norm(target.arn))  # type: ignore[union-attr]
    if not notes and level == Level.FULL:
        notes.append(f"{label} records them")
    return _Eval(level, directions, notes, exclusion_only, arns, exact)


def _narrow(arns: PrefixSet, exact: bool, op: str, values: list[str]) -> tuple[PrefixSet, bool]:
    """AND one resources.ARN condition into the set; conditions a prefix set cannot state
    shrink it to what it surely holds (an under-approximation) and make it inexact."""
    if op == "StartsWith":
        return arns.restrict(values), exact
    if op == "NotStartsWith":
        return arns.without(values), exact
    if op == "NotEquals":
        return arns.without(values), False  # excludes at least these ARNs
    if op == "EndsWith" and all(v == "" for v in values):
        return arns, exact
    return EMPTY, False  # Equals (single ARNs), EndsWith, NotEndsWith: no whole prefix is sure


# -- classic selectors ----------------------------------------------------------------------

_RW = {
    "All": BOTH,
    "ReadOnly": (Direction.READ,),
    "WriteOnly": (Direction.WRITE,),
}


def _classic_directions(selector: Mapping[str, Any]) -> tuple[tuple[Direction, ...], Level]:
    """Directions of a classic selector and the most its coverage can be: an unrecognised
    ReadWriteType could mean anything, so it caps coverage at UNKNOWN (never a guess)."""
    value = selector.get("ReadWriteType", "All")
    if value in _RW:
        return _RW[str(value)], Level.FULL
    return BOTH, Level.UNKNOWN


def _flag(value: Any, default: bool) -> bool | None:
    """A boolean property as the API, Terraform or CloudFormation may spell it; None if unclear."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _cap(cov: DirCoverage, cap: Level, note: str) -> DirCoverage:
    if cov.level <= cap:
        return cov
    return DirCoverage(cap, (*cov.notes, note), cov.exclusion_only)


def _classic_value(target: Target, value: str, partition: str) -> tuple[Level, str | None, str | None]:
    """Level of one classic DataResources value for the target, a note when not full, and
    the ARN prefix it records exactly (None when it is not a whole prefix)."""
    if target.resource_type == S3_OBJECT:
        if value in (f"arn:{partition}:s3", f"arn:{partition}:s3:::"):
            cond = f"arn:{partition}:s3:::"
        elif not value.startswith(f"arn:{partition}:s3:::"):
            return Level.NONE, None, None
        elif "*" in value:
            return Level.UNKNOWN, f"value {value} uses a wildcard, which CloudTrail does not document", None
        elif "/" not in value[len(f"arn:{partition}:s3:::") :]:
            # Documented as rejected by PutEventSelectors; what a trail that holds it records
            # anyway is not documented. At most it means the whole bucket, so it can prove
            # nothing beyond partial coverage (DE005 flags the value in IaC).
            level = arn_condition_level(target, "StartsWith", [value + "/"])
            note = f"value {value} lacks the trailing '/' after the bucket name; its effect is undocumented"
            return (Level.UNKNOWN if level == Level.FULL else level), note, None
        else:
            cond = value
        level = arn_condition_level(target, "StartsWith", [cond])
        return level, (f"value {value} covers only part of it" if level == Level.PARTIAL else None), cond
    if target.resource_type == LAMBDA_FUNCTION:
        if value in (f"arn:{partition}:lambda", f"arn:{partition}:lambda:"):
            cond = f"arn:{partition}:lambda:"
            return arn_condition_level(target, "StartsWith", [cond]), None, cond
        # Function ARNs are exact: ...:function:helloworld does not cover helloworld2.
        level = arn_condition_level(target, "Equals", [value])
        return level, (f"value {value} covers only part of it" if level == Level.PARTIAL else None), None
    if target.resource_type == DYNAMODB_TABLE:
        if value == f"arn:{partition}:dynamodb":
            return Level.FULL, None, None
        return arn_condition_level(target, "Equals", [value]), None, None
    return Level.NONE, None, None  # other types need advanced selectors


def _partition_of(target: Target) -> str:
    return target.arn.split(":", 2)[1] if target.arn.startswith("arn:") else "aws"


# -- public entry points --------------------------------------------------------------------


def data_coverage(selectors: TrailSelectors, target: Target) -> Coverage:
    """Which data events of `target` the trail records, per direction."""
    partition = _partition_of(target)
    contributions: list[tuple[tuple[Direction, ...], DirCoverage, PrefixSet | None, bool]] = []
    for i, sel in enumerate(selectors.classic):
        label = _selector_label("classic", i, sel)
        problem = _malformed(sel, label, ("DataResources",))
        if problem and _about(sel, target, classic=True) is not False:
            contributions.append((BOTH, DirCoverage(Level.UNKNOWN, (problem,)), None, False))
            continue
        if problem:
            continue  # unreadable, but about another resource type
        directions, cap = _classic_directions(sel)
        best = DirCoverage()
        arns = EMPTY if target.prefix else None
        exact = cap == Level.FULL
        for dr in sel.get("DataResources") or []:
            if dr.get("Type") != target.resource_type:
                continue
            values = dr.get("Values") or []
            for value in [values] if isinstance(values, str) else values:
                level, note, include = _classic_value(target, str(value), partition)
                notes = (f"{label}: {note}",) if note else (f"{label}: {value} records them",)
                best = best.better(DirCoverage(level, notes))
                if arns is not None:
                    if include is None:
                        exact = exact and level == Level.NONE
                    else:
                        arns = PrefixSet((*arns.includes, target.norm(include)))
        if best.level > Level.NONE or best.notes:
            best = _cap(
                best, cap, f"{label}: ReadWriteType {show(sel.get('ReadWriteType'))} is not understood"
            )
            contributions.append((directions, best, arns, exact))
    for i, sel in enumerate(selectors.advanced):
        label = _selector_label("advanced", i, sel)
        problem = _malformed(sel, label, ("FieldSelectors",))
        if problem and _about(sel, target, classic=False) is not False:
            contributions.append((BOTH, DirCoverage(Level.UNKNOWN, (problem,)), None, False))
            continue
        if problem:
            continue  # unreadable, but about another category or resource type
        ev = _advanced_selector(sel, label, "Data", target)
        if ev is not None:
            contributions.append((ev.directions, DirCoverage(ev.level, tuple(ev.notes)), ev.arns, ev.exact))
    return Coverage(
        _combine([(c, a, e) for d, c, a, e in contributions if Direction.READ in d], target),
        _combine([(c, a, e) for d, c, a, e in contributions if Direction.WRITE in d], target),
    )


def _combine(parts: list[tuple[DirCoverage, PrefixSet | None, bool]], target: Target) -> DirCoverage:
    """OR of the selectors recording one direction, with the union worked out exactly for
    prefix targets: two partial selectors may together record everything."""
    best = DirCoverage()
    for cov, _, _ in parts:
        best = best.better(cov)
    if best.level == Level.FULL or not target.prefix:
        return best
    partial = [(cov, arns, exact) for cov, arns, exact in parts if cov.level >= Level.PARTIAL]
    if len(partial) < 2:
        return best
    if union_level([a for _, a, _ in partial if a is not None], target.norm(target.arn)) == Level.FULL:
        return DirCoverage(Level.FULL, (*best.notes, "together these selectors record every one"))
    if not all(exact for _, _, exact in partial):
        note = (
            "together these selectors might record every one; their conditions do not let opscheck prove it"
        )
        return DirCoverage(max(best.level, Level.UNKNOWN), (*best.notes, note))
    return best


def management_coverage(selectors: TrailSelectors) -> Coverage:
    """Which management events the trail records, per direction."""
    if selectors.is_default:
        note = ("no event selectors: CloudTrail's default records all management events",)
        full = DirCoverage(Level.FULL, note)
        return Coverage(full, full)
    result = Coverage()
    for i, sel in enumerate(selectors.classic):
        label = _selector_label("classic", i, sel)
        # Data resources do not matter here: an unresolved bucket list leaves management known.
        if isinstance(sel, Mapping):
            problem = _shape_problem({k: sel.get(k) for k in MANAGEMENT_KEYS}, label)
        else:
            problem = _malformed(sel, label, ())
        if problem:
            result = result.merge(_directional(DirCoverage(Level.UNKNOWN, (problem,)), BOTH))
            continue
        directions, cap = _classic_directions(sel)
        include = _flag(sel.get("IncludeManagementEvents"), default=True)
        if include is False:
            continue
        excluded_raw = sel.get("ExcludeManagementEventSources") or []
        excluded = sorted(
            _text(x) for x in (excluded_raw if isinstance(excluded_raw, list | tuple) else [excluded_raw])
        )
        if excluded:
            cov = DirCoverage(Level.PARTIAL, (f"{label}: excludes {', '.join(excluded)}",), True)
        else:
            rw = sel.get("ReadWriteType", "All")
            cov = DirCoverage(Level.FULL, (f"{label}: management events, ReadWriteType {rw}",))
        if include is None:
            cap = min(cap, Level.UNKNOWN)
        cov = _cap(cov, cap, f"{label}: ReadWriteType or IncludeManagementEvents is not understood")
        result = result.merge(_directional(cov, directions))
    for i, sel in enumerate(selectors.advanced):
        label = _selector_label("advanced", i, sel)
        problem = _malformed(sel, label, ("FieldSelectors",))
        if problem:
            result = result.merge(_directional(DirCoverage(Level.UNKNOWN, (problem,)), BOTH))
            continue
        ev = _advanced_selector(sel, label, "Management", None)
        if ev is None:
            continue
        cov = DirCoverage(ev.level, tuple(ev.notes), ev.exclusion_only and ev.level == Level.PARTIAL)
        result = result.merge(_directional(cov, ev.directions))
    return result


def _directional(cov: DirCoverage, directions: Iterable[Direction]) -> Coverage:
    dirs = set(directions)
    return Coverage(
        cov if Direction.READ in dirs else DirCoverage(),
        cov if Direction.WRITE in dirs else DirCoverage(),
    )


def data_types(selectors: TrailSelectors) -> list[str]:
    """Resource types named by the trail's data selectors (for evidence and reports)."""
    found: set[str] = set()
    for sel in selectors.classic:
        for dr in sel.get("DataResources") or []:
            if dr.get("Type"):
                found.add(str(dr["Type"]))
    for sel in selectors.advanced:
        fields = {fs.get("Field"): fs for fs in sel.get("FieldSelectors") or []}
        if "Data" in (_values(fields.get("eventCategory", {}), "Equals") or []):
            found.update(_values(fields.get("resources.type", {}), "Equals") or [])
    return sorted(found)


_BUCKET_NO_SLASH = re.compile(r"^arn:[a-z-]+:s3:::[^/*]+$")


def invalid_classic_values(
    selectors: TrailSelectors, bucket_arn: Callable[[Any], bool | Unknown] | None = None
) -> list[str]:
    """Classic data-resource values CloudTrail rejects (DE005). `bucket_arn(value)` tells
    whether a computed value (an IaC reference) is a bare bucket ARN, which lacks the '/'
    (Unknown when it cannot be told: see undecided_classic_values)."""
    problems = []
    for sel in selectors.classic:
        if not isinstance(sel, Mapping) or not isinstance(sel.get("DataResources") or [], list | tuple):
            continue
        for dr in sel.get("DataResources") or []:
            if not isinstance(dr, Mapping):
                continue
            rtype = dr.get("Type")
            if isinstance(rtype, str) and rtype not in CLASSIC_DATA_TYPES:
                problems.append(f"type {rtype} is not allowed in classic selectors")
                continue
            values = dr.get("Values")
            for value in values if isinstance(values, list | tuple) else []:
                if rtype != S3_OBJECT:
                    continue
                if isinstance(value, str) and _BUCKET_NO_SLASH.match(value):
                    problems.append(f"{value} lacks the trailing '/' after the bucket name")
                elif not isinstance(value, str) and bucket_arn is not None and bucket_arn(value) is True:
                    problems.append(f"{value} is a bucket ARN without the trailing '/'")
    return problems


def undecided_classic_values(
    selectors: TrailSelectors, bucket_arn: Callable[[Any], bool | Unknown] | None = None
) -> list[str]:
    """Classic data resources whose type or values are not known (an unresolved variable,
    a value set at deployment that `bucket_arn` cannot judge): whether CloudTrail accepts
    them cannot be told."""
    reasons = []
    for i, sel in enumerate(selectors.classic):
        label = _selector_label("classic", i, sel)
        if not isinstance(sel, Mapping):
            reasons.append(f"{label} is not a mapping")
            continue
        resources = sel.get("DataResources")
        if isinstance(resources, Unknown):
            reasons.append(f"{label}: {resources.reason}")
            continue
        for dr in resources if isinstance(resources, list | tuple) else []:
            if not isinstance(dr, Mapping):
                continue
            why = unsettled(dr.get("Type"))
            if why is not None:
                reasons.append(f"{label}.Type is unknown ({why.reason})")
            elif dr.get("Type") == S3_OBJECT:  # only S3 values can lack the '/'
                values = dr.get("Values")
                for v in values if isinstance(values, list | tuple) else [values]:
                    if isinstance(v, Unknown):
                        reasons.append(f"{label}.Values is unknown ({v.reason})")
                    elif isinstance(v, Reference) and bucket_arn is not None:
                        # A reference can still be judged when it names a declared bucket.
                        verdict = bucket_arn(v)
                        if isinstance(verdict, Unknown):
                            reasons.append(f"{label}.Values: {verdict.reason}")
    return reasons
