"""Totals of very large logs lose nothing: token counts are summed as integers (exact beyond 2**53, where a
float would round), and each sum is multiplied by its price once, not row by row, whatever the reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import Result

Cli = Callable[..., Result]
BIG = 2**53 + 1  # the first integer a float64 cannot hold
GPT4O_INPUT = Decimal("2.50")  # USD per million input tokens (bundled tables, no long-context tier)
GPT4O_OUTPUT = Decimal("10.00")


def write(path: Path, rows: list[dict[str, Any]], damaged_line: bool = False) -> Path:
    frame = pl.DataFrame(rows, schema_overrides={"input_tokens": pl.Int64, "output_tokens": pl.Int64})
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    elif path.suffix == ".csv":
        frame.write_csv(path)
    else:
        lines = [json.dumps(r) for r in rows]
        if damaged_line:
            lines.append('{"model": "gpt-4o", "input_tok')  # sends the file down the line-by-line reader
        path.write_text("\n".join(lines) + "\n")
    return path


def report(cli: Cli, path: Path) -> dict[str, Any]:
    result = cli("report", path, "--format", "json", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


READERS = ["jsonl", "jsonl-line-by-line", "csv", "parquet"]


def _path(tmp_path: Path, reader: str) -> tuple[Path, bool]:
    return tmp_path / f"usage.{reader.split('-', maxsplit=1)[0]}", reader == "jsonl-line-by-line"


@pytest.mark.parametrize("reader", READERS)
def test_token_sums_beyond_2_pow_53_are_exact(cli: Cli, tmp_path: Path, reader: str) -> None:
    # aggregated rows: each stands for a billion requests (billions of calls in a handful of rows)
    rows = [
        {
            "timestamp": "2026-11-02T12:00:00Z",
            "model": "gpt-4o",
            "input_tokens": BIG,
            "output_tokens": 3,
            "requests": 10**9,
        }
        for _ in range(5)
    ]
    path, damaged = _path(tmp_path, reader)
    doc = report(cli, write(path, rows, damaged))
    totals = doc["totals"]
    assert totals["input_tokens"] == 5 * BIG  # 45035996273704965: a float sum would give ...960
    assert totals["output_tokens"] == 15
    assert totals["requests"] == 5 * 10**9
    expected = (Decimal(5 * BIG) * GPT4O_INPUT + Decimal(15) * GPT4O_OUTPUT) / Decimal(10**6)
    assert Decimal(repr(doc["total_cost"])) == pytest.approx(expected, rel=Decimal("1e-15"))


@pytest.mark.parametrize("reader", READERS)
def test_many_rows_are_priced_by_one_multiplication_per_sum(cli: Cli, tmp_path: Path, reader: str) -> None:
    # 2,000 rows whose per-row costs (0.0000025 × 999,999,999,999 = 2,499,999.9999975) are not exact in
    # binary: adding 2,000 of them row by row drifts; multiplying the exact token sum once does not
    rows = [
        {"timestamp": "2026-11-02T12:00:00Z", "model": "gpt-4o", "input_tokens": 999_999_999_999, "output_tokens": 7}
        for _ in range(2_000)
    ]
    path, damaged = _path(tmp_path, reader)
    doc = report(cli, write(path, rows, damaged))
    tokens = 2_000 * 999_999_999_999
    assert doc["totals"]["input_tokens"] == tokens and doc["rows_priced"] == 2_000
    expected = (Decimal(tokens) * GPT4O_INPUT + Decimal(2_000 * 7) * GPT4O_OUTPUT) / Decimal(10**6)
    assert Decimal(repr(doc["total_cost"])) == pytest.approx(expected, rel=Decimal("4e-16"))


def test_a_count_beyond_int64_is_rejected_not_wrapped(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text(
        '{"model": "gpt-4o", "input_tokens": 9223372036854775807}\n'  # the largest Int64: kept
        '{"model": "gpt-4o", "input_tokens": 9223372036854775808}\n'  # one more: rejected
    )
    doc = report(cli, path)
    assert doc["rows_priced"] == 1 and doc["rows_rejected"] == 1
    assert doc["totals"]["input_tokens"] == 2**63 - 1
    assert doc["rejections"][0]["reason"] == "input_tokens too large"


@pytest.mark.parametrize("damaged_line", [False, True], ids=["fast-reader", "line-by-line"])
def test_a_canonical_column_first_used_after_the_sampled_lines_is_counted(
    cli: Cli, tmp_path: Path, damaged_line: bool
) -> None:
    # Polars infers a JSON-lines schema from the first 1,000 records; cache reads that start on line 1,501
    # (a team that turned prompt caching on mid-month) must still be counted, not silently dropped
    rows: list[dict[str, Any]] = [
        {"timestamp": "2026-11-02T12:00:00Z", "model": "gpt-4o", "input_tokens": 10} for _ in range(3000)
    ]
    for row in rows[1500:]:
        row["cache_read_tokens"] = 5
        row["output_tokens"] = 2
    doc = report(cli, write(tmp_path / "usage.jsonl", rows, damaged_line))
    assert doc["totals"]["input_tokens"] == 3000 * 10
    assert doc["totals"]["cache_read_tokens"] == 1500 * 5
    assert doc["totals"]["output_tokens"] == 1500 * 2
    assert doc["rows_priced"] == 3000
    # gpt-4o: $2.50/M input, $1.25/M cache reads, $10/M output
    expected = (30_000 * GPT4O_INPUT + 7_500 * Decimal("1.25") + 3_000 * GPT4O_OUTPUT) / 10**6
    assert Decimal(str(doc["total_cost"])) == expected


@pytest.mark.parametrize("damaged_line", [False, True], ids=["fast-reader", "line-by-line"])
def test_a_late_canonical_column_is_counted_when_the_token_columns_are_mapped(
    cli: Cli, tmp_path: Path, damaged_line: bool
) -> None:
    # the sample shows usage only under --map'ped names (prompt, completion): cache reads that start on
    # line 1,501 are usage all the same, not dropped because no column is literally named *_tokens
    rows: list[dict[str, Any]] = [
        {"timestamp": "2026-11-02T12:00:00Z", "model": "gpt-4o", "prompt": 10, "completion": 2} for _ in range(3000)
    ]
    for row in rows[1500:]:
        row["cache_read_tokens"] = 5
    lines = [json.dumps(r) for r in rows]
    if damaged_line:
        lines.append('{"model": "gpt-4o", "prom')
    path = tmp_path / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")
    args = ("--map", "input_tokens=prompt", "--map", "output_tokens=completion", "--on-error", "skip")
    result = cli("report", path, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["totals"]["input_tokens"] == 3000 * 10
    assert doc["totals"]["cache_read_tokens"] == 1500 * 5
    assert doc["totals"]["output_tokens"] == 3000 * 2
    # gpt-4o: $2.50/M input, $1.25/M cache reads, $10/M output
    expected = (30_000 * GPT4O_INPUT + 7_500 * Decimal("1.25") + 6_000 * GPT4O_OUTPUT) / 10**6
    assert Decimal(str(doc["total_cost"])) == expected


def test_request_ids_first_used_after_the_sampled_lines_are_de_duplicated(cli: Cli, tmp_path: Path) -> None:
    # 1,500 calls without ids, then one call logged 10 times under one id (a retried export): 1,501 calls
    rows: list[dict[str, Any]] = [
        {"timestamp": "2026-11-02T12:00:00Z", "model": "gpt-4o", "input_tokens": 1000} for _ in range(1500)
    ]
    rows += [{**rows[0], "request_id": "req-1"} for _ in range(10)]
    doc = report(cli, write(tmp_path / "usage.jsonl", rows))
    assert doc["rows_read"] == 1510
    assert doc["rows_deduplicated"] == 9
    assert doc["totals"]["requests"] == 1501
    assert doc["total_cost"] == pytest.approx(float(1501 * 1000 * GPT4O_INPUT / 10**6), rel=1e-12)
