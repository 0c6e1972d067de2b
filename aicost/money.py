"""Money: the output currency (a user-given FX rate, never looked up online) and contract prices.

Price tables are in USD at list price. A contract file (`aicost.contracts/1`) says what you actually pay:
per provider and/or model, a percentage off list, or negotiated per-class rates. Costs are computed at
contract rates in USD first and converted last, so every amount a result shows is
`tokens × contracted USD rate × fx_rate`, kept at full precision (rounding is for display only).

A negotiated rate is flat: it replaces the list rate whatever the service tier or long-context tier; a
negotiated output rate covers reasoning tokens too. Contracts have no dates: one file prices the whole run.

Cells gain `list_cost_*` / `list_cost` (what the list price would be) beside `cost_*` / `cost` (what you
pay: the effective cost), and `crate_*` (contracted USD rates per token) beside the list `rate_*` columns.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import msgspec
import polars as pl

from aicost.config import Settings
from aicost.costing import COST_COLUMNS, PROVIDER_OUT, RATE_COLUMNS, STATUS, total
from aicost.errors import ConfigError, UsageError
from aicost.schema import REASONING, TOKEN_CLASSES

if TYPE_CHECKING:
    from aicost.scenarios.engine import ScenarioOutcome

SCHEMA: Final = "aicost.contracts/1"
RMODEL: Final = "_aicost_rmodel"
RULE: Final = "_aicost_contract"
LIST_COST_COLUMNS: Final = tuple(f"list_{c}" for c in COST_COLUMNS)
CONTRACT_RATE_COLUMNS: Final = tuple(f"c{r}" for r in RATE_COLUMNS)  # crate_input, …, crate_request
MONEY_COLUMNS: Final = (*COST_COLUMNS, "cost", *LIST_COST_COLUMNS, "list_cost")
# negotiated-rate keys, as in price tables: USD per million tokens, and per 1,000 requests
RATE_KEYS: Final = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "per_1k_requests")


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """One contract term: which traffic it covers, and its price."""

    name: str | None = None
    provider: str | None = None  # provider id as in the results ("openai", "aws", …); default any
    model: str | None = None  # glob over the price-table model id or the logged id; default any
    percent_off: float = 0.0  # off list, for every class without a negotiated rate
    rates: dict[str, float] = msgspec.field(default_factory=dict)  # negotiated USD per MTok (per 1k requests)

    @property
    def label(self) -> str:
        """How results name the rule."""
        if self.name:
            return self.name
        who = "/".join(p for p in (self.provider, self.model) if p) or "*"
        terms = [f"{self.percent_off:g}% off"] if self.percent_off else []
        terms += [f"{k} ${v:g}" for k, v in self.rates.items()]
        return f"{who}: {', '.join(terms) or 'list price'}"


class Contracts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A contract file: rules in order, the first that matches a model applies."""

    schema: str
    name: str | None = None
    rule: list[Rule] = msgspec.field(default_factory=list)
    file: str = ""
    sha256: str = ""

    def match(self, provider: str | None, model: str | None, logged: str | None) -> int | None:
        """Index of the first rule covering a (provider, price-table model, logged model), or None."""
        for i, rule in enumerate(self.rule):
            if rule.provider is not None and (provider or "").lower() != rule.provider.lower():
                continue
            if rule.model is not None:
                pattern = rule.model.lower()
                names = [n.lower() for n in (model, logged) if n]
                if provider:
                    names += [f"{provider.lower()}/{n}" for n in list(names)]
                if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                    continue
            return i
        return None

    def to_json(self) -> dict[str, Any]:
        """The contracts block of a result."""
        return {"file": self.file, "name": self.name, "sha256": self.sha256, "rules": [r.label for r in self.rule]}


def load_contracts(path: Path) -> Contracts:
    """Load and check a contract file; every problem names the file and key."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read contract file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a contract file is TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    for reserved in ("file", "sha256"):
        if reserved in data:
            raise ConfigError(f"{path}: unknown key {reserved!r}")
    try:
        contracts = msgspec.convert(data, Contracts, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc).replace("`$.", "key `").replace("`$`", "the top level")
        raise ConfigError(f"{path}: {message}") from None
    problems = []
    if contracts.schema != SCHEMA:
        problems.append(f"schema is {contracts.schema!r}, expected {SCHEMA!r}")
    if not contracts.rule:
        problems.append("no [[rule]] entries")
    for i, rule in enumerate(contracts.rule):
        where = f"rule[{i}]"
        if not 0 <= rule.percent_off <= 100:
            problems.append(f"{where}.percent_off {rule.percent_off:g}: must be between 0 and 100")
        for key, value in rule.rates.items():
            if key not in RATE_KEYS:
                problems.append(f"{where}.rates: unknown class {key!r} (known: {', '.join(RATE_KEYS)})")
            elif not math.isfinite(value) or value < 0:
                problems.append(f"{where}.rates.{key}: must be a non-negative number")
        if not rule.percent_off and not rule.rates:
            problems.append(f"{where}: give percent_off or rates (or both)")
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return msgspec.structs.replace(contracts, file=str(path), sha256=hashlib.sha256(raw).hexdigest())


@dataclass(frozen=True)
class Money:
    """The currency results are in, its FX rate from USD, and the contracts that set effective prices."""

    currency: str = "USD"
    fx_rate: float = 1.0
    contracts: Contracts | None = None

    def to_json(self) -> dict[str, Any]:
        """The money block of a result."""
        return {
            "currency": self.currency,
            "fx_rate": self.fx_rate,
            "price_currency": "USD",
            "contracts": self.contracts.to_json() if self.contracts is not None else None,
        }

    @property
    def note(self) -> str:
        """A caption fragment: the conversion and contract in force."""
        parts = []
        if self.currency != "USD":
            parts.append(f"converted at 1 USD = {self.fx_rate:g} {self.currency}")
        if self.contracts is not None:
            parts.append(f"contract prices from {self.contracts.file}")
        return "; ".join(parts)


def from_settings(settings: Settings) -> Money:
    """Money settings, checked: a non-USD currency needs an explicit FX rate (aicost never looks one up)."""
    currency, rate = settings.currency, settings.fx_rate
    if currency == "USD":
        if rate is not None and rate != 1.0:
            raise UsageError(
                f"fx_rate {rate:g} (from {settings.source('fx_rate')}) needs a non-USD currency: "
                "price tables are in USD; pass --currency too"
            )
        rate = 1.0
    elif rate is None:
        raise UsageError(
            f"currency {currency} (from {settings.source('currency')}) needs an FX rate: pass --fx-rate "
            f"(how many {currency} one USD buys) or set fx_rate; aicost never looks rates up online"
        )
    contracts = load_contracts(settings.contracts) if settings.contracts is not None else None
    return Money(currency=currency, fx_rate=rate, contracts=contracts)


# -------------------------------------------------------------------------------------- on cells


def _rule_table(cells: pl.DataFrame, contracts: Contracts) -> pl.DataFrame:
    """Per distinct (provider, price-table model, logged model): the rule's factor and rate per class."""
    pairs = cells.select(PROVIDER_OUT, RMODEL, "model").unique().sort(PROVIDER_OUT, RMODEL, "model", nulls_last=True)
    rows = []
    for provider, rmodel, logged in pairs.iter_rows():
        index = contracts.match(provider, rmodel, logged)
        rule = contracts.rule[index] if index is not None else None
        factor = 1.0 - (rule.percent_off / 100.0 if rule is not None else 0.0)
        rates = rule.rates if rule is not None else {}
        per_unit = [
            None if key not in rates else rates[key] / (1e3 if key == "per_1k_requests" else 1e6) for key in RATE_KEYS
        ]
        rows.append([provider, rmodel, logged, rule.label if rule is not None else None, factor, *per_unit])
    schema = {
        PROVIDER_OUT: pl.String,
        RMODEL: pl.String,
        "model": pl.String,
        RULE: pl.String,
        "_m_factor": pl.Float64,
        **{f"_m_{k}": pl.Float64 for k in RATE_KEYS},
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def with_contracts(cells: pl.DataFrame, contracts: Contracts | None) -> pl.DataFrame:
    """Add list costs and contracted rates; `cost_*`/`cost` become the contracted (effective) USD cost.

    Without contracts the contracted rates are the list rates and nothing changes but the added columns.
    """
    list_costs = [pl.col(c).alias(f"list_{c}") for c in (*COST_COLUMNS, "cost")]
    if contracts is None:
        return cells.with_columns(
            *list_costs, *(pl.col(r).alias(f"c{r}") for r in RATE_COLUMNS), pl.lit(None, dtype=pl.String).alias(RULE)
        )
    table = _rule_table(cells.filter(pl.col(STATUS) == "priced"), contracts)
    frame = cells.with_columns(list_costs).join(
        table, on=[PROVIDER_OUT, RMODEL, "model"], how="left", nulls_equal=True, maintain_order="left"
    )
    factor = pl.col("_m_factor").fill_null(1.0)
    # a negotiated output rate covers reasoning too; otherwise each list rate is scaled by the factor
    override = {
        "rate_input": "input",
        "rate_cache_read": "cache_read",
        "rate_cache_write": "cache_write",
        "rate_cache_write_1h": "cache_write_1h",
        "rate_output": "output",
        "rate_reasoning": "output",
        "rate_request": "per_1k_requests",
    }
    frame = frame.with_columns(
        pl.coalesce(pl.col(f"_m_{override[r]}"), pl.col(r) * factor).alias(f"c{r}") for r in RATE_COLUMNS
    )
    priced = pl.col(STATUS) == "priced"
    costs = [
        (pl.col(tokens) * pl.col(f"c{rate}").fill_null(0.0)).alias(name)
        for tokens, rate, name in zip(TOKEN_CLASSES, RATE_COLUMNS[:5], COST_COLUMNS[:5], strict=True)
    ]
    # the same reasoning split as list pricing (costing.price): only where reasoning has its own rate
    split = (pl.col("output_tokens") - pl.col(REASONING)) * pl.col("crate_output").fill_null(0.0) + pl.col(
        REASONING
    ) * pl.col("crate_reasoning").fill_null(0.0)
    costs[4] = (
        pl.when(pl.col("rate_reasoning") != pl.col("rate_output"))
        .then(split)
        .otherwise(costs[4])
        .alias(COST_COLUMNS[4])
    )
    costs.append((pl.col("requests") * pl.col("crate_request").fill_null(0.0)).alias(COST_COLUMNS[5]))
    frame = frame.with_columns(pl.when(priced).then(c).otherwise(None).alias(c.meta.output_name()) for c in costs)
    frame = frame.with_columns(pl.when(priced).then(pl.sum_horizontal(COST_COLUMNS)).otherwise(None).alias("cost"))
    return frame.drop("_m_factor", *(f"_m_{k}" for k in RATE_KEYS))


def convert(frame: pl.DataFrame, fx_rate: float, columns: Sequence[str] = MONEY_COLUMNS) -> pl.DataFrame:
    """Amounts in USD → amounts in the output currency (a no-op at rate 1)."""
    if fx_rate == 1.0:
        return frame
    return frame.with_columns(pl.col(c) * fx_rate for c in columns if c in frame.columns)


def apply(cells: pl.DataFrame, money: Money) -> pl.DataFrame:
    """Contract prices, then the currency: what report and export show."""
    return convert(with_contracts(cells, money.contracts), money.fx_rate)


def convert_outcome(outcome: ScenarioOutcome, fx_rate: float) -> ScenarioOutcome:
    """A scenario outcome computed in USD, in the output currency (ratios and shares are unchanged)."""
    if fx_rate == 1.0:
        return outcome
    frame = convert(outcome.frame, fx_rate, (*MONEY_COLUMNS, "scenario_cost"))
    moves = [
        dataclasses.replace(
            m,
            baseline_cost_moved=m.baseline_cost_moved * fx_rate,
            cost_after=m.cost_after * fx_rate,
            escalation_cost=m.escalation_cost * fx_rate,
        )
        for m in outcome.moves
    ]
    return dataclasses.replace(
        outcome,
        frame=frame,
        baseline_cost=total(frame["cost"]),
        total_cost=total(frame["scenario_cost"]),
        moves=moves,
    )


def format_amount(value: float | None, currency: str, places: int = 2) -> str:
    """`$406.74` in USD, `374.20 EUR` otherwise (display only; results keep full precision)."""
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"
