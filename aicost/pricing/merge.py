"""Merging fresh source data into existing price tables without losing history.

Rules (documented in docs/price-tables.md):

* Sources rank genai-prices > litellm > openrouter > any other name (`--prefer` moves names to the
  front). Within a provider, a model from a lower-ranked source is added only if no model of a
  higher-ranked source answers to its id (by the higher model's match rule); otherwise the pair is a
  **conflict** when the current prices differ, reported and resolved for the higher rank.
* A model already in the tables keeps its price history: dated entries a source states are added, an
  entry dated before the as-of date is never rewritten, and when the price in force on the as-of date
  differs, an entry with `effective_from = as-of` is appended. Future entries follow the source.
* A model that a consulted source no longer lists stays, marked `delisted = as-of`; models of sources
  not consulted are left alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from aicost.pricing import match
from aicost.pricing.model import RATE_KEYS, Model, PriceEntry, PriceTable, ProviderInfo, Rate, Source, Tiered, Variant
from aicost.pricing.sources import Conversion

DEFAULT_RANK: Final = ("genai-prices", "litellm", "openrouter")
_KEYS: Final = (*RATE_KEYS, "per_1k_requests")


@dataclass
class Conflict:
    """Two sources price the same (provider, model) differently; `kept` won by rank."""

    provider: str
    model: str
    kept: str
    other: str
    other_model: str
    rates: dict[str, tuple[Rate | None, Rate | None]]

    def to_json(self) -> dict[str, Any]:
        """JSON form: per class, the kept and the other source's rate."""
        return {
            "provider": self.provider,
            "model": self.model,
            "kept": self.kept,
            "other": self.other,
            "other_model": self.other_model,
            "rates": {k: {self.kept: rate_json(a), self.other: rate_json(b)} for k, (a, b) in self.rates.items()},
        }


@dataclass
class MergeResult:
    """The complete new set of tables and what the merge decided."""

    tables: list[PriceTable]
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # per consulted source: models it lists (not delisted) in the tables before and after
    listed: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class _Item:
    model: Model
    source: str
    provider: str


def rate_json(rate: Rate | None) -> Any:
    """A rate as plain JSON (a number, or {base, tiers})."""
    return msgspec.to_builtins(rate) if isinstance(rate, Tiered) else rate


def merge(
    existing: Sequence[PriceTable], fresh: Sequence[Conversion], *, as_of: dt.date, prefer: Sequence[str] = ()
) -> MergeResult:
    """Merge converted sources into the existing tables (see the module docstring)."""
    _MATCHERS.clear()  # compiled per merge: the cache holds the models it was built for
    rank = _ranker(prefer)
    by_default = _ranker(())
    sources: dict[str, Source] = {}  # the provenance record per source name, fresh where consulted
    old_sources: dict[str, Source] = {}
    for table in existing:
        for src in (table.source, *table.extra_source):
            old_sources.setdefault(src.name, src)
    infos: dict[str, list[tuple[int, int, str, ProviderInfo]]] = {}
    candidates: dict[str, list[_Item]] = {}
    for order, conversion in enumerate(fresh):
        for table in conversion.tables:
            named = {s.name: s for s in (table.source, *table.extra_source)}
            for name, src in named.items():
                previous = old_sources.get(name)
                keep = previous is not None and previous.sha256 == src.sha256 and src.sha256 is not None
                sources.setdefault(name, previous if keep and previous else src)
            pid = table.provider.id
            # the provider block comes from the best source by the default ranking: --prefer decides prices only
            infos.setdefault(pid, []).append((by_default(table.source.name), order, table.source.name, table.provider))
            candidates.setdefault(pid, []).extend(
                _Item(m, m.source or table.source.name, pid) for m in table.model
            )
    consulted = set(sources)
    for name, src in old_sources.items():
        sources.setdefault(name, src)
    result = MergeResult(tables=[])
    old_tables = {t.provider.id: t for t in existing}
    for pid in sorted(set(old_tables) | set(candidates)):
        table = _merge_provider(pid, old_tables.get(pid), candidates.get(pid, []), infos.get(pid, []),
                                consulted, sources, rank, by_default, as_of, result)
        result.tables.append(table)
    for name in sorted(consulted):
        before = sum(1 for t in existing for m in t.model if _owner(t, m) == name and m.delisted is None)
        after = sum(1 for t in result.tables for m in t.model if _owner(t, m) == name and m.delisted is None)
        result.listed[name] = (before, after)
    _MATCHERS.clear()
    return result


def _ranker(prefer: Sequence[str]) -> Any:
    order = list(dict.fromkeys([*prefer, *DEFAULT_RANK]))

    def rank(name: str) -> int:
        return order.index(name) if name in order else len(order)

    return rank


def _owner(table: PriceTable, model: Model) -> str:
    return model.source or table.source.name


def _merge_provider(
    pid: str,
    old: PriceTable | None,
    items: list[_Item],
    infos: list[tuple[int, int, str, ProviderInfo]],
    consulted: set[str],
    sources: dict[str, Source],
    rank: Any,
    by_default: Any,
    as_of: dt.date,
    result: MergeResult,
) -> PriceTable:
    old_items = [_Item(m, _owner(old, m), pid) for m in old.model] if old else []
    old_by_id = {i.model.id: i for i in old_items}
    # models of sources not consulted this time keep their place and their rank
    standing = [i for i in old_items if i.source not in consulted]
    listed: dict[str, set[str]] = {}
    for item in items:
        listed.setdefault(item.source, set()).add(item.model.id)
    chosen: dict[str, _Item] = {}
    by_rank: dict[int, list[_Item]] = {}
    for item in items:
        by_rank.setdefault(rank(item.source), []).append(item)
    for level in sorted(by_rank):  # each source keeps its own order within its rank
        higher = [i for i in (*chosen.values(), *standing) if rank(i.source) < level]
        for item in by_rank[level]:
            winner = _covering(item, higher)
            if winner is not None:
                conflict = _conflict(pid, winner, item, as_of)
                if conflict is not None:
                    result.conflicts.append(conflict)
                continue
            if item.model.id in chosen:
                if chosen[item.model.id].source != item.source or chosen[item.model.id].model.price != item.model.price:
                    result.notes.append(f"{pid}/{item.model.id}: listed twice by {item.source}; kept the first")
                continue
            previous = old_by_id.get(item.model.id)
            model = merge_model(previous.model, item.model, as_of) if previous else _fresh(item.model)
            chosen[item.model.id] = _Item(model, item.source, pid)
    # models in the old table that no consulted source chose this time
    kept: dict[str, _Item] = {}
    for item in old_items:
        if item.model.id in chosen:
            continue
        model = item.model
        if item.source in consulted and item.model.id not in listed.get(item.source, set()):
            if model.delisted is None:
                model = msgspec.structs.replace(model, delisted=as_of)
        kept[item.model.id] = _Item(model, item.source, pid)
    ordered = _interleave([i.model.id for i in old_items], list(chosen), chosen, kept)
    info, primary = _provider(old, infos, by_default)
    used = sorted({i.source for i in ordered} - {primary}, key=lambda n: (rank(n), n))
    models = [msgspec.structs.replace(i.model, source=None if i.source == primary else i.source) for i in ordered]
    return PriceTable(
        schema=old.schema if old else "aicost.prices/1",
        provider=info,
        source=sources[primary],
        extra_source=[sources[n] for n in used],
        model=models,
    )


def _covering(item: _Item, higher: list[_Item]) -> _Item | None:
    """The higher-ranked model that already answers to `item`'s id, if any."""
    ref = item.model.id.lower()
    for other in higher:
        if other.model.id.lower() == ref or _matcher(other.model)(ref):
            return other
    return None


_MATCHERS: dict[int, tuple[Model, match.Matcher]] = {}


def _matcher(model: Model) -> match.Matcher:
    key = id(model)
    cached = _MATCHERS.get(key)
    if cached is None or cached[0] is not model:
        cached = _MATCHERS[key] = (model, match.compile_clause(model.match))
    return cached[1]


def _conflict(pid: str, kept: _Item, other: _Item, as_of: dt.date) -> Conflict | None:
    a, b = entry_at(kept.model.price, as_of), entry_at(other.model.price, as_of)
    rates = {
        key: (getattr(a, key), getattr(b, key))
        for key in _KEYS
        if getattr(a, key) is not None and getattr(b, key) is not None and not same_rate(getattr(a, key),
                                                                                            getattr(b, key))
    }
    if not rates:
        return None
    return Conflict(provider=pid, model=kept.model.id, kept=kept.source, other=other.source,
                    other_model=other.model.id, rates=rates)


def same_rate(a: Rate | float | None, b: Rate | float | None) -> bool:
    """Equal rates (to a relative 1e-9, so per-token floats converted to per-million compare equal)."""
    if isinstance(a, Tiered) or isinstance(b, Tiered):
        if not (isinstance(a, Tiered) and isinstance(b, Tiered)) or len(a.tiers) != len(b.tiers):
            return False
        return same_rate(a.base, b.base) and all(
            x.start == y.start and same_rate(x.price, y.price) for x, y in zip(a.tiers, b.tiers, strict=True)
        )
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _interleave(old_ids: list[str], new_ids: list[str], chosen: dict[str, _Item],
                kept: dict[str, _Item]) -> list[_Item]:
    """Source order for chosen models; each kept model stays just before the model that followed it.

    Order matters because the first matching rule wins: a delisted model must keep answering to the ids
    it answered to before.
    """
    position = {mid: i for i, mid in enumerate(old_ids)}
    out: list[_Item] = []
    emitted: set[str] = set()
    waiting = [mid for mid in old_ids if mid in kept]
    for mid in new_ids:
        if mid in position:
            for other in [w for w in waiting if position[w] < position[mid] and w not in emitted]:
                out.append(kept[other])
                emitted.add(other)
        out.append(chosen[mid])
    out += [kept[w] for w in waiting if w not in emitted]
    return out


def _provider(old: PriceTable | None, infos: list[tuple[int, int, str, ProviderInfo]],
              rank: Any) -> tuple[ProviderInfo, str]:
    """The provider block and primary source: from the best-ranked source that has this provider."""
    options = sorted(infos, key=lambda t: (t[0], t[1]))
    if old is not None and (not options or rank(old.source.name) < options[0][0]):
        return old.provider, old.source.name
    return options[0][3], options[0][2]


# ------------------------------------------------------------------------------------ one model's history


def merge_model(old: Model, new: Model, as_of: dt.date) -> Model:
    """`new`'s metadata with `old`'s history extended by what `new` says (see the module docstring)."""
    if old.price == new.price and old.variant == new.variant:
        return msgspec.structs.replace(new, price=old.price, variant=old.variant, delisted=None)
    return msgspec.structs.replace(
        new,
        price=_merge_entries(old.price, new.price, as_of),
        variant=_merge_variants(old.variant, new.variant, as_of),
        delisted=None,
    )


def _fresh(model: Model) -> Model:
    return msgspec.structs.replace(model, delisted=None) if model.delisted else model


def entry_at(entries: Sequence[PriceEntry], day: dt.date) -> PriceEntry:
    """The history entry in force on `day`: the latest that has started, else the first."""
    chosen = entries[0]
    for entry in entries:
        if entry.effective_from is None or entry.effective_from <= day:
            chosen = entry
    return chosen


def _undated(entry: Any) -> Any:
    return msgspec.structs.replace(entry, effective_from=None)


def _dated(entries: Iterable[Any], old: Sequence[Any], new: Sequence[Any], as_of: dt.date) -> dict[Any, Any]:
    by_date = {e.effective_from: e for e in old}
    new_dates = {e.effective_from for e in new}
    for entry in entries:
        day = entry.effective_from
        if day is None:
            by_date.setdefault(None, entry)  # the base of an existing model is history: kept
        elif day not in by_date or day >= as_of:
            by_date[day] = entry  # a date the source states; past entries are not rewritten
    for day in list(by_date):
        if day is not None and day > as_of and day not in new_dates:
            del by_date[day]  # an announced change the source has withdrawn
    return by_date


def _merge_entries(old: list[PriceEntry], new: list[PriceEntry], as_of: dt.date) -> list[PriceEntry]:
    by_date = _dated(new, old, new, as_of)
    history = sorted(by_date.values(), key=lambda e: e.effective_from or dt.date.min)
    current = entry_at(new, as_of)
    if _undated(entry_at(history, as_of)) != _undated(current):
        by_date[as_of] = msgspec.structs.replace(current, effective_from=as_of)
        history = sorted(by_date.values(), key=lambda e: e.effective_from or dt.date.min)
    collapsed = [history[0]]
    for entry in history[1:]:
        if _undated(entry) != _undated(collapsed[-1]):
            collapsed.append(entry)
    return collapsed


def _override(variants: Sequence[Variant], day: dt.date) -> dict[str, Any]:
    """Per key, the rate of the first variant in force on `day` that sets it (genai-prices' rule)."""
    out: dict[str, Any] = {}
    for variant in variants:
        if variant.effective_from is not None and variant.effective_from > day:
            continue
        for key in _KEYS:
            value = getattr(variant, key)
            if value is not None:
                out.setdefault(key, value)
        if variant.other:
            out.setdefault("other", variant.other)
    return out


def _merge_variants(old: list[Variant], new: list[Variant], as_of: dt.date) -> list[Variant]:
    out: list[Variant] = []
    for tier in dict.fromkeys([v.tier for v in old] + [v.tier for v in new]):
        mine = [v for v in old if v.tier == tier]
        theirs = [v for v in new if v.tier == tier]
        if not theirs or mine == theirs:
            out += mine or theirs  # a tier a source stops listing may not have ended: keep it
            continue
        by_date = _dated(theirs, mine, theirs, as_of)
        newest_first = sorted(by_date.values(), key=lambda v: v.effective_from or dt.date.min, reverse=True)
        wanted = _override(theirs, as_of)
        if _override(newest_first, as_of) != wanted:
            by_date[as_of] = Variant(tier=tier, effective_from=as_of, **wanted)
            newest_first = sorted(by_date.values(), key=lambda v: v.effective_from or dt.date.min, reverse=True)
        out += newest_first
    return out
