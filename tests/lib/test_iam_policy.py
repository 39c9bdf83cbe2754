"""Tests of the IAM policy evaluator (scanner/lib/iam_policy.py).

The case table (iam_policy_cases.py) is worked out by hand from the IAM User Guide; the
property tests check laws of the evaluation that hold whatever the policy.
"""

from __future__ import annotations

import json
import random
import re
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from iam_policy_cases import (
    ACCT,
    BUS,
    CASES,
    EVENTS,
    OTHER,
    QUEUE,
    RULE,
    SEND,
    Case,
    delivery,
    policy,
    stmt,
)

from scanner.lib.iam_policy import (
    Match,
    Outcome,
    Policy,
    PolicyError,
    Principal,
    Request,
    evaluate,
    parse_policy,
    public_statements,
    wildcard_match,
)
from scanner.model import Reference


def _texts(decision: Any) -> str:
    parts = [decision.reason, *decision.caveats]
    for result in decision.statements:
        parts.append(result.sentence())
    return "\n".join(parts)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_table(case: Case) -> None:
    decision = evaluate(parse_policy(case.document), case.request)
    assert decision.outcome == case.outcome, _texts(decision)
    if case.why is not None:
        assert case.why in _texts(decision)


def test_case_table_is_large_and_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    # every outcome is exercised
    assert {c.outcome for c in CASES} == set(Outcome)


# -- decision details ------------------------------------------------------------------------


def test_statement_results_name_sid_effect_and_reason() -> None:
    doc = policy(
        stmt(
            sid="Invoke",
            principal={"Service": "events.amazonaws.com"},
            action="sqs:SendMessage",
            resource=QUEUE,
        ),
        stmt(principal="*", action="sns:Publish", resource="*"),
    )
    decision = evaluate(parse_policy(doc, name="queue policy"), SEND)
    first, second = decision.statements
    assert (first.sid, first.index, first.effect, first.applies) == ("Invoke", 0, "Allow", Match.YES)
    assert first.label == "statement 'Invoke' of queue policy"
    assert second.label == "statement #2 of queue policy"
    assert second.applies == Match.NO
    assert second.why == ("action sqs:SendMessage is not in Action 'sns:Publish'",)
    assert decision.reason == "Statement 'Invoke' of queue policy allows the request."
    assert decision.allowed is True
    assert decision.caveats == ()


def test_unknown_decision_has_caveats_naming_the_key() -> None:
    doc = policy(
        stmt(principal={"Service": "events.amazonaws.com"}, action="sqs:SendMessage", resource=QUEUE),
        stmt(
            "Deny",
            sid="TLS",
            principal="*",
            action="sqs:*",
            condition={"Bool": {"aws:SecureTransport": "false"}},
        ),
    )
    decision = evaluate(parse_policy(doc), SEND)
    assert decision.outcome == Outcome.UNKNOWN
    assert decision.allowed is None
    assert decision.caveats == (
        "Statement 'TLS': condition Bool aws:SecureTransport: "
        "whether the request carries aws:SecureTransport is not known",
    )
    # Told the key is absent, the Deny cannot apply.
    told = Request(
        SEND.action, SEND.resource, SEND.principal, SEND.context, frozenset({"aws:securetransport"})
    )
    assert evaluate(parse_policy(doc), told).outcome == Outcome.ALLOW


def test_unknown_effect_caveat_names_only_the_effect() -> None:
    doc = policy(
        stmt(
            Reference("var.effect"),
            principal={"Service": "events.amazonaws.com"},
            action="sqs:*",
            resource="*",
        )
    )
    decision = evaluate(parse_policy(doc), SEND)
    assert decision.outcome == Outcome.UNKNOWN
    assert decision.statements[0].effect is None
    assert decision.caveats == ("Statement #1: Effect var.effect is known only after deployment",)


def test_null_has_no_if_exists_form() -> None:
    doc = policy(stmt(principal="*", action="sqs:*", condition={"NullIfExists": {"aws:SourceArn": "false"}}))
    decision = evaluate(parse_policy(doc), SEND)
    assert decision.outcome == Outcome.UNKNOWN
    assert "IAM defines no IfExists form of Null" in decision.caveats[0]


def test_policies_are_pooled() -> None:
    allow = parse_policy(policy(stmt(action="kinesis:PutRecord", resource="*")), name="inline")
    deny = parse_policy(policy(stmt("Deny", action="kinesis:*", resource="*")), name="guardrail")
    request = Request("kinesis:PutRecord", "arn:aws:kinesis:us-east-1:1:stream/s", closed=True)
    assert evaluate([allow], request).outcome == Outcome.ALLOW
    decision = evaluate([allow, deny], request)
    assert decision.outcome == Outcome.EXPLICIT_DENY
    assert decision.reason == "Statement #1 of guardrail denies the request."
    assert evaluate([], request).outcome == Outcome.IMPLICIT_DENY


def test_principal_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError):
        Principal()
    with pytest.raises(ValueError):
        Principal(service="events.amazonaws.com", aws=ACCT)
    assert Principal(aws=f"arn:aws:iam::{ACCT}:role/x").caller_account == ACCT


# -- parsing ---------------------------------------------------------------------------------


def test_document_forms_are_equivalent() -> None:
    one = stmt(principal={"Service": "events.amazonaws.com"}, action="sqs:SendMessage", resource=QUEUE)
    forms = [
        policy(one),
        json.dumps(policy(one)),
        json.dumps(policy(one)).encode(),
        one,
        [one],
        {"Statement": one},
    ]
    outcomes = {evaluate(parse_policy(f), SEND).outcome for f in forms}
    assert outcomes == {Outcome.ALLOW}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "The policy is not valid JSON"),
        ("42", "The policy is a int, not a JSON object."),
        ({"Version": "2012-10-17"}, "The policy has no Statement element."),
        ({"Statement": "x"}, "The policy Statement is a str"),
        ({"Statement": [], "Foo": 1}, "an element IAM does not define: 'Foo'"),
        ({"Version": "2020-01-01", "Statement": []}, "Version '2020-01-01'"),
        ([1], "Statement #1 is a int, not an object."),
        ([{"Action": "x"}], "Statement #1 has no Effect."),
        ([{"Effect": "allow", "Action": "x"}], "Effect 'allow'; it must be Allow or Deny."),
        ([{"Sid": "S", "Effect": "Allow"}], "Statement 'S' has neither Action nor NotAction."),
        ([{"Effect": "Allow", "Action": "x", "NotAction": "y"}], "both Action and NotAction"),
        (
            [{"Effect": "Allow", "Action": "x", "Resource": "*", "NotResource": "y"}],
            "both Resource and NotResource",
        ),
        ([{"Effect": "Allow", "Action": {"a": 1}}], "Action holds a dict, not a string."),
        ([{"Effect": "Allow", "Action": "x", "Principal": "events"}], "neither '*' nor an object"),
        ([{"Effect": "Allow", "Action": "x", "Principal": {"Role": "r"}}], "type 'Role'"),
        ([{"Effect": "Allow", "Action": "x", "Condition": ["a"]}], "Condition that is not an object"),
        ([{"Effect": "Allow", "Action": "x", "Condition": {"StringEquals": "a"}}], "not an object of keys"),
        ([{"Effect": "Allow", "Action": "x", "Condition": {"StringEquals": {"k": None}}}], "has no value"),
        ([{"Effect": "Allow", "Action": "x", "Actions": "y"}], "element IAM does not define: 'Actions'"),
    ],
)
def test_malformed_policies_raise_clear_errors(document: Any, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(document)
    assert message in str(err.value)


def test_unsettled_document_parses_to_unresolved_policy() -> None:
    ref = Reference("aws_iam_policy_document.x.json")
    parsed = parse_policy(ref, name="topic policy")
    assert parsed == Policy((), None, "topic policy", unresolved=ref)
    decision = evaluate(parsed, SEND)
    assert decision.outcome == Outcome.UNKNOWN
    assert decision.caveats == (
        "The policy of topic policy: the policy aws_iam_policy_document.x.json is known only after deployment",
    )


# -- public statements (EB009) -----------------------------------------------------------------


def _bus_policy(principal: Any, condition: Any = None, action: Any = "events:PutEvents") -> Policy:
    return parse_policy(
        policy(stmt(sid="s", principal=principal, action=action, resource=BUS, condition=condition))
    )


@pytest.mark.parametrize(
    ("principal", "condition", "expected"),
    [
        ({"AWS": "arn:aws:iam::*:root"}, None, Match.YES),  # moto's form of "*"
        ("*", None, Match.YES),
        ({"AWS": "*"}, None, Match.YES),
        ({"AWS": ["123456789012", "*"]}, None, Match.YES),
        ({"AWS": "arn:aws:iam::*:root"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, None),
        ("*", {"StringEquals": {"aws:SourceAccount": ACCT}}, None),
        ("*", {"ArnLike": {"aws:SourceArn": RULE}}, None),
        ("*", {"StringEquals": {"AWS:PrincipalAccount": OTHER}}, None),
        ("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-a/*"}}, Match.YES),  # other key
        ("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Match.YES),  # negated lets others in
        ("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc123"}}, Match.YES),  # absent key passes
        ("*", {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, Match.YES),
        ("*", {"StringLike": {"aws:PrincipalOrgID": "*"}}, Match.YES),  # wildcard only
        ("*", {"StringEquals": {"aws:PrincipalOrgID": Reference("var.org_id")}}, None),  # set, not known
        # A wildcard operator with a value not known here: it may be "*".
        ("*", {"StringLike": {"aws:PrincipalOrgID": Reference("var.org_id")}}, Match.UNKNOWN),
        ("*", {"ArnLike": {"aws:SourceArn": [RULE, Reference("var.arn")]}}, Match.UNKNOWN),
        # Values are ORed: one wildcard-only value lets everyone in.
        ("*", {"StringLike": {"aws:PrincipalOrgID": ["o-abc123", "*"]}}, Match.YES),
        ("*", {"ArnEquals": {"aws:SourceArn": [RULE, "*"]}}, Match.YES),  # ArnEquals takes wildcards too
        # StringEquals takes no wildcards: "*" names an organization no caller is in.
        ("*", {"StringEquals": {"aws:PrincipalOrgID": ["o-abc123", "*"]}}, None),
        ("*", {"StringEquals": Reference("local.conditions")}, Match.UNKNOWN),
        ({"AWS": OTHER}, None, None),
        ({"AWS": Reference("var.principal")}, None, Match.UNKNOWN),
    ],
)
def test_public_statements(principal: Any, condition: Any, expected: Match | None) -> None:
    grants = public_statements(_bus_policy(principal, condition), "events:PutEvents")
    if expected is None:
        assert grants == []
    else:
        assert [g.status for g in grants] == [expected]
        assert grants[0].label == "statement 's'"


def test_public_statement_why_and_scope() -> None:
    (grant,) = public_statements(_bus_policy({"AWS": "arn:aws:iam::*:root"}), "events:PutEvents")
    assert grant.why == (
        "Principal AWS 'arn:aws:iam::*:root' is everyone; "
        "no aws:PrincipalOrgID, aws:SourceAccount, aws:SourceArn or aws:PrincipalAccount condition"
    )
    assert public_statements(_bus_policy("*", action="events:DescribeRule"), "events:PutEvents") == []
    assert (
        public_statements(parse_policy(policy(stmt("Deny", principal="*", action="*"))), "events:PutEvents")
        == []
    )


def test_public_not_principal_allow_and_deny_guardrail() -> None:
    open_all = parse_policy(
        policy(stmt(NotPrincipal={"AWS": OTHER}, action="events:PutEvents", resource=BUS))
    )
    assert [g.status for g in public_statements(open_all, "events:PutEvents")] == [Match.YES]
    guarded = parse_policy(
        policy(
            stmt(principal="*", action="events:PutEvents", resource=BUS),
            stmt(
                "Deny",
                sid="OrgOnly",
                principal="*",
                action="events:PutEvents",
                resource=BUS,
                condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            ),
        )
    )
    (grant,) = public_statements(guarded, "events:PutEvents")
    assert grant.status == Match.UNKNOWN
    assert "statement 'OrgOnly' (Deny) may restrict it by aws:PrincipalOrgID" in grant.why


# -- wildcard matching ----------------------------------------------------------------------------


def _reference_glob(pattern: str, value: str, ignore_case: bool) -> bool:
    """Independent reference: dynamic programming over (pattern, value) positions."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return match(i + 1, j) or (j < len(value) and match(i, j + 1))
        if j < len(value) and pattern[i] in ("?", value[j]):
            return match(i + 1, j + 1)
        return False

    return match(0, 0)


@settings(max_examples=200, deadline=None)
@given(
    pattern=st.text(alphabet="aB:*?.", max_size=8),
    value=st.text(alphabet="abAB:.", max_size=10),
    ignore_case=st.booleans(),
)
def test_wildcard_match_agrees_with_reference(pattern: str, value: str, ignore_case: bool) -> None:
    assert wildcard_match(pattern, value, ignore_case=ignore_case) == _reference_glob(
        pattern, value, ignore_case
    )


def test_wildcard_match_examples() -> None:
    assert wildcard_match("sqs:*", "sqs:SendMessage")
    assert wildcard_match("*", "")
    assert not wildcard_match("sqs:Send", "sqs:SendMessage")
    assert wildcard_match("SQS:SEND*", "sqs:SendMessage", ignore_case=True)
    assert not wildcard_match("SQS:SEND*", "sqs:SendMessage")
    assert wildcard_match("a.c", "a.c") and not wildcard_match("a.c", "abc")  # regex chars are literal


# -- properties of the evaluation -------------------------------------------------------------------

_PRINCIPALS = [
    "*",
    {"Service": "events.amazonaws.com"},
    {"Service": "scheduler.amazonaws.com"},
    {"Service": ["sns.amazonaws.com", "events.amazonaws.com"]},
    {"AWS": ACCT},
    {"AWS": "*"},
]
_ACTIONS = [
    "sqs:SendMessage",
    "sqs:*",
    "SQS:send*",
    "sns:Publish",
    "*",
    ["sqs:ReceiveMessage", "sqs:SendMessage"],
]
_RESOURCES = [None, "*", QUEUE, f"arn:aws:sqs:us-east-1:{ACCT}:other", f"arn:aws:sqs:*:{ACCT}:*"]
_CONDITIONS = [
    None,
    {"ArnLike": {"aws:SourceArn": RULE}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{OTHER}:rule/*"}},
    {"StringEquals": {"aws:SourceAccount": ACCT}},
    {"Bool": {"aws:SecureTransport": "false"}},  # a key the request does not describe
    {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123"}},  # another one
    {"StringEquals": {"aws:SourceAccount": Reference("var.account")}},
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        "Principal": draw(st.sampled_from(_PRINCIPALS)),
        draw(st.sampled_from(["Action", "NotAction"])): draw(st.sampled_from(_ACTIONS)),
    }
    resource = draw(st.sampled_from(_RESOURCES))
    if resource is not None:
        doc[draw(st.sampled_from(["Resource", "NotResource"]))] = resource
    condition = draw(st.sampled_from(_CONDITIONS))
    if condition is not None:
        doc["Condition"] = condition
    if doc["Effect"] == "Allow" and draw(st.booleans()):
        doc.pop("Principal")
        doc["NotPrincipal"] = {"Service": "scheduler.amazonaws.com"}
    return doc


documents = st.lists(statements(), max_size=5)


def _outcome(statement_list: list[Any], request: Request = SEND) -> Outcome:
    return evaluate(parse_policy(policy(*statement_list)), request).outcome


@settings(max_examples=80, deadline=None)
@given(documents, st.randoms(use_true_random=False))
def test_statement_order_never_matters(statement_list: list[Any], rnd: random.Random) -> None:
    shuffled = list(statement_list)
    rnd.shuffle(shuffled)
    assert _outcome(shuffled) == _outcome(statement_list)


@settings(max_examples=80, deadline=None)
@given(documents, st.sampled_from(["Allow", "Deny"]), st.sampled_from(_PRINCIPALS), st.integers(0, 5))
def test_unrelated_statement_never_changes_outcome(
    statement_list: list[Any], effect: str, principal: Any, at: int
) -> None:
    unrelated = stmt(effect, principal=principal, action="ec2:RunInstances", resource="*")
    extended = [*statement_list[:at], unrelated, *statement_list[at:]]
    assert _outcome(extended) == _outcome(statement_list)


@settings(max_examples=80, deadline=None)
@given(documents)
def test_matching_deny_always_denies(statement_list: list[Any]) -> None:
    deny = stmt("Deny", principal="*", action="sqs:SendMessage", resource="*")
    assert _outcome([*statement_list, deny]) == Outcome.EXPLICIT_DENY


@settings(max_examples=80, deadline=None)
@given(documents, st.randoms(use_true_random=False))
def test_action_case_never_matters(statement_list: list[Any], rnd: random.Random) -> None:
    action = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in SEND.action)
    request = Request(action, SEND.resource, SEND.principal, SEND.context)
    assert _outcome(statement_list, request) == _outcome(statement_list)


@settings(max_examples=60, deadline=None)
@given(documents)
def test_json_text_and_structure_decide_alike(statement_list: list[Any]) -> None:
    literal = [s for s in statement_list if "var.account" not in repr(s)]  # JSON holds no Reference
    doc = policy(*literal)
    assert evaluate(parse_policy(json.dumps(doc)), SEND) == evaluate(parse_policy(doc), SEND)


_COMPLETIONS = [
    {},
    {"aws:SecureTransport": "true"},
    {"aws:SecureTransport": "false"},
    {"aws:PrincipalOrgID": "o-abc123"},
    {"aws:PrincipalOrgID": "o-zzz999", "aws:SecureTransport": "false"},
]


@settings(max_examples=80, deadline=None)
@given(documents, st.sampled_from(_COMPLETIONS))
def test_a_definite_answer_survives_learning_more(statement_list: list[Any], extra: dict[str, str]) -> None:
    """Soundness of `unknown`: an answer given while aws:SecureTransport and
    aws:PrincipalOrgID are unknown holds for every way of filling them in. Implicit deny
    promises only that no Allow applies: a Deny that may apply can turn out to apply."""
    literal = [s for s in statement_list if "var.account" not in repr(s)]
    partial = _outcome(literal)
    if partial == Outcome.UNKNOWN:
        return
    complete = delivery("sqs:SendMessage", QUEUE, **{k.replace(":", "__"): v for k, v in extra.items()})
    complete = Request(complete.action, complete.resource, complete.principal, complete.context, closed=True)
    later = _outcome(literal, complete)
    if partial == Outcome.IMPLICIT_DENY:
        assert later in (Outcome.IMPLICIT_DENY, Outcome.EXPLICIT_DENY)
    else:
        assert later == partial


@settings(max_examples=60, deadline=None)
@given(documents)
def test_only_allow_when_some_statement_surely_allows(statement_list: list[Any]) -> None:
    decision = evaluate(parse_policy(policy(*statement_list)), SEND)
    allowing = [r for r in decision.statements if r.effect == "Allow" and r.applies == Match.YES]
    denying = [r for r in decision.statements if r.effect == "Deny" and r.applies != Match.NO]
    assert (decision.outcome == Outcome.ALLOW) == (bool(allowing) and not denying)


def test_events_principal_is_a_service() -> None:
    assert str(EVENTS) == "events.amazonaws.com"
    assert re.fullmatch(r"\d{12}", ACCT)
