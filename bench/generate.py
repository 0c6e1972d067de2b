"""Seeded canonical usage logs of any size, in Parquet and JSONL, for the benchmark.

    python bench/generate.py --rows 10_000_000 --format parquet --out bench/data/logs-10m.parquet
    python bench/generate.py --rows 2_000_000 --format jsonl --out bench/data/logs-2m.jsonl
    python bench/generate.py --rows 1_000_000 --flat --out bench/data/flat-1m.parquet

A made-up company's year of per-call traffic (December 2025 to November 2026, busier every month, mostly
on weekday working hours) over 41 models of 15 providers: prompt caching (reads, 5-minute and 1-hour
writes), reasoning output, batch/flex/priority calls (from mid-October 2026, when the bundled tables start
pricing them), long prompts that cross 200k/272k tiers, DeepSeek
calls at all hours (its off-peak windows), a model whose price changes mid-year, and four tag columns
(feature, team, user, environment). `--flat` keeps to models with one untiered, window-free price over
the year and standard tier only, so one flat rate per model and class prices it exactly (the DuckDB
reference's total must equal aicost's there). The same --rows and --seed always give the same file.
Rows are generated in chunks with numpy, so memory stays flat at any size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

SEED = 8
START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CHUNK = 1_000_000
# the bundled tables record batch/flex/priority rates from mid-October 2026
TIERS_FROM = dt.datetime(2026, 10, 15, tzinfo=dt.UTC)
GROWTH = 3.0  # December 2026 is this many times busier than December 2025
FEATURES = ("chat", "search", "summarize", "code-review", "extract", "agent", "classify", "translate")
TEAMS = ("support", "growth", "platform", "legal", "data", "mobile")
ENVIRONMENTS = ("prod", "prod", "prod", "staging", "dev")
USERS = 5_000


@dataclass(frozen=True)
class Mix:
    """One model in the traffic mix and the shape of its calls."""

    provider: str
    model: str
    weight: float
    prompt: tuple[int, int]  # log-uniform range of prompt tokens
    output: tuple[int, int]
    cached: float = 0.0  # share of calls that read most of the prompt from cache
    reasoning: bool = False
    tiers: str = ""  # service tiers some calls use: b(atch), f(lex), p(riority)
    flat: bool = True  # one untiered, window-free, unchanging price over the year; standard tier only


# (prompt ranges reaching past 200k/272k on the models with long-context tiers)
MIXES = (
    Mix("openai", "gpt-4o", 4, (300, 8_000), (50, 800), 0.4, tiers="bp"),
    Mix("openai", "gpt-4o-mini", 10, (200, 6_000), (30, 600), 0.3, tiers="bp"),
    Mix("openai", "gpt-4.1", 3, (500, 30_000), (100, 1_500), 0.5, tiers="bp"),
    Mix("openai", "gpt-4.1-mini", 6, (300, 20_000), (50, 1_000), 0.5, tiers="bp"),
    Mix("openai", "gpt-4.1-nano", 4, (100, 4_000), (10, 300), 0.2, tiers="bp"),
    Mix("openai", "gpt-5", 3, (1_000, 60_000), (200, 4_000), 0.6, reasoning=True, tiers="bfp"),
    Mix("openai", "gpt-5-mini", 7, (500, 30_000), (100, 2_000), 0.5, reasoning=True, tiers="bfp"),
    Mix("openai", "gpt-5-nano", 5, (200, 10_000), (50, 1_000), 0.3, reasoning=True, tiers="bf"),
    Mix("openai", "gpt-5.4", 4, (2_000, 400_000), (200, 4_000), 0.6, reasoning=True, tiers="bfp", flat=False),
    Mix("openai", "gpt-5.4-mini", 8, (500, 40_000), (80, 1_500), 0.5, tiers="bfp"),
    Mix("openai", "gpt-5.5", 2, (5_000, 450_000), (300, 6_000), 0.7, reasoning=True, tiers="bfp", flat=False),
    Mix("openai", "o3", 1, (2_000, 80_000), (500, 8_000), 0.4, reasoning=True, tiers="bfp"),
    Mix("openai", "o4-mini", 2, (1_000, 40_000), (300, 5_000), 0.4, reasoning=True, tiers="bfp"),
    Mix("azure", "gpt-4o", 2, (300, 8_000), (50, 800), 0.3),
    Mix("anthropic", "claude-opus-4-7", 2, (5_000, 150_000), (300, 6_000), 0.8, tiers="b"),
    Mix("anthropic", "claude-opus-4-6", 1, (5_000, 300_000), (300, 6_000), 0.8, flat=False),
    Mix("anthropic", "claude-sonnet-4-5-20250929", 5, (3_000, 320_000), (200, 4_000), 0.8, tiers="b", flat=False),
    Mix("anthropic", "claude-sonnet-4-6", 5, (3_000, 300_000), (200, 4_000), 0.8, flat=False),
    Mix("anthropic", "claude-haiku-4-5-20251001", 8, (500, 20_000), (50, 1_000), 0.6, tiers="b"),
    Mix("anthropic", "claude-3-5-haiku-20241022", 1, (500, 10_000), (50, 800), 0.5),
    Mix("google", "gemini-2.5-pro", 3, (2_000, 400_000), (200, 4_000), 0.4, reasoning=True, flat=False),
    Mix("google", "gemini-2.5-flash", 8, (500, 60_000), (50, 2_000), 0.3, reasoning=True, tiers="b"),
    Mix("google", "gemini-2.5-flash-lite", 5, (200, 20_000), (20, 800), 0.2, tiers="b"),
    Mix("google", "gemini-3.1-pro-preview", 1, (2_000, 350_000), (200, 4_000), 0.4, reasoning=True, flat=False),
    Mix("google", "gemini-2.0-flash", 2, (200, 10_000), (20, 800), 0.2),
    Mix("mistral", "mistral-large-2512", 2, (500, 30_000), (100, 2_000), 0.2),
    Mix("mistral", "mistral-small-latest", 2, (200, 8_000), (20, 800), 0.1, flat=False),
    Mix("deepseek", "deepseek-chat", 3, (500, 40_000), (100, 2_000), 0.5, flat=False),
    Mix("deepseek", "deepseek-reasoner", 1, (500, 40_000), (300, 6_000), 0.5, reasoning=True, flat=False),
    Mix("zai", "glm-5.1", 1, (1_000, 60_000), (200, 3_000), 0.4),
    Mix("fireworks", "accounts/fireworks/models/glm-5p1", 1, (1_000, 60_000), (200, 3_000), 0.4),
    Mix("x-ai", "grok-4", 1, (1_000, 60_000), (200, 4_000), 0.3, reasoning=True),
    Mix("x-ai", "grok-3-mini", 1, (200, 10_000), (50, 1_000), 0.2),
    Mix("aws", "us.anthropic.claude-sonnet-4-20250514-v1:0", 2, (2_000, 100_000), (200, 3_000), 0.6),
    Mix("aws", "amazon.nova-pro-v1:0", 1, (500, 20_000), (50, 1_000), 0.2),
    Mix("aws", "amazon.nova-lite-v1:0", 1, (200, 8_000), (20, 600), 0.1),
    Mix("groq", "llama-3.3-70b-versatile", 2, (200, 8_000), (50, 800)),
    Mix("cohere", "command-r-plus", 1, (500, 20_000), (100, 1_000)),
    Mix("perplexity", "sonar-pro", 1, (200, 4_000), (100, 1_000)),
    Mix("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 1, (200, 8_000), (50, 800)),
    Mix("moonshotai", "kimi-k2", 1, (500, 30_000), (100, 2_000)),
)


def mixes(flat: bool) -> tuple[Mix, ...]:
    """The models a log draws from."""
    return tuple(m for m in MIXES if m.flat) if flat else MIXES


def _times(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """n sorted epoch-microsecond timestamps in the [lo, hi) slice of the year (volume growing GROWTH-fold)."""
    span = (END - START).total_seconds()
    u = np.sort(rng.uniform(lo, hi, n))
    frac = np.log1p(u * (GROWTH - 1)) / math.log(GROWTH)  # inverse CDF of an exponential ramp
    seconds = frac * span
    # fold 70% of night/weekend calls onto working hours (09:00-18:00 UTC on the same day)
    day = np.floor(seconds / 86400)
    clock = seconds - day * 86400
    weekday = (day + START.weekday()) % 7
    quiet = (weekday >= 5) | (clock < 9 * 3600) | (clock >= 18 * 3600)
    fold = quiet & (rng.random(n) < 0.7) & (weekday < 5)
    clock = np.where(fold, 9 * 3600 + clock % (9 * 3600), clock)
    micros = (START.timestamp() + day * 86400 + clock) * 1e6
    return np.sort(micros.astype(np.int64))


def _log_uniform(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    values: np.ndarray = np.round(lo * (hi / lo) ** rng.random(len(lo))).astype(np.int64)
    return values


def chunk(index: int, rows: int, total: int, *, flat: bool, request_ids: bool, seed: int = SEED) -> pl.DataFrame:
    """Rows [index*CHUNK, index*CHUNK + rows) of a `total`-row log."""
    rng = np.random.default_rng([seed, index, int(flat)])
    pool = mixes(flat)
    weights = np.array([m.weight for m in pool], dtype=np.float64)
    pick = rng.choice(len(pool), size=rows, p=weights / weights.sum())
    first = index * CHUNK
    ts = _times(rng, rows, first / total, (first + rows) / total)

    def per_model(values: list[object], dtype: type = np.int64) -> np.ndarray:
        return np.asarray(values, dtype=dtype)[pick]

    prompt = _log_uniform(
        rng, per_model([m.prompt[0] for m in pool], np.float64), per_model([m.prompt[1] for m in pool], np.float64)
    )
    output = _log_uniform(
        rng, per_model([m.output[0] for m in pool], np.float64), per_model([m.output[1] for m in pool], np.float64)
    )
    cached = rng.random(rows) < per_model([m.cached for m in pool], np.float64)
    cache_read = np.where(cached, (prompt * rng.uniform(0.5, 0.95, rows)).astype(np.int64), 0)
    # a call that misses the cache writes its prefix: 1-hour writes on a tenth of Anthropic's
    anthropic = per_model([m.provider in ("anthropic", "aws") for m in pool], bool)
    writes = ~cached & anthropic & (per_model([m.cached for m in pool], np.float64) > 0)
    long_ttl = rng.random(rows) < 0.1
    write_share = (prompt * rng.uniform(0.3, 0.8, rows)).astype(np.int64)
    cache_write = np.where(writes & ~long_ttl, write_share, 0)
    cache_write_1h = np.where(writes & long_ttl, write_share, 0)
    reasoning = np.where(
        per_model([m.reasoning for m in pool], bool), (output * rng.uniform(0.2, 0.8, rows)).astype(np.int64), 0
    )
    tier_code = np.zeros(rows, dtype=np.int8)
    if not flat:
        # batch 8%, flex 3%, priority 1% of calls to models offering them, from when the tables price them
        roll = np.where(ts >= TIERS_FROM.timestamp() * 1e6, rng.random(rows), 1.0)
        for code, (letter, lo, hi) in enumerate((("b", 0.0, 0.08), ("f", 0.08, 0.11), ("p", 0.11, 0.12)), 1):
            offered = per_model([letter in m.tiers for m in pool], bool)
            tier_code = np.where(offered & (roll >= lo) & (roll < hi), code, tier_code)
    columns: dict[str, object] = {
        "timestamp": pl.Series(ts, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
        "provider": pl.Series([m.provider for m in pool], dtype=pl.Categorical).gather(pick).cast(pl.String),
        "model": pl.Series([m.model for m in pool]).gather(pick),
        "input_tokens": prompt - cache_read - cache_write - cache_write_1h,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": cache_write_1h,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
        "requests": np.ones(rows, dtype=np.int64),
        "service_tier": pl.Series([None, "batch", "flex", "priority"], dtype=pl.String).gather(tier_code),
    }
    if request_ids:
        # unique, unordered ids like a provider's (req_ + 16 hex digits)
        ids = (np.arange(first, first + rows, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(seed)
        columns["request_id"] = "req_" + pl.Series(ids).cast(pl.String).str.zfill(20)
    feature = rng.integers(0, len(FEATURES), rows)
    columns["feature"] = pl.Series(FEATURES).gather(feature)
    columns["team"] = pl.Series(TEAMS).gather(rng.integers(0, len(TEAMS), rows))
    user = np.minimum(rng.zipf(1.3, rows), USERS)
    columns["user"] = "user-" + pl.Series(user).cast(pl.String).str.zfill(4)
    columns["environment"] = pl.Series(ENVIRONMENTS).gather(rng.integers(0, len(ENVIRONMENTS), rows))
    return pl.DataFrame(columns)


def chunks(total: int, *, flat: bool = False, request_ids: bool = False, seed: int = SEED) -> Iterator[pl.DataFrame]:
    """The log as a stream of frames of at most CHUNK rows."""
    for index in range(math.ceil(total / CHUNK)):
        rows = min(CHUNK, total - index * CHUNK)
        yield chunk(index, rows, total, flat=flat, request_ids=request_ids, seed=seed)


def write(path: Path, total: int, fmt: str, *, flat: bool = False, request_ids: bool = False, seed: int = SEED) -> Path:
    """Write a `total`-row log to `path` (atomically: a partial file never has the final name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    stream = chunks(total, flat=flat, request_ids=request_ids, seed=seed)
    if fmt == "parquet":
        writer: pq.ParquetWriter | None = None
        for frame in stream:
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=256 * 1024)
        assert writer is not None
        writer.close()
    elif fmt == "jsonl":
        with tmp.open("wb") as fh:
            for frame in stream:
                text = frame.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
                text.write_ndjson(fh)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> None:
    """Command line: write one log file."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), required=True)
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--flat", action="store_true", help="only models one flat rate per class prices exactly")
    parser.add_argument("--request-ids", action="store_true", help="add a unique request_id per call")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    write(args.out, args.rows, args.format, flat=args.flat, request_ids=args.request_ids, seed=args.seed)
    json.dump({"path": str(args.out), "rows": args.rows, "bytes": args.out.stat().st_size}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
