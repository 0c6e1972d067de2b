"""Loading scenario files and the shipped presets, strictly, with errors naming the file and key."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import msgspec

from aicost.errors import ScenarioError
from aicost.pricing import PriceBook
from aicost.scenarios.model import SCHEMA, Move, Scenario
from aicost.tomlfile import schema_error, syntax_error

CHEAPEST = "@cheapest-same-provider"
RATE_NAMES = ("input", "cache_read", "cache_write", "cache_write_1h", "output")
PRESET_PACKAGE = "aicost.scenarios.presets"


def parse(text: str, where: str) -> Scenario:
    """Decode and type-check a scenario; `where` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(syntax_error(where, exc)) from None
    try:
        scenario = msgspec.convert(data, Scenario, strict=False)
    except msgspec.ValidationError as exc:
        raise ScenarioError(schema_error(where, exc, Scenario)) from None
    problems = list(_problems(scenario))
    if problems:
        raise ScenarioError(f"{where}: " + "; ".join(problems))
    return scenario


def load_file(path: Path) -> Scenario:
    """Load a scenario file."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text; a scenario is a TOML file") from None
    return parse(text, str(path))


def preset_names() -> list[str]:
    """Names of the shipped presets."""
    folder = resources.files(PRESET_PACKAGE)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML of a preset (with its documented assumptions)."""
    if name not in preset_names():
        import difflib

        close = difflib.get_close_matches(name, preset_names(), n=2)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; presets: {', '.join(preset_names())}"
        raise ScenarioError(f"unknown preset {name!r}{hint}")
    return resources.files(PRESET_PACKAGE).joinpath(f"{name}.toml").read_text("utf-8")


def load_preset(name: str) -> Scenario:
    """Load a shipped preset by name."""
    return parse(preset_text(name), f"preset {name}")


def _in_unit(value: float, key: str) -> Iterator[str]:
    if not 0.0 <= value <= 1.0:
        yield f"{key}: {value} is outside [0, 1]"


def _finite(value: float, key: str, *, positive: bool = False) -> Iterator[str]:
    # written so that nan fails too (every comparison with it is false); inf would make a cost inf or null
    if not (0.0 < value < math.inf if positive else 0.0 <= value < math.inf):
        yield f"{key}: {value} must be a {'positive' if positive else 'non-negative'} finite number"


def _problems(scenario: Scenario) -> Iterator[str]:
    if scenario.schema != SCHEMA:
        yield f"schema is {scenario.schema!r}, expected {SCHEMA!r}"
    if not scenario.move:
        yield "a scenario needs at least one [[move]]"
    for i, move in enumerate(scenario.move):
        key = f"move[{i}]"
        yield from _in_unit(move.share, f"{key}.share")
        yield from _in_unit(move.batch_share, f"{key}.batch_share")
        targets = [t for t in ("to", "price_ratio", "to_rates") if getattr(move, t) is not None]
        if len(targets) != 1:
            yield f"{key}: give exactly one target: to, price_ratio or to_rates (got {', '.join(targets) or 'none'})"
        if move.price_ratio is not None:
            yield from _finite(move.price_ratio, f"{key}.price_ratio")
        for name, value in (move.to_rates or {}).items():
            if name not in RATE_NAMES:
                yield f"{key}.to_rates.{name}: not a rate (expected {', '.join(RATE_NAMES)})"
            else:
                yield from _finite(value, f"{key}.to_rates.{name}")
        if move.to_rates is not None and not {"input", "output"} <= set(move.to_rates):
            yield f"{key}.to_rates: needs at least input and output"
        yield from _finite(move.tokens.input, f"{key}.tokens.input", positive=True)
        yield from _finite(move.tokens.output, f"{key}.tokens.output", positive=True)
        if move.quality is not None:
            q = move.quality
            for name in ("pass_rate", "false_accept", "false_reject", "fraction", "source_quality"):
                yield from _in_unit(getattr(q, name), f"{key}.quality.{name}")
            if q.floor is not None:
                yield from _in_unit(q.floor, f"{key}.quality.floor")
        if move.cache is not None:
            yield from _in_unit(move.cache.hit_rate, f"{key}.cache.hit_rate")
        if move.mode == "route":
            if move.router is None:
                yield f'{key}: mode = "route" needs a router = {{ strong_share = … }} table'
            else:
                yield from _in_unit(move.router.strong_share, f"{key}.router.strong_share")
        elif move.router is not None:
            yield f'{key}.router: only used with mode = "route"'
        if move.mode == "advisor":
            yield from _finite(move.advisor_share, f"{key}.advisor_share")
        if move.mode != "advisor" and move.advisor_share:
            yield f'{key}.advisor_share: only used with mode = "advisor"'
        if move.mode == "cascade" and move.quality is None:
            yield f'{key}: mode = "cascade" needs a quality = {{ pass_rate = … }} table'


def check_targets(scenario: Scenario, book: PriceBook, where: str) -> None:
    """Every `to` names a model the price tables know (error names the file and key)."""
    for i, move in enumerate(scenario.move):
        if move.to is None or move.to == CHEAPEST:
            continue
        resolution = resolve_target(move, book)
        if not resolution.priced:
            hint = f"; did you mean {', '.join(resolution.suggestions)}?" if resolution.suggestions else ""
            raise ScenarioError(f"{where}: move[{i}].to: unknown target model {move.to!r}{hint}")


def resolve_target(move: Move, book: PriceBook):  # type: ignore[no-untyped-def]
    """Resolve a move's `to` ("provider/model" or "model") with the price book's rules."""
    assert move.to is not None
    return book.resolve(None, move.to)
