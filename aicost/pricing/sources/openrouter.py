"""OpenRouter's models API (`GET /api/v1/models`) → the `openrouter` price table.

Prices are decimal strings in USD per single unit (token, request, image, search). `-1` marks dynamic
routers and `~…-latest` aliases: not a price, so such models are skipped, as genai-prices does
(`has_negative_price`). `overrides` become long-context cliffs (`min_prompt_tokens`, applied when the
prompt is strictly greater) or UTC time-of-day windows (`utc_start`/`utc_end`, optionally `utc_days`);
an override that needs both, or anything else, is skipped and reported. OpenRouter keeps no history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from aicost.errors import UpdateError
from aicost.pricing.model import SCHEMA, WEEKDAYS, Model, PriceEntry, PriceTable, ProviderInfo, TierStep, Tiered, Window
from aicost.pricing.sources import Conversion, per_million, scaled, source_record

NAME: Final = "openrouter"
URL: Final = "https://openrouter.ai/api/v1/models"
LICENSE: Final = "OpenRouter API terms"
PROVIDER: Final = "openrouter"
# an answer with fewer models is an error page or a truncated download, not OpenRouter's catalogue
MIN_ENTRIES: Final = 50

# per-token pricing keys → aicost rate keys (USD per million)
_TOKEN_KEYS: Final = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cache_read",
    "input_cache_write": "cache_write",
    "input_cache_write_1h": "cache_write_1h",
    "internal_reasoning": "reasoning",
}
# other per-token keys, in genai-prices' unit names (USD per million)
_OTHER_TOKENS: Final = {"image_token": "input_image_mtok", "audio": "input_audio_mtok",
                        "audio_output": "output_audio_mtok", "input_audio_cache": "cache_audio_read_mtok"}
# per-unit keys kept in USD per unit; web searches in genai-prices' per-1,000 unit
_OTHER_UNITS: Final = {"image": "input_image", "image_output": "output_image"}
_CONDITIONS: Final = frozenset({"min_prompt_tokens", "utc_start", "utc_end", "utc_days"})


def looks_like(data: Any) -> bool:
    """Whether parsed JSON has the models-API shape: {"data": [{"id": …, "pricing": {…}}, …]}."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list) or not data["data"]:
        return False
    return all(isinstance(m, dict) and "id" in m and isinstance(m.get("pricing"), dict) for m in data["data"])


def convert(data: Any, *, raw: bytes, url: str | None, retrieved_at: dt.datetime) -> Conversion:
    """Convert a parsed models-API answer into the `openrouter` table."""
    if not looks_like(data):
        raise UpdateError(f"{url or 'source'}: not an OpenRouter models answer (expected {{\"data\": [models]}})")
    source = source_record(NAME, url=url, raw=raw, retrieved_at=retrieved_at, license=LICENSE)
    result = Conversion(name=NAME, tables=[], entries=len(data["data"]))
    models: dict[str, Model] = {}
    sentinel = 0
    for raw_model in data["data"]:
        model_id = str(raw_model["id"])
        pricing = raw_model["pricing"]
        if _has_negative(pricing):
            sentinel += 1
            continue
        model = _model(model_id, raw_model, pricing, result)
        if model is not None and model_id not in models:
            models[model_id] = model
    if sentinel:
        result.skipped.append(f"openrouter: skipped {sentinel} models priced -1 (dynamic routers and aliases)")
    info = ProviderInfo(id=PROVIDER, name="OpenRouter", api_pattern=r"https://openrouter\.ai",
                        pricing_urls=["https://openrouter.ai/models"])
    result.tables.append(PriceTable(schema=SCHEMA, provider=info, source=source, model=list(models.values())))
    return result


def _has_negative(pricing: Mapping[str, Any]) -> bool:
    values = [v for k, v in pricing.items() if k != "overrides"]
    values += [v for o in pricing.get("overrides") or [] if isinstance(o, dict)
               for k, v in o.items() if k not in _CONDITIONS]
    return any((n := scaled(v, 1)) is not None and n < 0 for v in values)


def _model(model_id: str, raw: Mapping[str, Any], pricing: Mapping[str, Any], result: Conversion) -> Model | None:
    factor = 1.0
    discount = scaled(pricing.get("discount"), 1)
    if discount:
        factor = float(1 - Decimal(repr(discount)))
    base = _rates(pricing, factor)
    if "input" not in base and "output" not in base:
        result.skipped.append(f"openrouter/{model_id}: no per-token price")
        return None
    windows: list[Window] = []
    for override in pricing.get("overrides") or []:
        if not isinstance(override, dict):
            continue
        rates = _rates(override, factor)
        if "min_prompt_tokens" in override and "utc_start" not in override:
            start = int(override["min_prompt_tokens"])
            for key, value in rates.items():
                if key == "other":
                    continue
                current = base.get(key)
                if isinstance(current, Tiered):
                    current.tiers = sorted([*current.tiers, TierStep(start=start, price=value)], key=lambda t: t.start)
                elif isinstance(current, float):
                    base[key] = Tiered(base=current, tiers=[TierStep(start=start, price=value)])
        elif "utc_start" in override and "utc_end" in override and "min_prompt_tokens" not in override:
            weekdays = _days(override.get("utc_days"))
            rates.pop("other", None)
            windows.append(Window(start=_clock(override["utc_start"]), end=_clock(override["utc_end"]),
                                  weekdays=weekdays, **rates))
        else:
            result.skipped.append(f"openrouter/{model_id}: override {sorted(override)} is not representable")
    slug = raw.get("canonical_slug")
    spellings = list(dict.fromkeys([model_id, *([slug] if isinstance(slug, str) and slug else [])]))
    context = raw.get("context_length")
    return Model(
        id=model_id,
        match={"equals": model_id} if len(spellings) == 1 else {"or": [{"equals": s} for s in spellings]},
        name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        context_window=int(context) if isinstance(context, int | float) and context > 0 else None,
        price=[PriceEntry(**base, windows=windows)],
    )


def _rates(pricing: Mapping[str, Any], factor: float) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    other: dict[str, float] = {}
    for key, value in pricing.items():
        if key in _TOKEN_KEYS or key in _OTHER_TOKENS:
            amount = per_million(value)
        elif key in ("request", "web_search", *_OTHER_UNITS):
            amount = scaled(value, 1000 if key in ("request", "web_search") else 1)
        else:
            continue
        if amount is None:
            continue
        amount = float(Decimal(repr(amount)) * Decimal(repr(factor)))
        if key == "internal_reasoning" and amount == 0:
            continue  # "0" means reasoning is billed as completion, not free
        if key in _TOKEN_KEYS:
            rates[_TOKEN_KEYS[key]] = amount
        elif key == "request":
            if amount:
                rates["per_1k_requests"] = amount
        elif key == "web_search":
            if amount:
                other["web_searches_kcount"] = amount
        elif amount:
            other[_OTHER_TOKENS.get(key) or _OTHER_UNITS[key]] = amount
    if other:
        rates["other"] = dict(sorted(other.items()))
    return rates


def _clock(value: Any) -> str:
    text = str(value).replace(":", "").zfill(4)
    return f"{text[:2]}:{text[2:4]}"


def _days(days: Any) -> list[str] | None:
    """`utc_days` as weekday names: names ("mon", "Monday") or ISO numbers (1 = Monday … 7 = Sunday)."""
    if not isinstance(days, list) or not days:
        return None
    names: list[str] = []
    for day in days:
        if isinstance(day, str) and day[:3].lower() in WEEKDAYS:
            names.append(day[:3].lower())
        elif isinstance(day, int) and 1 <= day <= 7:
            names.append(WEEKDAYS[day - 1])
    ordered: list[str] = [d for d in WEEKDAYS if d in names]
    return ordered if ordered and len(ordered) < 7 else None
