"""The references aicost is measured against, each run by bench/run.py in a fresh process.

    python bench/reference.py prices OUT.csv                    # the flat price table (one rate per class)
    python bench/reference.py duckdb LOG PRICES.csv             # the hand-written DuckDB SQL, JSON out
    python bench/reference.py polars LOG PRICES.csv             # the same query in Polars (scan_ndjson)
    python bench/reference.py genai LOG --sample 100000         # per-call genai-prices calc_price loop
    python bench/reference.py order LOG SCENARIO.toml... --sample 200000   # scenario cells vs calls one by one

The DuckDB query is what an analyst writes by hand: join the log to a price table flattened to one rate
per model and token class, group by model and month. It knows nothing of long-context tiers, price
history, time-of-day windows or service tiers, so it matches aicost exactly only on a log without them
(`generate.py --flat`); on the realistic log it is the timing reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `aicost` importable from the repo
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PRICE_COLUMNS = ("input", "cache_read", "cache_write", "cache_write_1h", "output")

QUERY = """
SELECT
    l.model,
    date_trunc('month', l.timestamp) AS month,
    sum(l.requests) AS requests,
    sum(l.input_tokens * p.input + l.cache_read_tokens * p.cache_read + l.cache_write_tokens * p.cache_write
        + l.cache_write_1h_tokens * p.cache_write_1h + l.output_tokens * p.output) / 1e6
        + sum(l.requests * p.per_request) AS cost
FROM {source} AS l
JOIN read_csv('{prices}') AS p ON l.provider = p.provider AND l.model = p.model
GROUP BY ALL
ORDER BY month, l.model
"""


def flat_prices(out: Path, when: dt.datetime | None = None) -> Path:
    """Write the price table the SQL joins: each generated (provider, model) at its standard rates.

    Rates are aicost's own for the model at `when` (default: the end of the generated year) and a prompt
    below every tier, with parent-class fallbacks filled in; USD per million tokens, fee USD per request.
    """
    import polars as pl

    from aicost.pricing import load_book, rates_at
    from bench.generate import END, MIXES

    book = load_book()
    at = when or END - dt.timedelta(days=1)
    rows = []
    for mix in MIXES:
        resolved = book.resolve(mix.provider, mix.model)
        assert resolved.price_provider is not None and resolved.model is not None, mix
        r = rates_at(book.model(resolved.price_provider, resolved.model), at, "standard", 0.0)
        rows.append(
            {
                "provider": mix.provider,
                "model": mix.model,
                **{c: getattr(r, c) or 0.0 for c in PRICE_COLUMNS},
                "per_request": r.per_request,
            }
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_csv(out)
    return out


def run_duckdb(log: Path, prices: Path) -> dict[str, Any]:
    """The reference query over a Parquet or JSONL log; rows and total cost."""
    import duckdb

    reader = "read_ndjson" if log.suffix in (".jsonl", ".ndjson") else "read_parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    query = QUERY.format(source=f"{reader}('{log}')", prices=prices)
    rows = con.execute(query).fetchall()
    return {
        "rows": [{"model": m, "month": f"{month:%Y-%m}", "requests": n, "cost": c} for m, month, n, c in rows],
        "total_cost": sum(c for *_, c in rows),
        "requests": sum(n for _, _, n, _ in rows),
    }


def run_polars(log: Path, prices: Path) -> dict[str, Any]:
    """The reference query written in Polars, as a Polars user would: on JSONL, Polars' NDJSON scanner.

    Not a target: aicost read JSONL with that scanner until it moved to DuckDB's reader, which this shows
    the cost of (tiers, history, windows, variants, checks and row accounting are aicost's work on top).
    """
    import polars as pl

    if log.suffix in (".jsonl", ".ndjson"):
        logs = pl.scan_ndjson(log, infer_schema_length=1000, schema_overrides={"service_tier": pl.String})
        ts = pl.col("timestamp").str.to_datetime(time_zone="UTC")
    else:
        logs = pl.scan_parquet(log)
        ts = pl.col("timestamp")
    rates = pl.scan_csv(prices)
    cost = sum(pl.col(f"{c}_tokens") * pl.col(c) for c in PRICE_COLUMNS) / 1e6 + pl.col("requests") * pl.col(
        "per_request"
    )
    out = (
        logs.join(rates, on=["provider", "model"])
        .group_by("model", ts.dt.truncate("1mo").alias("month"))
        .agg(pl.col("requests").sum(), cost.sum().alias("cost"))
        .sort("month", "model")
        .collect(engine="streaming")
    )
    return {
        "rows": out.height,
        "total_cost": float(out["cost"].sum()),
        "requests": int(out["requests"].sum()),
    }


def run_genai(log: Path, sample: int) -> dict[str, Any]:
    """Price the first `sample` calls one by one with genai-prices' calc_price; time the loop alone."""
    import polars as pl
    from genai_prices import Usage, calc_price

    frame = pl.scan_parquet(log).head(sample).collect() if log.suffix == ".parquet" else None
    if frame is None:
        frame = pl.read_ndjson(log, n_rows=sample).with_columns(pl.col("timestamp").str.to_datetime(time_zone="UTC"))
    contexts = {
        "batch": {"processing": "batch"},
        "flex": {"service_tier": "flex"},
        "priority": {"service_tier": "priority"},
    }
    start = time.perf_counter()
    total = 0.0
    failed = 0
    for row in frame.iter_rows(named=True):
        usage = Usage(
            input_tokens=row["input_tokens"]
            + row["cache_read_tokens"]
            + row["cache_write_tokens"]
            + row["cache_write_1h_tokens"],
            cache_read_tokens=row["cache_read_tokens"],
            cache_write_tokens=row["cache_write_tokens"] + row["cache_write_1h_tokens"],
            output_tokens=row["output_tokens"],
        )
        try:
            price = calc_price(
                usage,
                row["model"],
                provider_id=row["provider"],
                genai_request_timestamp=row["timestamp"],
                price_context=contexts.get(row["service_tier"] or ""),
            )
        except LookupError:
            failed += 1
            continue
        total += float(price.total_price)
    seconds = time.perf_counter() - start
    return {
        "calls": frame.height,
        "seconds": seconds,
        "calls_per_second": frame.height / seconds,
        "total_cost": total,
        "unpriced": failed,
    }


def run_order(log: Path, scenarios: list[Path], sample: int) -> dict[str, Any]:
    """Scenario results on aicost's cells against the same scenarios with one cell per call.

    `pick = smallest/largest` orders cells by their cost per request, and a cache override raises each
    cell's hit rate: exact per call only when every call is its own cell (`--by call`, a unique tag).
    Taken on every k-th call of the log, `sample` calls in all.
    """
    import tempfile

    import polars as pl

    from aicost.simulate import run_simulate

    total = pl.scan_parquet(log).select(pl.len()).collect().item()
    calls = (
        pl.scan_parquet(log)
        .gather_every(max(1, total // sample))
        .head(sample)
        .with_row_index("call")
        .with_columns(pl.col("call").cast(pl.String))
        .collect()
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sample.parquet"
        calls.write_parquet(path)
        cells = run_simulate([str(path)], scenario_files=scenarios)
        one_by_one = run_simulate([str(path)], scenario_files=scenarios, by=("call",))
    exact = {o.scenario.name: o.total_cost for o in one_by_one.outcomes}
    errors = {o.scenario.name: o.total_cost / exact[o.scenario.name] - 1 for o in cells.outcomes}
    return {
        "calls": calls.height,
        "cells": cells.usage.cells.frame.height,
        "scenarios": {
            n: {"cells": c.total_cost, "per_call": exact[n], "error": errors[n]}
            for n, c in ((o.scenario.name, o) for o in cells.outcomes)
        },
        "max_abs_error": max(abs(e) for e in errors.values()),
        "mean_abs_error": sum(abs(e) for e in errors.values()) / len(errors),
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: one reference, its result as JSON on stdout."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("prices")
    p.add_argument("out", type=Path)
    d = sub.add_parser("duckdb")
    d.add_argument("log", type=Path)
    d.add_argument("prices", type=Path)
    q = sub.add_parser("polars")
    q.add_argument("log", type=Path)
    q.add_argument("prices", type=Path)
    g = sub.add_parser("genai")
    g.add_argument("log", type=Path)
    g.add_argument("--sample", type=int, default=100_000)
    o = sub.add_parser("order")
    o.add_argument("log", type=Path)
    o.add_argument("scenarios", type=Path, nargs="+")
    o.add_argument("--sample", type=int, default=200_000)
    args = parser.parse_args(argv)
    if args.what == "prices":
        result: dict[str, Any] = {"path": str(flat_prices(args.out))}
    elif args.what == "duckdb":
        result = run_duckdb(args.log, args.prices)
    elif args.what == "polars":
        result = run_polars(args.log, args.prices)
    elif args.what == "order":
        result = run_order(args.log, args.scenarios, args.sample)
    else:
        result = run_genai(args.log, args.sample)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
