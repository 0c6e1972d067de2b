"""Machine-output discipline of forecast, logs inspect|convert and prices list|show|diff|update.

Through a pipe no escape codes; --quiet leaves only the result; the same input gives byte-identical JSON
and CSV; --output - is stdout; every command with rows writes CSV, Parquet and Markdown. Price tables
for diff and update are a tiny folder in tmp (two bundled tables, one price edited); nothing is fetched.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import Result

from aicost.pricing import load_book
from tests.conftest import REPO, run_python
from tests.output_support import Tables, make_tables

Cli = Callable[..., Result]

FORMATS = REPO / "sample_logs" / "formats"
MONTHLY = REPO / "sample_logs" / "usage-2026.parquet"
AS_OF = "2026-12-01"


@pytest.fixture
def tables(tmp_path: Path) -> Tables:
    return make_tables(tmp_path / "tables")


FORECAST = ("forecast", MONTHLY, "--preset", "armstrong-cascade", "--draws", "100", "--seed", "7")


def invocation(command: str, t: Tables) -> tuple[str | Path, ...]:
    """How each command is run here (update: a dry run, so running it twice sees the same tables)."""
    return {
        "forecast": FORECAST,
        "logs inspect": ("logs", "inspect", FORMATS),
        "prices list": ("prices", "list", "--provider", "deepseek"),
        "prices show": ("prices", "show", "deepseek-chat"),
        "prices diff": ("prices", "diff", t.old, t.new),
        "prices update": ("prices", "update", "--source", t.source, "--output", t.old, "--dry-run", "--as-of", AS_OF),
    }[command]


COMMANDS = ["forecast", "logs inspect", "prices list", "prices show", "prices diff", "prices update"]
WITH_OUTPUT_FILE = ["forecast", "logs inspect", "prices list", "prices show", "prices diff"]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("command", COMMANDS)
def test_no_escape_codes_when_not_a_terminal(
    cli: Cli, tables: Tables, monkeypatch: pytest.MonkeyPatch, command: str, fmt: str
) -> None:
    # without NO_COLOR and with a colour terminal type: only "stdout is not a terminal" turns colour off
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    result = ok(cli(*invocation(command, tables), "--format", fmt))
    assert result.stdout
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


def test_logs_convert_prints_no_escape_codes_either(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for extra in ((), ("--json",)):
        result = ok(cli("logs", "convert", FORMATS, "-o", tmp_path / "out.parquet", *extra))
        assert "wrote" in result.stderr
        assert "\x1b" not in result.stdout and "\x1b" not in result.stderr


# Real processes piped into cat, in parallel: stdout is a pipe, the terminal type could do colour and NO_COLOR
# is unset, so only the pipe can turn decoration off. Starting Python is what costs time here, so three
# commands with tables and warnings run this way; every command is checked in-process above.
PIPE_SCRIPT = r"""
set -u
run() { name=$1; shift; ( "$@" 2>"$name.err" | cat >"$name.out"; echo "${PIPESTATUS[0]}" >"$name.rc" ) & }
run forecast aicost forecast "$MONTHLY" --preset armstrong-cascade --draws 100
run inspect  aicost logs inspect "$FORMATS"
run diff     aicost prices diff "$OLD" "$NEW"
wait
"""


def test_no_escape_codes_through_a_real_pipe(tables: Tables, tmp_path: Path, aicost_home: Path) -> None:
    load_book()  # compiles the bundled tables into the shared cache once, not in every process
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aicost").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m aicost "$@"\n')
    (bin_dir / "aicost").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR") and not k.startswith("AICOST_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        TERM="xterm-256color",
        AICOST_HOME=str(aicost_home),
        AICOST_CACHE_DIR=os.environ["AICOST_CACHE_DIR"],
        MONTHLY=str(MONTHLY),
        FORMATS=str(FORMATS),
        OLD=str(tables.old),
        NEW=str(tables.new),
    )
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(["bash", "-c", PIPE_SCRIPT], cwd=work, env=env, check=True, timeout=240)
    names = ["forecast", "inspect", "diff"]
    errors = {name: (work / f"{name}.err").read_text() for name in names}
    assert {name: (work / f"{name}.rc").read_text().strip() for name in names} == dict.fromkeys(names, "0"), errors
    for name in names:
        out = (work / f"{name}.out").read_text()
        assert out, name
        assert "\x1b" not in out and "\x1b" not in errors[name], (name, out[:300], errors[name][:300])
    assert "Warning: " in errors["forecast"] and "Warning: " in errors["inspect"]  # stderr was exercised too


@pytest.mark.parametrize("command", COMMANDS)
def test_quiet_leaves_only_the_result(cli: Cli, tables: Tables, command: str) -> None:
    result = ok(cli(*invocation(command, tables), "--format", "json", "--quiet"))
    assert result.stderr == ""
    assert json.loads(result.stdout)["command"] == command


@pytest.mark.parametrize("command", ["forecast", "logs inspect"])
def test_quiet_silences_warnings_there_are(cli: Cli, tables: Tables, command: str) -> None:
    loud = ok(cli(*invocation(command, tables), "--format", "json"))
    assert "Warning: " in loud.stderr  # the sample logs do give these commands something to say
    assert ok(cli(*invocation(command, tables), "--format", "json", "-q")).stderr == ""


def test_logs_convert_json_with_quiet_is_the_summary_alone(cli: Cli, tmp_path: Path) -> None:
    result = ok(cli("logs", "convert", FORMATS, "-o", tmp_path / "out.parquet", "--json", "--quiet"))
    assert result.stderr == ""
    assert json.loads(result.stdout)["rows_written"] == pl.read_parquet(tmp_path / "out.parquet").height


LITELLM_ENTRIES = 50  # the minimum a LiteLLM map must have


def test_prices_update_notes_follow_aicost_quiet_like_every_command(
    cli: Cli, tables: Tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost_map = {
        f"deepseek/probe-{i}": {
            "litellm_provider": "deepseek",
            "mode": "chat",
            "input_cost_per_token": 1e-7,
            "output_cost_per_token": 2e-7,
        }
        for i in range(LITELLM_ENTRIES)
    }
    cost_map["deepseek/no-price"] = {"litellm_provider": "deepseek", "mode": "chat"}  # skipped: a note
    source = tmp_path / "litellm.json"
    source.write_text(json.dumps(cost_map))
    args = ("prices", "update", "--source", source, "--output", tables.old, "--dry-run", "--as-of", AS_OF, "-f", "json")
    assert "conversion notes" in ok(cli(*args)).stderr
    monkeypatch.setenv("AICOST_QUIET", "1")
    assert ok(cli(*args)).stderr == ""
    assert "conversion notes" in ok(cli(*args, "--no-quiet")).stderr


def test_logs_inspect_lists_models_and_skips_in_a_stable_order(cli: Cli) -> None:
    # polars' group_by returns groups in any order: models tied on requests and the per-file skip reasons
    # used to come out shuffled from run to run
    runs = {cli("logs", "inspect", FORMATS, "-f", "json", "-q").stdout for _ in range(2)}
    assert len(runs) == 1
    for file in json.loads(runs.pop())["files"]:
        assert list(file["skipped"]) == sorted(file["skipped"]), file["path"]
        keys = [(-m["requests"], m["provider"] or "", m["model"]) for m in file["models"]]
        assert keys == sorted(keys), file["path"]


@pytest.mark.parametrize("command", COMMANDS)
def test_same_input_gives_byte_identical_json_and_csv(cli: Cli, tables: Tables, command: str) -> None:
    args = invocation(command, tables)
    for fmt in ("json", "csv"):
        first, second = (ok(cli(*args, "--format", fmt, "-q")).stdout_bytes for _ in range(2))
        assert first == second, fmt


def test_logs_convert_gives_byte_identical_summary_and_parquet(cli: Cli, tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        summary = ok(cli("logs", "convert", FORMATS, "-o", tmp_path / name / "out.parquet", "--json", "-q")).stdout
        runs.append((summary.replace(str(tmp_path / name), "DIR"), (tmp_path / name / "out.parquet").read_bytes()))
    assert runs[0] == runs[1]


def test_forecast_seed_decides_the_ranges(cli: Cli) -> None:
    seven = json.loads(ok(cli(*FORECAST, "-f", "json", "-q")).stdout)
    other = json.loads(ok(cli(*FORECAST, "--seed", "8", "-f", "json", "-q")).stdout)
    assert seven["assumptions"]["monte_carlo"]["seed"] == 7 and other["assumptions"]["monte_carlo"]["seed"] == 8
    assert seven["baseline"]["total_cost"] == other["baseline"]["total_cost"]  # the point forecast is not drawn
    assert seven["scenarios"][0]["p10"] != other["scenarios"][0]["p10"]


@pytest.mark.parametrize("command", WITH_OUTPUT_FILE)
def test_output_dash_is_stdout(cli: Cli, tables: Tables, tmp_path: Path, command: str) -> None:
    args = (*invocation(command, tables), "-q")
    plain = ok(cli(*args, "--format", "csv")).stdout_bytes
    assert ok(cli(*args, "--format", "csv", "--output", "-")).stdout_bytes == plain
    target = tmp_path / "out.csv"  # the name implies the format
    assert ok(cli(*args, "-o", target)).stdout_bytes == b""
    assert target.read_bytes() == plain


def test_logs_convert_output_dash_is_refused_as_a_usage_error(cli: Cli) -> None:
    # the Parquet goes to a file (written atomically); stdout is for the --json summary
    result = cli("logs", "convert", FORMATS, "-o", "-", "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "give a .parquet file name" in result.stderr


def read(data: bytes, fmt: str) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data)) if fmt == "csv" else pl.read_parquet(io.BytesIO(data))


ROW_COLUMNS = {
    "forecast": ["month", "month_index", "series", "cost", "p10", "p50", "p90"],
    "logs inspect": ["path", "format", "rows_read", "rows_priced", "rows_kept", "first_timestamp"],
    "prices list": ["provider", "model", "input", "cache_read", "cache_write", "output", "status", "source"],
    "prices show": ["effective_from", "input", "output", "per_1k_requests", "windows"],
    "prices diff": ["provider", "model", "change", "where", "key", "old", "new"],
    "prices update": ["provider", "model", "change", "where", "key", "old", "new"],
}


def row_count(command: str, doc: dict[str, Any]) -> int:
    """How many rows the JSON document says the CSV view has."""
    if command == "forecast":
        return int(doc["horizon_months"]) * (1 + len(doc["scenarios"]))
    if command == "logs inspect":
        return len(doc["files"])
    if command == "prices list":
        return int(doc["count"])
    if command == "prices show":
        return len(doc["model"]["price"])
    # diff and update: one row per change, added and removed models included
    return sum(len(m["changes"]) for m in doc["changed"]) + len(doc["added"]) + len(doc["removed"])


@pytest.mark.parametrize("command", COMMANDS)
def test_rows_as_csv_parquet_and_markdown(cli: Cli, tables: Tables, command: str) -> None:
    args = invocation(command, tables)
    doc = json.loads(ok(cli(*args, "-f", "json", "-q")).stdout)
    frames = {fmt: read(ok(cli(*args, "-f", fmt, "-q")).stdout_bytes, fmt) for fmt in ("csv", "parquet")}
    assert frames["csv"].columns == frames["parquet"].columns
    assert set(ROW_COLUMNS[command]) <= set(frames["parquet"].columns)
    assert frames["csv"].height == frames["parquet"].height > 0
    expected = row_count(command, doc)
    assert frames["parquet"].height == expected
    markdown = ok(cli(*args, "-f", "markdown", "-q")).stdout.splitlines()
    assert markdown[0].startswith("| ") and set(markdown[1]) <= set("|-:")
    assert len(markdown) == 2 + expected


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("report", "x.jsonl", "--on-error", "sometimes"), "'--on-error'"),
        (("report",), "Missing argument 'logs'"),
        (("simulate", "x.jsonl", "--no-such-option"), "No such option: --no-such-option"),
        (("no-such-command",), "No such command 'no-such-command'"),
    ],
)
def test_a_command_line_mistake_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    # scripts log one line per failure: Click's usage block (usage, hint, blank line, error) is folded into it
    done = run_python(["-m", "aicost", *args], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and says in lines[0], done.stderr
    assert "--help" in lines[0]


@pytest.mark.parametrize("option", ["--show-completion", "--install-completion"])
def test_shell_completion_options_exit_0(tmp_path: Path, option: str) -> None:
    # the completion options end the run with SystemExit(0) from inside Typer; that is success, not an
    # internal error raised while main() matches its except clauses. The shell is named, not detected from
    # the process tree (which has no shell when the tests run detached).
    done = run_python(
        ["-m", "aicost", option, "bash"],
        tmp_path,
        HOME=str(tmp_path),
        SHELL="/bin/bash",
        _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "_aicost_completion" in (
        done.stdout
        if option == "--show-completion"
        else (tmp_path / ".bashrc").read_text()
        + "".join(p.read_text() for p in (tmp_path / ".bash_completions").glob("*"))
    )
