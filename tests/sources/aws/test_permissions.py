"""`opscheck iam-policy`: the least-privilege read-only policy, generated from the guard's own
operation list. A full scan of the demo account calls nothing the printed policy does not
grant, and the policy grants only reads."""

from __future__ import annotations

import io
import json
import re

import pytest

from scanner import engine
from scanner.cli import main
from scanner.demo import demo_scan
from scanner.sources.aws.guard import is_read_only
from scanner.sources.aws.permissions import NOT_GRANTED, operations, read_only_policy
from tests.testkit import all_rules

ACTION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")


def policy_of(*args: str) -> dict:
    out = io.StringIO()
    assert main(["iam-policy", *args], out=out) == 0
    return json.loads(out.getvalue())


def actions(policy: dict) -> set[str]:
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return set(statement["Action"])


@pytest.fixture(scope="module")
def demo():
    return demo_scan()


def test_every_operation_of_a_full_demo_scan_is_granted_and_read_only(demo):
    live = [r for r in all_rules() if "aws" in r.meta.sources]
    needs = engine.needs(live)
    granted = actions(read_only_policy(needs))
    declared = {op.key: op for op in operations(needs)}
    called = set(demo.api_calls)
    assert len(called) > 40  # the demo exercises every collector
    for key in called:
        service, name = key.split(":", 1)
        assert is_read_only(service, name), key
        assert key in declared, f"{key} was called but is not declared"
        assert key in NOT_GRANTED or declared[key].action in granted, key
    assert actions(policy_of()) == granted  # the command prints the same


def test_the_policy_grants_only_reads_with_valid_action_names():
    granted = actions(policy_of())
    for action in granted:
        assert ACTION.match(action), action
        name = action.split(":")[1]
        assert name.startswith(("Describe", "Get", "List", "BatchGet")), action
    assert "elasticloadbalancing:DescribeLoadBalancers" in granted  # not elbv2:...
    assert "s3:ListAllMyBuckets" in granted and "s3:ListBuckets" not in granted
    assert not {"sts:GetCallerIdentity", "sts:AssumeRole"} & granted


def test_the_policy_follows_the_rule_selection(tmp_path, monkeypatch):
    only_trails = actions(policy_of("--rules", "CT001"))
    assert only_trails == {
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:GetInsightSelectors",  # the guard allows per collector, not per facet
        "cloudtrail:GetTrailStatus",
        "ec2:DescribeRegions",
    }
    monkeypatch.chdir(tmp_path)
    (tmp_path / "opscheck.yml").write_text("select: [RS005]\n")
    assert actions(policy_of()) == {"ec2:DescribeRegions", "ec2:DescribeVolumes"}
    everything = actions(policy_of("--skip-rules", "RS005"))
    assert "ec2:DescribeVolumes" in everything  # RS004/RS006 still read volumes


def test_iac_only_rules_need_no_policy(capsys):
    iac_only = [r.id for r in all_rules() if "aws" not in r.meta.sources]
    if not iac_only:
        pytest.skip("every rule also runs live")
    assert main(["iam-policy", "--rules", ",".join(iac_only)], out=io.StringIO()) == 2
    assert "none of the selected rules applies to live AWS scans" in capsys.readouterr().err


def test_written_to_a_file(tmp_path):
    target = tmp_path / "policy.json"
    assert main(["iam-policy", "--rules", "CT002", "-o", str(target)], out=io.StringIO()) == 0
    assert "cloudtrail:DescribeTrails" in json.loads(target.read_text())["Statement"][0]["Action"]
