"""Gait events (heel strike, toe off per foot), left/right swap repair and plausibility checks.

* ``LegSwapRepair``: BlazePose sometimes exchanges the labels of the two legs, mostly in side views.
  A two-state Viterbi path (labels kept / exchanged) minimises the constant-velocity prediction error
  of both leg chains (hip, knee, ankle, heel, toe) plus a penalty per label change. The identity of
  the legs is then anchored on the labels the detector gave in the majority of frames. Where the feet
  pass each other step after step (a walk seen from the side or obliquely), the identity is taken
  from the gait instead (:func:`crossing_states`): between two crossings of the feet along the image
  x the same foot leads, and the lead changes at each crossing. BlazePose's own relabelling while the
  feet cross is smooth (one foot slows, the other speeds up over a few frames), so a constant-velocity
  model cannot see it and placed the label change at the next glitch instead.
* ``ZeniEventDetector`` (side view): Zeni et al. (2008), as applied to 2D pose by Stenum et al.
  (2021): a foot's position relative to the mid-hip along the direction of travel is maximal at
  initial contact and minimal at foot off. Direction comes from the bout, not from an assumption, so
  walking to the left, to the right and backwards all work; for backwards walking the leading point
  of the foot is the toe and the trailing one the heel.
* ``FootExcursionEventDetector`` (front/back view, used by ``analyze_gait``): the motion of each foot
  relative to the other foot and to the mid-hip, in body heights, so a camera that follows the walker
  and a walker approaching or receding (perspective) cancel out; one swing per peak of a foot's swing
  activity, toe off / heel strike where the activity leaves / returns to the stance level.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d
from scipy.signal import find_peaks, savgol_filter

from ._signals import central_velocity, nan_moving_median

FEET = ("left", "right")


@dataclass(frozen=True)
class GaitEvent:
    """One event. ``frame``: position in the sequence; ``time_s`` may fall between frames."""

    frame: int
    time_s: float
    foot: str  # "left" | "right"
    type: str  # "heel_strike" (initial contact) | "toe_off" (foot off)
    confidence: float  # 0..1
    bout: int = 0
    plausible: bool = True
    reason: str | None = None  # why an implausible event was set aside

    def to_json(self, frame_index: np.ndarray) -> dict[str, object]:
        out: dict[str, object] = {
            "frame": int(frame_index[self.frame]),
            "time_s": round(float(self.time_s), 4),
            "foot": self.foot,
            "type": self.type,
            "confidence": round(float(self.confidence), 3),
            "plausible": self.plausible,
        }
        if self.reason:
            out["reason"] = self.reason
        return out


# ------------------------------------------------------------------ swap repair
class LegSwapRepair:
    """Detect frames whose leg labels are exchanged; ``swapped_`` (T,) bool, ``legs_`` repaired."""

    def __init__(
        self,
        *,
        penalty_body_heights: float = 0.1,
        min_step_time_s: float = 0.25,
        max_step_time_s: float = 1.5,
        use_crossings: bool = True,
    ) -> None:
        self.penalty_body_heights = penalty_body_heights
        self.min_step_time_s = min_step_time_s
        self.max_step_time_s = max_step_time_s
        self.use_crossings = use_crossings

    def detect(
        self, legs_px: np.ndarray, body_height_px: np.ndarray, *, sampling_rate_hz: float
    ) -> LegSwapRepair:
        """``legs_px`` (T, 2, K, 2): [frame, left/right label, point, xy]; the last three points are
        the ankle, heel and toe (:func:`~posture_cam.gait._signals.leg_array`)."""
        legs = np.asarray(legs_px, dtype=np.float64)
        ok = np.all(np.isfinite(legs), axis=(1, 2, 3)) & np.isfinite(body_height_px)
        idx = np.flatnonzero(ok)
        swapped = np.zeros(legs.shape[0], bool)
        if idx.size >= 3:
            states = _viterbi_swaps(legs[idx], np.asarray(body_height_px)[idx], self.penalty_body_heights)
            if states.mean() > 0.5:  # anchor identity on the labels of the majority of frames
                states = ~states
            swapped[idx] = states
            # frames without full legs inherit the state of the previous full frame
            last = np.maximum.accumulate(np.where(ok, np.arange(legs.shape[0]), -1))
            swapped[~ok] = np.where(last[~ok] >= 0, swapped[np.maximum(last[~ok], 0)], False)
        self.crossings_: list[int] = []
        self.glitches_: list[int] = []
        if self.use_crossings:
            swapped, self.crossings_, self.glitches_ = crossing_states(
                legs,
                np.asarray(body_height_px, np.float64),
                swapped,
                rate_hz=sampling_rate_hz,
                min_step_time_s=self.min_step_time_s,
                max_step_time_s=self.max_step_time_s,
            )
        self.swapped_ = swapped
        self.legs_ = apply_swaps(legs, swapped)
        return self


def apply_swaps(legs_px: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """Exchange the two legs (axis 1) in the frames marked ``swapped``."""
    out = np.array(legs_px, dtype=np.float64, copy=True)
    out[swapped] = out[swapped][:, ::-1]
    return out


def _viterbi_swaps(legs: np.ndarray, height: np.ndarray, penalty: float) -> np.ndarray:
    """Most likely swap state per frame under a constant-velocity model (second-order Viterbi)."""
    n = legs.shape[0]
    alt = legs[:, ::-1]
    pos = np.stack([legs, alt])  # (2 states, n, 2, K, 2)
    h = height
    cost = np.full((n, 2, 2, 2), 0.0)  # [t, s_{t-2}, s_{t-1}, s_t]
    for c in (0, 1):
        for a in (0, 1):
            for b in (0, 1):
                pred = 2 * pos[a, 1:-1] - pos[c, :-2]
                err = np.linalg.norm(pos[b, 2:] - pred, axis=-1).sum(axis=(1, 2)) / h[2:]
                cost[2:, c, a, b] = err + penalty * (a != b)
    first = np.zeros((2, 2))  # [s0, s1]
    for a in (0, 1):
        for b in (0, 1):
            first[a, b] = np.linalg.norm(pos[b, 1] - pos[a, 0], axis=-1).sum() / h[1] + penalty * (a != b)
    first[1, :] += 1e-9  # tie-break: start with the labels as given
    v = first
    back = np.zeros((n, 2, 2), np.int8)
    for t in range(2, n):
        cand = v[:, :, None] + cost[t]  # [c, a, b]
        back[t] = np.argmin(cand, axis=0)
        v = np.min(cand, axis=0)
    a_np, b_np = np.unravel_index(np.argmin(v), v.shape)
    a, b = int(a_np), int(b_np)
    states = np.zeros(n, bool)
    states[-1], states[-2] = bool(b), bool(a)
    for t in range(n - 1, 1, -1):
        c = int(back[t, a, b])
        states[t - 2] = bool(c)
        a, b = c, a
    return states


#: A crossing of the feet: the distance of the two feet along the image x (mean of ankle, heel and
#: toe) falls to at most this share of the step-length peaks on both sides of it. Measured on
#: ``walking/side_walk_60fps.mp4``: the real crossings reach 0.001-0.03 of the peaks, BlazePose's
#: glitches (both legs pulled together for 1-2 frames) 0.2-0.3.
CROSSING_MAX_FRACTION = 0.1
#: ... and the peaks on both sides reach at least this many body heights (a shuffling step is
#: about 0.08; standing feet side by side stay below it).
CROSSING_MIN_PEAK_BODY_HEIGHTS = 0.05
#: Frames whose feet are closer than this share of the neighbouring peaks (around a crossing, or a
#: glitch) take the label assignment closest to the legs interpolated across them, not the order.
CROSSING_NEAR_FRACTION = 0.35
#: A dip below the near fraction that is no crossing and lasts at most this long is a pose-model
#: glitch (real side-view clip: 1-2 frames at 60 fps, 0.2-0.3 of the peaks; a crossing's dip lasts
#: 5-9 frames there).
CROSSING_MAX_GLITCH_S = 0.05
#: Successive crossings further apart than this many median steps of their run: a crossing was
#: missed, the run is split there.
CROSSING_MAX_STEP_RATIO = 1.6
#: The identity from the crossings replaces the states found so far only where it makes the legs'
#: motion smoother by this factor (roughness ratio, glitch frames left out; real side-view clip:
#: 0.72; synthetic walkers whose labels were right or repaired already: 1.0; the GAITSIM ataxic
#: walker seen obliquely, feet sharing an x while apart in depth: 1.07-1.31).
CROSSING_MIN_GAIN = 0.9
#: Where a crossing run meets the stretch beside it, that stretch's labels are exchanged as a whole
#: when this brings the leg chains closer by more than this many body heights (summed over points).
CROSSING_JOIN_MIN_BODY_HEIGHTS = 0.05


def crossing_states(
    legs: np.ndarray,
    body_height_px: np.ndarray,
    states: np.ndarray,
    *,
    rate_hz: float,
    min_step_time_s: float,
    max_step_time_s: float,
) -> tuple[np.ndarray, list[int], list[int]]:
    """Leg identity from the gait where the feet pass each other step after step.

    Walking seen from the side (or obliquely), the two feet cross along the image x once per step
    (mid-swing): between two crossings the same foot is in front, and at each crossing the other foot
    takes the lead. So inside a run of at least two crossings one step time apart
    (``min_step_time_s``..``max_step_time_s``), and for up to one step time beyond its first and
    last crossing, a frame's labels are set by the order of the feet: foot A leads in every second
    inter-crossing stretch. Frames whose feet are close (around a crossing, or a glitch that pulls
    the legs together) take the assignment whose leg chains lie nearest the chains interpolated
    between the well-separated frames on either side. Which foot is "left" is anchored, per run, on
    the labels the pose model gave in the majority of the run's frames. Label changes then happen
    only where the feet coincide, so the low-pass filter never blends two distant feet, whatever the
    pose model did in between (BlazePose relabels a side-view walker's legs at every step, e.g. by
    front/back; an injected swap is overruled the same way).

    A dip of the feet's distance inside a run that is not a crossing and lasts at most
    ``CROSSING_MAX_GLITCH_S`` (the pose model pulling both legs together for a frame or two; on the
    real side-view clip the leading foot was put 100 px behind its landing point) is returned as a
    glitch: those frames' leg landmarks are better dropped and interpolated than filtered.

    ``legs`` (T, 2, K, 2) with the ankle, heel and toe as the last three points; ``states`` (T,)
    the swap states found so far (kept outside the runs). Returns (states, crossing frames used,
    glitch frames).
    """
    n = legs.shape[0]
    out = np.asarray(states, bool).copy()
    glitches: list[int] = []
    if n < 5:
        return out, [], glitches
    with np.errstate(all="ignore"):
        fx = np.mean(legs[:, :, -3:, 0], axis=2)  # (T, 2) foot x per label, NaN when a point is missing
        gap = np.abs(fx[:, 0] - fx[:, 1])
    h = np.asarray(body_height_px, np.float64)
    ok = np.isfinite(gap) & np.isfinite(h)
    half = max(1, int(round(0.5 * min_step_time_s * rate_hz)))
    far = max(2, int(round(max_step_time_s * rate_hz)))
    g = np.where(ok, gap, np.inf)
    peak_g = np.where(ok, gap, -np.inf)
    local_peak = maximum_filter1d(peak_g, size=2 * far + 1, mode="nearest")
    clear_all = ok & (gap >= CROSSING_NEAR_FRACTION * local_peak)
    # the largest distance within max_step_time_s before / after each frame
    trailing = maximum_filter1d(peak_g, size=far, mode="constant", cval=-np.inf, origin=(far - 1) // 2)
    leading = maximum_filter1d(peak_g, size=far, mode="constant", cval=-np.inf, origin=-(far // 2))
    peak_around = np.minimum(
        np.concatenate([[-np.inf], trailing[:-1]]), np.concatenate([leading[1:], [-np.inf]])
    )
    local_min = ok & (g <= minimum_filter1d(g, size=2 * half + 1, mode="nearest"))
    found: list[int] = []
    for t in np.flatnonzero(local_min & (peak_around >= CROSSING_MIN_PEAK_BODY_HEIGHTS * h)):
        if found and t - found[-1] <= half:
            continue
        if _v_bottom(g, t) <= CROSSING_MAX_FRACTION * peak_around[t]:
            found.append(int(t))
    # runs of crossings one plausible step apart; a gap of 1.6 median steps or more (a crossing
    # missed) ends a run, so that no stretch spans two steps
    runs: list[list[int]] = []
    lo_step = min_step_time_s * rate_hz
    for c in found:
        if runs and lo_step <= c - runs[-1][-1] <= far:
            runs[-1].append(c)
        else:
            runs.append([c])
    split: list[list[int]] = []
    for run in runs:
        med = float(np.median(np.diff(run))) if len(run) >= 2 else 0.0
        cur = [run[0]]
        for c in run[1:]:
            if c - cur[-1] >= CROSSING_MAX_STEP_RATIO * med:
                split.append(cur)
                cur = []
            cur.append(c)
        split.append(cur)
    used: list[int] = []
    taken: list[tuple[int, int]] = []
    max_len = max(1, int(round(CROSSING_MAX_GLITCH_S * rate_hz)))
    for run in (r for r in split if len(r) >= 2):
        step = int(round(float(np.median(np.diff(run)))))
        start = _extend(clear_all, ok, run[0], -1, step, max_len)
        stop = _extend(clear_all, ok, run[-1], +1, step, max_len) + 1
        seg = np.searchsorted(np.asarray(run), np.arange(start, stop), side="right")  # stretch index
        low_left = fx[start:stop, 0] < fx[start:stop, 1]  # the label "left" has the smaller x
        # exchanged when the "left" label is not foot A; A has the smaller x in even stretches
        order_state = low_left == (seg % 2 == 1)
        clear = clear_all[start:stop]
        if not clear.any():
            continue
        new = np.where(clear, order_state, False)
        if np.mean(new[clear]) > 0.5:  # anchor: the labels of the majority of the run's frames
            new[clear] = ~new[clear]
        idx = np.flatnonzero(clear)
        fixed = apply_swaps(legs[start:stop], new)
        for t in np.flatnonzero(~clear):
            j = int(np.searchsorted(idx, t))
            i0 = idx[j - 1] if j > 0 else idx[j]
            i1 = idx[j] if j < idx.size else idx[j - 1]
            w = 0.0 if i0 == i1 else (t - i0) / (i1 - i0)
            target = (1 - w) * fixed[i0] + w * fixed[i1]
            cost = [
                float(np.nansum(np.linalg.norm(legs[start + t][:: 1 - 2 * k] - target, axis=-1)))
                for k in (0, 1)
            ]
            new[t] = cost[1] < cost[0]
        # short dips without a crossing, between well-separated frames: glitches
        edges = np.flatnonzero(np.diff(np.concatenate([[1], clear.astype(int), [1]])))
        run_glitches: list[int] = []
        for e0, e1 in zip(edges[::2], edges[1::2], strict=True):
            crosses = any(start + e0 <= c < start + e1 for c in run)
            if not crosses and e1 - e0 <= max_len and e0 > 0 and e1 < clear.size:
                run_glitches.extend(range(int(e0), int(e1)))
        # taken only when the legs run smoother so than with the states found so far (labels that
        # were right stay: in an oblique view the feet can share an x while apart in depth)
        keep = np.ones(stop - start, bool)
        keep[run_glitches] = False
        before = _roughness(legs[start:stop][keep], out[start:stop][keep], h[start:stop][keep])
        after = _roughness(legs[start:stop][keep], new[keep], h[start:stop][keep])
        if not after < CROSSING_MIN_GAIN * before:
            continue
        out[start:stop] = new
        glitches.extend(start + i for i in run_glitches)
        used.extend(run)
        taken.append((start, stop))
    if taken:
        out = _join_blocks(legs, out, taken, h)
    return out, used, sorted(set(glitches))


def _join_blocks(
    legs: np.ndarray, states: np.ndarray, runs: list[tuple[int, int]], h: np.ndarray
) -> np.ndarray:
    """Chain the blocks (the crossing runs and the stretches between them, each consistent within
    itself) so that the legs join without a jump: each block after the first is exchanged as a
    whole when that brings its first frame closer to the last frame before it (a closing step or a
    glitch can end a run with the feet apart). A tie keeps the block as it is. Then the identity is
    anchored on the labels of the majority of frames."""
    n = states.size
    cuts = sorted({0, n, *[a for a, _ in runs], *[b for _, b in runs]})
    out = states.copy()
    full = np.all(np.isfinite(legs), axis=(1, 2, 3))
    for a, b in zip(cuts[1:-1], cuts[2:], strict=True):
        prev = np.flatnonzero(full[:a])
        first = np.flatnonzero(full[a:b])
        if not prev.size or not first.size:
            continue
        p, f = prev[-1], a + first[0]
        ref = legs[p, ::-1] if out[p] else legs[p]
        here = legs[f, ::-1] if out[f] else legs[f]
        cost = [float(np.linalg.norm(x - ref, axis=-1).sum()) for x in (here, here[::-1])]
        scale = float(h[f]) if np.isfinite(h[f]) else 1.0
        if cost[1] < cost[0] - CROSSING_JOIN_MIN_BODY_HEIGHTS * scale:
            out[a:b] = ~out[a:b]
    if out.mean() > 0.5:
        out = ~out
    return out


def _roughness(legs: np.ndarray, states: np.ndarray, h: np.ndarray) -> float:
    """Sum over frames of the leg chains' second differences (constant-velocity prediction error),
    in body heights, with the legs exchanged where ``states``: a label jump between distant feet
    costs about twice their distance."""
    if legs.shape[0] < 3:
        return 0.0
    x = apply_swaps(legs, states)
    acc = np.linalg.norm(x[2:] - 2 * x[1:-1] + x[:-2], axis=-1).sum(axis=(1, 2)) / h[2:]
    return float(np.nansum(acc))


def _v_bottom(g: np.ndarray, t: int) -> float:
    """The feet's distance at a local minimum ``t``: the sampled value, or lower where the lines
    through the two samples on each side meet lower (a crossing falls between frames: at 30 fps the
    nearest sample can be 0.04 body heights from zero)."""
    if t < 2 or t + 2 >= g.size or not np.all(np.isfinite(g[t - 2 : t + 3])):
        return float(g[t])
    s_l, s_r = g[t - 1] - g[t - 2], g[t + 2] - g[t + 1]
    if not (s_l < 0 < s_r):
        return float(g[t])
    # y = g[t-1] + s_l (u + 1) = g[t+1] + s_r (u - 1), u relative to t
    u = (g[t + 1] - g[t - 1] - s_r - s_l) / (s_l - s_r)
    return float(max(0.0, min(g[t], g[t - 1] + s_l * (u + 1))))


def _extend(clear: np.ndarray, ok: np.ndarray, c: int, d: int, step: int, max_glitch: int) -> int:
    """Last frame from crossing ``c`` in direction ``d`` (+1/-1), at most ``step`` frames: through
    the crossing's own close frames, then well-separated frames (and glitches of at most
    ``max_glitch`` close frames between them) up to the next longer close stretch or missing frame."""
    n = clear.size
    t, left_zone = c, False
    end = min(n - 1, c + step) if d > 0 else max(0, c - step)
    while t != end:
        nxt = t + d
        if not ok[nxt]:
            break
        if left_zone and not clear[nxt]:
            k = nxt
            while k != end + d and 0 <= k < n and ok[k] and not clear[k]:
                k += d
            if abs(k - nxt) > max_glitch or k == end + d or not (0 <= k < n) or not ok[k]:
                break
            t = k
            continue
        left_zone = left_zone or bool(clear[nxt])
        t = nxt
    return t


# ------------------------------------------------------------------ side view: Zeni
@dataclass(frozen=True)
class ZeniInput:
    """One bout: heel and toe x (T, 2 feet) and mid-hip x (T,) in pixels, foot visibility (T, 2),
    timestamps (T,), direction of travel along image x (+1 / -1)."""

    heel_x: np.ndarray
    toe_x: np.ndarray
    mid_hip_x: np.ndarray
    visibility: np.ndarray
    timestamps_s: np.ndarray
    direction: int
    offset: int = 0  # position of the first frame in the whole sequence
    bout: int = 0
    #: which foot is nearer the camera (0 left, 1 right; from the view label: a right_side view
    #: shows the subject's right side), or None: then the feet are named from the pose labels
    near_foot: int | None = None
    #: optional (T, 2) heel and toe image y (px, down) and (T,) body height (px): with them, each
    #: contact is refined to the frame the foot's lowest point reaches the ground (see
    #: :func:`refine_contact`), which a flat-foot or toe-first landing reaches after Zeni's extremum
    heel_y: np.ndarray | None = None
    toe_y: np.ndarray | None = None
    body_height_px: np.ndarray | None = None
    #: the recording starts / ends inside this stretch (nobody detected before / after it): an
    #: extremum cut by the end of the data is then still taken when its turn is seen
    #: (see :func:`_extrema`)
    open_start: bool = False
    open_end: bool = False


class ZeniEventDetector:
    """Side-view events from the foot position relative to the mid-hip (Zeni et al. 2008)."""

    def __init__(self, *, min_step_time_s: float = 0.25, min_prominence_fraction: float = 0.25) -> None:
        self.min_step_time_s = min_step_time_s
        self.min_prominence_fraction = min_prominence_fraction

    def detect(self, data: ZeniInput, *, sampling_rate_hz: float) -> ZeniEventDetector:
        """Heel strikes and toe offs of one side-view bout, independent of the leg labels.

        BlazePose often labels the legs by front/back rather than anatomically in a side view (seen on
        ``walking/side_walk_60fps.mp4``: the leading foot is "left" at every heel strike), and a label
        flip when the feet cross cannot be told from the data. So events are found on label-free
        envelopes: a heel strike is a maximum of the LEADING foot's forward heel position relative to
        the mid-hip (the max over both feet), a toe off a maximum of the TRAILING foot's backward toe
        position; successive extrema are one step apart. Feet are then assigned by alternation (see
        :func:`_assign_alternating`); ``label_agreement_`` says how well the labels supported it.
        """
        d = int(np.sign(data.direction)) or 1
        facing = np.sign(np.nanmedian(data.toe_x - data.heel_x)) or d
        self.backwards_ = bool(facing != d)
        lead, trail = (data.toe_x, data.heel_x) if self.backwards_ else (data.heel_x, data.toe_x)
        # envelope extrema are one STEP apart (not a stride): no two closer than the minimum step time
        min_dist = max(1, int(round(self.min_step_time_s * sampling_rate_hz)))
        found: list[tuple[float, str, float, int]] = []  # (position, type, confidence, label vote)
        for sig, typ, sgn in ((lead, "heel_strike", 1.0), (trail, "toe_off", -1.0)):
            rel = sgn * d * (np.asarray(sig, np.float64) - data.mid_hip_x[:, None])  # (T, 2)
            both = np.all(np.isfinite(rel), axis=1)
            env = np.where(both, np.max(np.where(np.isfinite(rel), rel, -np.inf), axis=1), np.nan)
            for pos, conf in _extrema(
                env, min_dist, self.min_prominence_fraction, open_ends=(data.open_start, data.open_end)
            ):
                i = min(int(round(pos)), len(env) - 1)
                vote = int(np.nanargmax(rel[i])) if np.isfinite(rel[i]).any() else -1
                if typ == "heel_strike" and vote >= 0 and data.heel_y is not None and data.toe_y is not None:
                    h = data.body_height_px
                    tol = 0.008 * float(np.nanmedian(h)) if h is not None else 2.5
                    if not heel_first(data.heel_y[:, vote], data.toe_y[:, vote], pos, sampling_rate_hz, tol):
                        low = np.fmax(data.heel_y[:, vote], data.toe_y[:, vote])  # the foot's lowest point
                        pos = refine_contact(low, pos, sampling_rate_hz, tolerance_px=tol)
                vis = data.visibility[i]
                v = float(np.nanmin(vis)) if np.isfinite(vis).any() else 0.5
                found.append((pos, typ, conf * float(np.clip(v, 0, 1)), vote))
        found.sort(key=lambda f: f[0])
        hs = [f for f in found if f[1] == "heel_strike"]
        positions = [f[0] for f in hs]
        label_votes = [f[3] for f in hs]
        hs_feet, self.label_agreement_ = _assign_alternating(positions, label_votes, max_gap=2.5 * min_dist)
        # which foot is which without the pose model's labels: the NEAR foot stands lower in the image
        self.side_source_ = "pose labels"
        nf = near_far_votes(data, positions, d, sampling_rate_hz)
        if nf is not None:
            hs_feet, _ = _assign_alternating(positions, nf, max_gap=2.5 * min_dist)
            self.side_source_ = "near/far foot (ground contact height)"
            votes = [v for v in label_votes if v >= 0]
            agree = sum(1 for f, v in zip(hs_feet, label_votes, strict=True) if v >= 0 and f == v)
            self.label_agreement_ = agree / len(votes) if votes else 0.5
        events: list[GaitEvent] = []
        for (pos, _typ, conf, _v), foot_i in zip(hs, hs_feet, strict=True):
            events.append(
                GaitEvent(
                    data.offset + int(round(pos)),
                    _time_at(data.timestamps_s, pos),
                    FEET[foot_i],
                    "heel_strike",
                    conf,
                    data.bout,
                )
            )
        # a toe off belongs to the foot opposite the last heel strike (L HS -> R TO -> R HS -> L TO)
        hs_pos = np.array([f[0] for f in hs])
        for pos, typ, conf, vote in found:
            if typ != "toe_off":
                continue
            prev = np.flatnonzero(hs_pos < pos)
            if prev.size:
                foot_i = 1 - hs_feet[prev[-1]]
            elif hs_feet:
                foot_i = hs_feet[0]  # before the first heel strike: the trailing foot that lands next
            else:
                foot_i = max(vote, 0)
            events.append(
                GaitEvent(
                    data.offset + int(round(pos)),
                    _time_at(data.timestamps_s, pos),
                    FEET[foot_i],
                    "toe_off",
                    conf,
                    data.bout,
                )
            )
        self.events_ = sorted(events, key=lambda e: e.time_s)
        return self


def near_far_votes(
    data: ZeniInput, positions: list[float], direction: int, rate_hz: float
) -> list[int] | None:
    """Foot index per heel strike (0 left, 1 right) from where each landing foot stands in the image,
    or None when that cannot tell the feet apart.

    A camera is always above the floor, so of two feet on the ground the FAR one stands higher in the
    image (seen from 1.6 m at 5 m, a 0.15 m step width is about 10 px). For every contact the landing
    foot is, in early stance (0.1-0.35 s after it), the foot furthest ahead along the travel
    direction - whatever its label - and its ground level is the median of its lowest point (max of
    heel and toe y). Alternate contacts (even / odd positions of a run) form the two feet; when their
    mean ground levels differ by at least 0.3 % of body height and by 3 standard errors, the lower
    ones are the near foot (``data.near_foot``). Measured on the MediaPipe landmarks of the GAITSIM
    renders (side view, camera 1.6 m high): the near/far class was right for every contact of the
    healthy, hemiplegic and parkinsonian clips, where BlazePose's labels were wrong for the
    hemiplegic walker (1 of 7 contacts with the right foot)."""
    if data.near_foot is None or data.heel_y is None or data.toe_y is None or len(positions) < 3:
        return None
    n = data.heel_x.shape[0]
    g = []
    for pos in positions:
        a = min(n, int(round(pos + 0.1 * rate_hz)))
        b = min(n, int(round(pos + 0.35 * rate_hz)) + 1)
        if b - a < 2:
            g.append(np.nan)
            continue
        fwd = direction * 0.5 * (data.heel_x[a:b] + data.toe_x[a:b])  # (t, 2)
        ok = np.isfinite(fwd).all(axis=1)
        if not ok.any():
            g.append(np.nan)
            continue
        lead = np.argmax(np.where(np.isfinite(fwd), fwd, -np.inf), axis=1)
        low = np.fmax(data.heel_y[a:b], data.toe_y[a:b])[np.arange(b - a), lead]
        g.append(float(np.nanmedian(low[ok])) if np.isfinite(low[ok]).any() else np.nan)
    arr = np.array(g)
    even, odd = arr[0::2], arr[1::2]
    even, odd = even[np.isfinite(even)], odd[np.isfinite(odd)]
    if even.size < 1 or odd.size < 1 or even.size + odd.size < 3:
        return None
    diff = float(np.mean(even) - np.mean(odd))
    resid = np.concatenate([even - even.mean(), odd - odd.mean()])
    se = float(np.sqrt(np.sum(resid**2) / max(1, resid.size - 2)) * np.sqrt(1 / even.size + 1 / odd.size))
    h = float(np.nanmedian(data.body_height_px)) if data.body_height_px is not None else np.nan
    min_diff = 0.003 * h if np.isfinite(h) else 1.0
    if abs(diff) < min_diff or abs(diff) < 3 * se:
        return None
    near, far = data.near_foot, 1 - data.near_foot
    even_foot = near if diff > 0 else far  # larger image y = lower = nearer
    return [even_foot if k % 2 == 0 else 1 - even_foot for k in range(len(positions))]


def heel_first(
    heel_y: np.ndarray, toe_y: np.ndarray, pos: float, rate_hz: float, tolerance_px: float
) -> bool:
    """True when the foot arrives heel first at Zeni's extremum ``pos``: its toe is raised above its
    mid-stance position relative to the heel (the foot dorsiflexed, image y down) by more than two
    ``tolerance_px``. Zeni's time is then the heel strike and is kept; a flat-foot or toe-first landing
    (toe level or lower) is refined by :func:`refine_contact`. On the real side-view walks of
    ../shared/data the heel landings were otherwise moved 1.5-5 frames later (their heel keeps sinking
    a few pixels into mid stance)."""
    n = heel_y.size
    i0 = min(int(round(pos)), n - 1)
    rel = heel_y - toe_y  # > 0: toe higher in the image than the heel
    stance = rel[min(n, i0 + int(round(0.1 * rate_hz))) : min(n, i0 + int(round(0.35 * rate_hz)) + 1)]
    if not (np.isfinite(rel[i0]) and np.isfinite(stance).any()):
        return True  # cannot tell: keep Zeni's time
    return bool(rel[i0] - float(np.nanmedian(stance)) > 2 * tolerance_px)


def refine_contact(
    lowest_y: np.ndarray,
    pos: float,
    rate_hz: float,
    *,
    tolerance_px: float,
    after_s: float = 0.2,
) -> float:
    """Contact time (sub-frame position) of a foot whose lowest point (max of heel and toe image y,
    y down) is ``lowest_y`` (T,), near Zeni's estimate ``pos``.

    The ground level is the foot's median lowest point in early-to-mid stance (0.1-0.35 s after
    ``pos``); when the foot is still above that at ``pos``, contact is where its lowest point first
    comes within ``tolerance_px`` of it, up to ``after_s`` later (never earlier). Zeni's extremum
    (foot furthest ahead of the pelvis) coincides with a heel strike, but a flat-foot or toe-first
    landing (hemiplegic, parkinsonian) still travels down after the foot stops advancing: measured
    on the GAITSIM hemiplegic walker, Zeni alone put the affected foot's flat landings 2-4 frames
    early. When the foot was not lifted clearly before (a shuffle: less than two tolerances), or no
    crossing is found, ``pos`` is returned unchanged."""
    n = lowest_y.size
    i0 = int(round(pos))
    a, b = int(round(0.1 * rate_hz)), max(int(round(0.35 * rate_hz)), int(round(0.1 * rate_hz)) + 2)
    stance = lowest_y[min(n, i0 + a) : min(n, i0 + b)]
    before = lowest_y[max(0, i0 - int(round(0.2 * rate_hz))) : i0 + 1]
    if np.isfinite(stance).sum() < 2 or not np.isfinite(before).any():
        return pos
    ground = float(np.nanmedian(stance))
    if ground - float(np.nanmin(before)) < 2 * tolerance_px:
        return pos
    thr = ground - tolerance_px
    if not np.isfinite(lowest_y[min(i0, n - 1)]) or lowest_y[min(i0, n - 1)] >= thr:
        return pos  # already down at Zeni's extremum (a heel strike): keep it
    hi = min(n - 1, i0 + int(round(after_s * rate_hz)))
    for j in range(max(1, i0 + 1), hi + 1):
        y0, y1 = lowest_y[j - 1], lowest_y[j]
        if np.isfinite(y1) and y1 >= thr:
            if np.isfinite(y0) and y0 < thr and y1 != y0:
                return max(pos, float(j - 1 + (thr - y0) / (y1 - y0)))
            return max(pos, float(j))
    return pos


def _assign_alternating(
    positions: list[float], votes: list[int], *, max_gap: float
) -> tuple[list[int], float]:
    """Foot index (0 left, 1 right) per heel strike: strictly alternating within runs of steps no
    further apart than ``max_gap`` frames; each run's phase is the one most label votes agree with.

    Returns the assignment and the share of votes that agree with it (0.5 = the labels carried no
    side information, e.g. the leading foot was always called "left"; then which physical leg is
    "left" is a guess, reported as such).
    """
    n = len(positions)
    out = [0] * n
    agree = total = 0
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and positions[stop] - positions[stop - 1] <= max_gap:
            stop += 1
        run_votes = votes[start:stop]
        best = None
        for phase in (0, 1):
            feet = [(phase + k) % 2 for k in range(stop - start)]
            score = sum(1 for f, v in zip(feet, run_votes, strict=True) if v == f)
            if best is None or score > best[0]:
                best = (score, feet)
        assert best is not None
        out[start:stop] = best[1]
        agree += best[0]
        total += sum(1 for v in run_votes if v >= 0)
        start = stop
    return out, (agree / total if total else 0.5)


#: An extremum cut by the end of the recording (``open_start`` / ``open_end``) counts when at least
#: this many samples beyond it are lower, the last by this share of the signal's range: the turn is
#: seen even though the fall is not complete (real side-view clip: the last heel strike 2 frames
#: before the end, its envelope 3.6 % of the range lower at the last frame).
EDGE_EXTREMUM_MIN_SAMPLES = 2
EDGE_EXTREMUM_MIN_DROP_FRACTION = 0.02


def _extrema(
    sig: np.ndarray, min_dist: int, prom_frac: float, *, open_ends: tuple[bool, bool] = (False, False)
) -> list[tuple[float, float]]:
    """Sub-frame maxima of ``sig`` (NaN gaps interpolated) and a prominence-based confidence.

    ``open_ends`` (start, end): the data are cut there by the end of the recording, so a maximum
    within ``min_dist`` of that end has no fall on that side to measure its prominence with; it is
    taken when it rises by the prominence on the inner side and the samples beyond it fall (see
    ``EDGE_EXTREMUM_*``), at half the confidence.
    """
    x = np.asarray(sig, dtype=np.float64)
    ok = np.isfinite(x)
    if ok.sum() < 5:
        return []
    filled = np.interp(np.arange(x.size), np.flatnonzero(ok), x[ok])
    span = float(np.percentile(filled, 95) - np.percentile(filled, 5))
    if span <= 0:
        return []
    peaks, props = find_peaks(filled, distance=min_dist, prominence=prom_frac * span)
    found = [(int(p), float(prom), 1.0) for p, prom in zip(peaks, props["prominences"], strict=True)]
    for end, is_open in zip((0, 1), open_ends, strict=True):
        if not is_open:
            continue
        y = filled if end else filled[::-1]
        okr = ok if end else ok[::-1]
        q = _edge_peak(y, okr, min_dist, prom_frac * span)
        if q is None:
            continue
        p = q[0] if end else x.size - 1 - q[0]
        if all(abs(p - f[0]) >= min_dist for f in found):
            found.append((p, q[1], 0.5))
    out = []
    for p, prom, conf_edge in sorted(found):
        if not (ok[p - 1] and ok[p] and ok[p + 1]):
            conf_gap = 0.5 * conf_edge
        else:
            conf_gap = conf_edge
        y0, y1, y2 = filled[p - 1], filled[p], filled[p + 1]
        den = y0 - 2 * y1 + y2
        delta = 0.5 * (y0 - y2) / den if den < 0 else 0.0
        out.append((p + float(np.clip(delta, -0.5, 0.5)), float(min(1.0, prom / (0.6 * span))) * conf_gap))
    return out


def _edge_peak(y: np.ndarray, ok: np.ndarray, min_dist: int, min_prom: float) -> tuple[int, float] | None:
    """The maximum of ``y`` within ``min_dist`` of its end if its turn is seen (at least
    ``EDGE_EXTREMUM_MIN_SAMPLES`` samples after it, falling steadily to the end by
    ``EDGE_EXTREMUM_MIN_DROP_FRACTION`` of the range) and it rises by ``min_prom`` over the minimum
    before it (back to a higher sample); (index, rise) or None."""
    n = y.size
    k = EDGE_EXTREMUM_MIN_SAMPLES
    lo = max(1, n - 1 - min_dist)
    if n - k <= lo:
        return None
    p = lo + int(np.argmax(y[lo : n - k]))
    span = float(np.percentile(y, 95) - np.percentile(y, 5))
    tail = y[p:]
    if not (ok[p] and y[p - 1] <= y[p] and np.all(np.diff(tail) < 0)):
        return None
    if y[p] - y[-1] < EDGE_EXTREMUM_MIN_DROP_FRACTION * span:
        return None
    higher = np.flatnonzero(y[:p] > y[p])
    rise = float(y[p]) - float(np.min(y[(higher[-1] + 1 if higher.size else 0) : p]))
    return (p, rise) if rise >= min_prom else None


def _time_at(ts: np.ndarray, pos: float) -> float:
    return float(np.interp(pos, np.arange(ts.size), ts))


# ------------------------------------------------------------------ front/back view: relative foot motion
@dataclass(frozen=True)
class FootExcursionInput:
    """One bout: foot centre (T, 2 feet, 2) and mid-hip (T, 2) in image pixels (y down), body height
    (T,) px, foot visibility (T, 2), timestamps (T,)."""

    foot_px: np.ndarray
    mid_hip_px: np.ndarray
    body_height_px: np.ndarray
    visibility: np.ndarray
    timestamps_s: np.ndarray
    offset: int = 0
    bout: int = 0


class FootExcursionEventDetector:
    """Front/back-view events from the motion of each foot relative to the other foot and the pelvis.

    In a front or back view the foot in stance is fixed on the ground. Whatever the camera does
    (static, panning, following the walker) it moves the two feet alike, so the velocity of one foot
    RELATIVE TO THE OTHER (image px/s divided by the body height) is near zero in double support and
    large whenever a foot swings: the swing foot rises (clearance), comes back down and, under
    perspective, travels up or down the image as it passes the stance foot. That relative motion is
    shared out between the feet by how much each one moves relative to the mid-hip (the stance foot
    only drifts as the pelvis passes over it; the swing foot moves two to three times faster and
    lifts): each foot's share is its **swing activity** (:func:`swing_activity`).

    Events: every peak of a foot's activity at least ``min_stride_s`` after the previous one (and
    rising by ``anchor_prominence_fraction`` of its 90th percentile) anchors one swing; toe off = the
    activity last rose through ``fraction`` of that swing's peak before it, heel strike = it first
    falls back below after it (the end of the foot's excursion), both within ``max_swing_s``.
    Confidence = anchor prominence x foot visibility.

    Scale-free (body heights per frame, the body height smoothed over ``scale_window_s`` so that knee
    flexion does not modulate it) and direction-free: approaching, receding, stopping or walking
    backwards give the same signals, and a camera that follows the walker cancels out. Limitation
    (measured on synthetic walkers, docs/gait.md): early in the swing of a walker APPROACHING the
    camera the foot's rise and its forward travel (down the image) cancel, so toe off is found late
    (about 5 frames at 30 fps); receding, the same happens before heel strike.
    """

    def __init__(
        self,
        *,
        fraction: float = 0.15,
        min_threshold_body_heights_per_s: float = 0.03,
        min_stride_s: float = 0.6,
        anchor_prominence_fraction: float = 0.3,
        max_swing_s: float = 0.5,
        scale_window_s: float = 2.0,
        smooth_s: float = 0.17,
    ) -> None:
        self.fraction = fraction
        self.min_threshold_body_heights_per_s = min_threshold_body_heights_per_s
        self.min_stride_s = min_stride_s
        self.anchor_prominence_fraction = anchor_prominence_fraction
        self.max_swing_s = max_swing_s
        self.scale_window_s = scale_window_s
        self.smooth_s = smooth_s

    def detect(self, data: FootExcursionInput, *, sampling_rate_hz: float) -> FootExcursionEventDetector:
        """Events of one bout in ``events_``; ``activity_`` (T, 2) and ``anchors_`` kept for plots."""
        win = max(3, int(round(self.scale_window_s * sampling_rate_hz)))
        h = nan_moving_median(np.asarray(data.body_height_px, np.float64), win)
        self.activity_ = swing_activity(
            data.foot_px, data.mid_hip_px, h, sampling_rate_hz=sampling_rate_hz, smooth_s=self.smooth_s
        )
        self.anchors_ = [
            swing_anchors(
                self.activity_[:, k],
                sampling_rate_hz,
                min_separation_s=self.min_stride_s,
                prominence_fraction=self.anchor_prominence_fraction,
            )
            for k in range(2)
        ]
        self.anchors_ = _dominant_anchors(self.activity_, self.anchors_)
        self.events_ = _events_around_anchors(
            self.activity_,
            self.anchors_,
            data.visibility,
            data.timestamps_s,
            offset=data.offset,
            bout=data.bout,
            sampling_rate_hz=sampling_rate_hz,
            fraction=self.fraction,
            floor=self.min_threshold_body_heights_per_s,
            max_swing_s=self.max_swing_s,
        )
        return self


def swing_anchors(
    activity: np.ndarray, rate_hz: float, *, min_separation_s: float, prominence_fraction: float
) -> list[tuple[int, float]]:
    """Swing anchors of one foot: (frame, prominence / level) of the peaks of its swing activity that
    are at least ``min_separation_s`` apart (one swing per stride) and rise by ``prominence_fraction``
    of the 90th-percentile activity."""
    a = np.asarray(activity, np.float64)
    ok = np.isfinite(a)
    if ok.sum() < 5:
        return []
    idx = np.arange(a.size)
    filled = np.interp(idx, idx[ok], a[ok])
    level = float(np.percentile(filled, 90))
    if level <= 0:
        return []
    win = max(1, int(round(min_separation_s * rate_hz)))
    peaks, props = find_peaks(filled, distance=win, prominence=prominence_fraction * level)
    return [(int(p), float(min(1.0, pr / level))) for p, pr in zip(peaks, props["prominences"], strict=True)]


def _dominant_anchors(
    activity: np.ndarray, anchors: list[list[tuple[int, float]]], min_interval_fraction: float = 0.75
) -> list[list[tuple[int, float]]]:
    """Keep the anchors of real swings: at a swing the swinging foot out-moves the other one (an
    anchor where the other foot is more active is the stance foot carried by a lateral pelvic shift,
    e.g. a waddling walker's 6 cm, or its heel rising before toe off), and one foot's swings come
    once a stride (of two anchors closer than ``min_interval_fraction`` of the foot's median
    interval, the weaker goes). Measured on the GAITSIM waddling walker (front/back view, 60
    steps/min): without these filters 0 of 12 contacts were found within 2 frames."""
    out: list[list[tuple[int, float]]] = []
    for k in range(2):
        own = [
            (m, p)
            for m, p in anchors[k]
            if not (np.isfinite(activity[m, 1 - k]) and activity[m, 1 - k] > activity[m, k])
        ]
        if len(own) >= 3:
            med = float(np.median(np.diff([m for m, _ in own])))
            kept: list[tuple[int, float]] = []
            for m, p in own:
                if kept and m - kept[-1][0] < min_interval_fraction * med:
                    if p > kept[-1][1]:
                        kept[-1] = (m, p)
                    continue
                kept.append((m, p))
            own = kept
        out.append(own)
    return out


def _events_around_anchors(
    activity: np.ndarray,
    anchors: list[list[tuple[int, float]]],
    visibility: np.ndarray,
    timestamps_s: np.ndarray,
    *,
    offset: int,
    bout: int,
    sampling_rate_hz: float,
    fraction: float,
    floor: float,
    max_swing_s: float,
) -> list[GaitEvent]:
    """One swing per anchor: toe off where the foot's activity last rose through ``fraction`` of the
    swing's peak activity before the anchor, heel strike where it first falls below it after."""
    n = activity.shape[0]
    reach = max(2, int(round(max_swing_s * sampling_rate_hz)))
    # slow walkers swing longer: half a stride (median anchor interval) when that is longer
    intervals = [np.diff([m for m, _ in an]) for an in anchors if len(an) >= 2]
    if intervals:
        reach = max(reach, int(round(0.5 * float(np.median(np.concatenate(intervals))))))
    events: list[GaitEvent] = []
    for k, foot in enumerate(FEET):
        a = activity[:, k]
        ok = np.isfinite(a)
        if ok.sum() < 5:
            continue
        a = np.interp(np.arange(n), np.flatnonzero(ok), a[ok])
        # the stance level: a foot stands for more than half the time, so its 40th percentile is
        # the activity it shows on the ground (near zero normally; a heel rise, the foot settling
        # flat and a lateral pelvic shift raise it in slow or waddling walkers)
        stance_level = float(np.percentile(a, 40))
        for m, prom in anchors[k]:
            lo, hi = max(0, m - reach), min(n - 1, m + reach)
            pk = lo + int(np.argmax(a[lo : hi + 1]))
            thr = max(floor, fraction * a[pk], 1.2 * stance_level)
            if a[pk] <= thr:
                continue
            i = pk
            while i > lo and a[i] > thr:
                i -= 1
            j = pk
            while j < hi and a[j] > thr:
                j += 1
            vis = visibility[m, k]
            conf = prom * (float(np.clip(vis, 0, 1)) if np.isfinite(vis) else 0.5)
            if a[i] <= thr:  # a crossing inside the window (not cut by the bout edge)
                pos = _crossing(a, i, thr)
                events.append(
                    GaitEvent(
                        offset + int(round(pos)), _time_at(timestamps_s, pos), foot, "toe_off", conf, bout
                    )
                )
            if a[j] <= thr:
                pos = _crossing(a, j - 1, thr)
                events.append(
                    GaitEvent(
                        offset + int(round(pos)), _time_at(timestamps_s, pos), foot, "heel_strike", conf, bout
                    )
                )
    return sorted(events, key=lambda e: e.time_s)


def swing_activity(
    foot_px: np.ndarray,
    mid_hip_px: np.ndarray,
    body_height_px: np.ndarray,
    *,
    sampling_rate_hz: float,
    smooth_s: float = 0.17,
) -> np.ndarray:
    """(T, 2) body heights/s: the speed of one foot relative to the other, shared between the feet in
    proportion to each foot's speed relative to the mid-hip (so the swing foot gets most of it).

    ``foot_px`` (T, 2, 2), ``mid_hip_px`` (T, 2), ``body_height_px`` (T,).
    """
    h = np.asarray(body_height_px, np.float64)
    v = smooth_velocity(foot_px, sampling_rate_hz, window_s=smooth_s) / h[:, None, None]  # (T, 2, 2)
    vm = smooth_velocity(mid_hip_px, sampling_rate_hz, window_s=smooth_s) / h[:, None]
    between = np.linalg.norm(v[:, 0] - v[:, 1], axis=1)  # (T,)
    own = np.linalg.norm(v - vm[:, None, :], axis=2)  # (T, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = own / np.sum(own, axis=1, keepdims=True)
    share = np.where(np.isfinite(share), share, 0.5)
    return between[:, None] * share


def smooth_velocity(x: np.ndarray, rate_hz: float, *, window_s: float) -> np.ndarray:
    """Derivative along axis 0 (units/s) from a local quadratic fit over ``window_s`` (Savitzky-Golay);
    NaN gaps are interpolated for the fit and NaN again in the result. Falls back to central
    differences when the window is under 5 frames or the series is too short."""
    x = np.asarray(x, dtype=np.float64)
    win = int(round(window_s * rate_hz)) | 1
    if win < 5 or x.shape[0] < win + 2:
        return central_velocity(x, rate_hz)
    flat = x.reshape(x.shape[0], -1)
    out = np.full(flat.shape, np.nan)
    idx = np.arange(x.shape[0])
    for c in range(flat.shape[1]):
        ok = np.isfinite(flat[:, c])
        if ok.sum() < win:
            continue
        filled = np.interp(idx, idx[ok], flat[ok, c])
        out[:, c] = np.where(
            ok, savgol_filter(filled, win, 2, deriv=1, delta=1.0 / rate_hz, mode="interp"), np.nan
        )
    return out.reshape(x.shape)


def _crossing(s: np.ndarray, i: int, thr: float) -> float:
    """Sub-frame position where ``s`` crosses ``thr`` between frames i and i+1."""
    a, b = s[i], s[i + 1]
    if not (np.isfinite(a) and np.isfinite(b)) or a == b:
        return i + 0.5
    return i + float(np.clip((thr - a) / (b - a), 0.0, 1.0))


# ------------------------------------------------------------------ plausibility
#: A foot without any toe off in a bout keeps heel strikes one regular stride apart when it has at
#: least this many heel strikes there, and two of them lie within this fraction of its median stride
#: (measured on the GAITSIM parkinsonian render through MediaPipe, docs/gait.md section 7).
REGULAR_STRIDE_MIN_HEEL_STRIKES = 4
REGULAR_STRIDE_FRACTION = (0.75, 1.33)


def _regular_strides(evs: list[GaitEvent], idx: list[int], with_off: set[int]) -> dict[int, float]:
    """Per bout without any toe off of this foot (``idx``: its events), the median interval between
    its heel strikes when there are at least :data:`REGULAR_STRIDE_MIN_HEEL_STRIKES` of them (and it
    is positive)."""
    out: dict[int, float] = {}
    for b in {evs[i].bout for i in idx} - with_off:
        t = [evs[i].time_s for i in idx if evs[i].bout == b and evs[i].type == "heel_strike"]
        if len(t) >= REGULAR_STRIDE_MIN_HEEL_STRIKES:
            stride = float(np.median(np.diff(t)))
            if stride > 0:
                out[b] = stride
    return out


class PlausibilityChecker:
    """Alternation and step-time checks; implausible events keep a lower confidence and a flag.

    * per foot, heel strikes and toe offs must alternate (of two equal events in a row, the weaker is
      implausible). Except for a foot without any toe off in the bout whose heel strikes (at least
      4) come at a regular stride: two of them within 0.75-1.33 of its median stride are no pair, its
      toe offs were just not seen (the near foot of the shuffling GAITSIM parkinsonian render, whose
      toe barely leaves the ground; every second heel strike used to be set aside for it);
    * heel strikes must alternate between feet, and the time between consecutive heel strikes of the
      two feet (a step) must lie within [``min_step_time_s``, ``max_step_time_s``].
    Implausible events have their confidence halved and carry the ``reason`` they were set aside
    (written to result.json); only plausible events make steps.
    """

    def __init__(self, *, min_step_time_s: float, max_step_time_s: float) -> None:
        self.min_step_time_s = min_step_time_s
        self.max_step_time_s = max_step_time_s

    def detect(self, events: list[GaitEvent], *, sampling_rate_hz: float) -> PlausibilityChecker:
        del sampling_rate_hz
        evs = sorted(events, key=lambda e: e.time_s)
        bad = np.zeros(len(evs), bool)
        why: dict[int, str] = {}
        for foot in FEET:
            idx = [i for i, e in enumerate(evs) if e.foot == foot]
            with_off = {evs[i].bout for i in idx if evs[i].type == "toe_off"}
            stride = _regular_strides(evs, idx, with_off)
            for i, j in zip(idx[:-1], idx[1:], strict=True):
                b, dt = evs[i].bout, evs[j].time_s - evs[i].time_s
                # a foot whose toe offs were never seen: heel strikes one regular stride apart are no pair
                lo, hi = REGULAR_STRIDE_FRACTION
                missed = b in stride and 2 * self.min_step_time_s <= dt and lo <= dt / stride[b] <= hi
                if evs[i].type == evs[j].type and evs[i].bout == evs[j].bout and not missed:
                    k = i if evs[i].confidence < evs[j].confidence else j
                    bad[k] = True
                    why[k] = f"two {evs[k].type.replace('_', ' ')}s of the {foot} foot in a row (the weaker)"
        hs = [i for i, e in enumerate(evs) if e.type == "heel_strike" and not bad[i]]
        ok_hs = np.zeros(len(evs), bool)
        for i, j in zip(hs[:-1], hs[1:], strict=True):
            dt = evs[j].time_s - evs[i].time_s
            if (
                evs[i].foot != evs[j].foot
                and evs[i].bout == evs[j].bout
                and self.min_step_time_s <= dt <= self.max_step_time_s
            ):
                ok_hs[i] = ok_hs[j] = True
        for i in hs:
            if not ok_hs[i]:
                bad[i] = True
                why[i] = (
                    "no heel strike of the other foot within a plausible step time "
                    f"({self.min_step_time_s:g}-{self.max_step_time_s:g} s) before or after it"
                )
        self.events_ = [
            replace(
                e,
                plausible=not bad[i],
                confidence=e.confidence * (0.5 if bad[i] else 1.0),
                reason=why.get(i) if bad[i] else None,
            )
            for i, e in enumerate(evs)
        ]
        return self
