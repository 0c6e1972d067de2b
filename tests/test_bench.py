"""The benchmark script runs end to end on a tiny log, and its total check against DuckDB passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("duckdb", reason="the benchmark extra (pip install -e '.[bench]') is not installed")
pytest.importorskip("numpy", reason="the benchmark extra (pip install -e '.[bench]') is not installed")


@pytest.mark.slow
def test_benchmark_runs_end_to_end_and_matches_duckdb(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    args = ["--rows", "20000", "--jsonl-rows", "3000", "--huge-rows", "0", "--flat-rows", "20000"]
    args += ["--runs", "1", "--runs-secondary", "1", "--runs-startup", "1", "--sample", "200", "--no-request-ids"]
    args += ["--order-sample", "2000"]
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), *args, "--data", str(tmp_path / "data"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    doc = json.loads(out.read_text())
    check = doc["check"]
    assert check["passed"] and check["relative_difference"] <= 1e-9 and check["same_model_months"]
    assert {"duckdb", "report", "simulate1", "simulate20", "duckdb_jsonl", "report_jsonl", "genai", "startup"} <= set(
        doc["timings"]
    )
    assert "Total check (flat log)" in result.stdout and "passed" in result.stdout
    # the 20 scenarios on cells and with one cell per call: the same calls, moved in a coarser order
    order = doc["order"]
    assert order["calls"] == 2000 and len(order["scenarios"]) == 20 and order["cells"] < 2000
    assert 0 <= order["max_abs_error"] < 0.25
    # the realistic log has tiers, batch calls and price changes a flat rate per model cannot know
    assert check["realistic_aicost_total"] != check["realistic_duckdb_total"]
