"""Front/back-view gait metrics: pelvic drop per single-leg stance, trunk sway, compensated Trendelenburg.

Per frame (pixel space, facing-independent):

* pelvic obliquity phi = atan2(y_right_hip - y_left_hip, |x_right_hip - x_left_hip|): positive when the
  subject's RIGHT hip is lower (image y grows downwards), as in docs/metrics.md;
* trunk lateral lean lambda = atan2(s * (x_mid_shoulder - x_mid_hip), y_mid_hip - y_mid_shoulder) with
  s = sign(x_right_hip - x_left_hip): positive when the trunk leans to the subject's RIGHT.

Both are taken relative to their median over the bout's double-support frames (both feet on the
ground), which removes camera roll and any static obliquity (e.g. a leg-length difference).

* ``pelvic_drop_left_stance_deg``: while standing on the LEFT leg (right foot swinging), the peak drop of
  the RIGHT hip, i.e. peak of (phi - baseline); positive = the right hip drops (Trendelenburg sign
  when large). ``pelvic_drop_right_stance_deg`` mirrors it (peak of -(phi - baseline)).
* ``trunk_lean_left_stance_deg``: peak lean toward the LEFT while standing on the left leg;
  ``trunk_lateral_sway_deg`` = left + right lean peaks (peak-to-peak sway over a stride).
* compensated Trendelenburg on side X: trunk lean toward X >= ``min_trunk_lean_deg`` while the pelvic
  drop on X stance is <= ``max_level_pelvis_drop_deg`` (the trunk moves over the stance hip so the
  pelvis stays level).

Peaks are the vertex of a parabola fitted to the central 60 % of each single-support phase, which is
far less biased by noise than the raw maximum.
"""

from __future__ import annotations

import numpy as np

from ..measurement import FRONTAL_VIEWS, MetricResult
from .events import FEET, GaitEvent


def pelvic_obliquity_deg(left_hip: np.ndarray, right_hip: np.ndarray) -> np.ndarray:
    """(T,) degrees, positive = subject's right hip lower; inputs (T, 2) pixels, y down."""
    d = right_hip - left_hip
    return np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))


def trunk_lateral_lean_deg(
    left_hip: np.ndarray, right_hip: np.ndarray, left_sh: np.ndarray, right_sh: np.ndarray
) -> np.ndarray:
    """(T,) degrees, positive = trunk leans to the subject's right (front or back view)."""
    s = np.sign(right_hip[:, 0] - left_hip[:, 0])
    v = 0.5 * (left_sh + right_sh) - 0.5 * (left_hip + right_hip)
    return np.degrees(np.arctan2(s * v[:, 0], -v[:, 1]))


def stance_masks(events: list[GaitEvent], n: int) -> dict[str, np.ndarray]:
    """(T,) bool per foot: between a plausible heel strike and the next toe off of that foot."""
    out = {f: np.zeros(n, bool) for f in FEET}
    for f in FEET:
        evs = [e for e in events if e.foot == f and e.plausible]
        for a, b in zip(evs[:-1], evs[1:], strict=True):
            if a.type == "heel_strike" and b.type == "toe_off" and a.bout == b.bout:
                out[f][a.frame : b.frame + 1] = True
    return out


def single_support_intervals(events: list[GaitEvent], stance_foot: str) -> list[tuple[int, int, int]]:
    """(start, stop, bout) frames while standing on ``stance_foot``: toe off -> heel strike of the other."""
    other = "right" if stance_foot == "left" else "left"
    evs = [e for e in events if e.foot == other and e.plausible]
    return [
        (a.frame, b.frame, a.bout)
        for a, b in zip(evs[:-1], evs[1:], strict=True)
        if a.type == "toe_off" and b.type == "heel_strike" and a.bout == b.bout and b.frame - a.frame >= 3
    ]


def parabola_peak(y: np.ndarray) -> float:
    """Peak of ``y`` from a quadratic fit to its central 60 % (NaN-aware); the max if too short."""
    n = y.size
    lo, hi = int(np.floor(0.2 * n)), int(np.ceil(0.8 * n))
    seg = y[lo:hi]
    x = np.arange(lo, hi, dtype=np.float64)
    ok = np.isfinite(seg)
    if ok.sum() < 5:
        return float(np.nanmax(y)) if np.isfinite(y).any() else float("nan")
    a, b, c = np.polyfit(x[ok], seg[ok], 2)
    if a < 0 and lo <= -b / (2 * a) <= hi - 1:
        xv = -b / (2 * a)
        return float(c - b * b / (4 * a) + 0 * xv)
    return float(np.max(np.polyval([a, b, c], x[ok])))


def frontal_metrics(
    events: list[GaitEvent],
    *,
    obliquity_deg: np.ndarray,
    lean_deg: np.ndarray,
    bouts: list[tuple[int, int]],
    min_steps: int,
    min_trunk_lean_deg: float,
    max_level_pelvis_drop_deg: float,
) -> dict[str, MetricResult]:
    """Pelvic drop and trunk lean per stance side, trunk sway and the compensated Trendelenburg flag."""
    n = obliquity_deg.size
    stance = stance_masks(events, n)
    ds = stance["left"] & stance["right"]
    base_phi = np.full(n, np.nan)
    base_lam = np.full(n, np.nan)
    for s, e in bouts:
        for arr, base in ((obliquity_deg, base_phi), (lean_deg, base_lam)):
            sel = arr[s:e][ds[s:e]]
            sel = sel[np.isfinite(sel)]
            base[s:e] = (
                np.median(sel)
                if sel.size >= 3
                else np.nanmedian(arr[s:e])
                if np.isfinite(arr[s:e]).any()
                else np.nan
            )
    phi, lam = obliquity_deg - base_phi, lean_deg - base_lam
    per_side = max(1, min_steps // 2)
    views = FRONTAL_VIEWS
    m: dict[str, MetricResult] = {}
    for foot, sgn_phi, sgn_lam in (("left", 1.0, -1.0), ("right", -1.0, 1.0)):
        iv = single_support_intervals(events, foot)
        drops = np.array([parabola_peak(sgn_phi * phi[a : b + 1]) for a, b, _ in iv])
        leans = np.array([parabola_peak(sgn_lam * lam[a : b + 1]) for a, b, _ in iv])
        m[f"pelvic_drop_{foot}_stance_deg"] = MetricResult.from_series(
            drops, "deg", view_required=views, min_frames=per_side, what="single-leg stances"
        )
        m[f"trunk_lean_{foot}_stance_deg"] = MetricResult.from_series(
            leans, "deg", view_required=views, min_frames=per_side, what="single-leg stances"
        )
    ll, lr = m["trunk_lean_left_stance_deg"], m["trunk_lean_right_stance_deg"]
    if ll.ok and lr.ok:
        m["trunk_lateral_sway_deg"] = MetricResult(
            ll.number + lr.number,
            "deg",
            None,
            min(ll.n_frames, lr.n_frames),
            views,
        )
    else:
        m["trunk_lateral_sway_deg"] = MetricResult.not_assessable(
            "deg",
            f"needs single-leg stances on both sides: {(ll if not ll.ok else lr).reason}",
            view_required=views,
        )
    for foot in FEET:
        drop, lean = m[f"pelvic_drop_{foot}_stance_deg"], m[f"trunk_lean_{foot}_stance_deg"]
        flag = None
        if drop.ok and lean.ok:
            flag = bool(lean.number >= min_trunk_lean_deg and drop.number <= max_level_pelvis_drop_deg)
        m[f"trunk_lean_{foot}_stance_deg"] = MetricResult(
            lean.value,
            lean.unit,
            lean.iqr,
            lean.n_frames,
            lean.view_required,
            lean.status,
            lean.reason,
            {"compensated_trendelenburg": flag},
        )
    return m


def frontal_not_assessable(reason: str) -> dict[str, MetricResult]:
    keys = (
        "pelvic_drop_left_stance_deg",
        "pelvic_drop_right_stance_deg",
        "trunk_lean_left_stance_deg",
        "trunk_lean_right_stance_deg",
        "trunk_lateral_sway_deg",
    )
    return {k: MetricResult.not_assessable("deg", reason, view_required=FRONTAL_VIEWS) for k in keys}
