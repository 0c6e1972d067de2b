"""Every format's fixture priced to 1e-6 of an independent calculation.

Each expected cost is built from the fixture's raw fields with the semantics that decide it written
next to it (log-formats.md §12), then priced by genai-prices (`gp`) or by hand from pricing-sources.md
§9. Timestamps are 2026-11-16, after the batch/flex verification dates, so batch lines get batch rates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.formats_ref import FIXTURES, close, gp

Json = Callable[..., dict[str, Any]]


def report(cli_json: Json, path: Path | str, *args: str) -> dict[str, Any]:
    return cli_json("report", path, "--by", "model,service_tier", *args)


def test_openai_chat_cache_inside_prompt_reasoning_inside_completion(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openai-chat.jsonl")
    expected = (
        # prompt 10000 holds cached 8000: uncached 2000
        gp("gpt-4o-2024-08-06", "openai", input=10_000 - 8_000, cache_read=8_000, output=500)
        # reasoning 128 and rejected predictions 40 are already inside completion_tokens 300
        + gp("o4-mini-2025-04-16", "openai", input=2006 - 1920, cache_read=1920, output=300)
        # the stream's final chunk carries the usage; the earlier chunk is skipped
        + gp("gpt-4o-mini-2024-07-18", "openai", input=1000, output=50)
        # 2600 = 2000 read + 400 written + 200 plain (the prompt-caching guide's example)
        + gp("gpt-5.6-sol", "openai", input=200, cache_read=2000, cache_write=400, output=100)
    )
    assert close(doc["total_cost"], expected)
    # by hand: gpt-4o 2000 × $2.5 + 8000 × $1.25 + 500 × $10 per M = $0.02
    assert close(next(r["cost"] for r in doc["rows"] if r["model"] == "gpt-4o-2024-08-06"), 0.02)
    assert (doc["rows_read"], doc["rows_priced"], doc["rows_skipped"], doc["rows_deduplicated"]) == (6, 4, 1, 1)


def test_openai_responses_bodies_and_stream_events(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openai-responses.jsonl")
    # input_tokens 12000 holds cached 10240; output 2450 holds reasoning 2000
    expected = gp("gpt-5-2025-08-07", "openai", input=12_000 - 10_240, cache_read=10_240, output=2450)
    # only response.completed carries the stream's usage
    expected += gp("gpt-5-mini-2025-08-07", "openai", input=3000, output=800)
    assert close(doc["total_cost"], expected)
    assert close(expected, (1760 * 1.25 + 10_240 * 0.125 + 2450 * 10 + 3000 * 0.25 + 800 * 2) / 1e6)
    assert doc["rows_skipped"] == 2


def test_openai_batch_lines_at_batch_rates_errors_skipped(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openai-batch.jsonl")
    expected = (
        gp("gpt-4o-mini-2024-07-18", "openai", input=220_000, output=50_000, tier="batch")
        # the body's service_tier "default" is what was asked; the batch file decides the rate
        + gp("gpt-4o-2024-08-06", "openai", input=100_000, cache_read=20_000, output=30_000, tier="batch")
        + gp("gpt-5-2025-08-07", "openai", input=40_000, output=8_000, tier="batch")
    )
    assert close(doc["total_cost"], expected)
    # by hand, batch gpt-4o-mini is half of $0.15/$0.60: 220000 × 0.075 + 50000 × 0.30 per M
    assert close(next(r["cost"] for r in doc["rows"] if r["model"].startswith("gpt-4o-mini")), 0.0315)
    assert {r["service_tier"] for r in doc["rows"]} == {"batch"}
    assert doc["skipped"] == {"batch line errored (no usage)": 1, "batch line with HTTP status 400 (no usage)": 1}


def test_openai_usage_api_buckets_with_request_counts_and_per_request_tiers(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openai-usage.json")
    # gpt-5.4 is a cliff at 272k prompt tokens per request ($2.5/$15 below, $5/$22.5 above):
    # 600k over 2 requests = 300k each → long-context rates; 600k over 3 = 200k each → standard
    gpt54 = (600_000 * 5 + 10_000 * 22.5) / 1e6 + (600_000 * 2.5 + 10_000 * 15) / 1e6
    expected = (
        gp("gpt-4o-2024-08-06", "openai", input=1_000_000 - 800_000, cache_read=800_000, output=50_000)
        + gpt54
        # batch=true → batch rates
        + gp("gpt-4o-mini-2024-07-18", "openai", input=2_000_000, output=400_000, tier="batch")
        # input_uncached_tokens excludes reads and writes; flex tier
        + gp("gpt-5", "openai", input=150_000, cache_read=100_000, cache_write=50_000, output=20_000, tier="flex")
    )
    assert close(doc["total_cost"], expected)
    assert close(sum(r["cost"] for r in doc["rows"] if r["model"] == "gpt-5.4"), 4.875)
    assert doc["totals"]["requests"] == 40 + 2 + 3 + 500 + 10
    assert doc["rows_read"] == 5  # the empty bucket has no rows


def test_anthropic_messages_one_hour_writes_and_thinking(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "anthropic-messages.jsonl")
    expected = (
        # input excludes cache; cache_creation splits 2048 writes into 1048 5m + 1000 1h (not both)
        gp("claude-sonnet-4-5-20250929", "anthropic", input=12, cache_read=30_000, cache_write=1048,
           cache_write_1h=1000, output=640)
        # no cache_creation split: the total is a 5-minute write
        + gp("claude-haiku-4-5-20251001", "anthropic", input=500, cache_write=4000, output=200)
        # thinking (2500) is already inside output_tokens (3000)
        + gp("claude-opus-4-5-20251101", "anthropic", input=100, output=3000)
    )  # fmt: skip
    assert close(doc["total_cost"], expected)
    # by hand: 1h writes cost 2× input ($6), 5m writes 1.25× ($3.75)
    sonnet = (12 * 3 + 30_000 * 0.3 + 1048 * 3.75 + 1000 * 6 + 640 * 15) / 1e6
    assert close(next(r["cost"] for r in doc["rows"] if r["model"].startswith("claude-sonnet")), sonnet)
    assert doc["skipped"] == {"error response (no usage)": 1}


def test_anthropic_stream_reduced_to_final_cumulative_usage(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "anthropic-stream.jsonl")
    # message_delta usage is cumulative: the last (180, not 90 + 180) counts; inputs from message_start
    expected = gp("claude-sonnet-4-5-20250929", "anthropic", input=25, cache_read=12_000, output=180)
    expected += gp("claude-haiku-4-5-20251001", "anthropic", input=300, cache_write=1000, output=75)
    assert close(doc["total_cost"], expected)
    assert (doc["rows_read"], doc["rows_priced"], doc["rows_skipped"]) == (9, 2, 7)


def test_anthropic_batch_results_succeeded_only_at_batch_rates(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "anthropic-batch.jsonl")
    # results carry no time: priced at the prices in force now, like genai-prices with no timestamp
    expected = gp("claude-opus-4-5-20251101", "anthropic", at=None, input=20_000, cache_read=50_000,
                  cache_write=6000, cache_write_1h=4000, output=4000, tier="batch")  # fmt: skip
    expected += gp("claude-haiku-4-5-20251001", "anthropic", at=None, input=100_000, output=20_000, tier="batch")
    assert close(doc["total_cost"], expected)
    assert doc["skipped"] == {
        "batch result canceled (no usage)": 1,
        "batch result errored (no usage)": 1,
        "batch result expired (no usage)": 1,
    }


def test_anthropic_usage_report_estimates_requests_from_context_window(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "anthropic-usage-report.json")
    # no request counts: a 0-200k row stays on standard rates, a 200k-1M row gets the >200k tier
    standard = (5200 * 3 + 880_000 * 0.3 + 41_000 * 3.75 + 9000 * 6 + 27_000 * 15) / 1e6
    long_context = (250_000 * 6 + 2000 * 22.5) / 1e6
    batch = gp("claude-haiku-4-5-20251001", "anthropic", input=1_000_000, output=100_000, tier="batch")
    assert close(doc["total_cost"], standard + long_context + batch)
    assert any("no request counts" in w for w in doc["warnings"])


def test_gemini_thoughts_outside_candidates_cache_inside_prompt(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "gemini.jsonl")
    expected = (
        # uncached = prompt 5000 − cached 4096 + tool-use prompt 120; output = candidates 300 + thoughts 900
        gp("gemini-2.5-flash", "google", input=5000 - 4096 + 120, cache_read=4096, output=300 + 900)
        # 250k prompt passes the 200k cliff: every class at the tier rate
        + gp("gemini-2.5-pro", "google", input=250_000, output=1000 + 3000)
        # stream chunks repeat a response id with growing usage: the largest copy counts
        + gp("gemini-2.5-flash", "google", input=800, output=150 + 40)
    )
    assert close(doc["total_cost"], expected)
    assert close(
        next(r["cost"] for r in doc["rows"] if r["model"] == "gemini-2.5-pro"), (250_000 * 2.5 + 4000 * 15) / 1e6
    )
    assert doc["skipped"] == {"provisioned throughput (billed by reservation, not per token)": 1}
    assert doc["rows_deduplicated"] == 1


def test_gemini_snake_case(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "gemini-snake.jsonl")
    expected = gp("gemini-2.5-flash-lite", "google", input=20_000 - 16_000, cache_read=16_000, output=500 + 1500)
    assert close(doc["total_cost"], expected)
    assert close(expected, (4000 * 0.1 + 16_000 * 0.01 + 2000 * 0.4) / 1e6)


def test_bedrock_invocation_log_cache_outside_ttl_from_body(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "bedrock-log.jsonl")
    expected = (
        gp("us.anthropic.claude-sonnet-4-20250514-v1:0", "aws", input=40, cache_read=9000, output=210)
        # cacheWriteInputTokenCount 3000 split by the native body: 1000 5m + 2000 1h
        + gp("anthropic.claude-3-5-haiku-20241022-v1:0", "aws", input=1200, cache_write=1000, cache_write_1h=2000,
             output=400)
    )  # fmt: skip
    assert close(doc["total_cost"], expected)
    assert doc["rows_unpriced"] == 1  # the application inference profile names no model
    assert doc["skipped"] == {"failed invocation (errorCode; no usage)": 1}
    assert any("--model-alias" in w for w in doc["warnings"])


def test_bedrock_application_profile_priced_through_alias(cli_json: Json, tmp_path: Path) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz"
    aliases = tmp_path / "aliases.toml"
    aliases.write_text(f'[model_aliases]\n"{arn}" = "us.anthropic.claude-sonnet-4-20250514-v1:0"\n')
    for option in (f"{arn}=us.anthropic.claude-sonnet-4-20250514-v1:0", str(aliases)):
        doc = cli_json("report", FIXTURES / "bedrock-log.jsonl", "--model-alias", option, "--by", "model,logged_model")
        assert doc["rows_unpriced"] == 0
        row = next(r for r in doc["rows"] if r["logged_model"] == arn)
        assert close(row["cost"], gp("us.anthropic.claude-sonnet-4-20250514-v1:0", "aws", input=500, output=100))


def test_bedrock_converse_cache_details_split_writes(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "bedrock-converse.jsonl")
    model = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    expected = gp(model, "aws", input=40, cache_read=9000, output=210)
    # cacheDetails[] (1h listed first) splits cacheWriteInputTokens 3000: 2000 1h + 1000 5m
    expected += gp(model, "aws", input=100, cache_write=1000, cache_write_1h=2000, output=50)
    assert close(doc["total_cost"], expected)


@pytest.mark.parametrize("name", ["litellm-spendlogs.jsonl", "litellm-spendlogs.csv"])
def test_litellm_cache_inside_prompt_cache_hits_and_failures_skipped(cli_json: Json, name: str) -> None:
    doc = report(cli_json, FIXTURES / name)
    # prompt_tokens 31000 folds in cache reads 30000 and writes 988 (current LiteLLM): uncached 12
    expected = gp("claude-sonnet-4-5-20250929", "anthropic", input=12, cache_read=30_000, cache_write=988, output=640)
    # OpenAI traffic: cached_tokens 4096 inside prompt_tokens 5000
    expected += gp("gpt-4o-mini", "openai", input=5000 - 4096, cache_read=4096, output=300)
    if name.endswith(".jsonl"):
        # 1200 − 1000 − 500 < 0: this (older) row cannot have folded the writes in, so only reads come off
        expected += gp(
            "claude-haiku-4-5-20251001", "anthropic", input=200, cache_read=1000, cache_write=500, output=100
        )
    assert close(doc["total_cost"], expected)
    assert doc["skipped"]["gateway cache hit (LiteLLM response cache, not billed)"] == 1


def test_langfuse_generations_only_types_disjoint(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "langfuse-observations.json")
    expected = (
        # input 86 already excludes input_cached_tokens; output 172 excludes output_reasoning_tokens 128
        gp("gpt-4o", "openai", input=86, cache_read=1920, output=172 + 128)
        + gp("claude-sonnet-4-5-20250929", "anthropic", input=50, cache_read=20_000, cache_write=3000, output=400)
        + gp("text-embedding-3-small", "openai", input=8000)
    )
    assert close(doc["total_cost"], expected)
    assert doc["skipped"] == {"Langfuse EVENT observation (no usage)": 1, "Langfuse SPAN observation (no usage)": 1}


def test_helicone_prompt_tokens_exclusive(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "helicone.jsonl")
    expected = gp("claude-3-5-haiku-20241022", "anthropic", input=50, cache_read=4000, output=90)
    expected += gp("gpt-4o-mini", "openai", input=1500, output=200)
    assert close(doc["total_cost"], expected)
    assert doc["skipped"] == {"failed request (HTTP 500)": 1}


def test_openrouter_native_counts_at_openrouter_rates(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openrouter-generations.jsonl")
    # native_tokens_cached 800 inside native_tokens_prompt 1000; reasoning inside completion
    expected = gp("anthropic/claude-sonnet-4.5", "openrouter", input=200, cache_read=800, output=98)
    expected += gp("openai/gpt-5-mini", "openrouter", input=2000, output=350)
    assert close(doc["total_cost"], expected)


def test_openrouter_activity_csv(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "openrouter-activity.csv")
    # tokens_cached inside tokens_prompt [3rd, unverified]; created_at has no zone: read as UTC
    expected = gp("anthropic/claude-sonnet-4.5", "openrouter", input=200, cache_read=800, output=98)
    expected += gp("openai/gpt-5-mini", "openrouter", input=2000, output=350)
    assert close(doc["total_cost"], expected)


def test_claude_code_duplicates_counted_once(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "claude-code")
    expected = (
        # msg A: streamed twice in one file (output 12, then 310) and copied into a resumed session:
        # the largest copy counts, once
        gp("claude-sonnet-4-5-20250929", "anthropic", input=4, cache_read=48_000, cache_write=1200, output=310)
        # msg B: in the session, its resumed copy and a sidechain replay: once, with its 1-hour writes
        + gp("claude-opus-4-5-20251101", "anthropic", input=6, cache_write_1h=20_000, output=500)
        + gp("claude-sonnet-4-5-20250929", "anthropic", input=10, cache_read=70_000, output=800)
        # msg D: a subagent's own call (sidechain, unique): counted
        + gp("claude-haiku-4-5-20251001", "anthropic", input=2000, output=150)
    )
    assert close(doc["total_cost"], expected)
    assert doc["rows_priced"] == 4
    assert doc["rows_deduplicated"] == 4
    assert doc["skipped"]["synthetic message (no API call)"] == 1


def test_codex_per_turn_usage_never_running_totals(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "codex")
    expected = (
        # turn 1 and 2 from last_token_usage (input holds cached; output holds reasoning)
        gp("gpt-5-codex", "openai", input=10_000 - 8000, cache_read=8000, output=500)
        + gp("gpt-5-codex", "openai", input=12_000 - 11_000, cache_read=11_000, output=800)
        # turn 3 has only totals: differenced from the previous event, priced as the latest turn_context
        + gp("gpt-5-mini", "openai", input=(30_000 - 22_000) - (19_000 - 19_000), output=1500 - 1300)
    )
    assert close(doc["total_cost"], expected)
    # the re-emitted event and the archived copy of the session are not counted again
    assert doc["rows_priced"] == 3
    assert doc["rows_deduplicated"] == 3


def test_llm_logs_db_plugin_semantics(cli_json: Json, tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    with sqlite3.connect(db) as conn:
        conn.executescript((FIXTURES / "llm-logs.sql").read_text())
    conn.close()
    doc = report(cli_json, db)
    expected = (
        # OpenAI plugin: input_tokens 1500 holds cached 1024
        gp("gpt-4o-mini", "openai", input=1500 - 1024, cache_read=1024, output=200)
        # llm-anthropic: input_tokens 40 excludes cache; counts from token_details
        + gp("claude-sonnet-4-5-20250929", "anthropic", input=40, cache_read=10_000, cache_write=2000, output=700)
        + gp("o4-mini", "openai", input=800, output=1500)
    )
    assert close(doc["total_cost"], expected)
    assert doc["input_formats"] == {str(db): "llm"}


def test_otel_spans_inclusive_by_spec_exclusive_heuristic_warns(cli_json: Json) -> None:
    doc = report(cli_json, FIXTURES / "otel-spans.json")
    expected = (
        # per spec, input_tokens includes cache: 10000 − 6000 read
        gp("gpt-4o-2024-08-06", "openai", input=4000, cache_read=6000, output=800)
        # 31012 ≥ 30000 + 1000: inclusive, uncached 12
        + gp("claude-sonnet-4-5-20250929", "anthropic", input=12, cache_read=30_000, cache_write=1000, output=640)
        # 12 < 30000 + 2048: cannot be inclusive (pitfall 2): used as is
        + gp("claude-sonnet-4-5-20250929", "anthropic", input=12, cache_read=30_000, cache_write=2048, output=640)
    )
    assert close(doc["total_cost"], expected)
    assert any("excludes cache" in w for w in doc["warnings"])
    assert doc["skipped"] == {"span without token usage": 1}


def test_deepseek_hit_and_miss_instead_of_cached_tokens(cli_json: Json, tmp_path: Path) -> None:
    # DeepSeek's OpenAI-compatible body splits the prompt into hit + miss (they sum to prompt_tokens)
    body = {
        "id": "ds-fx-1",
        "object": "chat.completion",
        "created": 1794830400,  # a Monday, 12:00 UTC
        "model": "deepseek-chat",
        "usage": {
            "prompt_tokens": 10_000,
            "completion_tokens": 500,
            "prompt_cache_hit_tokens": 6000,
            "prompt_cache_miss_tokens": 4000,
            "prompt_tokens_details": {"cached_tokens": 6000},
        },
    }
    path = tmp_path / "deepseek.jsonl"
    path.write_text(json.dumps(body) + "\n")
    doc = report(cli_json, path)
    assert doc["input_formats"] == {str(path): "openai-chat"}
    assert close(doc["total_cost"], gp("deepseek-chat", "deepseek", input=4000, cache_read=6000, output=500))
