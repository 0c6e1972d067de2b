"""Golden values computed by hand from published prices, through the CLI's JSON output.

Rates (USD per million tokens) are those of the bundled genai-prices data, quoted in
../shared/reference/pricing-sources.md §9 and checked against the source JSON in test_tables.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

UTC = dt.UTC
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Any]


def total(cli_json: Json, log: Any, *extra: str) -> float:
    return float(cli_json("report", log, *extra)["total_cost"])


def test_frugalgpt_gpt4_8k_month_is_21168(make_log: MakeLog, cli_json: Json) -> None:
    # FrugalGPT §2: 360,000 queries x (1,800 input x $0.03/1k + 80 output x $0.06/1k) = $21,168.
    # gpt-4 (8k) is $30 / $60 per million: 648,000,000 x 30/1e6 + 28,800,000 x 60/1e6 = 19,440 + 1,728.
    aggregated = make_log(
        [{"model": "gpt-4", "requests": 360_000, "input_tokens": 360_000 * 1_800, "output_tokens": 360_000 * 80}]
    )
    assert total(cli_json, aggregated) == pytest.approx(21_168.0, rel=1e-12)
    # the same month as 360 rows of 1,000 calls each
    rows = [{"model": "gpt-4", "requests": 1_000, "input_tokens": 1_800_000, "output_tokens": 80_000}] * 360
    assert total(cli_json, make_log(rows)) == pytest.approx(21_168.0, rel=1e-12)


@pytest.mark.parametrize(
    ("uncached", "cache_read", "expected"),
    [
        # claude-sonnet-4-5: $3 in / $15 out / $0.30 cache read; > 200k prompt: $6 / $22.50 / $0.60, whole request.
        # prompt = 200,000 exactly: not above the tier.  200,000 x 3 + 1,000 x 15 = 600,000 + 15,000 → $0.615
        (200_000, 0, 0.615),
        # prompt = 200,001: every token at the tier rate.  200,001 x 6 + 1,000 x 22.5 = 1,200,006 + 22,500
        (200_001, 0, 1.222506),
        # cache reads count towards the threshold: 1,000 + 199,001 = 200,001 > 200k
        # 1,000 x 6 + 199,001 x 0.6 + 1,000 x 22.5 = 6,000 + 119,400.6 + 22,500 = 147,900.6 → $0.1479006
        (1_000, 199_001, 0.1479006),
        # just below: 1,000 + 198,999 = 200,000 → 1,000 x 3 + 198,999 x 0.3 + 1,000 x 15 = 77,699.7
        (1_000, 198_999, 0.0776997),
    ],
)
def test_long_context_tier_is_a_cliff_on_the_whole_prompt(
    make_log: MakeLog, cli_json: Json, uncached: int, cache_read: int, expected: float
) -> None:
    log = make_log(
        [
            {
                "provider": "anthropic",
                "model": "claude-sonnet-4-5",
                "input_tokens": uncached,
                "cache_read_tokens": cache_read,
                "output_tokens": 1_000,
            }
        ]
    )
    assert total(cli_json, log) == pytest.approx(expected, rel=1e-9)


def test_aggregated_rows_use_the_per_request_average_for_tiers(make_log: MakeLog, cli_json: Json) -> None:
    # gemini-2.5-pro: $1.25 / $10, above 200k prompt $2.50 / $15.
    # Two requests of 150k each (300k in total): average 150k, base rates: 300,000 x 1.25 + 2,000 x 10 = 395,000
    two = make_log([{"model": "gemini-2.5-pro", "requests": 2, "input_tokens": 300_000, "output_tokens": 2_000}])
    assert total(cli_json, two) == pytest.approx(0.395, rel=1e-9)
    # One request of 300k: tier rates: 300,000 x 2.5 + 2,000 x 15 = 780,000
    one = make_log([{"model": "gemini-2.5-pro", "requests": 1, "input_tokens": 300_000, "output_tokens": 2_000}])
    assert total(cli_json, one) == pytest.approx(0.78, rel=1e-9)


def test_o3_before_and_after_its_2025_06_10_price_cut(make_log: MakeLog, cli_json: Json) -> None:
    # o3: $10 / $40 until 2025-06-09, $2 / $8 from 2025-06-10 (UTC).
    # 1M input + 100k output: before 10 + 4 = $14; after 2 + 0.8 = $2.80.
    usage = {"model": "o3", "input_tokens": 1_000_000, "output_tokens": 100_000}
    before = make_log([{**usage, "timestamp": dt.datetime(2025, 6, 9, 23, 59, 59, tzinfo=UTC)}])
    after = make_log([{**usage, "timestamp": dt.datetime(2025, 6, 10, 0, 0, 0, tzinfo=UTC)}])
    assert total(cli_json, before) == pytest.approx(14.0, rel=1e-12)
    assert total(cli_json, after) == pytest.approx(2.8, rel=1e-12)
    both = make_log(
        [
            {**usage, "timestamp": dt.datetime(2025, 6, 9, 12, tzinfo=UTC)},
            {**usage, "timestamp": dt.datetime(2025, 6, 11, 12, tzinfo=UTC)},
        ]
    )
    assert total(cli_json, both) == pytest.approx(16.8, rel=1e-12)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # deepseek-v4-flash: off-peak $0.15 / $0.60; peak 01:00-04:00 and 06:00-10:00 UTC on weekdays $0.30 / $1.20.
        # 1M input + 1M output: off-peak 0.15 + 0.60 = $0.75, peak 0.30 + 1.20 = $1.50.
        (dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC), 1.50),  # Wednesday 02:00: peak
        (dt.datetime(2026, 11, 25, 12, 0, tzinfo=UTC), 0.75),  # Wednesday 12:00: off-peak
        (dt.datetime(2026, 11, 25, 4, 0, tzinfo=UTC), 0.75),  # Wednesday 04:00: the window is half-open
        (dt.datetime(2026, 11, 25, 9, 59, 59, tzinfo=UTC), 1.50),  # Wednesday 09:59:59: still peak
        (dt.datetime(2026, 11, 28, 2, 0, tzinfo=UTC), 0.75),  # Saturday 02:00: weekends are off-peak all day
        (dt.datetime(2026, 11, 29, 7, 0, tzinfo=UTC), 0.75),  # Sunday 07:00
    ],
)
def test_deepseek_peak_hours_on_weekdays_only(
    make_log: MakeLog, cli_json: Json, moment: dt.datetime, expected: float
) -> None:
    log = make_log(
        [
            {
                "provider": "deepseek",
                "model": "deepseek-v4-flash",
                "timestamp": moment,
                "input_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, log) == pytest.approx(expected, rel=1e-12)


def test_one_hour_cache_writes_cost_twice_input(make_log: MakeLog, cli_json: Json) -> None:
    # claude-opus-4-7: input $5, 5-minute write $6.25 (1.25x), 1-hour write $10 (2x), read $0.50, output $25.
    # 1M 5m writes + 1M 1h writes + 1M reads + 1M uncached + 1M output = 6.25 + 10 + 0.5 + 5 + 25 = $46.75
    log = make_log(
        [
            {
                "provider": "anthropic",
                "model": "claude-opus-4-7",
                "input_tokens": 1_000_000,
                "cache_read_tokens": 1_000_000,
                "cache_write_tokens": 1_000_000,
                "cache_write_1h_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, log) == pytest.approx(46.75, rel=1e-12)
    only_1h = make_log([{"provider": "anthropic", "model": "claude-opus-4-7", "cache_write_1h_tokens": 2_000_000}])
    assert total(cli_json, only_1h) == pytest.approx(20.0, rel=1e-12)


def test_batch_and_flex_tiers(make_log: MakeLog, cli_json: Json) -> None:
    # gpt-4o batch (rates in force from 2026-10-14): $1.25 / $5; cached input keeps the standard $1.25.
    nov = dt.datetime(2026, 11, 2, 12, tzinfo=UTC)
    batch = make_log(
        [
            {
                "model": "gpt-4o",
                "service_tier": "batch",
                "timestamp": nov,
                "input_tokens": 1_000_000,
                "cache_read_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, batch) == pytest.approx(1.25 + 1.25 + 5.0, rel=1e-12)
    # gpt-5 flex (from 2026-10-12): $0.625 / $5; 1M in + 1M out = $5.625. Standard would be 1.25 + 10.
    flex = make_log(
        [
            {
                "model": "gpt-5",
                "service_tier": "flex",
                "timestamp": nov,
                "input_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, flex) == pytest.approx(5.625, rel=1e-12)
    # "default" and "auto" are the standard tier
    default = make_log(
        [
            {
                "model": "gpt-5",
                "service_tier": "default",
                "timestamp": nov,
                "input_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, default) == pytest.approx(11.25, rel=1e-12)


def test_batch_calls_before_the_tables_batch_rates(make_log: MakeLog, cli: Callable[..., Any], cli_json: Json) -> None:
    # Before 2026-10-14 the table has no batch rates for gpt-4o: standard rates ($2.50 / $10), with a warning.
    june = dt.datetime(2026, 6, 2, 12, tzinfo=UTC)
    log = make_log(
        [
            {
                "model": "gpt-4o",
                "service_tier": "batch",
                "timestamp": june,
                "input_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    doc = cli_json("report", log)
    assert doc["total_cost"] == pytest.approx(12.5, rel=1e-12)
    assert any("predate" in w for w in doc["warnings"])
    # --backdate-tiers prices it at the earliest batch rates: 1.25 + 5
    assert total(cli_json, log, "--backdate-tiers") == pytest.approx(6.25, rel=1e-12)


def test_dated_and_prefixed_ids_price_like_the_model(make_log: MakeLog, cli_json: Json) -> None:
    # claude-sonnet-4-5: 100k in + 100k out (below its 200k tier) = 0.3 + 1.5 = $1.80, however the id is written
    ids = [
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "anthropic/claude-sonnet-4.5",
        "claude-sonnet-4.5",
        "Claude-Sonnet-4-5-20250929",
    ]
    rows = [{"model": m, "input_tokens": 100_000, "output_tokens": 100_000} for m in ids]
    doc = cli_json("report", make_log(rows), "--by", "model")
    assert doc["total_cost"] == pytest.approx(1.8 * len(ids), rel=1e-12)
    assert {r["model"]: r["cost"] for r in doc["rows"]} == {m: pytest.approx(1.8, rel=1e-12) for m in ids}
    assert doc["unpriced"] == []
    # compact dates resolve (gpt-5.2-20251211 → gpt-5.2: $1.75 / $14)
    compact = make_log([{"model": "gpt-5.2-20251211", "input_tokens": 1_000_000, "output_tokens": 1_000_000}])
    assert total(cli_json, compact) == pytest.approx(15.75, rel=1e-12)


def test_unknown_models_are_unpriced_never_zero(make_log: MakeLog, cli_json: Json) -> None:
    log = make_log(
        [
            {"model": "gpt-4o", "input_tokens": 1_000_000},  # $2.50
            {"model": "gpt-4oo", "input_tokens": 5_000_000, "requests": 7},
        ]
    )
    doc = cli_json("report", log)
    assert doc["total_cost"] == pytest.approx(2.5, rel=1e-12)
    assert doc["rows_unpriced"] == 1 and doc["rows_priced"] == 1
    (unpriced,) = doc["unpriced"]
    assert unpriced["model"] == "gpt-4oo" and unpriced["requests"] == 7
    assert any("gpt-4o" in s for s in unpriced["suggestions"])


def test_per_request_fees(make_log: MakeLog, cli_json: Json) -> None:
    # perplexity sonar-pro: $3 / $15 plus $14 per 1,000 requests.
    # 1,000 requests, 1M in, 1M out: 3 + 15 + 14 = $32
    log = make_log(
        [
            {
                "provider": "perplexity",
                "model": "sonar-pro",
                "requests": 1_000,
                "input_tokens": 1_000_000,
                "output_tokens": 1_000_000,
            }
        ]
    )
    assert total(cli_json, log) == pytest.approx(32.0, rel=1e-12)


def test_fallback_provider_prices_from_the_first_party_table(make_log: MakeLog, cli_json: Json) -> None:
    # azure has no gpt-4o entry of its own and falls back to openai's: 1M in + 1M out = 2.5 + 10
    log = make_log([{"provider": "azure", "model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 1_000_000}])
    doc = cli_json("report", log)
    assert doc["total_cost"] == pytest.approx(12.5, rel=1e-12)
    assert doc["rows"][0]["provider"] == "azure"
