"""Clinician in the loop (issue 18): corrections are data, recomputed through the same functions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from posture_cam.config import Config
from posture_cam.corrections import Correction, Corrections, CorrectionsError, manual_measurement
from posture_cam.pipeline import analyze_file, reanalyze, run_analysis
from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait

FPS = 30.0
REPO = Path(__file__).resolve().parents[1]
OBLIQUITY = REPO / "sample_videos" / "pelvic_obliquity_compensated_front.mp4"


@pytest.fixture(scope="module")
def walk():
    seq, truth = simulate_gait(GaitSpec(fps=FPS, bouts=(Bout(1, 5),), noise_px=0.3, seed=11))
    auto = run_analysis(seq, None, Config())[0]
    return seq, auto


def _hs(result: dict) -> list[dict]:
    return [e for e in result["gait"]["events"] if e["type"] == "heel_strike" and e["plausible"]]


def _step_at(result: dict, frame: int) -> dict:
    return next(s for s in result["gait"]["steps"] if s["frame"] == frame)


@pytest.mark.parametrize("n", [2, -3])
def test_moving_a_contact_by_n_frames_changes_step_and_stance_by_n_over_fps(walk, n: int) -> None:
    seq, auto = walk
    hs = _hs(auto)
    ev = hs[len(hs) // 2]  # a contact in the middle: steps on both sides of it
    before = _step_at(auto, ev["frame"])
    nxt = next(s for s in auto["gait"]["steps"] if s["frame"] > ev["frame"])
    edit = Corrections().add(
        Correction(
            "event", ev["frame"], action="move", foot=ev["foot"], type="heel_strike", to_frame=ev["frame"] + n
        )
    )
    corrected = run_analysis(seq, None, Config(), corrections=edit)[0]
    after = _step_at(corrected, ev["frame"] + n)
    assert after["step_time_s"] - before["step_time_s"] == pytest.approx(n / FPS, abs=1e-3)
    assert after["stance_time_s"] - before["stance_time_s"] == pytest.approx(-n / FPS, abs=1e-3)
    nxt_after = next(s for s in corrected["gait"]["steps"] if s["frame"] == nxt["frame"])
    assert nxt_after["step_time_s"] - nxt["step_time_s"] == pytest.approx(-n / FPS, abs=1e-3)
    # provenance: the step-time metrics are marked corrected, with the automatic value kept
    m = corrected["gait"]["metrics"]["step_time_" + ev["foot"] + "_s"]
    assert m["extra"]["provenance"] == "corrected" and m["extra"]["automatic_value"] is not None
    assert corrected["provenance"]["corrections"][0]["action"] == "move"


def test_adding_a_missed_contact_restores_the_step_count(walk) -> None:
    seq, auto = walk
    ev = _hs(auto)[3]
    missed = Corrections().add(
        Correction("event", ev["frame"], action="delete", foot=ev["foot"], type="heel_strike")
    )
    lost = run_analysis(seq, None, Config(), corrections=missed)[0]
    assert len(lost["gait"]["steps"]) < len(auto["gait"]["steps"])
    restored = missed.add(Correction("event", ev["frame"], action="add", foot=ev["foot"], type="heel_strike"))
    again = run_analysis(seq, None, Config(), corrections=restored)[0]
    assert len(again["gait"]["steps"]) == len(auto["gait"]["steps"])
    assert again["gait"]["metrics"]["cadence_steps_per_min"]["value"] == pytest.approx(
        auto["gait"]["metrics"]["cadence_steps_per_min"]["value"], abs=0.5
    )


def test_flipping_a_step_side(walk) -> None:
    seq, auto = walk
    ev = _hs(auto)[2]
    flip = Corrections().add(Correction("event", ev["frame"], action="flip"))
    out = run_analysis(seq, None, Config(), corrections=flip)[0]
    flipped = next(e for e in _hs(out) if e["frame"] == ev["frame"])
    assert flipped["foot"] != ev["foot"]


def test_an_edit_that_matches_no_event_is_a_clear_error(walk) -> None:
    seq, _ = walk
    bad = Corrections().add(Correction("event", 0, action="delete", foot="left", type="toe_off"))
    with pytest.raises(CorrectionsError, match="no left toe off near frame 0"):
        run_analysis(seq, None, Config(), corrections=bad)


def test_corrections_file_round_trip_and_validation(tmp_path: Path) -> None:
    c = Corrections(input_sha256="ab" * 32).add(
        Correction("landmark", 3, by="Dr. A", landmark="LEFT_HIP", x_px=10.0, y_px=20.0)
    )
    c = c.add(Correction("measurement", 3, tool="angle", points=((0, 0), (1, 0), (1, 1)), label="knee"))
    c.save(tmp_path / "c.json")
    back = Corrections.load(tmp_path / "c.json")
    assert back.to_json() == c.to_json() and back.entries[0].at
    for bad, msg in (
        (
            {"entries": [{"kind": "landmark", "frame": 1, "landmark": "HIP", "x_px": 1, "y_px": 2}]},
            "unknown landmark",
        ),
        (
            {
                "entries": [
                    {"kind": "event", "frame": 1, "action": "move", "foot": "left", "type": "heel_strike"}
                ]
            },
            "to_frame",
        ),
        ({"entries": [{"kind": "measurement", "frame": 1, "tool": "angle", "points": [[0, 0]]}]}, "3 points"),
        ({"entries": [{"kind": "landmark", "frame": -1}]}, "frame"),
        ({"schema_version": 9, "entries": []}, "schema_version"),
    ):
        (tmp_path / "bad.json").write_text(json.dumps(bad))
        with pytest.raises(CorrectionsError, match=msg):
            Corrections.load(tmp_path / "bad.json")


def test_manual_measurements_use_the_true_vertical_and_the_scale() -> None:
    tilt = Correction(
        "measurement",
        0,
        tool="line_tilt",
        points=((100.0, 100.0), (100.0 + math.tan(math.radians(5)) * 100, 200.0)),
    )
    assert manual_measurement(tilt, roll_deg=0.0, frame_size=(640, 480), px_per_cm=None, body_height_px=None)[
        "value"
    ] == pytest.approx(5.0, abs=0.01)
    # the camera rolled by 5 deg the same way: the line is vertical in the world
    assert manual_measurement(
        tilt, roll_deg=5.0, frame_size=(640, 480), px_per_cm=None, body_height_px=None
    )["value"] == pytest.approx(0.0, abs=0.01)
    angle = Correction("measurement", 0, tool="angle", points=((0.0, 0.0), (10.0, 0.0), (10.0, 10.0)))
    assert manual_measurement(
        angle, roll_deg=3.0, frame_size=(640, 480), px_per_cm=None, body_height_px=None
    )["value"] == pytest.approx(90.0, abs=1e-6)
    dist = Correction("measurement", 0, tool="distance", points=((0.0, 0.0), (30.0, 40.0)))
    got = manual_measurement(dist, roll_deg=0.0, frame_size=(640, 480), px_per_cm=5.0, body_height_px=500.0)
    assert got["value"] == pytest.approx(10.0) and got["unit"] == "cm"


# ----------------------------------------------------------------------- the compensated-obliquity render
@pytest.fixture(scope="module")
def obliquity_analysis(tmp_path_factory: pytest.TempPathFactory):
    if not OBLIQUITY.exists():
        pytest.skip(f"sample video not found: {OBLIQUITY}")
    out = tmp_path_factory.mktemp("obliquity")
    return out, analyze_file(OBLIQUITY, out).result


def _hip_correction(out: Path, tilt_deg: float) -> Corrections:
    """Move the right hip so that the hip line tilts ``tilt_deg`` (right lower) in a mid frame."""
    from posture_cam.prepare import prepare
    from posture_cam.sequence import PoseSequence

    seq = PoseSequence.load(out / "landmarks.parquet")
    prep = prepare(seq)
    seg = next(s for s in prep.segments if s.activity == "standing")
    i = (seg.start + seg.stop) // 2
    left, right = prep.seq.image_px[i, 23, :2], prep.seq.image_px[i, 24, :2]
    y = float(left[1]) + abs(float(right[0] - left[0])) * math.tan(math.radians(tilt_deg))
    return Corrections().add(
        Correction(
            "landmark", int(seq.frame_index[i]), by="test", landmark="RIGHT_HIP", x_px=float(right[0]), y_px=y
        )
    )


def _leg_length(result: dict) -> dict:
    return next(f for f in result["findings"] if f["id"] == "leg_length_pelvic_obliquity")


def test_hip_correction_moves_pelvic_obliquity_and_flips_the_leg_length_finding(obliquity_analysis) -> None:
    out, auto = obliquity_analysis
    assert auto["metrics"]["pelvic_obliquity_deg"]["value"] < 2.5  # the known trap: hips follow the trunk
    assert _leg_length(auto)["status"] != "flagged"
    corrected = reanalyze(out, _hip_correction(out, 6.0)).result
    m = corrected["metrics"]["pelvic_obliquity_deg"]
    assert m["value"] == pytest.approx(6.0, abs=0.6)
    assert m["extra"]["provenance"] == "corrected"
    assert m["extra"]["automatic_value"] == pytest.approx(auto["metrics"]["pelvic_obliquity_deg"]["value"])
    finding = _leg_length(corrected)
    assert finding["status"] == "flagged" and finding["provenance"] == "corrected"
    assert corrected["landmark_corrections"][0]["applied_to"]["segment"]["activity"] == "standing"
    assert (out / "corrections.json").is_file()


def test_corrections_survive_a_reanalysis_of_the_same_file(obliquity_analysis) -> None:
    out, _ = obliquity_analysis
    reanalyze(out, _hip_correction(out, 5.0))
    again = analyze_file(OBLIQUITY, out).result  # no corrections given: the stored ones apply
    assert again["provenance"]["kind"] == "corrected"
    assert again["metrics"]["pelvic_obliquity_deg"]["value"] == pytest.approx(5.0, abs=0.6)
    stored = json.loads((out / "corrections.json").read_text())
    assert stored["input_sha256"] == again["input"]["sha256"]


def test_corrections_of_another_recording_are_refused(obliquity_analysis, tmp_path: Path) -> None:
    out, _ = obliquity_analysis
    (tmp_path / "corrections.json").write_text(json.dumps({"input_sha256": "0" * 64, "entries": []}))
    with pytest.raises(CorrectionsError, match="another recording"):
        analyze_file(OBLIQUITY, tmp_path)


def test_cli_analyze_with_corrections_file(tmp_path: Path, obliquity_analysis) -> None:
    from posture_cam.cli import main

    out, _ = obliquity_analysis
    cor = _hip_correction(out, 6.0)
    cor.save(tmp_path / "mine.json")
    assert (
        main(
            [
                "analyze",
                str(OBLIQUITY),
                "--out",
                str(tmp_path / "o"),
                "--corrections",
                str(tmp_path / "mine.json"),
                "-q",
            ]
        )
        == 0
    )
    res = json.loads((tmp_path / "o" / "result.json").read_text())
    assert res["metrics"]["pelvic_obliquity_deg"]["extra"]["provenance"] == "corrected"
    assert np.isclose(res["metrics"]["pelvic_obliquity_deg"]["value"], 6.0, atol=0.6)
