"""Shared fixtures: a hermetic $AICOST_HOME, the CLI runner, and a factory for canonical logs."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from aicost.cli import app

REPO = Path(__file__).resolve().parent.parent
BUNDLED_PRICING = REPO / "pricing"


def _shared_sources() -> Path:
    """The read-only price databases in ../shared (CI clones the repo elsewhere, so look upwards too)."""
    candidates = []
    if env := os.environ.get("AICOST_SHARED_DIR"):
        candidates.append(Path(env))
    candidates += [parent / "shared" for parent in REPO.parents]
    candidates.append(Path("/work/shared"))
    for shared in candidates:
        sources = shared / "data" / "pricing-sources"
        if (sources / "genai-prices-v2.json").is_file():
            return sources
    return REPO.parent / "shared" / "data" / "pricing-sources"


SHARED_SOURCES = _shared_sources()
UTC = dt.UTC

# Defaults a canonical usage row gets when a test does not say otherwise.
ROW_DEFAULTS: dict[str, Any] = {
    "timestamp": dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC),  # a Monday, off-peak everywhere
    "provider": None,
    "model": "gpt-4o",
    "input_tokens": 0,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "cache_write_1h_tokens": 0,
    "output_tokens": 0,
    "reasoning_tokens": 0,
    "requests": 1,
    "service_tier": None,
}


def run_python(args: Sequence[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Python run in a process of its own on `args` (`-m aicost …`, `-c …`), from this checkout, with its
    own $AICOST_HOME under `cwd` and the extra `env`; text output captured, never raising on the exit code."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "AICOST_HOME": str(cwd / "home"), "PYTHONPATH": str(REPO), **env},
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One compiled-price-table cache for the whole session (tables are parsed once)."""
    return tmp_path_factory.mktemp("aicost-cache")


@pytest.fixture(autouse=True)
def aicost_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Iterator[Path]:
    """Every test gets its own empty $AICOST_HOME and no inherited aicost settings."""
    home = tmp_path / "aicost-home"
    monkeypatch.setenv("AICOST_HOME", str(home))
    monkeypatch.setenv("AICOST_CACHE_DIR", str(cache_dir))
    for var in ("AICOST_PRICING", "AICOST_DEBUG", "FORCE_COLOR", "AICOST_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    yield home


def rows_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Canonical rows with defaults filled in (tags allowed)."""
    filled = [{**ROW_DEFAULTS, **row} for row in rows]
    return pl.DataFrame(
        filled,
        schema_overrides={"timestamp": pl.Datetime("us", "UTC"), "provider": pl.String, "service_tier": pl.String},
    )


@pytest.fixture
def make_log(tmp_path: Path) -> Callable[..., Path]:
    """Write canonical rows to a log file: make_log(rows, fmt="parquet"|"jsonl"|"csv", name=None)."""
    counter = iter(range(10_000))

    def make(rows: Sequence[dict[str, Any]], fmt: str = "parquet", name: str | None = None) -> Path:
        frame = rows_frame(rows)
        path = tmp_path / (name or f"log{next(counter)}.{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            frame.write_parquet(path)
        elif fmt == "csv":
            frame.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(path)
        elif fmt == "jsonl":
            with path.open("w") as fh:
                for record in frame.to_dicts():
                    record["timestamp"] = record["timestamp"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                    fh.write(json.dumps(record) + "\n")
        else:
            raise ValueError(fmt)
        return path

    return make


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the CLI in-process: cli("report", path, "--format", "json")."""
    runner = CliRunner()

    def run(*args: str | Path, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def cli_json(cli: Callable[..., Result]) -> Callable[..., dict[str, Any]]:
    """Run a command with --format json and return the parsed document (asserting exit 0)."""

    def run(*args: str | Path) -> dict[str, Any]:
        result = cli(*args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return run
