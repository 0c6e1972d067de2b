"""What a run loads and how it ends: the command line is built for the command being run, a JSON report
of a canonical JSON-lines file loads neither pyarrow, rich nor the other commands, and a run that is done
skips Python's teardown but still runs exit handlers and reports its exit code (BENCHMARKS.md, start-up)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aicost.cli import _COMMANDS, build
from tests.conftest import run_python

HELP = [[], *([name] for name in _COMMANDS), ["prices", "update"], ["scenarios", "show"], ["logs", "convert"]]


@pytest.mark.parametrize("words", HELP, ids=lambda words: " ".join(words) or "aicost")
def test_a_command_built_alone_reads_as_in_the_whole_line(words: list[str]) -> None:
    runner = CliRunner()
    whole = runner.invoke(build(), [*words, "--help"], prog_name="aicost")
    alone = runner.invoke(build(words[0] if words else None), [*words, "--help"], prog_name="aicost")
    assert whole.exit_code == alone.exit_code == 0, (whole.output, alone.output)
    assert alone.output == whole.output
    assert "Usage: aicost" in whole.output


def test_the_line_built_for_one_command_has_that_command_only() -> None:
    runner = CliRunner()
    result = runner.invoke(build("report"), ["simulate", "--help"], prog_name="aicost")
    assert result.exit_code == 2 and "No such command 'simulate'" in result.output


# run as the console script does (aicost.interrupts.main), with an exit handler that reports the modules
# loaded and the output the run wrote by then
PROBE = """
import atexit, json, sys
from aicost.interrupts import main

def report() -> None:
    sys.stdout.flush()
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pyarrow", "numpy", "rich", "duckdb", "aicost"))
    sys.stderr.write("\\nPROBE " + json.dumps(loaded) + "\\n")

atexit.register(report)
sys.argv = ["aicost", *sys.argv[1:]]
main()
"""


def _probe(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = run_python(["-c", PROBE, *args], tmp_path)
    probe = [line for line in done.stderr.splitlines() if line.startswith("PROBE ")]
    assert len(probe) == 1, done.stderr  # the exit handler ran, once
    return done, set(json.loads(probe[0].removeprefix("PROBE ")))


def test_a_json_report_of_json_lines_loads_only_what_it_uses(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    log.write_text(
        "".join(
            json.dumps({"timestamp": f"2026-11-0{day}T10:00:00Z", "model": "gpt-4o", "input_tokens": 1000}) + "\n"
            for day in (2, 3)
        )
    )
    done, loaded = _probe(tmp_path, "report", str(log), "--format", "json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_cost"] == pytest.approx(2 * 1000 * 2.50 / 1e6)  # gpt-4o: $2.50/M in
    assert "aicost.sqlscan" in loaded  # DuckDB grouped the file ...
    assert not {m for m in loaded if m.startswith(("pyarrow", "numpy"))}  # ... and handed it over without pyarrow
    assert not {m for m in loaded if m.startswith("rich")}  # nothing was drawn
    others = {"aicost.cli.simulate", "aicost.cli.forecast", "aicost.cli.prices", "aicost.cli.logs"}
    assert not others & loaded, others & loaded


def test_a_json_lines_file_duckdb_does_not_read_loads_no_duckdb(tmp_path: Path) -> None:
    # times without an offset: Polars reads the file, so DuckDB is neither imported nor connected to
    log = tmp_path / "naive.jsonl"
    log.write_text(json.dumps({"timestamp": "2026-11-02 10:00:00", "model": "gpt-4o", "input_tokens": 1000}) + "\n")
    done, loaded = _probe(tmp_path, "report", str(log), "--format", "json", "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total_cost"] == pytest.approx(1000 * 2.50 / 1e6)
    assert not {m for m in loaded if m.startswith("duckdb")}


def test_a_failed_run_exits_1_after_its_exit_handlers(tmp_path: Path) -> None:
    done, _ = _probe(tmp_path, "report", str(tmp_path / "missing.jsonl"))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and "missing.jsonl" in done.stderr
