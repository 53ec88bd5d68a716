"""Layout rules of ENGINEERING.md that a test can hold."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "redstation"


def test_nothing_outside_gui_imports_pyside6():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if "gui" not in p.relative_to(PACKAGE).parts
                 and re.search(r"^\s*(from|import)\s+PySide6", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_gui_never_runs_sql():
    offenders = [str(p.relative_to(PACKAGE)) for p in (PACKAGE / "gui").rglob("*.py")
                 if re.search(r"\.execute(many)?\(|import sqlite3", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_pyside6_stays_below_6_12():
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    pins = re.findall(r'"PySide6[-\w]*[<>=~!][^"]*"', pyproject, re.I)
    assert pins and all("<6.12" in pin for pin in pins)


def test_nothing_imports_qt_charts():
    """Open-source Qt Charts is GPL-3 only and RedStation is proprietary: the charts are our own (gui/charts.py)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + ["{m}.{n}".format(m=node.module, n=alias.name) for alias in node.names]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if re.fullmatch(r"PySide6\.QtCharts\w*", node.value) else []   # importlib
            else:
                continue
            if any(re.search(r"(^|\.)QtCharts\b", name) for name in names):
                offenders.append("{p}:{n}".format(p=path.relative_to(PACKAGE), n=node.lineno))
    assert offenders == []
