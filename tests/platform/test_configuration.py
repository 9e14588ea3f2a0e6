import re
from pathlib import Path

from django.conf import settings
from django.core.checks import run_checks

ROOT = Path(settings.BASE_DIR)


def _variables_read() -> set[str]:
    settings_text = (ROOT / "inventory_project" / "settings.py").read_text()
    gunicorn_text = (ROOT / "gunicorn.conf.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_text))
    read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', gunicorn_text))
    return read


def test_env_example_documents_every_variable_the_project_reads():
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))

    missing = _variables_read() - documented

    assert _variables_read(), "the settings scan found no variables"
    assert not missing


def test_weak_secret_key_is_a_check_error_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.INSECURE_DEV_SECRET_KEY

    ids = {message.id for message in run_checks()}

    assert "inventory.E001" in ids


def test_strong_secret_key_passes_the_check_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50

    ids = {message.id for message in run_checks()}

    assert "inventory.E001" not in ids
