"""Named synthetic clips (the committed sample videos and the accuracy grid) and their truth.

``build(scn)`` is pure numpy (skeletons, camera, ground truth); ``render_clip(scn, out_dir)`` renders
it (pyrender), writes ``<name>.mp4`` (H.264) and ``<name>.json`` (the ground truth).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from ..sequence import atomic_write_text
from .camera import Camera, camera_for_view
from .gait import GaitParams, gait_events, gait_truth, walk
from .skeleton import Body, Posture, Skeleton, pose
from .truth import frame_series, posture_truth, project_landmarks

TRUTH_VERSION = 1


@dataclass(frozen=True)
class Scenario:
    """One synthetic clip. Standing when ``gait`` is None (with a small postural sway)."""

    name: str
    view: str  # a VIEWS label: front, back, left_side, right_side, oblique
    description: str = ""
    body: Body = field(default_factory=Body)
    posture: Posture = field(default_factory=Posture)
    gait: GaitParams | None = None
    fps: float = 15.0
    n_frames: int = 30
    width: int = 360
    height: int = 480
    distance_m: float = 3.6
    roll_deg: float = 0.0
    style: str = "blue"
    supersample: int = 2

    @property
    def duration_s(self) -> float:
        return (self.n_frames - 1) / self.fps


def _sway(i: int, fps: float) -> tuple[float, float]:
    """Quiet-standing sway of the pelvis (m): ~3 mm side to side, ~4 mm front to back."""
    t = i / fps
    return 0.003 * np.sin(2 * np.pi * 0.23 * t), 0.004 * np.sin(2 * np.pi * 0.17 * t + 1.0)


def build(scn: Scenario) -> tuple[list[Skeleton], Camera]:
    """Skeletons per frame and the camera of a scenario."""
    if scn.gait is None:
        sks = [pose(scn.body, scn.posture, pelvis_shift_m=_sway(i, scn.fps)) for i in range(scn.n_frames)]
        cam = camera_for_view(
            scn.view,
            subject_height_m=scn.body.height_m,
            distance_m=scn.distance_m,
            width=scn.width,
            height=scn.height,
            roll_deg=scn.roll_deg,
        )
        return sks, cam
    g = scn.gait
    travel = g.speed_m_per_s * scn.duration_s
    sign = -1.0 if g.backwards else 1.0
    if scn.view in ("front", "back"):
        # walk towards (front) or away from (back) the camera, ending ~2.2 body heights from it
        start = (0.0, -travel / 2 * sign)
        end_gap = 2.2 * scn.body.height_m
        cam = camera_for_view(
            scn.view,
            subject_height_m=scn.body.height_m,
            target_xz=(0.0, travel / 2 if scn.view == "front" else -travel / 2),
            distance_m=end_gap,
            width=scn.width,
            height=scn.height,
            roll_deg=scn.roll_deg,
            fill=0.85,
        )
        if scn.view == "front":
            cam = Camera(
                cam.position, (0.0, cam.target[1], 0.0), cam.yfov_deg, cam.width, cam.height, cam.roll_deg
            )
    else:
        start = (0.0, -travel / 2 * sign)
        cam = camera_for_view(
            scn.view,
            subject_height_m=scn.body.height_m,
            distance_m=scn.distance_m,
            width=scn.width,
            height=scn.height,
            roll_deg=scn.roll_deg,
            fill=min(0.8, scn.body.height_m / ((travel + 1.0) * scn.height / scn.width)),
        )
    sks = walk(scn.body, scn.posture, g, fps=scn.fps, n_frames=scn.n_frames, start_xz=start)
    return sks, cam


def gait_frontal_truth(scn: Scenario, sks: list[Skeleton], cam: Camera) -> dict[str, float]:
    """Pelvic drop per stance side and trunk sway from the projected true joints (front/back view)."""
    assert scn.gait is not None
    from .gait import _single_stance

    s = frame_series(sks, cam)
    t = np.arange(scn.n_frames) / scn.fps
    if scn.gait.backwards:
        t = scn.duration_s - t
    out: dict[str, float] = {}
    for side in ("left", "right"):
        ss = np.array([_single_stance(scn.gait, side, ti) for ti in t])
        sign = 1.0 if side == "left" else -1.0  # standing on left: right hip drops = + obliquity
        vals = sign * s["pelvic_obliquity_deg"][ss >= 0]
        out[f"pelvic_drop_{side}_stance_deg"] = float(np.max(vals)) if vals.size else float("nan")
    lean = s["trunk_lateral_lean_deg"]
    out["trunk_lateral_sway_deg"] = float(np.max(lean) - np.min(lean))
    return out


def truth(scn: Scenario, sks: list[Skeleton] | None = None, cam: Camera | None = None) -> dict[str, Any]:
    """The ground-truth JSON document of a scenario."""
    if sks is None or cam is None:
        sks, cam = build(scn)
    px = project_landmarks(sks, cam)
    doc: dict[str, Any] = {
        "truth_version": TRUTH_VERSION,
        "name": scn.name,
        "description": scn.description,
        "view": scn.view,
        "fps": scn.fps,
        "n_frames": scn.n_frames,
        "frame_size": [scn.width, scn.height],
        "subject": {"height_cm": round(scn.body.height_m * 100, 1)},
        "parameters": {
            "body": asdict(scn.body),
            "posture": asdict(scn.posture),
            "gait": asdict(scn.gait) if scn.gait else None,
            "roll_deg": scn.roll_deg,
            "style": scn.style,
            "supersample": scn.supersample,
        },
        "camera": {
            "position": list(cam.position),
            "target": list(cam.target),
            "yfov_deg": cam.yfov_deg,
            "roll_deg": cam.roll_deg,
        },
        "conventions": "image_px: x right, y down, pixels; BlazePose landmark order (posture_cam.landmarks); "
        "hips = hip joint centres, shoulders = shoulder joint centres, ears = tragus; "
        "frontal angles + = subject's right side lower / trunk leaning right; sagittal + = forward.",
        "landmarks_px": np.round(px[:, :, :2], 2).tolist(),
        "body_height_px": float(
            np.median(
                [
                    float(
                        np.max(
                            cam.project(np.stack([sk.joints["vertex"], sk.joints["vertex"] * [1, 0, 1]]))[
                                :, 1
                            ]
                        )
                        - np.min(
                            cam.project(np.stack([sk.joints["vertex"], sk.joints["vertex"] * [1, 0, 1]]))[
                                :, 1
                            ]
                        )
                    )
                    for sk in sks
                ]
            )
        ),
    }
    if scn.gait is None:
        doc["metrics"] = posture_truth(sks, cam, scn.view, height_cm=scn.body.height_m * 100)
        doc["gait"] = {"walking_detected": False, "events": [], "metrics": {}}
    else:
        doc["metrics"] = {}
        gm: dict[str, Any] = {k: round(v, 4) for k, v in gait_truth(scn.gait).items()}
        if scn.view in ("front", "back"):
            gm.update({k: round(v, 3) for k, v in gait_frontal_truth(scn, sks, cam).items()})
        gm["limp_index"] = None  # defined by docs/gait.md; compare the SI values instead
        doc["gait"] = {
            "walking_detected": True,
            "direction": "backwards" if scn.gait.backwards else "forward",
            "events": [e.to_json() for e in gait_events(scn.gait, scn.duration_s, scn.fps)],
            "metrics": gm,
            "definitions": {
                "pelvic_drop_<side>_stance_deg": "peak projected hip-line obliquity "
                "towards the swing side during single stance on <side>",
                "trunk_lateral_sway_deg": "peak-to-peak projected trunk lateral lean",
            },
        }
    return doc


def write_mp4(path: Path, frames: list[np.ndarray], fps: float, crf: int = 23) -> Path:
    """H.264 MP4 (yuv420p, browser-playable), written atomically by posture_cam.overlay.H264Writer."""
    from ..overlay import H264Writer

    h, w = frames[0].shape[:2]
    with H264Writer(path, fps, (w, h), crf=crf, preset="medium") as out:
        for rgb in frames:
            out.write(rgb)
    return path


def render_frames(scn: Scenario, frames: list[int] | None = None) -> list[np.ndarray]:
    """Render some (default all) frames of a scenario (needs pyrender)."""
    from .render import Renderer

    sks, cam = build(scn)
    idx = range(scn.n_frames) if frames is None else frames
    with Renderer(cam, supersample=scn.supersample, style=scn.style) as r:
        return [r.render(sks[i]) for i in idx]


def render_clip(scn: Scenario, out_dir: Path, progress: Callable[[int, int], None] | None = None) -> Path:
    """Render a scenario to ``out_dir/<name>.mp4`` with its truth in ``out_dir/<name>.json``."""
    from .render import Renderer

    out_dir.mkdir(parents=True, exist_ok=True)
    sks, cam = build(scn)
    imgs = []
    with Renderer(cam, supersample=scn.supersample, style=scn.style) as r:
        for i, sk in enumerate(sks):
            imgs.append(r.render(sk))
            if progress:
                progress(i + 1, len(sks))
    mp4 = write_mp4(out_dir / f"{scn.name}.mp4", imgs, scn.fps)
    js = atomic_write_text(out_dir / f"{scn.name}.json", json.dumps(truth(scn, sks, cam), indent=1) + "\n")
    for p in (mp4, js):
        p.chmod(0o644)  # temp files are created private; these are shared artefacts
    return mp4


# ---------------------------------------------------------------------------------------------
# the committed sample set

_FHP = Posture(
    pelvic_tilt_deg=-10.0,
    trunk_flexion_deg=-4.0,
    thoracic_rounding_deg=18.0,
    neck_flexion_deg=38.0,
    head_flexion_deg=-8.0,
)
_OBLIQ = Posture(pelvic_obliquity_deg=6.0, trunk_side_bend_deg=0.0)
_OBLIQ_BODY = Body(leg_length_right_delta_m=-2 * 0.048 * 1.75 * float(np.sin(np.radians(6.0))))


class _ClipFormat(TypedDict):
    """Frame rate, length and frame size shared by several :class:`Scenario` entries."""

    fps: float
    n_frames: int
    width: int
    height: int


_WALK = _ClipFormat(fps=30.0, n_frames=120, width=480, height=360)  # 4 s: about 7 steps
_SIDE_WALK = _ClipFormat(fps=30.0, n_frames=120, width=960, height=360)

SAMPLES: tuple[Scenario, ...] = (
    Scenario("standing_neutral_front", "front", "Neutral upright standing, front view."),
    Scenario("standing_neutral_side", "left_side", "Neutral upright standing, left side view."),
    Scenario(
        "forward_head_chain_side",
        "left_side",
        "Posterior pelvic tilt 10 deg, thoracic rounding 18 deg, neck flexion 38 deg (forward head), "
        "left side view.",
        posture=_FHP,
        style="red",
    ),
    Scenario(
        "pelvic_obliquity_compensated_front",
        "front",
        "Right leg 1.8 cm short: pelvis 6 deg low on the right; the lumbar spine bends 6 deg to "
        "the left relative to the pelvis so the trunk stays upright and the shoulders level, front view.",
        body=_OBLIQ_BODY,
        posture=_OBLIQ,
        style="green",
    ),
    Scenario(
        "walk_normal_side",
        "left_side",
        "Symmetric walk, 110 steps/min, left side view.",
        gait=GaitParams(),
        **_SIDE_WALK,
    ),
    Scenario(
        "walk_normal_front",
        "front",
        "Symmetric walk towards the camera, front view.",
        gait=GaitParams(),
        **_WALK,
    ),
    Scenario(
        "walk_antalgic_right_side",
        "left_side",
        "Antalgic limp: short stance on the painful right leg (stance 0.53 vs 0.67 of the stride).",
        gait=GaitParams(
            cadence_steps_per_min=100,
            step_length_m=0.55,
            right_step_phase=0.57,
            stance_fraction_left=0.67,
            stance_fraction_right=0.53,
        ),
        style="red",
        **_SIDE_WALK,
    ),
    Scenario(
        "walk_trendelenburg_left_front",
        "front",
        "Trendelenburg gait: weak left hip abductors, the right hip drops 9 deg during left stance.",
        gait=GaitParams(pelvic_drop_left_stance_deg=9.0, pelvic_drop_right_stance_deg=3.0),
        style="green",
        **_WALK,
    ),
)


def sample(name: str) -> Scenario:
    for s in SAMPLES:
        if s.name == name:
            return s
    raise KeyError(f"unknown sample {name!r}; known: {', '.join(s.name for s in SAMPLES)}")
