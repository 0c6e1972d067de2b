"""The only module that imports rich: tables for people, and stderr messages.

Colour and decoration only when the stream is a terminal and NO_COLOR is not set (FORCE_COLOR wins).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aicost.logs import InspectResult
from aicost.reconcile import Reconciliation
from aicost.report import ReportResult

_TOKEN_HEADERS = (
    ("requests", "Requests"),
    ("input_tokens", "Input"),
    ("cache_read_tokens", "Cache read"),
    ("cache_write_tokens", "Cache write"),
    ("cache_write_1h_tokens", "Cache write 1h"),
    ("output_tokens", "Output"),
)


def color_enabled(stream: TextIO) -> bool:
    """Whether to decorate output on `stream` (clig.dev rules)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _console(stream: TextIO, color: bool, width: int | None = None) -> Console:
    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns if color else 400
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        width=width,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )


def to_text(renderables: Sequence[Any], color: bool) -> bytes:
    """Render to bytes (ANSI codes only when `color`)."""
    buffer = io.StringIO()
    console = _console(buffer, color)
    for renderable in renderables:
        console.print(renderable)
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
    table.add_column("Cost (USD)", justify="right", footer=money(result.total_cost), style="bold", no_wrap=True)
    if not result.by:
        table.columns[0].footer = table.columns[0].footer
    for row in rows.iter_rows(named=True):
        cells = [str(row[d]) if row[d] is not None else "–" for d in result.by]
        cells += [count(row[c]) for c, _ in show]
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
    return text + "."


def render_report(result: ReportResult, color: bool) -> bytes:
    """The report table as bytes (and the reconciliation table, with --reconcile)."""
    tables: list[Any] = [report_table(result)]
    if result.reconciliation is not None:
        tables.append(reconciliation_table(result.reconciliation))
    return to_text(tables, color)


def _pct(value: float | None) -> str:
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
            _pct(r["difference_pct"]),
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


class Messages:
    """Warnings and errors on stderr, one line each, silenced by --quiet (errors never are)."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.color = color_enabled(self.stream)

    def _print(self, prefix: str, style: str, message: str) -> None:
        console = _console(self.stream, self.color, width=10_000)
        text = Text(prefix, style=style) + Text(message)
        console.print(text, soft_wrap=True)

    def warn(self, message: str) -> None:
        """A one-line warning."""
        if not self.quiet:
            self._print("Warning: ", "yellow", message)

    def note(self, message: str) -> None:
        """A one-line note."""
        if not self.quiet:
            self._print("", "dim", message)

    def error(self, message: str) -> None:
        """A one-line error (always shown)."""
        self._print("Error: ", "bold red", message)

    def unpriced(self, items: Sequence[dict[str, Any]]) -> None:
        """List unpriced models with request counts and suggestions."""
        if self.quiet:
            return
        for item in items:
            who = f"{item['provider']}/{item['model']}" if item.get("provider") else item["model"]
            line = f"unpriced: {who} ({item['requests']:,} requests): {item['reason']}"
            if item.get("suggestions"):
                line += f"; did you mean {', '.join(item['suggestions'])}?"
            self._print("", "yellow", line)
