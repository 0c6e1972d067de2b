"""Malformed records are rejected with file and line, counted, and never priced as zero."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.formats_ref import FIXTURES, close, gp

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]

GOOD = {
    "id": "chatcmpl-ok",
    "object": "chat.completion",
    "created": 1794830400,
    "model": "gpt-4o",
    "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 0}},
}


def body(**usage: Any) -> str:
    record = json.loads(json.dumps(GOOD))
    record["id"] = f"chatcmpl-{len(usage)}-{sorted(usage)}"
    record["usage"].update(usage)
    return json.dumps(record)


LINES = [
    json.dumps(GOOD),  # line 1: fine
    "",  # blank lines are not records
    '{"id": "chatcmpl-trunc", "object": "chat.completion", "usage": {"prompt_tok',  # line 3: truncated
    body(prompt_tokens="lots"),  # line 4
    body(prompt_tokens=-5),  # line 5
    body(completion_tokens=10.5),  # line 6
    json.dumps({"id": "chatcmpl-nousage", "object": "chat.completion", "model": "gpt-4o"}),  # line 7
    json.dumps({**GOOD, "id": "chatcmpl-nomodel", "model": None}),  # line 8
    body(prompt_tokens=100, prompt_tokens_details={"cached_tokens": 500}),  # line 9: cached > prompt
]


@pytest.fixture
def bad_log(tmp_path: Path) -> Path:
    path = tmp_path / "bodies.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_first_bad_record_fails_the_run_naming_file_and_line(cli: Cli, bad_log: Path) -> None:
    result = cli("report", bad_log)
    assert result.exit_code == 1
    assert f"{bad_log}: line 3: not a JSON object (malformed line)" in result.stderr
    assert "7 bad rows in all" in result.stderr
    assert result.stdout == ""


def test_on_error_skip_counts_every_rejection_with_its_line(cli_json: Json, bad_log: Path) -> None:
    doc = cli_json("report", bad_log, "--on-error", "skip")
    reasons = {r["reason"]: r["first"] for r in doc["rejections"]}
    where = str(bad_log)
    assert reasons == {
        "not a JSON object (malformed line)": f"{where}: line 3",
        "usage.prompt_tokens is not a number": f"{where}: line 4",
        "usage.prompt_tokens is negative": f"{where}: line 5",
        "usage.completion_tokens is not a whole number": f"{where}: line 6",
        "no usage object (not an OpenAI response body?)": f"{where}: line 7",
        "missing model": f"{where}: line 8",
        "cached and cache-write tokens exceed the prompt tokens": f"{where}: line 9",
    }
    assert doc["rows_read"] == 8 and doc["rows_rejected"] == 7 and doc["rows_priced"] == 1
    # only the good line is priced: nothing malformed counts as a $0 call
    assert doc["totals"]["requests"] == 1
    assert close(doc["total_cost"], gp("gpt-4o", "openai", input=1000, output=100))
    assert any("excluded 7 malformed rows" in w for w in doc["warnings"])


def test_csv_export_rejection_names_the_csv_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    text = (FIXTURES / "litellm-spendlogs.csv").read_text().splitlines()
    text[3] = text[3].replace(",5000,300,", ",5000,three hundred,")
    path.write_text("\n".join(text) + "\n")
    result = cli("report", path)
    assert result.exit_code == 1
    assert f"{path}: line 4: completion_tokens is not a number" in result.stderr


def test_document_rejection_names_the_record(cli_json: Json, tmp_path: Path) -> None:
    page = json.loads((FIXTURES / "openai-usage.json").read_text())
    page["data"][0]["results"][1]["num_model_requests"] = None
    page["data"][0]["results"][2]["model"] = None
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(page))
    doc = cli_json("report", path, "--on-error", "skip")
    assert {r["reason"]: r["first"] for r in doc["rejections"]} == {
        "missing num_model_requests": f"{path}: row 2",
        "usage result has no model: query the Usage API with group_by=model": f"{path}: row 3",
    }


def test_claude_code_assistant_line_without_usage_is_rejected_not_skipped(cli_json: Json, tmp_path: Path) -> None:
    source = FIXTURES / "claude-code" / "projects" / "-home-u-repo" / "7a2b0000-bbbb.jsonl"
    lines = source.read_text().splitlines()
    broken = json.loads(lines[3])
    del broken["message"]["usage"]
    lines[3] = json.dumps(broken)
    path = tmp_path / ".claude" / "projects" / "p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    doc = cli_json("report", path, "--on-error", "skip")
    assert doc["rejections"][0]["first"] == f"{path}: line 4"
    assert doc["rows_rejected"] == 1


def test_skipped_records_are_not_errors(cli: Cli) -> None:
    # batch errors, stream chunks, cache hits: skipped and counted, the run still succeeds
    for name in ("openai-batch.jsonl", "openai-chat.jsonl", "litellm-spendlogs.jsonl", "anthropic-batch.jsonl"):
        result = cli("report", FIXTURES / name, "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["rows_skipped"] > 0
