"""AppTest of the 'Check and correct' page (issue 18): an event edit through the form, then Recompute,
and the corrected-versus-automatic table shows the changed gait numbers (no browser)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from posture_cam.config import Config
from posture_cam.pipeline import finish_analysis
from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait

FPS = 30.0
MOVE_FRAMES = 3


@pytest.fixture(scope="module")
def walk_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished analysis folder (result.json + landmarks.parquet) of a simulated side-view walk."""
    seq, _ = simulate_gait(GaitSpec(fps=FPS, bouts=(Bout(1, 5),), noise_px=0.3, seed=11))
    out = tmp_path_factory.mktemp("correct_app") / "walk"
    finish_analysis(seq, None, out, Config())
    return out


def _page(folder: Path) -> AppTest:
    at = AppTest.from_string("from posture_cam.ui import correct; correct.render()", default_timeout=120)
    at.session_state["correct_dir"] = str(folder)
    return at.run()


def _text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.info, *at.error, *at.success, *at.subheader)]
    for df in at.dataframe:
        parts.append(df.value.to_string())
    return "\n".join(str(p) for p in parts).replace("\\", "")  # markdown escapes of the page


def test_event_edit_through_the_form_recomputes_the_gait_numbers(walk_dir: Path) -> None:
    auto = json.loads((walk_dir / "result.json").read_text())
    hs = [e for e in auto["gait"]["events"] if e["type"] == "heel_strike" and e["plausible"]]
    ev = hs[len(hs) // 2]
    at = _page(walk_dir)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "No corrections yet." in _text(at)
    assert at.button(key="correct_go").disabled

    at.text_input(key="correct_by").set_value("Dr. App")
    at.selectbox(key="correct_ev_action").set_value("move")
    at.selectbox(key="correct_ev_foot").set_value(ev["foot"])
    at.selectbox(key="correct_ev_type").set_value("heel_strike")
    at.number_input(key="correct_ev_frame").set_value(ev["frame"])
    at.number_input(key="correct_ev_to").set_value(ev["frame"] + MOVE_FRAMES)
    submit = next(b for b in at.button if b.label == "Add this event edit")
    submit.click().run()
    assert not at.exception
    listed = _text(at)
    assert f"moved from frame {ev['frame']} to {ev['frame'] + MOVE_FRAMES}" in listed
    assert "by Dr. App" in listed

    at.button(key="correct_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    res = json.loads((walk_dir / "result.json").read_text())
    assert res["provenance"]["corrections"][0]["by"] == "Dr. App"
    stored = json.loads((walk_dir / "corrections.json").read_text())
    assert stored["entries"][0]["to_frame"] == ev["frame"] + MOVE_FRAMES
    text = _text(at)
    assert "Corrected versus automatic" in text
    corrected = [
        k
        for k, m in res["gait"]["metrics"].items()
        if (m.get("extra") or {}).get("provenance") == "corrected"
    ]
    assert any(k.startswith("step_time_") for k in corrected), corrected
    from posture_cam import catalogue

    tables = [df.value for df in at.dataframe if "Automatic" in df.value.columns]
    assert tables, text
    table = tables[0]
    for k in corrected:
        info = catalogue.info(k)
        row = table[table["Measurement"] == info.name]
        assert len(row) == 1, (info.name, table)
        m = res["gait"]["metrics"][k]
        shown = [row["Corrected"].iloc[0], row["Automatic"].iloc[0]]
        digits = (
            info.precision
            if info.fmt(m["value"]) != info.fmt(m["extra"]["automatic_value"])
            else 2 + info.precision
        )
        assert shown == [
            catalogue.format_value(m["value"], digits, info.unit),
            catalogue.format_value(m["extra"]["automatic_value"], digits, info.unit),
        ]
        assert shown[0] != shown[1]  # a change below the usual precision is shown with more digits
        assert k not in text  # names, never raw keys
