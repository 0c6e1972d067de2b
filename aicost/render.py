"""The only module that imports rich: tables for people, and stderr messages.

Colour and decoration only when the stream is a terminal and NO_COLOR is not set (FORCE_COLOR wins).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from aicost.progress import Progress, Silent
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
    if acc.rows_deduplicated:
        text += f", {acc.rows_deduplicated:,} duplicates"
    if acc.rows_filtered:
        text += f", {acc.rows_filtered:,} outside --since/--until"
    if any(result.rows["unpriced_requests"].fill_null(0) > 0) if "unpriced_requests" in result.rows.columns else False:
        text += ". * includes unpriced requests, not in the cost"
    return text + "."


def render_report(result: ReportResult, color: bool) -> bytes:
    """The report table as bytes."""
    return to_text([report_table(result)], color)


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


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def simulate_tables(result: SimulateResult) -> list[Any]:
    """The savings table (sorted by savings, a headline on top) and, with --by, the breakdown."""
    baseline = result.baseline_cost
    out: list[Any] = []
    if result.outcomes:
        best = result.outcomes[0]
        headline = Text.assemble(
            ("Baseline ", "bold"),
            (f"${money(baseline)}", "bold"),
            f" for {result.usage.accounting.rows_priced:,} priced rows. Biggest saving: ",
            (best.scenario.name, "bold cyan"),
            f" — ${money(best.total_cost)}, saving ${money(best.savings)} ({best.savings_pct:.1f}%).",
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
        "Baseline (USD)",
        "Scenario (USD)",
        "Savings (USD)",
        "Savings %",
        "Spend moved",
        "Requests moved",
        "Escalations (USD)",
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
        for header in ("Baseline (USD)", "Scenario (USD)", "Savings (USD)", "Savings %"):
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
    return (
        f"Savings % is of the baseline; spend/requests moved are shares of the baseline. "
        f"Prices as of {as_of} ({pricing['origin']}, sha256 {str(pricing['sha256'])[:12]})."
    )


def render_simulate(result: SimulateResult, color: bool) -> bytes:
    """The simulate view as bytes."""
    return to_text(simulate_tables(result), color)


# --------------------------------------------------------------------------------- scan progress


class ScanProgress:
    """Scan progress on a terminal's stderr: rows done, rate and time left (elapsed time when the row
    count is unknown), drawn only once a scan has run `delay` seconds and erased when it ends."""

    enabled = True

    def __init__(self, stream: TextIO | None = None, delay: float = 2.0) -> None:
        self.stream = stream or sys.stderr
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._bar: Any = None
        self._task: Any = None
        self._total: int | None = None
        self._done = 0

    def start(self, what: str, total_rows: int | None) -> None:
        """Arm the display; it appears after `delay` seconds unless the scan is over by then."""
        self.stop()
        with self._lock:
            self._total, self._done = total_rows, 0
            self._timer = threading.Timer(self.delay, self._show, args=(what,))
            self._timer.daemon = True
            self._timer.start()

    def _show(self, what: str) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._timer is None or self._bar is not None:
                return
            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if self._total:
                columns += [BarColumn(), _rows_column(), TextColumn("ETA"), _eta_column()]
            else:
                columns += [TimeElapsedColumn()]
            console = Console(file=self.stream, force_terminal=True, highlight=False, emoji=False)
            self._bar = Progress(*columns, console=console, transient=True, refresh_per_second=4)
            self._task = self._bar.add_task(what, total=self._total, completed=self._done)
            self._bar.start()

    def advance(self, rows: int) -> None:
        """Count `rows` more rows scanned."""
        with self._lock:
            self._done += rows
            if self._bar is not None:
                self._bar.update(self._task, completed=self._done)

    def stop(self) -> None:
        """Erase the display (idempotent)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._bar is not None:
                self._bar.stop()
                self._bar = None


def _progress_columns() -> tuple[type, type]:
    from rich.progress import ProgressColumn

    class Rows(ProgressColumn):
        """Rows done of all, and the rate."""

        def render(self, task: Any) -> Text:
            rate = f" {task.speed / 1e6:,.1f}M/s" if task.speed else ""
            return Text(f"{task.completed / 1e6:,.1f}M/{task.total / 1e6:,.1f}M rows{rate}")

    class Eta(ProgressColumn):
        """Time left at the current rate."""

        def render(self, task: Any) -> Text:
            left = task.time_remaining
            return Text("–" if left is None else f"{int(left) // 60}:{int(left) % 60:02d}")

    return Rows, Eta


def _rows_column() -> Any:
    # the column classes are made on first use, so rich.progress is imported only when a bar is drawn
    return _progress_columns()[0]()


def _eta_column() -> Any:
    return _progress_columns()[1]()


def scan_progress(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """Where a command's scan progress goes: the terminal, or nowhere (not a terminal, NO_COLOR, --quiet)."""
    stream = stream or sys.stderr
    if quiet or os.environ.get("FORCE_COLOR") or not color_enabled(stream):
        return Silent()
    return ScanProgress(stream)
