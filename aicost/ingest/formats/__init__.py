"""Provider, gateway, tracing and agent log formats, each adapted to the canonical usage schema.

One small module per format family; `FORMATS` lists them under their `--log-format` names, and
`detect` picks one per file from its records' keys (log-formats.md §14).
"""

from __future__ import annotations

from typing import Final

from aicost.ingest.formats import (
    anthropic,
    bedrock,
    claude_code,
    codex,
    google,
    helicone,
    langfuse,
    litellm,
    llm_db,
    openai,
    openrouter,
    otel,
)
from aicost.ingest.formats.base import Format
from aicost.ingest.formats.detect import CANONICAL, detect
from aicost.ingest.formats.read import Sniff, sniff

_MODULES = (
    openai,
    anthropic,
    google,
    bedrock,
    litellm,
    langfuse,
    helicone,
    openrouter,
    claude_code,
    codex,
    llm_db,
    otel,
)
FORMATS: Final[dict[str, Format]] = {f.name: f for module in _MODULES for f in module.FORMATS}


def known_formats() -> list[str]:
    """Every `--log-format` name, canonical first."""
    return [CANONICAL, *FORMATS]


__all__ = ["CANONICAL", "FORMATS", "Format", "Sniff", "detect", "known_formats", "sniff"]
