"""Scan progress: the library reports rows to whoever listens; the CLI listens only on a terminal."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from aicost import costing, progress
from aicost.render import ScanProgress, scan_progress
from aicost.report import run_report

MakeLog = Callable[..., Any]


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Recorder:
    """A listener that keeps what it heard."""

    enabled = True

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def start(self, what: str, total_rows: int | None, unit: str = "rows") -> None:
        self.events.append(("start", total_rows) if unit == "rows" else ("start", (total_rows, unit)))

    def advance(self, rows: int) -> None:
        self.events.append(("advance", rows))

    def stop(self) -> None:
        self.events.append(("stop", None))


def test_nobody_listens_by_default() -> None:
    assert not progress.current().enabled


def test_a_sliced_scan_reports_rows_and_prices_the_same(make_log: MakeLog, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        {"model": "gpt-4o", "input_tokens": 1_000 + i, "output_tokens": i % 7, "team": f"t{i % 3}"} for i in range(50)
    ]
    log = make_log(rows)
    whole = run_report([str(log)], by=("team", "model"))
    monkeypatch.setattr(costing, "_PROGRESS_SLICE", 7)
    recorder = Recorder()
    with progress.reporting(recorder):
        sliced = run_report([str(log)], by=("team", "model"))
    assert recorder.events[0] == ("start", 50)
    assert sum(n for kind, n in recorder.events if kind == "advance") == 50  # type: ignore[misc]
    assert len([e for e in recorder.events if e[0] == "advance"]) == 8
    assert sliced.total_cost == whole.total_cost
    assert sliced.rows.to_dicts() == whole.rows.to_dicts()
    assert sliced.usage.accounting == whole.usage.accounting


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert isinstance(scan_progress(stream=Tty()), ScanProgress)
    assert not scan_progress(quiet=True, stream=Tty()).enabled
    assert not scan_progress(stream=io.StringIO()).enabled
    monkeypatch.setenv("NO_COLOR", "1")
    assert not scan_progress(stream=Tty()).enabled


def test_the_display_waits_and_erases_itself() -> None:
    quick = Tty()
    bar = ScanProgress(quick, delay=60)
    bar.start("Scanning logs", 10)
    bar.advance(10)
    bar.stop()
    assert quick.getvalue() == ""  # over before the delay: nothing drawn
    slow = Tty()
    bar = ScanProgress(slow, delay=3_600)
    bar.start("Scanning logs", 10_000_000)
    bar._show("Scanning logs")  # what the timer does once the delay is over
    bar.advance(4_000_000)
    bar.stop()
    assert "Scanning logs" in slow.getvalue() and "M rows" in slow.getvalue()


def test_a_sliced_scan_de_duplicates_across_slices(make_log: MakeLog, monkeypatch: pytest.MonkeyPatch) -> None:
    # ids repeat 9 rows apart, so with 7-row slices every copy lies in another slice than its first
    rows = [{"model": "gpt-4o", "input_tokens": 1_000 + i, "request_id": f"r{i % 9}"} for i in range(30)]
    log = make_log(rows)
    whole = run_report([str(log)], by=("model",))
    monkeypatch.setattr(costing, "_PROGRESS_SLICE", 7)
    recorder = Recorder()
    with progress.reporting(recorder):
        sliced = run_report([str(log)], by=("model",))
    assert sum(n for kind, n in recorder.events if kind == "advance") == 30  # type: ignore[misc]
    assert len([e for e in recorder.events if e[0] == "advance"]) == 5  # sliced, not one pass
    # the first 9 rows (ids r0..r8) count: 1,000 + ... + 1,008 input tokens
    assert sliced.rows["input_tokens"].sum() == whole.rows["input_tokens"].sum() == sum(range(1_000, 1_009))
    assert sliced.usage.accounting == whole.usage.accounting


def _jsonl_report(path: Any, model: str) -> list[tuple[str, object]]:
    """The progress events of a report on 600 records of 10 input tokens of `model` (checked)."""
    path.write_text(f'{{"timestamp": "2026-11-02T12:00:00Z", "model": "{model}", "input_tokens": 10}}\n' * 600)
    recorder = Recorder()
    with progress.reporting(recorder):
        result = run_report([str(path)], by=("model",))
    assert result.rows["input_tokens"].sum() == 6_000
    return recorder.events


def test_a_jsonl_file_duckdb_groups_reports_its_bytes(tmp_path: Any) -> None:
    path = tmp_path / "usage.jsonl"
    events = _jsonl_report(path, "gpt-4o")
    size = path.stat().st_size
    start = events.index(("start", (size, "bytes")))  # grouped by DuckDB: the file's bytes
    # every byte is reported once: as DuckDB says how far it is, and the rest when it is done
    assert sum(n for kind, n in events[start:] if kind == "advance") == size  # type: ignore[misc]


def test_a_jsonl_scan_reports_rows_as_duckdb_hands_them_over(tmp_path: Any) -> None:
    # a model id with a leading space: costing strips it, DuckDB's grouping leaves the file to the scan
    events = _jsonl_report(tmp_path / "usage.jsonl", " gpt-4o")
    start = events.index(("start", None))  # a JSON-lines file's row count is unknown up front
    # every row read by the scan is reported once, as the reader hands it over
    assert sum(n for kind, n in events[start:] if kind == "advance") == 600  # type: ignore[misc]


def _drawn(total: int | None, done: int, unit: str = "rows") -> str:
    out = Tty()
    bar = ScanProgress(out, delay=3_600)
    bar.start("Scanning logs", total, unit=unit)
    bar._show("Scanning logs")
    bar.advance(done)
    bar.stop()
    return out.getvalue()


def test_an_unknown_total_shows_rows_so_far() -> None:
    drawn = _drawn(None, 2_500_000)
    assert "Scanning logs" in drawn and "2.5M rows" in drawn


def test_bytes_of_files_show_megabytes_of_all_and_time_left() -> None:
    drawn = _drawn(662_043_656, 100_000_000, unit="bytes")
    assert "100/662 MB" in drawn and "ETA" in drawn and "rows" not in drawn
