"""Bad input, table-driven: every malformed file or argument is one `Error:` line on stderr naming the file
(and line or row), exit 1 (2 for a command-line error), no traceback, nothing on stdout, no output file.

Canonical logs (JSON lines, CSV, Parquet) get a case per way a value or a file can be unusable; every
adapter format gets the same damaged lines, which must be rejected with their line (not skipped, not
priced as zero), and with --on-error skip counted while the accounting still balances.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import Result

from tests.conftest import REPO
from tests.formats_ref import FIXTURES

Cli = Callable[..., Result]
GOOD: dict[str, Any] = {
    "timestamp": "2026-11-02T12:00:00Z",
    "model": "gpt-4o",
    "input_tokens": 1000,
    "output_tokens": 100,
}
GOOD_LINE = json.dumps(GOOD)
CSV_HEAD = "timestamp,model,input_tokens,output_tokens"
CSV_GOOD = "2026-11-02T12:00:00Z,gpt-4o,1000,100"
ACCOUNT = ("rows_priced", "rows_unpriced", "rows_rejected", "rows_skipped", "rows_deduplicated", "rows_filtered")


def jsonl(*records: Any) -> bytes:
    lines = [r if isinstance(r, str | bytes) else json.dumps(r) for r in records]
    return b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n"


def csv(*lines: str | bytes) -> bytes:
    return b"\n".join(x if isinstance(x, bytes) else x.encode() for x in (CSV_HEAD, *lines)) + b"\n"


def parquet(frame: pl.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame.write_parquet(path)

    return write


def corrupt_parquet(path: Path) -> None:
    frame = pl.DataFrame({"model": [f"gpt-4o-{i % 97}" for i in range(50_000)], "input_tokens": list(range(50_000))})
    frame.write_parquet(path, compression="zstd", statistics=False)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = bytes(4096)
    path.write_bytes(bytes(data))


def late_type_change() -> bytes:
    # the fast reader infers Int64 from the first 1,000 lines, then meets text: the whole file used to fail
    return jsonl(*[GOOD] * 1200, {**GOOD, "input_tokens": "lots"})


# (case id, file name, content (bytes, or a writer), expected exit code, what stderr says after the file name)
CASES: list[tuple[str, str, bytes | Callable[[Path], None], int, str]] = [
    # JSON lines: damaged lines are rejected with their line (blank lines are not records)
    ("jsonl-truncated", "a.jsonl", jsonl(GOOD, "", GOOD_LINE[:25]), 1, "line 3: not a JSON object"),
    (
        "jsonl-invalid-utf8",
        "a.jsonl",
        jsonl(GOOD, b'{"model": "gpt\xff\xfe-4o", "input_tokens": 5}'),
        1,
        "line 2: not valid UTF-8",
    ),
    ("jsonl-nul-bytes", "a.jsonl", jsonl(GOOD, b"\x00\x00\x00"), 1, "line 2: not a JSON object"),
    ("jsonl-array-line", "a.jsonl", jsonl(GOOD, "[1, 2]"), 1, "line 2: not a JSON object"),
    ("jsonl-two-objects", "a.jsonl", jsonl(GOOD, GOOD_LINE + GOOD_LINE), 1, "line 2: not a JSON object"),
    ("jsonl-nan", "a.jsonl", jsonl(GOOD, '{"model": "gpt-4o", "input_tokens": NaN}'), 1, "line 2: not a JSON object"),
    ("jsonl-negative", "a.jsonl", jsonl(GOOD, {**GOOD, "input_tokens": -5}), 1, "line 2: input_tokens is negative"),
    ("jsonl-fraction", "a.jsonl", jsonl({**GOOD, "output_tokens": 2.5}), 1, "line 1: output_tokens is not a whole"),
    (
        "jsonl-text-count",
        "a.jsonl",
        jsonl({**GOOD, "output_tokens": "many"}),
        1,
        "line 1: output_tokens is not a number",
    ),
    (
        "jsonl-beyond-int64",
        "a.jsonl",
        jsonl('{"model": "gpt-4o", "input_tokens": 9223372036854775808}'),
        1,
        "too large",
    ),
    ("jsonl-late-type-change", "a.jsonl", late_type_change(), 1, "line 1201: input_tokens is not a number"),
    (
        "jsonl-bad-time",
        "a.jsonl",
        jsonl({**GOOD, "timestamp": "2026-02-30T00:00:00Z"}),
        1,
        "line 1: timestamp does not parse",
    ),
    (
        "jsonl-far-future",
        "a.jsonl",
        jsonl({**GOOD, "timestamp": "2999-01-01T00:00:00Z"}),
        1,
        "more than a year in the future",
    ),
    ("jsonl-epoch-zero", "a.jsonl", jsonl(GOOD, {**GOOD, "timestamp": 0}), 1, "line 2: timestamp is before 2000"),
    (
        "jsonl-deep-nesting",
        "a.jsonl",
        jsonl(GOOD, '{"model": "x", "t": ' + "[" * 50_000 + "]" * 50_000 + "}"),
        1,
        "line 2: not a JSON object",
    ),
    (
        "jsonl-endless-number",
        "a.jsonl",
        jsonl(GOOD, '{"model": "x", "input_tokens": ' + "9" * 50_000 + "}"),
        1,
        "line 2:",
    ),
    ("jsonl-missing-model", "a.jsonl", jsonl(GOOD, {**GOOD, "model": " "}), 1, "line 2: missing model"),
    (
        "jsonl-zero-requests",
        "a.jsonl",
        jsonl({**GOOD, "requests": 0}),
        1,
        "line 1: requests is 0 but the row has tokens",
    ),
    (
        "jsonl-model-object",
        "a.jsonl",
        jsonl(GOOD, {**GOOD, "model": {"id": "gpt-4o"}}),
        1,
        "line 2: model is not text (a JSON object or array)",
    ),
    ("jsonl-model-array", "a.jsonl", jsonl(GOOD, {**GOOD, "model": ["gpt-4o"]}), 1, "line 2: model is not text"),
    (
        "jsonl-reported-cost-word",
        "a.jsonl",
        jsonl({**GOOD, "reported_cost": 0.5}, {**GOOD, "reported_cost": "cheap"}),
        1,
        "line 2: reported_cost is not a number",
    ),
    ("csv-reported-cost-nan", "a.csv", b"model,input_tokens,reported_cost\ngpt-4o,5,NaN\n", 1, "line 2: reported_cost"),
    # a damaged key would make a tag of the count or the time, and price the row without it
    (
        "jsonl-damaged-count-key",
        "a.jsonl",
        jsonl(GOOD, {"model": "gpt-4o", "input_toks": 1000, "output_tokens": 100}),
        1,
        "line 2: column 'input_toks' instead of 'input_tokens' (a damaged name?",
    ),
    (
        "jsonl-damaged-time-key",
        "a.jsonl",
        jsonl(GOOD, GOOD, {**GOOD, "timeZtamp": GOOD["timestamp"]} | {"timestamp": None}),
        1,
        "line 3: column 'timeZtamp' instead of 'timestamp'",
    ),
    ("csv-misspelt-header", "a.csv", b"Timestamp,model,input_tokens\n2026-11-02,gpt-4o,5\n", 1, "line 2: column"),
    ("jsonl-no-model-column", "a.jsonl", jsonl({"input_tokens": 5}), 1, "'model'"),
    ("jsonl-empty", "a.jsonl", b"", 1, "empty file"),
    ("jsonl-blank-lines", "a.jsonl", b"\n  \n\n", 1, "empty file"),
    ("jsonl-binary", "a.jsonl", bytes(range(256)) * 40, 1, "binary data"),
    ("jsonl-utf16", "a.jsonl", jsonl(GOOD, GOOD).decode().encode("utf-16"), 1, "UTF-16"),
    ("jsonl-all-damaged", "a.jsonl", jsonl("[1]", "{", "null"), 1, "no JSON object"),
    ("jsonl-gz-truncated", "a.jsonl.gz", gzip.compress(jsonl(*[GOOD] * 200))[:150], 1, "cannot read"),
    ("jsonl-gz-not-gzip", "a.jsonl.gz", jsonl(GOOD), 1, "cannot read"),
    # CSV: a line whose fields do not match the header is rejected, not filled with nulls
    ("csv-short-row", "a.csv", csv(CSV_GOOD, "2026-11-02T12:00:00Z,gpt-4o,1000"), 1, "line 3: line has 3 fields"),
    ("csv-long-row", "a.csv", csv(CSV_GOOD + ",7"), 1, "line 2: line has 5 fields"),
    ("csv-broken-quote", "a.csv", csv('2026-11-02T12:00:00Z,"gpt-4o,1000,100'), 1, "line 2: malformed CSV line"),
    ("csv-text-count", "a.csv", csv("2026-11-02T12:00:00Z,gpt-4o,lots,100"), 1, "line 2: input_tokens is not a number"),
    ("csv-invalid-utf8", "a.csv", csv(CSV_GOOD, b"2026-11-02T12:00:00Z,gpt\xff-4o,5,5"), 1, "line 3: not valid UTF-8"),
    ("csv-empty", "a.csv", b"", 1, "empty file"),
    ("csv-byte-order-mark-alone", "a.csv", b"\xef\xbb\xbf\r\n", 1, "empty file (a CSV log needs a header"),
    ("csv-header-only", "a.csv", csv(), 1, "no usage rows"),
    ("csv-semicolons", "a.csv", b"model;input_tokens\ngpt-4o;5\n", 1, "'model'"),
    ("csv-binary", "a.csv", b"\x00\x01\x02" + bytes(range(256)) * 20, 1, "binary data"),
    ("csv-reserved-column", "a.csv", b"model,input_tokens,_aicost_bad\ngpt-4o,5,x\n", 1, "reserved"),
    (
        "csv-duplicate-column",
        "a.csv",
        b"model,input_tokens,model\ngpt-4o,5,x\n",
        1,
        "line 1: column 'model' appears twice",
    ),
    # Parquet: a file that is not Parquet, damaged pages, columns of the wrong type
    ("parquet-not-parquet", "a.parquet", b"model,input_tokens\ngpt-4o,5\n", 1, "cannot read as parquet"),
    ("parquet-empty", "a.parquet", b"", 1, "cannot read as parquet"),
    ("parquet-damaged-pages", "a.parquet", corrupt_parquet, 1, "cannot read as parquet"),
    (
        "parquet-model-number",
        "a.parquet",
        parquet(pl.DataFrame({"model": [1.5], "input_tokens": [5]})),
        1,
        "column 'model' is Float64",
    ),
    (
        "parquet-tokens-list",
        "a.parquet",
        parquet(pl.DataFrame({"model": ["gpt-4o"], "input_tokens": [[5]]})),
        1,
        "expected integers",
    ),
    (
        "parquet-tokens-bool",
        "a.parquet",
        parquet(pl.DataFrame({"model": ["gpt-4o"], "input_tokens": [True]})),
        1,
        "expected integers",
    ),
    (
        "parquet-time-duration",
        "a.parquet",
        parquet(pl.DataFrame({"model": ["gpt-4o"], "input_tokens": [5], "timestamp": [dt.timedelta(days=3)]})),
        1,
        "column 'timestamp' is Duration(time_unit='us'), expected a timestamp",
    ),
    (
        "parquet-time-of-day",
        "a.parquet",
        parquet(pl.DataFrame({"model": ["gpt-4o"], "input_tokens": [5], "timestamp": [dt.time(12, 0)]})),
        1,
        "column 'timestamp' is Time, expected a timestamp",
    ),
    (
        "parquet-null-model",
        "a.parquet",
        parquet(
            pl.DataFrame({"model": [None], "input_tokens": [5]}, schema={"model": pl.String, "input_tokens": pl.Int64})
        ),
        1,
        "row 1: missing model",
    ),
    (
        "parquet-uint64-beyond-int64",
        "a.parquet",
        parquet(
            pl.DataFrame(
                {"model": ["gpt-4o"], "input_tokens": [2**63]}, schema={"model": pl.String, "input_tokens": pl.UInt64}
            )
        ),
        1,
        "row 1: input_tokens too large",
    ),
    # other kinds
    ("json-invalid", "a.json", b'{"data": [1, 2,', 1, "not valid JSON"),
    ("json-no-records", "a.json", b'["a", "b"]', 1, "no records"),
    ("sqlite-not-a-database", "logs.db", b"hello, not SQLite", 1, "cannot read as SQLite"),
    ("unknown-extension", "a.txt", b"hello", 1, "unknown log file type"),
]


@pytest.mark.parametrize(("name", "content", "code", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_file_is_one_line_error_and_writes_nothing(
    cli: Cli, tmp_path: Path, name: str, content: bytes | Callable[[Path], None], code: int, says: str
) -> None:
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    out = tmp_path / "out" / "report.json"
    result = cli("report", path, "--format", "json", "--output", out)
    assert_error(result, code, f"{path}", says)
    assert not out.exists() and not out.parent.exists()


def assert_error(result: Result, code: int, where: str, says: str) -> None:
    """Exit `code`, one line on stderr naming `where` and saying `says`, no traceback, nothing on stdout."""
    stderr = result.stderr
    assert result.exit_code == code, (result.exit_code, stderr, result.stdout[:300])
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ") and where in lines[0] and says in lines[0], lines[0]
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["report", "simulate", "forecast", "logs inspect --on-error fail"])
def test_every_command_that_reads_logs_fails_the_same_way(cli: Cli, tmp_path: Path, command: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD, {**GOOD, "input_tokens": -1}, GOOD))
    result = cli(*command.split()[: 2 if command.startswith("logs") else 1], path, *command.split()[2:])
    assert_error(result, 1, f"{path}: line 2", "input_tokens is negative")


def test_convert_writes_nothing_on_bad_input_and_keeps_the_old_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD, GOOD_LINE[:20]))
    out = tmp_path / "canonical.parquet"
    out.write_bytes(b"previous")
    result = cli("logs", "convert", path, "--output", out)
    assert_error(result, 1, f"{path}: line 2", "not a JSON object")
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "canonical.parquet"]


def _folder_with(folder: Path, name: str) -> Path:
    folder.mkdir()
    (folder / name).write_text("not a log")
    return folder


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.jsonl", "no such file or folder"),
        (lambda d: (d / "empty").mkdir() or d / "empty", "folder contains no logs"),
        (lambda d: _folder_with(d / "docs", "notes.txt"), "contains no logs"),
        (lambda d: Path(str(d / "none-*.jsonl")), "pattern matches no files"),
        (lambda d: os.symlink(d / "loop.jsonl", d / "loop.jsonl") or d / "loop.jsonl", "no such file"),
    ],
    ids=["missing", "empty-folder", "folder-without-logs", "glob-without-match", "symlink-loop"],
)
def test_paths_that_hold_no_logs(cli: Cli, tmp_path: Path, make: Callable[[Path], Path], says: str) -> None:
    path = make(tmp_path)
    assert_error(cli("report", path), 1, str(path), says)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD))
    path.chmod(0)
    assert_error(cli("report", path), 1, str(path), "")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--on-error", "sometimes"], "sometimes"),
        (["--since", "the day before"], "--since"),
        (["--log-format", "carrier-pigeon"], "--log-format carrier-pigeon"),
        (["--by", "colour"], "--by colour"),
        (["--map", "nonsense"], "canonical=source"),
    ],
)
def test_command_line_errors_exit_2(cli: Cli, tmp_path: Path, args: list[str], says: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD))
    result = cli("report", path, *args)
    assert result.exit_code == 2, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_output_that_cannot_be_written_is_an_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_error(cli("report", path, "--output", blocker / "out.json"), 1, str(blocker / "out.json"), "cannot write")


def test_byte_order_mark_and_crlf_are_fine(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(GOOD, GOOD).replace(b"\n", b"\r\n"))
    table = tmp_path / "a.csv"
    table.write_bytes(b"\xef\xbb\xbf" + csv(CSV_GOOD).replace(b"\n", b"\r\n"))
    for log in (path, table):
        result = cli("report", log, "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["rows_priced"] == (2 if log == path else 1)


# ------------------------------------------------------------------------------------------ adapters

LINE_FORMATS = [
    "openai-chat.jsonl",
    "openai-responses.jsonl",
    "openai-batch.jsonl",
    "anthropic-messages.jsonl",
    "anthropic-stream.jsonl",
    "anthropic-batch.jsonl",
    "gemini.jsonl",
    "bedrock-log.jsonl",
    "bedrock-converse.jsonl",
    "litellm-spendlogs.jsonl",
    "helicone.jsonl",
    "openrouter-generations.jsonl",
    "codex/archived_sessions/rollout-2026-11-16T12-00-00-0199aaaa.jsonl",
    "claude-code/projects/-home-u-repo/7a2b0000-bbbb.jsonl",
]
# each damages one copy of a record line; every result must be rejected as what it is, with its line
DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda line: line[: len(line) // 2],
    "nul": lambda line: line[:10] + b"\x00" + line[10:],
    "garbage": lambda line: b"}{" + line[2:],
    "invalid-utf8": lambda line: line[:10] + b"\xff\xfe" + line[10:],
}
CSV_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "extra-field": lambda line: line + b",extra",
    "missing-field": lambda line: line[: line.rfind(b",")],
    "broken-quote": lambda line: b'"' + line,
    "invalid-utf8": lambda line: line[:5] + b"\xff" + line[5:],
}


def _accounting(doc: dict[str, Any]) -> None:
    assert doc["rows_read"] == sum(doc[k] for k in ACCOUNT), doc
    assert doc["rows_rejected"] == sum(r["rows"] for r in doc["rejections"])
    assert doc["rows_skipped"] == sum(doc["skipped"].values())


def _with_damaged_copies(source: Path, target: Path, damage: dict[str, Callable[[bytes], bytes]]) -> int:
    """Copy a line file and append a damaged copy of its records per kind of damage; return the first
    appended line's number."""
    lines = source.read_bytes().rstrip(b"\n").split(b"\n")
    records = [line for line in lines[1 if source.suffix == ".csv" else 0 :] if line.strip()]
    copies = [how(records[i % len(records)].rstrip(b"\r")) for i, how in enumerate(damage.values())]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\n".join([*lines, *copies]) + b"\n")
    return len(lines) + 1


def _skip(cli: Cli, path: Path) -> dict[str, Any]:
    result = cli("report", path, "--format", "json", "--on-error", "skip")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    _accounting(doc)
    return doc


@pytest.mark.parametrize("fixture", LINE_FORMATS)
def test_damaged_lines_in_every_format_are_rejected_with_their_lines(cli: Cli, tmp_path: Path, fixture: str) -> None:
    path = tmp_path / fixture
    first = _with_damaged_copies(FIXTURES / fixture, path, DAMAGE)
    clean, damaged = _skip(cli, FIXTURES / fixture), _skip(cli, path)
    assert damaged["rows_read"] == clean["rows_read"] + len(DAMAGE)
    assert damaged["rows_rejected"] == clean["rows_rejected"] + len(DAMAGE)
    # rejected, not skipped and not priced: the intact records cost exactly what they cost alone
    assert damaged["total_cost"] == clean["total_cost"]
    assert {r["reason"]: (r["rows"], r["first"]) for r in damaged["rejections"]} == {
        "not a JSON object (malformed line)": (3, f"{path}: line {first}"),
        "not valid UTF-8 text": (1, f"{path}: line {first + 3}"),
    } | {r["reason"]: (r["rows"], r["first"]) for r in clean["rejections"]}


@pytest.mark.parametrize("fixture", ["litellm-spendlogs.csv", "openrouter-activity.csv"])
def test_damaged_csv_export_lines_are_rejected_with_their_lines(cli: Cli, tmp_path: Path, fixture: str) -> None:
    path = tmp_path / fixture
    first = _with_damaged_copies(FIXTURES / fixture, path, CSV_DAMAGE)
    assert_error(cli("report", path), 1, f"{path}: line {first}", "fields, the header has")
    clean, damaged = _skip(cli, FIXTURES / fixture), _skip(cli, path)
    assert damaged["rows_rejected"] == clean["rows_rejected"] + len(CSV_DAMAGE)
    assert damaged["total_cost"] == clean["total_cost"]
    assert {r["first"] for r in damaged["rejections"]} >= {f"{path}: line {first + 2}", f"{path}: line {first + 3}"}


def test_a_damaged_session_in_a_folder_of_sessions(cli: Cli, tmp_path: Path) -> None:
    # Claude Code sessions of one folder are read as one scan; the damaged line still names its own file
    folder = tmp_path / "projects"
    shutil.copytree(FIXTURES / "claude-code" / "projects", folder)
    victim = folder / "-home-u-repo" / "6f1e0000-aaaa.jsonl"
    number = _with_damaged_copies(victim, victim, {"invalid-utf8": DAMAGE["invalid-utf8"]})
    assert_error(cli("report", folder), 1, f"{victim}: line {number}", "not valid UTF-8")
    clean, damaged = _skip(cli, FIXTURES / "claude-code" / "projects"), _skip(cli, folder)
    assert damaged["rows_rejected"] == clean["rows_rejected"] + 1
    assert damaged["total_cost"] == clean["total_cost"]


@pytest.mark.parametrize(
    "fixture", ["openai-usage.json", "anthropic-usage-report.json", "langfuse-observations.json", "otel-spans.json"]
)
def test_a_damaged_json_document_is_an_error_naming_it(cli: Cli, tmp_path: Path, fixture: str) -> None:
    path = tmp_path / fixture
    data = (FIXTURES / fixture).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_error(cli("report", path), 1, str(path), "not valid JSON (")


# ------------------------------------------------------------------------------------------ TOML files


def test_price_table_syntax_error_names_file_line_and_column(cli: Cli, tmp_path: Path) -> None:
    tables = tmp_path / "pricing"
    tables.mkdir()
    (tables / "acme.toml").write_text('schema = "aicost.prices/1"\n\n[provider\nid = "acme"\n')
    log = tmp_path / "a.jsonl"
    log.write_bytes(jsonl(GOOD))
    assert_error(
        cli("report", log, "--pricing", tables), 1, f"{tables / 'acme.toml'}: line 3, column 10", "invalid TOML"
    )


def test_unknown_key_says_which_keys_belong_there(cli: Cli, tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text('schema = "aicost.scenario/1"\nname = "s"\n\n[[move]]\nshre = 0.5\nprice_ratio = 0.1\n')
    log = tmp_path / "a.jsonl"
    log.write_bytes(jsonl(GOOD))
    result = cli("simulate", log, "--scenario", scenario)
    assert_error(result, 1, f"{scenario}: key move[0]: unknown key 'shre'", "expected one of: name, from, where")
    assert "share" in result.stderr


def test_damaged_stdin_lines_are_named_by_their_line(cli: Cli) -> None:
    piped = jsonl(GOOD, "", b"\xff\xfe not text", GOOD_LINE[:20], GOOD)
    assert_error(cli("report", "-", input=piped), 1, "<stdin>: line 3", "not valid UTF-8")
    result = cli("report", "-", "--format", "json", "--on-error", "skip", input=piped)
    doc = json.loads(result.stdout)
    _accounting(doc)
    assert (doc["rows_read"], doc["rows_priced"], doc["rows_rejected"]) == (4, 2, 2)
    assert [r["first"] for r in doc["rejections"]] == ["<stdin>: line 3", "<stdin>: line 4"]


@pytest.mark.parametrize(
    "model", ["gpt-4o\nInjected line", "gpt\r4o", "gpt\u20284o", "gpt\x1b[31m4o"], ids=["lf", "cr", "u2028", "escape"]
)
def test_a_model_id_with_a_line_break_keeps_the_error_on_one_line(cli: Cli, tmp_path: Path, model: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({**GOOD, "model": model}))
    result = cli("report", path, "--strict")
    assert_error(result, 1, "--strict", "have no price: gpt")
    assert repr(model)[1:-1] in result.stderr


def test_a_file_name_with_a_line_break_is_named_on_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a\nb.jsonl"
    path.write_bytes(jsonl(GOOD, {**GOOD, "input_tokens": -1}))
    assert_error(cli("report", path), 1, f"{tmp_path}/a\\nb.jsonl: line 2", "input_tokens is negative")


def test_a_column_mapped_twice_is_a_command_line_error(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({**GOOD, "prompt": 5, "uncached": 7}))
    result = cli("report", path, "--map", "input_tokens=prompt", "--map", "input_tokens=uncached")
    assert result.exit_code == 2 and "--map input_tokens: given twice" in result.stderr


def test_a_nan_reported_cost_in_parquet_is_missing_not_damage(cli: Cli, tmp_path: Path) -> None:
    # pandas writes a missing float as NaN: not a cost to reconcile, but not a damaged row either
    path = tmp_path / "a.parquet"
    pl.DataFrame({**{k: [v, v] for k, v in GOOD.items()}, "reported_cost": [0.5, float("nan")]}).write_parquet(path)
    result = cli("report", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_priced"] == 2


def test_tags_near_a_canonical_name_are_kept_where_the_real_column_is_set(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl({**GOOD, "models": "a,b", "output_cost": 0.1, "team": "x"}))
    result = cli("report", path, "--format", "json", "--by", "models")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rows_priced"] == 1


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_tag_near_a_canonical_name_the_log_does_not_use_stays_a_tag(cli: Cli, tmp_path: Path, suffix: str) -> None:
    # `requester` is two letters from `requests`, but this log never has a `requests` column (one call a
    # row): a tag to report by, not a damaged key; the same on the 1,500th line, past the sampled records
    rows = [{**GOOD, "requester": f"svc-{i % 3}"} for i in range(1500)]
    path = tmp_path / f"a.{suffix}"
    if suffix == "csv":
        pl.DataFrame(rows).write_csv(path)
    else:
        path.write_bytes(jsonl(*rows))
    result = cli("report", path, "--format", "json", "--by", "requester")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["rows_priced"] == 1500
    assert sorted(r["requester"] for r in doc["rows"]) == ["svc-0", "svc-1", "svc-2"]


def test_a_header_written_another_way_is_named(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"timestamp,model,inputTokens,output_tokens\n2026-11-02,gpt-4o,5,1\n")
    assert_error(cli("report", path), 1, str(path), "column 'inputTokens' instead of 'input_tokens'")


def test_forecast_of_logs_without_timestamps(cli: Cli, tmp_path: Path) -> None:
    # rows without a time have no month: an error when no row has one, left out (with a warning) otherwise
    undated = tmp_path / "undated.jsonl"
    undated.write_bytes(jsonl({"model": "gpt-4o", "input_tokens": 5}))
    assert_error(cli("forecast", undated), 1, str(undated), "no row has a timestamp")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(jsonl({"model": "gpt-4o", "input_tokens": 5}, GOOD, GOOD))
    result = cli("forecast", mixed, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "1 requests without a timestamp are left out" in result.stderr


@pytest.mark.parametrize(
    ("command", "log", "output"),
    [
        ("logs convert", "a.jsonl", "a.jsonl"),
        ("export", "a.csv", "a.csv"),
        ("report --format csv", "logs", "logs/a.csv"),
        ("simulate --format json", "a.jsonl", "./a.jsonl"),
        ("logs inspect --format json", "a.jsonl", "a.jsonl"),
    ],
)
def test_an_output_that_is_one_of_the_logs_is_refused(
    cli: Cli, tmp_path: Path, command: str, log: str, output: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the result would replace the log it was computed from (a CSV report in a folder of logs, too)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    for name in ("a.jsonl", "logs/b.jsonl"):
        (tmp_path / name).write_bytes(jsonl(GOOD))
    for name in ("a.csv", "logs/a.csv"):
        (tmp_path / name).write_bytes(csv(CSV_GOOD))
    before = (tmp_path / output).read_bytes()
    words = command.split()
    split = 2 if words[0] == "logs" else 1
    result = cli(*words[:split], log, *words[split:], "--output", output)
    assert result.exit_code == 2, result.stderr
    assert (
        result.stderr.strip() == f"Error: --output {output}: is one of the logs being read; write the result elsewhere"
    )
    assert (tmp_path / output).read_bytes() == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("where", [["--output", "/dev/full"], []], ids=["output", "stdout"])
def test_a_full_disk_is_an_error_naming_where(tmp_path: Path, where: list[str]) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(GOOD))
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "aicost", "report", str(path), "--format", "json", *where],
            stdout=full,
            stderr=subprocess.PIPE,
            # the aicost under test, wherever the tests run from (they run in a temporary folder)
            env={**os.environ, "AICOST_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)},
            check=False,
        )
    name = "/dev/full" if where else "<stdout>"
    assert done.returncode == 1
    assert done.stderr.decode().strip() == f"Error: {name}: cannot write (No space left on device)"


@pytest.mark.parametrize(
    ("move", "says"),
    [
        ("price_ratio = inf", "move[0].price_ratio: inf must be a non-negative finite number"),
        ("price_ratio = nan", "move[0].price_ratio: nan must be"),
        ("price_ratio = 0.1\ntokens = { input = nan }", "move[0].tokens.input: nan must be a positive finite number"),
        ("price_ratio = 0.1\ntokens = { output = inf }", "move[0].tokens.output: inf must be"),
        ("to_rates = { input = inf, output = 1.0 }", "move[0].to_rates.input: inf must be"),
    ],
)
def test_scenario_numbers_that_are_not_finite(cli: Cli, tmp_path: Path, move: str, says: str) -> None:
    # an infinite price ratio or multiplier made the scenario's total null, silently
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'schema = "aicost.scenario/1"\nname = "s"\n\n[[move]]\nshare = 0.5\n{move}\n')
    log = tmp_path / "a.jsonl"
    log.write_bytes(jsonl(GOOD))
    assert_error(cli("simulate", log, "--scenario", scenario), 1, f"{scenario}: ", says)


def test_a_scenario_horizon_out_of_range_names_the_scenario(cli: Cli, tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'schema = "aicost.scenario/1"\nname = "s"\n\n[[move]]\nshare = 0.5\nprice_ratio = 0.1\n\n'
        "[forecast]\nhorizon_months = 100000\n"
    )
    log = tmp_path / "a.jsonl"
    log.write_bytes(jsonl(GOOD))
    result = cli("forecast", log, "--scenario", scenario)
    assert_error(result, 1, f"{scenario}: forecast.horizon_months 100000", "must be between 1 and 120")


def test_an_anthropic_cache_breakdown_larger_than_its_total_is_rejected(cli: Cli, tmp_path: Path) -> None:
    # 5m + 1h writes are a breakdown of cache_creation_input_tokens: 10M in the breakdown of a 2,048 total
    # would have been billed as 10M 1-hour writes
    lines = (FIXTURES / "anthropic-messages.jsonl").read_bytes().splitlines()
    record = json.loads(lines[0])
    record["usage"]["cache_creation"]["ephemeral_1h_input_tokens"] = 10_000_000
    path = tmp_path / "anthropic-messages.jsonl"
    path.write_bytes(b"\n".join([json.dumps(record).encode(), *lines[1:]]) + b"\n")
    says = "usage.cache_creation exceeds usage.cache_creation_input_tokens"
    assert_error(cli("report", path), 1, f"{path}: line 1", says)
