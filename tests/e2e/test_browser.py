"""End-to-end in real headless Chromium: upload a video and see findings; webcam with a fake camera."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import BASE_FLAGS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.media]


def write_y4m(src: Path, dst: Path, *, n_frames: int = 60, size: tuple[int, int] = (640, 480)) -> Path:
    """Y4M (yuv420p, 30 fps) of the first frames of ``src``, letterboxed: Chromium's fake camera."""
    import av
    import cv2

    from posture_cam.video import iter_frames

    w, h = size
    with open(dst, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for fr, _ in zip(iter_frames(src), range(n_frames), strict=False):
            ih, iw = fr.rgb.shape[:2]
            s = min(w / iw, h / ih)
            small = cv2.resize(fr.rgb, (round(iw * s) // 2 * 2, round(ih * s) // 2 * 2))
            canvas = np.zeros((h, w, 3), np.uint8)
            y0, x0 = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
            canvas[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
            yuv = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p").to_ndarray()
            fh.write(b"FRAME\n" + np.ascontiguousarray(yuv).tobytes())
    return dst


def _launch(pw, chromium_path: Path, extra: list[str]):  # type: ignore[no-untyped-def]
    return pw.chromium.launch(executable_path=str(chromium_path), args=BASE_FLAGS + extra)


def test_upload_video_shows_findings(
    app_url: str, chromium_path: Path, shared_data: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    clip = shared_data / "standing" / "single_leg_balance_front_vp9.mp4"
    with sync_playwright() as pw:
        browser = _launch(pw, chromium_path, [])
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(f"{app_url}/review", wait_until="networkidle")
        expect(page.get_by_role("heading", name="Video review")).to_be_visible(timeout=30_000)
        page.locator("input[type=file]").first.set_input_files(str(clip))
        page.get_by_role("button", name="Analyse").click()
        expect(page.get_by_text("View detected")).to_be_visible(timeout=240_000)
        tab = page.get_by_role("tab", name="Findings")
        expect(tab).to_be_visible()
        body = page.inner_text("body")
        assert "Traceback" not in body
        assert re.search(r"Flagged / borderline\s+\d+ / \d+", body)
        assert "single_leg_balance_front_vp9.mp4" in body  # the user's file name, not a cache name
        assert re.search(r"(FLAGGED|BORDERLINE): |No flagged or borderline findings", body)
        assert "could not be assessed" in body or "Checked and not flagged" in body
        shot = tmp_path / "review.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000
        # unreadable upload: a one-line error, no traceback
        bad = tmp_path / "broken.mp4"
        bad.write_bytes(b"not a video" * 500)
        page.locator("input[type=file]").first.set_input_files(str(bad))
        page.get_by_role("button", name="Analyse").click()
        expect(page.locator("[data-testid=stAlertContentError]").first).to_be_visible(timeout=60_000)
        assert "Traceback" not in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "review_error.png"), full_page=True)
        browser.close()


def test_webcam_fake_camera_produces_landmarks(
    app_url: str, chromium_path: Path, shared_data: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    y4m = write_y4m(shared_data / "standing" / "single_leg_balance_front_vp9.mp4", tmp_path / "cam.y4m")
    # the app is reached on the machine's LAN address (aiortc's ICE skips 127.0.0.1), which is not a
    # secure origin: let Chromium expose getUserMedia there
    flags = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
        f"--unsafely-treat-insecure-origin-as-secure={app_url}",
    ]
    with sync_playwright() as pw:
        browser = _launch(pw, chromium_path, flags)
        ctx = browser.new_context(permissions=["camera"], viewport={"width": 1280, "height": 1200})
        page = ctx.new_page()
        page.goto(f"{app_url}/webcam", wait_until="networkidle")
        frame = page.frame_locator("iframe[title^='streamlit_webrtc']")
        start = frame.get_by_role("button", name="START")
        expect(start).to_be_visible(timeout=60_000)
        start.click()
        counter = page.locator("#frames-with-landmarks")
        n = 0
        seen = []
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if counter.count():
                txt = counter.first.inner_text()
                n = int(re.sub(r"\D", "", txt) or 0)
                seen.append(page.locator("p:has(#frames-with-landmarks)").first.inner_text())
                if n >= 20:
                    break
            time.sleep(1.0)
        page.screenshot(path=str(tmp_path / "webcam.png"), full_page=True)
        assert n >= 20, f"only {n} frames with landmarks reached the page: {seen[-5:]}"
        assert "Traceback" not in page.inner_text("body")
        browser.close()
