"""`suppressions:` in opscheck.yml: reading and checking entries, matching results by rule,
resource, account, region and tags, expiry, and the reports listing expired and unused ones."""

from __future__ import annotations

import datetime as dt
import io
import json
import textwrap

import pytest

from reports import html
from scanner import config as cfg
from scanner.cli import main
from scanner.model import ResourceRef, Result, Severity, Status, Suppression
from scanner.suppress import apply_config
from tests.testkit import all_rules

TODAY = dt.date(2026, 11, 28)

# Three single-region trails (CT002 fails on each), one tagged team=ml.
TEMPLATE = """\
Resources:
  Audit:
    Type: AWS::CloudTrail::Trail
    Properties: {IsLogging: true, S3BucketName: logs}
  Sandbox:
    Type: AWS::CloudTrail::Trail
    Properties: {IsLogging: true, S3BucketName: logs}
  MlTrail:
    Type: AWS::CloudTrail::Trail
    Metadata:
      opscheck:
        ignore: [{rule: CT002, reason: inline wins}]
    Properties:
      IsLogging: true
      S3BucketName: logs
      Tags: [{Key: team, Value: ml-platform}]
  Tagged:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: logs
      Tags: [{Key: team, Value: ml-research}]
"""


def parse(text: str) -> cfg.Config:
    return cfg.parse(textwrap.dedent(text), "opscheck.yml")


def problems(text: str) -> list[str]:
    with pytest.raises(cfg.ConfigError) as info:
        parse(text).check(all_rules())
    return info.value.problems


def test_entries_are_read():
    (one, two) = parse(
        """
        suppressions:
          - rule: ct002
            resource: "Sand*"
            reason: a sandbox trail stays regional
            owner: platform@example.com
            expires: 2027-03-31
          - {rule: "AZ*", account: 012345678901, region: "eu-*", tags: {team: ml-*}, reason: accepted}
        """
    ).suppressions
    assert one == cfg.ConfigSuppression(
        rule="CT002",
        reason="a sandbox trail stays regional",
        resource="Sand*",
        owner="platform@example.com",
        expires=dt.date(2027, 3, 31),
        line=3,
        index=0,
    )
    assert (two.rule, two.account, two.region, dict(two.tags), two.line) == (
        "AZ*",
        "012345678901",
        "eu-*",
        {"team": "ml-*"},
        8,
    )


def test_bad_entries_are_located():
    assert problems(
        """
        suppressions:
          - rule: CT002
          - reason: no rule
            resource: x
          - rule: CT099
            reason: no such rule
          - rule: CT002
            reason: "  "
            expires: next week
            tags: [team]
            until: 2027-01-01
          - CT002
        """
    ) == [
        "opscheck.yml:3: suppressions[0]: reason is required (why the result is accepted)",
        "opscheck.yml:4: suppressions[1]: rule is required (a rule id or glob)",
        "opscheck.yml:12: suppressions[3].until: unknown setting; expected one of rule, resource, account, "
        "region, tags, reason, owner, expires",
        "opscheck.yml:9: suppressions[3].reason: reason is required (why the result is accepted)",
        "opscheck.yml:11: suppressions[3].tags: expected a mapping of tag key: value (glob), found a list",
        "opscheck.yml:10: suppressions[3].expires: expected a date YYYY-MM-DD, found the text 'next week'",
        "opscheck.yml:13: suppressions[4]: expected a mapping with rule, reason and what it matches, found the "
        "text 'CT002'",
    ]
    assert problems("suppressions:\n  - {rule: CT099, reason: r}\n") == [
        "opscheck.yml:2: suppressions[0].rule: no rule CT099 (see `opscheck rules`)"
    ]
    parse("suppressions:\n  - {rule: 'ZZ*', reason: a glob may match nothing yet}\n").check(all_rules())


def _result(rule: str = "AZ001", status: Status = Status.FAIL, **ref: str) -> Result:
    base = {
        "type": "AWS::RDS::DBInstance",
        "id": "arn:aws:rds:eu-west-1:111122223333:db:orders",
        "name": "orders",
    }
    base.update(account_id="111122223333", region="eu-west-1")
    base.update(ref)
    return Result(rule, status, Severity.MEDIUM, "m", ResourceRef(**base))


def _entry(**kw) -> cfg.ConfigSuppression:
    kw.setdefault("rule", "AZ001")
    kw.setdefault("reason", "accepted")
    return cfg.ConfigSuppression(**kw)


@pytest.mark.parametrize(
    "entry, matched",
    [
        (_entry(), True),
        (_entry(rule="AZ*"), True),
        (_entry(rule="AZ002"), False),
        (_entry(resource="arn:aws:rds:*:*:db:ord*"), True),
        (_entry(resource="orders"), True),  # the name
        (_entry(resource="payments"), False),
        (_entry(account="111122223333"), True),
        (_entry(account="999999999999"), False),
        (_entry(region="eu-*"), True),
        (_entry(region="us-*"), False),
        (_entry(tags={"team": "ml-*"}), True),
        (_entry(tags={"team": "web"}), False),
        (_entry(tags={"cost-centre": "*"}), False),  # the tag must be there
    ],
)
def test_matching(entry, matched):
    result = _result()
    (use,) = apply_config([result], [entry], lambda r: {"team": "ml-platform"}, TODAY)
    assert (result.suppression is not None) is matched
    assert use.suppressed == int(matched)
    assert use.status(TODAY) == ("active" if matched else "unused")


def test_a_tag_entry_does_not_match_when_tags_were_not_read():
    result = _result()
    apply_config([result], [_entry(tags={"team": "*"})], lambda r: None, TODAY)
    assert result.suppression is None


def test_passes_are_not_suppressed_and_inline_ones_stay_and_the_first_entry_wins():
    passed, inline, plain = _result(status=Status.PASS), _result(), _result(status=Status.UNKNOWN)
    inline.suppression = Suppression(source="inline", reason="inline")
    first, second = apply_config(
        [passed, inline, plain], [_entry(owner="a"), _entry(owner="b")], lambda r: {}, TODAY
    )
    assert passed.suppression is None
    assert inline.suppression.source == "inline"
    assert plain.suppression == Suppression(source="config", reason="accepted", owner="a")
    assert (first.suppressed, second.suppressed) == (1, 0)


def test_an_expired_entry_stops_suppressing_and_says_so():
    result = _result()
    (use,) = apply_config([result], [_entry(expires=dt.date(2026, 11, 27), line=4)], lambda r: {}, TODAY)
    assert result.suppression is None
    assert result.evidence["suppression_expired"] == {
        "source": "config",
        "reason": "accepted",
        "expired": "2026-11-27",
        "line": 4,
    }
    assert use.status(TODAY) == "expired" and use.expired_matches == 1
    still = _result()
    apply_config([still], [_entry(expires=TODAY)], lambda r: {}, TODAY)  # valid through its day
    assert still.suppression is not None


def test_a_scan_applies_them_and_every_report_lists_expired_and_unused_entries(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trails.yaml").write_text(TEMPLATE)
    (tmp_path / "opscheck.yml").write_text(
        textwrap.dedent(
            """\
            select: [CT002]
            suppressions:
              - rule: CT002
                resource: Sandbox
                reason: the sandbox trail stays regional
                owner: platform@example.com
                expires: 2099-01-31
              - rule: CT002
                tags: {team: ml-*}
                reason: research trails are regional
              - rule: CT002
                resource: Audit
                reason: waiver ended
                expires: 2020-01-01
              - rule: CT002
                resource: Decommissioned
                reason: an old trail
            """
        )
    )
    out = io.StringIO()
    code = main(["scan", "trails.yaml", "--format", "json"], out=out)
    doc = json.loads(out.getvalue())
    by_name = {r["resource"]["name"]: r for r in doc["results"]}
    assert by_name["Sandbox"]["suppression"] == {
        "source": "config",
        "reason": "the sandbox trail stays regional",
        "expires": "2099-01-31",
        "owner": "platform@example.com",
    }
    assert by_name["Tagged"]["suppression"]["reason"] == "research trails are regional"
    assert by_name["MlTrail"]["suppression"]["source"] == "inline"  # applied first, kept
    assert by_name["Audit"]["suppression"] is None
    assert by_name["Audit"]["evidence"]["suppression_expired"]["expired"] == "2020-01-01"
    assert code == 1 and doc["summary"]["fail"] == 1 and doc["summary"]["suppressed"] == 3
    assert [(s["line"], s["status"], s["results"]) for s in doc["scan"]["suppressions"]] == [
        (3, "active", 1),
        (8, "active", 1),
        (11, "expired", 1),
        (15, "unused", 0),
    ]

    console = io.StringIO()
    main(["scan", "trails.yaml"], out=console)
    text = console.getvalue()
    assert "Suppressions to review (2):" in text
    assert (
        "- opscheck.yml:11: CT002 on Audit: expired on 2020-01-01; 1 result(s) it matched count again" in text
    )
    assert "- opscheck.yml:15: CT002 on Decommissioned: matched no result" in text

    (tmp_path / "out").mkdir()
    assert main(["scan", "trails.yaml", "--format", "html", "-o", "out/r.html"], out=io.StringIO()) == 1
    page = (tmp_path / "out" / "r.html").read_text()
    assert "Configuration suppressions to review" in page and "opscheck.yml:15" in page
    assert html.extract_document(page)  # the embedded document still reads


def test_everything_suppressed_exits_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "trails.yaml").write_text(TEMPLATE)
    (tmp_path / "opscheck.yml").write_text(
        "select: [CT002]\nsuppressions:\n  - {rule: CT002, reason: all regional}\n"
    )
    assert main(["scan", "trails.yaml", "--format", "json"], out=io.StringIO()) == 0
