"""`aicost logs convert`: canonical usage as Parquet that later runs price exactly like the logs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from typer.testing import Result

from aicost.schema import USAGE_SCHEMA
from tests.formats_ref import FIXTURES, close

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]


def test_converted_parquet_prices_like_the_original_logs(cli: Cli, cli_json: Json, tmp_path: Path) -> None:
    out = tmp_path / "usage.parquet"
    result = cli("logs", "convert", FIXTURES, "-o", out, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    original = cli_json("report", FIXTURES, "-q")
    converted = cli_json("report", out, "-q")
    assert close(converted["total_cost"], original["total_cost"], rel=1e-9)
    assert summary["rows_written"] == original["rows_priced"] + original["rows_unpriced"]
    assert converted["rows_read"] == summary["rows_written"]
    assert converted["rows_deduplicated"] == 0 and converted["rows_skipped"] == 0
    tokens = {k: v for k, v in original["totals"].items() if k != "cost"}
    assert {k: v for k, v in converted["totals"].items() if k != "cost"} == tokens
    frame = pl.read_parquet(out)
    assert frame.schema["timestamp"] == pl.Datetime("us", "UTC")
    assert list(frame.columns[: len(USAGE_SCHEMA)]) == list(USAGE_SCHEMA)
    assert "source_format" in frame.columns and "session_id" in frame.columns
    assert not [c for c in frame.columns if c.startswith("_aicost_")]
    assert "wrote" in result.stderr


def test_convert_writes_nothing_when_a_row_is_malformed(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text((FIXTURES / "helicone.jsonl").read_text().replace('"prompt_tokens":50', '"prompt_tokens":"fifty"'))
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    result = cli("logs", "convert", bad, "-o", out)
    assert result.exit_code == 1
    assert f"{bad}: line 1: prompt_tokens is not a number" in result.stderr
    assert out.read_bytes() == b"previous"
    assert {p.name for p in tmp_path.iterdir()} == {"bad.jsonl", "out.parquet"}  # no temporary file left
    skipped = cli("logs", "convert", bad, "-o", out, "--on-error", "skip")
    assert skipped.exit_code == 0, skipped.stderr
    assert pl.read_parquet(out).height == 1


def test_convert_needs_a_file_name(cli: Cli, tmp_path: Path) -> None:
    result = cli("logs", "convert", FIXTURES / "gemini.jsonl", "-o", tmp_path)
    assert result.exit_code == 2
    assert "give a .parquet file name" in result.stderr
