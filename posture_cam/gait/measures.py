"""Clinical gait measures beyond step timing: variability, step length overall, base width, trunk
flexion while walking, arm swing, foot clearance, per-bout summaries and "how much more walking".

All functions are pure: they read the conditioned landmarks of the walking frames, the plausible
events and the step table, and return :class:`~posture_cam.measurement.MetricResult` values with the
view they need and, when they cannot be measured, the reason. Definitions (docs/gait.md, section 4b):

* ``step_time_cv_pct``: step-to-step variability of step time, pooled over bouts: the standard
  deviation of each step time about the mean of ITS BOUT AND SIDE (so two bouts at different speeds,
  a limp's left/right difference and a per-foot timing bias do not count as variability), over the
  mean step time, x 100. Needs ``GaitConfig.min_steps_for_variability`` steps in all.
* ``step_length_pct_height`` / ``step_length_m``: median step length of both sides (side view).
* ``base_width_pct_height`` (front/back view): the horizontal image distance between the two ankles
  at each heel strike (both feet on the ground), over the body height at that frame, x 100. A proxy:
  the feet are at slightly different depths, so it carries a few % of perspective error.
* ``trunk_flexion_walking_deg`` (side view): angle of the mid-hip -> mid-shoulder line from the image
  vertical in every walking frame, positive = leaning towards the way the subject faces; median.
* ``arm_swing_left_deg`` / ``arm_swing_right_deg`` (side view): per stride, the range (max - min) of
  the shoulder -> wrist line's angle from vertical in the sagittal plane; median over strides.
  ``arm_swing_si_pct``: Robinson's SI of the two (+ = right swings more); ``side`` in its extra names
  the side that swings LESS. Sides follow the pose model's arm labels.
* ``foot_clearance_pct_height`` (side view): per swing, how far the toe rises above where it stood in
  the preceding stance (peak lift), over body height x 100; median of all swings (per side in extra).
  A proxy for clearance (a shuffling foot barely lifts); not the minimum toe clearance of the lab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..config import GaitConfig
from ..landmarks import Landmark
from ..measurement import FRONTAL_VIEWS, SIDE_VIEWS, MetricResult
from ..sequence import PoseSequence
from .events import FEET, GaitEvent
from .parameters import Step, symmetry_index_pct

L: type[Landmark] = Landmark
_ARMS = {"left": (L.LEFT_SHOULDER, L.LEFT_WRIST), "right": (L.RIGHT_SHOULDER, L.RIGHT_WRIST)}


@dataclass(frozen=True)
class BoutFrames:
    """What the measures need to know about one walking bout: frames ``start:stop``, its view family
    and the way the subject faces in the image (+1 image right, -1 image left; 0 front/back)."""

    start: int
    stop: int
    view_family: str
    facing: int
    index: int


# ------------------------------------------------------------------ variability and step length
def step_time_cv(steps: Sequence[Step], *, min_steps: int, views: tuple[str, ...]) -> MetricResult:
    """Pooled within-bout coefficient of variation of step time (%)."""
    t = np.array([s.step_time_s for s in steps], np.float64)
    # groups: one per bout and side, so a constant per-side offset (a limp's asymmetry, or the
    # front-view timing bias that differs between the feet) is not counted as variability
    b = np.array([2 * s.bout + (s.side == "right") for s in steps])
    ok = np.isfinite(t)
    t, b = t[ok], b[ok]
    if t.size < min_steps:
        return MetricResult.not_assessable(
            "%",
            f"only {t.size} steps (need {min_steps} for step-to-step variability)",
            view_required=views,
            n_frames=int(t.size),
        )
    dev = np.concatenate([t[b == k] - t[b == k].mean() for k in np.unique(b)])
    dof = t.size - np.unique(b).size
    if dof < 2:
        return MetricResult.not_assessable(
            "%", "too few steps per bout for a variability", view_required=views, n_frames=int(t.size)
        )
    sd = float(np.sqrt(np.sum(dev**2) / dof))
    n_bouts = int(np.unique(b // 2).size)
    return MetricResult(
        100.0 * sd / float(t.mean()), "%", None, int(t.size), views, extra={"pooled_bouts": n_bouts}
    )


def step_length_overall(
    steps: Sequence[Step], *, min_steps: int, px_per_m: float | None
) -> dict[str, MetricResult]:
    """Median step length of both sides: % of body height, and metres when the scale is known."""
    pct = np.array([s.step_length_pct_height for s in steps], np.float64)
    if not np.isfinite(pct).any():
        reason = "step length needs walking filmed from the side (depth is not measurable from the front)"
        return {
            "step_length_pct_height": MetricResult.not_assessable(
                "% height", reason, view_required=SIDE_VIEWS
            ),
            "step_length_m": MetricResult.not_assessable("m", reason, view_required=SIDE_VIEWS),
        }
    out = {
        "step_length_pct_height": MetricResult.from_series(
            pct, "% height", view_required=SIDE_VIEWS, min_frames=min_steps, what="steps with a length"
        )
    }
    if px_per_m:
        m = np.array([s.step_length_m for s in steps], np.float64)
        out["step_length_m"] = MetricResult.from_series(
            m, "m", view_required=SIDE_VIEWS, min_frames=min_steps, what="steps with a length"
        )
    else:
        out["step_length_m"] = MetricResult.not_assessable(
            "m", "step length in metres needs the scale (give the subject's height)", view_required=SIDE_VIEWS
        )
    return out


# ------------------------------------------------------------------ base width (front/back)
def base_width(
    legs: np.ndarray, events: Sequence[GaitEvent], body_height_px: np.ndarray, bouts: Sequence[BoutFrames],
    *, min_steps: int,
) -> MetricResult:  # fmt: skip
    """Ankle-to-ankle horizontal distance at heel strikes of front/back-view bouts, % of body height."""
    frontal = {b.index for b in bouts if b.view_family == "frontal"}
    if not frontal:
        return MetricResult.not_assessable(
            "% height", "base width needs walking filmed from the front or back", view_required=FRONTAL_VIEWS
        )
    vals = []
    for e in events:
        if not (e.plausible and e.type == "heel_strike" and e.bout in frontal):
            continue
        i = min(e.frame, legs.shape[0] - 1)
        w = abs(legs[i, 0, 2, 0] - legs[i, 1, 2, 0])
        h = body_height_px[i]
        if np.isfinite(w) and np.isfinite(h) and h > 0:
            vals.append(100.0 * w / h)
    return MetricResult.from_series(
        np.array(vals), "% height", view_required=FRONTAL_VIEWS, min_frames=min_steps, what="heel strikes"
    )


# ------------------------------------------------------------------ trunk flexion while walking
def trunk_flexion_walking(
    seq: PoseSequence, view_family: np.ndarray, bouts: Sequence[BoutFrames], *, min_frames: int
) -> MetricResult:
    """Median forward lean of the trunk (deg) over the side-view walking frames."""
    hip = seq.midpoint(L.LEFT_HIP, L.RIGHT_HIP)
    sh = seq.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    v = sh - hip
    vals = []
    for b in bouts:
        if b.facing == 0:
            continue
        sl = slice(b.start, b.stop)
        fr = view_family[sl] == "side"
        ang = np.degrees(np.arctan2(b.facing * v[sl, 0], -v[sl, 1]))
        vals.append(ang[fr])
    series = np.concatenate(vals) if vals else np.zeros(0)
    if series.size == 0:
        return MetricResult.not_assessable(
            "deg", "trunk flexion while walking needs walking filmed from the side", view_required=SIDE_VIEWS
        )
    return MetricResult.from_series(series, "deg", view_required=SIDE_VIEWS, min_frames=min_frames)


# ------------------------------------------------------------------ arm swing
def arm_swing(
    seq: PoseSequence,
    events: Sequence[GaitEvent],
    view_family: np.ndarray,
    bouts: Sequence[BoutFrames],
    *,
    min_strides: int,
    min_per_side_for_si: int,
) -> dict[str, MetricResult]:
    """Arm swing range per side (deg) over strides of side-view bouts, and its symmetry index."""
    side_bouts = {b.index: b for b in bouts if b.view_family == "side" and b.facing != 0}
    out: dict[str, MetricResult] = {}
    if not side_bouts:
        reason = "arm swing needs walking filmed from the side"
        for f in FEET:
            out[f"arm_swing_{f}_deg"] = MetricResult.not_assessable("deg", reason, view_required=SIDE_VIEWS)
        out["arm_swing_si_pct"] = MetricResult.not_assessable("%", reason, view_required=SIDE_VIEWS)
        return out
    hs = [e for e in events if e.plausible and e.type == "heel_strike" and e.bout in side_bouts]
    strides: list[tuple[int, int, int]] = []  # heel strike -> next heel strike of the same foot
    for f in FEET:
        fe = [e for e in hs if e.foot == f]
        strides += [
            (a.frame, b.frame, a.bout) for a, b in zip(fe[:-1], fe[1:], strict=True) if a.bout == b.bout
        ]
    for f in FEET:
        s_lm, w_lm = _ARMS[f]
        d = seq.xy(w_lm) - seq.xy(s_lm)
        ranges = []
        for a, b, bout in strides:
            fac = side_bouts[bout].facing
            ang = np.degrees(np.arctan2(fac * d[a : b + 1, 0], d[a : b + 1, 1]))
            ang = ang[np.isfinite(ang)]
            if ang.size >= 0.8 * (b + 1 - a):
                ranges.append(float(np.max(ang) - np.min(ang)))
        out[f"arm_swing_{f}_deg"] = MetricResult.from_series(
            np.array(ranges),
            "deg",
            view_required=SIDE_VIEWS,
            min_frames=min_strides,
            what="strides",
            note="sides follow the pose model's arm labels",
        )
    out["arm_swing_si_pct"] = _si_smaller_side(
        out["arm_swing_left_deg"], out["arm_swing_right_deg"], min_per_side_for_si, "swings less"
    )
    return out


def _si_smaller_side(left: MetricResult, right: MetricResult, min_n: int, verb: str) -> MetricResult:
    if not (left.ok and right.ok):
        bad = left if not left.ok else right
        return MetricResult.not_assessable("%", f"needs both sides: {bad.reason}", view_required=SIDE_VIEWS)
    if min(left.n_frames, right.n_frames) < min_n:
        return MetricResult.not_assessable(
            "%",
            f"an asymmetry needs at least {min_n} strides of each side "
            f"(left {left.n_frames}, right {right.n_frames})",
            view_required=SIDE_VIEWS,
            n_frames=min(left.n_frames, right.n_frames),
        )
    si = symmetry_index_pct(right.number, left.number)
    if not np.isfinite(si):
        return MetricResult.not_assessable("%", "both sides are zero", view_required=SIDE_VIEWS)
    smaller = "left" if si > 0 else "right" if si < 0 else None
    return MetricResult(
        si,
        "%",
        None,
        min(left.n_frames, right.n_frames),
        SIDE_VIEWS,
        extra={"left": round(left.number, 2), "right": round(right.number, 2), "side": smaller,
               "meaning_of_side": f"the side that {verb}"},
    )  # fmt: skip


# ------------------------------------------------------------------ foot clearance
def foot_clearance(
    legs: np.ndarray,
    events: Sequence[GaitEvent],
    body_height_px: np.ndarray,
    bouts: Sequence[BoutFrames],
    *,
    min_swings: int,
) -> MetricResult:
    """Median peak toe lift during swing above the toe's stance level, % of body height (side view)."""
    side = {b.index for b in bouts if b.view_family == "side"}
    if not side:
        return MetricResult.not_assessable(
            "% height", "foot clearance needs walking filmed from the side", view_required=SIDE_VIEWS
        )
    per: dict[str, list[float]] = {f: [] for f in FEET}
    for k, f in enumerate(FEET):
        fe = [e for e in events if e.plausible and e.foot == f and e.bout in side]
        for a, b, c in zip(fe[:-2], fe[1:-1], fe[2:], strict=True):
            # heel strike -> toe off (stance) -> heel strike (swing) of the same foot, same bout
            if not (a.type == "heel_strike" and b.type == "toe_off" and c.type == "heel_strike"):
                continue
            if not (a.bout == b.bout == c.bout) or c.frame - b.frame < 2:
                continue
            toe_y = legs[:, k, 4, 1]
            ground = np.nanmedian(toe_y[a.frame : b.frame + 1])
            lift = ground - np.nanmin(toe_y[b.frame : c.frame + 1])
            h = np.nanmedian(body_height_px[a.frame : c.frame + 1])
            if np.isfinite(lift) and np.isfinite(h) and h > 0:
                per[f].append(100.0 * max(0.0, float(lift)) / float(h))
    allv = np.array(per["left"] + per["right"])
    extra = {f: (round(float(np.median(v)), 2) if v else None) for f, v in per.items()}
    return MetricResult.from_series(
        allv, "% height", view_required=SIDE_VIEWS, min_frames=min_swings, what="swings", per_side=extra
    )


# ------------------------------------------------------------------ "how much more walking"
def add_shortfall(
    metrics: dict[str, MetricResult], *, n_steps: int, cadence_steps_per_min: float | None,
    walked_s: float,
) -> None:  # fmt: skip
    """Append to every metric that lacks steps (reason "only N steps (need M)") how long the walking
    would have to be: (M - N) more steps at the measured cadence (else at 100 steps/min), in place."""
    import dataclasses
    import re

    cad = cadence_steps_per_min if cadence_steps_per_min and cadence_steps_per_min > 0 else None
    pat = re.compile(r"only (\d+) (steps|strides|swings|heel strikes|single-leg stances)[^(]*\(need (\d+)")
    for key, m in list(metrics.items()):
        if m.ok or not m.reason:
            continue
        hit = pat.search(m.reason)
        if not hit:
            continue
        have, unit, need = int(hit.group(1)), hit.group(2), int(hit.group(3))
        if have == 0 and n_steps > 0:
            continue  # steps were made but none of this kind: a matter of view, not of duration
        # a stride, or a step / swing / stance of ONE side, comes every second step
        one_side = unit in ("strides", "single-leg stances") or "_left_" in key or "_right_" in key
        missing_steps = max(1, (need - have) * (2 if one_side else 1))
        rate = cad or 100.0
        more_s = missing_steps * 60.0 / rate
        total = walked_s + more_s
        note = (
            f"; about {more_s:.0f} s more walking would be needed "
            f"(about {total:.0f} s in all, at {rate:.0f} steps/min{'' if cad else ', assumed'})"
        )
        metrics[key] = dataclasses.replace(m, reason=m.reason + note)


# ------------------------------------------------------------------ all of them
def clinical_measures(
    seq: PoseSequence,
    legs: np.ndarray,
    events: Sequence[GaitEvent],
    steps: Sequence[Step],
    body_height_px: np.ndarray,
    view_family: np.ndarray,
    bouts: Sequence[BoutFrames],
    *,
    cfg: GaitConfig,
    px_per_m: float | None,
    rate_hz: float,
) -> dict[str, MetricResult]:
    """Every measure of this module for one recording (bouts pooled), keyed as in GAIT_METRICS."""
    from ..metric_keys import WALK_VIEWS

    plausible = [e for e in events if e.plausible]
    out: dict[str, MetricResult] = {
        "step_time_cv_pct": step_time_cv(steps, min_steps=cfg.min_steps_for_variability, views=WALK_VIEWS)
    }
    side_steps = [s for s in steps if np.isfinite(s.step_length_pct_height)]
    out.update(step_length_overall(side_steps, min_steps=cfg.min_steps, px_per_m=px_per_m))
    out["base_width_pct_height"] = base_width(legs, plausible, body_height_px, bouts, min_steps=cfg.min_steps)
    out["trunk_flexion_walking_deg"] = trunk_flexion_walking(
        seq, view_family, bouts, min_frames=max(1, int(round(cfg.walking_min_duration_s * rate_hz)))
    )
    out.update(
        arm_swing(
            seq,
            plausible,
            view_family,
            bouts,
            min_strides=max(1, cfg.min_steps // 2),
            min_per_side_for_si=cfg.min_steps_per_side_for_symmetry,
        )
    )
    out["foot_clearance_pct_height"] = foot_clearance(
        legs, plausible, body_height_px, bouts, min_swings=cfg.min_steps
    )
    return out


def per_bout_summary(steps: Sequence[Step], bout: int, b: object, rate_hz: float) -> dict[str, object]:
    """``{"n_steps", "metrics": {cadence, step time, step length}}`` of one bout for result.json
    (the overall metrics pool every bout; these show whether the bouts agree)."""
    own = [s for s in steps if s.bout == bout]
    st = np.array([s.step_time_s for s in own], np.float64)
    sl = np.array([s.step_length_pct_height for s in own], np.float64)
    st = st[np.isfinite(st)]
    sl = sl[np.isfinite(sl)]
    metrics: dict[str, float | None] = {
        "cadence_steps_per_min": round(60.0 / float(np.median(st)), 2) if st.size else None,
        "step_time_s": round(float(np.median(st)), 4) if st.size else None,
        "step_length_pct_height": round(float(np.median(sl)), 2) if sl.size else None,
    }
    return {"n_steps": len(own), "metrics": metrics}
