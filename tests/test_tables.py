"""Price tables: strict loading, deterministic writing, and the bundled tables against their source."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from aicost.errors import PriceTableError
from aicost.pricing import PriceBook
from aicost.pricing.fetch import convert, fetch
from aicost.pricing.tables import dump_table, load_table, parse_table, table_files
from tests.conftest import BUNDLED_PRICING, SHARED_SOURCES

GENAI = SHARED_SOURCES / "genai-prices-v2.json"
MINIMAL = """schema = "aicost.prices/1"

[provider]
id = "acme"

[source]
name = "hand"

[[model]]
id = "acme-1"
match = { equals = "acme-1" }

[[model.price]]
input = 1.0
output = 2.0
"""


def test_unknown_key_is_an_error_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(MINIMAL.replace("output = 2.0", "outptu = 2.0"))
    with pytest.raises(PriceTableError) as info:
        load_table(path)
    message = str(info.value)
    assert str(path) in message and "outptu" in message and "model[0].price[0]" in message


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("input = 1.0", "input = -1.0"), "not negative"),
        (('match = { equals = "acme-1" }', 'match = { sounds_like = "acme" }'), "unknown clause"),
        (('match = { equals = "acme-1" }', 'match = { regex = "([" }'), "invalid regular expression"),
        (('schema = "aicost.prices/1"', 'schema = "aicost.prices/9"'), "schema"),
        (
            ("input = 1.0", "input = { base = 1.0, tiers = [{ start = 10, price = 2 }, { start = 5, price = 3 }] }"),
            "increasing",
        ),
        (("output = 2.0", "output = 2.0\n\n[[model.price]]\ninput = 3.0"), "effective_from"),
        (("[source]", "[source"), "invalid TOML"),
    ],
)
def test_table_problems_are_reported(tmp_path: Path, edit: tuple[str, str], needle: str) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(MINIMAL.replace(*edit))
    with pytest.raises(PriceTableError, match=needle):
        load_table(path)


def test_a_window_table_round_trips(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + """
[[model.price]]
effective_from = 2026-01-01
input = { base = 1.5, tiers = [{ start = 200000, price = 3.0 }] }
output = 2.5

[[model.price.windows]]
start = "01:00"
end = "04:30"
weekdays = ["mon", "tue"]
input = 3.0
output = 5.0

[[model.variant]]
tier = "batch"
effective_from = 2026-02-01
input = 0.75
"""
    )
    table = parse_table(text.encode(), "acme.toml")
    again = parse_table(dump_table(table).encode(), "again.toml")
    assert again == table
    assert dump_table(again) == dump_table(table)


def test_bundled_tables_are_reproducible_from_the_source(tmp_path: Path, cli: Callable[..., Result]) -> None:
    # the documented regeneration command, run into a scratch folder, gives the committed files
    url = "../shared/data/pricing-sources/genai-prices-v2.json"
    conversion = convert(fetch(str(GENAI)), dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
    assert sum(len(t.model) for t in conversion.tables) == 2330 and len(conversion.tables) == 47
    out = tmp_path / "pricing"
    result = cli("prices", "update", "--source", GENAI, "--output", out, "--as-of", "2026-11-29")
    assert result.exit_code == 0, result.stderr
    for path in table_files(out):
        committed = (BUNDLED_PRICING / path.name).read_text()
        assert path.read_text().replace(str(GENAI), url) == committed, path.name


def _genai_model(provider: str, model: str) -> dict[str, Any]:
    for p in json.loads(GENAI.read_text()):
        if p["id"] == provider:
            for m in p["models"]:
                if m["id"] == model:
                    return dict(m)
    raise KeyError(model)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("anthropic", "claude-opus-4-7"),
        ("openai", "gpt-5.4-mini"),
        ("openai", "gpt-5.5"),
        ("zai", "GLM-5.1"),
        ("fireworks", "glm-5p1"),
        ("google", "gemini-2.5-pro"),
        ("anthropic", "claude-haiku-4-5"),
        ("openai", "gpt-4o-mini"),
    ],
)
def test_bundled_rates_equal_the_source(provider: str, model: str) -> None:
    source = _genai_model(provider, model)
    prices = source["prices"] if isinstance(source["prices"], dict) else source["prices"][-1]["prices"]
    entry = PriceBook.load(BUNDLED_PRICING).model(provider, model).price[-1]
    for gp_key, key in (
        ("input_mtok", "input"),
        ("output_mtok", "output"),
        ("cache_read_mtok", "cache_read"),
        ("cache_write_mtok", "cache_write"),
        ("cache_write_1h_mtok", "cache_write_1h"),
    ):
        expected = prices.get(gp_key)
        got = getattr(entry, key)
        if isinstance(expected, dict):
            assert got.base == expected["base"]
            assert [(t.start, t.price) for t in got.tiers] == [(t["start"], t["price"]) for t in expected["tiers"]]
        else:
            assert got == expected, (model, key)


def test_reference_prices_from_the_research_notes() -> None:
    # pricing-sources.md §9 (GP column): input / output / cache read per million tokens
    book = PriceBook.load(BUNDLED_PRICING)
    expected = {
        ("anthropic", "claude-opus-4-7"): (5, 25, 0.5),
        ("anthropic", "claude-haiku-4-5"): (1, 5, 0.1),
        ("openai", "gpt-5.4-mini"): (0.75, 4.5, 0.075),
        ("openai", "gpt-5-nano"): (0.05, 0.4, 0.005),
        ("openai", "o3"): (2, 8, 0.5),
        ("zai", "GLM-5.1"): (1.4, 4.4, 0.26),
        ("fireworks", "glm-5p1"): (1.4, 4.4, 0.26),
        ("fireworks", "deepseek-v4-flash"): (0.14, 0.28, 0.028),
        ("google", "gemini-2.5-flash"): (0.30, 2.50, 0.03),
    }
    for (provider, model), (inp, out, read) in expected.items():
        entry = book.model(provider, model).price[-1]
        assert (entry.input, entry.output, entry.cache_read) == (inp, out, read), model
    assert book.model_count == 2330
