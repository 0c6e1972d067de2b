"""User model aliases: price a logged model id as another (Bedrock application-inference-profile ARNs).

An application inference profile ARN (`arn:aws:bedrock:…:application-inference-profile/abc123`) names
no model, so only its owner can say what it runs. `--model-alias FROM=TO` (repeatable) or a TOML file:

    [model_aliases]
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123" = "us.anthropic.claude-sonnet-4-5"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from aicost.errors import ConfigError, UsageError

TABLE = "model_aliases"


def parse_aliases(values: Iterable[str]) -> dict[str, str]:
    """`FROM=TO` pairs and TOML files (anything without `=`), later values winning."""
    aliases: dict[str, str] = {}
    for value in values:
        source, sep, target = value.partition("=")
        if sep:
            if not source.strip() or not target.strip():
                raise UsageError(f"--model-alias {value!r}: expected FROM=TO, e.g. arn:…/abc123=us.anthropic.…-v1:0")
            aliases[source.strip()] = target.strip()
        else:
            aliases.update(load_alias_file(Path(value)))
    return aliases


def load_alias_file(path: Path) -> dict[str, str]:
    """The `[model_aliases]` table of a TOML file; any other key is an error, never ignored."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--model-alias {path}: no such file (or give FROM=TO)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    extra = sorted(set(data) - {TABLE})
    if extra:
        raise ConfigError(f"{path}: unknown key {extra[0]!r}; put aliases in a [{TABLE}] table")
    table = data.get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f'{path}: {TABLE} must be a table of "logged id" = "model id"')
    bad = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ConfigError(f"{path}: {TABLE}.{bad[0]!r} must be a non-empty model id string")
    return {str(k): str(v).strip() for k, v in table.items()}
