"""Posture metrics: per-frame angles in pixel space, summarised as median / IQR / valid frames.

Every angle is computed on *levelled* image points (camera roll removed, see
:mod:`posture_cam.calibration`) with ``atan2`` and mapped into (-180, 180], so nothing wraps. Signs
(docs/metrics.md has the diagrams):

* frontal plane (front/back view): **positive = the subject's right side lower** (obliquities, head
  tilt) or **leaning to the subject's right** (trunk). The subject's right is found from the landmark
  labels (``x_right - x_left``), so facing the camera or facing away gives the same sign;
* sagittal plane (left/right side view): **positive = forward / flexion**, whichever way the subject
  faces (the facing direction comes from the view label: ``right_side`` faces image right).

:func:`analyze_posture` conditions the sequence once (unless already conditioned), classifies views,
calibrates roll and scale, computes every series and reports each metric as a
:class:`~posture_cam.measurement.MetricResult` that states its required view and is
``not_assessable`` with a reason in the wrong view or with too few valid frames.
:func:`live_angles` computes a few of the same per-frame angles for one webcam frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import Calibration, Scale, calibrate, level_points
from .config import Config
from .landmarks import Landmark
from .measurement import FRONTAL_VIEWS, SIDE_VIEWS, MetricResult
from .sequence import PoseSequence
from .signal import condition, gate_visibility
from .view import ViewReport, classify_views, raw_labels

L = Landmark
FRONTAL = tuple(FRONTAL_VIEWS)
SIDE = tuple(SIDE_VIEWS)
MIN_FORWARD_BEND_DEG = 30.0  # a standing flexion test needs the trunk chord to lean at least this far
MAX_KNEE_FLEXION_BEND_DEG = (
    20.0  # knees bent more than this at the peak: the test was not done straight-legged
)
UPRIGHT_TRUNK_DEG = 15.0  # frames with the trunk within this of vertical give the reference trunk length


# ============================================================================ per-frame geometry (pure)
def wrap_deg(a: np.ndarray | float) -> np.ndarray:
    """Map angles (deg) into (-180, 180]."""
    a = np.asarray(a, np.float64)
    return 180.0 - np.mod(180.0 - a, 360.0)


def line_tilt_deg(left_xy: np.ndarray, right_xy: np.ndarray) -> np.ndarray:
    """Frontal tilt of the left->right line vs horizontal, deg: + = the subject's RIGHT point lower.

    ``atan2(y_right - y_left, |x_right - x_left|)`` with y down, in (-90, 90]; independent of which way
    the subject faces.
    """
    d = np.asarray(right_xy, np.float64) - np.asarray(left_xy, np.float64)
    return np.degrees(np.arctan2(d[..., 1], np.abs(d[..., 0])))


def subject_right_sign(seq_xy: np.ndarray) -> np.ndarray:
    """(T,) +1 where the subject's right is image right (back view), -1 where image left (front view)."""
    d = (seq_xy[:, L.RIGHT_SHOULDER, 0] - seq_xy[:, L.LEFT_SHOULDER, 0]) + (
        seq_xy[:, L.RIGHT_HIP, 0] - seq_xy[:, L.LEFT_HIP, 0]
    )
    return np.where(np.isfinite(d), np.where(d >= 0, 1.0, -1.0), np.nan)


def lean_from_vertical_deg(base_xy: np.ndarray, top_xy: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Angle of the base->top line from vertical, deg, + towards ``direction`` (+1 = image right, -1 = left).

    ``atan2(direction * (x_top - x_base), y_base - y_top)``: 0 = straight up, 90 = horizontal, in (-180, 180].
    """
    d = np.asarray(top_xy, np.float64) - np.asarray(base_xy, np.float64)
    return np.degrees(np.arctan2(direction * d[..., 0], -d[..., 1]))


def craniovertebral_angle_deg(shoulder_xy: np.ndarray, ear_xy: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Angle between the horizontal and the shoulder->ear line, measured from the forward horizontal.

    ``atan2(y_shoulder - y_ear, forward * (x_ear - x_shoulder))``: 90 = ear straight above the shoulder,
    smaller = ear further forward (forward head), > 90 = ear behind the shoulder. ``forward`` is +1 when
    the subject faces image right, -1 when facing image left.
    """
    d = np.asarray(ear_xy, np.float64) - np.asarray(shoulder_xy, np.float64)
    return np.degrees(np.arctan2(-d[..., 1], forward * d[..., 0]))


def knee_flexion_deg(
    hip_xy: np.ndarray, knee_xy: np.ndarray, ankle_xy: np.ndarray, forward: np.ndarray
) -> np.ndarray:
    """Sagittal knee flexion, deg: 0 = straight, + = flexed (knee ahead of hip-ankle), - = hyperextended."""
    v1 = np.asarray(knee_xy, np.float64) - hip_xy
    v2 = np.asarray(ankle_xy, np.float64) - knee_xy
    cross = v1[..., 0] * v2[..., 1] - v1[..., 1] * v2[..., 0]
    dot = (v1 * v2).sum(axis=-1)
    return forward * np.degrees(np.arctan2(cross, dot))


def trunk_thigh_angle_deg(
    shoulder_xy: np.ndarray, hip_xy: np.ndarray, knee_xy: np.ndarray, forward: np.ndarray
) -> np.ndarray:
    """Sagittal hip angle between the thigh (knee->hip) and the trunk chord (hip->shoulder), deg.

    0 = shoulder, hip and knee in line; + = trunk flexed relative to the thigh (hip flexion);
    - = hip extended (hips pushed forward of the shoulder-knee line).
    """
    trunk = lean_from_vertical_deg(hip_xy, shoulder_xy, forward)
    thigh = lean_from_vertical_deg(knee_xy, hip_xy, forward)
    return wrap_deg(trunk - thigh)


def chord_bend_deg(ratio: np.ndarray) -> np.ndarray:
    """Total bend (deg) of a circular arc whose chord is ``ratio`` x its length (ratio clipped to [0.64, 1]).

    Inverts ``ratio = sin(phi/2) / (phi/2)`` for phi in [0, 180] deg.
    """
    u = np.linspace(0.0, math.pi / 2, 2001)
    sinc = np.ones_like(u)
    sinc[1:] = np.sin(u[1:]) / u[1:]
    r = np.clip(np.asarray(ratio, np.float64), sinc[-1], 1.0)
    half = np.interp(-r, -sinc, u)  # sinc decreasing in u
    out = np.degrees(2 * half)
    return np.where(np.isfinite(np.asarray(ratio, np.float64)), out, np.nan)


# ============================================================================ frame series of a sequence
def _forward_sign(view: np.ndarray) -> np.ndarray:
    """+1 facing image right (right_side), -1 facing image left (left_side), NaN otherwise."""
    return np.where(view == "right_side", 1.0, np.where(view == "left_side", -1.0, np.nan))


def _visible_side(xy: np.ndarray, view: np.ndarray, left: Landmark, right: Landmark) -> np.ndarray:
    """(T, 2): the landmark of the side the camera sees (falls back to the other side if it is missing)."""
    near = np.where((view == "left_side")[:, None], xy[:, left], xy[:, right])
    far = np.where((view == "left_side")[:, None], xy[:, right], xy[:, left])
    return np.where(np.isfinite(near), near, far)


def frame_series(xy: np.ndarray, view: np.ndarray, scale: Scale | None = None) -> dict[str, np.ndarray]:
    """All per-frame posture series from levelled points ``xy`` (T, 33, 2) and per-frame view labels.

    Values are NaN in frames whose view does not suit the metric.
    """
    xy = np.asarray(xy, np.float64)
    front = np.isin(view, FRONTAL)
    side = np.isin(view, SIDE)
    nanf = np.where(front, 1.0, np.nan)
    nans = np.where(side, 1.0, np.nan)
    s: dict[str, np.ndarray] = {}
    pelvis = line_tilt_deg(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP])
    shoulders = line_tilt_deg(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER])
    ears = line_tilt_deg(xy[:, L.LEFT_EAR], xy[:, L.RIGHT_EAR])
    eyes = line_tilt_deg(xy[:, L.LEFT_EYE_OUTER], xy[:, L.RIGHT_EYE_OUTER])
    s["pelvic_obliquity_deg"] = pelvis * nanf
    s["shoulder_obliquity_deg"] = shoulders * nanf
    s["shoulder_hip_tilt_difference_deg"] = wrap_deg(shoulders - pelvis) * nanf
    s["head_tilt_deg"] = np.where(np.isfinite(ears), ears, eyes) * nanf
    right = subject_right_sign(xy)
    hip_mid = 0.5 * (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP])
    sh_mid = 0.5 * (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER])
    s["trunk_lateral_lean_deg"] = lean_from_vertical_deg(hip_mid, sh_mid, right) * nanf
    s["knee_line_tilt_deg"] = line_tilt_deg(xy[:, L.LEFT_KNEE], xy[:, L.RIGHT_KNEE]) * nanf
    s["ankle_line_tilt_deg"] = line_tilt_deg(xy[:, L.LEFT_ANKLE], xy[:, L.RIGHT_ANKLE]) * nanf

    fwd = _forward_sign(view)
    ear = _visible_side(xy, view, L.LEFT_EAR, L.RIGHT_EAR)
    sh = _visible_side(xy, view, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hip = _visible_side(xy, view, L.LEFT_HIP, L.RIGHT_HIP)
    knee = _visible_side(xy, view, L.LEFT_KNEE, L.RIGHT_KNEE)
    s["craniovertebral_angle_deg"] = craniovertebral_angle_deg(sh, ear, fwd) * nans
    offset_px = fwd * (ear[:, 0] - sh[:, 0]) * nans
    s["head_forward_offset_px"] = offset_px
    if scale is not None:
        s["head_forward_offset_pct_height"] = np.asarray(scale.pct_height(offset_px), np.float64)
        s["head_forward_offset_cm"] = np.asarray(scale.cm(offset_px), np.float64)
    s["trunk_flexion_deg"] = lean_from_vertical_deg(hip, sh, fwd) * nans
    for name in ("LEFT", "RIGHT"):
        s[f"knee_flexion_{name.lower()}_deg"] = (
            knee_flexion_deg(
                xy[:, L[f"{name}_HIP"]], xy[:, L[f"{name}_KNEE"]], xy[:, L[f"{name}_ANKLE"]], fwd
            )
            * nans
        )
    s["trunk_thigh_angle_deg"] = trunk_thigh_angle_deg(sh, hip, knee, fwd) * nans
    s["trunk_chord_px"] = np.hypot(*(sh - hip).T) * nans
    return s


# ============================================================================ report
@dataclass(frozen=True, eq=False)
class PostureReport:
    metrics: dict[str, MetricResult]
    series: dict[str, np.ndarray]
    view: ViewReport
    calibration: Calibration
    conditioned: PoseSequence
    warnings: list[str] = field(default_factory=list)

    @property
    def roll_deg(self) -> float:
        return self.calibration.roll_deg

    @property
    def scale(self) -> Scale:
        return self.calibration.scale

    def to_json(self) -> dict[str, Any]:
        """``{"view": ..., "calibration": ..., "metrics": ..., "warnings": [...]}`` for result.json."""
        return {
            "view": self.view.to_json(),
            "calibration": self.calibration.to_json(),
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "warnings": list(self.warnings),
        }


def _side_word(value: float | None, tol: float) -> str | None:
    if value is None:
        return None
    return "level" if abs(value) < tol else ("right" if value > 0 else "left")


def _summarise(
    series: np.ndarray, view: ViewReport, unit: str, required: tuple[str, ...], cfg: Config, **extra: Any
) -> MetricResult:
    detected = view.per_frame != "unknown"
    n_det = int(detected.sum())
    in_view = int(view.mask(required).sum())
    share = in_view / n_det if n_det else 0.0
    if n_det == 0:
        return MetricResult.not_assessable(
            unit, "no frames with the subject", view_required=required, **extra
        )
    if share < cfg.posture.min_view_fraction:
        return MetricResult.not_assessable(
            unit,
            f"needs a {' or '.join(required)} view in at least "
            f"{cfg.posture.min_view_fraction:.0%} of frames; "
            f"this recording is {share:.0%} {'/'.join(required)} (mostly {view.dominant})",
            view_required=required,
            n_frames=int(np.isfinite(series).sum()),
            **extra,
        )
    return MetricResult.from_series(
        series, unit, view_required=required, min_frames=cfg.posture.min_valid_frames, **extra
    )


def _forward_bend(series: Mapping[str, np.ndarray], view: ViewReport, cfg: Config) -> MetricResult:
    """Standing flexion test: peak hip flexion (trunk-thigh, minus the spine's arc) vs trunk flexion."""
    unit, req = "deg", SIDE
    base = _summarise(series["trunk_thigh_angle_deg"], view, unit, req, cfg)
    if not base.ok:
        return base
    trunk = series["trunk_flexion_deg"]
    tt = series["trunk_thigh_angle_deg"]
    chord = series["trunk_chord_px"]
    ok = np.isfinite(trunk) & np.isfinite(tt)
    peak_trunk = float(np.nanmax(trunk[ok]))
    if peak_trunk < MIN_FORWARD_BEND_DEG:
        return MetricResult.not_assessable(
            unit,
            f"no forward bend: trunk flexion peaks at {peak_trunk:.0f} deg (< {MIN_FORWARD_BEND_DEG:.0f})",
            view_required=req,
            n_frames=int(ok.sum()),
        )
    upright = ok & (np.abs(trunk) <= UPRIGHT_TRUNK_DEG) & np.isfinite(chord)
    i = int(np.flatnonzero(ok)[np.argmax(trunk[ok])])
    chord_peak = float(tt[i])
    spine = None
    if upright.sum() >= 3 and np.isfinite(chord[i]):
        ratio = chord[i] / float(np.median(chord[upright]))
        spine = float(chord_bend_deg(ratio))
    hip = chord_peak - spine / 2 if spine is not None else chord_peak
    knees = [
        series[k][i] for k in ("knee_flexion_left_deg", "knee_flexion_right_deg") if np.isfinite(series[k][i])
    ]
    knee_peak = float(np.max(knees)) if knees else None
    extra: dict[str, Any] = {
        "peak_trunk_flexion_deg": round(peak_trunk, 2),
        "peak_trunk_thigh_angle_deg": round(chord_peak, 2),
        "spine_flexion_est_deg": None if spine is None else round(spine, 2),
        "spine_share_pct": None
        if spine is None or hip + spine <= 0
        else round(100 * spine / (hip + spine), 1),
        "knee_flexion_at_peak_deg": None if knee_peak is None else round(knee_peak, 1),
        "method": "trunk-thigh angle at peak trunk flexion minus half the spinal arc estimated from trunk "
        "chord shortening (circular-arc model)",
    }
    reason = None
    if knee_peak is not None and knee_peak > MAX_KNEE_FLEXION_BEND_DEG:
        reason = f"knees bent {knee_peak:.0f} deg at the deepest point (test needs straight knees)"
        return MetricResult.not_assessable(unit, reason, view_required=req, n_frames=int(ok.sum()), **extra)
    return MetricResult(hip, unit, None, int(ok.sum()), req, "ok", None, extra)


def analyze_posture(seq: PoseSequence, config: Config | None = None) -> PostureReport:
    """Condition (once), classify views, calibrate, and compute every posture metric of issue 4."""
    cfg = config or Config()
    cond = condition(seq, cfg.filter)
    view = classify_views(cond, cfg.posture)
    cal = calibrate(cond, cfg.calibration)
    xy = level_points(cond.image_px[..., :2], cal.roll_deg, (cond.frame_size[0] / 2, cond.frame_size[1] / 2))
    s = frame_series(xy, view.per_frame, cal.scale)
    tol = cfg.posture.level_tolerance_deg
    m: dict[str, MetricResult] = {}

    def frontal(key: str, **extra: Any) -> MetricResult:
        r = _summarise(s[key], view, "deg", FRONTAL, cfg, **extra)
        return r

    pel = frontal("pelvic_obliquity_deg")
    knee_line = MetricResult.from_series(s["knee_line_tilt_deg"], "deg")
    m["pelvic_obliquity_deg"] = _with_extra(
        pel,
        low_side=_side_word(pel.value, tol),
        knee_line_tilt_deg=_round(knee_line.value),
        note="hip landmarks follow the trunk: under-reports true pelvic obliquity (see docs/metrics.md)",
    )
    sho = frontal("shoulder_obliquity_deg")
    m["shoulder_obliquity_deg"] = _with_extra(sho, low_side=_side_word(sho.value, tol))
    m["shoulder_hip_tilt_difference_deg"] = frontal("shoulder_hip_tilt_difference_deg")
    head = frontal("head_tilt_deg")
    m["head_tilt_deg"] = _with_extra(head, low_side=_side_word(head.value, tol))
    lean = frontal("trunk_lateral_lean_deg")
    m["trunk_lateral_lean_deg"] = _with_extra(lean, toward=_side_word(lean.value, tol))
    m["craniovertebral_angle_deg"] = _summarise(s["craniovertebral_angle_deg"], view, "deg", SIDE, cfg)
    m["head_forward_offset_pct_height"] = _summarise(
        s["head_forward_offset_pct_height"], view, "%", SIDE, cfg
    )
    if cal.scale.px_per_cm:
        m["head_forward_offset_cm"] = _summarise(s["head_forward_offset_cm"], view, "cm", SIDE, cfg)
    else:
        m["head_forward_offset_cm"] = MetricResult.not_assessable(
            "cm", "subject height not given (calibration.subject_height_cm)", view_required=SIDE
        )
    m["trunk_flexion_deg"] = _summarise(s["trunk_flexion_deg"], view, "deg", SIDE, cfg)
    m["knee_flexion_left_deg"] = _summarise(s["knee_flexion_left_deg"], view, "deg", SIDE, cfg)
    m["knee_flexion_right_deg"] = _summarise(s["knee_flexion_right_deg"], view, "deg", SIDE, cfg)
    m["sagittal_pelvic_tilt_proxy_deg"] = _with_extra(
        _summarise(s["trunk_thigh_angle_deg"], view, "deg", SIDE, cfg),
        proxy="trunk_thigh_angle",
        comparable_to_asis_psis_norms=False,
        note="angle between thigh (knee->hip) and trunk chord (hip->shoulder); + = hips flexed, "
        "- = hips pushed forward (sway-back pattern). Not a pelvic tilt: no pelvis landmarks exist",
    )
    m["hip_flexion_forward_bend_deg"] = _forward_bend(s, view, cfg)
    warnings = []
    if cal.roll.source == "none" and cal.roll.reason:
        warnings.append(f"camera roll not estimated ({cal.roll.reason}); tilts assume a level camera")
    if cal.scale.body_height_px is None:
        warnings.append("body height could not be measured; distances in % of height are not assessable")
    return PostureReport(m, s, view, cal, cond, warnings)


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 3)


def _with_extra(r: MetricResult, **extra: Any) -> MetricResult:
    return MetricResult(
        r.value, r.unit, r.iqr, r.n_frames, r.view_required, r.status, r.reason, {**dict(r.extra), **extra}
    )


# ============================================================================ live
LIVE_KEYS = (
    "shoulder_obliquity_deg",
    "pelvic_obliquity_deg",
    "head_tilt_deg",
    "trunk_lateral_lean_deg",
    "craniovertebral_angle_deg",
    "trunk_flexion_deg",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
)


def live_angles(
    landmarks_px: np.ndarray,
    visibility: np.ndarray,
    *,
    frame_size: tuple[int, int],
    view: str | None = None,
    roll_deg: float = 0.0,
    visibility_threshold: float = 0.5,
) -> dict[str, float | str | None]:
    """Key angles of ONE frame for the webcam overlay (same per-frame functions as the offline metrics).

    ``landmarks_px`` (33, 2 or 3) pixels, ``visibility`` (33,). ``view`` defaults to this frame's own
    unsmoothed label. Returns ``{"view": label, key: deg or None}``; a metric that does not suit the view
    or lacks landmarks is ``None``. Smooth the landmarks first (``signal.LiveConditioner``).
    """
    pts = np.asarray(landmarks_px, np.float64)
    if pts.shape[0] != 33 or pts.ndim != 2:
        raise ValueError(f"live_angles: expected landmarks of shape (33, 2|3), got {pts.shape}")
    gated = gate_visibility(pts[None, :, :2], np.asarray(visibility, np.float64)[None], visibility_threshold)
    if view is None:
        one = PoseSequence.from_image_points(gated, fps=30.0, frame_size=frame_size)
        view = str(raw_labels(one)[0][0])
    xy = level_points(gated, roll_deg, (frame_size[0] / 2, frame_size[1] / 2))
    s = frame_series(xy, np.array([view]))
    out: dict[str, float | str | None] = {"view": view}
    for k in LIVE_KEYS:
        v = float(s[k][0])
        out[k] = round(v, 2) if math.isfinite(v) else None
    return out
