"""Every command's JSON output validates against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import Result

from aicost import schemas
from tests.conftest import REPO

Cli = Callable[..., Result]
MakeLog = Callable[..., Path]

SAMPLE = REPO / "sample_logs" / "agents-2026-11.jsonl"


def validate(name: str, document: dict[str, Any]) -> None:
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def run_json(cli: Cli, *args: str | Path) -> dict[str, Any]:
    quiet = ("--quiet",) if args[0] in ("report", "simulate", "export") else ()
    result = cli(*args, "--format", "json", *quiet)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("report", ("report", SAMPLE, "--by", "team,day")),
        ("simulate", ("simulate", SAMPLE, "--preset", "armstrong-cascade", "--by", "feature")),
        ("export", ("export", SAMPLE)),
        ("config", ("config", "show")),
        ("scenarios-list", ("scenarios", "list")),
        ("scenarios-show", ("scenarios", "show", "harvey-opus-glm")),
    ],
)
def test_json_output_matches_its_schema(cli: Cli, name: str, args: tuple[str | Path, ...]) -> None:
    document = run_json(cli, *args)
    validate(name, document)
    assert document["schema_version"] == 1


def test_schemas_catch_a_changed_shape(cli: Cli, make_log: MakeLog, tmp_path: Path) -> None:
    contracts = tmp_path / "c.toml"
    contracts.write_text('schema = "aicost.contracts/1"\n[[rule]]\npercent_off = 20\n')
    doc = run_json(cli, "report", make_log([{"model": "gpt-4o", "input_tokens": 10}]), "--contracts", contracts,
                   "--currency", "EUR", "--fx-rate", "0.9")  # fmt: skip
    validate("report", doc)
    del doc["total_cost"]
    with pytest.raises(jsonschema.ValidationError, match="total_cost"):
        validate("report", doc)


def test_every_command_with_json_output_ships_a_schema() -> None:
    assert schemas.names() == ["config", "export", "report", "scenarios-list", "scenarios-show", "simulate"]


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_same_input_gives_byte_identical_output(cli: Cli, command: str) -> None:
    runs = [
        cli(command, SAMPLE, "--by", "team", "--format", fmt, "-q").stdout for fmt in ("json", "json", "csv", "csv")
    ]
    assert runs[0] == runs[1] and runs[2] == runs[3]
