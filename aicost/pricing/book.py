"""The PriceBook: every loaded price table, id resolution, and the boundaries pricing depends on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import msgspec

from aicost import paths
from aicost.atomic import atomic_write_bytes
from aicost.errors import OutputError, PriceTableError
from aicost.pricing import match, resolve
from aicost.pricing.model import Model, PriceTable, ProviderInfo
from aicost.pricing.rates import window_spans
from aicost.pricing.resolve import Resolution
from aicost.pricing.tables import as_instant, load_table, parse_table, table_files

_CACHE_VERSION = "1"


@dataclass(frozen=True)
class TableInfo:
    """Provenance of one loaded table file."""

    provider: str
    file: str
    source: str
    url: str | None
    retrieved_at: str | None
    sha256: str


@dataclass
class PriceBook:
    """Loaded price tables, with lookups by provider and resolution of logged model ids."""

    tables: list[PriceTable]
    infos: list[TableInfo]
    directory: Path
    origin: str
    _matchers: dict[int, match.Matcher] = field(default_factory=dict, repr=False)
    _resolved: dict[tuple[str | None, str], Resolution] = field(default_factory=dict, repr=False)

    # -------------------------------------------------------------------------------------- loading

    @classmethod
    def load(cls, directory: Path, origin: str = "explicit") -> PriceBook:
        """Load every table of a pricing directory (through a compiled cache when it is current)."""
        if not directory.is_dir():
            raise PriceTableError(f"{directory}: pricing directory not found")
        files = table_files(directory)
        if not files:
            raise PriceTableError(f"{directory}: no price tables (*.toml) in this directory")
        tables, infos = _load_cached(files)
        tables = sorted(tables, key=lambda t: t.provider.id)
        ids = [t.provider.id for t in tables]
        if len(ids) != len(set(ids)):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise PriceTableError(f"{directory}: more than one table for provider {', '.join(dupes)}")
        return cls(tables=tables, infos=sorted(infos, key=lambda i: i.provider), directory=directory,
                   origin=origin)

    @cached_property
    def providers(self) -> dict[str, ProviderInfo]:
        """Providers by id, in id order (the order genai-prices infers providers in)."""
        return {t.provider.id: t.provider for t in self.tables}

    @cached_property
    def models(self) -> dict[str, list[Model]]:
        """Each provider's models, in table order (the first matching rule wins)."""
        return {t.provider.id: t.model for t in self.tables}

    def model(self, provider: str, model_id: str) -> Model:
        """A model by provider and id (KeyError if absent)."""
        for model in self.models.get(provider, []):
            if model.id == model_id:
                return model
        raise KeyError(f"{provider}/{model_id}")

    @cached_property
    def sha256(self) -> str:
        """One hash over every table's content: names the exact prices a result used."""
        digest = hashlib.sha256()
        for info in self.infos:
            digest.update(f"{info.file}:{info.sha256}\n".encode())
        return digest.hexdigest()

    @cached_property
    def as_of(self) -> str | None:
        """The newest retrieval time among the tables."""
        times = [i.retrieved_at for i in self.infos if i.retrieved_at]
        return max(times) if times else None

    @property
    def model_count(self) -> int:
        """Models across all tables."""
        return sum(len(t.model) for t in self.tables)

    def provenance(self) -> dict[str, object]:
        """The pricing block every result carries."""
        # merged tables name further sources beside their own [source]
        sources = sorted({i.source for i in self.infos} | {e.name for t in self.tables for e in t.extra_source})
        return {
            "origin": self.origin,
            "directory": str(self.directory),
            "sources": sources,
            "as_of": self.as_of,
            "sha256": self.sha256,
            "tables": len(self.infos),
            "models": self.model_count,
        }

    # ----------------------------------------------------------------------------------- resolution

    def find_provider(self, name: str) -> str | None:
        """A provider id for a name written in logs: exact id, aicost alias, or the tables' own rules."""
        key = name.strip().lower()
        if key in self.providers:
            return key
        alias = resolve.PROVIDER_ALIASES.get(key)
        if alias in self.providers:
            return alias
        for pid, info in self.providers.items():
            if info.provider_match is not None and self._matcher(info.provider_match)(key):
                return pid
        return None

    def resolve(self, provider: str | None, model: str) -> Resolution:
        """Resolve one logged (provider, model) pair to a price entry, or say why not (remembered: costing
        asks for a log's pairs more than once)."""
        key = (provider, model)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(provider, model)
        return self._resolved[key]

    def _resolve(self, provider: str | None, model: str) -> Resolution:
        ref = model.strip().lower()
        base = Resolution(logged_provider=provider, logged_model=model)
        if not ref:
            return _replace(base, reason="empty model id")
        if provider is not None and provider.strip():
            pid = self.find_provider(provider)
            if pid is None:
                close = resolve.suggest(provider.strip().lower(), list(self.providers))
                return _replace(base, reason=f"unknown provider {provider!r}", suggestions=close)
            return self._within(base, pid, ref, "")
        # a provider prefix: "anthropic/claude-…", "openrouter/anthropic/…", "bedrock/us.anthropic.…"
        head, sep, rest = ref.partition("/")
        if sep and rest:
            pid = self.find_provider(head)
            if pid is not None:
                return self._within(base, pid, rest, f"provider prefix {head!r}")
        bedrock = resolve.split_bedrock(ref)
        if bedrock is not None and "aws" in self.providers:
            if not bedrock:
                return _replace(base, provider="aws",
                                reason="Bedrock application inference profile ARNs name no model; "
                                       "map them to model ids (log alias map)")
            return self._within(base, "aws", bedrock, "Bedrock id")
        for form, _how in resolve.candidates(ref):
            for pid, info in self.providers.items():
                if info.model_match is not None and self._matcher(info.model_match)(form):
                    return self._within(base, pid, ref, "provider inferred from model id")
        # no provider rule: look for the id itself among every provider's models
        hits = [(pid, m) for pid, models in self.models.items() for m in models if m.id.lower() == ref]
        owners = sorted({pid for pid, _ in hits})
        if len(owners) == 1:
            return _replace(base, provider=owners[0], price_provider=owners[0], model=hits[0][1].id,
                            via="model id, single provider")
        if owners:
            return _replace(base, reason=f"ambiguous: offered by {', '.join(owners)}; set the provider column",
                            suggestions=tuple(f"{p}/{ref}" for p in owners[:3]))
        return _replace(base, reason="unknown model", suggestions=self._suggest(ref, list(self.models)))

    def _within(self, base: Resolution, pid: str, ref: str, via: str) -> Resolution:
        tried = [pid]
        # the provider's own prefix on the model id ("anthropic/claude-…" with provider anthropic)
        forms = [ref]
        head, sep, rest = ref.partition("/")
        if sep and rest and self.find_provider(head) == pid:
            forms.append(rest)
        for start in forms:
            for form, how in resolve.candidates(start):
                found = self._match_in(pid, form)
                if found is not None:
                    owner, model = found
                    notes = [n for n in (via, how) if n]
                    if owner != pid:
                        notes.append(f"fallback {pid}→{owner}")
                    # variants are not applied through a fallback provider, as in genai-prices
                    return _replace(base, provider=pid, price_provider=owner, model=model.id,
                                    via="; ".join(notes) or "exact", variants=owner == pid)
        # the table's own model ids (e.g. Fireworks ids behind "accounts/fireworks/models/")
        for owner in [pid, *self.providers[pid].fallback]:
            tried.append(owner)
            for model in self.models.get(owner, []):
                if model.id.lower() in forms:
                    return _replace(base, provider=pid, price_provider=owner, model=model.id, via="model id",
                                    variants=owner == pid)
        return _replace(base, provider=pid, reason=f"unknown model for provider {pid!r}",
                        suggestions=self._suggest(ref, sorted(set(tried))))

    def _match_in(self, pid: str, form: str) -> tuple[str, Model] | None:
        for model in self.models.get(pid, []):
            if self._matcher(model.match)(form):
                return pid, model
        for fallback in self.providers[pid].fallback:
            for model in self.models.get(fallback, []):
                if self._matcher(model.match)(form):
                    return fallback, model
        return None

    def _matcher(self, clause: dict[str, object]) -> match.Matcher:
        key = id(clause)
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = self._matchers[key] = match.compile_clause(clause)
        return matcher

    def _suggest(self, ref: str, providers: Iterable[str]) -> tuple[str, ...]:
        names: dict[str, str] = {}
        for pid in providers:
            for model in self.models.get(pid, []):
                names.setdefault(model.id.lower(), f"{pid}/{model.id}")
                for literal in match.literals(model.match):
                    names.setdefault(literal, f"{pid}/{model.id}")
        close = resolve.suggest(ref, list(names))
        return tuple(dict.fromkeys(names[c] for c in close))

    # ----------------------------------------------------------------------------------- boundaries

    @cached_property
    def epoch_bounds(self) -> list[dt.datetime]:
        """Every instant at which some price or variant changes, ascending."""
        dates = [e.effective_from for t in self.tables for m in t.model for e in m.price]
        dates += [v.effective_from for t in self.tables for m in t.model for v in m.variant]
        instants = {instant for d in dates if (instant := as_instant(d)) is not None}
        return sorted(instants)

    @cached_property
    def week_bounds(self) -> list[int]:
        """Seconds-of-week at which some time-of-day window opens or closes, ascending, starting at 0."""
        points = {0}
        for table in self.tables:
            for model in table.model:
                for entry in model.price:
                    for window in entry.windows:
                        for a, b in window_spans(window):
                            points.update((a, b % (7 * 86400)))
        return sorted(points)

    @cached_property
    def week_states(self) -> list[int]:
        """For each segment between week_bounds, an id for the set of windows active in it.

        Two instants in segments with the same id select the same window of every model, so pricing
        can group calls by state instead of by time of day.
        """
        windows = [
            window
            for table in self.tables
            for model in table.model
            for entry in model.price
            for window in entry.windows
        ]
        spans = [window_spans(window) for window in windows]
        ids: dict[frozenset[int], int] = {}
        states = []
        for start in self.week_bounds:
            active = frozenset(i for i, s in enumerate(spans) if any(a <= start < b for a, b in s))
            states.append(ids.setdefault(active, len(ids)))
        return states

    @cached_property
    def prompt_bounds(self) -> list[int]:
        """Every long-context tier start, ascending: prompts on one side of all of them price alike."""
        starts: set[int] = set()
        for table in self.tables:
            for model in table.model:
                for rates in [*model.price, *model.variant, *(w for e in model.price for w in e.windows)]:
                    for key in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning"):
                        rate = getattr(rates, key)
                        if rate is not None and not isinstance(rate, float | int):
                            starts.update(step.start for step in rate.tiers)
        return sorted(starts)

    @cached_property
    def context_windows(self) -> list[int]:
        """Every context window size in the tables, ascending."""
        return sorted({m.context_window for t in self.tables for m in t.model if m.context_window})


def _replace(base: Resolution, **changes: object) -> Resolution:
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------- the cache


class _Cached(msgspec.Struct):
    version: str
    key: str
    tables: list[PriceTable]
    infos: list[tuple[str, str, str, str | None, str | None, str]]


def _stat_key(files: list[Path]) -> str:
    digest = hashlib.sha256(_CACHE_VERSION.encode())
    for path in files:
        st = path.stat()
        digest.update(f"{path.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


_MEMO: dict[str, tuple[list[PriceTable], list[TableInfo]]] = {}


def _load_cached(files: list[Path]) -> tuple[list[PriceTable], list[TableInfo]]:
    key = _stat_key(files)
    if key in _MEMO:
        return _MEMO[key]
    loaded = _load_from_disk(files, key)
    if len(_MEMO) >= 4:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = loaded
    return loaded


def _load_from_disk(files: list[Path], key: str) -> tuple[list[PriceTable], list[TableInfo]]:
    cache_file = paths.cache_dir() / "pricebooks" / f"{key}.msgpack"
    try:
        cached = msgspec.msgpack.decode(cache_file.read_bytes(), type=_Cached)
        if cached.version == _CACHE_VERSION and cached.key == key:
            return cached.tables, [TableInfo(*info) for info in cached.infos]
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        pass
    tables: list[PriceTable] = []
    infos: list[TableInfo] = []
    for path in files:
        raw = path.read_bytes()
        table = parse_table(raw, path)
        tables.append(table)
        retrieved = table.source.retrieved_at
        infos.append(TableInfo(
            provider=table.provider.id,
            file=path.name,
            source=table.source.name,
            url=table.source.url,
            retrieved_at=retrieved.isoformat() if retrieved is not None else None,
            sha256=hashlib.sha256(raw).hexdigest(),
        ))
    payload = _Cached(version=_CACHE_VERSION, key=key, tables=tables,
                      infos=[(i.provider, i.file, i.source, i.url, i.retrieved_at, i.sha256) for i in infos])
    try:
        atomic_write_bytes(cache_file, msgspec.msgpack.encode(payload))
    except (OSError, OutputError):
        pass  # a cache that cannot be written only costs start-up time
    return tables, infos


def locate(explicit: Path | None = None) -> tuple[Path, str]:
    """The pricing directory to use and why: --pricing > $AICOST_PRICING > user tables > bundled."""
    if explicit is not None:
        return explicit, "--pricing"
    if env := os.environ.get("AICOST_PRICING"):
        return Path(env).expanduser(), "$AICOST_PRICING"
    user = paths.user_pricing_dir()
    if user.is_dir() and table_files(user):
        return user, "user tables"
    return paths.bundled_pricing_dir(), "bundled"


def load_book(explicit: Path | None = None) -> PriceBook:
    """Load the price book by the lookup order."""
    directory, origin = locate(explicit)
    return PriceBook.load(directory, origin)


__all__ = ["PriceBook", "Resolution", "TableInfo", "load_book", "load_table", "locate"]
