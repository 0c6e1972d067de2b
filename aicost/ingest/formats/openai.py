"""OpenAI: Chat Completions and Responses bodies (and their stream events), Batch output lines, and the
organization Usage API (log-formats.md §2–§4, §12, §13).

OpenAI counts cached input *inside* the prompt (pitfall 1) and reasoning *inside* the completion
(pitfall 3), so uncached input is a subtraction and reasoning is only an informational subset.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, documents, never, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, openai_or_inferred, zero


def usage_columns(r: Rows, *usages: str) -> dict[str, pl.Expr]:
    """Token columns from an OpenAI `usage` object, Chat or Responses spelling (§12); the first of
    `usages` (paths to usage objects) present in a row is used.

    DeepSeek's OpenAI-compatible bodies split the prompt into hit + miss instead (§2), which wins when present.
    """
    for u in usages:
        r.doc.cache(u)

    def at(*names: str) -> list[str]:
        return [f"{u}.{name}" for name in names for u in usages]

    prompt = r.int(*at("prompt_tokens", "input_tokens"), required=True)
    cached = zero(r.int(*at("prompt_tokens_details.cached_tokens", "input_tokens_details.cached_tokens")))
    writes = r.int(*at("prompt_tokens_details.cache_write_tokens", "input_tokens_details.cache_write_tokens"))
    ttl = "input_tokens_details.cache_write_tokens_details"
    w30, w12 = r.int(*at(f"{ttl}.ttl_30m_tokens")), r.int(*at(f"{ttl}.ttl_12h_tokens"))
    # the TTL split is a breakdown of cache_write_tokens (pitfall 4): use one side of the equation only
    writes = zero(pl.coalesce(writes, zero(w30) + zero(w12)))
    long_writes = zero(w12)
    short_writes = pl.coalesce(w30, writes - long_writes)
    hit, miss = r.int(*at("prompt_cache_hit_tokens")), r.int(*at("prompt_cache_miss_tokens"))
    uncached = pl.when(miss.is_not_null()).then(miss).otherwise(prompt - cached - writes)
    r.reject(uncached < 0, "cached and cache-write tokens exceed the prompt tokens")
    return {
        "input_tokens": uncached,
        "cache_read_tokens": pl.coalesce(hit, cached),
        "cache_write_tokens": short_writes,
        "cache_write_1h_tokens": long_writes,
        # embeddings bodies have no completion count: their output is genuinely 0
        "output_tokens": r.int(*at("completion_tokens", "output_tokens")),
        "reasoning_tokens": r.int(
            *at("completion_tokens_details.reasoning_tokens", "output_tokens_details.reasoning_tokens")
        ),
    }


def wrapped(sample: list[dict[str, Any]]) -> bool:
    """Responses stream events wrap the body in `response` (`response.completed` holds the final usage)."""
    return any(
        isinstance(kind := record.get("type"), str)
        and kind.startswith("response.")
        and isinstance(record.get("response"), dict)
        for record in sample
    )


def adapt_bodies(doc: Doc) -> pl.LazyFrame:
    """Chat Completions / Responses bodies, stream chunks and stream events; one row per line."""
    r = Rows(doc)
    bodies = ["response.", ""] if wrapped(doc.sample) else [""]

    def at(name: str) -> list[str]:
        return [f"{b}{name}" for b in bodies]

    has_usage = r.text(*at("usage")).is_not_null()
    kind = r.text("object", "type")
    skip = first_reason(
        (has_usage, pl.lit(None, dtype=pl.String)),
        (kind == "chat.completion.chunk", "stream chunk without usage (usage comes in the final chunk)"),
        (kind.str.starts_with("response."), "stream event without usage"),
        (r.text("error").is_not_null(), "error response (no usage)"),
    )
    r.reject(~has_usage, "no usage object (not an OpenAI response body?)")
    columns = usage_columns(r, *at("usage"))
    model = r.text(*at("model"))
    return r.frame(
        {
            **columns,
            # unix seconds; a logger's own timestamp beside the body when the body has none
            "timestamp": r.time(*at("created"), *at("created_at"), "timestamp"),
            "provider": openai_or_inferred(model),
            "model": model,
            "service_tier": r.text(*at("service_tier")),
            "request_id": r.text(*at("id")),
        },
        skip=skip,
    )


def adapt_batch(doc: Doc) -> pl.LazyFrame:
    """Batch output lines (§3): the body is a Chat/Responses/Embeddings body, priced at batch rates."""
    r = Rows(doc)
    status = r.int("response.status_code")
    failed = r.text("error").is_not_null()
    skip = first_reason(
        (failed, "batch line errored (no usage)"),
        (r.text("response").is_null(), "batch line without a response"),
        (status.is_not_null() & (status != 200), pl.format("batch line with HTTP status {} (no usage)", status)),
    )
    body = "response.body"
    r.reject(r.text(f"{body}.usage").is_null(), "batch line without response.body.usage")
    columns = usage_columns(r, f"{body}.usage")
    model = r.text(f"{body}.model")
    return r.frame(
        {
            **columns,
            "timestamp": r.time(f"{body}.created", f"{body}.created_at"),
            "provider": openai_or_inferred(model),
            "model": model,
            # only the file says "batch" (§3): the body's own service_tier is the requested one, not the rate
            "service_tier": pl.lit("batch"),
            "request_id": r.text(f"{body}.id", "id"),
        },
        tags={"custom_id": r.text("custom_id")},
        skip=skip,
    )


def adapt_usage_api(doc: Doc) -> pl.LazyFrame:
    """Usage API results (§4): aggregated rows, one per bucket and group, with request counts."""
    r = Rows(doc)
    total = r.int("input_tokens")
    cached = zero(r.int("input_cached_tokens"))
    w30, w12 = r.int("input_cache_write_30m_tokens"), r.int("input_cache_write_12h_tokens")
    writes = zero(pl.coalesce(r.int("input_cache_write_tokens"), zero(w30) + zero(w12)))
    # input_uncached_tokens excludes reads and writes; older pages only have the inclusive input_tokens
    uncached = pl.coalesce(r.int("input_uncached_tokens"), total - cached - writes)
    r.reject(uncached.is_null(), "missing input_tokens")
    r.reject(uncached < 0, "input_cached_tokens and cache writes exceed input_tokens")
    model = r.text("model")
    r.reject(model.is_null(), "usage result has no model: query the Usage API with group_by=model")
    start = r.times([doc.env("start_time"), doc.get("start_time")])
    r.reject(start.is_null(), "missing bucket start_time")
    end = r.times([doc.env("end_time"), doc.get("end_time")])
    batch = r.flag("batch")
    tier = pl.when(batch.fill_null(False)).then(pl.lit("batch")).otherwise(r.text("service_tier"))
    groups = ["project_id", "user_id", "api_key_id", "api_source"]
    tags = {g: r.text(g) for g in groups}
    parts = [start.cast(pl.String), end.cast(pl.String), model, tier, *tags.values()]
    key = pl.concat_str([pl.lit("openai-usage"), *(p.fill_null("") for p in parts)], separator="|")
    return r.frame(
        {
            "input_tokens": uncached,
            "cache_read_tokens": cached,
            "cache_write_tokens": pl.coalesce(w30, writes - zero(w12)),
            "cache_write_1h_tokens": zero(w12),
            "output_tokens": r.int("output_tokens"),
            "requests": r.int("num_model_requests", required=True),
            "timestamp": start,
            "provider": pl.lit("openai"),
            "model": model,
            "service_tier": tier,
            # idempotence key = source + bucket + group keys (§15): re-ingesting a page counts once
            "request_id": key,
        },
        tags={**tags, "bucket_end": end.dt.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )


FORMATS = (
    Format("openai-chat", "OpenAI Chat Completions bodies and stream chunks", records(), adapt_bodies, layout=wrapped),
    Format("openai-responses", "OpenAI Responses bodies and stream events", records(), adapt_bodies, layout=wrapped),
    Format("openai-batch", "OpenAI Batch output lines (priced at batch rates)", records(), adapt_batch),
    Format(
        "openai-usage",
        "OpenAI organization Usage API pages/buckets",
        documents(("data", "results")),
        adapt_usage_api,
        lines=never,
    ),
)
