"""Fuzzing the JSON-lines and CSV ingest: damaged logs never crash a run, and every row is accounted for.

- Any damage (random bytes inserted, deleted, replaced; lines cut or split) to a few lines of a valid log:
  the run either succeeds or fails with one aicost error (never an uncaught exception), and on success
  rows read = priced + unpriced + rejected + skipped + de-duplicated + filtered, with rows read equal to
  the number of non-blank lines.
- Damage that leaves a line unusable (cut short, a byte that is not UTF-8, a control character, a word
  for a count, a negative or fractional count, no model, split in two, …), to ~5% of the lines: every
  damaged line is rejected, every intact line is priced, and the totals equal those of the clean log
  restricted to the intact lines, exactly.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aicost.errors import AicostError
from aicost.pricing import PriceBook, load_book
from aicost.usage import PricedUsage, price_logs

MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "in-house-llm")
COUNTS = ("input_tokens", "cache_read_tokens", "output_tokens")
FIELDS = ("timestamp", "model", *COUNTS, "request_id", "team")
BLANK = b" \t\n\r\x0b\x0c"
ACCOUNT = ("rows_priced", "rows_unpriced", "rows_rejected", "rows_skipped", "rows_deduplicated", "rows_filtered")
FUZZ = settings(
    max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@functools.cache
def bundled() -> PriceBook:
    """The bundled price book, loaded once (not a fixture: Hypothesis would print it with a failing example)."""
    return load_book(None)


def records(seed: int, n: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "timestamp": f"2026-10-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
            "model": rng.choice(MODELS),
            "input_tokens": rng.randint(0, 200_000),
            "cache_read_tokens": rng.choice([0, rng.randint(0, 50_000)]),
            "output_tokens": rng.randint(0, 8_000),
            "request_id": f"req-{seed}-{i}",
            "team": rng.choice(["search", "chat", "agents"]),
        }
        for i in range(n)
    ]


def as_jsonl(rows: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r).encode() for r in rows]


def as_csv(rows: list[dict[str, Any]]) -> list[bytes]:
    return [",".join(str(r[f]) for f in FIELDS).encode() for r in rows]


def write(path: Path, lines: list[bytes], csv: bool) -> Path:
    head = [",".join(FIELDS).encode()] if csv else []
    path.write_bytes(b"\n".join([*head, *lines]) + b"\n")
    return path


def nonblank_records(data: bytes, csv: bool) -> int:
    """How many records a reader should count: non-blank lines (after the header, for CSV)."""
    lines = data.split(b"\n")[1 if csv else 0 :]
    return sum(1 for line in lines if line.removeprefix(b"\xef\xbb\xbf").strip(BLANK))


def run(path: Path) -> PricedUsage:
    return price_logs([str(path)], on_error="skip", book=bundled())


def balanced(usage: PricedUsage) -> dict[str, Any]:
    doc = usage.accounting.to_json()
    assert doc["rows_read"] == sum(doc[k] for k in ACCOUNT), doc
    assert doc["rows_rejected"] == sum(r["rows"] for r in doc["rejections"])
    return doc


def totals(usage: PricedUsage) -> dict[str, int]:
    counted = usage.counted
    return {c: int(counted[c].sum()) for c in (*COUNTS, "requests")}


# ------------------------------------------------------------------------------------------ any damage

Mutation = tuple[str, int, int, bytes]
mutations = st.tuples(
    st.sampled_from(["insert", "delete", "replace", "cut", "split", "duplicate"]),
    st.integers(0, 10_000),
    st.integers(1, 12),
    st.binary(min_size=1, max_size=6),
)


def mutate(line: bytes, how: Mutation) -> bytes:
    kind, at, width, junk = how
    at %= len(line) + 1
    if kind == "insert":
        return line[:at] + junk + line[at:]
    if kind == "delete":
        return line[:at] + line[at + width :]
    if kind == "replace":
        return line[:at] + junk + line[at + len(junk) :]
    if kind == "cut":
        return line[:at]
    if kind == "split":
        return line[:at] + b"\n" + line[at:]
    return line[:at] + line[at : at + width] * 2 + line[at + width :]


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
@FUZZ
@given(seed=st.integers(0, 2**16), damage=st.lists(st.tuples(st.integers(0, 39), mutations), min_size=1, max_size=4))
def test_any_damage_never_crashes_and_every_row_is_accounted_for(
    tmp_path: Path, csv: bool, seed: int, damage: list[tuple[int, Mutation]]
) -> None:
    lines = (as_csv if csv else as_jsonl)(records(seed, 40))
    for index, how in damage:
        lines[index] = mutate(lines[index], how)
    path = write(tmp_path / f"fuzz-{seed}.{'csv' if csv else 'jsonl'}", lines, csv)
    try:
        usage = run(path)
    except AicostError as exc:
        assert str(path) in str(exc) or "<stdin>" in str(exc), exc  # an error names the file
        return
    doc = balanced(usage)
    assert doc["rows_read"] == nonblank_records(path.read_bytes(), csv)


# ------------------------------------------------------------------------------------------ unusable lines


def _replace_count(line: bytes, value: str, csv: bool) -> bytes:
    if csv:
        cells = line.split(b",")
        cells[2] = value.encode()
        return b",".join(cells)
    record = json.loads(line)
    record["input_tokens"] = json.loads(value) if value[:1] in "-0123456789" else value
    return json.dumps(record).encode()


def _drop_model(line: bytes, csv: bool) -> bytes:
    if csv:
        cells = line.split(b",")
        cells[1] = b""
        return b",".join(cells)
    record = json.loads(line)
    del record["model"]
    return json.dumps(record).encode()


def _split_inside(line: bytes, at: int, csv: bool) -> bytes:
    """A newline inside the record, placed so that neither half is a record (for CSV: between the first
    and the last comma, so both halves have too few fields)."""
    if csv:
        first, last = line.index(b","), line.rindex(b",")
        at = first + 1 + at % max(1, last - first - 1)
    else:
        at = 1 + at % (len(line) - 2)
    return line[:at] + b"\n" + line[at:]


Unusable = Callable[[bytes, int, bool], bytes]
UNUSABLE: dict[str, tuple[Unusable, int]] = {  # how to damage a line, and how many rejected rows it makes
    "cut short": (lambda line, at, csv: line[: (line.rindex(b",") if csv else 1 + at % (len(line) - 2))], 1),
    "byte not UTF-8": (lambda line, at, csv: line[: at % len(line)] + b"\xff" + line[at % len(line) :], 1),
    "control character": (
        lambda line, at, csv: line[: 1 + at % (len(line) - 2)] + b"\x01" + line[1 + at % (len(line) - 2) :],
        1,
    ),
    "word for a count": (lambda line, at, csv: _replace_count(line, "lots", csv), 1),
    "negative count": (lambda line, at, csv: _replace_count(line, f"-{1 + at}", csv), 1),
    "fractional count": (lambda line, at, csv: _replace_count(line, f"{at}.5", csv), 1),
    "count beyond Int64": (lambda line, at, csv: _replace_count(line, str(2**63 + at), csv), 1),
    "no model": (lambda line, at, csv: _drop_model(line, csv), 1),
    "split in two": (_split_inside, 2),
    "garbage": (lambda line, at, csv: b"#" + bytes(range(32, 127))[at % 60 :], 1),
    "extra field": (lambda line, at, csv: line + (b",x" if csv else b"x"), 1),
}


@pytest.mark.parametrize("csv", [False, True], ids=["jsonl", "csv"])
@FUZZ
@given(
    seed=st.integers(0, 2**16),
    damage=st.dictionaries(
        st.integers(0, 59), st.tuples(st.sampled_from(sorted(UNUSABLE)), st.integers(0, 10_000)), min_size=1, max_size=3
    ),
)
def test_damaged_lines_are_rejected_and_intact_totals_are_exact(
    tmp_path: Path, csv: bool, seed: int, damage: dict[int, tuple[str, int]]
) -> None:
    # ~5% of 60 lines damaged; the rest must come out exactly as the clean log restricted to them
    rows = records(seed, 60)
    encode = as_csv if csv else as_jsonl
    lines = encode(rows)
    rejected = 0
    for index, (name, at) in damage.items():
        how, makes = UNUSABLE[name]
        lines[index] = how(lines[index], at, csv)
        rejected += makes
    suffix = "csv" if csv else "jsonl"
    damaged = run(write(tmp_path / f"damaged.{suffix}", lines, csv))
    intact = [r for i, r in enumerate(rows) if i not in damage]
    clean = run(write(tmp_path / f"intact.{suffix}", encode(intact), csv))
    doc = balanced(damaged)
    assert doc["rows_rejected"] == rejected, (doc["rejections"], damage)
    assert doc["rows_priced"] + doc["rows_unpriced"] == len(intact)
    assert totals(damaged) == totals(clean) == {c: sum(r.get(c, 1) for r in intact) for c in (*COUNTS, "requests")}
    assert damaged.priced["cost"].sum() == pytest.approx(clean.priced["cost"].sum(), rel=1e-12, abs=0)
