"""Claude Code session logs: `~/.claude/projects/<project>/<session>.jsonl`, including `subagents/`
(log-formats.md §10, §13, §15; pitfall 7).

Only `assistant` lines carry usage (the raw Anthropic `message.usage`, cache outside input); every other
line is skipped and counted. Claude Code writes one response many times — once per content block, again
when a conversation is resumed or continued, again in sidechain replays — so rows are keyed on
(`message.id`, `requestId`) across *all* files and the copy with the largest total wins (streaming rows
can be partial: first-wins undercounts output), preferring a non-sidechain copy on ties.
"""

from __future__ import annotations

import polars as pl

from aicost.ingest.formats.anthropic import tier, usage_columns
from aicost.ingest.formats.base import Format, records
from aicost.ingest.formats.fields import Doc, Rows, first_reason, zero

# Lines that cannot be assistant turns (user turns carrying whole tool results are most of the bytes)
# are only read for their type, not parsed field by field; a false match is still checked exactly.
_MAYBE_ASSISTANT = r'"type"\s*:\s*"assistant"'


def adapt(doc: Doc) -> pl.LazyFrame:
    """One row per line; assistant lines priced, the rest skipped."""
    if not doc.is_text or doc.root is None:
        return _adapt(doc)
    maybe = pl.col(doc.root).str.contains(_MAYBE_ASSISTANT)
    return pl.concat([_adapt(doc.subset(maybe)), _other_lines(doc.subset(~maybe))], how="diagonal_relaxed")


def _other_lines(doc: Doc) -> pl.LazyFrame:
    r = Rows(doc)
    kind = r.text("type")
    r.reject(kind.is_null(), "line without a type")
    return r.frame({}, skip=pl.when(kind.is_not_null()).then(pl.format("Claude Code {} line (no usage)", kind)))


def _adapt(doc: Doc) -> pl.LazyFrame:
    r = Rows(doc)
    kind = r.text("type")
    model = r.text("message.model")
    has_usage = r.text("message.usage").is_not_null()
    skip = first_reason(
        (kind.is_not_null() & (kind != "assistant"), pl.format("Claude Code {} line (no usage)", kind)),
        (r.flag("isApiErrorMessage").fill_null(False), "API error message (no API usage)"),
        (model == "<synthetic>", "synthetic message (no API call)"),
    )
    r.reject(~has_usage, "assistant line without message.usage")
    columns = usage_columns(r, "message.usage")
    message_id, request_id = r.text("message.id"), r.text("requestId")
    r.reject(message_id.is_null(), "assistant line without message.id")
    sidechain = r.flag("isSidechain").fill_null(False)
    total = pl.sum_horizontal(
        [zero(columns[c]) for c in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")]
    ) + zero(columns["cache_write_1h_tokens"])
    return r.frame(
        {
            **columns,
            "timestamp": r.time("timestamp"),
            "provider": pl.lit("anthropic"),
            "model": model,
            "service_tier": tier(r, "message.usage"),
            # ccusage's key; an empty requestId falls back to the message id alone (ccusage #976)
            "request_id": pl.when(request_id.is_not_null())
            .then(pl.concat_str([message_id, pl.lit(":"), request_id]))
            .otherwise(message_id),
            "reported_cost": r.float("costUSD"),
        },
        tags={
            "session_id": r.text("sessionId"),
            "project": r.text("cwd"),
            "git_branch": r.text("gitBranch"),
            "cli_version": r.text("version"),
            "sidechain": sidechain.cast(pl.String),
        },
        skip=skip,
        # largest total first, then a non-sidechain copy
        pref=total * 2 + (~sidechain).cast(pl.Int64),
    )


FORMATS = (Format("claude-code", "Claude Code session logs (~/.claude/projects/**/*.jsonl)", records(), adapt),)
