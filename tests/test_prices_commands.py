"""`aicost prices list | show | diff` on the bundled tables, and help and errors for every command."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import Result

from aicost.pricing.tables import load_table, write_table
from tests.conftest import BUNDLED_PRICING


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


@pytest.mark.parametrize("command", [[], ["update"], ["list"], ["show"], ["diff"]])
def test_every_prices_command_has_help_text(cli: Callable[..., Result], command: list[str]) -> None:
    result = cli("prices", *command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    body = result.stdout.split("Usage:", 1)[1]
    assert len(body.strip().splitlines()) > 3


def test_list_filters_by_provider_and_search_in_every_format(cli: Callable[..., Result]) -> None:
    doc = _json(cli("prices", "list", "--provider", "anthropic", "--format", "json"))
    assert doc["count"] == 27 and {m["provider"] for m in doc["models"]} == {"anthropic"}
    opus = next(m for m in doc["models"] if m["model"] == "claude-opus-4-5")
    assert (opus["input"], opus["cache_read"], opus["cache_write"], opus["output"]) == (5.0, 0.5, 6.25, 25.0)
    assert doc["tables"][0]["file"] == "anthropic.toml" and doc["pricing"]["as_of"].startswith("2026-11-29")
    assert doc["schema_version"] == 1
    search = _json(cli("prices", "list", "--search", "sonnet-4-5", "--format", "json"))
    assert search["count"] >= 3 and all("sonnet-4-5" in m["model"].lower() for m in search["models"])
    csv = cli("prices", "list", "--provider", "openai", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.startswith("provider,model,input,")
    md = cli("prices", "list", "--provider", "openai", "--format", "markdown")
    assert md.exit_code == 0 and md.stdout.startswith("| provider | model |")
    table = cli("prices", "list", "--provider", "deepseek")
    assert table.exit_code == 0 and "deepseek-v4-flash" in table.stdout and "genai-prices" in table.stdout
    bad = cli("prices", "list", "--provider", "nosuchcloud")
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: unknown provider")


@pytest.mark.parametrize(
    ("query", "provider", "model", "via"),
    [
        ("gpt-4o-2024-08-06", "openai", "gpt-4o", "provider inferred"),
        ("anthropic/claude-sonnet-4.5", "anthropic", "claude-sonnet-4-5", "provider prefix"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "aws", None, "Bedrock id"),
        ("claude-opus-4-5-20251101", "anthropic", "claude-opus-4-5", ""),
    ],
)
def test_show_resolves_ids_as_users_write_them(
    cli: Callable[..., Result], query: str, provider: str, model: str | None, via: str
) -> None:
    doc = _json(cli("prices", "show", query, "--format", "json"))
    assert doc["resolved"]["provider"] == provider
    if model is not None:
        assert doc["resolved"]["model"] == model
    assert via in doc["resolved"]["via"]
    assert doc["table"]["file"] == f"{doc['resolved']['price_provider']}.toml"
    assert doc["source"]["name"] == "genai-prices" and doc["source"]["sha256"]
    assert doc["model"]["price"]


def test_show_prints_history_tiers_variants_and_provenance(cli: Callable[..., Result]) -> None:
    result = cli("prices", "show", "gpt-5.4", "--provider", "openai")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for needle in (
        "openai/gpt-5.4",
        "via: exact",
        "table:",
        "openai.toml",
        "source: genai-prices",
        "Price history",
        ">272k",
        "Service-tier variants",
        "priority",
        "batch",
    ):
        assert needle in text, needle
    o3 = cli("prices", "show", "o3", "--provider", "openai").stdout
    assert "2025-06-10" in o3 and "(always)" in o3
    flash = cli("prices", "show", "deepseek-v4-flash", "--provider", "deepseek").stdout
    assert "01:00-04:00 UTC mon,tue,wed,thu,fri" in flash


def test_show_unknown_model_fails_with_did_you_mean(cli: Callable[..., Result]) -> None:
    result = cli("prices", "show", "claude-sonet-4-5")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: claude-sonet-4-5: ") and "did you mean" in lines[0]
    assert "Traceback" not in result.stderr


def test_diff_after_editing_one_price_shows_exactly_that_change(cli: Callable[..., Result], tmp_path: Path) -> None:
    edited = tmp_path / "edited"
    shutil.copytree(BUNDLED_PRICING, edited)
    table = load_table(edited / "anthropic.toml")
    for i, model in enumerate(table.model):
        if model.id == "claude-haiku-4-5":
            entry = msgspec.structs.replace(model.price[-1], output=5.5)
            table.model[i] = msgspec.structs.replace(model, price=[*model.price[:-1], entry])
    write_table(edited / "anthropic.toml", table)
    doc = _json(cli("prices", "diff", "bundled", edited, "--format", "json"))
    assert doc["summary"] == {"added": 0, "removed": 0, "changed": 1, "delisted": 0, "history_entries_appended": 0}
    assert doc["changed"] == [
        {
            "provider": "anthropic",
            "model": "claude-haiku-4-5",
            "changes": [{"kind": "changed", "where": "price", "key": "output", "old": 5.0, "new": 5.5}],
        }
    ]
    assert doc["old"]["label"] == "bundled" and doc["new"]["directory"] == str(edited)
    assert doc["new"]["as_of"].startswith("2026-11-29") and doc["schema_version"] == 1
    table_view = cli("prices", "diff", "bundled", edited)
    assert table_view.exit_code == 0
    (row,) = [line for line in table_view.stdout.splitlines() if "claude-haiku-4-5" in line]
    assert "output" in row and "5.5" in row and "+10.0%" in row
    csv = cli("prices", "diff", "bundled", edited, "--format", "csv")
    assert csv.stdout.splitlines()[1:] == ["anthropic,claude-haiku-4-5,changed,price,output,5,5.5"]


def test_diff_without_user_tables_says_what_to_do(cli: Callable[..., Result]) -> None:
    result = cli("prices", "diff")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no user tables to compare; run `aicost prices update` first")
    assert cli("prices", "diff", "nowhere", "bundled").exit_code == 2


def test_update_rejects_a_missing_file_and_a_bad_date(cli: Callable[..., Result], tmp_path: Path) -> None:
    missing = cli("prices", "update", "--source", tmp_path / "none.json", "--output", tmp_path / "out")
    assert missing.exit_code == 1 and "cannot read price source" in missing.stderr
    assert not (tmp_path / "out").exists()
    bad = cli("prices", "update", "--as-of", "yesterday", "--output", tmp_path / "out")
    assert bad.exit_code == 2 and "--as-of" in bad.stderr
