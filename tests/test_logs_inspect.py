"""`aicost logs inspect`: per file, the format, where every row went, the time range, models, warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

from tests.formats_ref import FIXTURES

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]


def by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(f["path"]).name: f for f in doc["files"]}


def test_inspect_reports_each_file(cli_json: Json) -> None:
    doc = cli_json("logs", "inspect", FIXTURES / "openai-chat.jsonl", FIXTURES / "bedrock-log.jsonl")
    assert doc["command"] == "logs inspect"
    files = by_name(doc)
    chat = files["openai-chat.jsonl"]
    assert chat["format"] == "openai-chat"
    assert (chat["rows_read"], chat["rows_kept"], chat["rows_skipped"], chat["rows_deduplicated"]) == (6, 4, 1, 1)
    assert chat["rows_rejected"] == 0
    assert (chat["first_timestamp"], chat["last_timestamp"]) == (
        "2026-11-16T12:00:00+00:00",
        "2026-11-16T12:03:00+00:00",
    )
    gpt4o = next(m for m in chat["models"] if m["model"] == "gpt-4o-2024-08-06")
    assert gpt4o == {
        "provider": "openai",
        "model": "gpt-4o-2024-08-06",
        "requests": 1,
        "status": "priced",
        "priced_as": "openai/gpt-4o",
        "cost": gpt4o["cost"],
        "reason": None,
    }
    bedrock = files["bedrock-log.jsonl"]
    profile = next(m for m in bedrock["models"] if "application-inference-profile" in m["model"])
    assert profile["status"] == "unpriced" and profile["cost"] is None and profile["reason"]
    assert bedrock["skipped"] == {"failed invocation (errorCode; no usage)": 1}
    assert any("--model-alias" in w for w in bedrock["warnings"])


def test_inspect_counts_malformed_rows_instead_of_failing(cli_json: Json, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = (FIXTURES / "gemini.jsonl").read_text().splitlines()[0]
    path.write_text(good + "\n" + good.replace('"candidatesTokenCount":300', '"candidatesTokenCount":-3') + "\n")
    doc = cli_json("logs", "inspect", path)
    only = doc["files"][0]
    assert only["rows_rejected"] == 1
    assert only["rejections"] == [
        {"reason": "usageMetadata.candidatesTokenCount is negative", "rows": 1, "first": f"{path}: line 2"}
    ]


def test_inspect_shows_heuristic_warnings(cli_json: Json) -> None:
    doc = cli_json("logs", "inspect", FIXTURES / "otel-spans.json")
    (otel,) = doc["files"]
    assert otel["format"] == "otel"
    assert len(otel["warnings"]) == 1 and "excludes cache" in otel["warnings"][0]
    assert any("excludes cache" in w for w in doc["warnings"])


def test_inspect_table_names_formats_and_models(cli: Cli) -> None:
    result = cli("logs", "inspect", FIXTURES / "claude-code")
    assert result.exit_code == 0, result.stderr
    for text in ("Log files", "claude-code", "Duplicates", "Models", "anthropic/claude-opus-4-5", "Total"):
        assert text in result.stdout


def test_inspect_csv_has_one_row_per_file(cli: Cli) -> None:
    result = cli("logs", "inspect", FIXTURES / "codex", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("path,format,rows_read,")
    assert len(lines) == 3


def test_inspect_json_is_serialisable_and_accounts_for_every_row(cli_json: Json) -> None:
    doc = cli_json("logs", "inspect", FIXTURES)
    assert json.dumps(doc)
    for f in doc["files"]:
        assert f["rows_read"] == (f["rows_kept"] + f["rows_rejected"] + f["rows_skipped"] + f["rows_deduplicated"]), f[
            "path"
        ]
    assert doc["rows_read"] == sum(f["rows_read"] for f in doc["files"])
