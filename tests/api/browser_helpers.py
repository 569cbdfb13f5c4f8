"""Debian chromium for the Playwright tests (never a downloaded browser, never skipped)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

#: the flags every browser test starts chromium with; `--lang` is added where a test reads the browser's
#: own controls in Dutch
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch_chromium(args: list[str] = ARGS, env: dict | None = None) -> Iterator:
    """A module fixture's body: Debian chromium started by Playwright, closed afterwards."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian chromium is not installed: run `make browser` (apt-get install chromium) — "
                    "the browser tests are never skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=args, **({"env": env} if env else {}))
        yield b
        b.close()
