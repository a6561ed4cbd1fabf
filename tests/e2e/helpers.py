"""Shared steps of the browser tests: upload and analyse, screenshots, page text, the fake camera."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_videos"
#: A rendered walk seen from the side (4 s, in the repository): posture and gait results, a few
#: seconds of analysis, so the tests do not depend on ../shared/data.
WALK_CLIP = SAMPLES / "walk_normal_side.mp4"
#: A rendered subject standing facing the camera: the fake camera of the guided capture.
FRONT_CLIP = SAMPLES / "standing_neutral_front.mp4"
#: Result tabs every analysis shows (the tests visit whatever tabs the page has, at least these).
RESULT_TABS = ("Findings", "Playback", "Charts", "Downloads")


def shoot(page: Any, artifacts: Path, name: str) -> Path:
    """A screenshot of the whole page. Streamlit scrolls inside its main container, not the body, so
    the viewport is grown to the content's height for the shot (at most 6000 px) and restored."""
    path = artifacts / f"{name}.png"
    vp = page.viewport_size or {"width": 1280, "height": 1000}
    h = page.evaluate(
        "() => Math.max(document.body.scrollHeight, ...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stAppViewContainer], [data-testid=stMainBlockContainer]')]"
        ".map(e => e.scrollHeight))"
    )
    if h > vp["height"]:
        page.set_viewport_size({"width": vp["width"], "height": min(int(h) + 40, 6000)})
        page.wait_for_timeout(300)
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(vp)
    return path


def wait_app_idle(page: Any, timeout_ms: int = 60_000) -> None:
    """Streamlit has finished the script run: the status widget says nothing is running."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')"
        " || !/Running|Connecting/.test(document.querySelector('[data-testid=stStatusWidget]').innerText)",
        timeout=timeout_ms,
    )


def open_page(page: Any, app_url: str, path: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{app_url}/{path}", wait_until="networkidle")
    expect(page.locator("[data-testid=stMain] h1").first).to_be_visible(timeout=60_000)
    wait_app_idle(page)
    # the webcam page's WebRTC widget (a custom component) loads in an iframe: wait for it too
    if path == "webcam":
        expect(page.locator("iframe[title^='streamlit_webrtc']").first).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "Page not found" not in body, f"{path!r}: not a page of the app"


def sidebar_pages(page: Any, app_url: str) -> dict[str, str]:
    """Every page the app's navigation offers: label -> url path ("" for the home page)."""
    page.goto(f"{app_url}/", wait_until="networkidle")
    nav = page.locator("[data-testid=stSidebarNav] a")
    nav.first.wait_for(timeout=60_000)
    out = {}
    for link in nav.all():
        href = link.get_attribute("href") or ""
        out[link.inner_text().strip()] = urlsplit(href).path.strip("/")
    return out


def tab_names(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid=stMain] [role=tab]").all_inner_texts()]


def analyse_upload(page: Any, app_url: str, clip: Path, *, timeout_ms: int = 240_000) -> None:
    """Video review page: upload ``clip``, press Analyse, wait for the result tabs."""
    from playwright.sync_api import expect

    open_page(page, app_url, "review")
    page.locator("input[type=file]").first.set_input_files(str(clip))
    # the uploaded file's chip (long names are shortened on screen; its remove button has the full name)
    expect(page.get_by_role("button", name=f"Remove {clip.name}")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("tab", name="Playback")).to_be_visible(timeout=timeout_ms)
    wait_app_idle(page, timeout_ms)


def open_tab(page: Any, name: str) -> Any:
    from playwright.sync_api import expect

    tab = page.get_by_role("tab", name=name, exact=True)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    # the app renders only the open tab, in the rerun the click starts: wait for its content
    page.wait_for_function(
        """() => {
            const p = [...document.querySelectorAll('[data-testid=stMain] [role=tabpanel]')]
                .find(e => !e.hidden && e.offsetParent !== null);
            return !!p && (p.innerText.trim().length > 0
                || !!p.querySelector('canvas, video, img, svg, [data-testid=stDataFrame]'));
        }""",
        timeout=60_000,
    )
    page.wait_for_timeout(300)
    wait_app_idle(page)
    return tab


def visible_text(page: Any) -> str:
    """What a reader sees: the main area's and the sidebar's rendered text, iframes included."""
    parts = [page.inner_text("body")]
    # st.dataframe draws on a canvas; its cells and column headers are in a hidden accessible grid
    parts += page.locator("[data-testid=stDataFrame]").all_text_contents()
    for frame in page.frames[1:]:
        try:
            parts.append(frame.inner_text("body", timeout=2_000))
        except Exception:  # a frame that navigated away or has no body
            continue
    return "\n".join(parts)


def raw_keys_in(text: str, keys: set[str]) -> list[str]:
    """The metric keys that appear as whole words in ``text``."""
    return sorted(k for k in keys if re.search(rf"(?<![A-Za-z0-9_]){re.escape(k)}(?![A-Za-z0-9_])", text))


def catalogue_keys() -> set[str]:
    """Every metric key the catalogue names (posture and gait); the raw form must never be shown."""
    from posture_cam import catalogue, metric_keys

    keys = set(catalogue.CATALOGUE)
    keys |= set(metric_keys.POSTURE_METRIC_KEYS) | set(metric_keys.GAIT_METRIC_KEYS)
    return keys


def write_y4m(src: Path, dst: Path, *, n_frames: int = 60, size: tuple[int, int] = (640, 480)) -> Path:
    """Y4M (yuv420p, 30 fps) of the first frames of ``src``, letterboxed: Chromium's fake camera
    (``--use-file-for-fake-video-capture``; Chromium loops it)."""
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
