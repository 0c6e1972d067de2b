"""genai-prices v2 JSON (a list of providers) → aicost price tables.

Semantics kept from genai-prices (pydantic/genai-prices `types.py`): a model's conditional price list is
"last active entry wins"; here the date-constrained entries become a price history and each daily
time window is attached to every history entry that precedes it in the list, which selects the same
entry for every instant. Variants keyed `processing=batch`, `service_tier=flex|priority|fast` and
`speed=fast` become service-tier variants; `service_tier=default` (no override) is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final, cast

from aicost.errors import UpdateError
from aicost.pricing.sources import Conversion
from aicost.pricing.model import (
    SCHEMA,
    Model,
    PriceEntry,
    PriceTable,
    ProviderInfo,
    Rate,
    Source,
    Tier,
    TierStep,
    Tiered,
    Variant,
    Window,
)

NAME: Final = "genai-prices"
URL: Final = "https://raw.githubusercontent.com/pydantic/genai-prices/refs/heads/main/prices/new_data/v2/data.json"
LICENSE: Final = "MIT"

# genai-prices price key → aicost rate key
_RATE_KEYS: Final = {
    "input_mtok": "input",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
    "cache_write_5m_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "output_mtok": "output",
    "output_reasoning_mtok": "reasoning",
}


def looks_like(data: Any) -> bool:
    """Whether parsed JSON has the genai-prices v2 shape: a list of providers with ids and models."""
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(p, dict) and "id" in p and isinstance(p.get("models"), list) for p in data)
    )


def convert(data: Any, *, raw: bytes, url: str | None, retrieved_at: dt.datetime) -> Conversion:
    """Convert parsed genai-prices v2 data; `raw` is hashed into each table's provenance."""
    if not looks_like(data):
        raise UpdateError(f"{url or 'source'}: not genai-prices v2 data (expected a list of providers)")
    source = Source(
        name=NAME,
        url=url,
        retrieved_at=retrieved_at,
        sha256=hashlib.sha256(raw).hexdigest(),
        license=LICENSE,
    )
    result = Conversion(name=NAME, tables=[], entries=sum(len(p["models"]) for p in data))
    for provider in data:
        models = [_model(provider["id"], m, result) for m in provider["models"]]
        info = ProviderInfo(
            id=provider["id"],
            name=provider.get("name"),
            model_match=provider.get("model_match"),
            provider_match=provider.get("provider_match"),
            fallback=list(provider.get("fallback_model_providers") or []),
            api_pattern=provider.get("api_pattern"),
            pricing_urls=list(provider.get("pricing_urls") or []),
            comments=provider.get("price_comments"),
        )
        result.tables.append(PriceTable(schema=SCHEMA, provider=info, source=source, model=models))
    apply_curations(result)
    return result


def _model(provider_id: str, raw: Mapping[str, Any], result: Conversion) -> Model:
    where = f"{provider_id}/{raw['id']}"
    return Model(
        id=raw["id"],
        match=dict(raw["match"]),
        name=raw.get("name"),
        context_window=raw.get("context_window"),
        deprecated=bool(raw.get("deprecated", False)),
        comments=raw.get("price_comments"),
        price=_history(raw["prices"], where),
        variant=[v for v in (_variant(v, where, result) for v in raw.get("price_variants") or []) if v],
    )


def _history(prices: Any, where: str) -> list[PriceEntry]:
    if isinstance(prices, Mapping):
        return [PriceEntry(**_rates(prices))]
    entries: list[tuple[int, PriceEntry]] = []
    windows: list[tuple[int, Window]] = []
    for index, conditional in enumerate(cast(Sequence[Mapping[str, Any]], prices)):
        constraint = conditional.get("constraint") or {}
        rates = _rates(conditional["prices"])
        if "start_time" in constraint:
            if index == 0:
                raise UpdateError(f"{where}: a time-of-day price cannot be the first entry")
            start, end = _utc_time(constraint["start_time"]), _utc_time(constraint["end_time"])
            windows.append((index, Window(start=start, end=end, **rates)))
        elif "start_date" in constraint:
            start_date = dt.date.fromisoformat(constraint["start_date"])
            entries.append((index, PriceEntry(effective_from=start_date, **rates)))
        elif constraint:
            raise UpdateError(f"{where}: unknown price constraint {sorted(constraint)}")
        else:
            if index != 0:
                raise UpdateError(f"{where}: an unconstrained price must come first")
            entries.append((index, PriceEntry(**rates)))
    # "last active wins": a window beats every history entry that comes before it in the list
    for index, entry in entries:
        entry.windows = [w for w_index, w in windows if w_index > index]
    history = [entry for _, entry in entries]
    if not history:
        raise UpdateError(f"{where}: no price entry without a time-of-day window")
    dates = [e.effective_from for e in history if e.effective_from is not None]
    if dates != sorted(dates):
        raise UpdateError(f"{where}: dated prices are not in date order")
    return history


def _utc_time(value: str) -> str:
    moment = dt.time.fromisoformat(value)
    if moment.tzinfo is not None:
        offset = moment.utcoffset() or dt.timedelta(0)
        shifted = dt.datetime.combine(dt.date(2000, 1, 1), moment.replace(tzinfo=None)) - offset
        moment = shifted.time()
    return moment.strftime("%H:%M:%S") if moment.second else moment.strftime("%H:%M")


_TIERS: Final[dict[tuple[str, str], Tier]] = {
    ("processing", "batch"): "batch",
    ("service_tier", "flex"): "flex",
    ("service_tier", "priority"): "priority",
    ("service_tier", "fast"): "fast",
    ("speed", "fast"): "fast",
}


def _variant(raw: Mapping[str, Any], where: str, result: Conversion) -> Variant | None:
    when = raw.get("when") or {}
    if when == {"service_tier": "default"}:
        return None  # the standard rates, stated explicitly
    tier = _TIERS.get(next(iter(when.items()))) if len(when) == 1 else None
    if tier is None:
        result.skipped.append(f"{where}: variant {when} has no aicost service tier")
        return None
    constraint = raw.get("constraint") or {}
    if set(constraint) - {"start_date"}:
        result.skipped.append(f"{where}: variant {when} has a time-of-day constraint")
        return None
    start = dt.date.fromisoformat(constraint["start_date"]) if "start_date" in constraint else None
    return Variant(tier=tier, effective_from=start, **_rates(raw.get("prices") or {}))


def _rates(prices: Mapping[str, Any]) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    other: dict[str, Rate] = {}
    for key, value in prices.items():
        if value is None:
            continue
        rate = _rate(value)
        if key in _RATE_KEYS:
            rates.setdefault(_RATE_KEYS[key], rate)
        elif key == "requests_kcount" and isinstance(rate, float):
            rates["per_1k_requests"] = rate
        else:
            other[key] = rate
    if other:
        rates["other"] = other
    return rates


def _rate(value: Any) -> Rate:
    if isinstance(value, Mapping):
        tiers = [TierStep(start=int(t["start"]), price=float(t["price"])) for t in value["tiers"]]
        return Tiered(base=float(value["base"]), tiers=sorted(tiers, key=lambda t: t.start))
    return float(value)


def apply_curations(result: Conversion) -> None:
    """Apply aicost's documented corrections (aicost/pricing/curations.toml) to converted tables."""
    text = resources.files("aicost.pricing").joinpath("curations.toml").read_text("utf-8")
    curations = tomllib.loads(text)
    tables = {t.provider.id: t for t in result.tables}
    for rule in curations.get("weekdays", []):
        table = tables.get(rule["provider"])
        if table is None:
            continue
        for model in table.model:
            if model.id not in rule["models"]:
                continue
            for entry in model.price:
                for window in entry.windows:
                    window.weekdays = list(rule["weekdays"])
            result.curated.append(f"{table.provider.id}/{model.id}: peak windows on {', '.join(rule['weekdays'])}")
