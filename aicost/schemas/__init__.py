"""JSON Schemas of every command's JSON output, shipped with the package (`<command>.schema.json`).

A command's schema is named after the `command` its JSON carries, spaces as dashes: `prices list` →
`prices-list.schema.json`, `$id` `urn:aicost:schema:prices-list:1`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# `config show` writes "command": "config" (it predates the naming rule; fields are never renamed)
_NAMED_OTHERWISE = {"config show": "config"}


def names() -> list[str]:
    """The schemas shipped: config, export, forecast, logs-convert, logs-inspect, prices-…, report, …"""
    folder = resources.files(__name__)
    return sorted(p.name.removesuffix(".schema.json") for p in folder.iterdir() if p.name.endswith(".schema.json"))


def for_command(command: str) -> str:
    """The schema name of a command's JSON output, given its words: "prices list" → "prices-list"."""
    return _NAMED_OTHERWISE.get(command, command.replace(" ", "-"))


def load(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a command's `--format json` output."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
