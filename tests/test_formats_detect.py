"""Format detection per file by key signatures; --log-format forces one; unknown files are refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from aicost.errors import InputError
from aicost.ingest.files import LogFile
from aicost.ingest.formats import FORMATS, detect, known_formats, sniff
from aicost.ingest.formats.detect import signature
from tests.formats_ref import FIXTURES, close

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]

EXPECTED = {
    "openai-chat.jsonl": "openai-chat",
    "openai-responses.jsonl": "openai-responses",
    "openai-batch.jsonl": "openai-batch",
    "openai-usage.json": "openai-usage",
    "anthropic-messages.jsonl": "anthropic-messages",
    "anthropic-stream.jsonl": "anthropic-messages",
    "anthropic-batch.jsonl": "anthropic-batch",
    "anthropic-usage-report.json": "anthropic-usage-report",
    "gemini.jsonl": "gemini",
    "gemini-snake.jsonl": "gemini",
    "bedrock-log.jsonl": "bedrock-log",
    "bedrock-converse.jsonl": "bedrock-converse",
    "litellm-spendlogs.jsonl": "litellm",
    "litellm-spendlogs.csv": "litellm",
    "langfuse-observations.json": "langfuse",
    "helicone.jsonl": "helicone",
    "openrouter-generations.jsonl": "openrouter",
    "openrouter-activity.csv": "openrouter-csv",
    "otel-spans.json": "otel",
    "claude-code/projects/-home-u-repo/7a2b0000-bbbb.jsonl": "claude-code",
    "codex/sessions/2026/11/16/rollout-2026-11-16T12-00-00-0199aaaa.jsonl": "codex",
}


def _detect(path: Path) -> str:
    kind = "csv" if path.suffix == ".csv" else "json" if path.suffix == ".json" else "jsonl"
    return detect(sniff(LogFile(str(path), kind, 0)), FORMATS, {})


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED.items()))
def test_each_fixture_is_detected(name: str, fmt: str) -> None:
    assert _detect(FIXTURES / name) == fmt


def test_every_format_has_a_fixture() -> None:
    # llm's logs.db is built from llm-logs.sql by its pricing test
    assert set(FORMATS) == {*EXPECTED.values(), "llm"}


def test_canonical_logs_stay_canonical(make_log: Callable[..., Path]) -> None:
    for fmt in ("jsonl", "csv", "parquet"):
        path = make_log([{"input_tokens": 10, "output_tokens": 5}], fmt=fmt)
        kind = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}[fmt]
        assert detect(sniff(LogFile(str(path), kind, 0)), FORMATS, {}) == "canonical"  # type: ignore[arg-type]


def test_signatures_follow_the_documented_order() -> None:
    # a Claude Code assistant line also has Anthropic's cache_creation_input_tokens: rule 10 wins over 21
    line = json.loads((FIXTURES / "claude-code/projects/-home-u-repo/7a2b0000-bbbb.jsonl").read_text().splitlines()[0])
    assert signature(line) == "claude-code"
    assert signature({"custom_id": "x", "response": None, "error": {"code": "x"}}) == "openai-batch"
    assert signature({"custom_id": "x", "result": {"type": "errored"}}) == "anthropic-batch"
    assert signature({"usage": {"prompt_tokens": 1, "prompt_cache_hit_tokens": 1}}) == "openai-chat"


def test_a_mixed_folder_is_detected_file_by_file(cli_json: Json) -> None:
    doc = cli_json("report", FIXTURES, "--on-error", "skip")
    formats = {Path(p).relative_to(FIXTURES).as_posix(): f for p, f in doc["input_formats"].items()}
    for name, fmt in EXPECTED.items():
        assert formats[name] == fmt


def test_log_format_forces_a_format(cli_json: Json, tmp_path: Path) -> None:
    # a Claude Code file whose lines (so far) are only user turns is not recognisable by its keys…
    path = tmp_path / "session.jsonl"
    path.write_text('{"type": "summary", "summary": "x", "leafUuid": "u"}\n')
    with pytest.raises(InputError, match="no known log format"):
        _detect(path)
    # …but can be read as one, and its lines are skipped, not errors
    doc = cli_json("report", path, "--log-format", "claude-code", "--on-error", "skip")
    assert doc["rows_skipped"] == 1


def test_forcing_the_wrong_format_rejects_rows_instead_of_pricing_zero(cli_json: Json) -> None:
    doc = cli_json("report", FIXTURES / "openai-chat.jsonl", "--log-format", "anthropic-messages", "--on-error", "skip")
    assert doc["rows_priced"] == 0
    assert doc["rows_rejected"] + doc["rows_skipped"] == doc["rows_read"]


def test_unknown_file_is_refused_listing_the_formats(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mystery.jsonl"
    path.write_text('{"hello": "world", "n": 3}\n')
    result = cli("report", path)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert message.startswith(f"Error: {path}: no known log format matches its records")
    assert "pass --log-format NAME" in message
    for name in known_formats():
        assert name in message
    assert len(message.splitlines()) == 1


def test_unknown_log_format_name_is_a_usage_error(cli: Cli) -> None:
    result = cli("report", FIXTURES / "gemini.jsonl", "--log-format", "gemeni")
    assert result.exit_code == 2
    assert "--log-format gemeni: unknown format (known: canonical, openai-chat" in result.stderr


def test_records_matching_two_formats_equally_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "both.jsonl"
    lines = [
        (FIXTURES / "gemini.jsonl").read_text().splitlines()[0],
        (FIXTURES / "helicone.jsonl").read_text().splitlines()[0],
    ]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"more than one log format \(gemini, helicone\); choose one with --log-format"
    ):
        _detect(path)


def test_json_named_file_of_json_lines_is_read_as_lines(cli_json: Json, tmp_path: Path) -> None:
    # Bedrock's S3 delivery writes *.json.gz holding one record per line
    import gzip

    path = tmp_path / "BedrockModelInvocationLogs" / "us-east-1" / "2026" / "11" / "16" / "12" / "part.json.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress((FIXTURES / "bedrock-log.jsonl").read_bytes()))
    direct = cli_json("report", FIXTURES / "bedrock-log.jsonl")
    doc = cli_json("report", path)
    assert doc["input_formats"] == {str(path): "bedrock-log"}
    assert close(doc["total_cost"], direct["total_cost"])


def test_stdin_formats_are_detected_too(cli: Cli) -> None:
    text = (FIXTURES / "gemini.jsonl").read_text()
    result = cli("report", "-", "--format", "json", input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["input_formats"] == {"<stdin>": "gemini"}
