"""Time aicost against a hand-written DuckDB query and a per-call genai-prices loop, on generated logs.

    pip install -e '.[bench]'
    python bench/run.py                      # the full run behind BENCHMARKS.md (10M / 2M JSONL / 100M rows)
    python bench/run.py --huge-rows 0        # without the 100M-row log (1.4 GB, ~8 min to generate)
    python bench/run.py --rows 20000 --jsonl-rows 5000 --huge-rows 0 --runs 1 --sample 500   # a smoke run

Every measured command runs in a fresh process; wall time is measured around it and its CPU time and
peak RSS come from its own rusage (os.wait4), so each number covers the whole process: interpreter
start-up, imports, price tables, the scan and the output. Runs are interleaved (DuckDB, aicost, …) so
background load hits both alike; medians are reported. Logs are generated once under --data and reused.
The script also checks that aicost's total equals the DuckDB reference's to 1e-9 (relative) on a log
with no tiers, variants, windows or price changes, where one flat rate per model and class is exact.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):  # run as a script: make `bench` importable from the repo
    sys.path.insert(0, str(HERE.parent))

from bench import generate  # noqa: E402

TOLERANCE = 1e-9
GiB = 1 << 30


@dataclass
class Timing:
    """Several runs of one command: wall and CPU seconds, peak RSS in bytes, and its last output."""

    label: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def wall(self) -> float:
        """Median wall time, seconds."""
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        """Median CPU time (user + system), seconds."""
        return statistics.median(self.cpus)

    @property
    def peak(self) -> int:
        """Highest peak RSS over the runs, bytes."""
        return max(self.rss)

    def summary(self) -> dict[str, Any]:
        """The numbers, for the JSON results."""
        return {"wall_s": self.wall, "cpu_s": self.cpu, "peak_rss_bytes": self.peak, "walls": self.walls}


def measure(cmd: list[str], env: dict[str, str], timing: Timing, *, want_json: bool = True) -> None:
    """Run `cmd` once in a fresh process; record its wall time, CPU time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    timing.walls.append(wall)
    timing.cpus.append(usage.ru_utime + usage.ru_stime)
    timing.rss.append(usage.ru_maxrss * 1024)  # KiB on Linux
    if want_json:
        timing.output = json.loads(stdout)


class Bench:
    """The data, the commands and the results of one run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data: Path = args.data.resolve()
        self.data.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "NO_COLOR": "1",
            # hermetic: bundled price tables, a compiled-table cache of the benchmark's own
            "AICOST_HOME": str(self.data / "home"),
            "AICOST_CACHE_DIR": str(self.data / "cache"),
        }
        self.env.pop("AICOST_PRICING", None)
        console = Path(sys.executable).with_name("aicost")
        self.aicost = [str(console)] if console.exists() else [sys.executable, "-m", "aicost"]
        self.results: dict[str, Any] = {"machine": machine(), "arguments": vars(args) | {"data": str(self.data)}}
        self.timings: dict[str, Timing] = {}

    # ------------------------------------------------------------------------------------------ data

    def log(self, rows: int, fmt: str = "parquet", *, flat: bool = False, request_ids: bool = False) -> Path:
        """A generated log, written once and reused (the name says how it was made)."""
        name = f"logs-{rows}{'-flat' if flat else ''}{'-rid' if request_ids else ''}-s{self.args.seed}.{fmt}"
        path = self.data / name
        if not path.exists():
            note(f"generating {name} …")
            generate.write(path, rows, fmt, flat=flat, request_ids=request_ids, seed=self.args.seed)
        return path

    def prices(self) -> Path:
        """The flat price table the DuckDB query joins."""
        path = self.data / "prices-flat.csv"
        self.reference(["prices", str(path)], Timing("prices"))
        return path

    def scenarios(self) -> list[Path]:
        """Twenty scenario files: varied shares, bases, picks, real and hypothetical targets, modes."""
        folder = self.data / "scenarios"
        folder.mkdir(exist_ok=True)
        targets = [
            "price_ratio = 0.01",
            'to = "openai/gpt-5-nano"',
            "price_ratio = 0.2",
            'to = "google/gemini-2.5-flash"',
        ]
        files = []
        for i in range(20):
            move = [f"share = {0.05 * (i + 1):.2f}", targets[i % 4]]
            move.append(f'basis = "{("requests", "tokens", "cost")[i % 3]}"')
            move.append(f'pick = "{("proportional", "smallest", "largest")[i % 3]}"')
            if i % 5 == 4:
                move.append('mode = "cascade"')
                move.append('quality = { pass_rate = 0.9, escalate = "full" }')
            if i % 7 == 3:
                move.append('from = ["openai/*", "anthropic/*"]')
            body = f'schema = "aicost.scenario/1"\nname = "bench-{i:02d}"\n\n[[move]]\n' + "\n".join(move) + "\n"
            path = folder / f"bench-{i:02d}.toml"
            path.write_text(body)
            files.append(path)
        return files

    # -------------------------------------------------------------------------------------- commands

    def run(self, key: str, label: str, cmd: list[str], *, want_json: bool = True) -> Timing:
        """Run a command once more under `key`."""
        timing = self.timings.setdefault(key, Timing(label))
        measure(cmd, self.env, timing, want_json=want_json)
        return timing

    def reference(self, args: list[str], timing: Timing) -> Timing:
        """Run bench/reference.py with arguments."""
        measure([sys.executable, str(HERE / "reference.py"), *args], self.env, timing)
        return timing

    def report(self, log: Path, *extra: str) -> list[str]:
        """The aicost report command the DuckDB query is the reference for."""
        return [*self.aicost, "report", str(log), "--by", "model,month", "--format", "json", "--quiet", *extra]

    def duckdb(self, log: Path, prices: Path) -> list[str]:
        """The DuckDB reference, in a fresh process."""
        return [sys.executable, str(HERE / "reference.py"), "duckdb", str(log), str(prices)]

    def has_forecast(self) -> bool:
        """Whether this aicost has a `forecast` command (it may not, yet)."""
        probe = subprocess.run([*self.aicost, "forecast", "--help"], env=self.env, capture_output=True, check=False)
        return probe.returncode == 0

    # ------------------------------------------------------------------------------------ the suite

    def main_suite(self, prices: Path, scenarios: list[Path]) -> None:
        """10M-row Parquet: report, simulate with 1 and 20 scenarios, forecast, DuckDB; interleaved."""
        log = self.log(self.args.rows)
        self.results["logs"] = {"main": describe(log, self.args.rows)}
        forecast = self.has_forecast()
        self.results["forecast_available"] = forecast
        one = [*self.aicost, "simulate", str(log), "--preset", "armstrong-80-99", "--format", "json", "--quiet"]
        twenty = [*self.aicost, "simulate", str(log), "--format", "json", "--quiet"]
        twenty += [a for p in scenarios for a in ("--scenario", str(p))]
        self.run("report", "aicost report", self.report(log))  # warm-up: the compiled price-table cache
        self.timings.pop("report")
        for i in range(self.args.runs):
            note(f"main suite, run {i + 1}/{self.args.runs}")
            self.run("duckdb", "DuckDB SQL (read_parquet)", self.duckdb(log, prices))
            self.run("report", "aicost report --by model,month", self.report(log))
            self.run("simulate1", "aicost simulate (1 scenario)", one)
            self.run("simulate20", "aicost simulate (20 scenarios)", twenty)
            if forecast:
                cmd = [*self.aicost, "forecast", str(log), "--draws", "1000", "--format", "json", "--quiet"]
                self.run("forecast", "aicost forecast (1,000 draws)", cmd)

    def request_id_suite(self, prices: Path) -> None:
        """The same log with a unique request_id per call: de-duplication has something to compare."""
        log = self.log(self.args.rows, request_ids=True)
        self.results["logs"]["request_ids"] = describe(log, self.args.rows)
        for i in range(self.args.runs_secondary):
            note(f"request-id suite, run {i + 1}/{self.args.runs_secondary}")
            self.run("duckdb_rid", "DuckDB SQL (read_parquet, with request ids)", self.duckdb(log, prices))
            self.run("report_rid", "aicost report (with request ids)", self.report(log))

    def jsonl_suite(self, prices: Path) -> None:
        """JSONL with ISO timestamps: DuckDB's read_ndjson against aicost."""
        log = self.log(self.args.jsonl_rows, "jsonl")
        self.results["logs"]["jsonl"] = describe(log, self.args.jsonl_rows)
        for i in range(self.args.runs_secondary):
            note(f"JSONL suite, run {i + 1}/{self.args.runs_secondary}")
            self.run("duckdb_jsonl", "DuckDB SQL (read_ndjson)", self.duckdb(log, prices))
            self.run("report_jsonl", "aicost report (JSONL)", self.report(log))
            polars = [sys.executable, str(HERE / "reference.py"), "polars", str(log), str(prices)]
            self.run("polars_jsonl", "Polars, the same query (scan_ndjson)", polars)

    def huge_suite(self, prices: Path) -> None:
        """The 100M-row Parquet log: it must complete in bounded memory."""
        rows = self.args.huge_rows
        free = shutil.disk_usage(self.data).free
        if free < rows * 40:
            note(f"skipping the {rows:,}-row log: {free / GiB:.1f} GiB free under {self.data}")
            return
        log = self.log(rows)
        self.results["logs"]["huge"] = describe(log, rows)
        note(f"{rows:,}-row suite")
        self.run("duckdb_huge", f"DuckDB SQL ({rows:,} rows)", self.duckdb(log, prices))
        self.run("report_huge", f"aicost report ({rows:,} rows)", self.report(log))

    def genai_suite(self) -> None:
        """The per-call loop over a sample of the main log."""
        log = self.log(self.args.rows)
        note(f"genai-prices calc_price over {self.args.sample:,} calls")
        self.reference(
            ["genai", str(log), "--sample", str(self.args.sample)],
            self.timings.setdefault("genai", Timing(f"genai-prices calc_price loop ({self.args.sample:,} calls)")),
        )

    def order_suite(self, scenarios: list[Path]) -> None:
        """The 20 scenarios on aicost's cells against one cell per call, on a sample of the main log."""
        log = self.log(self.args.rows)
        sample = min(self.args.order_sample, self.args.rows)
        note(f"scenario cells against calls one by one, {sample:,} calls")
        args = ["order", str(log), *map(str, scenarios), "--sample", str(sample)]
        timing = self.reference(args, self.timings.setdefault("order", Timing("scenario cells vs per call")))
        self.results["order"] = timing.output

    def startup_suite(self) -> None:
        """aicost report on a 100-row log, warm and cold compiled-table cache, against bare imports."""
        tiny = self.log(100)
        command = [*self.aicost, "report", str(tiny), "--format", "json"]
        imports = self.timings.setdefault("imports", Timing("python -c 'import polars, typer, rich'"))
        cold = self.timings.setdefault("startup_cold", Timing("aicost report, 100 rows (cold cache)"))
        for _ in range(self.args.runs_startup):
            measure([sys.executable, "-c", "import polars, typer, rich"], self.env, imports, want_json=False)
            self.run("startup", "aicost report, 100 rows (warm cache)", command)
            with tempfile.TemporaryDirectory() as empty:
                measure(command, {**self.env, "AICOST_CACHE_DIR": empty}, cold)

    def check_suite(self, prices: Path) -> None:
        """aicost's total against DuckDB's on a log one flat rate per model and class prices exactly."""
        log = self.log(self.args.flat_rows, flat=True)
        self.results["logs"]["flat"] = describe(log, self.args.flat_rows)
        ours = self.run("check_aicost", "aicost report (flat log)", self.report(log)).output
        theirs = self.run("check_duckdb", "DuckDB SQL (flat log)", self.duckdb(log, prices)).output
        a, b = float(ours["total_cost"]), float(theirs["total_cost"])
        rel = abs(a - b) / abs(b)
        by_row = {(r["model"], r["month"]): r["cost"] for r in theirs["rows"]}
        worst = max(
            abs(r["cost"] - by_row[(r["model"], r["month"])]) / abs(by_row[(r["model"], r["month"])])
            for r in ours["rows"]
        )
        same_keys = {(r["model"], r["month"]) for r in ours["rows"]} == set(by_row)
        main = self.timings["report"].output, self.timings["duckdb"].output
        self.results["check"] = {
            "aicost_total": a,
            "duckdb_total": b,
            "relative_difference": rel,
            "worst_row_relative_difference": worst,
            "same_model_months": same_keys,
            "passed": rel <= TOLERANCE and same_keys,
            # on the realistic log the two differ by what the flat query cannot know
            "realistic_aicost_total": main[0]["total_cost"],
            "realistic_duckdb_total": main[1]["total_cost"],
        }

    # -------------------------------------------------------------------------------------- output

    def ratios(self) -> list[tuple[str, float, float, str]]:
        """(what, measured, target, comparison) for every target of issue 8."""
        t = self.timings
        out = [
            ("report / DuckDB, Parquet (wall)", t["report"].wall / t["duckdb"].wall, 1.3, "<="),
            ("report peak RSS, Parquet (GiB)", t["report"].peak / GiB, 1.0, "<="),
        ]
        if "report_jsonl" in t:
            out.append(("report / DuckDB, JSONL (wall)", t["report_jsonl"].wall / t["duckdb_jsonl"].wall, 1.3, "<="))
        if "report_rid" in t:
            out.append(
                ("report / DuckDB, with request ids (wall)", t["report_rid"].wall / t["duckdb_rid"].wall, 1.3, "<=")
            )
        if "report_huge" in t:
            out.append(("report peak RSS, huge log (GiB)", t["report_huge"].peak / GiB, 2.0, "<="))
        out.append(("simulate 20 scenarios / report (wall)", t["simulate20"].wall / t["report"].wall, 1.2, "<="))
        if "forecast" in t:
            out.append(("forecast 1,000 draws - report (s)", t["forecast"].wall - t["report"].wall, 2.0, "<="))
        if "genai" in t:
            loop = t["genai"].output["calls_per_second"]
            ours = self.args.rows / t["report"].wall
            out.append(("report / per-call loop (throughput)", ours / loop, 100.0, ">="))
        if "startup" in t:
            out.append(("start-up, warm cache / bare imports (wall)", t["startup"].wall / t["imports"].wall, 2.5, "<="))
            out.append(
                ("start-up, cold cache / bare imports (wall)", t["startup_cold"].wall / t["imports"].wall, 2.5, "<=")
            )
        return out

    def print(self) -> None:
        """The table of timings, the ratios against their targets, and the total check."""
        print(f"\nMachine: {self.results['machine']['summary']}")
        print(f"\n{'command':52} {'wall s':>8} {'cpu s':>8} {'peak RSS':>10}  runs")
        for timing in self.timings.values():
            if timing.label == "prices":
                continue
            walls = " ".join(f"{w:.2f}" for w in timing.walls)
            print(f"{timing.label:52} {timing.wall:8.2f} {timing.cpu:8.2f} {timing.peak / 2**20:7.0f} MiB  {walls}")
        print(f"\n{'target':48} {'measured':>10} {'target':>10}  ok")
        self.results["ratios"] = []
        for what, value, target, op in self.ratios():
            ok = value <= target if op == "<=" else value >= target
            self.results["ratios"].append({"what": what, "value": value, "target": target, "op": op, "ok": ok})
            print(f"{what:48} {value:10.2f} {op + ' ' + format(target, 'g'):>10}  {'yes' if ok else 'NO'}")
        check = self.results.get("check")
        if check:
            verdict = "passed" if check["passed"] else "FAILED"
            print(
                f"\nTotal check (flat log): aicost {check['aicost_total']:.6f} vs DuckDB {check['duckdb_total']:.6f}, "
                f"relative difference {check['relative_difference']:.2e} (<= {TOLERANCE:g}): {verdict}"
            )
        t = self.timings
        if "polars_jsonl" in t:
            ratio = t["polars_jsonl"].wall / t["duckdb_jsonl"].wall
            self.results["polars_jsonl_ratio"] = ratio
            print(f"JSONL: the same query on Polars' scan_ndjson takes {ratio:.2f}x DuckDB's time (not a target)")
        order = self.results.get("order")
        if order:
            print(
                f"Scenarios on cells vs one cell per call ({order['calls']:,} calls, {order['cells']:,} cells): "
                f"largest difference {100 * order['max_abs_error']:.2f}%, mean {100 * order['mean_abs_error']:.3f}%"
            )
        if not self.results.get("forecast_available", True):
            print("aicost forecast: not available in this version; skipped")


def describe(path: Path, rows: int) -> dict[str, Any]:
    """A log's name, size and row count."""
    return {"path": path.name, "rows": rows, "bytes": path.stat().st_size}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB
    except (ValueError, OSError):
        memory = float("nan")
    versions = {}
    for module in ("polars", "duckdb", "genai_prices"):
        try:
            versions[module] = __import__(module).__version__
        except (ImportError, AttributeError):
            versions[module] = None
    cores = os.cpu_count()
    summary = (
        f"{cpu}, {cores} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    return {
        "cpu": cpu,
        "cores": cores,
        "memory_gib": memory,
        "python": platform.python_version(),
        "versions": versions,
        "load_average_at_start": os.getloadavg(),
        "summary": summary,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def note(message: str) -> None:
    """Progress of the benchmark itself, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    rows = lambda s: int(s.replace("_", ""))  # noqa: E731
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=rows, default=10_000_000, help="rows of the main Parquet log")
    parser.add_argument("--jsonl-rows", type=rows, default=2_000_000, help="rows of the JSONL log (0: skip)")
    parser.add_argument("--huge-rows", type=rows, default=100_000_000, help="rows of the huge Parquet log (0: skip)")
    parser.add_argument("--flat-rows", type=rows, default=1_000_000, help="rows of the flat log of the total check")
    parser.add_argument("--sample", type=rows, default=100_000, help="calls the genai-prices loop prices")
    parser.add_argument("--order-sample", type=rows, default=200_000, help="calls of the pick-order check (0: skip)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each main-suite command (median)")
    parser.add_argument("--runs-secondary", type=int, default=3, help="runs of the JSONL and request-id suites")
    parser.add_argument("--runs-startup", type=int, default=7, help="runs of the start-up commands")
    parser.add_argument("--no-request-ids", action="store_true", help="skip the log with request ids")
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--data", type=Path, default=HERE / "data", help="where generated logs are kept")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json", help="JSON results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every suite, print the results, write them as JSON; exit 1 if the total check fails."""
    args = parse(argv)
    bench = Bench(args)
    args.flat_rows = min(args.flat_rows, args.rows)
    prices = bench.prices()
    scenarios = bench.scenarios()
    bench.main_suite(prices, scenarios)
    bench.check_suite(prices)
    if args.order_sample:
        bench.order_suite(scenarios)
    if not args.no_request_ids:
        bench.request_id_suite(prices)
    if args.jsonl_rows:
        bench.jsonl_suite(prices)
    bench.genai_suite()
    bench.startup_suite()
    if args.huge_rows:
        bench.huge_suite(prices)
    bench.results["machine"]["load_average_at_end"] = os.getloadavg()
    bench.print()
    bench.results["timings"] = {k: {"label": t.label, **t.summary()} for k, t in bench.timings.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.results, indent=2, default=str) + "\n")
    note(f"results written to {args.out}")
    return 0 if bench.results["check"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
