"""Langfuse observations: API/UI exports (camelCase) and blob exports (snake_case) (log-formats.md §9, §12).

Only GENERATION and EMBEDDING observations carry usage; spans and events are skipped (pitfall 12).
Langfuse records usage as free-form, *disjoint* types: `input` has already had every prompt detail
(cached, audio…) taken out, and `output` every completion detail (reasoning…), so classes are sums of
keys. `*_text_tokens` keys overlap the others and are never counted.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, openai_or_inferred, sampled, zero

_KEY = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*:$')


def classify(key: str) -> str | None:
    """Which canonical class a Langfuse usage type adds to (None: not counted)."""
    name = key.lower()
    if name.endswith("_text_tokens") or name == "total":
        return None
    if "cache_read" in name or "cached" in name:
        return "cache_read_tokens"
    if "cache_creation" in name or "cache_write" in name:
        return "cache_write_tokens"
    if name.startswith("input"):
        return "input_tokens"
    if name.startswith("output"):
        return "output_tokens"
    return None


def usage_keys(doc: Doc, path: str) -> list[str]:
    """Every usage type in the file: from the parsed schema, or one pass over the JSON lines."""
    if not doc.is_text:
        return doc.keys(path)
    text = doc.get(path).expr
    found = doc.lf.select(text.str.extract_all(r'"(?:[^"\\]|\\.)*"\s*:').explode().unique().alias("k")).collect()
    keys = [m.group(1) for k in found["k"].drop_nulls().to_list() if (m := _KEY.match(k))]
    return sorted(set(keys))


def snake_case(sample: list[dict[str, Any]]) -> bool:
    """Blob exports spell the usage maps `usage_details` / `cost_details`."""
    return bool(sampled(sample, "usage_details")) or bool(sampled(sample, "cost_details"))


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per observation."""
    snake = snake_case(doc.sample)
    details = "usage_details" if snake else "usageDetails"
    doc.cache(details)
    r = Rows(doc)
    keys = usage_keys(doc, details)
    classes: dict[str, list[pl.Expr]] = {}
    for key in keys:
        column = classify(key)
        if column is not None:
            classes.setdefault(column, []).append(zero(r.int((details, key))))
    have = r.text(details).is_not_null()
    legacy_in = r.int("usage.input", "promptTokens", "prompt_tokens")
    legacy_out = r.int("usage.output", "completionTokens", "completion_tokens")
    legacy = {"input_tokens": legacy_in, "output_tokens": legacy_out}
    columns: dict[str, pl.Expr] = {
        name: pl.when(have)
        .then(pl.sum_horizontal(classes[name]) if name in classes else pl.lit(0, dtype=pl.Int64))
        .otherwise(legacy.get(name, pl.lit(0, dtype=pl.Int64)))
        for name in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
    }
    total = r.int((details, "total"))
    counted = pl.sum_horizontal([zero(c) for c in columns.values()])
    kind = r.text("type")
    model = r.text("model", "provided_model_name")
    skip = first_reason(
        (
            kind.is_not_null() & ~kind.is_in(["GENERATION", "EMBEDDING"]),
            pl.format("Langfuse {} observation (no usage)", kind),
        ),
        (~have & legacy_in.is_null() & legacy_out.is_null(), "generation without usage details"),
    )
    return r.frame(
        {
            **columns,
            "reasoning_tokens": r.int((details, "output_reasoning_tokens"), (details, "output_reasoning")),
            "timestamp": r.time("startTime", "start_time"),
            # Langfuse records no provider: it is inferred from the model id
            "provider": openai_or_inferred(model),
            "model": model,
            "request_id": r.text("id"),
            "reported_cost": r.float(
                f"{'cost_details' if snake else 'costDetails'}.total", "calculatedTotalCost", "totalCost", "total_cost"
            ),
        },
        tags={
            "trace_id": r.text("traceId", "trace_id"),
            "observation_name": r.text("name"),
            "environment": r.text("environment"),
            "prompt_name": r.text("promptName", "prompt_name"),
            "user_id": r.text("userId", "user_id"),
            "session_id": r.text("sessionId", "session_id"),
        },
        skip=skip,
        note=pl.when(have & total.is_not_null() & (total != counted)).then(
            pl.lit("Langfuse usage types do not add up to their total (overlapping details?); classes summed")
        ),
    )


FORMATS = (
    Format("langfuse", "Langfuse observations (API, UI or blob export)", records(("data",)), adapt, layout=snake_case),
)
