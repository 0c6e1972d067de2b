"""Forecast drivers: annual factors for volume growth and price declines, given, preset or as ranges.

A driver is an annual factor, exact or a range `low..high`. Growth multiplies volume: `V(t) = V₀·G^(t/12)`;
a decline divides the price of scenario targets: `p(t) = p₀·D^(−t/12)` (../shared/reference/scenarios.md
§4). Presets and their sources are §5 (declines) and §6 (growth); golden value 12 (§10): D = 10 gives
0.0316·p₀ and G = 1.75 gives 2.315·V₀ after 18 months.

Accepted spellings (case-insensitive; the period defaults to a year):
`1.75x/yr`, `1.75x`, `1.75`, `5%/mo`, `75%/yr`, `-10%/yr`, a preset name, and a range of any two of
those, `1.3x..2.5x/yr` or `epoch-low..epoch-median`. For growth `p%` means volume ×(1 + p); for a
decline it means prices fall by p, so the factor is 1/(1 − p).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from aicost.errors import AicostError, ScenarioError, UsageError

Kind = Literal["growth", "decline"]


@dataclass(frozen=True)
class Preset:
    """A published annual factor (or range) with where it comes from."""

    low: float
    high: float
    source: str


# ../shared/reference/scenarios.md §6, usage growth (volume, not price)
GROWTH_PRESETS: dict[str, Preset] = {
    "flat": Preset(1.0, 1.0, "no growth"),
    "enterprise-budget": Preset(
        1.75, 1.75, "CIOs expect ~75% LLM budget growth next year (a16z 2025 CIO survey via sipoch.com) [S]"
    ),
    "enterprise-spend": Preset(
        (8.4 / 3.5) ** 2,
        (8.4 / 3.5) ** 2,
        "LLM API spend $3.5B -> $8.4B in ~6 months, (8.4/3.5)^2 = 5.76x/yr (Menlo Ventures) [S]",
    ),
    "openrouter-2025": Preset(10.0, 10.0, "OpenRouter ~10T -> >100T tokens/yr by mid-2025 (a16z state-of-ai) [P]"),
    "google-2024-25": Preset(
        480 / 9.7, 480 / 9.7, "Google 9.7T -> 480T tokens/month, May 2024 -> May 2025 = 49.5x (I/O 2025) [S]"
    ),
    "google-2025-26": Preset(
        3200 / 480, 3200 / 480, "Google 480T -> 3.2 quadrillion tokens/month, May 2025 -> May 2026 = 6.67x [S]"
    ),
}
# the short name for the latest Google figure
GROWTH_ALIASES = {"google-2025": "google-2025-26", "google": "google-2025-26"}

# ../shared/reference/scenarios.md §5, capability-constant price declines (price ÷ per year)
DECLINE_PRESETS: dict[str, Preset] = {
    "sticker-flat": Preset(1.0, 1.0, "list prices held flat (frontier prices move in steps) [S]"),
    "epoch-low": Preset(9.2, 9.2, "Epoch AI llm-benchmark-efficiency, HumanEval >= GPT-3.5-Turbo level: 9.2x/yr [P]"),
    "epoch-median": Preset(
        46.0, 46.0, "Epoch AI llm-benchmark-efficiency: median of 21 benchmark x threshold fits, 46x/yr [derived]"
    ),
    "epoch-high": Preset(851.0, 851.0, "Epoch AI llm-benchmark-efficiency, GPQA >= GPT-4o level: 851x/yr [P]"),
    "a16z-llmflation": Preset(
        10.0, 10.0, "a16z LLMflation: 10x/yr at equal performance ($60 -> $0.06/M in 3 years) [P]"
    ),
    "gundlach-frontier": Preset(
        5.0, 10.0, "Gundlach et al. arXiv 2511.23455: 5x-10x/yr at fixed benchmark performance [P]"
    ),
}
DECLINE_ALIASES = {"flat": "sticker-flat", "a16z": "a16z-llmflation", "epoch": "epoch-median"}

_SIDE = re.compile(r"^\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?P<unit>x|×|%)?\s*$")
_PERIOD = re.compile(r"\s*/\s*(?P<per>yr|year|y|a|mo|month|m)\s*$")


@dataclass(frozen=True)
class Factor:
    """An annual factor, exact (`low == high`) or a range drawn log-uniformly in Monte Carlo."""

    low: float
    high: float
    spec: str  # what the user wrote (or the preset name)
    source: str  # where it came from: "--growth", "preset …", "scenario …", "default"
    note: str = ""  # the preset's citation

    @property
    def exact(self) -> bool:
        """No uncertainty: every draw uses the same factor."""
        return self.low == self.high

    @property
    def point(self) -> float:
        """The central value: the geometric mean of a range (its median under log-uniform draws)."""
        return self.low if self.exact else math.sqrt(self.low * self.high)

    def at(self, u: float) -> float:
        """The factor at quantile `u` of a log-uniform draw between low and high."""
        return self.low if self.exact else self.low * (self.high / self.low) ** u

    def to_json(self) -> dict[str, Any]:
        """How the driver is echoed in results."""
        return {
            "spec": self.spec,
            "source": self.source,
            "annual_factor": self.point,
            "low": self.low,
            "high": self.high,
            "distribution": "exact" if self.exact else "log-uniform",
            "monthly_factor": self.point ** (1 / 12),
            "note": self.note,
        }


def presets(kind: Kind) -> dict[str, Preset]:
    """The presets of one kind of driver."""
    return GROWTH_PRESETS if kind == "growth" else DECLINE_PRESETS


def _aliases(kind: Kind) -> dict[str, str]:
    return GROWTH_ALIASES if kind == "growth" else DECLINE_ALIASES


def parse_factor(text: str, kind: Kind, source: str, option: str | None = None) -> Factor:
    """Parse a growth or decline spec (see the module docstring) into an annual Factor.

    `option` names the setting in errors (default the command-line option).
    """
    option = option or ("--growth" if kind == "growth" else "--price-decline")
    raw = text.strip().lower()
    if not raw:
        raise _error(option, f"{option}: empty value")
    period = "yr"
    match = _PERIOD.search(raw)
    if match:
        period = "mo" if match["per"] in ("mo", "month", "m") else "yr"
        raw = raw[: match.start()]
    sides = [s.strip() for s in raw.split("..")]
    if len(sides) > 2 or not all(sides):
        raise _error(option, f"{option} {text!r}: expected a factor, a preset or a range LOW..HIGH")
    units = [m["unit"] if (m := _SIDE.match(s)) else None for s in sides]
    default_unit = next((u for u in units if u), "x")
    values: list[float] = []
    notes: list[str] = []
    for side in sides:
        name = _aliases(kind).get(side, side)
        table = presets(kind)
        if name in table:
            preset = table[name]
            values += [preset.low, preset.high]
            notes.append(f"{name}: {preset.source}")
            continue
        m = _SIDE.match(side)
        if m is None:
            known = ", ".join(sorted(table))
            raise _error(option, f"{option} {text!r}: {side!r} is neither a number nor a preset ({known})")
        values.append(_annual(float(m["num"]), m["unit"] or default_unit, period, kind, option, text))
    low, high = min(values), max(values)
    return Factor(low=low, high=high, spec=text.strip(), source=source, note="; ".join(notes))


def _error(option: str, message: str) -> AicostError:
    """A bad command-line value is a usage error (exit 2); a bad scenario file a scenario error (exit 1)."""
    return UsageError(message) if option.startswith("--") else ScenarioError(message)


def _annual(number: float, unit: str, period: str, kind: Kind, option: str, text: str) -> float:
    if unit == "%":
        rate = number / 100
        per_period = 1 + rate if kind == "growth" else (1 / (1 - rate) if rate < 1 else math.inf)
    else:
        per_period = number
    if not math.isfinite(per_period) or per_period <= 0:
        raise _error(option, f"{option} {text!r}: the factor must be positive and finite")
    return per_period**12 if period == "mo" else per_period


def flat(kind: Kind, source: str = "default") -> Factor:
    """No growth / no decline."""
    name = "flat" if kind == "growth" else "sticker-flat"
    return Factor(low=1.0, high=1.0, spec=name, source=source, note=presets(kind)[name].source)
