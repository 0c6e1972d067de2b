"""JSON-lines files on disk are read by DuckDB (aicost.ingest.ndjson); what they mean must not change.

Odd values are put after the first 1,000 records, past the lines the schema is inferred from, so that
they reach the DuckDB reader as the file's ordinary types do (a 1.5 among the sampled lines would make
the column text from the start). Expected figures are worked by hand from the bundled gpt-4o rates:
USD 2.50 per million input tokens and 10.00 per million output tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import Result

from aicost.ingest import ndjson, read_raw
from aicost.ingest.files import LogFile
from aicost.ingest.lines import sample_keys
from aicost.ingest.ndjson import TS_REST, scan

Cli = Callable[..., Result]
FILLER = 1000  # records of 1 input token each, before the odd ones


def _record(timestamp: Any, team: Any = "a", **counts: Any) -> str:
    return json.dumps({"timestamp": timestamp, "model": "gpt-4o", "team": team, **counts})


ODD = [
    # line 1001: milliseconds and Z
    _record("2026-11-02T12:00:00.123Z", team=7, input_tokens=1000, output_tokens=100),
    # 1002: a boolean tag reads as its text, as line by line
    _record("2026-11-02T12:00:00Z", team=True, input_tokens=2000, output_tokens=200),
    # 1003: an offset: 23:00 UTC on the 2nd, not the 3rd
    _record("2026-11-03T01:00:00.5+02:00", input_tokens=3000, output_tokens=300),
    # 1004: nanoseconds, beyond DuckDB's layouts: parsed from the text passed on (the 3rd, UTC)
    _record("2026-11-03T00:00:00.123456789Z", input_tokens=4000, output_tokens=400),
    # 1005: no layout takes it: rejected
    _record("yesterday", input_tokens=5000),
    # 1006: not a whole number: rejected (DuckDB would round it to 2 as an integer)
    _record("2026-11-02T12:00:00Z", input_tokens=1.5),
    # 1007: a count written as text is the number, as line by line
    _record("2026-11-02T12:00:00Z", input_tokens="600", output_tokens=60),
    # 1008: padded with spaces: DuckDB's layouts refuse it, the text passed on is stripped and parsed
    _record(" 2026-11-02T12:00:00Z ", input_tokens=700),
    # 1009: blank
    "",
    # 1010: negative: rejected, named by its line (the blank one counted)
    _record("2026-11-02T12:00:00Z", input_tokens=-5),
]


def _log(path: Path) -> Path:
    lines = [_record("2026-11-02T10:00:00Z", input_tokens=1, output_tokens=0) for _ in range(FILLER)]
    path.write_text("\n".join(lines + ODD) + "\n")
    return path


def _doc(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_file_is_read_by_duckdb(tmp_path: Path) -> None:
    frame = read_raw(LogFile(path=str(_log(tmp_path / "usage.jsonl")), kind="jsonl", index=0))
    schema = frame.collect_schema()
    assert schema["timestamp"] == pl.Datetime("us", "UTC") and TS_REST in schema
    assert schema["input_tokens"] == pl.Float64  # a count read as a double: 1.5 stays 1.5
    assert schema["team"] == pl.String


def test_values_mean_what_they_mean_line_by_line(cli: Cli, tmp_path: Path) -> None:
    log = _log(tmp_path / "usage.jsonl")
    doc = _doc(cli("report", log, "--by", "day", "--format", "json", "--on-error", "skip"))
    totals = doc["totals"]
    # priced: the filler (1,000 x 1) and lines 1001-1004, 1007, 1008
    assert totals["input_tokens"] == FILLER + 1000 + 2000 + 3000 + 4000 + 600 + 700 == 12_300
    assert totals["output_tokens"] == 100 + 200 + 300 + 400 + 60 == 1060
    assert totals["requests"] == FILLER + 6
    # 12,300 x 2.50/M + 1,060 x 10/M = 0.03075 + 0.0106
    assert doc["total_cost"] == pytest.approx(0.04135, abs=1e-12)
    days = {row["day"]: row for row in doc["rows"]}
    assert set(days) == {"2026-11-02", "2026-11-03"}
    # the 3rd holds only line 1004: 4,000 x 2.50/M + 400 x 10/M
    assert days["2026-11-03"]["input_tokens"] == 4000
    assert days["2026-11-03"]["cost"] == pytest.approx(0.014, abs=1e-12)
    reasons = {r["reason"]: r["first"] for r in doc["rejections"]}
    assert reasons == {
        "timestamp does not parse": f"{log}: line 1005",
        "input_tokens is not a whole number": f"{log}: line 1006",
        "input_tokens is negative": f"{log}: line 1010",
    }


def test_tags_read_as_their_text(cli: Cli, tmp_path: Path) -> None:
    doc = _doc(cli("report", _log(tmp_path / "usage.jsonl"), "--by", "team", "--format", "json", "--on-error", "skip"))
    teams = {row["team"]: row["input_tokens"] for row in doc["rows"]}
    assert teams == {"7": 1000, "true": 2000, "a": FILLER + 3000 + 4000 + 600 + 700}


def test_stdin_read_by_polars_agrees(cli: Cli, tmp_path: Path) -> None:
    """The same bytes piped (Polars' reader, then line by line on the 1.5) give the same report."""
    log = _log(tmp_path / "usage.jsonl")
    args = ("--by", "day,team", "--format", "json", "--on-error", "skip")
    on_disk = _doc(cli("report", log, *args))
    piped = _doc(cli("report", "-", *args, input=log.read_bytes()))
    assert piped["rows"] == on_disk["rows"] and piped["totals"] == on_disk["totals"]
    assert [r["reason"] for r in piped["rejections"]] == [r["reason"] for r in on_disk["rejections"]]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_compressed_files_too(cli: Cli, tmp_path: Path, suffix: str) -> None:
    plain = _log(tmp_path / "usage.jsonl").read_bytes()
    path = tmp_path / f"usage{suffix}"
    if suffix.endswith(".gz"):
        import gzip

        path.write_bytes(gzip.compress(plain))
    else:
        import zstandard

        path.write_bytes(zstandard.ZstdCompressor().compress(plain))
    assert TS_REST in read_raw(LogFile(path=str(path), kind="jsonl", index=0)).collect_schema()
    doc = _doc(cli("report", path, "--format", "json", "--on-error", "skip"))
    assert doc["totals"]["input_tokens"] == 12_300
    assert doc["total_cost"] == pytest.approx(0.04135, abs=1e-12)


def test_what_duckdb_declines(tmp_path: Path) -> None:
    flat = {"timestamp": pl.String(), "model": pl.String(), "input_tokens": pl.Int64()}
    assert scan(str(tmp_path / "a.jsonl"), flat, iso_timestamps=True) is not None
    # a nested value (Polars keeps it a struct), a name DuckDB would take as a glob, names differing in case
    assert scan(str(tmp_path / "a.jsonl"), flat | {"meta": pl.Struct({"k": pl.Int64()})}, iso_timestamps=True) is None
    assert scan(str(tmp_path / "a[1].jsonl"), flat, iso_timestamps=True) is None
    cased = flat | {"Team": pl.String(), "team": pl.String()}
    assert scan(str(tmp_path / "a.jsonl"), cased, iso_timestamps=True) is None
    # timestamps of another layout than ISO 8601 with an offset stay with Polars' reader and parsing
    assert scan(str(tmp_path / "a.jsonl"), flat, iso_timestamps=False) is None


def test_naive_timestamps_keep_polars_reader(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "naive.jsonl"
    path.write_text(_record("2026-11-02 12:00:00", input_tokens=1_000_000) + "\n")
    assert TS_REST not in read_raw(LogFile(path=str(path), kind="jsonl", index=0)).collect_schema()
    doc = _doc(cli("report", path, "--format", "json"))
    assert doc["total_cost"] == pytest.approx(2.50, abs=1e-12)


def test_a_quote_in_the_file_name(cli: Cli, tmp_path: Path) -> None:
    path = _log(tmp_path / "it's usage.jsonl")
    assert TS_REST in read_raw(LogFile(path=str(path), kind="jsonl", index=0)).collect_schema()
    assert _doc(cli("report", path, "--format", "json", "--on-error", "skip"))["totals"]["input_tokens"] == 12_300


def test_a_connection_opened_ahead_is_handed_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    opened: list[Any] = []

    def counted() -> Any:
        opened.append(connection := real())
        return connection

    real = duckdb.connect
    ndjson.connect().close()  # one an earlier read opened ahead and left
    monkeypatch.setattr(duckdb, "connect", counted)
    ndjson.prepare_connection()
    ndjson.prepare_connection()  # one is being opened already: no second
    first = ndjson.connect()
    assert opened == [first]  # the one opened ahead
    second = ndjson.connect()
    assert opened == [first, second]  # then a new one each time
    try:
        first.execute("CREATE TABLE t AS SELECT 1 AS one")
        assert first.sql("SELECT one FROM t").fetchall() == [(1,)]
        assert second.sql("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]  # a database of its own
    finally:
        first.close()
        second.close()


def test_keys_are_sampled_from_lines_only_python_s_json_reads(tmp_path: Path) -> None:
    # msgspec reads the sample first; NaN and a number beyond a double are JSON only to Python's reader
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"model": "gpt-4o", "reported_cost": NaN}\n'
        '{"model": "gpt-4o", "team": 1e400, "meta": {"a": 1}}\n'
        "not json\n"
        '{"input_tokens": 5, "tags": [1]}\n' + "[" * 100_000 + "\n"  # nested too deep for either
    )
    keys, nested = sample_keys(LogFile(path=str(path), kind="jsonl", index=0), None)
    assert keys == ["model", "reported_cost", "team", "meta", "input_tokens", "tags"]
    assert nested == {"meta", "tags"}
