"""False frontal obliquity of a turned subject seen from a camera at hip or head height (renders).

Renders a standing front-view figure (``posture_cam.synth``: level pelvis, and a known 5 deg pelvic
obliquity with the trunk following half of it, as bench/accuracy.py's "free" case) turned by 0-40 deg
about the vertical, seen from 3.6 m by a camera at 1.0 m and at 1.6 m (aimed at 0.52 body heights, so
the 1.6 m camera looks down ~11 deg), runs MediaPipe (VIDEO mode) and prints per case, medians over
frames:

* ``yaw``: the subject yaw from the world landmarks (``view.subject_yaw_deg``) against the true turn,
  and from the image widths alone (the same function without world landmarks);
* ``pelvis``/``shoulders``: image line tilts (deg, + = subject's right lower) of the true joints
  (projected) and of the landmarks, and the landmarks' error against the true *body* obliquity;
* ``pitch``: the view elevation read from the world landmarks (the hip->shoulder axis leaning towards
  the camera, assuming an upright trunk), and two corrections of the pelvis tilt built on it:
  ``corr`` = image tilt - atan(tan(pitch) tan(yaw)) (the projection of a turned level line seen from
  above), ``world`` = the world-landmark hip line levelled by that pitch (yaw-free by construction).

    python bench/yaw_camera_height.py                 # 360x480, 4 frames per case (~3-5 min, cached)
    python bench/yaw_camera_height.py --yaws 0,20,40 --heights 1.6

Renders are cached as .npz in ``tmp/yaw_camera_cache`` (git-ignored). No factor is fitted to the truth.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posture_cam.landmarks import Landmark  # noqa: E402
from posture_cam.sequence import PoseSequence  # noqa: E402
from posture_cam.synth.camera import Camera, camera_for_view  # noqa: E402
from posture_cam.synth.skeleton import Body, Posture, Skeleton, pose  # noqa: E402
from posture_cam.synth.truth import project_landmarks  # noqa: E402
from posture_cam.view import subject_yaw_deg  # noqa: E402

L = Landmark
DISTANCE_M = 3.6
FPS = 15.0


def line_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Frontal tilt of a left/right pair (deg, + = subject's right lower), image px, y down."""
    return np.degrees(np.arctan2(right[..., 1] - left[..., 1], np.abs(right[..., 0] - left[..., 0])))


def scene(
    yaw: float, cam_h: float, obliquity: float, width: int, height: int, n: int
) -> tuple[list[Skeleton], Camera]:
    body = Body()
    if obliquity:
        half = body.m(body.hip_joint_half_width)
        body = Body(leg_length_right_delta_m=-2 * half * math.sin(math.radians(obliquity)))
    posture = Posture(pelvic_obliquity_deg=obliquity, trunk_side_bend_deg=0.5 * obliquity)
    sks = []
    for i in range(n):  # quiet-standing sway as in the sample clips (~3 mm / 4 mm)
        t = i / FPS
        sway = (0.003 * math.sin(2 * math.pi * 0.23 * t), 0.004 * math.sin(2 * math.pi * 0.17 * t + 1.0))
        sks.append(pose(body, posture, heading_deg=yaw, pelvis_shift_m=sway))
    cam = camera_for_view(
        "front", distance_m=DISTANCE_M, width=width, height=height, camera_height_m=cam_h, fill=0.8
    )
    return sks, cam


def rendered(key: str, sks: list[Skeleton], cam: Camera, cache: Path) -> np.ndarray:
    path = cache / f"{key}_{hashlib.sha256(repr((key, cam)).encode()).hexdigest()[:10]}.npz"
    if path.is_file():
        return np.load(path)["frames"]
    from posture_cam.synth.render import Renderer

    t = time.time()
    with Renderer(cam, supersample=2) as r:
        frames = np.stack([r.render(sk) for sk in sks])
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, frames=frames)
    print(f"  rendered {key} ({len(frames)} frames) in {time.time() - t:.0f} s", file=sys.stderr, flush=True)
    return frames


def detect(frames: np.ndarray, model: Path) -> tuple[np.ndarray, np.ndarray]:
    """Image px (T, 33, 3) and world m (T, 33, 3) of the first person, NaN where none was found."""
    from posture_cam.pose_adapter import PoseLandmarkerAdapter

    img = np.full((len(frames), 33, 3), np.nan)
    world = np.full((len(frames), 33, 3), np.nan)
    with PoseLandmarkerAdapter(model, running_mode="video") as det:
        for i, rgb in enumerate(frames):
            cands = det.detect(rgb, i * 1000.0 / FPS)
            if cands:
                img[i], world[i] = cands[0].image_px, cands[0].world_m
    return img, world


def world_pitch_deg(world: np.ndarray) -> np.ndarray:
    """(T,) view elevation from the world landmarks: the hip->shoulder axis leaning towards the camera
    (+ = camera above, looking down), assuming an upright trunk. World axes: y down, z away."""
    hip = 0.5 * (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP])
    sh = 0.5 * (world[:, L.LEFT_SHOULDER] + world[:, L.RIGHT_SHOULDER])
    d = sh - hip
    return np.degrees(np.arctan2(-d[:, 2], -d[:, 1]))


def levelled_world_tilt_deg(world: np.ndarray, pitch_deg: np.ndarray) -> np.ndarray:
    """Hip-line tilt (+ = right lower) of the world landmarks after removing the view pitch."""
    a = np.radians(pitch_deg)[:, None]
    d = world[:, L.RIGHT_HIP] - world[:, L.LEFT_HIP]  # left -> right
    # rotate about x so that the trunk axis becomes vertical: y' = y cos a - z sin a, z' = y sin a + z cos a
    y = d[:, 1:2] * np.cos(a) - d[:, 2:3] * np.sin(a)
    z = d[:, 1:2] * np.sin(a) + d[:, 2:3] * np.cos(a)
    return np.degrees(np.arctan2(y[:, 0], np.hypot(d[:, 0], z[:, 0])))


def med(v: np.ndarray) -> float:
    f = np.asarray(v, np.float64)
    f = f[np.isfinite(f)]
    return float(np.median(f)) if f.size else math.nan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=360)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--yaws", default="0,10,20,30,40", help="subject turns (deg, + = to its left)")
    ap.add_argument("--heights", default="1.0,1.6", help="camera heights (m)")
    ap.add_argument("--obliquities", default="0,5", help="true pelvic obliquities (deg, + = right low)")
    ap.add_argument("--cache", type=Path, default=REPO / "tmp" / "yaw_camera_cache")
    ap.add_argument("--model", type=Path, default=REPO / "models" / "pose_landmarker_full.task")
    a = ap.parse_args(argv)
    cols = (
        "cam m | true obl | yaw | yaw est | yaw img | pelvis true img | pelvis lm | err | "
        "shoulders true img | shoulders lm | pitch est | pelvis corr | err corr | pelvis world | err world"
    )
    print(f"| {cols} |")
    print("|" + "---:|" * len(cols.split("|")))
    rows = []
    for cam_h in (float(x) for x in a.heights.split(",")):
        for obl in (float(x) for x in a.obliquities.split(",")):
            for yaw in (float(x) for x in a.yaws.split(",")):
                key = f"yaw{yaw:+.0f}_cam{cam_h:.1f}_obl{obl:+.0f}_{a.width}x{a.height}_{a.frames}"
                sks, cam = scene(yaw, cam_h, obl, a.width, a.height, a.frames)
                frames = rendered(key, sks, cam, a.cache)
                true_px = project_landmarks(sks, cam)
                img, world = detect(frames, a.model)
                seq = PoseSequence.from_image_points(img[..., :2], fps=FPS, frame_size=(a.width, a.height))
                seq = PoseSequence(
                    img.astype(np.float32),
                    world.astype(np.float32),
                    seq.visibility,
                    seq.presence,
                    seq.timestamps_s,
                    FPS,
                    (a.width, a.height),
                )
                y_est = subject_yaw_deg(seq)
                no_world = PoseSequence(
                    seq.image_px,
                    np.full_like(seq.world_m, np.nan),
                    seq.visibility,
                    seq.presence,
                    seq.timestamps_s,
                    FPS,
                    (a.width, a.height),
                )
                y_img = subject_yaw_deg(no_world)
                p_true = line_deg(true_px[:, L.LEFT_HIP], true_px[:, L.RIGHT_HIP])
                p_lm = line_deg(img[:, L.LEFT_HIP], img[:, L.RIGHT_HIP])
                s_true = line_deg(true_px[:, L.LEFT_SHOULDER], true_px[:, L.RIGHT_SHOULDER])
                s_lm = line_deg(img[:, L.LEFT_SHOULDER], img[:, L.RIGHT_SHOULDER])
                pitch = world_pitch_deg(world)
                corr = p_lm - np.degrees(np.arctan(np.tan(np.radians(pitch)) * np.tan(np.radians(y_est))))
                wlev = levelled_world_tilt_deg(world, pitch)
                r = dict(
                    cam=cam_h, obl=obl, yaw=yaw, yaw_est=med(y_est), yaw_img=med(y_img),
                    p_true=med(p_true), p_lm=med(p_lm), s_true=med(s_true), s_lm=med(s_lm),
                    pitch=med(pitch), corr=med(corr), world=med(wlev),
                )  # fmt: skip
                rows.append(r)
                cells = [
                    f"{cam_h:.1f}",
                    f"{obl:+.0f}",
                    f"{yaw:+.0f}",
                    f"{r['yaw_est']:+.1f}",
                    f"{r['yaw_img']:+.1f}",
                    f"{r['p_true']:+.2f}",
                    f"{r['p_lm']:+.2f}",
                    f"{r['p_lm'] - obl:+.2f}",
                    f"{r['s_true']:+.2f}",
                    f"{r['s_lm']:+.2f}",
                    f"{r['pitch']:+.1f}",
                    f"{r['corr']:+.2f}",
                    f"{r['corr'] - obl:+.2f}",
                    f"{r['world']:+.2f}",
                    f"{r['world'] - obl:+.2f}",
                ]
                print("| " + " | ".join(cells) + " |", flush=True)
    # residual: the change of each reading with the turn (reading at yaw minus reading at yaw 0)
    print("\nchange with the turn (deg; reading at the yaw minus the same case at yaw 0), per method")
    print(
        "| cam m | true obl | yaw | pelvis true img | pelvis lm | pelvis corr | pelvis world | shoulders lm |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        base = next(b for b in rows if b["cam"] == r["cam"] and b["obl"] == r["obl"] and b["yaw"] == 0.0)
        d = [r[k] - base[k] for k in ("p_true", "p_lm", "corr", "world", "s_lm")]
        print(
            f"| {r['cam']:.1f} | {r['obl']:+.0f} | {r['yaw']:+.0f} | "
            + " | ".join(f"{x:+.2f}" for x in d)
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
