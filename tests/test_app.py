"""Streamlit AppTest of each dashboard page's logic (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTURE_CAM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("POSTURE_CAM_ICE_SERVERS", raising=False)


def page(mod: str) -> AppTest:
    return AppTest.from_string(f"from posture_cam.ui import {mod}; {mod}.render()", default_timeout=60)


def test_main_app_opens_on_home() -> None:
    at = AppTest.from_file(
        str(Path(__file__).resolve().parents[1] / "streamlit_app.py"), default_timeout=60
    ).run()
    assert not at.exception
    assert at.title[0].value == "posture_cam"
    text = (
        " ".join(m.value for m in at.markdown)
        + " ".join(i.value for i in at.info)
        + " ".join(s.value for s in at.success)
    )
    assert "not a diagnosis" in text and "never leaves this machine" in text


def test_about_lists_rule_sources() -> None:
    at = page("about").run()
    assert not at.exception
    md = " ".join(m.value for m in at.markdown)
    assert "kinetic chain" in md


def test_review_without_files_warns() -> None:
    at = page("review").run()
    assert not at.exception and at.info[0].value == "No analysis open yet."
    at.button[0].click().run()  # the form's Analyse button
    assert "Choose at least one video" in at.warning[0].value


def test_review_unreadable_upload_is_a_clear_error(tmp_path: Path) -> None:
    """A file that is not a video: one st.error line, no exception, nothing cached."""
    from posture_cam.config import Config
    from posture_cam.pipeline import SubjectInfo
    from posture_cam.ui import common

    path, sha = common.store_upload("broken.mp4", b"this is not a video" * 100)
    out = common.analyze_cached(path, sha, Config(), SubjectInfo(), name="broken.mp4")
    assert out.out_dir is None and out.error and out.level == "error"
    assert "\n" not in out.error and "Traceback" not in out.error
    assert not (common.cache_dir() / "results").exists() or not any(
        (common.cache_dir() / "results").rglob("result.json")
    )


def test_review_opens_a_result_folder(tmp_path: Path) -> None:
    res = {
        "schema_version": 1,
        "input": {"path": "/x/clip.mp4", "duration_s": 2.0},
        "detection": {"detection_rate": 0.9},
        "view": {"dominant": "left_side"},
        "metrics": {
            "trunk_flexion_deg": {"value": 3.0, "unit": "deg", "status": "ok", "n_frames": 40},
            "pelvic_obliquity_deg": {
                "value": None,
                "unit": "deg",
                "status": "not_assessable",
                "reason": "needs a front or back view",
                "view_required": ["front", "back"],
            },
        },
        "gait": {"walking_detected": False, "metrics": {}, "events": [], "steps": []},
        "findings": [],
        "warnings": [],
    }
    (tmp_path / "result.json").write_text(json.dumps(res))
    at = page("review")
    at.session_state["review_open_dir"] = str(tmp_path)
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == str(tmp_path)
    assert any(m.label == "View detected" and m.value == "left_side" for m in at.metric)
    frames = [d.value for d in at.dataframe]
    assert any("needs a front or back view" in df.to_string() for df in frames)


def _batch_folder(tmp_path: Path) -> Path:
    rows = []
    for i, (date, val) in enumerate([("2026-01-05", 2.0), ("2026-02-05", 1.0), ("2026-03-05", None)]):
        name = f"rec{i}"
        (tmp_path / name).mkdir()
        rows.append(
            {
                "name": name,
                "path": f"/v/{name}.mp4",
                "subject_id": "S1",
                "session_date": date,
                "status": "ok" if val is not None else "failed",
                "reused": False,
                "error": None if val is not None else "no person",
                "duration_s": 3.0,
                "frames": 90,
                "detection_rate": 1.0,
                "view": "front",
                "n_flagged": 0,
                "n_borderline": 0,
                "flagged_findings": "",
                "pelvic_obliquity_deg": val,
            }
        )
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    return tmp_path


def test_batch_browser_table_and_sessions(tmp_path: Path) -> None:
    from posture_cam.ui.batch import load_summary, sessions_of

    folder = _batch_folder(tmp_path)
    df = load_summary(folder)
    s = sessions_of(df, "S1", "pelvic_obliquity_deg")
    assert s["value"].tolist() == [2.0, 1.0] and s["session_date"].tolist() == ["2026-01-05", "2026-02-05"]
    at = page("batch").run()
    assert at.info and not at.exception
    at.text_input[0].input(str(folder)).run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == 3
    at.button[0].click().run()  # "Open in video review" without navigation: explains where to go
    assert at.session_state["review_open_dir"] == str(folder / "rec0")


def test_batch_browser_wrong_folder(tmp_path: Path) -> None:
    at = page("batch").run()
    at.text_input[0].input(str(tmp_path)).run()
    assert "no summary.csv" in at.error[0].value


def test_webcam_page_without_server_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    at = page("webcam").run()
    assert not at.exception
    assert at.title[0].value == "Webcam self-check"


def test_ice_servers_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from posture_cam.ui.webcam import rtc_configuration

    assert rtc_configuration() == {"iceServers": []}
    monkeypatch.setenv("POSTURE_CAM_ICE_SERVERS", '[{"urls": ["stun:stun.example.org:3478"]}]')
    assert rtc_configuration() == {"iceServers": [{"urls": ["stun:stun.example.org:3478"]}]}
    monkeypatch.setenv("POSTURE_CAM_ICE_SERVERS", "stun:nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        rtc_configuration()
    at = page("webcam").run()
    assert "not valid JSON" in at.error[0].value
