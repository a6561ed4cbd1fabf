"""Posture metrics: per-frame angles in pixel space, summarised as median / IQR / valid frames.

Every angle is computed on *levelled* image points (camera roll removed, see
:mod:`posture_cam.calibration`) with ``atan2`` and mapped into (-180, 180], so nothing wraps. Signs
(docs/metrics.md has the diagrams):

* frontal plane (front/back view): **positive = the subject's right side lower** (obliquities, head
  tilt) or **leaning to the subject's right** (trunk). The subject's right is found from the landmark
  labels (``x_right - x_left``), so facing the camera or facing away gives the same sign;
* sagittal plane (left/right side view): **positive = forward / flexion**, whichever way the subject
  faces (the facing direction comes from the view label: ``right_side`` faces image right).

:func:`analyze_posture` takes the prepare stage's result (:mod:`posture_cam.prepare`: conditioned
once, views, calibration, segments), computes every series and reports each metric as a
:class:`~posture_cam.measurement.MetricResult` from the segments whose view and activity it needs
(quiet standing in a front/back or side view; the forward bend seen from the side), listing those
segments; it is ``not_assessable`` with a reason when the recording has no such segment or too few
valid frames.
:func:`live_angles` computes a few of the same per-frame angles for one webcam frame.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .calibration import Calibration, Scale, level_points
from .config import Config
from .landmarks import Landmark
from .measurement import FRONTAL_VIEWS, SIDE_VIEWS, MetricResult
from .sequence import PoseSequence
from .signal import gate_visibility
from .view import ViewReport, raw_labels

if TYPE_CHECKING:
    from .prepare import Prepared, Segment

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
    #: per segment of ``prepared.segments`` (same order): {key: value} from that segment's own frames
    segment_metrics: list[dict[str, float]] = field(default_factory=list)
    prepared: Prepared | None = None

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


def _views_in_words(views: tuple[str, ...]) -> str:
    return "front or back" if set(views) <= set(FRONTAL) else "side"


def _segment_summary(prep: Prepared) -> str:
    """Short description of a recording's segments for a not-assessable reason."""
    parts = [
        f"{s.activity} {s.view} {s.start_s:.1f}-{s.end_s:.1f} s"
        for s in prep.segments
        if s.activity != "other"
    ]
    if not parts:
        return "no standing, walking or bending was recognised"
    if len(parts) > 6:
        parts = parts[:6] + [f"... ({len(parts) - 6} more)"]
    return "; ".join(parts)


def _forward_bend(series: Mapping[str, np.ndarray], prep: Prepared, cfg: Config) -> MetricResult:
    """Standing flexion test: peak hip flexion (trunk-thigh, minus the spine's arc) in a forward-bend
    segment seen from the side; the upright trunk length comes from side-view standing frames."""
    unit, req = "deg", SIDE
    segs = prep.segments_of("forward_bend", req)
    if not segs:
        any_bend = prep.segments_of("forward_bend")
        reason = (
            f"the forward bend ({any_bend[0].start_s:.1f}-{any_bend[0].end_s:.1f} s) was filmed in a "
            f"{any_bend[0].view} view; the standing flexion test needs a side view"
            if any_bend
            else "no forward bend filmed in a side view (trunk leaning "
            f"{MIN_FORWARD_BEND_DEG:.0f} deg or more, not walking)"
        )
        return MetricResult.not_assessable(unit, reason, view_required=req)
    frames = np.zeros(prep.n_frames, bool)
    for seg in segs:
        frames[seg.start : seg.stop] = True
    trunk = np.where(frames, series["trunk_flexion_all_frames_deg"], np.nan)
    tt = np.where(frames, series["trunk_thigh_angle_all_frames_deg"], np.nan)
    chord = series["trunk_chord_px"]
    ok = np.isfinite(trunk) & np.isfinite(tt)
    if ok.sum() < 3:
        return MetricResult.not_assessable(
            unit, "too few frames with the trunk and thigh visible in the forward bend", view_required=req
        )
    peak_trunk = float(np.nanmax(trunk[ok]))
    if peak_trunk < MIN_FORWARD_BEND_DEG:
        return MetricResult.not_assessable(
            unit,
            f"no forward bend: trunk flexion peaks at {peak_trunk:.0f} deg (< {MIN_FORWARD_BEND_DEG:.0f})",
            view_required=req,
            n_frames=int(ok.sum()),
        )
    upright_all = series["trunk_flexion_all_frames_deg"]
    upright = (
        np.isin(prep.view.per_frame, SIDE)
        & np.isfinite(upright_all)
        & (np.abs(np.nan_to_num(upright_all, nan=90.0)) <= UPRIGHT_TRUNK_DEG)
        & np.isfinite(chord)
        & ~frames
    )
    i = int(np.flatnonzero(ok)[np.argmax(trunk[ok])])
    chord_peak = float(tt[i])
    spine = None
    if upright.sum() >= 3 and np.isfinite(chord[i]):
        ratio = chord[i] / float(np.median(chord[upright]))
        spine = float(chord_bend_deg(ratio))
    hip = chord_peak - spine / 2 if spine is not None else chord_peak
    knees = [
        series[k][i]
        for k in ("knee_flexion_left_all_frames_deg", "knee_flexion_right_all_frames_deg")
        if np.isfinite(series[k][i])
    ]
    knee_peak = float(np.max(knees)) if knees else None
    extra: dict[str, Any] = {
        "peak_trunk_flexion_deg": round(peak_trunk, 2),
        "peak_trunk_thigh_angle_deg": round(chord_peak, 2),
        "peak_time_s": round(float(prep.seq.timestamps_s[i]), 3),
        "spine_flexion_est_deg": None if spine is None else round(spine, 2),
        "spine_share_pct": None
        if spine is None or hip + spine <= 0
        else round(100 * spine / (hip + spine), 1),
        "knee_flexion_at_peak_deg": None if knee_peak is None else round(knee_peak, 1),
        "segments": [seg.ref() for seg in segs],
        "method": "trunk-thigh angle at peak trunk flexion minus half the spinal arc estimated from trunk "
        "chord shortening (circular-arc model)",
    }
    if knee_peak is not None and knee_peak > MAX_KNEE_FLEXION_BEND_DEG:
        reason = f"knees bent {knee_peak:.0f} deg at the deepest point (test needs straight knees)"
        return MetricResult.not_assessable(unit, reason, view_required=req, n_frames=int(ok.sum()), **extra)
    return MetricResult(hip, unit, None, int(ok.sum()), req, "ok", None, extra)


class _StandingMetrics:
    """Standing metrics from the ``standing`` segments whose view each metric needs (prepare stage)."""

    def __init__(self, prep: Prepared, series: Mapping[str, np.ndarray], cfg: Config) -> None:
        self.prep = prep
        self.series = series
        self.cfg = cfg
        self.frontal_ok = frontal_frames_ok(prep, cfg)

    def eligible(self, required: tuple[str, ...]) -> list[Segment]:
        return self.prep.segments_of("standing", required, self.cfg.posture.segment_min_duration_s)

    def frames(self, segs: list[Segment], required: tuple[str, ...]) -> np.ndarray:
        m = np.zeros(self.prep.n_frames, bool)
        for seg in segs:
            m[seg.start : seg.stop] = True
        if set(required) <= set(FRONTAL):
            m &= self.frontal_ok
        return m

    def reason(self, required: tuple[str, ...], unit: str, key: str, **extra: Any) -> MetricResult:
        """Why no standing segment of the needed view fed ``key``."""
        pc = self.cfg.posture
        want = _views_in_words(required)
        short = self.prep.segments_of("standing", required)
        if short:
            longest = max(short, key=lambda s: s.duration_s)
            why = (
                f"quiet standing in a {want} view lasted only {longest.duration_s:.1f} s "
                f"({longest.start_s:.1f}-{longest.end_s:.1f} s); "
                f"at least {pc.segment_min_duration_s:g} s needed"
            )
        else:
            why = (
                f"no quiet standing in a {want} view (at least {pc.segment_min_duration_s:g} s needed); "
                f"this recording has: {_segment_summary(self.prep)}"
            )
        moving = np.isin(self.prep.view.per_frame, required) & (self.prep.activity != "standing")
        vals = self.series[key][moving] if key in self.series else np.zeros(0)
        vals = vals[np.isfinite(vals)]
        during = _round(float(np.median(vals))) if vals.size >= pc.min_valid_frames else None
        if during is not None:
            extra = {**extra, "context": "movement", "value_during_movement": during}
        return MetricResult.not_assessable(unit, why, view_required=required, n_frames=0, **extra)

    def __call__(self, key: str, required: tuple[str, ...], unit: str = "deg", **extra: Any) -> MetricResult:
        segs = self.eligible(required)
        if not segs:
            return self.reason(required, unit, key, **extra)
        frames = self.frames(segs, required)
        in_segs = self.frames(segs, ())
        turned = int((in_segs & ~frames).sum())
        if turned and frames.sum() < self.cfg.posture.min_valid_frames:
            return MetricResult.not_assessable(
                unit,
                f"the subject was turned more than {self.cfg.posture.frontal_max_yaw_deg:g} deg from the "
                f"camera in {turned} of {int(in_segs.sum())} front/back standing frames; frontal tilts of "
                "a turned body are not comparable (face the camera squarely)",
                view_required=required,
                n_frames=int(frames.sum()),
                segments=[seg.ref() for seg in segs],
                **extra,
            )
        r = MetricResult.from_series(
            np.where(frames, self.series[key], np.nan),
            unit,
            view_required=required,
            min_frames=self.cfg.posture.min_valid_frames,
            **extra,
        )
        return _with_extra(
            r,
            context="quiet_standing",
            quiet_standing_frames=int(frames.sum()),
            segments=[seg.ref() for seg in segs],
            **({"turned_frames_excluded": turned} if turned else {}),
        )

    def per_segment(self) -> list[dict[str, float]]:
        """For every segment of the recording: {key: value} of the standing metrics its own frames give."""
        out: list[dict[str, float]] = []
        for seg in self.prep.segments:
            vals: dict[str, float] = {}
            if (
                seg.activity == "standing"
                and seg.duration_s >= self.cfg.posture.segment_min_duration_s - 1e-9
            ):
                required = FRONTAL if seg.view in FRONTAL else SIDE if seg.view in SIDE else ()
                if required:
                    frames = self.frames([seg], required)
                    for key in SEGMENT_KEYS[required == FRONTAL]:
                        if key not in self.series:
                            continue
                        v = self.series[key][frames]
                        v = v[np.isfinite(v)]
                        if v.size >= self.cfg.posture.min_valid_frames:
                            vals[key] = round(float(np.median(v)), 3)
            out.append(vals)
        return out


#: Metrics listed per segment in result.json (frontal segment keys, side segment keys).
SEGMENT_KEYS: dict[bool, tuple[str, ...]] = {
    True: (
        "pelvic_obliquity_deg",
        "shoulder_obliquity_deg",
        "shoulder_hip_tilt_difference_deg",
        "head_tilt_deg",
        "trunk_lateral_lean_deg",
    ),
    False: (
        "craniovertebral_angle_deg",
        "head_forward_offset_pct_height",
        "trunk_flexion_deg",
        "knee_flexion_left_deg",
        "knee_flexion_right_deg",
        "trunk_thigh_angle_deg",
    ),
}


def frontal_frames_ok(prep: Prepared, cfg: Config) -> np.ndarray:
    """(T,) bool: frames where the subject is square enough to the camera for frontal metrics.

    The view labels already require a frontal view (yaw under ~30 deg); frames turned further than
    ``posture.frontal_max_yaw_deg`` are left out as well: a turned body under a camera above or below
    hip height projects a level pelvis and shoulder line tilted (docs/metrics.md).
    """
    return ~prep.view.turned(cfg.posture.frontal_max_yaw_deg)


def analyze_posture(data: Prepared | PoseSequence, config: Config | None = None) -> PostureReport:
    """Every posture metric, each from the segments of the recording that suit it.

    ``data``: the prepare stage's result (a raw :class:`PoseSequence` is prepared first). Standing
    metrics pool the frames of the ``standing`` segments in their view (front/back or side) that last
    at least ``posture.segment_min_duration_s`` and list those segments in ``extra["segments"]``;
    the standing flexion test reads the ``forward_bend`` segments seen from the side.
    """
    from .prepare import Prepared, prepare

    cfg = config or Config()
    prep = data if isinstance(data, Prepared) else prepare(data, cfg)
    cond, view, cal, xy = prep.seq, prep.view, prep.calibration, prep.xy
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
    for k in (
        "trunk_flexion_deg",
        "trunk_thigh_angle_deg",
        "knee_flexion_left_deg",
        "knee_flexion_right_deg",
    ):
        s[k.replace("_deg", "_all_frames_deg")] = s[k]
    pc = cfg.posture
    standing = _StandingMetrics(prep, s, cfg)
    quiet = prep.activity == "standing"
    tol = pc.level_tolerance_deg
    m: dict[str, MetricResult] = {}

    pel = standing("pelvic_obliquity_deg", FRONTAL)
    frontal_frames = standing.frames(standing.eligible(FRONTAL), FRONTAL)
    # sampled frames only (~2/s): its own minimum, the view share is checked through the hip line
    outl = MetricResult.from_series(
        np.where(frontal_frames, s.get("pelvic_obliquity_outline_deg", np.nan), np.nan),
        "deg",
        view_required=FRONTAL,
        min_frames=OUTLINE_MIN_FRAMES,
        what="frames with the hip outline",
    )
    knee_line = MetricResult.from_series(np.where(frontal_frames, s["knee_line_tilt_deg"], np.nan), "deg")
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
            segments=pel.extra.get("segments"),
            note="EXPERIMENTAL: from the hip outline in the person mask, which follows the pelvis on "
            "rendered test figures (reads ~15 % low there) but is not validated on real people "
            "(docs/metrics.md)",
        )
    else:
        extra_outline: dict[str, Any] = {}
        if cfg.extraction.pelvis_outline:
            if outl.ok and pel.ok and not plausible:
                extra_outline["outline_not_used"] = (
                    f"hip outline read {outl.number:+.1f} deg against the hip line's {pel.number:+.1f} deg: "
                    f"implausible (over {OUTLINE_MAX_ABS_DEG:g} deg, or over "
                    f"{OUTLINE_MAX_DIFF_FROM_HIP_LINE_DEG:g} deg from the hip line), not used"
                )
            else:
                extra_outline["outline_not_used"] = (
                    f"hip outline measured in {outl.n_frames} frames, {OUTLINE_MIN_FRAMES} needed "
                    "(it needs the arms held away from the hips)"
                )
        m["pelvic_obliquity_deg"] = _with_extra(
            pel,
            low_side=_side_word(pel.value, tol),
            method="hip_landmarks",
            knee_line_tilt_deg=_round(knee_line.value),
            note="hip landmarks follow the trunk: under-reports true pelvic obliquity (see docs/metrics.md)",
            **extra_outline,
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
    m["hip_flexion_forward_bend_deg"] = _forward_bend(s, prep, cfg)
    warnings = []
    if cal.roll.source == "none" and cal.roll.reason:
        warnings.append(f"camera roll not estimated ({cal.roll.reason}); tilts assume a level camera")
    if cal.scale.body_height_px is None:
        warnings.append("body height could not be measured; distances in % of height are not assessable")
    if not quiet.any():
        warnings.append(
            "no quiet standing was found (at least "
            f"{pc.quiet_standing_min_duration_s:g} s with the hips still, the feet not stepping and the "
            f"trunk within {pc.quiet_standing_max_trunk_lean_deg:g} deg of vertical): standing posture "
            "is not measured during movement"
        )
    # the per-frame series handed on (rules' duration checks, metrics_timeseries.csv) match the summaries:
    # standing metrics only in the frames that fed them; unrestricted copies are kept for plots
    fed = {
        True: standing.frames(standing.eligible(FRONTAL), FRONTAL),
        False: standing.frames(standing.eligible(SIDE), SIDE),
    }
    out: dict[str, np.ndarray] = {}
    for k, v in s.items():
        if k in STANDING_KEYS:
            frontal_key = k in FRONTAL_STANDING_KEYS
            out[k] = np.where(fed[frontal_key], v, np.nan)
        else:
            out[k] = v
    out["quiet_standing"] = quiet.astype(np.float64)
    return PostureReport(m, out, view, cal, cond, warnings, standing.per_segment(), prep)


#: Series also kept over all frames (``<name>_all_frames_deg``): plots and the forward bend.
UNRESTRICTED_KEYS = (
    "trunk_flexion_deg",
    "trunk_thigh_angle_deg",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
)
FRONTAL_STANDING_KEYS = frozenset(
    {
        "pelvic_obliquity_deg",
        "shoulder_obliquity_deg",
        "shoulder_hip_tilt_difference_deg",
        "head_tilt_deg",
        "trunk_lateral_lean_deg",
        "knee_line_tilt_deg",
    }
)


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
