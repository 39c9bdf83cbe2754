"""Property values as sources give them, read as the rules need them: CloudFormation may
write a boolean as "true" and a number as "2"; an unresolved value stays Unknown."""

from __future__ import annotations

from typing import Any

from scanner.model import Unknown, show


def flag(value: Any) -> bool | Unknown:
    """A boolean property as sources give it (CloudFormation may write "true")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value is None:
        return False
    return value if isinstance(value, Unknown) else Unknown(f"not known ({show(value)})")


def number(value: Any) -> int | Unknown | None:
    """An integer property (CloudFormation may write "2"); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Unknown(f"not a number ({show(value)})")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, Unknown) else Unknown(f"not known ({show(value)})")
