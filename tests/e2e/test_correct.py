"""Browser test of 'Check and correct' (issue 18): drag a landmark on the frame, see the number change.

The compensated pelvic-obliquity render is the known trap: the pose model's hip landmarks follow the
trunk, so the automatic pelvic obliquity is near level. The test drags the right hip down on the
frame by the pixels of a ~6 deg hip line, recomputes, and reads the corrected and the automatic
value in the page's table (and in result.json).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from .conftest import AppServer
from .helpers import SAMPLES, catalogue_keys, open_page, raw_keys_in, shoot, visible_text, wait_app_idle

CLIP = SAMPLES / "pelvic_obliquity_compensated_front.mp4"
TILT_DEG = 6.0


@pytest.fixture(scope="module")
def analysis(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from posture_cam.pipeline import analyze_file

    out = tmp_path_factory.mktemp("correct") / "analysis"
    analyze_file(CLIP, out)
    return out


def _hips(folder: Path, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """(left hip, right hip) [px] of ``frame`` as the page draws them (the prepared landmarks)."""
    from posture_cam.config import config_from_dict
    from posture_cam.landmarks import Landmark
    from posture_cam.prepare import prepare
    from posture_cam.sequence import PoseSequence

    res = json.loads((folder / "result.json").read_text())
    seq = PoseSequence.load(folder / "landmarks.parquet")
    xy = prepare(seq, config_from_dict(res["config"])).seq.image_px[..., :2]
    i = int(np.flatnonzero(np.asarray(seq.frame_index) == frame)[0])
    return xy[i, int(Landmark.LEFT_HIP)].astype(float), xy[i, int(Landmark.RIGHT_HIP)].astype(float)


def _choose(page: Any, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_app_idle(page)


def _table_values(text: str, name: str) -> tuple[float, float]:
    """(corrected, automatic) numbers of a row of the 'Corrected versus automatic' table."""
    m = re.search(rf"{re.escape(name)}\s*(-?\d+\.\d+)°\s*(-?\d+\.\d+)°", text)
    assert m, f"no '{name}' row with two values in the page:\n{text[-3000:]}"
    return float(m.group(1)), float(m.group(2))


def test_drag_hip_changes_pelvic_obliquity(
    browser: Any, app_server: AppServer, artifacts: Path, server_checks: None, analysis: Path
) -> None:
    from playwright.sync_api import expect

    auto = json.loads((analysis / "result.json").read_text())["metrics"]["pelvic_obliquity_deg"]["value"]
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        open_page(page, app_server.url, "correct")
        folder = page.get_by_label("Analysis folder", exact=False)
        folder.fill(str(analysis))
        folder.press("Enter")
        expect(page.get_by_role("tab", name="Landmarks")).to_be_visible(timeout=60_000)
        wait_app_idle(page)
        page.get_by_label("Your name", exact=False).fill("Dr. Test")
        page.get_by_label("Your name", exact=False).press("Enter")
        wait_app_idle(page)
        _choose(page, "Landmark", "right hip")

        frame = int(re.search(r"Frame (\d+) at", page.inner_text("body")).group(1))  # type: ignore[union-attr]
        left, right = _hips(analysis, frame)
        # put the right hip below the left one (image y down) so that the hip line tilts by TILT_DEG
        target = np.array([right[0], left[1] + abs(right[0] - left[0]) * math.tan(math.radians(TILT_DEG))])

        img = page.frame_locator("iframe[title*=streamlit_image_coordinates]").first.locator("img")
        expect(img).to_be_visible(timeout=30_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('iframe')].some(f => f.getBoundingClientRect().height > 100)"
        )
        shoot(page, artifacts, "correct_1_before_drag")
        img.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = img.bounding_box()
        natural_w = img.evaluate("e => e.naturalWidth")
        scale = box["width"] / natural_w  # display px per frame px
        start = (box["x"] + right[0] * scale, box["y"] + right[1] * scale)
        end = (box["x"] + target[0] * scale, box["y"] + target[1] * scale)
        page.mouse.move(*start)
        page.mouse.down()
        for k in range(1, 6):
            page.mouse.move(start[0] + (end[0] - start[0]) * k / 5, start[1] + (end[1] - start[1]) * k / 5)
        page.mouse.up()
        expect(page.get_by_text("right hip moved to").first).to_be_visible(timeout=30_000)
        wait_app_idle(page)
        shoot(page, artifacts, "correct_2_after_drag")
        listed = page.get_by_text("right hip moved to").first.inner_text()
        m = re.search(r"\((\d+), (\d+)\) px", listed)
        assert m, listed
        assert abs(float(m.group(1)) - target[0]) <= 2 and abs(float(m.group(2)) - target[1]) <= 2, (
            listed,
            target,
        )

        page.get_by_role("button", name="Recompute with corrections").click()
        expect(page.get_by_text("Corrected versus automatic")).to_be_visible(timeout=90_000)
        wait_app_idle(page)
        page.wait_for_timeout(500)
        shoot(page, artifacts, "correct_3_recomputed")
        text = visible_text(page)
        corrected, automatic = _table_values(text, "Pelvic obliquity")
        assert automatic == pytest.approx(auto, abs=0.06)
        assert corrected == pytest.approx(TILT_DEG, abs=1.0), (corrected, automatic)
        assert abs(corrected - automatic) > 3.0, (corrected, automatic)
        assert "Traceback" not in text
        assert "not flagged automatically, flagged with the corrections" in text  # leg-length finding
        assert not raw_keys_in(text, catalogue_keys())

        res = json.loads((analysis / "result.json").read_text())
        po = res["metrics"]["pelvic_obliquity_deg"]
        assert po["extra"]["provenance"] == "corrected"
        assert po["extra"]["automatic_value"] == pytest.approx(auto)
        assert po["value"] == pytest.approx(corrected, abs=0.06)
        assert res["provenance"]["corrections"][0]["by"] == "Dr. Test"
        assert (analysis / "corrections.json").is_file()
    finally:
        context.close()
