"""Tables for people: each command's result as rich tables, rendered to bytes.

Colour only when asked (`color`: the stream is a terminal, see `aicost.render.color_enabled`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from aicost.forecast.chart import usd_tick
from aicost.money import format_amount
from aicost.render import console

if TYPE_CHECKING:  # each command imports only its own results
    from aicost.forecast.chart import ChartData
    from aicost.forecast.run import ForecastResult
    from aicost.logs import InspectResult
    from aicost.reconcile import Reconciliation
    from aicost.report import ReportResult
    from aicost.simulate import SimulateResult

_TOKEN_HEADERS = (
    ("requests", "Requests"),
    ("input_tokens", "Input"),
    ("cache_read_tokens", "Cache read"),
    ("cache_write_tokens", "Cache write"),
    ("cache_write_1h_tokens", "Cache write 1h"),
    ("output_tokens", "Output"),
)


def to_text(renderables: Sequence[Any], color: bool) -> bytes:
    """Render to bytes (ANSI codes only when `color`)."""
    buffer = io.StringIO()
    out = console(buffer, color)
    for renderable in renderables:
        out.print(renderable)
    text = buffer.getvalue()
    if not color:
        text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    return text.encode()


def money(value: float | None, places: int = 2) -> str:
    """USD amount for a table cell; small non-zero amounts keep significant digits."""
    if value is None:
        return "–"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.6f}".rstrip("0")
    return f"{value:,.{places}f}"


def count(value: int | None) -> str:
    """An integer with thousands separators."""
    return "–" if value is None else f"{value:,}"


def report_table(result: ReportResult) -> Table:
    """The human view of a report: token columns, cost right-aligned, totals in the footer."""
    rows = result.rows
    totals = result.totals()
    show = [
        (c, h)
        for c, h in _TOKEN_HEADERS
        if c in {"requests", "input_tokens", "output_tokens"} or int(totals.get(c, 0) or 0) > 0
    ]
    title = "AI spend" + (f" by {', '.join(result.by)}" if result.by else "")
    table = Table(
        title=title,
        box=box.SIMPLE_HEAVY,
        show_footer=True,
        title_justify="left",
        caption=_caption(result),
        caption_justify="left",
    )
    for i, dim in enumerate(result.by):
        table.add_column(dim.replace("_", " ").capitalize(), footer="Total" if i == 0 else "", no_wrap=True)
    for column, header in show:
        table.add_column(header, justify="right", footer=count(int(totals[column])), no_wrap=True)
    cur = result.currency
    contracted = result.money.contracts is not None
    if contracted:
        table.add_column(f"List ({cur})", justify="right", footer=money(result.total_list_cost), no_wrap=True)
    table.add_column(f"Cost ({cur})", justify="right", footer=money(result.total_cost), style="bold", no_wrap=True)
    if not result.by:
        table.columns[0].footer = table.columns[0].footer
    for row in rows.iter_rows(named=True):
        cells = [str(row[d]) if row[d] is not None else "–" for d in result.by]
        cells += [count(row[c]) for c, _ in show]
        if contracted:
            cells.append(money(row.get("list_cost")))
        cost = money(row["cost"])
        if row.get("unpriced_requests"):
            cost += " *"
        cells.append(cost)
        table.add_row(*cells)
    return table


def _caption(result: ReportResult) -> str:
    pricing = result.usage.book.provenance()
    as_of = str(pricing["as_of"] or "unknown")[:10]
    sources = ", ".join(str(s) for s in pricing["sources"])  # type: ignore[attr-defined]
    acc = result.usage.accounting
    text = (
        f"Prices: {sources} as of {as_of} ({pricing['origin']}, sha256 {str(pricing['sha256'])[:12]}). "
        f"Rows: {acc.rows_read:,} read, {acc.rows_priced:,} priced"
    )
    if acc.rows_unpriced:
        text += f", {acc.rows_unpriced:,} unpriced"
    if acc.rows_rejected:
        text += f", {acc.rows_rejected:,} rejected"
    if acc.rows_skipped:
        text += f", {acc.rows_skipped:,} skipped (not billable)"
    if acc.rows_deduplicated:
        text += f", {acc.rows_deduplicated:,} duplicates"
    if acc.rows_filtered:
        text += f", {acc.rows_filtered:,} outside --since/--until"
    if any(result.rows["unpriced_requests"].fill_null(0) > 0) if "unpriced_requests" in result.rows.columns else False:
        text += ". * includes unpriced requests, not in the cost"
    if result.money.note:
        text += ". Amounts " + result.money.note
    return text + "."


def render_report(result: ReportResult, color: bool) -> bytes:
    """The report table as bytes (and the reconciliation table, with --reconcile)."""
    tables: list[Any] = [report_table(result)]
    if result.reconciliation is not None:
        tables.append(reconciliation_table(result.reconciliation))
    return to_text(tables, color)


def _signed_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1%}"


def reconciliation_table(rec: Reconciliation) -> Table:
    """Computed vs reported cost per model; rows beyond the tolerance are marked."""
    table = Table(
        title=f"Computed vs reported cost (tolerance {rec.tolerance:.1%})",
        box=box.SIMPLE_HEAVY,
        title_justify="left",
        caption=None if rec.rows else "No rows report a cost.",
        caption_justify="left",
    )
    table.add_column("Provider", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    for header in ("Requests", "Computed (USD)", "Reported (USD)", "Difference (USD)", "Difference"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for r in rec.rows:
        status = {"ok": "ok", "differs": "DIFFERS", "unpriced": "UNPRICED"}[r["status"]]
        table.add_row(
            str(r["provider"] or "–"),
            str(r["model"]),
            count(r["requests"]),
            money(r["computed_cost"], 6),
            money(r["reported_cost"], 6),
            money(r["difference"], 6),
            _signed_pct(r["difference_pct"]),
            Text(status, style="bold yellow") if r["status"] != "ok" else Text(status),
        )
    return table


def inspect_tables(result: InspectResult) -> list[Table]:
    """Per-file summary, then every file's models with their pricing status."""
    files = Table(title="Log files", box=box.SIMPLE_HEAVY, title_justify="left", show_footer=True)
    acc = result.usage.accounting
    files.add_column("File", footer="Total")
    files.add_column("Format", no_wrap=True)
    for header, _key, total in (
        ("Read", "rows_read", acc.rows_read),
        ("Kept", "rows_kept", acc.rows_priced + acc.rows_unpriced),
        ("Rejected", "rows_rejected", acc.rows_rejected),
        ("Skipped", "rows_skipped", acc.rows_skipped),
        ("Duplicates", "rows_deduplicated", acc.rows_deduplicated),
    ):
        files.add_column(header, justify="right", footer=count(total), no_wrap=True)
    files.add_column("From (UTC)", no_wrap=True)
    files.add_column("To (UTC)", no_wrap=True)
    for f in result.files:
        c = f.counts
        files.add_row(
            f.path,
            f.format,
            *(count(c[k]) for k in ("rows_read", "rows_kept", "rows_rejected", "rows_skipped", "rows_deduplicated")),
            (f.first or "–")[:19],
            (f.last or "–")[:19],
        )
    models = Table(title="Models", box=box.SIMPLE_HEAVY, title_justify="left")
    for header in ("File", "Provider", "Model", "Requests", "Cost (USD)", "Priced as"):
        models.add_column(header, justify="right" if header in ("Requests", "Cost (USD)") else "left")
    for f in result.files:
        for m in f.models:
            priced = m["priced_as"] if m["status"] == "priced" else f"unpriced: {m['reason'] or 'unknown model'}"
            models.add_row(
                f.path, str(m["provider"] or "–"), str(m["model"]), count(m["requests"]), money(m["cost"], 6), priced
            )
    return [files, models]


def render_inspect(result: InspectResult, color: bool) -> bytes:
    """The inspect tables as bytes."""
    return to_text(inspect_tables(result), color)


# what str.splitlines() breaks on, and other control characters a terminal would act on
def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def simulate_tables(result: SimulateResult) -> list[Any]:
    """The savings table (sorted by savings, a headline on top) and, with --by, the breakdown."""
    baseline = result.baseline_cost
    cur = result.currency
    out: list[Any] = []
    if result.outcomes:
        best = result.outcomes[0]
        headline = Text.assemble(
            ("Baseline ", "bold"),
            (format_amount(baseline, cur), "bold"),
            f" for {result.usage.accounting.rows_priced:,} priced rows. Biggest saving: ",
            (best.scenario.name, "bold cyan"),
            f" — {format_amount(best.total_cost, cur)}, saving {format_amount(best.savings, cur)} "
            f"({best.savings_pct:.1f}%).",
        )
        out.append(headline)
    quality = any(o.quality is not None for o in result.outcomes)
    table = Table(
        box=box.SIMPLE_HEAVY,
        title="What-if scenarios",
        title_justify="left",
        caption=_sim_caption(result),
        caption_justify="left",
    )
    table.add_column("Scenario", no_wrap=True)
    for header in (
        f"Baseline ({cur})",
        f"Scenario ({cur})",
        f"Savings ({cur})",
        "Savings %",
        "Spend moved",
        "Requests moved",
        f"Escalations ({cur})",
    ):
        table.add_column(header, justify="right", no_wrap=True)
    if quality:
        table.add_column("Quality", justify="right", no_wrap=True)
        table.add_column("$/success", justify="right", no_wrap=True)
    for o in result.outcomes:
        saving = Text(money(o.savings), style="green" if o.savings > 0 else "red" if o.savings < 0 else "")
        cells: list[Any] = [
            o.scenario.name,
            money(o.baseline_cost),
            money(o.total_cost),
            saving,
            f"{o.savings_pct:.1f}%",
            _pct(o.share_of_spend_moved),
            _pct(o.share_of_requests_moved),
            money(o.escalation_cost),
        ]
        if quality:
            per = o.cost_per_successful_request
            cells += [_pct(o.quality), "–" if per is None else f"{per:.6f}".rstrip("0")]
        table.add_row(*cells)
    out.append(table)
    if result.by:
        detail = Table(box=box.SIMPLE, title="By " + ", ".join(result.by), title_justify="left")
        detail.add_column("Scenario", no_wrap=True)
        for dim in result.by:
            detail.add_column(dim.replace("_", " ").capitalize(), no_wrap=True)
        for header in (f"Baseline ({cur})", f"Scenario ({cur})", f"Savings ({cur})", "Savings %"):
            detail.add_column(header, justify="right", no_wrap=True)
        for row in result.rows.iter_rows(named=True):
            detail.add_row(
                row["scenario"],
                *(str(row[d]) for d in result.by),
                money(row["baseline_cost"]),
                money(row["scenario_cost"]),
                money(row["savings"]),
                f"{row['savings_pct']:.1f}%",
            )
        out.append(detail)
    return out


def _sim_caption(result: SimulateResult) -> str:
    pricing = result.usage.book.provenance()
    as_of = str(pricing["as_of"] or "unknown")[:10]
    note = f" Amounts {result.money.note}." if result.money.note else ""
    return (
        f"Savings % is of the baseline; spend/requests moved are shares of the baseline. "
        f"Prices as of {as_of} ({pricing['origin']}, sha256 {str(pricing['sha256'])[:12]}).{note}"
    )


def render_simulate(result: SimulateResult, color: bool) -> bytes:
    """The simulate view as bytes."""
    return to_text(simulate_tables(result), color)


# ---------------------------------------------------------------------------------- price tables


def price(value: Any) -> str:
    """A rate for a table cell: USD per million tokens, tiers as `base · >200k 6`."""
    if value is None:
        return "–"
    if isinstance(value, dict) and "base" in value:
        steps = " · ".join(f">{_k(t['start'])} {price(t['price'])}" for t in value["tiers"])
        return f"{price(value['base'])} · {steps}" if steps else price(value["base"])
    if hasattr(value, "base") and hasattr(value, "tiers"):
        return price({"base": value.base, "tiers": [{"start": t.start, "price": t.price} for t in value.tiers]})
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 0.001:
        return f"{value:,.6f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def _k(tokens: int) -> str:
    return f"{tokens // 1000:,}k" if tokens % 1000 == 0 else f"{tokens:,}"


def _change_pct(old: Any, new: Any) -> str:
    if isinstance(old, int | float) and isinstance(new, int | float) and not isinstance(old, bool) and old:
        return f"{(new - old) / old * 100:+.1f}%"
    return ""


def diff_view(result: Any, title: str, limit: int = 25) -> list[Any]:
    """Changes between two table sets: one row per changed rate, added/removed models listed (capped)."""
    summary = result.summary()
    lines = Text(
        f"{summary['added']:,} added, {summary['removed']:,} removed, {summary['changed']:,} changed "
        f"({summary['history_entries_appended']:,} history entries appended, {summary['delisted']:,} delisted)\n"
        f"  old: {_prov(result.old.provenance())}\n  new: {_prov(result.new.provenance())}"
    )
    if not (result.changes or result.added or result.removed):
        return [Text(title, style="bold"), lines]
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left")
    for header, justify in (
        ("Provider", "left"),
        ("Model", "left"),
        ("Change", "left"),
        ("Where", "left"),
        ("Rate", "left"),
        ("Old ($/M)", "right"),
        ("New ($/M)", "right"),
        ("Δ", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for change in result.changes:
        table.add_row(
            change.provider,
            change.model,
            change.kind,
            change.where,
            change.key,
            price(change.old),
            price(change.new),
            _change_pct(change.old, change.new),
        )
    for kind, items in (("added", result.added), ("removed", result.removed)):
        for provider, model in items[:limit]:
            entry = model.price[-1]
            rates = f"in {price(entry.input)} / out {price(entry.output)}"
            table.add_row(provider, model.id, kind, "", rates, "", "", "")
        if len(items) > limit:
            table.add_row(
                "…", f"{len(items) - limit:,} more {kind} (--format json lists all)", kind, "", "", "", "", ""
            )
    return [table, lines]


def _prov(p: dict[str, Any]) -> str:
    as_of = str(p.get("as_of") or "unknown")[:10]
    where = p.get("directory") or p.get("label")
    return f"{where} ({', '.join(p.get('sources') or []) or 'no tables'}, as of {as_of}, {p.get('models', 0):,} models)"


def render_diff(result: Any, color: bool) -> bytes:
    """`prices diff` as a table."""
    return to_text(diff_view(result, "Price changes"), color)


def render_update(result: Any, color: bool) -> bytes:
    """`prices update` summary: what was fetched, what changed, conflicts between sources."""
    parts: list[Any] = []
    fetched = Table(title="Sources", box=box.SIMPLE_HEAVY, title_justify="left")
    for header in ("Source", "Format", "Location", "Entries", "Models", "sha256"):
        fetched.add_column(header, justify="right" if header in ("Entries", "Models") else "left")
    for src in result.sources:
        fetched.add_row(
            src["source"],
            src["format"],
            src["location"],
            count(src["entries"]),
            count(src["models"]),
            str(src["sha256"] or "")[:12],
        )
    parts.append(fetched)
    verb = "would write" if result.dry_run else "wrote"
    if result.written:
        title = f"Changes ({verb} {len(result.written)} table files to {result.directory}; compared with "
        title += f"{result.baseline})"
    else:
        title = f"No changes: {result.directory} is up to date"
    parts += diff_view(result.diff, title)
    if result.conflicts:
        conflicts = Table(
            title=f"Conflicts between sources ({len(result.conflicts):,}; the higher-ranked source is kept)",
            box=box.SIMPLE_HEAVY,
            title_justify="left",
        )
        for header in ("Provider", "Model", "Rate", "Kept", "Other"):
            conflicts.add_column(header, justify="right" if header in ("Kept", "Other") else "left")
        for conflict in result.conflicts[:50]:
            for key, (kept, other) in conflict.rates.items():
                conflicts.add_row(
                    conflict.provider,
                    f"{conflict.model} ({conflict.other} {conflict.other_model})",
                    key,
                    f"{price(kept)} {conflict.kept}",
                    f"{price(other)} {conflict.other}",
                )
        if len(result.conflicts) > 50:
            conflicts.add_row("…", f"{len(result.conflicts) - 50:,} more (--format json lists all)", "", "", "")
        parts.append(conflicts)
    if result.backup:
        parts.append(Text(f"Previous tables backed up to {result.backup}"))
    return to_text(parts, color)


def render_price_list(result: Any, color: bool) -> bytes:
    """`prices list` as a table."""
    prov = result.book.provenance()
    caption = (
        f"{result.rows.height:,} models; rates in force on {result.at}, USD per million tokens. "
        f"Tables: {prov['directory']} ({prov['origin']}; {', '.join(prov['sources'])}, "
        f"as of {str(prov['as_of'] or 'unknown')[:10]})."
    )
    table = Table(title="Prices", box=box.SIMPLE_HEAVY, title_justify="left", caption=caption, caption_justify="left")
    headers = (
        ("provider", "Provider"),
        ("model", "Model"),
        ("input", "Input"),
        ("cache_read", "Cache read"),
        ("cache_write", "Cache write"),
        ("output", "Output"),
        ("long_context", "Long context"),
        ("tiers", "Tiers"),
        ("context_window", "Context"),
        ("status", "Status"),
        ("source", "Source"),
    )
    for key, header in headers:
        numeric = key in ("input", "cache_read", "cache_write", "output", "context_window")
        table.add_column(header, justify="right" if numeric else "left")
    for row in result.rows.iter_rows(named=True):
        cells = []
        for key, _ in headers:
            value = row[key]
            cells.append(
                count(value)
                if key == "context_window"
                else price(value)
                if key in ("input", "cache_read", "cache_write", "output")
                else (value or "")
            )
        table.add_row(*cells)
    return to_text([table], color)


def render_model(result: Any, color: bool) -> bytes:
    """`prices show`: the resolution, provenance and every rate of one model."""
    doc = result.to_json()
    model = result.model
    res = doc["resolved"]
    src = doc["source"]
    lines = [
        f"{res['provider']}/{model.id}" + (f" ({model.name})" if model.name else ""),
        f"  resolved from {doc['query']['model']!r}"
        + (f" with provider {doc['query']['provider']!r}" if doc["query"]["provider"] else "")
        + f" via: {res['via']}"
        + (f"; priced from {res['price_provider']}" if res["price_provider"] != res["provider"] else ""),
        f"  table: {doc['table']['directory']}/{doc['table']['file']} ({doc['table']['origin']}), "
        f"sha256 {doc['table']['sha256'][:12]}",
        f"  source: {src['name']} {src.get('url') or ''} retrieved {src.get('retrieved_at') or 'unknown'}"
        + (f", content sha256 {src['sha256'][:12]}" if src.get("sha256") else ""),
        f"  status: {doc['status']}; context window: {count(model.context_window)} tokens; match: {model.match}",
    ]
    if model.comments:
        lines.append(f"  comments: {model.comments}")
    parts: list[Any] = [Text("\n".join(lines))]
    keys = ("input", "cache_read", "cache_write", "cache_write_1h", "output", "reasoning", "per_1k_requests")
    history = Table(title="Price history (USD per million tokens)", box=box.SIMPLE_HEAVY, title_justify="left")
    history.add_column("From")
    history.add_column("When")
    for key in keys:
        history.add_column(key.replace("_", " ").capitalize(), justify="right")
    history.add_column("Other")
    for entry in model.price:
        start = entry.effective_from.isoformat() if entry.effective_from else "(always)"
        history.add_row(start, "", *(price(getattr(entry, k)) for k in keys), _other(entry.other))
        for window in entry.windows:
            days = ",".join(window.weekdays) if window.weekdays else "every day"
            history.add_row(
                "",
                f"{window.start}-{window.end} UTC {days}",
                *(price(getattr(window, k)) for k in keys),
                _other(window.other),
            )
    parts.append(history)
    if model.variant:
        variants = Table(
            title="Service-tier variants (override the standard rates key by key)",
            box=box.SIMPLE_HEAVY,
            title_justify="left",
        )
        variants.add_column("Tier")
        variants.add_column("From")
        for key in keys:
            variants.add_column(key.replace("_", " ").capitalize(), justify="right")
        for variant in model.variant:
            start = variant.effective_from.isoformat() if variant.effective_from else "(always)"
            variants.add_row(variant.tier, start, *(price(getattr(variant, k)) for k in keys))
        parts.append(variants)
    return to_text(parts, color)


def _other(other: dict[str, Any]) -> str:
    return ", ".join(f"{k} {price(v)}" for k, v in sorted(other.items()))


# ------------------------------------------------------------------------------------------- forecast

_MARKERS = ("●", "◆", "▲", "■", "★", "▼", "✚", "◼")
_SERIES_STYLES = ("bold cyan", "bold magenta", "bold green", "bold yellow", "bold blue", "bold red")


def forecast_chart(chart: ChartData, height: int = 14) -> Text:
    """A character chart of monthly cost: history (○), baseline and scenarios with their P10–P90 bands."""
    positions = chart.positions
    width = 3 if len(positions) <= 26 else 2 if len(positions) <= 40 else 1
    top = chart.top * 1.05 or 1.0
    grid: list[list[tuple[str, str]]] = [[(" ", "")] * (len(positions) * width) for _ in range(height)]

    def row(value: float) -> int:
        return height - 1 - min(height - 1, max(0, round(value / top * (height - 1))))

    def column(x: int) -> int:
        return positions.index(x) * width + width // 2

    styled = []
    legend = Text()
    for i, line in enumerate(chart.lines):
        if line.kind == "history":
            styled.append((line, "○", "dim"))
        else:
            k = len(styled) - (1 if chart.lines[0].kind == "history" else 0)
            styled.append((line, _MARKERS[k % len(_MARKERS)], _SERIES_STYLES[k % len(_SERIES_STYLES)]))
        legend.append("  " if i else "")
        legend.append(f"{styled[-1][1]} {line.label}", style=styled[-1][2])
    for line, _, style in styled:
        if line.low is None or line.high is None:
            continue
        shade = "░" if line.kind == "baseline" else "▒"
        for x, low, high in zip(line.x, line.low, line.high, strict=True):
            for r in range(row(high), row(low) + 1):
                grid[r][column(x)] = (shade, style.replace("bold ", "dim "))
    for line, marker, style in styled:
        for x, y in zip(line.x, line.y, strict=True):
            grid[row(y)][column(x)] = (marker, style)
    label_width = max(len(usd_tick(top, top, chart.currency)), len(usd_tick(0, top, chart.currency)))
    text = Text()
    for r in range(height):
        value = top * (height - 1 - r) / (height - 1)
        label = usd_tick(value, top, chart.currency) if r in (0, height // 2, height - 1) else ""
        text.append(f"{label:>{label_width}} ┤" if label else " " * label_width + " │", style="dim")
        for char, style in grid[r]:
            text.append(char, style=style or None)
        text.append("\n")
    text.append(" " * label_width + " └" + "─" * (len(positions) * width) + "\n", style="dim")
    axis = [" "] * (len(positions) * width + 8)
    step = max(1, -(-8 // width))
    for i in range(0, len(positions), step):
        label = chart.labels[i]
        start = i * width
        axis[start : start + len(label)] = list(label)
    text.append(" " * (label_width + 2) + "".join(axis).rstrip() + "\n", style="dim")
    text.append(" " * (label_width + 2))
    text.append_text(legend)
    text.append("   ░/▒ P10–P90", style="dim")
    return text


def _band(low: float, high: float) -> str:
    return f"{money(low, 0)}–{money(high, 0)}" if max(abs(low), abs(high)) >= 100 else f"{money(low)}–{money(high)}"


def forecast_tables(result: ForecastResult) -> list[Any]:
    """Headline, assumptions, the chart, the monthly table and (with --backtest) the backtest table."""
    doc = result.to_json()
    base = doc["baseline"]
    out: list[Any] = []
    growth = doc["assumptions"]["growth"]
    if growth["source"] == "fit":
        lo, hi = growth["interval_80"]
        how = f"fitted from {growth['fitted']['tokens']['months']} months of tokens, P10–P90 {lo:.2f}x–{hi:.2f}x"
    else:
        how = f"{growth['spec']} ({growth['source']})"
    headline = Text.assemble(
        ("Forecast ", "bold"),
        f"{doc['first_month']}–{result.labels[-1]} ({len(result.months)} months) after base month "
        f"{doc['base_month']} (${money(doc['base_month_cost'])}). ",
        ("Baseline ", "bold"),
        (f"${money(base['total_cost'])}", "bold"),
        f" (P10–P90 ${_band(base['p10'], base['p90'])}); volume growth {growth['annual_factor']:.2f}x/yr, {how}.",
    )
    out.append(headline)
    for s in doc["scenarios"]:
        line = Text.assemble(
            "  ",
            (s["name"], "bold cyan"),
            f": ${money(s['total_cost'])}, saving ${money(s['savings'])} ({s['savings_pct']:.1f}%); "
            f"steady state {s['steady_state_ratio'] or 0:.3f} of baseline",
        )
        if s["switching_cost"]:
            paid = s["payback_month"] or f"not within {len(result.months)} months"
            line.append(f"; switching cost ${money(s['switching_cost'])} paid back {paid}")
        out.append(line)
    out.append(Text(""))
    out.append(forecast_chart(result.chart()))
    table = Table(
        box=box.SIMPLE_HEAVY,
        title=f"Monthly cost ({doc['currency']}): point forecast and P10–P90",
        title_justify="left",
        show_footer=True,
    )
    table.add_column("Month", footer="Total", no_wrap=True)
    table.add_column(f"Baseline ({doc['currency']})", justify="right", footer=money(base["total_cost"]), no_wrap=True)
    table.add_column("P10–P90", justify="right", footer=_band(base["p10"], base["p90"]), no_wrap=True)
    for s in doc["scenarios"]:
        table.add_column(
            f"{s['name']} ({doc['currency']})", justify="right", footer=money(s["total_cost"]), no_wrap=True
        )
        table.add_column("P10–P90", justify="right", footer=_band(s["p10"], s["p90"]), no_wrap=True)
        table.add_column("Adoption", justify="right", no_wrap=True)
        table.add_column(f"Cum. savings ({doc['currency']})", justify="right", footer=money(s["savings"]), no_wrap=True)
    for month in doc["months"]:
        b = month["baseline"]
        cells: list[Any] = [month["month"], money(b["cost"]), _band(b["p10"], b["p90"])]
        for s in doc["scenarios"]:
            m = month["scenarios"][s["name"]]
            cum = m["cumulative_savings"]
            cells += [
                money(m["cost"]),
                _band(m["p10"], m["p90"]),
                f"{m['adoption']:.0%}",
                Text(money(cum), style="green" if cum > 0 else "red" if cum < 0 else ""),
            ]
        table.add_row(*cells)
    out += [table, Text(_forecast_caption(result, doc), style="dim")]
    if result.backtest is not None:
        out += _backtest_table(doc["backtest"])
    return out


def _forecast_caption(result: ForecastResult, doc: dict[str, Any]) -> str:
    pricing = doc["pricing"]
    parts = [
        "Month 0 is the first forecast month; month t has t + 1 months of growth and price decline, and ramps "
        "are read at t.",
        f"Ranges: {result.draws:,} draws, seed {result.seed}"
        + (
            f", over {', '.join(doc['assumptions']['monte_carlo']['uncertain_drivers'])}."
            if doc["assumptions"]["monte_carlo"]["uncertain_drivers"]
            else " (no uncertain driver: bands are points)."
        ),
    ]
    for s in doc["assumptions"]["scenarios"]:
        ramp = s["ramp"]
        shape = ramp["shape"]
        if shape == "logistic":
            shape += f" mid {ramp['midpoint_month']:g}, 10→90% in {ramp['p10_to_p90_months']:g} months"
        elif shape == "linear":
            shape += f" {ramp['start_month']:g}→{ramp['end_month']:g}"
        else:
            shape += f" at {ramp['start_month']:g}"
        decline = s["price_decline"]
        parts.append(
            f"{s['name']}: ramp {shape}; targets' prices ÷{decline['annual_factor']:.3g}/yr ({decline['spec']})."
        )
    changes = doc["assumptions"]["list_prices"]["changes"]
    if changes:
        parts.append(
            "Dated list-price changes: "
            + ", ".join(f"{c['month']} {c['change_pct']:+.1f}%" for c in changes if c["change_pct"] is not None)
            + "."
        )
    parts.append(f"Prices as of {str(pricing['as_of'] or 'unknown')[:10]} (sha256 {str(pricing['sha256'])[:12]}).")
    return " ".join(parts)


def _backtest_table(bt: dict[str, Any]) -> list[Any]:
    table = Table(
        box=box.SIMPLE,
        title=f"Backtest: the last {bt['held_out_months']} full month(s) forecast from "
        f"{bt['training_months'][0]}–{bt['training_months'][-1]}",
        title_justify="left",
    )
    for header in ("Month", "Actual (USD)", "Forecast (USD)", "P10–P90", "Error"):
        table.add_column(header, justify="left" if header == "Month" else "right", no_wrap=True)
    for row in bt["months"]:
        error = "–" if row["error_pct"] is None else f"{row['error_pct']:+.1f}%"
        table.add_row(row["month"], money(row["actual"]), money(row["forecast"]), _band(row["p10"], row["p90"]), error)
    if bt["mape_pct"] is None:
        summary = Text("No held-out month has a positive actual cost to compare with.")
    else:
        summary = Text.assemble(
            ("Backtest MAPE ", "bold"),
            (f"{bt['mape_pct']:.1f}%", "bold"),
            f", bias {bt['bias_pct']:+.1f}% (positive: the forecast ran high); "
            f"{bt['coverage_p10_p90']:.0%} of actual months inside P10–P90; "
            f"growth {bt['growth_annual_factor']:.2f}x/yr ({bt['growth_source']}).",
        )
    return [table, summary]


def render_forecast(result: ForecastResult, color: bool) -> bytes:
    """The forecast view as bytes."""
    return to_text(forecast_tables(result), color)


def settings_table(rows: Sequence[dict[str, Any]], files: dict[str, Any]) -> Table:
    """`aicost config show`: each setting's effective value and where it came from."""
    caption = "Precedence: flag > AICOST_* env > project file > user file > default. Files: " + ", ".join(
        f"{kind} {path if path is not None else '(none)'}" + ("" if path is None or path.is_file() else " (not found)")
        for kind, path in files.items()
    )
    table = Table(
        title="aicost settings", box=box.SIMPLE_HEAVY, title_justify="left", caption=caption, caption_justify="left"
    )
    for header in ("Setting", "Value", "Source", "Env", "Flag"):
        table.add_column(header, no_wrap=header != "Source")
    for row in rows:
        value = row["value"]
        shown = "–" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        table.add_row(row["key"], shown, row["source"], row["env"], row["flag"])
    return table


def render_settings(rows: Sequence[dict[str, Any]], files: dict[str, Any], color: bool) -> bytes:
    """The settings table as bytes."""
    return to_text([settings_table(rows, files)], color)
