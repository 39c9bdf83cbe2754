"""The configuration file `opscheck.yml` (INTERFACE.md): rule selection, severity overrides,
rule parameters, the metric window, scan defaults and suppressions.

Read in two steps. `load` checks the file's shape (keys, types, values) and knows the line
of every key; `Config.check` then checks what needs the rules (ids, parameter names and
types, which depend on installed packs and --rules-dir). Every problem is collected and
reported at once as `FILE:LINE: KEY: expected ..., found ...`; a scan never starts on a
configuration it could not read (exit code 2).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scanner.lib.metrics import MetricWindow
from scanner.model import Severity
from scanner.rule import Rule

DEFAULT_NAME = "opscheck.yml"
MAX_BYTES = 1_000_000  # a configuration is a page of YAML; anything bigger is a mistake
MAX_NODES = 100_000  # YAML aliases can expand a small file without bound
FAIL_ON = (*(s.value for s in Severity), "none")
# CloudWatch keeps 1-hour data for 455 days; the look-back can be no longer.
MAX_LOOKBACK_DAYS = 455
PERIODS = (60, 300, 3600)  # periods GetMetricData answers from every retention tier

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists every reason, located."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ScanDefaults:
    """Defaults for options the command line can also give (the command line wins)."""

    regions: tuple[str, ...] = ()
    fail_on: str | None = None
    max_workers: int | None = None
    org_role: str | None = None
    max_accounts: int | None = None


@dataclass(frozen=True)
class ConfigSuppression:
    """One `suppressions:` entry. `rule`, `resource`, `account` and `region` are shell-style
    globs (`AZ*`, `arn:aws:ec2:*:*:volume/vol-0ab*`); every tag given must match too."""

    rule: str
    reason: str
    resource: str | None = None
    account: str | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    owner: str | None = None
    expires: dt.date | None = None
    line: int | None = None  # where the entry starts, for reports
    index: int = 0

    def label(self) -> str:
        what = [f"rule {self.rule}"]
        what += [
            f"{k} {v}"
            for k, v in (("resource", self.resource), ("account", self.account), ("region", self.region))
            if v
        ]
        what += [f"tag {k}={v}" for k, v in sorted(self.tags.items())]
        return ", ".join(what)


@dataclass(frozen=True)
class Config:
    path: str | None = None  # as the user gave it, for messages
    select: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    metrics: MetricWindow = field(default_factory=MetricWindow)
    scan: ScanDefaults = field(default_factory=ScanDefaults)
    suppressions: tuple[ConfigSuppression, ...] = ()
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False)

    def where(self, *key: str | int) -> str:
        """`FILE:LINE: a.b.c` for messages about one key."""
        line = self.lines.get(tuple(key))
        place = f"{self.path}:{line}" if line else str(self.path or DEFAULT_NAME)
        return f"{place}: {_dotted(key)}"

    def check(self, rules: Iterable[Rule]) -> None:
        """Rule ids and parameters against the rules that exist; raises ConfigError."""
        by_id = {r.id: r for r in rules}
        problems: list[str] = []
        for key in ("select", "skip"):
            for i, rid in enumerate(getattr(self, key)):
                if rid not in by_id:
                    problems.append(f"{self.where(key, i)}: no rule {rid} (see `opscheck rules`)")
        for s in self.suppressions:  # a glob may match nothing yet; a plain id must exist
            if not _GLOB.search(s.rule) and s.rule not in by_id:
                problems.append(
                    f"{self.where('suppressions', s.index, 'rule')}: no rule {s.rule} (see `opscheck rules`)"
                )
        for rid in self.severity:
            if rid not in by_id:
                problems.append(f"{self.where('severity', rid)}: no rule {rid} (see `opscheck rules`)")
        for rid, given in self.params.items():
            found = by_id.get(rid)
            if found is None:
                problems.append(f"{self.where('params', rid)}: no rule {rid} (see `opscheck rules`)")
                continue
            for name, value in given.items():
                problems.extend(self._check_param(found, name, value))
        if problems:
            raise ConfigError(problems)

    def _check_param(self, found: Rule, name: str, value: Any) -> list[str]:
        defaults = found.meta.params
        where = self.where("params", found.id, name)
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "none"
            return [f"{where}: {found.id} has no parameter {name!r} (its parameters: {known})"]
        expected = _kind_of(defaults[name])
        if not _is_kind(value, expected):
            return [f"{where}: expected {expected}, found {_describe(value)}"]
        return []

    def apply(self, rules: Iterable[Rule]) -> list[Rule]:
        """The rules with this configuration's severities and parameters in their metadata."""
        out = []
        for r in rules:
            meta = r.meta
            if r.id in self.severity:
                meta = dataclasses.replace(meta, severity=self.severity[r.id], severity_overridden=True)
            if r.id in self.params:
                meta = dataclasses.replace(meta, params={**meta.params, **self.params[r.id]})
            out.append(dataclasses.replace(r, meta=meta) if meta is not r.meta else r)
        return out


def find(explicit: str | None, cwd: Path) -> Path | None:
    """`--config FILE`, else `opscheck.yml` in the current directory when present."""
    if explicit:
        return Path(explicit)
    default = cwd / DEFAULT_NAME
    return default if default.is_file() else None


def load(path: Path, shown: str | None = None) -> Config:
    shown = shown or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([f"{shown}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{shown}: is a directory, not a configuration file"]) from None
    except OSError as exc:
        raise ConfigError([f"{shown}: cannot be read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError([f"{shown}: {len(raw):,} bytes; a configuration file is at most {MAX_BYTES:,}"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{shown}: not UTF-8 text (byte {exc.start})"]) from None
    return parse(text, shown)


def parse(text: str, shown: str = DEFAULT_NAME) -> Config:
    data, lines = _read_yaml(text, shown)
    return _Reader(shown, lines).config(data)


# --- YAML with the line of every key ---------------------------------------------------


def _read_yaml(text: str, shown: str) -> tuple[Any, dict[Path_, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError([f"{shown}{line}: not valid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{shown}: not valid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    if node is None:
        return {}, {}
    lines: dict[Path_, int] = {}
    budget = [MAX_NODES]
    return _value(loader, node, (), lines, shown, budget), lines


def _value(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    at: Path_,
    lines: dict[Path_, int],
    shown: str,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError([f"{shown}: expands to more than {MAX_NODES:,} values (YAML aliases)"])
    lines.setdefault(at, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError([f"{shown}:{key_node.start_mark.line + 1}: a key must be a plain value"])
            key = loader.construct_object(key_node)
            if isinstance(key, int | float | bool) or key is None:
                key = key_node.value  # `RS001:`-like keys stay as written; YAML 1.1 reads `on:` as True
            if key in out:
                raise ConfigError(
                    [f"{shown}:{key_node.start_mark.line + 1}: {_dotted((*at, key))} given twice"]
                )
            lines[(*at, key)] = key_node.start_mark.line + 1
            out[key] = _value(loader, value_node, (*at, key), lines, shown, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, (*at, i), lines, shown, budget) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(
            [f"{shown}:{node.start_mark.line + 1}: {_dotted(at)}: cannot be read: {exc}"]
        ) from None


# --- shape ------------------------------------------------------------------------------

TOP = {
    "select": "rule ids to run (default: every rule); like --rules",
    "skip": "rule ids not to run; like --skip-rules",
    "severity": "severity overrides: RULE_ID: critical|high|medium|low|info",
    "params": "rule parameters: RULE_ID: {name: value}; `opscheck explain RULE_ID` lists them",
    "metrics": "CloudWatch window: lookback_days, period_seconds, peak_period_seconds",
    "scan": "scan defaults: regions, fail_on, max_workers, org_role, max_accounts",
    "suppressions": "a list of {rule, resource, account, region, tags, reason, owner, expires}",
}
METRICS_KEYS = ("lookback_days", "period_seconds", "peak_period_seconds")
SCAN_KEYS = ("regions", "fail_on", "max_workers", "org_role", "max_accounts")
SUPPRESSION_KEYS = ("rule", "resource", "account", "region", "tags", "reason", "owner", "expires")
_GLOB = re.compile(r"[*?\[]")


class _Reader:
    """Checks the shape of the parsed file, collecting every problem with its line."""

    def __init__(self, shown: str, lines: Mapping[Path_, int]) -> None:
        self.shown = shown
        self.lines = lines
        self.problems: list[str] = []

    def at(self, key: Path_) -> str:
        line = self.lines.get(key)
        place = f"{self.shown}:{line}" if line else self.shown
        return f"{place}: {_dotted(key)}" if key else place

    def problem(self, key: Path_, text: str) -> None:
        self.problems.append(f"{self.at(key)}: {text}")

    def expect(self, key: Path_, expected: str, found: Any) -> None:
        self.problem(key, f"expected {expected}, found {_describe(found)}")

    def config(self, data: Any) -> Config:
        if not isinstance(data, dict):
            self.expect((), "a mapping of settings (select, skip, severity, params, metrics, scan)", data)
            raise ConfigError(self.problems)
        for key in data:
            if key not in TOP:
                self.problem((key,), f"unknown setting; expected one of {', '.join(TOP)}")
        cfg = Config(
            path=self.shown,
            select=self.rule_ids(data, "select"),
            skip=self.rule_ids(data, "skip"),
            severity=self.severities(data.get("severity")),
            params=self.params(data.get("params")),
            metrics=self.metrics(data.get("metrics")),
            scan=self.scan(data.get("scan")),
            suppressions=self.suppressions(data.get("suppressions")),
            lines=dict(self.lines),
        )
        if self.problems:
            raise ConfigError(self.problems)
        return cfg

    def rule_ids(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
            if not all(value):
                self.expect((key,), "a list of rule ids", data[key])
                return ()
        if not isinstance(value, list):
            self.expect((key,), "a list of rule ids", value)
            return ()
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.expect((key, i), "a rule id such as RS001", item)
            else:
                out.append(item.strip().upper())
        return tuple(out)

    def severities(self, value: Any) -> dict[str, Severity]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.expect(("severity",), "a mapping RULE_ID: severity", value)
            return {}
        out = {}
        names = ", ".join(s.value for s in Severity)
        for rid, sev in value.items():
            if not isinstance(sev, str) or sev.lower() not in {s.value for s in Severity}:
                self.expect(("severity", rid), f"one of {names}", sev)
            else:
                out[str(rid).upper()] = Severity(sev.lower())
        return out

    def params(self, value: Any) -> dict[str, dict[str, Any]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.expect(("params",), "a mapping RULE_ID: {parameter: value}", value)
            return {}
        out = {}
        for rid, given in value.items():
            if not isinstance(given, dict):
                self.expect(("params", rid), "a mapping of parameter: value", given)
                continue
            out[str(rid).upper()] = given
        return out

    def metrics(self, value: Any) -> MetricWindow:
        default = MetricWindow()
        if value is None:
            return default
        if not isinstance(value, dict):
            self.expect(("metrics",), f"a mapping with {', '.join(METRICS_KEYS)}", value)
            return default
        for key in value:
            if key not in METRICS_KEYS:
                self.problem(("metrics", key), f"unknown setting; expected one of {', '.join(METRICS_KEYS)}")
        days = self.integer(value, ("metrics", "lookback_days"), 1, MAX_LOOKBACK_DAYS, default.lookback_days)
        period = self.period(value, "period_seconds", default.period_seconds)
        peak = self.period(value, "peak_period_seconds", default.peak_period_seconds)
        return MetricWindow(lookback_days=days, period_seconds=period, peak_period_seconds=peak)

    def period(self, value: Mapping[str, Any], key: str, default: int) -> int:
        got = value.get(key, default)
        if not _is_int(got) or (got not in PERIODS and (got <= 0 or got % 3600)):
            self.expect(("metrics", key), "60, 300, or a multiple of 3600 seconds", got)
            return default
        return int(got)

    def integer(self, value: Mapping[str, Any], key: Path_, low: int, high: int, default: int) -> int:
        got = value.get(key[-1], default)
        if not _is_int(got) or not low <= got <= high:
            self.expect(key, f"a whole number from {low} to {high}", got)
            return default
        return int(got)

    def scan(self, value: Any) -> ScanDefaults:
        if value is None:
            return ScanDefaults()
        if not isinstance(value, dict):
            self.expect(("scan",), f"a mapping with {', '.join(SCAN_KEYS)}", value)
            return ScanDefaults()
        for key in value:
            if key not in SCAN_KEYS:
                self.problem(("scan", key), f"unknown setting; expected one of {', '.join(SCAN_KEYS)}")
        regions = value.get("regions") or []
        if isinstance(regions, str):
            regions = [regions]
        if not isinstance(regions, list) or not all(isinstance(r, str) and r for r in regions):
            self.expect(("scan", "regions"), "a list of region names", value.get("regions"))
            regions = []
        fail_on = value.get("fail_on")
        if fail_on is not None and (not isinstance(fail_on, str) or fail_on.lower() not in FAIL_ON):
            self.expect(("scan", "fail_on"), f"one of {', '.join(FAIL_ON)}", fail_on)
            fail_on = None
        workers = value.get("max_workers")
        if workers is not None:
            workers = self.integer(value, ("scan", "max_workers"), 1, 256, 0) or None
        accounts = value.get("max_accounts")
        if accounts is not None:
            accounts = self.integer(value, ("scan", "max_accounts"), 1, 256, 0) or None
        role = value.get("org_role")
        if role is not None and (not isinstance(role, str) or not role.strip()):
            self.expect(("scan", "org_role"), "a role name such as OrganizationAccountAccessRole", role)
            role = None
        return ScanDefaults(
            regions=tuple(regions),
            fail_on=fail_on.lower() if isinstance(fail_on, str) else None,
            max_workers=workers,
            org_role=role.strip() if isinstance(role, str) else None,
            max_accounts=accounts,
        )

    def suppressions(self, value: Any) -> tuple[ConfigSuppression, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.expect(("suppressions",), "a list of suppressions", value)
            return ()
        out = []
        for i, entry in enumerate(value):
            at: Path_ = ("suppressions", i)
            if not isinstance(entry, dict):
                self.expect(at, "a mapping with rule, reason and what it matches", entry)
                continue
            found = self.suppression(entry, at, i)
            if found is not None:
                out.append(found)
        return tuple(out)

    def suppression(self, entry: Mapping[str, Any], at: Path_, index: int) -> ConfigSuppression | None:
        before = len(self.problems)
        for key in entry:
            if key not in SUPPRESSION_KEYS:
                self.problem((*at, key), f"unknown setting; expected one of {', '.join(SUPPRESSION_KEYS)}")
        text: dict[str, str | None] = {}
        for key in ("rule", "reason", "resource", "account", "region", "owner"):
            got = entry.get(key)
            if key in ("rule", "reason") and (got is None or (isinstance(got, str) and not got.strip())):
                what = "why the result is accepted" if key == "reason" else "a rule id or glob"
                self.problem((*at, key) if key in entry else at, f"{key} is required ({what})")
                continue
            if isinstance(got, int) and not isinstance(got, bool) and key == "account":
                got = f"{got:012d}"  # an unquoted account id reads as a number
            if got is not None and not isinstance(got, str):
                self.expect((*at, key), "a string", got)
                continue
            text[key] = got.strip() if isinstance(got, str) else None
        tags = entry.get("tags") or {}
        if not isinstance(tags, dict) or not all(isinstance(v, str | int) for v in tags.values()):
            self.expect((*at, "tags"), "a mapping of tag key: value (glob)", entry.get("tags"))
            tags = {}
        expires = entry.get("expires")
        if isinstance(expires, str):
            with contextlib.suppress(ValueError):  # not a date: reported just below
                expires = dt.date.fromisoformat(expires.strip())
        if expires is not None and (not isinstance(expires, dt.date) or isinstance(expires, dt.datetime)):
            self.expect((*at, "expires"), "a date YYYY-MM-DD", entry.get("expires"))
            expires = None
        if len(self.problems) > before:
            return None
        return ConfigSuppression(
            rule=str(text["rule"]).upper(),
            reason=str(text["reason"]),
            resource=text.get("resource"),
            account=text.get("account"),
            region=text.get("region"),
            tags={str(k): str(v) for k, v in tags.items()},
            owner=text.get("owner"),
            expires=expires,
            line=self.lines.get(at),
            index=index,
        )


# --- parameter kinds, from the default each rule declares ---------------------------------


def _kind_of(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if default is None:  # an optional number, off by default
        return "a number or null"
    if isinstance(default, int | float):
        return "a number"
    if isinstance(default, str):
        return "a string"
    if isinstance(default, list | tuple | set | frozenset):
        return "a list of strings"
    if isinstance(default, Mapping):
        return "a mapping"
    return type(default).__name__


def _is_kind(value: Any, kind: str) -> bool:
    if kind == "true or false":
        return isinstance(value, bool)
    if kind in ("a number", "a number or null"):
        if value is None:
            return kind == "a number or null"
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "a string":
        return isinstance(value, str)
    if kind == "a list of strings":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "a mapping":
        return isinstance(value, dict)
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"


def _dotted(key: Iterable[str | int]) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
