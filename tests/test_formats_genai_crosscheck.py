"""Bodies no one wrote by hand: random usage in the OpenAI, Anthropic and Gemini shapes, priced by aicost
and by genai-prices' own extractors (`extract_usage` + `calc_price`), agree to 1e-6."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

from genai_prices import extract_usage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aicost.report import run_report
from tests.formats_ref import close

START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
counts = st.integers(min_value=0, max_value=300_000)
small = st.integers(min_value=0, max_value=20_000)
moments = st.integers(min_value=0, max_value=20 * 86_400)


def reference(bodies: list[dict[str, Any]], provider: str, times: list[dt.datetime], flavor: str = "default") -> float:
    total = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for body, at in zip(bodies, times, strict=True):
            extracted = extract_usage(body, provider_id=provider, api_flavor=flavor)
            total += float(extracted.calc_price(genai_request_timestamp=at).total_price)
    return total


def aicost_total(bodies: list[dict[str, Any]]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bodies.jsonl"
        path.write_text("".join(json.dumps(b) + "\n" for b in bodies))
        result = run_report([str(path)])
        assert result.usage.accounting.rows_priced == len(bodies)
        return result.total_cost


@st.composite
def openai_chat(draw: st.DrawFn) -> tuple[dict[str, Any], dt.datetime]:
    prompt = draw(counts)
    cached = draw(st.integers(min_value=0, max_value=prompt))
    completion = draw(small)
    reasoning = draw(st.integers(min_value=0, max_value=completion))
    at = START + dt.timedelta(seconds=draw(moments))
    body = {
        "id": f"chatcmpl-{draw(st.uuids())}",
        "object": "chat.completion",
        "created": int(at.timestamp()),
        "model": draw(st.sampled_from(["gpt-4o-2024-08-06", "gpt-5", "gpt-5-mini", "o4-mini", "gpt-5.4"])),
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        },
    }
    return body, at


@st.composite
def anthropic_message(draw: st.DrawFn) -> tuple[dict[str, Any], dt.datetime]:
    five, hour = draw(small), draw(small)
    at = START + dt.timedelta(seconds=draw(moments))
    body = {
        "timestamp": at.isoformat(),
        "id": f"msg_{draw(st.uuids()).hex}",
        "type": "message",
        "model": draw(st.sampled_from(["claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101", "claude-haiku-4-5"])),
        "usage": {
            "input_tokens": draw(counts),
            "cache_read_input_tokens": draw(counts),
            "cache_creation_input_tokens": five + hour,
            "cache_creation": {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour},
            "output_tokens": draw(small),
        },
    }
    return body, at


@st.composite
def gemini_response(draw: st.DrawFn) -> tuple[dict[str, Any], dt.datetime]:
    prompt = draw(counts)
    at = START + dt.timedelta(seconds=draw(moments))
    usage = {
        "promptTokenCount": prompt,
        "cachedContentTokenCount": draw(st.integers(min_value=0, max_value=prompt)),
        "candidatesTokenCount": draw(small),
        "thoughtsTokenCount": draw(small),
        "toolUsePromptTokenCount": draw(st.integers(min_value=0, max_value=5000)),
    }
    body = {
        "modelVersion": draw(st.sampled_from(["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"])),
        "responseId": f"gem-{draw(st.uuids())}",
        "createTime": at.isoformat().replace("+00:00", "Z"),
        "usageMetadata": usage,
    }
    return body, at


@SETTINGS
@given(st.lists(openai_chat(), min_size=1, max_size=4))
def test_openai_chat_bodies_match_genai_prices(calls: list[tuple[dict[str, Any], dt.datetime]]) -> None:
    bodies, times = [b for b, _ in calls], [t for _, t in calls]
    assert close(aicost_total(bodies), reference(bodies, "openai", times, "chat"))


@SETTINGS
@given(st.lists(anthropic_message(), min_size=1, max_size=4))
def test_anthropic_bodies_match_genai_prices(calls: list[tuple[dict[str, Any], dt.datetime]]) -> None:
    bodies, times = [b for b, _ in calls], [t for _, t in calls]
    assert close(aicost_total(bodies), reference(bodies, "anthropic", times))


@SETTINGS
@given(st.lists(gemini_response(), min_size=1, max_size=4))
def test_gemini_responses_match_genai_prices(calls: list[tuple[dict[str, Any], dt.datetime]]) -> None:
    bodies, times = [b for b, _ in calls], [t for _, t in calls]
    assert close(aicost_total(bodies), reference(bodies, "google", times))
