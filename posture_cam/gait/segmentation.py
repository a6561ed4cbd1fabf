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

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..config import GaitConfig
from ..errors import InvalidSequenceError
from ..sequence import PoseSequence
from ._signals import (
    body_height_px_per_frame,
    central_velocity,
    leg_array,
    nan_moving_mean,
    nan_moving_median,
    view_family,
)


@dataclass(frozen=True)
class WalkingBout:
    """Frames ``start:stop`` (positions in the sequence). ``direction`` +1/-1: side view = towards
    image right/left; front/back view = approaching/receding. ``backwards``: facing away from the
    direction of travel."""

    start: int
    stop: int
    direction: int
    view_family: str  # "side" | "frontal" | "oblique" (the most common family in the bout)
    backwards: bool = False
    stationary: bool = False  # the legs walk but the body does not travel (treadmill, following camera)
    reason: str = ""  # why these frames are walking, in plain words (evidence and view changes)
    view_label: str | None = None  # most common posture_cam view label in the bout

    def to_json(self, timestamps_s: np.ndarray, frame_index: np.ndarray) -> dict[str, object]:
        if self.view_family in ("side", "oblique"):
            d = "image_right" if self.direction > 0 else "image_left"
        else:
            d = "towards_camera" if self.direction > 0 else "away_from_camera"
        return {
            "start_frame": int(frame_index[self.start]),
            "end_frame": int(frame_index[self.stop - 1]),
            "start_s": round(float(timestamps_s[self.start]), 4),
            "end_s": round(float(timestamps_s[self.stop - 1]), 4),
            "view": self.view_family,
            "view_label": self.view_label,
            "direction": d,
            "backwards": bool(self.backwards),
            "stationary": bool(self.stationary),
            "duration_s": round(float(timestamps_s[self.stop - 1] - timestamps_s[self.start]), 4),
            "reason": self.reason,
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
    """Find walking bouts; results in ``bouts_``, ``standing_``, ``turning_``, ``progression_``,
    ``stepping_`` (legs alternating, either test) and ``alternation_`` (the swing-activity test).

    A frame walks when the legs alternate (:func:`leg_alternation` or :func:`stepping`) or the body
    progresses faster than ``min_speed_body_heights_per_s`` / ``min_scale_rate_per_s`` (the healthy,
    fast case), and it is not standing still. Walking frames form runs; a run is cut where the
    subject stands still for ``pause_min_s`` or more, where the direction of travel reverses (a
    turn), and where the subject steps without progressing for between ``max_slow_gap_s`` and
    ``stationary_min_duration_s`` (a turn on the spot or hesitation); longer in-place runs are
    walking without travel (``stationary``). A change of view (side to oblique to front) does NOT
    cut a bout. See docs/gait.md section 1 for the thresholds and the measurements behind them.
    """

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
        slow_speed_body_heights_per_s: float = 0.03,
        slow_scale_rate_per_s: float = 0.012,
        alternation_min_activity_body_heights_per_s: float = 0.06,
        alternation_min_swings: int = 3,
        alternation_max_step_s: float = 2.0,
        pause_min_s: float = 0.3,
        max_slow_gap_s: float = 0.5,
        trim_max_gap_s: float = 1.0,
        min_net_travel_body_heights: float = 0.4,
        min_net_scale_change: float = 0.08,
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
        self.slow_speed_body_heights_per_s = slow_speed_body_heights_per_s
        self.slow_scale_rate_per_s = slow_scale_rate_per_s
        self.alternation_min_activity_body_heights_per_s = alternation_min_activity_body_heights_per_s
        self.alternation_min_swings = alternation_min_swings
        self.alternation_max_step_s = alternation_max_step_s
        self.pause_min_s = pause_min_s
        self.max_slow_gap_s = max_slow_gap_s
        self.trim_max_gap_s = trim_max_gap_s
        self.min_net_travel_body_heights = min_net_travel_body_heights
        self.min_net_scale_change = min_net_scale_change

    def detect(self, data: SegmentationInput, *, sampling_rate_hz: float) -> WalkingBoutDetector:
        rate = sampling_rate_hz
        n = len(data.body_height_px)
        win = max(1, int(round(self.smooth_window_s * rate)))
        fam = np.asarray(data.view_family, dtype=object)
        known = np.isin(fam, ("side", "frontal", "oblique"))
        lateral, depth = _travel(data, rate, win)
        depth_fam = fam == "frontal"
        prog = np.where(depth_fam, depth, lateral)
        prog = np.where(known, prog, np.nan)
        fast_thr = np.where(depth_fam, self.min_scale_rate_per_s, self.min_speed_body_heights_per_s)
        moving = np.isfinite(prog) & (np.abs(prog) > fast_thr) & known
        slow_lat = np.isfinite(lateral) & (np.abs(lateral) > self.slow_speed_body_heights_per_s)
        slow_dep = np.isfinite(depth) & (np.abs(depth) > self.slow_scale_rate_per_s)
        progressing = (
            np.where(depth_fam, slow_dep, np.where(fam == "oblique", slow_lat | slow_dep, slow_lat)) | moving
        ) & known
        self.standing_ = _standing(data, rate, win, self.standing_max_speed_body_heights_per_s)
        # legs alternating: two independent tests (foot separation swinging; swing activity alternating)
        sep = np.zeros(n, bool)
        if data.facing is not None:
            sep = stepping(
                data,
                rate,
                window_s=self.stepping_window_s,
                min_crossings=self.stepping_min_crossings,
                min_range_side=self.stepping_min_range_side,
                min_range_frontal=self.stepping_min_range_frontal,
            )
            # the window needs a few steps on both sides, so it starts late and ends early by up to
            # half a window: grow the runs back by that much
            sep = _dilate(sep, int(round(0.5 * self.stepping_window_s * rate)))
        self.alternation_ = leg_alternation(
            data.feet_px,
            data.mid_hip_px,
            data.body_height_px,
            rate,
            min_activity=self.alternation_min_activity_body_heights_per_s,
            min_swings=self.alternation_min_swings,
            max_step_s=self.alternation_max_step_s,
        )
        self.stepping_ = (sep | self.alternation_) & known
        walking = (moving | self.stepping_) & known & ~self.standing_
        # stepping without progression: a short dip is a slow step (kept), a longer one a turn or a
        # hesitation (cut), a long one walking in place (treadmill, following camera)
        in_place = walking & ~progressing
        max_gap = int(round(self.max_slow_gap_s * rate))
        min_in_place = int(np.ceil(self.stationary_min_duration_s * rate))
        facing = np.zeros(n, int) if data.facing is None else np.asarray(data.facing, dtype=int)
        rotating = np.zeros(n, bool)
        for s, e, v in _runs(in_place.astype(int)):
            if not v or e - s <= max_gap:
                continue
            # stepping on the spot while the body turns round (the facing or the view family
            # changes: a slow turn takes 4-5 s in small steps) is a turn, however long it lasts
            if e - s < min_in_place or _rotates(fam[s:e], facing[s:e]):
                walking[s:e] = False
                rotating[s:e] = _rotates(fam[s:e], facing[s:e])
        # turning round: the way the subject faces reverses (toes pointing the other way across the
        # image, or front <-> back); the frames between the two facings are a turn, never walking
        both_ways = (slow_lat | slow_dep) & known  # travelling in any direction (a curve keeps it)
        reversal = _facing_reversals(fam, facing, walking, rate, travel=both_ways)
        walking &= ~reversal
        rotating |= reversal
        # pauses: standing still inside a walking run for pause_min_s or more cuts it (shorter stills
        # are the double support of a slow walker and stay in the bout)
        fill = int(round(self.pause_min_s * rate))
        for s, e, v in _runs(walking.astype(int)):
            if not v and 0 < s and e < n and e - s < fill:
                walking[s:e] = True
        self.walking_ = walking
        min_len = int(np.ceil(self.min_duration_s * rate))
        bouts: list[WalkingBout] = []
        for s, e, v in _runs(walking.astype(int)):
            if not v:
                continue
            for a, b, d in _split_on_reversal(lateral[s:e], depth[s:e], fam[s:e], facing[s:e], self, rate):
                a, b = s + a, s + b
                # trim to the frames with direct evidence (the separation test's window spills over)
                direct = np.flatnonzero((progressing | self.alternation_)[a:b])
                if direct.size == 0:
                    continue
                a, b = a + int(direct[0]), a + int(direct[-1]) + 1
                a, b = _trim_ramps(prog, a, b, progressing, depth_fam, int(round(self.trim_max_gap_s * rate)))
                if b - a < min_len:
                    continue
                if not (progressing[a:b].mean() >= 0.5 or self.stepping_[a:b].mean() >= 0.5):
                    continue
                travelled = progressing[a:b].mean() >= 0.5
                if travelled and not _net_travel(data, a, b, fam, self):
                    # "progression" without getting anywhere (landmark drift of a subject standing
                    # on one leg, seen obliquely): only a long run of stepping can still walk in place
                    if b - a < min_in_place or self.stepping_[a:b].mean() < 0.5:
                        continue
                    progressing[a:b] = False
                bouts.append(self._bout(a, b, d, fam, progressing, moving, lateral, depth))
        self.bouts_ = bouts
        self.progression_ = prog
        self.turning_ = (_turns(self.bouts_, self.standing_, n) | rotating) & ~self.standing_
        return self

    def _bout(
        self,
        a: int,
        b: int,
        d: int,
        fam: np.ndarray,
        progressing: np.ndarray,
        moving: np.ndarray,
        lateral: np.ndarray,
        depth: np.ndarray,
    ) -> WalkingBout:
        family = str(_mode(fam[a:b]))
        stationary = not bool(progressing[a:b].mean() >= 0.5)
        alt = float(self.alternation_[a:b].mean())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            speed = float(np.nanmedian(np.abs(lateral[a:b])))
            scale = float(np.nanmedian(np.abs(depth[a:b])))
        if stationary:
            reason = "legs alternate without the body travelling (treadmill, following camera or on the spot)"
        elif moving[a:b].mean() >= 0.5:
            reason = "the body travels"
            reason += " with alternating legs" if alt >= 0.5 else ""
        else:
            reason = "legs alternate while the body travels slowly"
        if family == "frontal":
            reason += f" (size change {scale:.3f}/s)"
        else:
            reason += f" ({speed:.2f} body heights/s across the image)"
        fams = {str(f) for f in fam[a:b]} - {"other"}
        if len(fams) > 1:
            reason += "; the view changes during the bout (" + ", ".join(sorted(fams)) + ")"
        return WalkingBout(a, b, d, family, stationary=stationary, reason=reason)


def _facing_reversals(
    fam: np.ndarray,
    facing: np.ndarray,
    walking: np.ndarray,
    rate_hz: float,
    min_run_s: float = 0.4,
    max_turn_s: float = 8.0,
    travel: np.ndarray | None = None,
) -> np.ndarray:
    """(T,) bool frames of a turn inside walking: where the facing across the image (side and
    oblique views: toes to the image right +1 / left -1) or towards the camera (front +1 / back -1)
    reverses between two runs of at least ``min_run_s`` no more than ``max_turn_s`` apart; the frames
    between the runs (and one frame on either side when the flip is immediate) are marked."""
    n = fam.size
    out = np.zeros(n, bool)
    min_run = max(1, int(round(min_run_s * rate_hz)))
    lateral = np.where(np.isin(fam, ("side", "oblique")), facing, 0).astype(int)
    toward = np.where(fam == "frontal", facing, 0).astype(int)
    max_turn = int(round(max_turn_s * rate_hz))
    for f in (lateral, toward):
        stable = [(s, e, v) for s, e, v in _runs(f) if v != 0 and e - s >= min_run]
        for (_, e0, v0), (s1, _, v1) in zip(stable[:-1], stable[1:], strict=False):
            if v0 != v1 and s1 - e0 <= max_turn and walking[max(0, e0 - 1) : s1 + 1].any():
                if travel is not None and travel[max(0, e0 - 1) : min(n, s1 + 1)].all():
                    continue  # the facing swung round while travelling on: a curve, not a turn
                out[max(0, e0 - 1) : min(n, s1 + 1)] = True
    return out


def _net_travel(data: SegmentationInput, a: int, b: int, fam: np.ndarray, det: WalkingBoutDetector) -> bool:
    """True when the body got somewhere over frames a:b: the mid-hip moved at least
    ``min_net_travel_body_heights`` across the image (side/oblique) or the body size changed by at
    least ``min_net_scale_change`` in log (front/back), end to end (medians of the first and the
    last fifth of the frames, robust to jitter). 0.4 body heights is about one step of a shuffle
    (GAITSIM parkinsonian bouts travel about 1 body height, real side walks 1-3)."""
    k = max(1, (b - a) // 5)
    h = np.asarray(data.body_height_px, np.float64)[a:b]
    x = data.mid_hip_px[a:b, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hm = float(np.nanmedian(h))
        dx = abs(float(np.nanmedian(x[-k:]) - np.nanmedian(x[:k]))) / hm if hm > 0 else 0.0
        ds = abs(float(np.log(np.nanmedian(h[-k:])) - np.log(np.nanmedian(h[:k]))))
    if str(_mode(fam[a:b])) == "frontal":
        return bool(ds >= det.min_net_scale_change)
    return bool(dx >= det.min_net_travel_body_heights or ds >= det.min_net_scale_change)


def _rotates(fam: np.ndarray, facing: np.ndarray, min_share: float = 0.15) -> bool:
    """True when the subject turns round within these frames: the facing (+1/-1, 0 unknown) takes
    both signs, or two view families, each for at least ``min_share`` of the frames."""
    n = max(1, fam.size)
    both_facings = min(np.mean(facing > 0), np.mean(facing < 0)) >= min_share
    counts = sorted((int(np.sum(fam == f)) for f in ("side", "frontal", "oblique")), reverse=True)
    two_families = counts[1] / n >= min_share
    return bool(both_facings or two_families)


def _trim_ramps(
    prog: np.ndarray, a: int, b: int, progressing: np.ndarray, depth_fam: np.ndarray, max_gap: int
) -> tuple[int, int]:
    """Trim a travelling bout to its longest run of steady travel: frames whose smoothed progression
    reaches half the bout's median and points the bout's way (per view-family group), gaps up to
    ``max_gap`` frames (``trim_max_gap_s``, 1 s: a slow step) bridged. The running mean spreads the
    start and the stop of travel over half its window (6-8 frames at 30 fps, measured), and a slow
    turn on the spot moves the pelvis round a small circle (the progression swings both ways);
    neither belongs to the bout."""
    if progressing[a:b].mean() < 0.5:
        return a, b  # walking in place: nothing to trim
    p = np.nan_to_num(prog[a:b])
    if not np.any(p):
        return a, b
    grp = depth_fam[a:b]
    ok = np.zeros(b - a, bool)
    for g in (True, False):  # per family group: size change (1/s) and image travel (body heights/s)
        in_g = grp == g
        if not in_g.any():
            continue
        sel = in_g & (np.abs(p) >= 0.5 * float(np.median(np.abs(p[in_g]))))
        if sel.any():
            major = np.sign(np.sum(np.sign(p[sel])))
            ok |= sel & (np.sign(p) == (major or 1))
    for s, e, v in _runs(ok.astype(int)):
        if not v and 0 < s and e < ok.size and e - s <= max_gap:
            ok[s:e] = True
    runs = [(e - s, s, e) for s, e, v in _runs(ok.astype(int)) if v]
    if not runs:
        return a, b
    _, s0, e0 = max(runs)
    return a + s0, a + e0


def _travel(data: SegmentationInput, rate_hz: float, win: int) -> tuple[np.ndarray, np.ndarray]:
    """(T,) lateral progression (mid-hip along image x, body heights/s) and (T,) depth progression
    (d ln body size / dt, 1/s, positive = approaching), both smoothed over ``win`` frames."""
    h = np.asarray(data.body_height_px, dtype=np.float64)
    vx = central_velocity(data.mid_hip_px[:, 0], rate_hz) / h
    with np.errstate(all="ignore"):
        vs = central_velocity(np.log(h), rate_hz)
    return nan_moving_mean(vx, win), nan_moving_mean(vs, win)


def _split_on_reversal(
    lateral: np.ndarray,
    depth: np.ndarray,
    fam: np.ndarray,
    facing: np.ndarray,
    det: WalkingBoutDetector,
    rate_hz: float,
) -> list[tuple[int, int, int]]:
    """(start, stop, direction) pieces of one walking run, cut where the direction of travel reverses.

    Per frame the travel sign is read along the image x (side and oblique views) or in depth
    (front/back view) when it exceeds the slow thresholds, else it is unknown and inherits its
    neighbours'; facing fills frames that never show travel (walking in place). A reversal counts
    only when the new sign lasts ``max_slow_gap_s``; the frames where it flips are left out (the turn).
    """
    n = lateral.size
    depth_fam = fam == "frontal"
    lat = np.where(np.abs(np.nan_to_num(lateral)) > det.slow_speed_body_heights_per_s, np.sign(lateral), 0)
    dep = np.where(np.abs(np.nan_to_num(depth)) > det.slow_scale_rate_per_s, np.sign(depth), 0)
    sign = np.where(depth_fam, dep, lat).astype(int)
    # a direction must hold for a bout's minimum duration to count (brief drifts of the smoothed
    # progression, e.g. the body size changing as the knees start to bend on a treadmill, do not)
    min_known = max(1, int(round(det.min_duration_s * rate_hz)))
    for s, e, v in _runs(sign):
        if v != 0 and e - s < min_known:
            sign[s:e] = 0
    if not sign.any():
        sign = np.asarray(facing, dtype=int)
    # the family group: a change of view family never counts as a reversal
    group = np.where(depth_fam, 1, 0)
    known = sign != 0
    if not known.any():
        return [(0, n, int(_mode_int(facing)) or 1)]
    # fill unknown frames from the previous known one (and the first from the next)
    idx = np.where(known, np.arange(n), -1)
    idx = np.maximum.accumulate(idx)
    first = int(np.flatnonzero(known)[0])
    idx[:first] = first
    filled = sign[idx]
    grp = group[idx]
    # runs of (group, sign); a short run (< max_slow_gap_s) is absorbed by its predecessor
    key = grp * 2 + (filled > 0)
    min_run = max(1, int(round(det.max_slow_gap_s * rate_hz)))
    runs = _runs(key)
    merged: list[list[int]] = []
    for s, e, k in runs:
        if merged and (e - s < min_run or k == merged[-1][2]):
            merged[-1][1] = e
        else:
            merged.append([s, e, k])
    pieces: list[tuple[int, int, int]] = []
    cur = list(merged[0])
    for s, e, k in merged[1:]:
        same_group = (k // 2) == (cur[2] // 2)
        # a reversal is a turn only if the travel stops in between; a walker curving round (image x
        # travel reversing while the size keeps changing) walks on
        lo_, hi_ = max(0, s - min_run), min(n, s + min_run)
        lat_slow = np.abs(np.nan_to_num(lateral[lo_:hi_])) <= det.slow_speed_body_heights_per_s
        dep_slow = np.abs(np.nan_to_num(depth[lo_:hi_])) <= det.slow_scale_rate_per_s
        stops = bool(np.any(lat_slow & dep_slow))
        if same_group and stops:  # a reversal: cut, leaving out the frames without a known sign (the turn)
            last = (
                cur[0] + int(np.flatnonzero(known[cur[0] : cur[1]])[-1])
                if known[cur[0] : cur[1]].any()
                else cur[1] - 1
            )
            pieces.append((cur[0], last + 1, 1 if cur[2] % 2 else -1))
            kn = np.flatnonzero(known[s:e])
            cur = [s + (int(kn[0]) if kn.size else 0), e, k]
        else:  # a view change: keep the bout, its direction is that of its first family
            cur[1] = e
    pieces.append((cur[0], cur[1], 1 if cur[2] % 2 else -1))
    return pieces


def _mode_int(values: np.ndarray) -> int:
    v = np.asarray(values, dtype=int)
    v = v[v != 0]
    if v.size == 0:
        return 0
    vals, counts = np.unique(v, return_counts=True)
    return int(vals[np.argmax(counts)])


def leg_alternation(
    feet_px: np.ndarray,
    mid_hip_px: np.ndarray,
    body_height_px: np.ndarray,
    rate_hz: float,
    *,
    min_activity: float,
    min_swings: int,
    max_step_s: float,
) -> np.ndarray:
    """(T,) bool: the two feet take turns to swing, in any view (side, oblique, front/back).

    Uses the swing activity of :func:`~posture_cam.gait.events.swing_activity` (each foot's share of
    the feet's relative speed, body heights/s; a camera moving both feet alike cancels). A *swing
    episode* is a run where one foot's activity exceeds the other's by ``min_activity``; episodes of
    the same foot in a row are merged. A chain of at least ``min_swings`` episodes of alternating feet,
    each peak at most ``max_step_s`` after the previous one, is walking: the frames from half a step
    before its first peak to half a step after its last are marked. Standing, weight shifts, talking
    and arm gestures leave both feet still; a foot held up or tapped (balance test) never alternates.
    """
    from .events import swing_activity

    n = feet_px.shape[0]
    out = np.zeros(n, bool)
    if n < 5:
        return out
    h = nan_moving_median(np.asarray(body_height_px, np.float64), max(3, int(round(2.0 * rate_hz))))
    act = swing_activity(feet_px, mid_hip_px, h, sampling_rate_hz=rate_hz)
    d = act[:, 0] - act[:, 1]
    dom = np.where(d > min_activity, 1, np.where(d < -min_activity, -1, 0))
    episodes: list[tuple[int, int]] = []  # (peak frame, foot sign)
    for s, e, v in _runs(dom.astype(int)):
        if v == 0:
            continue
        pk = s + int(np.nanargmax(np.abs(d[s:e])))
        if episodes and episodes[-1][1] == v:
            if abs(d[pk]) > abs(d[episodes[-1][0]]):
                episodes[-1] = (pk, v)
            continue
        episodes.append((pk, v))
    max_gap = max_step_s * rate_hz
    chain = [0]
    for i in range(1, len(episodes) + 1):
        if i < len(episodes) and episodes[i][0] - episodes[i - 1][0] <= max_gap:
            chain.append(i)
            continue
        if len(chain) >= min_swings:
            peaks = [episodes[j][0] for j in chain]
            half = int(round(0.5 * float(np.median(np.diff(peaks)))))
            out[max(0, peaks[0] - half) : min(n, peaks[-1] + half + 1)] = True
        chain = [i]
    return out


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
    """(T,) +1/-1/0 per frame: side and oblique views +1 = facing image right (toes ahead of heels
    to the right, both feet averaged); front/back view +1 = facing the camera; 0 = unknown.
    ``legs``: (T, 2, 5, 2) from :func:`~posture_cam.gait._signals.leg_array`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        toe_ahead = np.nanmean(legs[:, :, 4, 0] - legs[:, :, 3, 0], axis=1)
    side = np.sign(np.nan_to_num(toe_ahead))
    frontal = np.where(views == "front", 1.0, np.where(views == "back", -1.0, 0.0))
    lateral = np.isin(family, ("side", "oblique"))
    return np.where(lateral, side, np.where(family == "frontal", frontal, 0.0)).astype(int)


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
    fam[v == "oblique"] = "oblique"  # walking is found in oblique views too (events: direction-free)
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
    bouts = [dataclasses.replace(b, view_label=str(_mode(v[b.start : b.stop]))) for b in det.bouts_]
    return WalkingSegmentation(bouts, det.standing_, det.turning_, det.progression_, det.stepping_)
