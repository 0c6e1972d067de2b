"""JSON Schemas of every command's JSON output, shipped with the package (`<command>.schema.json`)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def names() -> list[str]:
    """The commands that have a schema: report, simulate, export, config, scenarios-list, scenarios-show."""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".schema.json") for p in folder.iterdir() if p.name.endswith(".schema.json"))


def load(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a command's `--format json` output."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
