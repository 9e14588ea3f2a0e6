"""Audit the three hash-pinned requirement files for known vulnerabilities with pip-audit.

pip-audit (pinned in requirements-dev.txt) reads each compiled file as it is (`--require-hashes
--disable-pip`: nothing is resolved or installed) and asks its default service, PyPI's JSON API,
for the advisories of every pinned release (`https://pypi.org/pypi/<name>/<version>/json`).

- A known vulnerability in any of the three sets fails: exit status 1, with the table of what is
  affected and the releases that fix it. Fix it in the .in file and `make lock`; an advisory
  that cannot apply here may be waived with PIP_AUDIT_IGNORE="ID ID..." and a reason in the
  commit.
- When the service cannot be reached, or cannot answer for some package, that is no verdict: the
  script says so loudly (a banner naming the packages not audited) and exits 0, so an outage
  never turns CI red. AUDIT_REQUIRED=1 makes it exit 2 instead, for runs that must audit.

There is no offline fallback: neither PyPI's per-release answers nor another advisory source
(OSV) is reachable from this project's machines, so a vendored advisory snapshot could be
neither built nor refreshed here, and a stale one would pass silently. Run with network access
to PyPI's JSON API to get a verdict.

Usage: .venv/bin/python .ci/audit.py [requirements files...] (default: the three sets)
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ("requirements.txt", "requirements-dev.txt", "requirements-bench.txt")
PROBE_TIMEOUT_SECONDS = 20


def first_pin(path: Path) -> tuple[str, str]:
    """The first `name==version` of a compiled requirements file."""
    for line in path.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith(("#", "-")):
            name, version = line.split("==", 1)
            return name.split("[")[0].strip(), version.split()[0].rstrip("\\").strip()
    raise SystemExit(f"{path.name}: no pinned package in it")


def service_answers(name: str, version: str) -> str | None:
    """None when PyPI's JSON API answers for one pinned release, else why it does not."""
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS) as answer:  # noqa: S310
            json.load(answer)
    except urllib.error.HTTPError as error:
        return f"{url} answered {error.code}"
    except (OSError, ValueError) as error:
        return f"{url}: {error}"
    return None


def audit(path: Path, pip_audit: Path) -> tuple[list[tuple[str, str, dict]], list[str], str]:
    """(vulnerabilities, packages not audited, error) of one compiled file."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [
            str(pip_audit),
            "--requirement",
            str(path),
            "--require-hashes",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(report),
        ]
        for vuln_id in os.environ.get("PIP_AUDIT_IGNORE", "").split():
            command += ["--ignore-vuln", vuln_id]
        run = subprocess.run(command, capture_output=True, text=True, check=False)
        if not report.exists():
            return [], [], (run.stderr or run.stdout).strip()[-2000:]
        dependencies = json.loads(report.read_text())["dependencies"]
    found = [
        (dep["name"], dep["version"], vuln) for dep in dependencies for vuln in dep.get("vulns", [])
    ]
    skipped = [
        f"{dep['name']} ({dep.get('skip_reason', '?')})"
        for dep in dependencies
        if "skip_reason" in dep
    ]
    return found, skipped, ""


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("!" * width, *(f"! {line}" for line in lines), "!" * width, sep="\n", file=sys.stderr)


def main(argv: list[str], pip_audit: Path | None = None) -> int:
    paths = [Path(arg) for arg in argv] or [ROOT / name for name in FILES]
    pip_audit = pip_audit or Path(sys.executable).with_name("pip-audit")
    if not pip_audit.exists():
        print("pip-audit is not installed: make test installs it (requirements-dev.txt)")
        return 2
    strict = os.environ.get("AUDIT_REQUIRED") == "1"
    unaudited_status = 2 if strict else 0

    reason = service_answers(*first_pin(paths[0]))
    if reason:
        banner(
            [
                "DEPENDENCIES NOT AUDITED: pip-audit's vulnerability service (PyPI's JSON API)",
                f"cannot be reached from here: {reason}.",
                "No known-vulnerability check ran on " + ", ".join(p.name for p in paths) + ".",
                "AUDIT_REQUIRED=1 makes this fail (exit 2); see .ci/audit.py.",
            ]
        )
        return unaudited_status

    vulnerable, unaudited = False, []
    for path in paths:
        found, skipped, error = audit(path, pip_audit)
        if error:
            unaudited.append(f"{path.name}: pip-audit failed: {error}")
            continue
        unaudited += [f"{path.name}: {entry}" for entry in skipped]
        if found:
            vulnerable = True
            print(f"{path.name}: known vulnerabilities")
            for name, version, vuln in found:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
                aliases = ", ".join(vuln.get("aliases", []))
                print(f"  {name} {version}: {vuln['id']} ({aliases}); fixed in: {fixes}")
        else:
            print(f"{path.name}: no known vulnerabilities")
    if unaudited:
        banner(["SOME DEPENDENCIES NOT AUDITED (no answer from the service):", *unaudited])
    if vulnerable:
        return 1
    return unaudited_status if unaudited else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
