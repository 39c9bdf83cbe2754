"""Data flows one way (STYLE.md): sources -> inventory -> rules -> results -> reports.

A rule never imports a source or a report; a report never imports a rule or a source;
the shared libraries import neither rules nor sources nor reports.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "rules": ("scanner.sources", "scanner.scan", "scanner.cli", "scanner.demo", "reports"),
    "reports": ("rules", "scanner.sources", "scanner.scan", "scanner.engine", "scanner.demo"),
    "scanner/lib": ("rules", "reports", "scanner.sources", "scanner.scan", "scanner.engine", "scanner.cli"),
    "scanner/sources": ("rules", "reports", "scanner.engine", "scanner.scan", "scanner.cli"),
    "scanner/model.py": ("rules", "reports", "scanner.sources", "scanner.engine"),
    "scanner/results.py": ("rules", "reports", "scanner.sources", "scanner.engine", "scanner.scan"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _files(where: str) -> list[Path]:
    target = ROOT / where
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


@pytest.mark.parametrize("where", sorted(FORBIDDEN))
def test_imports_flow_one_way(where):
    bad = []
    for path in _files(where):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[where]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_check_sees_real_imports():
    assert "scanner.lib.trails" in _imports(ROOT / "rules/cloudtrail/ct001_account_coverage.py")
