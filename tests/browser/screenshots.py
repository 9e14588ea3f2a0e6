"""Where the browser tests' screenshots go (README.md, "Tests"): CI keeps them as artefacts."""

import os
import re
import warnings
from pathlib import Path

from django.db import connection

SCREENSHOT_DIR = Path(
    os.environ.get("BROWSER_SCREENSHOT_DIR")
    or Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
)


def screenshot_path(node, step: str) -> Path:
    # One folder per database, so the two CI stages keep each other's pictures; the module in
    # the name, so two modules' tests of the same name keep theirs.
    folder = SCREENSHOT_DIR / connection.vendor
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{node.module.__name__.rsplit('.', 1)[-1]}--{node.name}--{step}"
    return folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def screenshot_of_the_end(browser, screenshot) -> None:
    """The page the test ended on, once (a fixture that resizes the window takes it first)."""
    if "end" in screenshot.taken:
        return
    try:
        screenshot(browser, "end")
    except Exception as error:  # an open alert, a crashed tab: no picture, the rest goes on
        warnings.warn(f"no end screenshot: {error}", stacklevel=1)
