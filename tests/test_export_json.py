"""JSON output is exactly what Python's `json.dumps(indent=2, ensure_ascii=False)` writes (the reference),
with NaN and infinities as null, whatever the document holds."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from aicost.export import to_json_bytes

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # any code point: quotes, backslashes, control characters, U+2028, astral planes
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def _reference(document: Any) -> bytes:
    def finite(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [finite(v) for v in value]
        return value

    return (json.dumps(finite(document), indent=2, ensure_ascii=False) + "\n").encode()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), DOCUMENTS, max_size=6))
def test_json_is_what_json_dumps_indent_2_writes(document: dict[str, Any]) -> None:
    assert to_json_bytes(document) == _reference(document)


def test_dates_and_paths_as_text() -> None:
    document = {"as_of": dt.datetime(2026, 11, 29, tzinfo=dt.UTC), "day": dt.date(2026, 11, 2), "in": Path("/x")}
    expected = {"as_of": "2026-11-29T00:00:00+00:00", "day": "2026-11-02", "in": "/x"}
    assert to_json_bytes(document) == _reference(expected)
