"""OpenRouter generation stats (`/api/v1/generation` `data`) and activity CSV exports
(log-formats.md §9, §12, §13).

The provider-tokenizer counts (`native_tokens_*`) are the billing basis. Cached tokens are *inside*
the prompt and reasoning *inside* the completion, as with OpenAI. Calls are priced at OpenRouter's own
rates (provider `openrouter`); the upstream provider is kept as a tag and `total_cost` is reported cost.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, sampled, zero
from aicost.ingest.formats.read import Sniff, csv_doc, text_doc


def enveloped(sample: list[dict[str, Any]]) -> bool:
    """Generation-stats API responses wrap the record in `{"data": {…}}`."""
    return bool(sampled(sample, "data.native_tokens_prompt"))


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per generation; `{"data": {…}}` API envelopes are unwrapped."""
    d = "data." if enveloped(doc.sample) else ""
    r = Rows(doc)
    prompt = r.int(f"{d}native_tokens_prompt", required=True)
    cached = zero(r.int(f"{d}native_tokens_cached"))
    r.reject(prompt < cached, f"{d}native_tokens_cached exceeds {d}native_tokens_prompt")
    return r.frame(
        {
            "input_tokens": prompt - cached,
            "cache_read_tokens": cached,
            "output_tokens": r.int(f"{d}native_tokens_completion", required=True),
            "reasoning_tokens": r.int(f"{d}native_tokens_reasoning"),
            "timestamp": r.time(f"{d}created_at"),
            "provider": pl.lit("openrouter"),
            "model": r.text(f"{d}model"),
            "service_tier": r.text(f"{d}service_tier"),
            "request_id": r.text(f"{d}id"),
            "reported_cost": r.float(f"{d}total_cost", f"{d}usage"),
        },
        tags={
            "upstream_provider": r.text(f"{d}provider_name"),
            "upstream_id": r.text(f"{d}upstream_id"),
            "is_byok": r.text(f"{d}is_byok"),
            "app_id": r.text(f"{d}app_id"),
            "external_user": r.text(f"{d}external_user"),
        },
    )


def _open_csv(sniffed: Sniff, stdin: bytes | None) -> Doc:
    return csv_doc(sniffed) if sniffed.log.kind == "csv" else text_doc(sniffed, stdin)


def adapt_csv(doc: Doc) -> pl.LazyFrame:
    """Activity CSV rows (columns [3rd, unverified]; `created_at` has no zone and is read as UTC)."""
    r = Rows(doc)
    prompt = r.int("tokens_prompt", required=True)
    cached = zero(r.int("tokens_cached"))
    r.reject(prompt < cached, "tokens_cached exceeds tokens_prompt")
    return r.frame(
        {
            "input_tokens": prompt - cached,
            "cache_read_tokens": cached,
            "output_tokens": r.int("tokens_completion", required=True),
            "reasoning_tokens": r.int("tokens_reasoning"),
            "timestamp": r.time("created_at"),
            "provider": pl.lit("openrouter"),
            "model": r.text("model_permaslug"),
            "request_id": r.text("generation_id"),
            "reported_cost": r.float("cost_total"),
        },
        tags={"upstream_provider": r.text("provider_name")},
    )


FORMATS = (
    Format(
        "openrouter", "OpenRouter generation stats (/api/v1/generation)", records(("data",)), adapt, layout=enveloped
    ),
    Format(
        "openrouter-csv",
        "OpenRouter activity CSV export",
        _open_csv,
        adapt_csv,
        kinds=frozenset({"csv", "jsonl"}),
    ),
)
