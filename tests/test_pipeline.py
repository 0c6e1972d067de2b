"""aicost as a real process in shell scripts: exit codes, pipes without escape codes, the README's job."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from aicost.pricing import load_book
from tests.conftest import REPO

LOG = REPO / "sample_logs" / "agents-2026-11.jsonl"


@pytest.fixture
def shell_env(tmp_path: Path, aicost_home: Path) -> dict[str, str]:
    """PATH with an `aicost` that runs this interpreter's package; a colour-capable terminal type, no NO_COLOR."""
    load_book()  # compiles the price tables into the shared cache once, not in every process
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "aicost"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m aicost "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR") and not k.startswith("AICOST_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        TERM="xterm-256color",  # colour would be possible: only the pipe must turn it off
        COLUMNS="120",
        AICOST_HOME=str(aicost_home),
        AICOST_CACHE_DIR=os.environ["AICOST_CACHE_DIR"],
    )
    return env


# Each command runs in the background, piped into cat; its exit status is the first of the pipeline.
# (Every other command is checked in-process below: starting Python is what costs time here.)
SCRIPT = r"""
set -u
run() { name=$1; shift; ( "$@" 2>"$name.err" | cat >"$name.out"; echo "${PIPESTATUS[0]}" >"$name.rc" ) & }
run ok       aicost report "$LOG" --by team
run data     aicost report missing.parquet
run usage    aicost report "$LOG" --format xml
run gate     aicost report "$LOG" --fail-over 1
run savings  aicost simulate "$LOG" --preset armstrong-80-99 --fail-if-savings-below 90
run export   aicost export "$LOG"
run config   aicost config show
wait
"""
EXPECTED = {"ok": 0, "data": 1, "usage": 2, "gate": 3, "savings": 3, "export": 0, "config": 0}


def test_exit_codes_and_no_escape_codes_through_a_pipe(shell_env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {**shell_env, "LOG": str(LOG)}
    subprocess.run(["bash", "-c", SCRIPT], cwd=work, env=env, check=True, timeout=240)
    codes = {name: int((work / f"{name}.rc").read_text()) for name in EXPECTED}
    errors = {name: (work / f"{name}.err").read_text() for name in EXPECTED}
    assert codes == EXPECTED, errors
    for name in EXPECTED:
        for stream in ("out", "err"):
            text = (work / f"{name}.{stream}").read_text()
            assert "\x1b" not in text, (name, stream, text[:500])
    out = {name: (work / f"{name}.out").read_text() for name in EXPECTED}
    assert "Cost (USD)" in out["ok"] and "Total" in out["ok"]
    # errors: one line on stderr, nothing on stdout
    assert errors["data"] == "Error: missing.parquet: no such file or folder\n" and out["data"] == ""
    assert "xml" in errors["usage"] and out["usage"] == ""
    # gates: the full result on stdout first, then one line saying which gate
    assert (
        "Total" in out["gate"] and errors["gate"].startswith("Error: total cost $") and errors["gate"].count("\n") == 1
    )
    assert "armstrong-80-99" in out["savings"] and "below --fail-if-savings-below 90%" in errors["savings"]
    assert out["export"].startswith("BilledCost,") and "Source" in out["config"]


def _all_invocations() -> list[list[str]]:
    log = str(LOG)
    return [
        ["report", log],
        ["report", log, "--format", "markdown"],
        ["simulate", log],
        ["export", log],
        ["config", "show"],
        ["scenarios", "list"],
        ["scenarios", "show", "armstrong-cascade"],
        ["prices", "--help"],
        ["--help"],
        ["--version"],
        ["report", "nope.parquet"],
        ["report", log, "--fail-over", "0"],
        ["report", log, "--by", "colour"],
    ]


@pytest.mark.parametrize("args", _all_invocations(), ids=lambda a: " ".join(a[:2]))
def test_no_escape_codes_when_not_a_terminal(
    args: list[str], cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    # without NO_COLOR and with a colour terminal type: only "stdout is not a terminal" turns colour off
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    result = cli(*args)
    assert "\x1b" not in result.stdout and "\x1b" not in result.stderr, args


def test_shell_completion_and_version(cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    # the shell is named, not detected from the process tree (which has no shell when tests run detached)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    completion = cli("--show-completion", "bash")  # what --install-completion writes to ~/.bashrc
    assert completion.exit_code == 0 and "_AICOST_COMPLETE=complete_bash" in completion.stdout
    assert cli("--version").stdout.startswith("aicost ")


def readme_script() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## In a pipeline") :]
    section = section[: section.index("\n## ", 1)]
    match = re.search(r"```bash\n(.*?)\n```", section, re.DOTALL)
    assert match, "README's 'In a pipeline' section has no ```bash block"
    return match.group(1)


def test_readme_pipeline_script_runs_as_written(shell_env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "job"
    work.mkdir()
    (work / "sample_logs").symlink_to(REPO / "sample_logs")
    script = work / "monthly.sh"
    script.write_text(readme_script())
    run = subprocess.run(
        ["bash", str(script)], check=False, cwd=work, env=shell_env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "2026-11: within budget; moving 80% of requests to a 99%-cheaper model still saves over 50%\n"
    out = work / "reports" / "2026-11"
    spend = pl.read_csv(out / "spend.csv")
    focus = pl.read_parquet(out / "focus.parquet")
    total = json.loads((out / "total.json").read_text())
    savings = json.loads((out / "savings.json").read_text())
    assert total["currency"] == "EUR" == savings["currency"] and set(focus["BillingCurrency"]) == {"EUR"}
    assert spend.columns[:2] == ["team", "model"]
    # the CSV, the FOCUS rows and the JSON total are the same November spend
    assert math.isclose(math.fsum(spend["cost"].drop_nulls().to_list()), total["total_cost"], rel_tol=1e-12)
    assert math.isclose(math.fsum(focus["BilledCost"].to_list()), total["total_cost"], rel_tol=1e-12)
    assert focus["ChargePeriodStart"].dt.strftime("%Y-%m").unique().to_list() == ["2026-11"]
    assert savings["scenarios"][0]["savings_pct"] > 50
