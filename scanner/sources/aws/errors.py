"""Turning AWS failures into scan errors that say what could not be read and why."""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from scanner.model import ScanError

ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
    }
)
REGION_UNAVAILABLE = frozenset({"OptInRequired", "UnsupportedOperation"})
# Credentials rejected: in a region that is not enabled for the account, AWS answers the
# same way as for bad credentials, so the message names both causes.
CREDENTIALS_REJECTED = frozenset(
    {
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "PriorRequestNotComplete",
    }
)
NOT_FOUND_SUFFIXES = ("NotFoundException", "NotFound", "NoSuchEntity")


class ApiFailure(Exception):
    """An AWS call failed; carries the scan error that describes it."""

    def __init__(self, error: ScanError, code: str | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.code = code

    @property
    def not_found(self) -> bool:
        return bool(self.code) and self.code.endswith(NOT_FOUND_SUFFIXES)  # type: ignore[union-attr]


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "") or None
    return None


def classify(code: str | None, exc: BaseException) -> str:
    """A short category used in messages."""
    if code in ACCESS_DENIED:
        return "access denied"
    if code in REGION_UNAVAILABLE:
        return "region not enabled or service unavailable for this account"
    if code in CREDENTIALS_REJECTED:
        return "credentials rejected (expired or invalid, or the region is not enabled)"
    if code in THROTTLED:
        return "throttled beyond the retry budget"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "timed out"
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return "could not connect"
    if isinstance(exc, NoCredentialsError):
        return "no credentials"
    return "failed"


def to_scan_error(
    exc: BaseException,
    *,
    service: str,
    operation: str,
    region: str | None,
    account_id: str | None,
    subject: str | None = None,
) -> ApiFailure:
    code = error_code(exc)
    if code is None and isinstance(exc, BotoCoreError):
        code = type(exc).__name__
    category = classify(code, exc)
    detail = _detail(exc)
    what = f" for {subject}" if subject else ""
    where = f" in {region}" if region else ""
    message = f"{service}:{operation}{what}{where} {category}"
    if code and code not in message:
        message += f" ({code})"
    if detail:
        message += f": {detail}"
    error = ScanError(
        kind="api",
        message=message,
        account_id=account_id,
        region=region,
        service=service,
        operation=operation,
        code=code,
    )
    return ApiFailure(error, code)


# Signature errors can echo what was signed: AWS's "The Canonical String for this request
# should have been ..." carries the x-amz-security-token header's value, and an echoed
# Authorization header or a presigned URL carries the access key id and the signature. A
# message is cut where such material starts; nothing after it helps a reader.
_SIGNING_MATERIAL = re.compile(
    r"canonical ?(string|request)|string-?to-?sign|authorization\s*[=:]|x-amz-security-token"
    r"|(credential|signature|awsaccesskeyid)\s*=",
    re.IGNORECASE,
)
# An access key id (long-term AKIA..., temporary ASIA...) anywhere else in a message.
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{12,124}(?![A-Z0-9])")


def _detail(exc: BaseException) -> str:
    # Only the error's Message: S3 puts AWSAccessKeyId, StringToSign and CanonicalRequest
    # beside it in the same Error element, never to be shown.
    if isinstance(exc, ClientError):
        text = str(exc.response.get("Error", {}).get("Message") or "")
    else:
        text = str(exc)
    text = " ".join(text.split())
    signing = _SIGNING_MATERIAL.search(text)
    if signing:
        text = text[: signing.start()].rstrip(" ,;:'\"(") + " [signing details removed]"
    text = _ACCESS_KEY_ID.sub("[access key id]", text)
    return text[:300]
