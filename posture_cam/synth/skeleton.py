"""A parametric adult skeleton driven by posture angles (pure numpy, no OpenGL).

Frames and signs (used by every module of ``posture_cam.synth``):

* **Subject frame**: x = the subject's LEFT, y = up, z = the direction the subject faces
  (right-handed: left x up = forward). Metres. The floor is y = 0.
* **World frame**: the subject frame turned about y by ``heading_deg`` and shifted by
  ``position_m`` (x, z) on the floor.
* Rotations about the forward axis (z) by +a lower the subject's RIGHT side, so positive
  ``pelvic_obliquity_deg`` / ``shoulder`` / ``head_tilt_deg`` / ``trunk_side_bend_deg`` all mean
  "right side lower / leaning to the right", matching docs/ARCHITECTURE.md.
* Rotations about the lateral axis (x) by +a move the top of a segment FORWARD: positive
  ``trunk_flexion_deg``, ``neck_flexion_deg``, ``pelvic_tilt_deg`` (anterior tilt) mean forward.

Segment lengths are fractions of body height after Drillis & Contini as tabulated by Winter
(Biomechanics and Motor Control of Human Movement, 4th ed. 2009, fig. 4.1): hip joint 0.530 H,
knee 0.285 H, ankle 0.039 H, upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, foot 0.152 H,
biacromial breadth 0.259 H, hip breadth 0.191 H, vertex-to-chin 0.130 H.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# ---------------------------------------------------------------------------------------------
# rotations


def rot_x(deg: float) -> np.ndarray:
    """Rotation about the subject's lateral (left) axis; +deg moves +y (up) towards +z (forward)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(deg: float) -> np.ndarray:
    """Rotation about the vertical axis; +deg turns forward (+z) towards the subject's left (+x)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(deg: float) -> np.ndarray:
    """Rotation about the forward axis; +deg moves +x (left) up, i.e. lowers the RIGHT side."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    if n < 1e-12:
        raise ValueError("zero-length vector")
    return v / n


# ---------------------------------------------------------------------------------------------
# body and posture parameters


@dataclass(frozen=True)
class Body:
    """Anthropometry: body height (m) and segment fractions of height (Winter / Drillis-Contini)."""

    height_m: float = 1.75
    hip_joint_height: float = 0.530  # hip joint centre above the floor, standing
    thigh: float = 0.245  # hip joint -> knee
    shank: float = 0.246  # knee -> ankle
    ankle_height: float = 0.039
    foot_length: float = 0.152
    hip_joint_half_width: float = 0.048  # half the distance between hip joint centres
    hip_half_breadth: float = 0.0955  # skin (bitrochanteric breadth / 2)
    shoulder_joint_half_width: float = 0.105  # half the distance between shoulder joint centres
    upper_arm: float = 0.186
    forearm: float = 0.146
    hand: float = 0.108
    sacrum_up: float = 0.055  # L5/S1 above the hip-joint line
    sacrum_back: float = 0.030  # L5/S1 behind the hip-joint line
    lumbar: float = 0.105  # L5/S1 -> T12
    thoracic: float = 0.135  # T12 -> C7 (split in two halves for thoracic rounding)
    neck: float = 0.085  # C7 -> C1 (head base)
    head_half_height: float = 0.065
    head_half_width: float = 0.046
    head_half_depth: float = 0.056
    leg_length_right_delta_m: float = 0.0  # anatomical leg-length difference (+ = right longer)
    leg_length_left_delta_m: float = 0.0

    def __post_init__(self) -> None:
        if not (1.0 <= self.height_m <= 2.3):
            raise ValueError(f"height_m: expected an adult height in 1.0..2.3 m, got {self.height_m}")

    def m(self, fraction: float) -> float:
        """A fraction of body height in metres."""
        return fraction * self.height_m

    def leg_lengths_m(self, side: str) -> tuple[float, float]:
        """(thigh, shank) in metres for ``side`` in {"left", "right"}; the delta goes to both halves."""
        delta = self.leg_length_left_delta_m if side == "left" else self.leg_length_right_delta_m
        return self.m(self.thigh) + delta / 2, self.m(self.shank) + delta / 2


@dataclass(frozen=True)
class Posture:
    """Posture angles in degrees (signs: module docstring). Zero everywhere = neutral upright stance."""

    pelvic_obliquity_deg: float = 0.0  # + = right hip joint lower
    pelvic_tilt_deg: float = 0.0  # sagittal, + = anterior tilt (top of pelvis forward)
    pelvic_rotation_deg: float = 0.0  # about vertical, + = pelvis turned to the subject's left
    trunk_flexion_deg: float = 0.0  # lumbar + lower thorax inclination from vertical, + = forward
    trunk_side_bend_deg: float = 0.0  # + = trunk leans to the subject's right
    thoracic_rounding_deg: float = 0.0  # extra flexion of the upper thorax relative to the lower
    neck_flexion_deg: float = 12.0  # C7 -> C1 inclination from vertical, + = forward
    head_flexion_deg: float = 0.0  # head pitch in space, + = chin down
    head_tilt_deg: float = 0.0  # + = right ear lower
    shoulder_elevation_left_m: float = 0.0  # + = shoulder joint raised
    shoulder_elevation_right_m: float = 0.0
    knee_flexion_left_deg: float = 0.0
    knee_flexion_right_deg: float = 0.0
    stance_half_width_m: float = 0.09  # lateral distance of each ankle from the midline
    arm_abduction_deg: float = 8.0
    elbow_flexion_deg: float = 12.0


@dataclass
class Skeleton:
    """Joint positions (world frame, metres) and segment orientations (3x3, columns = world axes
    of the segment's x/y/z) of one posed figure."""

    joints: dict[str, np.ndarray] = field(default_factory=dict)
    frames: dict[str, np.ndarray] = field(default_factory=dict)
    height_m: float = 1.75
    heading_deg: float = 0.0

    def transformed(self, rot: np.ndarray, shift: np.ndarray) -> Skeleton:
        return Skeleton(
            {k: rot @ v + shift for k, v in self.joints.items()},
            {k: rot @ v for k, v in self.frames.items()},
            self.height_m,
            self.heading_deg,
        )


# ---------------------------------------------------------------------------------------------
# kinematics


def leg_ik(
    hip: np.ndarray, ankle: np.ndarray, thigh: float, shank: float, forward: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Knee position for a two-link leg with the knee pointing along ``forward``.

    Returns (knee, ankle); the ankle is pulled towards the hip if it is out of reach.
    """
    d_vec = ankle - hip
    d = float(np.linalg.norm(d_vec))
    reach = (thigh + shank) * 0.99999
    if d > reach:
        ankle = hip + d_vec * (reach / d)
        d_vec, d = ankle - hip, reach
    u = d_vec / d
    w = forward - float(forward @ u) * u
    w = _unit(w)
    cos_a = np.clip((thigh**2 + d**2 - shank**2) / (2 * thigh * d), -1.0, 1.0)
    knee = hip + thigh * (cos_a * u + np.sqrt(1 - cos_a**2) * w)
    return knee, ankle


def effective_leg_length(thigh: float, shank: float, knee_flexion_deg: float) -> float:
    """Hip-to-ankle distance of a leg with the given knee flexion (0 = straight)."""
    k = np.radians(knee_flexion_deg)
    return float(np.sqrt(thigh**2 + shank**2 + 2 * thigh * shank * np.cos(k)))


def foot_points(body: Body, ankle: np.ndarray, rot: np.ndarray) -> dict[str, np.ndarray]:
    """Heel (back of the heel), toe (tip, BlazePose foot_index) and sole contact points of a foot."""
    fl, ah = body.m(body.foot_length), body.m(body.ankle_height)
    return {
        "heel": ankle + rot @ np.array([0.0, -0.75 * ah, -0.24 * fl]),
        "toe": ankle + rot @ np.array([0.0, -0.8 * ah, 0.74 * fl]),
        "heel_sole": ankle + rot @ np.array([0.0, -ah, -0.20 * fl]),
        "toe_sole": ankle + rot @ np.array([0.0, -ah, 0.70 * fl]),
    }


@dataclass(frozen=True)
class LegTargets:
    """Ankle positions and foot orientations (subject frame) for both feet."""

    ankle_left: np.ndarray
    ankle_right: np.ndarray
    foot_rot_left: np.ndarray = field(default_factory=lambda: np.eye(3))
    foot_rot_right: np.ndarray = field(default_factory=lambda: np.eye(3))


def standing_targets(body: Body, posture: Posture) -> LegTargets:
    """Both feet flat on the floor, ankles ``stance_half_width_m`` either side of the midline."""
    ah = body.m(body.ankle_height)
    w = posture.stance_half_width_m
    fl = body.m(body.foot_length)
    # ankles slightly behind the hip line so the centre of mass sits over mid-foot
    z = -0.0 * fl
    return LegTargets(np.array([w, ah, z]), np.array([-w, ah, z]))


def pelvis_height_for(
    body: Body,
    posture: Posture,
    targets: LegTargets,
    pelvis_xz: np.ndarray,
    pelvis_rot: np.ndarray,
    knee_flexion_deg: tuple[float, float] | None = None,
    legs: tuple[str, ...] = ("left", "right"),
) -> float:
    """Highest pelvis-centre height at which each leg in ``legs`` reaches its ankle target with its
    knee flexed by at least the posture's knee flexion."""
    kf = knee_flexion_deg or (posture.knee_flexion_left_deg, posture.knee_flexion_right_deg)
    heights = []
    for side, flex in zip(("left", "right"), kf, strict=True):
        if side not in legs:
            continue
        thigh, shank = body.leg_lengths_m(side)
        eff = effective_leg_length(thigh, shank, flex)
        sign = 1.0 if side == "left" else -1.0
        off = pelvis_rot @ np.array([sign * body.m(body.hip_joint_half_width), 0.0, 0.0])
        ankle = targets.ankle_left if side == "left" else targets.ankle_right
        dx = ankle[0] - pelvis_xz[0] - off[0]
        dz = ankle[2] - pelvis_xz[1] - off[2]
        horiz2 = dx * dx + dz * dz
        heights.append(ankle[1] - off[1] + np.sqrt(max(eff**2 - horiz2, 1e-6)))
    return float(min(heights))


def pose(
    body: Body,
    posture: Posture,
    *,
    pelvis_pos: np.ndarray | None = None,
    targets: LegTargets | None = None,
    arm_swing_deg: tuple[float, float] = (0.0, 0.0),
    position_m: tuple[float, float] = (0.0, 0.0),
    heading_deg: float = 0.0,
    pelvis_shift_m: tuple[float, float] = (0.0, 0.0),
) -> Skeleton:
    """Pose the figure.

    ``pelvis_pos`` is the pelvis centre (midpoint of the hip joint centres) in the subject frame;
    when None it is placed over the feet at the height where the legs reach the floor
    (``pelvis_shift_m`` = its (x, z) offset). ``targets`` defaults to standing with feet flat.
    ``arm_swing_deg`` = (left, right) shoulder flexion, + = arm forward. The result is in the
    world frame: subject frame turned by ``heading_deg`` about y and moved to ``position_m`` (x, z).
    """
    H = body.height_m
    m = body.m
    targets = targets or standing_targets(body, posture)
    r_pelvis = (
        rot_y(posture.pelvic_rotation_deg)
        @ rot_z(posture.pelvic_obliquity_deg)
        @ rot_x(posture.pelvic_tilt_deg)
    )
    if pelvis_pos is None:
        xz = np.array(pelvis_shift_m, dtype=float)
        y = pelvis_height_for(body, posture, targets, xz, r_pelvis)
        pelvis_pos = np.array([xz[0], y, xz[1]])
    p = np.asarray(pelvis_pos, dtype=float)
    j: dict[str, np.ndarray] = {"pelvis": p}
    f: dict[str, np.ndarray] = {"pelvis": r_pelvis}
    hw = m(body.hip_joint_half_width)
    j["hip_l"] = p + r_pelvis @ np.array([hw, 0.0, 0.0])
    j["hip_r"] = p + r_pelvis @ np.array([-hw, 0.0, 0.0])
    j["sacrum"] = p + r_pelvis @ np.array([0.0, m(body.sacrum_up), -m(body.sacrum_back)])

    # spine: lumbar + lower thorax follow the global trunk orientation, the upper thorax adds rounding
    r_trunk = (
        rot_y(posture.pelvic_rotation_deg * 0.5)
        @ rot_z(posture.trunk_side_bend_deg)
        @ rot_x(posture.trunk_flexion_deg)
    )
    r_upper = r_trunk @ rot_x(posture.thoracic_rounding_deg)
    f["lumbar"], f["thorax_lower"], f["thorax"] = r_trunk, r_trunk, r_upper
    up = np.array([0.0, 1.0, 0.0])
    j["t12"] = j["sacrum"] + r_trunk @ up * m(body.lumbar)
    j["t7"] = j["t12"] + r_trunk @ up * m(body.thoracic / 2)
    j["c7"] = j["t7"] + r_upper @ up * m(body.thoracic / 2)
    sw = m(body.shoulder_joint_half_width)
    protraction = m(0.012) * np.sin(np.radians(posture.thoracic_rounding_deg)) * 3
    j["shoulder_l"] = j["c7"] + r_upper @ np.array(
        [sw, -m(0.018) + posture.shoulder_elevation_left_m, m(0.032) + protraction]
    )
    j["shoulder_r"] = j["c7"] + r_upper @ np.array(
        [-sw, -m(0.018) + posture.shoulder_elevation_right_m, m(0.032) + protraction]
    )

    # neck and head: inclinations in space (the head keeps the gaze level unless head_flexion_deg)
    r_neck = (
        rot_y(posture.pelvic_rotation_deg * 0.5)
        @ rot_z(posture.trunk_side_bend_deg * 0.3)
        @ rot_x(posture.neck_flexion_deg)
    )
    f["neck"] = r_neck
    j["c1"] = j["c7"] + r_neck @ up * m(body.neck)
    r_head = (
        rot_y(posture.pelvic_rotation_deg * 0.5)
        @ rot_z(posture.head_tilt_deg)
        @ rot_x(posture.head_flexion_deg)
    )
    f["head"] = r_head
    hc = j["c1"] + r_head @ np.array([0.0, m(0.028), m(0.018)])
    j["head"] = hc
    hh, hwid, hd = m(body.head_half_height), m(body.head_half_width), m(body.head_half_depth)
    face = {
        "vertex": (0, hh, 0),
        "chin": (0, -0.95 * hh, 0.55 * hd),
        "ear_l": (0.97 * hwid, -0.2 * hh, -0.05 * hd),
        "ear_r": (-0.97 * hwid, -0.2 * hh, -0.05 * hd),
        "eye_l": (0.36 * hwid, 0.12 * hh, 0.86 * hd),
        "eye_r": (-0.36 * hwid, 0.12 * hh, 0.86 * hd),
        "eye_inner_l": (0.18 * hwid, 0.12 * hh, 0.93 * hd),
        "eye_inner_r": (-0.18 * hwid, 0.12 * hh, 0.93 * hd),
        "eye_outer_l": (0.55 * hwid, 0.12 * hh, 0.74 * hd),
        "eye_outer_r": (-0.55 * hwid, 0.12 * hh, 0.74 * hd),
        "nose": (0.0, -0.12 * hh, 1.12 * hd),
        "mouth_l": (0.22 * hwid, -0.52 * hh, 0.86 * hd),
        "mouth_r": (-0.22 * hwid, -0.52 * hh, 0.86 * hd),
    }
    for name, off in face.items():
        j[name] = hc + r_head @ np.array(off, dtype=float)

    # legs
    fwd_pelvis = r_pelvis @ np.array([0.0, 0.0, 1.0])
    fwd_pelvis[1] = 0.0
    for side, sfx in (("left", "l"), ("right", "r")):
        thigh, shank = body.leg_lengths_m(side)
        ankle = targets.ankle_left if side == "left" else targets.ankle_right
        frot = targets.foot_rot_left if side == "left" else targets.foot_rot_right
        knee, ankle = leg_ik(j["hip_" + sfx], np.asarray(ankle, float), thigh, shank, _unit(fwd_pelvis))
        j["knee_" + sfx], j["ankle_" + sfx] = knee, ankle
        f["foot_" + sfx] = frot
        for k, v in foot_points(body, ankle, frot).items():
            j[f"{k}_{sfx}"] = v

    # arms hang in space (gravity), swing about the lateral axis
    for sfx, sign, swing in (("l", 1.0, arm_swing_deg[0]), ("r", -1.0, arm_swing_deg[1])):
        r_arm = rot_x(-swing) @ rot_z(sign * posture.arm_abduction_deg)
        sh = j["shoulder_" + sfx]
        elbow = sh + r_arm @ np.array([0.0, -m(body.upper_arm), 0.0])
        r_fore = r_arm @ rot_x(-(posture.elbow_flexion_deg + max(swing, 0.0) * 0.6))
        wrist = elbow + r_fore @ np.array([0.0, -m(body.forearm), 0.0])
        f["upper_arm_" + sfx], f["forearm_" + sfx] = r_arm, r_fore
        j["elbow_" + sfx], j["wrist_" + sfx] = elbow, wrist
        hl = m(body.hand)
        j["index_" + sfx] = wrist + r_fore @ np.array([-sign * 0.004 * H, -0.75 * hl, 0.010 * H])
        j["pinky_" + sfx] = wrist + r_fore @ np.array([-sign * 0.004 * H, -0.62 * hl, -0.012 * H])
        j["thumb_" + sfx] = wrist + r_fore @ np.array([-sign * 0.006 * H, -0.40 * hl, 0.024 * H])

    local = Skeleton(j, f, H, heading_deg)
    world_rot = rot_y(heading_deg)
    shift = np.array([position_m[0], 0.0, position_m[1]])
    return local.transformed(world_rot, shift)


def with_posture(posture: Posture, **changes: float) -> Posture:
    """A copy of ``posture`` with some angles changed (convenience for scenario tables)."""
    return replace(posture, **changes)
