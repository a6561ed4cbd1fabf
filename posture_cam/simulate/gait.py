"""Synthetic walkers: BlazePose landmark sequences with exactly known gait events (no video).

A kinematic model, not a physical one: it exists so that the gait analysis can be tested against
answers known to the frame. The walker moves along a straight walkway (world X axis, metres; Y up;
Z lateral). Per bout it walks ``n_strides`` steady-state strides in a given direction, forwards or
backwards, and stops at a heel strike; between bouts it stands still and turns on the spot.

Timing of one stride (``T = step_time_left_s + step_time_right_s``, left heel strike at 0)::

    left heel strike 0 -> right toe off (stance_R - step_time_L) -> right heel strike (step_time_R)
    -> left toe off (stance_L) -> left heel strike (T)

Step time of a side is the time from the other foot's heel strike to this foot's heel strike; step
length of a side is how far this foot lands ahead of the other foot (along the direction of travel).
During stance a foot is fixed on the ground; during swing its position *relative to the mid-hip*
follows a quintic curve that leaves and arrives with the relative speed the stance phase has (equal
and opposite), so the relative position has a symmetric corner exactly at heel strike (maximum along
the direction of travel) and at toe off (minimum): the events Zeni et al. (2008) detect. Real feet
decelerate before contact, so on real recordings Zeni's events carry a small bias this model lacks.
Pelvic drop (frontal plane, the swing-side hip drops during single-leg stance) and lateral
trunk lean toward the stance side follow a half-sine over each single-support phase and are zero in
double support.

Cameras (pinhole, static): ``camera="side"`` beside the walkway (looking along -Z: a walker facing +X
shows the right side, travel +X is towards the image right); ``camera="frontal"`` at the +X end of
the walkway looking back along it (travel +X = approaching, so the subject grows in the image).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..landmarks import N_LANDMARKS, Landmark
from ..sequence import PoseSequence

L: type[Landmark] = Landmark
LEG_CHAINS: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_KNEE, L.RIGHT_KNEE),
    (L.LEFT_ANKLE, L.RIGHT_ANKLE),
    (L.LEFT_HEEL, L.RIGHT_HEEL),
    (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
)


@dataclass(frozen=True)
class Bout:
    """One straight walking bout. ``direction`` +1 walks towards +X (image right in the side camera,
    towards the camera in the frontal one), -1 the other way; ``backwards`` walks facing away from
    the direction of travel."""

    direction: int = 1
    n_strides: int = 4
    backwards: bool = False


@dataclass(frozen=True)
class GaitSpec:
    """Everything that defines a synthetic walk. Times in seconds, lengths in metres, angles in deg."""

    fps: float = 30.0
    frame_size: tuple[int, int] = (1280, 720)
    camera: Literal["side", "frontal"] = "side"
    bouts: tuple[Bout, ...] = (Bout(),)
    lead_in_s: float = 0.6  # standing still before the first bout
    pause_s: float = 1.2  # standing (and turning when the facing changes) between bouts
    lead_out_s: float = 0.6
    height_m: float = 1.75
    step_time_left_s: float = 0.55
    step_time_right_s: float = 0.55
    stance_time_left_s: float = 0.68
    stance_time_right_s: float = 0.68
    step_length_left_m: float = 0.65
    step_length_right_m: float = 0.65
    foot_lift_m: float = 0.07
    pelvic_drop_left_stance_deg: float = 0.0  # right hip drops while standing on the left leg
    pelvic_drop_right_stance_deg: float = 0.0
    trunk_lean_left_stance_deg: float = 0.0  # trunk leans to the left while standing on the left leg
    trunk_lean_right_stance_deg: float = 0.0
    camera_distance_m: float = 5.0  # side: distance to the walkway; frontal: to the nearest point
    camera_height_m: float = 1.0
    noise_px: float = 0.0
    swaps_s: tuple[tuple[float, float], ...] = ()  # (start, end) times with left/right legs mislabelled
    seed: int = 0
    treadmill: bool = False  # the pelvis stays in place and the belt carries the stance foot back

    def __post_init__(self) -> None:
        t_stride = self.step_time_left_s + self.step_time_right_s
        if not self.step_time_left_s < self.stance_time_right_s < t_stride:
            raise ValueError(
                "expected step_time_left_s < stance_time_right_s < stride time, got "
                f"{self.step_time_left_s}, {self.stance_time_right_s}, {t_stride}"
            )
        if not self.step_time_right_s < self.stance_time_left_s < t_stride:
            raise ValueError(
                "expected step_time_right_s < stance_time_left_s < stride time, got "
                f"{self.step_time_right_s}, {self.stance_time_left_s}, {t_stride}"
            )
        if any(b.direction not in (-1, 1) or b.n_strides < 1 for b in self.bouts):
            raise ValueError("expected bouts with direction +1/-1 and n_strides >= 1")


@dataclass(frozen=True)
class TruthEvent:
    time_s: float
    frame: int  # nearest frame
    foot: str  # "left" | "right"
    type: str  # "heel_strike" | "toe_off"
    bout: int


@dataclass
class GaitTruth:
    """The answers a perfect analysis would give for a :class:`GaitSpec`."""

    events: list[TruthEvent]
    bouts: list[tuple[int, int, int, bool]]  # (start_frame, stop_frame exclusive, direction, backwards)
    walking: np.ndarray  # (T,) bool
    standing: np.ndarray  # (T,) bool: pelvis and feet still
    swapped: np.ndarray  # (T,) bool: leg labels exchanged in the output
    view_per_frame: np.ndarray  # (T,) str, posture_cam view labels
    body_height_px: np.ndarray  # (T,) projected standing height at the pelvis depth
    px_per_m: float | None  # side camera only (constant depth)
    metrics: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ pure helpers
def symmetry_index_pct(right: float, left: float) -> float:
    """Robinson et al. (1987): SI = (R - L) / (0.5 (R + L)) x 100."""
    return float((right - left) / (0.5 * (right + left)) * 100.0)


def _min_jerk(s: np.ndarray) -> np.ndarray:
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10 - 15 * s + 6 * s**2)


def _contacts(spec: GaitSpec, n_strides: int) -> dict[str, list[tuple[float, float, float]]]:
    """Per foot: (heel strike time, toe off time, ground position along travel) from stride -1 on."""
    tl, tr = spec.step_time_left_s, spec.step_time_right_s
    t = tl + tr
    s_len = spec.step_length_left_m + spec.step_length_right_m
    out: dict[str, list[tuple[float, float, float]]] = {"left": [], "right": []}
    for k in range(-2, n_strides + 2):
        p_l = spec.step_length_left_m / 2 + k * s_len
        out["left"].append((k * t, k * t + spec.stance_time_left_s, p_l))
        out["right"].append(
            (k * t + tr, k * t + tr + spec.stance_time_right_s, p_l + spec.step_length_right_m)
        )
    return out


def _swing_profile(s: np.ndarray, m: float) -> np.ndarray:
    """Quintic Hermite 0 -> 1 with slope ``m`` and zero curvature at both ends."""
    s = np.clip(s, 0.0, 1.0)
    h01 = 10 * s**3 - 15 * s**4 + 6 * s**5
    h10 = s - 6 * s**3 + 8 * s**4 - 3 * s**5
    h11 = -4 * s**3 + 7 * s**4 - 3 * s**5
    return h01 + m * (h10 + h11)


def _foot_track(
    t: np.ndarray, contacts: list[tuple[float, float, float]], v: float
) -> tuple[np.ndarray, np.ndarray]:
    """Foot ground position along travel and lift height fraction (0..1) at times ``t``."""
    pos = np.full(t.shape, np.nan)
    lift = np.zeros(t.shape)
    for (hs, to, p), (hs2, _, p2) in zip(contacts[:-1], contacts[1:], strict=True):
        stance = (t >= hs) & (t <= to)
        pos[stance] = p
        swing = (t > to) & (t < hs2)
        s = (t[swing] - to) / (hs2 - to)
        r0, r1 = p - v * to, p2 - v * hs2
        m = v * (hs2 - to) / (r1 - r0)  # relative speed +v at both ends: a symmetric corner at each event
        pos[swing] = v * t[swing] + r0 + (r1 - r0) * _swing_profile(s, m)
        lift[swing] = np.sin(np.pi * s) ** 2
    return pos, lift


def _single_support_bump(t: np.ndarray, contacts_other: list[tuple[float, float, float]]) -> np.ndarray:
    """Half-sine (0..1) over each swing of the *other* foot = single support of this foot."""
    out = np.zeros(t.shape)
    for (_, to, _), (hs2, _, _) in zip(contacts_other[:-1], contacts_other[1:], strict=True):
        m = (t > to) & (t < hs2)
        out[m] = np.sin(np.pi * (t[m] - to) / (hs2 - to))
    return out


def _body_points(
    spec: GaitSpec,
    pelvis_s: np.ndarray,
    foot_s: dict[str, np.ndarray],
    lift: dict[str, np.ndarray],
    obliq_deg: np.ndarray,
    lean_deg: np.ndarray,
    x0: float,
    direction: int,
    facing: int,
    arm_phase: np.ndarray,
) -> np.ndarray:
    """(n, 33, 3) world points (X along walkway, Y up, Z lateral) for one bout or pose."""
    h = spec.height_m
    n = pelvis_s.shape[0]
    fwd = np.array([facing, 0.0, 0.0])
    left = np.array([0.0, 0.0, -facing])  # subject's left = up x forward
    up = np.array([0.0, 1.0, 0.0])
    out = np.zeros((n, N_LANDMARKS, 3))
    centre = np.zeros((n, 3))
    centre[:, 0] = x0 + direction * pelvis_s
    centre[:, 1] = 0.53 * h
    phi = np.deg2rad(obliq_deg)[:, None]  # positive: subject's right hip lower
    hw = 0.10
    hips = {
        "left": centre + hw * (np.cos(phi) * left + np.sin(phi) * up),
        "right": centre - hw * (np.cos(phi) * left + np.sin(phi) * up),
    }
    lam = np.deg2rad(lean_deg)[:, None]  # positive: trunk leans to the subject's right
    trunk_dir = np.cos(lam) * up - np.sin(lam) * left
    side_dir = np.cos(lam) * left + np.sin(lam) * up
    sh_c = centre + 0.29 * h * trunk_dir
    head = sh_c + 0.11 * h * trunk_dir
    out[:, L.LEFT_SHOULDER] = sh_c + 0.18 * side_dir
    out[:, L.RIGHT_SHOULDER] = sh_c - 0.18 * side_dir
    out[:, L.NOSE] = head + 0.10 * fwd
    for name, sgn in (("LEFT", 1), ("RIGHT", -1)):
        out[:, L[f"{name}_EYE"]] = head + 0.08 * fwd + 0.03 * sgn * side_dir + 0.03 * trunk_dir
        out[:, L[f"{name}_EYE_INNER"]] = head + 0.085 * fwd + 0.015 * sgn * side_dir + 0.03 * trunk_dir
        out[:, L[f"{name}_EYE_OUTER"]] = head + 0.075 * fwd + 0.045 * sgn * side_dir + 0.03 * trunk_dir
        out[:, L[f"{name}_EAR"]] = head + 0.075 * sgn * side_dir + 0.02 * trunk_dir
        out[:, L[f"MOUTH_{name}"]] = head + 0.085 * fwd + 0.025 * sgn * side_dir - 0.04 * trunk_dir
    for side, sgn in (("left", 1), ("right", -1)):
        nm = side.upper()
        sh = out[:, L[f"{nm}_SHOULDER"]]
        swing = 0.35 * np.sin(arm_phase + (0 if side == "left" else np.pi))[:, None]
        arm_dir = -np.cos(swing) * up + np.sin(swing) * fwd
        out[:, L[f"{nm}_ELBOW"]] = sh + 0.19 * h * arm_dir
        wrist = sh + 0.33 * h * arm_dir
        out[:, L[f"{nm}_WRIST"]] = wrist
        out[:, L[f"{nm}_PINKY"]] = wrist + 0.06 * arm_dir - 0.01 * fwd
        out[:, L[f"{nm}_INDEX"]] = wrist + 0.07 * arm_dir + 0.01 * fwd
        out[:, L[f"{nm}_THUMB"]] = wrist + 0.04 * arm_dir + 0.03 * fwd
        hip = hips[side]
        ankle = np.zeros((n, 3))
        ankle[:, 0] = x0 + direction * foot_s[side]
        ankle[:, 1] = 0.039 * h + spec.foot_lift_m * lift[side]
        ankle += 0.09 * sgn * left
        out[:, L[f"{nm}_ANKLE"]] = ankle
        out[:, L[f"{nm}_HEEL"]] = ankle - 0.05 * fwd - 0.03 * up
        out[:, L[f"{nm}_FOOT_INDEX"]] = ankle + 0.15 * fwd - 0.05 * up
        out[:, L[f"{nm}_HIP"]] = hip
        out[:, L[f"{nm}_KNEE"]] = _knee(hip, ankle, fwd, 0.255 * h, 0.255 * h)
    return out


def _knee(hip: np.ndarray, ankle: np.ndarray, fwd: np.ndarray, l1: float, l2: float) -> np.ndarray:
    """Two-link inverse kinematics in the sagittal plane, knee bending forwards."""
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=1, keepdims=True)
    u = d_vec / d
    perp = fwd[None, :] - np.sum(fwd[None, :] * u, axis=1, keepdims=True) * u
    perp /= np.linalg.norm(perp, axis=1, keepdims=True)
    a = np.clip((l1**2 - l2**2 + d**2) / (2 * d), 0, l1)
    off = np.sqrt(np.clip(l1**2 - a**2, 0, None))
    return hip + a * u + off * perp


def _rotate_about_y(pts: np.ndarray, centre: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rel = pts - centre
    out = rel.copy()
    out[..., 0] = c * rel[..., 0] + s * rel[..., 2]
    out[..., 2] = -s * rel[..., 0] + c * rel[..., 2]
    return out + centre


# ------------------------------------------------------------------ generator
def simulate_gait(spec: GaitSpec) -> tuple[PoseSequence, GaitTruth]:
    """Landmarks (pixels) and the truth for ``spec``. Deterministic for a given ``spec.seed``."""
    fps = spec.fps
    t_stride = spec.step_time_left_s + spec.step_time_right_s
    v = (spec.step_length_left_m + spec.step_length_right_m) / t_stride
    pieces: list[np.ndarray] = []  # world points per frame block
    facings: list[np.ndarray] = []
    walking_flags: list[np.ndarray] = []
    events: list[TruthEvent] = []
    bouts_out: list[tuple[int, int, int, bool]] = []
    n_done = 0
    x_now = 0.0
    prev_end: np.ndarray | None = None
    prev_facing = 0

    def hold(pose: np.ndarray, n: int, facing: int) -> None:
        nonlocal n_done
        pieces.append(np.repeat(pose[None], n, axis=0))
        facings.append(np.full(n, facing))
        walking_flags.append(np.zeros(n, bool))
        n_done += n

    for b_i, bout in enumerate(spec.bouts):
        facing = bout.direction * (-1 if bout.backwards else 1)
        cont = _contacts(spec, bout.n_strides)
        t_end = bout.n_strides * t_stride
        n_b = int(np.floor(t_end * fps)) + 1
        t_loc = np.arange(n_b) / fps
        foot_s, lift = {}, {}
        for side in ("left", "right"):
            foot_s[side], lift[side] = _foot_track(t_loc, cont[side], v)
        bump_l = _single_support_bump(t_loc, cont["right"])  # standing on the left
        bump_r = _single_support_bump(t_loc, cont["left"])
        obliq = spec.pelvic_drop_left_stance_deg * bump_l - spec.pelvic_drop_right_stance_deg * bump_r
        lean = -spec.trunk_lean_left_stance_deg * bump_l + spec.trunk_lean_right_stance_deg * bump_r
        arm = 2 * np.pi * t_loc / t_stride
        pelvis_s = v * t_loc
        if spec.treadmill:  # same gait relative to the pelvis, seen from a fixed camera
            foot_s = {side: foot_s[side] - pelvis_s for side in foot_s}
            pelvis_s = np.zeros_like(t_loc)
        pts = _body_points(spec, pelvis_s, foot_s, lift, obliq, lean, x_now, bout.direction, facing, arm)
        start_pose = pts[0]
        # before the bout: lead-in (first bout) or pause + turn (later bouts)
        if prev_end is None:
            hold(start_pose, int(round(spec.lead_in_s * fps)), facing)
        else:
            n_p = int(round(spec.pause_s * fps))
            n_hold = n_p // 3
            hold(prev_end, n_hold, prev_facing)
            n_turn = n_p - n_hold
            c_end = 0.5 * (prev_end[L.LEFT_HIP] + prev_end[L.RIGHT_HIP])
            c_start = 0.5 * (start_pose[L.LEFT_HIP] + start_pose[L.RIGHT_HIP])
            turn = 0.0 if facing == prev_facing else np.pi
            back = _rotate_about_y(start_pose, c_start, -turn) - c_start + c_end
            blend = np.empty((n_turn, N_LANDMARKS, 3))
            for i in range(n_turn):
                a = (i + 1) / (n_turn + 1)
                a = a * a * (3 - 2 * a)
                mix = (1 - a) * prev_end + a * back
                c_a = (1 - a) * c_end + a * c_start
                blend[i] = _rotate_about_y(mix - c_end + c_a, c_a, a * turn)
            pieces.append(blend)
            facings.append(np.where(np.arange(n_turn) < n_turn // 2, prev_facing, facing))
            walking_flags.append(np.zeros(n_turn, bool))
            n_done += n_turn
        start_frame = n_done
        pieces.append(pts)
        facings.append(np.full(n_b, facing))
        walking_flags.append(np.ones(n_b, bool))
        for side in ("left", "right"):
            for hs, to, _ in cont[side]:
                for tt, typ in ((hs, "heel_strike"), (to, "toe_off")):
                    if 0 <= tt <= t_end + 1e-9:
                        tg = start_frame / fps + tt
                        events.append(TruthEvent(tg, int(round(tg * fps)), side, typ, b_i))
        n_done += n_b
        bouts_out.append((start_frame, n_done, bout.direction, bout.backwards))
        prev_end = pts[-1]
        prev_facing = facing
        x_now = x_now + bout.direction * pelvis_s[-1]
    assert prev_end is not None
    hold(prev_end, int(round(spec.lead_out_s * fps)), prev_facing)
    world = np.concatenate(pieces)
    facing_all = np.concatenate(facings)
    walking = np.concatenate(walking_flags)
    events.sort(key=lambda e: e.time_s)

    img, depth, body_h, px_per_m = _project(spec, world)
    vis = np.full((world.shape[0], N_LANDMARKS), 0.99, np.float32)
    if spec.camera == "side":  # the far side is less visible
        far_left = facing_all > 0  # facing +X: the camera sees the right side
        for a, b in _all_pairs():
            vis[far_left, a] = 0.8
            vis[~far_left, b] = 0.8
    rng = np.random.default_rng(spec.seed)
    if spec.noise_px > 0:
        img = img + rng.normal(0.0, spec.noise_px, img.shape)
    t_all = np.arange(world.shape[0]) / fps
    swapped = np.zeros(world.shape[0], bool)
    for s0, s1 in spec.swaps_s:
        swapped |= (t_all >= s0) & (t_all < s1)
    for a, b in LEG_CHAINS:
        img[swapped, a], img[swapped, b] = img[swapped, b].copy(), img[swapped, a].copy()
        vis[swapped, a], vis[swapped, b] = vis[swapped, b].copy(), vis[swapped, a].copy()
    xyz = np.concatenate([img, depth[..., None]], axis=2)
    seq = PoseSequence.from_image_points(
        xyz,
        fps=fps,
        frame_size=spec.frame_size,
        visibility=vis,
        meta={"source": "posture_cam.simulate.gait", "camera": spec.camera},
    )
    world_m = _hip_centred_world(world, spec)
    seq = seq.replace(world_m=world_m.astype(np.float32))
    standing = _standing_mask(world, fps)
    if spec.camera == "side":
        views = np.where(facing_all > 0, "right_side", "left_side")
    else:
        views = np.where(facing_all > 0, "front", "back")
    truth = GaitTruth(
        events=events,
        bouts=bouts_out,
        walking=walking,
        standing=standing & ~walking,
        swapped=swapped,
        view_per_frame=views.astype(object),
        body_height_px=body_h,
        px_per_m=px_per_m,
        metrics=_truth_metrics(spec),
    )
    return seq, truth


def _all_pairs() -> list[tuple[int, int]]:
    """(left, right) landmark index pairs."""
    from ..landmarks import MIRROR_PAIRS

    return [(int(a), int(b)) for a, b in MIRROR_PAIRS]


def _standing_mask(world: np.ndarray, fps: float) -> np.ndarray:
    """Frames where no landmark moves faster than 1 cm/s."""
    d = np.zeros(world.shape[0])
    d[1:] = np.max(np.linalg.norm(np.diff(world, axis=0), axis=2), axis=1) * fps
    d[0] = d[1] if d.size > 1 else 0.0
    return d < 0.01


def _camera(spec: GaitSpec, world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Camera frame coordinates: (right, down, depth) of every point, and the focal length."""
    w, h = spec.frame_size
    if spec.camera == "side":
        x_mid = 0.5 * (np.nanmin(world[..., 0]) + np.nanmax(world[..., 0]))
        x_ext = np.nanmax(world[..., 0]) - np.nanmin(world[..., 0]) + 0.4
        depth = spec.camera_distance_m - world[..., 2]
        f = min(0.9 * w * spec.camera_distance_m / x_ext, 0.8 * h * spec.camera_distance_m / spec.height_m)
        right = world[..., 0] - x_mid
    elif spec.camera == "frontal":
        x_cam = np.nanmax(world[..., 0]) + spec.camera_distance_m
        depth = x_cam - world[..., 0]
        f = 0.8 * h * spec.camera_distance_m / spec.height_m
        right = -world[..., 2]
    else:
        raise ValueError(f"camera: expected 'side' or 'frontal', got {spec.camera!r}")
    down = -(world[..., 1] - spec.camera_height_m)
    return right, down, depth, f


def _project(spec: GaitSpec, world: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    w, h = spec.frame_size
    right, down, depth, f = _camera(spec, world)
    img = np.stack([w / 2 + f * right / depth, h / 2 + f * down / depth], axis=-1)
    pelvis_depth = 0.5 * (depth[:, L.LEFT_HIP] + depth[:, L.RIGHT_HIP])
    body_h = f * spec.height_m / pelvis_depth
    px_per_m = float(f / spec.camera_distance_m) if spec.camera == "side" else None
    rel_depth = (depth - pelvis_depth[:, None]) * f / pelvis_depth[:, None]
    return img, rel_depth, body_h, px_per_m


def _hip_centred_world(world: np.ndarray, spec: GaitSpec) -> np.ndarray:
    """World landmarks in MediaPipe's convention: hip-centred, metres, x right, y down, z to camera -."""
    right, down, depth, _ = _camera(spec, world)
    cam = np.stack([right, down, depth], axis=-1)
    mid = 0.5 * (cam[:, L.LEFT_HIP] + cam[:, L.RIGHT_HIP])
    return cam - mid[:, None, :]


def _truth_metrics(spec: GaitSpec) -> dict[str, float]:
    t = spec.step_time_left_s + spec.step_time_right_s
    ds = (spec.stance_time_right_s - spec.step_time_left_s) + (
        spec.stance_time_left_s - spec.step_time_right_s
    )
    return {
        "cadence_steps_per_min": 120.0 / t,
        "stride_time_s": t,
        "step_time_left_s": spec.step_time_left_s,
        "step_time_right_s": spec.step_time_right_s,
        "stance_time_left_s": spec.stance_time_left_s,
        "stance_time_right_s": spec.stance_time_right_s,
        "swing_time_left_s": t - spec.stance_time_left_s,
        "swing_time_right_s": t - spec.stance_time_right_s,
        "double_support_pct": 100.0 * ds / t,
        "step_time_si_pct": symmetry_index_pct(spec.step_time_right_s, spec.step_time_left_s),
        "stance_time_si_pct": symmetry_index_pct(spec.stance_time_right_s, spec.stance_time_left_s),
        "swing_time_si_pct": symmetry_index_pct(t - spec.stance_time_right_s, t - spec.stance_time_left_s),
        "step_length_si_pct": symmetry_index_pct(spec.step_length_right_m, spec.step_length_left_m),
        "step_length_left_m": spec.step_length_left_m,
        "step_length_right_m": spec.step_length_right_m,
        "gait_speed_m_per_s": (spec.step_length_left_m + spec.step_length_right_m) / t,
        "pelvic_drop_left_stance_deg": spec.pelvic_drop_left_stance_deg,
        "pelvic_drop_right_stance_deg": spec.pelvic_drop_right_stance_deg,
        "trunk_lateral_sway_deg": spec.trunk_lean_left_stance_deg + spec.trunk_lean_right_stance_deg,
    }


def standing_sequence(
    *,
    seconds: float = 3.0,
    fps: float = 30.0,
    camera: str = "side",
    noise_px: float = 0.0,
    sway_m: float = 0.01,
    seed: int = 0,
) -> tuple[PoseSequence, np.ndarray]:
    """A subject standing still (small postural sway), with its view labels: the no-walking case."""
    spec = GaitSpec(fps=fps, camera=camera, bouts=(Bout(n_strides=1),), noise_px=noise_px, seed=seed)  # type: ignore[arg-type]
    n = int(round(seconds * fps))
    cont = _contacts(spec, 1)
    zero = np.zeros(n)
    t = np.arange(n) / fps
    sway = sway_m * np.sin(2 * np.pi * 0.3 * t)
    feet = {
        "left": zero + cont["left"][2][2] - spec.step_length_left_m / 2,
        "right": zero + cont["left"][2][2] - spec.step_length_left_m / 2,
    }
    pts = _body_points(spec, sway, feet, {"left": zero, "right": zero}, zero, zero, 0.0, 1, 1, zero)
    img, depth, _, _ = _project(spec, pts)
    rng = np.random.default_rng(seed)
    if noise_px > 0:
        img = img + rng.normal(0.0, noise_px, img.shape)
    seq = PoseSequence.from_image_points(
        np.concatenate([img, depth[..., None]], axis=2), fps=fps, frame_size=spec.frame_size, visibility=0.99
    )
    views = np.full(n, "right_side" if camera == "side" else "front", dtype=object)
    return seq, views


__all__: Sequence[str] = (
    "Bout",
    "GaitSpec",
    "GaitTruth",
    "TruthEvent",
    "simulate_gait",
    "standing_sequence",
    "symmetry_index_pct",
    "LEG_CHAINS",
)
