"""Option types shared by every command, the error-translating command group, and output helpers.

How a command plugs into the pipeline contract (report, simulate and export do exactly this):

1. Options that are settings (`--tz`, `--format`, `--pricing`, `--strict`, `--quiet`, `--on-error`,
   `--backdate-tiers`, `--currency`, `--fx-rate`, `--contracts`) use the shared types below, default None,
   and go through `settings(...)` once: `s = settings(tz=tz, format=fmt or export.format_for(output), …)`.
   Read `s.tz`, `s.format`, `s.pricing_arg`, … never the raw flags or os.environ.
2. Amounts: pass `resolve_money(s)` to the library; the library prices cells with
   `money.apply(cells, m)` (or `with_contracts` then `convert` when it re-prices in USD, as simulate does)
   and says `currency` and `money` in its JSON.
3. Output: `export.write_result(result, s.format, output, table=…)`; the result has `.rows` and
   `.to_json()` with `schema_version` and `command`, and aicost/schemas/<command>.schema.json describes it.
4. Gates last, after printing: `gates.enforce([gates.over_budget(total, gates.parse_amount(fail_over), cur)])`.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec

import typer

from aicost import config, export, interrupts, progress
from aicost.errors import AicostError, ExitCode, UsageError
from aicost.export import Format
from aicost.ingest import IngestOptions, known_formats
from aicost.ingest.aliases import parse_aliases
from aicost.ingest.files import refuse_overwriting_inputs
from aicost.money import Money, from_settings
from aicost.render import Messages, scan_progress

P = ParamSpec("P")


class OutputFormat(StrEnum):
    """Output formats."""

    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"
    markdown = "markdown"


class OnErrorMode(StrEnum):
    """What to do with malformed rows."""

    fail = "fail"
    skip = "skip"


Logs = Annotated[
    list[str],
    typer.Argument(
        help="Log files, globs, folders (searched recursively), or - for JSONL on stdin.", show_default=False
    ),
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option("--format", "-f", help="Output format [default: table; config key format, env AICOST_FORMAT]."),
]
OutputOpt = Annotated[
    str | None, typer.Option("--output", "-o", help="Write to FILE (atomically); - is stdout.", metavar="FILE")
]
PricingOpt = Annotated[
    Path | None,
    typer.Option(
        "--pricing",
        help="Price-table folder (default: $AICOST_PRICING, config key pricing, your updated tables, then the "
        "bundled ones).",
        metavar="DIR",
    ),
]
QuietOpt = Annotated[
    bool | None,
    typer.Option("--quiet/--no-quiet", "-q", help="Only the result and errors; no warnings [env AICOST_QUIET]."),
]
StrictOpt = Annotated[
    bool | None,
    typer.Option("--strict/--no-strict", help="Fail (exit 1) if any usage cannot be priced [env AICOST_STRICT]."),
]
OnErrorOpt = Annotated[
    OnErrorMode | None,
    typer.Option(
        "--on-error",
        help="fail: stop at the first malformed row (file and line); skip: exclude and count them "
        "[default: fail; env AICOST_ON_ERROR].",
    ),
]
ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        "-b",
        help="Break down by: provider, model, "
        "service_tier, hour, day, week, month, quarter, year, or any "
        "tag column. Comma-separated or repeated.",
        metavar="DIMS",
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only calls at or after this date/datetime.", metavar="DATE")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Only calls before this date/datetime (exclusive).", metavar="DATE")
]
TzOpt = Annotated[
    str | None,
    typer.Option(
        "--tz", help="Time zone for day/week/month buckets and naive dates [default: UTC; env AICOST_TZ].", metavar="TZ"
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Use a column under another name: canonical=source, e.g. input_tokens=prompt_tokens.",
        metavar="CANONICAL=SOURCE",
    ),
]


BackdateOpt = Annotated[
    bool | None,
    typer.Option(
        "--backdate-tiers/--no-backdate-tiers",
        help="Price batch/flex/priority calls that predate a table's tier rates at the earliest tier rates "
        "(default: standard rates, as genai-prices does).",
    ),
]


LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        help="Read every log as this format instead of detecting it per file: " + ", ".join(known_formats()) + ".",
        metavar="NAME",
    ),
]
ModelAliasOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--model-alias",
        help="Price a logged model id as another: FROM=TO (repeatable), or a TOML file with a [model_aliases] "
        "table. For Bedrock application inference profile ARNs, which name no model.",
        metavar="FROM=TO|FILE",
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        help="Show every amount in this currency (ISO 4217, e.g. EUR); needs --fx-rate [default: USD; env "
        "AICOST_CURRENCY].",
        metavar="CODE",
    ),
]
FxRateOpt = Annotated[
    float | None,
    typer.Option(
        "--fx-rate",
        help="How many units of --currency one USD buys, e.g. 0.92; never looked up online [env AICOST_FX_RATE].",
        metavar="RATE",
    ),
]
ContractsOpt = Annotated[
    Path | None,
    typer.Option(
        "--contracts",
        help="Contract prices (aicost.contracts/1 TOML: percent off or negotiated rates per provider/model); "
        "costs become what you pay, list cost is shown beside [env AICOST_CONTRACTS].",
        metavar="FILE",
    ),
]
FailOverOpt = Annotated[
    str | None,
    typer.Option(
        "--fail-over",
        help="Gate: after printing, exit 3 if the total cost is above AMOUNT (in the output currency).",
        metavar="AMOUNT",
    ),
]


def plain_format(fmt: OutputFormat | None, output: str | None) -> Format:
    """--format for commands where it is not a setting: the flag, else the --output suffix, else table."""
    if fmt is not None:
        return fmt.value
    return export.format_for(output) or "table"


def ingest_options(log_format: str | None, model_alias: list[str] | None) -> IngestOptions:
    """--log-format and --model-alias as library options (validated)."""
    options = IngestOptions(log_format=log_format, model_aliases=parse_aliases(model_alias or []))
    options.check()
    return options


def settings(**flags: Any) -> config.Settings:
    """The effective settings for a command: its flags over env, project file, user file and defaults."""
    return config.resolve(flags)


def resolve_money(resolved: config.Settings) -> Money:
    """Currency, FX rate and contracts from the settings (a non-USD currency without a rate is a usage error)."""
    return from_settings(resolved)


def split_dims(values: list[str] | None) -> list[str]:
    """`--by a,b --by c` → [a, b, c]."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def parse_mapping(values: list[str] | None) -> dict[str, str]:
    """`--map input_tokens=prompt_tokens` → {"input_tokens": "prompt_tokens"}."""
    mapping: dict[str, str] = {}
    for value in values or []:
        canonical, sep, source = value.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise UsageError(f"--map {value!r}: expected canonical=source, e.g. input_tokens=prompt_tokens")
        if canonical.strip() in mapping:
            raise UsageError(f"--map {canonical.strip()}: given twice; map each column once")
        mapping[canonical.strip()] = source.strip()
    return mapping


def debug_enabled() -> bool:
    """--debug anywhere on the command line, or AICOST_DEBUG=1."""
    return "--debug" in sys.argv or os.environ.get("AICOST_DEBUG", "") not in ("", "0")


def handled(command: Callable[P, None]) -> Callable[P, None]:
    """Translate aicost errors into one line on stderr and their exit code, once, at the edge."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            logs, output = kwargs.get("logs"), kwargs.get("output")
            if isinstance(logs, list) and isinstance(output, str):
                refuse_overwriting_inputs(output, logs)
            # long scans report progress on a terminal's stderr (never with --quiet or NO_COLOR)
            with progress.reporting(scan_progress(quiet=bool(kwargs.get("quiet", False)))):
                command(*args, **kwargs)
        except KeyboardInterrupt as exc:
            _stopped(exc)
        except BrokenPipeError:
            # the reader went away (`| head`): nothing more to say
            raise typer.Exit(int(ExitCode.ERROR)) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if interrupts.stopping():
                # Ctrl-C/SIGTERM raised inside a library callback can surface as some other error
                _stopped(exc)
            if debug_enabled():
                if not isinstance(exc, AicostError):
                    raise
                traceback.print_exc()
            if isinstance(exc, AicostError):
                Messages().error(str(exc))
                raise typer.Exit(int(exc.exit_code)) from None
            Messages().error(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")
            raise typer.Exit(int(ExitCode.ERROR)) from None

    return wrapper


def _stopped(exc: BaseException) -> NoReturn:
    # whatever was being written has been removed by now (aicost.atomic): nothing partial remains
    code = interrupts.reported(exc)
    Messages().error("terminated" if code == ExitCode.TERMINATED else "interrupted")
    raise typer.Exit(int(code)) from None


def warn_all(messages: Messages, warnings: list[str]) -> None:
    """Print a result's warnings."""
    for warning in warnings:
        messages.warn(warning)
