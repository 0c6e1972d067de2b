"""Gates a pipeline can branch on: checked after the result is printed, breached ⇒ exit 3 and one line.

Each check returns the reason it is breached, or None; `enforce` raises one `GateBreached` for all of
them, so a script sees exit code 3 and a single line on stderr however many gates failed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Protocol

from aicost.errors import GateBreached, UsageError
from aicost.money import format_amount


class _Outcome(Protocol):
    @property
    def savings_pct(self) -> float: ...

    @property
    def quality(self) -> float | None: ...

    @property
    def quality_floor(self) -> float | None: ...

    @property
    def scenario(self) -> object: ...


def parse_amount(text: str | None, option: str = "--fail-over") -> float | None:
    """`500`, `500.00` or `1,200` → a non-negative amount (in the result's currency)."""
    if text is None:
        return None
    try:
        value = float(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected an amount such as 500 or 1250.50") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"{option} {text!r}: expected a non-negative amount")
    return value


def parse_percent(text: str | None, option: str = "--fail-if-savings-below") -> float | None:
    """`20`, `20%` or `12.5%` → 20.0, in percent (the unit of `savings_pct`); may be negative."""
    if text is None:
        return None
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a percentage such as 20 or 20%") from None
    if not math.isfinite(value) or value > 100:
        raise UsageError(f"{option} {text!r}: expected a percentage up to 100")
    return value


def over_budget(total: float, limit: float | None, currency: str, what: str = "total cost") -> str | None:
    """Breached when `total` is strictly above `limit` (an amount in `currency`)."""
    if limit is None or total <= limit:
        return None
    return (
        f"{what} {format_amount(total, currency)} is over the limit {format_amount(limit, currency)} "
        f"(--fail-over) by {format_amount(total - limit, currency)}"
    )


def savings_below(outcomes: Sequence[_Outcome], pct: float | None) -> str | None:
    """Breached when no scenario saves at least `pct` percent: the best scenario's `savings_pct` < `pct`."""
    if pct is None or not outcomes:
        return None
    best = max(outcomes, key=lambda o: o.savings_pct)
    if best.savings_pct >= pct:
        return None
    name = getattr(best.scenario, "name", "?")
    return f"the best scenario, {name}, saves {best.savings_pct:.2f}%, below --fail-if-savings-below {pct:g}%"


def quality_floors(outcomes: Sequence[_Outcome]) -> list[str]:
    """One reason per scenario whose delivered quality is below its own floor."""
    return [
        f"scenario {getattr(o.scenario, 'name', '?')}: delivered quality {o.quality:.1%} is below its floor "
        f"{o.quality_floor:.1%}"
        for o in outcomes
        if o.quality is not None and o.quality_floor is not None and o.quality < o.quality_floor
    ]


def enforce(reasons: Iterable[str | None]) -> None:
    """Raise one GateBreached naming every breached gate (none breached: return)."""
    breached = [r for r in reasons if r]
    if breached:
        raise GateBreached("; ".join(breached))
