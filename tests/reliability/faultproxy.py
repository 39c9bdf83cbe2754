"""A loopback proxy in front of moto_server that injects AWS faults into a live scan.

Every request is relayed to moto_server (bench/loopback.py) unless a fault rule matching it
fires. A rule names a fault kind (`KINDS`), the operations it hits (`service:Operation`,
`*` for any part), optionally a region, and a rate: the share of matching requests that
fail, drawn from a seeded random generator so that a case replays the same way.

The proxy tells the operation and region from the request alone, as AWS does: the region
and signing name from the SigV4 credential scope, then, by the service's protocol (botocore's
model), the `X-Amz-Target` header (JSON), the `Action` form field (query, EC2), the
`/operation/` path (RPC v2 CBOR) or the HTTP method and URI template (REST: Lambda, S3, EFS).
Error answers are written in each protocol's own format (body, status, headers), so botocore
parses them exactly as it parses AWS's.

A pagination token that never ends is not a proxy fault: the token lives in a different
place in each protocol's request and response. `endless_pages` injects it with botocore
event hooks on the session instead (the parsed response is what the paginator reads).

Loopback only: the proxy listens on 127.0.0.1 and relays to moto_server on 127.0.0.1.
"""

from __future__ import annotations

import fnmatch
import json
import random
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import botocore.session

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from loopback import CREDENTIAL, LOOPBACK, Relay, Upstream, serving

# -- what a request is --------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    service: str  # botocore's service name (what the guard counts by)
    operation: str
    region: str
    protocol: str

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"


@cache
def _models() -> dict[str, list[Any]]:
    """Service models by signing name (elasticloadbalancing signs for elb and elbv2)."""
    loader = botocore.session.get_session()
    by_signing: dict[str, list[Any]] = {}
    for name in loader.get_available_services():
        model = loader.get_service_model(name)
        by_signing.setdefault(model.signing_name, []).append(model)
    return by_signing


@cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern[str], frozenset[str], int, str]]:
    """(method, path pattern, query keys required, literal length, operation) for a REST
    service, the most specific first."""
    model = botocore.session.get_session().get_service_model(service)
    routes = []
    for op in model.operation_names:
        http = model.operation_model(op).http
        path, _, query = http["requestUri"].partition("?")
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                pattern += ".+" if part.endswith("+}") else "[^/]+"
            else:
                pattern += re.escape(part)
        keys = frozenset(k.split("=")[0] for k in query.split("&") if k)
        literal = len(re.sub(r"\{[^}]+\}", "", path))
        routes.append((http["method"], re.compile(f"^{pattern}/?$"), keys, literal, op))
    routes.sort(key=lambda r: (-len(r[2]), -r[3]))
    return routes


def identify(method: str, path: str, headers: Any, body: bytes | None) -> Call | None:
    scope = CREDENTIAL.search(headers.get("Authorization", "") or "")
    if not scope:
        return None
    region, signing = scope.group(2), scope.group(3)
    form = urllib.parse.parse_qs((body or b"").decode("latin-1")) if body else {}
    # DocumentDB and Neptune sign as "rds", with RDS's API version and operation names: the
    # service named like its signing name first.
    candidates = sorted(_models().get(signing, []), key=lambda m: m.service_name != signing)
    for model in candidates:
        protocol = model.resolved_protocol  # what botocore speaks (CloudWatch: JSON, of three)
        operation = None
        if protocol == "json":
            target = headers.get("X-Amz-Target", "")
            operation = target.rsplit(".", 1)[-1] if target else None
        elif protocol in ("query", "ec2"):
            version = (form.get("Version") or [""])[0]
            if version and version != model.api_version:
                continue
            operation = (form.get("Action") or [None])[0]
        elif protocol == "smithy-rpc-v2-cbor":
            found = re.search(r"/operation/([A-Za-z0-9]+)$", path.split("?")[0])
            operation = found.group(1) if found else None
        else:  # rest-json, rest-xml
            parsed = urllib.parse.urlsplit(path)
            keys = set(urllib.parse.parse_qs(parsed.query, keep_blank_values=True))
            for verb, pattern, needed, _, op in _rest_routes(model.service_name):
                if verb == method and pattern.match(parsed.path) and needed <= keys:
                    operation = op
                    break
        if operation and operation in model.operation_names:
            return Call(model.service_name, operation, region, protocol)
    return None


# -- the faults ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One fault: an error answer (`code`, `status`) or a broken exchange (`action`)."""

    name: str
    code: str | None = None
    status: int = 400
    action: str | None = None  # reset | timeout | truncate | malform | empty-429
    retried: bool = False  # whether a correct client retries it (throttling, 5xx, resets)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("ThrottlingException", "ThrottlingException", 400, retried=True),
        Kind("TooManyRequestsException", "TooManyRequestsException", 429, retried=True),
        Kind("HTTP 429 without a body", None, 429, action="empty-429", retried=True),
        Kind("503 SlowDown", "SlowDown", 503, retried=True),
        Kind("500 InternalFailure", "InternalFailure", 500, retried=True),
        Kind("AccessDenied", "AccessDenied", 403),
        Kind("AccessDeniedException", "AccessDeniedException", 400),
        Kind("UnauthorizedOperation", "UnauthorizedOperation", 403),
        Kind("UnrecognizedClientException", "UnrecognizedClientException", 400),
        Kind("AuthFailure", "AuthFailure", 401),
        Kind("OptInRequired", "OptInRequired", 403),
        Kind("connection reset", action="reset", retried=True),
        Kind("read timeout", action="timeout", retried=True),
        Kind("truncated body", action="truncate"),
        Kind("malformed body", action="malform"),
    )
}


@dataclass
class Fault:
    kind: Kind
    target: str = "*:*"  # service:Operation, fnmatch patterns
    region: str | None = None
    rate: float = 1.0
    seed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def matches(self, call: Call) -> bool:
        return fnmatch.fnmatchcase(call.key, self.target) and self.region in (None, call.region)

    def fires(self) -> bool:
        return self.rate >= 1 or self._random.random() < self.rate


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 | len(data)]) + data
    if len(data) < 256:
        return bytes([0x78, len(data)]) + data
    return bytes([0x79]) + struct.pack(">H", len(data)) + data


def _cbor_map(items: dict[str, str]) -> bytes:
    """A CBOR map of text to text (RFC 8949), all an RPC v2 CBOR error body needs."""
    out = bytes([0xA0 | len(items)])
    for key, value in items.items():
        out += _cbor_text(key) + _cbor_text(value)
    return out


def error_answer(call: Call, code: str, status: int, message: str) -> Upstream:
    """An error as AWS writes it in the call's protocol."""
    request_id = "opscheck-fault-0000"
    headers = [("x-amzn-RequestId", request_id)]
    if call.protocol in ("json", "rest-json"):
        headers += [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        data = json.dumps({"__type": code, "message": message}).encode()
    elif call.protocol == "smithy-rpc-v2-cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        data = _cbor_map({"__type": code, "message": message})
    elif call.protocol == "ec2":
        headers += [("Content-Type", "text/xml")]
        data = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    elif call.protocol == "rest-xml":
        headers += [("Content-Type", "application/xml")]
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
    else:  # query
        headers += [("Content-Type", "text/xml")]
        data = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    return Upstream(status, "Injected", headers, data)


@dataclass
class Log:
    """What the proxy saw and did."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    relayed: int = 0
    unidentified: int = 0
    injected: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (kind, call key, region)
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (call key, region)
    strangers: list[str] = field(default_factory=list)  # the first requests not identified


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream_port: int, faults: list[Fault] | None = None, hold_s: float = 5.0) -> None:
        super().__init__((LOOPBACK, 0), _FaultRelay)
        self.upstream_port = upstream_port
        self.faults: list[Fault] = list(faults or [])
        self.hold_s = hold_s  # how long a "read timeout" answer is held back
        self.log = Log()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def set_faults(self, faults: list[Fault]) -> None:
        with self._lock:
            self.faults = list(faults)
            self.log = Log()

    def fault_for(self, call: Call | None) -> Kind | None:
        if call is None:
            return None
        with self._lock:
            for fault in self.faults:
                if fault.matches(call) and fault.fires():
                    return fault.kind
        return None


class _FaultRelay(Relay):
    server: FaultProxy

    def handle_request(self, body: bytes | None) -> None:
        call = identify(self.command, self.path, self.headers, body)
        log = self.server.log
        with log.lock:
            log.relayed += 1
            if call is None:
                log.unidentified += 1
                if len(log.strangers) < 20:
                    log.strangers.append(f"{self.command} {self.path} {self.headers.get('X-Amz-Target', '')}")
            else:
                log.calls[(call.key, call.region)] += 1
        kind = self.server.fault_for(call)
        if kind is None:
            super().handle_request(body)
            return
        assert call is not None
        with log.lock:
            log.injected[(kind.name, call.key, call.region)] += 1
        if kind.action == "reset":
            self._reset()
        elif kind.action == "timeout":
            time.sleep(self.server.hold_s)  # longer than the client waits: it gives up first
            self._reset()
        elif kind.action == "empty-429":
            self.reply(Upstream(429, "Too Many Requests", [], b""))
        elif kind.action in ("truncate", "malform"):
            answer = self.forward(body)
            if answer is None:
                return
            if kind.action == "truncate":
                # The full length announced, half the body sent, then the connection closed.
                full = len(answer.data)
                answer.data = answer.data[: full // 2]
                self.reply(answer, length=full)
                self.wfile.flush()
                self._reset()
            else:
                # The same length, the bytes mangled: not JSON, XML or CBOR any more.
                answer.data = _mangle(answer.data)
                self.reply(answer)
        else:
            assert kind.code is not None or kind.status
            message = f"injected by the opscheck fault proxy: {kind.name}"
            self.reply(error_answer(call, kind.code or str(kind.status), kind.status, message))

    def _reset(self) -> None:
        """Close with a TCP RST (SO_LINGER 0) rather than an orderly FIN."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _mangle(data: bytes) -> bytes:
    """Printable ASCII in the middle of the body: still text, no longer JSON, XML or CBOR
    (a decoding error would be caught for the wrong reason)."""
    if not data:
        return b"<{!"
    middle = len(data) // 2
    return data[:middle] + b'<{!"' + data[middle + 4 :]


@contextmanager
def fault_proxy(
    upstream_port: int, faults: list[Fault] | None = None, hold_s: float = 5.0
) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream_port, faults, hold_s)
    with serving(proxy, "fault-proxy"):
        yield proxy


# -- a pagination token that never ends (botocore hooks) ----------------------------------------


@dataclass
class EndlessPages:
    """Counts the pages it made endless."""

    pages: Counter[str] = field(default_factory=Counter)


def endless_pages(session: boto3.Session, target: str) -> EndlessPages:
    """Every answer of the operations matching `target` (`service:Operation`) says there is
    another page, with a token never seen before; every request for a next page is sent as a
    first-page request (moto would refuse a token it did not issue). botocore's own check
    (the same token twice) cannot catch it: only the scanner's page bound can."""
    seen = EndlessPages()
    core = session._session

    def paginator_config(model: Any) -> dict[str, Any] | None:
        service = model.service_model.service_name
        try:
            pages = core.get_paginator_model(service)
        except Exception:
            return None
        try:
            return pages.get_paginator(model.name)
        except ValueError:  # not a paginated operation
            return None

    def strip_token(params: dict[str, Any], model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_name}:{model.name}"
        config = paginator_config(model) if fnmatch.fnmatchcase(key, target) else None
        if config:
            for name in _as_list(config["input_token"]):
                params.pop(name, None)

    def add_token(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_name}:{model.name}"
        config = paginator_config(model) if fnmatch.fnmatchcase(key, target) else None
        if not config or "Error" in parsed:
            return
        seen.pages[key] += 1
        for name in _as_list(config["output_token"]):
            parsed[name.split(".")[-1]] = f"opscheck-endless-{seen.pages[key]}"
        if config.get("more_results"):
            parsed[config["more_results"]] = True

    session.events.register("before-parameter-build", strip_token)
    session.events.register("after-call", add_token)
    return seen


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
