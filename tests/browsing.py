"""Real headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright.

`browser` is a pytest fixture (one Chromium per test module, started with the flags this machine's closed network
needs); `open_map` opens a built page and waits for its script, collecting the requests and console errors.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the README's test command does)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def wait_for_map(page: Page, timeout_s: float = 15.0) -> None:
    """Wait until the page's script has set up the map.

    Polled from here with ``evaluate`` (run by the DevTools protocol), not with
    ``wait_for_function``, whose in-page polling compiles a string, which the
    page's Content-Security-Policy rightly refuses (no ``unsafe-eval``).
    """
    deadline = time.monotonic() + timeout_s
    while not page.evaluate("window.resourceMap !== undefined"):
        if time.monotonic() > deadline:
            pytest.fail(f"the map did not set up within {timeout_s} s")
        time.sleep(0.02)


def open_map(browser: Browser, path: Path) -> Opened:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    opened = Opened(page)
    page.on("request", lambda r: opened.requests.append(r.url))
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    wait_for_map(page)
    return opened
