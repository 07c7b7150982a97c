"""A pattern ending in ``$`` also matches before a trailing newline (PITFALLS): validating
patterns are applied with ``fullmatch``, and searches anchor the end with ``\\Z``.

The source is read, not imported, so a new ``.match(`` anywhere fails this test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("diary", "scoring", "notifications")
                 for p in (ROOT / folder).rglob("*.py"))
ALLOWED = {"fullmatch", "pattern", "groupindex", "flags"}


def _ends_with_dollar(pattern: str) -> bool:
    return pattern.endswith("$") and not pattern.endswith("\\$")


def _problems(tree: ast.AST) -> list[str]:
    anchored: set[str] = set()
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func, args = node.func, node.args
            if func.attr == "match":
                problems.append(f"line {node.lineno}: .match() (use fullmatch)")
            literal = args[0].value if args and isinstance(args[0], ast.Constant) else None
            if (isinstance(func.value, ast.Name) and func.value.id == "re"
                    and isinstance(literal, str) and _ends_with_dollar(literal)):
                if func.attr == "compile":
                    continue
                problems.append(f"line {node.lineno}: re.{func.attr} with a $ pattern")
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if (isinstance(call.func, ast.Attribute) and call.func.attr == "compile"
                    and call.args and isinstance(call.args[0], ast.Constant)
                    and isinstance(call.args[0].value, str)
                    and _ends_with_dollar(call.args[0].value)):
                anchored |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in anchored and node.attr not in ALLOWED):
            problems.append(f"line {node.lineno}: {node.value.id}.{node.attr} on a $ pattern")
    return problems


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_pattern_accepts_a_trailing_newline(path):
    assert _problems(ast.parse(path.read_text("utf-8"))) == []


def test_the_check_itself_catches_match_and_search_on_dollar_patterns():
    source = ('import re\nA = re.compile(r"^a$")\nA.search(x)\nA.fullmatch(x)\n'
              're.search(r"b$", x)\nB.match(x)\n')
    assert _problems(ast.parse(source)) == [
        "line 5: re.search with a $ pattern", "line 6: .match() (use fullmatch)",
        "line 3: A.search on a $ pattern"]
    assert re.match(r"^A-\d+$", "A-001\n") and not re.fullmatch(r"^A-\d+$", "A-001\n")
