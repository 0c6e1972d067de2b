"""`aicost config show`: the effective settings and where each came from."""

from __future__ import annotations

import sys

import polars as pl
import typer

from aicost import config, export
from aicost.cli.common import FormatOpt, OutputFormat, OutputOpt, handled
from aicost.errors import ConfigError, UsageError
from aicost.money import from_settings
from aicost.render import Messages, color_enabled
from aicost.render.tables import render_settings

app = typer.Typer(
    help="Settings from flags, AICOST_* variables, aicost.toml and your user config.", no_args_is_help=True
)


@app.command("show")
@handled
def show(fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """Print every setting's effective value and its source (flag, env, project file, user file or default)."""
    resolved = config.resolve()
    rows = resolved.rows()
    frame = pl.DataFrame(
        {
            "key": [r["key"] for r in rows],
            "value": [
                None
                if r["value"] is None
                else str(r["value"]).lower()
                if isinstance(r["value"], bool)
                else str(r["value"])
                for r in rows
            ],
            "source": [r["source"] for r in rows],
            "env": [r["env"] for r in rows],
            "flag": [r["flag"] for r in rows],
        },
        schema={"key": pl.String, "value": pl.String, "source": pl.String, "env": pl.String, "flag": pl.String},
    )
    files = dict(resolved.files.items())
    color = output in (None, "-") and color_enabled(sys.stdout)
    result = export.Document(rows=frame, document=resolved.to_json())
    export.write_result(
        result, (fmt or OutputFormat.table).value, output, table=lambda: render_settings(rows, files, color)
    )
    try:
        from_settings(resolved)
    except (UsageError, ConfigError) as exc:
        Messages().warn(f"these settings cannot price anything yet: {exc}")
