"""OpenAI Codex CLI sessions: `~/.codex/sessions/**/*.jsonl` and `archived_sessions/`
(log-formats.md §10, §12, §15; pitfall 8).

Each `token_count` event's `last_token_usage` is that turn's usage (OpenAI semantics: cached inside
input, reasoning inside output); `total_token_usage` is a running total and is never summed — it only
recovers a turn when `last_token_usage` is missing (by differencing) and identifies re-emitted events.
The model is the one named by the latest `turn_context` line before the event.
"""

from __future__ import annotations

import polars as pl

from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, zero

ASSUMED_MODEL = "gpt-5"  # what ccusage assumes for early files without turn_context (§13)
_ASSUMED_NOTE = f"Codex events before any turn_context: model assumed {ASSUMED_MODEL}"
_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


def _previous(doc: Doc, expr: pl.Expr, on: pl.Expr) -> pl.Expr:
    """The value `expr` had on the last earlier row of the same file where `on` holds."""
    return doc.in_file(pl.when(on).then(expr).shift(1).forward_fill())


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per line: token_count events priced, every other line skipped."""
    r = Rows(doc)
    kind, payload_kind = r.text("type"), r.text("payload.type")
    info = "payload.info"
    doc.cache(info)
    event = (kind == "event_msg") & (payload_kind == "token_count")
    usage = event & r.text(info).is_not_null()
    last = {f: r.int(f"{info}.last_token_usage.{f}") for f in _FIELDS}
    total = {f: r.int(f"{info}.total_token_usage.{f}") for f in _FIELDS}
    has_total = total["input_tokens"].is_not_null()
    prev = {f: _previous(doc, total[f], usage & has_total) for f in _FIELDS}
    turn = {f: pl.coalesce(last[f], total[f] - zero(prev[f])) for f in _FIELDS}
    key = pl.concat_str([total[f].cast(pl.String).fill_null("") for f in _FIELDS], separator="/")
    # Codex re-emits token_count events (rate-limit updates) with unchanged totals: not a new turn
    reemit = usage & has_total & (key == _previous(doc, key, usage & has_total))
    model = doc.in_file(pl.when(kind == "turn_context").then(r.text("payload.model")).forward_fill())
    session = doc.in_file(pl.when(kind == "session_meta").then(r.text("payload.id")).forward_fill())
    meta = kind.is_in(["turn_context", "session_meta"])
    cwd = doc.in_file(pl.when(meta).then(r.text("payload.cwd")).forward_fill())
    skip = first_reason(
        (~event, "Codex session line without token usage"),
        (~usage, "token_count event without usage info"),
        (reemit, "re-emitted token_count (totals unchanged)"),
    )
    r.reject(turn["input_tokens"].is_null(), "token_count without last_token_usage or total_token_usage")
    r.reject(
        turn["cached_input_tokens"].fill_null(0) > turn["input_tokens"], "cached_input_tokens exceeds input_tokens"
    )
    timestamp = r.time("timestamp")
    return r.frame(
        {
            "input_tokens": turn["input_tokens"] - zero(turn["cached_input_tokens"]),
            "cache_read_tokens": turn["cached_input_tokens"],
            "output_tokens": turn["output_tokens"],
            "reasoning_tokens": turn["reasoning_output_tokens"],
            "timestamp": timestamp,
            "provider": pl.lit("openai"),
            "model": model.fill_null(ASSUMED_MODEL),
            # a fork replays its parent's events, and a session can sit in both sessions/ and
            # archived_sessions/: an event is the same event when its time and running totals are (§15)
            "request_id": pl.when(has_total).then(
                pl.concat_str([pl.lit("codex:"), timestamp.dt.strftime("%Y-%m-%dT%H:%M:%S%.f"), pl.lit("|"), key])
            ),
        },
        tags={"session_id": session, "project": cwd},
        skip=skip,
        note=pl.when(model.is_null()).then(pl.lit(_ASSUMED_NOTE)),
    )


FORMATS = (Format("codex", "OpenAI Codex CLI sessions (~/.codex/sessions/**/*.jsonl)", records(), adapt),)
