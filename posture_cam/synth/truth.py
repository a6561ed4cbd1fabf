"""Exact ground truth of a synthetic clip, in the terms of ``result.json`` (pure numpy).

Landmark mapping: BlazePose names <- model joints. Hips are the hip JOINT CENTRES, shoulders the
shoulder joint centres, ears the tragus, heels the back of the heel, foot_index the toe tip.
Metric truths are computed from the projected true joints with the definitions of
docs/ARCHITECTURE.md / issue 4 (pixel space, y down; frontal signs: + = subject's right side lower
or trunk leaning to the subject's right; sagittal signs: + = forward), averaged (median) over frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..landmarks import N_LANDMARKS, Landmark
from .camera import Camera
from .skeleton import Skeleton

L = Landmark
BLAZEPOSE_FROM_JOINT: dict[Landmark, str] = {
    L.NOSE: "nose",
    L.LEFT_EYE_INNER: "eye_inner_l",
    L.LEFT_EYE: "eye_l",
    L.LEFT_EYE_OUTER: "eye_outer_l",
    L.RIGHT_EYE_INNER: "eye_inner_r",
    L.RIGHT_EYE: "eye_r",
    L.RIGHT_EYE_OUTER: "eye_outer_r",
    L.LEFT_EAR: "ear_l",
    L.RIGHT_EAR: "ear_r",
    L.MOUTH_LEFT: "mouth_l",
    L.MOUTH_RIGHT: "mouth_r",
    L.LEFT_SHOULDER: "shoulder_l",
    L.RIGHT_SHOULDER: "shoulder_r",
    L.LEFT_ELBOW: "elbow_l",
    L.RIGHT_ELBOW: "elbow_r",
    L.LEFT_WRIST: "wrist_l",
    L.RIGHT_WRIST: "wrist_r",
    L.LEFT_PINKY: "pinky_l",
    L.RIGHT_PINKY: "pinky_r",
    L.LEFT_INDEX: "index_l",
    L.RIGHT_INDEX: "index_r",
    L.LEFT_THUMB: "thumb_l",
    L.RIGHT_THUMB: "thumb_r",
    L.LEFT_HIP: "hip_l",
    L.RIGHT_HIP: "hip_r",
    L.LEFT_KNEE: "knee_l",
    L.RIGHT_KNEE: "knee_r",
    L.LEFT_ANKLE: "ankle_l",
    L.RIGHT_ANKLE: "ankle_r",
    L.LEFT_HEEL: "heel_l",
    L.RIGHT_HEEL: "heel_r",
    L.LEFT_FOOT_INDEX: "toe_l",
    L.RIGHT_FOOT_INDEX: "toe_r",
}
assert len(BLAZEPOSE_FROM_JOINT) == N_LANDMARKS


def landmarks_world(sk: Skeleton) -> np.ndarray:
    """(33, 3) true joint positions in world metres, BlazePose order."""
    return np.stack([sk.joints[BLAZEPOSE_FROM_JOINT[lm]] for lm in Landmark])


def project_landmarks(skeletons: Sequence[Skeleton], camera: Camera) -> np.ndarray:
    """(T, 33, 3) projected true landmarks: x, y pixels (y down) and depth (m)."""
    return np.stack([camera.project(landmarks_world(sk)) for sk in skeletons])


def _angle_to_horizontal(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Angle (deg) of the left->right line against the horizontal, + when the RIGHT point is lower
    in the image, independent of which way the subject faces."""
    dy = right[..., 1] - left[..., 1]
    dx = np.abs(right[..., 0] - left[..., 0])
    return np.degrees(np.arctan2(dy, dx))


def _lean(bottom: np.ndarray, top: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """Angle (deg) of bottom->top against the image vertical, + when the top lies towards ``toward``
    (+1 = image right, -1 = image left)."""
    dx = (top[..., 0] - bottom[..., 0]) * toward
    up = bottom[..., 1] - top[..., 1]
    return np.degrees(np.arctan2(dx, up))


def facing_sign(skeletons: Sequence[Skeleton], camera: Camera) -> np.ndarray:
    """Per frame: +1 when the subject's forward direction points to image right, -1 to image left."""
    out = []
    for sk in skeletons:
        p = sk.joints["pelvis"]
        fwd = sk.frames["pelvis"] @ np.array([0.0, 0.0, 0.3])
        fwd[1] = 0.0
        a, b = camera.project(np.stack([p, p + fwd]))[:, 0]
        out.append(1.0 if b > a else -1.0)
    return np.array(out)


def frame_series(skeletons: Sequence[Skeleton], camera: Camera) -> dict[str, np.ndarray]:
    """Per-frame true metric values (degrees / % height) from the projected true joints."""
    px = project_landmarks(skeletons, camera)
    g = {lm: px[:, int(lm), :2] for lm in Landmark}
    fwd = facing_sign(skeletons, camera)
    right_dir = np.sign(g[L.RIGHT_HIP][:, 0] - g[L.LEFT_HIP][:, 0])  # image direction of subject's right
    right_dir[right_dir == 0] = 1.0
    mid_hip = (g[L.LEFT_HIP] + g[L.RIGHT_HIP]) / 2
    mid_sh = (g[L.LEFT_SHOULDER] + g[L.RIGHT_SHOULDER]) / 2
    s: dict[str, np.ndarray] = {}
    s["pelvic_obliquity_deg"] = _angle_to_horizontal(g[L.LEFT_HIP], g[L.RIGHT_HIP])
    s["shoulder_obliquity_deg"] = _angle_to_horizontal(g[L.LEFT_SHOULDER], g[L.RIGHT_SHOULDER])
    s["shoulder_hip_tilt_difference_deg"] = s["shoulder_obliquity_deg"] - s["pelvic_obliquity_deg"]
    s["head_tilt_deg"] = _angle_to_horizontal(g[L.LEFT_EAR], g[L.RIGHT_EAR])
    s["trunk_lateral_lean_deg"] = _lean(mid_hip, mid_sh, right_dir)
    # sagittal metrics from the side nearer to the camera
    depth_l = px[:, int(L.LEFT_SHOULDER), 2]
    depth_r = px[:, int(L.RIGHT_SHOULDER), 2]
    near_left = depth_l <= depth_r
    ear = np.where(near_left[:, None], g[L.LEFT_EAR], g[L.RIGHT_EAR])
    sh = np.where(near_left[:, None], g[L.LEFT_SHOULDER], g[L.RIGHT_SHOULDER])
    # raw proxy: shoulder joint centre -> tragus against the horizontal (metric ear_shoulder_angle_deg)
    s["ear_shoulder_angle_deg"] = np.degrees(np.arctan2(sh[:, 1] - ear[:, 1], (ear[:, 0] - sh[:, 0]) * fwd))
    # craniovertebral angle from the model's C7 joint (its spine chain). Note: the figure's C7 sits at
    # ~0.825 of stature, about 4-5 % of stature below a real cervicale, so this is the FIGURE's own
    # C7-tragus angle (neutral ~73 deg, above human norms of ~51 deg): compare changes, not levels.
    c7 = np.stack([camera.project(sk.joints["c7"][None])[0, :2] for sk in skeletons])
    s["craniovertebral_angle_deg"] = np.degrees(
        np.arctan2(c7[:, 1] - ear[:, 1], (ear[:, 0] - c7[:, 0]) * fwd)
    )
    s["craniovertebral_angle_c7_deg"] = s["craniovertebral_angle_deg"]  # kept for older readers
    s["trunk_flexion_deg"] = _lean(mid_hip, mid_sh, fwd)
    # head forward offset from the 3-D joints (horizontal, along the subject's forward direction)
    off = []
    for sk in skeletons:
        f = sk.frames["pelvis"] @ np.array([0.0, 0.0, 1.0])
        f[1] = 0.0
        f /= np.linalg.norm(f)
        ears = (sk.joints["ear_l"] + sk.joints["ear_r"]) / 2
        shs = (sk.joints["shoulder_l"] + sk.joints["shoulder_r"]) / 2
        off.append(float((ears - shs) @ f) / sk.height_m * 100.0)
    s["head_forward_offset_pct_height"] = np.array(off)
    for side, (h, k, a) in {
        "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
        "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    }.items():
        u, v = g[h] - g[k], g[a] - g[k]
        cosang = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
        s[f"knee_flexion_{side}_deg"] = 180.0 - np.degrees(np.arccos(np.clip(cosang, -1, 1)))
    return s


# which view each metric needs (from issue 4); other views give no truth for it
METRIC_VIEWS: dict[str, tuple[str, ...]] = {
    "pelvic_obliquity_deg": ("front", "back"),
    "shoulder_obliquity_deg": ("front", "back"),
    "shoulder_hip_tilt_difference_deg": ("front", "back"),
    "head_tilt_deg": ("front", "back"),
    "trunk_lateral_lean_deg": ("front", "back"),
    "craniovertebral_angle_deg": ("left_side", "right_side"),
    "ear_shoulder_angle_deg": ("left_side", "right_side"),
    "head_forward_offset_pct_height": ("left_side", "right_side"),
    "trunk_flexion_deg": ("left_side", "right_side"),
    "knee_flexion_left_deg": ("left_side", "right_side"),
    "knee_flexion_right_deg": ("left_side", "right_side"),
}


def posture_truth(
    skeletons: Sequence[Skeleton], camera: Camera, view: str, height_cm: float | None = None
) -> dict[str, dict[str, object]]:
    """``{metric: {value, unit, view_required, iqr}}`` medians over frames; metrics the view cannot
    show are ``{"value": None, "status": "not_assessable"}``."""
    series = frame_series(skeletons, camera)
    out: dict[str, dict[str, object]] = {}
    for key, views in METRIC_VIEWS.items():
        unit = "%" if key.endswith("_pct_height") else "deg"
        if view not in views:
            out[key] = {"value": None, "unit": unit, "status": "not_assessable", "view_required": list(views)}
            continue
        v = series[key]
        q1, q3 = np.percentile(v, [25, 75])
        out[key] = {
            "value": round(float(np.median(v)), 3),
            "unit": unit,
            "iqr": round(float(q3 - q1), 3),
            "status": "ok",
            "view_required": list(views),
        }
    if view in ("front", "back"):
        po = out["pelvic_obliquity_deg"]["value"]
        assert isinstance(po, float)
        out["pelvic_obliquity_deg"]["low_side"] = "right" if po > 0 else "left" if po < 0 else "level"
    if height_cm is not None and view in ("left_side", "right_side"):
        pct = out["head_forward_offset_pct_height"]["value"]
        assert isinstance(pct, float)
        out["head_forward_offset_cm"] = {
            "value": round(pct / 100.0 * height_cm, 3),
            "unit": "cm",
            "status": "ok",
        }
    return out
