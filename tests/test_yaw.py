"""Subject yaw (view.subject_yaw_deg) and the false obliquity of a turned subject under a high camera.

The camera-height part projects the synthetic figure's true joints through the synth pinhole camera
(pure numpy, no rendering), so the geometry is exact: a level pelvis turned by ``yaw`` and seen from a
camera above it projects tilted by about ``atan(tan(depression) * tan(yaw))``. The MediaPipe side of
the same effect is measured on renders by ``bench/yaw_camera_height.py`` (docs/metrics.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from posture_cam.config import PostureConfig
from posture_cam.landmarks import Landmark
from posture_cam.posture import line_tilt_deg
from posture_cam.sequence import PoseSequence
from posture_cam.simulate.posture import simulate_posture
from posture_cam.synth.camera import camera_for_view
from posture_cam.synth.skeleton import Body, Posture, pose
from posture_cam.synth.truth import landmarks_world
from posture_cam.view import (
    classify_views,
    frontal_yaw_deg,
    subject_yaw_deg,
    turned_frames,
)

L = Landmark


# ----------------------------------------------------------------------------------- yaw estimate
@pytest.mark.parametrize("yaw", [0.0, 10.0, -20.0, 35.0, 90.0, -90.0, 150.0, -170.0, 180.0])
def test_world_yaw_recovers_the_turn(yaw: float) -> None:
    seq = simulate_posture(yaw_deg=yaw, duration_s=0.5, noise_px=0.5)
    got = subject_yaw_deg(seq)
    err = (got - yaw + 180.0) % 360.0 - 180.0
    assert np.all(np.abs(err) < 0.5), got[:3]


@pytest.mark.parametrize("yaw", [0.0, 15.0, -25.0, 40.0, 160.0, -140.0])
def test_image_yaw_without_world_landmarks(yaw: float) -> None:
    """Without world landmarks the image widths (against body height) and the image depth give it."""
    seq = simulate_posture(yaw_deg=yaw, duration_s=0.5)
    no_world = PoseSequence(
        seq.image_px,
        np.full_like(seq.world_m, np.nan),
        seq.visibility,
        seq.presence,
        seq.timestamps_s,
        seq.fps,
        seq.frame_size,
    )
    got = subject_yaw_deg(no_world)
    err = (got - yaw + 180.0) % 360.0 - 180.0
    # the width cue is flat near facing (cos): a few degrees there, tighter further round
    assert np.all(np.abs(err) < (6.0 if abs(frontal_yaw_deg(yaw)) < 20 else 3.0)), got[:3]


def test_frontal_yaw_folds_back_views() -> None:
    folded = frontal_yaw_deg(np.array([0.0, 25.0, -25.0, 170.0, -160.0, 180.0, 90.0]))
    assert folded.tolist() == pytest.approx([0.0, 25.0, -25.0, -10.0, 20.0, 0.0, 90.0])
    yaw = np.array([0.0, 14.0, -16.0, 170.0, 150.0, np.nan])
    assert turned_frames(yaw, 15.0).tolist() == [False, False, True, False, True, False]


def test_view_report_marks_turned_frames_and_summarises_them() -> None:
    """A subject facing the camera, then turned 25 deg: the turned half is marked, labels stay front."""
    a = simulate_posture(yaw_deg=0.0, duration_s=2.0, noise_px=0.5)
    b = simulate_posture(yaw_deg=25.0, duration_s=2.0, noise_px=0.5, seed=1)
    seq = PoseSequence(
        np.concatenate([a.image_px, b.image_px]),
        np.concatenate([a.world_m, b.world_m]),
        np.concatenate([a.visibility, b.visibility]),
        np.concatenate([a.presence, b.presence]),
        np.arange(a.n_frames + b.n_frames) / a.fps,
        a.fps,
        a.frame_size,
    )
    cfg = PostureConfig()
    rep = classify_views(seq, cfg)
    assert rep.dominant == "front"  # 25 deg is still a front view for the labels ...
    turned = rep.turned()
    assert not turned[: a.n_frames].any() and turned[a.n_frames :].all()  # ... but beyond the tolerance
    js = rep.to_json()["yaw"]
    assert js["frontal_max_yaw_deg"] == cfg.frontal_max_yaw_deg
    assert js["turned_frames"] == b.n_frames and js["turned_fraction"] == pytest.approx(0.5)
    assert rep.turned(30.0).sum() == 0  # a looser tolerance keeps them


# ----------------------------------------------------------------------------------- high camera
def _projected(yaw: float, camera_height_m: float, obliquity_deg: float = 0.0) -> PoseSequence:
    """True joints of a standing figure turned by ``yaw`` (deg, + = to its left), seen by a camera at
    ``camera_height_m`` 3.6 m in front, as a PoseSequence with camera-frame world landmarks."""
    body = Body()
    if obliquity_deg:
        half = body.m(body.hip_joint_half_width)
        body = Body(leg_length_right_delta_m=-2 * half * math.sin(math.radians(obliquity_deg)))
    sk = pose(body, Posture(pelvic_obliquity_deg=obliquity_deg), heading_deg=yaw)
    cam = camera_for_view("front", distance_m=3.6, width=360, height=480, camera_height_m=camera_height_m)
    w = landmarks_world(sk)
    px = cam.project(w)
    m = cam.pose_matrix()
    c = (w - m[:3, 3]) @ m[:3, :3]  # camera frame: x right, y up, z towards the camera
    world = c * np.array([1.0, -1.0, -1.0])  # MediaPipe world axes: y down, z away from the camera
    world -= 0.5 * (world[L.LEFT_HIP] + world[L.RIGHT_HIP])
    n = 12
    return PoseSequence(
        np.repeat(px[None], n, 0).astype(np.float32),
        np.repeat(world[None], n, 0).astype(np.float32),
        np.full((n, 33), 0.95, np.float32),
        np.full((n, 33), 0.95, np.float32),
        np.arange(n) / 15.0,
        15.0,
        (360, 480),
    )


def _pelvis_tilt(seq: PoseSequence) -> float:
    xy = seq.image_px[0, :, :2].astype(np.float64)
    return float(line_tilt_deg(xy[L.LEFT_HIP], xy[L.RIGHT_HIP]))


@pytest.mark.parametrize("camera_height_m", [1.0, 1.6])
def test_yawed_subject_under_a_camera_false_obliquity(camera_height_m: float) -> None:
    """A level pelvis turned 0-40 deg: the false obliquity follows atan(tan(depression) tan(yaw)), and the
    frames the default tolerance lets through stay within the bound docs/metrics.md states for it."""
    tol = PostureConfig().frontal_max_yaw_deg
    hip_h = Body().m(Body().hip_joint_height)
    depression = math.atan((camera_height_m - hip_h) / 3.6)
    rows = []
    for yaw in (0.0, 10.0, 20.0, 30.0, 40.0):
        seq = _projected(yaw, camera_height_m)
        est = subject_yaw_deg(seq)
        # + yaw = turned to the subject's left: the left hip moves away from the camera
        assert est[0] == pytest.approx(yaw, abs=1.0)
        tilt = _pelvis_tilt(seq)
        expected = math.degrees(math.atan(math.tan(depression) * math.tan(math.radians(yaw))))
        assert tilt == pytest.approx(expected, abs=0.35), (yaw, tilt, expected)
        rows.append((yaw, tilt, bool(turned_frames(est, tol)[0])))
    # frames beyond the tolerance are the ones marked, and the marked ones carry the big errors
    assert [r[2] for r in rows] == [y > tol for y, _, _ in rows]
    kept = [abs(t) for y, t, marked in rows if not marked]
    if camera_height_m == 1.6:
        assert rows[-1][1] > 5.0  # 40 deg turned under a high camera: a level pelvis reads > 5 deg
        assert max(kept) < 2.0  # within the tolerance: under 2 deg (10 deg of yaw: ~1.9 deg)
    else:
        assert max(abs(t) for _, t, _ in rows) < 1.2  # camera near hip height: the turn hardly tilts it


def test_true_obliquity_adds_to_the_false_one_under_a_high_camera() -> None:
    """A known 5 deg obliquity, turned 20 deg, under a 1.6 m camera reads 5 deg plus the false tilt."""
    level = _pelvis_tilt(_projected(20.0, 1.6))
    tilted = _pelvis_tilt(_projected(20.0, 1.6, obliquity_deg=5.0))
    straight = _pelvis_tilt(_projected(0.0, 1.6, obliquity_deg=5.0))
    assert straight == pytest.approx(5.0, abs=0.3)
    # the turn also shortens the hip line's width: tan(tilt) = tan(5 deg) / cos(20 deg)
    true_part = math.degrees(math.atan(math.tan(math.radians(5.0)) / math.cos(math.radians(20.0))))
    assert tilted - level == pytest.approx(true_part, abs=0.4)
    assert level > 3.0


# ----------------------------------------------------------------------------------- staggered feet
@pytest.mark.parametrize("yaw", [0.0, 30.0, -40.0, 170.0])
def test_feet_stagger_is_measured_in_the_body_frame(yaw: float) -> None:
    """Feet side by side read ~0 however the body is turned; one foot 25 cm ahead reads 0.25 m."""
    from posture_cam.view import feet_stagger_m

    seq = simulate_posture(yaw_deg=yaw, duration_s=0.5)
    assert np.nanmax(feet_stagger_m(seq)) < 0.01
    a = math.radians(yaw)
    forward = np.array([math.sin(a), 0.0, -math.cos(a)])  # body forward, world axes (z away)
    world = np.array(seq.world_m, dtype=np.float64, copy=True)
    for lm in (L.RIGHT_HEEL, L.RIGHT_ANKLE):
        world[:, lm] += 0.25 * forward
    moved = PoseSequence(
        seq.image_px, world, seq.visibility, seq.presence, seq.timestamps_s, seq.fps, seq.frame_size
    )
    assert np.nanmedian(feet_stagger_m(moved)) == pytest.approx(0.25, abs=0.01)


def test_feet_drop_is_the_image_cue_for_a_staggered_stance() -> None:
    """The nearer foot sits lower in the picture; side by side reads ~0 (orthographic simulator)."""
    from posture_cam.view import classify_views, feet_drop_fraction_height

    seq = simulate_posture(view="front", duration_s=1.0, noise_px=0.3)
    assert np.nanmedian(feet_drop_fraction_height(seq)) < 0.005
    img = np.array(seq.image_px, dtype=np.float64, copy=True)
    body_px = seq.meta["simulated"]["scale_px_per_m"] * 1.75
    for lm in (L.RIGHT_HEEL, L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX):
        img[:, lm, 1] += 0.04 * body_px  # the right foot 4 % of body height lower (nearer the camera)
    moved = PoseSequence(
        img, seq.world_m, seq.visibility, seq.presence, seq.timestamps_s, seq.fps, seq.frame_size
    )
    assert np.nanmedian(feet_drop_fraction_height(moved, body_px)) == pytest.approx(0.04, abs=0.003)
    stance = classify_views(moved).to_json()["stance"]
    assert stance["feet_drop_fraction_height"] == pytest.approx(0.04, abs=0.006)  # torso-based height


# ----------------------------------------------------------------------------------- renders (MediaPipe)
@pytest.mark.synth
def test_rendered_turned_subject_under_a_high_camera_is_marked_turned() -> None:
    """End to end on renders (camera 1.6 m, 3.6 m away): facing the camera is kept, 30 deg turned is
    marked beyond the tolerance from MediaPipe's world landmarks. The hip landmark line of the turned,
    level pelvis moves far less than the true joints' projection (bench/yaw_camera_height.py: 0.6 vs 6.1
    deg), which is why the tilt is excluded rather than corrected (docs/metrics.md)."""
    from posture_cam.model_bundle import ensure_model
    from posture_cam.pose_adapter import PoseLandmarkerAdapter
    from posture_cam.synth.render import Renderer, RenderUnavailableError
    from posture_cam.synth.truth import project_landmarks

    cam = camera_for_view("front", distance_m=3.6, width=360, height=480, camera_height_m=1.6)
    tol = PostureConfig().frontal_max_yaw_deg
    out = {}
    try:
        with (
            Renderer(cam, supersample=2) as r,
            PoseLandmarkerAdapter(ensure_model("full"), running_mode="image") as det,
        ):
            for yaw in (0.0, 30.0):
                sk = pose(Body(), Posture(), heading_deg=yaw)
                cands = det.detect(r.render(sk))
                assert cands, f"nobody found at yaw {yaw}"
                c = cands[0]
                seq = PoseSequence(
                    c.image_px[None].astype(np.float32),
                    c.world_m[None].astype(np.float32),
                    c.visibility[None].astype(np.float32),
                    c.presence[None].astype(np.float32),
                    np.zeros(1),
                    15.0,
                    (360, 480),
                )
                true_px = project_landmarks([sk], cam)[0]
                out[yaw] = (
                    float(subject_yaw_deg(seq)[0]),
                    float(line_tilt_deg(c.image_px[L.LEFT_HIP, :2], c.image_px[L.RIGHT_HIP, :2])),
                    float(line_tilt_deg(true_px[L.LEFT_HIP, :2], true_px[L.RIGHT_HIP, :2])),
                )
    except RenderUnavailableError as exc:
        pytest.skip(f"EGL rendering unavailable: {exc}")
    (y0, lm0, t0), (y30, lm30, t30) = out[0.0], out[30.0]
    assert abs(y0) < tol and not turned_frames(np.array([y0]), tol)[0]
    assert y30 > tol and turned_frames(np.array([y30]), tol)[0]  # + = turned to the subject's left
    assert t30 - t0 > 5.0  # the true joints project a level pelvis ~6 deg tilted ...
    assert abs(lm30 - lm0) < 0.5 * (t30 - t0)  # ... the landmarks show well under half of it
