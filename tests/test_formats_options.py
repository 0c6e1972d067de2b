"""--model-alias (pairs and TOML files, strictly checked) and the help of the new commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from aicost.errors import ConfigError, UsageError
from aicost.ingest.aliases import parse_aliases
from tests.formats_ref import FIXTURES

Json = Callable[..., dict[str, Any]]
Cli = Callable[..., Result]


def test_alias_pairs_and_files(tmp_path: Path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[model_aliases]\n"arn:aws:bedrock:x:1:application-inference-profile/a" = "claude-haiku-4-5"\n')
    assert parse_aliases(["m1=gpt-4o", str(path), "m1=gpt-5"]) == {
        "m1": "gpt-5",
        "arn:aws:bedrock:x:1:application-inference-profile/a": "claude-haiku-4-5",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[aliases]\n"a" = "b"\n', "unknown key 'aliases'; put aliases in a [model_aliases] table"),
        ('[model_aliases]\n"a" = 3\n', "model_aliases.'a' must be a non-empty model id string"),
        ("[model_aliases\n", "not valid TOML"),
    ],
)
def test_alias_file_mistakes_are_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_aliases([str(path)])


def test_alias_mistakes_on_the_command_line(cli: Cli, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        parse_aliases(["=x"])
    result = cli("report", FIXTURES / "gemini.jsonl", "--model-alias", str(tmp_path / "missing.toml"))
    assert result.exit_code == 2
    assert "no such file (or give FROM=TO)" in result.stderr


def test_alias_applies_to_any_format(cli_json: Json) -> None:
    doc = cli_json("report", FIXTURES / "helicone.jsonl", "--model-alias", "gpt-4o-mini=gpt-4o", "--by", "model")
    assert {r["model"] for r in doc["rows"]} == {"gpt-4o", "claude-3-5-haiku-20241022"}


@pytest.mark.parametrize("args", [["logs"], ["logs", "inspect"], ["logs", "convert"], ["report"]])
def test_commands_have_help(cli: Cli, args: list[str]) -> None:
    result = cli(*args, "--help")
    assert result.exit_code == 0
    assert len(result.stdout.strip()) > 40
    if args != ["logs"]:
        assert "--log-format" in result.stdout and "--model-alias" in result.stdout
