"""Video review in real headless Chromium: upload -> analysis -> the annotated video plays; the
report build keeps the Downloads tab; no raw metric key on any result tab.

Uses a rendered walk from ``sample_videos/`` (in the repository), so it runs in a fresh clone.
Every response is recorded: any 5xx fails, so does a traceback in the server log.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import AppServer, NetLog
from .helpers import (
    RESULT_TABS,
    WALK_CLIP,
    analyse_upload,
    catalogue_keys,
    open_tab,
    raw_keys_in,
    shoot,
    tab_names,
    visible_text,
    wait_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_upload_analysis_playback_plays(
    app_server: AppServer, browser, artifacts: Path, server_checks: None
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        analyse_upload(page, app_server.url, WALK_CLIP)
        shoot(page, artifacts, "review_findings")
        open_tab(page, "Playback")
        video = page.locator("[data-testid=stMain] video").first
        expect(video).to_be_visible(timeout=30_000)
        # the media element has fetched enough of the file to show the current frame ...
        page.wait_for_function(
            "() => { const v = document.querySelector('[data-testid=stMain] video');"
            " return v && v.readyState >= 2 }",
            timeout=30_000,
        )
        state = page.evaluate(
            "() => { const v = document.querySelector('[data-testid=stMain] video');"
            " return {src: v.currentSrc, error: v.error && v.error.code, duration: v.duration,"
            " width: v.videoWidth, height: v.videoHeight, t: v.currentTime} }"
        )
        assert state["error"] is None, state
        assert state["width"] > 0 and state["height"] > 0, state
        assert state["duration"] > 1.0, state  # the 4 s clip, not an empty file
        # ... and time moves on once it plays (muted: autoplay policy)
        page.evaluate(
            "async () => { const v = document.querySelector('[data-testid=stMain] video');"
            " v.muted = true; await v.play(); }"
        )
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=stMain] video').currentTime > {state['t']} + 0.5",
            timeout=20_000,
        )
        shoot(page, artifacts, "review_playback")
        media = [r for r in net.responses if re.search(r"/media/[^?]*\.mp4", r["url"])]
        assert media, f"no video request recorded: {net.responses[-10:]}"
        assert all(r["status"] in (200, 206) for r in media), media
        assert not net.server_errors(), net.server_errors()
        # (Chromium cancels its first whole-file request once it switches to range requests:
        # net::ERR_ABORTED is normal for media; any other failure is not)
        failed = [f for f in net.failures if "/media/" in f["url"] and "ERR_ABORTED" not in str(f["error"])]
        assert not failed, failed
    finally:
        net.dump(artifacts / "review_playback_requests.json")
        ctx.close()


def test_report_build_keeps_downloads_tab(
    app_server: AppServer, browser, artifacts: Path, server_checks: None
) -> None:
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    net = NetLog(ctx)
    page = ctx.new_page()
    try:
        analyse_upload(page, app_server.url, WALK_CLIP)  # read back from the cache after the first test
        tab = open_tab(page, "Downloads")
        page.get_by_role("button", name=re.compile("Build HTML and PDF report")).click()
        wait_app_idle(page, 180_000)
        html_btn = page.get_by_role("button", name=re.compile(r"Download .*\.html"))
        pdf_btn = page.get_by_role("button", name=re.compile(r"Download .*\.pdf"))
        expect(html_btn.first).to_be_visible(timeout=180_000)
        expect(pdf_btn.first).to_be_visible()
        # the page did not jump back to the first tab: Downloads is still the selected one
        expect(tab).to_have_attribute("aria-selected", "true")
        first = page.get_by_role("tab", name="Findings", exact=True)
        expect(first).to_have_attribute("aria-selected", "false")
        shoot(page, artifacts, "review_downloads")
        with page.expect_download(timeout=30_000) as dl:
            pdf_btn.first.click()
        path = dl.value.path()
        assert path is not None and Path(path).read_bytes()[:5] == b"%PDF-"
        assert not net.server_errors(), net.server_errors()
    finally:
        net.dump(artifacts / "review_downloads_requests.json")
        ctx.close()


def test_no_raw_metric_key_on_result_tabs(
    app_server: AppServer, browser, artifacts: Path, server_checks: None
) -> None:
    keys = catalogue_keys()
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = ctx.new_page()
    try:
        analyse_upload(page, app_server.url, WALK_CLIP)
        found: dict[str, list[str]] = {}
        texts: dict[str, str] = {}
        tabs = tab_names(page)
        assert set(RESULT_TABS) <= set(tabs), tabs
        for name in tabs:
            open_tab(page, name)
            wait_app_idle(page)
            shoot(page, artifacts, f"review_tab_{name.lower().replace(' ', '_')}")
            text = visible_text(page)
            texts[name] = text
            hits = raw_keys_in(text, keys)
            if hits:
                found[name] = hits
        # the check reads the tables too (st.dataframe is a canvas): the walk's cadence row is seen
        from posture_cam import catalogue

        assert catalogue.name("cadence_steps_per_min") in "\n".join(texts.values())
        assert not found, f"raw metric keys shown (use the catalogue's names): {found}"
    finally:
        ctx.close()
