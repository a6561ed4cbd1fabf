"""Posture metrics on synthetic subjects with exact answers: size, sign, invariances, views, wrapping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture_cam.config import Config, PostureConfig
from posture_cam.landmarks import Landmark
from posture_cam.posture import (
    C7_ABOVE_SHOULDER_FRACTION_HEIGHT,
    C7_BEHIND_SHOULDER_FRACTION_HEIGHT,
    analyze_posture,
    craniovertebral_angle_deg,
    estimate_c7,
    knee_flexion_deg,
    lean_from_vertical_deg,
    line_tilt_deg,
    live_angles,
    wrap_deg,
)
from posture_cam.simulate import posture as sim
from posture_cam.simulate.posture import forward_bend_sequence, simulate_posture

FRONTAL_CASES = [
    ("pelvic_obliquity_deg", "pelvic_obliquity_deg"),
    ("shoulder_obliquity_deg", "shoulder_obliquity_deg"),
    ("head_tilt_deg", "head_tilt_deg"),
    ("trunk_lateral_lean_deg", "trunk_lateral_lean_deg"),
]
SIDE_CASES = [
    ("craniovertebral_angle_deg", "craniovertebral_angle_deg", 44.0),
    ("trunk_flexion_deg", "trunk_flexion_deg", 12.0),
]


def _value(spec_kw: dict, key: str, config: Config | None = None) -> float:
    r = analyze_posture(simulate_posture(duration_s=1.0, **spec_kw), config)
    m = r.metrics[key]
    assert m.ok, m.reason
    return float(m.value)


@pytest.mark.parametrize("param,key", FRONTAL_CASES)
@pytest.mark.parametrize("view", ["front", "back"])
@pytest.mark.parametrize("angle", [-6.0, 4.0])
def test_frontal_metrics_recover_known_angle_in_both_facings(
    param: str, key: str, view: str, angle: float
) -> None:
    assert _value({param: angle, "view": view}, key) == pytest.approx(angle, abs=0.5)


@pytest.mark.parametrize("param,key,angle", SIDE_CASES)
@pytest.mark.parametrize("view", ["left_side", "right_side"])
def test_side_metrics_recover_known_angle_whichever_way_subject_faces(
    param: str, key: str, angle: float, view: str
) -> None:
    assert _value({param: angle, "view": view}, key) == pytest.approx(angle, abs=0.5)


@pytest.mark.parametrize("view,side", [("left_side", "left"), ("right_side", "right")])
def test_knee_flexion_of_visible_side(view: str, side: str) -> None:
    assert _value({"knee_flexion_deg": 15.0, "view": view}, f"knee_flexion_{side}_deg") == pytest.approx(
        15, abs=0.5
    )


def test_shoulder_hip_difference_and_low_side_words() -> None:
    r = analyze_posture(
        simulate_posture(pelvic_obliquity_deg=3.0, shoulder_obliquity_deg=-2.0, duration_s=1.0)
    )
    assert r.metrics["shoulder_hip_tilt_difference_deg"].value == pytest.approx(-5.0, abs=0.5)
    assert r.metrics["pelvic_obliquity_deg"].extra["low_side"] == "right"
    assert r.metrics["shoulder_obliquity_deg"].extra["low_side"] == "left"
    level = analyze_posture(simulate_posture(duration_s=1.0))
    assert level.metrics["pelvic_obliquity_deg"].extra["low_side"] == "level"


def test_noisy_data_still_close() -> None:
    r = analyze_posture(
        simulate_posture(pelvic_obliquity_deg=4.0, head_tilt_deg=-3.0, noise_px=1.0, duration_s=3)
    )
    assert r.metrics["pelvic_obliquity_deg"].value == pytest.approx(4.0, abs=0.7)
    assert r.metrics["head_tilt_deg"].value == pytest.approx(-3.0, abs=1.0)
    assert r.metrics["pelvic_obliquity_deg"].n_frames == 90 and r.metrics["pelvic_obliquity_deg"].iqr > 0


@pytest.mark.parametrize("scale,center", [(250.0, (300.0, 700.0)), (900.0, (900.0, 1500.0))])
def test_scale_and_translation_invariance(scale: float, center: tuple[float, float]) -> None:
    kw = {"pelvic_obliquity_deg": 5.0, "trunk_lateral_lean_deg": -3.0, "duration_s": 1.0}
    a = analyze_posture(simulate_posture(**kw)).metrics
    b = analyze_posture(
        simulate_posture(scale_px_per_m=scale, center_px=center, frame_size=(1800, 1700), **kw)
    ).metrics
    for k in ("pelvic_obliquity_deg", "trunk_lateral_lean_deg"):
        assert b[k].value == pytest.approx(a[k].value, abs=1e-3)


@pytest.mark.parametrize("view", ["front", "back", "left_side"])
def test_mirror_flips_side_keeps_size(view: str) -> None:
    seq = simulate_posture(
        view=view,
        pelvic_obliquity_deg=4.0,
        head_tilt_deg=3.0,
        craniovertebral_angle_deg=47,
        trunk_flexion_deg=8.0,
        duration_s=1.0,
    )
    a, b = analyze_posture(seq), analyze_posture(seq.mirrored())
    for k in ("pelvic_obliquity_deg", "head_tilt_deg", "craniovertebral_angle_deg", "trunk_flexion_deg"):
        if not a.metrics[k].ok:
            assert not b.metrics[k].ok
            continue
        sagittal = k in ("craniovertebral_angle_deg", "trunk_flexion_deg")
        expected = a.metrics[k].value if sagittal else -a.metrics[k].value
        assert b.metrics[k].value == pytest.approx(expected, abs=1e-3)
    if view == "left_side":
        assert b.view.dominant == "right_side"
    else:
        assert b.view.dominant == view
        assert b.metrics["pelvic_obliquity_deg"].extra["low_side"] == "left"


@pytest.mark.parametrize("view", ["front", "back"])
def test_side_metrics_not_assessable_in_frontal_view(view: str) -> None:
    r = analyze_posture(simulate_posture(view=view, duration_s=1.0))
    for k in (
        "craniovertebral_angle_deg",
        "trunk_flexion_deg",
        "knee_flexion_left_deg",
        "sagittal_pelvic_tilt_proxy_deg",
        "hip_flexion_forward_bend_deg",
        "head_forward_offset_pct_height",
    ):
        m = r.metrics[k]
        assert m.status == "not_assessable" and m.value is None and "view" in (m.reason or ""), k
        assert set(m.view_required) == {"left_side", "right_side"}


def test_frontal_metrics_not_assessable_in_side_or_oblique_view() -> None:
    for v in ("left_side", "oblique"):
        r = analyze_posture(simulate_posture(view=v, pelvic_obliquity_deg=5, duration_s=1.0))
        m = r.metrics["pelvic_obliquity_deg"]
        assert m.status == "not_assessable" and m.value is None and "front or back" in (m.reason or "")


def test_too_few_frames_not_assessable() -> None:
    cfg = Config(posture=PostureConfig(min_valid_frames=50))
    r = analyze_posture(simulate_posture(duration_s=1.0), cfg)
    assert r.metrics["pelvic_obliquity_deg"].status == "not_assessable"
    assert "valid frames" in (r.metrics["pelvic_obliquity_deg"].reason or "")


def test_head_forward_offset_pct_and_cm() -> None:
    from posture_cam.config import CalibrationConfig

    r = analyze_posture(
        simulate_posture(view="left_side", craniovertebral_angle_deg=45.0, duration_s=1.0),
        Config(calibration=CalibrationConfig(subject_height_cm=175.0)),
    )
    # simulator: ear = C7 + (h / tan(CVA)) forward + h up, C7 = shoulder + offsets; ear ahead of shoulder:
    behind_m = 1.75 * C7_BEHIND_SHOULDER_FRACTION_HEIGHT
    expected_cm = 100 * (sim._EAR_ABOVE_C7 / np.tan(np.radians(45.0)) - behind_m)
    assert r.metrics["head_forward_offset_cm"].value == pytest.approx(expected_cm, rel=0.03)
    assert r.metrics["head_forward_offset_pct_height"].value == pytest.approx(expected_cm / 1.75, rel=0.03)


def test_forward_bend_hip_flexion_and_spine_share() -> None:
    seq = forward_bend_sequence(peak_trunk_flexion_deg=90.0, spine_share=0.3)
    m = analyze_posture(seq).metrics["hip_flexion_forward_bend_deg"]
    truth = seq.meta["simulated"]
    assert m.ok
    assert m.value == pytest.approx(truth["peak_hip_flexion_deg"], abs=1.0)
    assert m.extra["spine_share_pct"] == pytest.approx(30.0, abs=2.0)
    assert m.extra["peak_trunk_flexion_deg"] == pytest.approx(90.0, abs=0.5)


@pytest.mark.parametrize("peak,share", [(100.0, 0.0), (110.0, 0.3), (125.0, 0.2)])
def test_forward_bend_past_90_deg_does_not_saturate(peak: float, share: float) -> None:
    # regression: the bend used to read 69 deg for a true 91 once the trunk passed ~88 deg
    seq = forward_bend_sequence(peak_trunk_flexion_deg=peak, spine_share=share)
    m = analyze_posture(seq).metrics["hip_flexion_forward_bend_deg"]
    assert m.ok, m.reason
    assert m.extra["peak_trunk_flexion_deg"] == pytest.approx(peak, abs=0.5)
    assert m.value == pytest.approx(seq.meta["simulated"]["peak_hip_flexion_deg"], abs=0.5)


@pytest.mark.parametrize("view", ["left_side", "right_side"])
@pytest.mark.parametrize("flexion", [0.0, 15.0])
@pytest.mark.parametrize("cva", [38.0, 51.0])
def test_cva_from_estimated_c7_recovers_known_angle(view: str, flexion: float, cva: float) -> None:
    r = analyze_posture(
        simulate_posture(view=view, craniovertebral_angle_deg=cva, trunk_flexion_deg=flexion, duration_s=1.0)
    )
    m = r.metrics["craniovertebral_angle_deg"]
    assert m.ok and m.value == pytest.approx(cva, abs=0.5)
    assert m.extra["c7_source"] == "anthropometric_estimate" and m.extra["uncertainty_deg"] > 0
    # the raw shoulder->ear proxy reads far higher (~25-35 deg) and says it is not comparable with norms
    proxy = r.metrics["ear_shoulder_angle_deg"]
    assert proxy.ok and proxy.value > cva + 15.0
    assert proxy.extra["comparable_to_lau_norms"] is False


def test_estimate_c7_offset_upright_and_turns_with_trunk() -> None:
    sh, hip = np.array([[500.0, 300.0]]), np.array([[500.0, 600.0]])
    for fwd in (1.0, -1.0):
        c7 = estimate_c7(sh, hip, np.array([fwd]), 1000.0)[0]
        assert c7[1] == pytest.approx(300.0 - 1000.0 * C7_ABOVE_SHOULDER_FRACTION_HEIGHT)  # above (y down)
        assert c7[0] == pytest.approx(500.0 - fwd * 1000.0 * C7_BEHIND_SHOULDER_FRACTION_HEIGHT)  # behind
    # trunk flexed 90 deg forward (facing right): "up" points forward, "behind" points up
    c7 = estimate_c7(np.array([[800.0, 600.0]]), hip, np.array([1.0]), 1000.0)[0]
    assert c7 == pytest.approx([800.0 + 47.0, 600.0 - 1000.0 * C7_BEHIND_SHOULDER_FRACTION_HEIGHT])


def test_forward_bend_absent_when_standing() -> None:
    m = analyze_posture(simulate_posture(view="left_side", duration_s=1.0)).metrics[
        "hip_flexion_forward_bend_deg"
    ]
    assert m.status == "not_assessable" and "no forward bend" in (m.reason or "")


def test_all_issue4_keys_present_and_json_ready() -> None:
    r = analyze_posture(simulate_posture(duration_s=1.0))
    keys = {
        "pelvic_obliquity_deg",
        "shoulder_obliquity_deg",
        "shoulder_hip_tilt_difference_deg",
        "head_tilt_deg",
        "trunk_lateral_lean_deg",
        "craniovertebral_angle_deg",
        "head_forward_offset_pct_height",
        "head_forward_offset_cm",
        "trunk_flexion_deg",
        "knee_flexion_left_deg",
        "knee_flexion_right_deg",
        "sagittal_pelvic_tilt_proxy_deg",
        "hip_flexion_forward_bend_deg",
    }
    assert keys <= set(r.metrics)
    import json

    j = json.loads(json.dumps(r.to_json()))
    for k in keys:
        assert set(j["metrics"][k]) >= {
            "value",
            "unit",
            "iqr",
            "n_frames",
            "view_required",
            "status",
            "reason",
        }


def test_live_angles_match_offline_geometry() -> None:
    seq = simulate_posture(view="back", pelvic_obliquity_deg=4.0, duration_s=0.1)
    out = live_angles(seq.image_px[0], seq.visibility[0], frame_size=seq.frame_size)
    assert out["view"] == "back"
    assert out["pelvic_obliquity_deg"] == pytest.approx(4.0, abs=0.01)
    assert out["craniovertebral_angle_deg"] is None


# ---------------------------------------------------------------- property tests for the geometry
angles = st.floats(-80, 80, allow_nan=False)
coords = st.floats(-2000, 2000, allow_nan=False)


@given(angle=angles, x=coords, y=coords, length=st.floats(5, 1000), facing=st.sampled_from([-1.0, 1.0]))
@settings(max_examples=200, deadline=None)
def test_line_tilt_recovers_angle_and_ignores_facing(
    angle: float, x: float, y: float, length: float, facing: float
) -> None:
    left = np.array([x, y])
    a = np.radians(angle)
    right = left + length * np.array([facing * np.cos(a), np.sin(a)])  # right point lower for angle > 0
    assert float(line_tilt_deg(left, right)) == pytest.approx(angle, abs=1e-6)


@given(angle=st.floats(-179, 179), x=coords, y=coords, length=st.floats(5, 1000), k=st.floats(0.1, 10))
@settings(max_examples=200, deadline=None)
def test_lean_scale_translation_invariant_and_never_wraps(
    angle: float, x: float, y: float, length: float, k: float
) -> None:
    base = np.array([x, y])
    a = np.radians(angle)
    top = base + length * np.array([np.sin(a), -np.cos(a)])
    v = float(lean_from_vertical_deg(base, top, 1.0))
    assert v == pytest.approx(angle, abs=1e-6)
    assert float(lean_from_vertical_deg(base * k + 7, top * k + 7, 1.0)) == pytest.approx(v, abs=1e-6)
    assert float(lean_from_vertical_deg(base, top, -1.0)) == pytest.approx(-v, abs=1e-6)
    assert -180 < v <= 180


@given(cva=st.floats(1, 179), facing=st.sampled_from([-1.0, 1.0]), length=st.floats(5, 500))
@settings(max_examples=200, deadline=None)
def test_cva_in_range_for_both_facings(cva: float, facing: float, length: float) -> None:
    sh = np.array([500.0, 500.0])
    a = np.radians(cva)
    ear = sh + length * np.array([facing * np.cos(a), -np.sin(a)])
    out = float(craniovertebral_angle_deg(sh, ear, facing))
    assert out == pytest.approx(cva, abs=1e-6) and 0 < out < 180


@given(k=st.floats(-20, 170), facing=st.sampled_from([-1.0, 1.0]))
@settings(max_examples=200, deadline=None)
def test_knee_flexion_sign_and_size(k: float, facing: float) -> None:
    hip = np.array([0.0, 0.0])
    knee = np.array([0.0, 100.0])
    a = np.radians(k)
    ankle = knee + 100 * np.array([-facing * np.sin(a), np.cos(a)])  # shank swings backwards for flexion
    assert float(knee_flexion_deg(hip, knee, ankle, facing)) == pytest.approx(k, abs=1e-6)


@given(a=st.floats(-1e4, 1e4))
def test_wrap_range(a: float) -> None:
    w = float(wrap_deg(a))
    assert -180 < w <= 180 and np.isclose(np.cos(np.radians(w)), np.cos(np.radians(a)), atol=1e-6)


def test_no_angle_above_180_in_any_series() -> None:
    for yaw in (0, 45, 90, 180, -90, 135):
        r = analyze_posture(simulate_posture(yaw_deg=yaw, trunk_flexion_deg=20, noise_px=2.0, duration_s=1.0))
        for k, s in r.series.items():
            if k.endswith("_deg"):
                fin = s[np.isfinite(s)]
                assert np.all(np.abs(fin) <= 180), k
    assert Landmark.NOSE == 0


# ---------------------------------------------------------------- quiet standing only
def _moving(seq, speed_px_per_s: float):
    """The same subject carried across the image at a constant speed (walking-like progression)."""
    img = np.array(seq.image_px, copy=True)
    img[..., 0] += speed_px_per_s * (seq.timestamps_s - seq.timestamps_s[0])[:, None]
    return seq.replace(image_px=img)


def test_standing_metrics_use_quiet_standing_frames_only() -> None:
    from posture_cam.sequence import PoseSequence

    still = simulate_posture(view="back", pelvic_obliquity_deg=4.0, duration_s=2.0)
    # then 2 s carried sideways at ~0.7 body heights/s with a different pelvis: must not enter the median
    moving = _moving(simulate_posture(view="back", pelvic_obliquity_deg=-6.0, duration_s=2.0), 600.0)
    moving = moving.replace(timestamps_s=moving.timestamps_s + 2.0)
    r = analyze_posture(PoseSequence.concat([still, moving]))
    m = r.metrics["pelvic_obliquity_deg"]
    assert m.ok and m.value == pytest.approx(4.0, abs=0.3)
    assert m.extra["context"] == "quiet_standing"
    assert 50 <= m.n_frames <= 62  # ~ the 60 still frames (filter edges may drop a few)
    quiet = r.series["quiet_standing"]
    assert quiet[:50].all() and not quiet[-50:].any()
    assert np.isnan(r.series["pelvic_obliquity_deg"][-50:]).all()


@pytest.mark.parametrize(
    "view,key", [("back", "pelvic_obliquity_deg"), ("left_side", "craniovertebral_angle_deg")]
)
def test_no_quiet_standing_is_not_assessable_with_value_during_movement(view: str, key: str) -> None:
    r = analyze_posture(_moving(simulate_posture(view=view, duration_s=3.0), 600.0))
    m = r.metrics[key]
    assert m.status == "not_assessable" and m.value is None
    assert "no quiet standing" in (m.reason or "") and m.extra["context"] == "movement"
    assert m.extra["value_during_movement"] is not None
    assert any("no quiet standing" in w for w in r.warnings)


def test_forward_bend_alone_is_no_quiet_standing_but_bend_is_measured() -> None:
    r = analyze_posture(forward_bend_sequence(peak_trunk_flexion_deg=90.0, spine_share=0.3))
    assert r.metrics["hip_flexion_forward_bend_deg"].ok
    assert "no quiet standing" in (r.metrics["sagittal_pelvic_tilt_proxy_deg"].reason or "")
