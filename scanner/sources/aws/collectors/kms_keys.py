"""The KMS keys that encrypt SNS topics and SQS queues targets name, by the reference the
topic or queue uses (KmsMasterKeyId: alias name, alias ARN, key id or key ARN), resolved in
its account and region. Follow-up reads (see follow_up.py): each reference described once,
each key's policy read once, only for customer managed keys.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scanner.lib.arn import Arn, parse_arn
from scanner.model import KMS_ALIAS, KMS_KEY, Origin, Resource, Unknown
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

OPERATIONS = (Operation("kms", "DescribeKey"), Operation("kms", "GetKeyPolicy"))

# Predefined aliases of AWS managed keys (alias/aws/sns, alias/aws/sqs, ...).
AWS_MANAGED_ALIAS = "alias/aws/"
AWS_MANAGED_KEY_POLICY = "not read: an AWS managed key's policy cannot be changed"


def key_reads(ctx: CollectContext, owner: Resource, key_ref: str | None, owner_arn: Arn) -> list[Task]:
    """The key a topic or queue names by KmsMasterKeyId (alias name, alias ARN, key id or
    key ARN), resolved in the owner's account and region."""
    if not key_ref or not ctx.wants(KMS_KEY):
        return []
    parsed = parse_arn(key_ref)
    if parsed is not None:
        region, account, part = parsed.region, parsed.account, parsed.resource
    else:
        region, account = owner_arn.region, owner_arn.account
        part = key_ref if key_ref.startswith("alias/") else f"key/{key_ref}"
    arn = f"arn:{owner_arn.partition}:kms:{region}:{account}:{part}"
    reason = unreadable(ctx, account, region)
    if reason:
        note_not_read(owner, arn, reason)
        return []
    if not ctx.claim(("kms", arn)):
        return []
    return [Task(f"kms:DescribeKey {arn}", partial(read_key, ctx, region, arn, part))]


def read_key(ctx: CollectContext, region: str, ref_arn: str, part: str) -> list[Task]:
    """DescribeKey by the reference a topic/queue uses. An alias becomes an `AWS::KMS::Alias`
    (TargetKeyId = the key ARN) and its key an `AWS::KMS::Key` (id = key ARN), read once
    whichever references lead to it. A predefined `alias/aws/...` alias is an AWS managed key
    by definition and is not described: DescribeKey is how AWS services create the AWS managed
    key behind a predefined alias that has none yet (KMS API reference), not a pure read then.
    Its Key resource has the alias ARN as id."""
    if part.startswith(AWS_MANAGED_ALIAS):
        ctx.emit(
            ctx.resource(
                type=KMS_KEY,
                id=ref_arn,
                name=part,
                properties={"KeyPolicy": Unknown(AWS_MANAGED_KEY_POLICY)},
                observed={"KeyManager": "AWS", "Aliases": [part]},
                region=region,
                origin=Origin(source="aws"),  # known by its name, no call made
            )
        )
        return []
    alias = part if part.startswith("alias/") else None
    ref = ctx.resource(
        type=KMS_ALIAS if alias else KMS_KEY,
        id=ref_arn,
        name=alias or part.split("/", 1)[-1],
        properties={"AliasName": alias, "TargetKeyId": NOT_READ} if alias else {"KeyPolicy": NOT_READ},
        exists=NOT_READ,
        region=region,
        origin=ctx.origin("kms", "DescribeKey"),
    )
    emitted = [ref]

    def fill() -> None:
        try:
            meta = ctx.call("kms", region, "DescribeKey", subject=ref_arn, KeyId=ref_arn)["KeyMetadata"]
        except ApiFailure as failure:
            if failure.not_found:
                absent(ref, failure)
            else:
                failed(emitted, ctx.error(failure))
            return
        present(ref)
        key_arn = meta["Arn"]
        if alias:
            ref.properties["TargetKeyId"] = key_arn
            if not ctx.claim(("kms", key_arn)):
                return  # the key itself is read by another reference
            key = ctx.resource(
                type=KMS_KEY,
                id=key_arn,
                name=meta.get("KeyId") or key_arn,
                properties={"KeyPolicy": NOT_READ},
                exists=True,
                region=region,
                origin=ctx.origin("kms", "DescribeKey"),
            )
            emitted.append(key)
        else:
            key = ref
        _describe_key(ctx, region, key, meta)

    return read_and_emit(ctx, f"reading KMS key {ref_arn}", region, emitted, fill)


def _describe_key(ctx: CollectContext, region: str, key: Resource, meta: dict[str, Any]) -> None:
    manager = meta.get("KeyManager")
    key.observed.update(
        {k: meta[k] for k in ("KeyManager", "Arn", "KeyId", "KeyState", "Enabled") if k in meta}
    )
    key.raw = jsonable(meta)
    if manager != "CUSTOMER":
        key.properties["KeyPolicy"] = Unknown(AWS_MANAGED_KEY_POLICY)
        return
    try:
        got = ctx.call(
            "kms", region, "GetKeyPolicy", subject=meta["Arn"], KeyId=meta["Arn"], PolicyName="default"
        )
    except ApiFailure as failure:
        key.properties["KeyPolicy"] = ctx.error(failure)
        return
    key.properties["KeyPolicy"] = parse_document(got.get("Policy"))
