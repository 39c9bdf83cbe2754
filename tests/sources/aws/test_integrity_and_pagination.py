"""Answers botocore accepts without a word (a body cut short, JSON that is not JSON) fail the
call; a listing that never ends is stopped at the page bound. The same faults, injected on
the wire by a proxy in front of moto_server, are in tests/reliability/test_live_faults.py."""

from __future__ import annotations

import json

import botocore.parsers
import botocore.retries.standard
import botocore.session
import pytest

from scanner.sources.aws import pagination
from scanner.sources.aws.errors import to_scan_error
from scanner.sources.aws.integrity import IncompleteResponse, MalformedResponse, check_response

MODELS = botocore.session.get_session()


def _op(service: str, name: str):
    return MODELS.get_service_model(service).operation_model(name)


def _response(body: bytes, length: int | None = None, **headers: str) -> dict:
    given = {"content-length": str(len(body) if length is None else length), **headers}
    return {"status_code": 200, "headers": given, "body": body}


def test_a_body_cut_short_fails_the_call():
    body = json.dumps({"trailList": [{"Name": "main"}]}).encode()
    with pytest.raises(IncompleteResponse, match=r"cut short: 10 of \d+ bytes"):
        check_response(_response(body[:10], length=len(body)), _op("cloudtrail", "DescribeTrails"))
    failure = to_scan_error(
        IncompleteResponse(received=10, expected=40),
        service="cloudtrail",
        operation="DescribeTrails",
        region="us-east-1",
        account_id="123456789012",
    )
    assert failure.error.code == "IncompleteResponse"
    assert "cloudtrail:DescribeTrails in us-east-1 failed" in failure.error.message


@pytest.mark.parametrize(("service", "name"), [("cloudtrail", "DescribeTrails"), ("lambda", "ListFunctions")])
def test_json_that_is_not_json_fails_the_call(service, name):
    # botocore would parse it as {"message": ...}: a listing without its list.
    with pytest.raises(MalformedResponse, match="not valid JSON"):
        check_response(_response(b'{"trailList": [<{!"'), _op(service, name))


def test_whole_and_well_formed_answers_pass():
    check_response(_response(b'{"trailList": []}'), _op("cloudtrail", "DescribeTrails"))
    check_response(
        _response(b""), _op("cloudtrail", "DescribeTrails")
    )  # an empty body is not JSON's to judge
    xml = b"<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>"
    check_response(_response(xml), _op("ec2", "DescribeInstances"))  # botocore's XML parser raises itself
    # Compressed bodies are measured before decoding: not compared.
    check_response(
        _response(b"xx", length=99, **{"content-encoding": "gzip"}), _op("ec2", "DescribeInstances")
    )
    # HEAD answers announce the length of a body they do not carry.
    check_response(_response(b"", length=70_000), _op("s3", "HeadBucket"))


def test_pages_beyond_the_bound_fail():
    assert list(pagination.bounded(iter(range(3)), limit=3)) == [0, 1, 2]
    with pytest.raises(pagination.EndlessPagination, match="did not end after 3 pages"):
        list(pagination.bounded(iter(range(10)), limit=3))


def test_the_bound_is_read_when_the_listing_starts(monkeypatch):
    monkeypatch.setattr(pagination, "MAX_PAGES", 2)
    with pytest.raises(pagination.EndlessPagination, match="after 2 pages"):
        list(pagination.bounded(iter(range(5))))


@pytest.mark.parametrize(
    ("service", "name", "code"),
    [
        ("cloudtrail", "DescribeTrails", "ThrottlingException"),
        ("lambda", "ListFunctions", "TooManyRequestsException"),
        ("iam", "ListRoles", "Throttling"),
        ("ec2", "DescribeInstances", "RequestLimitExceeded"),
        ("s3", "ListBuckets", "SlowDown"),
    ],
)
def test_a_429_without_a_body_reads_as_throttling(service, name, code):
    """botocore retries throttling by error code; a bare 429 has none until it is given one."""
    op = _op(service, name)
    response = {"status_code": 429, "headers": {"content-length": "0"}, "body": b""}
    check_response(response, op)
    parser = botocore.parsers.create_parser(op.service_model.resolved_protocol)
    parsed = parser.parse({**response, "headers": {}}, op.output_shape)
    assert parsed["Error"]["Code"] == code
    assert code in botocore.retries.standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
