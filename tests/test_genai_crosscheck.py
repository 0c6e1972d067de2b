"""aicost's totals against an independent calculation: genai-prices' own `calc_price`, call by call.

Random (seeded) canonical logs cover tier crossings, dated prices, cache reads and 5m/1h writes, batch,
flex and priority tiers, aggregated rows, fallback providers, Bedrock, dated and prefixed ids.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from genai_prices import Usage, calc_price

UTC = dt.UTC

# (provider, model id as logged) — provider None means "infer it", as a log without a provider column does
MODELS: list[tuple[str | None, str]] = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-2024-08-06"),
    (None, "gpt-4o-mini"),
    ("openai", "gpt-5"),
    ("openai", "gpt-5.4"),
    ("openai", "gpt-5.5"),
    ("openai", "o3"),
    ("openai", "gpt-5.4-mini"),
    (None, "gpt-5.2-2025-12-11"),
    ("openai", "gpt-4"),
    ("anthropic", "claude-opus-4-6"),
    ("anthropic", "claude-sonnet-4-5-20250929"),
    (None, "claude-opus-4-7"),
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-sonnet-4-6"),
    ("google", "gemini-2.5-pro"),
    (None, "gemini-2.5-flash"),
    ("google", "gemini-3.1-pro-preview"),
    ("mistral", "mistral-large-2512"),
    ("zai", "glm-5.1"),
    ("zai", "glm-5.3-flash"),
    ("fireworks", "accounts/fireworks/models/glm-5p1"),
    ("deepseek", "deepseek-chat"),
    ("perplexity", "sonar-pro"),
    ("aws", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ("azure", "gpt-4o"),
    ("x-ai", "grok-4"),
]
TIERS = [None, None, None, "batch", "flex", "priority"]


def _context(tier: str | None) -> dict[str, str] | None:
    if tier == "batch":
        return {"processing": "batch"}
    if tier in ("flex", "priority", "fast"):
        return {"service_tier": tier}
    return None


def _random_rows(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for _ in range(n):
        provider, model = rng.choice(MODELS)
        requests = rng.choice([1, 1, 1, 2, 5])
        prompt = int(10 ** rng.uniform(2, 5.7))  # 100 .. 500k tokens per request: crosses 128k/200k/272k tiers
        cache_read = int(prompt * rng.choice([0, 0, 0.5, 0.9]))
        cache_write = int((prompt - cache_read) * rng.choice([0, 0, 0.3]))
        cache_write_1h = int((prompt - cache_read - cache_write) * rng.choice([0, 0, 0.2]))
        rows.append(
            {
                "timestamp": start + dt.timedelta(seconds=rng.randrange(0, 700 * 86400)),
                "provider": provider,
                "model": model,
                "requests": requests,
                "input_tokens": (prompt - cache_read - cache_write - cache_write_1h) * requests,
                "cache_read_tokens": cache_read * requests,
                "cache_write_tokens": cache_write * requests,
                "cache_write_1h_tokens": cache_write_1h * requests,
                "output_tokens": rng.randrange(1, 20_000) * requests,
                "service_tier": rng.choice(TIERS)
                if (provider or "openai") in ("openai", "google", "anthropic")
                else None,
            }
        )
    return rows


def genai_cost(row: dict[str, Any]) -> float:
    """genai-prices' price of one row: per request (rows may aggregate several), times requests."""
    n = row["requests"]
    cr, cw, cw1h = row["cache_read_tokens"] // n, row["cache_write_tokens"] // n, row["cache_write_1h_tokens"] // n
    usage = Usage(
        input_tokens=row["input_tokens"] // n + cr + cw + cw1h,
        cache_read_tokens=cr,
        cache_write_tokens=cw + cw1h,
        cache_write_1h_tokens=cw1h,
        output_tokens=row["output_tokens"] // n,
    )
    price = calc_price(
        usage,
        row["model"],
        provider_id=row["provider"],
        genai_request_timestamp=row["timestamp"],
        price_context=_context(row["service_tier"]),
    )
    return float(price.total_price) * n


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_totals_match_genai_prices_call_by_call(
    seed: int, make_log: Callable[..., Any], cli_json: Callable[..., dict[str, Any]]
) -> None:
    rows = _random_rows(seed, 400)
    expected_by_model: dict[str, float] = {}
    for row in rows:
        expected_by_model[row["model"]] = expected_by_model.get(row["model"], 0.0) + genai_cost(row)
    # genai-prices applies tier rates only from their verification dates, as aicost does by default
    doc_plain = cli_json("report", make_log(rows), "--by", "model", "--strict")
    got = {r["model"]: r["cost"] for r in doc_plain["rows"]}
    assert got.keys() == expected_by_model.keys()
    for model, expected in expected_by_model.items():
        assert got[model] == pytest.approx(expected, rel=1e-9, abs=1e-12), model
    assert doc_plain["total_cost"] == pytest.approx(sum(expected_by_model.values()), rel=1e-9)
    assert doc_plain["rows_unpriced"] == 0
