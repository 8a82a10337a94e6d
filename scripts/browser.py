"""Headless Chromium from Debian's packages, driven by Selenium: the report's screenshot and its test.

Debian's `chromium` and `chromium-driver` are used as installed (apt), never a browser or driver
that Selenium would download: the service is given the driver's path, so Selenium Manager is not
called. `ensure_chromium` installs both when they are missing (root, or sudo). The browser is
told to resolve no host name, so a page that tried to load anything from the network would fail
to, and `network_requests` would list the attempt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEBIAN_PACKAGES = ["chromium", "chromium-driver"]
WINDOW = (1280, 900)


class BrowserError(Exception):
    """Chromium or its driver is missing and cannot be installed; the message says what to do."""


def ensure_chromium() -> None:
    """Install Debian's chromium and its driver unless both are there."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    install = ["apt-get", "install", "-y", "-q", *DEBIAN_PACKAGES]
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    if shutil.which("apt-get") is None or (prefix and shutil.which("sudo") is None):
        raise BrowserError(f"{CHROMIUM} or {CHROMEDRIVER} is missing: install {' '.join(DEBIAN_PACKAGES)} (Debian)")
    for command in (["apt-get", "update", "-q"], install):
        result = subprocess.run(prefix + command, capture_output=True, text=True)
        if result.returncode != 0:
            raise BrowserError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium under Selenium, offline; quit when the block ends."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # runs as root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: no host name resolves
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def network_requests(driver) -> list[str]:
    """Every resource the open page fetched (it should be none: the page is self-contained)."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")


def save_full_page(driver, image: Path) -> Path:
    """The whole page, top to bottom, as a PNG."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    # the viewport itself, not the window around it, made as tall as the page (Chrome DevTools)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WINDOW[0], "height": max(height, WINDOW[1]), "deviceScaleFactor": 1, "mobile": False},
    )
    image.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(image))
    return image


def full_page_screenshot(page: Path, image: Path) -> Path:
    with chromium() as driver:
        driver.get(page.resolve().as_uri())
        return save_full_page(driver, image)
