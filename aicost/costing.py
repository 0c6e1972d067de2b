"""From canonical usage to priced cells: one scan of the logs, then arithmetic on a small frame.

Pricing depends on a call's (provider, model), service tier, the price epoch its timestamp falls in,
the set of time-of-day windows active at that moment, and which long-context tier its prompt is in.
Each of those is a small integer computed per row with elementwise expressions (`bin_intervals`
against the price book's boundaries, integer arithmetic on the epoch), so the log-sized work is a
single streaming group-by into *cells*: every call in a cell is priced identically. Everything that is
a function of a key (stripped text, tier names, window states, periods, model ids) is derived once per
cell, not per row. Rates are computed once per model-level key, in Python, on that small frame; costs
are integer token sums times rates. Performance notes and numbers: BENCHMARKS.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from aicost import progress, sqlscan
from aicost.ingest import FILE, NOTE, PREF, REJECT, ROW, SKIP
from aicost.ingest.canonical import missing_model
from aicost.ingest.ndjson import ident
from aicost.pricing import PriceBook, Resolution, rates_at
from aicost.pricing.model import RATE_KEYS, Model, Tiered
from aicost.pricing.tables import as_instant
from aicost.schema import (
    INTERNAL_PREFIX,
    PROMPT_CLASSES,
    REASONING,
    SERVICE_TIERS,
    TIMESTAMP_DTYPE,
    TOKEN_CLASSES,
    prompt_tokens,
)

P = INTERNAL_PREFIX
TIER, EPOCH, WSTATE, SIZE = f"{P}tier", f"{P}epoch", f"{P}wstate", f"{P}size"
CACHED = f"{P}cached"
PTS, AVG_PROMPT, ROWS, FIRST_BAD = f"{P}pts", f"{P}avg_prompt", f"{P}rows", f"{P}first_bad"
SEGMENT, DAY, HOUR = f"{P}segment", f"{P}day", f"{P}hour"
M_EPOCH, M_STATE, M_SIZE = f"{P}m_epoch", f"{P}m_state", f"{P}m_size"
# the cell's last call: with PTS (its first) it tells `forecast` which months the logs cover in full
PTS_MAX = f"{P}pts_max"
DUP, IN_RANGE, REPORTED_N = f"{P}dup", f"{P}in_range", f"{P}reported_n"
# rows with a request id: a scan without de-duplication (no ids in the sampled records) checks there are none
IDS = f"{P}ids"
# a request id repeated somewhere in the logs (candidates, by hash): its row's position, and the id
REPEAT_ROW, REPEAT_ID = f"{P}repeat_row", f"{P}repeat_id"
HAS_REPORTED, TS_MIN, TS_MAX = f"{P}has_reported", f"{P}ts_min", f"{P}ts_max"
STATUS, PROVIDER_OUT = f"{P}status", f"{P}provider_out"
PRICING_KEYS = (TIER, EPOCH, WSTATE, SIZE)
SUMS = (*TOKEN_CLASSES, REASONING, "requests")
COST_COLUMNS = tuple(f"cost_{c.removesuffix('_tokens')}" for c in TOKEN_CLASSES) + ("cost_requests",)
# rates per token (USD), and the per-request fee (USD)
RATE_COLUMNS = (
    "rate_input",
    "rate_cache_read",
    "rate_cache_write",
    "rate_cache_write_1h",
    "rate_output",
    "rate_reasoning",
    "rate_request",
)
PERIODS = {"hour": "1h", "day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
_ROW_BITS = 40  # first bad row encoded as file << 40 | row
_ID_HASH_SEED = 20261129  # any fixed seed: the pre-pass and the scan hash request ids in one process
_HOUR_US, _DAY_US = 3_600_000_000, 86_400_000_000
# rows per collect when a terminal shows scan progress: each collect's fixed cost stays noise
_PROGRESS_SLICE = 2_000_000
# the UTC day and second of the day of each row DuckDB groups (`_sql_groups`)
_DAY_OF, _SECOND_OF = f"{P}day_of", f"{P}second_of"
# rows whose models' price dates cut the cells (build_cells)
_SAMPLE_ROWS = 50_000


@dataclass(frozen=True)
class CellGrid:
    """How finely scenarios need cells cut, beyond what prices depend on (`scenarios.engine.cell_grid`).

    Scenarios work cell by cell: they order calls by cost per request (`pick`), raise cache hit rates, and
    price each cell on a target, so a cell must be homogeneous enough for each of those.
    """

    # prompt-size edges: targets' tier starts and context windows, and a geometric grid for the pick order
    size_edges: tuple[int, ...] = ()
    # shares of the prompt read from cache (eighths, and any other edge given): caching moves
    # a call's cost more than its size does, and a cache override to hit rate h is exact on cells cut at h
    cache_edges: tuple[float, ...] = ()
    # price dates and time-of-day windows of the targets, kept apart when cells are merged
    keep_dates: tuple[dt.datetime, ...] = ()
    keep_windows: bool = False


@dataclass(frozen=True)
class CellSpec:
    """What the cells are grouped by, beyond the pricing keys."""

    dims: tuple[str, ...] = ()
    tz: str = "UTC"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # scenarios' needs: extra prompt-size and cache-share edges, and what to keep apart when merging
    grid: CellGrid = CellGrid()
    dedup: bool = True
    # one cell per input file too (`aicost logs inspect`)
    by_file: bool = False
    # price tier calls that predate a table's tier rates at the earliest tier rates
    backdate_tiers: bool = False
    # merge priced cells across book-wide epochs and window states that neither their own model nor the
    # grid's targets price by: far fewer cells, which do not depend on dates of models the logs never use
    merge: bool = False


@dataclass
class Cells:
    """Usage grouped into cells that price alike, priced, with the resolution of every model id."""

    frame: pl.DataFrame
    resolutions: list[Resolution]
    size_edges: list[float]
    dims: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)


def period_expr(name: str, tz: str) -> pl.Expr:
    """The start of the call's period (local date or hour in `tz`)."""
    local = pl.col("timestamp").dt.convert_time_zone(tz)
    if name == "hour":
        return local.dt.truncate("1h").dt.replace_time_zone(None).alias(name)
    return local.dt.truncate(PERIODS[name]).dt.date().alias(name)


def _periods_from_utc(dims: Sequence[str], key: str) -> list[pl.Expr]:
    """Period columns on the cube from the integer UTC hour or day each cell was grouped by."""
    exprs = []
    hours = key == HOUR
    day = (pl.col(key).floordiv(24) if hours else pl.col(key)).cast(pl.Int32).cast(pl.Date)
    for name in dims:
        if name == "hour":
            exprs.append((pl.col(key) * _HOUR_US).cast(pl.Datetime("us")).alias(name))
        elif name == "day":
            exprs.append(day.alias(name))
        elif name in PERIODS:
            exprs.append(day.dt.truncate(PERIODS[name]).alias(name))
    return exprs


def day_bounds(book: PriceBook) -> list[int]:
    """Seconds of the (UTC) day at which some time-of-day window opens or closes, ascending, without 0."""
    return sorted({b % 86400 for b in book.week_bounds} - {0})


def annotate(
    frame: pl.LazyFrame,
    book: PriceBook,
    size_edges: Sequence[float],
    time_key: str | None = None,
    cache_edges: Sequence[float] = (),
    epoch_bounds: Sequence[dt.datetime] | None = None,
    now: dt.datetime | None = None,
) -> pl.LazyFrame:
    """Add the per-row keys, all small integers, plus PTS and AVG_PROMPT.

    Without a `time_key` the keys are the price epoch (between `epoch_bounds`, a subset of the book's
    epoch bounds; all of them by default), the window state and the prompt-size bucket. With
    one (DAY or HOUR, for periods) they are that UTC day or hour, the segment of the day between window
    bounds, and the size bucket: price epochs start at UTC midnights and window bounds fall on segment
    bounds, so such a cell has one epoch and one window state, which `cell_pricing_keys` derives per cell.
    """
    now = now or dt.datetime.now(dt.UTC)
    pts = pl.col("timestamp").fill_null(pl.lit(now, dtype=TIMESTAMP_DTYPE))
    requests = pl.max_horizontal(pl.col("requests"), pl.lit(1, dtype=pl.Int64))
    avg_prompt = (prompt_tokens().cast(pl.Float64) / requests).alias(AVG_PROMPT)
    # floored whole seconds, as dt.second() counts them
    second = pts.dt.epoch("us").floordiv(1_000_000)
    exprs = [pts.alias(PTS), avg_prompt]
    if time_key is None:
        exprs += _epoch_and_state(pts, book, epoch_bounds)
    else:
        # null timestamps have no day (and no period); their PTS is `now`, which prices them
        unit = _HOUR_US if time_key == HOUR else _DAY_US
        exprs.append(pl.col("timestamp").dt.epoch("us").floordiv(unit).alias(time_key))
        bounds = pl.Series("day_bounds", day_bounds(book), dtype=pl.Int64())
        exprs.append(_bucket(second % 86400, bounds).alias(SEGMENT))
    edges = pl.Series("edges", list(size_edges), dtype=pl.Float64())
    exprs.append(_bucket(pl.col(AVG_PROMPT), edges, right_closed=True).alias(SIZE))
    if cache_edges:
        exprs.append(_cache_share(cache_edges).alias(CACHED))
    return frame.with_columns(exprs[:2]).with_columns(exprs[2:])


def _epoch_and_state(pts: pl.Expr, book: PriceBook, epoch_bounds: Sequence[dt.datetime] | None) -> list[pl.Expr]:
    """EPOCH (between `epoch_bounds`, all the book's by default) and WSTATE of the instant `pts`."""
    cuts = book.epoch_bounds if epoch_bounds is None else list(epoch_bounds)
    epoch = _bucket(pts, pl.Series("epochs", cuts, dtype=TIMESTAMP_DTYPE)).alias(EPOCH)
    if len(book.week_bounds) <= 1:
        return [epoch, pl.lit(0, dtype=pl.UInt32).alias(WSTATE)]
    # seconds since Monday 00:00 UTC (1970-01-05 was a Monday), its segment, that segment's state
    weekly = (pts.dt.epoch("us").floordiv(1_000_000) - 4 * 86400) % (7 * 86400)
    segment = _bucket(weekly, pl.Series("weeks", book.week_bounds[1:], dtype=pl.Int64()))
    # gather from a literal streams; replace/replace_strict made the engine hold every row
    states = pl.lit(pl.Series("states", book.week_states, dtype=pl.UInt32()))
    return [epoch, states.gather(segment).alias(WSTATE)]


def _cache_share(edges: Sequence[float]) -> pl.Expr:
    """A key that differs between calls on either side of every edge (a share of the prompt read from
    cache): integer eighths of the share if any edge is a multiple of 1/8 (a division; `bin_intervals` on
    a float share cost three times as much in the log-sized scan), then one step per other edge, in
    thousandths."""
    prompt = pl.max_horizontal(prompt_tokens(), pl.lit(1))
    # clipped: a row with negative counts is rejected later, but its key is computed first
    read = pl.col("cache_read_tokens").clip(lower_bound=0)
    eighths = any((e * 8).is_integer() for e in edges)
    key = (read * 8 // prompt).clip(0, 8) if eighths else pl.lit(0, dtype=pl.Int64)
    for edge in (e for e in edges if not (e * 8).is_integer()):
        # eighths run 0..8, so steps of 9 keep the two apart; compared as the engine applies a hit rate
        key = key + 9 * (read.cast(pl.Float64) >= prompt.cast(pl.Float64) * edge).cast(pl.Int64)
    return key.cast(pl.UInt16)


def cell_pricing_keys(book: PriceBook) -> list[pl.Expr]:
    """EPOCH and WSTATE of cells grouped by day (or hour) and day segment, from the cell's PTS."""
    epoch = _bucket(pl.col(PTS), pl.Series("epochs", book.epoch_bounds, dtype=TIMESTAMP_DTYPE)).alias(EPOCH)
    if len(book.week_bounds) <= 1:
        return [epoch, pl.lit(0, dtype=pl.UInt32).alias(WSTATE)]
    # the cell's weekday (Monday 0; 1970-01-05 was a Monday) and the first second of its day segment
    weekday = (pl.col(PTS).dt.epoch("us").floordiv(_DAY_US) - 4) % 7
    starts = dict(enumerate([0, *day_bounds(book)]))
    second = weekday * 86400 + pl.col(SEGMENT).replace_strict(starts, return_dtype=pl.Int64)
    segment = _bucket(second, pl.Series("weeks", book.week_bounds, dtype=pl.Int64())).cast(pl.Int64) - 1
    states = dict(enumerate(book.week_states))
    return [epoch, segment.replace_strict(states, return_dtype=pl.UInt32).alias(WSTATE)]


def _bucket(value: pl.Expr, bounds: pl.Series, *, right_closed: bool = False) -> pl.Expr:
    """How many of the ascending `bounds` are <= value (< value when `right_closed`), as UInt32.

    `bin_intervals` is elementwise, so the streaming engine keeps memory flat; `search_sorted` against a
    literal gives the same numbers but makes the engine hold the whole column (older Polars only).
    """
    if bounds.is_empty():
        return pl.lit(0, dtype=pl.UInt32)
    if hasattr(value, "bin_intervals"):
        return value.bin_intervals(bounds, labels=False, right_closed=right_closed).cast(pl.UInt32)
    return pl.lit(bounds).search_sorted(value, side="left" if right_closed else "right").cast(pl.UInt32)


def _tier_expr() -> pl.Expr:
    tier = pl.col("service_tier").str.to_lowercase()
    synonyms = {"default": "standard", "auto": "standard", "": "standard", "on_demand": "standard", "batches": "batch"}
    return pl.when(tier.is_null()).then(pl.lit("standard")).otherwise(tier.replace(synonyms)).alias(TIER)


def size_edges(book: PriceBook, extra: Sequence[int] = ()) -> list[float]:
    """Sorted prompt-size edges: a call's bucket is how many edges its prompt exceeds."""
    return sorted({float(e) for e in (*book.prompt_bounds, *extra)})


def _aggregations(rows: bool, times: bool = True) -> list[pl.Expr]:
    """What a cell keeps of its rows; `rows` is the log-sized pass, else re-grouping cells (`times`:
    with PTS and PTS_MAX, which the log-sized pass leaves to `_call_times`)."""
    if rows:
        return [
            *(pl.col(c).sum() for c in SUMS),
            pl.len().cast(pl.Int64).alias(ROWS),
            pl.col("reported_cost").sum().alias("reported_cost"),
            pl.col("reported_cost").count().cast(pl.Int64).alias(REPORTED_N),
            pl.col("request_id").count().cast(pl.Int64).alias(IDS),
            pl.col(AVG_PROMPT).min(),
            pl.col("timestamp").min().alias(TS_MIN),
            pl.col("timestamp").max().alias(TS_MAX),
            ((pl.col(FILE) * (1 << _ROW_BITS)) + pl.col(ROW)).min().alias(FIRST_BAD),
        ]
    return [
        *(pl.col(c).sum() for c in (*SUMS, ROWS, "reported_cost", REPORTED_N, IDS)),
        *(
            pl.col(c).min()
            for c in ((PTS, AVG_PROMPT, TS_MIN, FIRST_BAD) if times else (AVG_PROMPT, TS_MIN, FIRST_BAD))
        ),
        *(pl.col(c).max() for c in ((PTS_MAX, TS_MAX) if times else (TS_MAX,))),
    ]


def _call_times(rows: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """PTS and PTS_MAX of scanned cells: their first and last call, `now` when no call has a timestamp.

    A cell holding calls with and without timestamps prices them all at its first timestamped call: they
    share its price epoch and window state (the calls without are keyed at `now`), and so their rates.
    """
    when = pl.lit(now, dtype=TIMESTAMP_DTYPE)
    return rows.with_columns(pl.col(TS_MIN).fill_null(when).alias(PTS), pl.col(TS_MAX).fill_null(when).alias(PTS_MAX))


def _scan(lf: pl.LazyFrame, row_keys: list[str], whole: bool, countable: bool) -> pl.DataFrame:
    """The log-sized group-by: one streaming collect, or (progress shown, rows countable from file
    metadata, not `whole`) consecutive slices merged, so the scan can say how far it is."""
    watcher = progress.current()
    if not watcher.enabled:
        return lf.group_by(row_keys).agg(_aggregations(rows=True)).collect(engine="streaming")
    total = lf.select(pl.len()).collect(engine="streaming").item() if countable else None
    watcher.start("Scanning logs", total)
    try:
        # `whole`: is_first_distinct needs every row in one pass; small scans need no progress
        if total is None or whole or total <= 2 * _PROGRESS_SLICE:
            rows = lf.group_by(row_keys).agg(_aggregations(rows=True)).collect(engine="streaming")
            watcher.advance(total or 0)
            return rows
        parts = []
        for offset in range(0, total, _PROGRESS_SLICE):
            part = lf.slice(offset, _PROGRESS_SLICE).group_by(row_keys).agg(_aggregations(rows=True))
            parts.append(part.collect(engine="streaming"))
            watcher.advance(min(_PROGRESS_SLICE, total - offset))
        return pl.concat(parts).group_by(row_keys).agg(_aggregations(rows=False, times=False))
    finally:
        watcher.stop()


def build_cells(
    frame: pl.LazyFrame,
    book: PriceBook,
    spec: CellSpec,
    tags: Sequence[str] = (),
    *,
    countable: bool = False,
    sql: Sequence[sqlscan.Log] | None = None,
) -> Cells:
    """Scan the logs once into cells, then price the cells.

    `countable`: the frame's row count comes from file metadata (Parquet), so progress can be in rows.
    `sql`: the logs are these canonical JSON-lines files, which DuckDB may group as it reads them
    (`aicost.sqlscan`); where it cannot, `frame` is scanned.

    Cells are cut at the price dates of the models in the first rows of the logs (and of the grid's
    targets), not at all of the book's: a model's calls either side of another model's price change
    price alike, and every extra cut multiplies the groups of the log-sized scan. A model first met
    later whose own dates are not among them is caught once the cells are priced, and the logs are
    scanned again with its dates added (whether or not some cell straddles one: calls without a
    timestamp are keyed at now, and a cell does not record whether it holds any). Grouped by DuckDB, the
    logs are in hand cut at every book date: cells are cut at the dates of every model they use, and
    nothing is rescanned.
    """
    periods = [d for d in spec.dims if d in PERIODS]
    # with periods, cells are cut by day (or hour: UTC periods are then integer arithmetic per cell);
    # without, by price epoch and window state, far fewer cells (simulate's fine size buckets multiply them);
    # so with only weeks, months, quarters or years too, each row's period joining those keys
    fine = {"hour", "day"} & set(periods)
    time_key = (HOUR if "hour" in periods and spec.tz == "UTC" else DAY) if fine else None
    # request ids the logs may repeat: found once, also for a second scan
    repeated = _repeated_ids(frame) if spec.dedup and PREF not in frame.collect_schema() else None
    now = dt.datetime.now(dt.UTC)  # the time of calls without a timestamp
    grouped = None
    if sql and (repeated is None or repeated.is_empty()):
        grouped = _sql_groups(sql, book, spec, tags, time_key, now)
    build = functools.partial(
        _build_cells, frame, book, spec, tags, countable, repeated=repeated, grouped=grouped, now=now
    )
    if time_key is not None:  # cells by day or hour: epochs are derived per cell
        return build(time_key, None)
    if grouped is not None:
        dates = _model_dates(book, _resolved(grouped, book)) | set(spec.grid.keep_dates)
        return build(None, sorted(dates))
    dates = _sampled_dates(frame, book) | set(spec.grid.keep_dates)
    cells = build(None, sorted(dates))
    missing = _dates_of(cells.frame.filter(pl.col(STATUS) == "priced"), book) - dates
    if missing:
        cells = build(None, sorted(dates | missing))
    return cells


def _sql_groups(
    logs: Sequence[sqlscan.Log],
    book: PriceBook,
    spec: CellSpec,
    tags: Sequence[str],
    time_key: str | None,
    now: dt.datetime,
) -> pl.DataFrame | None:
    """The rows grouped by DuckDB, or None where it cannot group them: periods in a time zone other than
    UTC, a price epoch that starts within a day, or a row it leaves to the Polars scan (`aicost.sqlscan`).

    With a time key (DAY or HOUR) the groups are the rows `_scan` makes for `_build_cells` with it.
    Without, they are cut by the book's price epochs (all of them: cells cut at fewer are merged from
    these), the window state of the weekday and segment of the day, and each row's UTC periods: every group
    then has one price epoch and one window state, which `_from_groups` derives from its first call.
    """
    if spec.tz != "UTC" and any(d in PERIODS for d in spec.dims):
        return None
    if any(b.timestamp() % 86400 for b in book.epoch_bounds):
        return None  # a price epoch starting within a day: groups by day would straddle it
    ts, text, bigint, uint = sqlscan.ts(), pl.String(), pl.Int64(), pl.UInt32()
    prompt = "(" + " + ".join(map(ident, PROMPT_CLASSES)) + ")"
    # once per row: the average prompt, the UTC day and the second of it (of now for calls without a time)
    us = f"epoch_us(coalesce({ts}, {sqlscan.instant(now)}))"
    derived = [
        (AVG_PROMPT, f"{prompt} / greatest({ident('requests')}, 1)"),  # doubles holding whole numbers
        (_DAY_OF, f"{us} // {_DAY_US}"),
        (_SECOND_OF, f"({us} // 1000000) % 86400"),
    ]
    edges = size_edges(book, spec.grid.size_edges)
    keys = [
        *(sqlscan.Column(c, ident(c), text) for c in ("provider", "model", "service_tier")),
        *_sql_time_keys(book, spec, time_key),
        sqlscan.Column(SIZE, sqlscan.bucket(ident(AVG_PROMPT), edges, right_closed=True), uint),
        sqlscan.Column(REJECT, "NULL::VARCHAR", text),
        sqlscan.Column(SKIP, "NULL::VARCHAR", text),
    ]
    if spec.grid.cache_edges:
        keys.append(sqlscan.Column(CACHED, _cache_share_sql(spec.grid.cache_edges, prompt), pl.UInt16()))
    for dim in spec.dims:
        if dim not in PERIODS and dim not in ("provider", "model", "service_tier"):
            keys.append(sqlscan.Column(dim, ident(dim) if dim in tags else "NULL::VARCHAR", text))
    if spec.by_file:
        keys.append(sqlscan.Column(FILE, sqlscan.file(), bigint))
    keys.append(sqlscan.Column(HAS_REPORTED, f"{ident('reported_cost')} IS NOT NULL", pl.Boolean()))
    if spec.since is not None or spec.until is not None:
        inside = ["true"]
        if spec.since is not None:
            inside.append(f"{ts} >= {sqlscan.instant(spec.since)}")
        if spec.until is not None:
            inside.append(f"{ts} < {sqlscan.instant(spec.until)}")
        keys.append(sqlscan.Column(IN_RANGE, f"coalesce({' AND '.join(inside)}, false)", pl.Boolean()))
    aggregates = [
        *(sqlscan.Column(c, sqlscan.exact_sum(c), bigint) for c in SUMS),
        sqlscan.Column(ROWS, "count(*)", bigint),
        sqlscan.Column("reported_cost", f"coalesce(sum({ident('reported_cost')}), 0.0)", pl.Float64()),
        sqlscan.Column(REPORTED_N, f"count({ident('reported_cost')})", bigint),
        sqlscan.Column(IDS, f"count({ident('request_id')})", bigint),
        sqlscan.Column(AVG_PROMPT, f"min({ident(AVG_PROMPT)})", pl.Float64()),
        sqlscan.Column(TS_MIN, f"min({ts})", TIMESTAMP_DTYPE),
        sqlscan.Column(TS_MAX, f"max({ts})", TIMESTAMP_DTYPE),
        sqlscan.Column(FIRST_BAD, "NULL::BIGINT", bigint),  # no row is bad: see aicost.sqlscan
    ]
    group = functools.partial(sqlscan.group, logs, keys, aggregates, [k.name for k in keys if k.name in tags], derived)
    return _grouped(group, [log.read.path for log in logs])


def _sql_time_keys(book: PriceBook, spec: CellSpec, time_key: str | None) -> list[sqlscan.Column]:
    """The time keys of `_sql_groups` (see there), over its derived day and second of the day."""
    day, second, uint = ident(_DAY_OF), ident(_SECOND_OF), pl.UInt32()
    segment = sqlscan.bucket(second, day_bounds(book))
    if time_key is not None:
        unit = _HOUR_US if time_key == HOUR else _DAY_US
        return [
            sqlscan.Column(time_key, f"epoch_us({sqlscan.ts()}) // {unit}", pl.Int64()),
            sqlscan.Column(SEGMENT, segment, uint),
        ]
    # the book epoch of each day from the first price date to the last, looked up by day
    epoch = "0"
    if book.epoch_bounds:
        first, last = (int(b.timestamp()) // 86400 for b in (book.epoch_bounds[0], book.epoch_bounds[-1]))
        days = [dt.datetime.fromtimestamp(d * 86400, dt.UTC) for d in range(first, last)]
        epochs = ", ".join(str(bisect.bisect_right(book.epoch_bounds, d)) for d in days)
        epoch = f"CASE WHEN {day} < {first} THEN 0 WHEN {day} >= {last} THEN {len(book.epoch_bounds)} "
        epoch += f"ELSE [{epochs}][{day} - {first - 1}] END"
    # the window state at the start of each weekday's segments (1970-01-05 was a Monday), as annotate finds it
    starts, bounds = [0, *day_bounds(book)], book.week_bounds[1:]
    windowed = len(book.week_bounds) > 1  # else every call's state is 0
    states = ", ".join(
        str(book.week_states[bisect.bisect_right(bounds, w * 86400 + t)] if windowed else 0)
        for w in range(7)
        for t in starts
    )
    state = f"[{states}][(({day} - 4) % 7) * {len(starts)} + {segment} + 1]"
    keys = [sqlscan.Column(EPOCH, f"({epoch})::UINTEGER", uint), sqlscan.Column(WSTATE, f"({state})::UINTEGER", uint)]
    for dim in (d for d in spec.dims if d in PERIODS):
        # the period names are DuckDB's date_trunc parts (weeks start on Monday in both)
        keys.append(sqlscan.Column(dim, f"date_trunc('{dim}', {sqlscan.ts()})::DATE", pl.Date()))
    return keys


def _grouped(group: Callable[..., pl.DataFrame], paths: Sequence[str]) -> pl.DataFrame | None:
    """`group()`, with progress in bytes of the files `paths` as DuckDB says how far it is; None where
    DuckDB fails (a row the Polars scan rejects or reads otherwise, a damaged line: it scans them)."""
    import duckdb

    watcher = progress.current()
    size = sum(os.path.getsize(path) for path in paths) if watcher.enabled else 0
    done = 0

    def seen(share: float) -> None:
        nonlocal done
        upto = int(share * size)
        if upto > done:
            watcher.advance(upto - done)
            done = upto

    watcher.start("Scanning logs", size, unit="bytes")
    try:
        rows = group(on_progress=seen if watcher.enabled else None)
        seen(1.0)
        return rows
    except duckdb.Error:
        return None
    finally:
        watcher.stop()


def _cache_share_sql(edges: Sequence[float], prompt: str) -> str:
    """`_cache_share` in SQL over the normalised rows (`aicost.sqlscan`), `prompt` their prompt tokens."""
    prompt, read = f"greatest({prompt}, 1)", f"greatest({ident('cache_read_tokens')}, 0)"
    eighths = any((e * 8).is_integer() for e in edges)
    # integer division as the Polars key divides (the counts are doubles holding whole numbers)
    key = f"least(greatest((CAST({read} AS BIGINT) * 8) // CAST({prompt} AS BIGINT), 0), 8)" if eighths else "0"
    for edge in (e for e in edges if not (e * 8).is_integer()):
        key += f" + 9 * ({read} >= {prompt} * {sqlscan.number(edge)})::BIGINT"
    return f"({key})::USMALLINT"


def _resolved(rows: pl.DataFrame, book: PriceBook) -> list[tuple[str, str]]:
    """The price-book models the (provider, model) pairs of `rows` resolve to."""
    pairs = rows.select(pl.col("provider", "model").str.strip_chars()).unique().iter_rows()
    resolved = (book.resolve(provider, model) for provider, model in pairs if model)
    return [(r.price_provider, r.model) for r in resolved if r.price_provider and r.model]


def _sampled_dates(frame: pl.LazyFrame, book: PriceBook) -> set[dt.datetime]:
    """The price dates of the models in the first rows of the logs."""
    return _model_dates(book, _resolved(frame.head(_SAMPLE_ROWS).select("provider", "model").collect(), book))


def _dates_of(priced: pl.DataFrame, book: PriceBook) -> set[dt.datetime]:
    """The price dates of the models priced cells resolved to."""
    return _model_dates(book, priced.select(f"{P}pprovider", f"{P}rmodel").unique().rows())


def _model_dates(book: PriceBook, models: Sequence[tuple[str, str]]) -> set[dt.datetime]:
    return {d for pprov, rmodel in models for d in price_profile(book.model(pprov, rmodel)).dates}


def _build_cells(
    frame: pl.LazyFrame,
    book: PriceBook,
    spec: CellSpec,
    tags: Sequence[str],
    countable: bool,
    time_key: str | None,
    epoch_bounds: list[dt.datetime] | None,
    *,
    repeated: pl.Series | None,
    grouped: pl.DataFrame | None,
    now: dt.datetime,
) -> Cells:
    """build_cells with cells cut at `epoch_bounds` (a subset of the book's) when there is no time key;
    `repeated`: hashes of the request ids the logs may repeat (`_repeated_ids`), None for the one-pass
    rule (`duplicate_flag`, adapters with a copy preference) or no de-duplication; `grouped`: the rows as
    DuckDB grouped them (`_sql_groups`), instead of scanning `frame`; `now`: the time of calls without one."""
    edges = size_edges(book, spec.grid.size_edges)
    periods = [d for d in spec.dims if d in PERIODS]
    lf = annotate(frame, book, edges, time_key, spec.grid.cache_edges, epoch_bounds, now)
    keys: list[str] = ["provider", "model", TIER, EPOCH, WSTATE, SIZE, REJECT, SKIP]
    # the log-sized group-by uses values as read and integers; stripped text, TIER, EPOCH, WSTATE, UTC
    # periods and the missing-model rejection are derived once per cell, then equal cells are merged
    time_keys = [EPOCH, WSTATE] if time_key is None else [time_key, SEGMENT]
    row_keys: list[str] = ["provider", "model", "service_tier", *time_keys, SIZE, REJECT, SKIP]
    if spec.grid.cache_edges:
        keys.append(CACHED)
        row_keys.append(CACHED)
    extra: list[pl.Expr] = []
    for dim in spec.dims:
        if dim in PERIODS:
            if spec.tz != "UTC" or time_key is None:
                extra.append(period_expr(dim, spec.tz))
                row_keys.append(dim)
        elif dim in ("provider", "model", "service_tier"):
            continue  # already keys (the tier as TIER)
        # a tag missing from every file still groups (as null), so --by never silently drops a column
        elif dim not in tags:
            extra.append(pl.lit(None, dtype=pl.String).alias(dim))
            row_keys.append(dim)
        else:
            row_keys.append(dim)
        keys.append(dim)
    schema = lf.collect_schema()
    if NOTE in schema:
        keys.append(NOTE)
        row_keys.append(NOTE)
    if spec.by_file:
        keys.append(FILE)
        row_keys.append(FILE)
    # reconciliation compares computed with reported cost over the rows that report one
    extra.append(pl.col("reported_cost").is_not_null().alias(HAS_REPORTED))
    keys.append(HAS_REPORTED)
    row_keys.append(HAS_REPORTED)
    whole = spec.dedup and PREF in schema
    if whole:
        extra.append(duplicate_flag(schema).alias(DUP))
        keys.append(DUP)
        row_keys.append(DUP)
    elif repeated is not None and not repeated.is_empty():
        # rows whose id may be repeated are kept one by one through the scan, and flagged after it
        candidate = pl.col("request_id").is_not_null() & _id_hash().is_in(repeated)
        extra.append(pl.when(candidate).then(pl.col(FILE) * (1 << _ROW_BITS) + pl.col(ROW)).alias(REPEAT_ROW))
        extra.append(pl.when(candidate).then(pl.col("request_id")).alias(REPEAT_ID))
        keys.append(DUP)
        row_keys += [REPEAT_ROW, REPEAT_ID]
    if spec.since is not None or spec.until is not None:
        inside = pl.lit(True)
        if spec.since is not None:
            inside = inside & (pl.col("timestamp") >= pl.lit(spec.since, dtype=TIMESTAMP_DTYPE))
        if spec.until is not None:
            inside = inside & (pl.col("timestamp") < pl.lit(spec.until, dtype=TIMESTAMP_DTYPE))
        extra.append(inside.fill_null(False).alias(IN_RANGE))
        keys.append(IN_RANGE)
        row_keys.append(IN_RANGE)
    if grouped is not None:
        rows = _call_times(_from_groups(grouped, row_keys, book, time_key, epoch_bounds, now), now)
    else:
        rows = _call_times(_scan(lf.with_columns(extra) if extra else lf, row_keys, whole, countable), now)
    if REPEAT_ROW in rows.columns:
        rows = _flag_repeats(rows)
    if epoch_bounds is not None:
        # epochs between the sampled bounds as the book's: the first book epoch of each span
        book_index = [0] + [bisect.bisect_left(book.epoch_bounds, d) + 1 for d in epoch_bounds]
        rows = rows.with_columns(pl.lit(pl.Series(book_index, dtype=pl.UInt32)).gather(pl.col(EPOCH)).alias(EPOCH))
    derived = [_tier_expr()]
    if time_key is not None:
        derived += cell_pricing_keys(book)
        if spec.tz == "UTC":
            derived += _periods_from_utc(periods, time_key)
    cells = (
        rows.with_columns(pl.col(c).str.strip_chars() for c in ("provider", "model", "service_tier"))
        .with_columns(
            *derived,
            # a row skipped by design (often without a model) is never also rejected
            pl.when(pl.col(SKIP).is_null())
            .then(pl.coalesce(pl.col(REJECT), missing_model()))
            .otherwise(pl.col(REJECT))
            .alias(REJECT),
        )
        .group_by(keys)
        .agg(_aggregations(rows=False))
    )
    if DUP not in cells.columns:
        cells = cells.with_columns(pl.lit(False).alias(DUP))
    if IN_RANGE not in cells.columns:
        cells = cells.with_columns(pl.lit(True).alias(IN_RANGE))
    priced, resolutions, warnings = price(cells, book, edges, spec)
    # a fixed order makes every sum over cells reproducible run to run
    priced = priced.sort(keys, nulls_last=True)
    return Cells(frame=priced, resolutions=resolutions, size_edges=edges, dims=spec.dims, warnings=warnings)


def _from_groups(
    grouped: pl.DataFrame,
    row_keys: list[str],
    book: PriceBook,
    time_key: str | None,
    epoch_bounds: Sequence[dt.datetime] | None,
    now: dt.datetime,
) -> pl.DataFrame:
    """What `_scan` returns for `row_keys`, from the rows DuckDB grouped (`_sql_groups`).

    With a time key they are those rows. Without one, each group's price epoch (between `epoch_bounds`)
    and window state are those of its first call (all its calls share them), of `now` for calls without a
    timestamp, as `annotate` keys them; then the groups are merged by the row keys.
    """
    if time_key is not None:
        return grouped.select(*row_keys, *(c for c in grouped.columns if c not in row_keys))
    pts = pl.col(TS_MIN).fill_null(pl.lit(now, dtype=TIMESTAMP_DTYPE))
    keyed = grouped.with_columns(*_epoch_and_state(pts, book, epoch_bounds))
    return keyed.group_by(row_keys).agg(_aggregations(rows=False, times=False))


def total(costs: pl.Series) -> float:
    """An exactly rounded sum (math.fsum): independent of row order, so adding unpriced rows changes nothing."""
    return math.fsum(costs.drop_nulls().to_list())


def duplicate_flag(schema: pl.Schema) -> pl.Expr:
    """True for a usable row whose request id an earlier (or, with a preference, a better) row already has.

    Only usable rows compete: a rejected or skipped copy never displaces a good one. Adapters whose copies
    can differ (Claude Code streaming rows, Gemini stream chunks) give a preference column, and the copy
    with the highest preference wins (ties: the first); everywhere else the first copy wins.
    """
    usable = pl.col(REJECT).is_null() & pl.col(SKIP).is_null()
    rid = pl.when(usable).then(pl.col("request_id"))
    if PREF not in schema:
        return rid.is_not_null() & ~rid.is_first_distinct()
    pref = pl.col(PREF).fill_null(0)
    best = rid.is_not_null() & (pref == pref.max().over(rid))
    winner = pl.when(best).then(rid)
    return rid.is_not_null() & ~(best & winner.is_first_distinct())


def _id_hash() -> pl.Expr:
    return pl.col("request_id").hash(_ID_HASH_SEED)


def _repeated_ids(lf: pl.LazyFrame) -> pl.Series:
    """Hashes of the request ids the logs hold more than once (a superset of the repeated ids: two ids
    may share a hash), sorted. Read from the id column alone and sorted in memory, 8 bytes an id: where
    is_first_distinct over the scan held every row's id and made the streaming engine hold the rest."""
    ids = lf.filter(pl.col("request_id").is_not_null()).select(_id_hash().alias("h"))
    hashes = ids.collect(engine="streaming").to_series().sort()
    return hashes.filter(hashes == hashes.shift(1)).unique()


def _flag_repeats(rows: pl.DataFrame) -> pl.DataFrame:
    """DUP for the rows the scan kept one by one (`REPEAT_ROW`): a usable row whose request id an earlier
    usable row has (`duplicate_flag` without a preference, on these rows only, in file and row order)."""
    usable = pl.col(REJECT).is_null() & pl.col(SKIP).is_null()
    rid = pl.when(usable).then(pl.col(REPEAT_ID))
    flagged = rows.sort(REPEAT_ROW, nulls_last=True).with_columns(
        (rid.is_not_null() & ~rid.is_first_distinct()).alias(DUP)
    )
    return flagged.drop(REPEAT_ROW, REPEAT_ID)


def decode_first_bad(value: int) -> tuple[int, int]:
    """(file index, row) from the encoded first-bad-row value."""
    return value >> _ROW_BITS, value & ((1 << _ROW_BITS) - 1)


# ------------------------------------------------------------------------------------------- pricing


def resolve_pairs(cells: pl.DataFrame, book: PriceBook) -> tuple[pl.DataFrame, list[Resolution]]:
    """Resolve each distinct (provider, model) pair once."""
    pairs = cells.filter(pl.col("model").is_not_null()).select("provider", "model").unique()
    resolutions = [book.resolve(p, m) for p, m in pairs.iter_rows()]
    table = pl.DataFrame(
        {
            "provider": [r.logged_provider for r in resolutions],
            "model": [r.logged_model for r in resolutions],
            f"{P}rprovider": [r.provider for r in resolutions],
            f"{P}pprovider": [r.price_provider for r in resolutions],
            f"{P}rmodel": [r.model for r in resolutions],
            f"{P}variants": [r.variants for r in resolutions],
        },
        schema={
            "provider": pl.String,
            "model": pl.String,
            f"{P}rprovider": pl.String,
            f"{P}pprovider": pl.String,
            f"{P}rmodel": pl.String,
            f"{P}variants": pl.Boolean,
        },
    )
    return table, resolutions


@dataclass(frozen=True)
class PriceProfile:
    """What a model's rates depend on: its own price dates, long-context tier starts and windows."""

    dates: list[dt.datetime]
    starts: list[int]
    windowed: bool


def price_profile(model: Model) -> PriceProfile:
    starts_on = [e.effective_from for e in model.price] + [v.effective_from for v in model.variant]
    dates = {d for day in starts_on if (d := as_instant(day)) is not None}
    starts = {
        step.start
        for rates in (*model.price, *model.variant, *(w for e in model.price for w in e.windows))
        for key in RATE_KEYS
        if isinstance(rate := getattr(rates, key), Tiered)
        for step in rate.tiers
    }
    return PriceProfile(sorted(dates), sorted(starts), any(e.windows for e in model.price))


def _model_keys(
    keys: pl.DataFrame, book: PriceBook, edges: Sequence[float], grid: CellGrid | None = None
) -> pl.DataFrame:
    """Map the book-wide epoch, window state and size bucket of each key onto the model's own (M_EPOCH,
    M_STATE, M_SIZE), also cut at what `grid` keeps apart (its targets' dates, windows and size edges).

    A model's dates are among the book's epoch bounds and its tier starts among the size edges, so book
    epoch e (from bound e-1) is model epoch "dates <= bound e-1", and size bucket s (prompts above edge
    s-1) is model bucket "starts <= edge s-1"; the window state matters only to models with windows.
    Keys without a price-table model get nulls.
    """
    grid = grid or CellGrid()
    bounds = book.epoch_bounds
    on = [f"{P}pprovider", f"{P}rmodel"]
    models = keys.filter(pl.col(on[1]).is_not_null()).select(on).unique().rows()
    epoch_rows: list[tuple[str, str, int, int]] = []
    size_rows: list[tuple[str, str, int, int]] = []
    windowed: list[tuple[str, str, bool]] = []
    for pprov, rmodel in models:
        prof = price_profile(book.model(pprov, rmodel))
        dates = sorted({*prof.dates, *grid.keep_dates})
        cuts = sorted({*prof.starts, *grid.size_edges})
        epoch_rows += [
            (pprov, rmodel, e, bisect.bisect_right(dates, bounds[e - 1]) if e else 0) for e in range(len(bounds) + 1)
        ]
        size_rows += [
            (pprov, rmodel, s, bisect.bisect_right(cuts, edges[s - 1]) if s else 0) for s in range(len(edges) + 1)
        ]
        windowed.append((pprov, rmodel, prof.windowed or grid.keep_windows))
    schema = {on[0]: pl.String, on[1]: pl.String}
    epochs = pl.DataFrame(epoch_rows, schema={**schema, EPOCH: pl.UInt32, M_EPOCH: pl.UInt32}, orient="row")
    sizes = pl.DataFrame(size_rows, schema={**schema, SIZE: pl.UInt32, M_SIZE: pl.UInt32}, orient="row")
    windows = pl.DataFrame(windowed, schema={**schema, "_w": pl.Boolean}, orient="row")
    return (
        keys.join(epochs, on=[*on, EPOCH], how="left")
        .join(sizes, on=[*on, SIZE], how="left")
        .join(windows, on=on, how="left")
        .with_columns(pl.when(pl.col("_w")).then(pl.col(WSTATE)).otherwise(0).cast(pl.UInt32).alias(M_STATE))
        .drop("_w")
    )


def rate_table(
    keys: pl.DataFrame, book: PriceBook, edges: Sequence[float], backdate: bool = False
) -> tuple[pl.DataFrame, list[str]]:
    """Rates for each distinct pricing key (model × tier × epoch × window state × size bucket).

    Keys that differ only in bounds the model does not care about price alike, so `rates_at` runs once
    per model-level key (`_model_keys`), however finely the cells are cut.
    """
    key_cols = [f"{P}pprovider", f"{P}rmodel", f"{P}variants", TIER, EPOCH, WSTATE, SIZE]
    reduced_cols = [f"{P}pprovider", f"{P}rmodel", f"{P}variants", TIER, M_EPOCH, M_STATE, M_SIZE]
    mapped = _model_keys(keys, book, edges)
    reduced = (
        mapped.group_by(reduced_cols)
        .agg(pl.col(PTS).min(), pl.col(AVG_PROMPT).min())
        .sort(reduced_cols, nulls_last=True)
    )
    rows = []
    for pprov, rmodel, variants, tier, m_epoch, m_state, m_size, pts, avg in reduced.iter_rows():
        model = book.model(pprov, rmodel)
        effective_tier = tier if tier in SERVICE_TIERS else "standard"
        r = rates_at(model, pts, effective_tier, avg, variants=variants, backdate=backdate)
        # USD per token, divided here once (correctly rounded) so costs are one multiplication per class
        per_token = [
            None if v is None else v / 1e6
            for v in (r.input, r.cache_read, r.cache_write, r.cache_write_1h, r.output, r.reasoning)
        ]
        late = effective_tier != "standard" and not r.tier_applied
        rows.append(
            (
                pprov,
                rmodel,
                variants,
                tier,
                m_epoch,
                m_state,
                m_size,
                *per_token,
                r.per_request,
                late and r.tier_known,
                late and not r.tier_known,
            )
        )
    schema: dict[str, pl.DataType] = {
        **{c: reduced.schema[c] for c in reduced_cols},
        **dict.fromkeys(RATE_COLUMNS, pl.Float64()),
        "_late": pl.Boolean(),
        "_missing": pl.Boolean(),
    }
    rates = mapped.join(pl.DataFrame(rows, schema=schema, orient="row"), on=reduced_cols, how="left", nulls_equal=True)
    warnings = []
    for flag, text in (
        (
            "_late",
            "{n:,} {tier} requests to {prov}/{model} predate its {tier} rates in the price table and are "
            "priced at standard rates",
        ),
        (
            "_missing",
            "{n:,} {tier} requests to {prov}/{model} are priced at standard rates: the table has no "
            "{tier} rates for it",
        ),
    ):
        counts = (
            rates.filter(pl.col(flag))
            .with_columns(pl.when(pl.col(TIER).is_in(SERVICE_TIERS)).then(pl.col(TIER)).otherwise(pl.lit("standard")))
            .group_by(f"{P}pprovider", f"{P}rmodel", TIER)
            .agg(pl.col("requests").sum())
            .sort(f"{P}pprovider", f"{P}rmodel", TIER)
        )
        warnings += [text.format(n=n, tier=t, prov=pv, model=m) for pv, m, t, n in counts.iter_rows()]
    return rates.select(*key_cols, *RATE_COLUMNS), warnings


def coarsen(cells: pl.DataFrame, book: PriceBook, spec: CellSpec, edges: Sequence[float]) -> pl.DataFrame:
    """Merge priced cells that differ only in book-wide price epochs, window states or prompt-size buckets
    that neither their model nor the grid (its targets' dates, windows, tier starts and context windows,
    the pick order's sizes) cuts at (CellSpec.merge): the same prices, far fewer cells.

    Book-wide epochs start wherever any of thousands of models changes a price, size buckets at any of
    their tier starts, and window states follow DeepSeek's clock; a cell of most models needs none of
    them. A merged cell keeps its first epoch, window state, size bucket and call time (PTS), all within
    the bounds its prices depend on. (`edges`: the size edges the cells' SIZE buckets refer to.)
    """
    if not spec.merge:
        return cells
    priced = pl.col(STATUS) == "priced"
    # cells not priced keep their own keys: they are counted, not priced, and merge only with their equals
    marked = _model_keys(cells, book, edges, spec.grid).with_columns(
        pl.when(priced).then(pl.col(mine)).otherwise(pl.col(book_wide)).alias(mine)
        for mine, book_wide in ((M_EPOCH, EPOCH), (M_STATE, WSTATE), (M_SIZE, SIZE))
    )
    aggregated = {
        *SUMS,
        ROWS,
        "reported_cost",
        REPORTED_N,
        IDS,
        PTS,
        PTS_MAX,
        AVG_PROMPT,
        TS_MIN,
        TS_MAX,
        FIRST_BAD,
        EPOCH,
        WSTATE,
        SIZE,
    }
    group = [c for c in cells.columns if c not in aggregated] + [M_EPOCH, M_STATE, M_SIZE]
    merged = marked.group_by(group).agg(
        *_aggregations(rows=False), pl.col(EPOCH).min(), pl.col(WSTATE).min(), pl.col(SIZE).min()
    )
    return merged.drop(M_EPOCH, M_STATE, M_SIZE).select(cells.columns)


def price(
    cells: pl.DataFrame, book: PriceBook, edges: Sequence[float], spec: CellSpec
) -> tuple[pl.DataFrame, list[Resolution], list[str]]:
    """Join resolutions and rates onto cells and compute per-class costs (null when unpriced)."""
    backdate = spec.backdate_tiers
    valid = pl.col(REJECT).is_null() & pl.col(SKIP).is_null() & ~pl.col(DUP) & pl.col(IN_RANGE)
    table, resolutions = resolve_pairs(cells.filter(valid), book)
    cells = cells.join(table, on=["provider", "model"], how="left", nulls_equal=True)
    cells = cells.with_columns(
        pl.when(pl.col(REJECT).is_not_null())
        .then(pl.lit("rejected"))
        .when(pl.col(SKIP).is_not_null())
        .then(pl.lit("skipped"))
        .when(pl.col(DUP))
        .then(pl.lit("duplicate"))
        .when(~pl.col(IN_RANGE))
        .then(pl.lit("filtered"))
        .when(pl.col(f"{P}rmodel").is_not_null())
        .then(pl.lit("priced"))
        .otherwise(pl.lit("unpriced"))
        .alias(STATUS)
    )
    cells = coarsen(cells, book, spec, edges)
    key_cols = [f"{P}pprovider", f"{P}rmodel", f"{P}variants", *PRICING_KEYS]
    rate_keys = (
        cells.filter(pl.col(STATUS) == "priced")
        .group_by(key_cols)
        .agg(pl.col(PTS).min(), pl.col(AVG_PROMPT).min(), pl.col("requests").sum())
    )  # any order: rate_table sorts what it computes and reports
    rates, warnings = rate_table(rate_keys, book, edges, backdate)
    cells = cells.join(rates, on=key_cols, how="left", nulls_equal=True)
    unknown_tiers = (
        cells.filter((pl.col(STATUS) == "priced") & ~pl.col(TIER).is_in(SERVICE_TIERS))
        .group_by(TIER)
        .agg(pl.col("requests").sum())
        .sort(TIER)
    )
    warnings += [
        f"{n:,} requests have service tier {tier!r}, which aicost does not know; priced at standard rates"
        for tier, n in unknown_tiers.iter_rows()
    ]
    cost = [
        (pl.col(tokens) * pl.col(rate).fill_null(0.0)).alias(name)
        for tokens, rate, name in zip(TOKEN_CLASSES, RATE_COLUMNS[:5], COST_COLUMNS[:5], strict=True)
    ]
    # reasoning is billed inside output unless the model prices it separately
    split = (pl.col("output_tokens") - pl.col(REASONING)) * pl.col("rate_output").fill_null(0.0) + pl.col(
        REASONING
    ) * pl.col("rate_reasoning").fill_null(0.0)
    cost[4] = (
        pl.when(pl.col("rate_reasoning") != pl.col("rate_output")).then(split).otherwise(cost[4]).alias(COST_COLUMNS[4])
    )
    cost.append((pl.col("requests") * pl.col("rate_request").fill_null(0.0)).alias(COST_COLUMNS[5]))
    priced = pl.col(STATUS) == "priced"
    cells = cells.with_columns(pl.when(priced).then(c).otherwise(None).alias(c.meta.output_name()) for c in cost)
    cells = cells.with_columns(
        pl.when(priced).then(pl.sum_horizontal(COST_COLUMNS)).otherwise(None).alias("cost"),
        pl.coalesce(pl.col(f"{P}rprovider"), pl.col("provider")).alias(PROVIDER_OUT),
    )
    return cells, resolutions, warnings
