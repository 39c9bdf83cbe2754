"""The accounts of an AWS Organization (`--org`): listed once from the management (or a
delegated administrator) account, narrowed by `--accounts` and `--shard`, each entered
through the organization role. An account that cannot be scanned is never dropped: it
stays in the scope with the reason."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from scanner.sources.aws.errors import to_scan_error
from scanner.sources.aws.guard import Operation
from scanner.sources.aws.pagination import bounded
from scanner.sources.aws.session import AccountSession

LIST_ACCOUNTS = Operation("organizations", "ListAccounts")
DEFAULT_ROLE = "OrganizationAccountAccessRole"


@dataclass(frozen=True)
class OrgAccount:
    id: str
    name: str | None
    status: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE (the newer State field, when given)

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"


@dataclass(frozen=True)
class Shard:
    """`--shard K/N`: this machine scans the accounts whose stable hash falls in slot K of
    N. A hash, not the position in the list, so that an account joining or leaving the
    organization moves no other account between shards."""

    index: int  # 1-based K
    count: int  # N

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            k, n = (int(part) for part in text.split("/", 1))
        except ValueError:
            raise ValueError(f"--shard {text!r}: expected K/N, for example 2/4") from None
        if n < 1 or not 1 <= k <= n:
            raise ValueError(f"--shard {text!r}: K must be from 1 to N")
        return cls(k, n)

    def owns(self, account_id: str) -> bool:
        digest = hashlib.sha256(account_id.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def list_accounts(session: AccountSession) -> list[OrgAccount]:
    """Every account of the organization (paginated). Raises ApiFailure when it cannot be
    listed: without the list there is nothing to scan."""
    region = session.global_region
    accounts: list[OrgAccount] = []
    try:
        client = session.client("organizations", region)
        for page in bounded(client.get_paginator("list_accounts").paginate()):
            for item in page.get("Accounts") or []:
                status = str(item.get("State") or item.get("Status") or "UNKNOWN").upper()
                accounts.append(OrgAccount(str(item["Id"]), item.get("Name"), status))
    except Exception as exc:
        raise to_scan_error(
            exc,
            service="organizations",
            operation="ListAccounts",
            region=region,
            account_id=session.account_id,
        ) from exc
    return sorted(accounts, key=lambda a: a.id)


def role_arn(partition: str, account_id: str, role: str) -> str:
    """The organization role of an account; `role` may be a name or a path/name."""
    return f"arn:{partition}:iam::{account_id}:role/{role.strip('/')}"
