"""Typed price-table models (`aicost.prices/1`), loaded strictly: an unknown key is an error.

The TOML format is documented in docs/price-tables.md. Token rates are USD per million tokens; a rate is
either a number or `{base = …, tiers = [{start = N, price = …}]}`, a long-context cliff: once a request's
prompt (input + cache reads + cache writes) exceeds `start`, every token of that class is billed at `price`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import msgspec

SCHEMA: Final = "aicost.prices/1"
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Token-class rate keys in a price entry, in the order tables list them.
RATE_KEYS: Final = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
Tier = Literal["batch", "flex", "priority", "fast"]


# struct options are not inherited, so every model class states them


class _Strict(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    pass


class TierStep(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """One long-context tier: the rate once the prompt exceeds `start` tokens."""

    start: int
    price: float


class Tiered(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """A rate with long-context cliffs."""

    base: float
    tiers: list[TierStep]


Rate = float | Tiered


class Rates(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Per-class rates; a class without its own rate falls back to its parent (see docs)."""

    input: Rate | None = None
    cache_read: Rate | None = None
    cache_write: Rate | None = None
    cache_write_1h: Rate | None = None
    output: Rate | None = None
    # output tokens that are reasoning, where a provider prices them apart from other output
    reasoning: Rate | None = None
    # a fixed fee per 1,000 requests (e.g. Perplexity), charged on top of tokens
    per_1k_requests: float | None = None
    # units token logs do not carry (audio, images, searches, pages); kept for `prices show`
    other: dict[str, Rate] = {}


class Window(Rates, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """A daily UTC time-of-day window (may wrap midnight), optionally on some weekdays only."""

    start: str
    end: str
    weekdays: list[str] | None = None


class PriceEntry(Rates, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Rates in force from `effective_from` (a UTC date) until the next entry's."""

    effective_from: dt.date | None = None
    windows: list[Window] = []


class Variant(Rates, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Rates for a service tier, overriding the standard rates key by key from `effective_from`."""

    tier: Tier
    effective_from: dt.date | None = None


class Model(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """One priced model of a provider."""

    id: str
    match: dict[str, object]
    name: str | None = None
    context_window: int | None = None
    deprecated: bool = False
    # the date a source stopped listing this model; kept so old logs stay priceable
    delisted: dt.date | None = None
    comments: str | None = None
    # the source this model's prices came from, when it is not the table's own [source] (a merged update)
    source: str | None = None
    price: list[PriceEntry]
    variant: list[Variant] = []


class ProviderInfo(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Who the table is for and how logs refer to them."""

    id: str
    name: str | None = None
    # infer this provider from a bare model id
    model_match: dict[str, object] | None = None
    # recognise a provider id written in logs (e.g. "bedrock" for aws)
    provider_match: dict[str, object] | None = None
    # providers whose models this one also serves (one step), e.g. azure -> openai
    fallback: list[str] = []
    api_pattern: str | None = None
    pricing_urls: list[str] = []
    comments: str | None = None


class Source(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Provenance of a table: where its prices came from and when they were seen."""

    name: str
    url: str | None = None
    retrieved_at: dt.datetime | None = None
    sha256: str | None = None
    license: str | None = None
    version: str | None = None


class PriceTable(_Strict, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """One `pricing/<provider>.toml` file."""

    schema: str
    provider: ProviderInfo
    source: Source
    # further sources whose models a merged update added to this table (models name them in `source`)
    extra_source: list[Source] = []
    model: list[Model] = []
