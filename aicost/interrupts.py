"""Ctrl-C and SIGTERM: stop promptly, leave no partial file behind, exit 130 (SIGINT) or 143 (SIGTERM).

Three things stand in the way with the defaults:

- Polars installs its own SIGINT handler (chained to Python's) that aborts a running query and raises
  KeyboardInterrupt from it; Python's handler then raises a *second* KeyboardInterrupt at the next
  statement, which lands in the middle of the cleanup the first one started (deleting a temporary
  file). `install` makes a signal that arrives while an interrupt is being handled a no-op.
- SIGTERM (what `timeout`, CI runners and process managers send) kills the process outright, leaving
  temporary files. `install` turns it into `Terminated`, a KeyboardInterrupt, so every cleanup path
  treats both alike. Python runs handlers only between statements, so while a Polars query runs a
  watcher thread also forwards SIGTERM as SIGINT, which Polars does abort on.
- A signal between two statements that must not be split (creating a temporary file and noting it for
  removal; two renames) would leave debris. `deferred` holds signals over such a block.

`install` must run before Polars is imported (Polars chains to the handler it finds), so the console
entry point is `main` here, which installs the handlers and only then imports the CLI.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Final

from aicost.errors import ExitCode

SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like on Ctrl-C (cleaning up), and exit 143."""


class _State:
    """The process's signal state (a plain class: this module is imported before almost anything else)."""

    def __init__(self) -> None:
        self.installed = False
        self.terminating = False  # SIGTERM arrived (the exit code is 143 even where Polars raised)
        self.depth = 0  # nested `deferred` blocks
        self.pending: int | None = None  # a signal held by `deferred`
        self.since = 0.0  # when the last interrupt was raised
        self.reported = False  # the CLI has said "interrupted"
        self.exiting = False  # stopped or finished: later signals (Polars' late echo) change nothing
        self.signalled = False  # a SIGINT/SIGTERM arrived at some point (seen by the watcher thread)
        self.wakeup: tuple[socket.socket, socket.socket] | None = None  # open for the life of the process


_state = _State()
_ECHO_SECONDS: Final = 1.0
_RETRY_SECONDS: Final = 0.05
_POLARS: Final = os.sep + "polars" + os.sep
_UNFLUSHED: Final = 120  # Python's exit status when flushing stdout fails at exit


def _interrupt_for(signum: int) -> KeyboardInterrupt:
    if signum == signal.SIGTERM or _state.terminating:
        _state.terminating = True
        return Terminated()
    return KeyboardInterrupt()


def _handler(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGTERM:
        _state.terminating = True
    if _state.depth:
        _state.pending = signum
        return
    if (
        _state.exiting
        or isinstance(sys.exc_info()[1], KeyboardInterrupt)
        or time.monotonic() - _state.since < _ECHO_SECONDS
    ):
        return  # already stopping: Polars' echo of the same Ctrl-C, or an impatient repeat during cleanup
    if frame is not None and _POLARS in frame.f_code.co_filename:
        # Python code that Polars' engine may be calling back into: raised here, the interrupt can become
        # a panic inside Polars. Polars aborts a running query on SIGINT by itself; if none was running,
        # the signal comes again shortly, to be raised outside Polars.
        threading.Timer(_RETRY_SECONDS, _again).start()
        return
    _state.since = time.monotonic()
    raise _interrupt_for(signum)


def _again() -> None:
    if not (_state.exiting or _state.since):
        os.kill(os.getpid(), signal.SIGINT)


def _watch(sock: socket.socket) -> None:
    """Forward SIGTERM as SIGINT, so a running Polars query is aborted now rather than when it ends."""
    while True:
        try:
            data = sock.recv(64)
        except OSError:
            return
        if not data:
            return
        _state.signalled = True
        if signal.SIGTERM in data:
            _state.terminating = True  # before the SIGINT below, so the exit code says SIGTERM
            os.kill(os.getpid(), signal.SIGINT)


def install() -> None:
    """Install the SIGINT/SIGTERM handling described above (main thread only; idempotent)."""
    if _state.installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue  # started with it ignored (nohup, a background job): respect that
        signal.signal(signum, _handler)
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(reader,), name="aicost-signals", daemon=True).start()
    _state.wakeup = (reader, writer)
    _state.installed = True


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM over a block that must not be split; raise on leaving it if one arrived.

    If the block is left by an exception, a held signal is dropped: the run is stopping anyway.
    """
    _state.depth += 1
    failed = True
    try:
        yield
        failed = False
    finally:
        _state.depth -= 1
        signum, _state.pending = _state.pending, None
        if signum is not None and not _state.depth and not failed and sys.exc_info()[1] is None:
            _state.since = time.monotonic()
            raise _interrupt_for(signum)


def exit_code(exc: BaseException | None = None) -> ExitCode:
    """130 after Ctrl-C, 143 after SIGTERM (128 + the signal number, as shells report it)."""
    if isinstance(exc, Terminated) or _state.terminating:
        return ExitCode.TERMINATED
    return ExitCode.INTERRUPTED


def stopping() -> bool:
    """Whether a SIGINT/SIGTERM has arrived during this run (an error that follows is its echo)."""
    return _state.since > 0 or _state.signalled or _state.terminating


def reported(exc: BaseException) -> ExitCode:
    """Note that the CLI has told the user it stopped (nothing is left to interrupt); return the exit code."""
    _state.reported = _state.exiting = True
    return exit_code(exc)


def _message(code: ExitCode) -> str:
    return f"Error: {'terminated' if code == ExitCode.TERMINATED else 'interrupted'}\n"


def main() -> None:
    """Console entry point: handle signals first, then import and run the CLI."""
    install()
    try:
        _run()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    # The run is over (done, failed or stopped): a signal from here on must not turn the exit into a death
    # by signal, so both are ignored from now on.
    _state.exiting = True
    if _state.installed:
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
    _forget_unhandled_interrupt()
    stopped = code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED) or _state.signalled
    if not stopped:
        # done or failed: run the exit handlers, as Python's own exit would (aicost leaves no thread it would
        # wait for), then skip the rest of that exit, tearing down Polars, DuckDB and every module one by
        # one: 0.08-0.1 s after the answer is out. Stopped: skip it all (and any version of the note above
        # that cannot be cleared).
        atexit._run_exitfuncs()
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away, or the stream is closed
            code = code if stopped else _UNFLUSHED  # what Python's own exit makes of it
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


def _imported_cli() -> Callable[[], None]:
    """The CLI's entry point, imported with the garbage collector off.

    Importing Polars, DuckDB, Typer and aicost makes a few hundred thousand objects that live as long as
    the process; the collector's passes over them while they were being made, and again whenever a
    command made many objects (loading the price book), took 0.05-0.09 s of every run. They are frozen
    (left out of every later pass) before collecting resumes.
    """
    gc.disable()
    try:
        from aicost.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    return cli_main


def _forget_unhandled_interrupt() -> None:
    """Clear CPython's note that a KeyboardInterrupt went unhandled, which makes it kill itself with SIGINT
    at exit (status -2, not the 130 chosen here). Polars raises its KeyboardInterrupt inside code it runs
    through the C API, which sets that note even though aicost handles the interrupt (CPython 3.11)."""
    try:
        import ctypes

        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ImportError, ValueError, AttributeError):
        pass  # another Python keeps it elsewhere: the os._exit above covers interrupted runs


def _run() -> None:
    try:
        cli_main = _imported_cli()
        cli_main()
    except (KeyboardInterrupt, Exception) as exc:
        # before the CLI's own handling was in place (while importing): an interrupt raised inside, say,
        # class creation comes out as another error
        if not isinstance(exc, KeyboardInterrupt) and not stopping():
            raise
        code = exit_code(exc)
        sys.stderr.write(_message(code))
        raise SystemExit(int(code)) from None
    except SystemExit as done:
        if done.code not in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
            raise
        # typer maps a KeyboardInterrupt outside a command (while parsing options) to a silent 130
        code = exit_code()
        if not _state.reported:
            sys.stderr.write(_message(code))
        raise SystemExit(int(code)) from None
