"""Level and scale: camera roll (user, scene verticals, or the feet line), and body-height scale.

Roll convention (same as ``CalibrationConfig.camera_roll_deg``): **positive = camera rotated
clockwise** (as the person holding it sees it). The scene, and a level floor line, then appear rotated
*counter-clockwise* on screen by that angle::

    roll = +3 deg                       image of a level floor (y down)
    camera turned clockwise             right end 3 deg HIGHER than the left end

:func:`level_points` undoes the roll (rotates image points clockwise on screen by ``roll_deg`` about
the frame centre) so every tilt is measured against the true horizontal.

Roll sources, in priority order (``RollEstimate.source``):

1. ``"user"``: ``CalibrationConfig.camera_roll_deg`` (``--roll-deg``);
2. ``"scene"``: the background's vertical lines (:mod:`posture_cam.scene`), read during extraction
   into the sequence's ``scene_roll_*`` channels, used when the summary's confidence is at least
   ``scene_min_confidence``;
3. ``"feet"``: the floor line through the feet (below), ONLY when both feet stand still side by side at
   the same depth (heel-to-heel depth difference within ``feet_max_depth_diff_m`` in MediaPipe's world
   landmarks and within ``feet_max_image_depth_diff_heights`` of the body height in its image depth),
   and never when it differs from a confident scene reading by more than
   ``feet_scene_max_disagreement_deg``, and only up to ``feet_max_roll_deg`` (similar foot heights).
   A staggered stance (one foot ahead) puts the back foot higher
   in the image: on a real clinic clip that read as a 6.2 deg "roll" on a level camera;
4. ``"none"``: 0 (level camera assumed), with the reason.

The floor line: a foot point (heel or foot index) that stays still for at least
``min_foot_still_s`` marks the floor there (median position over the still episode). Frontal view:
both feet standing still AT THE SAME TIME give two heel (and two toe) marks across the body, if
their depths agree. One line with a shared slope (and one intercept per landmark type, since heel and
toe landmarks sit at different heights) is fitted by least squares; it needs marks spread over at
least 8 % of the body height horizontally and a slope within ``max_roll_estimate_deg``, otherwise
the feet line is rejected.

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
from .scene import SceneSummary, summarise
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
    source: str  # "user" | "scene" | "feet" | "none"
    n_marks: int = 0
    span_px: float = 0.0
    reason: str | None = None  # why no roll was estimated (source "none"), or a note on the choice
    scene: SceneSummary | None = None  # the scene reading (also when not used), None when not read
    feet_roll_deg: float | None = None  # what the feet line read, when one could be fitted
    feet_rejected: str | None = None  # why the feet line was not used (None when used or not needed)

    def to_json(self) -> dict[str, Any]:
        sc = self.scene
        return {
            "roll_deg": round(self.roll_deg, 3),
            "roll_source": self.source,
            "n_floor_marks": self.n_marks,
            "floor_span_px": round(self.span_px, 1),
            "roll_reason": self.reason,
            "scene_confidence": None if sc is None else round(sc.confidence, 3),
            "scene_n_lines": None if sc is None else sc.n_lines,
            "scene": None if sc is None else sc.to_json(),
            "feet_roll_deg": None if self.feet_roll_deg is None else round(self.feet_roll_deg, 3),
            "feet_rejected_reason": self.feet_rejected,
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


def _still_masks(seq: PoseSequence, cfg: CalibrationConfig) -> dict[Landmark, np.ndarray] | None:
    h = rough_body_height_px(seq)
    if h is None or seq.n_frames < 2:
        return None
    v_max = cfg.foot_still_speed_heights_per_s * h  # px/s
    out = {}
    for lm in FOOT_POINTS:
        xy = seq.xy(lm).astype(np.float64)
        vel = np.gradient(xy, seq.timestamps_s, axis=0)
        speed = np.hypot(vel[:, 0], vel[:, 1])
        out[lm] = np.isfinite(speed) & (speed <= v_max)
    return out


def side_by_side_marks(
    seq: PoseSequence, cfg: CalibrationConfig
) -> tuple[list[tuple[str, float, float, float]], str | None]:
    """Floor marks from episodes in which BOTH feet stand still at the same time, side by side at the
    same depth; returns (marks, why none when empty).

    Each episode (both heels still for at least ``min_foot_still_s``) gives the median heel and toe
    positions of both feet. It is kept only when the heel-to-heel depth difference is demonstrably
    small: MediaPipe world z within ``feet_max_depth_diff_m`` AND image z within
    ``feet_max_image_depth_diff_heights`` of the body height. Unknown depth is not a demonstration.
    """
    still = _still_masks(seq, cfg)
    if still is None:
        return [], "no feet found"
    fs = sampling_rate_hz(seq.timestamps_s, seq.fps)
    min_len = max(2, int(math.ceil(cfg.min_foot_still_s * fs)))
    both = still[L.LEFT_HEEL] & still[L.RIGHT_HEEL]
    runs = [(a, b) for a, b in finite_runs(both) if b - a >= min_len]
    if not runs:
        return [], "the feet were never both still at the same time"
    h = rough_body_height_px(seq) or float("nan")
    marks: list[tuple[str, float, float, float]] = []
    worst: tuple[float, str] | None = None
    for a, b in runs:
        wz = np.abs(seq.world_m[a:b, L.LEFT_HEEL, 2] - seq.world_m[a:b, L.RIGHT_HEEL, 2])
        iz = np.abs(seq.image_px[a:b, L.LEFT_HEEL, 2] - seq.image_px[a:b, L.RIGHT_HEEL, 2]) / h
        dz_m = float(np.nanmedian(wz)) if np.isfinite(wz).any() else float("nan")
        dz_h = float(np.nanmedian(iz)) if np.isfinite(iz).any() else float("nan")
        if not (math.isfinite(dz_m) and math.isfinite(dz_h)):
            why = "the depth of the feet is unknown (no world landmarks), so side by side is not shown"
        elif dz_m > cfg.feet_max_depth_diff_m:
            why = (
                f"one foot is {dz_m * 100:.0f} cm ahead of the other (heel depth difference > "
                f"{cfg.feet_max_depth_diff_m * 100:.0f} cm): a staggered stance, not a floor line"
            )
        elif dz_h > cfg.feet_max_image_depth_diff_heights:
            why = (
                f"the heels differ in image depth by {dz_h:.0%} of body height (> "
                f"{cfg.feet_max_image_depth_diff_heights:.0%}): a staggered stance, not a floor line"
            )
        else:
            dur = float(seq.timestamps_s[b - 1] - seq.timestamps_s[a])
            for lm in FOOT_POINTS:
                xy = seq.xy(lm)[a:b].astype(np.float64)
                if np.isfinite(xy).all(axis=1).sum() >= max(1, (b - a) // 2):
                    mx, my = np.nanmedian(xy, axis=0)
                    marks.append((_FOOT_TYPE[lm], float(mx), float(my), dur))
            continue
        score = dz_m if math.isfinite(dz_m) else float("inf")
        if worst is None or score >= worst[0]:
            worst = (score, why)
    if marks:
        return marks, None
    return [], (worst[1] if worst else "no side-by-side still episode")


def _feet_roll(seq: PoseSequence, cfg: CalibrationConfig) -> tuple[float | None, int, float, str | None]:
    """The feet line's roll (deg) or None with the reason; also the number of marks and their span."""
    marks, why = side_by_side_marks(seq, cfg)
    if not marks:
        return None, 0, 0.0, why
    fit = fit_floor_angle(marks)
    if fit is None:
        return None, len(marks), 0.0, "not enough still foot positions to mark the floor"
    angle, span = fit
    h = rough_body_height_px(seq) or 0.0
    if span < cfg.min_floor_span_px:
        return (
            None,
            len(marks),
            span,
            f"still feet span only {span:.0f} px (< {cfg.min_floor_span_px:g} px): "
            "too short for a reliable floor line",
        )
    if span < MIN_FLOOR_SPAN_HEIGHTS * h:
        return (
            None,
            len(marks),
            span,
            f"still feet span only {span:.0f} px (< {MIN_FLOOR_SPAN_HEIGHTS:.0%} of body height)",
        )
    if abs(angle) > cfg.max_roll_estimate_deg:
        return (
            None,
            len(marks),
            span,
            f"floor line through the feet tilts {angle:.1f} deg (> "
            f"{cfg.max_roll_estimate_deg:g}): a foot is probably lifted",
        )
    if abs(angle) > cfg.feet_max_roll_deg:
        return (
            None,
            len(marks),
            span,
            f"floor line through the feet tilts {angle:.1f} deg (> {cfg.feet_max_roll_deg:g}): the feet are "
            "not at similar heights, as with one foot ahead of the other; a roll that large is taken only "
            "from the scene or --roll-deg",
        )
    return -angle, len(marks), span, None


def scene_summary(seq: PoseSequence, cfg: CalibrationConfig) -> SceneSummary | None:
    """The scene-roll channels of ``seq`` summarised (None when the recording was not read for them)."""
    if "scene_roll_deg" not in seq.channels:
        return None
    return summarise(seq.channels, min_lines_per_reading=cfg.scene_min_lines)


def estimate_roll(seq: PoseSequence, cfg: CalibrationConfig | None = None) -> RollEstimate:
    """Camera roll: user > scene (confident) > feet line (side by side, agreeing) > none; module docstring."""
    cfg = cfg or CalibrationConfig()
    scene = scene_summary(seq, cfg) if cfg.estimate_roll_from_scene else None
    if cfg.camera_roll_deg is not None:
        if not math.isfinite(cfg.camera_roll_deg) or abs(cfg.camera_roll_deg) > 45:
            raise ConfigError(
                f"calibration.camera_roll_deg must be within +-45 deg, got {cfg.camera_roll_deg}"
            )
        return RollEstimate(float(cfg.camera_roll_deg), "user", scene=scene)
    scene_ok = (
        scene is not None
        and math.isfinite(scene.roll_deg)
        and scene.confidence >= cfg.scene_min_confidence
        and abs(scene.roll_deg) <= 45.0
    )
    feet, n_marks, span, feet_why = (
        _feet_roll(seq, cfg) if cfg.estimate_roll_from_feet else (None, 0, 0.0, "switched off")
    )
    if scene_ok:
        assert scene is not None
        if feet is not None and abs(feet - scene.roll_deg) > cfg.feet_scene_max_disagreement_deg:
            feet_why = (
                f"the feet line reads {feet:+.1f} deg, {abs(feet - scene.roll_deg):.1f} deg from the scene's "
                f"verticals ({scene.roll_deg:+.1f} deg): the feet are probably not side by side"
            )
        elif feet is not None:
            feet_why = "not needed: the scene's verticals were used"
        return RollEstimate(
            scene.roll_deg, "scene", n_marks, span, scene=scene, feet_roll_deg=feet, feet_rejected=feet_why
        )
    if feet is not None:
        note = None
        if scene is not None:
            note = f"scene verticals not confident enough (confidence {scene.confidence:.2f})"
        return RollEstimate(feet, "feet", n_marks, span, note, scene=scene, feet_roll_deg=feet)
    why = []
    if not cfg.estimate_roll_from_scene:
        why.append("scene roll switched off")
    elif scene is None:
        why.append("the scene was not read for this recording (no frames sampled for its lines)")
    else:
        why.append(
            f"too few or disagreeing scene verticals ({scene.n_lines} lines, "
            f"confidence {scene.confidence:.2f})"
        )
    why.append(
        "roll estimation from the feet switched off"
        if not cfg.estimate_roll_from_feet
        else f"feet line not used: {feet_why}"
    )
    return RollEstimate(
        0.0,
        "none",
        n_marks,
        span,
        "level camera assumed: " + "; ".join(why),
        scene=scene,
        feet_rejected=None if not cfg.estimate_roll_from_feet else feet_why,
    )


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
        n_ears = np.isfinite(ears).sum(axis=1)
        ear = np.where(n_ears > 0, np.where(np.isfinite(ears), ears, 0.0).sum(axis=1) / n_ears, np.nan)
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
        """The ``result.json`` ``calibration`` section: the roll, its source ("user" | "scene" | "feet" |
        "none") with the scene's confidence and line count, why the feet line was rejected, the scale."""
        r = self.roll.to_json()
        return {
            "roll_deg": r["roll_deg"],
            "roll_source": r["roll_source"],
            "roll_reason": r["roll_reason"],
            "scene_confidence": r["scene_confidence"],
            "scene_n_lines": r["scene_n_lines"],
            "scene": r["scene"],
            "feet_roll_deg": r["feet_roll_deg"],
            "feet_rejected_reason": r["feet_rejected_reason"],
            "scale": self.scale.to_json(),
        }


def calibrate(seq: PoseSequence, cfg: CalibrationConfig | None = None) -> Calibration:
    """Roll (user, scene, feet or none: :func:`estimate_roll`) and the scale in the levelled frame."""
    cfg = cfg or CalibrationConfig()
    roll = estimate_roll(seq, cfg)
    return Calibration(roll, estimate_scale(seq, roll.roll_deg, cfg.subject_height_cm))
