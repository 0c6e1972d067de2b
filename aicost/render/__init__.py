"""The only package that imports rich (one output seam): stderr messages and scan progress here, tables
for people in `aicost.render.tables`.

rich is imported when something is drawn, not before: a run that prints only JSON, CSV or Parquet never
loads it (its console took about 0.04 s to import).

Colour and decoration only when the stream is a terminal and NO_COLOR is not set (FORCE_COLOR wins).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from aicost.progress import Progress, Silent

if TYPE_CHECKING:
    from rich.console import Console


def color_enabled(stream: TextIO) -> bool:
    """Whether to decorate output on `stream` (clig.dev rules)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def console(stream: TextIO, color: bool, width: int | None = None) -> Console:
    """A console writing to `stream`, decorated only if `color`; as wide as the terminal, or `width`."""
    from rich.console import Console

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


_LINE_BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def one_line(message: str) -> str:
    """A message as one line: line breaks and control characters (from a model id or a file name in a log)
    shown escaped, as Python writes them."""
    return _LINE_BREAKING.sub(lambda m: repr(m[0])[1:-1], message)


class Messages:
    """Warnings and errors on stderr, one line each, silenced by --quiet (errors never are)."""

    def __init__(self, quiet: bool | None = False, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = bool(quiet)
        self.color = color_enabled(self.stream)

    def _print(self, prefix: str, style: str, message: str) -> None:
        from rich.text import Text

        text = Text(prefix, style=style) + Text(one_line(message))
        console(self.stream, self.color, width=10_000).print(text, soft_wrap=True)

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
        self._unit = "rows"

    def start(self, what: str, total_rows: int | None, unit: str = "rows") -> None:
        """Arm the display; it appears after `delay` seconds unless the scan is over by then."""
        self.stop()
        with self._lock:
            self._total, self._done, self._unit = total_rows, 0, unit
            self._timer = threading.Timer(self.delay, self._show, args=(what,))
            self._timer.daemon = True
            self._timer.start()

    def _show(self, what: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._timer is None or self._bar is not None:
                return
            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if self._total:
                columns += [BarColumn(), _rows_column(self._unit), TextColumn("ETA"), _eta_column()]
            else:  # rows as a reader hands them over (JSON lines), and the time so far
                columns += [_rows_column(self._unit), TimeElapsedColumn()]
            screen = Console(file=self.stream, force_terminal=True, highlight=False, emoji=False)
            self._bar = Progress(*columns, console=screen, transient=True, refresh_per_second=4)
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
    from rich.text import Text

    class Rows(ProgressColumn):
        """Rows (or megabytes of files) done, of all when known, and the rate."""

        def __init__(self, unit: str = "rows") -> None:
            super().__init__()
            self.unit = unit

        def render(self, task: Any) -> Text:
            if not task.total and not task.completed:
                return Text("")
            if self.unit == "bytes":
                rate = f" {task.speed / 1e6:,.0f} MB/s" if task.speed else ""
                of = f"/{task.total / 1e6:,.0f}" if task.total else ""
                return Text(f"{task.completed / 1e6:,.0f}{of} MB{rate}")
            rate = f" {task.speed / 1e6:,.1f}M/s" if task.speed else ""
            of = f"/{task.total / 1e6:,.1f}M" if task.total else ""
            return Text(f"{task.completed / 1e6:,.1f}M{of} rows{rate}")

    class Eta(ProgressColumn):
        """Time left at the current rate."""

        def render(self, task: Any) -> Text:
            left = task.time_remaining
            return Text("–" if left is None else f"{int(left) // 60}:{int(left) % 60:02d}")

    return Rows, Eta


def _rows_column(unit: str) -> Any:
    # the column classes are made on first use, so rich.progress is imported only when a bar is drawn
    return _progress_columns()[0](unit)


def _eta_column() -> Any:
    return _progress_columns()[1]()


def scan_progress(quiet: bool = False, stream: TextIO | None = None) -> Progress:
    """Where a command's scan progress goes: the terminal, or nowhere (not a terminal, NO_COLOR, --quiet)."""
    stream = stream or sys.stderr
    if quiet or os.environ.get("FORCE_COLOR") or not color_enabled(stream):
        return Silent()
    return ScanProgress(stream)
