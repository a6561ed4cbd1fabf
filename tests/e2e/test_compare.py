"""Compare sessions page in real headless Chromium (issue 17): two analyses side by side, both videos
play, the comparison table shows the measurements in words.

The two sessions are the committed renders ``standing_neutral_side`` and ``forward_head_chain_side``
(same view, a large change of the craniovertebral angle), analysed here into a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import AppServer, NetLog
from .helpers import SAMPLES, open_page, shoot, visible_text, wait_app_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from posture_cam.pipeline import analyze_file

    root = tmp_path_factory.mktemp("sessions")
    a = analyze_file(SAMPLES / "standing_neutral_side.mp4", root / "before").out_dir
    b = analyze_file(SAMPLES / "forward_head_chain_side.mp4", root / "after").out_dir
    assert a is not None and b is not None
    return a, b


def test_side_by_side_view_plays_both_sessions(
    app_server: AppServer, browser, artifacts: Path, server_checks: None, two_sessions: tuple[Path, Path]
) -> None:
    from playwright.sync_api import expect

    a, b = two_sessions
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        open_page(page, app_server.url, "compare")
        page.get_by_role("tab", name="Analysis folders", exact=True).click()
        page.get_by_label("Analysis folders, one per line, oldest first (each holds a result.json)").fill(
            f"{a}\n{b}"
        )
        page.get_by_role("button", name="Use these folders").click()
        wait_app_idle(page, 120_000)
        videos = page.locator("[data-testid=stMain] video")
        expect(videos.nth(1)).to_be_visible(timeout=60_000)
        assert videos.count() == 2
        for i in range(2):
            page.wait_for_function(
                f"() => {{ const v = document.querySelectorAll('[data-testid=stMain] video')[{i}];"
                " return v && v.readyState >= 2 }",
                timeout=30_000,
            )
        # the comparison table is drawn on a canvas; its accessible grid fills in after the rerun
        expect(page.locator("[data-testid=stDataFrame]").first).to_contain_text(
            "Craniovertebral", timeout=60_000
        )
        text = visible_text(page)
        assert "Side by side" in text and "What changed" in text
        assert "Craniovertebral" in text
        assert "craniovertebral_angle_deg" not in text
        shoot(page, artifacts, "compare_side_by_side")
        assert not net.server_errors(), net.server_errors()
    finally:
        net.dump(artifacts / "compare_requests.json")
        ctx.close()
