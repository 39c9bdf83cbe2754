"""The two validators every SARIF file opscheck writes must pass (INTERFACE.md, SARIF):
the OASIS SARIF 2.1.0 JSON schema, and Microsoft's SARIF multitool `validate` with GitHub's
rule set switched on (configuration: sarif_ghas.config.xml, next to this file).

What the multitool (SARIF SDK 5.7) does that a harness has to guard against:

* It exits 0 whatever it finds; its verdict is the SARIF log it writes with `--output`.
* A file it cannot load into its object model (a schema-invalid enum value; a relative
  URI whose first segment has a colon, like `a:b.tf`, next to a uriBaseId) is skipped without
  a word, and so is every file after it on the command line. So each run ends with a canary
  file whose GH1005 finding must come back: if it does not, nothing the run said can be
  trusted, and each file is run again on its own to name the one that stops the tool.
* Its console logger can crash formatting a message (ERR999, exit code 1, results lost);
  `--quiet true` keeps it out of the way. Tool notifications at level error fail the run.
* GitHub's rules ship disabled; the configuration enables them (see the XML).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from jsonschema import Draft202012Validator
from toolchain import sarif_multitool, sarif_schema

CONFIG = Path(__file__).with_name("sarif_ghas.config.xml")
RULE_KINDS = "Sarif;Ghas"
# The only tool notification a clean run has: the one for SARIF2006 (which would fetch every
# URI in the file over the network), disabled in the configuration.
EXPECTED_NOTIFICATIONS = {"WRN999.RuleExplicitlyDisabled"}
CANARY_NAME = "zzzz-canary.sarif"
CANARY_RULE = "GH1005"
TIMEOUT_S = 180


# -- the JSON schema -------------------------------------------------------------------------


@cache
def _schema_validator() -> Draft202012Validator:
    schema = json.loads(sarif_schema().read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    # Formats with a checker installed (date-time, uuid) are checked; `uri` needs rfc3987,
    # which the project does not install: the multitool's SARIF1002 covers URIs.
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(log: Mapping[str, Any]) -> list[str]:
    """Every schema violation in `log`, as "JSON path: message", in document order."""
    errors = sorted(_schema_validator().iter_errors(log), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for error in errors:
        # A failed anyOf/oneOf says little by itself; its closest sub-error says what is wrong.
        detail = min(error.context, key=lambda e: -len(e.absolute_path), default=None)
        why = error.message if detail is None else f"{error.message} ({detail.message})"
        out.append(f"{error.json_path}: {why[:400]}")
    return out


# -- the multitool ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One multitool result about one validated file."""

    rule_id: str
    level: str  # effective level: the result's, else the rule's default, else warning
    path: str  # JSON path into the validated file, as the multitool names it
    line: int  # line in the validated file (0: not given)
    message: str

    @property
    def blocking(self) -> bool:
        """Errors and warnings from any rule, and every GitHub rule finding, fail validation.

        Notes (SARIF2002 "use message ids", SARIF2003 "add versionControlProvenance",
        SARIF2010/2011 "embed snippets"...) are advice, not defects, and do not."""
        return self.level in {"error", "warning"} or self.rule_id.startswith("GH")

    def __str__(self) -> str:
        return f"{self.rule_id} [{self.level}] {self.path} (line {self.line}): {self.message}"


class MultitoolRunError(AssertionError):
    """The multitool run itself went wrong, so its silence proves nothing."""


def _format(template: str, arguments: Sequence[str]) -> str:
    def argument(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return arguments[index] if index < len(arguments) else match.group(0)

    return re.sub(r"\{(\d+)\}", argument, template)


def _findings(log: Mapping[str, Any]) -> dict[Path, list[Finding]]:
    out: dict[Path, list[Finding]] = {}
    for run in log.get("runs", []):
        rules = run.get("tool", {}).get("driver", {}).get("rules", [])
        by_id = {r.get("id"): r for r in rules}
        for result in run.get("results", []):
            index = result.get("ruleIndex", -1)
            rule = rules[index] if 0 <= index < len(rules) else by_id.get(result.get("ruleId"), {})
            level = result.get("level") or rule.get("defaultConfiguration", {}).get("level") or "warning"
            message = result.get("message", {})
            arguments = message.get("arguments", [])
            text = message.get("text")
            if text is None:
                template = rule.get("messageStrings", {}).get(message.get("id"), {}).get("text", "")
                text = _format(template, arguments)
            location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
            target = Path(unquote(urlparse(location.get("artifactLocation", {}).get("uri", "")).path))
            finding = Finding(
                rule_id=result.get("ruleId", "?"),
                level=level,
                path=arguments[0] if arguments else "",
                line=location.get("region", {}).get("startLine", 0),
                message=text,
            )
            out.setdefault(target, []).append(finding)
    return out


def _check_invocations(log: Mapping[str, Any], stdout: str) -> None:
    for run in log.get("runs", []):
        for invocation in run.get("invocations", []):
            if not invocation.get("executionSuccessful", False):
                raise MultitoolRunError(f"the multitool reports an unsuccessful run:\n{stdout}")
            notes = invocation.get("toolExecutionNotifications", []) + invocation.get(
                "toolConfigurationNotifications", []
            )
            for note in notes:
                ident = note.get("descriptor", {}).get("id", "")
                # A notification's level defaults to warning; the scan-time trace is a note.
                if ident in EXPECTED_NOTIFICATIONS or note.get("level") == "note":
                    continue
                text = note.get("message", {}).get("text", "")
                raise MultitoolRunError(f"multitool notification {ident}: {text[:2000]}")


def canary_log() -> dict[str, Any]:
    """A small SARIF file that is clean but for one thing: its result's location is an
    https URL, which GitHub's GH1005 rejects."""
    log = minimal_log()
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    location["artifactLocation"]["uri"] = "https://example.com/src/main.tf"
    return log


def _run(files: Sequence[Path], workdir: Path) -> tuple[dict[Path, list[Finding]], bool, str]:
    """One multitool run over `files` and the canary: (findings per file, canary seen, what
    was run and said)."""
    tool = sarif_multitool()
    workdir.mkdir(parents=True, exist_ok=True)
    canary = (workdir / CANARY_NAME).resolve()
    canary.write_text(json.dumps(canary_log(), indent=2), encoding="utf-8")
    output = workdir / "multitool-output.sarif"
    command = [
        str(tool),
        "validate",
        *(str(f.resolve()) for f in files),
        str(canary),  # last: it is only reached if nothing before stopped the run
        "--config",
        str(CONFIG),
        "--rule-kind",
        RULE_KINDS,
        "--level",
        "Error;Warning;Note",
        "--quiet",
        "true",
        "--log",
        "ForceOverwrite",
        "--output",
        str(output),
    ]
    proc = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=TIMEOUT_S)
    said = f"$ {' '.join(command)}\n{proc.stdout}{proc.stderr}"
    if proc.returncode != 0 or not output.is_file():
        raise MultitoolRunError(f"the multitool failed (exit {proc.returncode}):\n{said}")
    log = json.loads(output.read_text(encoding="utf-8-sig"))
    _check_invocations(log, said)
    found = _findings(log)
    unexpected = set(found) - {f.resolve() for f in files} - {canary}
    if unexpected:
        raise MultitoolRunError(f"findings about files not given: {sorted(map(str, unexpected))}")
    seen = any(f.rule_id == CANARY_RULE for f in found.get(canary, []))
    return {f: found.get(f.resolve(), []) for f in files}, seen, said


def multitool_findings(files: Sequence[Path], workdir: Path) -> dict[Path, list[Finding]]:
    """Run `Sarif.Multitool validate` once over `files` and return every finding per file
    (files without findings map to []). Raises MultitoolRunError when the run cannot be
    trusted: a non-zero exit, an error notification, or a missing canary finding (then each
    file is run on its own, to name the ones that stop the multitool)."""
    found, seen, said = _run(files, workdir)
    if seen:
        return found
    stoppers = files
    if len(files) > 1:
        stoppers = [f for i, f in enumerate(files) if not _run([f], workdir / f"alone-{i}")[1]]
    if stoppers:
        raise MultitoolRunError(
            f"the multitool stops without a word on {', '.join(f.name for f in stoppers)}: its "
            f"findings about the file (if any), and those about every file after it, are lost, "
            f"so its silence proves nothing. Either it cannot load the file (validate it against "
            f"the schema, look for URIs that are not RFC 3986 references) or GitHub's rules are "
            f"not enabled ({CONFIG.name}): the canary's {CANARY_RULE} finding is missing.\n"
            f"{said[:4000]}"
        )
    raise MultitoolRunError(
        f"the canary's {CANARY_RULE} finding is missing from a run of all files together\n{said}"
    )


def describe(findings: Iterable[Finding]) -> str:
    return "\n".join(f"  {f}" for f in findings)


# -- hand-written SARIF ----------------------------------------------------------------------


_MINIMAL: dict[str, Any] = {
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "version": "2.1.0",
    "runs": [
        {
            "tool": {
                "driver": {
                    "name": "opscheck",
                    "semanticVersion": "1.0.0",
                    "version": "1.0.0",
                    "informationUri": "https://example.com/opscheck",
                    "rules": [
                        {
                            "id": "XX001",
                            "name": "BucketIsPublic",
                            "shortDescription": {"text": "S3 bucket is public."},
                            "fullDescription": {"text": "The S3 bucket grants access to everyone."},
                            "help": {"text": "Block public access.", "markdown": "Block **public** access."},
                            "helpUri": "https://example.com/rules/XX001",
                            "defaultConfiguration": {"level": "error"},
                            "properties": {
                                "tags": ["security"],
                                "precision": "high",
                                "security-severity": "8.0",
                            },
                        }
                    ],
                }
            },
            "automationDetails": {"id": "opscheck/iac/"},
            "results": [
                {
                    "ruleId": "XX001",
                    "ruleIndex": 0,
                    "level": "error",
                    "message": {"text": "Bucket aws_s3_bucket.logs is public."},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "examples/terraform/main.tf"},
                                "region": {"startLine": 3, "endLine": 12},
                            }
                        }
                    ],
                    "partialFingerprints": {"primaryLocationLineHash": "0123456789abcdef:1"},
                }
            ],
        }
    ],
}


def minimal_log() -> dict[str, Any]:
    """A small SARIF file both validators accept (a fresh copy to break at will)."""
    return copy.deepcopy(_MINIMAL)
