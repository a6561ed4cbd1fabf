"""Walking bouts, direction of travel, turns and standing still.

``WalkingBoutDetector`` splits a recording into straight walking bouts. Progression is measured from
the mid-hip: in a side view as its horizontal speed in body heights per second; in a front/back view
(the walker approaches or recedes, so the mid-hip barely moves sideways) as the rate of change of the
log body size in the image (1/s, positive = approaching). A bout is a run of frames progressing in
one direction faster than the threshold for at least ``min_duration_s``; a change of direction ends
a bout (the frames in between are a turn). Standing still: mid-hip and both feet slower than
``standing_max_speed_body_heights_per_s``.

Walking WITHOUT travel (a treadmill, a camera that follows the walker, stepping on the spot) has no
progression, so the legs themselves are checked too (:func:`stepping`): the signed foot separation
(side view: horizontal, front/back view: vertical, in body heights) must swing through its running
median at least ``stepping_min_crossings`` times in a ``stepping_window_s`` window with a range of at
least ``stepping_min_range_side`` / ``stepping_min_range_frontal`` body heights. A bout found only this
way takes its direction from the way the subject faces (toes ahead of heels in a side view; front =
towards the camera), must last ``stationary_min_duration_s`` (longer than a turn) and is marked
``stationary``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..config import GaitConfig
from ..errors import InvalidSequenceError
from ..sequence import PoseSequence
from ._signals import body_height_px_per_frame, central_velocity, leg_array, nan_moving_mean, view_family


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
    stationary: bool = False  # the legs walk but the body does not travel (treadmill, following camera)

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
            "stationary": bool(self.stationary),
        }


@dataclass(frozen=True)
class SegmentationInput:
    """Per-frame signals: mid-hip (T, 2) px, body height (T,) px, view family (T,), feet (T, 2, 2) px
    (left, right), and optionally the facing (T,) +1/-1 (0 = unknown): side view +1 = facing image
    right; front/back view +1 = facing the camera."""

    mid_hip_px: np.ndarray
    body_height_px: np.ndarray
    view_family: np.ndarray
    feet_px: np.ndarray
    facing: np.ndarray | None = None


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
        stepping_window_s: float = 2.5,
        stepping_min_crossings: int = 3,
        stepping_min_range_side: float = 0.15,
        stepping_min_range_frontal: float = 0.03,
        stationary_min_duration_s: float = 3.0,
    ) -> None:
        self.min_speed_body_heights_per_s = min_speed_body_heights_per_s
        self.min_scale_rate_per_s = min_scale_rate_per_s
        self.min_duration_s = min_duration_s
        self.smooth_window_s = smooth_window_s
        self.standing_max_speed_body_heights_per_s = standing_max_speed_body_heights_per_s
        self.stepping_window_s = stepping_window_s
        self.stepping_min_crossings = stepping_min_crossings
        self.stepping_min_range_side = stepping_min_range_side
        self.stepping_min_range_frontal = stepping_min_range_frontal
        self.stationary_min_duration_s = stationary_min_duration_s

    def detect(self, data: SegmentationInput, *, sampling_rate_hz: float) -> WalkingBoutDetector:
        win = max(1, int(round(self.smooth_window_s * sampling_rate_hz)))
        prog = _progression(data, sampling_rate_hz, win)
        fam = np.asarray(data.view_family, dtype=object)
        thr = np.where(fam == "side", self.min_speed_body_heights_per_s, self.min_scale_rate_per_s)
        known = np.isin(fam, ("side", "frontal"))
        moving = np.isfinite(prog) & (np.abs(prog) > thr) & known
        sign = np.where(moving, np.sign(prog), 0).astype(int)
        self.standing_ = _standing(data, sampling_rate_hz, win, self.standing_max_speed_body_heights_per_s)
        self.stepping_ = np.zeros(len(prog), bool)
        if data.facing is not None:
            self.stepping_ = stepping(
                data,
                sampling_rate_hz,
                window_s=self.stepping_window_s,
                min_crossings=self.stepping_min_crossings,
                min_range_side=self.stepping_min_range_side,
                min_range_frontal=self.stepping_min_range_frontal,
            )
            # the window needs a few steps on both sides, so it starts late and ends early by up to
            # half a window: grow the runs back by that much, but never into standing still
            half = int(round(0.5 * self.stepping_window_s * sampling_rate_hz))
            grown = _dilate(self.stepping_, half)
            in_place = grown & ~self.standing_ & ~moving & known
            # a turn between two bouts also steps without travelling, but for a second or two; only a
            # longer run counts as walking in place (treadmill, following camera)
            min_in_place = int(np.ceil(self.stationary_min_duration_s * sampling_rate_hz))
            for s, e, v in _runs(in_place.astype(int)):
                if v and e - s < min_in_place:
                    in_place[s:e] = False
            sign = np.where(in_place, np.sign(np.asarray(data.facing)), sign).astype(int)
        min_len = int(np.ceil(self.min_duration_s * sampling_rate_hz))
        self.bouts_ = [
            WalkingBout(s, e, d, str(_mode(fam[s:e])), stationary=not bool(moving[s:e].mean() >= 0.5))
            for s, e, d in _runs(sign)
            if d != 0 and e - s >= min_len
        ]
        self.progression_ = prog
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


def stepping(
    data: SegmentationInput,
    rate_hz: float,
    *,
    window_s: float,
    min_crossings: int,
    min_range_side: float,
    min_range_frontal: float,
) -> np.ndarray:
    """(T,) bool: the legs alternate as in walking, whether or not the body travels.

    The signed foot separation (left minus right; side view: image x, front/back view: image y; in
    body heights) is centred on its running median; a frame is stepping when the centred window of
    ``window_s`` around it holds at least ``min_crossings`` sign changes (one per step) and a 5-95 %
    range of at least ``min_range_side`` / ``min_range_frontal``. A foot held up (single-leg balance)
    changes sign twice at most; standing weight shifts stay below the range.
    """
    fam = np.asarray(data.view_family, dtype=object)
    h = np.asarray(data.body_height_px, dtype=np.float64)
    sep_x = (data.feet_px[:, 0, 0] - data.feet_px[:, 1, 0]) / h
    sep_y = (data.feet_px[:, 0, 1] - data.feet_px[:, 1, 1]) / h
    sep = np.where(fam == "side", sep_x, np.where(fam == "frontal", sep_y, np.nan))
    n = sep.size
    w = max(3, int(round(window_s * rate_hz)) | 1)
    out = np.zeros(n, bool)
    if n < w:
        return out
    half = w // 2
    pad = np.concatenate([np.full(half, np.nan), sep, np.full(half, np.nan)])
    windows = sliding_window_view(pad, w)  # (T, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        centre = np.nanmedian(windows, axis=1)
        lo, hi = np.nanpercentile(windows, [5, 95], axis=1)
    rng = hi - lo
    side_sign = np.sign(windows - centre[:, None])
    valid_pair = (side_sign[:, 1:] != 0) & (side_sign[:, :-1] != 0)
    crossings = ((side_sign[:, 1:] * side_sign[:, :-1] < 0) & valid_pair).sum(axis=1)
    enough_data = np.isfinite(windows).sum(axis=1) >= 0.6 * w
    min_range = np.where(fam == "side", min_range_side, min_range_frontal)
    out = enough_data & (crossings >= min_crossings) & (rng >= min_range)
    return out & np.isin(fam, ("side", "frontal"))


def _dilate(mask: np.ndarray, k: int) -> np.ndarray:
    """Grow every True run of a (T,) bool mask by ``k`` samples on both sides."""
    if k <= 0 or not mask.any():
        return mask.copy()
    pad = np.concatenate([np.zeros(k, bool), mask, np.zeros(k, bool)])
    return sliding_window_view(pad, 2 * k + 1).any(axis=1)


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


@dataclass(frozen=True, eq=False)
class WalkingSegmentation:
    """The walking found in one recording: ``bouts_`` (straight bouts, in time order), ``standing_``
    and ``turning_`` ((T,) bool masks), ``progression_`` ((T,) signed progression, see
    :func:`_progression`) and ``stepping_`` ((T,) bool legs alternating)."""

    bouts_: list[WalkingBout]
    standing_: np.ndarray
    turning_: np.ndarray
    progression_: np.ndarray
    stepping_: np.ndarray


def facing_per_frame(legs: np.ndarray, family: np.ndarray, views: np.ndarray) -> np.ndarray:
    """(T,) +1/-1/0 per frame: side view +1 = facing image right (toes ahead of heels to the right,
    both feet averaged); front/back view +1 = facing the camera; 0 = unknown. ``legs``: (T, 2, 5, 2)
    from :func:`~posture_cam.gait._signals.leg_array`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        toe_ahead = np.nanmean(legs[:, :, 4, 0] - legs[:, :, 3, 0], axis=1)
    side = np.sign(np.nan_to_num(toe_ahead))
    frontal = np.where(views == "front", 1.0, np.where(views == "back", -1.0, 0.0))
    return np.where(family == "side", side, np.where(family == "frontal", frontal, 0.0)).astype(int)


def find_walking(
    seq: PoseSequence,
    views: Sequence[str] | np.ndarray,
    body_height_px: np.ndarray | None,
    cfg: GaitConfig,
    *,
    sampling_rate_hz: float,
) -> WalkingSegmentation:
    """Walking bouts, standing and turning frames of a prepared (leg-swap repaired, conditioned)
    sequence. ``views``: (T,) posture_cam view labels; ``body_height_px``: (T,) per-frame body height
    in pixels (NaN = unknown; None = estimate it here). Raises InvalidSequenceError when the view
    labels or heights do not match the sequence or the rate is not positive."""
    n = seq.n_frames
    v = np.asarray(views, dtype=object)
    if v.shape != (n,):
        raise InvalidSequenceError(f"views: expected shape ({n},), got {v.shape}")
    if not (np.isfinite(sampling_rate_hz) and sampling_rate_hz > 0):
        raise InvalidSequenceError(f"sampling_rate_hz: expected a positive number, got {sampling_rate_hz}")
    if body_height_px is None:
        h = body_height_px_per_frame(seq, smooth_frames=max(3, int(round(sampling_rate_hz))))
    else:
        h = np.asarray(body_height_px, dtype=np.float64)
        if h.shape != (n,):
            raise InvalidSequenceError(f"body_height_px: expected shape ({n},), got {h.shape}")
    if n < 3 or not seq.detected.any():
        z = np.zeros(n, bool)
        return WalkingSegmentation([], z, z.copy(), np.full(n, np.nan), z.copy())
    fam = view_family(v)
    legs = leg_array(seq)
    mid_hip = 0.5 * (legs[:, 0, 0] + legs[:, 1, 0])
    with warnings.catch_warnings():  # frames without foot points stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        feet = np.nanmean(legs[:, :, 2:5], axis=2)
    det = WalkingBoutDetector(
        min_speed_body_heights_per_s=cfg.walking_min_speed_body_heights_per_s,
        min_scale_rate_per_s=cfg.walking_min_scale_rate_per_s,
        min_duration_s=cfg.walking_min_duration_s,
        standing_max_speed_body_heights_per_s=cfg.standing_max_speed_body_heights_per_s,
    ).detect(
        SegmentationInput(mid_hip, h, fam, feet, facing_per_frame(legs, fam, v)),
        sampling_rate_hz=sampling_rate_hz,
    )
    return WalkingSegmentation(det.bouts_, det.standing_, det.turning_, det.progression_, det.stepping_)
