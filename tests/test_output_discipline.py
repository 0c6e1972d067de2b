"""Machine-output discipline of forecast, logs inspect|convert and prices list|show|diff|update.

Through a pipe no escape codes; --quiet leaves only the result; the same input gives byte-identical JSON
and CSV; --output - is stdout; every command with rows writes CSV, Parquet and Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import Result

from tests.conftest import REPO

Cli = Callable[..., Result]

FORMATS = REPO / "sample_logs" / "formats"


def test_logs_inspect_lists_models_and_skips_in_a_stable_order(cli: Cli) -> None:
    # polars' group_by returns groups in any order: models tied on requests and the per-file skip reasons
    # used to come out shuffled from run to run
    runs = {cli("logs", "inspect", FORMATS, "-f", "json", "-q").stdout for _ in range(4)}
    assert len(runs) == 1
    for file in json.loads(runs.pop())["files"]:
        assert list(file["skipped"]) == sorted(file["skipped"]), file["path"]
        keys = [(-m["requests"], m["provider"] or "", m["model"]) for m in file["models"]]
        assert keys == sorted(keys), file["path"]
