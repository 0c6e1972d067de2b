"""AWS Bedrock model invocation logs and Converse `usage` (log-formats.md §7, §12, §13).

Bedrock counts cache reads and writes *outside* the input count, as Anthropic does (pitfall 1). The
model id is kept verbatim (`us.anthropic.…-v1:0`, inference-profile ARNs): the pricing layer resolves
it, and application-inference-profile ARNs, which name no model, are mapped with `--model-alias`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, sampled, zero
from aicost.schema import USAGE_SCHEMA


def adapt_log(doc: Doc) -> pl.LazyFrame:
    """Invocation log records (`schemaType: ModelInvocationLog`), one per call."""
    r = Rows(doc)
    failed = r.text("errorCode").is_not_null()
    doc.cache("input")
    writes = zero(r.int("input.cacheWriteInputTokenCount"))
    # the 5m/1h split exists only in the native Anthropic usage inside the output body (§7)
    body = "output.outputBodyJson.usage.cache_creation"
    w5m = r.int(f"{body}.ephemeral_5m_input_tokens")
    w1h = zero(r.int(f"{body}.ephemeral_1h_input_tokens"))
    tags = {
        "account_id": r.text("accountId"),
        "region": r.text("region"),
        "inference_region": r.text("inferenceRegion"),
        "operation": r.text("operation"),
        "caller_arn": r.text("identity.arn"),
    }
    tags.update(metadata_tags(r, doc, "requestMetadata", tags))
    return r.frame(
        {
            "input_tokens": r.int("input.inputTokenCount", required=True),
            "cache_read_tokens": r.int("input.cacheReadInputTokenCount"),
            "cache_write_tokens": pl.coalesce(w5m, writes - w1h),
            "cache_write_1h_tokens": w1h,
            "output_tokens": r.int("output.outputTokenCount", required=True),
            "timestamp": r.time("timestamp"),
            "provider": pl.lit("aws"),
            "model": r.text("modelId"),
            "request_id": r.text("requestId"),
        },
        tags=tags,
        skip=first_reason((failed, "failed invocation (errorCode; no usage)")),
    )


def metadata_tags(r: Rows, doc: Doc, path: str, taken: dict[str, pl.Expr]) -> dict[str, pl.Expr]:
    """Caller key→value tags (Bedrock `requestMetadata`, Helicone `request_properties`) as tag columns.

    Keys come from the schema of a parsed document, or from the sampled lines of a JSONL file; a key that
    would shadow a canonical column or another tag is prefixed `meta_`.
    """
    out = {}
    for key in doc.keys(path):
        name = key if key not in USAGE_SCHEMA and key not in taken and not key.startswith("_") else f"meta_{key}"
        out[name] = r.text((*path.split("."), key))
    return out


def usage_root(sample: list[dict[str, Any]]) -> str:
    """ConverseStream's final `metadata` event carries usage as `metadata.usage` (§7)."""
    return "metadata.usage" if sampled(sample, "metadata.usage") and not sampled(sample, "usage") else "usage"


def adapt_converse(doc: Doc) -> pl.LazyFrame:
    """Converse / ConverseStream responses; the model id comes from the logger's envelope (`modelId`)."""
    r = Rows(doc)
    u = usage_root(doc.sample)
    doc.cache(u)
    details = _cache_details(r, f"{u}.cacheDetails")
    writes = zero(r.int(f"{u}.cacheWriteInputTokens"))
    model = r.text("modelId", "model", "request.modelId")
    r.reject(model.is_null(), "no modelId: Converse responses name no model; log the request's modelId beside usage")
    return r.frame(
        {
            "input_tokens": r.int(f"{u}.inputTokens", required=True),
            "cache_read_tokens": r.int(f"{u}.cacheReadInputTokens"),
            # cacheDetails[] is a TTL breakdown of cacheWriteInputTokens (pitfall 4)
            "cache_write_tokens": pl.when(details["any"]).then(details["5m"]).otherwise(writes - details["1h"]),
            "cache_write_1h_tokens": details["1h"],
            "output_tokens": r.int(f"{u}.outputTokens", required=True),
            "timestamp": r.time("timestamp", "ResponseMetadata.HTTPHeaders.date"),
            "provider": pl.lit("aws"),
            "model": model,
            "request_id": r.text("ResponseMetadata.RequestId", "requestId", "id"),
        },
    )


def _cache_details(r: Rows, path: str) -> dict[str, pl.Expr]:
    """Σ inputTokens of `cacheDetails[]` entries by TTL ("5m", "1h"), and whether any entry exists."""
    field = r.doc.get(path)
    entry = pl.Struct({"ttl": pl.String, "inputTokens": pl.Int64})
    if field.dtype == pl.String:
        items = field.expr.str.json_decode(pl.List(entry))
    elif isinstance(field.dtype, pl.List) and isinstance(field.dtype.inner, pl.Struct):
        items = field.expr
    else:
        none = pl.lit(0, dtype=pl.Int64)
        return {"5m": none, "1h": none, "any": pl.lit(False)}

    def total(ttl: str) -> pl.Expr:
        picked = items.list.eval(
            pl.element().filter(pl.element().struct.field("ttl") == ttl).struct.field("inputTokens").cast(pl.Int64)
        )
        return picked.list.sum().fill_null(0)

    return {"5m": total("5m"), "1h": total("1h"), "any": items.list.len().fill_null(0) > 0}


FORMATS = (
    Format("bedrock-log", "AWS Bedrock model invocation logs", records(), adapt_log),
    Format(
        "bedrock-converse",
        "AWS Bedrock Converse / ConverseStream responses",
        records(),
        adapt_converse,
        layout=usage_root,
    ),
)
