"""Forecasting: the base month's usage projected 12–18 months ahead, per scenario, with P10/P50/P90 ranges.

Modules follow the flow: `months` (history and full months) → `growth` (log-linear fit) and `drivers`
(growth and decline presets) → `pricepath` (list prices month by month, scenarios applied) → `ramps`
(adoption) → `montecarlo` (projection and bands) → `backtest` → `chart`; `run` ties them together.


`run` imports the whole pricing and scenario stack: import it from there (not here), so that the command
line can name the defaults without loading it.
"""

DEFAULT_DRAWS = 1000
DEFAULT_SEED = 0
