"""`aicost simulate`: what moving workloads would save, on one scan of the logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import polars as pl

from aicost.costing import SUMS, total
from aicost.errors import ScenarioError, UsageError
from aicost.ingest import IngestOptions
from aicost.money import Money, convert, convert_outcome, with_contracts
from aicost.pricing import PriceBook, load_book
from aicost.report import label_periods
from aicost.scenarios import engine
from aicost.scenarios.load import check_targets, load_file, load_preset, preset_names
from aicost.scenarios.model import SCHEMA, Move, Scenario
from aicost.usage import BUILTIN_DIMS, OnError, PricedUsage, dim_column, price_logs

SCHEMA_VERSION = 1


@dataclass
class SimulateResult:
    """Baseline and every scenario's outcome, with breakdowns and provenance."""

    usage: PricedUsage
    outcomes: list[engine.ScenarioOutcome]
    by: tuple[str, ...]
    warnings: list[str] = field(default_factory=list)
    money: Money = field(default_factory=Money)

    @property
    def currency(self) -> str:
        """The currency of every amount."""
        return self.money.currency

    @property
    def baseline_cost(self) -> float:
        """Cost of all priced usage (contract prices), in `currency`."""
        return total(self.usage.priced["cost"])

    @property
    def rows(self) -> pl.DataFrame:
        """One row per scenario (and per `--by` combination), for CSV and Parquet."""
        frames = []
        for outcome in self.outcomes:
            part = breakdown(outcome, self.by)
            frames.append(part.select(pl.lit(outcome.scenario.name).alias("scenario"), pl.all()))
        if not frames:
            return pl.DataFrame()
        return pl.concat(frames, how="vertical_relaxed")

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document (`schema_version` 1)."""
        usage = self.usage
        baseline = {
            "total_cost": self.baseline_cost,
            "list_cost": total(usage.priced["list_cost"]) if "list_cost" in usage.priced.columns else None,
            **{c: int(usage.priced[c].sum() or 0) for c in SUMS},
        }
        return {
            "schema_version": SCHEMA_VERSION,
            "command": "simulate",
            "currency": self.currency,
            "baseline": baseline,
            "scenarios": [scenario_json(o, self.by) for o in self.outcomes],
            "by": list(self.by),
            "unpriced": usage.unpriced,
            **usage.accounting.to_json(),
            "pricing": usage.book.provenance(),
            "money": self.money.to_json(),
            "inputs": [f.display for f in usage.ingested.files],
            "warnings": self.warnings,
        }


def breakdown(outcome: engine.ScenarioOutcome, by: Sequence[str]) -> pl.DataFrame:
    """Baseline vs scenario cost per combination of `by` (one total row when `by` is empty)."""
    frame = outcome.frame
    aggs = [
        pl.col("requests").sum(),
        pl.col("cost").sum().alias("baseline_cost"),
        pl.col("scenario_cost").sum(),
    ]
    if by:
        rows = frame.with_columns(pl.col(dim_column(d)).alias(d) for d in by).group_by(list(by)).agg(aggs)
        rows = label_periods(rows.sort(list(by), nulls_last=True), by)
    else:
        rows = frame.select(aggs)
    return rows.with_columns(
        (pl.col("baseline_cost") - pl.col("scenario_cost")).alias("savings"),
        pl.when(pl.col("baseline_cost") > 0)
        .then(100 * (pl.col("baseline_cost") - pl.col("scenario_cost")) / pl.col("baseline_cost"))
        .otherwise(0.0)
        .alias("savings_pct"),
    )


def scenario_json(outcome: engine.ScenarioOutcome, by: Sequence[str]) -> dict[str, Any]:
    """One scenario's JSON object, with its assumptions echoed back."""
    s = outcome.scenario
    doc: dict[str, Any] = {
        "name": s.name,
        "description": s.description,
        "total_cost": outcome.total_cost,
        "baseline_cost": outcome.baseline_cost,
        "savings": outcome.savings,
        "savings_pct": outcome.savings_pct,
        "cost_ratio": outcome.total_cost / outcome.baseline_cost if outcome.baseline_cost else None,
        "share_of_spend_moved": outcome.share_of_spend_moved,
        "share_of_requests_moved": outcome.share_of_requests_moved,
        "requests_moved": outcome.requests_moved,
        "escalation_cost": outcome.escalation_cost,
        "requests_not_moved_context_window": sum(m.requests_too_long for m in outcome.moves),
        "cost_per_request": outcome.total_cost / outcome.requests if outcome.requests else None,
        "quality": outcome.quality,
        "cost_per_successful_request": outcome.cost_per_successful_request,
        "quality_floor": outcome.quality_floor,
        "quality_floor_breached": outcome.quality is not None
        and outcome.quality_floor is not None
        and outcome.quality < outcome.quality_floor,
        "moves": [m.__dict__ for m in outcome.moves],
        "assumptions": msgspec.to_builtins(s),
        "warnings": outcome.warnings,
    }
    if by:
        doc["breakdown"] = breakdown(outcome, by).to_dicts()
    return doc


def adhoc(share: float, cheaper: float | None, to: str | None, basis: str, pick: str) -> Scenario:
    """The scenario `--share 80% --cheaper 99%` (or `--to MODEL`) describes."""
    if (cheaper is None) == (to is None):
        raise UsageError("--share needs exactly one of --cheaper PCT or --to MODEL")
    if not 0 <= share <= 1:
        raise UsageError(f"--share {share:.0%}: must be between 0% and 100%")
    if cheaper is not None and not 0 <= cheaper <= 1:
        raise UsageError(f"--cheaper {cheaper:.0%}: must be between 0% and 100%")
    target = f"a model {cheaper:.0%} cheaper" if cheaper is not None else to
    move = msgspec.convert(
        {
            "name": "adhoc",
            "share": share,
            "basis": basis,
            "pick": pick,
            **({"price_ratio": 1 - cheaper} if cheaper is not None else {"to": to}),
        },
        Move,
    )
    name = f"{share:.0%}-to-" + (f"{cheaper:.0%}-cheaper" if cheaper is not None else str(to))
    return Scenario(schema=SCHEMA, name=name, description=f"{share:.0%} of {basis} to {target}", move=[move])


def load_scenarios(files: Sequence[Path], presets: Sequence[str], book: PriceBook) -> list[tuple[Scenario, str]]:
    """Scenario files and presets, checked against the price book (targets must exist)."""
    loaded: list[tuple[Scenario, str]] = [(load_file(p), str(p)) for p in files]
    loaded += [(load_preset(name), f"preset {name}") for name in presets]
    for scenario, where in loaded:
        check_targets(scenario, book, where)
    names = [s.name for s, _ in loaded]
    if len(names) != len(set(names)):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ScenarioError(f"scenario names must be unique: {', '.join(dupes)} appears more than once")
    return loaded


def run_simulate(
    inputs: list[str],
    *,
    scenario_files: Sequence[Path] = (),
    presets: Sequence[str] = (),
    extra: Sequence[Scenario] = (),
    by: Sequence[str] = (),
    tz: str = "UTC",
    since: str | None = None,
    until: str | None = None,
    mapping: dict[str, str] | None = None,
    pricing: Path | None = None,
    strict: bool = False,
    on_error: OnError = "fail",
    backdate_tiers: bool = False,
    money: Money | None = None,
    ingest: IngestOptions | None = None,
) -> SimulateResult:
    """Scan the logs once and apply every scenario (all presets when none is given).

    Contract prices apply to the baseline and to traffic that stays on (or escalates to) its source model;
    targets are priced at list (a hypothetical target at a ratio of the source's list rates). Scenarios
    run in USD; amounts are converted to `money.currency` at the end.
    """
    money = money or Money()
    book = load_book(pricing)
    if not scenario_files and not presets and not extra:
        presets = preset_names()
    loaded = load_scenarios(scenario_files, presets, book)
    scenarios = [s for s, _ in loaded] + list(extra)
    for scenario in extra:
        check_targets(scenario, book, f"scenario {scenario.name}")
    where_tags = sorted({k for s in scenarios for m in s.move for k in m.where if k not in BUILTIN_DIMS})
    usage = price_logs(
        inputs,
        by=by,
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
        # cells that price alike on their source and on every target are merged: far fewer cells for the
        # scenarios to work on, and cells that do not depend on the dates of models the logs never use
        merge_cells=True,
    )
    usage.cells.frame = with_contracts(usage.cells.frame, money.contracts)
    baseline = total(usage.priced["cost"])  # the same for every scenario: summed exactly once
    memo = engine.Memo()  # the cells are the same for every scenario: share what does not depend on it
    outcomes = [
        engine.apply(s, usage.cells.frame, book, backdate=backdate_tiers, baseline=baseline, memo=memo)
        for s in scenarios
    ]
    usage.cells.frame = convert(usage.cells.frame, money.fx_rate)
    outcomes = [convert_outcome(o, money.fx_rate) for o in outcomes]
    outcomes.sort(key=lambda o: (-o.savings, o.scenario.name))
    warnings = list(usage.warnings)
    for outcome in outcomes:
        warnings += [f"{outcome.scenario.name}: {w}" for w in outcome.warnings]
    if usage.unpriced:
        n = sum(u["requests"] for u in usage.unpriced)
        warnings.append(f"the baseline leaves out {n:,} requests to unpriced models; scenarios cannot move them")
    return SimulateResult(usage=usage, outcomes=outcomes, by=tuple(by), warnings=warnings, money=money)
