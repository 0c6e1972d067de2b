"""`aicost simulate` and `aicost scenarios`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from aicost import export
from aicost.cli.common import (
    BackdateOpt,
    ByOpt,
    FormatOpt,
    Logs,
    MapOpt,
    OnErrorMode,
    OnErrorOpt,
    OutputFormat,
    OutputOpt,
    PricingOpt,
    QuietOpt,
    SinceOpt,
    StrictOpt,
    TzOpt,
    UntilOpt,
    handled,
    parse_mapping,
    split_dims,
    warn_all,
)
from aicost.errors import GateBreached, UsageError
from aicost.render import Messages, color_enabled, render_simulate
from aicost.scenarios.load import load_preset, preset_names, preset_text
from aicost.simulate import adhoc, run_simulate


def parse_share(text: str | None, option: str) -> float | None:
    """`80%`, `80` or `0.8` → 0.8."""
    if text is None:
        return None
    raw = text.strip().rstrip("%")
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a percentage such as 80% or a fraction such as 0.8") from None
    return value / 100 if text.strip().endswith("%") or value > 1 else value


def simulate(
    logs: Logs,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", "-s", help="A scenario file (aicost.scenario/1 TOML); repeatable.", metavar="FILE"),
    ] = None,
    preset: Annotated[
        list[str] | None,
        typer.Option(
            "--preset",
            "-p",
            help="A shipped preset (aicost scenarios list); repeatable. With no scenario, all presets run.",
            metavar="NAME",
        ),
    ] = None,
    share: Annotated[
        str | None, typer.Option("--share", help="Ad-hoc scenario: share of requests to move, e.g. 80%.", metavar="PCT")
    ] = None,
    cheaper: Annotated[
        str | None,
        typer.Option("--cheaper", help="…to a hypothetical model this much cheaper, e.g. 99%.", metavar="PCT"),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="…or to a real model, e.g. openai/gpt-5.4-mini.", metavar="MODEL")
    ] = None,
    basis: Annotated[
        str, typer.Option("--basis", help="What --share measures: requests, tokens or cost.")
    ] = "requests",
    pick: Annotated[
        str,
        typer.Option(
            "--pick", help="Which calls move first: proportional, smallest (cheapest per request) or largest."
        ),
    ] = "proportional",
    by: ByOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    tz: TzOpt = "UTC",
    mapping: MapOpt = None,
    pricing: PricingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    strict: StrictOpt = False,
    backdate_tiers: BackdateOpt = False,
    on_error: OnErrorOpt = OnErrorMode.fail,
    quiet: QuietOpt = False,
) -> None:
    """What would moving workloads save? Baseline vs each scenario, from one scan of the logs."""
    messages = Messages(quiet=quiet)
    extra = []
    share_value = parse_share(share, "--share")
    if share_value is not None:
        if basis not in ("requests", "tokens", "cost") or pick not in ("proportional", "smallest", "largest"):
            raise UsageError("--basis is requests, tokens or cost; --pick is proportional, smallest or largest")
        extra.append(adhoc(share_value, parse_share(cheaper, "--cheaper"), to, basis, pick))
    elif cheaper is not None or to is not None:
        raise UsageError("--cheaper and --to describe an ad-hoc scenario: give --share too")
    result = run_simulate(
        logs,
        scenario_files=scenario or [],
        presets=preset or [],
        extra=extra,
        by=split_dims(by),
        tz=tz,
        since=since,
        until=until,
        mapping=parse_mapping(mapping),
        pricing=pricing,
        strict=strict,
        on_error=on_error.value,
        backdate_tiers=backdate_tiers,
    )
    to_terminal = output in (None, "-") and color_enabled(sys.stdout)
    export.write_result(result, fmt.value, output, table=lambda: render_simulate(result, to_terminal))
    warn_all(messages, result.warnings)
    messages.unpriced(result.usage.unpriced)
    breached = [
        o
        for o in result.outcomes
        if o.quality is not None and o.quality_floor is not None and o.quality < o.quality_floor
    ]
    if breached:
        o = breached[0]
        raise GateBreached(
            f"scenario {o.scenario.name}: delivered quality {o.quality:.1%} is below its floor {o.quality_floor:.1%}"
        )


scenarios_app = typer.Typer(help="The shipped scenario presets.", no_args_is_help=True)


@scenarios_app.command("list")
@handled
def list_presets(fmt: FormatOpt = OutputFormat.table) -> None:
    """List the presets with what each assumes."""
    presets = [load_preset(name) for name in preset_names()]
    if fmt == OutputFormat.json:
        doc = {
            "schema_version": 1,
            "presets": [{"name": p.name, "description": p.description, "sources": p.sources} for p in presets],
        }
        export.emit(export.to_json_bytes(doc), None)
        return
    width = max(len(p.name) for p in presets)
    lines = [f"{p.name.ljust(width)}  {p.description}" for p in presets]
    export.emit(("\n".join(lines) + "\n").encode(), None)


@scenarios_app.command("show")
@handled
def show_preset(
    name: Annotated[str, typer.Argument(help="Preset name.")],
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Print a preset: its TOML with the documented assumptions and sources (or JSON)."""
    text = preset_text(name)
    if fmt == OutputFormat.json:
        doc = {"schema_version": 1, "preset": msgspec.to_builtins(load_preset(name))}
        export.emit((json.dumps(doc, indent=2) + "\n").encode(), None)
        return
    export.emit(text.encode(), None)
