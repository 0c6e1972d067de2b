"""What changed between two sets of price tables: added, removed and changed models, rate by rate.

Entries are compared by date: an entry both sets have is compared rate by rate; an entry only the new
set has is a history entry appended (shown against the rate in force just before it); windows and
service-tier variants likewise. Used by `aicost prices diff` and for the summary `prices update` prints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import msgspec
import polars as pl

from aicost.pricing.merge import entry_at, rate_json, same_rate
from aicost.pricing.model import RATE_KEYS, Model, PriceEntry, PriceTable, Rates, Variant, Window
from aicost.pricing.book import PriceBook
from aicost.pricing.tables import dump_table

SCHEMA_VERSION: Final = 1
_KEYS: Final = (*RATE_KEYS, "per_1k_requests")
_META: Final = ("name", "context_window", "deprecated", "delisted", "match")


@dataclass
class TableSet:
    """A named set of tables with the provenance of each file."""

    label: str
    directory: Path | None
    tables: list[PriceTable]
    hashes: dict[str, str] = field(default_factory=dict)  # provider id → sha256 of the file's bytes

    @classmethod
    def load(cls, directory: Path, label: str) -> TableSet:
        """Every table of a directory (through the compiled price-book cache)."""
        book = PriceBook.load(directory, label)
        return cls(label=label, directory=directory, tables=book.tables,
                   hashes={i.provider: i.sha256 for i in book.infos})

    @classmethod
    def of(cls, tables: list[PriceTable], label: str, directory: Path | None = None,
           texts: dict[str, str] | None = None) -> TableSet:
        """Tables held in memory, hashed as they are (or would be) written: `texts` by provider id."""
        texts = texts or {t.provider.id: dump_table(t) for t in tables}
        hashes = {pid: hashlib.sha256(text.encode()).hexdigest() for pid, text in texts.items()}
        return cls(label=label, directory=directory, tables=tables, hashes=hashes)

    @property
    def model_count(self) -> int:
        """Models across all tables."""
        return sum(len(t.model) for t in self.tables)

    @property
    def as_of(self) -> str | None:
        """The newest retrieval time among the tables' sources."""
        times = [s.retrieved_at for t in self.tables for s in (t.source, *t.extra_source) if s.retrieved_at]
        return max(times).isoformat() if times else None

    def provenance(self) -> dict[str, Any]:
        """Which tables these are: folder, as-of date, and each file's source and hash."""
        digest = hashlib.sha256()
        for pid in sorted(self.hashes):
            digest.update(f"{pid}.toml:{self.hashes[pid]}\n".encode())
        return {
            "label": self.label,
            "directory": str(self.directory) if self.directory else None,
            "as_of": self.as_of,
            "sha256": digest.hexdigest(),
            "models": self.model_count,
            "sources": sorted({s.name for t in self.tables for s in (t.source, *t.extra_source)}),
            "tables": [table_provenance(t, self.hashes.get(t.provider.id)) for t in self.tables],
        }


def table_provenance(table: PriceTable, sha256: str | None) -> dict[str, Any]:
    """One table's provenance for JSON output."""
    def one(src: Any) -> dict[str, Any]:
        return {"name": src.name, "url": src.url, "license": src.license, "source_sha256": src.sha256,
                "retrieved_at": src.retrieved_at.isoformat() if src.retrieved_at else None}

    return {
        "provider": table.provider.id,
        "file": f"{table.provider.id}.toml",
        "sha256": sha256,
        "models": len(table.model),
        "source": one(table.source),
        "extra_sources": [one(s) for s in table.extra_source],
    }


@dataclass(frozen=True)
class Change:
    """One difference: a rate, a history entry, or a model attribute."""

    provider: str
    model: str
    kind: str  # added | removed | changed | appended | dropped | delisted | relisted | metadata
    where: str  # "price", "price from 2026-12-15", "batch", "window 01:00-04:00 on mon-fri", ""
    key: str  # the rate class, "other.<unit>", or the attribute
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON."""
        return {"kind": self.kind, "where": self.where, "key": self.key, "old": _plain(self.old),
                "new": _plain(self.new)}


@dataclass
class DiffResult:
    """The differences between two table sets, as rows and as JSON."""

    old: TableSet
    new: TableSet
    changes: list[Change]
    added: list[tuple[str, Model]]
    removed: list[tuple[str, Model]]
    command: str = "prices diff"

    @property
    def changed_models(self) -> list[tuple[str, str]]:
        """(provider, model) pairs with changes other than being added or removed."""
        return list(dict.fromkeys((c.provider, c.model) for c in self.changes))

    def summary(self) -> dict[str, int]:
        """Counts of each kind of change."""
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed_models),
            "delisted": sum(1 for c in self.changes if c.kind == "delisted"),
            "history_entries_appended": len({(c.provider, c.model, c.where) for c in self.changes
                                             if c.kind == "appended"}),
        }

    @property
    def rows(self) -> pl.DataFrame:
        """One row per change (added and removed models included), for CSV and Markdown."""
        records = [
            {"provider": p, "model": m.id, "change": kind, "where": "", "key": "", "old": None, "new": None}
            for kind, items in (("added", self.added), ("removed", self.removed)) for p, m in items
        ]
        records += [
            {"provider": c.provider, "model": c.model, "change": c.kind, "where": c.where, "key": c.key,
             "old": _cell(c.old), "new": _cell(c.new)}
            for c in self.changes
        ]
        schema = {k: pl.String for k in ("provider", "model", "change", "where", "key", "old", "new")}
        return pl.DataFrame(records, schema=schema)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document."""
        grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for change in self.changes:
            grouped.setdefault((change.provider, change.model), []).append(change.to_json())
        return {
            "schema_version": SCHEMA_VERSION,
            "command": self.command,
            "currency": "USD",
            "unit": "USD per million tokens (per_1k_requests: USD per 1,000 requests)",
            "old": self.old.provenance(),
            "new": self.new.provenance(),
            "summary": self.summary(),
            "added": [model_json(p, m) for p, m in self.added],
            "removed": [model_json(p, m) for p, m in self.removed],
            "changed": [{"provider": p, "model": m, "changes": rows} for (p, m), rows in grouped.items()],
        }


def model_json(provider: str, model: Model) -> dict[str, Any]:
    """A model's identity and its current standard rates."""
    today = dt.datetime.now(dt.UTC).date()
    current = entry_at(model.price, today)
    return {"provider": provider, "model": model.id, "source": model.source,
            "rates": {k: rate_json(getattr(current, k)) for k in _KEYS if getattr(current, k) is not None}}


def diff_tables(old: TableSet, new: TableSet, *, command: str = "prices diff") -> DiffResult:
    """Compare two table sets model by model."""
    before = {(t.provider.id, m.id): m for t in old.tables for m in t.model}
    after = {(t.provider.id, m.id): m for t in new.tables for m in t.model}
    changes: list[Change] = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if a != b:
            changes += model_changes(key[0], a, b)
    added = [(p, after[(p, m)]) for p, m in sorted(after.keys() - before.keys())]
    removed = [(p, before[(p, m)]) for p, m in sorted(before.keys() - after.keys())]
    return DiffResult(old=old, new=new, changes=changes, added=added, removed=removed, command=command)


def model_changes(provider: str, old: Model, new: Model) -> list[Change]:
    """Every difference between two versions of one model."""
    out: list[Change] = []

    def add(kind: str, where: str, key: str, a: Any, b: Any) -> None:
        out.append(Change(provider, new.id, kind, where, key, a, b))

    _entries(add, [(e.effective_from, e) for e in old.price], [(e.effective_from, e) for e in new.price],
             lambda day: "price" if day is None else f"price from {day}", new.price)
    for tier in dict.fromkeys([v.tier for v in old.variant] + [v.tier for v in new.variant]):
        mine = [(v.effective_from, v) for v in old.variant if v.tier == tier]
        theirs = [(v.effective_from, v) for v in new.variant if v.tier == tier]
        _entries(add, mine, theirs, lambda day, t=tier: t if day is None else f"{t} from {day}", None)
    for attr in _META:
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            kind = "delisted" if attr == "delisted" and b is not None else (
                "relisted" if attr == "delisted" else "metadata")
            add(kind, "", attr, a, b)
    return out


def _entries(add: Any, old: Sequence[tuple[Any, Rates]], new: Sequence[tuple[Any, Rates]], label: Any,
             history: Sequence[PriceEntry] | None) -> None:
    mine, theirs = dict(old), dict(new)
    for day in sorted(mine.keys() | theirs.keys(), key=lambda d: (d is not None, d or dt.date.min)):
        a, b = mine.get(day), theirs.get(day)
        where = label(day)
        if a is not None and b is not None:
            _rates(add, "changed", where, a, b)
            if isinstance(a, PriceEntry) and isinstance(b, PriceEntry):
                _windows(add, where, a.windows, b.windows)
        elif b is not None:
            previous = _before(history, day) if history is not None else None
            rows = [(key, _get(previous, key) if previous is not None else None, value) for key, value in
                    _set_rates(b)]
            moved = [r for r in rows if not same_rate(r[1], r[2])]
            # an appended entry is shown by what it changes (all of it when nothing precedes it)
            for key, was, value in moved or rows:
                add("appended", where, key, was, value)
        elif a is not None:
            for key, value in _set_rates(a):
                add("dropped", where, key, value, None)


def _before(history: Sequence[PriceEntry], day: dt.date | None) -> PriceEntry | None:
    if day is None:
        return None
    earlier = [e for e in history if e.effective_from is None or e.effective_from < day]
    return earlier[-1] if earlier else None


def _set_rates(rates: Rates) -> list[tuple[str, Any]]:
    out = [(k, getattr(rates, k)) for k in _KEYS if getattr(rates, k) is not None]
    return out + [(f"other.{k}", v) for k, v in sorted(rates.other.items())]


def _get(rates: Rates, key: str) -> Any:
    return rates.other.get(key[6:]) if key.startswith("other.") else getattr(rates, key)


def _rates(add: Any, kind: str, where: str, a: Rates, b: Rates) -> None:
    for key in _KEYS:
        x, y = getattr(a, key), getattr(b, key)
        if not same_rate(x, y):
            add(kind, where, key, x, y)
    for key in sorted(a.other.keys() | b.other.keys()):
        x, y = a.other.get(key), b.other.get(key)
        if not same_rate(x, y):
            add(kind, where, f"other.{key}", x, y)


def _window_key(window: Window) -> str:
    days = f" on {','.join(window.weekdays)}" if window.weekdays else ""
    return f"window {window.start}-{window.end}{days}"


def _windows(add: Any, where: str, old: list[Window], new: list[Window]) -> None:
    mine = {_window_key(w): w for w in old}
    theirs = {_window_key(w): w for w in new}
    for key in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(key), theirs.get(key)
        label = f"{where}, {key}"
        if a is not None and b is not None:
            _rates(add, "changed", label, a, b)
        elif b is not None:
            for rate_key, value in _set_rates(b):
                add("changed", label, rate_key, None, value)
        elif a is not None:
            for rate_key, value in _set_rates(a):
                add("changed", label, rate_key, value, None)


def _plain(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Variant):
        return msgspec.to_builtins(value)
    return value


def _cell(value: Any) -> str | None:
    plain = _plain(value)
    if plain is None:
        return None
    if isinstance(plain, dict) and "base" in plain:
        tiers = ", ".join(f">{t['start']:,}: {t['price']:g}" for t in plain["tiers"])
        return f"{plain['base']:g} ({tiers})"
    if isinstance(plain, float):
        return f"{plain:g}"
    return str(plain)
