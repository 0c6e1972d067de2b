"""Google Gemini / Vertex AI `usageMetadata`, camelCase (REST) or snake_case (Python SDK dumps)
(log-formats.md §6, §12, §13).

Gemini counts cached tokens *inside* `promptTokenCount` but thoughts *outside* `candidatesTokenCount`
(pitfalls 1 and 3), and tool-use prompt tokens outside the prompt: uncached input = prompt − cached +
tool-use prompt; output = candidates + thoughts.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, sampled, zero

_CAMEL = {
    "usage": "usageMetadata",
    "prompt": "promptTokenCount",
    "cached": "cachedContentTokenCount",
    "candidates": "candidatesTokenCount",
    "thoughts": "thoughtsTokenCount",
    "tool": "toolUsePromptTokenCount",
    "traffic": "trafficType",
    "model": "modelVersion",
    "id": "responseId",
    "time": "createTime",
}
_SNAKE = {
    "usage": "usage_metadata",
    "prompt": "prompt_token_count",
    "cached": "cached_content_token_count",
    "candidates": "candidates_token_count",
    "thoughts": "thoughts_token_count",
    "tool": "tool_use_prompt_token_count",
    "traffic": "traffic_type",
    "model": "model_version",
    "id": "response_id",
    "time": "create_time",
}


def layout(sample: list[dict[str, Any]]) -> tuple[bool, str]:
    """(snake_case?, path of the usage object): bodies may sit under `response` (Gemini Batch / Vertex
    batch prediction lines), and a line may be the usage object itself (path "")."""
    for snake, names in ((True, _SNAKE), (False, _CAMEL)):
        for prefix in ("", "response."):
            if sampled(sample, f"{prefix}{names['usage']}"):
                return snake, f"{prefix}{names['usage']}"
        if sampled(sample, names["prompt"]):
            return snake, ""
    return False, _CAMEL["usage"]


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per response; stream chunks repeat a response id with growing usage, so the largest wins."""
    snake, u = layout(doc.sample)
    names = _SNAKE if snake else _CAMEL
    body = "response." if u.startswith("response.") else ""
    r = Rows(doc)

    def at(key: str) -> str:
        return f"{u}.{names[key]}" if u else names[key]

    if u:
        doc.cache(u)
    prompt = r.int(at("prompt"), required=True)
    cached = zero(r.int(at("cached")))
    candidates = zero(r.int(at("candidates")))
    thoughts = zero(r.int(at("thoughts")))
    tool = zero(r.int(at("tool")))
    uncached = prompt - cached + tool
    r.reject(prompt < cached, f"{at('cached')} exceeds {at('prompt')}")
    model = r.text(f"{body}{names['model']}", f"{body}model", "model", "modelVersion", "model_version")
    r.reject(model.is_null(), f"no {names['model']}: log the model id beside usageMetadata")
    traffic = r.text(at("traffic"), f"{body}{names['traffic']}")
    skip = first_reason(
        (traffic == "PROVISIONED_THROUGHPUT", "provisioned throughput (billed by reservation, not per token)"),
    )
    total = uncached + cached + candidates + thoughts
    return r.frame(
        {
            "input_tokens": uncached,
            "cache_read_tokens": cached,
            "output_tokens": candidates + thoughts,
            "reasoning_tokens": thoughts,
            "timestamp": r.time(f"{body}{names['time']}", "createTime", "create_time", "timestamp"),
            "provider": pl.lit("google"),
            "model": model,
            "service_tier": r.text("service_tier"),
            "request_id": r.text(f"{body}{names['id']}", "responseId", "response_id"),
        },
        skip=skip,
        pref=total,
    )


FORMATS = (Format("gemini", "Google Gemini / Vertex AI responses (usageMetadata)", records(), adapt, layout=layout),)
