"""Converters from public price databases into aicost price tables, and what they share."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from aicost.pricing.model import PriceTable, Source


@dataclass
class Conversion:
    """Tables converted from one source, plus what could not be represented."""

    name: str
    tables: list[PriceTable]
    # entries the source itself lists (what the minimum-count guard checks), before any skipping
    entries: int = 0
    skipped: list[str] = field(default_factory=list)
    curated: list[str] = field(default_factory=list)

    @property
    def model_count(self) -> int:
        """Models across all tables."""
        return sum(len(t.model) for t in self.tables)


def source_record(
    name: str, *, url: str | None, raw: bytes, retrieved_at: dt.datetime, license: str | None = None
) -> Source:
    """The provenance block of every table converted from `raw`."""
    return Source(
        name=name, url=url, retrieved_at=retrieved_at, sha256=hashlib.sha256(raw).hexdigest(), license=license
    )


def scaled(value: object, factor: int) -> float | None:
    """A per-unit USD price (number or decimal string) times `factor`, exact in decimal, or None.

    Decimal arithmetic keeps `3e-06` per token at 3.0 per million instead of 2.9999999999999996.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return float(number * factor)


def per_million(value: object) -> float | None:
    """A per-token USD price as USD per million tokens (None if not a number)."""
    return scaled(value, 1_000_000)
