"""Slow and pathological walkers (issue 13): GAITSIM recordings with exact truth.

Each recording (posture_cam.simulate.gait_recording) stands quietly, stands talking (gestures, head
turns, weight shifts), walks a bout, turns 180 degrees on the spot in small steps, walks back and
stands. Checked per gait type: both bouts found and the turn left out, contacts within 2 frames of
the truth (thresholds = what the method measured, docs/accuracy.md gait table), no invented
contacts, cadence within 10 %, the gait findings raised and not raised. A standing-and-talking
recording must give no walking at all.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from posture_cam.gait import analyze_gait
from posture_cam.rules.engine import evaluate, load_rules
from posture_cam.simulate.gait_recording import recording, simulate_recording, standing_recording

GAIT_RULES = (
    "antalgic_gait_chain",
    "trendelenburg_gait",
    "compensated_trendelenburg_left",
    "compensated_trendelenburg_right",
    "gait_asymmetry_right_leg",
    "gait_asymmetry_left_leg",
    "waddling_gait",
    "stooped_short_step_gait",
)


@cache
def _run(gait: str, layout: str | None = None):
    spec = recording(gait, **({"layout": layout} if layout else {}))
    seq, truth = simulate_recording(spec)
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    return rep, truth, float(seq.fps)


def _contact_errors_frames(rep, truth, fps: float) -> np.ndarray:
    """|detected - true| (frames) of the nearest plausible contact for every true walking contact."""
    det = [e.time_s for e in rep.events if e.plausible and e.type == "heel_strike"]
    return np.array(
        [min((abs(d - t.time_s) * fps for d in det), default=np.inf) for t in truth.contacts(phase="walking")]
    )


def _false_contacts(rep, truth, fps: float, tol_frames: float = 3.0) -> int:
    """Plausible detected contacts more than ``tol_frames`` from every true contact (walking or turn)."""
    true = [t.time_s for t in truth.events if t.type == "foot_contact"]
    det = [e.time_s for e in rep.events if e.plausible and e.type == "heel_strike"]
    return sum(1 for d in det if min(abs(d - t) for t in true) * fps > tol_frames)


def _flags(rep) -> dict[str, str]:
    res = json.loads(json.dumps({"gait": rep.to_json()}))
    return {
        f.id: f.status
        for f in evaluate(res, load_rules())
        if f.id in GAIT_RULES and f.status in ("flagged", "borderline")
    }


# (gait, layout, min share of contacts within 2 frames, min share within 6 frames, max false contacts)
CASES = [
    ("healthy", None, 0.8, 0.8, 0),  # side view; the closing step (feet together) is not an extremum
    ("hemiplegic", None, 0.7, 0.8, 1),  # side view, flat landing of the circumducting right foot
    ("parkinsonian", None, 0.9, 0.9, 0),  # side view, 15 cm shuffling steps, flat landing
    ("ataxic", None, 0.7, 0.85, 0),  # oblique view, wide irregular steps
    ("waddling", None, 0.0, 0.7, 11),  # front/back view: contacts ~5 frames off (perspective bias)
    ("parkinsonian", "toward", 0.8, 0.9, 0),  # front/back view
]


@pytest.mark.parametrize(("gait", "layout", "w2", "w6", "max_false"), CASES)
def test_bouts_contacts_and_cadence(gait, layout, w2, w6, max_false):
    rep, truth, fps = _run(gait, layout)
    assert rep.walking_detected, rep.reason
    # both bouts, each overlapping its true bout by >= 80 %, none reaching into the turn
    assert len(rep.bouts) == len(truth.bouts) == 2
    for b, tb in zip(rep.bouts, truth.bouts, strict=True):
        overlap = (min(b.stop, tb.stop) - max(b.start, tb.start)) / (tb.stop - tb.start)
        assert overlap >= 0.8, (gait, (b.start, b.stop), (tb.start, tb.stop))
        assert np.mean(np.asarray(truth.turning)[b.start : b.stop]) <= 0.05
        assert b.reason
    err = _contact_errors_frames(rep, truth, fps)
    assert np.mean(err <= 2) >= w2, (gait, np.round(err, 1))
    assert np.mean(err <= 6) >= w6, (gait, np.round(err, 1))
    assert _false_contacts(rep, truth, fps) <= max_false
    cad = rep.metrics["cadence_steps_per_min"]
    assert cad.ok and abs(cad.value / truth.metrics["cadence_steps_per_min"] - 1) <= 0.1


def test_side_view_pathological_contacts_within_3_frames():
    """Issue 13 target on side-view pathological walking: >= 80 % of contacts within 3 frames."""
    errs = np.concatenate([_contact_errors_frames(*_run(g)) for g in ("hemiplegic", "parkinsonian")])
    assert np.mean(errs <= 3) >= 0.8, np.round(errs, 1)


def test_hemiplegic_right_side_named():
    rep, truth, _ = _run("hemiplegic")
    m = rep.metrics
    assert m["stance_time_si_pct"].value < -10  # right stance shorter (truth 1.10 vs 1.40 s)
    assert m["stance_time_si_pct"].extra["side"] == "right"
    assert m["swing_time_si_pct"].value > 20 and m["swing_time_si_pct"].extra["side"] == "right"
    assert m["arm_swing_right_deg"].value < 0.5 * m["arm_swing_left_deg"].value  # right arm held
    assert m["arm_swing_si_pct"].extra["side"] == "right"
    assert m["foot_clearance_pct_height"].extra["per_side"]["right"] < 3.0  # stiff circumducting leg
    flags = _flags(rep)
    assert flags.get("gait_asymmetry_right_leg") == "flagged", flags
    assert "gait_asymmetry_left_leg" not in flags


def test_parkinsonian_short_steps_and_stoop_flagged():
    rep, truth, _ = _run("parkinsonian")
    m = rep.metrics
    assert abs(m["trunk_flexion_walking_deg"].value - truth.metrics["trunk_flexion_deg"]) < 3
    assert m["step_length_pct_height"].value < 15  # 0.15 m steps
    assert m["foot_clearance_pct_height"].value < 2.0
    assert m["arm_swing_left_deg"].value < 10 and m["arm_swing_right_deg"].value < 10
    assert _flags(rep) == {"stooped_short_step_gait": "flagged"}


def test_waddling_flagged_with_lean_to_both_stance_sides():
    rep, truth, _ = _run("waddling")
    m = rep.metrics
    for side in ("left", "right"):
        got = m[f"trunk_lean_{side}_stance_deg"]
        assert got.ok and abs(got.value - truth.metrics["trunk_lean_toward_stance_deg"]) < 2.5
    assert m["base_width_pct_height"].ok
    assert _flags(rep).get("waddling_gait") == "flagged"


def test_ataxic_variability_reported_as_a_measurement():
    rep, truth, _ = _run("ataxic")
    cv = rep.metrics["step_time_cv_pct"]
    assert cv.ok and cv.value > 10  # truth ~22 %; healthy and parkinsonian below 5 %
    assert _run("healthy")[0].metrics["step_time_cv_pct"].value < 5
    assert not any(k in _flags(rep) for k in ("waddling_gait", "stooped_short_step_gait"))


@pytest.mark.parametrize("layout", [None, "toward", "oblique"])
def test_healthy_walker_raises_no_gait_flag(layout):
    rep, _, _ = _run("healthy", layout)
    assert rep.walking_detected
    assert _flags(rep) == {}


def test_standing_and_talking_is_not_walking():
    """Gestures, head turns and weight shifts of +-4 cm with the feet still: no bout, no event."""
    seq, truth = simulate_recording(standing_recording(seconds=12.0))
    assert not np.asarray(truth.walking).any()
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    assert rep.walking_detected is False and rep.bouts == []
    assert not [e for e in rep.events if e.plausible]
    assert rep.metrics["cadence_steps_per_min"].status == "not_assessable"


def test_two_bouts_and_a_turn_in_result_json():
    """Bout, slow 180-degree turn in small steps, bout back: two bouts with view, direction and
    reason, the turn reported as turning and no step taken from it."""
    rep, truth, _ = _run("parkinsonian")
    out = json.loads(json.dumps(rep.to_json()))
    bouts = out["bouts"]
    assert [b["direction"] for b in bouts] == ["image_right", "image_left"]
    assert {b["view_label"] for b in bouts} == {"right_side", "left_side"}
    assert all(b["reason"] and b["n_steps"] >= 5 and b["metrics"]["cadence_steps_per_min"] for b in bouts)
    kinds = [s["kind"] for s in out["segments"]]
    assert kinds.count("walking") == 2 and "turning" in kinds
    turn = np.asarray(truth.turning)
    assert all(not turn[min(s.frame, turn.size - 1)] for s in rep.steps)


def test_too_short_walking_says_how_long_it_would_need():
    from posture_cam.config import Config
    from posture_cam.simulate.gait_recording import RecordingSpec, Stand, Walk, walker

    spec = RecordingSpec(walker=walker("healthy"), phases=(Stand(1.0), Walk(6), Stand(1.0)), fps=24.0)
    seq, truth = simulate_recording(spec)
    cfg = Config().with_overrides({"gait.min_steps_for_variability": 12})
    rep = analyze_gait(seq, cfg, view_per_frame=truth.view_per_frame)
    cv = rep.metrics["step_time_cv_pct"]
    assert cv.status == "not_assessable"
    assert "more walking would be needed" in cv.reason, cv.reason


def test_implausible_events_are_set_aside_with_a_reason():
    from posture_cam.gait.events import GaitEvent, PlausibilityChecker

    evs = [
        GaitEvent(0, 0.0, "left", "heel_strike", 0.9),
        GaitEvent(15, 0.5, "right", "heel_strike", 0.9),
        GaitEvent(18, 0.6, "right", "heel_strike", 0.4),  # a second right contact 0.1 s later
        GaitEvent(30, 1.0, "left", "heel_strike", 0.9),
        GaitEvent(150, 5.0, "right", "heel_strike", 0.9),  # 4 s after the previous contact
    ]
    out = (
        PlausibilityChecker(min_step_time_s=0.25, max_step_time_s=1.5)
        .detect(evs, sampling_rate_hz=30)
        .events_
    )
    by_t = {e.time_s: e for e in out}
    assert by_t[0.6].plausible is False and "in a row" in by_t[0.6].reason
    assert by_t[5.0].plausible is False and "plausible step time" in by_t[5.0].reason
    assert by_t[0.5].plausible and by_t[0.5].reason is None
    assert "reason" in by_t[5.0].to_json(np.arange(200)) and by_t[5.0].confidence == pytest.approx(0.45)


def test_heel_strikes_of_a_foot_whose_toe_offs_never_show_are_kept():
    """The events MediaPipe gave on the rendered GAITSIM parkinsonian walker (24 fps, 2-3 px foot
    lift): the near (right) foot's toe offs never show, two left contacts are missed. Every second
    right contact used to be set aside as "two heel strikes of the right foot in a row" (6 of 14
    contacts kept, 93 steps/min for the true 135); one regular stride apart they are kept now. A
    second contact of a foot inside its stride is still a duplicate."""
    from posture_cam.gait.events import GaitEvent, PlausibilityChecker

    fps = 24.0
    right_hs = [30, 52, 73, 94, 116, 137, 158]  # truth: 31, 52, 73, 95, 116, 137, 159
    left_hs = [41, 83, 104, 147]  # truth: 41, 63, 84, 105, 127, 148 (63 and 127 not detected)
    left_to = [35, 56, 77, 99, 120, 141, 163]
    evs = [GaitEvent(f, f / fps, "right", "heel_strike", 0.6) for f in right_hs]
    evs += [GaitEvent(f, f / fps, "left", "heel_strike", 0.6) for f in left_hs]
    evs += [GaitEvent(f, f / fps, "left", "toe_off", 0.6) for f in left_to]
    check = PlausibilityChecker(min_step_time_s=0.25, max_step_time_s=1.5)
    out = check.detect(evs, sampling_rate_hz=fps).events_
    kept = sorted(e.frame for e in out if e.type == "heel_strike" and e.plausible)
    assert kept == sorted(right_hs + left_hs)
    # an extra right contact 8 frames after one of them is a duplicate, the weaker set aside
    extra = GaitEvent(81, 81 / fps, "right", "heel_strike", 0.3)
    out = check.detect([*evs, extra], sampling_rate_hz=fps).events_
    assert [e.plausible for e in out if e.frame == 81 and e.type == "heel_strike"] == [False]
    # with the right toe offs seen, the per-foot alternation is checked as before
    with_to = [*evs, GaitEvent(45, 45 / fps, "right", "toe_off", 0.6)]
    out = check.detect(with_to, sampling_rate_hz=fps).events_
    assert sum(1 for e in out if e.type == "heel_strike" and e.foot == "right" and not e.plausible) >= 2


@pytest.mark.parametrize(("turn_deg", "min_within_3"), [(90.0, 0.8), (120.0, 0.8), (-120.0, 0.5)])
def test_view_changing_within_a_bout_keeps_one_bout(turn_deg, min_within_3):
    """A walker curving from a side view through oblique to front (+120) or back (-120) is one bout:
    the change of view is not a turn. Each stretch is read with its own view's event detector.
    Measured within 3 frames: 100 % (+90), 100 % (+120), 67 % (-120: receding, heel strikes early)."""
    from posture_cam.simulate.gait_recording import RecordingSpec, Stand, Walk, walker

    spec = RecordingSpec(
        walker=walker("healthy"),
        phases=(Stand(1.0), Walk(12, turn_deg=turn_deg), Stand(1.0)),
        fps=24.0,
        noise_px=1.0,
        start_xz_m=(-2.5, 0.0),
    )
    seq, truth = simulate_recording(spec)
    assert len({str(v) for v in np.asarray(truth.view_per_frame)[np.asarray(truth.walking)]}) >= 2
    rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
    assert len(rep.bouts) == 1
    (b,) = rep.bouts
    (tb,) = truth.bouts
    assert (min(b.stop, tb.stop) - max(b.start, tb.start)) / (tb.stop - tb.start) >= 0.8
    assert "view changes" in b.reason
    err = _contact_errors_frames(rep, truth, float(seq.fps))
    assert np.mean(err <= 3) >= min_within_3, np.round(err, 1)
    cad = rep.metrics["cadence_steps_per_min"]
    assert abs(cad.value / truth.metrics["cadence_steps_per_min"] - 1) <= 0.1


def test_side_view_feet_named_without_the_pose_labels():
    """Every leg label exchanged for the whole recording (BlazePose naming the legs the wrong way
    round throughout): the feet are still named from which one stands nearer the camera (lower in
    the image), so the hemiplegic walker's affected side is still the right."""
    from posture_cam.prepare import exchange_legs

    spec = recording("hemiplegic")
    seq, truth = simulate_recording(spec)
    flipped = exchange_legs(seq, np.ones(seq.n_frames, bool))
    rep = analyze_gait(flipped, None, view_per_frame=truth.view_per_frame)
    out = rep.to_json()
    assert out["side_source"] == "near/far foot (ground contact height)" and out["sides_reliable"] is True
    assert out["side_label_agreement"] < 0.25  # the labels said the opposite at (nearly) every contact
    assert rep.metrics["stance_time_si_pct"].extra["side"] == "right"
    assert _flags(rep).get("gait_asymmetry_right_leg") == "flagged"
    det = [e for e in rep.events if e.plausible and e.type == "heel_strike"]
    fps = float(seq.fps)
    matched = [
        t for t in truth.contacts(phase="walking")
        if any(d.foot == t.foot and abs(d.time_s - t.time_s) * fps <= 3 for d in det)
    ]  # fmt: skip
    assert len(matched) >= 0.7 * len(truth.contacts(phase="walking"))


def test_findings_survive_pose_model_faults():
    """With the BlazePose-like faults measured on the renders (legs pulled together, correlated
    landmark error, label swaps, dropout) the findings per gait type stay as without them."""
    expected = {
        "healthy": {},
        "hemiplegic": {"gait_asymmetry_right_leg": "flagged"},
        "parkinsonian": {"stooped_short_step_gait": "flagged"},
        "waddling": {"waddling_gait": "flagged"},
    }
    for gait, want in expected.items():
        seq, truth = simulate_recording(recording(gait, realistic=True))
        rep = analyze_gait(seq, None, view_per_frame=truth.view_per_frame)
        got = {k: v for k, v in _flags(rep).items() if k != "antalgic_gait_chain"}
        assert got == want, (gait, got)
