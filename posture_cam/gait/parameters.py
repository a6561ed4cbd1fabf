"""Spatiotemporal parameters per step and per side, symmetry indices and the limp index.

Definitions (per step of side X, the other foot O; times from plausible events of one bout):

* step time X: heel strike O -> heel strike X; cadence = 60 / median step time (steps/min);
* stride time X: heel strike X -> next heel strike X;
* stance time X: heel strike X -> toe off X; swing time X: toe off X -> heel strike X;
* initial double support of step X: heel strike X -> toe off O; double support % = total double
  support / total step time x 100 (both double-support phases of a stride over the stride time);
* step length X (side view only): distance along image x between the two ankles at heel strike X,
  in m when the scale is known, always also in % of body height;
* symmetry index SI = (R - L) / (0.5 (R + L)) x 100 (Robinson et al. 1987) of the per-side medians:
  0 = symmetric, positive = right larger;
* ``limp_index`` (this project's definition): mean of |SI| of stance time, step time and, when it
  can be measured, step length, in %. 0 = symmetric; it does not say which side; the extra field
  ``shorter_stance_side`` does (the side an antalgic gait unloads).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..measurement import MetricResult
from .events import FEET, GaitEvent


@dataclass(frozen=True)
class Step:
    """One step (a heel strike of ``side`` after one of the other foot). Times in s, NaN if unknown."""

    index: int
    bout: int
    side: str
    frame: int  # heel strike of this step (position in the sequence)
    time_s: float
    step_time_s: float
    stride_time_s: float
    stance_time_s: float
    swing_time_s: float
    double_support_s: float
    step_length_px: float
    step_length_pct_height: float
    step_length_m: float

    def to_json(self, frame_index: np.ndarray) -> dict[str, object]:
        out: dict[str, object] = {}
        for k, v in asdict(self).items():
            if k == "frame":
                v = int(frame_index[v])
            if isinstance(v, float):
                v = None if not np.isfinite(v) else round(v, 4)
            out[k] = v
        return out


def symmetry_index_pct(right: float, left: float) -> float:
    """SI = (R - L) / (0.5 (R + L)) x 100 (Robinson et al. 1987); NaN when undefined."""
    den = 0.5 * (right + left)
    if not (np.isfinite(right) and np.isfinite(left)) or den == 0:
        return float("nan")
    return float((right - left) / den * 100.0)


class StepParameters:
    """Build the per-step table (``steps_``) from plausible events."""

    def __init__(self, *, min_step_time_s: float, max_step_time_s: float) -> None:
        self.min_step_time_s = min_step_time_s
        self.max_step_time_s = max_step_time_s

    def detect(
        self,
        events: list[GaitEvent],
        *,
        ankle_x_px: np.ndarray | None,
        body_height_px: np.ndarray,
        px_per_m: float | None,
        sampling_rate_hz: float,
    ) -> StepParameters:
        """``ankle_x_px`` (T, 2) or None when step length cannot be measured (front/back view)."""
        del sampling_rate_hz
        evs = [e for e in events if e.plausible]
        steps: list[Step] = []
        for bout in sorted({e.bout for e in evs}):
            be = [e for e in evs if e.bout == bout]
            hs = [e for e in be if e.type == "heel_strike"]
            to = {f: np.array([e.time_s for e in be if e.type == "toe_off" and e.foot == f]) for f in FEET}
            hs_t = {f: np.array([e.time_s for e in hs if e.foot == f]) for f in FEET}
            for a, b in zip(hs[:-1], hs[1:], strict=True):
                dt = b.time_s - a.time_s
                if a.foot == b.foot or not (self.min_step_time_s <= dt <= self.max_step_time_s):
                    continue
                x, o = b.foot, a.foot
                prev_x = _last_before(hs_t[x], b.time_s)
                next_x = _first_after(hs_t[x], b.time_s)
                stride = b.time_s - prev_x if b.time_s - prev_x <= 2 * self.max_step_time_s else np.nan
                to_x = _first_after(to[x], b.time_s)
                stance = to_x - b.time_s if to_x < next_x else np.nan
                to_x_prev = _last_before(to[x], b.time_s)
                swing = (
                    b.time_s - to_x_prev
                    if to_x_prev > max(prev_x, a.time_s - self.max_step_time_s)
                    else np.nan
                )
                to_o = _first_after(to[o], b.time_s)
                ds = to_o - b.time_s if to_o < min(to_x, next_x) and to_o - b.time_s < dt else np.nan
                length_px = np.nan
                if ankle_x_px is not None:
                    length_px = float(abs(ankle_x_px[b.frame, 0] - ankle_x_px[b.frame, 1]))
                h = float(body_height_px[b.frame]) if np.isfinite(body_height_px[b.frame]) else np.nan
                steps.append(
                    Step(
                        len(steps),
                        bout,
                        x,
                        b.frame,
                        b.time_s,
                        dt,
                        stride,
                        stance,
                        swing,
                        ds,
                        length_px,
                        100.0 * length_px / h if h > 0 else np.nan,
                        length_px / px_per_m if px_per_m else np.nan,
                    )
                )
        self.steps_ = steps
        return self


def _first_after(times: np.ndarray, t: float) -> float:
    later = times[times > t]
    return float(later.min()) if later.size else float("inf")


def _last_before(times: np.ndarray, t: float) -> float:
    earlier = times[times < t]
    return float(earlier.max()) if earlier.size else float("-inf")


def _col(steps: list[Step], name: str, side: str | None = None) -> np.ndarray:
    return np.array([getattr(s, name) for s in steps if side is None or s.side == side], dtype=np.float64)


def temporal_metrics(
    steps: list[Step],
    *,
    views: tuple[str, ...],
    min_steps: int,
    step_length_views: tuple[str, ...] | None,
    px_per_m: float | None,
    min_per_side_for_si: int = 2,
) -> dict[str, MetricResult]:
    """Metric dict for cadence, per-side times, SI, double support, step length and the limp index.

    Per-side values need ``min_steps // 2`` (at least 1) steps of that side; a symmetry index needs
    ``min_per_side_for_si`` steps of EACH side.
    """
    per_side = max(1, min_steps // 2)
    m: dict[str, MetricResult] = {}
    st = _col(steps, "step_time_s")
    m["cadence_steps_per_min"] = _from(60.0 / st[st > 0], "steps/min", views, min_steps, "steps")
    m["stride_time_s"] = _from(_col(steps, "stride_time_s"), "s", views, per_side, "strides")
    for name in ("step_time", "stance_time", "swing_time"):
        for side in FEET:
            m[f"{name}_{side}_s"] = _from(_col(steps, f"{name}_s", side), "s", views, per_side, "steps")
        m[f"{name}_si_pct"] = _si(m[f"{name}_left_s"], m[f"{name}_right_s"], views, min_per_side_for_si)
    ds, stt = _col(steps, "double_support_s"), _col(steps, "step_time_s")
    ok = np.isfinite(ds) & np.isfinite(stt)
    if ok.sum() >= min_steps:
        ratio = 100.0 * ds[ok] / stt[ok]
        q1, q3 = np.percentile(ratio, [25, 75])
        m["double_support_pct"] = MetricResult(
            float(100.0 * ds[ok].sum() / stt[ok].sum()), "%", float(q3 - q1), int(ok.sum()), views
        )
    else:
        m["double_support_pct"] = MetricResult.not_assessable(
            "%",
            f"only {int(ok.sum())} steps with both toe offs (need {min_steps})",
            view_required=views,
            n_frames=int(ok.sum()),
        )
    if step_length_views is None:
        reason = "step length needs a side view (depth along the walkway is not measurable from the front)"
        for key, unit in (
            ("step_length_left_pct_height", "% height"),
            ("step_length_right_pct_height", "% height"),
            ("step_length_si_pct", "%"),
        ):
            m[key] = MetricResult.not_assessable(unit, reason, view_required=("left_side", "right_side"))
    else:
        for side in FEET:
            m[f"step_length_{side}_pct_height"] = _from(
                _col(steps, "step_length_pct_height", side), "% height", step_length_views, per_side, "steps"
            )
            if px_per_m:
                m[f"step_length_{side}_cm"] = _from(
                    100.0 * _col(steps, "step_length_m", side), "cm", step_length_views, per_side, "steps"
                )
        m["step_length_si_pct"] = _si(
            m["step_length_left_pct_height"],
            m["step_length_right_pct_height"],
            step_length_views,
            min_per_side_for_si,
        )
    m["limp_index"] = _limp_index(m, views)
    return m


def _from(values: np.ndarray, unit: str, views: tuple[str, ...], min_n: int, what: str) -> MetricResult:
    return MetricResult.from_series(values, unit, view_required=views, min_frames=min_n, what=what)


def _si(
    left: MetricResult, right: MetricResult, views: tuple[str, ...], min_per_side: int = 2
) -> MetricResult:
    if not (left.ok and right.ok):
        bad = left if not left.ok else right
        return MetricResult.not_assessable(
            "%",
            f"needs both sides: {bad.reason}",
            view_required=views,
            n_frames=min(left.n_frames, right.n_frames),
        )
    if min(left.n_frames, right.n_frames) < min_per_side:
        return MetricResult.not_assessable(
            "%",
            f"an asymmetry needs at least {min_per_side} steps of each side "
            f"(left {left.n_frames}, right {right.n_frames})",
            view_required=views,
            n_frames=min(left.n_frames, right.n_frames),
        )
    si = symmetry_index_pct(right.number, left.number)
    if not np.isfinite(si):
        return MetricResult.not_assessable("%", "left and right values sum to zero", view_required=views)
    return MetricResult(
        si,
        "%",
        None,
        min(left.n_frames, right.n_frames),
        views,
        "ok",
        None,
        {
            "left": round(left.number, 4),
            "right": round(right.number, 4),
            "larger_side": "right" if si > 0 else "left" if si < 0 else None,
        },
    )


def _limp_index(m: dict[str, MetricResult], views: tuple[str, ...]) -> MetricResult:
    parts = {k: m[k] for k in ("stance_time_si_pct", "step_time_si_pct", "step_length_si_pct") if m[k].ok}
    if "stance_time_si_pct" not in parts or "step_time_si_pct" not in parts:
        return MetricResult.not_assessable(
            "%", "needs stance-time and step-time symmetry on both sides", view_required=views
        )
    val = float(np.mean([abs(r.number) for r in parts.values()]))
    si_st = parts["stance_time_si_pct"].number
    return MetricResult(
        val,
        "%",
        None,
        min(r.n_frames for r in parts.values()),
        views,
        "ok",
        None,
        {
            "components": sorted(parts),
            "shorter_stance_side": "left" if si_st > 0 else "right" if si_st < 0 else None,
        },
    )
