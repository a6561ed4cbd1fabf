"""Browser fixtures: the dashboard served by ``streamlit run`` on a free port, headless Chromium.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright for Python (no browser
download: ``executable_path='/usr/bin/chromium'``). Tests skip with the reason when either is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("POSTURE_CAM_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
BASE_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return int(s.getsockname()[1])


def _host_address() -> str:
    """A non-loopback address of this machine (aiortc's ICE skips 127.0.0.1), else localhost."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright (python) not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def app_url(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    host = _host_address()
    env = os.environ.copy()
    env["POSTURE_CAM_CACHE_DIR"] = str(tmp_path_factory.mktemp("app_cache"))
    log = tmp_path_factory.mktemp("app_log") / "streamlit.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(REPO / "streamlit_app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "0.0.0.0",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
