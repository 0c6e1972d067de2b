"""What the forecast chart shows (shared by the terminal chart and `--plot`), and the matplotlib writer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aicost.atomic import atomic_write_bytes
from aicost.errors import AicostError, UsageError

Kind = Literal["history", "baseline", "scenario"]


class PlotUnavailable(AicostError):
    """`--plot` needs matplotlib, which is not installed."""


@dataclass(frozen=True)
class Line:
    """One series: a value per position, with its P10–P90 band where it has one."""

    label: str
    kind: Kind
    x: list[int]
    y: list[float]
    low: list[float] | None = None
    high: list[float] | None = None


@dataclass(frozen=True)
class ChartData:
    """Monthly cost lines over month positions (history < 0 ≤ forecast)."""

    title: str
    positions: list[int]
    labels: list[str]  # month label of each position
    lines: list[Line]
    currency: str = "USD"

    def label_at(self, x: int) -> str:
        """The month label of a position."""
        return self.labels[self.positions.index(x)]

    @property
    def top(self) -> float:
        """The highest value any line or band reaches."""
        values = [v for line in self.lines for v in (*line.y, *(line.high or []))]
        return max(values, default=0.0)


def usd_tick(value: float, top: float, currency: str = "USD") -> str:
    """An axis label ($ for USD, else the currency code), with cents only when the scale is small."""
    if top < 10:
        text = f"{value:,.2f}"
    elif top >= 100_000:
        text = f"{value / 1000:,.0f}k"
    else:
        text = f"{value:,.0f}"
    return f"${text}" if currency == "USD" else f"{text} {currency}"


def write_plot(chart: ChartData, path: Path) -> None:
    """Write the chart as PNG or SVG (by the file's extension) with matplotlib, atomically."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise UsageError(f"--plot {path}: give a file name ending in .png or .svg")
    if path.is_dir():
        raise UsageError(f"--plot {path}: is a folder; give a file name")
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'aicost[plot]'") from None
    # a Figure without pyplot: no global state, no GUI backend
    figure = Figure(figsize=(11, 6), dpi=110, layout="constrained")
    ax = figure.add_subplot()
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    color_of: dict[str, str] = {}
    for line in chart.lines:
        if line.kind == "history":
            color = "#444444"
        else:
            color = colors[len(color_of) % len(colors)]
            color_of[line.label] = color
        style: dict[str, Any] = {"color": color, "linewidth": 2, "marker": "o", "markersize": 3}
        if line.kind == "history":
            style |= {"linestyle": "-", "marker": "s"}
        elif line.kind == "scenario":
            style["linestyle"] = "--"
        ax.plot(line.x, line.y, label=line.label, **style)
        if line.low is not None and line.high is not None:
            ax.fill_between(line.x, line.low, line.high, color=color, alpha=0.15, label=f"{line.label} P10–P90")
    ax.axvline(-0.5, color="#999999", linewidth=1, linestyle=":")
    step = max(1, len(chart.positions) // 12)
    ticks = chart.positions[::step]
    ax.set_xticks(ticks, [chart.label_at(x) for x in ticks], rotation=45, ha="right")
    top = chart.top
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: usd_tick(v, top, chart.currency)))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Month")
    ax.set_ylabel(f"Monthly cost ({chart.currency})")
    ax.set_title(chart.title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    buffer = io.BytesIO()
    # SVG text stays text (searchable, accessible); no timestamps, so the same forecast gives the same file
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "aicost"}):
        metadata = {"Date": None} if fmt == "svg" else {"Software": "aicost"}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    atomic_write_bytes(path, buffer.getvalue())
