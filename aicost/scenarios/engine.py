"""Scenarios as arithmetic on priced cells: no second scan of the logs, however many scenarios.

For each `[[move]]`, in order: select cells (model globs, tag filters, required prices), claim a share of
what earlier moves left (proportionally, or cheapest/dearest requests first), re-price the claimed part on
the target (a real model with all its rules, a hypothetical one at a ratio of the source's rates, or
explicit rates), then apply the mode: substitute, cascade (escalations pay the source too), route (a
router keeps a strong share on the source) or advisor (the source is consulted on every request).
Formulas: ../shared/reference/scenarios.md §4.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from aicost.costing import (
    AVG_PROMPT,
    EPOCH,
    PROVIDER_OUT,
    PTS,
    RATE_COLUMNS,
    SIZE,
    STATUS,
    TIER,
    WSTATE,
    CellGrid,
    price_profile,
    total,
)
from aicost.pricing import PriceBook, rates_at
from aicost.pricing.model import Model
from aicost.scenarios.load import CHEAPEST, resolve_target
from aicost.scenarios.model import Move, Scenario
from aicost.schema import SERVICE_TIERS, TIMESTAMP_DTYPE, TOKEN_CLASSES

P = "_aicost_"
PPROVIDER, RMODEL, VARIANTS = f"{P}pprovider", f"{P}rmodel", f"{P}variants"
REM, SCOST, ESC, QSUM, MOVED = f"{P}rem", f"{P}scost", f"{P}esc", f"{P}qsum", f"{P}moved"
TOKENS = "_aicost_tokens"
RATE_KEYS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
# names that are not chat models, kept out of "@cheapest-same-provider" candidates
_NOT_CHAT = (
    r"embed|tts|whisper|transcri|audio|realtime|image|dall-e|moderation|rerank|search|sora|guard|ocr|speech|"
    r"voice|video|computer-use|-vl-|vision|\dv(?:-|$)|diffusion|flux|stable-|imagen|veo|lyria"
)
# the pick order's grid: prompt sizes from 128 to 16M tokens in 2^(1/_SIZE_STEPS) steps, and the share of
# the prompt read from cache in eighths. Against one cell per call on 200k bench calls (BENCHMARKS.md),
# with cells that ignore other models' tier starts: octaves and eighths are within 2.1% (4.4k cells);
# half-octaves and eighths 0.9% (7.2k cells, but simulate with 20 scenarios ~1.15x report instead of
# ~1.08x); quarter-octaves without cache shares, as before, 10% (56k cells).
_SIZE_STEPS = 1
_CACHE_EDGES = tuple(k / 8 for k in range(1, 8))
# candidates costed exactly per cell for "@cheapest-same-provider" (the cheapest by list price)
_CHEAPEST_SHORTLIST = 8
PGR_CURVES = {"routellm-mf-mtbench": [(0.134, 0.5), (0.313, 0.8)]}


@dataclass
class Memo:
    """Work that scenarios applied to the same cells share (one simulate run, one forecast month): the
    cheapest/dearest-first order of the cells and each real target's rates do not depend on the scenario."""

    orders: dict[bool, pl.Series] = field(default_factory=dict)
    rates: dict[tuple[Any, ...], pl.DataFrame] = field(default_factory=dict)
    # whole-cell costs on the source's own rates (a `price_ratio` target's, before the ratio), per move shape
    costs: dict[tuple[Any, ...], pl.Series] = field(default_factory=dict)
    # the cells this memo serves, and the priced ones with every scenario's running columns at their start
    cells: pl.DataFrame | None = None
    start: pl.DataFrame = field(default_factory=pl.DataFrame)


@dataclass
class MoveOutcome:
    """What one move did."""

    name: str
    # what the moved traffic runs on ("openai/gpt-5.4-mini", "0.01 × each source model's rates", …)
    target: str = ""
    requests_moved: float = 0.0
    baseline_cost_moved: float = 0.0
    cost_after: float = 0.0
    escalation_cost: float = 0.0
    requests_too_long: int = 0


@dataclass
class ScenarioOutcome:
    """A scenario applied to the cells: per-cell scenario costs and the headline figures."""

    scenario: Scenario
    frame: pl.DataFrame  # priced cells with `scenario_cost` and `quality` columns
    baseline_cost: float
    total_cost: float
    requests: int
    moves: list[MoveOutcome]
    quality: float | None
    quality_floor: float | None
    warnings: list[str] = field(default_factory=list)

    @property
    def savings(self) -> float:
        """Baseline minus scenario cost, USD."""
        return self.baseline_cost - self.total_cost

    @property
    def savings_pct(self) -> float:
        """Savings as a percentage of the baseline."""
        return 100.0 * self.savings / self.baseline_cost if self.baseline_cost else 0.0

    @property
    def requests_moved(self) -> float:
        """Requests (fractional for partial cells) served by a target."""
        return sum(m.requests_moved for m in self.moves)

    @property
    def share_of_requests_moved(self) -> float:
        """Moved requests over all priced requests."""
        return self.requests_moved / self.requests if self.requests else 0.0

    @property
    def share_of_spend_moved(self) -> float:
        """Baseline spend of the moved requests over the whole baseline."""
        moved = sum(m.baseline_cost_moved for m in self.moves)
        return moved / self.baseline_cost if self.baseline_cost else 0.0

    @property
    def escalation_cost(self) -> float:
        """What moved traffic still pays the source model (escalations, advisor calls, strong routes)."""
        return sum(m.escalation_cost for m in self.moves)

    @property
    def cost_per_successful_request(self) -> float | None:
        """Scenario cost over requests answered well (when quality is modelled)."""
        if self.quality is None or self.quality <= 0 or not self.requests:
            return None
        return self.total_cost / (self.requests * self.quality)


def _targets(move: Move, book: PriceBook) -> list[Model]:
    """The real models a move may price on (every chat candidate for "@cheapest-same-provider")."""
    if move.to == CHEAPEST:
        return [m for t in book.tables for m in t.model]
    if move.to is None:
        return []  # a hypothetical target prices by its source's own dates; explicit rates have none
    r = resolve_target(move, book)
    return [book.model(r.price_provider, r.model)] if r.priced and r.price_provider and r.model else []


def cell_grid(scenarios: Sequence[Scenario], book: PriceBook) -> CellGrid:
    """How finely the cells must be cut for these scenarios (CellGrid), and what merging keeps apart.

    - every target's context window and long-context tier starts fall on a prompt-size edge;
    - a move that picks the cheapest or dearest calls first orders cells by cost per request, so cells
      are cut on a geometric grid of prompt sizes and, what moves a call's cost more, of the share of its
      prompt read from cache (measured against per-call ordering: BENCHMARKS.md);
    - a cache override is exact on cells cut at its hit rate;
    - merged cells keep apart every real target's price dates, and window states if a target has windows.
    """
    sizes: set[int] = set()
    shares: set[float] = set()
    dates: set[dt.datetime] = set()
    windowed = False
    every_bound = False
    for scenario in scenarios:
        for move in scenario.move:
            if move.pick != "proportional":
                sizes.update(round(2 ** (k / _SIZE_STEPS)) for k in range(7 * _SIZE_STEPS, 24 * _SIZE_STEPS + 1))
                shares.update(_CACHE_EDGES)
            if move.cache is not None and 0 < move.cache.hit_rate < 1:
                shares.add(move.cache.hit_rate)
            every_bound = every_bound or move.to == CHEAPEST
            for model in _targets(move, book):
                profile = price_profile(model)
                points = [model.context_window] if model.context_window else []
                sizes.update(int(p / move.tokens.input) for p in [*points, *profile.starts])
                if move.to != CHEAPEST:
                    dates.update(profile.dates)
                    windowed = windowed or profile.windowed
    if every_bound:  # candidates from every provider: keep every book-wide bound
        dates, windowed = set(book.epoch_bounds), len(book.week_bounds) > 1
    return CellGrid(
        size_edges=tuple(sorted(sizes)),
        cache_edges=tuple(sorted(shares)),
        keep_dates=tuple(sorted(dates)),
        keep_windows=windowed,
    )


def _glob_mask(patterns: Sequence[str]) -> pl.Expr:
    """Cells whose "provider/model", logged model or price-table model id matches a glob."""
    if any(p.strip() == "*" for p in patterns):
        return pl.lit(True)
    regex = "|".join(f"(?:{_glob_regex(p.strip().lower())})" for p in patterns)
    host = pl.col(PROVIDER_OUT).fill_null("").str.to_lowercase()
    logged = pl.col("model").str.to_lowercase()
    priced = pl.col(RMODEL).fill_null("").str.to_lowercase()
    return (
        (host + "/" + logged).str.contains(regex)
        | logged.str.contains(regex)
        | (host + "/" + priced).str.contains(regex)
        | priced.str.contains(regex)
    )


def _glob_regex(pattern: str) -> str:
    """A shell glob (* and ?) as an anchored regex Polars' (Rust) engine accepts."""
    out = []
    for char in pattern:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char in ".^$+()[]{}|\\":
            out.append("\\" + char)
        else:
            out.append(char)
    return "^" + "".join(out) + "$"


def _where_mask(where: dict[str, list[str]], columns: Sequence[str]) -> pl.Expr:
    mask = pl.lit(True)
    for key, values in where.items():
        column = {"service_tier": TIER, "provider": PROVIDER_OUT}.get(key, key)
        if column not in columns:
            return pl.lit(False)
        mask = mask & pl.col(column).cast(pl.String).is_in([str(v) for v in values])
    return mask


def _tokens() -> pl.Expr:
    return pl.sum_horizontal(*(pl.col(c) for c in TOKEN_CLASSES))


def _select(frame: pl.DataFrame, move: Move, eligible: pl.Series, memo: Memo) -> pl.Series:
    """The fraction of each cell this move claims (0 where not eligible), by share, basis and pick."""
    if move.pick == "proportional":
        return (frame[REM].zip_with(eligible, pl.Series([0.0])) * move.share).alias("claim")
    basis = {
        "requests": pl.col("requests").cast(pl.Float64),
        "tokens": pl.col(TOKENS).cast(pl.Float64),
        "cost": pl.col("cost"),
    }[move.basis]
    work = frame.select(
        pl.when(pl.lit(eligible)).then(pl.col(REM)).otherwise(0.0).alias("rem"),
        basis.alias("basis"),
        (pl.col("cost") / pl.max_horizontal(pl.col("requests"), pl.lit(1))).alias("per_request"),
        pl.col(SIZE).alias("size"),
        pl.int_range(pl.len()).alias("i"),
    )
    available = work["rem"] * work["basis"]
    target = move.share * float(available.sum())
    descending = move.pick == "largest"
    if descending not in memo.orders:
        # the order depends on the cells only, not on what this move may claim: sort once per run
        memo.orders[descending] = work.sort(["per_request", "size", "i"], descending=[descending, descending, False])[
            "i"
        ]
    ordered = work.with_columns(available.alias("avail"))[memo.orders[descending]]
    before = ordered["avail"].cum_sum() - ordered["avail"]
    take = ((target - before) / ordered["avail"]).clip(0.0, 1.0).fill_nan(0.0)
    take = pl.Series(take).fill_null(0.0)
    claim = (ordered["rem"] * take).alias("claim")
    # back to cell order: scatter by the original index instead of sorting a second time
    return pl.Series("claim", [0.0] * frame.height, dtype=pl.Float64).scatter(ordered["i"], claim)


def _model_rates(
    frame: pl.DataFrame, book: PriceBook, model_of: Model | None, tier: str, scale: float, backdate: bool
) -> pl.DataFrame:
    """Per-token rates (USD) of a model chosen per cell, at each cell's time, window and scaled prompt.

    Rates are computed once per distinct key that can change them: for a fixed target that is the target's
    own price epoch, tier bucket and (if it has windows) window state, so few Python calls serve many cells.
    """
    if model_of is None:
        keys = [PPROVIDER, RMODEL, VARIANTS, EPOCH, WSTATE, SIZE]
        keyed = frame
    else:
        profile = price_profile(model_of)
        dates, starts, windowed = profile.dates, profile.starts, profile.windowed
        keyed = frame.with_columns(
            (
                pl.lit(pl.Series(dates, dtype=TIMESTAMP_DTYPE)).search_sorted(pl.col(PTS), side="right")
                if dates
                else pl.lit(0)
            )
            .cast(pl.UInt32)
            .alias("_m_epoch"),
            (
                pl.lit(pl.Series([float(s) for s in starts], dtype=pl.Float64)).search_sorted(
                    pl.col(AVG_PROMPT) * scale, side="left"
                )
                if starts
                else pl.lit(0)
            )
            .cast(pl.UInt32)
            .alias("_m_tier"),
            (pl.col(WSTATE) if windowed else pl.lit(0, dtype=pl.UInt32)).alias("_m_state"),
        )
        keys = ["_m_epoch", "_m_tier", "_m_state"]
    reps = keyed.group_by(keys).agg(pl.col(PTS).min(), pl.col(AVG_PROMPT).min())
    rows = []
    for row in reps.iter_rows(named=True):
        model = book.model(row[PPROVIDER], row[RMODEL]) if model_of is None else model_of
        variants = bool(row[VARIANTS]) if model_of is None else True
        r = rates_at(model, row[PTS], tier, row[AVG_PROMPT] * scale, variants=variants, backdate=backdate)
        rows.append(
            [row[k] for k in keys]
            + [
                None if v is None else v / 1e6
                for v in (r.input, r.cache_read, r.cache_write, r.cache_write_1h, r.output, r.reasoning)
            ]
            + [r.per_request, r.tier_applied]
        )
    schema: dict[str, Any] = {k: reps.schema[k] for k in keys} | {f"t_{k}": pl.Float64 for k in RATE_KEYS}
    schema |= {"t_request": pl.Float64, "t_tier_applied": pl.Boolean}
    rates = pl.DataFrame(rows, schema=schema, orient="row")
    return keyed.join(rates, on=keys, how="left", nulls_equal=True, maintain_order="left").select(
        [f"t_{k}" for k in RATE_KEYS] + ["t_request", "t_tier_applied"]
    )


def _target_cost(rates: pl.DataFrame, frame: pl.DataFrame, move: Move) -> pl.Series:
    """Cost of a whole cell on the target, with token multipliers and the cache override."""
    k_in, k_out = move.tokens.input, move.tokens.output
    prompt = pl.sum_horizontal(*(pl.col(c) for c in TOKEN_CLASSES[:4])).cast(pl.Float64) * k_in
    cr = pl.col("cache_read_tokens").cast(pl.Float64) * k_in
    cw = pl.col("cache_write_tokens").cast(pl.Float64) * k_in
    cw1h = pl.col("cache_write_1h_tokens").cast(pl.Float64) * k_in
    if move.cache is not None:
        cr = pl.min_horizontal(pl.max_horizontal(cr, prompt * move.cache.hit_rate), prompt - cw - cw1h)
    uncached = prompt - cr - cw - cw1h
    out = pl.col("output_tokens").cast(pl.Float64) * k_out
    reasoning = pl.col("reasoning_tokens").cast(pl.Float64) * k_out
    data = pl.concat([frame, rates], how="horizontal")
    t_in = pl.col("t_input").fill_null(0.0)
    cost = (
        uncached * t_in
        + cr * pl.col("t_cache_read").fill_null(t_in)
        + cw * pl.col("t_cache_write").fill_null(t_in)
        + cw1h * pl.col("t_cache_write_1h").fill_null(pl.col("t_cache_write").fill_null(t_in))
        + pl.when(pl.col("t_reasoning").is_not_null() & (pl.col("t_reasoning") != pl.col("t_output")))
        .then((out - reasoning) * pl.col("t_output").fill_null(0.0) + reasoning * pl.col("t_reasoning"))
        .otherwise(out * pl.col("t_output").fill_null(0.0))
        + pl.col("requests") * pl.col("t_request").fill_null(0.0)
    )
    return data.select(cost.alias("t"))["t"]


@dataclass
class _Target:
    cost: pl.Series  # whole-cell cost on the target (blended with batch_share)
    fits: pl.Series  # the cell's prompts fit the target's context window
    label: str
    warnings: list[str]


def _source_rate_frame(frame: pl.DataFrame) -> pl.DataFrame:
    names = dict(zip(RATE_COLUMNS[:6], [f"t_{k}" for k in RATE_KEYS], strict=True))
    return frame.select(
        *(pl.col(src).alias(dst) for src, dst in names.items()),
        pl.col("rate_request").alias("t_request"),
        pl.lit(True).alias("t_tier_applied"),
    )


def _scaled(rates: pl.DataFrame, ratio: float) -> pl.DataFrame:
    return rates.with_columns(pl.col(c) * ratio for c in [*(f"t_{k}" for k in RATE_KEYS), "t_request"])


def _target(frame: pl.DataFrame, move: Move, book: PriceBook, backdate: bool, memo: Memo) -> _Target:
    warnings: list[str] = []
    fits = pl.Series([True] * frame.height)
    batch_tier = "batch"
    if move.price_ratio is not None:
        ratio = move.price_ratio
        label = f"{ratio:g} × each source model's rates"
        batch = None
        if move.batch_share:
            batch = _scaled(_model_rates(frame, book, None, batch_tier, 1.0, backdate), ratio)
        else:
            # cost is linear in the rates: the source-rate cost of this move's token shape, times the ratio
            shape = (move.tokens.input, move.tokens.output, None if move.cache is None else move.cache.hit_rate)
            if shape not in memo.costs:
                memo.costs[shape] = _target_cost(_source_rate_frame(frame), frame, move)
            return _Target(cost=memo.costs[shape] * ratio, fits=fits, label=label, warnings=warnings)
        std = _scaled(_source_rate_frame(frame), ratio)
    elif move.to_rates is not None:
        r = move.to_rates
        label = "rates " + ", ".join(f"{k} ${v:g}/M" for k, v in r.items())
        inp = r["input"] / 1e6
        cw = r.get("cache_write", r["input"]) / 1e6
        std = pl.DataFrame(
            {
                "t_input": [inp] * frame.height,
                "t_cache_read": [r.get("cache_read", r["input"]) / 1e6] * frame.height,
                "t_cache_write": [cw] * frame.height,
                "t_cache_write_1h": [r.get("cache_write_1h", cw * 1e6) / 1e6] * frame.height,
                "t_output": [r["output"] / 1e6] * frame.height,
                "t_reasoning": [r["output"] / 1e6] * frame.height,
                "t_request": [0.0] * frame.height,
                "t_tier_applied": [True] * frame.height,
            }
        )
        batch = None
        if move.batch_share:
            warnings.append(f"{move.name or 'move'}: explicit to_rates have no batch tier; batch_share ignored")
    elif move.to == CHEAPEST:
        return _cheapest(frame, move, book, backdate)
    else:
        resolution = resolve_target(move, book)
        assert resolution.price_provider is not None and resolution.model is not None
        model = book.model(resolution.price_provider, resolution.model)
        label = f"{resolution.provider}/{model.id}"
        key = (resolution.price_provider, model.id, move.tokens.input, backdate)
        if ("std", *key) not in memo.rates:
            memo.rates["std", *key] = _tier_rates(frame, book, model, move.tokens.input, backdate)
        std = memo.rates["std", *key]
        batch = None
        if move.batch_share:
            if ("batch", *key) not in memo.rates:
                memo.rates["batch", *key] = _model_rates(frame, book, model, batch_tier, move.tokens.input, backdate)
            batch = memo.rates["batch", *key]
        if model.context_window:
            fits = frame.select((pl.col(AVG_PROMPT) * move.tokens.input <= model.context_window).alias("fits"))["fits"]
        warnings += _missing_price_warnings(frame, model, label)
    cost = _target_cost(std, frame, move)
    if batch is not None:
        batch_cost = _target_cost(batch, frame, move)
        applied = batch["t_tier_applied"].fill_null(False)
        if not bool(applied.all()) and move.requires != ["batch_rates"]:
            warnings.append(
                f"{move.name or 'move'}: some targets have no batch rates; those calls stay at standard rates"
            )
        cost = cost * (1 - move.batch_share) + batch_cost * move.batch_share
    return _Target(cost=cost, fits=fits, label=label, warnings=warnings)


def _tier_rates(frame: pl.DataFrame, book: PriceBook, model: Model, scale: float, backdate: bool) -> pl.DataFrame:
    """A real target's rates in each cell's own service tier (standard where the target has none)."""
    parts = []
    for tier in frame[TIER].unique().to_list():
        tier_name = tier if tier in SERVICE_TIERS else "standard"
        mask = frame[TIER] == tier
        part = _model_rates(frame.filter(mask), book, model, tier_name, scale, backdate)
        parts.append(part.with_columns(pl.Series("i", mask.arg_true())))
    return pl.concat(parts).sort("i").drop("i")


def _missing_price_warnings(frame: pl.DataFrame, model: Model, label: str) -> list[str]:
    entry = model.price[-1]
    out = []
    for column, key, name in (
        ("cache_read_tokens", "cache_read", "cache-read"),
        ("cache_write_tokens", "cache_write", "cache-write"),
        ("cache_write_1h_tokens", "cache_write_1h", "1-hour cache-write"),
    ):
        if getattr(entry, key) is None and int(frame[column].sum() or 0) > 0:
            fallback = "input" if key != "cache_write_1h" or entry.cache_write is None else "5-minute write"
            out.append(
                f"target {label} has no {name} price; the source's {name} tokens are priced at its {fallback} rate"
            )
    return out


def _cheapest(frame: pl.DataFrame, move: Move, book: PriceBook, backdate: bool) -> _Target:
    """Per cell, the cheapest chat model of the cell's own provider that fits its prompts."""
    best = pl.Series([None] * frame.height, dtype=pl.Float64)
    names = pl.Series([None] * frame.height, dtype=pl.String)
    for provider in frame[PPROVIDER].unique().to_list():
        mask = frame[PPROVIDER] == provider
        part = frame.filter(mask)
        index = mask.arg_true()
        for model in _candidates(book, provider)[:_CHEAPEST_SHORTLIST]:
            rates = _tier_rates(part, book, model, move.tokens.input, backdate)
            cost = _target_cost(rates, part, move)
            if model.context_window:
                too_long = part[AVG_PROMPT] * move.tokens.input > model.context_window
                cost = cost.set(too_long, None)
            current = best.gather(index)
            better = cost.is_not_null() & (current.is_null() | (cost < current))
            best = best.scatter(index.filter(better), cost.filter(better))
            names = names.scatter(index.filter(better), pl.Series([model.id] * int(better.sum())))
    fits = best.is_not_null()
    chosen = sorted(set(names.drop_nulls().to_list()))
    label = (
        "the cheapest chat model of each provider (" + ", ".join(chosen[:6]) + (", …" if len(chosen) > 6 else "") + ")"
    )
    return _Target(cost=best.fill_null(0.0), fits=fits, label=label, warnings=[])


@functools.cache
def _not_chat() -> re.Pattern[str]:
    # compiled on first use: a case-insensitive alternation takes ~30 ms to compile, too much for start-up
    return re.compile(_NOT_CHAT, re.IGNORECASE)


def _candidates(book: PriceBook, provider: str) -> list[Model]:
    """Chat models of a provider, cheapest first by today's base input + output rate."""
    out = []
    for model in book.models.get(provider, []):
        entry = model.price[-1]
        if model.deprecated or model.delisted is not None or _not_chat().search(model.id):
            continue
        if entry.input is None or entry.output is None:
            continue
        out.append(model)
    return sorted(out, key=lambda m: _base(m.price[-1].input) + _base(m.price[-1].output))


def _base(rate: Any) -> float:
    return float(rate if isinstance(rate, float | int) else rate.base)


def _pgr(move: Move) -> Any:
    assert move.router is not None
    if move.router.points:
        points = list(move.router.points)
    elif move.router.pgr in PGR_CURVES:
        points = PGR_CURVES[move.router.pgr]
    else:
        return move.router.strong_share
    xs = [0.0, *(p[0] for p in points), 1.0]
    ys = [0.0, *(p[1] for p in points), 1.0]
    s = move.router.strong_share
    for (x0, y0), (x1, y1) in zip(zip(xs, ys, strict=True), zip(xs[1:], ys[1:], strict=True), strict=True):
        if x0 <= s <= x1:
            return y0 + (y1 - y0) * (s - x0) / (x1 - x0) if x1 > x0 else y1
    return s


def apply(
    scenario: Scenario,
    cells: pl.DataFrame,
    book: PriceBook,
    *,
    backdate: bool = False,
    baseline: float | None = None,
    memo: Memo | None = None,
) -> ScenarioOutcome:
    """Apply a scenario's moves in order to priced cells (`baseline`: their total cost, if known; `memo`:
    shared by scenarios applied to these same cells)."""
    memo = memo if memo is not None else Memo()
    if memo.cells is not cells:  # a memo serves one set of cells: start afresh on others
        memo.orders.clear()
        memo.rates.clear()
        memo.costs.clear()
        memo.cells = cells
        memo.start = cells.filter(pl.col(STATUS) == "priced").with_columns(
            pl.lit(1.0).alias(REM),
            pl.lit(0.0).alias(SCOST),
            pl.lit(0.0).alias(ESC),
            pl.lit(0.0).alias(QSUM),
            pl.lit(0.0).alias(MOVED),
            _tokens().alias(TOKENS),
        )
    frame = memo.start
    outcomes: list[MoveOutcome] = []
    warnings: list[str] = []
    quality_modelled = False
    floors = []
    for i, move in enumerate(scenario.move):
        name = move.name or f"move {i + 1}"
        outcome = MoveOutcome(name=name)
        missing = [
            k for k in move.where if {"service_tier": TIER, "provider": PROVIDER_OUT}.get(k, k) not in frame.columns
        ]
        if missing:
            warnings.append(f"{name}: where key {missing[0]!r} is not a column of these logs; it matches nothing")
        eligible = frame.select(
            (_glob_mask(move.from_) & _where_mask(move.where, frame.columns) & _requirements(move, frame, book)).alias(
                "e"
            )
        )["e"]
        if frame.height == 0 or not bool(eligible.any()):
            warnings.append(f"{name}: no priced traffic matches its from/where filters")
            outcomes.append(outcome)
            continue
        # a what-if asks what the target costs: tier rates recorded only from a verification date still apply
        target = _target(frame, move, book, True, memo)
        outcome.target = target.label
        warnings += target.warnings
        claim = _select(frame, move, eligible, memo)
        too_long = claim.to_frame("c").select(pl.col("c") > 0)["c"] & ~target.fits
        outcome.requests_too_long = int(frame["requests"].filter(too_long).sum() or 0)
        claim = pl.Series(claim).set(~target.fits, 0.0)
        source_cost = frame["cost"]
        esc_cost, after, move_quality = _mode(move, target.cost, source_cost, frame["requests"])
        if move.quality is not None or move.mode == "route":
            quality_modelled = True
        if move.quality is not None and move.quality.floor is not None:
            floors.append(move.quality.floor)
        outcome.requests_moved = float((claim * frame["requests"]).sum())
        outcome.baseline_cost_moved = float((claim * source_cost).sum())
        outcome.cost_after = float((claim * after).sum())
        outcome.escalation_cost = float((claim * esc_cost).sum())
        frame = frame.with_columns(
            (pl.col(REM) - claim).clip(0.0, 1.0).alias(REM),
            (pl.col(SCOST) + claim * after).alias(SCOST),
            (pl.col(ESC) + claim * esc_cost).alias(ESC),
            (pl.col(QSUM) + claim * frame["requests"] * move_quality).alias(QSUM),
            (pl.col(MOVED) + claim).alias(MOVED),
        )
        if outcome.requests_too_long:
            warnings.append(
                f"{name}: {outcome.requests_too_long:,} requests have prompts longer than "
                f"{target.label}'s context window and are not moved"
            )
        _share_warning(outcome, frame, warnings)
        outcomes.append(outcome)
    frame = frame.with_columns(
        (pl.col(REM) * pl.col("cost") + pl.col(SCOST)).alias("scenario_cost"),
        ((pl.col(REM) * pl.col("requests") + pl.col(QSUM)) / pl.max_horizontal(pl.col("requests"), pl.lit(1))).alias(
            "quality"
        ),
    )
    requests = int(frame["requests"].sum() or 0)
    quality = None
    if quality_modelled and requests:
        quality = float((frame["quality"] * frame["requests"]).sum()) / requests
    return ScenarioOutcome(
        scenario=scenario,
        frame=frame,
        baseline_cost=total(frame["cost"]) if baseline is None else baseline,
        # a plain sum over cells in their fixed order: reproducible, and far cheaper than fsum per scenario
        total_cost=float(frame["scenario_cost"].sum()),
        requests=requests,
        moves=outcomes,
        quality=quality,
        quality_floor=max(floors) if floors else None,
        warnings=warnings,
    )


def _requirements(move: Move, frame: pl.DataFrame, book: PriceBook) -> pl.Expr:
    if not move.requires:
        return pl.lit(True)
    pairs = frame.select(PPROVIDER, RMODEL).unique()
    keep = []
    for provider, model_id in pairs.iter_rows():
        model = book.model(provider, model_id)
        ok = True
        if "batch_rates" in move.requires:
            ok &= any(v.tier == "batch" for v in model.variant)
        if "cache_rates" in move.requires:
            entry = model.price[-1]
            ok &= entry.cache_read is not None and entry.cache_read != entry.input
        if ok:
            keep.append(f"{provider}\x00{model_id}")
    return (pl.col(PPROVIDER) + "\x00" + pl.col(RMODEL)).is_in(keep)


def _mode(
    move: Move, target: pl.Series, source: pl.Series, requests: pl.Series
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """(escalation cost, cost after the move, quality) per whole cell."""
    q = move.quality
    zero = target * 0.0
    ones = zero + 1.0
    if move.mode == "cascade":
        assert q is not None
        esc = q.pass_rate * q.false_reject + (1 - q.pass_rate) * (1 - q.false_accept)
        fraction = {"full": 1.0, "partial": q.fraction, "none": 0.0}[q.escalate]
        esc_cost = source * (esc * fraction)
        good = q.pass_rate if q.escalate == "none" else q.pass_rate * (1 - q.false_reject) + esc * q.source_quality
        return esc_cost, target + esc_cost, ones * good
    if move.mode == "route":
        assert move.router is not None
        s = move.router.strong_share
        q_w = q.pass_rate if q is not None else 1.0
        q_s = q.source_quality if q is not None else 1.0
        overhead = requests.cast(pl.Float64) * move.router.overhead_per_million / 1e6
        strong = source * s
        return strong, strong + target * (1 - s) + overhead, ones * (q_w + _pgr(move) * (q_s - q_w))
    if move.mode == "advisor":
        advice = source * move.advisor_share
        return advice, target + advice, ones * (q.pass_rate if q is not None else 1.0)
    return zero, target, ones * (q.pass_rate if q is not None else 1.0)


def _share_warning(outcome: MoveOutcome, frame: pl.DataFrame, warnings: list[str]) -> None:
    requests = float(frame["requests"].sum() or 0)
    spend = float(frame["cost"].sum() or 0)
    if not requests or not spend:
        return
    req_share = outcome.requests_moved / requests
    spend_share = outcome.baseline_cost_moved / spend
    if req_share > 0 and spend_share > 0 and (req_share / spend_share > 1.5 or spend_share / req_share > 1.5):
        warnings.append(f"{outcome.name}: the {req_share:.0%} of requests it moves are {spend_share:.0%} of spend")
