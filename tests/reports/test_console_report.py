"""The console table: colour only on a terminal, no control sequences from the scanned world."""

import io

from reports import console
from reports.json import result_to_dict
from scanner.model import Location, ResourceRef, Result, ScanError, Severity, Status
from scanner.results import ScanOutcome


class Tty(io.StringIO):
    def isatty(self):
        return True


def _outcome(results, errors=()):
    return ScanOutcome(
        mode="aws",
        targets=[{"kind": "aws-account", "account_id": "123456789012", "regions": ["us-east-1"]}],
        rules=[],
        results=list(results),
        errors=list(errors),
        resources=3,
        started_at="2026-01-01T00:00:00Z",
        finished_at="2026-01-01T00:00:01Z",
        duration_s=1.0,
        api_calls={"sts:GetCallerIdentity": 1},
    )


def _result(status=Status.FAIL, name="bucket-a", message="Bucket bucket-a is not covered.", **kw):
    return Result(
        rule_id="DE001",
        status=status,
        severity=Severity.MEDIUM,
        message=message,
        resource=ResourceRef("AWS::S3::Bucket", f"arn:aws:s3:::{name}", name),
        **kw,
    )


def test_plain_output_lists_fails_and_unknowns_not_passes():
    out = io.StringIO()
    console.render(
        _outcome(
            [
                _result(),
                _result(Status.PASS, "ok-bucket", "fine."),
                _result(Status.UNKNOWN, "dark", "cannot tell."),
            ]
        ),
        out,
        width=120,
    )
    text = out.getvalue()
    assert "\x1b[" not in text
    assert "bucket-a" in text and "dark" in text and "ok-bucket" not in text
    assert "1 fail (1 medium), 1 unknown, 1 pass, 0 suppressed, 0 scan errors" in text


def test_verbose_lists_passes():
    out = io.StringIO()
    console.render(_outcome([_result(Status.PASS, "ok-bucket", "fine.")]), out, verbose=True, width=120)
    assert "ok-bucket" in out.getvalue()


def test_colour_on_a_terminal_unless_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = Tty()
    console.render(_outcome([_result()]), tty, width=120)
    assert "\x1b[31m" in tty.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    tty = Tty()
    console.render(_outcome([_result()]), tty, width=120)
    assert "\x1b[" not in tty.getvalue()


def test_scanned_world_strings_cannot_inject_terminal_sequences(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    evil = "evil\x1b]0;pwned\x07\x1b[2J"
    tty = Tty()
    error = ScanError(kind="api", message=f"lambda:ListFunctions failed: {evil}")
    console.render(_outcome([_result(name=evil, message=f"Bucket {evil} is bad.")], [error]), tty, width=200)
    text = tty.getvalue()
    assert "\x07" not in text and "\x1b]" not in text and "\x1b[2J" not in text
    assert "\\x1b]0;pwned\\x07" in text


def test_location_and_region_in_resource_column():
    r = _result(location=Location("infra/main.tf", 12, 30))
    assert console.resource_label(result_to_dict(r)).endswith("infra/main.tf:12")


def test_long_messages_wrap_within_the_width():
    out = io.StringIO()
    console.render(_outcome([_result(message="word " * 60)]), out, width=100)
    table = out.getvalue().split("\n\n")[1]
    assert max(len(line) for line in table.splitlines()) <= 100
