"""Generate sample_logs/: realistic, seeded usage logs in aicost's canonical columns.

    python scripts/make_sample_logs.py            # rewrites sample_logs/ identically every time

A made-up company's LLM traffic from June to November 2026: several providers and models, prompt caching,
batch and flex tiers, 1-hour cache writes, long-context calls over the 200k tier, DeepSeek calls around
its peak hours, growing volume, tags for feature and team, and a few calls to a self-hosted fine-tune that
no price table knows (so the unpriced path shows up too).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SEED = 20261129
OUT = Path(__file__).resolve().parent.parent / "sample_logs"
START = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Workload:
    feature: str
    team: str
    weight: float
    # (provider, model, share, service tier or None)
    models: tuple[tuple[str, str, float, str | None], ...]
    prompt: tuple[int, int]  # log-uniform range of prompt tokens
    output: tuple[int, int]
    cache_share: float  # share of the prompt read from cache when cached
    cached_calls: float  # share of calls that hit the cache
    write_1h: float = 0.0  # share of calls that write a 1-hour cache entry


WORKLOADS = (
    Workload(
        "chat",
        "support",
        0.34,
        (
            ("openai", "gpt-5.4-mini", 0.55, None),
            ("anthropic", "claude-haiku-4-5-20251001", 0.30, None),
            ("google", "gemini-2.5-flash", 0.15, None),
        ),
        (800, 6_000),
        (80, 600),
        0.7,
        0.6,
    ),
    Workload(
        "summarize",
        "growth",
        0.18,
        (
            ("openai", "gpt-5.4-mini", 0.45, "batch"),
            ("openai", "gpt-5-nano", 0.25, "flex"),
            ("deepseek", "deepseek-v4-flash", 0.30, None),
        ),
        (2_000, 30_000),
        (150, 900),
        0.0,
        0.0,
    ),
    Workload(
        "search",
        "platform",
        0.14,
        (
            ("google", "gemini-2.5-pro", 0.60, None),
            ("openai", "gpt-5.5", 0.40, None),
        ),
        (20_000, 320_000),
        (300, 2_500),
        0.5,
        0.3,
    ),
    Workload(
        "code-review",
        "platform",
        0.16,
        (
            ("anthropic", "claude-sonnet-4-5-20250929", 0.65, None),
            ("openai", "o3", 0.20, None),
            ("fireworks", "accounts/fireworks/models/glm-5p1", 0.15, None),
        ),
        (4_000, 60_000),
        (400, 4_000),
        0.8,
        0.7,
    ),
    Workload(
        "contract-analysis",
        "legal",
        0.16,
        (
            ("anthropic", "claude-opus-4-7", 0.80, None),
            ("zai", "glm-5.1", 0.20, None),
        ),
        (10_000, 150_000),
        (600, 6_000),
        0.85,
        0.75,
        write_1h=0.15,
    ),
)
AGENT = Workload(
    "agent",
    "platform",
    1.0,
    (
        ("anthropic", "claude-opus-4-7", 0.45, None),
        ("anthropic", "claude-sonnet-4-5", 0.35, None),
        ("openai", "gpt-5.5", 0.20, None),
    ),
    (15_000, 180_000),
    (200, 3_000),
    0.9,
    0.85,
    write_1h=0.1,
)


def log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    return round(lo * (hi / lo) ** rng.random())


def when(rng: random.Random, start: dt.datetime, end: dt.datetime, growth: float) -> dt.datetime:
    """A timestamp with volume growing `growth`x over the window, mostly on weekday working hours."""
    span = (end - start).total_seconds()
    while True:
        # inverse-CDF sampling of an exponential ramp (density ∝ growth**t): later months are busier
        u = rng.random()
        frac = math.log1p(u * (growth - 1)) / math.log(growth)
        moment = start + dt.timedelta(seconds=frac * span)
        busy = moment.weekday() < 5 and 6 <= moment.hour < 20
        if busy or rng.random() < 0.25:
            return moment.replace(microsecond=0)


def call(rng: random.Random, w: Workload, moment: dt.datetime, n: int) -> dict[str, object]:
    provider, model, tier = pick_model(rng, w)
    prompt = log_uniform(rng, *w.prompt)
    cache_read = int(prompt * w.cache_share) if rng.random() < w.cached_calls else 0
    cache_write_1h = int(prompt * 0.2) if rng.random() < w.write_1h and cache_read == 0 else 0
    cache_write = 0
    if provider == "anthropic" and cache_read == 0 and cache_write_1h == 0 and w.cached_calls:
        cache_write = int(prompt * w.cache_share)  # the first call of a cached prefix writes it
    uncached = prompt - cache_read - cache_write - cache_write_1h
    output = log_uniform(rng, *w.output)
    reasoning = int(output * rng.uniform(0.3, 0.7)) if model in ("o3", "gpt-5.5", "gpt-5-nano") else 0
    return {
        "timestamp": moment,
        "provider": provider,
        "model": model,
        "input_tokens": uncached,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": cache_write_1h,
        "output_tokens": output,
        "reasoning_tokens": reasoning,
        "requests": 1,
        "service_tier": tier,
        "request_id": f"req_{n:06d}",
        "feature": w.feature,
        "team": w.team,
    }


def pick_model(rng: random.Random, w: Workload) -> tuple[str, str, str | None]:
    r = rng.random()
    for provider, model, share, tier in w.models:
        if r < share:
            return provider, model, tier
        r -= share
    provider, model, _, tier = w.models[-1]
    return provider, model, tier


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    weights = [w.weight for w in WORKLOADS]
    for n in range(5_000):
        w = rng.choices(WORKLOADS, weights)[0]
        rows.append(call(rng, w, when(rng, START, END, growth=2.2), n))
    for n in range(5_000, 5_030):  # a self-hosted fine-tune: no public price exists
        rows.append(
            {
                **call(rng, WORKLOADS[0], when(rng, START, END, growth=2.2), n),
                "provider": "self-hosted",
                "model": "acme-support-ft-v2",
                "service_tier": None,
            }
        )
    rows.sort(key=lambda r: r["timestamp"])  # type: ignore[arg-type, return-value]
    frame = pl.DataFrame(rows, schema_overrides={"timestamp": pl.Datetime("us", "UTC")})
    OUT.mkdir(exist_ok=True)
    frame.write_parquet(OUT / "usage-2026.parquet", statistics=True)

    # November agent traffic, exported by another team as JSONL with ISO timestamps
    agent_rows = []
    nov = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for n in range(1_000):
        row = call(rng, AGENT, when(rng, nov, END, growth=1.3), 100_000 + n)
        row["timestamp"] = row["timestamp"].strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[attr-defined]
        row = {k: v for k, v in row.items() if v not in (None, 0) or k in ("input_tokens", "output_tokens")}
        agent_rows.append(row)
    agent_rows.sort(key=lambda r: str(r["timestamp"]))
    with (OUT / "agents-2026-11.jsonl").open("w") as fh:
        for row in agent_rows:
            fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
