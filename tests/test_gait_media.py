"""Gait analysis on real recordings from ../shared/data (landmarks extracted once per clip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.gait import analyze_gait

pytestmark = [pytest.mark.media, pytest.mark.slow]
_CACHE: dict[str, object] = {}


def _extract(path: Path):
    """Conditioned sequence and view labels of one clip (cached for the session)."""
    key = str(path)
    if key not in _CACHE:
        from posture_cam.extract import extract_sequence
        from posture_cam.signal import condition
        from posture_cam.video import iter_frames, probe
        from posture_cam.view import classify_views

        info = probe(path)
        seq = extract_sequence(iter_frames(path), fps=info.fps, frame_size=(info.width, info.height))
        seq = condition(seq)
        _CACHE[key] = (seq, classify_views(seq).per_frame)
    return _CACHE[key]


@pytest.fixture(scope="session")
def walking_clips(shared_data: Path) -> dict[str, tuple]:
    return {
        name: _extract(shared_data / "walking" / name)
        for name in ("side_walk_60fps.mp4", "sports2d_outdoor_side_two_people.mp4")
    }


@pytest.mark.parametrize("name", ["side_walk_60fps.mp4", "sports2d_outdoor_side_two_people.mp4"])
def test_side_walking_clips_plausible_cadence_and_alternation(walking_clips, name):
    seq, views = walking_clips[name]
    rep = analyze_gait(seq, None, view_per_frame=views)
    assert rep.walking_detected, rep.reason
    hs = [e for e in rep.events if e.type == "heel_strike" and e.plausible]
    assert len(hs) >= 2
    assert all(a.foot != b.foot for a, b in zip(hs[:-1], hs[1:], strict=False) if a.bout == b.bout)
    steps = np.array([s.step_time_s for s in rep.steps])
    cadence = 60.0 / np.median(steps)
    assert 80.0 <= cadence <= 130.0, cadence


@pytest.mark.parametrize(
    "name",
    [
        "single_leg_balance_front_vp9.mp4",
        "single_leg_balance_back_oblique.mp4",
        "tpose_back_11frames.mp4",
        "tpose_front_oblique_11frames.mp4",
    ],
)
def test_standing_clips_report_no_walking(shared_data: Path, name):
    seq, views = _extract(shared_data / "standing" / name)
    rep = analyze_gait(seq, None, view_per_frame=views)
    assert rep.walking_detected is False
    assert rep.metrics["cadence_steps_per_min"].status == "not_assessable"
