"""Machine formats (JSON, CSV, Parquet, Markdown) and where results go (stdout or an atomic file)."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import msgspec
import polars as pl

from aicost.atomic import atomic_write_bytes
from aicost.errors import OutputError, UsageError

Format = Literal["table", "json", "csv", "parquet", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv", "parquet", "markdown")


class Result(Protocol):
    """What every command result offers the output seam."""

    @property
    def rows(self) -> pl.DataFrame: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass
class Document:
    """A result made of a JSON document and its rows, for commands without a library result type."""

    rows: pl.DataFrame
    document: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The JSON document."""
        return self.document


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json_bytes(document: dict[str, Any]) -> bytes:
    """Pretty, stable JSON (no NaN/Infinity: those become null): Python's JSON text, indented by msgspec
    exactly as `json.dumps(indent=2)` indents it (which encodes in Python, not C: 0.016 s, not 0.007 s, for
    a 500-row report)."""
    text = json.dumps(_finite(document), separators=(",", ":"), default=_default, ensure_ascii=False)
    return msgspec.json.format(text.encode(), indent=2) + b"\n"


def frame_bytes(frame: pl.DataFrame, fmt: Format) -> bytes:
    """A frame as CSV, Parquet or Markdown bytes."""
    if fmt == "csv":
        return frame.write_csv().encode()
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue()
    if fmt == "markdown":
        return markdown_table(frame).encode()
    raise ValueError(fmt)


def markdown_table(frame: pl.DataFrame, footer: Sequence[Any] | None = None) -> str:
    """A GitHub-flavoured Markdown table; numbers right-aligned."""
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    lines = [header, rule]
    rows = list(frame.iter_rows())
    if footer is not None:
        rows.append(tuple(footer))
    for row in rows:
        cells = [_md_cell(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_with_currency(frame: pl.DataFrame, currency: str) -> bytes:
    """A Markdown table whose money columns name their currency: `cost (EUR)`."""
    money = {c: f"{c} ({currency})" for c in frame.columns if c in MONEY_HEADERS or c.endswith("_cost")}
    return markdown_table(frame.rename(money)).encode()


MONEY_HEADERS = ("cost", "list_cost", "savings")


def _md_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.6f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


_SUFFIX_FORMATS: dict[str, Format] = {
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".md": "markdown",
    ".markdown": "markdown",
}


def format_for(output: str | None) -> Format | None:
    """The format an --output name implies (`october.csv` → csv), for when --format is not given."""
    if output in (None, "-"):
        return None
    assert output is not None
    return _SUFFIX_FORMATS.get(Path(output).suffix.lower())


def emit(data: bytes, output: str | None) -> None:
    """Send bytes to stdout (`None` or `-`) or atomically to a file."""
    if output in (None, "-"):
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except BrokenPipeError:
            raise  # the reader went away (`| head`): not a failed write
        except OSError as exc:
            raise OutputError(f"<stdout>: cannot write ({exc.strerror or exc})") from None  # > /dev/full
        return
    assert output is not None
    target = Path(output)
    if target.is_dir():
        raise UsageError(f"--output {output}: is a folder; give a file name")
    atomic_write_bytes(target, data)


def write_result(
    result: Result,
    fmt: Format,
    output: str | None,
    *,
    table: Callable[[], bytes],
    markdown: Callable[[], bytes] | None = None,
) -> None:
    """Write a result in the requested format; `table` renders the human view."""
    if fmt == "json":
        data = to_json_bytes(result.to_json())
    elif fmt in ("csv", "parquet"):
        data = frame_bytes(result.rows, fmt)
    elif fmt == "markdown":
        data = markdown() if markdown is not None else frame_bytes(result.rows, "markdown")
    else:
        data = table()
    emit(data, output)
