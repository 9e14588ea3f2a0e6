"""Start-up: commands and web workers do not import the forecasting libraries they do not use.

NumPy, pandas, statsforecast and matplotlib cost a second and more to import; only the code
that forecasts or draws loads them. Each case runs in a fresh interpreter, as cron and the web
server start one, and reports which of them ended up in `sys.modules`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_ROOT = Path(settings.BASE_DIR)
HEAVY = ("numpy", "pandas", "statsforecast", "matplotlib", "scipy", "statsmodels", "pyarrow")

RUN_COMMAND = """
import json, sys
from django.core.management import execute_from_command_line
try:
    execute_from_command_line(["manage.py", *sys.argv[1:]])
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(set(sys.modules) & set(HEAVY))))
"""

WEB_WORKER = """
import json, sys
from django.contrib import admin
from django.test import Client
from django.urls import get_resolver
from inventory_project.wsgi import application

get_resolver().url_patterns
assert admin.site._registry
client = Client()
assert client.get("/api/health").status_code == 200
assert client.get("/admin/login/").status_code == 200
print(json.dumps(sorted(set(sys.modules) & set(HEAVY))))
"""


def heavy_imports(tmp_path: Path, script: str, *args: str) -> list[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{script}", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["help"],
        ["maintenance", "--help"],
        ["watchdog", "--help"],
        ["send_forecast_report", "--help"],
        ["import_inventory", "--help"],
        ["import_usage", "--help"],
    ],
    ids=" ".join,
)
def test_a_command_that_does_not_forecast_imports_no_forecasting_library(tmp_path, command):
    assert heavy_imports(tmp_path, RUN_COMMAND, *command) == []


def test_a_web_worker_answers_its_first_requests_without_the_forecasting_libraries(tmp_path):
    assert heavy_imports(tmp_path, WEB_WORKER) == []
