"""Looking at price tables: `prices list` (one row per model) and `prices show` (everything about one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
import polars as pl

from aicost.errors import UnknownModelError
from aicost.pricing.book import PriceBook, TableInfo
from aicost.pricing.merge import entry_at, rate_json
from aicost.pricing.model import Model, PriceTable, Rate, Tiered
from aicost.pricing.resolve import Resolution

SCHEMA_VERSION: Final = 1
_CLASSES: Final = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning")
LIST_SCHEMA: Final[dict[str, Any]] = {
    "provider": pl.String,
    "model": pl.String,
    "input": pl.Float64,
    "cache_read": pl.Float64,
    "cache_write": pl.Float64,
    "output": pl.Float64,
    "long_context": pl.String,
    "tiers": pl.String,
    "context_window": pl.Int64,
    "history": pl.Int64,
    "status": pl.String,
    "source": pl.String,
}


def base_value(rate: Rate | None) -> float | None:
    """A rate's value below any long-context threshold."""
    return rate.base if isinstance(rate, Tiered) else rate


def status(model: Model) -> str:
    """listed, deprecated, or delisted since a date."""
    if model.delisted is not None:
        return f"delisted {model.delisted.isoformat()}"
    return "deprecated" if model.deprecated else "listed"


def source_of(table: PriceTable, model: Model) -> str:
    """The name of the source a model's prices came from."""
    return model.source or table.source.name


@dataclass
class ListResult:
    """Models matching the filters, with their current standard rates (USD per million tokens)."""

    rows: pl.DataFrame
    book: PriceBook
    at: dt.date
    filters: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document."""
        providers = set(self.rows["provider"].to_list())
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "prices list",
            "currency": "USD",
            "unit": "USD per million tokens",
            "at": self.at.isoformat(),
            "filters": self.filters,
            "count": self.rows.height,
            "models": self.rows.to_dicts(),
            "pricing": self.book.provenance(),
            "tables": [info_json(i) for i in self.book.infos if i.provider in providers],
        }


def info_json(info: TableInfo) -> dict[str, Any]:
    """A loaded table's provenance."""
    return {"provider": info.provider, "file": info.file, "source": info.source, "url": info.url,
            "retrieved_at": info.retrieved_at, "sha256": info.sha256}


def list_models(book: PriceBook, *, provider: str | None = None, search: str | None = None,
                at: dt.date | None = None) -> ListResult:
    """Every model (of one provider, or whose id or name contains `search`), rates in force on `at`."""
    day = at or dt.datetime.now(dt.UTC).date()
    wanted = None
    if provider:
        wanted = book.find_provider(provider)
        if wanted is None:
            raise UnknownModelError(f"unknown provider {provider!r}; known: {', '.join(list(book.providers)[:8])}, …")
    needle = (search or "").lower()
    records = []
    for table in book.tables:
        if wanted is not None and table.provider.id != wanted:
            continue
        for model in table.model:
            if needle and needle not in model.id.lower() and needle not in (model.name or "").lower():
                continue
            entry = entry_at(model.price, day)
            steps = sorted({t.start for k in _CLASSES if isinstance(r := getattr(entry, k), Tiered) for t in r.tiers})
            records.append({
                "provider": table.provider.id,
                "model": model.id,
                "input": base_value(entry.input),
                "cache_read": base_value(entry.cache_read),
                "cache_write": base_value(entry.cache_write),
                "output": base_value(entry.output),
                "long_context": ", ".join(f">{s // 1000:,}k" for s in steps) or None,
                "tiers": ", ".join(dict.fromkeys(v.tier for v in model.variant)) or None,
                "context_window": model.context_window,
                "history": len(model.price),
                "status": status(model),
                "source": source_of(table, model),
            })
    rows = pl.DataFrame(records, schema=LIST_SCHEMA)
    return ListResult(rows=rows, book=book, at=day, filters={"provider": wanted, "search": search})


@dataclass
class ShowResult:
    """One model, how the id given resolved to it, and where its prices came from."""

    resolution: Resolution
    model: Model
    table: PriceTable
    info: TableInfo
    book: PriceBook

    @property
    def rows(self) -> pl.DataFrame:
        """The price history, one row per entry (for CSV/Markdown)."""
        records = [{"effective_from": e.effective_from.isoformat() if e.effective_from else None,
                    **{k: _cell(getattr(e, k)) for k in _CLASSES}, "per_1k_requests": e.per_1k_requests,
                    "windows": len(e.windows)} for e in self.model.price]
        return pl.DataFrame(records)

    @property
    def source(self) -> Any:
        """The provenance record of the source the model came from."""
        name = source_of(self.table, self.model)
        for src in (self.table.source, *self.table.extra_source):
            if src.name == name:
                return src
        return self.table.source

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document: the model in full, its resolution and provenance."""
        res = self.resolution
        src = self.source
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "prices show",
            "currency": "USD",
            "unit": "USD per million tokens",
            "query": {"provider": res.logged_provider, "model": res.logged_model},
            "resolved": {"provider": res.provider, "price_provider": res.price_provider, "model": res.model,
                         "via": res.via or "exact"},
            "model": msgspec.to_builtins(self.model, builtin_types=(dt.date, dt.datetime)),
            "status": status(self.model),
            "table": {**info_json(self.info), "directory": str(self.book.directory), "origin": self.book.origin},
            "source": msgspec.to_builtins(src, builtin_types=(dt.date, dt.datetime)),
            "pricing": self.book.provenance(),
        }


def show_model(book: PriceBook, model: str, *, provider: str | None = None) -> ShowResult:
    """Resolve an id as users write it; unknown ⇒ UnknownModelError with suggestions."""
    res = book.resolve(provider, model)
    if not res.priced or res.price_provider is None or res.model is None:
        who = f"{provider}/{model}" if provider else model
        hint = f"; did you mean {', '.join(res.suggestions)}?" if res.suggestions else ""
        raise UnknownModelError(f"{who}: {res.reason or 'unknown model'}{hint}")
    found = book.model(res.price_provider, res.model)
    table = next(t for t in book.tables if t.provider.id == res.price_provider)
    info = next(i for i in book.infos if i.provider == res.price_provider)
    return ShowResult(resolution=res, model=found, table=table, info=info, book=book)


def _cell(rate: Rate | None) -> Any:
    return rate_json(rate) if not isinstance(rate, Tiered) else str(rate_json(rate))
