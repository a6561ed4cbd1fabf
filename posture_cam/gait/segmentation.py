"""Walking bouts, direction of travel, turns and standing still.

``WalkingBoutDetector`` splits a recording into straight walking bouts. Progression is measured from
the mid-hip: in a side view as its horizontal speed in body heights per second; in a front/back view
(the walker approaches or recedes, so the mid-hip barely moves sideways) as the rate of change of the
log body size in the image (1/s, positive = approaching). A bout is a run of frames progressing in
one direction faster than the threshold for at least ``min_duration_s``; a change of direction ends
a bout (the frames in between are a turn). Standing still: mid-hip and both feet slower than
``standing_max_speed_body_heights_per_s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._signals import central_velocity, nan_moving_mean


@dataclass(frozen=True)
class WalkingBout:
    """Frames ``start:stop`` (positions in the sequence). ``direction`` +1/-1: side view = towards
    image right/left; front/back view = approaching/receding. ``backwards``: facing away from the
    direction of travel."""

    start: int
    stop: int
    direction: int
    view_family: str  # "side" | "frontal"
    backwards: bool = False

    def to_json(self, timestamps_s: np.ndarray, frame_index: np.ndarray) -> dict[str, object]:
        if self.view_family == "side":
            d = "image_right" if self.direction > 0 else "image_left"
        else:
            d = "towards_camera" if self.direction > 0 else "away_from_camera"
        return {
            "start_frame": int(frame_index[self.start]),
            "end_frame": int(frame_index[self.stop - 1]),
            "start_s": round(float(timestamps_s[self.start]), 4),
            "end_s": round(float(timestamps_s[self.stop - 1]), 4),
            "view": self.view_family,
            "direction": d,
            "backwards": bool(self.backwards),
        }


@dataclass(frozen=True)
class SegmentationInput:
    """Per-frame signals: mid-hip (T, 2) px, body height (T,) px, view family (T,), feet (T, 2, 2) px."""

    mid_hip_px: np.ndarray
    body_height_px: np.ndarray
    view_family: np.ndarray
    feet_px: np.ndarray


class WalkingBoutDetector:
    """Find straight walking bouts; results in ``bouts_``, ``standing_``, ``turning_``, ``progression_``."""

    def __init__(
        self,
        *,
        min_speed_body_heights_per_s: float = 0.15,
        min_scale_rate_per_s: float = 0.04,
        min_duration_s: float = 1.0,
        smooth_window_s: float = 0.5,
        standing_max_speed_body_heights_per_s: float = 0.05,
    ) -> None:
        self.min_speed_body_heights_per_s = min_speed_body_heights_per_s
        self.min_scale_rate_per_s = min_scale_rate_per_s
        self.min_duration_s = min_duration_s
        self.smooth_window_s = smooth_window_s
        self.standing_max_speed_body_heights_per_s = standing_max_speed_body_heights_per_s

    def detect(self, data: SegmentationInput, *, sampling_rate_hz: float) -> WalkingBoutDetector:
        win = max(1, int(round(self.smooth_window_s * sampling_rate_hz)))
        prog = _progression(data, sampling_rate_hz, win)
        fam = np.asarray(data.view_family, dtype=object)
        thr = np.where(fam == "side", self.min_speed_body_heights_per_s, self.min_scale_rate_per_s)
        moving = np.isfinite(prog) & (np.abs(prog) > thr) & np.isin(fam, ("side", "frontal"))
        sign = np.where(moving, np.sign(prog), 0).astype(int)
        min_len = int(np.ceil(self.min_duration_s * sampling_rate_hz))
        self.bouts_ = [
            WalkingBout(s, e, d, str(_mode(fam[s:e])))
            for s, e, d in _runs(sign)
            if d != 0 and e - s >= min_len
        ]
        self.progression_ = prog
        self.standing_ = _standing(data, sampling_rate_hz, win, self.standing_max_speed_body_heights_per_s)
        self.turning_ = _turns(self.bouts_, self.standing_, len(prog))
        return self


def _progression(data: SegmentationInput, rate_hz: float, win: int) -> np.ndarray:
    """(T,) signed progression: side = body heights/s along image x; frontal = d ln(size)/dt (1/s)."""
    h = np.asarray(data.body_height_px, dtype=np.float64)
    vx = central_velocity(data.mid_hip_px[:, 0], rate_hz) / h
    with np.errstate(all="ignore"):
        vs = central_velocity(np.log(h), rate_hz)
    fam = np.asarray(data.view_family, dtype=object)
    out = np.where(fam == "side", vx, np.where(fam == "frontal", vs, np.nan))
    return nan_moving_mean(out, win)


def _standing(data: SegmentationInput, rate_hz: float, win: int, max_speed: float) -> np.ndarray:
    h = np.asarray(data.body_height_px, dtype=np.float64)[:, None]
    pts = np.concatenate([data.mid_hip_px[:, None, :], data.feet_px], axis=1)  # (T, 3, 2)
    speed = np.linalg.norm(central_velocity(pts, rate_hz), axis=2) / h
    fast = np.nanmax(np.where(np.isfinite(speed), speed, np.inf), axis=1)
    return nan_moving_mean(fast, win) < max_speed


def _turns(bouts: list[WalkingBout], standing: np.ndarray, n: int) -> np.ndarray:
    """Frames between two bouts of opposite direction that are not standing still."""
    out = np.zeros(n, bool)
    for a, b in zip(bouts[:-1], bouts[1:], strict=True):
        if a.direction != b.direction or a.view_family != b.view_family:
            out[a.stop : b.start] = True
    return out & ~standing


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, stop, value) of runs of equal values."""
    if labels.size == 0:
        return []
    cut = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [labels.size]])
    return [(int(s), int(e), int(labels[s])) for s, e in zip(starts, stops, strict=True)]


def _mode(values: np.ndarray) -> object:
    vals, counts = np.unique(values.astype(str), return_counts=True)
    return vals[np.argmax(counts)]


def segments_json(
    bouts: list[WalkingBout], standing: np.ndarray, turning: np.ndarray, timestamps_s: np.ndarray
) -> list[dict[str, object]]:
    """Time line of ``walking`` / ``turning`` / ``standing`` / ``other`` segments (seconds)."""
    n = len(standing)
    kind = np.full(n, 3, int)  # other
    kind[standing] = 2
    kind[turning] = 1
    for b in bouts:
        kind[b.start : b.stop] = 0
    names = ("walking", "turning", "standing", "other")
    return [
        {
            "start_s": round(float(timestamps_s[s]), 4),
            "end_s": round(float(timestamps_s[e - 1]), 4),
            "kind": names[k],
        }
        for s, e, k in _runs(kind)
    ]
