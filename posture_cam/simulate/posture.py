"""Synthetic standing-posture landmark sequences with known answers (no rendering).

A stick figure with adult proportions is built in *body* coordinates (metres; ``X`` = subject's
left, ``Y`` = up, ``Z`` = the direction the subject faces; floor at ``Y = 0``), posed by the
parameters of :class:`PostureSpec`, turned about the vertical axis by the view's yaw, projected
orthographically into an upright image (x right, y down, ``scale_px_per_m``), rotated by the camera
roll, and optionally given Gaussian pixel noise and gaps.

Each pose parameter is the *answer* a metric must recover in its own view (orthographic projection
makes them exact on clean data):

=============================  ====================  ===========================================
parameter                       view                  sign
=============================  ====================  ===========================================
``pelvic_obliquity_deg``        front / back          + = subject's right hip lower
``shoulder_obliquity_deg``      front / back          + = subject's right shoulder lower
``head_tilt_deg``               front / back          + = subject's right ear lower
``trunk_lateral_lean_deg``      front / back          + = shoulders displaced to subject's right
``craniovertebral_angle_deg``   left / right side     C7->tragus vs forward horizontal (C7 as estimated)
``trunk_flexion_deg``           left / right side     + = shoulders forward of the hips
``knee_flexion_deg``            left / right side     + = flexed (both knees; per side overrides)
=============================  ====================  ===========================================

Views and yaw: ``front`` 0, ``right_side`` +90 (subject faces image right, camera sees the subject's
right side), ``back`` 180, ``left_side`` -90, ``oblique`` 45 (any yaw may be given instead).
Camera roll follows ``CalibrationConfig.camera_roll_deg``: positive = camera rotated clockwise, so
the scene (and a level floor line) appears rotated *counter-clockwise* by that angle in the image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..landmarks import N_LANDMARKS, Landmark
from ..posture import C7_ABOVE_SHOULDER_FRACTION_HEIGHT, C7_BEHIND_SHOULDER_FRACTION_HEIGHT
from ..sequence import PoseSequence

# Annotated as a variable (not a type alias) so mypy accepts name lookups like L["LEFT_HIP"].
L: type[Landmark] = Landmark

VIEW_YAW_DEG = {"front": 0.0, "right_side": 90.0, "back": 180.0, "left_side": -90.0, "oblique": 45.0}

# Proportions for a 1.75 m adult (metres); ``EAR_HEIGHT_FRACTION`` in calibration uses the same ratio.
_ANKLE_H = 0.08
_SHANK = 0.42
_THIGH = 0.42
_HIP_HALF = 0.09
_TORSO = 0.53  # hip centre -> shoulder centre
_SHOULDER_HALF = 0.165
_EAR_HALF = 0.075
# tragus above C7 (m): puts the ear at 0.92 of the 1.75 m height in upright stance, the ratio the
# scale calibration assumes (calibration.EAR_HEIGHT_FRACTION), so body height is recovered exactly
_EAR_ABOVE_C7 = 0.92 * 1.75 - (_ANKLE_H + _SHANK + _THIGH + _TORSO) - 1.75 * C7_ABOVE_SHOULDER_FRACTION_HEIGHT


@dataclass(frozen=True)
class PostureSpec:
    """Known pose, view and camera of a synthetic standing sequence (angles in degrees)."""

    pelvic_obliquity_deg: float = 0.0
    shoulder_obliquity_deg: float = 0.0
    head_tilt_deg: float = 0.0
    trunk_lateral_lean_deg: float = 0.0
    craniovertebral_angle_deg: float = 52.0
    trunk_flexion_deg: float = 0.0
    knee_flexion_deg: float = 0.0
    knee_flexion_left_deg: float | None = None
    knee_flexion_right_deg: float | None = None
    view: str = "front"
    yaw_deg: float | None = None  # overrides ``view``
    camera_roll_deg: float = 0.0
    height_m: float = 1.75
    scale_px_per_m: float = 500.0
    frame_size: tuple[int, int] = (1280, 1080)
    center_px: tuple[float, float] | None = (
        None  # where the point between the feet lands (default: bottom centre)
    )
    fps: float = 30.0
    duration_s: float = 3.0
    noise_px: float = 0.0
    sway_px: float = 0.0  # slow (0.3 Hz) body sway amplitude, a rigid translation
    gaps: Sequence[tuple[float, float]] = field(default_factory=tuple)  # (start_s, end_s): subject missing
    seed: int = 0

    @property
    def yaw(self) -> float:
        if self.yaw_deg is not None:
            return float(self.yaw_deg)
        try:
            return VIEW_YAW_DEG[self.view]
        except KeyError:
            raise ValueError(f"view: expected one of {sorted(VIEW_YAW_DEG)}, got {self.view!r}") from None


def body_points(spec: PostureSpec) -> np.ndarray:
    """(33, 3) landmark positions in body coordinates (metres) for ``spec``'s pose."""
    k = spec.height_m / 1.75
    p = np.full((N_LANDMARKS, 3), np.nan)
    t = math.tan
    r = math.radians
    # legs from the floor up; pelvic obliquity from a thigh-length difference (knees stay level)
    kl = spec.knee_flexion_deg if spec.knee_flexion_left_deg is None else spec.knee_flexion_left_deg
    kr = spec.knee_flexion_deg if spec.knee_flexion_right_deg is None else spec.knee_flexion_right_deg
    dh = 2 * _HIP_HALF * t(r(spec.pelvic_obliquity_deg))  # left hip minus right hip height (m)
    for side, x, kf, dthigh in ((0, _HIP_HALF, kl, +dh / 2), (1, -_HIP_HALF, kr, -dh / 2)):
        a = r(kf) / 2
        ankle = np.array([x, _ANKLE_H, 0.0])
        knee = ankle + _SHANK * np.array([0.0, math.cos(a), math.sin(a)])
        thigh = _THIGH + dthigh / max(math.cos(a), 1e-6)
        hip = knee + thigh * np.array([0.0, math.cos(a), -math.sin(a)])
        names = ("LEFT", "RIGHT")[side]
        p[L[f"{names}_ANKLE"]] = ankle
        p[L[f"{names}_KNEE"]] = knee
        p[L[f"{names}_HIP"]] = hip
        p[L[f"{names}_HEEL"]] = ankle + np.array([0.0, -0.06, -0.05])
        p[L[f"{names}_FOOT_INDEX"]] = ankle + np.array([0.0, -0.08, 0.15])
    hip_c = 0.5 * (p[L.LEFT_HIP] + p[L.RIGHT_HIP])
    # trunk axis: frontal projection leans by trunk_lateral_lean (to -X = right), sagittal by flexion.
    # Built from sines and cosines (not tangents) so a flexion past 90 deg (shoulders below the hips)
    # keeps bending forward instead of flipping backwards.
    lat, flex = r(spec.trunk_lateral_lean_deg), r(spec.trunk_flexion_deg)
    axis = np.array(
        [-math.sin(lat) * math.cos(flex), math.cos(lat) * math.cos(flex), math.cos(lat) * math.sin(flex)]
    )
    sh_c = hip_c + _TORSO * axis / np.linalg.norm(axis)

    def pair(center: np.ndarray, half: float, tilt_deg: float) -> tuple[np.ndarray, np.ndarray]:
        d = np.array([1.0, t(r(tilt_deg)), 0.0])  # right->left; right end lower for tilt > 0
        d = half * d / np.linalg.norm(d[:2])
        return center + d, center - d  # left, right

    p[L.LEFT_SHOULDER], p[L.RIGHT_SHOULDER] = pair(sh_c, _SHOULDER_HALF, spec.shoulder_obliquity_deg)
    # C7 sits where posture_cam.posture.estimate_c7 puts it (anthropometric offset from the shoulder
    # along the trunk axis and its backward perpendicular, scaled by body height); the ear (tragus)
    # lies _EAR_ABOVE_C7 above it, ahead by the amount that makes the C7->tragus line
    # craniovertebral_angle_deg above the forward horizontal.
    trunk_up = np.array([0.0, math.cos(flex), math.sin(flex)])
    trunk_fwd = np.array([0.0, -math.sin(flex), math.cos(flex)])
    c7 = sh_c + 1.75 * (
        C7_ABOVE_SHOULDER_FRACTION_HEIGHT * trunk_up - C7_BEHIND_SHOULDER_FRACTION_HEIGHT * trunk_fwd
    )
    c = r(spec.craniovertebral_angle_deg)
    ear_c = c7 + _EAR_ABOVE_C7 * np.array([0.0, 1.0, 1.0 / t(c)])
    p[L.LEFT_EAR], p[L.RIGHT_EAR] = pair(ear_c, _EAR_HALF, spec.head_tilt_deg)
    up = np.array([0.0, 1.0, 0.0])
    fwd = np.array([0.0, 0.0, 1.0])
    ht = r(spec.head_tilt_deg)
    lateral = np.array([math.cos(ht), math.sin(ht), 0.0])  # head's own left direction (tilted with the ears)
    head_up = np.array([-math.sin(ht), math.cos(ht), 0.0])
    p[L.NOSE] = ear_c + 0.10 * fwd + 0.0 * up
    for name, sgn in (("LEFT", 1), ("RIGHT", -1)):
        p[L[f"{name}_EYE"]] = ear_c + 0.08 * fwd + 0.03 * head_up + sgn * 0.032 * lateral
        p[L[f"{name}_EYE_INNER"]] = ear_c + 0.09 * fwd + 0.03 * head_up + sgn * 0.016 * lateral
        p[L[f"{name}_EYE_OUTER"]] = ear_c + 0.07 * fwd + 0.03 * head_up + sgn * 0.046 * lateral
    p[L.MOUTH_LEFT] = ear_c + 0.09 * fwd - 0.045 * head_up + 0.025 * lateral
    p[L.MOUTH_RIGHT] = ear_c + 0.09 * fwd - 0.045 * head_up - 0.025 * lateral
    for name, sgn in (("LEFT", 1), ("RIGHT", -1)):
        sh = p[L[f"{name}_SHOULDER"]]
        elbow = sh + np.array([sgn * 0.03, -0.30, 0.0])
        wrist = elbow + np.array([sgn * 0.01, -0.26, 0.03])
        p[L[f"{name}_ELBOW"]] = elbow
        p[L[f"{name}_WRIST"]] = wrist
        p[L[f"{name}_PINKY"]] = wrist + np.array([sgn * 0.01, -0.08, -0.01])
        p[L[f"{name}_INDEX"]] = wrist + np.array([0.0, -0.09, 0.02])
        p[L[f"{name}_THUMB"]] = wrist + np.array([-sgn * 0.01, -0.05, 0.03])
    return p * k


def _normals(yaw: float) -> np.ndarray:
    """(33, 3) outward direction of each landmark in body coordinates (for synthetic visibility)."""
    n = np.zeros((N_LANDMARKS, 3))
    for lm in L:
        if lm.name.startswith("LEFT") or lm == L.MOUTH_LEFT:
            n[lm] = (1.0, 0.0, 0.0)
        elif lm.name.startswith("RIGHT") or lm == L.MOUTH_RIGHT:
            n[lm] = (-1.0, 0.0, 0.0)
    for lm in (
        L.NOSE,
        L.LEFT_EYE,
        L.RIGHT_EYE,
        L.LEFT_EYE_INNER,
        L.RIGHT_EYE_INNER,
        L.LEFT_EYE_OUTER,
        L.RIGHT_EYE_OUTER,
        L.MOUTH_LEFT,
        L.MOUTH_RIGHT,
    ):
        n[lm] = n[lm] * 0.3 + np.array([0.0, 0.0, 1.0])
    for lm in (L.LEFT_EAR, L.RIGHT_EAR):
        n[lm] = n[lm] + np.array([0.0, 0.0, 0.2])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


def to_camera(points_body: np.ndarray, yaw_deg: float) -> np.ndarray:
    """Body coordinates -> camera coordinates (X image right, Y up, Z towards the camera)."""
    y = math.radians(yaw_deg)
    bx, by, bz = points_body[..., 0], points_body[..., 1], points_body[..., 2]
    return np.stack([math.cos(y) * bx + math.sin(y) * bz, by, -math.sin(y) * bx + math.cos(y) * bz], axis=-1)


def roll_image_points(xy: np.ndarray, roll_deg: float, center: tuple[float, float]) -> np.ndarray:
    """Rotate image points (y down) *counter-clockwise on screen* by ``roll_deg`` about ``center``."""
    a = math.radians(roll_deg)
    dx = xy[..., 0] - center[0]
    dy = xy[..., 1] - center[1]
    out = np.array(xy, dtype=np.float64, copy=True)
    out[..., 0] = center[0] + math.cos(a) * dx + math.sin(a) * dy
    out[..., 1] = center[1] - math.sin(a) * dx + math.cos(a) * dy
    return out


def simulate_posture(spec: PostureSpec | None = None, **overrides: object) -> PoseSequence:
    """A :class:`PoseSequence` of a subject standing in ``spec``'s posture (see the module docstring).

    ``overrides`` replace fields of ``spec`` (or of the default spec), e.g.
    ``simulate_posture(view="back", pelvic_obliquity_deg=5)``. ``meta["simulated"]`` holds the spec.
    """
    import dataclasses

    spec = dataclasses.replace(spec or PostureSpec(), **overrides)  # type: ignore[arg-type]
    rng = np.random.default_rng(spec.seed)
    n = max(1, int(round(spec.duration_s * spec.fps)))
    w, h = spec.frame_size
    cx, cy = spec.center_px if spec.center_px is not None else (w / 2.0, h * 0.95)
    body = body_points(spec)
    cam = to_camera(body, spec.yaw)
    s = spec.scale_px_per_m
    img = np.empty((N_LANDMARKS, 3))
    img[:, 0] = cx + s * cam[:, 0]
    img[:, 1] = cy - s * cam[:, 1]
    img[:, 2] = -s * cam[:, 2]
    img[:, :2] = roll_image_points(img[:, :2], spec.camera_roll_deg, (w / 2.0, h / 2.0))
    ts = np.arange(n) / spec.fps
    seq_img = np.repeat(img[None], n, axis=0)
    if spec.sway_px:
        sway = spec.sway_px * np.sin(2 * math.pi * 0.3 * ts)
        seq_img[:, :, 0] += sway[:, None]
    if spec.noise_px:
        seq_img[:, :, :2] += rng.normal(0.0, spec.noise_px, size=(n, N_LANDMARKS, 2))
    facing = to_camera(_normals(spec.yaw), spec.yaw)[:, 2]  # >0: the landmark faces the camera
    vis = np.clip(0.8 + 0.35 * facing, 0.05, 0.99)
    vis_seq = np.repeat(vis[None], n, axis=0).astype(np.float32)
    for start, end in spec.gaps:
        m = (ts >= start - 1e-9) & (ts < end - 1e-9)
        seq_img[m] = np.nan
        vis_seq[m] = np.nan
    world = np.repeat(cam[None] * np.array([1.0, -1.0, -1.0]), n, axis=0)  # MediaPipe world: y down, z away
    world = world - world[:, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=1, keepdims=True)
    world[~np.isfinite(seq_img[..., 0])] = np.nan
    meta = {"simulated": dataclasses.asdict(spec)}
    return PoseSequence(
        seq_img.astype(np.float32),
        world.astype(np.float32),
        vis_seq,
        vis_seq.copy(),
        ts,
        spec.fps,
        (w, h),
        people_count=np.isfinite(seq_img[:, 0, 0]).astype(np.int16),
        meta=meta,
    )


def forward_bend_sequence(
    *,
    peak_trunk_flexion_deg: float = 90.0,
    spine_share: float = 0.3,
    view: str = "left_side",
    fps: float = 30.0,
    duration_s: float = 4.0,
    scale_px_per_m: float = 500.0,
    noise_px: float = 0.0,
    seed: int = 0,
) -> PoseSequence:
    """A standing flexion test: straight knees, trunk bending forward and back (cosine profile).

    The trunk (hip centre -> shoulder centre) is a circular arc of constant length: its lower end
    rotates at the hip by ``hip`` degrees (the pelvis follows the lowest trunk segment) and it curls
    by ``spine`` degrees in total (spinal flexion), so ``spine_share = spine / (hip + spine)``. The
    straight hip->shoulder chord then leans forward by ``hip + spine / 2`` (peaking at
    ``peak_trunk_flexion_deg``) and shortens by ``sin(spine/2) / (spine/2)``. ``meta["simulated"]``
    holds the peak hip and spine flexion.
    """
    if not 0.0 <= spine_share < 1.0:
        raise ValueError(f"spine_share: expected a value in [0, 1), got {spine_share}")
    n = max(2, int(round(duration_s * fps)))
    ts = np.arange(n) / fps
    prof = 0.5 - 0.5 * np.cos(2 * math.pi * ts / duration_s)  # 0 -> 1 -> 0
    spine_per_chord = spine_share / (1.0 - spine_share / 2.0)
    frames = []
    for f in prof:
        chord = peak_trunk_flexion_deg * f
        bend = spine_per_chord * chord  # total spinal curl (deg)
        half = math.radians(bend) / 2
        length = _TORSO * (1.0 if half == 0 else math.sin(half) / half)
        spec = PostureSpec(
            view=view,
            trunk_flexion_deg=chord,
            craniovertebral_angle_deg=52.0 - chord,
            scale_px_per_m=scale_px_per_m,
            fps=fps,
            duration_s=1.0 / fps,
        )
        body = body_points(spec)
        hip_c = 0.5 * (body[L.LEFT_HIP] + body[L.RIGHT_HIP])
        upper = [
            lm
            for lm in L
            if lm
            not in (
                L.LEFT_HIP,
                L.RIGHT_HIP,
                L.LEFT_KNEE,
                L.RIGHT_KNEE,
                L.LEFT_ANKLE,
                L.RIGHT_ANKLE,
                L.LEFT_HEEL,
                L.RIGHT_HEEL,
                L.LEFT_FOOT_INDEX,
                L.RIGHT_FOOT_INDEX,
            )
        ]
        sh_c = 0.5 * (body[L.LEFT_SHOULDER] + body[L.RIGHT_SHOULDER])
        shift = (sh_c - hip_c) * (length / _TORSO - 1.0)
        for lm in upper:
            body[lm] = body[lm] + shift
        # arms hang vertically from the shoulders
        for name in ("LEFT", "RIGHT"):
            sh = body[L[f"{name}_SHOULDER"]]
            body[L[f"{name}_ELBOW"]] = sh + np.array([0.0, -0.30, 0.0])
            body[L[f"{name}_WRIST"]] = sh + np.array([0.0, -0.56, 0.0])
            for part, dy in (("PINKY", -0.64), ("INDEX", -0.65), ("THUMB", -0.61)):
                body[L[f"{name}_{part}"]] = sh + np.array([0.0, dy, 0.0])
        frames.append(body)
    spec0 = PostureSpec(view=view, scale_px_per_m=scale_px_per_m, fps=fps)
    cam = to_camera(np.stack(frames), spec0.yaw)
    w, h = spec0.frame_size
    img = np.empty(cam.shape)
    img[..., 0] = w / 2 + scale_px_per_m * cam[..., 0]
    img[..., 1] = h * 0.95 - scale_px_per_m * cam[..., 1]
    img[..., 2] = -scale_px_per_m * cam[..., 2]
    if noise_px:
        img[..., :2] += np.random.default_rng(seed).normal(0, noise_px, img[..., :2].shape)
    facing = to_camera(_normals(spec0.yaw), spec0.yaw)[:, 2]
    vis = np.repeat(np.clip(0.8 + 0.35 * facing, 0.05, 0.99)[None], n, axis=0).astype(np.float32)
    meta = {
        "simulated": {
            "kind": "forward_bend",
            "view": view,
            "peak_trunk_flexion_deg": peak_trunk_flexion_deg,
            "peak_hip_flexion_deg": peak_trunk_flexion_deg * (1 - spine_per_chord / 2),
            "peak_spine_flexion_deg": peak_trunk_flexion_deg * spine_per_chord,
            "spine_share": spine_share,
        }
    }
    world = np.full(img.shape, np.nan, np.float32)
    return PoseSequence(img.astype(np.float32), world, vis, vis.copy(), ts, fps, (w, h), meta=meta)
