"""`aicost report` through the CLI: inputs, dimensions, periods, formats, errors and exit codes."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import zstandard
from typer.testing import Result

from aicost.cli import app
from tests.conftest import REPO

UTC = dt.UTC
Cli = Callable[..., Result]
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Path]

# gpt-4o: $2.50 in / $10 out per million; 1M in + 100k out = $3.50 a call
CALL = {"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000}


def test_formats_and_inputs_agree(make_log: MakeLog, cli_json: Json, tmp_path: Path) -> None:
    rows = [CALL, {**CALL, "timestamp": dt.datetime(2026, 10, 3, tzinfo=UTC)}]
    expected = 7.0
    for fmt in ("parquet", "jsonl", "csv"):
        assert cli_json("report", make_log(rows, fmt))["total_cost"] == pytest.approx(expected, rel=1e-12)
    jsonl = make_log(rows, "jsonl", name="plain.jsonl")
    gz = tmp_path / "packed.jsonl.gz"
    gz.write_bytes(gzip.compress(jsonl.read_bytes()))
    assert cli_json("report", gz)["total_cost"] == pytest.approx(expected, rel=1e-12)
    zst = tmp_path / "packed.jsonl.zst"
    zst.write_bytes(zstandard.ZstdCompressor().compress(jsonl.read_bytes()))
    assert cli_json("report", zst)["total_cost"] == pytest.approx(expected, rel=1e-12)


def test_folder_glob_and_several_files(make_log: MakeLog, cli_json: Json, tmp_path: Path) -> None:
    make_log([CALL], name="logs/a.parquet")
    make_log([CALL], "jsonl", name="logs/deeper/b.jsonl")
    make_log([CALL], "csv", name="logs/c.csv")
    (tmp_path / "logs" / "notes.txt").write_text("not a log")
    assert cli_json("report", tmp_path / "logs")["total_cost"] == pytest.approx(10.5, rel=1e-12)
    assert cli_json("report", str(tmp_path / "logs" / "*.parquet"))["total_cost"] == pytest.approx(3.5)
    doc = cli_json("report", tmp_path / "logs" / "a.parquet", tmp_path / "logs" / "c.csv")
    assert doc["total_cost"] == pytest.approx(7.0) and len(doc["inputs"]) == 2


def test_stdin_jsonl(cli: Cli, make_log: MakeLog) -> None:
    data = make_log([CALL, CALL], "jsonl").read_text()
    result = cli("report", "-", "--format", "json", input=data)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total_cost"] == pytest.approx(7.0)


def test_breakdowns_by_model_tag_and_period(make_log: MakeLog, cli_json: Json) -> None:
    rows = [
        {**CALL, "team": "search", "timestamp": dt.datetime(2026, 9, 30, 23, 30, tzinfo=UTC)},
        {**CALL, "team": "search", "timestamp": dt.datetime(2026, 10, 1, 0, 30, tzinfo=UTC)},
        {**CALL, "model": "gpt-4o-mini", "team": "support", "timestamp": dt.datetime(2026, 10, 2, tzinfo=UTC)},
    ]
    log = make_log(rows)
    doc = cli_json("report", log, "--by", "team,month")
    got = {(r["team"], r["month"]): r["cost"] for r in doc["rows"]}
    # gpt-4o-mini: $0.15 / $0.60: 0.15 + 0.06 = $0.21
    assert got == {
        ("search", "2026-09"): pytest.approx(3.5),
        ("search", "2026-10"): pytest.approx(3.5),
        ("support", "2026-10"): pytest.approx(0.21),
    }
    # in New York the first two calls fall in September (19:30 and 20:30 local)
    doc = cli_json("report", log, "--by", "month", "--tz", "America/New_York")
    assert {r["month"]: r["requests"] for r in doc["rows"]} == {"2026-09": 2, "2026-10": 1}
    weeks = cli_json("report", log, "--by", "week")["rows"]
    assert [w["week"] for w in weeks] == ["2026-09-28"]  # ISO weeks start on Monday
    by_model = cli_json("report", log, "--by", "model", "--by", "service_tier")["rows"]
    assert {(r["model"], r["service_tier"]) for r in by_model} == {("gpt-4o", "standard"), ("gpt-4o-mini", "standard")}


def test_since_until_are_half_open_and_accounted(make_log: MakeLog, cli_json: Json) -> None:
    rows = [{**CALL, "timestamp": dt.datetime(2026, 10, d, 12, tzinfo=UTC)} for d in (1, 2, 3)]
    doc = cli_json("report", make_log(rows), "--since", "2026-10-02", "--until", "2026-10-03")
    assert doc["total_cost"] == pytest.approx(3.5)
    assert doc["rows_priced"] == 1 and doc["rows_filtered"] == 2 and doc["rows_read"] == 3
    doc = cli_json("report", make_log(rows), "--since", "2026-10-02T12:00:00Z")
    assert doc["rows_priced"] == 2


def test_map_renamed_columns(tmp_path: Path, cli_json: Json, cli: Cli) -> None:
    path = tmp_path / "renamed.csv"
    pl.DataFrame(
        {"created": ["2026-11-02T10:00:00Z"], "model_name": ["gpt-4o"], "prompt": [1_000_000], "completion": [100_000]}
    ).write_csv(path)
    doc = cli_json(
        "report",
        path,
        "--map",
        "timestamp=created",
        "--map",
        "model=model_name",
        "--map",
        "input_tokens=prompt",
        "--map",
        "output_tokens=completion",
    )
    assert doc["total_cost"] == pytest.approx(3.5)
    bad = cli("report", path, "--map", "model=nope")
    assert bad.exit_code == 1
    assert "no column 'nope'" in bad.stderr


def test_missing_columns_are_all_reported_at_once(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("when,what\n2026-01-01,x\n")
    result = cli("report", path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.count("\n") == 0, line
    assert "bad.csv" in line and "'model'" in line and "no token column" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["report", "does-not-exist.parquet"], 1, "no such file"),
        (["report", "sample.txt"], 1, "unknown log file type"),
        (["report", "{log}", "--by", "colour"], 2, "--by colour"),
        (["report", "{log}", "--tz", "Mars/Olympus"], 2, "unknown time zone"),
        (["report", "{log}", "--since", "yesterday"], 2, "--since"),
        (["report", "{log}", "--format", "xml"], 2, "xml"),
        (["report", "{log}", "--strict"], 1, "--strict"),
        (["report", "{log}", "--map", "oops"], 2, "canonical=source"),
    ],
)
def test_errors_are_one_line_with_exit_codes(
    tmp_path: Path, cli: Cli, make_log: MakeLog, args: list[str], code: int, needle: str
) -> None:
    (tmp_path / "sample.txt").write_text("hello")
    log = make_log([CALL, {"model": "no-such-model-xyz", "input_tokens": 5}])
    result = cli(*[a.replace("{log}", str(log)) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_rows_fail_with_file_and_line_by_default_and_can_be_skipped(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "usage.jsonl"
    path.write_text(
        '{"model": "gpt-4o", "input_tokens": 1000000, "output_tokens": 100000}\n'
        "\n"
        '{"model": "gpt-4o", "input_tokens": -5, "output_tokens": 1}\n'
        '{"model": "gpt-4o", "input_tokens": 1000000, "output_tokens": 100000}\n'
    )
    result = cli("report", path)
    assert result.exit_code == 1
    assert f"{path}: line 3: input_tokens is negative" in result.stderr
    assert result.stdout == ""
    skipped = cli("report", path, "--on-error", "skip", "--format", "json")
    assert skipped.exit_code == 0
    doc = json.loads(skipped.stdout)
    assert doc["total_cost"] == pytest.approx(7.0)
    assert doc["rows_rejected"] == 1 and doc["rows_read"] == 3
    assert doc["rejections"] == [{"reason": "input_tokens is negative", "rows": 1, "first": f"{path}: line 3"}]
    assert "excluded 1 malformed rows" in skipped.stderr


def test_csv_markdown_parquet_outputs(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    log = make_log([CALL, {**CALL, "model": "gpt-4o-mini"}])
    csv = cli("report", log, "--by", "model", "--format", "csv")
    frame = pl.read_csv(io.StringIO(csv.stdout))
    assert frame.columns[0] == "model" and frame["cost"].sum() == pytest.approx(3.71)
    md = cli("report", log, "--by", "model", "--format", "markdown")
    assert md.stdout.startswith("| model |") and "---:" in md.stdout
    out = tmp_path / "out" / "report.parquet"
    result = cli("report", log, "--by", "model", "--format", "parquet", "--output", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert pl.read_parquet(out)["cost"].sum() == pytest.approx(3.71)
    assert not list(out.parent.glob(".*.tmp"))


def test_quiet_hides_warnings_not_results(make_log: MakeLog, cli: Cli) -> None:
    log = make_log([CALL, {"model": "no-such-model-xyz", "input_tokens": 5}])
    loud = cli("report", log)
    assert "unpriced" in loud.stderr and "no-such-model-xyz" in loud.stderr
    quiet = cli("report", log, "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and "Total" in quiet.stdout


def test_duplicate_request_ids_count_once(make_log: MakeLog, cli_json: Json) -> None:
    rows = [
        {**CALL, "request_id": "r1"},
        {**CALL, "request_id": "r1"},
        {**CALL, "request_id": None},
        {**CALL, "request_id": None},
    ]
    doc = cli_json("report", make_log(rows))
    assert doc["total_cost"] == pytest.approx(10.5)
    assert doc["rows_deduplicated"] == 1 and doc["rows_read"] == 4


def test_version_and_help_for_every_command(cli: Cli) -> None:
    assert cli("--version").stdout.startswith("aicost ")
    names = _command_paths()
    assert ["report"] in names
    for path in names:
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Usage" in result.stdout
    root = cli("--help").stdout
    for path in names:
        if len(path) == 1:
            assert path[0] in root


def _command_paths() -> list[list[str]]:
    from typer.main import get_command

    paths: list[list[str]] = []

    def walk(command: Any, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(get_command(app), [])
    return paths


def test_every_command_has_help_text() -> None:
    from typer.main import get_command

    def walk(command: Any) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            assert (sub.help or "").strip(), f"{name} has no help"
            walk(sub)

    walk(get_command(app))


def test_sample_logs_folder_reports_every_row(cli_json: Json) -> None:
    doc = cli_json("report", REPO / "sample_logs", "--by", "month")
    assert (
        doc["rows_read"]
        == doc["rows_priced"]
        + doc["rows_unpriced"]
        + doc["rows_deduplicated"]
        + doc["rows_skipped"]
        + doc["rows_rejected"]
        + doc["rows_filtered"]
    )
    assert doc["unpriced"] and doc["unpriced"][0]["model"] == "acme-support-ft-v2"
