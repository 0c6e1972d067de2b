"""`aicost forecast`: month-by-month cost of today's usage and of each scenario, with honest ranges.

Month 0 is the first forecast month, the month after the base month (the logs' last full month). Month t
lies t + 1 months after the base month: volume growth and price declines have run for t + 1 months in it,
while adoption ramps are read at t (a step at month 0 is in force from the first forecast month). With
flat growth, flat prices and a step at 0, every month equals the base month's cost, and each scenario's
steady state (what `simulate` reports for that month).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from aicost.errors import InputError, ScenarioError, UsageError
from aicost.forecast import DEFAULT_DRAWS, DEFAULT_SEED
from aicost.forecast import chart as chart_data
from aicost.forecast.assumptions import base_month, cli_growth, resolve_growth, scenario_track
from aicost.forecast.backtest import Backtest, run_backtest
from aicost.forecast.drivers import parse_factor
from aicost.forecast.growth import LogLinearFit
from aicost.forecast.montecarlo import Growth, Projection, Track, draws_json, project
from aicost.forecast.months import Month, add_months, history, months_between, template
from aicost.forecast.pricepath import MonthCosts, price_path
from aicost.ingest import IngestOptions
from aicost.money import Money
from aicost.money import apply as apply_money
from aicost.pricing import load_book
from aicost.scenarios import engine
from aicost.scenarios.load import check_targets
from aicost.scenarios.model import Scenario
from aicost.simulate import load_scenarios
from aicost.usage import BUILTIN_DIMS, OnError, PricedUsage, parse_bound, price_logs

SCHEMA_VERSION = 1
DEFAULT_MONTHS = 18
MAX_MONTHS = 120
MAX_DRAWS = 100_000
ROW_COLUMNS = (
    "month_index",
    "series",
    "cost",
    "p10",
    "p50",
    "p90",
    "savings",
    "savings_p10",
    "savings_p50",
    "savings_p90",
    "cumulative_savings",
    "cumulative_savings_p10",
    "cumulative_savings_p50",
    "cumulative_savings_p90",
    "adoption",
)
MONTH_ZERO = (
    "month_index 0 is the first forecast month, the month after base_month; month t is t + 1 months after "
    "base_month: growth and price declines have run for t + 1 months, adoption ramps are read at t"
)


@dataclass
class ScenarioForecast:
    """One scenario's drivers and what it does to the base month at month-0 prices."""

    scenario: Scenario
    track: Track
    outcome: engine.ScenarioOutcome  # at month 0's prices, fully adopted, before declines
    where: str

    @property
    def steady_state_ratio(self) -> float | None:
        """Fully adopted cost over baseline at month-0 prices (Armstrong 80/99: 0.208)."""
        o = self.outcome
        return o.total_cost / o.baseline_cost if o.baseline_cost else None


@dataclass
class ForecastResult:
    """The monthly projection, its drivers, the history it came from, and the backtest."""

    usage: PricedUsage
    history: list[Month]
    base: Month
    months: list[dt.date]
    growth: Growth
    fits: dict[str, LogLinearFit]
    scenarios: list[ScenarioForecast]
    path: list[MonthCosts]
    projection: Projection
    backtest: Backtest | None
    draws: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    money: Money = field(default_factory=Money)

    @property
    def currency(self) -> str:
        """The currency of every amount."""
        return self.money.currency

    @property
    def labels(self) -> list[str]:
        """Forecast month labels (2026-12, …)."""
        return [f"{m:%Y-%m}" for m in self.months]

    @property
    def rows(self) -> pl.DataFrame:
        """One row per (month, series) with every band: the CSV/Parquet view."""
        months = pl.DataFrame({"month_index": range(len(self.months)), "month": self.labels})
        frame = self.projection.frame.join(months, on="month_index", how="left")
        # the same columns with or without scenarios (savings and adoption are empty for the baseline)
        missing = [pl.lit(None, dtype=pl.Float64).alias(c) for c in ROW_COLUMNS if c not in frame.columns]
        return frame.with_columns(missing).select("month", *ROW_COLUMNS).sort("month_index", maintain_order=True)

    def series(self, name: str) -> list[dict[str, Any]]:
        """A series' monthly rows (point and bands), in month order."""
        frame = self.projection.frame.filter(pl.col("series") == name).sort("month_index")
        return frame.drop("series").to_dicts()

    @property
    def baseline_total(self) -> float:
        """The baseline's total cost over the forecast months (point forecast), in `currency`."""
        return float(self.projection.totals["baseline"]["cost"])

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document (`schema_version` 1)."""
        usage = self.usage
        totals = self.projection.totals
        base_total = totals["baseline"]
        scenario_docs = []
        for sf in self.scenarios:
            name = sf.scenario.name
            t = totals[name]
            payback = self.projection.payback[name]
            scenario_docs.append(
                {
                    "name": name,
                    "description": sf.scenario.description,
                    "total_cost": t["cost"],
                    "p10": t["p10"],
                    "p50": t["p50"],
                    "p90": t["p90"],
                    "savings": base_total["cost"] - t["cost"],
                    "savings_pct": 100 * (base_total["cost"] - t["cost"]) / base_total["cost"]
                    if base_total["cost"]
                    else 0.0,
                    "steady_state_ratio": sf.steady_state_ratio,
                    "share_of_requests_moved": sf.outcome.share_of_requests_moved,
                    "share_of_spend_moved": sf.outcome.share_of_spend_moved,
                    "switching_cost": sf.track.switching_cost,
                    "payback_month_index": payback["month_index"],
                    "payback_month": self._label(payback["month_index"]),
                    "payback": {k: self._label(payback[k]) for k in ("p10", "p50", "p90")},
                }
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "forecast",
            "currency": self.money.currency,
            "money": self.money.to_json(),
            "base_month": self.base.label,
            "base_month_cost": self.base.cost,
            "first_month": self.labels[0],
            "horizon_months": len(self.months),
            "definitions": {"month_index": MONTH_ZERO},
            "assumptions": self.assumptions(),
            "baseline": {"total_cost": base_total["cost"], **{k: base_total[k] for k in ("p10", "p50", "p90")}},
            "scenarios": scenario_docs,
            "months": self._months_json(),
            "history": [
                {
                    "month": m.label,
                    "requests": m.requests,
                    "tokens": m.tokens,
                    "cost": m.cost,
                    "full": m.full,
                    "note": m.note,
                }
                for m in self.history
            ],
            "backtest": self.backtest.to_json() if self.backtest else None,
            **self.options,
            "unpriced": usage.unpriced,
            **usage.accounting.to_json(),
            "pricing": usage.book.provenance(),
            "inputs": [f.display for f in usage.ingested.files],
            "warnings": self.warnings,
        }

    def _label(self, index: int | None) -> str | None:
        return None if index is None else self.labels[index]

    def assumptions(self) -> dict[str, Any]:
        """Every driver, echoed."""
        growth: dict[str, Any]
        if self.growth.fit is not None:
            fit = self.growth.fit
            growth = {
                "source": "fit",
                "spec": "fitted from the logs' monthly tokens",
                "annual_factor": fit.annual_factor,
                "monthly_factor": fit.annual_factor ** (1 / 12),
                "distribution": "student-t on the fitted log slope",
                "interval_80": list(fit.annual_interval(0.9)),
                "interval_95": list(fit.annual_interval(0.975)),
            }
        else:
            assert self.growth.factor is not None
            growth = self.growth.factor.to_json()
        growth["fitted"] = {k: f.to_json() for k, f in self.fits.items()}
        changes = []
        for i in range(1, len(self.path)):
            before, after = self.path[i - 1].baseline, self.path[i].baseline
            if after != before:
                changes.append(
                    {
                        "month": self.labels[i],
                        "baseline_at_base_volume": after,
                        "change_pct": 100 * (after - before) / before if before else None,
                    }
                )
        return {
            "growth": growth,
            "list_prices": {
                "rule": "dated prices in the tables apply from their date; each month is priced at the prices in "
                "force around its 15th",
                "base_month_at_month_0_prices": self.path[0].baseline,
                "changes": changes,
            },
            "scenarios": [
                {
                    "name": sf.scenario.name,
                    "source": sf.where,
                    "price_decline": sf.track.decline.to_json(),
                    "applies_to": "scenario targets only (capability-constant); kept and escalated traffic "
                    "follows list prices",
                    "ramp": sf.track.adoption.to_json(),
                    "switching_cost": sf.track.switching_cost,
                    "scenario": msgspec.to_builtins(sf.scenario),
                }
                for sf in self.scenarios
            ],
            "monte_carlo": draws_json(self.growth, [sf.track for sf in self.scenarios], self.draws, self.seed),
        }

    def _months_json(self) -> list[dict[str, Any]]:
        base = {r["month_index"]: r for r in self.series("baseline")}
        per = {sf.scenario.name: {r["month_index"]: r for r in self.series(sf.scenario.name)} for sf in self.scenarios}
        out = []
        for t, label in enumerate(self.labels):
            b = base[t]
            out.append(
                {
                    "month": label,
                    "month_index": t,
                    "months_after_base": t + 1,
                    "volume_factor": self.growth.point ** ((t + 1) / 12),
                    "baseline": {
                        "cost": b["cost"],
                        "p10": b["p10"],
                        "p50": b["p50"],
                        "p90": b["p90"],
                        "at_base_volume": self.path[t].baseline,
                    },
                    "scenarios": {name: _scenario_month(rows[t]) for name, rows in per.items()},
                }
            )
        return out

    def chart(self, history_months: int = 12) -> chart_data.ChartData:
        """The chart: recent history, the baseline and each scenario with their P10–P90 bands."""
        shown = [m for m in self.history if m.full and m.start <= self.base.start][-history_months:]
        # the base month sits at −1 and forecast month t at t
        offsets = [months_between(self.base.start, m.start) - 1 for m in shown]
        lines = [chart_data.Line("actual", "history", offsets, [m.cost for m in shown])] if shown else []
        for name, kind in [("baseline", "baseline"), *((sf.scenario.name, "scenario") for sf in self.scenarios)]:
            rows = self.series(name)
            lines.append(
                chart_data.Line(
                    label=name,
                    kind="baseline" if kind == "baseline" else "scenario",
                    x=[r["month_index"] for r in rows],
                    y=[r["cost"] for r in rows],
                    low=[r["p10"] for r in rows],
                    high=[r["p90"] for r in rows],
                )
            )
        positions = list(range(offsets[0] if offsets else 0, len(self.months)))
        labels = [f"{add_months(self.base.start, x + 1):%Y-%m}" for x in positions]
        title = f"Monthly cost forecast after {self.base.label} (P10–P90 bands)"
        return chart_data.ChartData(
            title=title, positions=positions, labels=labels, lines=lines, currency=self.money.currency
        )


def _scenario_month(row: dict[str, Any]) -> dict[str, Any]:
    keys = ["cost", "p10", "p50", "p90", "adoption", "savings", "savings_p10", "savings_p50", "savings_p90"]
    keys += ["cumulative_savings", "cumulative_savings_p10", "cumulative_savings_p50", "cumulative_savings_p90"]
    return {k: row[k] for k in keys}


def run_forecast(
    inputs: list[str],
    *,
    scenario_files: Sequence[Path] = (),
    presets: Sequence[str] = (),
    extra: Sequence[Scenario] = (),
    months: int | None = None,
    growth: str | None = None,
    price_decline: str | None = None,
    ramp_jitter: float | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    backtest: int = 0,
    tz: str = "UTC",
    since: str | None = None,
    until: str | None = None,
    mapping: dict[str, str] | None = None,
    pricing: Path | None = None,
    strict: bool = False,
    on_error: OnError = "fail",
    backdate_tiers: bool = False,
    ingest: IngestOptions | None = None,
    money: Money | None = None,
) -> ForecastResult:
    """Scan the logs once, take the last full month as the base, and project it and every scenario."""
    if months is not None and not 1 <= months <= MAX_MONTHS:
        raise UsageError(f"--months {months}: must be between 1 and {MAX_MONTHS}")
    if not 1 <= draws <= MAX_DRAWS:
        raise UsageError(f"--draws {draws}: must be between 1 and {MAX_DRAWS:,}")
    if ramp_jitter is not None and ramp_jitter < 0:
        raise UsageError(f"--ramp-jitter {ramp_jitter}: must not be negative")
    if backtest < 0:
        raise UsageError(f"--backtest {backtest}: must not be negative")
    book = load_book(pricing)
    loaded = load_scenarios(scenario_files, presets, book)
    loaded += [(s, f"scenario {s.name}") for s in extra]
    for scenario, where in loaded[len(loaded) - len(extra) :]:
        check_targets(scenario, book, where)
    for scenario, where in loaded:
        asked = scenario.forecast.horizon_months if scenario.forecast else None
        if asked is not None and not 1 <= asked <= MAX_MONTHS:
            raise ScenarioError(f"{where}: forecast.horizon_months {asked}: must be between 1 and {MAX_MONTHS}")
    scenarios = [s for s, _ in loaded]
    given_growth, fit_asked = cli_growth(growth)
    decline_cli = parse_factor(price_decline, "decline", "--price-decline") if price_decline else None
    tracks = [scenario_track(s, where, decline_cli, ramp_jitter) for s, where in loaded]
    where_tags = sorted({k for s in scenarios for m in s.move for k in m.where if k not in BUILTIN_DIMS})
    usage = price_logs(
        inputs,
        by=("month",),
        optional_dims=where_tags,
        tz=tz,
        since=since,
        until=until,
        mapping=mapping,
        book=book,
        strict=strict,
        on_error=on_error,
        grid=engine.cell_grid(scenarios, book),
        backdate_tiers=backdate_tiers,
        ingest=ingest,
        # as in simulate: the scenarios see the same cells, whatever else the price tables hold
        merge_cells=True,
    )
    money = money or Money()
    cells = usage.cells.frame
    # actual months at contract prices in the output currency, like every forecast amount
    past, notes = history(
        apply_money(cells, money), tz, parse_bound(since, tz, "--since"), parse_bound(until, tz, "--until")
    )
    if not past and notes:
        raise InputError(f"{', '.join(inputs)}: no row has a timestamp; a forecast needs usage by month")
    if not past:
        raise InputError("no priced usage to forecast (every row is outside --since/--until)")
    base, base_notes = base_month(past)
    full = [m for m in past if m.full and m.start <= base.start]
    driver, fits, growth_notes = resolve_growth(given_growth, fit_asked, loaded, full)
    horizon = months or max((s.forecast.horizon_months or 0 for s in scenarios if s.forecast), default=0)
    horizon = horizon or DEFAULT_MONTHS
    if not 1 <= horizon <= MAX_MONTHS:
        raise ScenarioError(f"forecast.horizon_months {horizon}: must be between 1 and {MAX_MONTHS}")
    ahead = [add_months(base.start, t + 1) for t in range(horizon)]
    path = price_path(
        template(cells, base.start), ahead, scenarios, book, tz, backdate_tiers, money, usage.cells.size_edges
    )
    inputs_frame = pl.DataFrame(
        {
            "month_index": list(range(horizon)),
            "elapsed": [float(t + 1) for t in range(horizon)],
            "B": [p.baseline for p in path],
            **{f"S{i}": [p.scenario[i] for p in path] for i in range(len(scenarios))},
            **{f"T{i}": [p.target[i] for p in path] for i in range(len(scenarios))},
        }
    )
    projection = project(inputs_frame, driver, tracks, draws, seed)
    result_backtest = None
    if backtest:
        # a growth the user gave is tested as given; otherwise the backtest fits its own training months
        given = driver.factor if driver.factor is not None and not driver.factor.source.startswith("default") else None
        result_backtest = run_backtest(
            cells, full, backtest, given, book, tz, backdate_tiers, draws, seed, money, usage.cells.size_edges
        )
    forecasts = [
        ScenarioForecast(scenario=s, track=track, outcome=path[0].outcomes[i], where=where)
        for i, ((s, where), track) in enumerate(zip(loaded, tracks, strict=True))
    ]
    warnings = [*usage.warnings, *notes, *base_notes, *growth_notes]
    for sf in forecasts:
        warnings += [f"{sf.scenario.name}: {w}" for w in sf.outcome.warnings]
    if result_backtest is not None:
        warnings += result_backtest.warnings
    if usage.unpriced:
        warnings.append("the forecast covers priced usage only; unpriced models are left out")
    return ForecastResult(
        usage=usage,
        history=past,
        base=base,
        months=ahead,
        growth=driver,
        fits=fits,
        scenarios=forecasts,
        path=path,
        projection=projection,
        backtest=result_backtest,
        draws=draws,
        seed=seed,
        options={"tz": tz, "since": since, "until": until},
        warnings=warnings,
        money=money,
    )
