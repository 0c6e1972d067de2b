"""`aicost prices update` against the real databases served from 127.0.0.1, and its guards."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.conftest import BUNDLED_PRICING, SHARED_SOURCES
from tests.prices_support import (
    GENAI,
    Server,
    genai_bytes,
    genai_data,
    genai_model,
    litellm_bytes,
    openrouter_payload,
    per_million,
    served,
    snapshot,
    start_server,
)

AS_OF = "2026-11-29"


@pytest.fixture(scope="module")
def httpd() -> Iterator[tuple[Server, ThreadingHTTPServer]]:
    pair = start_server()
    yield pair
    pair[1].shutdown()
    pair[1].server_close()


@pytest.fixture
def server(httpd: tuple[Server, ThreadingHTTPServer]) -> Iterator[Server]:
    yield from served(httpd)


def update_json(cli: Callable[..., Result], *args: str | Path) -> dict[str, Any]:
    result = cli("prices", "update", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def show(cli: Callable[..., Result], pricing: Path, model: str, *extra: str) -> dict[str, Any]:
    result = cli("prices", "show", model, "--pricing", pricing, "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def current(doc: dict[str, Any]) -> dict[str, Any]:
    """The model's latest standard price entry from `prices show --format json`."""
    entry: dict[str, Any] = doc["model"]["price"][-1]
    return entry


# ------------------------------------------------------------------------------------------- sources

# (provider, model) spot checks whose expected rates are read from the genai-prices JSON itself
GENAI_SPOT = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-5"),
    ("anthropic", "claude-opus-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("google", "gemini-2.5-pro"),
    ("google", "gemini-2.5-flash"),
    ("fireworks", "llama-v3p1-8b-instruct"),
    ("mistral", "codestral-2508"),
    ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    ("x-ai", "grok-3"),
    ("openrouter", "anthropic/claude-sonnet-4.5"),
]
_CLASS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
}


def test_genai_prices_update_prices_every_model_as_the_source_does(
    cli: Callable[..., Result], server: Server, tmp_path: Path
) -> None:
    url = server.serve("/genai/data.json", genai_bytes())
    out = tmp_path / "tables"
    doc = update_json(cli, "--source", url, "--output", out, "--as-of", AS_OF)
    assert doc["new"]["models"] >= 2330
    assert doc["summary"]["added"] == doc["new"]["models"]
    assert len(list(out.glob("*.toml"))) == 47
    assert doc["fetched"][0]["format"] == "genai-prices"
    tables = {t["provider"]: t for t in doc["new"]["tables"]}
    assert tables["openai"]["source"]["url"] == url
    assert tables["openai"]["source"]["retrieved_at"].startswith(AS_OF)

    data = genai_data()
    for provider, model_id in GENAI_SPOT:
        source = genai_model(data, provider, model_id)["prices"]
        assert isinstance(source, dict), (provider, model_id)
        got = current(show(cli, out, model_id, "--provider", provider))
        for key, value in source.items():
            if key in _CLASS:
                assert got[_CLASS[key]] == value, (provider, model_id, key)

    # hand-written from the reference table (pricing-sources.md §9): history, tiers, windows
    o3 = show(cli, out, "o3", "--provider", "openai")["model"]["price"]
    assert (o3[0]["input"], o3[0]["output"]) == (10.0, 40.0)
    assert (o3[1]["effective_from"], o3[1]["input"], o3[1]["output"]) == ("2025-06-10", 2.0, 8.0)
    pro = current(show(cli, out, "gemini-2.5-pro", "--provider", "google"))
    assert pro["input"] == {"base": 1.25, "tiers": [{"start": 200000, "price": 2.5}]}
    flash = current(show(cli, out, "deepseek-v4-flash", "--provider", "deepseek"))
    assert (flash["input"], flash["output"]) == (0.15, 0.6)
    assert {(w["start"], w["end"], w["input"]) for w in flash["windows"]} == {
        ("01:00", "04:00", 0.3),
        ("06:00", "10:00", 0.3),
    }


def test_bundled_tables_match_a_fresh_conversion_of_the_served_database(
    cli: Callable[..., Result], server: Server, tmp_path: Path
) -> None:
    url = server.serve("/genai/data.json", genai_bytes())
    out = tmp_path / "fresh"
    update_json(cli, "--source", url, "--output", out, "--as-of", AS_OF)
    bundled = sorted(p.name for p in BUNDLED_PRICING.glob("*.toml"))
    assert sorted(p.name for p in out.glob("*.toml")) == bundled
    for name in bundled:
        ours = (out / name).read_text().replace(url, "../shared/data/pricing-sources/genai-prices-v2.json")
        assert ours == (BUNDLED_PRICING / name).read_text(), name


def test_documented_command_reproduces_bundled_pricing_byte_for_byte(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "pricing"
    shutil.copytree(BUNDLED_PRICING, copy)
    before = snapshot(copy)
    # the documented command runs from the repository root, next to ../shared; CI clones the repo elsewhere,
    # so recreate that layout: a root holding `shared` (a link to the real one) and the working folder
    root = tmp_path / "root"
    (root / "repo").mkdir(parents=True)
    (root / "shared").symlink_to(SHARED_SOURCES.parent.parent, target_is_directory=True)
    monkeypatch.chdir(root / "repo")
    source = "../shared/data/pricing-sources/genai-prices-v2.json"
    doc = update_json(cli, "--source", source, "--output", copy, "--as-of", AS_OF)
    assert doc["tables_changed"] is False and doc["files_written"] == []
    assert snapshot(copy) == before
    empty = tmp_path / "empty"
    update_json(cli, "--source", source, "--output", empty, "--as-of", AS_OF)
    assert snapshot(empty) == before


def test_litellm_alone_converts_per_token_prices(cli: Callable[..., Result], server: Server, tmp_path: Path) -> None:
    url = server.serve("/litellm.json", litellm_bytes())
    out = tmp_path / "ll"
    doc = update_json(cli, "--source", url, "--output", out, "--as-of", AS_OF)
    assert doc["fetched"][0]["format"] == "litellm"
    assert doc["new"]["models"] > 2000
    raw = json.loads(litellm_bytes())

    fw = raw["fireworks_ai/accounts/fireworks/models/llama-v3p3-70b-instruct"]
    got = current(show(cli, out, "accounts/fireworks/models/llama-v3p3-70b-instruct", "--provider", "fireworks"))
    assert (
        (got["input"], got["output"])
        == (per_million(fw["input_cost_per_token"]), per_million(fw["output_cost_per_token"]))
        == (0.9, 0.9)
    )
    gpt = raw["gpt-5.4"]
    model = show(cli, out, "gpt-5.4", "--provider", "openai")["model"]
    assert model["price"][0]["input"] == {
        "base": per_million(gpt["input_cost_per_token"]),
        "tiers": [{"start": 272000, "price": per_million(gpt["input_cost_per_token_above_272k_tokens"])}],
    }
    batch = next(v for v in model["variant"] if v["tier"] == "batch")
    assert batch["output"]["base"] == per_million(gpt["output_cost_per_token_batches"])
    haiku = raw["claude-haiku-4-5"]
    entry = current(show(cli, out, "claude-haiku-4-5", "--provider", "anthropic"))
    assert entry["cache_write_1h"] == per_million(haiku["cache_creation_input_token_cost_above_1hr"]) == 2.0
    # DeepSeek: base fields are the peak rates, off-peak windows carry weekdays (1 = Monday)
    ds = raw["deepseek-v4-flash"]["off_peak_pricing"]
    entry = current(show(cli, out, "deepseek-v4-flash", "--provider", "deepseek"))
    assert entry["input"] == 0.3
    weekend = [w for w in entry["windows"] if w.get("weekdays") == ["sat", "sun"]]
    assert weekend and weekend[0]["input"] == per_million(ds["input_cost_per_token"]) == 0.15


def test_all_sources_merged_litellm_fills_gaps_and_conflicts_are_reported(
    cli: Callable[..., Result], server: Server, tmp_path: Path
) -> None:
    gp = server.serve("/gp.json", genai_bytes())
    ll = server.serve("/ll.json", litellm_bytes())
    orr = server.serve("/api/v1/models", json.dumps(openrouter_payload()).encode())
    out = tmp_path / "merged"
    args = ("--source", gp, "--source", ll, "--source", orr, "--output", out, "--as-of", AS_OF)
    doc = update_json(cli, *args)
    assert doc["listed_models"]["genai-prices"]["after"] == 2330
    assert doc["listed_models"]["litellm"]["after"] > 1000
    assert doc["new"]["models"] > 2330 + 1000

    # a model only LiteLLM has ends up priced, and says where it came from
    gap = show(cli, out, "llama-v3p3-70b-instruct", "--provider", "fireworks")
    assert gap["model"]["source"] == "litellm"
    assert (current(gap)["input"], current(gap)["output"]) == (0.9, 0.9)
    assert gap["source"]["name"] == "litellm" and gap["source"]["url"] == ll
    # genai-prices wins a disagreement, and the disagreement is reported
    kept = show(cli, out, "llama-v3p1-8b-instruct", "--provider", "fireworks")
    assert kept["model"].get("source") is None and current(kept)["input"] == 0.2
    conflicts = [c for c in doc["conflicts"] if c["provider"] == "fireworks" and c["model"] == "llama-v3p1-8b-instruct"]
    assert conflicts and conflicts[0]["rates"]["input"] == {"genai-prices": 0.2, "litellm": 0.1}
    # OpenRouter supplies the openrouter provider: new ids added, -1 sentinels skipped, overrides kept
    plain = show(cli, out, "testlab/model-9", "--provider", "openrouter")
    assert plain["model"]["source"] == "openrouter"
    assert (current(plain)["input"], current(plain)["output"]) == (per_million("0.000001"), per_million("0.000004"))
    tiered = current(show(cli, out, "testlab/long-context", "--provider", "openrouter"))
    assert tiered["input"] == {"base": 3.0, "tiers": [{"start": 200000, "price": 6.0}]}
    night = current(show(cli, out, "testlab/night-owl", "--provider", "openrouter"))
    assert night["windows"] == [{"start": "16:30", "end": "00:30", "input": 1.0, "output": 4.0}]
    assert cli("prices", "show", "openrouter/auto", "--pricing", out).exit_code == 1
    assert any(c["provider"] == "openrouter" and c["model"] == "anthropic/claude-sonnet-4.5" for c in doc["conflicts"])

    # the same data again changes nothing, byte for byte
    before = snapshot(out)
    again = update_json(cli, *args)
    assert again["tables_changed"] is False and again["summary"]["changed"] == 0
    assert snapshot(out) == before


def test_no_arguments_refreshes_the_user_tables_from_genai_prices(
    cli: Callable[..., Result], server: Server, aicost_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AICOST_GENAI_PRICES_URL", server.serve("/v2/data.json", genai_bytes()))
    result = cli("prices", "update")
    assert result.exit_code == 0, result.stderr
    assert "Changes (wrote 47 table files" in result.stdout
    user = aicost_home / "pricing"
    assert len(list(user.glob("*.toml"))) == 47
    assert not (aicost_home / "pricing.bak").exists()
    # the first refresh starts from the bundled tables: same data, so no price differs from them
    diff = cli("prices", "diff", "--format", "json")  # user tables vs bundled (no backup yet)
    assert diff.exit_code == 0, diff.stderr
    assert json.loads(diff.stdout)["summary"] == {
        "added": 0,
        "removed": 0,
        "changed": 0,
        "delisted": 0,
        "history_entries_appended": 0,
    }


def test_dry_run_reports_but_writes_nothing(cli: Callable[..., Result], server: Server, tmp_path: Path) -> None:
    url = server.serve("/gp.json", genai_bytes())
    out = tmp_path / "never"
    doc = update_json(cli, "--source", url, "--output", out, "--dry-run")
    assert doc["dry_run"] is True and doc["summary"]["added"] == 2330
    assert not out.exists()


# ------------------------------------------------------------------------------------------- guards


def _shrunk_genai(keep: float) -> bytes:
    data = genai_data()
    for provider in data:
        provider["models"] = provider["models"][: int(len(provider["models"]) * keep)]
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("http-500", "HTTP 500"),
        ("timeout", "timed out after 0.3 s"),
        ("truncated", "invalid JSON"),
        ("shrank-60pct", "fewer than half"),
        ("too-few", "only 5 entries"),
        ("wrong-shape", "expected genai-prices v2 data"),
        ("not-json-source", "not a known price source"),
    ],
)
def test_a_bad_fetch_changes_nothing_and_says_why_in_one_line(
    cli: Callable[..., Result],
    server: Server,
    tmp_path: Path,
    aicost_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    needle: str,
) -> None:
    out = tmp_path / "pricing"
    shutil.copytree(BUNDLED_PRICING, out)
    before = snapshot(tmp_path)
    args: list[str] = ["--timeout", "0.3"]
    if case == "http-500":
        args += ["--source", server.serve("/gp.json", b'{"error": "boom"}', status=500)]
    elif case == "timeout":
        args += ["--source", server.serve("/gp.json", genai_bytes(), delay=1.5)]
    elif case == "truncated":
        args = ["--source", server.serve("/gp.json", genai_bytes()[: len(genai_bytes()) // 2])]
    elif case == "shrank-60pct":
        args = ["--source", server.serve("/gp.json", _shrunk_genai(0.4))]
    elif case == "too-few":
        args = [
            "--source",
            server.serve(
                "/gp.json", json.dumps([genai_data()[0] | {"models": genai_data()[0]["models"][:5]}]).encode()
            ),
        ]
    elif case == "wrong-shape":
        monkeypatch.setenv("AICOST_GENAI_PRICES_URL", server.serve("/ll.json", litellm_bytes()))
        args = ["--source", "genai-prices"]
    else:
        args = ["--source", server.serve("/other.json", b'{"models": "none"}')]
    result = cli("prices", "update", *args, "--output", out)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before  # byte-identical, no temporary folders left behind
    assert not (aicost_home / "pricing.bak").exists()


def test_litellm_shrinking_by_60_percent_is_refused(cli: Callable[..., Result], server: Server, tmp_path: Path) -> None:
    out = tmp_path / "pricing"
    full = server.serve("/ll.json", litellm_bytes())
    update_json(cli, "--source", full, "--output", out, "--as-of", AS_OF)
    before = snapshot(out)
    raw = json.loads(litellm_bytes())
    small = dict(list(raw.items())[: int(len(raw) * 0.4)])
    result = cli(
        "prices", "update", "--source", server.serve("/ll-small.json", json.dumps(small).encode()), "--output", out
    )
    assert result.exit_code == 1 and "litellm: the update would list" in result.stderr
    assert snapshot(out) == before


def test_an_update_keeps_the_previous_tables_as_a_backup(
    cli: Callable[..., Result], server: Server, tmp_path: Path, aicost_home: Path
) -> None:
    out = tmp_path / "pricing"
    shutil.copytree(BUNDLED_PRICING, out)
    (out / "README.txt").write_text("kept\n")
    before = snapshot(out)
    data = genai_data()
    for provider in data:
        if provider["id"] == "openai":
            for model in provider["models"]:
                if model["id"] == "gpt-4o":
                    model["prices"] = {**model["prices"], "input_mtok": 3.0}
    doc = update_json(
        cli, "--source", server.serve("/gp2.json", json.dumps(data).encode()), "--output", out, "--as-of", "2026-12-15"
    )
    assert "openai.toml" in doc["files_written"]  # every table records the new source hash
    assert doc["changed"] and [(c["provider"], c["model"]) for c in doc["changed"]] == [("openai", "gpt-4o")]
    backup = Path(doc["backup"])
    assert backup.parent == aicost_home / "pricing.bak"
    assert {k: v for k, v in snapshot(backup).items() if k != "_backup.json"} == {
        k: v for k, v in before.items() if k != "README.txt"
    }
    assert (out / "README.txt").read_text() == "kept\n"
    assert not list(tmp_path.glob(".pricing.*"))


ACME = """schema = "aicost.prices/1"

[provider]
id = "openai"

[source]
name = "acme-negotiated"
retrieved_at = 2026-11-20T00:00:00Z

[[model]]
id = "gpt-4o"
match = { equals = "gpt-4o" }

[[model.price]]
input = 2.0
output = 8.0

[[model]]
id = "acme-finetune-1"
match = { equals = "ft:gpt-4o:acme:1" }

[[model.price]]
input = 3.75
output = 15.0
"""


def test_aicost_toml_is_a_source_too_and_prefer_decides_conflicts(cli: Callable[..., Result], tmp_path: Path) -> None:
    ours = tmp_path / "acme.toml"
    ours.write_text(ACME)
    out = tmp_path / "pricing"
    shutil.copytree(BUNDLED_PRICING, out)
    doc = update_json(cli, "--source", ours, "--output", out, "--dry-run")
    assert [(m["provider"], m["model"], m["source"]) for m in doc["added"]] == [
        ("openai", "acme-finetune-1", "acme-negotiated")
    ]
    (conflict,) = doc["conflicts"]
    assert (conflict["model"], conflict["kept"], conflict["other"]) == ("gpt-4o", "genai-prices", "acme-negotiated")
    assert conflict["rates"]["input"] == {"genai-prices": 2.5, "acme-negotiated": 2.0}

    doc = update_json(
        cli,
        "--source",
        ours,
        "--source",
        str(GENAI),
        "--output",
        out,
        "--prefer",
        "acme-negotiated",
        "--as-of",
        "2026-12-01",
    )
    gpt = show(cli, out, "gpt-4o", "--provider", "openai")
    assert gpt["model"]["source"] == "acme-negotiated"
    assert [(e.get("effective_from"), e["input"]) for e in gpt["model"]["price"]] == [(None, 2.5), ("2026-12-01", 2.0)]
    text = (out / "openai.toml").read_text()
    assert '[[extra_source]]\nname = "acme-negotiated"' in text
    assert show(cli, out, "ft:gpt-4o:acme:1", "--provider", "openai")["resolved"]["model"] == "acme-finetune-1"
