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


def _all_text(at: AppTest) -> str:
    """Every visible text of the page: markdown, captions, alerts, metrics, tables, buttons."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for kind in (at.error, at.warning, at.info, at.success) for e in kind]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [b.label for b in at.button]
    parts += [d.value.to_string() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _raw_keys(text: str) -> list[str]:
    from posture_cam import catalogue

    return [k for k in catalogue.all_keys() if k in text] + [
        v for v in ("left_side", "right_side") if v in text
    ]


RESULT = {
    "schema_version": 1,
    "input": {"path": "/x/clip.mp4", "duration_s": 2.0},
    "detection": {"detection_rate": 0.9},
    "view": {"dominant": "left_side"},
    "segments": [{"activity": "standing", "view": "left_side", "start_s": 0.2, "end_s": 2.0}],
    "metrics": {
        "trunk_flexion_deg": {"value": 3.04, "unit": "deg", "iqr": 0.51, "status": "ok", "n_frames": 40,
                              "segments": [{"activity": "standing", "view": "left_side", "start_s": 0.2,
                                            "end_s": 2.0}]},
        "pelvic_obliquity_deg": {
            "value": None,
            "unit": "deg",
            "status": "not_assessable",
            "reason": "needs a front or back view; this recording has: standing left_side 0.2-2.0 s",
            "view_required": ["front", "back"],
        },
    },
    "gait": {"walking_detected": False, "reason": "no walking detected", "metrics": {}, "events": [],
             "steps": []},
    "findings": [
        {"id": "lean", "title": "Leg length pattern", "status": "not_assessable",
         "reason": "pelvic_obliquity_deg: needs a front or back view"},
    ],
    "warnings": [],
}  # fmt: skip


def _open(tmp_path: Path, res: dict = RESULT) -> AppTest:
    (tmp_path / "result.json").write_text(json.dumps(res))
    at = page("review")
    at.session_state["review_open_dir"] = str(tmp_path)
    return at.run()


def test_review_opens_a_result_folder_in_clinical_words(tmp_path: Path) -> None:
    at = _open(tmp_path)
    assert not at.exception
    assert at.selectbox[0].value == str(tmp_path)
    assert any(m.label == "View" and m.value == "Left side" for m in at.metric)
    # nothing could be screened: a warning that says why, never a green all-clear
    assert not at.success
    assert any(w.value.startswith("No screening rule could be assessed, because") for w in at.warning)
    texts = [_all_text(at)]
    for section in ("Measurements", "Not assessed", "Charts", "Gait", "Playback", "Downloads"):
        at.session_state["review_section"] = section
        at.run()
        assert not at.exception, section
        texts.append(_all_text(at))
    text = "\n".join(texts)
    assert "Trunk forward lean" in text and "3.0°" in text and "IQR 0.5°" in text
    assert "standing 0.2-2.0 s" in text and "needs a front or back view" in text
    assert _raw_keys(text) == [] and "None" not in text.split()


def test_nothing_assessed_is_not_green(tmp_path: Path) -> None:
    res = json.loads(json.dumps(RESULT))
    res["metrics"]["trunk_flexion_deg"] = {"value": None, "unit": "deg", "status": "not_assessable",
                                           "reason": "needs a side view"}  # fmt: skip
    at = _open(tmp_path, res)
    assert not at.success
    assert any(w.value.startswith("Nothing could be assessed, because") for w in at.warning)


def test_measurement_jumps_to_its_segment_in_playback(tmp_path: Path) -> None:
    at = _open(tmp_path)
    at.session_state["review_section"] = "Measurements"
    at.run()
    at.button(key="review_jump").click().run()
    assert not at.exception
    assert at.session_state["review_section"] == "Playback"
    assert at.session_state["review_start"] == pytest.approx(0.2)


def test_report_build_keeps_the_downloads_section(tmp_path: Path) -> None:
    at = _open(tmp_path)
    at.session_state["review_section"] = "Downloads"
    at.run()
    # AppTest does not send the tab widget's state back with a click (a browser does, and the Downloads
    # part is a fragment that reruns alone: tests/e2e/test_review.py), so the tab is selected with it
    at.session_state["review_section"] = "Downloads"
    at.button(key="review_build").click().run()
    assert not at.exception and not at.error
    labels = [d.label for d in at.get("download_button")]
    assert "Download report.html" in labels and "Download report.pdf" in labels, labels
    assert (tmp_path / "report.pdf").is_file()


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
    table = at.dataframe[0].value
    assert len(table) == 3 and table["Recording"].tolist() == ["rec0.mp4", "rec1.mp4", "rec2.mp4"]
    assert {"Subject", "Date", "Flagged", "Pelvic obliquity [°]"} <= set(table.columns)
    assert table["Pelvic obliquity [°]"].dtype.kind == "f"  # numbers, so the column sorts numerically
    assert _raw_keys(_all_text(at)) == [] and "None" not in _all_text(at).split()
    at.button[0].click().run()  # "Open in video review" without navigation: explains where to go
    assert at.session_state["review_open_dir"] == str(folder / "rec0")


def test_batch_browser_wrong_folder(tmp_path: Path) -> None:
    at = page("batch").run()
    at.text_input[0].input(str(tmp_path)).run()
    assert "no summary.csv" in at.error[0].value.replace("\\", "")  # markdown-escaped


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
