"""What the log scan derives once per cell instead of once per row prices exactly as per row would.

The scan groups text as read, UTC days or hours and day segments; stripping, tier names, price epochs,
window states and periods are derived per cell. Each test compares with the same calls priced one by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from aicost.pricing import load_book, rates_at

UTC = dt.UTC
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Any]


def one_by_one(rows: list[dict[str, Any]]) -> float:
    """Each call priced on its own with rates_at (standard tier, no tiers crossed)."""
    book = load_book()
    cost = 0.0
    for row in rows:
        r = book.resolve(row.get("provider"), row["model"].strip())
        assert r.price_provider is not None and r.model is not None
        rates = rates_at(book.model(r.price_provider, r.model), row["timestamp"], "standard", 0.0)
        assert rates.input is not None and rates.output is not None
        cost += (row.get("input_tokens", 0) * rates.input + row.get("output_tokens", 0) * rates.output) / 1e6
    return cost


def test_text_is_stripped_per_cell(make_log: MakeLog, cli_json: Json) -> None:
    rows = [
        {"provider": " openai ", "model": "gpt-4o ", "input_tokens": 1_000, "output_tokens": 100},
        {"provider": "openai", "model": "gpt-4o", "input_tokens": 2_000, "output_tokens": 200},
        {"provider": "openai", "model": "\tgpt-4o", "service_tier": " Default ", "input_tokens": 10},
    ]
    doc = cli_json("report", make_log(rows), "--by", "provider,model,service_tier")
    assert [(r["provider"], r["model"], r["service_tier"]) for r in doc["rows"]] == [("openai", "gpt-4o", "standard")]
    assert doc["rows"][0]["requests"] == 3
    assert doc["total_cost"] == pytest.approx((3_010 * 2.5 + 300 * 10) / 1e6, rel=1e-12)


def test_blank_model_is_rejected(make_log: MakeLog, cli: Callable[..., Any]) -> None:
    # a blank (whitespace) model is checked once per cell, after the row's own field checks: alone it is
    # "missing model"; with a bad count too, the count (the row's first problem) is named
    blank = make_log([{"model": "gpt-4o", "input_tokens": 10}, {"model": "   ", "input_tokens": 5}])
    result = cli("report", blank, "--format", "json")
    assert result.exit_code == 1
    assert "row 2: missing model" in result.stderr
    both = make_log([{"model": "gpt-4o", "input_tokens": 10}, {"model": "   ", "input_tokens": -5}])
    result = cli("report", both, "--format", "json")
    assert result.exit_code == 1
    assert "row 2: input_tokens is negative" in result.stderr


def test_deepseek_windows_across_days_and_weekdays(make_log: MakeLog, cli_json: Json) -> None:
    # every half hour for nine days: every day segment of every weekday, peak and off-peak
    start = dt.datetime(2026, 11, 2, 0, 15, tzinfo=UTC)
    rows = [
        {
            "timestamp": start + dt.timedelta(minutes=30 * i),
            "provider": "deepseek",
            "model": "deepseek-v4-flash",
            "input_tokens": 1_000 + i,
            "output_tokens": 100,
        }
        for i in range(9 * 48)
    ]
    doc = cli_json("report", make_log(rows))
    assert doc["total_cost"] == pytest.approx(one_by_one(rows), rel=1e-12)
    by_hour = cli_json("report", make_log(rows), "--by", "hour")
    assert len(by_hour["rows"]) == 9 * 24
    assert by_hour["total_cost"] == pytest.approx(doc["total_cost"], rel=1e-12)


def test_price_change_at_midnight_and_periods(make_log: MakeLog, cli_json: Json) -> None:
    # o3's price changed on 2025-06-10: the calls just before and after midnight price differently
    rows = [
        {"timestamp": dt.datetime(2025, 6, 9, 23, 59, 59, tzinfo=UTC), "model": "o3", "input_tokens": 10**6},
        {"timestamp": dt.datetime(2025, 6, 10, 0, 0, 0, tzinfo=UTC), "model": "o3", "input_tokens": 10**6},
    ]
    doc = cli_json("report", make_log(rows), "--by", "day")
    assert [r["day"] for r in doc["rows"]] == ["2025-06-09", "2025-06-10"]
    assert doc["total_cost"] == pytest.approx(one_by_one(rows), rel=1e-12)
    assert doc["rows"][0]["cost"] != doc["rows"][1]["cost"]
    weeks = cli_json("report", make_log(rows), "--by", "week,month,quarter,year")
    assert [(r["week"], r["month"], r["quarter"], r["year"]) for r in weeks["rows"]] == [
        ("2025-06-09", "2025-06", "2025-Q2", "2025")
    ]


def test_rows_without_timestamp_price_now_and_have_no_period(make_log: MakeLog, cli_json: Json) -> None:
    rows = [
        {"timestamp": None, "model": "gpt-4o", "input_tokens": 1_000},
        {"timestamp": dt.datetime(2026, 1, 5, tzinfo=UTC), "model": "gpt-4o", "input_tokens": 1_000},
    ]
    doc = cli_json("report", make_log(rows), "--by", "month")
    assert [r["month"] for r in doc["rows"]] == ["2026-01", None]
    assert doc["total_cost"] == pytest.approx(2_000 * 2.5 / 1e6, rel=1e-12)


def test_jsonl_key_null_on_every_sampled_line(tmp_path: Any, cli_json: Json) -> None:
    # schema inference samples the first lines: a service tier first seen on line 1,201 is still read
    path = tmp_path / "late-tier.jsonl"
    lines = ['{"model": "gpt-5-mini", "input_tokens": 1000, "service_tier": null}'] * 1_200
    lines.append('{"model": "gpt-5-mini", "input_tokens": 1000, "service_tier": "flex"}')
    path.write_text("\n".join(lines) + "\n")
    doc = cli_json("report", path, "--by", "service_tier")
    assert {r["service_tier"]: r["requests"] for r in doc["rows"]} == {"standard": 1_200, "flex": 1}


def test_cells_merged_across_other_models_price_changes(make_log: MakeLog, cli_json: Json) -> None:
    # a call a second either side of every book-wide price change, for models with and without their own
    # changes and windows: merged cells must price exactly as the calls one by one
    bounds = load_book().epoch_bounds
    models = [
        ("openai", "gpt-4o"),
        ("openai", "o3"),
        ("deepseek", "deepseek-v4-flash"),
        ("mistral", "mistral-small-latest"),
    ]
    rows = [
        {
            "timestamp": b + dt.timedelta(seconds=s),
            "provider": p,
            "model": m,
            "input_tokens": 1_000 + i,
            "output_tokens": 7,
        }
        for i, b in enumerate(bounds)
        for s in (-1, 0, 3_600 * 9)
        for p, m in models
    ]
    doc = cli_json("report", make_log(rows))
    assert doc["total_cost"] == pytest.approx(one_by_one(rows), rel=1e-12)
    assert doc["rows_priced"] == len(rows)


def test_model_first_met_after_the_sampled_rows_still_splits_at_its_price_dates(
    make_log: MakeLog, cli_json: Json
) -> None:
    # cells are cut at the price dates of the models in the first rows; o3, first met after them, cut its
    # price on 2025-06-10 ($10/M → $2/M input): its calls either side must not share a cell
    filler = [{"timestamp": dt.datetime(2025, 6, 1, tzinfo=UTC), "model": "gpt-4o", "input_tokens": 1_000}] * 60_000
    late = [
        {"timestamp": dt.datetime(2025, 6, 9, 23, 59, 59, tzinfo=UTC), "model": "o3", "input_tokens": 100_000},
        {"timestamp": dt.datetime(2025, 6, 10, 0, 0, 0, tzinfo=UTC), "model": "o3", "input_tokens": 100_000},
    ]
    log = make_log(filler + late)
    doc = cli_json("report", log, "--by", "model")
    costs = {r["model"]: r["cost"] for r in doc["rows"]}
    assert costs["o3"] == pytest.approx(100_000 * 10 / 1e6 + 100_000 * 2 / 1e6, rel=1e-12)
    assert costs["gpt-4o"] == pytest.approx(60_000 * 1_000 * 2.5 / 1e6, rel=1e-12)
    # scenarios see o3's calls apart too: half of the requests, dearest first, to a free model leaves $0.20
    scenario = log.parent / "largest.toml"
    scenario.write_text(
        'schema = "aicost.scenario/1"\nname = "largest"\n[[move]]\nfrom = ["o3"]\nshare = 0.5\n'
        'pick = "largest"\nprice_ratio = 0.0\n'
    )
    sim = cli_json("simulate", log, "--scenario", scenario)
    assert sim["scenarios"][0]["total_cost"] == pytest.approx(60_000 * 1_000 * 2.5 / 1e6 + 0.2, rel=1e-12)
