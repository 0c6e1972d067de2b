"""The canonical usage schema: the columns every log format is converted into."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

import polars as pl

TIMESTAMP_DTYPE: Final = pl.Datetime("us", "UTC")

# Disjoint token classes, each billed at its own rate: cost = sum(class tokens x class rate).
TOKEN_CLASSES: Final = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
)
# Informational subset of output_tokens, never added to it.
REASONING = "reasoning_tokens"
COUNT_COLUMNS: Final = (*TOKEN_CLASSES, REASONING, "requests")
# The prompt a request sends: what long-context tiers and context windows are measured against.
PROMPT_CLASSES: Final = TOKEN_CLASSES[:4]

USAGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "timestamp": TIMESTAMP_DTYPE,
    "provider": pl.String(),
    "model": pl.String(),
    "input_tokens": pl.Int64(),
    "cache_read_tokens": pl.Int64(),
    "cache_write_tokens": pl.Int64(),
    "cache_write_1h_tokens": pl.Int64(),
    "output_tokens": pl.Int64(),
    "reasoning_tokens": pl.Int64(),
    "requests": pl.Int64(),
    "service_tier": pl.String(),
    "request_id": pl.String(),
    "reported_cost": pl.Float64(),
}
CANONICAL_COLUMNS: Final = tuple(USAGE_SCHEMA)
# Canonical columns a JSON-lines log may first use after the records sampled for its columns (cache
# counts from the first cached call on): read whenever the sample shows usage, or their values are lost
# (request ids too: costing counts them, and de-duplicates if any turn up).
LATE_COLUMNS: Final = (*COUNT_COLUMNS, "provider", "service_tier", "reported_cost", "request_id")
REQUIRED_COLUMNS: Final = ("model",)

# Service tiers aicost prices; anything the provider calls "default", "auto" or "standard" is standard.
SERVICE_TIERS: Final = ("standard", "batch", "flex", "priority", "fast")
TIER_SYNONYMS: Final[dict[str, str]] = {
    "": "standard",
    "default": "standard",
    "auto": "standard",
    "standard": "standard",
    "on_demand": "standard",
    "batch": "batch",
    "batches": "batch",
    "flex": "flex",
    "priority": "priority",
    "fast": "fast",
}

# Columns aicost adds while pricing; a log column with one of these names is refused.
INTERNAL_PREFIX: Final = "_aicost_"


def late_columns(present: Collection[str], mapping: Mapping[str, str]) -> list[str]:
    """The LATE_COLUMNS a sample of a log's records lacks (none if it shows no token counts at all, so
    that a file without usage columns is still an error; none that `--map` fills from another column)."""
    # a token column read under another name (--map input_tokens=prompt) shows usage too
    if not any(c in present or mapping.get(c) in present for c in TOKEN_CLASSES):
        return []
    return [c for c in LATE_COLUMNS if c not in present and c not in mapping]


def is_tag(column: str) -> bool:
    """Whether a column is a free-form tag (feature, team, user, …) rather than a canonical column."""
    return column not in USAGE_SCHEMA and not column.startswith(INTERNAL_PREFIX)


def prompt_tokens() -> pl.Expr:
    """Tokens the request sent: uncached input plus cache reads and writes."""
    return pl.sum_horizontal(*(pl.col(c) for c in PROMPT_CLASSES))


def normalized_tier() -> pl.Expr:
    """The service tier as one of SERVICE_TIERS; unknown names are kept (lower-cased) and reported."""
    tier = pl.col("service_tier").str.strip_chars().str.to_lowercase()
    return pl.when(tier.is_null()).then(pl.lit("standard")).otherwise(tier.replace(TIER_SYNONYMS)).alias("service_tier")
