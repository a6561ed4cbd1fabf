"""End-to-end in real headless Chromium on a real third-party recording: upload a video, see
findings; an unreadable upload gives a one-line error. (The webcam with a fake camera:
test_webcam.py; playback and downloads: test_review.py; privacy and raw keys: test_pages.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import AppServer, NetLog
from .helpers import analyse_upload, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.media]


def test_upload_video_shows_findings(
    app_server: AppServer, browser, shared_data: Path, artifacts: Path, tmp_path: Path, server_checks: None
) -> None:
    from playwright.sync_api import expect

    clip = shared_data / "standing" / "single_leg_balance_front_vp9.mp4"
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        analyse_upload(page, app_server.url, clip)
        expect(page.get_by_role("tab", name="Findings")).to_be_visible()
        # the user's file name, not a cache name (the result header names the recording)
        expect(page.locator("[data-testid=stMain]")).to_contain_text(
            "single_leg_balance_front_vp9.mp4", timeout=30_000
        )
        body = page.inner_text("body")
        assert "Traceback" not in body
        assert re.search(r"FLAGGED|BORDERLINE|[Nn]o flagged|could not be assessed|[Nn]othing could", body)
        shoot(page, artifacts, "real_clip_review")
        # unreadable upload: a one-line error, no traceback
        bad = tmp_path / "broken.mp4"
        bad.write_bytes(b"not a video" * 500)
        page.locator("input[type=file]").first.set_input_files(str(bad))
        # wait until the upload has replaced the first file (its chip), as analyse_upload does: a click
        # before that could re-run the previous, valid upload and no error came (CI on 723c816)
        expect(page.get_by_role("button", name=f"Remove {bad.name}")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Analyse").click()
        expect(page.locator("[data-testid=stAlertContentError]").first).to_be_visible(timeout=60_000)
        assert "Traceback" not in page.inner_text("body")
        shoot(page, artifacts, "real_clip_review_error")
        assert not net.server_errors(), net.server_errors()
    finally:
        net.dump(artifacts / "real_clip_requests.json")
        ctx.close()
