"""The quickstart path works: the sample logs price and report."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from typer.testing import Result

from tests.conftest import REPO


def test_report_sample_parquet_prints_a_table_with_a_total(cli: Callable[..., Result]) -> None:
    result = cli("report", REPO / "sample_logs" / "usage-2026.parquet")
    assert result.exit_code == 0, result.stderr
    assert "Cost (USD)" in result.stdout
    assert "Total" in result.stdout
    assert "\x1b[" not in result.stdout


def test_report_json_has_the_contract_fields(cli_json: Callable[..., dict[str, Any]]) -> None:
    doc = cli_json("report", REPO / "sample_logs")
    for key in (
        "schema_version",
        "currency",
        "total_cost",
        "rows",
        "unpriced",
        "rows_read",
        "rows_priced",
        "rows_unpriced",
        "rows_rejected",
        "pricing",
    ):
        assert key in doc
    assert doc["rows_read"] == (
        doc["rows_priced"]
        + doc["rows_unpriced"]
        + doc["rows_rejected"]
        + doc["rows_skipped"]
        + doc["rows_deduplicated"]
        + doc["rows_filtered"]
    )
    assert json.dumps(doc)  # serialisable as is
