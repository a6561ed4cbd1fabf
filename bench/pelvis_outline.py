"""Frontal pelvic obliquity: hip-landmark line vs the hip outline (``posture_cam.outline``) on renders.

Renders standing front-view figures with a known pelvic obliquity (``posture_cam.synth``; compensated =
lumbar side-bend keeps the trunk upright, free = trunk follows half the tilt), arms hanging (8 deg
abduction, the default figure) and held away (25 deg), runs MediaPipe (VIDEO mode, segmentation
masks on) and prints, per case, the truth (hip joint centres) and per method the median and IQR over
frames, then slope (least squares of measured on true medians) and bias per method and arm pose.

    python bench/pelvis_outline.py                      # 720x960, 6 frames per case (~5 min, cached)
    python bench/pelvis_outline.py --width 360 --height 480 --frames 10

Renders are cached as .npz in ``tmp/pelvis_outline_cache`` (git-ignored). No factor is fitted to
the truth: the numbers describe the methods.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posture_cam.landmarks import Landmark  # noqa: E402
from posture_cam.outline import pelvis_outline_obliquity  # noqa: E402
from posture_cam.synth.scenarios import Scenario, build, render_frames  # noqa: E402
from posture_cam.synth.skeleton import Body, Posture  # noqa: E402
from posture_cam.synth.truth import project_landmarks  # noqa: E402

ARMS = {"down": 8.0, "away": 25.0}
METHODS = ("hip_line", "outline_mask", "outline_mask_rgb")


def case(deg: float, compensated: bool, arm_deg: float, width: int, height: int, frames: int) -> Scenario:
    """Same figure as bench/accuracy.py's obliquity grid, with a chosen arm abduction and size."""
    body = Body(
        leg_length_right_delta_m=-2 * Body().m(Body().hip_joint_half_width) * float(np.sin(np.radians(deg)))
    )
    arms = next(k for k, v in ARMS.items() if v == arm_deg)
    return Scenario(
        f"obl_{deg:+.0f}_{'comp' if compensated else 'free'}_arms_{arms}",
        "front",
        body=body,
        posture=Posture(
            pelvic_obliquity_deg=deg,
            trunk_side_bend_deg=0.0 if compensated else deg * 0.5,
            arm_abduction_deg=arm_deg,
        ),
        fps=15.0,
        n_frames=frames,
        width=width,
        height=height,
    )


def line_deg(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Obliquity of a left/right point pair (deg, + = subject's right lower), image px, y down."""
    return np.degrees(np.arctan2(right[..., 1] - left[..., 1], np.abs(right[..., 0] - left[..., 0])))


def rendered(scn: Scenario, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """Frames (T, H, W, 3) uint8 and true landmarks px (T, 33, 2), rendered once and cached."""
    blob = json.dumps(asdict(scn), sort_keys=True, default=str)
    path = cache / f"{scn.name}_{scn.width}_{hashlib.sha256(blob.encode()).hexdigest()[:10]}.npz"
    sks, cam = build(scn)
    truth_px = project_landmarks(sks, cam)[:, :, :2]
    if path.is_file():
        return np.load(path)["frames"], truth_px
    t = time.time()
    frames = np.stack(render_frames(scn))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, frames=frames)
    print(f"  rendered {scn.name} ({len(frames)} frames) in {time.time() - t:.0f} s", flush=True)
    return frames, truth_px


def measure(frames: np.ndarray, fps: float, model: Path) -> dict[str, np.ndarray]:
    """Per-frame obliquity (deg) of each method; NaN where not measured."""
    from posture_cam.pose_adapter import PoseLandmarkerAdapter

    out = {k: np.full(len(frames), np.nan) for k in METHODS}
    with PoseLandmarkerAdapter(model, running_mode="video", output_segmentation_masks=True) as det:
        for i, rgb in enumerate(frames):
            cands = det.detect(rgb, i * 1000.0 / fps)
            if not cands or cands[0].mask is None:
                continue
            lm = cands[0].image_px[:, :2]
            out["hip_line"][i] = line_deg(lm[Landmark.LEFT_HIP], lm[Landmark.RIGHT_HIP])
            out["outline_mask"][i] = pelvis_outline_obliquity(cands[0].mask, lm).obliquity_deg
            out["outline_mask_rgb"][i] = pelvis_outline_obliquity(cands[0].mask, lm, rgb=rgb).obliquity_deg
    return out


def _stats(v: np.ndarray) -> tuple[float, float, int]:
    f = v[np.isfinite(v)]
    if not f.size:
        return math.nan, math.nan, 0
    q1, med, q3 = np.percentile(f, [25, 50, 75])
    return float(med), float(q3 - q1), int(f.size)


def _fit(true: list[float], meas: list[float]) -> tuple[float, float, float, int]:
    """Slope and intercept of measured on true, mean bias (measured - true), cases used."""
    t, m = np.array(true), np.array(meas)
    ok = np.isfinite(m)
    if ok.sum() < 2:
        return math.nan, math.nan, math.nan, int(ok.sum())
    slope, icpt = np.polyfit(t[ok], m[ok], 1)
    return float(slope), float(icpt), float(np.mean(m[ok] - t[ok])), int(ok.sum())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=720)
    ap.add_argument("--height", type=int, default=960)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--degrees", default="-6,-3,0,3,6", help="compensated obliquities (deg)")
    ap.add_argument("--free", default="-6,6", help="uncompensated obliquities (deg)")
    ap.add_argument("--arms", default="down,away", help=f"arm poses: {', '.join(ARMS)}")
    ap.add_argument("--cache", type=Path, default=REPO / "tmp" / "pelvis_outline_cache")
    ap.add_argument("--model", type=Path, default=REPO / "models" / "pose_landmarker_full.task")
    a = ap.parse_args(argv)
    grid = [(float(d), True) for d in a.degrees.split(",") if d] + [
        (float(d), False) for d in a.free.split(",") if d
    ]
    print(f"| arms | case | truth | n | {' | '.join(f'{m} med (IQR) n' for m in METHODS)} |")
    print("|---|---|---:|---:|" + "---:|" * len(METHODS))
    summary: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for arms in a.arms.split(","):
        for deg, comp in grid:
            scn = case(deg, comp, ARMS[arms], a.width, a.height, a.frames)
            frames, truth_px = rendered(scn, a.cache)
            truth = line_deg(truth_px[:, Landmark.LEFT_HIP], truth_px[:, Landmark.RIGHT_HIP])
            res = measure(frames, scn.fps, a.model)
            t_med = float(np.median(truth))
            cells = []
            for m in METHODS:
                med, iqr, n = _stats(res[m])
                cells.append(f"{med:+.2f} ({iqr:.2f}) {n}")
                summary.setdefault(f"{arms}", {}).setdefault(m, ([], []))
                summary[arms][m][0].append(t_med)
                summary[arms][m][1].append(med)
            label = scn.name.split("_arms")[0]
            print(f"| {arms} | {label} | {t_med:+.2f} | {len(frames)} | {' | '.join(cells)} |", flush=True)
    print("\n| arms | method | slope | intercept (deg) | mean bias (deg) | cases measured |")
    print("|---|---|---:|---:|---:|---:|")
    for arms, per in summary.items():
        for m, (tv, mv) in per.items():
            s, i, b, k = _fit(tv, mv)
            print(f"| {arms} | {m} | {s:.2f} | {i:+.2f} | {b:+.2f} | {k}/{len(tv)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
