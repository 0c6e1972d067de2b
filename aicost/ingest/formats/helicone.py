"""Helicone request exports (REST query, `@helicone/export` JSON/JSONL/CSV, ClickHouse rows)
(log-formats.md §9, §12, §13).

Helicone's cost code prices `prompt_tokens` as fresh tokens and adds cache reads and writes on top, so
they are taken as disjoint (cache *outside* input). `costUSD` (or ClickHouse `cost`, USD × 1e9) is the
gateway's own figure: reconciliation only.
"""

from __future__ import annotations

import polars as pl

from aicost.ingest.formats.base import Format
from aicost.ingest.formats.bedrock import metadata_tags
from aicost.ingest.formats.fields import Doc, Rows, first_reason
from aicost.ingest.formats.read import Sniff, csv_doc, record_doc, text_doc

_COST_PRECISION = 1e9  # ClickHouse `cost` is USD × 1e9 (COST_PRECISION_MULTIPLIER)


def _open(sniffed: Sniff, stdin: bytes | None) -> Doc:
    if sniffed.log.kind == "csv":
        return csv_doc(sniffed)
    if sniffed.log.kind == "jsonl":
        return text_doc(sniffed, stdin)
    return record_doc(sniffed, stdin, ("data",))


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per request."""
    r = Rows(doc)
    status = r.int("response_status", "status")
    skip = first_reason((status >= 400, pl.format("failed request (HTTP {})", status)))
    tags = {"user": r.text("request_user_id", "helicone_user", "user_id")}
    tags.update(metadata_tags(r, doc, "request_properties", tags))
    return r.frame(
        {
            "input_tokens": r.int("prompt_tokens", required=True),
            "cache_read_tokens": r.int("prompt_cache_read_tokens"),
            "cache_write_tokens": r.int("prompt_cache_write_tokens"),
            "output_tokens": r.int("completion_tokens", required=True),
            "timestamp": r.time("request_created_at", "created_at"),
            "provider": r.text("provider"),
            # the model that answered; the requested alias is a tag
            "model": r.text("response_model", "model", "request_model"),
            "request_id": r.text("request_id"),
            "reported_cost": pl.coalesce(r.float("costUSD", "cost_usd"), r.float("cost") / _COST_PRECISION),
        },
        tags={**tags, "request_model": r.text("request_model")},
        skip=skip,
    )


FORMATS = (
    Format(
        "helicone",
        "Helicone request exports (JSON, JSONL or CSV)",
        _open,
        adapt,
        kinds=frozenset({"jsonl", "json", "csv"}),
    ),
)
