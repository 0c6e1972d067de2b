"""Forecasting: the base month's usage projected 12–18 months ahead, per scenario, with P10/P50/P90 ranges.

Modules follow the flow: `months` (history and full months) → `growth` (log-linear fit) and `drivers`
(growth and decline presets) → `pricepath` (list prices month by month, scenarios applied) → `ramps`
(adoption) → `montecarlo` (projection and bands) → `backtest` → `chart`; `run` ties them together.
"""

from aicost.forecast.run import ForecastResult, run_forecast

__all__ = ["ForecastResult", "run_forecast"]
