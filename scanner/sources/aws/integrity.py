"""Answers botocore would otherwise accept in part or not at all, without a word.

Measured with the fault proxy (tests/reliability): botocore reads a non-streaming body with
urllib3's length check turned off, so a body cut short by a dropped connection is parsed as
whatever arrived; and its JSON parsers turn a body that is not JSON into `{"message": ...}`.
Either way a listing comes back without its list, which a scan would read as "there is
nothing": a trail missing, a region with no functions, confident and wrong.

`check_response` runs on `before-parse` of every client the scan creates and raises
`IncompleteResponse` or `MalformedResponse` instead: the call fails like any other, with a
scan error, and the rules that needed it answer unknown. botocore's retry loop does not see
an exception raised here, so these are not retried.

An HTTP 429 with no body (what a proxy or load balancer in front of an endpoint may send)
carries no error code, and botocore retries throttling by code: it would give up at once, or
fail to parse the empty XML. `check_response` gives such an answer the protocol's own
throttling error, so that it is retried like any other throttling.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError

JSON_PROTOCOLS = frozenset({"json", "rest-json"})


class IncompleteResponse(BotoCoreError):
    fmt = "the response body was cut short: {received} of {expected} bytes arrived"


class MalformedResponse(BotoCoreError):
    fmt = "the response body is not valid {what}: {detail}"


# A throttling error in each protocol's format, with a code botocore's retry logic knows.
_MESSAGE = "HTTP 429 Too Many Requests without an error body"
THROTTLED_BODY = {
    "json": b'{"__type": "ThrottlingException", "message": "' + _MESSAGE.encode() + b'"}',
    "rest-json": b'{"__type": "TooManyRequestsException", "message": "' + _MESSAGE.encode() + b'"}',
    "query": b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>"
    + _MESSAGE.encode()
    + b"</Message></Error></ErrorResponse>",
    "ec2": b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>"
    + _MESSAGE.encode()
    + b"</Message></Error></Errors></Response>",
    "rest-xml": b"<Error><Code>SlowDown</Code><Message>" + _MESSAGE.encode() + b"</Message></Error>",
}


def check_response(response_dict: dict[str, Any], operation_model: Any, **_: Any) -> None:
    body = response_dict.get("body")
    if not isinstance(body, bytes | bytearray) or operation_model.http.get("method") == "HEAD":
        return  # streaming bodies are checked by botocore; HEAD has none
    protocol = operation_model.service_model.resolved_protocol
    if response_dict.get("status_code") == 429 and not body.strip() and protocol in THROTTLED_BODY:
        response_dict["body"] = THROTTLED_BODY[protocol]
        return
    headers = response_dict.get("headers") or {}
    length = headers.get("content-length")
    if length and length.isdigit() and not headers.get("content-encoding") and int(length) != len(body):
        raise IncompleteResponse(received=len(body), expected=int(length))
    if protocol in JSON_PROTOCOLS and body.strip():
        try:
            json.loads(body)
        except ValueError as exc:
            raise MalformedResponse(what="JSON", detail=str(exc)[:120]) from exc


def install(events: Any) -> None:
    events.register("before-parse", check_response, unique_id="opscheck-response-integrity")
