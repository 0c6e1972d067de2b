"""Anthropic: Messages bodies and stream events, Message Batches results, and the Admin usage report
(log-formats.md §3, §5, §12, §13).

Anthropic keeps cache reads and writes *outside* `input_tokens` (pitfall 1), splits writes by TTL in
`cache_creation` (a breakdown of `cache_creation_input_tokens`, pitfall 4), and counts thinking inside
`output_tokens`. Bodies carry no time: a logger's envelope `timestamp` is used when there is one.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, documents, never, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, zero

_ENVELOPE_TIME = ("timestamp", "created_at", "time")


def usage_columns(r: Rows, u: str, *, doc: Doc | None = None, required: bool = True) -> dict[str, pl.Expr]:
    """Token columns from one Anthropic `usage` object at path `u` (§12; Claude Code and batches too)."""
    r.doc.cache(u)
    writes = r.int(f"{u}.cache_creation_input_tokens")
    w5m = r.int(f"{u}.cache_creation.ephemeral_5m_input_tokens")
    w1h = zero(r.int(f"{u}.cache_creation.ephemeral_1h_input_tokens"))
    # the breakdown is of the total: more in it than in the total is damage (which side is wrong is a guess)
    r.reject(zero(w5m) + w1h > writes, f"{u}.cache_creation exceeds {u}.cache_creation_input_tokens")
    columns = {
        "input_tokens": r.int(f"{u}.input_tokens", required=required),
        "cache_read_tokens": r.int(f"{u}.cache_read_input_tokens"),
        # 5m + 1h = cache_creation_input_tokens: one side of the equation only (pitfall 4)
        "cache_write_tokens": pl.coalesce(w5m, zero(writes) - w1h),
        "cache_write_1h_tokens": w1h,
        "output_tokens": r.int(f"{u}.output_tokens", required=required),
        "reasoning_tokens": r.int(f"{u}.output_tokens_details.thinking_tokens"),
    }
    if doc is not None and _has_iterations(doc, u):
        # beta `usage.iterations`: compaction iterations are billed but missing from the top level (pitfall 16)
        for column, key in (
            ("input_tokens", "input_tokens"),
            ("cache_read_tokens", "cache_read_input_tokens"),
            ("cache_write_tokens", "cache_creation_input_tokens"),
            ("output_tokens", "output_tokens"),
        ):
            columns[column] = zero(columns[column]) + _compaction(r, u, key)
    return columns


def _has_iterations(doc: Doc, u: str) -> bool:
    return any(isinstance(v, list) for v in doc.sampled(f"{u}.iterations"))


def _compaction(r: Rows, u: str, key: str) -> pl.Expr:
    """Σ `key` over the compaction entries of `usage.iterations`."""
    field = r.doc.get(f"{u}.iterations")
    entry = pl.Struct({"type": pl.String, key: pl.Int64})
    items = field.expr.str.json_decode(pl.List(entry)) if field.dtype == pl.String else field.expr
    if isinstance(field.dtype, pl.List) and isinstance(field.dtype.inner, pl.Struct):
        if key not in {f.name for f in field.dtype.inner.fields}:
            return pl.lit(0, dtype=pl.Int64)
    elif field.dtype != pl.String:
        return pl.lit(0, dtype=pl.Int64)
    kept = items.list.eval(
        pl.element().filter(pl.element().struct.field("type") == "compaction").struct.field(key).cast(pl.Int64)
    )
    return kept.list.sum().fill_null(0)


def tier(r: Rows, u: str) -> pl.Expr:
    """`speed: fast` is its own rate (fast mode); otherwise the served `service_tier`."""
    prefix = f"{u}." if u else ""
    speed = r.text(f"{prefix}speed")
    return pl.when(speed == "fast").then(pl.lit("fast")).otherwise(r.text(f"{prefix}service_tier"))


def events(sample: list[dict[str, Any]]) -> bool:
    """Whether a file is a captured event stream rather than message bodies."""
    return any(r.get("type") in ("message_start", "message_delta") for r in sample)


def adapt_messages(doc: Doc) -> pl.LazyFrame:
    """Messages bodies, or a captured event stream reduced to each message's final usage (pitfall 9)."""
    if events(doc.sample):
        return _adapt_stream(doc)
    r = Rows(doc)
    has_usage = r.text("usage").is_not_null()
    skip = first_reason(
        (has_usage, pl.lit(None, dtype=pl.String)),
        (r.text("type") == "error", "error response (no usage)"),
    )
    r.reject(~has_usage, "no usage object (not an Anthropic message?)")
    return r.frame(
        {
            **usage_columns(r, "usage", doc=doc),
            "timestamp": r.time(*_ENVELOPE_TIME),
            "provider": pl.lit("anthropic"),
            "model": r.text("model"),
            "service_tier": tier(r, "usage"),
            "request_id": r.text("id"),
        },
        tags={"inference_geo": r.text("usage.inference_geo")},
        skip=skip,
    )


def _adapt_stream(doc: Doc) -> pl.LazyFrame:
    """SSE events: `message_start` has the input counts, `message_delta.usage` is cumulative; keep the last."""
    r = Rows(doc)
    kind = r.text("type")
    start = kind == "message_start"
    msg = doc.in_file(pl.when(start).then(r.text("message.id")).forward_fill())
    raw = usage_columns(r, "message.usage", required=False)
    delta = usage_columns(r, "usage", required=False)
    carries = (start & r.text("message.usage").is_not_null()) | (
        (kind == "message_delta") & r.text("usage").is_not_null()
    )
    last = carries & pl.when(carries).then(msg).is_last_distinct()
    columns = {
        # the latest value each count had within its message: deltas are cumulative, never added up
        name: pl.when(start).then(raw[name]).otherwise(delta[name]).forward_fill().over(msg)
        for name in raw
        if name in delta
    }
    skip = first_reason(
        (~carries, "stream event without usage"),
        (~last, "stream event superseded by its message's final usage"),
    )
    r.reject(msg.is_null(), "message_delta before any message_start")
    for name, path in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens")):
        r.reject(columns[name].is_null(), f"missing usage.{path} in the message's stream events")
    return r.frame(
        {
            **columns,
            "timestamp": r.time(*_ENVELOPE_TIME).forward_fill().over(msg),
            "provider": pl.lit("anthropic"),
            "model": pl.when(start).then(r.text("message.model")).forward_fill().over(msg),
            "service_tier": tier(r, "message.usage").forward_fill().over(msg),
            "request_id": msg,
        },
        skip=skip,
    )


def adapt_batch(doc: Doc) -> pl.LazyFrame:
    """Message Batches results (§3): only `succeeded` lines carry usage; all at batch rates."""
    r = Rows(doc)
    result = r.text("result.type")
    skip = pl.when(result != "succeeded").then(pl.format("batch result {} (no usage)", result))
    message = "result.message"
    return r.frame(
        {
            **usage_columns(r, f"{message}.usage", doc=doc),
            "timestamp": r.time(*_ENVELOPE_TIME),
            "provider": pl.lit("anthropic"),
            "model": r.text(f"{message}.model"),
            "service_tier": pl.lit("batch"),
            "request_id": r.text(f"{message}.id"),
        },
        tags={"custom_id": r.text("custom_id")},
        skip=skip,
    )


def adapt_usage_report(doc: Doc) -> pl.LazyFrame:
    """Admin usage report results (§5): daily/hourly aggregates with no request count.

    Long-context rates depend on the prompt per request, which an aggregate without `requests` cannot
    give. The report's own `context_window` group says which side of 200k its requests fell on, so the
    request count is estimated to keep each bucket on that side (one request per 100k prompt tokens when
    below, one when above), flagged with a note and the `requests_estimated` tag.
    """
    r = Rows(doc)
    w5m = r.int("cache_creation.ephemeral_5m_input_tokens")
    w1h = zero(r.int("cache_creation.ephemeral_1h_input_tokens"))
    columns = {
        "input_tokens": r.int("uncached_input_tokens", required=True),
        "cache_read_tokens": r.int("cache_read_input_tokens"),
        "cache_write_tokens": pl.coalesce(w5m, zero(r.int("cache_creation_input_tokens")) - w1h),
        "cache_write_1h_tokens": w1h,
        "output_tokens": r.int("output_tokens", required=True),
    }
    prompt = sum(
        (zero(columns[c]) for c in ("input_tokens", "cache_read_tokens", "cache_write_tokens")),
        start=w1h,
    )
    reported = r.int("requests")
    window = r.text("context_window")
    estimate = (
        pl.when(window == "200k-1M")
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(
            pl.max_horizontal(pl.lit(1, dtype=pl.Int64), (prompt.cast(pl.Float64) / 100_000).ceil().cast(pl.Int64))
        )
    )
    model = r.text("model")
    r.reject(model.is_null(), "usage report result has no model: query it with group_by[]=model")
    start = r.times([doc.env("starting_at"), doc.get("starting_at")])
    r.reject(start.is_null(), "missing bucket starting_at")
    end = r.times([doc.env("ending_at"), doc.get("ending_at")])
    groups = {g: r.text(g) for g in ("workspace_id", "api_key_id", "context_window", "inference_geo")}
    service_tier = tier(r, "")
    parts = [start.cast(pl.String), end.cast(pl.String), model, service_tier, *groups.values()]
    return r.frame(
        {
            **columns,
            "requests": pl.coalesce(reported, estimate),
            "timestamp": start,
            "provider": pl.lit("anthropic"),
            "model": model,
            "service_tier": service_tier,
            "request_id": pl.concat_str([pl.lit("anthropic-usage"), *(p.fill_null("") for p in parts)], separator="|"),
        },
        tags={
            **groups,
            "bucket_end": end.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "requests_estimated": pl.when(reported.is_null()).then(pl.lit("true")),
        },
        note=pl.when(reported.is_null()).then(
            pl.lit("Anthropic usage report has no request counts; estimated from context_window for tier pricing")
        ),
    )


FORMATS = (
    Format(
        "anthropic-messages", "Anthropic Messages bodies and stream events", records(), adapt_messages, layout=events
    ),
    Format("anthropic-batch", "Anthropic Message Batches results (priced at batch rates)", records(), adapt_batch),
    Format(
        "anthropic-usage-report",
        "Anthropic Admin usage report (usage_report/messages)",
        documents(("data", "results")),
        adapt_usage_report,
        lines=never,
    ),
)
