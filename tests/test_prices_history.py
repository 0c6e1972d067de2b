"""History is never lost: a price change appends a dated entry, a vanished model stays priceable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from tests.prices_support import Server, genai_data, served, start_server

UTC = dt.UTC
MILLION = 1_000_000


@pytest.fixture(scope="module")
def httpd() -> Iterator[tuple[Server, ThreadingHTTPServer]]:
    pair = start_server()
    yield pair
    pair[1].shutdown()
    pair[1].server_close()


@pytest.fixture
def server(httpd: tuple[Server, ThreadingHTTPServer]) -> Iterator[Server]:
    yield from served(httpd)


def _edit(data: list[dict[str, Any]], provider: str, model: str, change: Callable[[dict[str, Any]], None]) -> None:
    for p in data:
        if p["id"] == provider:
            for m in p["models"]:
                if m["id"] == model:
                    change(m)
                    return
    raise KeyError(model)


def _update(cli: Callable[..., Result], url: str, out: Path, as_of: str) -> dict[str, Any]:
    result = cli("prices", "update", "--source", url, "--output", out, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_price_change_prices_old_calls_at_the_old_price_and_new_calls_at_the_new(
    cli: Callable[..., Result], server: Server, tmp_path: Path, make_log: Callable[..., Path]
) -> None:
    out = tmp_path / "tables"
    data = genai_data()
    _update(cli, server.serve("/v1.json", json.dumps(data).encode()), out, "2026-11-29")

    # genai-prices raises gpt-4o-mini from 0.15 / 0.60 to 0.30 / 1.20 per million, seen on 2026-12-15
    def raise_price(model: dict[str, Any]) -> None:
        assert model["prices"]["input_mtok"] == 0.15 and model["prices"]["output_mtok"] == 0.6
        model["prices"] = {**model["prices"], "input_mtok": 0.3, "output_mtok": 1.2}

    _edit(data, "openai", "gpt-4o-mini", raise_price)
    doc = _update(cli, server.serve("/v2.json", json.dumps(data).encode()), out, "2026-12-15")
    assert doc["summary"]["changed"] == 1 and doc["summary"]["history_entries_appended"] == 1
    (changed,) = doc["changed"]
    assert (changed["provider"], changed["model"]) == ("openai", "gpt-4o-mini")
    assert {(c["kind"], c["where"], c["key"], c["old"], c["new"]) for c in changed["changes"]} == {
        ("appended", "price from 2026-12-15", "input", 0.15, 0.3),
        ("appended", "price from 2026-12-15", "output", 0.6, 1.2),
    }

    calls = [
        {"timestamp": dt.datetime(2026, 11, 2, 12, tzinfo=UTC), "day": "old"},
        {"timestamp": dt.datetime(2026, 12, 14, 23, 59, tzinfo=UTC), "day": "old"},
        {"timestamp": dt.datetime(2026, 12, 15, 0, 0, tzinfo=UTC), "day": "new"},
        {"timestamp": dt.datetime(2026, 12, 20, 9, tzinfo=UTC), "day": "new"},
    ]
    log = make_log(
        [
            {**c, "provider": "openai", "model": "gpt-4o-mini", "input_tokens": MILLION, "output_tokens": MILLION}
            for c in calls
        ]
    )
    result = cli("report", log, "--pricing", out, "--by", "day", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    # hand-computed: 1M input + 1M output = 0.15 + 0.60 = 0.75 before, 0.30 + 1.20 = 1.50 from 2026-12-15
    assert report["total_cost"] == pytest.approx(0.75 + 0.75 + 1.50 + 1.50)
    by_day = {row["day"]: row["cost"] for row in report["rows"]}
    assert by_day == pytest.approx({"2026-11-02": 0.75, "2026-12-14": 0.75, "2026-12-15": 1.5, "2026-12-20": 1.5})
    assert report["pricing"]["directory"] == str(out)


def test_a_model_that_vanishes_stays_priceable_and_is_marked_delisted(
    cli: Callable[..., Result], server: Server, tmp_path: Path, make_log: Callable[..., Path]
) -> None:
    out = tmp_path / "tables"
    data = genai_data()
    _update(cli, server.serve("/v1.json", json.dumps(data).encode()), out, "2026-11-29")
    for provider in data:
        if provider["id"] == "mistral":
            provider["models"] = [m for m in provider["models"] if m["id"] != "codestral-2508"]
    doc = _update(cli, server.serve("/v2.json", json.dumps(data).encode()), out, "2027-01-05")
    assert doc["summary"]["delisted"] == 1 and doc["summary"]["removed"] == 0
    show = cli("prices", "show", "codestral-2508", "--provider", "mistral", "--pricing", out, "--format", "json")
    assert show.exit_code == 0, show.stderr
    assert json.loads(show.stdout)["status"] == "delisted 2027-01-05"
    log = make_log(
        [
            {
                "timestamp": dt.datetime(2026, 11, 10, tzinfo=UTC),
                "provider": "mistral",
                "model": "codestral-2508",
                "input_tokens": MILLION,
                "output_tokens": MILLION,
            }
        ]
    )
    report = json.loads(cli("report", log, "--pricing", out, "--format", "json").stdout)
    assert report["total_cost"] == pytest.approx(0.3 + 0.9)  # codestral-2508: 0.30 in / 0.90 out
    # and it comes back if the source lists it again
    relisted = _update(cli, server.serve("/v3.json", json.dumps(genai_data()).encode()), out, "2027-02-01")
    assert [c["changes"][0]["kind"] for c in relisted["changed"]] == ["relisted"]
