"""Every page of the dashboard in real headless Chromium: nothing leaves the machine, no raw metric key.

Nothing leaves the machine, checked two ways:

* browser side: every request, response and web socket of the browser context (all pages, frames
  and the favicon) is recorded (:class:`conftest.NetLog`); any URL whose host is not this machine
  fails the test (``requests_*.json`` artefacts list them all);
* server side: the server runs under ``strace -f -e trace=connect,sendto,sendmsg`` (see
  ``conftest.py``), so a DNS query, HTTP request or datagram to another machine by the server or any
  of its threads and child processes fails the test, including the ones made at start-up (Streamlit's
  external IP lookup: ``browser.serverAddress`` in ``.streamlit/config.toml`` turns it off). A canary
  run under the same strace proves that an outbound attempt is seen. To check by hand::

      strace -f -e trace=connect,sendto,sendmsg -o /tmp/st.log make app   # then open every page
      grep -E 'inet_addr|inet_pton' /tmp/st.log | grep -v -E '"(127\\.|::1)'

  or run the server in an empty network namespace, where any outbound attempt fails
  (``unshare -n sh -c 'ip link set lo up; make app'`` as root) and read its log.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PAGES, AppServer, NetLog, _strace_prefix, parse_strace
from .helpers import (
    SAMPLES,
    catalogue_keys,
    open_page,
    raw_keys_in,
    shoot,
    sidebar_pages,
    visible_text,
    wait_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_no_outbound_request_from_any_page(
    app_server: AppServer, browser, artifacts: Path, server_checks: None
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        pages = sidebar_pages(page, app_server.url)
        assert set(PAGES.values()) <= set(pages.values()), pages
        for path in pages.values():
            open_page(page, app_server.url, path)
            page.wait_for_timeout(1_000)  # late requests: favicon, icon fonts, components
            shoot(page, artifacts, f"page_{path or 'home'}")
        # also by clicking through the sidebar (client-side navigation)
        for label in ("Video review", "About and sources", "Home"):
            page.locator("[data-testid=stSidebarNav]").get_by_text(label, exact=True).click()
            wait_app_idle(page)
        page.wait_for_timeout(1_000)
        assert len(net.requests) > 20, "the request log recorded (almost) nothing"
        external = net.external(app_server.own)
        assert not external, f"requests to other machines: {external}"
        assert not net.server_errors(), net.server_errors()
    finally:
        net.dump(artifacts / "requests_pages.json")
        ctx.close()


def test_server_makes_no_outbound_connection(app_server: AppServer, artifacts: Path) -> None:
    """The server's own sockets, from start-up to now: only this machine (needs strace)."""
    if app_server.strace_log is None:
        pytest.skip("strace missing or ptrace not permitted here: server-side check not possible")
    # canary: the same strace sees an attempt to reach another machine (a UDP connect sends nothing)
    canary_log = artifacts / "strace_canary.log"
    prefix = _strace_prefix(canary_log)
    assert prefix is not None
    code = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(('198.51.100.7', 9))"
    subprocess.run([*prefix, sys.executable, "-c", code], check=True)
    assert ("connect", "198.51.100.7", 9) in parse_strace(canary_log.read_text())
    # the server: started, served pages (and whatever other tests ran before)
    text = app_server.strace_log.read_text(errors="replace")
    assert "sendto(" in text or "connect(" in text, "strace recorded no socket call of the server"
    outbound = app_server.outbound()
    assert not outbound, f"the server contacted other machines: {outbound} (see {app_server.strace_log})"
    assert "Did not auto detect external IP" not in app_server.log_text()


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch output folder (posture-cam batch on one short rendered clip)."""
    out = tmp_path_factory.mktemp("batch_out")
    clip = SAMPLES / "standing_neutral_front.mp4"
    cmd = [sys.executable, "-m", "posture_cam.cli", "batch", str(clip), "--out", str(out), "--workers", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (out / "summary.csv").is_file()
    return out


def test_no_raw_metric_key_on_any_page(
    app_server: AppServer, browser, artifacts: Path, batch_dir: Path, server_checks: None
) -> None:
    """Page text against the catalogue's keys: a reader sees names ("Pelvic obliquity"), never
    ``pelvic_obliquity_deg``. (The result tabs of an analysis: test_review.py.)"""
    from playwright.sync_api import expect

    keys = catalogue_keys()
    assert "pelvic_obliquity_deg" in keys and "cadence_steps_per_min" in keys
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    net = NetLog(ctx)
    page = ctx.new_page()
    found: dict[str, list[str]] = {}
    try:
        for name, path in sidebar_pages(page, app_server.url).items():
            open_page(page, app_server.url, path)
            hits = raw_keys_in(visible_text(page), keys)
            if hits:
                found[name] = hits
        # the batch browser with a real batch folder open
        open_page(page, app_server.url, "batch")
        box = page.get_by_label("Batch output folder", exact=False).first
        box.fill(str(batch_dir))
        box.press("Enter")
        wait_app_idle(page)
        expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible(timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stDataFrame]')]"
            ".some(e => e.textContent.includes('standing_neutral_front'))",
            timeout=30_000,
        )
        page.wait_for_timeout(1_000)
        shoot(page, artifacts, "page_batch_open")
        hits = raw_keys_in(visible_text(page), keys)
        if hits:
            found["batch (folder open)"] = hits
        assert not found, f"raw metric keys shown (use the catalogue's names): {found}"
        assert not net.external(app_server.own), net.external(app_server.own)
    finally:
        net.dump(artifacts / "requests_raw_keys.json")
        ctx.close()
