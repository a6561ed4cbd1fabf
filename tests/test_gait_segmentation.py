"""Walking bouts, turns and standing (posture_cam.gait.segmentation.find_walking)."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.config import GaitConfig
from posture_cam.errors import InvalidSequenceError
from posture_cam.gait import analyze_gait
from posture_cam.gait.segmentation import WalkingSegmentation, find_walking
from posture_cam.signal import condition
from posture_cam.simulate.gait import Bout, GaitSpec, simulate_gait, standing_sequence

FPS = 30.0


@pytest.mark.parametrize(
    "spec",
    [
        GaitSpec(fps=FPS, bouts=(Bout(1, 4), Bout(-1, 4, backwards=True)), noise_px=1.0, seed=1),
        GaitSpec(fps=FPS, camera="frontal", bouts=(Bout(1, 4), Bout(-1, 4)), noise_px=1.0, seed=2),
    ],
)
def test_find_walking_gives_the_bouts_analyze_gait_uses(spec):
    seq, truth = simulate_gait(spec)
    seq = condition(seq)
    seg = find_walking(seq, truth.view_per_frame, None, GaitConfig(), sampling_rate_hz=FPS)
    assert isinstance(seg, WalkingSegmentation)
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    assert [(b.start, b.stop, b.direction) for b in seg.bouts_] == [
        (b.start, b.stop, b.direction) for b in rep.bouts
    ]
    assert len(seg.bouts_) == 2
    assert seg.standing_.shape == seg.turning_.shape == (seq.n_frames,)
    assert seg.turning_[seg.bouts_[0].stop : seg.bouts_[1].start].any()


def test_find_walking_standing_and_bad_input():
    seq, views = standing_sequence(seconds=4.0, noise_px=1.0)
    seg = find_walking(condition(seq), views, None, GaitConfig(), sampling_rate_hz=FPS)
    assert seg.bouts_ == [] and seg.standing_.mean() > 0.8
    with pytest.raises(InvalidSequenceError):
        find_walking(seq, views[:-1], None, GaitConfig(), sampling_rate_hz=FPS)
    with pytest.raises(InvalidSequenceError):
        find_walking(seq, views, np.ones(3), GaitConfig(), sampling_rate_hz=FPS)
    with pytest.raises(InvalidSequenceError):
        find_walking(seq, views, None, GaitConfig(), sampling_rate_hz=0.0)
