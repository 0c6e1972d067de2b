"""`--plot`: a chart a person can read (months and USD on the axes, a legend), or a clear error."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from tests.test_forecast_cli import monthly

Cli = Callable[..., Result]
MakeLog = Callable[..., Path]


def test_svg_has_labelled_axes_months_and_a_legend(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "forecast.svg"
    log = make_log(monthly([1.0, 1.2, 1.4, 1.5]))
    result = cli("forecast", log, "-p", "armstrong-80-99", "--months", "12", "--plot", out, "--format", "json")
    assert result.exit_code == 0, result.stderr
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    texts = set(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert "Month" in texts and "Monthly cost (USD)" in texts
    assert {"actual", "baseline", "armstrong-80-99", "baseline P10–P90", "armstrong-80-99 P10–P90"} <= texts
    assert {"2026-01", "2026-05", "2027-04"} <= texts  # history and forecast months on the x axis
    assert any(t.startswith("$") for t in texts)  # USD on the y axis
    assert "chart written to" in result.stderr


def test_png_is_a_valid_image(make_log: MakeLog, cli: Cli, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "forecast.png"
    result = cli("forecast", make_log(monthly([1.0, 1.2, 1.4])), "--plot", out, "-q")
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_without_matplotlib_plot_is_a_one_line_error(
    make_log: MakeLog, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "forecast.png"
    result = cli("forecast", make_log(monthly([1.0, 1.0, 1.0])), "--plot", out)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: --plot needs matplotlib: pip install 'aicost[plot]'"
    assert not out.exists()
