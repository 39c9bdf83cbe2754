"""Metric series as rules read them: the look-back window and the summary of one series
(maximum, nearest-rank p95, mean, days with data), computed locally from the datapoints the
live source fetched. Pure: no AWS call here."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricWindow:
    """The look-back: `lookback_days` up to `end` (default: now), whole hours in UTC, and
    the periods asked for: `period_seconds` for utilisation (hourly), `peak_period_seconds`
    where a one-minute burst matters (IOPS, invocations per instance)."""

    lookback_days: int = 14
    end: dt.datetime | None = None
    period_seconds: int = 3600
    peak_period_seconds: int = 60

    def at(self, end: dt.datetime) -> MetricWindow:
        """The same window ending at `end` (one window for every region of a scan)."""
        return MetricWindow(self.lookback_days, end, self.period_seconds, self.peak_period_seconds)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        end = self.end or dt.datetime.now(dt.UTC)
        if end.tzinfo is None:
            end = end.replace(tzinfo=dt.UTC)
        # Aligned with the hour: CloudWatch answers aligned windows faster, and hourly
        # buckets then cover whole hours.
        end = end.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        return end - dt.timedelta(days=self.lookback_days), end


DEFAULT_WINDOW = MetricWindow()


@dataclass(frozen=True)
class MetricSummary:
    """One series over the look-back, summarised locally from the returned datapoints."""

    points: int
    maximum: float | None
    p95: float | None  # nearest rank
    mean: float | None
    days_with_data: int  # distinct UTC dates with at least one datapoint
    first: str | None  # ISO-8601 UTC timestamps of the first and last datapoints
    last: str | None
    period: int  # seconds per datapoint
    lookback_days: int

    @property
    def no_data_reason(self) -> str:
        return f"no datapoints in the last {self.lookback_days} days"


def summarise(points: Iterable[tuple[dt.datetime, float]], period: int, lookback_days: int) -> MetricSummary:
    ordered = sorted(points)
    if not ordered:
        return MetricSummary(0, None, None, None, 0, None, None, period, lookback_days)
    values = sorted(v for _, v in ordered)
    rank = math.ceil(0.95 * len(values))  # nearest-rank: the smallest value >= 95% of them
    return MetricSummary(
        points=len(values),
        maximum=values[-1],
        p95=values[rank - 1],
        mean=sum(values) / len(values),
        days_with_data=len({t.date() for t, _ in ordered}),
        first=_iso(ordered[0][0]),
        last=_iso(ordered[-1][0]),
        period=period,
        lookback_days=lookback_days,
    )


def _iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")
