"""Level and scale: camera roll from the floor line through the still feet, and body-height scale.

Roll convention (same as ``CalibrationConfig.camera_roll_deg``): **positive = camera rotated
clockwise** (as the person holding it sees it). The scene, and a level floor line, then appear rotated
*counter-clockwise* on screen by that angle::

    roll = +3 deg                       image of a level floor (y down)
    camera turned clockwise             right end 3 deg HIGHER than the left end

:func:`level_points` undoes the roll (rotates image points clockwise on screen by ``roll_deg`` about
the frame centre) so every tilt is measured against the true horizontal.

The floor line: a foot point (heel or foot index) that stays still for at least
``min_foot_still_s`` marks the floor there (median position over the still episode). Frontal view:
both feet standing still give two heel (and two toe) marks across the body. Side view: successive
foot contacts while walking give marks along the line of travel. One line with a shared slope (and one
intercept per landmark type, since heel and toe landmarks sit at different heights) is fitted by least
squares; it needs marks spread over at least 8 % of the body height horizontally and a slope within
``max_roll_estimate_deg``, otherwise the roll is reported as not estimated (0, ``roll_source="none"``).

Scale: body height in pixels = (floor - ear height) / ``EAR_HEIGHT_FRACTION`` per levelled frame (the
ear tragus sits at about 92 % of standing height), median over the standing frames. ``px_per_cm`` is
``body_height_px / subject_height_cm`` when the height is given, else ``None`` (distances are then
reported as % of body height).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import CalibrationConfig
from .errors import ConfigError
from .landmarks import Landmark
from .sequence import PoseSequence
from .signal import finite_runs, sampling_rate_hz

L = Landmark
EAR_HEIGHT_FRACTION = 0.92  # tragus height / standing height (adult anthropometry, e.g. Drillis & Contini)
MIN_FLOOR_SPAN_HEIGHTS = 0.08  # floor marks must spread at least this share of body height horizontally
FOOT_POINTS = (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)
_FOOT_TYPE = {L.LEFT_HEEL: "heel", L.RIGHT_HEEL: "heel", L.LEFT_FOOT_INDEX: "toe", L.RIGHT_FOOT_INDEX: "toe"}


def level_points(xy: np.ndarray, roll_deg: float, center: tuple[float, float]) -> np.ndarray:
    """Undo a camera roll: rotate image points ``(..., 2)`` clockwise on screen by ``roll_deg``."""
    xy = np.asarray(xy, np.float64)
    if roll_deg == 0:
        return xy.copy()
    a = math.radians(roll_deg)
    dx = xy[..., 0] - center[0]
    dy = xy[..., 1] - center[1]
    out = xy.copy()
    out[..., 0] = center[0] + math.cos(a) * dx - math.sin(a) * dy
    out[..., 1] = center[1] + math.sin(a) * dx + math.cos(a) * dy
    return out


def frame_center(seq: PoseSequence) -> tuple[float, float]:
    return (seq.frame_size[0] / 2.0, seq.frame_size[1] / 2.0)


def level_sequence_xy(seq: PoseSequence, roll_deg: float) -> np.ndarray:
    """``(T, 33, 2)`` image points of ``seq`` with the camera roll removed."""
    return level_points(seq.image_px[..., :2], roll_deg, frame_center(seq))


@dataclass(frozen=True)
class RollEstimate:
    """Camera roll in degrees (see module docstring) and where it came from."""

    roll_deg: float
    source: str  # "user" | "feet" | "none"
    n_marks: int = 0
    span_px: float = 0.0
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "roll_deg": round(self.roll_deg, 3),
            "roll_source": self.source,
            "n_floor_marks": self.n_marks,
            "floor_span_px": round(self.span_px, 1),
            "roll_reason": self.reason,
        }


@dataclass(frozen=True)
class Scale:
    """Body height in pixels (None when it could not be estimated) and pixels per cm (None without height)."""

    body_height_px: float | None
    px_per_cm: float | None = None
    subject_height_cm: float | None = None
    n_frames: int = 0

    def pct_height(self, distance_px: np.ndarray | float) -> np.ndarray | float:
        """Distance in % of body height (NaN when the height is unknown)."""
        if not self.body_height_px:
            return np.asarray(distance_px, np.float64) * np.nan
        return np.asarray(distance_px, np.float64) / self.body_height_px * 100.0

    def cm(self, distance_px: np.ndarray | float) -> np.ndarray | float:
        """Distance in cm (NaN without a subject height)."""
        if not self.px_per_cm:
            return np.asarray(distance_px, np.float64) * np.nan
        return np.asarray(distance_px, np.float64) / self.px_per_cm

    def to_json(self) -> dict[str, Any]:
        return {
            "body_height_px": None if self.body_height_px is None else round(self.body_height_px, 2),
            "px_per_cm": None if self.px_per_cm is None else round(self.px_per_cm, 4),
        }


def rough_body_height_px(seq: PoseSequence) -> float | None:
    """Median vertical extent of the detected landmarks (a rough scale for thresholds), in pixels."""
    y = seq.image_px[..., 1]
    ok = np.isfinite(y).sum(axis=1) >= 10
    if not ok.any():
        return None
    ext = np.nanmax(y[ok], axis=1) - np.nanmin(y[ok], axis=1)
    return float(np.median(ext)) if np.isfinite(ext).any() else None


def still_foot_marks(seq: PoseSequence, cfg: CalibrationConfig) -> list[tuple[str, float, float, float]]:
    """Floor marks ``[(foot type, x_px, y_px, duration_s)]``: median positions of still foot points."""
    h = rough_body_height_px(seq)
    if h is None or seq.n_frames < 2:
        return []
    fs = sampling_rate_hz(seq.timestamps_s, seq.fps)
    min_len = max(2, int(math.ceil(cfg.min_foot_still_s * fs)))
    v_max = cfg.foot_still_speed_heights_per_s * h  # px/s
    marks = []
    for lm in FOOT_POINTS:
        xy = seq.xy(lm).astype(np.float64)
        vel = np.gradient(xy, seq.timestamps_s, axis=0) if seq.n_frames >= 2 else np.zeros_like(xy)
        speed = np.hypot(vel[:, 0], vel[:, 1])
        still = np.isfinite(speed) & (speed <= v_max)
        for a, b in finite_runs(still):
            if b - a >= min_len:
                mx, my = np.median(xy[a:b], axis=0)
                marks.append(
                    (
                        _FOOT_TYPE[lm],
                        float(mx),
                        float(my),
                        float(seq.timestamps_s[b - 1] - seq.timestamps_s[a]),
                    )
                )
    return marks


def fit_floor_angle(marks: list[tuple[str, float, float, float]]) -> tuple[float, float] | None:
    """Least-squares floor slope shared by all foot types -> (image angle deg, x span px) or None.

    The image angle is ``atan(dy/dx)`` with y down: positive when the line's right end is lower.
    """
    types = sorted({m[0] for m in marks})
    usable = [t for t in types if sum(1 for m in marks if m[0] == t) >= 2]
    rows = [m for m in marks if m[0] in usable]
    if not rows:
        return None
    x = np.array([m[1] for m in rows])
    y = np.array([m[2] for m in rows])
    span = 0.0
    a_cols = [x]
    for t in usable:
        sel = np.array([m[0] == t for m in rows])
        span = max(span, float(np.ptp(x[sel])))
        a_cols.append(sel.astype(np.float64))
    a = np.column_stack(a_cols)
    if np.linalg.matrix_rank(a) < a.shape[1]:
        return None
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return math.degrees(math.atan(coef[0])), span


def estimate_roll(seq: PoseSequence, cfg: CalibrationConfig | None = None) -> RollEstimate:
    """Camera roll from ``cfg.camera_roll_deg`` (user) or from the floor line through the still feet."""
    cfg = cfg or CalibrationConfig()
    if cfg.camera_roll_deg is not None:
        if not math.isfinite(cfg.camera_roll_deg) or abs(cfg.camera_roll_deg) > 45:
            raise ConfigError(
                f"calibration.camera_roll_deg must be within +-45 deg, got {cfg.camera_roll_deg}"
            )
        return RollEstimate(float(cfg.camera_roll_deg), "user")
    if not cfg.estimate_roll_from_feet:
        return RollEstimate(0.0, "none", reason="roll estimation switched off")
    marks = still_foot_marks(seq, cfg)
    fit = fit_floor_angle(marks)
    if fit is None:
        return RollEstimate(
            0.0, "none", len(marks), reason="not enough still foot positions to mark the floor"
        )
    angle, span = fit
    h = rough_body_height_px(seq) or 0.0
    if span < cfg.min_floor_span_px:
        return RollEstimate(
            0.0,
            "none",
            len(marks),
            span,
            reason=f"still feet span only {span:.0f} px (< {cfg.min_floor_span_px:g} px): "
            "too short for a reliable floor line",
        )
    if span < MIN_FLOOR_SPAN_HEIGHTS * h:
        return RollEstimate(
            0.0,
            "none",
            len(marks),
            span,
            reason=f"still feet span only {span:.0f} px (< {MIN_FLOOR_SPAN_HEIGHTS:.0%} of body height)",
        )
    if abs(angle) > cfg.max_roll_estimate_deg:
        return RollEstimate(
            0.0,
            "none",
            len(marks),
            span,
            reason=f"floor line through the feet tilts {angle:.1f} deg (> "
            f"{cfg.max_roll_estimate_deg:g}): a foot is probably lifted",
        )
    return RollEstimate(-angle, "feet", len(marks), span)


def body_height_series_px(seq: PoseSequence, roll_deg: float = 0.0) -> np.ndarray:
    """Per-frame body height estimate in pixels: (lowest foot point - ear height) / EAR_HEIGHT_FRACTION."""
    xy = level_sequence_xy(seq, roll_deg)
    feet = np.stack([xy[:, lm, 1] for lm in FOOT_POINTS], axis=1)
    ears = np.stack([xy[:, L.LEFT_EAR, 1], xy[:, L.RIGHT_EAR, 1]], axis=1)
    with np.errstate(all="ignore"):
        floor = np.where(
            np.isfinite(feet).any(axis=1),
            np.nanmax(np.where(np.isfinite(feet), feet, -np.inf), axis=1),
            np.nan,
        )
        ear = np.nanmean(np.where(np.isfinite(ears), ears, np.nan), axis=1) if ears.size else np.nan
    h = (floor - ear) / EAR_HEIGHT_FRACTION
    return np.where(np.isfinite(h) & (h > 0), h, np.nan)


def estimate_scale(seq: PoseSequence, roll_deg: float = 0.0, subject_height_cm: float | None = None) -> Scale:
    """Body height in px (median over standing frames: those within 10 % of the tallest 90th percentile)."""
    if subject_height_cm is not None and not (50.0 <= subject_height_cm <= 250.0):
        raise ConfigError(f"calibration.subject_height_cm must be within 50-250 cm, got {subject_height_cm}")
    h = body_height_series_px(seq, roll_deg)
    h = h[np.isfinite(h)]
    if h.size == 0:
        return Scale(None, None, subject_height_cm, 0)
    tall = np.percentile(h, 90)
    standing = h[h >= 0.9 * tall]
    body = float(np.median(standing))
    return Scale(
        body, body / subject_height_cm if subject_height_cm else None, subject_height_cm, int(standing.size)
    )


@dataclass(frozen=True)
class Calibration:
    roll: RollEstimate
    scale: Scale

    @property
    def roll_deg(self) -> float:
        return self.roll.roll_deg

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` ``calibration`` section."""
        return {
            "roll_deg": round(self.roll.roll_deg, 3),
            "roll_source": self.roll.source,
            "roll_reason": self.roll.reason,
            "scale": self.scale.to_json(),
        }


def calibrate(seq: PoseSequence, cfg: CalibrationConfig | None = None) -> Calibration:
    """Roll (user-given or from the feet) and the scale measured in the levelled frame."""
    cfg = cfg or CalibrationConfig()
    roll = estimate_roll(seq, cfg)
    return Calibration(roll, estimate_scale(seq, roll.roll_deg, cfg.subject_height_cm))
