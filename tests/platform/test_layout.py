"""README's "Layout" section names every package of the project, and the layers hold.

A package is a folder with an `__init__.py`, apart from migrations, management commands and
the tests' own folders; adding one without saying what it owns fails here.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["inventory_project", "accounts", "items", "inventory", "forecasting"]
SKIPPED_PARTS = {"migrations", "management", "commands", "tests", "bench", ".venv", "static"}


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def _packages() -> list[str]:
    found = []
    for layer in LAYERS:
        for init in (ROOT / layer).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT).parts
            if not SKIPPED_PARTS.intersection(parts):
                found.append("/".join(parts) + "/")
    return sorted(found)


def test_the_layout_section_names_every_package():
    named = set(re.findall(r"`([\w/]+/)`", _layout_section()))

    missing = [package for package in _packages() if package not in named]

    assert _packages(), "no packages found: the test looks in the wrong place"
    assert missing == []


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
    return modules & set(LAYERS)


def test_no_module_imports_a_layer_above_its_own():
    upward = []
    for rank, layer in enumerate(LAYERS):
        above = set(LAYERS[rank + 1 :])
        for path in (ROOT / layer).rglob("*.py"):
            relative = path.relative_to(ROOT)
            # The root URLconf and the jobs' routes mount the apps' routes: wiring, not logic.
            if relative.as_posix() in {
                "inventory_project/urls.py",
                "inventory_project/jobs/urls.py",
            }:
                continue
            if "migrations" in relative.parts:
                continue
            wrong = _imported_layers(path) & above
            if wrong:
                upward.append(f"{relative}: {sorted(wrong)}")

    assert upward == []
