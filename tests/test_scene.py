"""Camera roll from the scene's vertical lines (posture_cam.scene) and the sequence's channel slot.

Drawn frames (fast, exact answers) test the estimator's geometry, the subject mask and the border
rule; renders of a figure in a room with vertical posts (pyrender) test it as the pipeline meets it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from posture_cam.landmarks import N_LANDMARKS
from posture_cam.scene import (
    CHANNELS,
    SceneRollSampler,
    compose_hooks,
    estimate_scene_roll,
    summarise,
)
from posture_cam.sequence import PoseSequence

W, H = 320, 240


def _rot(pts: np.ndarray, roll_deg: float, center: tuple[float, float]) -> np.ndarray:
    """The image of level-camera points under a camera roll (scene turns counter-clockwise on screen)."""
    a = math.radians(-roll_deg)  # counter-clockwise on screen, y down
    c, s = math.cos(a), math.sin(a)
    d = pts - np.asarray(center)
    return np.column_stack([c * d[:, 0] - s * d[:, 1], s * d[:, 0] + c * d[:, 1]]) + center


def _frame_with_verticals(
    roll_deg: float, xs: tuple[float, ...] = (40, 90, 250, 290), seed: int = 0
) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((H, W, 3), 200, np.uint8)
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    for x in xs:  # dark posts, 6 px wide, full height (longer than the frame so rotation keeps them)
        quad = np.array([[x - 3, -60], [x + 3, -60], [x + 3, H + 60], [x - 3, H + 60]], float)
        cv2.fillConvexPoly(img, np.round(_rot(quad, roll_deg, (W / 2, H / 2))).astype(np.int32), (60, 50, 40))
    return img


def _person(img: np.ndarray, lean_deg: float = 12.0) -> np.ndarray:
    """Draws a tilted dark 'person' bar in the middle and returns 33 landmarks spread over it."""
    import cv2

    quad = np.array([[150, 40], [170, 40], [170, 220], [150, 220]], float)
    quad = _rot(quad, lean_deg, (160, 130))
    cv2.fillConvexPoly(img, np.round(quad).astype(np.int32), (20, 20, 120))
    t = np.linspace(0, 1, N_LANDMARKS)
    top, bottom = quad[:2].mean(axis=0), quad[2:].mean(axis=0)
    return top + t[:, None] * (bottom - top)


@pytest.mark.parametrize("roll", [-6.0, -4.0, 0.0, 3.0, 6.0])
def test_drawn_verticals_give_the_roll(roll: float) -> None:
    est = estimate_scene_roll(_frame_with_verticals(roll))
    assert est.roll_deg == pytest.approx(roll, abs=0.3)
    assert est.n_lines >= 4 and est.iqr_deg < 0.5


def test_the_subject_is_masked_out() -> None:
    img = _frame_with_verticals(0.0, xs=(30, 290))
    lms = _person(img, lean_deg=12.0)  # a long, straight, 12 deg tilted edge in the middle
    est = estimate_scene_roll(img, lms)
    assert est.roll_deg == pytest.approx(0.0, abs=0.3)
    unmasked = estimate_scene_roll(img, None)
    assert unmasked.n_candidates > est.n_candidates  # the subject's edges were candidates without the mask


def test_letterbox_bars_are_not_verticals() -> None:
    img = _frame_with_verticals(5.0)
    img[:, :20] = 0  # black bars: exactly vertical edges whatever the roll
    img[:, -20:] = 0
    img[:, 18:22] = 0
    est = estimate_scene_roll(img)
    assert est.roll_deg == pytest.approx(5.0, abs=0.4)


def test_converging_verticals_of_a_camera_looking_down() -> None:
    """Verticals meeting at a vanishing point below the frame (pitched camera) on one side only: the
    roll is the direction of the vanishing point, not the lines' mean tilt."""
    import cv2

    img = np.full((H, W, 3), 200, np.uint8)
    vp = np.array([W / 2, H / 2 + 1200.0])  # level, pitched-down camera: vertical VP straight below
    for x in (20, 50, 80, 110):  # lines only on the left: each leans towards the VP
        top = np.array([x, -40.0])
        d = (vp - top) / np.linalg.norm(vp - top)
        bot = top + d * (H + 80) / d[1]
        cv2.line(img, tuple(np.round(top).astype(int)), tuple(np.round(bot).astype(int)), (40, 40, 40), 4)
    roll = 3.0
    m = cv2.getRotationMatrix2D((W / 2, H / 2), roll, 1.0)  # + angle = counter-clockwise on screen
    img = cv2.warpAffine(img, m, (W, H), borderMode=cv2.BORDER_REPLICATE)
    est = estimate_scene_roll(img)
    naive = np.degrees(np.arctan2(-(vp[0] - 65), -(vp[1] + 40)))  # what the mean tilt of the lines reads
    assert abs(naive) > 3.0
    assert est.roll_deg == pytest.approx(roll, abs=0.5)


def test_plain_background_reads_nothing() -> None:
    rng = np.random.default_rng(1)
    img = np.clip(150 + rng.normal(0, 4, (H, W, 3)), 0, 255).astype(np.uint8)
    est = estimate_scene_roll(img)
    assert math.isnan(est.roll_deg) and est.n_lines == 0
    summ = summarise({k: np.array([v], np.float32) for k, v in est.as_channels().items()})
    assert summ.confidence == 0.0 and math.isnan(summ.roll_deg)


def test_bad_frame_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="expected an \\(H, W, 3\\) image"):
        estimate_scene_roll(np.zeros((10, 10)))


class _Frame:
    def __init__(self, index: int, t: float, rgb: np.ndarray) -> None:
        self.index, self.timestamp_s, self.rgb = index, t, rgb


class _Cand:
    def __init__(self, pts: np.ndarray) -> None:
        self.image_px = np.column_stack([pts, np.zeros(len(pts))])


def test_sampler_reads_about_once_per_second_and_aligns_by_frame_index() -> None:
    img = _frame_with_verticals(2.0)
    lms = _person(img.copy())
    seen: list[int] = []
    sampler = SceneRollSampler(every_s=1.0)
    hook = compose_hooks(None, lambda f, c: seen.append(f.index), sampler)
    idx = np.arange(100, 131)  # 3 s at 10 fps, source indices starting at 100
    for i in idx:
        hook(_Frame(int(i), (i - 100) / 10.0, img), None if i == 100 else _Cand(lms))
    assert seen == list(idx)
    assert sorted(sampler.readings_) == [101, 111, 121]  # frame 100 had nobody: the next one is read
    ch = sampler.channels(idx)
    assert set(ch) == set(CHANNELS)
    assert np.isfinite(ch["scene_roll_deg"]).sum() == 3
    assert np.nanmedian(ch["scene_roll_deg"]) == pytest.approx(2.0, abs=0.3)
    summ = summarise(ch)
    assert summ.confidence >= 0.5 and summ.n_readings == 3 and summ.roll_deg == pytest.approx(2.0, abs=0.3)


def test_summary_confidence_falls_when_frames_disagree() -> None:
    base = {
        "scene_roll_lines": np.array([6, 6, 6], np.float32),
        "scene_roll_weight": np.array([2.0, 2.0, 2.0], np.float32),
        "scene_roll_iqr_deg": np.array([0.2, 0.2, 0.2], np.float32),
    }
    agree = summarise({**base, "scene_roll_deg": np.array([2.0, 2.1, 1.9], np.float32)})
    disagree = summarise({**base, "scene_roll_deg": np.array([-3.0, 2.0, 6.0], np.float32)})
    assert agree.confidence > 0.8 and disagree.confidence == 0.0
    ambiguous = summarise(
        {
            **base,
            "scene_roll_deg": np.array([2.0, 2.1, 1.9], np.float32),
            "scene_roll_ambiguity_deg": np.array([4.0, 4.5, 3.5], np.float32),
        }
    )
    assert ambiguous.confidence < 0.3 and ambiguous.ambiguity_deg == pytest.approx(4.0)


# ----------------------------------------------------------------------------- the channel slot
def _seq(n: int = 6, t0: float = 0.0) -> PoseSequence:
    xy = np.random.default_rng(0).uniform(10, 200, (n, N_LANDMARKS, 2))
    return PoseSequence.from_image_points(xy, fps=10.0, frame_size=(W, H), t0_s=t0)


def test_channels_slice_concat_mirror_and_round_trip(tmp_path: Path) -> None:
    roll = np.array([np.nan, 2.5, np.nan, np.nan, 2.7, np.nan], np.float32)
    seq = _seq().replace(channels={"scene_roll_deg": roll, "scene_roll_lines": np.arange(6.0)})
    assert seq.channels["scene_roll_deg"].dtype == np.float32
    assert not seq.channels["scene_roll_deg"].flags.writeable
    np.testing.assert_array_equal(seq.slice(1, 3).channels["scene_roll_deg"], roll[1:3])
    other = _seq(3, t0=1.0)  # no channels: its part is NaN in the joined sequence
    joined = PoseSequence.concat([seq, other])
    assert joined.channels["scene_roll_deg"].shape == (9,)
    assert np.isnan(joined.channels["scene_roll_lines"][6:]).all()
    assert np.nanmax(seq.mirrored().channels["scene_roll_deg"]) == pytest.approx(-2.5)  # a mirror flips roll
    np.testing.assert_array_equal(seq.mirrored().channels["scene_roll_lines"], np.arange(6.0))
    back = PoseSequence.load(seq.save(tmp_path / "s.parquet"))
    assert back == seq
    assert back != seq.replace(channels={})
    assert "channel.scene_roll_deg" in seq.to_table()


def test_older_file_without_channels_loads(tmp_path: Path) -> None:
    seq = _seq()
    back = PoseSequence.load(seq.save(tmp_path / "old.parquet"))
    assert back.channels == {}


@pytest.mark.parametrize(
    ("channels", "match"),
    [({"scene_roll_deg": np.zeros(5)}, "expected shape \\(6,\\)"), ({"bad name": np.zeros(6)}, "identifier")],
)
def test_bad_channels_are_rejected(channels: dict[str, np.ndarray], match: str) -> None:
    from posture_cam.errors import InvalidSequenceError

    with pytest.raises(InvalidSequenceError, match=match):
        _seq().replace(channels=channels)


# ----------------------------------------------------------------------------- renders
POSTS = ((-1.6, -1.5), (1.5, -1.2), (-2.5, 1.0), (2.4, 0.5))


@pytest.mark.slow
@pytest.mark.parametrize("roll", [-4.0, 3.0, 6.0])
@pytest.mark.parametrize("camera_height_m", [None, 1.6])
def test_roll_recovered_from_the_rendered_room(roll: float, camera_height_m: float | None) -> None:
    """A figure in a room with vertical posts, camera rolled (and, at 1.6 m, looking down): the roll
    comes back from the posts within 1 deg on each of two frames, with the figure masked out."""
    pytest.importorskip("pyrender")
    from posture_cam.synth.camera import camera_for_view
    from posture_cam.synth.render import Renderer, Room
    from posture_cam.synth.skeleton import Body, Posture, pose
    from posture_cam.synth.truth import project_landmarks

    body, posture = Body(), Posture(arm_abduction_deg=20.0)
    cam = camera_for_view("front", width=W, height=H, roll_deg=roll, camera_height_m=camera_height_m)
    readings = []
    with Renderer(cam, room=Room(posts_xz=POSTS), supersample=1) as r:
        for i in range(2):
            sk = pose(body, posture, pelvis_shift_m=(0.01 * i, 0.0))
            lms = project_landmarks([sk], cam)[0]
            readings.append(estimate_scene_roll(r.render(sk), lms))
    for est in readings:
        assert est.roll_deg == pytest.approx(roll, abs=1.0), est
        assert est.n_lines >= 3
    ch = {k: np.array([e.as_channels()[k] for e in readings], np.float32) for k in CHANNELS}
    summ = summarise(ch)
    assert summ.confidence >= 0.5 and summ.roll_deg == pytest.approx(roll, abs=1.0)


def test_verticals_on_one_side_only_are_ambiguous() -> None:
    """With lines on both sides a pitch and a roll are told apart; on one side they trade off."""
    both = estimate_scene_roll(_frame_with_verticals(2.0, xs=(30, 60, 260, 290)))
    one = estimate_scene_roll(_frame_with_verticals(2.0, xs=(20, 35, 50)))
    assert one.roll_deg == pytest.approx(2.0, abs=0.5)
    assert both.ambiguity_deg < 0.6 < one.ambiguity_deg


def test_mask_follows_the_limbs_not_their_hull() -> None:
    """A T-pose: the background under the outstretched arms, beside the legs, stays usable."""
    from posture_cam.landmarks import Landmark as L
    from posture_cam.scene import subject_mask

    lm = np.full((N_LANDMARKS, 2), np.nan)
    pts = {
        L.NOSE: (160, 40),
        L.LEFT_EYE: (165, 36),
        L.RIGHT_EYE: (155, 36),
        L.LEFT_SHOULDER: (185, 70),
        L.RIGHT_SHOULDER: (135, 70),
        L.LEFT_ELBOW: (235, 70),
        L.RIGHT_ELBOW: (85, 70),
        L.LEFT_WRIST: (285, 70),
        L.RIGHT_WRIST: (35, 70),
        L.LEFT_HIP: (175, 130),
        L.RIGHT_HIP: (145, 130),
        L.LEFT_KNEE: (178, 180),
        L.RIGHT_KNEE: (142, 180),
        L.LEFT_ANKLE: (180, 228),
        L.RIGHT_ANKLE: (140, 228),
    }
    for k, v in pts.items():
        lm[k] = v
    m = subject_mask((H, W), lm, 0.12)
    assert m[70, 260] and m[130, 160] and m[30, 160]  # arm, trunk, head
    assert not m[180, 60] and not m[180, 260]  # under the arms, beside the legs


def test_sampler_reads_less_often_after_the_dense_readings() -> None:
    img = _frame_with_verticals(1.0)
    lms = _person(img.copy())
    sampler = SceneRollSampler(every_s=1.0, dense_readings=3)
    for i in range(200):  # 20 s at 10 fps
        sampler(_Frame(i, i / 10.0, img), _Cand(lms))
    assert sorted(sampler.readings_) == [0, 10, 20, 70, 120, 170]


def test_sampler_rejects_a_bad_period() -> None:
    from posture_cam.errors import ConfigError

    with pytest.raises(ConfigError, match="scene_roll_every_s"):
        SceneRollSampler(every_s=0.0)


# ----------------------------------------------------------------------------- real clips
#: Camera roll of the pose2sim single-person demo cameras from that demo's own calibration
#: (perfanalytics/pose2sim Pose2Sim/Demo_SinglePerson/calibration/Calib_scene.toml, world Z up):
#: cam02 +2.26 deg (pitched 18.2 deg down), cam03 +1.90 deg (22.8 deg down). docs/metrics.md.
POSE2SIM_ROLL_DEG = {
    "standing/single_leg_balance_front_vp9.mp4": 2.26,
    "standing/single_leg_balance_back_oblique.mp4": 1.90,
}


@pytest.mark.slow
@pytest.mark.media
@pytest.mark.parametrize("clip", sorted(POSE2SIM_ROLL_DEG))
def test_real_lab_clip_roll_within_1_5_deg_of_the_camera_calibration(shared_data: Path, clip: str) -> None:
    """Four frames (0.5 s apart) of a real lab recording through MediaPipe and the sampler: the scene
    roll is used (confident) and lies within 1.5 deg of the calibrated camera's roll."""
    from posture_cam.calibration import estimate_roll
    from posture_cam.extract import extract_sequence
    from posture_cam.model_bundle import resolve_model
    from posture_cam.video import iter_frames, probe

    path = shared_data / clip
    info = probe(path)
    frames = iter_frames(path, max_frames=100)
    try:
        picked = [f for f in frames if f.index % 30 == 0]
    finally:
        frames.close()
    sampler = SceneRollSampler(every_s=0.4)
    seq = extract_sequence(
        picked,
        fps=info.fps,
        frame_size=(info.width, info.height),
        model_path=resolve_model("full").path,
        on_frame=sampler,
        running_mode="image",
    )
    seq = sampler.attach(seq)
    assert len(sampler.readings_) == 4
    est = estimate_roll(seq)
    assert est.source == "scene", est
    assert est.roll_deg == pytest.approx(POSE2SIM_ROLL_DEG[clip], abs=1.5), est
