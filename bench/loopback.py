"""moto_server on 127.0.0.1 and a relaying proxy in front of it, shared by the benches
(org_scan.py adds latency) and the reliability tests (tests/reliability/faultproxy.py
injects faults).

Loopback only: moto_server and the proxy listen on 127.0.0.1 and the proxy forwards to
127.0.0.1 and nowhere else. Fake credentials; the caller's AWS configuration is ignored.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
HOME = "us-east-1"
# SigV4: Credential=<access key>/<date>/<region>/<service>/aws4_request
CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
)

# moto_server does not implement EC2's GetAllowedImagesSettings (IMG001); the proxy answers it
# as AWS answers an account that never turned Allowed AMIs on, as `opscheck demo` does.
ALLOWED_AMIS_ACTION = b"Action=GetAllowedImagesSettings"
ALLOWED_AMIS_DISABLED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<GetAllowedImagesSettingsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
    b"<requestId>opscheck-bench</requestId><state>disabled</state></GetAllowedImagesSettingsResponse>"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Moto:
    port: int
    pid: int

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the moto_server process (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # fields[0] is the state (field 3 of stat); utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        """Forget every account's resources (moto's own reset endpoint)."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=30).close()


def start_moto(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """Start moto_server on 127.0.0.1 and wait until it answers; the caller stops it
    (`stop`). Raises RuntimeError (the process stopped) when it does not start in 30 s."""
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", LOOPBACK, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://{LOOPBACK}:{port}/moto-api/", timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(proc)
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process by its own PID: terminate, then kill after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def moto_server(env: dict[str, str]) -> Iterator[Moto]:
    """A moto_server process on 127.0.0.1, stopped by its own PID."""
    proc, port = start_moto(env)
    try:
        yield Moto(port, proc.pid)
    finally:
        stop(proc)


@contextmanager
def serving(server: ThreadingHTTPServer, name: str) -> Iterator[None]:
    """Run `server` on a thread for the block; shut it down and close it after."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def environment(home: str = HOME) -> dict[str, str]:
    """The caller's AWS setup (profile, endpoint, credentials, config files) and proxy
    settings reach neither the emulator nor the scan."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=home,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        NO_PROXY=f"{LOOPBACK},localhost",
        no_proxy=f"{LOOPBACK},localhost",
    )
    return env


@dataclass
class Upstream:
    """moto_server's answer to one relayed request."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    data: bytes


class Relay(BaseHTTPRequestHandler):
    """Reads a request whole, hands it to `handle_request`; by default relays it to the
    server's `upstream_port` on 127.0.0.1 and writes the answer back."""

    # HTTP/1.1 so botocore keeps its connections open, as it does with AWS: every answer
    # carries a Content-Length.
    protocol_version = "HTTP/1.1"
    # Status line, headers and body leave in one write, at once: written apart, with Nagle's
    # algorithm on, the body waits for the client's delayed ACK of the headers on a kept-alive
    # connection (up to 40 ms on Linux), a delay that would add itself to any injected one.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: Any  # a server with `upstream_port`

    def read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _dispatch(self) -> None:
        self.handle_request(self.read_body())

    def handle_request(self, body: bytes | None) -> None:
        answer = self.forward(body)
        if answer is not None:
            self.reply(answer)

    def forward(self, body: bytes | None) -> Upstream | None:
        """The request as moto_server answers it; None (a 502 sent) when it cannot be reached."""
        if body and ALLOWED_AMIS_ACTION in body:
            return Upstream(200, "OK", [("Content-Type", "text/xml")], ALLOWED_AMIS_DISABLED)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        # A connection per request: on loopback it costs well under a millisecond, and a
        # shared one would serialise the threads relaying at once.
        upstream = http.client.HTTPConnection(LOOPBACK, self.server.upstream_port, timeout=120)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        except OSError as exc:
            self.upstream_failed(exc)
            self.send_error(502, f"moto_server: {exc}")
            return None
        finally:
            upstream.close()
        return Upstream(answer.status, answer.reason, answer.getheaders(), data)

    def upstream_failed(self, exc: OSError) -> None:
        """Called when moto_server could not be reached (before the 502 goes out)."""

    def reply(self, answer: Upstream, *, length: int | None = None) -> None:
        """Write `answer`; `length` overrides the Content-Length sent (a body cut short)."""
        self.send_response_only(answer.status, answer.reason)
        for name, value in answer.headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":  # no body, but the length a GET would have
            given = dict((k.lower(), v) for k, v in answer.headers).get("content-length")
            self.send_header("Content-Length", given or "0")
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(answer.data) if length is None else length))
        self.end_headers()
        self.wfile.write(answer.data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the servers keep their own tallies
        pass
