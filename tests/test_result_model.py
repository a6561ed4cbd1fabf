"""posture_cam.result_model: one typed, versioned, lossless model of result.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posture_cam.errors import NotAResultError
from posture_cam.result_model import SCHEMA_VERSION, Result

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def _truth_sequence(name: str):  # noqa: ANN202 - PoseSequence, imported lazily
    from posture_cam.sequence import PoseSequence

    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    xy = np.asarray(truth["landmarks_px"], float)
    return PoseSequence.from_image_points(xy, fps=float(truth["fps"]), frame_size=tuple(truth["frame_size"]))


@pytest.fixture(scope="module")
def sample_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """result.json written by the pipeline for the sample recordings' landmarks (all eight samples)."""
    from posture_cam.pipeline import finish_analysis

    out = {}
    for p in sorted(SAMPLES.glob("*.json")):
        folder = tmp_path_factory.mktemp(p.stem)
        finish_analysis(_truth_sequence(p.stem), None, folder / "out")
        out[p.stem] = json.loads((folder / "out" / "result.json").read_text())
    assert len(out) >= 8
    return out


def test_round_trip_of_pipeline_results(sample_results: dict[str, dict]) -> None:
    for name, d in sample_results.items():
        r = Result.from_json(d)
        assert r.to_json() == d, name
        assert r.schema_version == SCHEMA_VERSION and not r.newer_than_known
        assert set(r.metrics) and all(m.key == k for k, m in r.metrics.items())
        assert r.activity_segments(), name
    walk = Result.from_json(sample_results["walk_normal_side"])
    assert walk.gait.walking_detected and walk.gait.steps and walk.gait.events
    assert walk.metric("gait.metrics.cadence_steps_per_min") is not None
    assert any(s.activity == "walking" for s in walk.activity_segments())


@pytest.mark.slow
def test_round_trip_of_a_sample_video_analysis(tmp_path: Path) -> None:
    """The real thing: the pipeline on a sample video (pose model included), read and written back."""
    from posture_cam.pipeline import analyze_file

    analyze_file(SAMPLES / "standing_neutral_front.mp4", tmp_path / "out")
    d = json.loads((tmp_path / "out" / "result.json").read_text())
    r = Result.load(tmp_path / "out")
    assert r.to_json() == d
    assert r.source_name == "standing_neutral_front.mp4" and r.input.frames and r.duration_s
    assert r.view.dominant == "front"


def test_missing_sections_are_tolerated() -> None:
    r = Result.from_json({})
    assert r.schema_version == SCHEMA_VERSION and r.to_json() == {}
    assert r.source_name == "webcam capture" and r.duration_s is None
    assert r.metrics == {} and r.gait.steps == [] and r.findings == [] and r.activity_segments() == []
    old = {"schema_version": 1, "metrics": {"head_tilt_deg": {"value": 2.0, "unit": "deg"}}}
    r = Result.from_json(old)
    assert r.metrics["head_tilt_deg"].ok and r.to_json() == old


def test_unknown_keys_are_kept_and_newer_versions_flagged() -> None:
    d = {"schema_version": 7, "future_section": {"x": 1}, "gait": {"metrics": {}, "new_gait_thing": [1, 2]}}
    r = Result.from_json(d)
    assert r.newer_than_known and r.extra["future_section"] == {"x": 1}
    assert r.to_json() == d


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"metrics": {"head_tilt_deg": {"value": "3.1"}}}, "metrics.head_tilt_deg.value"),
        ({"gait": {"steps": {"0": {}}}}, "gait.steps"),
        ({"findings": [{"id": 3}]}, "findings[0].id"),
        ([1, 2], "result"),
        ({"input": {"frames": 2.5}}, "input.frames"),
    ],
)
def test_wrong_types_are_a_clear_error(bad: object, where: str) -> None:
    with pytest.raises(NotAResultError, match=where.replace("[", r"\[").replace("]", r"\]")):
        Result.from_json(bad)


def test_segments_fall_back_to_view_and_bouts() -> None:
    d = {
        "input": {"duration_s": 10.0},
        "view": {"dominant": "left_side", "segments": [{"start_s": 0.0, "end_s": 4.0, "view": "front"},
                                                       {"start_s": 4.0, "end_s": 10.0, "view": "left_side"}]},
        "gait": {"bouts": [{"start_s": 5.0, "end_s": 9.0, "view": "side"}]},
    }  # fmt: skip
    segs = Result.from_json(d).activity_segments()
    walking = [s for s in segs if s.activity == "walking"]
    assert len(walking) == 1 and walking[0].view == "left_side" and walking[0].start_s == 5.0
    assert [s.view for s in segs if s.activity == "other"] == ["front", "left_side"]


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(NotAResultError, match="no result.json"):
        Result.load(tmp_path)
    (tmp_path / "result.json").write_text("{not json")
    with pytest.raises(NotAResultError, match="not valid JSON"):
        Result.load(tmp_path)
