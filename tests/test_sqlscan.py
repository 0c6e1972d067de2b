"""DuckDB groups canonical JSON-lines files for costing (aicost.sqlscan); the cells must be the Polars scan's.

The property test writes random files (times around price changes and DeepSeek's off-peak window bounds,
prompts either side of long-context tiers, tags, reported costs, calls without a time) and builds the
cells both ways for random groupings, ranges and scenario grids: they must be equal, value for value,
except FIRST_BAD (the first bad row, null where DuckDB grouped: none is bad) and the float sum of reported
costs (summed in another order). Rows costing would reject make DuckDB decline, and the result is the
Polars scan's. The hand case is worked from the bundled gpt-4o rates: USD 2.50 per million input tokens
and 10.00 per million output tokens.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from aicost import costing, sqlscan
from aicost.costing import FIRST_BAD, PTS, PTS_MAX, TS_MIN, CellGrid, CellSpec, build_cells
from aicost.ingest import scan_logs
from aicost.pricing import load_book

Cli = Callable[..., Result]
START = dt.datetime(2026, 10, 10, tzinfo=dt.UTC)  # gpt-4o's prices change on the 12th and the 14th
MODELS = [
    ("openai", "gpt-4o"),
    ("deepseek", "deepseek-chat"),  # off-peak window: bounds at 16:30 and 00:30 UTC
    (None, "gemini-2.5-pro"),  # a tier above 200k prompt tokens
    ("anthropic", "claude-sonnet-4-5"),
    (None, "no-such-model"),  # unpriced
]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    provider, model = draw(st.sampled_from(MODELS))
    record: dict[str, Any] = {"model": model}
    if provider is not None:
        record["provider"] = provider
    when = START + dt.timedelta(seconds=draw(st.integers(0, 40 * 86400)), microseconds=draw(st.integers(0, 999_999)))
    layout = draw(st.sampled_from(["%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "offset", "none", "null"]))
    if layout == "offset":
        record["timestamp"] = when.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))).isoformat()
    elif layout == "null":
        record["timestamp"] = None
    elif layout != "none":
        record["timestamp"] = when.strftime(layout)
    record["input_tokens"] = draw(st.sampled_from([0, 1, 999, 32_000, 32_001, 150_000, 200_000, 200_001, 300_000]))
    record["output_tokens"] = draw(st.integers(0, 5_000))
    if draw(st.booleans()):
        record["cache_read_tokens"] = draw(st.integers(0, 250_000))
    record["requests"] = draw(st.sampled_from([1, 1, 2, 3, None]))
    record["service_tier"] = draw(st.sampled_from([None, "batch", "priority", "default"]))
    record["team"] = draw(st.sampled_from([None, "a", "b"]))
    if draw(st.booleans()):
        record["reported_cost"] = draw(st.floats(0, 5, allow_nan=False))
    return record


SPECS = st.builds(
    CellSpec,
    dims=st.lists(st.sampled_from(["model", "team", "month", "day", "hour", "week", "service_tier"]), unique=True).map(
        tuple
    ),
    since=st.sampled_from([None, START + dt.timedelta(days=3, hours=7)]),
    until=st.sampled_from([None, START + dt.timedelta(days=30)]),
    grid=st.sampled_from([CellGrid(), CellGrid(size_edges=(50_000, 128_000), cache_edges=(0.125, 0.3, 0.5))]),
    by_file=st.booleans(),
    dedup=st.booleans(),
)


def _typed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows, the first holding a number or ISO text in each column that can hold one: a column null
    in every record Polars samples is read as text, and DuckDB leaves files with counts as text to Polars."""
    first = {"timestamp": "2026-10-20T10:00:00Z", "cache_read_tokens": 0, "requests": 1, "reported_cost": 0.25}
    return [{**rows[0], **first}, *rows[1:]]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _both(paths: list[Path], spec: CellSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The cells DuckDB grouped and the cells the Polars scan made, in one order, comparable."""
    logs = scan_logs([str(p) for p in paths])
    assert logs.sql is not None and logs.text_as_read is not None
    book = load_book()
    grouped = build_cells(logs.text_as_read, book, spec, logs.tags, sql=logs.sql).frame
    scanned = build_cells(logs.text_as_read, book, spec, logs.tags).frame
    keys = [c for c, dtype in scanned.schema.items() if not dtype.is_float() and c != FIRST_BAD]
    return grouped.drop(FIRST_BAD).sort(keys, nulls_last=True), scanned.drop(FIRST_BAD).sort(keys, nulls_last=True)


def _spy_on_group(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """A list that gets an item each time DuckDB groups logs."""
    calls: list[bool] = []
    real = sqlscan.group

    def group(*args: Any, **kwargs: Any) -> pl.DataFrame:
        calls.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(sqlscan, "group", group)
    return calls


def _assert_same(grouped: pl.DataFrame, scanned: pl.DataFrame) -> None:
    assert grouped.schema == scanned.schema
    # calls without a time are keyed at each build's own now
    timed = [PTS, PTS_MAX]
    exact = [c for c in scanned.columns if c not in ("reported_cost", *timed)]
    assert grouped.select(exact).equals(scanned.select(exact))
    assert grouped["reported_cost"].to_list() == pytest.approx(scanned["reported_cost"].to_list(), rel=1e-12)
    known = pl.col(TS_MIN).is_not_null()
    assert grouped.filter(known).select(timed).equals(scanned.filter(known).select(timed))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.lists(records(), min_size=1, max_size=40), min_size=1, max_size=2), spec=SPECS)
def test_cells_are_the_polars_scans(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[list[dict[str, Any]]], spec: CellSpec
) -> None:
    paths = [_write(tmp_path / f"log{i}.jsonl", _typed(rows)) for i, rows in enumerate(files)]
    calls = _spy_on_group(monkeypatch)
    grouped, scanned = _both(paths, spec)
    assert calls, "DuckDB did not group the logs"
    _assert_same(grouped, scanned)


@pytest.mark.parametrize(
    "odd",
    [
        {"input_tokens": -5},
        {"input_tokens": 1.5},
        {"requests": 0, "input_tokens": 10},
        {"model": "  "},
        {"model": " gpt-4o"},  # costing strips it and prices it; DuckDB's check leaves it to Polars
        {"timestamp": "2026-10-20T00:00:00.123456789Z"},  # nanoseconds: Polars parses them
        {"timestamp": "yesterday"},
        {"timestamp": "2099-01-01T00:00:00Z"},
        {"timestamp": "1999-12-31T23:59:59Z"},
        # costing takes these exactly, in integers; DuckDB's doubles would not add them up exactly
        {"input_tokens": 2**52 + 1},
        {"input_tokens": 2**51 - 1, "copies": 5},  # each is fine, their sum is beyond 2**53
    ],
)
def test_rows_costing_would_reject_leave_the_file_to_polars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: dict[str, Any]
) -> None:
    ok = {"timestamp": "2026-10-20T10:00:00Z", "model": "gpt-4o", "input_tokens": 100, "reported_cost": 0.25}
    # past the 1,000 records types are inferred from, so that the odd value reaches DuckDB's reader
    text = "".join(json.dumps(ok) + "\n" for _ in range(1_000))
    odd = dict(odd)
    copies = odd.pop("copies", 1)
    text += (json.dumps({**ok, **odd}) + "\n") * copies
    path = tmp_path / "odd.jsonl"
    path.write_text(text)
    declined: list[object] = []
    real = costing._sql_groups

    def days(*args: Any) -> pl.DataFrame | None:
        out = real(*args)
        declined.append(out is None)
        return out

    monkeypatch.setattr(costing, "_sql_groups", days)
    grouped, scanned = _both([path], CellSpec(dims=("model",)))
    assert declined == [True]
    _assert_same(grouped, scanned)


def test_a_clean_file_priced_by_hand(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grouped = _spy_on_group(monkeypatch)
    # 1,000 calls of 1,000 input and 100 output tokens in November, 500 of 2,000 and 10 in October
    november = {"timestamp": "2026-11-02T12:00:00Z", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 100}
    october = {"timestamp": "2026-10-20T23:59:59.5Z", "model": "gpt-4o", "input_tokens": 2000, "output_tokens": 10}
    rows = [november] * 1000 + [october] * 500
    path = _write(tmp_path / "clean.jsonl", rows)
    result = cli("report", path, "--by", "month", "--format", "json")
    assert result.exit_code == 0, result.stderr
    got = {r["month"]: r for r in json.loads(result.stdout)["rows"]}
    # November: 1M input x 2.50 + 0.1M output x 10.00 = 2.50 + 1.00; October: 1M x 2.50 + 5,000 x 10 / 1M
    assert grouped, "DuckDB did not group the file"
    assert got["2026-11"]["cost"] == pytest.approx(3.50, abs=1e-12)
    assert got["2026-10"]["cost"] == pytest.approx(2.55, abs=1e-12)
    assert got["2026-11"]["requests"] == 1000 and got["2026-10"]["requests"] == 500
