"""From canonical usage to priced cells: one scan of the logs, then arithmetic on a small frame.

Pricing depends on a call's (provider, model), service tier, the price epoch its timestamp falls in,
the set of time-of-day windows active at that moment, and which long-context tier its prompt is in.
Each of those is a small integer computed per row with vectorised expressions (`search_sorted` against
the price book's boundaries), so the log-sized work is a single group-by into *cells*: every call in a
cell is priced identically. Model ids are resolved once per distinct pair and rates computed once per
distinct pricing key, in Python, on that small frame; costs are integer token sums times rates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from aicost.ingest import FILE, NOTE, PREF, REJECT, ROW, SKIP
from aicost.pricing import PriceBook, Resolution, rates_at
from aicost.schema import INTERNAL_PREFIX, REASONING, SERVICE_TIERS, TIMESTAMP_DTYPE, TOKEN_CLASSES, prompt_tokens

P = INTERNAL_PREFIX
TIER, EPOCH, WSTATE, SIZE = f"{P}tier", f"{P}epoch", f"{P}wstate", f"{P}size"
PTS, AVG_PROMPT, ROWS, FIRST_BAD = f"{P}pts", f"{P}avg_prompt", f"{P}rows", f"{P}first_bad"
# the cell's last call: with PTS (its first) it tells `forecast` which months the logs cover in full
PTS_MAX = f"{P}pts_max"
DUP, IN_RANGE, REPORTED_N = f"{P}dup", f"{P}in_range", f"{P}reported_n"
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


@dataclass(frozen=True)
class CellSpec:
    """What the cells are grouped by, beyond the pricing keys."""

    dims: tuple[str, ...] = ()
    tz: str = "UTC"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # prompt-size edges: the book's tier starts, plus any a scenario needs (context windows, buckets)
    extra_size_edges: tuple[int, ...] = ()
    dedup: bool = True
    # one cell per input file too (`aicost logs inspect`)
    by_file: bool = False
    # price tier calls that predate a table's tier rates at the earliest tier rates
    backdate_tiers: bool = False


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


def _lit_series(name: str, values: Sequence[object], dtype: pl.DataType) -> pl.Expr:
    return pl.lit(pl.Series(name, values, dtype=dtype))


def annotate(frame: pl.LazyFrame, book: PriceBook, size_edges: Sequence[float]) -> pl.LazyFrame:
    """Add the per-row pricing keys (tier, epoch, window state, prompt-size bucket)."""
    now = dt.datetime.now(dt.UTC)
    pts = pl.col("timestamp").fill_null(pl.lit(now, dtype=TIMESTAMP_DTYPE))
    requests = pl.max_horizontal(pl.col("requests"), pl.lit(1, dtype=pl.Int64))
    avg_prompt = (prompt_tokens().cast(pl.Float64) / requests).alias(AVG_PROMPT)
    exprs = [
        _tier_expr(),
        pts.alias(PTS),
        avg_prompt,
    ]
    if book.epoch_bounds:
        bounds = _lit_series("epochs", book.epoch_bounds, TIMESTAMP_DTYPE)
        exprs.append(bounds.search_sorted(pts, side="right").cast(pl.UInt32).alias(EPOCH))
    else:
        exprs.append(pl.lit(0, dtype=pl.UInt32).alias(EPOCH))
    if len(book.week_bounds) > 1:
        second = (
            (pts.dt.weekday().cast(pl.Int64) - 1) * 86400
            + pts.dt.hour().cast(pl.Int64) * 3600
            + pts.dt.minute().cast(pl.Int64) * 60
            + pts.dt.second().cast(pl.Int64)
        )
        bounds = _lit_series("weeks", book.week_bounds, pl.Int64())
        segment = bounds.search_sorted(second, side="right").cast(pl.Int64) - 1
        states = _lit_series("states", book.week_states, pl.UInt32())
        exprs.append(states.gather(segment).alias(WSTATE))
    else:
        exprs.append(pl.lit(0, dtype=pl.UInt32).alias(WSTATE))
    edges = _lit_series("edges", list(size_edges), pl.Float64())
    exprs.append(edges.search_sorted(pl.col(AVG_PROMPT), side="left").cast(pl.UInt32).alias(SIZE))
    return frame.with_columns(exprs[:3]).with_columns(exprs[3:])


def _tier_expr() -> pl.Expr:
    tier = pl.col("service_tier").str.to_lowercase()
    synonyms = {"default": "standard", "auto": "standard", "": "standard", "on_demand": "standard", "batches": "batch"}
    return pl.when(tier.is_null()).then(pl.lit("standard")).otherwise(tier.replace(synonyms)).alias(TIER)


def size_edges(book: PriceBook, extra: Sequence[int] = ()) -> list[float]:
    """Sorted prompt-size edges: a call's bucket is how many edges its prompt exceeds."""
    return sorted({float(e) for e in (*book.prompt_bounds, *extra)})


def build_cells(frame: pl.LazyFrame, book: PriceBook, spec: CellSpec, tags: Sequence[str] = ()) -> Cells:
    """Scan the logs once into cells, then price the cells."""
    edges = size_edges(book, spec.extra_size_edges)
    lf = annotate(frame, book, edges)
    keys: list[str] = ["provider", "model", *PRICING_KEYS, REJECT, SKIP]
    extra: list[pl.Expr] = []
    for dim in spec.dims:
        if dim in PERIODS:
            extra.append(period_expr(dim, spec.tz))
        elif dim in ("provider", "model"):
            continue
        elif dim == "service_tier":
            continue  # the tier key is already there
        # a tag missing from every file still groups (as null), so --by never silently drops a column
        elif dim not in tags:
            extra.append(pl.lit(None, dtype=pl.String).alias(dim))
        keys.append(dim)
    keys = [k for k in keys if k != "service_tier"]
    schema = lf.collect_schema()
    if NOTE in schema:
        keys.append(NOTE)
    if spec.by_file:
        keys.append(FILE)
    # reconciliation compares computed with reported cost over the rows that report one
    extra.append(pl.col("reported_cost").is_not_null().alias(HAS_REPORTED))
    keys.append(HAS_REPORTED)
    if spec.dedup:
        extra.append(duplicate_flag(schema).alias(DUP))
        keys.append(DUP)
    if spec.since is not None or spec.until is not None:
        inside = pl.lit(True)
        if spec.since is not None:
            inside = inside & (pl.col("timestamp") >= pl.lit(spec.since, dtype=TIMESTAMP_DTYPE))
        if spec.until is not None:
            inside = inside & (pl.col("timestamp") < pl.lit(spec.until, dtype=TIMESTAMP_DTYPE))
        extra.append(inside.fill_null(False).alias(IN_RANGE))
        keys.append(IN_RANGE)
    if extra:
        lf = lf.with_columns(extra)
    aggs = [
        *(pl.col(c).sum() for c in SUMS),
        pl.len().cast(pl.Int64).alias(ROWS),
        pl.col("reported_cost").sum().alias("reported_cost"),
        pl.col("reported_cost").count().cast(pl.Int64).alias(REPORTED_N),
        pl.col(PTS).min(),
        pl.col(PTS).max().alias(PTS_MAX),
        pl.col(AVG_PROMPT).min(),
        pl.col("timestamp").min().alias(TS_MIN),
        pl.col("timestamp").max().alias(TS_MAX),
        ((pl.col(FILE) * (1 << _ROW_BITS)) + pl.col(ROW)).min().alias(FIRST_BAD),
    ]
    cells = lf.group_by(keys).agg(aggs).collect(engine="streaming")
    if DUP not in cells.columns:
        cells = cells.with_columns(pl.lit(False).alias(DUP))
    if IN_RANGE not in cells.columns:
        cells = cells.with_columns(pl.lit(True).alias(IN_RANGE))
    priced, resolutions, warnings = price(cells, book, spec.backdate_tiers)
    # a fixed order makes every sum over cells reproducible run to run
    priced = priced.sort(keys, nulls_last=True)
    return Cells(frame=priced, resolutions=resolutions, size_edges=edges, dims=spec.dims, warnings=warnings)


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


def rate_table(keys: pl.DataFrame, book: PriceBook, backdate: bool = False) -> tuple[pl.DataFrame, list[str]]:
    """Rates for each distinct pricing key (model × tier × epoch × window state × size bucket)."""
    rows = []
    late: dict[tuple[str, str, str], int] = {}
    missing: dict[tuple[str, str, str], int] = {}
    for pprov, rmodel, variants, tier, epoch, wstate, size, pts, avg, requests in keys.iter_rows():
        model = book.model(pprov, rmodel)
        effective_tier = tier if tier in SERVICE_TIERS else "standard"
        r = rates_at(model, pts, effective_tier, avg, variants=variants, backdate=backdate)
        if effective_tier != "standard" and not r.tier_applied:
            bucket = late if r.tier_known else missing
            bucket[(pprov, rmodel, effective_tier)] = bucket.get((pprov, rmodel, effective_tier), 0) + requests
        # USD per token, divided here once (correctly rounded) so costs are one multiplication per class
        per_token = [
            None if v is None else v / 1e6
            for v in (r.input, r.cache_read, r.cache_write, r.cache_write_1h, r.output, r.reasoning)
        ]
        rows.append((pprov, rmodel, variants, tier, epoch, wstate, size, *per_token, r.per_request))
    schema = {
        f"{P}pprovider": pl.String,
        f"{P}rmodel": pl.String,
        f"{P}variants": pl.Boolean,
        TIER: pl.String,
        EPOCH: pl.UInt32,
        WSTATE: pl.UInt32,
        SIZE: pl.UInt32,
        **dict.fromkeys(RATE_COLUMNS, pl.Float64),
    }
    warnings = [
        f"{n:,} {tier} requests to {prov}/{model} predate its {tier} rates in the price table and are "
        f"priced at standard rates"
        for (prov, model, tier), n in sorted(late.items())
    ] + [
        f"{n:,} {tier} requests to {prov}/{model} are priced at standard rates: the table has no {tier} rates for it"
        for (prov, model, tier), n in sorted(missing.items())
    ]
    return pl.DataFrame(rows, schema=schema, orient="row"), warnings


def price(
    cells: pl.DataFrame, book: PriceBook, backdate: bool = False
) -> tuple[pl.DataFrame, list[Resolution], list[str]]:
    """Join resolutions and rates onto cells and compute per-class costs (null when unpriced)."""
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
    key_cols = [f"{P}pprovider", f"{P}rmodel", f"{P}variants", *PRICING_KEYS]
    keys = (
        cells.filter(pl.col(STATUS) == "priced")
        .group_by(key_cols)
        .agg(pl.col(PTS).min(), pl.col(AVG_PROMPT).min(), pl.col("requests").sum())
        .sort(key_cols)
    )
    rates, warnings = rate_table(keys, book, backdate)
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
