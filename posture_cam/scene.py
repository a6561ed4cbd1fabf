"""Camera roll from the scene: the background's vertical lines (door frames, wall corners, poles).

Roll convention: the same as :mod:`posture_cam.calibration` (``CalibrationConfig.camera_roll_deg``):
**positive = camera rotated clockwise**, so the scene appears rotated counter-clockwise on screen and
a world vertical leans with its TOP to the LEFT by ``roll_deg``.

Method (one RGB frame, :func:`estimate_scene_roll`):

1. The frame is downscaled to at most ``max_side_px`` on its longer side; the subject is masked out by the
   skeleton drawn thick (a generous margin, a share of the body's extent, around every bone, the
   trunk and the head: :func:`subject_mask`), so the limbs and the trunk edges never count as lines.
2. OpenCV's line segment detector (LSD) finds straight segments; segments touching the mask, hugging
   the frame border (letterbox bars are exactly vertical whatever the roll) or shorter than
   ``min_length_frac`` of the frame height are dropped.
3. Segments within ``max_vertical_dev_deg`` of vertical are the vertical candidates. A camera that
   looks down (or up) makes world verticals converge to a vanishing point, so their screen
   direction depends on where they are; at a point ``p`` (frame-centred, in frame heights) the
   upward direction of a world vertical is ``u(roll) - rho * p`` with ``u(roll) = (-sin roll,
   -cos roll)`` and ``rho`` the inverse distance of the vertical vanishing point (0 = level camera,
   parallel verticals). ``(roll, rho)`` is fitted to the segment directions by a length-weighted
   robust (Cauchy, scale 1 deg) least squares on a grid, with a weak prior pulling ``rho`` towards 0
   (when all lines sit at one place the pitch is not identifiable and the plain median deviation is
   the answer). Roll is the angle of the vanishing point's direction from the frame centre, which a
   pitch does not change (principal point assumed at the frame centre).
4. Inliers are the candidates within ``inlier_deg`` of the fitted directions: their number, their
   summed length (in frame heights) and the inter-quartile range of their residuals (deg) are the
   evidence, with the fit's ambiguity: the half-width of the range of rolls that fit almost as well
   (``rho`` re-fitted for each), wide when the verticals sit on one side of the frame only (a pitch
   and a roll then look alike) or two families of lines compete (e.g. floor edges running towards
   the horizon, which can look vertical below the subject). Near-horizontal segments give a second,
   weak reading (their length-weighted median), reported only as a cross-check: perspective bends
   horizontals of walls not facing the camera.

:class:`SceneRollSampler` is an extraction ``on_frame(frame, candidate)`` hook: it reads about one
frame per ``every_s`` seconds (only frames in which the subject was found, so the subject can be
masked) and returns the readings as per-frame channels for :class:`~posture_cam.sequence.PoseSequence`
(NaN where not sampled): :data:`CHANNELS`. :func:`summarise` combines them into one estimate with a
confidence for :mod:`posture_cam.calibration`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .landmarks import N_LANDMARKS, SKELETON, Landmark

#: Per-frame channels written by :class:`SceneRollSampler` (NaN where the frame was not sampled):
#: roll (deg, see module docstring) and its ambiguity (deg, :class:`SceneRoll`), supporting vertical
#: lines (count), their summed length (frame heights; 0 = sampled but no usable verticals), the IQR
#: of their residuals (deg), and the horizontal lines' weak cross-check reading (deg, NaN when none).
CHANNELS = (
    "scene_roll_deg",
    "scene_roll_ambiguity_deg",
    "scene_roll_lines",
    "scene_roll_weight",
    "scene_roll_iqr_deg",
    "scene_roll_horizontal_deg",
)

_CAUCHY_SCALE_RAD = math.radians(1.0)
_RHO_PRIOR = 0.35  # frame heights^-1: a pitch of ~10-15 deg with a phone lens; prior scale for rho
_AMBIGUITY_COST = 0.25  # mean Cauchy loss: ~ every line 0.5 deg worse
_RHO_PRIOR_WEIGHT = 0.05  # weight of the prior against the mean robust loss of the lines


@dataclass(frozen=True)
class SceneRollParams:
    """Tuning of :func:`estimate_scene_roll` (all lengths relative to the downscaled frame)."""

    max_side_px: int = 640  # frames are downscaled to this longer side first (cheap, enough for LSD)
    min_length_frac: float = 0.06  # segments shorter than this share of the frame height are ignored
    max_vertical_dev_deg: float = 20.0  # vertical candidates: within this of the frame's vertical
    max_horizontal_dev_deg: float = 20.0  # horizontal candidates (cross-check only)
    inlier_deg: float = 2.0  # a vertical candidate within this of the fitted direction supports it
    mask_margin_frac: float = 0.12  # subject mask dilated by this share of the landmarks' extent
    border_px: float = 3.0  # segments this close along a frame border are ignored (letterbox bars)
    max_roll_deg: float = 20.0  # search range of the fit


@dataclass(frozen=True)
class SceneRoll:
    """One frame's reading. ``roll_deg`` is NaN when no vertical line supported a fit."""

    roll_deg: float
    n_lines: int  # vertical segments within ``inlier_deg`` of the fit
    support: float  # their summed length in frame heights
    iqr_deg: float  # inter-quartile range of their residuals (deg), NaN without lines
    rho: float  # inverse distance of the vertical vanishing point (frame heights^-1); 0 = level camera
    horizontal_deg: float  # weak cross-check from near-horizontal lines (deg), NaN when none
    n_horizontal: int
    n_candidates: int  # vertical candidates before the fit
    ambiguity_deg: float  # half-width of the rolls fitting almost as well (deg): wide when pitch and
    # roll are confounded (verticals on one side only) or two families of lines compete

    def as_channels(self) -> dict[str, float]:
        return {
            "scene_roll_deg": self.roll_deg,
            "scene_roll_ambiguity_deg": self.ambiguity_deg,
            "scene_roll_lines": float(self.n_lines),
            "scene_roll_weight": self.support,
            "scene_roll_iqr_deg": self.iqr_deg,
            "scene_roll_horizontal_deg": self.horizontal_deg,
        }


def subject_mask(
    shape_hw: tuple[int, int], landmarks_px: np.ndarray | None, margin_frac: float = 0.12
) -> np.ndarray:
    """(H, W) bool: the subject's body, generously: every limb of the skeleton drawn as a band
    ``margin_frac`` of the landmarks' extent either side of the bone (at least 6 px), the trunk
    polygon, and the head as a disc of that radius plus a head's height around the face landmarks.
    Unlike a convex hull, the background between the arms and the legs stays visible (a T-pose would
    hide half the frame). Other point sets (not 33 landmarks) get their dilated convex hull."""
    import cv2

    h, w = shape_hw
    mask = np.zeros((h, w), np.uint8)
    if landmarks_px is None:
        return mask.astype(bool)
    pts = np.asarray(landmarks_px, np.float64)[..., :2].reshape(-1, 2)
    ok = np.all(np.isfinite(pts), axis=1)
    if ok.sum() < 3:
        return mask.astype(bool)
    extent = float(max(np.ptp(pts[ok, 0]), np.ptp(pts[ok, 1])))
    r = int(max(6.0, margin_frac * extent))
    if len(pts) != N_LANDMARKS:
        hull = cv2.convexHull(np.round(pts[ok]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, (1,))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        return cv2.dilate(mask, kernel).astype(bool)

    def pt(lm: Landmark) -> tuple[int, int] | None:
        return (int(round(pts[lm, 0])), int(round(pts[lm, 1]))) if ok[lm] else None

    bones = list(SKELETON) + [
        (a, b)
        for side in ("LEFT", "RIGHT")
        for a, b in (
            (Landmark[f"{side}_WRIST"], Landmark[f"{side}_INDEX"]),
            (Landmark[f"{side}_WRIST"], Landmark[f"{side}_PINKY"]),
            (Landmark[f"{side}_WRIST"], Landmark[f"{side}_THUMB"]),
            (Landmark[f"{side}_SHOULDER"], Landmark[f"{side}_EAR"]),
        )
    ]
    for a, b in bones:
        pa, pb = pt(a), pt(b)
        if pa is not None and pb is not None:
            cv2.line(mask, pa, pb, (1,), thickness=2 * r)
        for q in (pa, pb):
            if q is not None:
                cv2.circle(mask, q, r, (1,), thickness=-1)
    trunk = [
        pt(lm)
        for lm in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.LEFT_HIP)
    ]
    if all(q is not None for q in trunk):
        cv2.fillConvexPoly(mask, np.array(trunk, np.int32), (1,))
    face = pts[: int(Landmark.MOUTH_RIGHT) + 1][ok[: int(Landmark.MOUTH_RIGHT) + 1]]
    if len(face):
        cx, cy = face.mean(axis=0)
        head = r + int(0.08 * extent)  # a head's half-height beyond the margin: hair, hat
        cv2.circle(mask, (int(round(cx)), int(round(cy - 0.03 * extent))), head, (1,), thickness=-1)
    return mask.astype(bool)


def detect_segments(gray: np.ndarray) -> np.ndarray:
    """(N, 4) float64 segments ``x1, y1, x2, y2`` from OpenCV's line segment detector."""
    import cv2

    lsd = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD)
    lines = lsd.detect(gray)[0]
    if lines is None:
        return np.zeros((0, 4))
    return np.asarray(lines, np.float64).reshape(-1, 4)


def _keep_segments(
    seg: np.ndarray, mask: np.ndarray, min_len: float, border_px: float, shape_hw: tuple[int, int]
) -> np.ndarray:
    h, w = shape_hw
    if len(seg) == 0:
        return seg
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    keep = length >= min_len
    x1, y1, x2, y2 = seg.T
    near = (
        ((x1 < border_px) & (x2 < border_px))
        | ((x1 > w - border_px) & (x2 > w - border_px))
        | ((y1 < border_px) & (y2 < border_px))
        | ((y1 > h - border_px) & (y2 > h - border_px))
    )
    keep &= ~near
    if mask.any():
        t = np.linspace(0.0, 1.0, 11)
        xs = np.clip(np.round(x1[:, None] + t * (x2 - x1)[:, None]).astype(int), 0, w - 1)
        ys = np.clip(np.round(y1[:, None] + t * (y2 - y1)[:, None]).astype(int), 0, h - 1)
        keep &= ~mask[ys, xs].any(axis=1)
    return seg[keep]


def _fit_roll(
    e: np.ndarray, p: np.ndarray, w: np.ndarray, max_roll_deg: float
) -> tuple[float, float, np.ndarray, float]:
    """Robust grid fit of (roll rad, rho) to upward unit directions ``e`` at centred points ``p``
    (frame heights) with weights ``w``. Returns (roll, rho, residuals in rad, ambiguity in rad).

    The ambiguity is the half-width of the range of rolls whose best fit (rho re-fitted for each)
    costs at most ``_AMBIGUITY_COST`` more than the best: verticals all on one side of the frame,
    where a pitch and a roll look alike, or two competing families of lines give a wide one."""

    def residuals(phi: np.ndarray, rho: np.ndarray) -> np.ndarray:
        # phi, rho broadcast to (..., 1); returns (..., N) signed angle from predicted to observed
        dx = -np.sin(phi) - rho * p[:, 0]
        dy = -np.cos(phi) - rho * p[:, 1]
        cross = dx * e[:, 1] - dy * e[:, 0]
        dot = dx * e[:, 0] + dy * e[:, 1]
        return np.arctan2(cross, dot)

    wn = w / w.sum()

    def cost(phi: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r = residuals(phi[..., None], rho[..., None])
        return (wn * np.log1p((r / _CAUCHY_SCALE_RAD) ** 2)).sum(axis=-1) + _RHO_PRIOR_WEIGHT * (
            rho / _RHO_PRIOR
        ) ** 2

    lim = math.radians(max_roll_deg)
    phi_g, rho_g = np.meshgrid(np.linspace(-lim, lim, 81), np.linspace(-0.8, 0.8, 41), indexing="ij")
    c = cost(phi_g, rho_g)
    i, j = np.unravel_index(int(np.argmin(c)), c.shape)
    phi0, rho0 = float(phi_g[i, j]), float(rho_g[i, j])
    for dphi, drho in ((math.radians(0.6), 0.05), (math.radians(0.05), 0.005), (math.radians(0.005), 0.0005)):
        phi_g, rho_g = np.meshgrid(
            phi0 + np.linspace(-dphi, dphi, 31), rho0 + np.linspace(-drho, drho, 21), indexing="ij"
        )
        c = cost(phi_g, rho_g)
        i, j = np.unravel_index(int(np.argmin(c)), c.shape)
        phi0, rho0 = float(phi_g[i, j]), float(rho_g[i, j])
    res = residuals(np.array(phi0), np.array(rho0))
    # ambiguity: the rolls whose best fit (rho re-fitted) costs at most _AMBIGUITY_COST more
    phi_g, rho_g = np.meshgrid(
        phi0 + np.radians(np.arange(-6.0, 6.01, 0.2)), np.linspace(-0.8, 0.8, 81), indexing="ij"
    )
    prof = cost(phi_g, rho_g).min(axis=1)
    near = phi_g[prof <= prof.min() + _AMBIGUITY_COST, 0]
    half_width = 0.5 * float(near.max() - near.min()) + math.radians(0.05)
    return phi0, rho0, res, half_width


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cw, 0.5 * cw[-1])])


def estimate_scene_roll(
    rgb: np.ndarray,
    landmarks_px: np.ndarray | None = None,
    params: SceneRollParams | None = None,
) -> SceneRoll:
    """Camera roll (deg, see the module docstring) from one RGB frame's background lines.

    ``landmarks_px``: the subject's (33, 2 or 3) image landmarks in pixels of ``rgb`` (NaN allowed);
    the subject is masked out around them. ``roll_deg`` is NaN when no vertical line was found.
    """
    import cv2

    prm = params or SceneRollParams()
    img = np.asarray(rgb)
    if img.ndim != 3 or img.shape[2] < 3 or img.shape[0] < 16 or img.shape[1] < 16:
        raise ValueError(f"rgb: expected an (H, W, 3) image of at least 16x16, got shape {img.shape}")
    h0, w0 = img.shape[:2]
    s = min(1.0, prm.max_side_px / max(w0, h0))
    gray = cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)
    if s < 1.0:
        gray = cv2.resize(
            gray, (max(16, round(w0 * s)), max(16, round(h0 * s))), interpolation=cv2.INTER_AREA
        )
    h, w = gray.shape
    sx, sy = w / w0, h / h0
    lm = None
    if landmarks_px is not None:
        lm = np.asarray(landmarks_px, np.float64)[..., :2] * np.array([sx, sy])
    mask = subject_mask((h, w), lm, prm.mask_margin_frac)
    seg = _keep_segments(detect_segments(gray), mask, prm.min_length_frac * h, prm.border_px, (h, w))

    nan = float("nan")
    dx, dy = seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]
    length = np.hypot(dx, dy)
    # horizontal cross-check: direction pointing right; roll = atan2(-dy, dx)
    flip = np.where(dx < 0, -1.0, 1.0)
    hdev = np.degrees(np.arctan2(-dy * flip, dx * flip))
    hsel = np.abs(hdev) <= prm.max_horizontal_dev_deg
    horizontal = _weighted_median(hdev[hsel], length[hsel]) if hsel.any() else nan

    up = np.where(dy > 0, -1.0, 1.0)  # orient every segment upwards (y grows downwards)
    ex, ey = dx * up, dy * up
    vdev = np.degrees(np.arctan2(-ex, -ey))  # the roll a single segment would read
    vsel = np.abs(vdev) <= prm.max_vertical_dev_deg
    n_cand = int(vsel.sum())
    if n_cand == 0:
        return SceneRoll(nan, 0, 0.0, nan, nan, horizontal, int(hsel.sum()), 0, nan)
    e = np.column_stack([ex[vsel], ey[vsel]]) / length[vsel, None]
    mid = np.column_stack(
        [(seg[vsel, 0] + seg[vsel, 2]) / 2 - w / 2, (seg[vsel, 1] + seg[vsel, 3]) / 2 - h / 2]
    )
    p = mid / h
    wl = length[vsel] / h
    phi, rho, res, half_width = _fit_roll(e, p, wl, prm.max_roll_deg)
    inl = np.abs(res) <= math.radians(prm.inlier_deg)
    n_in = int(inl.sum())
    iqr = float(np.subtract(*np.percentile(np.degrees(res[inl]), [75, 25]))) if n_in >= 2 else nan
    if n_in == 0:
        return SceneRoll(nan, 0, 0.0, nan, nan, horizontal, int(hsel.sum()), n_cand, nan)
    return SceneRoll(
        math.degrees(phi),
        n_in,
        float(wl[inl].sum()),
        iqr,
        rho,
        horizontal,
        int(hsel.sum()),
        n_cand,
        math.degrees(half_width),
    )


class SceneRollSampler:
    """Extraction hook ``on_frame(frame, candidate)`` reading the scene roll about once per ``every_s``
    (five times less often after ``dense_readings`` readings: ~0.1-0.3 s of CPU per reading, and a
    long recording from one camera needs no more).

    Only frames in which the subject was found are read (the subject must be masked out). After the
    pass, :meth:`channels` gives the per-frame channels (NaN where not sampled) aligned with the
    sequence's ``frame_index``; :meth:`attach` adds them to a sequence.
    """

    def __init__(
        self, every_s: float = 1.0, params: SceneRollParams | None = None, dense_readings: int = 10
    ) -> None:
        if not (every_s > 0 and math.isfinite(every_s)):
            from .errors import ConfigError

            raise ConfigError(
                f"calibration.scene_roll_every_s must be a positive number of seconds, got {every_s}"
            )
        self.every_s = float(every_s)
        self.dense_readings = int(dense_readings)  # after this many readings, read 5 times less often
        self.params = params or SceneRollParams()
        self.readings_: dict[int, SceneRoll] = {}
        self._next_t = -math.inf

    def __call__(self, frame: Any, cand: Any) -> None:
        t = float(frame.timestamp_s)
        if cand is None or t < self._next_t:
            return
        self.readings_[int(frame.index)] = estimate_scene_roll(frame.rgb, cand.image_px, self.params)
        sparse = len(self.readings_) >= self.dense_readings
        self._next_t = t + self.every_s * (5.0 if sparse else 1.0)

    def channels(self, frame_index: np.ndarray) -> dict[str, np.ndarray]:
        """``{name: (T,) float32}`` for :data:`CHANNELS`, NaN where no reading was taken."""
        fi = np.asarray(frame_index, np.int64)
        out = {k: np.full(fi.shape, np.nan, np.float32) for k in CHANNELS}
        if not self.readings_:
            return out
        pos = {int(v): i for i, v in enumerate(fi)}
        for idx, r in self.readings_.items():
            i = pos.get(idx)
            if i is None:
                continue
            for k, v in r.as_channels().items():
                out[k][i] = v
        return out

    def attach(self, seq: Any) -> Any:
        """``seq`` (a PoseSequence) with this sampler's channels added."""
        return seq.replace(channels={**seq.channels, **self.channels(seq.frame_index)})


def compose_hooks(*hooks: Any) -> Any:
    """One ``on_frame`` hook calling each non-None hook in turn (None when there is none)."""
    live = [h for h in hooks if h is not None]
    if not live:
        return None
    if len(live) == 1:
        return live[0]

    def on_frame(frame: Any, cand: Any) -> None:
        for h in live:
            h(frame, cand)

    return on_frame


@dataclass(frozen=True)
class SceneSummary:
    """The scene roll over a recording: weighted median of the per-sample readings and its evidence."""

    roll_deg: float  # NaN when no sample had a reading
    n_samples: int  # frames read
    n_readings: int  # frames with a reading (at least one supporting vertical)
    n_lines: int  # supporting vertical lines summed over the readings
    support: float  # their summed length (frame heights)
    spread_deg: float  # IQR of the readings between frames (0 with one reading), NaN without
    iqr_deg: float  # median within-frame IQR of the supporting lines (deg)
    horizontal_deg: float  # median of the horizontals' cross-check readings (deg), NaN when none
    confidence: float  # 0..1
    ambiguity_deg: float = float("nan")  # median per-frame ambiguity (deg), see SceneRoll

    def to_json(self) -> dict[str, Any]:
        def r(v: float, nd: int = 3) -> float | None:
            return round(float(v), nd) if math.isfinite(v) else None

        return {
            "roll_deg": r(self.roll_deg),
            "confidence": round(self.confidence, 3),
            "n_samples": self.n_samples,
            "n_readings": self.n_readings,
            "n_lines": self.n_lines,
            "line_length_frame_heights": r(self.support, 2),
            "spread_deg": r(self.spread_deg),
            "line_iqr_deg": r(self.iqr_deg),
            "horizontal_cross_check_deg": r(self.horizontal_deg),
            "ambiguity_deg": r(self.ambiguity_deg),
        }


def summarise(
    channels: Mapping[str, np.ndarray],
    *,
    min_lines_per_reading: int = 3,
    full_support_frame_heights: float = 1.0,
    max_spread_deg: float = 1.5,
    max_ambiguity_deg: float = 5.0,
) -> SceneSummary:
    """Combine a sequence's scene channels into one roll with a confidence in 0..1.

    A reading counts when it has at least ``min_lines_per_reading`` supporting lines. Confidence is
    the product of: the support (summed line length, saturating at ``full_support_frame_heights``
    per reading on average and at 2 readings), the agreement between frames (falls linearly to 0 at
    ``max_spread_deg`` IQR) and within frames (falls to 0 at a 2 deg line IQR), and the fits'
    ambiguity (median over frames, falls linearly to 0 at ``max_ambiguity_deg``).
    """
    nan = float("nan")
    roll = np.asarray(channels.get("scene_roll_deg", np.zeros(0)), np.float64)
    if roll.size == 0:
        return SceneSummary(nan, 0, 0, 0, 0.0, nan, nan, nan, 0.0)
    lines = np.asarray(channels.get("scene_roll_lines", np.zeros_like(roll)), np.float64)
    weight = np.asarray(channels.get("scene_roll_weight", np.zeros_like(roll)), np.float64)
    iqr = np.asarray(channels.get("scene_roll_iqr_deg", np.full_like(roll, nan)), np.float64)
    hor = np.asarray(channels.get("scene_roll_horizontal_deg", np.full_like(roll, nan)), np.float64)
    amb = np.asarray(channels.get("scene_roll_ambiguity_deg", np.full_like(roll, nan)), np.float64)
    sampled = np.isfinite(weight)
    ok = sampled & np.isfinite(roll) & (np.nan_to_num(lines) >= min_lines_per_reading) & (weight > 0)
    n_samples, n_ok = int(sampled.sum()), int(ok.sum())
    h = hor[sampled & np.isfinite(hor)]
    hmed = float(np.median(h)) if h.size else nan
    if n_ok == 0:
        return SceneSummary(
            nan,
            n_samples,
            0,
            int(np.nansum(lines[sampled])),
            float(np.nansum(weight[sampled])),
            nan,
            nan,
            hmed,
            0.0,
        )
    r, wt = roll[ok], weight[ok]
    med = _weighted_median(r, wt)
    spread = float(np.subtract(*np.percentile(r, [75, 25]))) if n_ok >= 2 else 0.0
    within = iqr[ok]
    within_med = float(np.median(within[np.isfinite(within)])) if np.isfinite(within).any() else 2.0
    support = float(wt.sum())
    c_support = min(1.0, support / (full_support_frame_heights * max(1, min(n_ok, 2))))
    c_count = min(1.0, n_ok / 2.0) ** 0.5  # one frame alone may be a fluke (someone passing)
    c_spread = max(0.0, 1.0 - spread / max_spread_deg)
    c_within = max(0.0, 1.0 - within_med / 2.0)
    a = amb[ok]
    amb_med = float(np.median(a[np.isfinite(a)])) if np.isfinite(a).any() else nan
    c_amb = max(0.0, 1.0 - amb_med / max_ambiguity_deg) if math.isfinite(amb_med) else 1.0  # not read
    conf = c_support * c_count * c_spread * c_within * c_amb
    return SceneSummary(
        med,
        n_samples,
        n_ok,
        int(lines[ok].sum()),
        support,
        spread,
        within_med,
        hmed,
        float(conf),
        amb_med,
    )
