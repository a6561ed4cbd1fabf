"""The metric keys of ``result.json`` (docs/ARCHITECTURE.md), in one light module.

Producers (:mod:`posture_cam.posture`, :mod:`posture_cam.gait`) and consumers (the rules engine,
``posture-cam explain``, the report) all read these tuples, so a key cannot be renamed in one place
and silently missed in another (tests check that the producers emit exactly these keys). Importing
this module pulls in nothing heavy (no scipy, no mediapipe).
"""

from __future__ import annotations

from .measurement import FRONTAL_VIEWS, SIDE_VIEWS

WALK_VIEWS = SIDE_VIEWS + FRONTAL_VIEWS

#: ``result["metrics"]``: posture metrics, always present (``status`` says whether assessed).
POSTURE_METRIC_KEYS: tuple[str, ...] = (
    "pelvic_obliquity_deg",
    "shoulder_obliquity_deg",
    "shoulder_hip_tilt_difference_deg",
    "head_tilt_deg",
    "trunk_lateral_lean_deg",
    "craniovertebral_angle_deg",
    "ear_shoulder_angle_deg",  # the raw proxy behind the CVA (docs/metrics.md), never compared with norms
    "head_forward_offset_pct_height",
    "head_forward_offset_cm",
    "trunk_flexion_deg",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
    "sagittal_pelvic_tilt_proxy_deg",
    "hip_flexion_forward_bend_deg",
)

#: ``result["gait"]["metrics"]``: (key, unit, views it needs), always present, in this order.
GAIT_METRICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cadence_steps_per_min", "steps/min", WALK_VIEWS),
    ("stride_time_s", "s", WALK_VIEWS),
    ("step_time_left_s", "s", WALK_VIEWS),
    ("step_time_right_s", "s", WALK_VIEWS),
    ("step_time_si_pct", "%", WALK_VIEWS),
    ("stance_time_left_s", "s", WALK_VIEWS),
    ("stance_time_right_s", "s", WALK_VIEWS),
    ("stance_time_si_pct", "%", WALK_VIEWS),
    ("swing_time_left_s", "s", WALK_VIEWS),
    ("swing_time_right_s", "s", WALK_VIEWS),
    ("swing_time_si_pct", "%", WALK_VIEWS),
    ("double_support_pct", "%", WALK_VIEWS),
    ("step_length_left_pct_height", "% height", SIDE_VIEWS),
    ("step_length_right_pct_height", "% height", SIDE_VIEWS),
    ("step_length_si_pct", "%", SIDE_VIEWS),
    ("limp_index", "%", WALK_VIEWS),
    ("gait_speed_m_per_s", "m/s", SIDE_VIEWS),
    ("pelvic_drop_left_stance_deg", "deg", FRONTAL_VIEWS),
    ("pelvic_drop_right_stance_deg", "deg", FRONTAL_VIEWS),
    ("trunk_lean_left_stance_deg", "deg", FRONTAL_VIEWS),
    ("trunk_lean_right_stance_deg", "deg", FRONTAL_VIEWS),
    ("trunk_lateral_sway_deg", "deg", FRONTAL_VIEWS),
    # clinical measures of slow and pathological gait (posture_cam.gait.measures, docs/gait.md 4b)
    ("step_time_cv_pct", "%", WALK_VIEWS),
    ("step_length_pct_height", "% height", SIDE_VIEWS),
    ("step_length_m", "m", SIDE_VIEWS),
    ("base_width_pct_height", "% height", FRONTAL_VIEWS),
    ("trunk_flexion_walking_deg", "deg", SIDE_VIEWS),
    ("arm_swing_left_deg", "deg", SIDE_VIEWS),
    ("arm_swing_right_deg", "deg", SIDE_VIEWS),
    ("arm_swing_si_pct", "%", SIDE_VIEWS),
    ("foot_clearance_pct_height", "% height", SIDE_VIEWS),
)
GAIT_METRIC_KEYS: tuple[str, ...] = tuple(k for k, _, _ in GAIT_METRICS)

#: Dotted paths into result.json that rules may reference.
KNOWN_METRIC_PATHS: tuple[str, ...] = tuple(f"metrics.{k}" for k in POSTURE_METRIC_KEYS) + tuple(
    f"gait.metrics.{k}" for k in GAIT_METRIC_KEYS
)
