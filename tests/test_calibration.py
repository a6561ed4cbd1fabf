"""Camera roll (user > scene > feet > none) and body-height scale, on synthetic subjects with known
answers, and on renders: a rolled camera in a room (roll from the scene), a staggered stance under a
level camera (no invented roll)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.calibration import calibrate, estimate_roll, estimate_scale, level_points
from posture_cam.config import CalibrationConfig
from posture_cam.errors import ConfigError
from posture_cam.landmarks import Landmark
from posture_cam.posture import analyze_posture
from posture_cam.scene import CHANNELS
from posture_cam.sequence import PoseSequence
from posture_cam.simulate.posture import roll_image_points, simulate_posture

BIG = {"scale_px_per_m": 1000.0, "frame_size": (2400, 2000)}  # stance 180 px: enough for a floor line


@pytest.mark.parametrize("roll", [-2.5, 0.0, 1.5, 2.5])
@pytest.mark.parametrize("view", ["front", "back"])
def test_roll_from_feet_recovers_known_roll(roll: float, view: str) -> None:
    seq = simulate_posture(view=view, camera_roll_deg=roll, noise_px=0.5, seed=3, **BIG)
    est = estimate_roll(seq)
    assert est.source == "feet"
    assert est.roll_deg == pytest.approx(roll, abs=0.3)


@pytest.mark.parametrize("roll", [-8.0, 6.0])
def test_steep_feet_line_is_not_taken_for_a_roll(roll: float) -> None:
    """Feet at clearly different heights: the feet line alone never sets a roll this large (a staggered
    stance looks the same); only the scene or the user may."""
    est = estimate_roll(simulate_posture(view="front", camera_roll_deg=roll, noise_px=0.5, seed=3, **BIG))
    assert est.source == "none" and est.roll_deg == 0.0
    assert "not at similar heights" in (est.feet_rejected or "")
    assert "level camera assumed" in (est.reason or "")


def test_roll_correction_removes_known_roll_from_tilts() -> None:
    rolled = analyze_posture(simulate_posture(pelvic_obliquity_deg=3.0, camera_roll_deg=2.5, **BIG))
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


# ----------------------------------------------------------------------------- roll source priority
def _with_scene(seq: PoseSequence, roll: float, lines: int = 6, spread: float = 0.1) -> PoseSequence:
    """``seq`` with scene-roll readings on every 10th frame (as SceneRollSampler leaves them)."""
    n = seq.n_frames
    ch = {k: np.full(n, np.nan, np.float32) for k in CHANNELS}
    idx = np.arange(0, n, 10)
    ch["scene_roll_deg"][idx] = roll + spread * np.sin(idx)
    ch["scene_roll_lines"][idx] = lines
    ch["scene_roll_weight"][idx] = 0.4 * lines
    ch["scene_roll_iqr_deg"][idx] = 0.2
    return seq.replace(channels=ch)


def test_confident_scene_wins_over_the_feet_and_rejects_a_disagreeing_feet_line() -> None:
    seq = _with_scene(simulate_posture(view="front", camera_roll_deg=2.5, **BIG), roll=0.0)
    est = estimate_roll(seq)
    assert est.source == "scene" and est.roll_deg == pytest.approx(0.0, abs=0.2)
    assert est.feet_roll_deg == pytest.approx(2.5, abs=0.3)
    assert "from the scene's verticals" in (est.feet_rejected or "")
    cal = calibrate(seq).to_json()
    assert cal["roll_source"] == "scene" and cal["scene_n_lines"] > 0 and cal["scene_confidence"] >= 0.5
    assert "feet line reads" in cal["feet_rejected_reason"]


def test_user_roll_beats_the_scene() -> None:
    seq = _with_scene(simulate_posture(view="front", **BIG), roll=4.0)
    est = estimate_roll(seq, CalibrationConfig(camera_roll_deg=-1.0))
    assert est.source == "user" and est.roll_deg == -1.0
    assert est.scene is not None and est.scene.roll_deg == pytest.approx(4.0, abs=0.2)  # still reported


def test_unconfident_scene_leaves_the_feet_line() -> None:
    seq = _with_scene(simulate_posture(view="front", camera_roll_deg=2.0, **BIG), roll=-5.0, lines=1)
    est = estimate_roll(seq)
    assert est.source == "feet" and est.roll_deg == pytest.approx(2.0, abs=0.3)
    assert "not confident" in (est.reason or "")


def test_scene_switched_off_is_ignored() -> None:
    seq = _with_scene(simulate_posture(view="front", **BIG), roll=4.0)
    assert estimate_roll(seq, CalibrationConfig(estimate_roll_from_scene=False)).source == "feet"


def test_feet_without_depth_are_not_side_by_side() -> None:
    seq = simulate_posture(view="front", camera_roll_deg=2.0, **BIG)
    seq = seq.replace(world_m=np.full_like(seq.world_m, np.nan))
    est = estimate_roll(seq)
    assert est.source == "none" and "depth of the feet is unknown" in (est.feet_rejected or "")


def test_staggered_feet_in_world_depth_are_rejected() -> None:
    seq = simulate_posture(view="front", camera_roll_deg=2.0, **BIG)
    world = seq.world_m.copy()
    world[:, [Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX, Landmark.LEFT_ANKLE], 2] -= (
        0.25  # left foot ahead
    )
    est = estimate_roll(seq.replace(world_m=world))
    assert est.source == "none" and "ahead of the other" in (est.feet_rejected or "")


# ----------------------------------------------------------------------------- renders
POSTS = ((-1.6, -1.5), (1.5, -1.2))


def _render_and_extract(
    roll_deg: float, stagger_m: float, posts: bool, size: tuple[int, int] = (480, 360)
) -> PoseSequence:
    """Three rendered frames of a figure standing with a wide stance (ankles 34 cm apart) and the left
    foot ``stagger_m`` ahead of the right, each shown 4 times at 10 fps, through MediaPipe with the
    scene sampler (as analyze_file runs it)."""
    pytest.importorskip("pyrender")
    from posture_cam.extract import extract_sequence
    from posture_cam.model_bundle import resolve_model
    from posture_cam.scene import SceneRollSampler
    from posture_cam.synth.camera import camera_for_view
    from posture_cam.synth.render import Renderer, Room
    from posture_cam.synth.skeleton import Body, LegTargets, Posture, pose
    from posture_cam.video import frames_from_iterable

    body, posture = Body(), Posture(stance_half_width_m=0.17)
    ah = body.m(body.ankle_height)
    targets = LegTargets(np.array([0.17, ah, stagger_m / 2]), np.array([-0.17, ah, -stagger_m / 2]))
    w, h = size
    cam = camera_for_view("front", width=w, height=h, roll_deg=roll_deg)
    frames = []
    with Renderer(cam, room=Room(posts_xz=POSTS if posts else ()), supersample=1) as r:
        for i in range(3):
            frames += [r.render(pose(body, posture, targets=targets, pelvis_shift_m=(0.003 * i, 0.0)))] * 4
    sampler = SceneRollSampler(1.0)
    seq = extract_sequence(
        frames_from_iterable(frames, fps=10.0),
        fps=10.0,
        frame_size=(w, h),
        model_path=resolve_model("full").path,
        on_frame=sampler,
    )
    return sampler.attach(seq)


# stance 34 cm wide: the feet span ~55 px at this size, so the span rule is relaxed to reach the depth rules
WIDE = CalibrationConfig(min_floor_span_px=40.0)


@pytest.mark.slow
@pytest.mark.parametrize("posts", [True, False])
def test_staggered_stance_under_a_level_camera_invents_no_roll(posts: bool) -> None:
    """One foot 28 cm ahead, camera level at hip height: the feet line tilts ~9 deg (the clinic-corridor
    trap). With posts in view the scene reads ~0 and the feet line is rejected for disagreeing; without
    them the feet line is still rejected (depth / height rules) and the camera is assumed level."""
    seq = _render_and_extract(0.0, 0.28, posts)
    est = estimate_roll(seq, WIDE)
    assert abs(est.roll_deg) < 1.0, est
    assert est.source == ("scene" if posts else "none"), est
    assert est.feet_rejected and "not needed" not in est.feet_rejected, est


@pytest.mark.slow
def test_feet_side_by_side_still_give_a_small_roll_without_scene_lines() -> None:
    """The control: the same render with the feet side by side and a 2.5 deg roll, no verticals in view."""
    seq = _render_and_extract(2.5, 0.0, False)
    est = estimate_roll(seq, WIDE)
    assert est.source == "feet" and est.roll_deg == pytest.approx(2.5, abs=1.0), est


@pytest.mark.slow
def test_analyze_file_takes_the_roll_from_the_scene(tmp_path: Path) -> None:
    """End to end: a rendered clip with the camera rolled 4 deg -> result.json says roll_source "scene"."""
    pytest.importorskip("pyrender")
    import json

    from posture_cam.pipeline import analyze_file
    from posture_cam.synth.camera import camera_for_view
    from posture_cam.synth.render import Renderer, Room
    from posture_cam.synth.scenarios import write_mp4
    from posture_cam.synth.skeleton import Body, Posture, pose

    cam = camera_for_view("front", width=320, height=240, roll_deg=4.0)
    frames = []
    with Renderer(cam, room=Room(posts_xz=POSTS + ((-2.5, 1.0), (2.4, 0.5))), supersample=1) as r:
        for i in range(3):
            frames += [r.render(pose(Body(), Posture(), pelvis_shift_m=(0.004 * i, 0.0)))] * 5
    clip = write_mp4(tmp_path / "rolled.mp4", frames, 10.0)
    analyze_file(clip, tmp_path / "out")
    cal = json.loads((tmp_path / "out" / "result.json").read_text())["calibration"]
    assert cal["roll_source"] == "scene", cal
    assert cal["roll_deg"] == pytest.approx(4.0, abs=1.0)
    assert cal["scene_n_lines"] >= 3 and cal["scene_confidence"] >= 0.5
