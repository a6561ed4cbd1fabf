"""Webcam self-check in real headless Chromium with a fake camera that shows a FRONT view.

Chromium plays a Y4M file as its camera (``--use-file-for-fake-video-capture``, looped): a rendered
subject standing facing the camera (``sample_videos/standing_neutral_front.mp4``, in the repository).
The live path must find the person, the guided capture must pass "Face the camera" and then stay
at "Turn sideways" (with the hint to turn) because the person never turns, and end with a message
instead of moving on to the next step or a result.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from posture_cam import guided

from .conftest import BASE_FLAGS, AppServer, NetLog
from .helpers import FRONT_CLIP, shoot, write_y4m

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _phase(page) -> str:  # type: ignore[no-untyped-def]
    loc = page.locator("#guided-phase")
    return loc.first.inner_text() if loc.count() else ""


def test_guided_capture_front_view_stays_at_turn_sideways(
    app_server: AppServer, pw, chromium_path: Path, artifacts: Path, tmp_path: Path, server_checks: None
) -> None:
    from playwright.sync_api import expect

    y4m = write_y4m(FRONT_CLIP, tmp_path / "front.y4m", n_frames=30)
    # the app is reached on the machine's LAN address (aiortc's ICE skips 127.0.0.1), which is not a
    # secure origin: let Chromium expose getUserMedia there
    flags = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
        f"--unsafely-treat-insecure-origin-as-secure={app_server.url}",
    ]
    browser = pw.chromium.launch(executable_path=str(chromium_path), args=BASE_FLAGS + flags)
    ctx = browser.new_context(permissions=["camera"], viewport={"width": 1280, "height": 1400})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        page.goto(f"{app_server.url}/webcam", wait_until="networkidle")
        start = page.frame_locator("iframe[title^='streamlit_webrtc']").get_by_role("button", name="START")
        expect(start).to_be_visible(timeout=60_000)
        start.click()
        # the live path sees the person (the page's counter of frames with landmarks)
        counter = page.locator("#frames-with-landmarks")
        n, deadline = 0, time.monotonic() + 120
        while time.monotonic() < deadline and n < 10:
            if counter.count():
                n = int(re.sub(r"\D", "", counter.first.inner_text()) or 0)
            time.sleep(1.0)
        shoot(page, artifacts, "webcam_live")
        assert n >= 10, f"only {n} frames with landmarks reached the page"

        begin = page.get_by_role("button", name="Start guided capture")
        expect(begin).to_be_enabled(timeout=30_000)
        begin.click()
        # step 1 (face the camera) is held by the front view, so the capture reaches "Turn sideways"
        expect(page.locator("#guided-phase")).to_contain_text("Turn sideways", timeout=90_000)
        assert re.search(r"Step 2 of \d+", _phase(page)), _phase(page)
        # ... and stays there while the camera shows the front: the hint says to turn
        seen_hints, phases = set(), set()
        t_end = time.monotonic() + 12
        while time.monotonic() < t_end:
            phases.add(_phase(page))
            body = page.inner_text("body")
            seen_hints |= {h for h in (guided.TURN_SIDEWAYS, guided.TURN_FURTHER) if h in body}
            time.sleep(1.0)
        shoot(page, artifacts, "webcam_guided_turn_sideways")
        phases.discard("")
        assert phases and all("Turn sideways" in p and "Step 2 of" in p for p in phases), phases
        assert guided.TURN_SIDEWAYS in seen_hints, f"no 'turn sideways' hint seen (hints: {seen_hints})"
        # the step times out with a message; it never moves on to a next step or a result
        expect(page.locator("[data-testid=stAlertContentError]").first).to_be_visible(timeout=60_000)
        shoot(page, artifacts, "webcam_guided_timeout")
        body = page.inner_text("body")
        error = page.locator("[data-testid=stAlertContentError]").first.inner_text()
        assert 'Timed out at "Turn sideways"' in error, error
        assert "Guided capture complete" not in body
        assert "Result of the guided capture" not in body
        assert "Step 3 of" not in body
        assert "Traceback" not in body
        assert not net.server_errors(), net.server_errors()
        assert not net.external(app_server.own), net.external(app_server.own)
    finally:
        net.dump(artifacts / "webcam_requests.json")
        ctx.close()
        browser.close()
