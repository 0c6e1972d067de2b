"""Price paths: one month's usage priced at each later month's list prices, with and without each scenario.

Dated prices already in the tables apply when their date comes (the bundled tables, for instance, move
gemini-3.8-flash to $1.5/$7.5 per M from 2027-01-01). Each cell of the base month is moved to the
forecast month: its representative call is placed within 3½ days of that month's 15th at the same time
of week (so time-of-day windows still apply), its price epoch is looked up again, and the cells are
priced by the same code as the logs (`costing.price` → `rates_at`), then each scenario is applied by the
same engine as `simulate`. A month is thus priced at the prices in force in its middle. Months whose cells
all fall in the same price epochs price identically, so the work is done once per distinct set of epochs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from aicost.costing import EPOCH, PTS, CellSpec, price, total
from aicost.forecast.months import local_midnight
from aicost.money import Money, convert_outcome, with_contracts
from aicost.pricing import PriceBook
from aicost.scenarios import engine
from aicost.scenarios.model import Scenario
from aicost.schema import TIMESTAMP_DTYPE

_WEEK_US = 7 * 86_400 * 1_000_000
_UNIX = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class MonthCosts:
    """The base month's usage at one month's prices: baseline, and each scenario fully adopted."""

    baseline: float
    scenario: tuple[float, ...]
    # the part of each scenario's cost paid to its targets (what capability-constant declines apply to);
    # the rest is traffic left on its model plus what moved traffic still pays it (escalations, advice)
    target: tuple[float, ...]
    outcomes: tuple[engine.ScenarioOutcome, ...]


def mid_month(month: dt.date, tz: str) -> dt.datetime:
    """The 15th of `month`, 00:00 in `tz`, as a UTC instant."""
    return local_midnight(month.replace(day=15), tz)


def shifted(base: pl.DataFrame, month: dt.date, tz: str, book: PriceBook) -> pl.DataFrame:
    """Cells moved to `month`: representative calls near its 15th at their own time of week, epochs redone."""
    anchor = mid_month(month, tz)
    anchor_us = (anchor - _UNIX) // dt.timedelta(microseconds=1)
    # floor modulo: the offset to the same time of week, folded into [−½ week, +½ week)
    offset = (pl.col(PTS).dt.epoch("us") - anchor_us) % _WEEK_US
    offset = pl.when(offset >= _WEEK_US // 2).then(offset - _WEEK_US).otherwise(offset)
    when = pl.from_epoch(anchor_us + offset, time_unit="us").dt.replace_time_zone("UTC").cast(TIMESTAMP_DTYPE)
    moved = base.with_columns(when.alias(PTS))
    if book.epoch_bounds:
        bounds = pl.lit(pl.Series("epochs", book.epoch_bounds, dtype=TIMESTAMP_DTYPE))
        epoch = bounds.search_sorted(pl.col(PTS), side="right").cast(pl.UInt32)
    else:
        epoch = pl.lit(0, dtype=pl.UInt32)
    return moved.with_columns(epoch.alias(EPOCH))


def month_costs(
    cells: pl.DataFrame,
    scenarios: Sequence[Scenario],
    book: PriceBook,
    backdate: bool,
    money: Money | None = None,
    edges: Sequence[float] = (),
) -> MonthCosts:
    """Price moved cells (at contract prices, if any) and apply every scenario; amounts in money's currency."""
    money = money or Money()
    # `edges`: the prompt-size edges the cells were cut by (their SIZE bucket numbers refer to them)
    priced, _, _ = price(cells, book, edges, CellSpec(backdate_tiers=backdate))
    # as in simulate: contracts apply to the baseline and to what stays on (or escalates to) the source
    priced = with_contracts(priced, money.contracts)
    memo = engine.Memo()
    outcomes = tuple(engine.apply(s, priced, book, backdate=backdate, memo=memo) for s in scenarios)
    fx = money.fx_rate
    targets = tuple(
        fx * math.fsum(o.frame.select(pl.col(engine.SCOST) - pl.col(engine.ESC)).to_series().to_list())
        for o in outcomes
    )
    outcomes = tuple(convert_outcome(o, fx) for o in outcomes)
    return MonthCosts(
        baseline=total(priced["cost"]) * fx,
        scenario=tuple(o.total_cost for o in outcomes),
        target=targets,
        outcomes=outcomes,
    )


def price_path(
    base: pl.DataFrame,
    months: Sequence[dt.date],
    scenarios: Sequence[Scenario],
    book: PriceBook,
    tz: str,
    backdate: bool,
    money: Money | None = None,
    edges: Sequence[float] = (),
) -> list[MonthCosts]:
    """The base month's usage priced at each of `months` (once per distinct set of price epochs)."""
    done: dict[tuple[int, ...], MonthCosts] = {}
    out = []
    for month in months:
        cells = shifted(base, month, tz, book)
        key = tuple(cells[EPOCH].to_list())
        if key not in done:
            done[key] = month_costs(cells, scenarios, book, backdate, money, edges)
        out.append(done[key])
    return out
