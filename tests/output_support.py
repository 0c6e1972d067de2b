"""Small price-table folders for `prices diff` and `prices update` tests: bundled tables copied, a price edited."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import BUNDLED_PRICING

# an aicost TOML source for `prices update`: one model the tables have at another price, one they lack
SOURCE_TABLE = """schema = "aicost.prices/1"

[provider]
id = "deepseek"

[source]
name = "acme-negotiated"
retrieved_at = 2026-11-20T00:00:00Z

[[model]]
id = "deepseek-chat"
match = { equals = "deepseek-chat" }

[[model.price]]
input = 0.1
output = 0.5

[[model]]
id = "acme-finetune-1"
match = { equals = "ft:acme:1" }

[[model.price]]
input = 3.75
output = 15.0
"""


@dataclass
class Tables:
    """old: deepseek and meta as bundled; new: deepseek-chat's input price edited, meta gone; source: a folder
    with SOURCE_TABLE."""

    old: Path
    new: Path
    source: Path


def make_tables(root: Path) -> Tables:
    old, new, source = root / "old", root / "new", root / "source"
    for folder in (old, new, source):
        folder.mkdir(parents=True)
    for name in ("deepseek.toml", "meta.toml"):
        shutil.copy(BUNDLED_PRICING / name, old / name)
    text = (old / "deepseek.toml").read_text()
    assert "\ninput = 0.135\n" in text  # deepseek-chat's first rate
    (new / "deepseek.toml").write_text(text.replace("\ninput = 0.135\n", "\ninput = 0.2\n", 1))
    (source / "acme.toml").write_text(SOURCE_TABLE)
    return Tables(old=old, new=new, source=source)
