"""Camera roll from the feet and body-height scale, on synthetic subjects with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.calibration import calibrate, estimate_roll, estimate_scale, level_points
from posture_cam.config import CalibrationConfig
from posture_cam.errors import ConfigError
from posture_cam.landmarks import Landmark
from posture_cam.posture import analyze_posture
from posture_cam.simulate.posture import roll_image_points, simulate_posture

BIG = {"scale_px_per_m": 1000.0, "frame_size": (2400, 2000)}  # stance 180 px: enough for a floor line


@pytest.mark.parametrize("roll", [-8.0, -2.5, 0.0, 3.0, 6.0])
@pytest.mark.parametrize("view", ["front", "back"])
def test_roll_from_feet_recovers_known_roll(roll: float, view: str) -> None:
    seq = simulate_posture(view=view, camera_roll_deg=roll, noise_px=0.5, seed=3, **BIG)
    est = estimate_roll(seq)
    assert est.source == "feet"
    assert est.roll_deg == pytest.approx(roll, abs=0.3)


def test_roll_correction_removes_known_roll_from_tilts() -> None:
    rolled = analyze_posture(simulate_posture(pelvic_obliquity_deg=3.0, camera_roll_deg=5.0, **BIG))
    assert rolled.metrics["pelvic_obliquity_deg"].value == pytest.approx(3.0, abs=0.3)
    user = CalibrationConfig(camera_roll_deg=5.0)
    from posture_cam.config import Config

    exact = analyze_posture(
        simulate_posture(pelvic_obliquity_deg=3.0, camera_roll_deg=5.0), Config(calibration=user)
    )
    assert exact.roll_deg == 5.0 and exact.calibration.roll.source == "user"
    assert exact.metrics["pelvic_obliquity_deg"].value == pytest.approx(3.0, abs=1e-3)


def test_level_points_inverts_roll() -> None:
    pts = np.random.default_rng(0).uniform(0, 1000, (20, 2))
    back = level_points(roll_image_points(pts, 7.0, (500, 400)), 7.0, (500, 400))
    np.testing.assert_allclose(back, pts, atol=1e-9)


def test_lifted_foot_is_not_taken_for_the_floor() -> None:
    seq = simulate_posture(view="front", **BIG)
    img = seq.image_px.copy()
    for lm in (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX):
        img[:, lm, 1] -= 60.0  # single-leg stance: the left foot held 60 px above the floor
    est = estimate_roll(seq.replace(image_px=img))
    assert est.source == "none" and est.roll_deg == 0.0 and "lifted" in (est.reason or "")


def test_side_view_standing_has_no_floor_line() -> None:
    assert estimate_roll(simulate_posture(view="left_side")).source == "none"


@pytest.mark.parametrize("scale_px_per_m", [300.0, 500.0, 800.0])
def test_scale_body_height_and_px_per_cm(scale_px_per_m: float) -> None:
    seq = simulate_posture(scale_px_per_m=scale_px_per_m, frame_size=(1600, 1600))
    sc = estimate_scale(seq, 0.0, subject_height_cm=175.0)
    assert sc.body_height_px == pytest.approx(1.75 * scale_px_per_m, rel=0.01)
    assert sc.px_per_cm == pytest.approx(scale_px_per_m / 100, rel=0.01)
    assert calibrate(seq).scale.px_per_cm is None


def test_bad_user_inputs_raise_config_errors() -> None:
    with pytest.raises(ConfigError):
        estimate_roll(simulate_posture(), CalibrationConfig(camera_roll_deg=90.0))
    with pytest.raises(ConfigError):
        estimate_scale(simulate_posture(), 0.0, subject_height_cm=17.5)


def test_narrow_stance_leaves_roll_unestimated() -> None:
    est = estimate_roll(simulate_posture(view="front", camera_roll_deg=4.0))  # heels only 90 px apart
    assert est.source == "none" and "too short" in (est.reason or "")
