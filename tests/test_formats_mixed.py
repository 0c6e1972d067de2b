"""One command over mixed formats: a folder prices the same as its files one by one, and provider
request ids de-duplicate within and across files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.formats_ref import FIXTURES, close, gp

Json = Callable[..., dict[str, Any]]

FIVE = (
    "openai-chat.jsonl",
    "anthropic-messages.jsonl",
    "gemini.jsonl",
    "litellm-spendlogs.csv",
    "bedrock-converse.jsonl",
    "openai-usage.json",
)
COUNTS = ("rows_read", "rows_priced", "rows_unpriced", "rows_rejected", "rows_skipped", "rows_deduplicated")


def test_folder_of_mixed_formats_equals_the_files_priced_one_by_one(cli_json: Json, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in FIVE:
        shutil.copy(FIXTURES / name, folder / name)
    alone = [cli_json("report", folder / name) for name in FIVE]
    together = cli_json("report", folder)
    assert close(together["total_cost"], sum(d["total_cost"] for d in alone), rel=1e-9)
    for key in COUNTS:
        assert together[key] == sum(d[key] for d in alone), key
    assert set(together["input_formats"].values()) == {
        "openai-chat",
        "anthropic-messages",
        "gemini",
        "litellm",
        "bedrock-converse",
        "openai-usage",
    }


def test_the_whole_fixture_folder_prices_as_its_files(cli_json: Json) -> None:
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix in (".jsonl", ".json", ".csv"))
    singles = [p for p in files if "claude-code" not in p.parts and "codex" not in p.parts]
    alone = sum(cli_json("report", p, "-q")["total_cost"] for p in singles)
    alone += cli_json("report", FIXTURES / "claude-code", "-q")["total_cost"]
    alone += cli_json("report", FIXTURES / "codex", "-q")["total_cost"]
    assert close(cli_json("report", FIXTURES, "-q")["total_cost"], alone, rel=1e-9)


def test_same_provider_id_in_two_files_counts_once(cli_json: Json, tmp_path: Path) -> None:
    # the same chat completion logged by the app and again by a second logger
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    shutil.copy(FIXTURES / "openai-chat.jsonl", first)
    shutil.copy(FIXTURES / "openai-chat.jsonl", second)
    one = cli_json("report", first)
    both = cli_json("report", first, second)
    assert close(both["total_cost"], one["total_cost"])
    # the second copy of every priced row, plus each file's own in-file duplicate
    assert both["rows_deduplicated"] == one["rows_priced"] + 2 * one["rows_deduplicated"]


def test_gateway_row_and_provider_body_sharing_the_provider_id_collapse(cli_json: Json, tmp_path: Path) -> None:
    # LiteLLM's request_id is usually the provider's response id (§8, §15)
    body = {
        "id": "chatcmpl-ltl-2",
        "object": "chat.completion",
        "created": 1794830460,
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 5000, "completion_tokens": 300, "prompt_tokens_details": {"cached_tokens": 4096}},
    }
    bodies = tmp_path / "bodies.jsonl"
    bodies.write_text(json.dumps(body) + "\n")
    doc = cli_json("report", bodies, FIXTURES / "litellm-spendlogs.jsonl")
    gateway = cli_json("report", FIXTURES / "litellm-spendlogs.jsonl")
    assert doc["rows_deduplicated"] == 1
    assert close(doc["total_cost"], gateway["total_cost"])


def test_bad_copy_never_displaces_a_good_one(cli_json: Json, tmp_path: Path) -> None:
    good = json.loads((FIXTURES / "openai-chat.jsonl").read_text().splitlines()[0])
    bad = json.loads(json.dumps(good))
    bad["usage"]["prompt_tokens"] = "n/a"
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    doc = cli_json("report", path, "--on-error", "skip")
    assert (doc["rows_rejected"], doc["rows_priced"], doc["rows_deduplicated"]) == (1, 1, 0)
    assert close(doc["total_cost"], gp("gpt-4o-2024-08-06", "openai", input=2000, cache_read=8000, output=500))
