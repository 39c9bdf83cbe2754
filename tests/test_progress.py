"""The progress of a live scan: its counters agree with the scan's own figures, the line is
drawn and erased on a terminal only, and --verbose logs each API error once, on one line,
without terminal control sequences."""

from __future__ import annotations

import io
import re

from scanner.cli import main
from scanner.model import ScanError
from scanner.progress import Progress, ProgressLine
from scanner.scan import LiveSettings, scan_aws
from scanner.sources.aws.session import AwsOptions
from tests.testkit import inject_error, rules, trail

REGIONS = ["us-east-1", "eu-west-1"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_counters_agree_with_the_scan(aws):
    trail(aws, "audit")
    progress = Progress()
    out = scan_aws(
        AwsOptions(session=aws, regions=REGIONS),
        rules("CT001", "CT002"),
        settings=LiveSettings(progress=progress),
    )
    assert progress.calls == sum(out.api_calls.values())
    assert progress.tasks_total == progress.tasks_done > 0
    assert progress.regions == 2 and progress.errors == 0
    text = progress.line(3.2)
    assert (
        text
        == f"scanning: regions 2 · tasks {progress.tasks_done}/{progress.tasks_total} · API calls {progress.calls} · errors 0 · 3 s"
    )


def test_verbose_logs_each_api_error_once_with_where_it_happened(aws):
    trail(aws, "audit")
    inject_error(
        aws,
        "DescribeTrails",
        "AccessDeniedException",
        message="User: arn:aws:iam::123456789012:user/x\x1b[31m is not authorized",
    )
    log = io.StringIO()
    progress = Progress(log=log)
    out = scan_aws(
        AwsOptions(session=aws, regions=REGIONS),
        rules("CT001", "CT002"),
        settings=LiveSettings(progress=progress),
    )
    lines = log.getvalue().splitlines()
    assert sorted(lines) == sorted(
        f"opscheck: api error (account 123456789012): cloudtrail:DescribeTrails in {region} access denied "
        "(AccessDeniedException): User: arn:aws:iam::123456789012:user/x?[31m is not authorized"
        for region in REGIONS
    ), lines
    assert progress.errors == len([e for e in out.errors if e.kind == "api"])
    # The same error again (another rule's read of the same call) is not logged twice.
    again = ScanError(
        kind="api",
        message="m",
        account_id="123456789012",
        region="us-east-1",
        service="cloudtrail",
        operation="DescribeTrails",
        code="AccessDeniedException",
    )
    progress.error(again)
    assert len(log.getvalue().splitlines()) == 2


def test_the_line_is_drawn_in_place_and_erased():
    progress = Progress()
    progress.accounts(3)
    progress.account_done()
    terminal = Terminal()
    with ProgressLine(progress, terminal, interval=60) as line:
        line.draw()
    drawn = terminal.getvalue()
    assert drawn.startswith(
        "\r\x1b[2Kscanning: accounts 1/3 · regions 0 · tasks 0/0 · API calls 0 · errors 0 · "
    )
    assert drawn.endswith("\r\x1b[2K")  # erased: the report starts on a clean line


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(aws, capsys):
    trail(aws, "audit")
    code = main(
        ["scan", "--aws", "--region", "us-east-1", "--rules", "CT002", "--format", "json"], out=io.StringIO()
    )
    assert code in (0, 1)
    assert "scanning:" not in capsys.readouterr().err


def test_a_terminal_gets_the_line_and_no_progress_turns_it_off(aws, monkeypatch):
    import scanner.cli as cli

    trail(aws, "audit")
    terminal = Terminal()
    monkeypatch.setattr(cli.sys, "stderr", terminal)
    args = ["scan", "--aws", "--region", "us-east-1", "--rules", "CT002", "--format", "json"]
    main(args, out=io.StringIO())
    assert re.search(r"\r\x1b\[2K$", terminal.getvalue())  # drawn (maybe only erased on a fast scan)
    terminal.seek(0)
    terminal.truncate()
    main([*args, "--no-progress"], out=io.StringIO())
    assert terminal.getvalue() == ""
