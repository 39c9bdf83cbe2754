"""Where the test suite finds the report validators `make validators` installs.

Locally a missing validator skips its test; in CI (`CI` set) it fails, so a green CI run
always means the validators ran."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NODE_MODULES = REPO / ".ci" / "tools" / "node_modules"
SARIF_SCHEMA = NODE_MODULES / "@microsoft" / "sarif-multitool-linux" / "sarif-2.1.0.json"
SARIF_MULTITOOL = NODE_MODULES / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")


def _missing(what: str) -> None:
    message = f"{what} is not installed (run `make validators`; Chromium: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def sarif_schema() -> Path:
    if not SARIF_SCHEMA.is_file():
        _missing("the SARIF 2.1.0 schema (npm @microsoft/sarif-multitool)")
    return SARIF_SCHEMA


def sarif_multitool() -> Path:
    if not os.access(SARIF_MULTITOOL, os.X_OK):
        _missing("Microsoft's SARIF multitool (npm @microsoft/sarif-multitool)")
    return SARIF_MULTITOOL


def vnu_command() -> list[str]:
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        _missing("the Nu HTML Checker (npm vnu-jar, with Java 17)")
    return [java, "-jar", str(VNU_JAR)]


def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        _missing("Chromium (/usr/bin/chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright for Python")
    return str(CHROMIUM)


# Flags for a headless Chromium on a machine without network: no background requests,
# no component updates, nothing that would reach out on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
