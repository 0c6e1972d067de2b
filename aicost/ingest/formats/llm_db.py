"""Simon Willison's `llm` CLI log database (`logs.db`, table `responses`) (log-formats.md §11–§13).

What `input_tokens` means depends on the plugin that made the call: the OpenAI plugin stores
`prompt_tokens` (cached tokens *inside*, with `prompt_tokens_details.cached_tokens` in `token_details`),
llm-anthropic stores Anthropic's exclusive `input_tokens` (cache counts in `token_details`). The family
is told by the model id's plugin prefix (`anthropic/…`, `claude-…`); anything else follows OpenAI.
"""

from __future__ import annotations

import polars as pl

from aicost.ingest.formats.base import Format
from aicost.ingest.formats.fields import Doc, Rows, zero
from aicost.ingest.formats.read import Sniff, sqlite_doc

_COLUMNS = (
    "id",
    "model",
    "resolved_model",
    "datetime_utc",
    "input_tokens",
    "output_tokens",
    "token_details",
    "conversation_id",
    "duration_ms",
)


def _open(sniffed: Sniff, stdin: bytes | None) -> Doc:
    return sqlite_doc(sniffed, "responses", _COLUMNS)


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per logged response."""
    r = Rows(doc)
    td = "token_details"  # JSON text, or NULL
    model = r.text("resolved_model", "model")
    family = r.text("model").str.to_lowercase()
    anthropic = family.str.starts_with("anthropic/") | family.str.starts_with("claude")
    given = r.int("input_tokens")
    openai_cached = zero(r.int(f"{td}.prompt_tokens_details.cached_tokens"))
    anthropic_read = zero(r.int(f"{td}.cache_read_input_tokens"))
    writes = zero(r.int(f"{td}.cache_creation_input_tokens"))
    cached = pl.when(anthropic).then(anthropic_read).otherwise(openai_cached)
    uncached = pl.when(anthropic).then(given).otherwise(given - openai_cached)
    r.reject(uncached < 0, "token_details cached_tokens exceeds input_tokens")
    # a response logged without usage (older llm, or a plugin that reports none) cannot be priced
    r.reject(
        given.is_null() & r.int("output_tokens").is_null(), "no token counts (input_tokens and output_tokens are NULL)"
    )
    return r.frame(
        {
            "input_tokens": uncached,
            "cache_read_tokens": cached,
            "cache_write_tokens": pl.when(anthropic).then(writes).otherwise(0),
            "output_tokens": r.int("output_tokens"),
            "reasoning_tokens": r.int(f"{td}.completion_tokens_details.reasoning_tokens"),
            # naive isoformat() in UTC (§11)
            "timestamp": r.time("datetime_utc"),
            # the plugin prefix (anthropic/…) names the provider; the pricing layer reads it
            "model": model,
            "request_id": r.text("id"),
        },
        tags={"conversation_id": r.text("conversation_id"), "llm_model": r.text("model")},
    )


FORMATS = (Format("llm", "Simon Willison's llm logs.db (SQLite)", _open, adapt, kinds=frozenset({"sqlite"})),)
