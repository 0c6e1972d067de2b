"""The logs' monthly history (in --tz) and which months the logs cover in full.

A month is **full** unless the logs plainly stop short of it: `--since`/`--until` cut into it, or, without
them, the last month's logs end (the first month's start) more than a day earlier (later) in the month than
every other month's do. Sparse logs (one aggregated row a month) therefore count every month as full, dense
logs that end on the 27th drop their last month, and random gaps at month ends do not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import polars as pl

from aicost.costing import COST_COLUMNS, PROVIDER_OUT, PTS, PTS_MAX, RATE_COLUMNS, STATUS, total
from aicost.schema import TOKEN_CLASSES
from aicost.usage import zone

_P = "_aicost_"
# how much earlier than every other month the logs must stop (or later start) for a month to count as partial
_TOLERANCE_DAYS = 1.0
_JOINED = (f"{_P}rprovider", f"{_P}pprovider", f"{_P}rmodel", f"{_P}variants", STATUS, PROVIDER_OUT, "cost")


@dataclass(frozen=True)
class Month:
    """One calendar month of history (in --tz): priced volume and cost, and whether the logs cover it."""

    start: dt.date
    requests: int
    tokens: int
    cost: float
    first: dt.datetime | None
    last: dt.datetime | None
    full: bool = True
    note: str = ""

    @property
    def label(self) -> str:
        """2026-11."""
        return f"{self.start:%Y-%m}"


def add_months(day: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `day`'s."""
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(a: dt.date, b: dt.date) -> int:
    """Whole months from `a`'s month to `b`'s."""
    return (b.year - a.year) * 12 + b.month - a.month


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    """`day` 00:00 in `tz`, as a UTC instant."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone(tz)).astimezone(dt.UTC)


def history(
    cells: pl.DataFrame, tz: str, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[list[Month], list[str]]:
    """Monthly history from first to last month with usage (gaps as empty months), each marked full or not."""
    usable = cells.filter(pl.col(STATUS).is_in(["priced", "unpriced"]))
    undated = usable.filter(pl.col("month").is_null())["requests"].sum()
    notes = [f"{undated:,} requests without a timestamp are left out (no month to count them in)"] if undated else []
    usable = usable.filter(pl.col("month").is_not_null())
    if usable.height == 0:
        return [], notes
    priced = pl.col(STATUS) == "priced"
    tokens = pl.sum_horizontal(*(pl.col(c) for c in TOKEN_CLASSES))
    by_month = (
        usable.group_by("month")
        .agg(
            pl.col("requests").filter(priced).sum().alias("requests"),
            tokens.filter(priced).sum().alias("tokens"),
            pl.col("cost").filter(priced).alias("costs"),
            pl.col(PTS).min().alias("first"),
            pl.col(PTS_MAX).max().alias("last"),
        )
        .sort("month")
    )
    rows = {r["month"]: r for r in by_month.iter_rows(named=True)}
    first_month, last_month = min(rows), max(rows)
    months = []
    for i in range(months_between(first_month, last_month) + 1):
        start = add_months(first_month, i)
        r = rows.get(start)
        if r is None:
            months.append(Month(start, 0, 0, 0.0, None, None, note="no usage"))
            continue
        cost = total(pl.Series(r["costs"], dtype=pl.Float64))
        months.append(Month(start, int(r["requests"] or 0), int(r["tokens"] or 0), cost, r["first"], r["last"]))
    marked, partial = _mark_partial(months, tz, since, until)
    return marked, notes + partial


def _local_day(instant: dt.datetime | None, tz: str) -> dt.date | None:
    return None if instant is None else instant.astimezone(zone(tz)).date()


def _gaps(months: list[Month], tz: str) -> tuple[list[float | None], list[float | None]]:
    """Days from each month's start to its first call, and from its last call to its end."""
    day = dt.timedelta(days=1)
    head = [None if m.first is None else (m.first - local_midnight(m.start, tz)) / day for m in months]
    tail = [None if m.last is None else (local_midnight(add_months(m.start, 1), tz) - m.last) / day for m in months]
    return head, tail


def _short(gap: float | None, others: list[float | None]) -> bool:
    """A gap longer, by more than a day, than every other month's: the logs stop short of this month."""
    seen = [g for g in others if g is not None]
    return gap is not None and bool(seen) and gap > max(seen) + _TOLERANCE_DAYS


def _mark_partial(
    months: list[Month], tz: str, since: dt.datetime | None, until: dt.datetime | None
) -> tuple[list[Month], list[str]]:
    warnings: list[str] = []
    head, tail = _gaps(months, tz)
    first, last = months[0], months[-1]
    out = list(months)
    if until is not None:
        short = until < local_midnight(add_months(last.start, 1), tz)
        why = f"--until {until:%Y-%m-%d %H:%M} UTC ends before the month does"
    else:
        short = _short(tail[-1], tail[:-1])
        why = f"the logs end on {_local_day(last.last, tz)}, earlier in the month than in any other month"
    if short:
        out[-1] = dataclasses.replace(last, full=False, note=why)
    if since is not None:
        late = since > local_midnight(first.start, tz)
        why = f"--since {since:%Y-%m-%d %H:%M} UTC starts after the month does"
    else:
        late = _short(head[0], head[1:])
        why = f"the logs start on {_local_day(first.first, tz)}, later in the month than in any other month"
    if late:
        out[0] = dataclasses.replace(out[0], full=False, note=why)
    if len(out) == 1 and out[0].full and since is None and until is None:
        span = f"from {_local_day(first.first, tz)} to {_local_day(first.last, tz)}"
        warnings.append(
            f"the logs hold one month, {out[0].label}, {span}; it is taken as a full month "
            "(use --since/--until to say otherwise)"
        )
    return out, warnings


def template(cells: pl.DataFrame, month: dt.date) -> pl.DataFrame:
    """A month's priced cells without their prices, ready to be priced at another date."""
    base = cells.filter((pl.col(STATUS) == "priced") & (pl.col("month") == month))
    return base.drop([*_JOINED, *RATE_COLUMNS, *COST_COLUMNS], strict=False)
