"""An independent price for one call, from genai-prices (the reference implementation, test-only).

Expected costs in the format tests are built from each fixture's raw fields with the semantics of
log-formats.md written out in the test, then priced here, so aicost's adapters and pricing are checked
against arithmetic they did not do.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

from genai_prices import Usage, calc_price

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
NOV16 = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)  # after the batch/flex verification dates


def gp(
    model: str,
    provider: str,
    *,
    at: dt.datetime | None = NOV16,
    input: int = 0,
    cache_read: int = 0,
    cache_write: int = 0,
    cache_write_1h: int = 0,
    output: int = 0,
    tier: str | None = None,
) -> float:
    """genai-prices' total for one call. `input` is UNCACHED input, as in aicost's canonical schema.

    genai-prices' own Usage nests: its input_tokens is all input and its cache_write_tokens both TTLs
    (log-formats.md §0), so the disjoint classes are added back up here.
    """
    usage = Usage(
        input_tokens=input + cache_read + cache_write + cache_write_1h,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write + cache_write_1h,
        cache_write_5m_tokens=cache_write,
        cache_write_1h_tokens=cache_write_1h,
        output_tokens=output,
    )
    context: dict[str, str] | None = None
    if tier == "batch":
        context = {"processing": "batch"}
    elif tier == "fast" and provider == "anthropic":
        context = {"speed": "fast"}
    elif tier is not None:
        context = {"service_tier": tier}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        price = calc_price(usage, model, provider_id=provider, genai_request_timestamp=at, price_context=context)
    return float(price.total_price)


def close(actual: Any, expected: float, rel: float = 1e-6) -> bool:
    """Equal to 1e-6 relative (the issue's bar)."""
    return abs(float(actual) - expected) <= rel * max(abs(expected), 1e-12)
