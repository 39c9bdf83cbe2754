"""Helpers for the secret-hygiene, read-only and determinism cases: canary credentials, a
moto_server process with its request recorder, the CLI run as a subprocess (optionally with a
terminal on stderr, so that the progress line is drawn), and normalisation of reports."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import os
import pty
import re
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from loopback import start_moto
from loopback import stop as stop_process

FULL = os.environ.get("OPSCHECK_RELIABILITY") == "full"
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"

# Header names and signature parts that must never reach a report or a log, whoever's keys.
SIGNING_MARKERS = ("Authorization", "X-Amz-Security-Token", "Signature=")


@dataclass(frozen=True)
class Canary:
    """Recognisable credentials: if any part shows up in an output, it leaked."""

    key_id: str
    secret: str
    token: str | None = None

    def needles(self) -> dict[str, str]:
        found = {"access key id": self.key_id, "secret": self.secret}
        # A truncated copy (messages are cut at 300 characters) is a leak too.
        found["secret (prefix)"] = self.secret[:16]
        if self.token:
            found["session token"] = self.token
            found["session token (prefix)"] = self.token[:16]
            found["session token (url-encoded)"] = urllib.parse.quote(self.token, safe="")
        return found


ENV_CANARY = Canary(
    "AKIACANARYENVX7Q3Z11",
    "CanaryEnvSecret/x7Q3+zz0000000000000001",
    "CanaryEnvSessionToken/x7Q3+Zz9KqW0000000000000000000000000000000000001==",
)
FILE_CANARY = Canary(
    "AKIACANARYFILEQ8W4P2",
    "CanaryFileSecret/q8W4+pp000000000000002",
    "CanaryFileSessionToken/q8W4+Pp2LmN000000000000000000000000000000000002==",
)


def leaks(outputs: Mapping[str, str], canaries: list[Canary]) -> list[str]:
    """Every (output, what) pair where a credential part or a signing marker appears."""
    needles: dict[str, str] = {}
    for c in canaries:
        needles.update({f"{what} {c.key_id[:12]}": value for what, value in c.needles().items()})
    needles.update({m: m for m in SIGNING_MARKERS})
    return [
        f"{name}: {what}"
        for name, text in outputs.items()
        for what, needle in needles.items()
        if needle in text
    ]


def outputs_of(proc: RunResult, directory: Path | None = None) -> dict[str, str]:
    """stdout, stderr and every file written under `directory`."""
    found = {"stdout": proc.stdout, "stderr": proc.stderr}
    if directory is not None and directory.exists():
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                found[str(path.relative_to(directory))] = path.read_text(encoding="utf-8", errors="replace")
    return found


# -- moto_server -------------------------------------------------------------------------------


_SERVERS = itertools.count(1)


class MotoServer:
    """moto_server on 127.0.0.1, started and stopped by its PID; its recorder writes every
    request it receives (method, URL, headers, body) to a file we can read back."""

    def __init__(self, workdir: Path, **env: str) -> None:
        self.recording = workdir / f"moto-recording-{next(_SERVERS)}.jsonl"
        server_env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
        server_env.update(MOTO_RECORDER_FILEPATH=str(self.recording), **env)
        self.proc, self.port = start_moto(server_env)
        self.url = f"http://127.0.0.1:{self.port}"

    def _post(self, path: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}{path}", method="POST")).close()

    def reset(self) -> None:
        self._post("/moto-api/reset")

    def start_recording(self) -> None:
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")

    def stop_recording(self) -> list[Request]:
        self._post("/moto-api/recorder/stop-recording")
        with urllib.request.urlopen(f"{self.url}/moto-api/recorder/download-recording") as resp:
            text = resp.read().decode("utf-8")
        return [Request.from_entry(json.loads(line)) for line in text.splitlines() if line.strip()]

    def session(self, region: str = "us-east-1") -> boto3.Session:
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)

    def stop(self) -> None:
        stop_process(self.proc)


@contextlib.contextmanager
def moto_server(workdir: Path, **env: str) -> Iterator[MotoServer]:
    server = MotoServer(workdir, **env)
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Request:
    """One request as moto_server recorded it, with the operation it names when the protocol
    says so in the request (query Action, JSON X-Amz-Target, RPC v2 path); REST protocols (S3,
    Lambda, EFS) name it only through method and path."""

    method: str
    path: str
    service: str  # the signing name from the Authorization header's credential scope
    operation: str | None
    headers: dict[str, str]

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Request:
        headers = {str(k): str(v) for k, v in (entry.get("headers") or {}).items()}
        lower = {k.lower(): v for k, v in headers.items()}
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", errors="replace")
        url = urllib.parse.urlsplit(entry["url"])
        operation = None
        if "x-amz-target" in lower:
            operation = lower["x-amz-target"].rsplit(".", 1)[-1]
        elif "/operation/" in url.path:
            operation = url.path.rsplit("/", 1)[-1]
        else:
            form = urllib.parse.parse_qs(body) if isinstance(body, str) else {}
            query = urllib.parse.parse_qs(url.query)
            action = (form.get("Action") or query.get("Action") or [None])[0]
            operation = action
        scope = re.search(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/", lower.get("authorization", ""))
        return cls(
            method=str(entry.get("method")),
            path=url.path,
            service=scope.group(1) if scope else "",
            operation=operation,
            headers=headers,
        )


# -- the CLI -----------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a CLI run: no AWS variable, proxy or profile of the machine's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and "PROXY" not in k.upper()}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        NO_PROXY="127.0.0.1,localhost",
        NO_COLOR="1",
    )
    env.update(extra)
    return env


@dataclass
class RunResult:
    returncode: int
    stdout: str
    stderr: str


# The CLI with the wire hooks of wire_hooks.py installed first (they only observe).
_HOOKED = (
    "import sys; sys.path.insert(0, {here!r}); import wire_hooks; wire_hooks.install(); "
    "from scanner.cli import main; sys.exit(main())"
)


def run_cli(
    *args: str,
    env: dict[str, str],
    cwd: Path | None = None,
    tty_stderr: bool = False,
    hooked: bool = False,
    timeout: int = 300,
) -> RunResult:
    """`opscheck ARGS` as a subprocess. With `tty_stderr` its stderr is a pseudo-terminal, as
    when a person runs it, so the progress line is drawn; with `hooked` it runs through
    wire_hooks (OPSCHECK_TEST_WIRE_LOG / OPSCHECK_TEST_CAPTURE in `env` say where to write)."""
    argv = (
        [sys.executable, "-c", _HOOKED.format(here=str(HERE)), *args]
        if hooked
        else [str(BIN / "opscheck"), *args]
    )
    if not tty_stderr:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
        return RunResult(proc.returncode, proc.stdout, proc.stderr)
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # a full terminal buffer would block the progress line, and the scan
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=slave, text=True, env=env, cwd=cwd, timeout=timeout
        )
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    return RunResult(proc.returncode, proc.stdout, b"".join(chunks).decode("utf-8", errors="replace"))


# -- normalising reports -----------------------------------------------------------------------

VOLATILE = "scan.id, scan.started_at, scan.finished_at, scan.stats.duration_s"


def normalised_document(text: str) -> str:
    """The results document without what differs between two runs by design."""
    doc = json.loads(text)
    for key in ("id", "started_at", "finished_at"):
        doc["scan"].pop(key, None)
    doc["scan"]["stats"].pop("duration_s", None)
    return json.dumps(doc, indent=1, sort_keys=False)


def normalised_sarif(text: str) -> str:
    """SARIF without the invocation's start and end times (the scan's timestamps)."""
    log = json.loads(text)
    for run in log["runs"]:
        for inv in run.get("invocations", []):
            inv.pop("startTimeUtc", None)
            inv.pop("endTimeUtc", None)
    return json.dumps(log, indent=1)


def normalised_html(text: str, document: str) -> str:
    """The HTML report with the embedded document's block, digest and sizes, and the scan id,
    start, end and duration as displayed, replaced by placeholders (`document` is the JSON document of
    the same run: the embedded copy is compared through it)."""
    from reports import html, html_model

    doc = json.loads(document)
    scan = doc["scan"]
    text = html._BLOCK.sub("<script embedded-document>", text)
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    text = text.replace(digest, "DIGEST").replace(digest[:16], "DIGEST")  # shown whole and shortened
    # Ids and timestamps cannot be mistaken for other text; a duration ("2.1 s") could, so it
    # is replaced only as a whole element's text.
    for value, placeholder in (
        (scan["id"], "SCAN-ID"),
        (html_model.timestamp(scan["started_at"]), "TIMESTAMP"),
        (html_model.timestamp(scan["finished_at"]), "TIMESTAMP"),
    ):
        text = text.replace(value, placeholder)
    shown = html_model.duration(scan["stats"]["duration_s"])
    text = re.sub(rf"(?<=>){re.escape(shown)}(?=<)", "DURATION", text)
    # The embedded document's sizes follow from its id, timestamps and duration.
    return re.sub(r"\(\d[\d,]* bytes, gzip-compressed and base64-encoded: \d[\d,]* bytes\)", "(SIZES)", text)


def first_difference(a: str, b: str) -> str:
    """Where two normalised texts part, for an assertion message."""
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False)):
        if x != y:
            return f"line {n + 1}:\n  {x[:300]}\n  {y[:300]}"
    return f"lengths differ: {len(a)} vs {len(b)}"
