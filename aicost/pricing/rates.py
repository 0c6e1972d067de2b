"""The rates in force for one model at one instant, service tier and prompt size.

Semantics follow genai-prices (`ModelInfo.get_prices`, `calc_unit_price`): the latest history entry in
force wins (before the first date, the first entry applies); an active time-of-day window replaces that
entry's rates; a service-tier variant then overrides them key by key (the first active variant setting a
key wins); a tiered rate is a cliff on the request's whole prompt. A token class without its own rate is
billed at its parent's: cache reads and writes at input, 1-hour writes at 5-minute writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aicost.pricing.model import WEEKDAYS, Model, PriceEntry, Rate, Rates, Tiered, Window
from aicost.pricing.tables import as_instant

_KEYS = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning", "per_1k_requests")


@dataclass(frozen=True)
class ClassRates:
    """Effective USD-per-million-token rates per canonical class, plus a per-request fee in USD."""

    input: float | None
    cache_read: float | None
    cache_write: float | None
    cache_write_1h: float | None
    output: float | None
    reasoning: float | None
    per_request: float
    # the service tier asked for had variant rates in force (False ⇒ standard rates were used)
    tier_applied: bool
    # the model has rates for that tier at some date (False ⇒ it has none at all)
    tier_known: bool


def value_at(rate: Rate | None, prompt: float) -> float | None:
    """A rate's value for a request whose prompt is `prompt` tokens (tiers are cliffs on `> start`)."""
    if rate is None or isinstance(rate, float | int):
        return rate
    price = rate.base
    for step in rate.tiers:
        if prompt > step.start:
            price = step.price
    return price


def entry_at(model: Model, when: dt.datetime) -> PriceEntry:
    """The history entry in force at `when`: the latest that has started, else the first."""
    chosen = model.price[0]
    for entry in model.price:
        start = as_instant(entry.effective_from)
        if start is None or start <= when:
            chosen = entry
    return chosen


def _seconds(clock: str) -> int:
    parts = [int(p) for p in clock.split(":")]
    return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)


def window_spans(window: Window) -> list[tuple[int, int]]:
    """Seconds-of-week intervals [a, b) in which a window is active (weekday of the request, UTC)."""
    days = [WEEKDAYS.index(d) for d in window.weekdays] if window.weekdays else range(7)
    start, end = _seconds(window.start), _seconds(window.end)
    spans: list[tuple[int, int]] = []
    for day in days:
        base = day * 86400
        if start < end:
            spans.append((base + start, base + end))
        elif start > end:  # wraps midnight: both pieces count on the request's own weekday
            spans += [(base + start, base + 86400), (base, base + end)]
        else:
            spans.append((base, base + 86400))
    return spans


def window_active(window: Window, when: dt.datetime) -> bool:
    """Whether a window applies at instant `when` (UTC)."""
    utc = when.astimezone(dt.UTC)
    second = utc.weekday() * 86400 + utc.hour * 3600 + utc.minute * 60 + utc.second
    return any(a <= second < b for a, b in window_spans(window))


def standard_rates(model: Model, when: dt.datetime) -> Rates:
    """The standard (no service tier) rates in force at `when`."""
    entry = entry_at(model, when)
    active: Rates = entry
    for window in entry.windows:
        if window_active(window, when):
            active = window  # the last active window wins, as later list entries do in genai-prices
    return active


def rates_at(
    model: Model, when: dt.datetime, tier: str, prompt: float, *, variants: bool = True, backdate: bool = False
) -> ClassRates:
    """Effective class rates for a request of `prompt` tokens at `when` in service tier `tier`.

    `backdate` prices a call that predates every variant of its tier at the earliest such rates (tables
    often record only when tier rates were last verified); without it such a call gets standard rates,
    as in genai-prices.
    """
    base = standard_rates(model, when)
    values: dict[str, Rate | None] = {key: getattr(base, key) for key in _KEYS}
    tier_variants = [v for v in model.variant if v.tier == tier]
    tier_known = tier == "standard" or bool(tier_variants)
    tier_applied = tier == "standard"
    variant_when = when
    if backdate and tier_variants:
        starts = [as_instant(v.effective_from) for v in tier_variants]
        if None not in starts:
            variant_when = max(when, min(s for s in starts if s is not None))
    if tier != "standard" and variants:
        overridden: set[str] = set()
        for variant in tier_variants:
            start = as_instant(variant.effective_from)
            if start is not None and start > variant_when:
                continue
            tier_applied = True
            for key in _KEYS:
                value = getattr(variant, key)
                if value is not None and key not in overridden:
                    values[key] = value
                    overridden.add(key)
    at = {key: value_at(v, prompt) for key, v in values.items()}
    inp = at["input"]
    cache_write = at["cache_write"] if at["cache_write"] is not None else inp
    return ClassRates(
        input=inp,
        cache_read=at["cache_read"] if at["cache_read"] is not None else inp,
        cache_write=cache_write,
        cache_write_1h=at["cache_write_1h"] if at["cache_write_1h"] is not None else cache_write,
        output=at["output"],
        reasoning=at["reasoning"] if at["reasoning"] is not None else at["output"],
        per_request=(at["per_1k_requests"] or 0.0) / 1000.0,
        tier_applied=tier_applied,
        tier_known=tier_known,
    )


def is_tiered(rate: Rate | None) -> bool:
    """Whether a rate has long-context tiers."""
    return isinstance(rate, Tiered)
