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

from dataclasses import dataclass, replace

import numpy as np

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
