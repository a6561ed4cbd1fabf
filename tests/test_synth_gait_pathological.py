"""Rendering the long pathological recordings (posture_cam.synth.gait.render_recording)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posture_cam.landmarks import Landmark as L
from posture_cam.simulate.gait_recording import recording, simulate_recording
from posture_cam.synth.gait import camera_from_spec, render_recording, skeleton_from_landmarks
from posture_cam.synth.truth import landmarks_world, project_landmarks

LIMBS = [lm for lm in L if not lm.name.startswith(("NOSE", "LEFT_E", "RIGHT_E", "MOUTH"))]


@pytest.fixture(scope="module")
def rec():
    spec = recording("hemiplegic", noise_px=0.0)
    return spec, *simulate_recording(spec)


def test_skeleton_keeps_the_limb_landmarks_and_has_orthonormal_frames(rec):
    _, _, tr = rec
    for i in (0, tr.bouts[0].start + 20, tr.phases[5][1] + 10):
        sk = skeleton_from_landmarks(tr.world_m[i], 1.75)
        got = landmarks_world(sk)
        idx = [int(lm) for lm in LIMBS]
        assert np.allclose(got[idx], tr.world_m[i][idx])
        # the rebuilt head stays on the simulated one (within a head size)
        assert np.linalg.norm(got[int(L.NOSE)] - tr.world_m[i][int(L.NOSE)]) < 0.12
        for name, r in sk.frames.items():
            assert np.allclose(r.T @ r, np.eye(3), atol=1e-9), name
            assert np.isclose(np.linalg.det(r), 1.0), name


def test_synth_camera_projects_like_the_simulator(rec):
    spec, seq, tr = rec
    cam = camera_from_spec(spec.camera, spec.frame_size)
    frames = [0, tr.bouts[0].start + 10, tr.bouts[1].start + 10]
    sks = [skeleton_from_landmarks(tr.world_m[i], 1.75) for i in frames]
    px = project_landmarks(sks, cam)[..., :2]
    sim = np.asarray(seq.image_px)[frames][..., :2]
    idx = [int(lm) for lm in LIMBS]
    assert np.max(np.abs(px[:, idx] - sim[:, idx])) < 0.5


def test_bad_landmarks_raise():
    with pytest.raises(ValueError, match="33 finite"):
        skeleton_from_landmarks(np.full((33, 3), np.nan), 1.75)
    with pytest.raises(ValueError, match="33 finite"):
        skeleton_from_landmarks(np.zeros((17, 3)), 1.75)


@pytest.mark.synth
@pytest.mark.slow
def test_render_recording_writes_video_and_truth(rec, tmp_path):
    from posture_cam.synth.render import RenderUnavailableError

    spec, _, tr = rec
    b = tr.bouts[0]
    t0 = b.start_s + 0.5
    try:
        mp4 = render_recording(
            spec, tmp_path, name="hemi", frame_size=(160, 90), start_s=t0, end_s=t0 + 2 / spec.fps
        )
    except RenderUnavailableError as exc:
        pytest.skip(f"EGL rendering unavailable: {exc}")
    truth = json.loads(mp4.with_suffix(".json").read_text())
    assert mp4.stat().st_size > 0 and truth["n_frames"] == 3
    assert np.asarray(truth["landmarks_px"]).shape == (3, 33, 2)
    assert truth["phase_per_frame"] == ["walking"] * 3
    first = int(round(t0 * spec.fps))
    inside = [e for e in tr.events if first <= e.frame < first + 3]
    assert [e["frame"] for e in truth["events"]] == [e.frame - first for e in inside]
    from posture_cam.video import iter_frames

    imgs = [f.rgb for f in iter_frames(mp4)]
    assert len(imgs) == 3
    hip = np.asarray(truth["landmarks_px"])[0, int(L.RIGHT_HIP)].astype(int)
    bg = imgs[0][3, 3].astype(int)
    assert np.abs(imgs[0][hip[1], hip[0]].astype(int) - bg).sum() > 40  # the figure, not the wall
