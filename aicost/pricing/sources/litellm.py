"""LiteLLM's model cost map (`model_prices_and_context_window.json`) → aicost price tables.

The map is a JSON object keyed by model name, prices in USD **per token** (docs.litellm.ai, model cost
map). Only text-generation entries (`mode` chat, completion or responses) priced per token are kept:
images, audio, embeddings, rerank, search and per-second SKUs are not what token logs bill. LiteLLM's
provider names are mapped to genai-prices provider ids so its entries can fill the gaps genai-prices
leaves; `_above_Nk_tokens` keys become long-context cliffs (LiteLLM bills the whole request at the tier
rate once `prompt_tokens > N`), `_batches/_flex/_priority` keys become service-tier variants, and
`off_peak_pricing` becomes time-of-day windows over the base (peak) rates. LiteLLM keeps no history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Final

from aicost.errors import UpdateError
from aicost.pricing.model import (
    SCHEMA,
    WEEKDAYS,
    Model,
    PriceEntry,
    PriceTable,
    ProviderInfo,
    Rate,
    Tier,
    TierStep,
    Tiered,
    Variant,
    Window,
)
from aicost.pricing.sources import Conversion, per_million, scaled, source_record

NAME: Final = "litellm"
URL: Final = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
LICENSE: Final = "MIT"
# LiteLLM refuses a downloaded map with fewer entries (MODEL_COST_MAP_MIN_MODEL_COUNT)
MIN_ENTRIES: Final = 50

# LiteLLM provider name → genai-prices provider id; names not listed keep their LiteLLM spelling.
PROVIDERS: Final[dict[str, str]] = {
    "fireworks_ai": "fireworks",
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "bedrock_mantle": "aws",
    "gemini": "google",
    "vertex_ai": "google",
    "together_ai": "together",
    "xai": "x-ai",
    "azure": "azure",
    "azure_ai": "azure",
    "azure_text": "azure",
    "github_copilot": "github-copilot",
    "moonshot": "moonshotai",
    "text-completion-openai": "openai",
    "cohere_chat": "cohere",
    "codestral": "mistral",
    "text-completion-codestral": "mistral",
    "bigmodel": "zhipuai",
    "meta_llama": "meta",
    "voyage": "voyageai",
}
# key prefixes that name the provider rather than the model ("gemini/gemini-2.5-pro")
_PREFIXES: Final[dict[str, tuple[str, ...]]] = {
    "google": ("gemini", "vertex_ai"),
    "aws": ("bedrock", "bedrock_converse", "bedrock_mantle"),
    "azure": ("azure", "azure_ai", "azure_text"),
    "mistral": ("mistral", "codestral"),
}
_MODES: Final = frozenset({"chat", "completion", "responses"})
# a key path segment that is a region or data zone: regional prices have no place in (provider, model)
_REGION: Final = re.compile(r"^(?:us|eu|apac|ap|jp|au|ca|global|us-gov|[a-z]{2}(?:-gov)?-[a-z]+-\d+)$")
_FIREWORKS_PATH: Final = "accounts/fireworks/models/"

_FIELD: Final = re.compile(
    r"^(?P<base>.+?)(?P<ttl>_above_1hr|_above_12hr)?(?:_above_(?P<k>\d+)k_tokens)?"
    r"(?:_(?P<variant>batches|flex|priority|ultrafast|balanced|decisions))?$"
)
_TIERS: Final[dict[str, Tier]] = {"batches": "batch", "flex": "flex", "priority": "priority"}
# LiteLLM per-token fields → aicost rate keys
_CLASSES: Final = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}
# per-token fields of other modalities, renamed to genai-prices' unit names (USD per million)
_OTHER_TOKENS: Final = {
    "input_cost_per_audio_token": "input_audio_mtok",
    "output_cost_per_audio_token": "output_audio_mtok",
    "input_cost_per_image_token": "input_image_mtok",
    "output_cost_per_image_token": "output_image_mtok",
    "cache_read_input_audio_token_cost": "cache_audio_read_mtok",
    "input_cost_per_video_token": "input_video_mtok",
    "output_cost_per_video_token": "output_video_mtok",
    "citation_cost_per_token": "output_citation_mtok",
}


def looks_like(data: Any) -> bool:
    """Whether parsed JSON has the LiteLLM shape: an object of objects carrying per-token costs."""
    if not isinstance(data, dict) or not data:
        return False
    entries = [v for k, v in data.items() if k != "sample_spec"]
    if not entries or not all(isinstance(v, dict) for v in entries):
        return False
    return any("litellm_provider" in v or "input_cost_per_token" in v for v in entries)


def convert(data: Any, *, raw: bytes, url: str | None, retrieved_at: dt.datetime) -> Conversion:
    """Convert a parsed LiteLLM map into one table per (mapped) provider."""
    if not looks_like(data):
        raise UpdateError(f"{url or 'source'}: not a LiteLLM model cost map (expected an object of model entries)")
    source = source_record(NAME, url=url, raw=raw, retrieved_at=retrieved_at, license=LICENSE)
    entries = {k: v for k, v in data.items() if k != "sample_spec"}
    result = Conversion(name=NAME, tables=[], entries=len(entries))
    models: dict[str, dict[str, Model]] = {}
    skipped: dict[str, int] = {}

    def skip(why: str) -> None:
        skipped[why] = skipped.get(why, 0) + 1

    for key, entry in entries.items():
        provider_name = entry.get("litellm_provider")
        if not isinstance(provider_name, str) or not provider_name:
            skip("aliases or entries without litellm_provider")
            continue
        mode = entry.get("mode")
        if mode not in _MODES and not (mode is None and "output_cost_per_token" in entry):
            skip(f"mode {mode or 'unset'} (not text generation)")
            continue
        provider = provider_id(provider_name)
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", provider):
            skip("provider names that cannot be a table file name")
            continue
        ids = model_ids(key, provider_name, provider)
        if ids is None:
            skip("regional keys (a region or data zone in the key path)")
            continue
        model = _model(ids, key, entry, retrieved_at.date(), result)
        if model is None:
            skip("no usable per-token input or output price")
            continue
        table = models.setdefault(provider, {})
        if model.id in table:
            if table[model.id].price != model.price:
                result.skipped.append(f"{provider}/{model.id}: LiteLLM key {key} repeats the model at other prices; "
                                      f"kept {table[model.id].comments}")
            continue
        table[model.id] = model
    for why, count in sorted(skipped.items()):
        result.skipped.append(f"litellm: skipped {count:,} entries: {why}")
    for provider in sorted(models):
        info = ProviderInfo(id=provider, name=provider)
        result.tables.append(PriceTable(schema=SCHEMA, provider=info, source=source,
                                        model=list(models[provider].values())))
    return result


def provider_id(name: str) -> str:
    """The aicost/genai-prices provider id for a LiteLLM provider name."""
    if name.startswith("vertex_ai"):
        return "google"
    return PROVIDERS.get(name, name)


def model_ids(key: str, provider_name: str, provider: str) -> tuple[str, list[str]] | None:
    """(model id, spellings a log may use) for a LiteLLM key, or None for a regional key."""
    names = {_norm(provider_name), _norm(provider), *(_norm(p) for p in _PREFIXES.get(provider, ()))}
    head, sep, rest = key.partition("/")
    if sep and rest and _norm(head) in names:
        key = rest
    head, sep, rest = key.partition("/")
    if sep and rest and _REGION.match(head):
        return None
    if provider == "fireworks":
        short = key.removeprefix(_FIREWORKS_PATH)
        return short, list(dict.fromkeys([_FIREWORKS_PATH + short, short]))
    return key, [key]


def _norm(name: str) -> str:
    return name.lower().replace("-", "_")


def _model(ids: tuple[str, list[str]], key: str, entry: Mapping[str, Any], today: dt.date,
           result: Conversion) -> Model | None:
    model_id, spellings = ids
    groups = _groups(entry)
    standard = groups.pop(None, {})
    if "input" not in standard and "output" not in standard:
        return None
    _tiered_pricing(entry.get("tiered_pricing"), standard)
    where = f"{NAME}/{key}"
    rates = _rates(standard, where, result)
    if isinstance(entry.get("input_cost_per_request"), int | float) and entry["input_cost_per_request"] > 0:
        rates["per_1k_requests"] = scaled(entry["input_cost_per_request"], 1000)
    price = PriceEntry(**rates, windows=_off_peak(entry.get("off_peak_pricing"), where, result))
    # ultrafast, balanced and decisions rates have no aicost service tier
    variants = [Variant(tier=tier, **_rates(groups[name], where, result))
                for name, tier in _TIERS.items() if name in groups]
    match: dict[str, object] = (
        {"equals": spellings[0]} if len(spellings) == 1 else {"or": [{"equals": s} for s in spellings]}
    )
    deprecation = entry.get("deprecation_date")
    deprecated = False
    if isinstance(deprecation, str):
        try:
            deprecated = dt.date.fromisoformat(deprecation) <= today
        except ValueError:
            deprecated = False
    context = entry.get("max_input_tokens")
    return Model(
        id=model_id,
        match=match,
        context_window=int(context) if isinstance(context, int | float) and context > 0 else None,
        deprecated=deprecated,
        comments=f"LiteLLM key {key}",
        price=[price],
        variant=[v for v in variants if _has_rates(v)],
    )


# group → rate key → {"base": value, start: value, ...} (tier starts as ints)
_Groups = dict[str | None, dict[str, dict[int | str, float]]]


def _groups(entry: Mapping[str, Any]) -> _Groups:
    """Per-token fields sorted into (variant group, rate key, tier) cells, in USD per million."""
    groups: _Groups = {}
    for field, value in entry.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            continue
        found = _FIELD.match(field)
        if found is None:
            continue
        base, ttl, k, variant = found["base"], found["ttl"], found["k"], found["variant"]
        if "dbu" in base:
            continue  # Databricks units, not dollars
        key = _rate_key(base, ttl)
        if key is None:
            continue
        per_unit = key.startswith("other:") and not key.endswith("_mtok")
        amount = scaled(value, 1) if per_unit else per_million(value)
        if amount is None:
            continue
        cell = groups.setdefault(variant, {}).setdefault(key, {})
        cell[int(k) * 1000 if k else "base"] = amount
    return groups


def _rate_key(base: str, ttl: str | None) -> str | None:
    if base == "cache_creation_input_token_cost" and ttl:
        return "cache_write_1h" if ttl == "_above_1hr" else "other:cache_write_12h_mtok"
    if ttl:
        return None
    if base in _CLASSES:
        return _CLASSES[base]
    if base == "input_cost_per_token_cache_hit":
        return "cache_hit"
    if base in _OTHER_TOKENS:
        return "other:" + _OTHER_TOKENS[base]
    if base == "input_cost_per_request" or not ("cost_per" in base or base.endswith("_cost")):
        return None
    return "other:" + base  # per image, second, character or query: kept in LiteLLM's own unit


def _tiered_pricing(tiers: Any, standard: dict[str, dict[int | str, float]]) -> None:
    """LiteLLM `tiered_pricing` ranges as cliffs: a range [lo, hi) becomes a tier starting at lo."""
    if not isinstance(tiers, list):
        return
    for band in tiers:
        if not isinstance(band, dict) or not isinstance(band.get("range"), list) or not band["range"]:
            continue
        lo = int(band["range"][0])
        for field, key in _CLASSES.items():
            value = per_million(band.get(field))
            if value is None:
                continue
            cell = standard.setdefault(key, {})
            if lo == 0:
                cell["base"] = value
            else:
                cell[lo] = value


def _rates(group: dict[str, dict[int | str, float]], where: str, result: Conversion) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    other: dict[str, Rate] = {}
    hit = group.pop("cache_hit", None)
    if hit is not None and "cache_read" not in group:
        group["cache_read"] = hit
    for key, cell in group.items():
        rate = _rate(cell)
        if rate is None:
            result.skipped.append(f"{where}: {key.removeprefix('other:')} has tier rates but no base rate")
            continue
        if key.startswith("other:"):
            other[key.removeprefix("other:")] = rate
        else:
            rates[key] = rate
    if other:
        rates["other"] = dict(sorted(other.items()))
    return rates


def _rate(cell: dict[int | str, float]) -> Rate | None:
    base = cell.get("base")
    steps = sorted((start, price) for start, price in cell.items() if isinstance(start, int))
    if base is None:
        return None
    if not steps:
        return base
    return Tiered(base=base, tiers=[TierStep(start=s, price=p) for s, p in steps])


def _off_peak(off_peak: Any, where: str, result: Conversion) -> list[Window]:
    """`off_peak_pricing`: the base fields are the peak rates; these windows carry the off-peak ones."""
    if not isinstance(off_peak, dict):
        return []
    groups = _groups({k: v for k, v in off_peak.items() if k != "windows"})
    rates = _rates(groups.get(None, {}), where, result)
    windows: list[Window] = []
    for spec in off_peak.get("windows") or []:
        hours = spec.get("hours_utc")
        days = spec.get("weekdays")
        weekdays = [WEEKDAYS[int(d) - 1] for d in days if 1 <= int(d) <= 7] if isinstance(days, list) else None
        for span in [hours] if isinstance(hours, str) else hours or []:
            start, sep, end = str(span).partition("-")
            if not sep:
                result.skipped.append(f"{where}: off-peak window {span!r} is not HH:MM-HH:MM")
                continue
            windows.append(Window(start=start.strip(), end=end.strip(),
                                  weekdays=weekdays if weekdays and len(weekdays) < 7 else None, **rates))
    return windows


def _has_rates(variant: Variant) -> bool:
    return any(getattr(variant, k) is not None for k in ("input", "cache_read", "cache_write", "cache_write_1h",
                                                        "output", "reasoning"))
