"""The one preparation stage: raw landmarks -> one typed :class:`Prepared` for posture and gait.

Data flow (forward only; nothing downstream reads settings back out of ``seq.meta``)::

    raw PoseSequence
      -> leg-swap repair on the RAW leg landmarks (gait.events.LegSwapRepair)
      -> conditioning, once (signal.condition)
      -> per-frame view and facing (view.classify_views)
      -> calibration: camera roll and scale (calibration.calibrate)
      -> levelled image points, per-frame body height
      -> walking bouts, turns, standing still (gait.segmentation.find_walking)
      -> per-frame activity -> segments (activity x view)

One sampling rate, from the timestamps (:func:`posture_cam.signal.sampling_rate_hz`), serves every
stage. Posture and gait are siblings that consume :class:`Prepared`: posture measures standing
metrics in the ``standing`` segments whose view each metric needs (and the standing flexion test
in ``forward_bend`` segments), gait reads the walking bouts.

Activities (per frame, exactly one):

* ``walking``: inside a walking bout (travelling, or stepping in place on a treadmill);
* ``turn``: between two bouts of different direction, not standing still;
* ``forward_bend``: not walking, seen from the side or obliquely, the trunk chord leaning at least
  ``forward_bend_min_rise_deg`` further than the subject's own usual lean (its 10th percentile while
  not walking: a stooped stance is standing, not a bend) in a run that reaches ``MIN_FORWARD_BEND_DEG``
  (posture) or more from vertical;
* ``standing``: quiet standing (hips still, trunk within ``quiet_standing_max_trunk_lean_deg`` of vertical,
  no walking in depth) lasting at least
  ``quiet_standing_min_duration_s``, and no stepping of the legs;
* ``other``: everything else (nobody in view, moving about, sitting down, short fidgets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .calibration import Calibration, calibrate, level_points
from .config import Config
from .errors import InvalidSequenceError
from .gait._signals import LEG_PAIRS, body_height_px_per_frame, leg_array
from .gait.events import LegSwapRepair
from .gait.segmentation import WalkingSegmentation, find_walking
from .landmarks import Landmark as L
from .sequence import PoseSequence
from .signal import condition, finite_runs, sampling_rate_hz
from .view import ViewReport, classify_views

ACTIVITIES = ("standing", "walking", "turn", "forward_bend", "other")


@dataclass(frozen=True)
class Segment:
    """A stretch of the recording with one activity and one view: frames ``start:stop``."""

    activity: str
    view: str
    start: int
    stop: int
    start_s: float
    end_s: float
    start_frame: int = 0
    end_frame: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def mask(self, n: int) -> np.ndarray:
        m = np.zeros(n, bool)
        m[self.start : self.stop] = True
        return m

    def ref(self) -> dict[str, Any]:
        """The short reference a metric carries to say which part of the video fed it."""
        return {
            "activity": self.activity,
            "view": self.view,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.ref(),
            "duration_s": round(self.duration_s, 3),
            "start_frame": int(self.start_frame),
            "end_frame": int(self.end_frame),
            **dict(self.extra),
        }


@dataclass(frozen=True, eq=False)
class Prepared:
    """Everything posture and gait need, computed once. See the module docstring."""

    raw: PoseSequence
    seq: PoseSequence
    sampling_rate_hz: float
    swapped: np.ndarray
    view: ViewReport
    calibration: Calibration
    xy: np.ndarray
    body_height_px: np.ndarray
    walking: WalkingSegmentation
    activity: np.ndarray
    segments: tuple[Segment, ...]

    @property
    def n_frames(self) -> int:
        return self.seq.n_frames

    def frames(self, activity: str, views: Iterable[str] | None = None) -> np.ndarray:
        """(T,) bool: frames of ``activity`` (and, if given, one of ``views``)."""
        m = self.activity == activity
        if views is not None:
            m &= np.isin(self.view.per_frame, list(views))
        return m

    def segments_of(
        self, activity: str, views: Iterable[str] | None = None, min_duration_s: float = 0.0
    ) -> list[Segment]:
        vs = None if views is None else set(views)
        return [
            s
            for s in self.segments
            if s.activity == activity
            and (vs is None or s.view in vs)
            and s.duration_s >= min_duration_s - 1e-9
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "sampling_rate_hz": round(self.sampling_rate_hz, 4),
            "leg_swaps_repaired_frames": int(np.count_nonzero(self.swapped)),
            "segments": [s.to_json() for s in self.segments],
        }


# ----------------------------------------------------------------------------------------- stages
def repair_leg_swaps(
    raw: PoseSequence,
    *,
    penalty_body_heights: float,
    min_step_time_s: float = 0.25,
    max_step_time_s: float = 1.5,
) -> tuple[PoseSequence, np.ndarray]:
    """Find left/right leg label swaps on the (raw) leg landmarks and exchange the legs there.

    Returns (repaired sequence, (T,) bool swapped frames). Done before the low-pass filter so that
    the filter never blends a swapped leg into the other. Frames where the pose model pulled the legs
    together for a moment while walking (``LegSwapRepair.glitches_``) lose their knee-to-toe points,
    which conditioning then interpolates.
    """
    n = raw.n_frames
    if n < 3 or not raw.detected.any():
        return raw, np.zeros(n, bool)
    h = body_height_px_per_frame(raw, smooth_frames=max(3, int(round(float(raw.fps)))))
    rate = sampling_rate_hz(raw.timestamps_s, raw.fps)
    repair = LegSwapRepair(
        penalty_body_heights=penalty_body_heights,
        min_step_time_s=min_step_time_s,
        max_step_time_s=max_step_time_s,
    ).detect(leg_array(raw), h, sampling_rate_hz=rate)
    swapped = repair.swapped_
    out = exchange_legs(raw, swapped) if swapped.any() else raw
    if repair.glitches_:
        out = drop_leg_points(out, np.asarray(repair.glitches_))
    return out, swapped


def drop_leg_points(seq: PoseSequence, frames: np.ndarray) -> PoseSequence:
    """A copy of ``seq`` with the knee-to-toe landmarks of both legs missing (NaN) in ``frames``."""
    arrays = {k: np.array(getattr(seq, k), copy=True) for k in ("image_px", "world_m")}
    pts = np.array([int(p) for pair in LEG_PAIRS[1:] for p in pair])
    for arr in arrays.values():
        arr[np.ix_(frames, pts)] = np.nan
    return seq.replace(**arrays)


def exchange_legs(seq: PoseSequence, swapped: np.ndarray) -> PoseSequence:
    """A copy of ``seq`` with the left and right leg landmarks (hip to toe: positions, world
    coordinates, visibility, presence) exchanged in the frames marked ``swapped``."""
    arrays = {
        k: np.array(getattr(seq, k), copy=True) for k in ("image_px", "world_m", "visibility", "presence")
    }
    sel = np.asarray(swapped, bool)
    for a, b in LEG_PAIRS:
        for arr in arrays.values():
            arr[sel, a], arr[sel, b] = arr[sel, b].copy(), arr[sel, a].copy()
    return seq.replace(**arrays)


def _mid_or_either(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, 2) midpoint of two points, or the one present when the other is missing."""
    mid = 0.5 * (a + b)
    return np.where(np.isfinite(mid), mid, np.where(np.isfinite(a), a, b))


def trunk_lean_deg(xy: np.ndarray) -> np.ndarray:
    """(T,) unsigned angle of the hip-centre -> shoulder-centre chord from vertical, deg (levelled points)."""
    from .posture import lean_from_vertical_deg

    with np.errstate(all="ignore"):
        hip = _mid_or_either(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP])
        sh = _mid_or_either(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER])
        return np.abs(lean_from_vertical_deg(hip, sh, np.ones(len(xy))))


def activity_per_frame(
    *,
    timestamps_s: np.ndarray,
    walking: WalkingSegmentation,
    quiet: np.ndarray,
    lean_deg: np.ndarray,
    views: np.ndarray,
    detected: np.ndarray,
    bend_min_lean_deg: float,
    bend_peak_deg: float,
    rate_hz: float,
) -> np.ndarray:
    """(T,) activity labels (see the module docstring); walking > turn > forward_bend > standing."""
    n = len(timestamps_s)
    act = np.full(n, "other", dtype=object)
    walk = np.zeros(n, bool)
    for bout in walking.bouts_:
        walk[bout.start : bout.stop] = True
    turning = np.asarray(walking.turning_, bool) & ~walk
    stepping = np.asarray(walking.stepping_, bool)
    lean_ok = np.isfinite(lean_deg)
    bend = np.zeros(n, bool)
    min_bend = max(2, int(round(0.5 * rate_hz)))
    # a forward bend shows as a leaning trunk chord only from the side (or obliquely); from the front a
    # leaning trunk is a side bend or a lean, not the flexion test
    sideways = np.isin(views, ("left_side", "right_side", "oblique"))
    # a bend is a MOVEMENT away from the subject's own upright: a stooped stance (parkinsonian, 20-30 deg)
    # leans all the time and is standing, not a forward bend. Baseline: the 10th percentile of the
    # trunk lean over the frames seen from the side while not walking.
    calm = lean_ok & sideways & ~walk & ~turning
    baseline = float(np.percentile(lean_deg[calm], 10)) if calm.sum() >= 3 else 0.0
    leaning = lean_ok & (np.nan_to_num(lean_deg) >= baseline + bend_min_lean_deg) & sideways
    for a, b in finite_runs(leaning & ~walk & ~turning):
        peak = float(np.nanmax(lean_deg[a:b]))
        if b - a >= min_bend and peak >= bend_peak_deg and peak - baseline >= bend_min_lean_deg + 5.0:
            bend[a:b] = True
    standing = np.asarray(quiet, bool) & ~walk & ~turning & ~bend & ~stepping & detected
    act[standing] = "standing"
    act[bend] = "forward_bend"
    act[turning] = "turn"
    act[walk] = "walking"
    return act.astype(str)


def segments_from_labels(
    activity: np.ndarray,
    views: np.ndarray,
    timestamps_s: np.ndarray,
    frame_index: np.ndarray,
    rate_hz: float,
    walking: WalkingSegmentation,
    *,
    min_other_s: float = 0.0,
) -> tuple[Segment, ...]:
    """Runs of equal activity; standing (and forward bend) runs are also cut where the view changes.

    A walking bout is one segment whatever the view does inside it (its view is the most common one).
    """
    n = len(activity)
    if n == 0:
        return ()
    dt = 1.0 / rate_hz
    bout_at = {b.start: b for b in walking.bouts_}
    key = np.array(
        [
            f"{a}|{v}" if a in ("standing", "forward_bend") else a
            for a, v in zip(activity, views, strict=True)
        ],
        dtype=object,
    )
    out: list[Segment] = []
    start = 0
    for i in range(1, n + 1):
        boundary = i == n or key[i] != key[start] or (activity[i] == "walking" and i in bout_at)
        if not boundary:
            continue
        act = str(activity[start])
        vs = [str(v) for v in views[start:i] if v != "unknown"]
        view = Counter(vs).most_common(1)[0][0] if vs else "unknown"
        extra: dict[str, Any] = {}
        if act == "walking":
            b = next((b for b in walking.bouts_ if b.start <= start < b.stop), None)
            if b is not None:
                extra = _bout_extra(b, timestamps_s, frame_index)
        out.append(
            Segment(
                act,
                view,
                start,
                i,
                float(timestamps_s[start]),
                float(timestamps_s[i - 1] + dt),
                int(frame_index[start]),
                int(frame_index[i - 1]),
                extra,
            )
        )
        start = i
    return tuple(out)


def _bout_extra(b: Any, timestamps_s: np.ndarray, frame_index: np.ndarray) -> dict[str, Any]:
    """A walking segment's bout details: the bout's own JSON less its times (the segment has them)."""
    j = b.to_json(timestamps_s, frame_index)
    out = {
        "view_family": j.get("view"),
        "direction": j.get("direction"),
        "stationary": bool(j.get("stationary")),
        "backwards": bool(j.get("backwards")),
    }
    if j.get("reason"):
        out["reason"] = j["reason"]
    return out


def prepare(
    raw: PoseSequence,
    config: Config | None = None,
    *,
    view_per_frame: Sequence[str] | np.ndarray | None = None,
) -> Prepared:
    """Run the preparation stage on an extracted sequence (see the module docstring).

    ``raw`` should be the sequence as extracted; an already conditioned sequence is accepted (its
    leg swaps are then repaired on the conditioned landmarks). ``view_per_frame`` overrides the
    view classifier (simulated sequences, tests).
    """
    from .posture import MIN_FORWARD_BEND_DEG, quiet_standing_mask

    cfg = config or Config()
    n = raw.n_frames
    rate = sampling_rate_hz(raw.timestamps_s, raw.fps)
    repaired, swapped = repair_leg_swaps(
        raw,
        penalty_body_heights=cfg.gait.swap_penalty_body_heights,
        min_step_time_s=cfg.gait.min_step_time_s,  # the crossing stage splits runs at implausible steps
        max_step_time_s=cfg.gait.max_step_time_s,
    )
    seq = condition(repaired, cfg.filter)
    view = classify_views(seq, cfg.posture)
    if view_per_frame is not None:
        labels = np.asarray(view_per_frame).astype(str)
        if labels.shape != (n,):
            raise InvalidSequenceError(f"view_per_frame: expected shape ({n},), got {labels.shape}")
        view = view.relabelled(labels, seq.timestamps_s, rate)
    cal = calibrate(seq, cfg.calibration)
    xy = level_points(seq.image_px[..., :2], cal.roll_deg, (seq.frame_size[0] / 2, seq.frame_size[1] / 2))
    h = body_height_px_per_frame(seq, smooth_frames=max(3, int(round(rate))))
    walking = find_walking(seq, view.per_frame, h, cfg.gait, sampling_rate_hz=rate)
    pc = cfg.posture
    quiet = quiet_standing_mask(
        xy,
        seq.timestamps_s,
        cal.scale.body_height_px,
        max_speed_body_heights_per_s=pc.quiet_standing_max_speed_body_heights_per_s,
        max_scale_rate_per_s=pc.quiet_standing_max_scale_rate_per_s,
        max_trunk_lean_deg=pc.quiet_standing_max_trunk_lean_deg,
        min_duration_s=pc.quiet_standing_min_duration_s,
    )
    act = activity_per_frame(
        timestamps_s=seq.timestamps_s,
        walking=walking,
        quiet=quiet,
        lean_deg=trunk_lean_deg(xy),
        views=view.per_frame,
        detected=seq.detected,
        bend_min_lean_deg=pc.forward_bend_min_rise_deg,
        bend_peak_deg=MIN_FORWARD_BEND_DEG,
        rate_hz=rate,
    )
    # standing runs that became shorter than the quiet-standing minimum (cut by a bend or a stepping
    # window) are no longer quiet standing
    min_len = pc.quiet_standing_min_duration_s
    for a, b in finite_runs(act == "standing"):
        if seq.timestamps_s[b - 1] - seq.timestamps_s[a] + 1.0 / rate < min_len - 1e-9:
            act[a:b] = "other"
    segs = segments_from_labels(act, view.per_frame, seq.timestamps_s, seq.frame_index, rate, walking)
    return Prepared(raw, seq, rate, swapped, view, cal, xy, h, walking, act, segs)


__all__ = [
    "ACTIVITIES",
    "Prepared",
    "Segment",
    "exchange_legs",
    "prepare",
    "repair_leg_swaps",
]
