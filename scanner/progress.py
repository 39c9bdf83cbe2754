"""Progress of a live scan on stderr: accounts, regions and collection tasks done, API calls
and errors so far, on one line redrawn in place. Shown only on a terminal (never in a log or
a pipe) and not with --no-progress. With --verbose each API error is also logged once, with
its account, region and call, as it happens.

Sources report into a `Progress`; `ProgressLine` draws it. Messages carry what AWS said and
where; no credential, token or policy document is ever part of a ScanError.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TextIO

from scanner.model import ScanError


class Progress:
    """Thread-safe counters a live scan updates. The base class is what a scan without a
    display uses: it counts and says nothing."""

    def __init__(self, log: TextIO | None = None) -> None:
        self._lock = threading.Lock()
        self.accounts_total = 0
        self.accounts_done = 0
        self.regions = 0
        self.tasks_total = 0
        self.tasks_done = 0
        self.errors = 0
        self._call_counters: list[Callable[[], int]] = []
        self._log = log  # --verbose: API errors, once each
        self._logged: set[tuple[str | None, ...]] = set()

    def accounts(self, total: int) -> None:
        with self._lock:
            self.accounts_total = total

    def account_done(self) -> None:
        with self._lock:
            self.accounts_done += 1

    def add_regions(self, n: int) -> None:
        with self._lock:
            self.regions += n

    def count_calls(self, counter: Callable[[], int]) -> None:
        """A live total of API calls (an account's guard) to add up when drawing."""
        with self._lock:
            self._call_counters.append(counter)

    def task_added(self) -> None:
        with self._lock:
            self.tasks_total += 1

    def task_done(self) -> None:
        with self._lock:
            self.tasks_done += 1

    def error(self, error: ScanError) -> None:
        with self._lock:
            self.errors += 1
            if self._log is None or error.kind != "api":
                return
            key = (error.account_id, error.region, error.service, error.operation, error.code)
            if key in self._logged:
                return
            self._logged.add(key)
        # The message already names the call, region and code; the account is added.
        account = f" (account {error.account_id})" if error.account_id else ""
        erase = "\r\x1b[2K" if self._log.isatty() else ""  # the progress line shares the terminal
        self._log.write(f"{erase}opscheck: api error{account}: {_one_line(error.message)}\n")
        self._log.flush()

    @property
    def calls(self) -> int:
        with self._lock:
            counters = list(self._call_counters)
        return sum(c() for c in counters)

    def line(self, elapsed: float) -> str:
        with self._lock:
            accounts = (
                f"accounts {self.accounts_done}/{self.accounts_total} · " if self.accounts_total > 1 else ""
            )
            tasks = f"tasks {self.tasks_done:,}/{self.tasks_total:,}"
            regions, errors = self.regions, self.errors
        return (
            f"scanning: {accounts}regions {regions} · {tasks} · API calls {self.calls:,} · "
            f"errors {errors} · {elapsed:.0f} s"
        )


class ProgressLine:
    """Redraws `progress.line()` on a terminal a few times a second, and erases it at the end
    so that the report starts on a clean line."""

    def __init__(self, progress: Progress, stream: TextIO, interval: float = 0.25) -> None:
        self.progress = progress
        self.stream = stream
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="opscheck-progress", daemon=True)
        self._started = time.monotonic()

    def __enter__(self) -> ProgressLine:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.draw()

    def draw(self) -> None:
        text = self.progress.line(time.monotonic() - self._started)
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _one_line(text: str) -> str:
    """One line, no terminal control sequences (the message comes from the scanned world)."""
    return _CONTROL.sub("?", " ".join(text.split()))
