"""Hypothesis invariants of the costing engine."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aicost.costing import STATUS, CellSpec, build_cells, total
from aicost.ingest.canonical import to_canonical
from aicost.ingest.files import LogFile
from aicost.pricing import PriceBook
from tests.conftest import BUNDLED_PRICING, rows_frame

# Models without long-context tiers below 100k, with distinct cache prices, from several providers.
MODELS = [
    ("openai", "gpt-4o"),
    ("anthropic", "claude-opus-4-7"),
    ("google", "gemini-2.5-flash"),
    ("openai", "o3"),
    ("zai", "glm-5.1"),
    ("deepseek", "deepseek-v4-flash"),
    ("openai", "gpt-5.4-mini"),
]
SMALLEST_TIER = 32_000  # the lowest tier start in the bundled tables


@cache
def book() -> PriceBook:
    return PriceBook.load(BUNDLED_PRICING)


def cost_of(rows: list[dict[str, Any]]) -> float:
    if not rows:
        return 0.0
    frame = to_canonical(rows_frame(rows).lazy(), LogFile("mem.parquet", "parquet", 0), {})
    cells = build_cells(frame, book(), CellSpec())
    return total(cells.frame.filter(pl.col(STATUS) == "priced")["cost"])


row_strategy = st.builds(
    lambda model, ts, tokens, tier: {
        "provider": model[0],
        "model": model[1],
        "timestamp": ts,
        "input_tokens": tokens[0],
        "cache_read_tokens": tokens[1],
        "cache_write_tokens": tokens[2],
        "cache_write_1h_tokens": tokens[3],
        "output_tokens": tokens[4],
        "service_tier": tier,
    },
    st.sampled_from(MODELS),
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 11, 28), timezones=st.just(dt.UTC)),
    st.tuples(*(st.integers(0, SMALLEST_TIER // 10) for _ in range(5))),
    st.sampled_from([None, "batch", "flex", "standard"]),
)
rows_strategy = st.lists(row_strategy, min_size=1, max_size=12)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rows_strategy, rows_strategy)
def test_cost_is_additive_over_rows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    together = cost_of(a + b)
    assert abs(together - (cost_of(a) + cost_of(b))) <= 1e-9 * max(1.0, together)


@SETTINGS
@given(rows_strategy)
def test_doubling_tokens_doubles_cost_below_every_tier(rows: list[dict[str, Any]]) -> None:
    doubled = [{**r, **{k: 2 * r[k] for k in r if k.endswith("_tokens")}} for r in rows]
    once, twice = cost_of(rows), cost_of(doubled)
    assert abs(twice - 2 * once) <= 1e-9 * max(1.0, twice)


@SETTINGS
@given(rows_strategy, st.lists(st.text("abcdefghijklmnopqrstuvwxyz-", min_size=3, max_size=12), min_size=1, max_size=4))
def test_unpriced_rows_never_change_the_priced_total(rows: list[dict[str, Any]], unknown: list[str]) -> None:
    junk = [
        {"provider": "nobody-hosts-this", "model": f"zz-{name}", "input_tokens": 10_000, "output_tokens": 500}
        for name in unknown
    ]
    assert cost_of(rows + junk) == cost_of(rows)
