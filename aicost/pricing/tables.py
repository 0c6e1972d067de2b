"""Reading and writing `aicost.prices/1` TOML tables, strictly and atomically."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from aicost.atomic import atomic_write_text
from aicost.tomlfile import schema_error, syntax_error
from aicost.errors import PriceTableError
from aicost.pricing import match
from aicost.pricing.model import SCHEMA, WEEKDAYS, PriceTable, Rate, Rates, Tiered

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def table_files(directory: Path) -> list[Path]:
    """The table files of a pricing directory, in a stable order."""
    return sorted(p for p in directory.glob("*.toml") if not p.name.startswith(("_", ".")))


def load_table(path: Path) -> PriceTable:
    """Load and validate one table; every problem is reported with the file and key path."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PriceTableError(f"{path}: cannot read price table ({exc.strerror})") from None
    return parse_table(raw, path)


def parse_table(raw: bytes, path: Path | str) -> PriceTable:
    """Decode table bytes (named `path` in errors) and check what the types cannot."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PriceTableError(f"{path}: not UTF-8 text; a price table is a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise PriceTableError(syntax_error(str(path), exc)) from None
    try:
        table = msgspec.convert(data, PriceTable, strict=False)
    except msgspec.ValidationError as exc:
        raise PriceTableError(schema_error(str(path), exc, PriceTable)) from None
    problems = list(_check(table))
    if problems:
        raise PriceTableError(f"{path}: " + "; ".join(problems))
    return table


def _check(table: PriceTable) -> Iterator[str]:
    if table.schema != SCHEMA:
        yield f"schema is {table.schema!r}, expected {SCHEMA!r}"
    for name, clause in (("provider.model_match", table.provider.model_match),
                         ("provider.provider_match", table.provider.provider_match)):
        if clause is not None:
            yield from _clause_problems(clause, name)
    named = {table.source.name, *(s.name for s in table.extra_source)}
    seen: set[str] = set()
    for i, model in enumerate(table.model):
        where = f"model[{i}] ({model.id})"
        if model.id in seen:
            yield f"{where}: duplicate model id"
        seen.add(model.id)
        if model.source is not None and model.source not in named:
            yield f"{where}.source: {model.source!r} is neither [source] nor an [[extra_source]] of this table"
        yield from _clause_problems(model.match, f"{where}.match")
        if not model.price:
            yield f"{where}.price: a model needs at least one price entry"
        previous: dt.datetime | None = None
        for j, entry in enumerate(model.price):
            key = f"{where}.price[{j}]"
            yield from _rate_problems(entry, key)
            start = as_instant(entry.effective_from)
            if j > 0 and start is None:
                yield f"{key}.effective_from: only the first price entry may omit it"
            if start is not None and previous is not None and start <= previous:
                yield f"{key}.effective_from: entries must be in increasing date order"
            previous = start or previous
            for k, window in enumerate(entry.windows):
                wkey = f"{key}.windows[{k}]"
                yield from _rate_problems(window, wkey)
                for end in ("start", "end"):
                    if not _TIME.match(getattr(window, end)):
                        yield f"{wkey}.{end}: expected HH:MM or HH:MM:SS (UTC)"
                for day in window.weekdays or ():
                    if day not in WEEKDAYS:
                        yield f"{wkey}.weekdays: {day!r} is not one of {', '.join(WEEKDAYS)}"
        for j, variant in enumerate(model.variant):
            yield from _rate_problems(variant, f"{where}.variant[{j}]")


def _clause_problems(clause: Any, key: str) -> Iterator[str]:
    try:
        match.validate(clause, key)
    except match.ClauseError as exc:
        yield str(exc)


def _rate_problems(rates: Rates, key: str) -> Iterator[str]:
    for name, rate in rate_items(rates):
        values = [rate] if isinstance(rate, float | int) else [rate.base, *(t.price for t in rate.tiers)]
        if any(not math.isfinite(v) or v < 0 for v in values):
            yield f"{key}.{name}: prices must be finite and not negative"
        if isinstance(rate, Tiered):
            starts = [t.start for t in rate.tiers]
            if starts != sorted(starts) or any(s < 0 for s in starts):
                yield f"{key}.{name}: tier starts must be non-negative and increasing"
    if rates.per_1k_requests is not None and rates.per_1k_requests < 0:
        yield f"{key}.per_1k_requests: must not be negative"


def rate_items(rates: Rates) -> Iterator[tuple[str, Rate]]:
    """The token-class rates an entry sets, as (key, rate)."""
    for name in ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning"):
        rate = getattr(rates, name)
        if rate is not None:
            yield name, rate


def as_instant(value: dt.date | dt.datetime | None) -> dt.datetime | None:
    """A table date (UTC midnight) or datetime (UTC if naive) as an aware instant."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------- writing


def dump_table(table: PriceTable) -> str:
    """Render a table as readable, deterministic TOML (inline tables for clauses and tiers)."""
    data = msgspec.to_builtins(table, builtin_types=(dt.datetime, dt.date))
    out: list[str] = [f"schema = {_value(data.pop('schema'))}", ""]
    out += _section("provider", data.pop("provider"))
    out += _section("source", data.pop("source"))
    for extra in data.pop("extra_source", []):
        out += _section("[extra_source]", extra)
    for model in data.pop("model", []):
        prices = model.pop("price")
        variants = model.pop("variant", [])
        out += _section("[model]", model)
        for entry in prices:
            windows = entry.pop("windows", [])
            out += _section("[model.price]", entry)
            for window in windows:
                out += _section("[model.price.windows]", window)
        for variant in variants:
            out += _section("[model.variant]", variant)
    return "\n".join(out).rstrip() + "\n"


def write_table(path: Path, table: PriceTable) -> None:
    """Write one table atomically."""
    atomic_write_text(path, dump_table(table))


_FIRST = ("id", "tier", "effective_from", "start", "end", "weekdays")


def _section(header: str, body: dict[str, Any]) -> list[str]:
    # conditions first, then rates: "from 2025-06-10, input = 2" reads top-down
    body = {**{k: body[k] for k in _FIRST if k in body}, **body}
    lines = [f"[{header}]"]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in body.items()]
    lines.append("")
    return lines


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if ("." in text or "e" in text or "inf" in text or "nan" in text) else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _string(text: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes, except that TOML has no "\/"
    return json.dumps(text, ensure_ascii=False)


def iter_tables(directory: Path) -> Iterable[tuple[Path, PriceTable]]:
    """Load every table of a directory, in file order."""
    for path in table_files(directory):
        yield path, load_table(path)
