"""Layering rules the code keeps (STYLE.md §2): the library never depends on the CLI or on rich."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "aicost"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_cli_imports_typer_and_only_render_imports_rich() -> None:
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        imported = _imports(path)
        if "typer" in imported or "click" in imported:
            assert rel.startswith("cli/"), rel
        if "rich" in imported:
            assert rel.startswith("render/"), rel


def test_no_python_udfs_on_log_sized_frames() -> None:
    # map_elements / map_batches run Python per row or batch; the log-sized path stays in Polars expressions
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "map_elements" not in text and "map_batches" not in text, path
