"""A kinematic gait generator with exactly known events (pure numpy).

Each foot follows a contact schedule: heel strike (HS) at ``t_hs + k T`` (T = stride time), a heel
rocker (foot pitches from toe-up to flat about the heel), foot flat, heel rise about the toe and toe
off (TO) at ``HS + stance_fraction T``; in swing the ankle moves on a minimum-jerk path with foot
clearance. The pelvis moves forward at constant speed; its height is the highest at which the stance
leg(s) still reach their feet (an inverted-pendulum bounce); its obliquity drops towards the swing
side during each single stance (Trendelenburg when large) and the trunk can sway towards the stance
leg. Subject frame as in :mod:`posture_cam.synth.skeleton` (forward = +z, left = +x).

Definitions of the truth (issue 5): step time LEFT = right HS -> next left HS; stance time = HS -> TO
of the same foot; double support % = both feet on the ground / stride time; symmetry index
SI = (R - L) / (0.5 (R + L)) x 100 (Robinson 1987).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..sequence import atomic_write_text
from .camera import Camera
from .skeleton import Body, LegTargets, Posture, Skeleton, pelvis_height_for, pose, rot_x, rot_y, rot_z

HS_PITCH_DEG = 15.0  # foot toe-up at heel strike
TO_PITCH_DEG = 35.0  # foot toe-down at toe off
HEEL_ROCKER_END = 0.12  # fraction of stance
HEEL_RISE_START = 0.62


@dataclass(frozen=True)
class GaitParams:
    """Walking pattern. Times in s, lengths in m, angles in degrees."""

    cadence_steps_per_min: float = 110.0
    step_length_m: float = 0.65  # mean step length (stride = 2 steps)
    right_step_phase: float = 0.5  # right HS after left HS, fraction of the stride (0.5 = symmetric)
    stance_fraction_left: float = 0.60
    stance_fraction_right: float = 0.60
    pelvic_drop_left_stance_deg: float = 3.0  # peak drop of the RIGHT hip while standing on the left leg
    pelvic_drop_right_stance_deg: float = 3.0  # peak drop of the LEFT hip while standing on the right leg
    trunk_sway_deg: float = 1.0  # peak trunk lean towards the stance leg
    pelvis_lateral_shift_m: float = 0.02  # peak shift of the pelvis over the stance foot
    arm_swing_deg: float = 15.0
    foot_clearance_m: float = 0.05
    stance_knee_flexion_deg: float = 6.0
    backwards: bool = False  # time-reversed walk: the subject moves backwards, toes touch first
    first_left_hs_s: float = 0.1  # time of the first left heel strike (may be negative)

    def __post_init__(self) -> None:
        if not 30.0 <= self.cadence_steps_per_min <= 200.0:
            raise ValueError(f"cadence_steps_per_min: expected 30..200, got {self.cadence_steps_per_min}")
        p, sl, sr = self.right_step_phase, self.stance_fraction_left, self.stance_fraction_right
        if not (0.2 < p < 0.8 and sl > p and p + sr > 1.0 and sl < 0.95 and sr < 0.95):
            raise ValueError(
                "gait timing: need right_step_phase < stance_fraction_left and "
                "right_step_phase + stance_fraction_right > 1 (double support must exist)"
            )

    @property
    def stride_time_s(self) -> float:
        return 120.0 / self.cadence_steps_per_min

    @property
    def speed_m_per_s(self) -> float:
        return 2.0 * self.step_length_m / self.stride_time_s

    def hs_offset_s(self, side: str) -> float:
        return self.first_left_hs_s + (0.0 if side == "left" else self.right_step_phase * self.stride_time_s)

    def stance_fraction(self, side: str) -> float:
        return self.stance_fraction_left if side == "left" else self.stance_fraction_right


def _minjerk(w: float) -> float:
    return 10 * w**3 - 15 * w**4 + 6 * w**5


def _foot_state(
    body: Body, g: GaitParams, side: str, t: float, lateral_m: float
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Ankle position, foot rotation (subject frame, walk starts at z=0) and whether on the ground."""
    T = g.stride_time_s
    st = g.stance_fraction(side) * T
    t_hs = g.hs_offset_s(side)
    k = np.floor((t - t_hs) / T)
    tau = t - t_hs - k * T

    ah, fl = body.m(body.ankle_height), body.m(body.foot_length)
    heel_local = np.array([0.0, -ah, -0.20 * fl])
    toe_local = np.array([0.0, -ah, 0.70 * fl])
    lead = 0.45 * g.step_length_m  # heel ahead of the pelvis at heel strike

    def heel_x(kk: float) -> float:
        return g.speed_m_per_s * (t_hs + kk * T) + lead

    def stance(kk: float, u: float) -> tuple[np.ndarray, np.ndarray]:
        hx = heel_x(kk)
        if u < HEEL_ROCKER_END:
            r = rot_x(-HS_PITCH_DEG * (1 - u / HEEL_ROCKER_END))
            return np.array([lateral_m, 0.0, hx]) - r @ heel_local, r
        if u < HEEL_RISE_START:
            r = np.eye(3)
            return np.array([lateral_m, 0.0, hx]) - heel_local, r
        r = rot_x(TO_PITCH_DEG * (u - HEEL_RISE_START) / (1 - HEEL_RISE_START))
        toe = np.array([lateral_m, 0.0, hx - heel_local[2] + toe_local[2]])
        return toe - r @ toe_local, r

    if tau <= st:
        a, r = stance(k, tau / st)
        return a, r, True
    w = (tau - st) / (T - st)
    a0, _ = stance(k, 1.0)
    a1, _ = stance(k + 1, 0.0)
    s = _minjerk(w)
    a = a0 + (a1 - a0) * s
    a[1] = a0[1] + (a1[1] - a0[1]) * w + g.foot_clearance_m * np.sin(np.pi * w)
    pitch = TO_PITCH_DEG + (-HS_PITCH_DEG - TO_PITCH_DEG) * min(1.0, 1.4 * s)
    return a, rot_x(pitch), False


def _single_stance(g: GaitParams, side: str, t: float) -> float:
    """0..1 progress through the single stance on ``side`` (the other foot swinging), else -1."""
    other = "right" if side == "left" else "left"
    T = g.stride_time_s
    t_hs = g.hs_offset_s(other)
    tau = (t - t_hs) % T
    st = g.stance_fraction(other) * T
    return (tau - st) / (T - st) if tau > st else -1.0


def walk_pose(
    body: Body,
    posture: Posture,
    g: GaitParams,
    t: float,
    *,
    start_xz: tuple[float, float] = (0.0, 0.0),
    heading_deg: float = 0.0,
) -> Skeleton:
    """The figure at time ``t`` (s) of a forward walk (use :func:`walk` for backwards walking)."""
    ssl, ssr = _single_stance(g, "left", t), _single_stance(g, "right", t)
    obliq = (g.pelvic_drop_left_stance_deg * np.sin(np.pi * ssl) if ssl >= 0 else 0.0) - (
        g.pelvic_drop_right_stance_deg * np.sin(np.pi * ssr) if ssr >= 0 else 0.0
    )
    sway = (-g.trunk_sway_deg * np.sin(np.pi * ssl) if ssl >= 0 else 0.0) + (
        g.trunk_sway_deg * np.sin(np.pi * ssr) if ssr >= 0 else 0.0
    )
    T = g.stride_time_s
    lat = g.pelvis_lateral_shift_m * np.cos(2 * np.pi * ((t - g.hs_offset_s("left")) / T - 0.3))
    p = replace(
        posture,
        pelvic_obliquity_deg=posture.pelvic_obliquity_deg + obliq,
        trunk_side_bend_deg=posture.trunk_side_bend_deg + sway,
        knee_flexion_left_deg=g.stance_knee_flexion_deg,
        knee_flexion_right_deg=g.stance_knee_flexion_deg,
    )
    al, rl, _ = _foot_state(body, g, "left", t, posture.stance_half_width_m * 0.7)
    ar, rr, _ = _foot_state(body, g, "right", t, -posture.stance_half_width_m * 0.7)
    targets = LegTargets(al, ar, rl, rr)
    r_pelvis = rot_y(p.pelvic_rotation_deg) @ rot_z(p.pelvic_obliquity_deg) @ rot_x(p.pelvic_tilt_deg)
    pz = g.speed_m_per_s * t
    # both legs constrain the height: the stance leg(s) and the swing leg reaching for its heel strike
    y = pelvis_height_for(body, p, targets, np.array([lat, pz]), r_pelvis)
    swing = g.arm_swing_deg
    arms = (
        -swing * np.cos(2 * np.pi * (t - g.hs_offset_s("left")) / T),
        -swing * np.cos(2 * np.pi * (t - g.hs_offset_s("right")) / T),
    )
    return pose(
        body,
        p,
        pelvis_pos=np.array([lat, y, pz]),
        targets=targets,
        arm_swing_deg=arms,
        position_m=start_xz,
        heading_deg=heading_deg,
    )


@dataclass(frozen=True)
class GaitEvent:
    foot: str  # "left" | "right"
    type: str  # "heel_strike" | "toe_off" (forward) or "initial_contact" | "final_contact" (backwards)
    time_s: float
    frame: int  # nearest frame index

    def to_json(self) -> dict[str, object]:
        return {"foot": self.foot, "type": self.type, "time_s": round(self.time_s, 4), "frame": self.frame}


def gait_events(g: GaitParams, duration_s: float, fps: float) -> list[GaitEvent]:
    """All contact events inside [0, duration_s], sorted by time."""
    T = g.stride_time_s
    out = []
    for side in ("left", "right"):
        t_hs = g.hs_offset_s(side)
        st = g.stance_fraction(side) * T
        k0 = int(np.floor((0 - t_hs) / T)) - 1
        for k in range(k0, k0 + int(duration_s / T) + 4):
            for kind, t in (("heel_strike", t_hs + k * T), ("toe_off", t_hs + k * T + st)):
                if g.backwards:
                    t = duration_s - t
                    kind = "initial_contact" if kind == "toe_off" else "final_contact"
                if 0.0 <= t <= duration_s:
                    out.append(GaitEvent(side, kind, float(t), int(round(t * fps))))
    return sorted(out, key=lambda e: e.time_s)


def walk(
    body: Body,
    posture: Posture,
    g: GaitParams,
    *,
    fps: float,
    n_frames: int,
    start_xz: tuple[float, float] = (0.0, 0.0),
    heading_deg: float = 0.0,
) -> list[Skeleton]:
    """Skeletons at t = i / fps, i = 0..n_frames-1. Backwards walks replay the forward walk reversed."""
    duration = (n_frames - 1) / fps
    times = [i / fps for i in range(n_frames)]
    if g.backwards:
        times = [duration - t for t in times]
    return [walk_pose(body, posture, g, t, start_xz=start_xz, heading_deg=heading_deg) for t in times]


def _si(right: float, left: float) -> float:
    return (right - left) / (0.5 * (right + left)) * 100.0


def gait_truth(g: GaitParams) -> dict[str, float]:
    """Exact spatiotemporal truth in result.json ``gait.metrics`` terms (forward walking)."""
    T, p = g.stride_time_s, g.right_step_phase
    step_r, step_l = p * T, (1 - p) * T
    st_l, st_r = g.stance_fraction_left * T, g.stance_fraction_right * T
    ds = (g.stance_fraction_left - p) + (p + g.stance_fraction_right - 1.0)
    stride_len = 2 * g.step_length_m
    return {
        "cadence_steps_per_min": 120.0 / T,
        "step_time_left_s": step_l,
        "step_time_right_s": step_r,
        "stance_time_left_s": st_l,
        "stance_time_right_s": st_r,
        "swing_time_left_s": T - st_l,
        "swing_time_right_s": T - st_r,
        "stance_time_si_pct": _si(st_r, st_l),
        "step_time_si_pct": _si(step_r, step_l),
        "step_length_left_m": (1 - p) * stride_len,
        "step_length_right_m": p * stride_len,
        "step_length_si_pct": _si(p, 1 - p),
        "double_support_pct": ds * 100.0,
        "stride_time_s": T,
        "gait_speed_m_per_s": g.speed_m_per_s,
    }


# ---------------------------------------------------------------------------------------------
# rendering the long pathological recordings of posture_cam.simulate.gait_recording


def skeleton_from_landmarks(world: np.ndarray, height_m: float) -> Skeleton:
    """A renderable :class:`Skeleton` from one frame of 33 world landmarks (floor frame, Y up).

    Limb joints, hands and feet are the landmarks themselves; the spine, neck and head are built
    from the hip, shoulder, ear and nose landmarks with this package's body proportions, so the
    face of the render follows :func:`~posture_cam.synth.skeleton.pose`'s head model (the render's
    own landmarks, :func:`posture_cam.synth.truth.landmarks_world`, are the truth of the video).
    """
    from ..landmarks import Landmark as Lm

    w = np.asarray(world, float)
    if w.shape != (33, 3) or not np.all(np.isfinite(w)):
        raise ValueError(f"world: expected 33 finite 3-D landmarks, got shape {w.shape}")
    body = Body(height_m=height_m)
    m = body.m
    up = np.array([0.0, 1.0, 0.0])

    def frame(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Columns (x = subject's left, y = up, z = forward) from approximate x and y."""
        y = y / np.linalg.norm(y)
        x = x - np.dot(x, y) * y
        x /= np.linalg.norm(x)
        return np.column_stack([x, y, np.cross(x, y)])

    p = lambda lm: w[int(lm)]  # noqa: E731
    j: dict[str, np.ndarray] = {}
    f: dict[str, np.ndarray] = {}
    pelvis = 0.5 * (p(Lm.LEFT_HIP) + p(Lm.RIGHT_HIP))
    sh_mid = 0.5 * (p(Lm.LEFT_SHOULDER) + p(Lm.RIGHT_SHOULDER))
    r_pel = frame(p(Lm.LEFT_HIP) - p(Lm.RIGHT_HIP), up)
    r_trunk = frame(p(Lm.LEFT_SHOULDER) - p(Lm.RIGHT_SHOULDER), sh_mid - pelvis)
    j["pelvis"], f["pelvis"] = pelvis, r_pel
    j["sacrum"] = pelvis + r_pel @ np.array([0.0, m(body.sacrum_up), -m(body.sacrum_back)])
    j["t12"] = j["sacrum"] + r_trunk[:, 1] * m(body.lumbar)
    j["c7"] = sh_mid - r_trunk @ np.array([0.0, -m(0.018), m(0.032)])
    j["t7"] = 0.5 * (j["t12"] + j["c7"])
    f["lumbar"] = f["thorax_lower"] = f["thorax"] = r_trunk
    ear_mid = 0.5 * (p(Lm.LEFT_EAR) + p(Lm.RIGHT_EAR))
    r_head = frame(
        p(Lm.LEFT_EAR) - p(Lm.RIGHT_EAR), np.cross(p(Lm.NOSE) - ear_mid, p(Lm.LEFT_EAR) - p(Lm.RIGHT_EAR))
    )
    hc = ear_mid - 0.02 * r_head[:, 1]
    j["head"], f["head"] = hc, r_head
    j["c1"] = hc - r_head @ np.array([0.0, m(0.028), m(0.018)])
    f["neck"] = frame(r_head[:, 0], j["c1"] - j["c7"])
    hh, hw, hd = m(body.head_half_height), m(body.head_half_width), m(body.head_half_depth)
    face = {
        "ear_l": (0.97 * hw, -0.2 * hh, -0.05 * hd),
        "ear_r": (-0.97 * hw, -0.2 * hh, -0.05 * hd),
        "eye_l": (0.36 * hw, 0.12 * hh, 0.86 * hd),
        "eye_r": (-0.36 * hw, 0.12 * hh, 0.86 * hd),
        "eye_inner_l": (0.18 * hw, 0.12 * hh, 0.93 * hd),
        "eye_inner_r": (-0.18 * hw, 0.12 * hh, 0.93 * hd),
        "eye_outer_l": (0.55 * hw, 0.12 * hh, 0.74 * hd),
        "eye_outer_r": (-0.55 * hw, 0.12 * hh, 0.74 * hd),
        "nose": (0.0, -0.12 * hh, 1.12 * hd),
        "mouth_l": (0.22 * hw, -0.52 * hh, 0.86 * hd),
        "mouth_r": (-0.22 * hw, -0.52 * hh, 0.86 * hd),
    }
    for name, off in face.items():
        j[name] = hc + r_head @ np.array(off, dtype=float)
    for side, sfx, sg in (("LEFT", "l", 1.0), ("RIGHT", "r", -1.0)):
        for joint, lm in (
            ("shoulder", "SHOULDER"),
            ("elbow", "ELBOW"),
            ("wrist", "WRIST"),
            ("index", "INDEX"),
            ("pinky", "PINKY"),
            ("thumb", "THUMB"),
            ("hip", "HIP"),
            ("knee", "KNEE"),
            ("ankle", "ANKLE"),
            ("heel", "HEEL"),
            ("toe", "FOOT_INDEX"),
        ):
            j[f"{joint}_{sfx}"] = p(Lm[f"{side}_{lm}"])
        fore = j[f"wrist_{sfx}"] - j[f"elbow_{sfx}"]
        f[f"forearm_{sfx}"] = frame(sg * r_trunk[:, 0], -fore)
        f[f"upper_arm_{sfx}"] = frame(sg * r_trunk[:, 0], j[f"shoulder_{sfx}"] - j[f"elbow_{sfx}"])
        z = j[f"toe_{sfx}"] - j[f"heel_{sfx}"]
        z /= np.linalg.norm(z)
        x = np.cross(up, z)
        x /= np.linalg.norm(x)
        f[f"foot_{sfx}"] = np.column_stack([x, np.cross(z, x), z])
    return Skeleton(j, f, height_m, 0.0)


def camera_from_spec(cam: Any, frame_size: tuple[int, int]) -> Camera:
    """The synth :class:`Camera` of a ``simulate.gait_recording.CameraSpec`` at ``frame_size``."""
    w, h = frame_size
    yfov = 2.0 * np.degrees(np.arctan(np.tan(np.radians(cam.hfov_deg) / 2.0) * h / w))
    return Camera(tuple(cam.position_m), tuple(cam.target_m), yfov_deg=float(yfov), width=w, height=h)


def render_recording(
    spec: Any,
    out_dir: Path,
    *,
    name: str,
    frame_size: tuple[int, int] = (320, 180),
    start_s: float = 0.0,
    end_s: float | None = None,
    supersample: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Render ``spec`` (a ``simulate.gait_recording.RecordingSpec``) between ``start_s`` and
    ``end_s`` to ``out_dir/<name>.mp4`` with its truth in ``<name>.json``: the rendered figure's
    projected landmarks, events, bouts, phases and views, in frames of the rendered clip."""
    from ..simulate.gait_recording import simulate_recording
    from .render import Renderer
    from .scenarios import write_mp4
    from .truth import project_landmarks

    _, tr = simulate_recording(spec)
    fps = spec.fps
    n = tr.world_m.shape[0]
    i0 = max(0, int(round(start_s * fps)))
    i1 = n if end_s is None else min(n, int(round(end_s * fps)) + 1)
    if i1 - i0 < 2:
        raise ValueError(f"start_s/end_s: expected at least 2 frames, got {i1 - i0}")
    sks = [skeleton_from_landmarks(tr.world_m[i], spec.walker.height_m) for i in range(i0, i1)]
    cam = camera_from_spec(spec.camera, frame_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    imgs = []
    with Renderer(cam, supersample=supersample) as r:
        for k, sk in enumerate(sks):
            imgs.append(r.render(sk))
            if progress:
                progress(k + 1, len(sks))
    mp4 = write_mp4(out_dir / f"{name}.mp4", imgs, fps)
    t0 = i0 / fps
    keep = [e for e in tr.events if i0 <= e.frame < i1]
    truth = {
        "source": "posture_cam.synth.gait.render_recording",
        "gait_type": spec.walker.gait_type,
        "fps": fps,
        "frame_size": list(frame_size),
        "n_frames": i1 - i0,
        "start_s_in_recording": t0,
        "events": [
            {
                "time_s": round(e.time_s - t0, 4),
                "frame": e.frame - i0,
                "foot": e.foot,
                "type": e.type,
                "landing": e.landing,
                "phase": e.phase,
                "bout": e.bout,
            }
            for e in keep
        ],
        "bouts": [
            {
                "start": b.start - i0,
                "stop": b.stop - i0,
                "view": b.view,
                "direction": b.direction,
                "cadence_steps_per_min": round(b.cadence_steps_per_min, 3),
            }
            for b in tr.bouts
            if b.start >= i0 and b.stop <= i1
        ],
        "phase_per_frame": [str(x) for x in tr.phase_per_frame[i0:i1]],
        "view_per_frame": [str(x) for x in tr.view_per_frame[i0:i1]],
        "metrics": {k: round(v, 4) for k, v in tr.metrics.items()},
        "landmarks_px": np.round(project_landmarks(sks, cam)[..., :2], 2).tolist(),
    }
    js = atomic_write_text(out_dir / f"{name}.json", json.dumps(truth) + "\n")
    for p in (mp4, js):
        p.chmod(0o644)
    return mp4
