"""A bounded thread pool over collection tasks, where a task may schedule follow-ups.

Collectors fan out (regions, then per-resource reads in the resource's home region);
the pool never holds more than `max_workers` calls in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from scanner.progress import Progress


@dataclass(frozen=True)
class Task:
    label: str  # for error messages: "cloudtrail DescribeTrails us-east-1"
    fn: Callable[[], Iterable[Task] | None]
    # What goes unseen if the task crashes: (resource type, region or None for global).
    gap: tuple[str, str | None] | None = None


def run_tasks(
    tasks: Iterable[Task],
    max_workers: int,
    on_crash: Callable[[Task, BaseException], None],
    progress: Progress | None = None,
) -> None:
    """Run tasks and their follow-ups to completion. A crashing task is reported via
    `on_crash` and the others carry on."""
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="opscheck")
    pending: dict[Future, Task] = {}

    def submit(task: Task) -> None:
        pending[pool.submit(task.fn)] = task
        if progress is not None:
            progress.task_added()

    try:
        for task in tasks:
            submit(task)
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                if progress is not None:
                    progress.task_done()
                exc = future.exception()
                if exc is not None:
                    on_crash(task, exc)
                    continue
                for follow_up in future.result() or ():
                    submit(follow_up)
    except BaseException:  # Ctrl-C: drop what has not started instead of finishing it
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
