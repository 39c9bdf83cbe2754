"""`scan --aws --org` on moto: a management account and three member accounts (moto keeps
each account's resources apart once a role is assumed into it), one member whose role
cannot be assumed and one suspended. One document for the organization; the broken
account is in scope as not scanned with the reason; the others complete."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from scanner.cli import main
from scanner.scan import OrgOptions, scan_org
from scanner.sources.aws.organization import Shard
from scanner.sources.aws.session import AwsOptions
from tests.testkit import ACCOUNT, inject_error, rules
from tests.testkit import trail as make_trail

REGION = "us-east-1"


def member(aws: boto3.Session, account_id: str) -> boto3.Session:
    """A session inside a member account, as the organization role gives it."""
    creds = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


@pytest.fixture
def org(aws):
    """Management 123456789012 (a multi-region trail), prod (multi-region), dev
    (single-region), broken (no role to enter), closed (suspended)."""
    client = aws.client("organizations", region_name=REGION)
    client.create_organization(FeatureSet="ALL")
    ids = {}
    for name in ("prod", "dev", "broken", "closed"):
        status = client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        ids[name] = status["AccountId"]
    client.close_account(AccountId=ids["closed"])
    make_trail(aws, "mgmt-trail", multi_region=True)
    make_trail(member(aws, ids["prod"]), "prod-trail", multi_region=True)
    make_trail(member(aws, ids["dev"]), "dev-trail", multi_region=False)
    # STS speaks the query protocol: the request body is still a dict of parameters here.
    inject_error(aws, "AssumeRole", "AccessDenied", match=lambda p: ids["broken"] in str(p.get("body")))
    return ids


def test_every_active_account_is_scanned_and_a_broken_one_is_said(aws, org):
    out = scan_org(
        AwsOptions(session=aws, regions=[REGION]), OrgOptions(max_accounts=3), rules("CT001", "CT002")
    )
    targets = {t["account_id"]: t for t in out.targets}
    assert set(targets) == {ACCOUNT, *org.values()}
    assert targets[ACCOUNT]["scanned"] and targets[ACCOUNT]["name"] == "master"
    assert targets[org["prod"]] == {
        "kind": "aws-account",
        "account_id": org["prod"],
        "regions": [REGION],
        "name": "prod",
        "scanned": True,
    }
    assert not targets[org["broken"]]["scanned"]
    assert "could not be entered" in targets[org["broken"]]["reason"]
    assert "AccessDenied" in targets[org["broken"]]["reason"]
    assert (
        targets[org["closed"]]["reason"] == "the account is suspended"
        and targets[org["closed"]]["regions"] == []
    )
    (error,) = [e for e in out.errors if e.account_id == org["broken"]]
    assert error.operation == "AssumeRole" and error.kind == "api"
    # Each account's own resources, judged in that account.
    ct002 = {
        (r.resource.account_id, r.resource.name): r.status.value for r in out.results if r.rule_id == "CT002"
    }
    assert ct002 == {
        (ACCOUNT, "mgmt-trail"): "pass",
        (org["prod"], "prod-trail"): "pass",
        (org["dev"], "dev-trail"): "fail",
    }
    ct001 = {r.resource.account_id: r.status.value for r in out.results if r.rule_id == "CT001"}
    assert set(ct001) == {ACCOUNT, org["prod"], org["dev"]}
    assert out.fatal is None
    assert out.api_calls["organizations:ListAccounts"] == 1
    assert out.api_calls["sts:AssumeRole"] == 2  # prod and dev; the management account is not entered
    assert (
        out.run_by["aws_principal"].endswith(f"{ACCOUNT}:user/moto") or ACCOUNT in out.run_by["aws_principal"]
    )


def test_accounts_and_shards_narrow_the_scope(aws, org):
    options = AwsOptions(session=aws, regions=[REGION])
    only = scan_org(options, OrgOptions(accounts=(org["dev"], "999999999999")), rules("CT002"))
    assert {t["account_id"]: t["scanned"] for t in only.targets} == {org["dev"]: True, "999999999999": False}
    assert next(t for t in only.targets if t["account_id"] == "999999999999")["reason"] == (
        "not an account of the organization"
    )
    seen: list[str] = []
    for k in (1, 2, 3):
        part = scan_org(options, OrgOptions(shard=Shard(k, 3)), rules("CT002"))
        seen += [t["account_id"] for t in part.targets]
    assert sorted(seen) == sorted([ACCOUNT, *org.values()])  # every account in exactly one shard


def test_shards_are_stable_and_cover_every_account():
    ids = [f"{n:012d}" for n in range(1000)]
    owners = [[Shard(k, 4).owns(a) for k in (1, 2, 3, 4)] for a in ids]
    assert all(sum(row) == 1 for row in owners)
    sizes = [sum(row[k] for row in owners) for k in range(4)]
    assert min(sizes) > 200  # roughly even
    with pytest.raises(ValueError, match="K/N"):
        Shard.parse("2of4")
    with pytest.raises(ValueError, match="from 1 to N"):
        Shard.parse("5/4")


def test_listing_the_organization_refused_is_fatal(aws, org):
    inject_error(aws, "ListAccounts", "AccessDeniedException")
    out = scan_org(AwsOptions(session=aws, regions=[REGION]), OrgOptions(), rules("CT002"))
    assert out.fatal.startswith("the organization's accounts could not be listed")
    assert out.targets == [] and out.results == []


def test_the_command_line(aws, org, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opscheck.yml").write_text(
        "scan: {org_role: OrganizationAccountAccessRole, max_accounts: 2}\n"
    )
    out = io.StringIO()
    code = main(
        ["scan", "--aws", "--org", "--region", REGION, "--rules", "CT002", "--format", "json"], out=out
    )
    doc = json.loads(out.getvalue())
    assert code == 1  # dev's single-region trail
    # The command line builds its own session, without the test's refusal for "broken".
    scanned = {t["account_id"] for t in doc["scan"]["targets"] if t["scanned"]}
    assert scanned == {ACCOUNT, org["prod"], org["dev"], org["broken"]}
    console = io.StringIO()
    main(["scan", "--aws", "--org", "--region", REGION, "--rules", "CT002"], out=console)
    assert "5 accounts (4 scanned, 1 not; 1 regions)" in console.getvalue()
    for args, message in (
        (["--accounts", "12"], "--accounts: not a 12-digit account id: 12"),
        (["--shard", "0/2"], "K must be from 1 to N"),
        (["--max-accounts", "0"], "--max-accounts must be at least 1"),
    ):
        assert main(["scan", "--aws", "--org", *args], out=io.StringIO()) == 2
        assert message in capsys.readouterr().err
    assert main(["scan", "--aws", "--shard", "1/2"], out=io.StringIO()) == 2
    assert "--shard only apply with --org" in capsys.readouterr().err
    assert main(["scan", "examples", "--org", "--shard", "1/2"], out=io.StringIO()) == 2
    assert "--org, --shard only apply to --aws scans" in capsys.readouterr().err


def test_shards_merged_give_the_whole_organization(aws, org, tmp_path):
    from reports.json import to_document
    from reports.merge import merge

    options = AwsOptions(session=aws, regions=[REGION])
    chosen = rules("CT001", "CT002")
    whole = to_document(scan_org(options, OrgOptions(), chosen))
    parts = []
    for k in (1, 2):
        doc = to_document(scan_org(options, OrgOptions(shard=Shard(k, 2)), chosen))
        path = tmp_path / f"shard{k}.json"
        path.write_text(json.dumps(doc))
        parts.append(str(path))
    out = io.StringIO()
    assert main(["merge", *parts], out=out) == 0
    merged = json.loads(out.getvalue())
    assert [(r["fingerprint"], r["status"]) for r in merged["results"]] == [
        (r["fingerprint"], r["status"]) for r in whole["results"]
    ]
    assert merged["summary"] == whole["summary"]
    assert merged["scan"]["targets"] == whole["scan"]["targets"]
    assert merged["scan"]["stats"]["resources"] == whole["scan"]["stats"]["resources"]
    assert [m["name"] for m in merged["scan"]["merged_from"]] == parts
    # Merging a document with itself: nothing doubles but the warning about the accounts.
    again, warnings = merge([("a", whole), ("b", whole)])
    assert again["summary"] == whole["summary"]
    assert any("was scanned in more than one document" in w for w in warnings)
