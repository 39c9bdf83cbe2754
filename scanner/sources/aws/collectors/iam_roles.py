"""IAM roles named by something a collector listed (an EventBridge target's RoleArn), with
their trust policy, inline and attached policies, and each attached managed policy's default
version: follow-up reads (see follow_up.py), once per scan, only in the scanned account.

IAM is global: every call goes to the partition's global region. The permissions boundary is
noted (PermissionsBoundary, its ARN), not read: rules report it as a caveat.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.lib.arn import parse_arn
from scanner.model import MANAGED_POLICY, ROLE, Resource
from scanner.sources.aws.collectors.base import CollectContext, jsonable, parse_document
from scanner.sources.aws.collectors.follow_up import (
    NOT_READ,
    absent,
    failed,
    note_not_read,
    present,
    read_and_emit,
    unreadable,
)
from scanner.sources.aws.errors import ApiFailure
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.runner import Task

OPERATIONS = (
    Operation("iam", "GetRole"),
    Operation("iam", "ListRolePolicies"),
    Operation("iam", "GetRolePolicy"),
    Operation("iam", "ListAttachedRolePolicies"),
    Operation("iam", "GetPolicy"),
    Operation("iam", "GetPolicyVersion"),
)


def role_reads(ctx: CollectContext, owner: Resource, role_arn: str) -> list[Task]:
    """The follow-up read of a role a resource names (nothing when no selected rule reads
    roles or their managed policies, or the role is in another account)."""
    if not (ctx.wants(ROLE) or ctx.wants(MANAGED_POLICY)):
        return []
    parsed = parse_arn(role_arn)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/"):
        return []
    reason = unreadable(ctx, parsed.account, None)
    if reason:
        note_not_read(owner, role_arn, reason)
        return []
    name = parsed.resource.rsplit("/", 1)[-1]  # role/PATH/NAME: names are unique per account
    if not ctx.claim(("iam-role", parsed.account, name)):
        return []
    return [Task(f"iam:GetRole {name}", partial(read_role, ctx, role_arn, name))]


def read_role(ctx: CollectContext, role_arn: str, name: str) -> list[Task]:
    region = ctx.session.global_region
    role = ctx.resource(
        type=ROLE,
        id=role_arn,
        name=name,
        properties={
            "RoleName": name,
            "AssumeRolePolicyDocument": NOT_READ,
            "Policies": NOT_READ,
            "ManagedPolicyArns": NOT_READ,
        },
        exists=NOT_READ,
        region=None,
        origin=ctx.origin("iam", "GetRole"),
    )

    def fill() -> list[Task]:
        try:
            got = ctx.call("iam", region, "GetRole", subject=role_arn, RoleName=name)["Role"]
        except ApiFailure as failure:
            if failure.not_found:  # NoSuchEntity: the role does not exist (EB006 fails)
                absent(role, failure)
            else:
                failed([role], ctx.error(failure))
            return []
        present(role)
        role.id = got.get("Arn") or role_arn  # with its path, as IAM spells it
        props = role.properties
        # boto3 decodes the trust policy; parse_document covers a raw URL-encoded string.
        props["AssumeRolePolicyDocument"] = parse_document(got.get("AssumeRolePolicyDocument"))
        if got.get("Path"):
            props["Path"] = got["Path"]
        boundary = (got.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if boundary:
            props["PermissionsBoundary"] = boundary
        role.observed["RoleId"] = got.get("RoleId")
        role.raw = jsonable(got)
        props["Policies"] = _inline_policies(ctx, region, role_arn, name)
        props["ManagedPolicyArns"] = _attached(ctx, region, role_arn, name)
        if not ctx.wants(MANAGED_POLICY) or not isinstance(props["ManagedPolicyArns"], list):
            return []
        return [
            Task(f"iam:GetPolicy {arn}", partial(read_managed_policy, ctx, arn))
            for arn in props["ManagedPolicyArns"]
            if ctx.claim(("iam-policy", arn))
        ]

    return read_and_emit(ctx, f"reading role {role_arn}", None, [role], fill)


def _inline_policies(ctx: CollectContext, region: str, role_arn: str, name: str) -> Any:
    try:
        names = ctx.paginate(
            "iam", region, "ListRolePolicies", "PolicyNames", subject=role_arn, RoleName=name
        )
    except ApiFailure as failure:
        return ctx.error(failure)
    policies: list[dict[str, Any]] = []
    for policy_name in names:
        try:
            got = ctx.call(
                "iam",
                region,
                "GetRolePolicy",
                subject=f"{role_arn} policy {policy_name}",
                RoleName=name,
                PolicyName=policy_name,
            )
            document = parse_document(got.get("PolicyDocument"))
        except ApiFailure as failure:
            document = ctx.error(failure)
        policies.append({"PolicyName": policy_name, "PolicyDocument": document})
    return policies


def _attached(ctx: CollectContext, region: str, role_arn: str, name: str) -> Any:
    try:
        attached = ctx.paginate(
            "iam", region, "ListAttachedRolePolicies", "AttachedPolicies", subject=role_arn, RoleName=name
        )
    except ApiFailure as failure:
        return ctx.error(failure)
    return [p["PolicyArn"] for p in attached if p.get("PolicyArn")]


def read_managed_policy(ctx: CollectContext, policy_arn: str) -> list[Task]:
    """GetPolicy + GetPolicyVersion(DefaultVersionId): an `AWS::IAM::ManagedPolicy` whose
    id is the policy ARN (AWS managed policies included)."""
    region = ctx.session.global_region
    name = policy_arn.rsplit("/", 1)[-1]
    policy = ctx.resource(
        type=MANAGED_POLICY,
        id=policy_arn,
        name=name,
        properties={"ManagedPolicyName": name, "PolicyDocument": NOT_READ},
        exists=NOT_READ,
        region=None,
        origin=ctx.origin("iam", "GetPolicyVersion"),
    )

    def fill() -> None:
        try:
            meta = ctx.call("iam", region, "GetPolicy", subject=policy_arn, PolicyArn=policy_arn)["Policy"]
        except ApiFailure as failure:
            if failure.not_found:
                absent(policy, failure)
            else:
                failed([policy], ctx.error(failure))
            return
        present(policy)
        policy.properties["ManagedPolicyName"] = meta.get("PolicyName") or name
        if meta.get("Path"):
            policy.properties["Path"] = meta["Path"]
        version = meta.get("DefaultVersionId")
        policy.observed["DefaultVersionId"] = version
        policy.raw = jsonable(meta)
        try:
            got = ctx.call(
                "iam",
                region,
                "GetPolicyVersion",
                subject=policy_arn,
                PolicyArn=policy_arn,
                VersionId=version,
            )["PolicyVersion"]
        except ApiFailure as failure:
            policy.properties["PolicyDocument"] = ctx.error(failure)
            return
        policy.properties["PolicyDocument"] = parse_document(got.get("Document"))

    return read_and_emit(ctx, f"reading managed policy {policy_arn}", None, [policy], fill)
