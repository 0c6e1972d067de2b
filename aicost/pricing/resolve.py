"""Model-id resolution: which (provider, model) price entry a logged id refers to.

Runs once per distinct (provider, model) pair of a log, never per row. The raw id is tried first with the
price tables' own match rules (genai-prices semantics, so specific dated ids keep their own prices), then
progressively normalised forms: provider prefixes, Bedrock ids and ARNs, compact and `@` dates, dated
suffixes, dots vs dashes, and finally the table's model ids themselves.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

# Gateway and SDK spellings of provider ids the tables' own provider rules do not cover.
PROVIDER_ALIASES: Final[dict[str, str]] = {
    "fireworks_ai": "fireworks",
    "fireworks-ai": "fireworks",
    "fireworksai": "fireworks",
    "together": "together",
    "togetherai": "together",
    "z.ai": "zai",
    "z-ai": "zai",
    "zhipu": "zhipuai",
    "bigmodel": "zhipuai",
    "mistralai": "mistral",
    "x.ai": "x-ai",
    "grok": "x-ai",
    "azure_openai": "azure",
    "azure_ai": "azure",
    "moonshot": "moonshotai",
    "vertex_ai": "google",
    "vertex": "google",
    "gemini": "google",
    "google_genai": "google",
    "aws.bedrock": "aws",
    "bedrock_converse": "aws",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "azure.ai.openai": "azure",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
}

_COMPACT_DATE = re.compile(r"-(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)")
_AT_DATE = re.compile(r"@(20\d{2})(\d{2})(\d{2})$")
_DATE_SUFFIX = re.compile(r"(?:[-@](?:20\d{2}-?\d{2}-?\d{2}|\d{4}))$")
_BEDROCK_VERSION = re.compile(r"-v\d+(?::\d+)?$|:\d+$")
_BEDROCK_ID = re.compile(
    r"^(?:(?:us|eu|apac|au|jp|ca|global|us-gov)\.)?"
    r"(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek|qwen|openai|writer|stability|twelvelabs|moonshotai)\."
)
_DIGIT_DOT = re.compile(r"(?<=\d)\.(?=\d)")
_DIGIT_DASH = re.compile(r"(?<=\b\d)-(?=\d\b)")


@dataclass(frozen=True)
class Resolution:
    """How one logged (provider, model) pair resolved, or why it did not."""

    logged_provider: str | None
    logged_model: str
    provider: str | None = None
    # the table the price comes from: the provider itself, or one it falls back to (azure → openai)
    price_provider: str | None = None
    model: str | None = None
    via: str = ""
    # genai-prices ignores service-tier variants for a model found through a fallback provider
    variants: bool = True
    reason: str | None = None
    suggestions: tuple[str, ...] = ()

    @property
    def priced(self) -> bool:
        """Whether a price entry was found."""
        return self.model is not None


def compact_date(ref: str) -> str:
    """`gpt-5.2-20251211` → `gpt-5.2-2025-12-11` (only for real calendar dates)."""

    def fix(m: re.Match[str]) -> str:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
        try:
            dt.date(year, month, day)
        except ValueError:
            return m[0]
        return f"-{year:04d}-{month:02d}-{day:02d}"

    return _COMPACT_DATE.sub(fix, ref)


def candidates(ref: str) -> Iterator[tuple[str, str]]:
    """Normalised forms of a (lower-cased) model id, most specific first, with how each was made."""
    seen: set[str] = set()

    def emit(form: str, how: str) -> Iterator[tuple[str, str]]:
        if form and form not in seen:
            seen.add(form)
            yield form, how

    yield from emit(ref, "")
    yield from emit(compact_date(ref), "compact date")
    at = _AT_DATE.sub(lambda m: f"-{m[1]}{m[2]}{m[3]}", ref)
    yield from emit(at, "@date")
    yield from emit(compact_date(at), "@date")
    bare = _BEDROCK_VERSION.sub("", ref)
    bare = _DATE_SUFFIX.sub("", bare)
    yield from emit(bare, "without date suffix")
    for form in (ref, bare):
        yield from emit(_DIGIT_DOT.sub("-", form), "dots as dashes")
        yield from emit(_DIGIT_DASH.sub(".", form), "dashes as dots")


def split_bedrock(ref: str) -> str | None:
    """The model part of a Bedrock model id or ARN, or None if `ref` is not a Bedrock id."""
    if ref.startswith("arn:aws:bedrock:"):
        kind, _, rest = ref.split(":", 5)[-1].partition("/")
        if kind == "application-inference-profile":
            return ""  # opaque: needs the user's alias map
        return rest if _BEDROCK_ID.match(rest) else rest or ""
    return ref if _BEDROCK_ID.match(ref) else None


def suggest(ref: str, names: list[str], n: int = 3) -> tuple[str, ...]:
    """Close model ids for a "did you mean" hint."""
    return tuple(difflib.get_close_matches(ref, names, n=n, cutoff=0.6))
