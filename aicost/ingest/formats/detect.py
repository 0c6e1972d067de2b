"""Which format a file is in, from the keys of a sample of its records (log-formats.md §14).

Signatures are evaluated per record in the documented order (first match wins), then the file takes the
format most of its sampled records match, so a Claude Code session whose first lines are `user` turns, or
an OpenAI stream whose chunks mostly carry no usage, is still recognised. Path hints (`.claude/projects/`,
`.codex/sessions/`, `BedrockModelInvocationLogs/`, `logs.db`) decide only when no record matched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from aicost.errors import InputError
from aicost.ingest.formats.read import Sniff
from aicost.schema import TOKEN_CLASSES

CANONICAL = "canonical"
_PATH_HINTS = (
    ("/.claude/", "claude-code"),
    ("/.config/claude/", "claude-code"),
    ("/.codex/", "codex"),
    ("bedrockmodelinvocationlogs", "bedrock-log"),
)
_CODEX_LINES = ("session_meta", "turn_context", "event_msg", "response_item", "compacted")
_ANTHROPIC_EVENTS = ("message", "message_start", "message_delta")


def _at(record: Any, *keys: str) -> Any:
    for key in keys:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _has_attribute(record: Mapping[str, Any]) -> bool:
    """OTel / OpenInference usage attributes, as a map or as OTLP key/value pairs."""
    attributes = record.get("attributes")
    if isinstance(attributes, dict):
        keys = list(attributes)
    elif isinstance(attributes, list):
        keys = [a.get("key") for a in attributes if isinstance(a, dict)]
    else:
        return False
    return any(isinstance(k, str) and k.startswith(("gen_ai.usage.", "llm.token_count.")) for k in keys)


def signature(r: Mapping[str, Any]) -> str | None:
    """The format one record's keys say, or None (§14, in order)."""
    if r.get("schemaType") == "ModelInvocationLog":
        return "bedrock-log"
    if r.get("object") == "organization.usage.completions.result" or "num_model_requests" in r:
        return "openai-usage"
    if "uncached_input_tokens" in r:
        return "anthropic-usage-report"
    if "custom_id" in r and "response" in r and "result" not in r:
        return "openai-batch"
    if "custom_id" in r and isinstance(_at(r, "result", "type"), str):
        return "anthropic-batch"
    if any(k in r for k in ("usageMetadata", "usage_metadata", "promptTokenCount", "prompt_token_count")):
        return "gemini"
    if _at(r, "response", "usageMetadata") is not None or _at(r, "response", "usage_metadata") is not None:
        return "gemini"
    if r.get("type") in _CODEX_LINES and isinstance(r.get("payload"), dict):
        return "codex"
    if "sessionId" in r and "type" in r and any(k in r for k in ("requestId", "uuid", "parentUuid")):
        return "claude-code"
    if "custom_llm_provider" in r and "spend" in r and "model_group" in r:
        return "litellm"
    if any(k in r for k in ("usageDetails", "costDetails", "usage_details", "cost_details")):
        return "langfuse"
    if "prompt_cache_read_tokens" in r and any(k in r for k in ("costUSD", "request_properties", "request_created_at")):
        return "helicone"
    if "native_tokens_prompt" in r or _at(r, "data", "native_tokens_prompt") is not None:
        return "openrouter"
    if "tokens_prompt" in r and "model_permaslug" in r:
        return "openrouter-csv"
    if "resourceSpans" in r or _has_attribute(r):
        return "otel"
    converse = r.get("usage") if isinstance(r.get("usage"), dict) else _at(r, "metadata", "usage")
    if isinstance(converse, dict) and "inputTokens" in converse and "outputTokens" in converse:
        return "bedrock-converse"
    body = r.get("response") if str(r.get("type", "")).startswith("response.") else r
    if not isinstance(body, dict):
        return None
    found = body.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    if "prompt_tokens" in usage or body.get("object") in ("chat.completion", "chat.completion.chunk"):
        return "openai-chat"
    if "input_tokens_details" in usage or body.get("object") == "response":
        return "openai-responses"
    if "cache_creation_input_tokens" in usage or r.get("type") in _ANTHROPIC_EVENTS:
        return "anthropic-messages"
    return None


def _canonical(keys: Any) -> bool:
    return "model" in keys and any(c in keys for c in TOKEN_CLASSES)


def _mostly_canonical(records: list[dict[str, Any]]) -> bool:
    """Canonical usage, allowing damaged records among those sampled (they are rejected later, by line): at
    least half, so that one damaged key in a file of three lines does not make it an unknown format."""
    return bool(records) and sum(_canonical(r) for r in records) >= max(1, 0.5 * len(records))


def detect(sniffed: Sniff, known: Mapping[str, Any], mapping: Mapping[str, str]) -> str:
    """The format of one file, or an InputError listing the known formats."""
    log = sniffed.log
    if log.kind == "parquet":
        return CANONICAL
    if log.kind == "sqlite":
        columns = sniffed.tables.get("responses", [])
        if "datetime_utc" in columns and "input_tokens" in columns:
            return "llm"
        raise _unknown(log.display, known, "a SQLite file without llm's `responses` table")
    if (
        mapping
        and sniffed.records
        and all(all(src in r or canon in r for canon, src in mapping.items()) for r in sniffed.records[:20])
    ):
        return CANONICAL  # --map names this file's columns: it is canonical usage under other names
    votes = Counter(s for r in [*sniffed.records, *sniffed.nested] if (s := signature(r)) is not None)
    if votes:
        ranked = votes.most_common()
        top = [name for name, n in ranked if n == ranked[0][1]]
        same_adapter = {known[name].adapt for name in top}
        if len(same_adapter) > 1:
            raise InputError(
                f"{log.display}: records match more than one log format ({', '.join(sorted(top))}); "
                "choose one with --log-format NAME"
            )
        return top[0]
    if (sniffed.columns and _canonical(sniffed.columns)) or _mostly_canonical(sniffed.records[:20]):
        return CANONICAL
    path = log.path.replace("\\", "/").lower()
    for hint, name in _PATH_HINTS:
        # session folders also hold settings and history: only their line files are sessions
        if hint in path and log.kind == "jsonl":
            return name
    if not sniffed.records and not sniffed.columns:
        if log.kind == "csv":
            raise InputError(f"{log.display}: empty file (a CSV log needs a header line and rows)")
        raise InputError(f"{log.display}: no records (JSON objects) in this file")
    if mapping:
        present = set(sniffed.columns or ()) | {k for r in sniffed.records[:20] for k in r}
        missing = [
            f"--map {c}={s}: no column {s!r}" for c, s in mapping.items() if s not in present and c not in present
        ]
        if missing:
            raise InputError(f"{log.display}: " + "; ".join(missing))
    raise _unknown(
        log.display,
        known,
        "no known log format matches its records, and as canonical usage it lacks the 'model' column and has no "
        f"token column ({', '.join(TOKEN_CLASSES)})",
    )


def _unknown(where: str, known: Mapping[str, Any], why: str) -> InputError:
    names = ", ".join([CANONICAL, *known])
    return InputError(f"{where}: {why}; pass --log-format NAME (known: {names})")
