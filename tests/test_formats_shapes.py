"""The same records in another container (a JSON array, JSON lines, flattened spans) price the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aicost.report import ReportResult, run_report
from tests.formats_ref import FIXTURES, close, gp

LINE_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.jsonl"))
COUNTS = ("rows_read", "rows_priced", "rows_unpriced", "rows_rejected", "rows_skipped", "rows_deduplicated")


def run(*paths: Path) -> ReportResult:
    return run_report([str(p) for p in paths], on_error="skip")


def same(a: ReportResult, b: ReportResult) -> None:
    assert close(a.total_cost, b.total_cost, rel=1e-9)
    left, right = a.usage.accounting.to_json(), b.usage.accounting.to_json()
    assert {k: left[k] for k in COUNTS} == {k: right[k] for k in COUNTS}


@pytest.mark.parametrize("name", LINE_FIXTURES)
def test_json_array_of_the_records_prices_like_json_lines(name: str, tmp_path: Path) -> None:
    source = FIXTURES / name
    records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    array = tmp_path / f"{source.stem}.json"
    array.write_text(json.dumps(records, indent=1))
    same(run(source), run(array))


def test_list_tags_read_the_same_from_lines_and_arrays(tmp_path: Path) -> None:
    source = FIXTURES / "litellm-spendlogs.jsonl"
    array = tmp_path / "spend.json"
    array.write_text(json.dumps([json.loads(line) for line in source.read_text().splitlines()]))
    for path in (source, array):
        tags = run_report([str(path)], by=["request_tags"]).rows["request_tags"].to_list()
        assert sorted(tags, key=str) == sorted(["feature:summarize,env:prod", "feature:chat", None], key=str)


def test_langfuse_json_lines_and_blob_snake_case(tmp_path: Path) -> None:
    records = json.loads((FIXTURES / "langfuse-observations.json").read_text())["data"]
    lines = tmp_path / "observations.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    same(run(FIXTURES / "langfuse-observations.json"), run(lines))
    snake = [
        {
            "id": r["id"],
            "trace_id": r["traceId"],
            "type": r["type"],
            "start_time": r["startTime"],
            "provided_model_name": r.get("model"),
            **({"usage_details": r["usageDetails"], "cost_details": r["costDetails"]} if "usageDetails" in r else {}),
        }
        for r in records
    ]
    blob = tmp_path / "blob.jsonl"
    blob.write_text("".join(json.dumps(r) + "\n" for r in snake))
    same(run(FIXTURES / "langfuse-observations.json"), run(blob))


def test_usage_api_pages_and_buckets_as_json_lines(tmp_path: Path) -> None:
    page = json.loads((FIXTURES / "openai-usage.json").read_text())
    buckets = tmp_path / "buckets.jsonl"
    buckets.write_text("".join(json.dumps(b) + "\n" for b in page["data"]))
    same(run(FIXTURES / "openai-usage.json"), run(buckets))
    report = json.loads((FIXTURES / "anthropic-usage-report.json").read_text())
    pages = tmp_path / "pages.jsonl"
    pages.write_text(json.dumps(report) + "\n")
    same(run(FIXTURES / "anthropic-usage-report.json"), run(pages))


def test_otel_flattened_spans_and_collector_file_exporter_lines(tmp_path: Path) -> None:
    export = json.loads((FIXTURES / "otel-spans.json").read_text())
    lines = tmp_path / "otlp.jsonl"  # the collector's file exporter: one export request per line
    lines.write_text(json.dumps(export) + "\n")
    same(run(FIXTURES / "otel-spans.json"), run(lines))
    flat = []
    for resource in export["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                attributes = {a["key"]: next(iter(a["value"].values())) for a in span["attributes"]}
                flat.append({**span, "attributes": attributes})
    spans = tmp_path / "spans.jsonl"
    spans.write_text("".join(json.dumps(s) + "\n" for s in flat))
    same(run(FIXTURES / "otel-spans.json"), run(spans))


def test_litellm_daily_spend_table(tmp_path: Path) -> None:
    # LiteLLM_DailyTeamSpend rows: aggregated, with api_requests and their own cache columns (§8)
    row = {
        "date": "2026-11-16",
        "team_id": "t_search",
        "api_key": "88dc0f",
        "model": "gpt-4o-mini",
        "model_group": "mini",
        "custom_llm_provider": "openai",
        "prompt_tokens": 1_000_000,
        "completion_tokens": 200_000,
        "cache_read_input_tokens": 400_000,
        "cache_creation_input_tokens": 0,
        "spend": 0.27,
        "api_requests": 250,
        "successful_requests": 250,
        "failed_requests": 0,
    }
    path = tmp_path / "daily.jsonl"
    path.write_text(json.dumps(row) + "\n")
    result = run(path)
    assert result.usage.accounting.rows_priced == 1
    assert result.totals()["requests"] == 250
    expected = gp("gpt-4o-mini", "openai", input=600_000, cache_read=400_000, output=200_000)
    assert close(result.total_cost, expected)
