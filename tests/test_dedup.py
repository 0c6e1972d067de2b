"""Request-id de-duplication: the first usable copy of an id counts, across files, whatever the log's size.

aicost finds the ids the logs may repeat from the id column alone (hashes, sorted), keeps those rows one
by one through the scan and flags the later copies after it (aicost.costing._repeated_ids). These tests
check the rule against a plain Python model of it, including ids that share a hash.
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

from aicost import costing

Cli = Callable[..., Result]
WHEN = dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)


def _write(path: Path, rows: list[tuple[int, str | None]]) -> Path:
    """(input tokens, request id) rows of gpt-4o calls; a negative count is a rejected row."""
    frame = pl.DataFrame(
        [{"timestamp": WHEN, "model": "gpt-4o", "input_tokens": n, "request_id": rid} for n, rid in rows],
        schema_overrides={"input_tokens": pl.Int64, "request_id": pl.String},
    )
    frame.write_parquet(path)
    return path


def _report(cli: Cli, *paths: Path) -> dict[str, Any]:
    result = cli("report", *paths, "--format", "json", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _expected(files: list[list[tuple[int, str | None]]]) -> tuple[int, int, int]:
    """(input tokens counted, rows de-duplicated, rows rejected): the first usable copy of an id wins."""
    seen: set[str] = set()
    tokens = dups = rejected = 0
    for rows in files:
        for n, rid in rows:
            if n < 0:
                rejected += 1
                continue
            key = None if rid is None else rid.strip()
            if key is not None and key in seen:
                dups += 1
                continue
            if key is not None:
                seen.add(key)
            tokens += n
    return tokens, dups, rejected


def test_first_usable_copy_counts_across_files(cli: Cli, tmp_path: Path) -> None:
    first = _write(tmp_path / "a.parquet", [(100, "r1"), (-5, "r2"), (7, None), (40, "r3")])
    second = _write(tmp_path / "b.parquet", [(200, "r1"), (300, "r2"), (400, " r3 "), (7, None), (50, "r1")])
    doc = _report(cli, first, second)
    # r1: 100 counts (200, 50 are copies); r2: the rejected -5 does not compete, 300 counts; r3: 40
    # counts (" r3 " is the same id once stripped); the two id-less rows both count
    assert doc["totals"]["input_tokens"] == 100 + 300 + 40 + 7 + 7
    assert doc["rows_deduplicated"] == 3 and doc["rows_rejected"] == 1 and doc["rows_read"] == 9
    # 454 tokens at USD 2.50 per million
    assert doc["total_cost"] == pytest.approx(454 * 2.5e-6, abs=1e-15)


def test_ids_sharing_a_hash_are_told_apart(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id given one hash: all rows become candidates, and only true copies are flagged."""
    monkeypatch.setattr(costing, "_id_hash", lambda: (pl.col("request_id").str.len_bytes() * 0).cast(pl.UInt64))
    log = _write(tmp_path / "a.parquet", [(1, "x"), (2, "y"), (4, "x"), (8, "z"), (16, "y")])
    doc = _report(cli, log)
    assert doc["totals"]["input_tokens"] == 1 + 2 + 8
    assert doc["rows_deduplicated"] == 2


rows_strategy = st.lists(
    st.tuples(st.integers(-3, 50), st.one_of(st.none(), st.sampled_from(["a", "b", " a", "c ", "d"]))),
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(rows_strategy, min_size=1, max_size=3))
def test_matches_the_rule(cli: Cli, tmp_path: Path, files: list[list[tuple[int, str | None]]]) -> None:
    files = [rows for rows in files if rows] or [[(1, "a")]]
    paths = [_write(tmp_path / f"log{i}.parquet", rows) for i, rows in enumerate(files)]
    doc = _report(cli, *paths)
    tokens, dups, rejected = _expected(files)
    assert doc["totals"]["input_tokens"] == tokens
    assert doc["rows_deduplicated"] == dups
    assert doc["rows_rejected"] == rejected
