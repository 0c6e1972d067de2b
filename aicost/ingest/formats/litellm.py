"""LiteLLM proxy `LiteLLM_SpendLogs` exports, JSONL/JSON or CSV (log-formats.md §8, §12, §13; pitfall 13).

`prompt_tokens` follows OpenAI: cache reads are inside it, and for Anthropic traffic newer LiteLLM
versions fold cache writes in too. SpendLogs has no cache columns, so the split is rebuilt from
`metadata.usage_object`. `spend` is LiteLLM's own price: kept as `reported_cost`, never added.
Rows served from LiteLLM's *response* cache (`cache_hit == "True"`) and failed calls are skipped.
"""

from __future__ import annotations

import polars as pl

from aicost.ingest.formats.base import Format
from aicost.ingest.formats.fields import Doc, Rows, first_reason, zero
from aicost.ingest.formats.read import Sniff, csv_doc, record_doc, text_doc


def _open(sniffed: Sniff, stdin: bytes | None) -> Doc:
    if sniffed.log.kind == "csv":
        return csv_doc(sniffed)
    if sniffed.log.kind == "jsonl":
        return text_doc(sniffed, stdin)
    return record_doc(sniffed, stdin, ("data",))


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per SpendLogs row (daily spend tables too: `api_requests` requests per row)."""
    r = Rows(doc)
    doc.cache("metadata")  # a JSON object in JSONL, a JSON string in CSV exports: both read the same
    u = "metadata.usage_object"
    prompt = r.int("prompt_tokens", required=True)
    cached = zero(
        r.int(
            f"{u}.cache_read_input_tokens",
            f"{u}.prompt_tokens_details.cached_tokens",
            "cache_read_input_tokens",  # daily spend tables have the columns themselves
        )
    )
    writes = zero(
        r.int(
            f"{u}.cache_creation_input_tokens",
            f"{u}.prompt_tokens_details.cache_creation_tokens",
            "cache_creation_input_tokens",
        )
    )
    # Writes are inside prompt_tokens in current LiteLLM (and always for OpenAI-style providers); older
    # versions left Anthropic writes out. When subtracting them would go negative they cannot be inside.
    folded = prompt - cached - writes >= 0
    uncached = pl.when(folded).then(prompt - cached - writes).otherwise(prompt - cached)
    r.reject(prompt < cached, "cache read tokens exceed prompt_tokens")
    status = r.text("status")
    skip = first_reason(
        (r.text("cache_hit").str.to_lowercase() == "true", "gateway cache hit (LiteLLM response cache, not billed)"),
        (status == "failure", "failed request"),
    )
    tags = {
        "model_group": r.text("model_group"),
        "user": r.text("user"),
        "end_user": r.text("end_user"),
        "team_id": r.text("team_id"),
        "organization_id": r.text("organization_id"),
        "api_key_alias": r.text("metadata.user_api_key_alias"),
        "call_type": r.text("call_type"),
        "request_tags": _tag_list(r.text("request_tags")),
    }
    return r.frame(
        {
            "input_tokens": uncached,
            "cache_read_tokens": cached,
            "cache_write_tokens": writes,
            "output_tokens": r.int("completion_tokens"),
            "reasoning_tokens": r.int(f"{u}.completion_tokens_details.reasoning_tokens"),
            "requests": r.int("api_requests"),
            "timestamp": r.time("startTime", "date"),
            "provider": r.text("custom_llm_provider"),
            "model": r.text("model"),
            "request_id": r.text("request_id"),
            "reported_cost": r.float("spend"),
        },
        tags=tags,
        skip=skip,
        note=pl.when(~folded & (writes > 0)).then(
            pl.lit("LiteLLM prompt_tokens excludes cache writes (older LiteLLM); writes not subtracted")
        ),
    )


def _tag_list(text: pl.Expr) -> pl.Expr:
    """`["feature:chat", "team:x"]` (JSON text) → `feature:chat,team:x` (an empty list is no tag)."""
    joined = text.str.replace_all(r'[\[\]"]', "").str.replace_all(r"\s*,\s*", ",").str.strip_chars()
    return pl.when(joined != "").then(joined)


FORMATS = (
    Format(
        "litellm",
        "LiteLLM proxy SpendLogs (JSONL, JSON or CSV export)",
        _open,
        adapt,
        kinds=frozenset({"jsonl", "json", "csv"}),
    ),
)
