"""Resolving the forecast's drivers from the options, the scenarios and the logs' history.

Precedence, each echoed in the result: growth is `--growth` > the scenarios' `[forecast].growth` (they must
agree) > a log-linear fit of the logs (≥ 3 full months) > flat with a warning; a scenario's target price
decline is `--price-decline` > its own `price_decline` > flat; its ramp and switching cost are its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from aicost.errors import InputError, ScenarioError, UsageError
from aicost.forecast.drivers import Factor, flat, parse_factor
from aicost.forecast.growth import LogLinearFit, fit_months
from aicost.forecast.montecarlo import Growth, Track
from aicost.forecast.months import Month
from aicost.forecast.ramps import adoption
from aicost.scenarios.model import Scenario

FIT_WORDS = ("fit", "auto", "logs")


def cli_growth(spec: str | None) -> tuple[Factor | None, bool]:
    """`--growth`, parsed before the logs are read: (the factor, whether a fit was asked for)."""
    if spec is None:
        return None, False
    if spec.strip().lower() in FIT_WORDS:
        return None, True
    return parse_factor(spec, "growth", "--growth"), False


def resolve_growth(
    given: Factor | None,
    fit_asked: bool,
    loaded: Sequence[tuple[Scenario, str]],
    full: Sequence[Month],
) -> tuple[Growth, dict[str, LogLinearFit], list[str]]:
    """The volume driver, the fits of tokens and requests (reported even when growth is given), warnings."""
    tokens, requests, notes = fit_months(full)
    fits = {f.measure: f for f in (tokens, requests) if f is not None}
    warnings = list(notes) if tokens is not None else []
    if tokens is not None and requests is not None:
        t_lo, t_hi = tokens.annual_interval(0.9)
        r_lo, r_hi = requests.annual_interval(0.9)
        if t_hi < r_lo or r_hi < t_lo:
            warnings.append(
                f"tokens grow {tokens.annual_factor:.2f}x/yr but requests {requests.annual_factor:.2f}x/yr "
                "(tokens per request are changing); the forecast follows tokens, which cost is billed on"
            )
    if given is None and not fit_asked:
        specs = sorted({s.forecast.growth for s, _ in loaded if s.forecast and s.forecast.growth})
        if len(specs) > 1:
            raise UsageError(f"the scenarios assume different growth ({', '.join(specs)}); pick one with --growth")
        if specs:
            scenario, where = next((s, w) for s, w in loaded if s.forecast and s.forecast.growth == specs[0])
            if specs[0].strip().lower() in FIT_WORDS:
                fit_asked = True
            else:
                source = f"scenario {scenario.name}"
                given = parse_factor(specs[0], "growth", source, option=f"{where}: forecast.growth")
    if given is not None:
        return Growth(factor=given), fits, warnings
    if tokens is None:
        if fit_asked:
            raise UsageError(f"--growth fit: {notes[0]}")
        warnings.append(f"{notes[0]}: growth is taken as flat; pass --growth to set it")
        return Growth(factor=flat("growth", "default: too little history to fit")), fits, warnings
    return Growth(fit=tokens), fits, warnings


def base_month(months: Sequence[Month]) -> tuple[Month, list[str]]:
    """The last full month with priced usage (else the last month with any), and notes on partial months."""
    full = [m for m in months if m.full and m.requests > 0]
    warnings = [f"{m.label} is not a full month ({m.note}); it is left out" for m in months if not m.full]
    if full:
        return full[-1], warnings
    used = [m for m in months if m.requests > 0]
    if not used:
        raise InputError("no priced usage to forecast (every row is unpriced or outside --since/--until)")
    warnings.append(f"no full month in the logs: the forecast starts from the partial month {used[-1].label}")
    return used[-1], warnings


def scenario_track(scenario: Scenario, where: str, decline: Factor | None, jitter: float | None) -> Track:
    """A scenario's drivers: its target price decline, adoption ramp and switching cost."""
    spec = scenario.forecast
    if decline is None:
        if spec is not None and spec.price_decline:
            source = f"scenario {scenario.name}"
            decline = parse_factor(spec.price_decline, "decline", source, option=f"{where}: forecast.price_decline")
        else:
            decline = flat("decline")
    if spec is not None and spec.switching_cost < 0:
        raise ScenarioError(f"{where}: forecast.switching_cost must not be negative")
    return Track(
        name=scenario.name,
        adoption=adoption(spec.ramp if spec else None, where, jitter),
        decline=decline,
        switching_cost=spec.switching_cost if spec else 0.0,
    )
