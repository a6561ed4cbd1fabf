"""Frontal pelvic obliquity from the body outline (segmentation mask) at hip level.

Why: BlazePose's hip landmarks follow the trunk more than the pelvis (docs/metrics.md, "Known error,
frontal pelvis"). The lateral outline of the hips (iliac crest, greater trochanter, top of the thigh)
is carried by the pelvis and the femurs instead. This module measures how far one side's hip outline
sits below the other's.

Method (pure numpy + opencv, one frame):

1. Scale: trunk length ``T`` = distance from the shoulder midpoint to the hip midpoint (landmarks, px).
2. Arms removed: a band of radius ``arm_radius_trunk * T`` around shoulder-elbow, elbow-wrist and
   wrist-hand (extended past the hand landmarks) on each side is rasterised with opencv.
3. Rows: from ``band_above_trunk * T`` above to ``band_below_trunk * T`` below the hip-landmark
   level. In each row and on each side the mask is walked outwards from that side's hip landmark;
   the first pixel below ``threshold`` is the outline edge (sub-pixel: linear interpolation of the
   mask). A row is *censored* (NaN) when the walk reaches an arm pixel first, when the edge lies
   within ``arm_gap_trunk * T`` of an arm pixel (a touching arm bends the soft mask), or when it
   reaches the image border.
4. Each side gives a profile ``u(y)`` = outward distance of the edge from the hip midline (px). The
   body is assumed left-right symmetric, so the right profile is the left one shifted down by ``d``
   (plus a lateral offset ``c``). ``d`` is found by least squares over a sub-pixel grid of shifts
   (a curve fit of the whole outline, not one extremum row); the flat (vertical) parts of the
   outline are indifferent to ``d``, the curved hip bulge decides it, so the upper half of the band
   (the bulge, from the band top down to the hip level) must be visible on both sides.
5. The hip bulge (greater trochanter, top of the thigh) is carried by the femurs, which hang from the
   hip joints: when the pelvis tilts, each bulge moves with its hip joint centre (the femur does not
   rotate with the pelvis). So ``d`` is the height difference of the hip joints and
   ``obliquity_deg = degrees(atan2(d, S))`` with ``S`` the hip-joint separation, taken from the hip
   landmarks' horizontal distance (their heights follow the trunk, their spacing is what we have;
   on the synthetic figures BlazePose places them ~15-20 % wider than the joint centres, which
   scales the angle down by that much).
6. Optionally (``rgb`` given) each mask edge is snapped to the strongest horizontal colour edge
   within ``refine_radius_trunk * T``: MediaPipe's mask is computed at 256 x 256 over the person's
   region and upsampled, so alone it places the outline only to ~3-4 image px at 720 x 960.

Sign convention (docs/metrics.md): positive = the subject's RIGHT side lower, in front and back views
(the subject's right is taken from the landmarks' anatomical labels, not from the image side).
Image pixels: x right, y down. Nothing here is fitted to renders: the only assumption is symmetry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .landmarks import N_LANDMARKS, Landmark

__all__ = ["OutlineParams", "OutlineResult", "arm_mask", "hip_outline_profiles", "pelvis_outline_obliquity"]


@dataclass(frozen=True)
class OutlineParams:
    """Settings of :func:`pelvis_outline_obliquity`; lengths are fractions of the trunk length ``T``."""

    threshold: float = 0.5  # mask value separating person from background
    band_above_trunk: float = 0.20  # rows from this far above the hip-landmark level ...
    band_below_trunk: float = 0.30  # ... to this far below it
    arm_radius_trunk: float = 0.12  # half-width of the removed band around each arm segment
    hand_extension: float = 2.0  # the hand band runs from the wrist to wrist + k * (hand centre - wrist)
    arm_gap_trunk: float = 0.02  # an edge closer than this to an arm pixel is censored
    max_shift_trunk: float = 0.15  # largest vertical shift searched between the two sides
    shift_step_px: float = 0.25  # resolution of the shift search
    min_valid_fraction: float = 0.5  # each side needs this fraction of the band's rows uncensored
    min_overlap_fraction: float = 0.4  # rows compared at the chosen shift, as a fraction of the band
    min_bulge_fraction: float = 0.5  # uncensored share of the rows above the hip level, each side
    min_trunk_px: float = 20.0  # smaller figures are not measured
    refine_radius_trunk: float = 0.03  # with an image: snap the mask edge to the strongest edge this near


@dataclass(frozen=True)
class OutlineResult:
    """One frame's outline measurement.

    ``obliquity_deg``: + = subject's right side lower (deg), NaN when not measurable (``reason`` says
    why). ``right_height_px`` / ``left_height_px``: image y (px, down) of each side's hip outline,
    expressed as the hip-landmark level +- half the registered shift ``shift_px`` (only their difference is
    measured). ``shift_px``: how far the right outline sits below the left one (px).
    ``width_px``: outline width edge to edge (px). ``rows_right`` / ``rows_left``: uncensored rows.
    """

    obliquity_deg: float
    right_height_px: float = math.nan
    left_height_px: float = math.nan
    shift_px: float = math.nan
    width_px: float = math.nan
    rows_right: int = 0
    rows_left: int = 0
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None and math.isfinite(self.obliquity_deg)


def _fail(reason: str, rows_right: int = 0, rows_left: int = 0) -> OutlineResult:
    return OutlineResult(math.nan, rows_right=rows_right, rows_left=rows_left, reason=reason)


def _check_inputs(mask: np.ndarray, landmarks_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mask, dtype=np.float32)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 2:
        raise ValueError(f"mask: expected a 2-D (H, W) array, got shape {m.shape}")
    lm = np.asarray(landmarks_px, dtype=np.float64)
    if lm.ndim != 2 or lm.shape[0] != N_LANDMARKS or lm.shape[1] < 2:
        raise ValueError(f"landmarks_px: expected ({N_LANDMARKS}, 2+) pixels, got shape {lm.shape}")
    return np.nan_to_num(m, nan=0.0), lm[:, :2]


def arm_mask(
    shape: tuple[int, int], landmarks_px: np.ndarray, radius_px: float, hand_extension: float = 2.0
) -> np.ndarray:
    """Boolean (H, W) image of the bands around both arms (shoulder-elbow, elbow-wrist, wrist-hand).

    ``radius_px`` is the band half-width (px). Segments with a missing (NaN) end are skipped; the hand
    segment runs from the wrist to ``wrist + hand_extension * (mean(index, pinky, thumb) - wrist)``.
    """
    out = np.zeros(shape, np.uint8)
    lm = np.asarray(landmarks_px, dtype=np.float64)[:, :2]
    thick = max(1, int(round(2 * radius_px)))
    L = Landmark
    for sh, el, wr, hand in (
        (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, (L.LEFT_INDEX, L.LEFT_PINKY, L.LEFT_THUMB)),
        (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, (L.RIGHT_INDEX, L.RIGHT_PINKY, L.RIGHT_THUMB)),
    ):
        segs = [(lm[sh], lm[el]), (lm[el], lm[wr])]
        hand_pts = lm[list(hand)]
        hand_pts = hand_pts[np.all(np.isfinite(hand_pts), axis=1)]
        if len(hand_pts):
            segs.append((lm[wr], lm[wr] + hand_extension * (hand_pts.mean(axis=0) - lm[wr])))
        for a, b in segs:
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                continue
            pa = (int(round(a[0] * 16)), int(round(a[1] * 16)))
            pb = (int(round(b[0] * 16)), int(round(b[1] * 16)))
            cv2.line(out, pa, pb, (1,), thickness=thick, lineType=cv2.LINE_8, shift=4)
    return out.astype(bool)


def _side_edges(
    m: np.ndarray, arms: np.ndarray, rows: np.ndarray, x0: float, step: int, thr: float, gap_px: int
) -> np.ndarray:
    """Sub-pixel x of the outline edge in each row walking from column ``x0`` in direction ``step``.

    NaN where the row is censored (start outside the body, arm reached first or too close, border).
    """
    w = m.shape[1]
    start = int(round(x0))
    if not 0 <= start < w:
        return np.full(len(rows), np.nan)
    cols = np.arange(start, w) if step > 0 else np.arange(start, -1, -1)
    sub = m[np.ix_(rows, cols)]
    arm_sub = arms[np.ix_(rows, cols)]
    stop = (sub < thr) | arm_sub
    has = stop.any(axis=1)
    first = np.argmax(stop, axis=1)
    idx = np.arange(len(rows))
    hit_arm = arm_sub[idx, first]
    ok = has & ~hit_arm & (first > 0)
    # an arm pixel within gap_px beyond the edge: the soft mask is pulled by the touching arm
    if gap_px > 0:
        for k in range(1, gap_px + 1):
            j = np.minimum(first + k, len(cols) - 1)
            ok &= ~arm_sub[idx, j]
    inside = np.clip(first - 1, 0, len(cols) - 1)
    a = sub[idx, inside]
    b = sub[idx, np.clip(first, 0, len(cols) - 1)]
    frac = np.clip((a - thr) / np.maximum(a - b, 1e-9), 0.0, 1.0)
    pos = inside + frac
    x = cols[0] + step * pos
    x = x.astype(np.float64)
    x[~ok] = np.nan
    return x


def edge_strength(rgb: np.ndarray) -> np.ndarray:
    """Horizontal edge strength (H, W) float32: max over colour channels of |Sobel d/dx| after a
    3x3 Gaussian blur (intensity units per px)."""
    img = np.asarray(rgb)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3:
        raise ValueError(f"rgb: expected an (H, W, 3) or (H, W) image, got shape {img.shape}")
    f = cv2.GaussianBlur(img.astype(np.float32), (3, 3), 0)
    gx = np.abs(cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3))
    return gx.max(axis=2) if gx.ndim == 3 else gx


def _refine(x: np.ndarray, rows: np.ndarray, grad: np.ndarray, radius: int) -> np.ndarray:
    """Move each finite edge ``x`` to the strongest horizontal image edge within +-radius px
    (sub-pixel by a parabola through the peak); rows without a clear peak keep the mask edge."""
    out = x.copy()
    w = grad.shape[1]
    for i, (xi, y) in enumerate(zip(x, rows, strict=True)):
        if not np.isfinite(xi):
            continue
        c = int(round(xi))
        lo, hi = max(1, c - radius), min(w - 2, c + radius)
        if hi <= lo:
            continue
        g = grad[y, lo : hi + 1]
        j = int(np.argmax(g))
        if g[j] <= 0:
            continue
        k = lo + j
        g0, g1, g2 = grad[y, k - 1], grad[y, k], grad[y, k + 1]
        den = g0 - 2 * g1 + g2
        out[i] = k + (0.5 * (g0 - g2) / den if den < 0 else 0.0)
    return out


def hip_outline_profiles(
    mask: np.ndarray,
    landmarks_px: np.ndarray,
    params: OutlineParams | None = None,
    rgb: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, float] | OutlineResult:
    """Rows (y px) and the right/left outline profiles ``u`` (px outward from the hip midline, NaN
    where censored), the trunk length, the hip-landmark level (y) and the hip-landmark horizontal
    separation (all px); an :class:`OutlineResult` with a reason when the frame cannot be measured."""
    p = params or OutlineParams()
    m, lm = _check_inputs(mask, landmarks_px)
    L = Landmark
    need = (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    if not np.all(np.isfinite(lm[list(need)])):
        return _fail("hip or shoulder landmarks missing")
    hip_l, hip_r = lm[L.LEFT_HIP], lm[L.RIGHT_HIP]
    hip_mid = (hip_l + hip_r) / 2
    trunk = float(np.linalg.norm((lm[L.LEFT_SHOULDER] + lm[L.RIGHT_SHOULDER]) / 2 - hip_mid))
    if trunk < p.min_trunk_px:
        return _fail(f"figure too small (trunk {trunk:.0f} px < {p.min_trunk_px:.0f} px)")
    if abs(hip_r[0] - hip_l[0]) < 0.1 * trunk:
        return _fail("hips overlap in the image (not a front or back view)")
    h = m.shape[0]
    y0 = int(math.floor(hip_mid[1] - p.band_above_trunk * trunk))
    y1 = int(math.ceil(hip_mid[1] + p.band_below_trunk * trunk))
    if y0 < 0 or y1 >= h:
        return _fail("hip region runs off the frame")
    rows = np.arange(y0, y1 + 1)
    if not (m[rows, int(round(hip_mid[0]))] >= p.threshold).mean() >= 0.5:
        return _fail("no person in the mask at hip level")
    arms = arm_mask((m.shape[0], m.shape[1]), lm, p.arm_radius_trunk * trunk, p.hand_extension)
    gap = int(math.ceil(p.arm_gap_trunk * trunk))
    step_r = 1 if hip_r[0] > hip_mid[0] else -1
    xr = _side_edges(m, arms, rows, hip_r[0], step_r, p.threshold, gap)
    xl = _side_edges(m, arms, rows, hip_l[0], -step_r, p.threshold, gap)
    if rgb is not None and p.refine_radius_trunk > 0:
        grad = edge_strength(rgb)
        if grad.shape != m.shape:
            raise ValueError(f"rgb: expected the mask's size {m.shape}, got {grad.shape}")
        rad = max(1, int(math.ceil(p.refine_radius_trunk * trunk)))
        xr, xl = _refine(xr, rows, grad, rad), _refine(xl, rows, grad, rad)
    u_r = step_r * (xr - hip_mid[0])
    u_l = -step_r * (xl - hip_mid[0])
    return rows, u_r, u_l, trunk, float(hip_mid[1]), float(abs(hip_r[0] - hip_l[0]))


def _register(
    u_r: np.ndarray, u_l: np.ndarray, max_shift: float, step: float, min_overlap: int
) -> tuple[float, int]:
    """Shift ``d`` (rows, + = right profile lower) minimising the variance of ``u_r(y) - u_l(y - d)``.

    Returns (d, overlap rows); d is NaN when no shift leaves ``min_overlap`` comparable rows.
    """
    n = len(u_r)
    y = np.arange(n, dtype=np.float64)
    valid_l = np.isfinite(u_l)
    best = (math.inf, math.nan, 0)
    shifts = np.arange(-max_shift, max_shift + step / 2, step)
    costs = np.full(len(shifts), np.nan)
    for i, d in enumerate(shifts):
        ys = y - d
        lo = np.floor(ys).astype(int)
        fr = ys - lo
        inb = (lo >= 0) & (lo + 1 < n)
        lo_c = np.clip(lo, 0, n - 2)
        both = inb & valid_l[lo_c] & valid_l[lo_c + 1] & np.isfinite(u_r)
        k = int(both.sum())
        if k < min_overlap:
            continue
        ul = u_l[lo_c[both]] * (1 - fr[both]) + u_l[lo_c[both] + 1] * fr[both]
        diff = u_r[both] - ul
        cost = float(np.mean((diff - diff.mean()) ** 2))
        costs[i] = cost
        if cost < best[0]:
            best = (cost, float(d), k)
    if not math.isfinite(best[0]):
        return math.nan, 0
    # parabolic refinement around the grid minimum
    i = int(np.nanargmin(costs))
    d = best[1]
    if 0 < i < len(shifts) - 1 and np.isfinite(costs[i - 1]) and np.isfinite(costs[i + 1]):
        c0, c1, c2 = costs[i - 1], costs[i], costs[i + 1]
        den = c0 - 2 * c1 + c2
        if den > 0:
            d += step * 0.5 * (c0 - c2) / den
    return d, best[2]


def pelvis_outline_obliquity(
    mask: np.ndarray,
    landmarks_px: np.ndarray,
    params: OutlineParams | None = None,
    rgb: np.ndarray | None = None,
) -> OutlineResult:
    """Frontal pelvic obliquity (deg, + = subject's right side lower) from one frame's person mask.

    ``mask``: (H, W) float, person probability in [0, 1] (MediaPipe's segmentation mask, same size
    as the frame). ``landmarks_px``: (33, 2+) image landmarks of that frame in pixels (NaN = missing).
    Returns NaN with a ``reason`` when the hips cannot be measured (landmarks missing, figure too
    small, hips off the frame, arms covering the hip outline, no consistent registration). Raises
    ``ValueError`` only for arrays of the wrong shape.
    """
    p = params or OutlineParams()
    prof = hip_outline_profiles(mask, landmarks_px, p, rgb)
    if isinstance(prof, OutlineResult):
        return prof
    rows, u_r, u_l, trunk, hip_y, sep = prof
    n = len(rows)
    nr, nl = int(np.isfinite(u_r).sum()), int(np.isfinite(u_l).sum())
    need = int(math.ceil(p.min_valid_fraction * n))
    upper = rows <= hip_y
    need_up = int(math.ceil(p.min_bulge_fraction * upper.sum()))
    up_r, up_l = int(np.isfinite(u_r[upper]).sum()), int(np.isfinite(u_l[upper]).sum())
    if nr < need or nl < need or up_r < need_up or up_l < need_up:
        side = "right" if (nr, up_r) < (nl, up_l) else "left"
        return _fail(f"arms or frame edge cover the {side} hip outline", nr, nl)
    max_shift = p.max_shift_trunk * trunk
    d, _ = _register(u_r, u_l, max_shift, p.shift_step_px, int(math.ceil(p.min_overlap_fraction * n)))
    if not math.isfinite(d):
        return _fail("left and right outlines do not overlap enough to compare", nr, nl)
    if abs(d) >= max_shift - p.shift_step_px:
        return _fail("outline shift at the search limit (no consistent match)", nr, nl)
    width = float(np.nanmedian(u_r) + np.nanmedian(u_l))
    return OutlineResult(
        obliquity_deg=math.degrees(math.atan2(d, sep)),
        right_height_px=hip_y + d / 2,
        left_height_px=hip_y - d / 2,
        shift_px=d,
        width_px=width,
        rows_right=nr,
        rows_left=nl,
    )
