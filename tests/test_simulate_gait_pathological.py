"""Truth and signatures of the long pathological-walker recordings (posture_cam.simulate.gait_recording).

The recordings are the ground truth the gait analysis is developed against, so these tests check
that the truth is consistent with the landmarks it comes with, and that each gait type shows the
signature it is named for (issue 13).
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from scipy.ndimage import binary_erosion

from posture_cam.landmarks import Landmark as L
from posture_cam.sequence import PoseSequence
from posture_cam.simulate.gait_recording import (
    GAIT_TYPES,
    MEASURED_FAULTS,
    MODEL_ERROR_PCT,
    STANDING_ERROR_FRACTION,
    CameraSpec,
    RecordingSpec,
    RecordingTruth,
    Stand,
    Turn,
    Walk,
    WalkerSpec,
    recording,
    score_contacts,
    simulate_recording,
    standing_recording,
    view_label,
    walker,
)

FLOOR_M = 0.01  # heel and toe landmarks sit 1 cm above the floor when the foot is flat


@cache
def _rec(gait: str, layout: str | None = None) -> tuple[PoseSequence, RecordingTruth]:
    return simulate_recording(recording(gait, layout=layout, noise_px=0.0))


CASES = [(g, None) for g in GAIT_TYPES] + [(g, "clinic") for g in GAIT_TYPES]


def _pts(tr: RecordingTruth, name: str) -> np.ndarray:
    return tr.world_m[:, L[name]]


def _mid(tr: RecordingTruth, a: str, b: str) -> np.ndarray:
    return 0.5 * (_pts(tr, a) + _pts(tr, b))


def _knee_flexion_deg(tr: RecordingTruth, side: str) -> np.ndarray:
    s = side.upper()
    u = _pts(tr, f"{s}_HIP") - _pts(tr, f"{s}_KNEE")
    v = _pts(tr, f"{s}_ANKLE") - _pts(tr, f"{s}_KNEE")
    c = np.sum(u * v, 1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    return 180.0 - np.rad2deg(np.arccos(np.clip(c, -1, 1)))


def _lowest_y(tr: RecordingTruth, side: str) -> np.ndarray:
    s = side.upper()
    return np.minimum(_pts(tr, f"{s}_HEEL")[:, 1], _pts(tr, f"{s}_FOOT_INDEX")[:, 1])


def _heading_vectors(tr: RecordingTruth) -> tuple[np.ndarray, np.ndarray]:
    h = np.deg2rad(tr.pelvis_heading_deg)
    fwd = np.stack([np.cos(h), np.zeros_like(h), np.sin(h)], 1)
    left = np.stack([np.sin(h), np.zeros_like(h), -np.cos(h)], 1)
    return fwd, left


# ------------------------------------------------------------------ truth consistency
@pytest.mark.parametrize(("gait", "layout"), CASES)
def test_events_alternate_and_bouts_match_phases(gait, layout):
    seq, tr = _rec(gait, layout)
    n = seq.n_frames
    assert 10.0 <= n / seq.fps <= 33.0 and seq.fps == 24.0
    assert len(tr.bouts) == (3 if layout else 2) and tr.turning.any()
    # phases tile the recording
    assert tr.phases[0][1] == 0 and tr.phases[-1][2] == n
    assert all(a[2] == b[1] for a, b in zip(tr.phases[:-1], tr.phases[1:], strict=True))
    walking = np.zeros(n, bool)
    for b_i, b in enumerate(tr.bouts):
        walking[b.start : b.stop] = True
        assert 2.5 <= b.end_s - b.start_s <= 7.0, (gait, b)
        cont = [e for e in tr.events if e.bout == b_i and e.type == "foot_contact"]
        assert len(cont) == b.n_contacts >= 4
        feet = [e.foot for e in cont]
        assert all(x != y for x, y in zip(feet[:-1], feet[1:], strict=True)), feet  # alternate
        assert all(b.start <= e.frame < b.stop for e in tr.events if e.bout == b_i)
    assert np.array_equal(walking, tr.walking)
    assert np.array_equal(tr.walking | tr.turning | tr.standing, np.ones(n, bool))
    for side in ("left", "right"):  # per foot: off, contact, off, contact ...
        kinds = [e.type for e in tr.events if e.foot == side]
        assert kinds[0] == "foot_off" and all(x != y for x, y in zip(kinds[:-1], kinds[1:], strict=True))
    for e in tr.events:
        assert tr.phase_per_frame[e.frame] == e.phase, e
        assert (e.bout >= 0) == (e.phase == "walking")
    assert not any(e.frame < tr.bouts[0].start for e in tr.events)  # nothing while standing/talking


@pytest.mark.parametrize(
    ("gait", "lo", "hi"),
    [("healthy", 100, 120), ("hemiplegic", 60, 70), ("parkinsonian", 125, 145), ("waddling", 55, 65)],
)
def test_cadence_matches_spec(gait, lo, hi):
    _, tr = _rec(gait)
    spec = tr.walker.cadence_steps_per_min
    assert lo <= spec <= hi
    for b in tr.bouts:  # the initiation step is a swing only, so allow a few per cent
        assert abs(b.cadence_steps_per_min - spec) / spec < 0.04, (b.cadence_steps_per_min, spec)


def test_ataxic_timing_is_irregular_but_centred():
    _, tr = _rec("ataxic")
    assert 15.0 <= tr.metrics["step_time_cv_pct"] <= 30.0
    contacts = tr.contacts()
    steps = np.diff([e.time_s for e in contacts if e.bout == 0])
    assert (
        abs(60.0 / np.mean(steps) - tr.walker.cadence_steps_per_min) / tr.walker.cadence_steps_per_min < 0.2
    )


@pytest.mark.parametrize(("gait", "layout"), CASES)
def test_contacts_where_the_foot_is_lowest_and_still(gait, layout):
    seq, tr = _rec(gait, layout)
    fps = seq.fps
    for e in tr.contacts(phase=None):
        low = _lowest_y(tr, e.foot)
        # the frame after contact: the foot is on the floor (toe, heel or sole)
        i = min(int(np.ceil(e.time_s * fps)), seq.n_frames - 1)
        assert low[i] < FLOOR_M + 0.004, (gait, e, low[i])
        # the frame before (in swing) it was higher
        j = int(np.floor(e.time_s * fps)) - 1
        assert low[j] > low[i], e
    for side in ("left", "right"):
        ankle = _pts(tr, f"{side.upper()}_ANKLE")
        speed = np.zeros(seq.n_frames)
        speed[1:] = np.linalg.norm(np.diff(ankle[:, [0, 2]], axis=0), axis=1) * fps
        on = tr.on_ground[side]
        # flat foot (no roll, one frame off the edges of each stance) does not move
        flat = binary_erosion(on, np.ones(17, bool))
        assert np.max(speed[flat[1:].nonzero()[0] + 1]) < 0.05, gait
        # every swing lifts the foot off the floor
        assert np.all(_lowest_y(tr, side)[~on] > FLOOR_M - 1e-6)


def test_standing_recording_has_no_steps_but_moves():
    seq, tr = simulate_recording(standing_recording(seconds=12.0))
    assert not tr.events and not tr.walking.any() and not tr.bouts and tr.standing.all()
    active = tr.phase_per_frame == "standing_active"
    assert active.sum() > 5 * seq.fps
    for side in ("LEFT", "RIGHT"):
        assert np.ptp(_pts(tr, f"{side}_ANKLE")[:, [0, 2]], axis=0).max() < 1e-9  # feet stay
        assert np.ptp(_pts(tr, f"{side}_WRIST")[active], axis=0).max() > 0.10  # hands gesture
    pelvis = _mid(tr, "LEFT_HIP", "RIGHT_HIP")
    assert np.ptp(pelvis[active][:, [0, 2]], axis=0).max() > 0.05  # weight shifts side to side
    assert np.ptp(tr.world_m[:, L.NOSE][active], axis=0).max() > 0.05  # head turns


@pytest.mark.parametrize(("gait", "layout"), CASES)
def test_image_framing_and_camera(gait, layout):
    seq, tr = _rec(gait, layout)
    xy = np.asarray(seq.image_px)[..., :2]
    w, h = seq.frame_size
    assert np.all((xy[..., 0] > 0) & (xy[..., 0] < w) & (xy[..., 1] > 0) & (xy[..., 1] < h))
    assert 0.3 * h <= np.median(tr.body_height_px) <= 0.6 * h and np.max(tr.body_height_px) < 0.7 * h
    assert set(np.unique(tr.view_per_frame.astype(str))) <= {
        "front",
        "back",
        "left_side",
        "right_side",
        "oblique",
    }


def test_layouts_give_side_oblique_and_frontal_bouts():
    assert [b.view for b in _rec("hemiplegic")[1].bouts] == ["right_side", "left_side"]
    assert [b.direction for b in _rec("hemiplegic")[1].bouts] == ["left_to_right", "right_to_left"]
    assert {b.view for b in _rec("ataxic")[1].bouts} == {"oblique"}
    wad = _rec("waddling")[1].bouts
    assert [(b.view, b.direction) for b in wad] == [("front", "toward"), ("back", "away")]


def test_clinic_layout_changes_view_within_the_last_bout():
    for gait in ("healthy", "hemiplegic", "parkinsonian"):
        _, tr = _rec(gait, "clinic")
        first, second, third = tr.bouts
        assert first.view == "right_side" and second.view == "oblique"
        h = tr.pelvis_heading_deg[third.start : third.stop]
        assert 40.0 <= h[-1] - h[0] <= 50.0  # the path curves 45 deg within the bout
        if gait != "healthy":  # slower walkers pass from an oblique into a side view
            assert set(tr.view_per_frame[third.start : third.stop]) == {"oblique", "right_side"}
        assert (tr.phase_per_frame == "standing_active").sum() > 2 * 24


def test_view_label_bands():
    got = view_label(np.array([0.0, 20.0, 45.0, 90.0, -90.0, 140.0, 180.0, -170.0]))
    assert list(got) == ["front", "front", "oblique", "right_side", "left_side", "oblique", "back", "back"]


# ------------------------------------------------------------------ signatures
def _max_outward_swing_m(tr: RecordingTruth, side: str) -> float:
    """Largest outward distance of the swinging ankle from the straight line foot off -> contact."""
    ankle = _pts(tr, f"{side.upper()}_ANKLE")[:, [0, 2]]
    on = tr.on_ground[side]
    best = 0.0
    for i0 in np.flatnonzero(on[:-1] & ~on[1:]):
        stop = np.flatnonzero(on[i0 + 1 :])
        if not stop.size or not tr.walking[i0 + 1]:
            continue
        i1 = i0 + 1 + stop[0]
        a, b = ankle[i0], ankle[i1]
        u = (b - a) / max(np.linalg.norm(b - a), 1e-9)
        normal_left = np.array([u[1], -u[0]])  # walker's left of the travel direction (x, z)
        d = (ankle[i0:i1] - a) @ normal_left * (1 if side == "left" else -1)
        best = max(best, float(np.max(d)))
    return best


def test_hemiplegic_signature_on_the_affected_side():
    _, tr = _rec("hemiplegic")
    m = tr.metrics
    assert m["stance_time_left_s"] > m["stance_time_right_s"] + 0.2  # longer stance on the sound side
    fwd, _ = _heading_vectors(tr)
    wk = tr.walking
    for side, circ_lo, circ_hi in (("right", 0.08, 0.2), ("left", 0.0, 0.01)):
        assert circ_lo <= _max_outward_swing_m(tr, side) <= circ_hi, side
    assert np.max(_knee_flexion_deg(tr, "right")[wk & ~tr.on_ground["right"]]) < 30.0  # stiff knee
    assert np.max(_knee_flexion_deg(tr, "left")[wk & ~tr.on_ground["left"]]) > 50.0
    # arm: the affected arm is held flexed without swing, the sound one swings
    for side, lo, hi in (("right", 0.0, 0.01), ("left", 0.15, 1.0)):
        rel = np.sum((_pts(tr, f"{side.upper()}_WRIST") - _pts(tr, f"{side.upper()}_SHOULDER")) * fwd, 1)
        assert lo <= np.ptp(rel[wk]) <= hi, (side, np.ptp(rel[wk]))
    elbow = _pts(tr, "RIGHT_ELBOW")
    wrist = _pts(tr, "RIGHT_WRIST")
    assert np.median(wrist[wk, 1] - elbow[wk, 1]) > 0.0  # forearm up: flexed elbow
    # no heel-first landing on the affected side: heel and toe reach the floor together
    for e in tr.contacts("right"):
        i = int(np.ceil(e.time_s * 24.0))
        assert e.landing == "flat"
        assert abs(_pts(tr, "RIGHT_HEEL")[i, 1] - _pts(tr, "RIGHT_FOOT_INDEX")[i, 1]) < 0.005
    assert all(e.landing == "heel" for e in tr.contacts("left"))


def _trunk_flexion_deg(tr: RecordingTruth) -> np.ndarray:
    fwd, _ = _heading_vectors(tr)
    v = _mid(tr, "LEFT_SHOULDER", "RIGHT_SHOULDER") - _mid(tr, "LEFT_HIP", "RIGHT_HIP")
    return np.rad2deg(np.arctan2(np.sum(v * fwd, 1), v[:, 1]))


def test_parkinsonian_signature():
    _, tr = _rec("parkinsonian")
    wk = tr.walking
    flex = _trunk_flexion_deg(tr)[wk]
    assert 20.0 <= np.median(flex) <= 30.0
    assert (
        np.median(_trunk_flexion_deg(tr)[tr.phase_per_frame == "standing"]) > 15.0
    )  # stooped when standing too
    stride = 2 * 0.5 * (tr.metrics["step_length_left_m"] + tr.metrics["step_length_right_m"])
    assert 0.2 <= stride <= 0.4
    for side in ("left", "right"):
        assert np.max(_lowest_y(tr, side)[wk]) - FLOOR_M < 0.03  # feet barely lifted
        assert all(e.landing == "flat" for e in tr.contacts(side))
        fwd, _ = _heading_vectors(tr)
        rel = np.sum((_pts(tr, f"{side.upper()}_WRIST") - _pts(tr, f"{side.upper()}_SHOULDER")) * fwd, 1)
        assert np.ptp(rel[wk]) < 0.01  # no arm swing
    # hesitation precedes each bout; the turn takes many small steps
    labels = [p[0] for p in tr.phases]
    for i, lab in enumerate(labels):
        if lab == "walking":
            assert "hesitation" in labels[max(0, i - 2) : i]
    assert len([e for e in tr.contacts(phase="turn")]) >= 8


def test_ataxic_signature():
    _, tr = _rec("ataxic")
    assert 0.25 <= tr.metrics["step_width_m"] <= 0.4
    wk = tr.walking
    # the path is not straight: the heading wanders within a bout
    for b in tr.bouts:
        h = tr.pelvis_heading_deg[b.start : b.stop]
        assert np.std(h) > 2.0
    # arms out to the sides
    _, left = _heading_vectors(tr)
    for side, sg in (("left", 1), ("right", -1)):
        s = side.upper()
        out = sg * np.sum((_pts(tr, f"{s}_WRIST") - _pts(tr, f"{s}_SHOULDER")) * left, 1)
        assert np.median(out[wk]) > 0.2


def test_waddling_signature():
    _, tr = _rec("waddling")
    wk = tr.walking
    _, left = _heading_vectors(tr)
    v = _mid(tr, "LEFT_SHOULDER", "RIGHT_SHOULDER") - _mid(tr, "LEFT_HIP", "RIGHT_HIP")
    lean_left_deg = np.rad2deg(np.arctan2(np.sum(v * left, 1), v[:, 1]))  # + trunk toward the left
    left_single = wk & tr.on_ground["left"] & ~tr.on_ground["right"]
    right_single = wk & tr.on_ground["right"] & ~tr.on_ground["left"]
    assert 9.0 <= np.max(lean_left_deg[left_single]) <= 16.0  # toward the stance leg, every step
    assert 9.0 <= np.max(-lean_left_deg[right_single]) <= 16.0
    for b_i in range(len(tr.bouts)):  # lurch in every single support
        cont = [e for e in tr.events if e.bout == b_i and e.type == "foot_contact"]
        for a, b in zip(cont[:-1], cont[1:], strict=True):
            seg = slice(a.frame, b.frame)
            sgn = 1 if a.foot == "left" else -1
            assert np.max(sgn * lean_left_deg[seg]) > 8.0
    for side in ("LEFT", "RIGHT"):  # hands on hips
        d = np.linalg.norm(_pts(tr, f"{side}_WRIST") - _pts(tr, f"{side}_HIP"), axis=1)
        assert np.max(d[wk]) < 0.15
    assert tr.bouts[0].direction == "toward"


def test_healthy_baseline_signature():
    _, tr = _rec("healthy")
    wk = tr.walking
    fwd, _ = _heading_vectors(tr)
    for side in ("left", "right"):
        assert all(e.landing == "heel" for e in tr.contacts(side))
        assert np.max(_knee_flexion_deg(tr, side)[wk & ~tr.on_ground[side]]) > 50.0
        rel = np.sum((_pts(tr, f"{side.upper()}_WRIST") - _pts(tr, f"{side.upper()}_SHOULDER")) * fwd, 1)
        assert np.ptp(rel[wk]) > 0.2
    assert abs(np.median(_trunk_flexion_deg(tr)[wk]) - 3.0) < 1.5


# ------------------------------------------------------------------ options and bad input
def test_affected_side_mirrors():
    _, tr = simulate_recording(recording("hemiplegic", affected_side="left", noise_px=0.0))
    assert tr.metrics["stance_time_right_s"] > tr.metrics["stance_time_left_s"] + 0.2
    assert all(e.landing == "flat" for e in tr.contacts("left"))


def test_custom_recording_and_noise_reproducible():
    spec = RecordingSpec(
        walker=walker("healthy"),
        phases=(Stand(1.0), Walk(6, turn_deg=40.0), Turn(90.0), Walk(5), Stand(0.5)),
        camera=CameraSpec((0.0, 1.6, 7.0), (0.0, 0.9, 0.0)),
        fps=30.0,
        noise_px=2.0,
        seed=4,
    )
    a, ta = simulate_recording(spec)
    b, _ = simulate_recording(spec)
    assert np.array_equal(np.asarray(a.image_px), np.asarray(b.image_px), equal_nan=True)
    assert len(ta.bouts) == 2 and ta.turning.any()
    clean, _ = simulate_recording(RecordingSpec(**{**spec.__dict__, "noise_px": 0.0}))
    diff = np.asarray(a.image_px)[..., :2] - np.asarray(clean.image_px)[..., :2]
    assert 1.5 < np.std(diff) < 2.5


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: walker("limping"), "gait_type"),
        (lambda: WalkerSpec(swing_time_left_s=0.6), "swing_time_left_s"),
        (lambda: WalkerSpec(landing_right="ball"), "landing_right"),
        (lambda: WalkerSpec(arm_left="waving"), "arm_left"),
        (lambda: RecordingSpec(phases=(Walk(1),)), "n_steps"),
        (lambda: RecordingSpec(phases=()), "phases"),
        (lambda: recording("healthy", layout="ceiling"), "layout"),
        (lambda: simulate_recording(RecordingSpec(phases=(Turn(180.0, n_steps=1),))), "n_steps"),
    ],
)
def test_bad_specs_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_blazepose_like_faults_are_marked_in_the_truth():
    base = recording("hemiplegic", noise_px=0.0)
    clean, _ = simulate_recording(base)
    faulty, tr = simulate_recording(
        RecordingSpec(
            **{**base.__dict__, "far_side_noise_px": 6.0, "swap_rate_per_s": 0.5, "dropout_rate": 0.03}
        )
    )
    a, b = np.asarray(clean.image_px)[..., :2], np.asarray(faulty.image_px)[..., :2]
    assert tr.dropped.sum() >= 3 and np.all(np.isnan(b[tr.dropped]))
    assert tr.swapped.sum() >= 10
    assert np.all(np.abs(np.sin(np.deg2rad(tr.view_angle_deg[tr.swapped]))) > 0.7)  # side-on frames only
    ok = ~tr.dropped
    swaps_only, tr2 = simulate_recording(RecordingSpec(**{**base.__dict__, "swap_rate_per_s": 0.5}))
    c, sw2 = np.asarray(swaps_only.image_px)[..., :2], tr2.swapped
    assert sw2.sum() >= 10
    assert np.allclose(c[sw2, L.LEFT_ANKLE], a[sw2, L.RIGHT_ANKLE], atol=1e-3)  # labels exchanged
    assert np.allclose(c[sw2, L.LEFT_SHOULDER], a[sw2, L.LEFT_SHOULDER], atol=1e-3)  # arms untouched
    assert np.allclose(c[~sw2], a[~sw2], atol=1e-3)
    plain = ok & ~tr.swapped & (np.abs(tr.view_angle_deg) > 60) & (np.abs(tr.view_angle_deg) < 120)
    near_right = plain & (tr.view_angle_deg > 0)  # camera on the right: the left side is far
    far_err = np.linalg.norm(b[near_right, L.LEFT_WRIST] - a[near_right, L.LEFT_WRIST], axis=1)
    near_err = np.linalg.norm(b[near_right, L.RIGHT_WRIST] - a[near_right, L.RIGHT_WRIST], axis=1)
    assert np.median(far_err) > 4.0 and np.max(near_err) < 1e-3
    with pytest.raises(ValueError, match="dropout_rate"):
        RecordingSpec(dropout_rate=0.6)


def test_far_leg_collapse_pulls_the_far_ankle_to_the_near_one():
    base = recording("healthy", noise_px=0.0)
    a = np.asarray(simulate_recording(base)[0].image_px)[..., :2]
    seq, tr = simulate_recording(RecordingSpec(**{**base.__dict__, "far_leg_collapse": 0.8}))
    b = np.asarray(seq.image_px)[..., :2]
    side_on = tr.walking & (tr.view_angle_deg > 80)  # camera on the right: the left leg is far
    gap_before = np.linalg.norm(a[side_on, L.LEFT_ANKLE] - a[side_on, L.RIGHT_ANKLE], axis=1)
    gap_after = np.linalg.norm(b[side_on, L.LEFT_ANKLE] - b[side_on, L.RIGHT_ANKLE], axis=1)
    assert np.allclose(gap_after, 0.2 * gap_before, rtol=1e-3, atol=1e-3)
    assert np.allclose(b[side_on, L.RIGHT_ANKLE], a[side_on, L.RIGHT_ANKLE])  # near leg as it was
    frontal = np.abs(tr.view_angle_deg) < 25
    assert np.allclose(b[frontal], a[frontal])


def test_score_contacts():
    seq, tr = _rec("healthy")
    fps = seq.fps
    walk = tr.contacts()
    turn = tr.contacts(phase="turn")
    perfect = [(e.time_s, e.foot) for e in walk]
    sc = score_contacts(tr, perfect, fps=fps)
    assert (sc.n_true, sc.n_found, sc.n_false, sc.found_pct) == (len(walk), len(walk), 0, 100.0)
    assert sc.median_abs_error_frames == 0.0
    late = [(t + 1.5 / fps, f) for t, f in perfect]
    assert score_contacts(tr, late, fps=fps).errors_frames == pytest.approx([1.5] * len(walk))
    too_late = [(t + 3.0 / fps, f) for t, f in perfect]
    assert score_contacts(tr, too_late, fps=fps).n_found == 0
    wrong_foot = [(t, "left" if f == "right" else "right") for t, f in perfect]
    assert score_contacts(tr, wrong_foot, fps=fps).n_found == 0
    assert score_contacts(tr, wrong_foot, fps=fps, match_feet=False).n_found == len(walk)
    extra = perfect + [(turn[0].time_s, turn[0].foot), (0.5, "left")]  # a turn step and a ghost
    sc = score_contacts(tr, extra, fps=fps)
    assert (sc.n_found, sc.n_false) == (len(walk), 1)
    assert score_contacts(tr, extra, fps=fps, phase=None).n_true == len(walk) + len(turn)


@pytest.mark.parametrize(
    ("gait", "key", "lo", "hi"),
    [
        ("hemiplegic", "wrist_excursion_right_m", 0.0, 0.01),
        ("hemiplegic", "wrist_excursion_left_m", 0.2, 0.5),
        ("hemiplegic", "foot_clearance_right_m", 0.0, 0.04),
        ("parkinsonian", "trunk_flexion_walking_deg", 24.0, 26.0),
        ("parkinsonian", "foot_clearance_left_m", 0.01, 0.02),
        ("waddling", "trunk_lean_left_stance_deg", 11.0, 13.0),
        ("waddling", "trunk_lean_right_stance_deg", 11.0, 13.0),
        ("healthy", "trunk_lean_left_stance_deg", 0.5, 1.5),
        ("healthy", "foot_clearance_right_m", 0.08, 0.2),
    ],
)
def test_landmark_truth_metrics(gait, key, lo, hi):
    assert lo <= _rec(gait)[1].metrics[key] <= hi


def test_tracker_smoothing_lags_by_its_time_constant():
    base = recording("healthy", noise_px=0.0)
    a = np.asarray(simulate_recording(base)[0].image_px)[:, L.LEFT_HIP, 0]
    seq, tr = simulate_recording(RecordingSpec(**{**base.__dict__, "smoothing_frames": 2.0}))
    b = np.asarray(seq.image_px)[:, L.LEFT_HIP, 0]
    k = 1.0 - np.exp(-0.5)
    lag = (1 - k) / k  # frames, for a steady ramp
    bout = tr.bouts[0]
    i = np.arange(bout.start + 12, bout.stop - 12)
    shifted = np.interp(i - lag, np.arange(a.size), a)
    assert np.max(np.abs(b[i] - shifted)) < 0.05 * np.ptp(a[i])  # the pelvis bobs, so not exact
    assert np.mean(np.abs(b[i] - shifted)) < np.mean(np.abs(b[i] - a[i])) / 3
    with pytest.raises(ValueError, match="smoothing_frames"):
        RecordingSpec(smoothing_frames=-1.0)


def test_toe_first_landing_touches_with_the_toe_then_rolls_flat():
    seq, tr = simulate_recording(recording("hemiplegic", noise_px=0.0, landing_right="toe"))
    heel, toe = _pts(tr, "RIGHT_HEEL")[:, 1], _pts(tr, "RIGHT_FOOT_INDEX")[:, 1]
    contacts = tr.contacts("right")
    assert contacts and all(e.landing == "toe" for e in contacts)
    for e in contacts:
        i = int(np.ceil(e.time_s * seq.fps))
        assert toe[i] < FLOOR_M + 0.004 and heel[i] > toe[i] + 0.01  # toe down, heel up
        j = i + int(0.2 * seq.fps)  # rolled flat within the rocker (0.12 s)
        assert abs(heel[j] - toe[j]) < 1e-6 and tr.on_ground["right"][j]


def test_model_error_has_the_measured_size_and_correlation():
    base = recording("hemiplegic", noise_px=0.0)
    a = np.asarray(simulate_recording(base)[0].image_px)[..., :2]
    seq, tr = simulate_recording(RecordingSpec(**{**base.__dict__, "correlated_noise_scale": 1.0}))
    e = (np.asarray(seq.image_px)[..., :2] - a) / tr.body_height_px[:, None, None] * 100.0
    walk = binary_erosion(tr.walking, np.ones(13, bool))  # away from the 0.25 s ramps
    still = binary_erosion(tr.phase_per_frame == "standing", np.ones(13, bool))
    for lm, kind in (
        (L.RIGHT_ANKLE, "ANKLE"),
        (L.LEFT_HIP, "HIP"),
        (L.NOSE, "NOSE"),
        (L.LEFT_THUMB, "WRIST"),
    ):
        sx, sy = MODEL_ERROR_PCT[kind]
        assert np.std(e[walk, lm, 0]) == pytest.approx(sx, rel=0.15), kind
        assert np.std(e[walk, lm, 1]) == pytest.approx(sy, rel=0.15), kind
    # standing still: much smaller errors at the feet, as measured on the renders
    f = STANDING_ERROR_FRACTION["ANKLE"]
    assert np.std(e[still, L.RIGHT_ANKLE, 0]) == pytest.approx(f * MODEL_ERROR_PCT["ANKLE"][0], rel=0.25)
    x = e[tr.bouts[0].start + 6 : tr.bouts[0].stop - 6, L.RIGHT_ANKLE, 0]
    lag1 = np.corrcoef(x[:-1], x[1:])[0, 1]
    lag4 = np.corrcoef(x[:-4], x[4:])[0, 1]
    assert 0.75 <= lag1 <= 0.95 and lag4 < 0.35
    # a table of its own (the parkinsonian render's) replaces the default
    pd = recording("parkinsonian", realistic=True)
    assert pd.model_error_pct is not None and ("ANKLE", 1.0, 0.9) in pd.model_error_pct
    own = (("ANKLE", 6.0, 0.5),)
    seq2, _ = simulate_recording(
        RecordingSpec(**{**base.__dict__, "correlated_noise_scale": 1.0, "model_error_pct": own})
    )
    e2 = (np.asarray(seq2.image_px)[..., :2] - a) / tr.body_height_px[:, None, None] * 100.0
    assert np.std(e2[walk, L.LEFT_ANKLE, 0]) == pytest.approx(6.0, rel=0.15)
    assert np.std(e2[walk, L.LEFT_KNEE, 0]) == pytest.approx(1.0, rel=0.15)  # kinds not in the table: 1 %


def test_leg_collapse_draws_both_legs_together():
    base = recording("parkinsonian", noise_px=0.0)
    a = np.asarray(simulate_recording(base)[0].image_px)[..., :2]
    seq, tr = simulate_recording(RecordingSpec(**{**base.__dict__, "leg_collapse": 0.35}))
    b = np.asarray(seq.image_px)[..., :2]
    for part in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX"):
        gap_a = a[:, L[f"LEFT_{part}"]] - a[:, L[f"RIGHT_{part}"]]
        gap_b = b[:, L[f"LEFT_{part}"]] - b[:, L[f"RIGHT_{part}"]]
        assert np.allclose(gap_b, 0.3 * gap_a, atol=1e-3)
        mid_a = a[:, L[f"LEFT_{part}"]] + a[:, L[f"RIGHT_{part}"]]
        assert np.allclose(b[:, L[f"LEFT_{part}"]] + b[:, L[f"RIGHT_{part}"]], mid_a, atol=1e-3)
    assert np.allclose(b[:, L.LEFT_HIP], a[:, L.LEFT_HIP])
    assert (
        recording("parkinsonian", realistic=True).leg_collapse
        == MEASURED_FAULTS["parkinsonian"]["leg_collapse"]
    )
    for gait in GAIT_TYPES:
        assert recording(gait, realistic=True).leg_collapse == MEASURED_FAULTS[gait]["leg_collapse"]
    assert recording("waddling", realistic=True).leg_collapse == MEASURED_FAULTS["waddling"]["leg_collapse"]

    with pytest.raises(ValueError, match="leg_collapse"):
        RecordingSpec(leg_collapse=0.7)


def test_truth_to_json_round_trips():
    _, tr = _rec("hemiplegic")
    js = json.loads(json.dumps(tr.to_json(), allow_nan=False))
    assert js["gait_type"] == "hemiplegic" and js["n_frames"] == tr.walking.size
    assert len(js["events"]) == len(tr.events) and len(js["bouts"]) == 2
    assert js["events"][0]["type"] == "foot_off" and js["events"][0]["step_length_m"] is None
    contacts = [e for e in js["events"] if e["type"] == "foot_contact" and e["bout"] == 0]
    assert [e["frame"] for e in contacts] == [e.frame for e in tr.contacts() if e.bout == 0]
    assert js["phase_per_frame"] == list(tr.phase_per_frame) and js["swapped_frames"] == []
