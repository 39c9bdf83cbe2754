"""Observers installed in a CLI subprocess before opscheck starts (see canary.run_cli).

Registered through botocore's built-in handler list, so every botocore session the process
creates has them, whoever creates it (opscheck's sessions, assumed-role sessions, credential
providers): what they see is everything botocore sends, not only what opscheck's guard counts.
They observe and never answer, change or stop a request.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

_lock = threading.Lock()


def _append(path: str, line: str) -> None:
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def install() -> None:
    from botocore import handlers

    wire_log = os.environ.get("OPSCHECK_TEST_WIRE_LOG")
    capture = os.environ.get("OPSCHECK_TEST_CAPTURE")
    if wire_log:

        def sent(event_name: str, request: Any, **_: Any) -> None:
            # before-send.<service id>.<Operation>: emitted once per attempt, right before
            # the HTTP request leaves (after every before-call handler had its chance to answer).
            _, service_id, operation = event_name.split(".", 2)
            _append(wire_log, json.dumps({"service_id": service_id, "operation": operation}))

        handlers.BUILTIN_HANDLERS.append(("before-send", sent))
    if capture:

        def assumed(parsed: dict[str, Any], **_: Any) -> None:
            # The credentials moto issued for the assumed role: the test looks for them in
            # every output. This file is the test's own, never an opscheck output.
            creds = parsed.get("Credentials") or {}
            _append(
                capture,
                json.dumps(
                    {
                        "key_id": creds.get("AccessKeyId"),
                        "secret": creds.get("SecretAccessKey"),
                        "token": creds.get("SessionToken"),
                    }
                ),
            )

        handlers.BUILTIN_HANDLERS.append(("after-call.sts.AssumeRole", assumed))
