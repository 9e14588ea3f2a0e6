"""`.ci/audit.py`'s verdicts, with a stand-in for pip-audit (its service is not reachable from
every machine): a known vulnerability fails, an unreachable service is a banner and no failure
unless AUDIT_REQUIRED=1."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
VULN = {"id": "PYSEC-2099-1", "fix_versions": ["9.9"], "aliases": ["CVE-2099-1"]}


@pytest.fixture
def audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_pip_audit(tmp_path: Path, dependencies: list[dict]) -> Path:
    """An executable that writes pip-audit's JSON report (`--output FILE`) of `dependencies`."""
    script = tmp_path / "pip-audit"
    report = json.dumps({"dependencies": dependencies, "fixes": []})
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "out = sys.argv[sys.argv.index('--output') + 1]\n"
        f"open(out, 'w').write({report!r})\n"
        f"sys.exit({1 if any(dep.get('vulns') for dep in dependencies) else 0})\n"
    )
    script.chmod(0o755)
    return script


@pytest.fixture
def requirements(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("demo==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    return path


def test_a_known_vulnerability_fails(audit_module, tmp_path, requirements, monkeypatch, capsys):
    monkeypatch.setattr(audit_module, "service_answers", lambda name, version: None)
    tool = fake_pip_audit(tmp_path, [{"name": "demo", "version": "1.0", "vulns": [VULN]}])

    assert audit_module.main([str(requirements)], pip_audit=tool) == 1
    assert "demo 1.0: PYSEC-2099-1 (CVE-2099-1); fixed in: 9.9" in capsys.readouterr().out


def test_no_known_vulnerability_passes(audit_module, tmp_path, requirements, monkeypatch, capsys):
    monkeypatch.setattr(audit_module, "service_answers", lambda name, version: None)
    tool = fake_pip_audit(tmp_path, [{"name": "demo", "version": "1.0", "vulns": []}])

    assert audit_module.main([str(requirements)], pip_audit=tool) == 0
    assert "requirements.txt: no known vulnerabilities" in capsys.readouterr().out


@pytest.mark.parametrize(("required", "status"), [(None, 0), ("1", 2)])
def test_an_unreachable_service_is_said_loudly_and_fails_only_when_required(
    audit_module, tmp_path, requirements, monkeypatch, capsys, required, status
):
    if required:
        monkeypatch.setenv("AUDIT_REQUIRED", required)
    else:
        monkeypatch.delenv("AUDIT_REQUIRED", raising=False)
    probed = []
    monkeypatch.setattr(
        audit_module,
        "service_answers",
        lambda name, version: probed.append((name, version)) or "answered 404",
    )
    tool = fake_pip_audit(tmp_path, [])

    assert audit_module.main([str(requirements)], pip_audit=tool) == status
    assert probed == [("demo", "1.0")]
    assert "DEPENDENCIES NOT AUDITED" in capsys.readouterr().err


@pytest.mark.parametrize(("required", "status"), [(None, 0), ("1", 2)])
def test_packages_the_service_cannot_answer_for_are_listed(
    audit_module, tmp_path, requirements, monkeypatch, capsys, required, status
):
    if required:
        monkeypatch.setenv("AUDIT_REQUIRED", required)
    else:
        monkeypatch.delenv("AUDIT_REQUIRED", raising=False)
    monkeypatch.setattr(audit_module, "service_answers", lambda name, version: None)
    tool = fake_pip_audit(tmp_path, [{"name": "demo", "skip_reason": "not found"}])

    assert audit_module.main([str(requirements)], pip_audit=tool) == status
    assert "requirements.txt: demo (not found)" in capsys.readouterr().err


def test_the_probe_asks_for_a_release_the_file_pins(audit_module):
    name, version = audit_module.first_pin(ROOT / "requirements.txt")
    assert f"\n{name}=={version} \\\n" in (ROOT / "requirements.txt").read_text()
