"""The starter `opscheck.yml` that `opscheck init` writes: every setting commented out and
showing its default, the rule parameters taken from the rules' own metadata (so the file
never lists a parameter that does not exist or a stale default)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from scanner.lib.metrics import MetricWindow
from scanner.rule import Rule

HEADER = """\
# opscheck configuration. Every setting is commented out and shows its default:
# uncomment what you change. Options given on the command line win over this file;
# --rules or --skip-rules replace `select` and `skip`.
"""


def starter(rules: Iterable[Rule]) -> str:
    rules = sorted(rules, key=lambda r: r.id)
    window = MetricWindow()
    parts = [
        HEADER,
        "# Rules to run (default: every rule) and rules not to run; ids as `opscheck rules` lists them.",
        "# select: [CT001, CT002]",
        "# skip: [RS009]",
        "",
        "# Severity overrides: every result of the rule takes this severity",
        "# (critical, high, medium, low, info).",
        "# severity:",
        "#   RS006: medium",
        "",
        "# Rule parameters, with their defaults; `opscheck explain RULE_ID` says how each is used.",
        "# params:",
    ]
    for r in rules:
        if not r.meta.params:
            continue
        parts.append(f"#   {r.id}:  # {r.meta.name}")
        parts.extend(f"#     {name}: {_flow(value)}" for name, value in sorted(r.meta.params.items()))
    parts += [
        "",
        "# The CloudWatch window the rightsizing rules read (one GetMetricData batch per region).",
        "# metrics:",
        f"#   lookback_days: {window.lookback_days}",
        f"#   period_seconds: {window.period_seconds}  # CPU and GPU utilisation",
        f"#   peak_period_seconds: {window.peak_period_seconds}  # IOPS and invocations per instance:"
        " one-minute peaks (kept 15 days)",
        "",
        "# Defaults for scans (the command line wins).",
        "# scan:",
        "#   regions: [us-east-1, eu-west-1]  # live scans; default: every region enabled for the account",
        "#   fail_on: low  # critical, high, medium, low, info or none",
        "#   max_workers: 8  # concurrent API calls per account of a live scan",
        "#   org_role: OrganizationAccountAccessRole  # --org: the role entered in each member account",
        "#   max_accounts: 4  # --org: accounts scanned at once",
        "",
        "# Accepted results: marked suppressed (not removed) and not failing the build. `rule`,",
        "# `resource` (id, ARN or name), `account` and `region` are globs; every tag given must",
        "# match. `reason` is required. From the day after `expires` the entry stops working;",
        "# expired entries, and entries that matched nothing, are listed in every report.",
        "# suppressions:",
        "#   - rule: RS006",
        '#     resource: "arn:aws:ec2:*:*:volume/vol-0123*"',
        "#     region: eu-*",
        "#     tags: {team: ml-*}",
        "#     reason: restore volumes kept for the quarterly audit",
        "#     owner: platform@example.com",
        "#     expires: 2027-03-31",
        "",
    ]
    return "\n".join(parts)


def _flow(value: Any) -> str:
    """A default as one line of YAML (sets sorted, tuples as lists)."""
    if isinstance(value, set | frozenset):
        value = sorted(value)
    elif isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").strip()
