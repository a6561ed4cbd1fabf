"""posture_cam.live: guided-capture schedule (pure) and the live path on real frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.errors import NoPersonDetectedError
from posture_cam.live import GuidedCapture, LiveAnalyzer, Phase


def letterbox_640x480(rgb: np.ndarray) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    s = min(640 / w, 480 / h)
    small = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    out = np.zeros((480, 640, 3), np.uint8)
    y0, x0 = (480 - small.shape[0]) // 2, (640 - small.shape[1]) // 2
    out[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return out


def test_guided_capture_schedule() -> None:
    phases = (Phase("front", "a", 2.0), Phase("side", "b", 3.0), Phase("walk", "c", 4.0, optional=True))
    g = GuidedCapture(phases, include_optional=False)
    assert g.state(0.0) is None and not g.finished(0.0)
    g.start(10.0)
    s = g.state(11.5)
    assert s is not None and s.phase.name == "front" and s.remaining_s == pytest.approx(0.5)
    assert g.state(12.0).phase.name == "side"
    assert g.state(15.0) is None and g.finished(15.0)
    assert g.segments() == [
        {"name": "front", "start_s": 0.0, "end_s": 2.0},
        {"name": "side", "start_s": 2.0, "end_s": 5.0},
    ]
    assert GuidedCapture(phases).total_s == 9.0
    with pytest.raises(ValueError, match="positive duration"):
        GuidedCapture((Phase("x", "", 0.0),))


@pytest.fixture(scope="module")
def clip_frames(shared_data: Path) -> list[np.ndarray]:
    from posture_cam.video import iter_frames

    frames = [
        letterbox_640x480(f.rgb)
        for f, _ in zip(
            iter_frames(shared_data / "standing" / "single_leg_balance_front_vp9.mp4"),
            range(24),
            strict=False,
        )
    ]
    assert len(frames) == 24
    return frames


@pytest.mark.media
def test_live_analyzer_on_real_frames(clip_frames: list[np.ndarray]) -> None:
    an = LiveAnalyzer(angles_fn=None)
    try:
        an.start_capture(phases=(Phase("front", "stand", 0.3), Phase("side", "turn", 0.3)))
        outs = [an.process(f, i / 30.0) for i, f in enumerate(clip_frames)]
        s = an.stats()
        assert s.frames == 24 and s.frames_with_landmarks >= 20
        assert s.capture_done and s.captured_frames == 18  # 0.6 s at 30 fps
        assert s.frame_size == (640, 480) and s.latency_ms > 0
        # the overlay changed the pixels around the person
        assert np.abs(outs[5].astype(int) - clip_frames[5].astype(int)).sum() > 1000
        seq = an.captured_sequence()
        assert seq.n_frames == 18 and seq.frame_size == (640, 480)
        assert seq.detected.sum() >= 15 and np.all(np.diff(seq.timestamps_s) > 0)
        assert seq.meta["capture_phases"][1]["name"] == "side"
        # a repeated timestamp (restarted clock) never goes backwards
        an.process(clip_frames[0], 0.0)
    finally:
        an.close()


@pytest.mark.media
def test_live_analyzer_nobody(clip_frames: list[np.ndarray]) -> None:
    an = LiveAnalyzer(angles_fn=None)
    try:
        an.start_capture(phases=(Phase("front", "stand", 0.2),))
        black = np.zeros_like(clip_frames[0])
        for i in range(8):
            an.process(black, i / 30.0)
        assert an.stats().frames_with_landmarks == 0
        with pytest.raises(NoPersonDetectedError, match="nobody"):
            an.captured_sequence()
    finally:
        an.close()


@pytest.mark.media
def test_live_angles_on_real_frames(clip_frames: list[np.ndarray]) -> None:
    """Front-view clip: the live panel gets a view label and frontal angles in degrees."""
    an = LiveAnalyzer()
    try:
        for i, f in enumerate(clip_frames[:10]):
            an.process(f, i / 30.0)
        s = an.stats()
    finally:
        an.close()
    assert s.error is None
    assert isinstance(s.angles.get("view"), str)
    vals = {k: v for k, v in s.angles.items() if k != "view"}
    assert vals and all(-180 < v <= 180 for v in vals.values())


def test_captured_sequence_without_frames() -> None:
    with pytest.raises(NoPersonDetectedError, match="no frames"):
        LiveAnalyzer(angles_fn=None).captured_sequence()
