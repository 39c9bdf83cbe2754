"""Find the IaC under the scanned paths, by content, without parsing what is not IaC.

- Terraform: every directory holding `.tf` / `.tf.json` files is a candidate root module.
- Terraform plan JSON: a JSON file with `format_version` and `planned_values` /
  `resource_changes`.
- CloudFormation / SAM: YAML or JSON with `AWSTemplateFormatVersion`, or a `Resources`
  map whose entries have `Type: AWS::...`.

Directory walks skip `.terraform/`, `.git/`, `node_modules/` and friends, never follow
symbolic links into directories (no loops), and leave every other file alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import ScanError
from scanner.sources.cloudformation.parse import Parsed, TemplateError, parse_template
from scanner.sources.cloudformation.template import looks_like_template
from scanner.sources.iac import MAX_FILE_BYTES, JsonError, decode, load_json, read_text, shown
from scanner.sources.terraform.module import is_terraform_file
from scanner.sources.terraform.plan import shape_error

SKIP_DIRS = frozenset(
    {
        ".terraform",
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".terragrunt-cache",
        ".aws-sam",
        "cdk.out",
        ".serverless",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
    }
)
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".cfn")
_CFN_HINT = re.compile(rb"AWSTemplateFormatVersion|\bResources\b")
_PLAN_HINT = re.compile(rb'"format_version"')
# A top-level `Resources:` map with `Type: AWS::...` declarations: a template that broke (other
# tools' YAML that merely embeds such text, indented, is not one).
_TYPE_HINT = re.compile(rb"""["']?Type["']?\s*:\s*["']?AWS::[A-Za-z0-9]+::""")
_TOP_RESOURCES = re.compile(rb"""^(?:Resources|\s*"Resources")\s*:""", re.MULTILINE)


def _wide_text(data: bytes) -> tuple[str, bytes]:
    """(encoding, the start of the text as UTF-8 to look for hints in) of a UTF-16/32 file
    with a byte order mark; ("", b"") for anything else."""
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if data.startswith(bom):
            return codec, data[: 128 * 1024].decode(codec, "replace").encode("utf-8", "replace")
    return "", b""


@dataclass
class Found:
    terraform_dirs: list[Path] = field(default_factory=list)
    plans: list[tuple[Path, Any]] = field(default_factory=list)
    templates: list[tuple[Path, Parsed]] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


def relative(path: Path, cwd: Path) -> str:
    """Path as reports show it: relative to where the scan started, with '/'. Absolute
    paths, not resolved ones: no symlink lookups per file (walks never follow links)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(cwd))
    return shown(Path(rel).as_posix() if rel != "." else ".")


class StableKeys:
    """A configuration's identity for fingerprints: its path from the root of the git work
    tree that holds it, so that scanning `infra/` from the repository root and `.` from
    `infra/` give the same fingerprints. Outside a repository: the path as reported."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = Path(os.path.abspath(cwd))
        self._roots: dict[Path, Path | None] = {}

    def _root(self, directory: Path) -> Path | None:
        seen: list[Path] = []
        root: Path | None = None
        here = directory
        while True:
            if here in self._roots:
                root = self._roots[here]
                break
            seen.append(here)
            if (here / ".git").exists():
                root = here
                break
            if here.parent == here:
                break
            here = here.parent
        for d in seen:
            self._roots[d] = root
        return root

    def cwd_from_root(self) -> str | None:
        """Where the scan runs, from the root of its work tree; None outside git."""
        root = self._root(self.cwd)
        return None if root is None else Path(os.path.relpath(self.cwd, root)).as_posix()

    def key(self, rel: str) -> str:
        path = Path(os.path.normpath(self.cwd / rel))
        root = self._root(path if path.is_dir() else path.parent)
        if root is None:
            return rel
        return Path(os.path.relpath(path, root)).as_posix()


def discover(paths: list[Path], cwd: Path) -> Found:
    found = Found()
    tf_dirs: set[Path] = set()
    for root in paths:
        if root.is_dir():

            def unlisted(exc: OSError) -> None:
                # os.walk skips a directory it cannot list without a word: say so.
                rel = relative(Path(exc.filename), cwd)
                message = f"{rel}: cannot read directory: {exc.strerror or exc}; not scanned"
                found.errors.append(ScanError(kind="parse", message=message, path=rel))

            for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unlisted):
                dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
                here = Path(dirpath)
                if any(is_terraform_file(f) for f in filenames):
                    tf_dirs.add(here)
                for name in sorted(filenames):
                    # Regular files only: opening a FIFO or a device would block or never end.
                    wanted = name.lower().endswith(TEMPLATE_SUFFIXES) and not name.endswith(".tf.json")
                    if wanted and (here / name).is_file():
                        _classify(here / name, cwd, found, explicit=False)
        elif root.is_file():
            if is_terraform_file(root.name):
                tf_dirs.add(root.parent)
            else:
                _classify(root, cwd, found, explicit=True)
        elif root.exists():
            found.errors.append(
                ScanError(
                    kind="config", message=f"{shown(root)}: not a regular file or directory", path=shown(root)
                )
            )
        else:
            found.errors.append(
                ScanError(
                    kind="config", message=f"{shown(root)}: no such file or directory", path=shown(root)
                )
            )
    found.terraform_dirs = sorted(tf_dirs)
    return found


def _classify(path: Path, cwd: Path, found: Found, explicit: bool) -> None:
    rel = relative(path, cwd)
    if path.is_symlink() and not path.exists():
        if explicit:
            found.errors.append(ScanError(kind="parse", message=f"{rel}: broken symbolic link", path=rel))
        return
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:  # read once: the hints, then the parse
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        found.errors.append(
            ScanError(kind="parse", message=f"{rel}: cannot read: {exc.strerror or exc}", path=rel)
        )
        return
    is_json = path.suffix.lower() == ".json"
    codec, wide = _wide_text(data)
    if codec and (explicit or _CFN_HINT.search(wide) or (is_json and _PLAN_HINT.search(wide))):
        # PowerShell's `>` writes UTF-16: such a plan or template would otherwise be skipped as
        # not ours, without a word.
        message = f"{rel}: {codec} text; only UTF-8 is read (convert the file to UTF-8)"
        found.errors.append(ScanError(kind="parse", message=message, path=rel))
        return
    if size > MAX_FILE_BYTES:
        if explicit or _CFN_HINT.search(data[: 64 * 1024]) or (is_json and _PLAN_HINT.search(data[:4096])):
            message = f"{rel}: {size:,} bytes, above the {MAX_FILE_BYTES:,}-byte limit; not scanned"
            found.errors.append(ScanError(kind="parse", message=message, path=rel))
        return
    # A plan named by the user may have any name (`terraform show -json > tfplan`); it is a
    # JSON object, which a YAML template quoting "format_version" is not.
    json_object = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
    if (is_json or (explicit and json_object)) and _PLAN_HINT.search(data[:4096]):
        _plan(path, rel, found, explicit)
        return
    if not _CFN_HINT.search(data):
        if explicit:
            message = f"{rel}: not Terraform, a Terraform plan or a CloudFormation template"
            found.errors.append(ScanError(kind="parse", message=message, path=rel))
        return
    try:
        parsed = parse_template(decode(data), json_first=is_json)
    except (TemplateError, OSError) as exc:
        # Only a file that claims to be a template is an error; other YAML is not ours.
        declares = _TOP_RESOURCES.search(data) is not None and _TYPE_HINT.search(data) is not None
        if explicit or b"AWSTemplateFormatVersion" in data or declares:
            line = exc.line if isinstance(exc, TemplateError) else None
            message = exc.message if isinstance(exc, TemplateError) else (exc.strerror or str(exc))
            found.errors.append(ScanError(kind="parse", message=f"{rel}: {message}", path=rel, line=line))
        return
    if looks_like_template(parsed.data):
        found.templates.append((path, parsed))
    elif explicit:
        found.errors.append(
            ScanError(kind="parse", message=f"{rel}: not a CloudFormation template", path=rel)
        )


def _plan(path: Path, rel: str, found: Found, explicit: bool) -> None:
    try:
        text = read_text(path)
        data = load_json(text)
    except OSError as exc:
        found.errors.append(ScanError(kind="parse", message=f"{rel}: {exc.strerror or exc}", path=rel))
        return
    except JsonError as exc:
        message = f"{rel}: invalid plan JSON: {exc.message.removeprefix('invalid JSON: ')}"
        found.errors.append(ScanError(kind="parse", message=message, path=rel, line=exc.line))
        return
    if (
        isinstance(data, dict)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    ):
        problem = shape_error(data)
        if problem is None:
            found.plans.append((path, data))
        else:
            message = f"{rel}: not a plan as `terraform show -json` writes it: {problem}; not scanned"
            found.errors.append(ScanError(kind="parse", message=message, path=rel))
    elif looks_like_template(data):
        found.templates.append((path, Parsed(data, parse_template(text, json_first=True).spans)))
    elif explicit:
        found.errors.append(ScanError(kind="parse", message=f"{rel}: not a Terraform plan", path=rel))
