"""Settings precedence: flag > AICOST_* env > project aicost.toml > user config > default, each level proven."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from aicost import config

Cli = Callable[..., Result]
Json = Callable[..., dict[str, Any]]
MakeLog = Callable[..., Path]

CALL = {"model": "gpt-4o", "input_tokens": 1_000_000, "output_tokens": 100_000}  # $3.50


@pytest.fixture
def levels(tmp_path: Path, aicost_home: Path) -> dict[str, Path]:
    """A user file, a project file two folders up, and a working directory below it."""
    user = aicost_home / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    project = tmp_path / "repo" / "aicost.toml"
    work = tmp_path / "repo" / "jobs" / "monthly"
    work.mkdir(parents=True)
    return {"user": user, "project": project, "work": work}


def show(cli: Cli) -> dict[str, Any]:
    result = cli("config", "show", "--format", "json")
    assert result.exit_code == 0, result.stderr
    settings: dict[str, Any] = json.loads(result.stdout)["settings"]
    assert all(s.pop("description") for s in settings.values())  # every key says what it is for
    return settings


def test_each_level_overrides_the_one_below(
    levels: dict[str, Path], cli: Cli, cli_json: Json, make_log: MakeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = make_log([CALL])
    monkeypatch.chdir(levels["work"])
    # default
    assert cli_json("report", log)["tz"] == "UTC"
    assert show(cli)["tz"] == {"value": "UTC", "source": "default", "env": "AICOST_TZ", "flag": "--tz"}
    # user file
    levels["user"].write_text('tz = "Asia/Tokyo"\n')
    assert cli_json("report", log)["tz"] == "Asia/Tokyo"
    assert show(cli)["tz"]["source"] == f"user {levels['user']}"
    # project file, found two folders up, beats the user file
    levels["project"].write_text('tz = "Europe/Berlin"\n')
    assert cli_json("report", log)["tz"] == "Europe/Berlin"
    assert show(cli)["tz"]["source"] == f"project {levels['project'].resolve()}"
    # environment beats the project file
    monkeypatch.setenv("AICOST_TZ", "America/New_York")
    assert cli_json("report", log)["tz"] == "America/New_York"
    assert show(cli)["tz"]["source"] == "env AICOST_TZ"
    # a flag beats everything
    assert cli_json("report", log, "--tz", "Australia/Sydney")["tz"] == "Australia/Sydney"


def test_file_settings_drive_format_currency_strict_and_quiet(
    levels: dict[str, Path], cli: Cli, make_log: MakeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = make_log([CALL, {"model": "no-such-model-xyz", "input_tokens": 5}])
    monkeypatch.chdir(levels["work"])
    levels["user"].write_text('currency = "EUR"\nfx_rate = 0.5\nquiet = true\n')
    levels["project"].write_text('format = "json"\nfx_rate = 0.92\nstrict = true\n')
    # strict from the project file: the unknown model fails the run…
    strict = cli("report", log)
    assert strict.exit_code == 1 and "--strict" in strict.stderr
    # …unless the flag says otherwise; format json from the project, currency from the user, fx from the project
    relaxed = cli("report", log, "--no-strict")
    assert relaxed.exit_code == 0, relaxed.stderr
    doc = json.loads(relaxed.stdout)
    assert doc["currency"] == "EUR" and doc["total_cost"] == pytest.approx(3.5 * 0.92, rel=1e-12)
    assert relaxed.stderr == ""  # quiet from the user file
    loud = cli("report", log, "--no-strict", "--no-quiet", "--format", "csv")
    assert "unpriced" in loud.stderr and loud.stdout.startswith("provider,model,")
    monkeypatch.setenv("AICOST_STRICT", "0")
    assert cli("report", log).exit_code == 0


def test_config_show_names_every_source(
    levels: dict[str, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(levels["work"])
    levels["user"].write_text('currency = "EUR"\n')
    levels["project"].write_text('fx_rate = 0.92\ncontracts = "finance/contracts.toml"\n')
    monkeypatch.setenv("AICOST_ON_ERROR", "skip")
    settings = show(cli)
    assert settings["currency"] == {
        "value": "EUR",
        "source": f"user {levels['user']}",
        "env": "AICOST_CURRENCY",
        "flag": "--currency",
    }
    assert settings["fx_rate"]["value"] == 0.92
    assert settings["fx_rate"]["source"] == f"project {levels['project'].resolve()}"
    # a relative path in a file is relative to that file, not to the working directory
    assert settings["contracts"]["value"] == str(levels["project"].resolve().parent / "finance" / "contracts.toml")
    assert settings["on_error"] == {"value": "skip", "source": "env AICOST_ON_ERROR", "env": "AICOST_ON_ERROR",
                                    "flag": "--on-error"}  # fmt: skip
    assert settings["tz"]["source"] == "default"
    table = cli("config", "show")
    assert table.exit_code == 0
    line = next(row for row in table.stdout.splitlines() if row.strip().startswith("fx_rate"))
    assert "0.92" in line and f"project {levels['project'].resolve()}" in line
    assert "env AICOST_ON_ERROR" in table.stdout and "default" in table.stdout
    # the contract file does not exist yet: show says so, as a warning, and still prints
    assert "cannot read contract file" in table.stderr
    csv = cli("config", "show", "--format", "csv").stdout.splitlines()
    assert csv[0] == "key,value,source,env,flag" and csv[1].startswith("pricing,,default,")


def test_explicit_config_file_replaces_the_upward_search(
    levels: dict[str, Path], cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(levels["work"])
    levels["project"].write_text('tz = "Europe/Berlin"\n')
    other = tmp_path / "ci.toml"
    other.write_text('tz = "Europe/Paris"\n')
    monkeypatch.setenv("AICOST_CONFIG", str(other))
    assert show(cli)["tz"] == {"value": "Europe/Paris", "source": f"project {other}", "env": "AICOST_TZ",
                               "flag": "--tz"}  # fmt: skip
    monkeypatch.setenv("AICOST_CONFIG", str(tmp_path / "missing.toml"))
    result = cli("config", "show")
    assert result.exit_code == 1 and "AICOST_CONFIG" in result.stderr and "no such file" in result.stderr


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ('currrency = "EUR"\n', ["unknown key 'currrency'", "known keys: pricing"]),
        ('tz = "UTC"\nformat = \n', ["aicost.toml: line 2, column 10: invalid TOML"]),
        ("fx_rate = -1\n", ["key 'fx_rate'", "positive number"]),
        ('tz = "Mars/Olympus"\n', ["key 'tz'", "unknown time zone"]),
        ('strict = "maybe"\n', ["key 'strict'", "true or false"]),
        ('format = "xml"\n', ["key 'format'", "table, json, csv, parquet, markdown"]),
    ],
)
def test_file_errors_name_the_file_and_key(
    tmp_path: Path, cli: Cli, make_log: MakeLog, text: str, needles: list[str]
) -> None:
    log = make_log([CALL])
    project = tmp_path / "aicost.toml"
    project.write_text(text)
    result = cli("report", log)
    assert result.exit_code == 1, result.stdout
    assert str(project) in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_env_and_flag_errors(cli: Cli, make_log: MakeLog, monkeypatch: pytest.MonkeyPatch) -> None:
    log = make_log([CALL])
    monkeypatch.setenv("AICOST_FX_RATE", "lots")
    result = cli("report", log)
    assert result.exit_code == 1 and "AICOST_FX_RATE='lots'" in result.stderr
    monkeypatch.setenv("AICOST_FX_RATE", "")  # set but empty is unset
    assert cli("report", log, "--format", "json").exit_code == 0
    flag = cli("report", log, "--tz", "Mars/Olympus")
    assert flag.exit_code == 2 and "--tz Mars/Olympus: unknown time zone" in flag.stderr


def test_resolve_is_the_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # library callers get the same answer as the CLI, from a plain mapping of flags
    monkeypatch.setenv("AICOST_CURRENCY", "gbp")
    resolved = config.resolve({"tz": None, "fx_rate": 1.27})
    assert (resolved.currency, resolved.fx_rate, resolved.tz) == ("GBP", 1.27, "UTC")
    assert resolved.source("fx_rate") == "flag --fx-rate" and resolved.source("currency") == "env AICOST_CURRENCY"
    with pytest.raises(ValueError, match="not settings"):
        config.resolve({"colour": "blue"})
