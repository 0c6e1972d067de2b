"""Interrupted runs leave nothing half-written: Ctrl-C (SIGINT) or SIGTERM at a random moment of
`logs convert`, `report --output` or `prices update` leaves the previous file (or tables) byte for byte,
or the complete new one if the run had finished, and no temporary file; the exit code is 130 or 143.

Runs are real processes (`python -m aicost`), signalled at seeded random moments.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from aicost.atomic import atomic_path, atomic_write_bytes
from aicost.errors import OutputError
from tests.conftest import BUNDLED_PRICING, SHARED_SOURCES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
ROWS = 100_000


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON-lines log that takes a second or two to read (long enough to be interrupted mid-run)."""
    path = tmp_path_factory.mktemp("logs") / "usage.jsonl"
    n = pl.int_range(ROWS)
    pl.select(
        timestamp=(pl.lit(1_767_225_600_000) + n * 60_000).cast(pl.Datetime("ms", "UTC")),
        model=pl.when(n % 3 == 0)
        .then(pl.lit("gpt-4o"))
        .when(n % 3 == 1)
        .then(pl.lit("gpt-4o-mini"))
        .otherwise(pl.lit("claude-sonnet-4-5")),
        input_tokens=n * 7 % 100_000,
        output_tokens=n % 4_000,
        request_id=pl.format("req-{}", n),
        team=pl.when(n % 2 == 0).then(pl.lit("search")).otherwise(pl.lit("chat")),
    ).write_ndjson(path)
    return path


def aicost(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "aicost", *(str(a) for a in args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def interrupt(process: subprocess.Popen[bytes], delay: float, sig: signal.Signals) -> tuple[int, str]:
    time.sleep(delay)
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def others(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def check_stopped(code: int, stderr: str, sig: signal.Signals) -> bool:
    """True if the run was stopped by the signal (False if it had already finished)."""
    assert "Traceback" not in stderr, stderr
    if code == 0:
        return False
    if code == -sig and not stderr:
        return True  # the signal came while Python itself was starting, before aicost ran (a busy machine)
    assert code == CODES[sig], (code, stderr)
    assert stderr.strip() in ("Error: interrupted", "Error: terminated"), stderr
    return True


@pytest.mark.parametrize("seed", [1, 2])
def test_interrupted_convert_and_export_leave_the_previous_file(tmp_path: Path, big_log: Path, seed: int) -> None:
    rng = random.Random(seed)
    out = tmp_path / "out"
    out.mkdir()
    for command, target in (("convert", out / "usage.parquet"), ("report", out / "report.csv")):
        target.write_bytes(b"the previous file")
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        args = ["logs", "convert", big_log, "-o", target] if command == "convert" else ["report", big_log]
        if command == "report":
            args += ["--by", "model,day", "--format", "csv", "--output", target]
        code, stderr = interrupt(aicost(*args), rng.uniform(0.3, 2.5), sig)
        if check_stopped(code, stderr, sig):
            assert target.read_bytes() == b"the previous file"
        elif command == "convert":
            assert pl.read_parquet(target).height == ROWS
        else:
            assert pl.read_csv(target).height > 0
        assert (
            others(out, target.name) == [] if command == "convert" else others(out, "usage.parquet", target.name) == []
        )


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_interrupted_price_update_leaves_the_previous_tables(tmp_path: Path) -> None:
    env = {**os.environ, "AICOST_HOME": str(tmp_path / "home")}
    tables = tmp_path / "tables"
    sources = [SHARED_SOURCES / "genai-prices-v2.json", SHARED_SOURCES / "litellm-model-prices.json"]
    args: list[str | Path] = ["prices", "update", "--output", tables, "--as-of", "2026-11-20", "-q"]
    for source in sources:
        args += ["--source", source]
    shutil.copytree(BUNDLED_PRICING, tables)
    before = _digest(tables)
    first = aicost(*args, env=env)
    first.communicate(timeout=120)
    assert first.returncode == 0
    after = _digest(tables)
    assert after != before
    rng = random.Random(7)
    for _ in range(2):
        shutil.rmtree(tables)
        shutil.copytree(BUNDLED_PRICING, tables)
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        code, stderr = interrupt(aicost(*args, env=env), rng.uniform(0.3, 2.5), sig)
        state = _digest(tables)
        assert state == (before if check_stopped(code, stderr, sig) and state != after else after)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        backups = tmp_path / "home" / "pricing.bak"
        assert not backups.exists() or [p.name for p in backups.iterdir() if p.name.startswith(".")] == []


# ------------------------------------------------------------------------------------------ mechanisms

_ECHO = """
import signal, sys, threading, os, time
from aicost import interrupts
interrupts.install()
import polars as pl
threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIG{sig})).start()
plan = pl.LazyFrame({{"x": range(3_000_000)}}).select(pl.col("x").cast(pl.String).str.len_bytes().sum())
started = time.monotonic()
try:
    for _ in range(200):
        plan.collect()
except KeyboardInterrupt as exc:
    # Polars raised it; Python's own handler runs next: that echo must not cut this cleanup short
    time.sleep(0.2)
    print(type(exc).__name__, round(time.monotonic() - started, 1), "cleaned up")
    sys.exit(int(interrupts.exit_code(exc)))
"""


@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_a_running_query_stops_promptly_and_cleanup_is_not_interrupted_again(sig: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _ECHO.format(sig=sig)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == (130 if sig == "INT" else 143), done.stderr
    kind, seconds, *_ = done.stdout.split()
    assert kind in ("KeyboardInterrupt", "Terminated") and float(seconds) < 5, done.stdout
    assert "cleaned up" in done.stdout and "Traceback" not in done.stderr


_DEFERRED = """
import os, signal
from aicost import interrupts
interrupts.install()
reached = []
try:
    with interrupts.deferred():
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):
            pass  # a signal here would normally interrupt at once
        reached.append("end of block")
    reached.append("after block")
except KeyboardInterrupt:
    print(reached)
"""


def test_deferred_holds_a_signal_to_the_end_of_the_block() -> None:
    done = subprocess.run([sys.executable, "-c", _DEFERRED], check=False, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['end of block']", (done.stdout, done.stderr)


def test_a_failed_write_leaves_the_previous_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    target.write_text("previous")
    target.chmod(0o640)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "previous" and others(tmp_path) == ["result.json"]
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o640  # permissions kept
    nested = tmp_path / "a" / "b" / "out.parquet"
    with pytest.raises(KeyboardInterrupt), atomic_path(nested):
        raise KeyboardInterrupt
    assert others(tmp_path) == ["result.json"]  # folders it made for the file are gone too


def test_an_unwritable_target_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write_bytes(blocker / "out.json", b"{}")
    with pytest.raises(OutputError, match="is a folder"):
        atomic_write_bytes(tmp_path, b"{}")
    assert others(tmp_path) == ["not-a-folder"]


def test_the_console_entry_point_installs_signal_handling_before_polars() -> None:
    script = textwrap.dedent(
        """
        import sys
        from aicost import interrupts
        interrupts.install()
        assert "polars" not in sys.modules, "polars imported before the handlers"
        import signal
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_symlink_or_a_device_as_target(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"  # the file behind the link was replaced
    atomic_write_bytes(Path(os.devnull), b"discarded")  # a device is written to, never replaced
    assert Path(os.devnull).exists() and not Path(os.devnull).is_file()
    assert others(tmp_path) == ["link.json", "real.json"]
