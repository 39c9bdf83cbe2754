"""IAM policy evaluation: does a set of policies allow one request?

Serves the EventBridge rules (EB001-EB011): resource policies (Lambda, SNS, SQS, CloudWatch
Logs, KMS, event buses), role trust policies and role identity policies. Semantics follow the
IAM User Guide ("Policy evaluation logic", "IAM JSON policy elements: Action / NotAction /
Resource / Principal / NotPrincipal / Condition", "Condition operators", "Conditions with
multiple context keys or values", "Single-valued vs. multivalued context keys").

Every check is three-valued (`Match`): a value an IaC source could not decide (`Unknown`,
`Reference`), a policy variable, a condition key the request does not describe, or a case
AWS does not document makes a statement's applicability `unknown`, never a guessed match or
non-match. Statements are then combined: a Deny that applies beats every Allow; a Deny that
may apply makes an otherwise allowed request `unknown`; an Allow that may apply, with no
Allow that surely applies, gives `unknown` unless a Deny surely applies.

What is out of scope (callers add it to their evidence): SCPs, RCPs, permission boundaries,
session policies, and the cross-account rule that both the caller's identity policies and the
resource policy must allow. `evaluate` pools the statements of all policies it is given, which
is the single-account reading (any Allow suffices).

Building a request for EventBridge delivery to a target:

    Request(
        action="lambda:InvokeFunction",
        resource=function_arn,
        principal=Principal(service="events.amazonaws.com"),
        context={"aws:SourceArn": rule_arn, "aws:SourceAccount": rule_account},
    )

A condition on any other key (aws:SourceIp, aws:SecureTransport, ...) is `unknown` unless the
caller lists the key in `absent` (known not to be in the request) or sets `closed=True`.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from scanner.model import Reference, Unknown, unsettled

# A policy or request value: a literal string, or one an IaC source could not decide.
Value = str | Unknown | Reference
ContextValue = Value | Sequence[Value]

ALLOW = "Allow"
DENY = "Deny"


class Outcome(enum.StrEnum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    # No Allow applies. A Deny may also apply: see the caveats.
    IMPLICIT_DENY = "implicit-deny"
    UNKNOWN = "unknown"


class Match(enum.StrEnum):
    YES = "match"
    NO = "no-match"
    UNKNOWN = "unknown"


class PolicyError(ValueError):
    """A policy document AWS would reject (not JSON, wrong types, bad Effect, ...).

    The message is a sentence a rule can quote in its evidence before answering `unknown`.
    """


# -- request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who calls: exactly one of `service` (a service principal) or `aws` (an IAM role or
    user ARN, or an account id / `arn:aws:iam::ACCT:root` for the account itself)."""

    service: str | None = None
    aws: str | None = None
    account: str | None = None  # the caller's account; derived from `aws` when not given

    def __post_init__(self) -> None:
        if (self.service is None) == (self.aws is None):
            raise ValueError("Principal needs exactly one of service= or aws=")

    @property
    def caller_account(self) -> str | None:
        if self.account is not None:
            return self.account
        return _account_of(self.aws) if self.aws is not None else None

    @property
    def is_account(self) -> bool:
        """The caller is an account as a whole (its root), not one of its roles or users."""
        return self.aws is not None and _account_principal(self.aws) is not None

    def __str__(self) -> str:
        return self.service or self.aws or "?"


@dataclass(frozen=True)
class Request:
    """One request: `action` on `resource` by `principal`, with the condition keys it carries.

    `resource` None: the resource the policy is attached to (resource policies often omit it).
    `principal` None: identity-policy evaluation (the holder of the policy calls).
    `context` keys are case-insensitive. A key absent from `context` is unknown unless it is
    listed in `absent` or `closed` is True (the context then lists every key present).
    """

    action: str
    resource: Value | None = None
    principal: Principal | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    closed: bool = False


# -- parsed policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One (operator, key) pair of a Condition block; `values` are ORed (NORed if negated).

    `key` None: the block (or the whole Condition element) could not be read; `values`
    then holds the single unsettled value that says why.
    """

    operator: str | None
    key: Value | None
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Statement:
    index: int
    sid: str | None
    effect: Value  # "Allow", "Deny", or unsettled
    # (type, value) pairs: ("*", "*") for Principal "*", ("AWS", "123456789012"), ...;
    # ("?", unsettled) when the whole element is unsettled. None: no Principal element.
    principal: tuple[tuple[str, Value], ...] | None = None
    not_principal: bool = False
    actions: tuple[Value, ...] = ()
    not_action: bool = False
    resources: tuple[Value, ...] | None = None  # None: no Resource/NotResource element
    not_resource: bool = False
    conditions: tuple[Condition, ...] = ()
    unread: Unknown | Reference | None = None  # the statement itself could not be read

    @property
    def label(self) -> str:
        return f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str | None = None
    name: str | None = None  # how evidence names the policy ("key policy", "role policy x")
    unresolved: Unknown | Reference | None = None  # the whole document could not be read


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementResult:
    policy: str | None
    index: int | None  # None: the whole policy (unreadable)
    sid: str | None
    effect: str | None  # "Allow", "Deny", None when not known
    applies: Match
    why: tuple[str, ...]

    @property
    def label(self) -> str:
        if self.index is None:
            base = "the policy"
        else:
            base = f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"
        return f"{base} of {self.policy}" if self.policy else base

    def sentence(self) -> str:
        effect = self.effect or "unknown-effect"
        verdict = {Match.YES: "applies", Match.NO: "does not apply", Match.UNKNOWN: "may apply"}
        return f"{self.label} ({effect}) {verdict[self.applies]}: {'; '.join(self.why)}."


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str  # one sentence for the evidence
    statements: tuple[StatementResult, ...]
    caveats: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool | None:
        if self.outcome == Outcome.UNKNOWN:
            return None
        return self.outcome == Outcome.ALLOW


@dataclass(frozen=True)
class PublicGrant:
    """An Allow statement open to everyone (EB009): `status` YES, or UNKNOWN when an
    unsettled value or a Deny guardrail keeps it from being certain."""

    label: str
    status: Match
    why: str


# -- three-valued checks ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    state: Match
    notes: tuple[str, ...] = ()


def _yes(*notes: str) -> _Check:
    return _Check(Match.YES, notes)


def _no(*notes: str) -> _Check:
    return _Check(Match.NO, notes)


def _maybe(*notes: str) -> _Check:
    return _Check(Match.UNKNOWN, notes)


def _all(checks: Iterable[_Check]) -> _Check:
    """AND: any NO decides; else any UNKNOWN; else YES. Notes of the deciding state."""
    checks = list(checks)
    for state in (Match.NO, Match.UNKNOWN):
        hits = [c for c in checks if c.state == state]
        if hits:
            return _Check(state, _notes(hits))
    return _Check(Match.YES, _notes(checks))


def _any(checks: Iterable[_Check]) -> _Check:
    """OR: any YES decides; else any UNKNOWN; else NO."""
    checks = list(checks)
    for state in (Match.YES, Match.UNKNOWN):
        hits = [c for c in checks if c.state == state]
        if hits:
            return _Check(state, _notes(hits[:1] if state == Match.YES else hits))
    return _Check(Match.NO, _notes(checks))


def _invert(check: _Check) -> Match:
    return {Match.YES: Match.NO, Match.NO: Match.YES}.get(check.state, Match.UNKNOWN)


def _notes(checks: Iterable[_Check]) -> tuple[str, ...]:
    out: list[str] = []
    for c in checks:
        out.extend(n for n in c.notes if n not in out)
    return tuple(out)


def _why_unsettled(value: Unknown | Reference) -> str:
    reason = unsettled(value)
    return reason.reason if reason is not None else str(value)


def _q(value: Any, limit: int = 90) -> str:
    """A value as evidence quotes it."""
    if isinstance(value, Reference):
        text = value.text
    elif isinstance(value, Unknown):
        text = f"unknown ({value.reason})"
    else:
        text = str(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"'{text}'"


def _qs(values: Sequence[Any], limit: int = 4) -> str:
    shown = ", ".join(_q(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


# -- wildcards and variables -----------------------------------------------------------------

# `${*}`, `${?}`, `${$}` stand for the literal character (IAM policy variables, 2012-10-17).
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERAL_VARIABLES = {"*", "?", "$"}


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """Glob match of the whole value: `*` any run of characters, `?` one character."""
    return _glob(pattern, ignore_case, segments=False, variables=False).fullmatch(value) is not None


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool, *, segments: bool, variables: bool) -> re.Pattern[str]:
    """The regex for a policy pattern. `segments`: the Resource element's documented reading,
    where a `*` inside an ARN segment stays inside it and only a `*` ending a segment may
    cross `:`. `variables`: `${*}`-style escapes are literal characters."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        escape = _VARIABLE.match(pattern, i) if variables and ch == "$" else None
        if escape and escape.group(1) in _LITERAL_VARIABLES:
            out.append(re.escape(escape.group(1)))
            i = escape.end()
            continue
        if ch == "*":
            ends_segment = i + 1 == len(pattern) or pattern[i + 1] == ":"
            out.append("[^:]*" if segments and not ends_segment else ".*")
        elif ch == "?":
            out.append("[^:]" if segments else ".")
        else:
            out.append(re.escape(ch))
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


def _variable_in(pattern: str, version: str | None) -> str | None:
    """A policy variable the evaluator cannot resolve, or None. Variables exist only in
    Version 2012-10-17 policies; older (or absent) versions read `${...}` literally."""
    if version != "2012-10-17":
        return None
    for m in _VARIABLE.finditer(pattern):
        if m.group(1) not in _LITERAL_VARIABLES:
            return m.group(0)
    return None


def _same_reference(a: Any, b: Any) -> bool:
    """Two references to the same attribute of the same declared resource: one value."""
    return (
        isinstance(a, Reference)
        and isinstance(b, Reference)
        and a.target is not None
        and (a.target, a.attribute) == (b.target, b.attribute)
        and not (a.partial or b.partial)
    )


Test = Callable[[str, str, bool], _Check]  # (policy value, request value, variables on)


def _distinct_arns(a: Any, b: Any) -> bool:
    """References to the ARNs of two different declared resources: two different values
    (an ARN names one resource, and holds no wildcard to match another). A data source may
    read a resource declared beside it, so it is never known to be different."""
    return (
        isinstance(a, Reference)
        and isinstance(b, Reference)
        and a.target is not None
        and b.target is not None
        and a.target != b.target
        and not any(t.startswith("data.") or ".data." in t for t in (a.target, b.target))
        and str(a.attribute).lower() == str(b.attribute).lower() == "arn"
        and not (a.partial or b.partial)
    )


def _compare(pattern: Value, value: Value, test: Test, version: str | None) -> _Check:
    """Compare one policy value with one request value, either of which may be unsettled."""
    if _same_reference(pattern, value):
        return _yes(f"{_q(value)} is the value the policy names")
    if _distinct_arns(pattern, value):
        return _no(f"{_q(value)} and {_q(pattern)} are the ARNs of different resources")
    for v in (pattern, value):
        if isinstance(v, Unknown | Reference):
            return _maybe(_why_unsettled(v))
    assert isinstance(pattern, str) and isinstance(value, str)
    variable = _variable_in(pattern, version)
    if variable is not None:
        return _maybe(f"policy variable {variable} in {_q(pattern)} is not resolved by opscheck")
    return test(pattern, value, version == "2012-10-17")


def _literal(pattern: str, variables: bool) -> str:
    """An exact-match value with `${*}`-style escapes turned into their characters."""
    if not variables:
        return pattern
    return _VARIABLE.sub(lambda m: m.group(1) if m.group(1) in _LITERAL_VARIABLES else m.group(0), pattern)


# -- parsing ---------------------------------------------------------------------------------

_POLICY_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}
_VERSIONS = {"2012-10-17", "2008-10-17"}


def parse_policy(document: Any, name: str | None = None) -> Policy:
    """A policy from JSON text or a structure: a full document, one statement, or a list of
    statements. `Unknown`/`Reference` values may stand anywhere; they make the parts that
    depend on them unknown at evaluation. Raises PolicyError for a document AWS would reject
    (a deployed policy is never malformed, so the rule answers `unknown` with the message)."""
    if isinstance(document, Unknown | Reference):
        return Policy((), None, name, unresolved=document)
    if isinstance(document, bytes | str):
        document = _load_json(document)
    if isinstance(document, Mapping) and "Statement" in document:
        return _parse_document(document, name)
    if isinstance(document, Mapping) and "Effect" in document:
        return Policy((_parse_statement(document, 0),), None, name)
    if isinstance(document, list):
        return Policy(_parse_statements(document), None, name)
    if isinstance(document, Mapping):
        raise PolicyError("The policy has no Statement element.")
    raise PolicyError(f"The policy is a {type(document).__name__}, not a JSON object.")


def _load_json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise PolicyError(f"The policy is not valid JSON: {exc}.") from None


def _parse_document(document: Mapping[str, Any], name: str | None) -> Policy:
    extra = sorted(str(k) for k in document if k not in _POLICY_KEYS)
    if extra:
        raise PolicyError(f"The policy has an element IAM does not define: {extra[0]!r}.")
    version = document.get("Version")
    if isinstance(version, Unknown | Reference):
        version = "2012-10-17"  # the newer grammar: variables are then flagged, never ignored
    if version is not None and version not in _VERSIONS:
        raise PolicyError(f"The policy Version {version!r} is not 2012-10-17 or 2008-10-17.")
    body = document["Statement"]
    if isinstance(body, Unknown | Reference):
        return Policy((), version, name, unresolved=body)
    if isinstance(body, Mapping):
        body = [body]
    if not isinstance(body, list):
        raise PolicyError(f"The policy Statement is a {type(body).__name__}, not an object or a list.")
    return Policy(_parse_statements(body), version, name)


def _parse_statements(items: list[Any]) -> tuple[Statement, ...]:
    return tuple(_parse_statement(item, i) for i, item in enumerate(items))


def _parse_statement(raw: Any, index: int) -> Statement:
    if isinstance(raw, Unknown | Reference):
        return Statement(index, None, raw, unread=raw)
    if not isinstance(raw, Mapping):
        raise PolicyError(f"Statement #{index + 1} is a {type(raw).__name__}, not an object.")
    sid = raw.get("Sid")
    if isinstance(sid, Unknown | Reference):
        sid = None
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"Statement #{index + 1} has a Sid that is not a string.")
    where = f"Statement {sid!r}" if sid else f"Statement #{index + 1}"
    extra = sorted(str(k) for k in raw if k not in _STATEMENT_KEYS)
    if extra:
        raise PolicyError(f"{where} has an element IAM does not define: {extra[0]!r}.")
    principal_key = _one_of(raw, "Principal", "NotPrincipal", where, required=False)
    action_key = _one_of(raw, "Action", "NotAction", where, required=True)
    resource_key = _one_of(raw, "Resource", "NotResource", where, required=False)
    return Statement(
        index=index,
        sid=sid,
        effect=_effect(raw.get("Effect"), where),
        principal=_principals(raw[principal_key], where) if principal_key else None,
        not_principal=principal_key == "NotPrincipal",
        actions=_strings(raw[action_key], f"{where} {action_key}"),
        not_action=action_key == "NotAction",
        resources=_strings(raw[resource_key], f"{where} {resource_key}") if resource_key else None,
        not_resource=resource_key == "NotResource",
        conditions=_conditions(raw.get("Condition"), where),
    )


def _one_of(raw: Mapping[str, Any], key: str, not_key: str, where: str, *, required: bool) -> str | None:
    if key in raw and not_key in raw:
        raise PolicyError(f"{where} has both {key} and {not_key}.")
    found = key if key in raw else not_key if not_key in raw else None
    if found is None and required:
        raise PolicyError(f"{where} has neither {key} nor {not_key}.")
    return found


def _effect(value: Any, where: str) -> Value:
    if isinstance(value, Unknown | Reference) or value in (ALLOW, DENY):
        return value
    if value is None:
        raise PolicyError(f"{where} has no Effect.")
    raise PolicyError(f"{where} has Effect {value!r}; it must be Allow or Deny.")


def _strings(value: Any, where: str) -> tuple[Value, ...]:
    """A string-or-list element (Action, Resource, condition values)."""
    items = value if isinstance(value, list) else [value]
    out: list[Value] = []
    for item in items:
        if isinstance(item, bool):  # JSON true/false in a Bool condition
            out.append("true" if item else "false")
        elif isinstance(item, int | float):
            out.append(str(item))
        elif isinstance(item, str | Unknown | Reference):
            out.append(item)
        else:
            raise PolicyError(f"{where} holds a {type(item).__name__}, not a string.")
    return tuple(out)


def _principals(value: Any, where: str) -> tuple[tuple[str, Value], ...]:
    if isinstance(value, Unknown | Reference):
        return (("?", value),)
    if value == "*":
        return (("*", "*"),)
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} has a Principal that is neither '*' nor an object.")
    out: list[tuple[str, Value]] = []
    for kind, ids in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyError(
                f"{where} has a principal of type {kind!r}, not AWS, Service, Federated or CanonicalUser."
            )
        out.extend((kind, v) for v in _strings(ids, f"{where} Principal {kind}"))
    return tuple(out)


def _conditions(value: Any, where: str) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if isinstance(value, Unknown | Reference):
        return (Condition(None, None, (value,)),)
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} has a Condition that is not an object.")
    out: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(operator, str):
            raise PolicyError(f"{where} has a condition operator that is not a string.")
        if isinstance(block, Unknown | Reference):
            out.append(Condition(operator, None, (block,)))
            continue
        if not isinstance(block, Mapping):
            raise PolicyError(f"{where} condition {operator} is not an object of keys.")
        for key, values in block.items():
            if values is None:
                raise PolicyError(f"{where} condition {operator} {key} has no value.")
            out.append(Condition(operator, key, _strings(values, f"{where} condition {operator} {key}")))
    return tuple(out)


# -- principals ------------------------------------------------------------------------------

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")
# moto stores Principal "*" of an event bus policy as this (AWS rejects wildcards in ARNs).
_ANY_ROOT = re.compile(r"^arn:[^:]+:iam::\*:root$")


def _account_principal(value: str) -> str | None:
    """The account an account principal names (`123456789012` or its root ARN), else None."""
    if _ACCOUNT_ID.match(value):
        return value
    m = _ROOT_ARN.match(value)
    return m.group(1) if m else None


def _account_of(arn: str) -> str | None:
    account = _account_principal(arn)
    if account is not None:
        return account
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else None


def _is_everyone(kind: str, value: Value) -> bool:
    return kind == "*" or (
        kind == "AWS" and isinstance(value, str) and (value == "*" or bool(_ANY_ROOT.match(value)))
    )


def _covers(kind: str, value: Value, caller: Principal, *, deny: bool) -> _Check:
    """Does one Principal entry name the caller? An account principal naming the caller's
    account delegates to that account's IAM policies: it grants nothing by itself (UNKNOWN
    for an Allow) but a Deny on the account covers all its principals (YES)."""
    if isinstance(value, Unknown | Reference):
        return _maybe(f"principal {_why_unsettled(value)}")
    if kind == "*":
        return _yes("Principal '*' covers every caller")
    if _is_everyone(kind, value):
        if caller.service is not None:
            return _maybe(
                f"AWS does not document whether Principal AWS {_q(value)} covers the service principal {caller}"
            )
        return _yes(f"Principal AWS {_q(value)} covers every AWS account")
    if kind == "Service":
        named = caller.service is not None and value.lower() == caller.service.lower()
        return _yes(f"Principal Service {_q(value)} is the caller") if named else _no()
    if kind != "AWS" or caller.aws is None:
        return _no()  # Federated/CanonicalUser never name a service or IAM caller
    return _covers_aws(value, caller, deny=deny)


def _covers_aws(value: str, caller: Principal, *, deny: bool) -> _Check:
    assert caller.aws is not None
    if value == caller.aws:
        return _yes(f"Principal AWS {_q(value)} is the caller")
    account = _account_principal(value)
    if account is None or account != caller.caller_account:
        return _no()
    if caller.is_account:
        return _yes(f"Principal AWS {_q(value)} is the caller's account")
    if deny:
        return _yes(f"Principal AWS {_q(value)} covers every principal of account {account}")
    return _maybe(
        f"Principal AWS {_q(value)} delegates to the IAM policies of account {account}; "
        f"whether they allow {caller} is not evaluated here"
    )


def _principal_check(st: Statement, caller: Principal | None) -> _Check:
    if st.principal is None:
        return _yes()  # an identity-policy statement: it applies to whoever holds it
    if caller is None:
        return _maybe("the statement names a principal but the request has no caller")
    deny = st.effect == DENY
    covered = _any(_covers(kind, value, caller, deny=deny) for kind, value in st.principal)
    if not st.not_principal:
        if covered.state == Match.NO:
            return _no(f"Principal {_principal_list(st.principal)} does not name {caller}")
        return covered
    return _not_principal_check(st, caller, covered)


def _not_principal_check(st: Statement, caller: Principal, covered: _Check) -> _Check:
    assert st.principal is not None
    listed = _principal_list(st.principal)
    if covered.state == Match.UNKNOWN:
        return covered
    everyone = any(_is_everyone(kind, value) for kind, value in st.principal)
    if caller.aws is not None and not caller.is_account and not everyone:
        # IAM User Guide (NotPrincipal): AWS may check the account before the role, so a
        # role is only surely excluded with its account listed too, and surely covered
        # when neither is listed.
        entries = {v for k, v in st.principal if k == "AWS" and isinstance(v, str)}
        role_listed = caller.aws in entries
        account_listed = any(_account_principal(v) == caller.caller_account for v in entries)
        if role_listed != account_listed:
            return _maybe(
                f"NotPrincipal {listed} lists {'the caller' if role_listed else 'its account'} "
                "but not "
                f"{'its account' if role_listed else 'the caller'}; AWS documents the outcome as uncertain"
            )
        excluded = role_listed and account_listed
    else:
        excluded = covered.state == Match.YES
    if excluded:
        return _no(f"NotPrincipal {listed} excludes {caller}")
    if st.effect == ALLOW:
        return _maybe(f"NotPrincipal with Allow (everyone but {listed}) is not supported by AWS")
    return _yes(f"NotPrincipal {listed} does not exclude {caller}")


def _principal_list(entries: Sequence[tuple[str, Value]]) -> str:
    shown = [f"{kind} {_q(value)}" if kind not in ("*", "?") else _q(value) for kind, value in entries[:4]]
    more = f" and {len(entries) - 4} more" if len(entries) > 4 else ""
    return ", ".join(shown) + more


# -- actions and resources -------------------------------------------------------------------


def _action_check(st: Statement, action: str) -> _Check:
    def one(pattern: Value) -> _Check:
        if isinstance(pattern, Unknown | Reference):
            return _maybe(f"Action value {_why_unsettled(pattern)}")
        return _yes(pattern) if wildcard_match(pattern, action, ignore_case=True) else _no()

    found = _any(one(p) for p in st.actions)
    if found.state == Match.UNKNOWN:
        return found
    if found.state == Match.YES:
        pattern = found.notes[0]
        if st.not_action:
            return _no(f"action {action} is excluded by NotAction {_q(pattern)}")
        return _yes(f"action {action} matches Action {_q(pattern)}")
    if st.not_action:
        return _yes(f"action {action} is not excluded by NotAction {_qs(st.actions)}")
    return _no(f"action {action} is not in Action {_qs(st.actions)}")


def _resource_check(st: Statement, resource: Value | None, version: str | None) -> _Check:
    if st.resources is None:
        return _yes("no Resource element: the statement covers the resource the policy is attached to")
    element = "NotResource" if st.not_resource else "Resource"
    if resource is None:
        if not st.not_resource and "*" in st.resources:
            return _yes("Resource '*' covers the resource")
        return _maybe(f"{element} {_qs(st.resources)} names resources but the request gives no resource ARN")

    def one(pattern: Value) -> _Check:
        if pattern == "*":  # every resource, whatever its ARN turns out to be
            return _yes(_q(pattern))
        check = _compare(pattern, resource, _resource_test, version)
        return _yes(_q(pattern)) if check.state == Match.YES else check  # name the pattern that matched

    found = _any(one(p) for p in st.resources)
    if found.state == Match.UNKNOWN:
        return found
    if st.not_resource:
        if found.state == Match.YES:
            return _no(f"resource {_q(resource)} is excluded by NotResource {found.notes[0]}")
        return _yes(f"resource {_q(resource)} is not excluded by NotResource {_qs(st.resources)}")
    if found.state == Match.YES:
        return _yes(f"resource {_q(resource)} matches Resource {found.notes[0]}")
    return _no(f"resource {_q(resource)} is not in Resource {_qs(st.resources)}")


def _resource_test(pattern: str, value: str, variables: bool) -> _Check:
    """Case-sensitive wildcards (IAM User Guide, Resource): a `*` inside an ARN segment
    stays inside it; one ending a segment may cross `:`. When only the looser whole-string
    reading matches, the outcome is not documented: UNKNOWN."""
    if _glob(pattern, False, segments=True, variables=variables).fullmatch(value):
        return _yes()
    if _glob(pattern, False, segments=False, variables=variables).fullmatch(value):
        return _maybe(
            f"Resource {_q(pattern)} matches {_q(value)} only if a wildcard inside an ARN segment crosses ':'"
        )
    return _no()


# -- condition operators ---------------------------------------------------------------------


def _str_equals(p: str, v: str, variables: bool) -> _Check:
    return _Check(Match.YES if _literal(p, variables) == v else Match.NO)


def _str_equals_ic(p: str, v: str, variables: bool) -> _Check:
    return _Check(Match.YES if _literal(p, variables).casefold() == v.casefold() else Match.NO)


def _str_like(p: str, v: str, variables: bool) -> _Check:
    return _Check(
        Match.YES if _glob(p, False, segments=False, variables=variables).fullmatch(v) else Match.NO
    )


def _arn_like(p: str, v: str, variables: bool) -> _Check:
    """ArnEquals/ArnLike (identical per the IAM User Guide): the six ':'-separated parts are
    compared one by one, case-sensitively, each with `*`/`?` wildcards."""
    pattern_parts, value_parts = p.split(":", 5), v.split(":", 5)
    if len(pattern_parts) != 6 or pattern_parts[0] != "arn":
        return _maybe(f"{_q(p)} is not an ARN pattern; AWS does not document how ARN operators compare it")
    if len(value_parts) != 6:
        return _no()
    for pat, val in zip(pattern_parts, value_parts, strict=True):
        if not _glob(pat, False, segments=False, variables=variables).fullmatch(val):
            return _no()
    return _yes()


def _bool(p: str, v: str, variables: bool) -> _Check:
    return _Check(Match.YES if p.lower() == v.lower() else Match.NO)


# Numeric, date and IP operators take no policy variables (IAM User Guide), so no escapes.
def _numeric(compare: Callable[[float, float], bool]) -> Test:
    def test(p: str, v: str, variables: bool) -> _Check:
        try:
            return _Check(Match.YES if compare(float(v), float(p)) else Match.NO)
        except ValueError:
            return _maybe(f"{_q(v)} or {_q(p)} is not a number")

    return test


def _date(compare: Callable[[dt.datetime, dt.datetime], bool]) -> Test:
    def test(p: str, v: str, variables: bool) -> _Check:
        left, right = _parse_date(v), _parse_date(p)
        if left is None or right is None:
            return _maybe(f"{_q(v)} or {_q(p)} is not an ISO 8601 date or epoch time")
        return _Check(Match.YES if compare(left, right) else Match.NO)

    return test


def _parse_date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _ip(p: str, v: str, variables: bool) -> _Check:
    try:
        network = ipaddress.ip_network(p, strict=False)
        address = ipaddress.ip_address(v)
    except ValueError:
        return _maybe(f"{_q(v)} or {_q(p)} is not an IP address or CIDR range")
    return _Check(Match.YES if address in network else Match.NO)


@dataclass(frozen=True)
class _Operator:
    test: Test  # the positive comparison
    negated: bool = False


_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_str_equals),
    "StringNotEquals": _Operator(_str_equals, negated=True),
    "StringEqualsIgnoreCase": _Operator(_str_equals_ic),
    "StringNotEqualsIgnoreCase": _Operator(_str_equals_ic, negated=True),
    "StringLike": _Operator(_str_like),
    "StringNotLike": _Operator(_str_like, negated=True),
    "ArnEquals": _Operator(_arn_like),
    "ArnLike": _Operator(_arn_like),
    "ArnNotEquals": _Operator(_arn_like, negated=True),
    "ArnNotLike": _Operator(_arn_like, negated=True),
    "Bool": _Operator(_bool),
    "BinaryEquals": _Operator(_str_equals),  # the request value is given as base64 text
    "IpAddress": _Operator(_ip),
    "NotIpAddress": _Operator(_ip, negated=True),
    "NumericEquals": _Operator(_numeric(lambda v, p: v == p)),
    "NumericNotEquals": _Operator(_numeric(lambda v, p: v == p), negated=True),
    "NumericLessThan": _Operator(_numeric(lambda v, p: v < p)),
    "NumericLessThanEquals": _Operator(_numeric(lambda v, p: v <= p)),
    "NumericGreaterThan": _Operator(_numeric(lambda v, p: v > p)),
    "NumericGreaterThanEquals": _Operator(_numeric(lambda v, p: v >= p)),
    "DateEquals": _Operator(_date(lambda v, p: v == p)),
    "DateNotEquals": _Operator(_date(lambda v, p: v == p), negated=True),
    "DateLessThan": _Operator(_date(lambda v, p: v < p)),
    "DateLessThanEquals": _Operator(_date(lambda v, p: v <= p)),
    "DateGreaterThan": _Operator(_date(lambda v, p: v > p)),
    "DateGreaterThanEquals": _Operator(_date(lambda v, p: v >= p)),
}


@dataclass(frozen=True)
class _ParsedOperator:
    name: str  # as written
    base: str  # without qualifier and IfExists
    qualifier: str | None  # "ForAnyValue" | "ForAllValues"
    if_exists: bool


def _parse_operator(name: str) -> _ParsedOperator:
    qualifier, _, rest = name.rpartition(":")
    base = rest.removesuffix("IfExists") if rest != "Null" else rest
    return _ParsedOperator(name, base, qualifier or None, base != rest)


# -- request context -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    state: str  # "present" | "absent" | "unknown"
    values: tuple[Value, ...] = ()


def _lookup(request: Request, key: str) -> _Key:
    """A condition key in the request. Keys are case-insensitive (IAM User Guide, Condition)."""
    wanted = key.lower()
    for name, raw in request.context.items():
        if name.lower() == wanted:
            values = (raw,) if isinstance(raw, str | Unknown | Reference) else tuple(raw)
            return _Key("present", values) if values else _Key("absent")
    if request.closed or wanted in {k.lower() for k in request.absent}:
        return _Key("absent")
    return _Key("unknown")


# -- conditions ------------------------------------------------------------------------------


def _conditions_check(st: Statement, request: Request, version: str | None) -> _Check:
    return _all(_condition_check(c, request, version) for c in st.conditions)


def _condition_check(cond: Condition, request: Request, version: str | None) -> _Check:
    if cond.key is None or cond.operator is None:
        where = f"Condition {cond.operator}" if cond.operator else "Condition"
        value = cond.values[0]
        return _maybe(f"{where} {_why_unsettled(value) if not isinstance(value, str) else _q(value)}")
    if isinstance(cond.key, Unknown | Reference):
        return _maybe(f"condition {cond.operator} key {_why_unsettled(cond.key)}")
    op = _parse_operator(cond.operator)
    label = f"condition {op.name} {cond.key}"
    if op.qualifier not in (None, "ForAnyValue", "ForAllValues"):
        return _maybe(f"{label}: set qualifier {op.qualifier!r} is not one IAM defines")
    if op.base == "Null" and op.if_exists:
        return _maybe(f"{label}: IAM defines no IfExists form of Null")
    if op.base == "Null":
        return _null_check(cond, _lookup(request, cond.key), label)
    operator = _OPERATORS.get(op.base)
    if operator is None:
        return _maybe(f"{label}: opscheck does not evaluate the operator {op.base!r}")
    key = _lookup(request, cond.key)
    if key.state == "unknown":
        return _maybe(f"{label}: whether the request carries {cond.key} is not known")
    if key.state == "absent":
        return _absent_key(op, operator, label, cond.key)
    return _present_key(op, operator, cond, key.values, label, version)


def _null_check(cond: Condition, key: _Key, label: str) -> _Check:
    """Null: `true` holds when the key is absent, `false` when it is present."""
    if key.state == "unknown":
        return _maybe(f"{label}: whether the request carries {cond.key} is not known")
    present = key.state == "present"
    results: list[_Check] = []
    for value in cond.values:
        if isinstance(value, Unknown | Reference):
            results.append(_maybe(f"{label}: value {_why_unsettled(value)}"))
        else:
            results.append(_Check(Match.YES if (value.lower() == "false") == present else Match.NO))
    found = _any(results)
    state = "present" if present else "absent"
    if found.state == Match.YES:
        return _yes(f"{label} holds: the key is {state}")
    if found.state == Match.NO:
        return _no(f"{label} does not hold: the key is {state}")
    return found


def _absent_key(op: _ParsedOperator, operator: _Operator, label: str, key: str) -> _Check:
    """A key missing from the request (IAM User Guide, Condition operators): IfExists holds;
    ForAllValues holds and ForAnyValue does not (empty set); otherwise negated operators hold
    and the others do not."""
    if op.if_exists:
        return _yes(f"{label} holds: the key is absent and the operator ends in IfExists")
    if op.qualifier == "ForAllValues":
        return _yes(f"{label} holds: ForAllValues is true when the key is absent")
    if op.qualifier == "ForAnyValue":
        return _no(f"{label} does not hold: the key is absent from the request")
    if operator.negated:
        return _yes(f"{label} holds: the key is absent and the operator is negated")
    return _no(f"{label} does not hold: {key} is absent from the request")


def _present_key(
    op: _ParsedOperator,
    operator: _Operator,
    cond: Condition,
    values: tuple[Value, ...],
    label: str,
    version: str | None,
) -> _Check:
    def holds_for(value: Value) -> _Check:
        # Several policy values are ORed; for a negated operator they are NORed.
        matched = _any(_compare(p, value, operator.test, version) for p in cond.values)
        return _Check(_invert(matched), matched.notes) if operator.negated else matched

    per_value = [holds_for(v) for v in values]
    if op.qualifier == "ForAllValues":
        result = _all(per_value)
    elif op.qualifier == "ForAnyValue" or len(values) == 1:
        result = _any(per_value)
    else:
        return _maybe(f"{label}: the request has several values for it and the operator has no set qualifier")
    shown = f"request value {_qs(values)}, policy value {_qs(cond.values)}"
    if result.state == Match.YES:
        return _yes(f"{label} holds ({shown})")
    if result.state == Match.NO:
        return _no(f"{label} does not hold ({shown})")
    return _maybe(*(f"{label}: {n}" for n in result.notes))


# -- evaluation ------------------------------------------------------------------------------


def evaluate(policies: Policy | Sequence[Policy], request: Request) -> Decision:
    """Decide `request` against the statements of all `policies` together."""
    if isinstance(policies, Policy):
        policies = [policies]
    results = tuple(r for p in policies for r in _policy_results(p, request))
    return _combine(results)


def _policy_results(policy: Policy, request: Request) -> list[StatementResult]:
    if policy.unresolved is not None:
        why = f"the policy {_why_unsettled(policy.unresolved)}"
        return [StatementResult(policy.name, None, None, None, Match.UNKNOWN, (why,))]
    return [_statement_result(policy, st, request) for st in policy.statements]


def _statement_result(policy: Policy, st: Statement, request: Request) -> StatementResult:
    effect = st.effect if st.effect in (ALLOW, DENY) else None
    check = _statement_check(policy, st, request)
    if effect is None and check.state != Match.NO and st.unread is None:
        assert isinstance(st.effect, Unknown | Reference)
        # First, so that a caveat about a statement that applies can quote just this.
        check = _Check(check.state, (f"Effect {_why_unsettled(st.effect)}", *check.notes))
    return StatementResult(policy.name, st.index, st.sid, effect, check.state, check.notes)


def _statement_check(policy: Policy, st: Statement, request: Request) -> _Check:
    if st.unread is not None:
        return _maybe(f"the statement {_why_unsettled(st.unread)}")
    return _all(
        [
            _principal_check(st, request.principal),
            _action_check(st, request.action),
            _resource_check(st, request.resource, policy.version),
            _conditions_check(st, request, policy.version),
        ]
    )


def _combine(results: tuple[StatementResult, ...]) -> Decision:
    """Explicit Deny beats Allow; no Allow is an implicit deny; unknowns per the module doc."""

    def pick(effects: tuple[str | None, ...], state: Match) -> list[StatementResult]:
        return [r for r in results if r.applies == state and r.effect in effects]

    denies = pick((DENY,), Match.YES)
    allows = pick((ALLOW,), Match.YES)
    maybe_denies = pick((DENY, None), Match.UNKNOWN) + pick((None,), Match.YES)
    maybe_allows = pick((ALLOW, None), Match.UNKNOWN) + pick((None,), Match.YES)
    if denies:
        return Decision(Outcome.EXPLICIT_DENY, f"{_cap(denies[0].label)} denies the request.", results)
    if allows and not maybe_denies:
        return Decision(Outcome.ALLOW, f"{_cap(allows[0].label)} allows the request.", results)
    if allows:
        caveats = _caveats(maybe_denies)
        reason = f"{_cap(allows[0].label)} allows the request, but {_labels(maybe_denies)} may deny it."
        return Decision(Outcome.UNKNOWN, reason, results, caveats)
    if maybe_allows:
        caveats = _caveats(maybe_allows + [r for r in maybe_denies if r not in maybe_allows])
        reason = f"No statement surely allows the request; {_labels(maybe_allows)} may allow it."
        return Decision(Outcome.UNKNOWN, reason, results, caveats)
    caveats = tuple(
        f"{c} (it may deny explicitly; the request is denied either way)" for c in _caveats(maybe_denies)
    )
    return Decision(Outcome.IMPLICIT_DENY, "No statement allows the request.", results, caveats)


def _caveats(results: Iterable[StatementResult]) -> tuple[str, ...]:
    """What makes each statement uncertain: its unknown checks, or (when it surely applies)
    its unknown Effect, which `_statement_result` puts first."""
    return tuple(
        f"{_cap(r.label)}: {'; '.join(r.why[:1] if r.applies == Match.YES else r.why)}" for r in results
    )


def _labels(results: Sequence[StatementResult]) -> str:
    return ", ".join(r.label for r in results)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- public grants (EB009) -------------------------------------------------------------------

_RESTRICTING_KEYS = {"aws:principalorgid", "aws:sourceaccount", "aws:sourcearn", "aws:principalaccount"}
_RESTRICTING_OPERATORS = {
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
}


def public_statements(policy: Policy, action: str) -> list[PublicGrant]:
    """Allow statements that grant `action` to everyone (Principal `*`, `{"AWS": "*"}`,
    moto's `arn:aws:iam::*:root`, or NotPrincipal) with no condition restricting the caller
    by aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn or aws:PrincipalAccount.

    A restricting condition is a positive string/ARN operator (optionally ForAnyValue),
    without IfExists, on one of those keys, with a value that is not only wildcards:
    a negated operator, IfExists or ForAllValues lets callers without the key through.
    """
    if policy.unresolved is not None:
        return [PublicGrant("the policy", Match.UNKNOWN, f"the policy {_why_unsettled(policy.unresolved)}")]
    guard = _deny_guardrail(policy, action)
    grants = [g for st in policy.statements if (g := _public_grant(st, action)) is not None]
    if guard is None:
        return grants
    return [PublicGrant(g.label, Match.UNKNOWN, f"{g.why}; {guard}") for g in grants]


def _public_grant(st: Statement, action: str) -> PublicGrant | None:
    if st.unread is not None:
        return PublicGrant(st.label, Match.UNKNOWN, f"the statement {_why_unsettled(st.unread)}")
    action_check = _action_check(st, action)
    if st.effect == DENY or action_check.state == Match.NO:
        return None
    opens = _opens_to_everyone(st)
    restrict = _any_state([_restricts(c) for c in st.conditions])
    if opens.state == Match.NO or restrict == Match.YES:
        return None
    notes = [
        *opens.notes,
        "no aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn or aws:PrincipalAccount condition",
    ]
    if restrict == Match.UNKNOWN:
        notes.append("a condition that may restrict the caller cannot be read")
    if not isinstance(st.effect, str):
        notes.append(f"Effect {_why_unsettled(st.effect)}")
    if action_check.state == Match.UNKNOWN:
        notes.extend(action_check.notes)
    certain = (
        opens.state == Match.YES
        and restrict == Match.NO
        and isinstance(st.effect, str)
        and action_check.state == Match.YES
    )
    return PublicGrant(st.label, Match.YES if certain else Match.UNKNOWN, "; ".join(notes))


def _any_state(checks: Sequence[_Check]) -> Match:
    return _any(checks).state if checks else Match.NO


def _opens_to_everyone(st: Statement) -> _Check:
    if st.principal is None:
        return _no()
    if st.not_principal:
        return _yes(f"NotPrincipal {_principal_list(st.principal)} allows everyone else")
    for kind, value in st.principal:
        if _is_everyone(kind, value):
            return _yes(f"Principal {_principal_list([(kind, value)])} is everyone")
    unsettled_entries = [v for _, v in st.principal if isinstance(v, Unknown | Reference)]
    if unsettled_entries:
        return _maybe(f"principal {_why_unsettled(unsettled_entries[0])}")
    return _no()


def _restricts(cond: Condition) -> _Check:
    """Does this condition keep out callers outside the owner's account or organization?
    Values are ORed: with a wildcard operator (StringLike, ArnLike, ArnEquals) one value of
    only `*`/`?` lets everyone in, and a value not known here may be one."""
    if cond.key is None or isinstance(cond.key, Unknown | Reference):
        return _maybe()
    if cond.key.lower() not in _RESTRICTING_KEYS or cond.operator is None:
        return _no()
    op = _parse_operator(cond.operator)
    if op.if_exists or op.qualifier == "ForAllValues" or op.base not in _RESTRICTING_OPERATORS:
        return _no()
    if op.base in ("StringEquals", "StringEqualsIgnoreCase"):
        # No wildcards: any value, known or not (even "*"), names one account, organization or ARN.
        return _yes()
    if any(isinstance(v, str) and set(v) <= {"*", "?"} for v in cond.values):
        return _no()
    return _maybe() if any(not isinstance(v, str) for v in cond.values) else _yes()


def _deny_guardrail(policy: Policy, action: str) -> str | None:
    """A Deny for everyone, on this action, conditioned on a restricting key: it may shut out
    the outsiders a public Allow lets in, so the grant is no longer certain."""
    for st in policy.statements:
        if st.effect != DENY or st.unread is not None or _action_check(st, action).state == Match.NO:
            continue
        keys = sorted(
            {c.key for c in st.conditions if isinstance(c.key, str) and c.key.lower() in _RESTRICTING_KEYS}
        )
        if keys and _opens_to_everyone(st).state != Match.NO:
            return f"{st.label} (Deny) may restrict it by {', '.join(keys)}"
    return None
