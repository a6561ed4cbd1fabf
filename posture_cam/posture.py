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
import warnings
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

# Annotated as a variable (not a type alias) so mypy accepts name lookups like L["LEFT_HIP"].
L: type[Landmark] = Landmark
FRONTAL = tuple(FRONTAL_VIEWS)
SIDE = tuple(SIDE_VIEWS)
MIN_FORWARD_BEND_DEG = 30.0  # a standing flexion test needs the trunk chord to lean at least this far
MAX_KNEE_FLEXION_BEND_DEG = (
    20.0  # knees bent more than this at the peak: the test was not done straight-legged
)
UPRIGHT_TRUNK_DEG = 15.0  # frames with the trunk within this of vertical give the reference trunk length

# C7 (spinous process, the craniovertebral angle's vertex) relative to BlazePose's shoulder landmark, as
# fractions of body height in the trunk frame (docs/metrics.md, "Craniovertebral angle"):
# up: cervicale height ~0.87 H minus acromion height ~0.82 H (ANSUR adult means, Gordon et al.);
# back: that drop over tan(53 deg), the normative sagittal shoulder-C7 angle (53.1 +- 6.1 deg, n = 194;
# the angle is defined in Singla et al. 2017, J Chiropr Med 16:131).
C7_ABOVE_SHOULDER_FRACTION_HEIGHT = 0.047
C7_BEHIND_SHOULDER_FRACTION_HEIGHT = round(0.047 / math.tan(math.radians(53.0)), 4)  # 0.0354
# hip->shoulder landmark chord / body height on MediaPipe output of the synth renders (0.307-0.318):
# the body-height fallback when the scale calibration found no height
TRUNK_CHORD_FRACTION_HEIGHT = 0.31
# 1-SD error of the estimated-C7 CVA for one person: shoulder-C7 angle SD 6.1 deg (~4.6 deg of CVA),
# ~1 cm SD of the C7-acromion drop (~3 deg), and shoulder/ear landmark placement (~4 deg), in quadrature
CVA_C7_ESTIMATE_ERROR_DEG = 7.0


# ============================================================================ per-frame geometry (pure)
def wrap_deg(a: np.ndarray | float) -> np.ndarray:
    """Map angles (deg) into (-180, 180]."""
    a = np.asarray(a, np.float64)
    return 180.0 - np.mod(180.0 - a, 360.0)


#: The hip-outline obliquity replaces the hip-landmark line when it was measured in at least this
#: many quiet-standing front/back frames (extraction samples ~2 frames/s for it; each measured frame
#: is a valid outline reading with the arms away from the hips).
OUTLINE_MIN_FRAMES = 3
#: Plausibility guards for the (experimental) outline: a standing pelvic obliquity beyond this is
#: not a screening finding but a misread (a 2 cm leg-length difference tilts the pelvis ~4-6 deg) ...
OUTLINE_MAX_ABS_DEG = 10.0
#: ... and the outline may correct the hip line's under-reading, not contradict it wholesale.
OUTLINE_MAX_DIFF_FROM_HIP_LINE_DEG = 8.0


def level_tilt_deg(
    tilt_image_deg: np.ndarray, dx_right_minus_left_px: np.ndarray, roll_deg: float
) -> np.ndarray:
    """A frontal tilt measured in the raw image, with the camera roll removed like :func:`level_points`.

    The tilt (deg, + = subject's right lower) is turned back into the left->right vector
    ``(dx, |dx| tan(tilt))``, rotated by ``roll_deg`` and measured again as :func:`line_tilt_deg` does.
    """
    t = np.radians(np.asarray(tilt_image_deg, np.float64))
    dx = np.asarray(dx_right_minus_left_px, np.float64)
    dy = np.abs(dx) * np.tan(t)
    a = math.radians(roll_deg)
    rx = math.cos(a) * dx - math.sin(a) * dy
    ry = math.sin(a) * dx + math.cos(a) * dy
    return np.degrees(np.arctan2(ry, np.abs(rx)))


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


def craniovertebral_angle_deg(base_xy: np.ndarray, ear_xy: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Angle between the forward horizontal and the base->ear line, deg (base = C7, or the shoulder).

    ``atan2(y_base - y_ear, forward * (x_ear - x_base))``: 90 = ear straight above the base,
    smaller = ear further forward (forward head), > 90 = ear behind it. ``forward`` is +1 when the
    subject faces image right, -1 when facing image left.
    """
    d = np.asarray(ear_xy, np.float64) - np.asarray(base_xy, np.float64)
    return np.degrees(np.arctan2(-d[..., 1], forward * d[..., 0]))


def estimate_c7(
    shoulder_xy: np.ndarray,
    hip_xy: np.ndarray,
    forward: np.ndarray,
    body_height_px: np.ndarray | float,
    *,
    above_fraction: float = C7_ABOVE_SHOULDER_FRACTION_HEIGHT,
    behind_fraction: float = C7_BEHIND_SHOULDER_FRACTION_HEIGHT,
) -> np.ndarray:
    """Estimated C7 spinous process (T, 2) pixels, from the visible shoulder in a side view.

    C7 = shoulder + H * (above * u - behind * p): ``u`` the unit trunk axis (hip -> shoulder), ``p`` its
    perpendicular pointing the way the subject faces (``forward`` +1 = image right, -1 = image left),
    ``H`` the body height in pixels. In upright stance ``u`` is vertical (the plumb line runs through
    hip and shoulder), so the offset is "above_fraction H up, behind_fraction H back"; with a flexed
    trunk the offset turns with the thorax.
    """
    sh = np.asarray(shoulder_xy, np.float64)
    d = sh - np.asarray(hip_xy, np.float64)
    n = np.hypot(d[..., 0], d[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        u = d / np.where(n > 0, n, np.nan)[..., None]
    f = np.asarray(forward, np.float64)
    p = np.stack([-u[..., 1] * f, u[..., 0] * f], axis=-1)  # upright (u = (0, -1)) -> (forward, 0)
    h = np.asarray(body_height_px, np.float64)[..., None]
    return sh + h * (above_fraction * u - behind_fraction * p)


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


def frame_series(
    xy: np.ndarray,
    view: np.ndarray,
    scale: Scale | None = None,
    *,
    c7_above_fraction: float = C7_ABOVE_SHOULDER_FRACTION_HEIGHT,
    c7_behind_fraction: float = C7_BEHIND_SHOULDER_FRACTION_HEIGHT,
) -> dict[str, np.ndarray]:
    """All per-frame posture series from levelled points ``xy`` (T, 33, 2) and per-frame view labels.

    Values are NaN in frames whose view does not suit the metric. The C7 estimate is scaled by the
    calibrated body height, or per frame by the trunk chord / ``TRUNK_CHORD_FRACTION_HEIGHT``.
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
    chord = np.hypot(*(sh - hip).T)
    height_px = (
        np.full(len(xy), float(scale.body_height_px))
        if scale is not None and scale.body_height_px
        else chord / TRUNK_CHORD_FRACTION_HEIGHT
    )
    c7 = estimate_c7(
        sh, hip, fwd, height_px, above_fraction=c7_above_fraction, behind_fraction=c7_behind_fraction
    )
    s["craniovertebral_angle_deg"] = craniovertebral_angle_deg(c7, ear, fwd) * nans
    s["ear_shoulder_angle_deg"] = craniovertebral_angle_deg(sh, ear, fwd) * nans
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
    s["trunk_chord_px"] = chord * nans
    return s


# ============================================================================ quiet standing
# metrics that describe the standing posture: summarised over quiet-standing frames only
STANDING_KEYS = (
    "pelvic_obliquity_deg",
    "shoulder_obliquity_deg",
    "shoulder_hip_tilt_difference_deg",
    "head_tilt_deg",
    "trunk_lateral_lean_deg",
    "knee_line_tilt_deg",
    "craniovertebral_angle_deg",
    "ear_shoulder_angle_deg",
    "head_forward_offset_px",
    "head_forward_offset_pct_height",
    "head_forward_offset_cm",
    "trunk_flexion_deg",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
    "trunk_thigh_angle_deg",
)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a 1-D boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


QUIET_RATE_WINDOW_S = 0.5  # speeds for quiet standing are differences across this window (landmark jitter)


def _windowed_rate(v: np.ndarray, t: np.ndarray, window_s: float) -> np.ndarray:
    """(T, k) rate of change of ``v`` (T, k) per second, from the values ``window_s / 2`` before and after."""
    n = len(t)
    dt = float(np.median(np.diff(t))) if n > 1 else 1.0
    k = max(1, int(round(window_s / 2 / dt)))
    i = np.arange(n)
    lo, hi = np.clip(i - k, 0, n - 1), np.clip(i + k, 0, n - 1)
    span = t[hi] - t[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (v[hi] - v[lo]) / np.where(span > 0, span, np.nan)[:, None]


def quiet_standing_mask(
    xy: np.ndarray,
    timestamps_s: np.ndarray,
    body_height_px: float | None,
    *,
    max_speed_body_heights_per_s: float,
    max_scale_rate_per_s: float,
    max_trunk_lean_deg: float,
    min_duration_s: float,
) -> np.ndarray:
    """(T,) True in frames of quiet standing: the subject stands still with the trunk near upright.

    A frame is still when the hip centre moves slower than ``max_speed_body_heights_per_s`` (image
    plane), the shoulder-to-lowest-foot span changes length slower than ``max_scale_rate_per_s``
    (|d ln length / dt|: walking towards or away from the camera), and the trunk chord
    leans less than ``max_trunk_lean_deg`` from vertical in any direction (no forward bend). Only runs of
    such frames lasting at least ``min_duration_s`` count. Points are the levelled (T, 33, 2) pixels.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames (nobody detected) stay NaN
        return _quiet_standing_mask(
            np.asarray(xy, np.float64),
            np.asarray(timestamps_s, np.float64),
            body_height_px,
            max_speed_body_heights_per_s,
            max_scale_rate_per_s,
            max_trunk_lean_deg,
            min_duration_s,
        )


def _quiet_standing_mask(
    xy: np.ndarray,
    t: np.ndarray,
    body_height_px: float | None,
    max_speed_body_heights_per_s: float,
    max_scale_rate_per_s: float,
    max_trunk_lean_deg: float,
    min_duration_s: float,
) -> np.ndarray:
    hip = np.nanmean(np.stack([xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]]), axis=0)
    sh = np.nanmean(np.stack([xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]]), axis=0)
    feet = [L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL]
    floor_y = np.nanmax(xy[:, feet, 1], axis=1)
    chord = np.hypot(*(sh - hip).T)
    # shoulder-to-floor span (~0.8 H) from the lowest foot point: long, and indifferent to left/right
    # label swaps of the legs in a side view
    size = floor_y - sh[:, 1]
    height = body_height_px or float(np.nanmedian(chord)) / TRUNK_CHORD_FRACTION_HEIGHT
    if len(t) < 2 or not np.isfinite(height) or height <= 0:
        return np.zeros(len(t), bool)
    speed = np.hypot(*_windowed_rate(hip, t, QUIET_RATE_WINDOW_S).T) / height
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_rate = np.abs(_windowed_rate(np.log(size)[:, None], t, QUIET_RATE_WINDOW_S)[:, 0])
    lean = np.abs(lean_from_vertical_deg(hip, sh, np.ones(len(t))))
    still = (speed < max_speed_body_heights_per_s) & (scale_rate < max_scale_rate_per_s)
    still &= lean < max_trunk_lean_deg
    out = np.zeros(len(t), bool)
    for a, b in _runs(still):
        if t[b - 1] - t[a] + (t[1] - t[0]) >= min_duration_s - 1e-9:
            out[a:b] = True
    return out


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
    series: np.ndarray,
    view: ViewReport,
    unit: str,
    required: tuple[str, ...],
    cfg: Config,
    frames: np.ndarray | None = None,
    **extra: Any,
) -> MetricResult:
    """Median/IQR of ``series`` if ``required`` views cover enough of the detected frames.

    ``frames`` (T,) bool restricts both the view share and the values (quiet standing for posture).
    """
    detected = view.per_frame != "unknown"
    sel = detected if frames is None else detected & frames
    n_det = int(sel.sum())
    in_view = int((view.mask(required) & sel).sum())
    share = in_view / n_det if n_det else 0.0
    if frames is not None:
        series = np.where(frames, series, np.nan)
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
    s = frame_series(
        xy,
        view.per_frame,
        cal.scale,
        c7_above_fraction=cfg.posture.c7_above_shoulder_fraction_height,
        c7_behind_fraction=cfg.posture.c7_behind_shoulder_fraction_height,
    )
    if cfg.extraction.pelvis_outline:  # experimental, opt-in: no empty column otherwise
        s["pelvic_obliquity_outline_deg"] = np.where(
            np.isin(view.per_frame, FRONTAL),
            level_tilt_deg(
                cond.pelvis_outline_deg,
                cond.image_px[:, L.RIGHT_HIP, 0] - cond.image_px[:, L.LEFT_HIP, 0],
                cal.roll_deg,
            ),
            np.nan,
        )
    pc = cfg.posture
    quiet = quiet_standing_mask(
        xy,
        cond.timestamps_s,
        cal.scale.body_height_px,
        max_speed_body_heights_per_s=pc.quiet_standing_max_speed_body_heights_per_s,
        max_scale_rate_per_s=pc.quiet_standing_max_scale_rate_per_s,
        max_trunk_lean_deg=pc.quiet_standing_max_trunk_lean_deg,
        min_duration_s=pc.quiet_standing_min_duration_s,
    )
    n_quiet = int(quiet.sum())
    no_quiet_reason = (
        f"no quiet standing (at least {pc.quiet_standing_min_duration_s:g} s with the hips slower than "
        f"{pc.quiet_standing_max_speed_body_heights_per_s:g} body heights/s and the trunk within "
        f"{pc.quiet_standing_max_trunk_lean_deg:g} deg of vertical): the subject moves "
        "(walks or bends) throughout; standing posture is not measured during movement"
    )
    tol = pc.level_tolerance_deg
    m: dict[str, MetricResult] = {}

    def standing(key: str, required: tuple[str, ...], unit: str = "deg", **extra: Any) -> MetricResult:
        """A standing-posture metric from quiet-standing frames only."""
        if n_quiet == 0:
            moving = _summarise(s[key], view, unit, required, cfg, **extra)
            if not moving.ok:  # wrong view or too few frames: that reason comes first
                return moving
            return MetricResult.not_assessable(
                unit,
                no_quiet_reason,
                view_required=required,
                n_frames=0,
                context="movement",
                value_during_movement=_round(moving.value),
                **extra,
            )
        r = _summarise(s[key], view, unit, required, cfg, frames=quiet, **extra)
        return _with_extra(r, context="quiet_standing", quiet_standing_frames=n_quiet)

    pel = standing("pelvic_obliquity_deg", FRONTAL)
    # sampled frames only (~2/s): its own minimum, the view share is checked through the hip line
    outl = MetricResult.from_series(
        np.where(quiet, s.get("pelvic_obliquity_outline_deg", np.nan), np.nan),
        "deg",
        view_required=FRONTAL,
        min_frames=OUTLINE_MIN_FRAMES,
        what="frames with the hip outline",
    )
    knee_line = MetricResult.from_series(np.where(quiet, s["knee_line_tilt_deg"], np.nan), "deg")
    plausible = (
        cfg.extraction.pelvis_outline
        and outl.ok
        and pel.ok
        and abs(outl.number) <= OUTLINE_MAX_ABS_DEG
        and abs(outl.number - pel.number) <= OUTLINE_MAX_DIFF_FROM_HIP_LINE_DEG
    )
    if plausible and outl.n_frames >= OUTLINE_MIN_FRAMES:
        m["pelvic_obliquity_deg"] = _with_extra(
            outl,
            low_side=_side_word(outl.value, tol),
            method="hip_outline",
            hip_landmark_line_deg=_round(pel.value),
            knee_line_tilt_deg=_round(knee_line.value),
            outline_frames=outl.n_frames,
            note="EXPERIMENTAL: from the hip outline in the person mask, which follows the pelvis on "
            "rendered test figures (reads ~15 % low there) but is not validated on real people "
            "(docs/metrics.md)",
        )
    else:
        if not cfg.extraction.pelvis_outline:
            why = "hip outline not used (extraction.pelvis_outline is off: experimental)"
        elif outl.ok and pel.ok and not plausible:
            why = (
                f"hip outline read {outl.number:+.1f} deg against the hip line's {pel.number:+.1f} deg: "
                f"implausible (over {OUTLINE_MAX_ABS_DEG:g} deg, or over "
                f"{OUTLINE_MAX_DIFF_FROM_HIP_LINE_DEG:g} deg from the hip line), not used"
            )
        else:
            why = (
                f"hip outline measured in {outl.n_frames} frames, {OUTLINE_MIN_FRAMES} needed "
                "(it needs the arms held away from the hips)"
            )
        m["pelvic_obliquity_deg"] = _with_extra(
            pel,
            low_side=_side_word(pel.value, tol),
            method="hip_landmarks",
            knee_line_tilt_deg=_round(knee_line.value),
            outline_not_used=why,
            note="hip landmarks follow the trunk: under-reports true pelvic obliquity (see docs/metrics.md)",
        )
    sho = standing("shoulder_obliquity_deg", FRONTAL)
    m["shoulder_obliquity_deg"] = _with_extra(sho, low_side=_side_word(sho.value, tol))
    m["shoulder_hip_tilt_difference_deg"] = standing("shoulder_hip_tilt_difference_deg", FRONTAL)
    head = standing("head_tilt_deg", FRONTAL)
    m["head_tilt_deg"] = _with_extra(head, low_side=_side_word(head.value, tol))
    lean = standing("trunk_lateral_lean_deg", FRONTAL)
    m["trunk_lateral_lean_deg"] = _with_extra(lean, toward=_side_word(lean.value, tol))
    m["craniovertebral_angle_deg"] = standing(
        "craniovertebral_angle_deg",
        SIDE,
        c7_source="anthropometric_estimate",
        c7_offset_fraction_height={
            "above_shoulder": pc.c7_above_shoulder_fraction_height,
            "behind_shoulder": pc.c7_behind_shoulder_fraction_height,
        },
        uncertainty_deg=CVA_C7_ESTIMATE_ERROR_DEG,
        note="C7 estimated from the shoulder landmark with a population-average offset, tragus = ear "
        "landmark; comparable with photogrammetric C7-tragus norms (Lau 2009) only within about "
        f"+-{CVA_C7_ESTIMATE_ERROR_DEG:.0f} deg for one person (docs/metrics.md)",
    )
    m["ear_shoulder_angle_deg"] = standing(
        "ear_shoulder_angle_deg",
        SIDE,
        proxy="shoulder_landmark_to_ear",
        comparable_to_lau_norms=False,
        note="raw landmark angle (shoulder joint region -> ear), ~25-35 deg above a C7-tragus CVA; "
        "track changes within a person, never compare with C7-tragus norms",
    )
    m["head_forward_offset_pct_height"] = standing("head_forward_offset_pct_height", SIDE, "%")
    if cal.scale.px_per_cm:
        m["head_forward_offset_cm"] = standing("head_forward_offset_cm", SIDE, "cm")
    else:
        m["head_forward_offset_cm"] = MetricResult.not_assessable(
            "cm", "subject height not given (calibration.subject_height_cm)", view_required=SIDE
        )
    m["trunk_flexion_deg"] = standing("trunk_flexion_deg", SIDE)
    m["knee_flexion_left_deg"] = standing("knee_flexion_left_deg", SIDE)
    m["knee_flexion_right_deg"] = standing("knee_flexion_right_deg", SIDE)
    m["sagittal_pelvic_tilt_proxy_deg"] = standing(
        "trunk_thigh_angle_deg",
        SIDE,
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
    if n_quiet == 0:
        warnings.append(no_quiet_reason)
    # the per-frame series handed on (rules' duration checks, metrics_timeseries.csv) match the summaries:
    # standing metrics only in quiet-standing frames; the unrestricted trunk flexion is kept for plots
    out = {k: (np.where(quiet, v, np.nan) if k in STANDING_KEYS else v) for k, v in s.items()}
    out["trunk_flexion_all_frames_deg"] = s["trunk_flexion_deg"]
    out["quiet_standing"] = quiet.astype(np.float64)
    return PostureReport(m, out, view, cal, cond, warnings)


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
    "ear_shoulder_angle_deg",
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
