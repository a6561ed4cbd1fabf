"""Leg identity in side views: BlazePose's own relabelling while the feet cross is not a swap.

On the real side-view clip ``walking/side_walk_60fps.mp4`` BlazePose gives the label "left" to the
leading foot at every heel strike: the labels change hands once per step, smoothly while the feet
cross, and around some contacts the model pulls both legs together for a frame or two. The
constant-velocity swap repair alone could not see the smooth relabelling and put the label changes
at those glitches instead, which the low-pass filter then smeared over the heel strikes (3 heel
strikes, cadence not assessable). ``gait.events.crossing_states`` takes the identity from the gait.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.gait import analyze_gait
from posture_cam.gait._signals import LEG_PAIRS, body_height_px_per_frame, leg_array
from posture_cam.gait.events import LegSwapRepair
from posture_cam.sequence import PoseSequence
from posture_cam.simulate.gait import Bout, GaitSpec, GaitTruth, simulate_gait

FPS = 60.0
BLEND_FRAMES = 2  # the relabelling spread over +-2 frames, like the real clip's 3-5 frame bounce
GLITCH_PULL = 0.35  # legs pulled to 35 % of their distance (real clip: 0.2-0.3 of the step peaks)


def _blazepose_like(
    seq: PoseSequence, truth: GaitTruth, *, swap_s: tuple[float, float] | None = None
) -> tuple[PoseSequence, np.ndarray, list[int]]:
    """The faults seen on the real clip, on a synthetic side-view walk: while walking the label "left"
    goes to the leading foot (so the labels change hands at every crossing of the feet), the change
    smoothed over +-``BLEND_FRAMES`` frames; the two frames after each heel strike have both legs
    pulled together. ``swap_s``: a genuine swap on top (labels exchanged for that span, where the
    feet are apart). Returns (sequence, frames whose labels differ from the anatomy, glitch frames)."""
    img = np.array(seq.image_px, copy=True)
    vis = np.array(seq.visibility, copy=True)
    left = [a for a, _ in LEG_PAIRS]
    right = [b for _, b in LEG_PAIRS]
    foot_x = np.stack([img[:, left[2:], 0].mean(axis=1), img[:, right[2:], 0].mean(axis=1)], axis=1)
    direction = np.zeros(seq.n_frames)
    for start, stop, d, _ in truth.bouts:
        direction[start:stop] = d
    exchanged = (direction != 0) & (direction * (foot_x[:, 0] - foot_x[:, 1]) < 0)
    relabel_at = np.flatnonzero(np.diff(exchanged.astype(int))) + 1
    if swap_s is not None:
        exchanged ^= (seq.timestamps_s >= swap_s[0]) & (seq.timestamps_s < swap_s[1])
    for a, b in LEG_PAIRS:
        for arr in (img, vis):
            arr[exchanged, a], arr[exchanged, b] = arr[exchanged, b].copy(), arr[exchanged, a].copy()
    out = img.copy()
    k = BLEND_FRAMES
    for c in relabel_at:
        for t in range(max(0, c - k), min(seq.n_frames, c + k + 1)):
            out[t, left + right, :2] = img[max(0, t - k) : t + k + 1, left + right, :2].mean(axis=0)
    glitches = []
    for e in truth.events:
        if e.type != "heel_strike":
            continue
        for t in (e.frame + 1, e.frame + 2):
            for a, b in LEG_PAIRS[1:]:
                mid = 0.5 * (out[t, a, :2] + out[t, b, :2])
                out[t, a, :2] = mid + GLITCH_PULL * (out[t, a, :2] - mid)
                out[t, b, :2] = mid + GLITCH_PULL * (out[t, b, :2] - mid)
            glitches.append(t)
    return seq.replace(image_px=out, visibility=vis), exchanged, glitches


def _walk() -> tuple[PoseSequence, GaitTruth]:
    return simulate_gait(GaitSpec(fps=FPS, bouts=(Bout(1, 5),), noise_px=1.0))


def _heel_strike_errors_frames(rep, truth: GaitTruth) -> np.ndarray:
    """|detected - true| (frames) of the nearest plausible heel strike for every true heel strike
    inside the walk (the first, from standing, and the closing step are not Zeni extrema)."""
    true = [e for e in truth.events if e.type == "heel_strike"][1:-1]
    det = [e.time_s for e in rep.events if e.type == "heel_strike" and e.plausible]
    return np.array([min((abs(d - t.time_s) * FPS for d in det), default=np.inf) for t in true])


@pytest.mark.parametrize("swap_s", [None, (2.5, 2.9)])
def test_relabelling_at_crossings_is_not_a_swap(swap_s):
    """The labels follow the anatomy again: they change hands only where the feet cross, the glitch
    frames are found, and a genuine swap on top is repaired too."""
    raw, truth = _walk()
    seq, exchanged, glitches = _blazepose_like(raw, truth, swap_s=swap_s)
    h = body_height_px_per_frame(seq, smooth_frames=int(FPS))
    rep = LegSwapRepair().detect(leg_array(seq), h, sampling_rate_hz=FPS)
    assert rep.glitches_ == glitches
    n_steps = len([e for e in truth.events if e.type == "heel_strike"]) - 1
    assert len(rep.crossings_) >= n_steps - 1
    # every walking frame with the feet apart gets the anatomical identity back (up to one global
    # naming: which foot is "left" is anchored on the majority of the run's labels)
    legs = leg_array(raw)
    apart = np.abs(np.diff(legs[:, :, 2:, 0].mean(axis=2), axis=1))[:, 0] > 0.1 * h
    walking = truth.walking & apart
    wrong = rep.swapped_[walking] != exchanged[walking]
    assert min(wrong.mean(), 1 - wrong.mean()) == 0.0
    if swap_s is not None:  # inside the genuine swap the labels are exchanged back as well
        span = walking & (raw.timestamps_s >= swap_s[0]) & (raw.timestamps_s < swap_s[1])
        assert span.sum() >= 10 and np.all(rep.swapped_[span] == exchanged[span]) != bool(wrong.mean())


@pytest.mark.parametrize("swap_s", [None, (2.5, 2.9)])
def test_relabelled_side_walk_keeps_heel_strikes_within_a_frame(swap_s):
    """Through the prepare stage (repair on the raw legs, glitch frames dropped and interpolated,
    conditioned once): heel strikes within a frame, cadence within 1 step/min. Without the
    crossing stage the swap repair put its label changes at the glitches: errors up to 2.9 frames."""
    raw, truth = _walk()
    seq, _, _ = _blazepose_like(raw, truth, swap_s=swap_s)
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    err = _heel_strike_errors_frames(rep, truth)
    assert err.size >= 8 and np.max(err) <= 1.0, np.round(err, 2)
    cadence = rep.metrics["cadence_steps_per_min"]
    assert cadence.ok and abs(cadence.number - truth.metrics["cadence_steps_per_min"]) < 1.0


def test_labels_that_were_right_are_kept():
    """A walker whose labels were right (or whose swaps the constant-velocity repair already
    found) is left alone: the crossing stage only replaces states when the legs move more smoothly."""
    raw, truth = simulate_gait(GaitSpec(fps=30.0, bouts=(Bout(1, 5),), swaps_s=((1.0, 1.6),)))
    h = body_height_px_per_frame(raw, smooth_frames=30)
    rep = LegSwapRepair().detect(leg_array(raw), h, sampling_rate_hz=30.0)
    assert np.array_equal(rep.swapped_, truth.swapped)
    assert rep.glitches_ == []


# ------------------------------------------------------------------ the real clip
#: Heel contacts counted on the frames of walking/side_walk_60fps.mp4 (heel touching the ground,
#: toe still up): frames 0, 31, 63-64, 98 and 132 of 135. The first is at the start of the clip (the
#: heel is already down) and cannot be timed; the others can.
SIDE_WALK_CONTACTS = (31, 63.5, 98, 132)
SIDE_WALK_FPS = 59.7
#: 4 step intervals over frames 0 -> 132: 33 frames = 0.553 s each, 108.5 steps/min
SIDE_WALK_CADENCE = 60.0 / (132 / 4 / SIDE_WALK_FPS)


@pytest.mark.media
@pytest.mark.slow
def test_real_side_walk_through_the_prepare_stage(shared_data: Path):
    """The path of ``posture-cam analyze``: raw landmarks -> prepare -> gait. Before the crossing
    stage: 3 heel strikes (31, 61, 98), cadence not assessable; conditioning first instead gave
    117.8 steps/min with a contact 4 frames late (68)."""
    from posture_cam.extract import extract_sequence
    from posture_cam.prepare import prepare
    from posture_cam.video import iter_frames, probe

    path = shared_data / "walking" / "side_walk_60fps.mp4"
    info = probe(path)
    raw = extract_sequence(iter_frames(path), fps=info.fps, frame_size=(info.width, info.height))
    rep = analyze_gait(prepare(raw), None)
    assert rep.walking_detected, rep.reason
    hs = [e for e in rep.events if e.type == "heel_strike" and e.plausible]
    assert len(hs) >= 4, [e.frame for e in hs]
    assert all(a.foot != b.foot for a, b in zip(hs[:-1], hs[1:], strict=False))
    for e in hs:  # each within 2 frames of a counted contact
        assert min(abs(e.frame - c) for c in SIDE_WALK_CONTACTS) <= 2.0, e.frame
    cadence = rep.metrics["cadence_steps_per_min"]
    assert cadence.ok, cadence.reason
    assert abs(cadence.number - SIDE_WALK_CADENCE) <= 0.04 * SIDE_WALK_CADENCE, cadence.number
