"""Settings and where they come from, resolved in one place.

Precedence, highest first: a command-line flag > an `AICOST_*` environment variable > the project file
(`aicost.toml`, searched upward from the working directory, or `$AICOST_CONFIG`) > the user file
(`$AICOST_HOME/config.toml`) > the built-in default. Every file key and value is checked: an unknown key or
a value of the wrong type is an error naming the file and key, never a silently ignored setting.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import platformdirs

from aicost.errors import ConfigError, UsageError
from aicost.tomlfile import syntax_error

OutputFormat = Literal["table", "json", "csv", "parquet", "markdown"]
OnError = Literal["fail", "skip"]
PROJECT_FILE: Final = "aicost.toml"
USER_FILE: Final = "config.toml"
FORMATS: Final = ("table", "json", "csv", "parquet", "markdown")
ON_ERROR: Final = ("fail", "skip")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _tz(value: Any) -> str:
    name = _text(value)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as UTC or Europe/Berlin") from None
    return name


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = _text(value).lower()
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text

    return check


def _currency(value: Any) -> str:
    code = _text(value).upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"expected an ISO 4217 currency code such as USD or EUR, got {value!r}")
    return code


def _positive(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"expected a positive number, got {value!r}")
    return float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _path(value: Any) -> Path:
    return (value if isinstance(value, Path) else Path(_text(value))).expanduser()


@dataclass(frozen=True)
class Key:
    """One setting: its parser, default, environment variable and flag."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    env: str
    flag: str
    help: str
    is_path: bool = False


KEYS: Final[tuple[Key, ...]] = (
    Key(
        "pricing",
        _path,
        None,
        "AICOST_PRICING",
        "--pricing",
        "price-table folder (default: user tables, then bundled)",
        is_path=True,
    ),
    Key("tz", _tz, "UTC", "AICOST_TZ", "--tz", "time zone for period buckets and naive dates"),
    Key(
        "format",
        _choice(FORMATS),
        "table",
        "AICOST_FORMAT",
        "--format",
        "default output format of report, simulate and forecast",
    ),
    Key("currency", _currency, "USD", "AICOST_CURRENCY", "--currency", "currency of every amount (ISO 4217)"),
    Key("fx_rate", _positive, None, "AICOST_FX_RATE", "--fx-rate", "units of `currency` per 1 USD"),
    Key(
        "contracts",
        _path,
        None,
        "AICOST_CONTRACTS",
        "--contracts",
        "contract/discount file (aicost.contracts/1)",
        is_path=True,
    ),
    Key("on_error", _choice(ON_ERROR), "fail", "AICOST_ON_ERROR", "--on-error", "malformed rows: fail or skip"),
    Key("strict", _bool, False, "AICOST_STRICT", "--strict", "fail when usage cannot be priced"),
    Key("quiet", _bool, False, "AICOST_QUIET", "--quiet", "no warnings on stderr"),
    Key(
        "backdate_tiers",
        _bool,
        False,
        "AICOST_BACKDATE_TIERS",
        "--backdate-tiers",
        "price early tier calls at the earliest tier rates",
    ),
    Key(
        "billing_account",
        _text,
        None,
        "AICOST_BILLING_ACCOUNT",
        "--billing-account",
        "FOCUS BillingAccountId (default: the provider id)",
    ),
)
_BY_NAME: Final = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class Settings:
    """Effective settings, and where each came from ("default", "flag --tz", "env AICOST_TZ", "project …")."""

    pricing: Path | None = None
    tz: str = "UTC"
    format: OutputFormat = "table"
    currency: str = "USD"
    fx_rate: float | None = None
    contracts: Path | None = None
    on_error: OnError = "fail"
    strict: bool = False
    quiet: bool = False
    backdate_tiers: bool = False
    billing_account: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Path | None] = field(default_factory=dict)

    def source(self, name: str) -> str:
        """Where a setting's value came from."""
        return self.sources.get(name, "default")

    @property
    def pricing_arg(self) -> Path | None:
        """The pricing folder to hand to the library; `$AICOST_PRICING` is left to the lookup, which names it."""
        return None if self.source("pricing").startswith("env ") else self.pricing

    def rows(self) -> list[dict[str, Any]]:
        """One row per setting: key, value, source, environment variable and flag."""
        return [
            {
                "key": k.name,
                "value": _jsonable(getattr(self, k.name)),
                "source": self.source(k.name),
                "env": k.env,
                "flag": k.flag,
                "description": k.help,
            }
            for k in KEYS
        ]

    def to_json(self) -> dict[str, Any]:
        """The `aicost config show --format json` document."""
        return {
            "schema_version": 1,
            "command": "config",
            "files": {
                kind: {"path": str(path) if path is not None else None, "exists": path is not None and path.is_file()}
                for kind, path in self.files.items()
            },
            "settings": {row.pop("key"): row for row in self.rows()},
        }


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def user_config_file() -> Path:
    """The user file: `$AICOST_HOME/config.toml`, else the platform's user config folder."""
    if home := os.environ.get("AICOST_HOME"):
        return Path(home).expanduser() / USER_FILE
    return Path(platformdirs.user_config_dir("aicost", appauthor=False)) / USER_FILE


def project_config_file(start: Path | None = None) -> Path | None:
    """`$AICOST_CONFIG`, else the nearest `aicost.toml` in the working directory or one of its parents."""
    if explicit := os.environ.get("AICOST_CONFIG"):
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"AICOST_CONFIG={explicit}: no such file")
        return path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def read_file(path: Path) -> dict[str, Any]:
    """A config file's settings, checked key by key (relative paths are relative to the file)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a config file is TOML") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(syntax_error(str(path), exc)) from None
    out: dict[str, Any] = {}
    for name, raw in data.items():
        key = _BY_NAME.get(name)
        if key is None:
            known = ", ".join(k.name for k in KEYS)
            raise ConfigError(f"{path}: unknown key {name!r} (known keys: {known})")
        try:
            value = key.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{path}: key {name!r}: {exc}") from None
        if key.is_path and not value.is_absolute():
            value = path.parent / value
        out[name] = value
    return out


def resolve(flags: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Effective settings: flag > AICOST_* env > project file > user file > default.

    `flags` maps setting names to command-line values; None means "not given". The only place where
    settings are merged, so every command resolves them the same way.
    """
    flags = flags or {}
    env = os.environ if env is None else env
    unknown = set(flags) - set(_BY_NAME)
    if unknown:
        raise ValueError(f"not settings: {', '.join(sorted(unknown))}")
    user_path = user_config_file()
    project_path = project_config_file()
    user = read_file(user_path) if user_path.is_file() else {}
    project = read_file(project_path) if project_path is not None else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        flag = flags.get(key.name)
        if flag is not None:
            try:
                values[key.name] = key.parse(flag.value if hasattr(flag, "value") else flag)
            except ValueError as exc:
                raise UsageError(f"{key.flag} {flag}: {exc}") from None
            sources[key.name] = f"flag {key.flag}"
        elif env.get(key.env, "").strip():  # set but empty counts as unset, as with NO_COLOR
            try:
                values[key.name] = key.parse(env[key.env])
            except ValueError as exc:
                raise ConfigError(f"{key.env}={env[key.env]!r}: {exc}") from None
            sources[key.name] = f"env {key.env}"
        elif key.name in project:
            values[key.name], sources[key.name] = project[key.name], f"project {project_path}"
        elif key.name in user:
            values[key.name], sources[key.name] = user[key.name], f"user {user_path}"
        else:
            values[key.name], sources[key.name] = key.default, "default"
    files = {"project": project_path, "user": user_path}
    return Settings(**values, sources=sources, files=files)
