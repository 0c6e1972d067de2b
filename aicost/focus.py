"""FinOps FOCUS 1.2 cost-and-usage rows from priced usage (`aicost export --format focus`).

One row per (UTC day, provider, model, service tier, token class, unit price, tags): each token class is
its own SKU meter, as the FOCUS working drafts propose for AI tokens (PR #2442, #2682). Model identity
and the token direction / cache action go in `SkuPriceDetails`; log tags in `Tags`; aicost's own fields
in `x_`-prefixed columns. Per-request fees get their own rows. All amounts are in the billing currency;
the USD list prices they were converted from are in the PricingCurrency* columns.

ListCost = ConsumedQuantity × list rate; ContractedCost = EffectiveCost = BilledCost = ConsumedQuantity
× contracted rate (the list rate without a contract file): BilledCost sums to `aicost report`'s total.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from aicost.costing import PROVIDER_OUT, TIER, total
from aicost.money import RMODEL, RULE, Money, with_contracts
from aicost.pricing import PriceBook
from aicost.usage import OnError, PricedUsage, parse_bound, price_logs

FOCUS_VERSION: Final = "1.2"
DATETIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Meter:
    """A token class (or the per-request fee) as a FOCUS SKU meter."""

    name: str  # aicost's class name (x_TokenClass)
    tokens: str  # the cell column counted
    rate: str  # the list rate column (USD per token or per request)
    meter: str  # SkuMeter
    direction: str | None  # SkuPriceDetails.TokenDirection
    cache: str | None  # SkuPriceDetails.CacheAction
    description: str


METERS: Final = (
    Meter("input", "input_tokens", "rate_input", "Input Tokens", "Input", "None", "input tokens"),
    Meter("cache_read", "cache_read_tokens", "rate_cache_read", "Input Tokens", "Input", "Read",
          "cached input tokens (cache read)"),
    Meter("cache_write", "cache_write_tokens", "rate_cache_write", "Input Tokens", "Input", "Write",
          "input tokens written to cache (5-minute TTL)"),
    Meter("cache_write_1h", "cache_write_1h_tokens", "rate_cache_write_1h", "Input Tokens", "Input", "Write",
          "input tokens written to cache (1-hour TTL)"),
    Meter("output", "output_tokens", "rate_output", "Output Tokens", "Output", None, "output tokens"),
    Meter("reasoning", "reasoning_tokens", "rate_reasoning", "Output Tokens", "Output", None,
          "reasoning output tokens (priced separately)"),
    Meter("requests", "requests", "rate_request", "Requests", None, None, "per-request fee"),
)  # fmt: skip
_CACHE_TTL: Final = {"cache_write": "5m", "cache_write_1h": "1h"}

# Columns in output order: FOCUS 1.2 (mandatory, and the conditional/recommended ones aicost can fill),
# then aicost's own. Types: Decimal → Float64, Date/Time → UTC datetime (CSV: YYYY-MM-DDTHH:MM:SSZ),
# key-value → JSON object text.
DATETIME_COLUMNS: Final = ("BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart")
COLUMNS: Final = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountStatus", "ConsumedQuantity", "ConsumedUnit",
    "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId", "InvoiceIssuerName", "ListCost",
    "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceDetails", "SkuPriceId", "Tags",
    "x_ServiceTier", "x_TokenClass", "x_LoggedModel", "x_ContractRule", "x_FxRate", "x_PriceTableVersion",
    "x_PriceTableAsOf", "x_SourceFormat",
)  # fmt: skip
# Mandatory in FOCUS 1.2 (Cost and Usage dataset)
MANDATORY: Final = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
    "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)  # fmt: skip

# Who makes a model family, by the start of its price-table id (PublisherName, SkuPriceDetails.ModelDeveloper).
_DEVELOPERS: Final = (
    ("claude", "Anthropic", "Claude"),
    ("gpt-oss", "OpenAI", "gpt-oss"),
    ("gpt", "OpenAI", "GPT"),
    ("chatgpt", "OpenAI", "GPT"),
    ("o1", "OpenAI", "o-series"),
    ("o3", "OpenAI", "o-series"),
    ("o4", "OpenAI", "o-series"),
    ("gemini", "Google", "Gemini"),
    ("gemma", "Google", "Gemma"),
    ("deepseek", "DeepSeek", "DeepSeek"),
    ("glm", "Z.ai", "GLM"),
    ("llama", "Meta", "Llama"),
    ("mistral", "Mistral AI", "Mistral"),
    ("mixtral", "Mistral AI", "Mixtral"),
    ("codestral", "Mistral AI", "Codestral"),
    ("magistral", "Mistral AI", "Magistral"),
    ("qwen", "Alibaba", "Qwen"),
    ("grok", "xAI", "Grok"),
    ("kimi", "Moonshot AI", "Kimi"),
    ("command", "Cohere", "Command"),
    ("nova", "Amazon", "Nova"),
)
_SERVICES: Final = {
    "aws": "Amazon Bedrock",
    "azure": "Azure OpenAI",
    "google": "Gemini API",
    "anthropic": "Claude API",
    "openai": "OpenAI API",
}
_VERSION = re.compile(r"(?:[-@])(\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass
class FocusResult:
    """FOCUS rows plus what every aicost result says about how they were made."""

    rows: pl.DataFrame
    usage: PricedUsage
    money: Money

    @property
    def total_billed_cost(self) -> float:
        """Sum of BilledCost."""
        return total(self.rows["BilledCost"]) if self.rows.height else 0.0

    def to_json(self) -> dict[str, Any]:
        """A summary document (the rows themselves are the CSV/Parquet output)."""
        usage = self.usage
        return {
            "schema_version": 1,
            "command": "export",
            "focus_version": FOCUS_VERSION,
            "currency": self.money.currency,
            "total_cost": self.total_billed_cost,
            "total_list_cost": total(self.rows["ListCost"]) if self.rows.height else 0.0,
            "row_count": self.rows.height,
            "columns": list(self.rows.columns),
            "rows": self.rows.with_columns(pl.col(DATETIME_COLUMNS).dt.strftime(DATETIME_FORMAT)).to_dicts(),
            "unpriced": usage.unpriced,
            **usage.accounting.to_json(),
            "pricing": usage.book.provenance(),
            "money": self.money.to_json(),
            "inputs": [f.display for f in usage.ingested.files],
            "warnings": usage.warnings,
        }


def developer(model_id: str) -> tuple[str | None, str | None]:
    """(ModelDeveloper, ModelFamily) of a price-table model id, when aicost knows them."""
    name = model_id.lower().rsplit("/", 1)[-1]
    for prefix, maker, family in _DEVELOPERS:
        if name.startswith(prefix):
            return maker, family
    return None, None


def sku_price_details(provider: str, model_id: str, logged: str, meter: Meter, tier: str) -> str:
    """SkuPriceDetails as a JSON object: the draft's model keys (PR #2442/#2682), aicost's under `x_`."""
    maker, family = developer(model_id)
    version = _VERSION.search(logged or "")
    details: dict[str, Any] = {
        "ModelDeveloper": maker,
        "ModelFamily": family,
        "ModelId": model_id,
        "ModelVersion": version.group(1) if version else None,
        "TokenDirection": meter.direction,
        "CacheAction": meter.cache,
        "x_CacheTtl": _CACHE_TTL.get(meter.name),
        "x_ModelProvider": provider,
        "x_ServiceTier": tier,
    }
    return json.dumps({k: v for k, v in details.items() if v is not None}, separators=(",", ":"))


def _tags_json(values: dict[str, Any]) -> str:
    return json.dumps(
        {k: str(v) for k, v in sorted(values.items()) if v is not None}, separators=(",", ":"), ensure_ascii=False
    )


def _meter_frames(cells: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """Cells unpivoted to one row per (cell, meter) with its quantity and list/contract rates (USD per unit)."""
    split = pl.col("rate_reasoning").is_not_null() & (pl.col("rate_reasoning") != pl.col("rate_output"))
    parts = []
    for m in METERS:
        qty: pl.Expr = pl.col(m.tokens)
        if m.name == "output":
            qty = pl.when(split).then(pl.col("output_tokens") - pl.col("reasoning_tokens")).otherwise(qty)
        elif m.name == "reasoning":
            qty = pl.when(split).then(qty).otherwise(0)
        elif m.name == "requests":
            fee = (pl.col(m.rate).fill_null(0.0) > 0) | (pl.col(f"c{m.rate}").fill_null(0.0) > 0)
            qty = pl.when(fee).then(qty).otherwise(0)
        parts.append(
            cells.select(
                *keys,
                pl.lit(m.name).alias("x_TokenClass"),
                qty.cast(pl.Int64).alias("_qty"),
                pl.col(m.rate).fill_null(0.0).alias("_list_rate"),
                pl.col(f"c{m.rate}").fill_null(0.0).alias("_contract_rate"),
            )
        )
    meters = pl.concat(parts).filter(pl.col("_qty") > 0)
    group = [*keys, "x_TokenClass", "_list_rate", "_contract_rate"]
    return meters.group_by(group).agg(pl.col("_qty").sum())


def build(usage: PricedUsage, money: Money, tags: Sequence[str], billing_account: str | None = None) -> pl.DataFrame:
    """FOCUS rows for priced usage whose cells are grouped by `day` (UTC) and `tags`, with contracted rates."""
    book: PriceBook = usage.book
    keys = ["day", PROVIDER_OUT, RMODEL, "model", TIER, RULE, *tags]
    meters = _meter_frames(usage.priced, keys)
    fx = money.fx_rate
    meter_by_name = {m.name: m for m in METERS}
    # descriptive strings are computed once per distinct key (small) and joined back
    sku_keys = meters.select(PROVIDER_OUT, RMODEL, "model", TIER, "x_TokenClass").unique()
    sku_rows = []
    for provider, model_id, logged, tier, cls in sku_keys.iter_rows():
        info = book.providers.get(provider)
        provider_name = info.name if info is not None else provider
        maker, _ = developer(model_id)
        sku_rows.append(
            {
                PROVIDER_OUT: provider,
                RMODEL: model_id,
                "model": logged,
                TIER: tier,
                "x_TokenClass": cls,
                "ProviderName": provider_name,
                "PublisherName": maker or provider_name,
                "ServiceName": _SERVICES.get(provider, f"{provider_name} API"),
                "SkuPriceDetails": sku_price_details(provider, model_id, logged, meter_by_name[cls], tier),
                "ChargeDescription": f"{model_id}: {meter_by_name[cls].description}"
                + (f" ({tier} tier)" if tier != "standard" else ""),
                "SkuMeter": meter_by_name[cls].meter,
            }
        )
    sku_schema = {
        PROVIDER_OUT: pl.String,
        RMODEL: pl.String,
        "model": pl.String,
        TIER: pl.String,
        "x_TokenClass": pl.String,
        "ProviderName": pl.String,
        "PublisherName": pl.String,
        "ServiceName": pl.String,
        "SkuPriceDetails": pl.String,
        "ChargeDescription": pl.String,
        "SkuMeter": pl.String,
    }
    skus = pl.DataFrame(sku_rows, schema=sku_schema)
    frame = meters.join(skus, on=[PROVIDER_OUT, RMODEL, "model", TIER, "x_TokenClass"], how="left", nulls_equal=True)
    if tags:
        combos = frame.select(tags).unique()
        combos = combos.with_columns(
            pl.Series("Tags", [_tags_json(row) for row in combos.iter_rows(named=True)], dtype=pl.String)
        )
        frame = frame.join(combos, on=list(tags), how="left", nulls_equal=True)
    else:
        frame = frame.with_columns(pl.lit("{}").alias("Tags"))
    is_request = pl.col("x_TokenClass") == "requests"
    per = pl.when(is_request).then(pl.lit(1e3)).otherwise(pl.lit(1e6))  # rates quoted per 1k requests / per MTok
    # unit prices rounded to 12 significant digits: rate/1e6*1e6 would show as 2.4999999999999996
    list_unit_usd = (pl.col("_list_rate") * per).round_sig_figs(12)
    contract_unit_usd = (pl.col("_contract_rate") * per).round_sig_figs(12)
    day_start = pl.col("day").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    month_start = day_start.dt.truncate("1mo")
    qty = pl.col("_qty").cast(pl.Float64)
    price_id = (
        pl.col(PROVIDER_OUT)
        + "/"
        + pl.col(RMODEL)
        + "/"
        + pl.col("x_TokenClass")
        + "/"
        + pl.col(TIER)
        + "@"
        + list_unit_usd.cast(pl.String)
    )
    account = pl.lit(billing_account) if billing_account else pl.col(PROVIDER_OUT)
    kinds = sorted({f.kind for f in usage.ingested.files})
    order = {m.name: i for i, m in enumerate(METERS)}
    out = frame.select(
        (qty * pl.col("_contract_rate") * fx).alias("BilledCost"),
        account.alias("BillingAccountId"),
        account.alias("BillingAccountName"),
        pl.lit(money.currency).alias("BillingCurrency"),
        month_start.dt.offset_by("1mo").alias("BillingPeriodEnd"),
        month_start.alias("BillingPeriodStart"),
        pl.lit("Usage").alias("ChargeCategory"),
        pl.lit(None, dtype=pl.String).alias("ChargeClass"),
        pl.col("ChargeDescription"),
        pl.lit("Usage-Based").alias("ChargeFrequency"),
        day_start.dt.offset_by("1d").alias("ChargePeriodEnd"),
        day_start.alias("ChargePeriodStart"),
        # no commitment discounts; present (null) because ConsumedQuantity's nullability rule reads it
        pl.lit(None, dtype=pl.String).alias("CommitmentDiscountStatus"),
        qty.alias("ConsumedQuantity"),
        pl.when(is_request).then(pl.lit("Requests")).otherwise(pl.lit("Tokens")).alias("ConsumedUnit"),
        (qty * pl.col("_contract_rate") * fx).alias("ContractedCost"),
        (contract_unit_usd * fx).alias("ContractedUnitPrice"),
        (qty * pl.col("_contract_rate") * fx).alias("EffectiveCost"),
        # charges computed from logs belong to no invoice (yet): FOCUS says InvoiceId is then null
        pl.lit(None, dtype=pl.String).alias("InvoiceId"),
        pl.col("ProviderName").alias("InvoiceIssuerName"),
        (qty * pl.col("_list_rate") * fx).alias("ListCost"),
        (list_unit_usd * fx).alias("ListUnitPrice"),
        pl.lit("Standard").alias("PricingCategory"),
        pl.lit("USD").alias("PricingCurrency"),
        contract_unit_usd.alias("PricingCurrencyContractedUnitPrice"),
        (qty * pl.col("_contract_rate")).alias("PricingCurrencyEffectiveCost"),
        list_unit_usd.alias("PricingCurrencyListUnitPrice"),
        (qty / per).alias("PricingQuantity"),
        pl.when(is_request).then(pl.lit("1000 Requests")).otherwise(pl.lit("1000000 Tokens")).alias("PricingUnit"),
        pl.col("ProviderName"),
        pl.col("PublisherName"),
        pl.lit("AI and Machine Learning").alias("ServiceCategory"),
        pl.col("ServiceName"),
        pl.lit("Generative AI").alias("ServiceSubcategory"),
        (pl.col(PROVIDER_OUT) + "/" + pl.col(RMODEL) + "/" + pl.col("x_TokenClass")).alias("SkuId"),
        pl.col("SkuMeter"),
        pl.col("SkuPriceDetails"),
        price_id.alias("SkuPriceId"),
        pl.col("Tags"),
        pl.col(TIER).alias("x_ServiceTier"),
        pl.col("x_TokenClass"),
        pl.col("model").alias("x_LoggedModel"),
        pl.col(RULE).alias("x_ContractRule"),
        pl.lit(fx, dtype=pl.Float64).alias("x_FxRate"),
        pl.lit(book.sha256).alias("x_PriceTableVersion"),
        pl.lit(book.as_of).cast(pl.String).alias("x_PriceTableAsOf"),
        pl.lit("+".join(kinds)).alias("x_SourceFormat"),
        pl.col(RMODEL).alias("_model"),
        pl.col("x_TokenClass").replace_strict(order, return_dtype=pl.Int32).alias("_order"),
    )
    # a total order (every column breaks ties): the same input gives byte-identical files
    keys = ["ChargePeriodStart", "ProviderName", "_model", "x_LoggedModel", "x_ServiceTier", "Tags", "_order"]
    return out.sort([*keys, *(c for c in COLUMNS if c not in keys)], nulls_last=True).select(COLUMNS)


def run_export(
    inputs: list[str],
    *,
    money: Money | None = None,
    tags: Sequence[str] | None = None,
    billing_account: str | None = None,
    tz: str = "UTC",
    since: str | None = None,
    until: str | None = None,
    mapping: dict[str, str] | None = None,
    pricing: Path | None = None,
    strict: bool = False,
    on_error: OnError = "fail",
    backdate_tiers: bool = False,
) -> FocusResult:
    """Price logs and turn them into FOCUS rows (charge periods are UTC days; naive --since/--until are in tz)."""
    money = money or Money()
    start, end = parse_bound(since, tz, "--since"), parse_bound(until, tz, "--until")
    usage = price_logs(
        inputs,
        by=["day", *(tags or ())],
        all_tags=tags is None,
        tz="UTC",
        since=start.isoformat() if start is not None else None,
        until=end.isoformat() if end is not None else None,
        mapping=mapping,
        pricing=pricing,
        strict=strict,
        on_error=on_error,
        backdate_tiers=backdate_tiers,
    )
    usage.cells.frame = with_contracts(usage.cells.frame, money.contracts)
    rows = build(usage, money, [d for d in usage.cells.dims if d != "day"], billing_account)
    return FocusResult(rows=rows, usage=usage, money=money)


def to_bytes(rows: pl.DataFrame, kind: str) -> bytes:
    """FOCUS rows as CSV (UTC `YYYY-MM-DDTHH:MM:SSZ`, null as empty) or Parquet (typed columns)."""
    buffer = io.BytesIO()
    if kind == "parquet":
        rows.write_parquet(buffer)
    else:
        rows.write_csv(buffer, datetime_format=DATETIME_FORMAT)
    return buffer.getvalue()
