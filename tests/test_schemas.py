"""Every command's JSON output validates against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
from typer.testing import Result

from aicost import schemas
from aicost.cli import app
from tests.conftest import REPO
from tests.output_support import Tables, make_tables

Cli = Callable[..., Result]
MakeLog = Callable[..., Path]

SAMPLE = REPO / "sample_logs" / "agents-2026-11.jsonl"
MONTHLY = REPO / "sample_logs" / "usage-2026.parquet"
FORMATS = REPO / "sample_logs" / "formats"
QUIET = ("report", "simulate", "export", "forecast", "logs", "prices")  # commands with --quiet


def validate(name: str, document: dict[str, Any]) -> None:
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def run_json(cli: Cli, *args: str | Path) -> dict[str, Any]:
    quiet = ("--quiet",) if args[0] in QUIET else ()
    result = cli(*args, "--format", "json", *quiet)
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def check(name: str, document: dict[str, Any]) -> None:
    """Valid, and the schema names every top-level field (so a field added to the output is added here too)."""
    validate(name, document)
    assert document["schema_version"] == 1
    assert sorted(set(document) - set(schemas.load(name)["properties"])) == []


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("report", ("report", SAMPLE, "--by", "team,day")),
        ("report", ("report", FORMATS, "--reconcile")),  # input formats and the reconciliation block
        ("simulate", ("simulate", SAMPLE, "--preset", "armstrong-cascade", "--by", "feature")),
        ("export", ("export", SAMPLE)),
        ("config", ("config", "show")),
        ("scenarios-list", ("scenarios", "list")),
        ("scenarios-show", ("scenarios", "show", "harvey-opus-glm")),
        # growth fitted from the logs, a logistic ramp, a backtest
        ("forecast", ("forecast", MONTHLY, "--preset", "armstrong-cascade", "--draws", "50", "--backtest", "2")),
        # growth and decline given as ranges, in another currency, no scenario
        ("forecast", ("forecast", MONTHLY, "--growth", "1.3x..2x/yr", "--draws", "50", "-m", "3",
                      "--currency", "EUR", "--fx-rate", "0.9")),
        ("logs-inspect", ("logs", "inspect", FORMATS, SAMPLE)),
        ("prices-list", ("prices", "list", "--provider", "anthropic")),
        ("prices-list", ("prices", "list", "--search", "gpt-4o", "--at", "2025-01-01")),
        # long-context tiers and a dated batch variant; time-of-day windows
        ("prices-show", ("prices", "show", "claude-sonnet-4-5")),
        ("prices-show", ("prices", "show", "deepseek-chat", "--provider", "deepseek")),
    ],
)  # fmt: skip
def test_json_output_matches_its_schema(cli: Cli, name: str, args: tuple[str | Path, ...]) -> None:
    check(name, run_json(cli, *args))


def test_logs_convert_json_summary_matches_its_schema(cli: Cli, tmp_path: Path) -> None:
    result = cli("logs", "convert", FORMATS, SAMPLE, "-o", tmp_path / "usage.parquet", "--json", "--quiet")
    assert result.exit_code == 0, result.stderr
    check("logs-convert", json.loads(result.stdout))


@pytest.fixture
def tables(tmp_path: Path) -> Tables:
    return make_tables(tmp_path / "tables")


def test_prices_diff_matches_its_schema(cli: Cli, tables: Tables) -> None:
    doc = run_json(cli, "prices", "diff", tables.old, tables.new)
    check("prices-diff", doc)
    assert doc["summary"]["changed"] == 1 and doc["summary"]["removed"] > 0  # both kinds of entry validated


def test_prices_update_matches_its_schema(cli: Cli, tables: Tables, aicost_home: Path) -> None:
    doc = run_json(cli, "prices", "update", "--source", tables.source, "--output", tables.old, "--as-of", "2026-12-01")
    check("prices-update", doc)
    assert doc["files_written"] == ["deepseek.toml"] and doc["backup"] and doc["conflicts"] and doc["added"]
    again = run_json(cli, "prices", "update", "--source", tables.source, "--output", tables.old, "--dry-run")
    check("prices-update", again)
    assert again["backup"] is None and not again["tables_changed"]


def test_schemas_catch_a_changed_shape(cli: Cli, make_log: MakeLog, tmp_path: Path) -> None:
    contracts = tmp_path / "c.toml"
    contracts.write_text('schema = "aicost.contracts/1"\n[[rule]]\npercent_off = 20\n')
    doc = run_json(cli, "report", make_log([{"model": "gpt-4o", "input_tokens": 10}]), "--contracts", contracts,
                   "--currency", "EUR", "--fx-rate", "0.9")  # fmt: skip
    validate("report", doc)
    del doc["total_cost"]
    with pytest.raises(jsonschema.ValidationError, match="total_cost"):
        validate("report", doc)
    listed = run_json(cli, "prices", "list", "--provider", "deepseek")
    listed["models"][0]["input"] = "0.27"
    with pytest.raises(jsonschema.ValidationError, match=r"'0\.27' is not of type"):
        validate("prices-list", listed)


def json_commands() -> list[str]:
    """Every command (as typed: "prices list") that offers --format/-f or --json, found by walking the CLI.

    Duck-typed (a group has `commands`, an option's `param_type_name` is "option"): typer vendors its own
    click in recent releases.
    """
    found: list[str] = []

    def walk(command: Any, words: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is not None:
            for name, sub in sorted(subcommands.items()):
                walk(sub, [*words, name])
            return
        options = [p for p in command.params if p.param_type_name == "option"]
        if {flag for p in options for flag in (*p.opts, *p.secondary_opts)} & {"--format", "-f", "--json"}:
            found.append(" ".join(words))

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_with_json_output_ships_a_schema() -> None:
    commands = json_commands()
    # the walk reaches top-level commands and every group's (a broken walk must not pass for want of commands)
    assert {"report", "forecast", "config show", "logs inspect", "logs convert", "prices update"} <= set(commands)
    assert [c for c in commands if schemas.for_command(c) not in schemas.names()] == []
    # and no schema is left over from a command that is gone
    assert sorted(schemas.for_command(c) for c in commands) == schemas.names()


@pytest.mark.parametrize("name", schemas.names())
def test_each_schema_names_itself_and_its_command(name: str) -> None:
    schema = schemas.load(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:aicost:schema:{name}:1"
    assert schema["properties"]["schema_version"] == {"const": 1}
    assert {"schema_version", "command"} <= set(schema["required"])
    assert schema["properties"]["command"]["const"].replace(" ", "-") == name


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_same_input_gives_byte_identical_output(cli: Cli, command: str) -> None:
    runs = [
        cli(command, SAMPLE, "--by", "team", "--format", fmt, "-q").stdout for fmt in ("json", "json", "csv", "csv")
    ]
    assert runs[0] == runs[1] and runs[2] == runs[3]
