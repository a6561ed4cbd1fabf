"""Ground-truth geometry of the synthetic figure (pure numpy: no OpenGL needed)."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.synth.camera import Camera, camera_for_view
from posture_cam.synth.gait import GaitParams, gait_events, gait_truth, walk
from posture_cam.synth.scenarios import SAMPLES, Scenario, build, truth
from posture_cam.synth.skeleton import Body, Posture, pose
from posture_cam.synth.truth import frame_series, posture_truth


def _series(posture: Posture, view: str, body: Body | None = None, roll: float = 0.0) -> dict[str, float]:
    sk = pose(body or Body(), posture)
    cam = camera_for_view(view, roll_deg=roll, distance_m=4.0)
    return {k: float(v[0]) for k, v in frame_series([sk], cam).items()}


@pytest.mark.parametrize("view", ["front", "back"])
@pytest.mark.parametrize("angle", [-6.0, 0.0, 2.0, 6.0])
def test_pelvic_obliquity_projects_to_its_angle_and_sign_in_front_and_back_view(
    view: str, angle: float
) -> None:
    s = _series(Posture(pelvic_obliquity_deg=angle), view)
    assert s["pelvic_obliquity_deg"] == pytest.approx(angle, abs=0.05)


def test_right_hip_is_lower_for_positive_obliquity_in_3d() -> None:
    sk = pose(Body(), Posture(pelvic_obliquity_deg=6.0))
    assert sk.joints["hip_r"][1] < sk.joints["hip_l"][1]
    hw = 2 * Body().m(Body().hip_joint_half_width)
    assert sk.joints["hip_l"][1] - sk.joints["hip_r"][1] == pytest.approx(
        hw * np.sin(np.radians(6)), rel=1e-6
    )


def test_feet_stay_on_the_floor_whatever_the_posture() -> None:
    for p in (
        Posture(),
        Posture(pelvic_obliquity_deg=6),
        Posture(knee_flexion_left_deg=20, trunk_flexion_deg=30),
    ):
        sk = pose(Body(), p)
        ah = Body().m(Body().ankle_height)
        for s in ("l", "r"):
            assert sk.joints["ankle_" + s][1] == pytest.approx(ah, abs=1e-4)  # IK reach margin 1e-5
            assert sk.joints["heel_sole_" + s][1] == pytest.approx(0.0, abs=1e-4)


def test_leg_length_difference_matching_the_obliquity_keeps_both_knees_straight() -> None:
    body = Body(leg_length_right_delta_m=-2 * Body().m(0.048) * np.sin(np.radians(6)))
    s = _series(Posture(pelvic_obliquity_deg=6.0), "left_side", body=body)
    assert s["knee_flexion_left_deg"] < 1.0 and s["knee_flexion_right_deg"] < 1.0  # perspective
    equal = _series(Posture(pelvic_obliquity_deg=6.0), "left_side")
    assert equal["knee_flexion_right_deg"] > 5.0  # equal legs: the low (right) side has slack and bends


def test_segment_lengths_follow_height_fractions() -> None:
    for h in (1.55, 1.75, 1.95):
        sk = pose(Body(height_m=h), Posture())
        j = sk.joints
        assert np.linalg.norm(j["hip_l"] - j["knee_l"]) == pytest.approx(0.245 * h, rel=1e-6)
        assert np.linalg.norm(j["knee_l"] - j["ankle_l"]) == pytest.approx(0.246 * h, rel=1e-6)
        assert np.linalg.norm(j["shoulder_r"] - j["elbow_r"]) == pytest.approx(0.186 * h, rel=1e-6)
        assert j["vertex"][1] == pytest.approx(h, rel=0.01)
        assert j["hip_l"][1] == pytest.approx(0.530 * h, rel=0.01)


@pytest.mark.parametrize("view", ["left_side", "right_side"])
def test_forward_head_lowers_the_craniovertebral_angle_in_side_view(view: str) -> None:
    neutral = _series(Posture(), view)
    fwd = _series(Posture(neck_flexion_deg=40.0), view)
    # raw shoulder-joint proxy is near vertical for this figure; the figure's own C7-tragus angle is
    # lower (its C7 sits ~4-5 % of stature below a human cervicale, see posture_cam/synth/truth.py)
    assert 85.0 < neutral["ear_shoulder_angle_deg"] < 95.0
    assert 65.0 < neutral["craniovertebral_angle_deg"] < 80.0
    for key in ("ear_shoulder_angle_deg", "craniovertebral_angle_deg"):
        assert fwd[key] < neutral[key] - 10.0
    assert fwd["head_forward_offset_pct_height"] > neutral["head_forward_offset_pct_height"] + 2.0


def test_side_view_cva_equals_the_3d_sagittal_angle() -> None:
    sk = pose(Body(), Posture(neck_flexion_deg=30.0))
    ear, sh, c7 = sk.joints["ear_l"], sk.joints["shoulder_l"], sk.joints["c7"]
    cam = camera_for_view("left_side", distance_m=40.0)  # nearly orthographic
    series = frame_series([sk], cam)
    expected_raw = np.degrees(np.arctan2(ear[1] - sh[1], ear[2] - sh[2]))
    assert float(series["ear_shoulder_angle_deg"][0]) == pytest.approx(expected_raw, abs=0.3)
    expected_cva = np.degrees(np.arctan2(ear[1] - c7[1], ear[2] - c7[2]))
    assert float(series["craniovertebral_angle_deg"][0]) == pytest.approx(expected_cva, abs=0.3)


@pytest.mark.parametrize("flex", [-10.0, 0.0, 15.0, 30.0])
def test_trunk_flexion_sign_is_forward_whichever_side_we_look_from(flex: float) -> None:
    left = _series(Posture(trunk_flexion_deg=flex), "left_side")["trunk_flexion_deg"]
    right = _series(Posture(trunk_flexion_deg=flex), "right_side")["trunk_flexion_deg"]
    assert left == pytest.approx(right, abs=0.5)
    assert np.sign(round(left)) == np.sign(flex)


def test_trunk_side_bend_and_head_tilt_signs() -> None:
    s = _series(Posture(trunk_side_bend_deg=8.0, head_tilt_deg=5.0), "front")
    assert s["trunk_lateral_lean_deg"] > 5.0  # leaning to the subject's right is positive
    assert s["head_tilt_deg"] == pytest.approx(5.0, abs=0.5)
    b = _series(Posture(trunk_side_bend_deg=8.0, head_tilt_deg=5.0), "back")
    assert b["trunk_lateral_lean_deg"] == pytest.approx(s["trunk_lateral_lean_deg"], abs=0.5)


def test_camera_roll_rotates_a_level_line_by_the_roll() -> None:
    # roll + = camera clockwise seen from behind -> scene rotated counter-clockwise in the image
    s = _series(Posture(), "front", roll=5.0)
    assert s["pelvic_obliquity_deg"] == pytest.approx(5.0, abs=0.05)


def test_projection_centre_and_behind_camera() -> None:
    cam = Camera(position=(0, 1, 5), target=(0, 1, 0), width=400, height=300)
    px = cam.project(np.array([[0.0, 1.0, 0.0]]))
    assert px[0, :2] == pytest.approx([200, 150])
    with pytest.raises(ValueError, match="behind"):
        cam.project(np.array([[0.0, 1.0, 6.0]]))


def test_bad_parameters_raise() -> None:
    with pytest.raises(ValueError, match="height_m"):
        Body(height_m=0.3)
    with pytest.raises(ValueError, match="double support"):
        GaitParams(stance_fraction_left=0.4)
    with pytest.raises(ValueError, match="view"):
        camera_for_view("top")


# --- gait ------------------------------------------------------------------------------------


def _contact_heights(g: GaitParams, fps: float = 100.0, n: int = 250) -> tuple[list, list]:
    sks = walk(Body(), Posture(), g, fps=fps, n_frames=n)
    return sks, gait_events(g, (n - 1) / fps, fps)


def test_events_alternate_and_match_the_contacts() -> None:
    g = GaitParams()
    sks, events = _contact_heights(g)
    hs = [e for e in events if e.type == "heel_strike"]
    assert [e.foot for e in hs] == ["left", "right"] * (len(hs) // 2) + ["left"] * (len(hs) % 2)
    for e in events:
        sk = sks[e.frame]
        s = e.foot[0]
        key = "heel_sole_" + s if e.type == "heel_strike" else "toe_sole_" + s
        assert abs(sk.joints[key][1]) < 0.01  # the contacting point is on the floor (frame rounding)
    # mid-swing: the foot is off the ground
    t_mid = hs[0].time_s + g.stride_time_s * (g.stance_fraction_left + 1) / 2
    sk = sks[int(round(t_mid * 100))]
    assert sk.joints["toe_sole_l"][1] > 0.02 and sk.joints["heel_sole_l"][1] > 0.02


def test_segment_lengths_constant_during_gait_and_stance_foot_does_not_slide() -> None:
    g = GaitParams()
    sks, events = _contact_heights(g)
    thigh = [np.linalg.norm(s.joints["hip_r"] - s.joints["knee_r"]) for s in sks]
    assert np.ptp(thigh) < 1e-9
    hs = next(e for e in events if e.type == "heel_strike" and e.foot == "left")
    i0 = hs.frame + int(0.15 * g.stance_fraction_left * g.stride_time_s * 100)
    i1 = hs.frame + int(0.55 * g.stance_fraction_left * g.stride_time_s * 100)
    ankles = np.array([sks[i].joints["ankle_l"] for i in range(i0, i1)])
    assert np.ptp(ankles, axis=0).max() < 1e-9  # foot flat phase: fixed on the floor


def test_gait_truth_for_an_antalgic_pattern() -> None:
    g = GaitParams(
        cadence_steps_per_min=100,
        right_step_phase=0.57,
        stance_fraction_left=0.67,
        stance_fraction_right=0.53,
    )
    t = gait_truth(g)
    assert t["cadence_steps_per_min"] == pytest.approx(100.0)
    assert t["stance_time_right_s"] < t["stance_time_left_s"]
    si = (
        (t["stance_time_right_s"] - t["stance_time_left_s"])
        / (0.5 * (t["stance_time_right_s"] + t["stance_time_left_s"]))
        * 100
    )
    assert t["stance_time_si_pct"] == pytest.approx(si)
    assert t["step_time_left_s"] + t["step_time_right_s"] == pytest.approx(g.stride_time_s)
    assert t["double_support_pct"] == pytest.approx(20.0)
    sym = gait_truth(GaitParams())
    assert sym["stance_time_si_pct"] == 0.0 and sym["step_time_si_pct"] == 0.0


def test_trendelenburg_drop_projects_to_its_angle_in_the_front_view() -> None:
    scn = Scenario(
        "t",
        "front",
        gait=GaitParams(pelvic_drop_left_stance_deg=9.0, pelvic_drop_right_stance_deg=2.0),
        fps=60.0,
        n_frames=150,
        width=480,
        height=360,
    )
    d = truth(scn)
    assert d["gait"]["metrics"]["pelvic_drop_left_stance_deg"] == pytest.approx(9.0, abs=0.3)
    assert d["gait"]["metrics"]["pelvic_drop_right_stance_deg"] == pytest.approx(2.0, abs=0.3)


def test_backwards_walk_moves_backwards_with_toe_first_contacts() -> None:
    g = GaitParams(backwards=True)
    sks = walk(Body(), Posture(), g, fps=30.0, n_frames=60)
    assert sks[-1].joints["pelvis"][2] < sks[0].joints["pelvis"][2] - 1.0
    types = {e.type for e in gait_events(g, 59 / 30, 30.0)}
    assert types == {"initial_contact", "final_contact"}


# --- scenarios -------------------------------------------------------------------------------


@pytest.mark.parametrize("scn", SAMPLES, ids=lambda s: s.name)
def test_every_sample_keeps_the_subject_inside_the_frame(scn: Scenario) -> None:
    d = truth(scn)
    px = np.asarray(d["landmarks_px"])
    assert px.shape == (scn.n_frames, 33, 2)
    assert px[..., 0].min() > 0 and px[..., 0].max() < scn.width
    assert px[..., 1].min() > 0 and px[..., 1].max() < scn.height
    assert d["body_height_px"] > 0.3 * scn.height


def test_compensated_obliquity_sample_truth() -> None:
    d = truth(next(s for s in SAMPLES if s.name == "pelvic_obliquity_compensated_front"))
    m = d["metrics"]
    assert m["pelvic_obliquity_deg"]["value"] == pytest.approx(6.0, abs=0.1)
    assert m["pelvic_obliquity_deg"]["low_side"] == "right"
    assert abs(m["shoulder_obliquity_deg"]["value"]) < 0.2
    assert m["craniovertebral_angle_deg"]["status"] == "not_assessable"


def test_posture_truth_reports_not_assessable_in_the_wrong_view() -> None:
    sks, cam = build(Scenario("x", "left_side", n_frames=3))
    t = posture_truth(sks, cam, "left_side")
    assert t["pelvic_obliquity_deg"]["value"] is None
    assert t["trunk_flexion_deg"]["status"] == "ok"
