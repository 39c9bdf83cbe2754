"""The least-privilege IAM policy of a live scan (`opscheck iam-policy`), generated from the
same operation list the read-only guard allows, so the two cannot drift apart: a scan can
call nothing the policy does not grant, and the policy grants nothing the scan cannot call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scanner.sources.aws import metrics
from scanner.sources.aws.guard import Operation, is_read_only
from scanner.sources.aws.source import required_operations

# sts:GetCallerIdentity needs no permission (AWS STS API reference: "No permissions are
# required to perform this operation"); sts:AssumeRole is the caller's permission on the way
# into the account (--role-arn, --org-role), not one the scanned role needs.
NOT_GRANTED = {
    "sts:GetCallerIdentity": "needs no permission",
    "sts:AssumeRole": "granted to the identity that assumes the scan role, not to the scan role",
}


def operations(needs: Mapping[str, frozenset[str]]) -> list[Operation]:
    """Every operation a scan with these needs may call (as the guard allows them)."""
    return required_operations(metrics.with_prerequisites(needs))


def read_only_policy(needs: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    ops = operations(needs)
    wrong = sorted(op.key for op in ops if not is_read_only(op.service, op.name))
    if wrong:  # the guard would refuse them too; a policy must never grant them
        raise ValueError(f"not read-only: {', '.join(wrong)}")
    actions = sorted({op.action for op in ops if op.key not in NOT_GRANTED})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OpscheckReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
