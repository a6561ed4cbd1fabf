"""Per-frame signals the gait stages share: body scale, foot points, leg arrays (pure functions)."""

from __future__ import annotations

import warnings

import numpy as np

from ..landmarks import Landmark
from ..measurement import FRONTAL_VIEWS, SIDE_VIEWS
from ..sequence import PoseSequence

L: type[Landmark] = Landmark
#: Left/right landmark pairs that BlazePose exchanges when it swaps the legs (hip to toe).
LEG_PAIRS: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_KNEE, L.RIGHT_KNEE),
    (L.LEFT_ANKLE, L.RIGHT_ANKLE),
    (L.LEFT_HEEL, L.RIGHT_HEEL),
    (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
)
#: Shoulder-to-ankle height as a fraction of standing height (Drillis & Contini 1966: 0.818 - 0.039).
SHOULDER_TO_ANKLE_FRACTION = 0.779


def view_family(view_per_frame: np.ndarray) -> np.ndarray:
    """(T,) "side", "frontal" or "other" from posture_cam view labels."""
    v = np.asarray(view_per_frame, dtype=object)
    out = np.full(v.shape, "other", dtype=object)
    out[np.isin(v, SIDE_VIEWS)] = "side"
    out[np.isin(v, FRONTAL_VIEWS)] = "frontal"
    return out


def nan_moving_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred running median ignoring NaN (NaN where the whole window is missing)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    half = max(0, window // 2)
    if n == 0:
        return x.copy()
    pad = np.pad(x, (half, half), constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(win, axis=1)


def nan_moving_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Centred running mean ignoring NaN."""
    x = np.asarray(x, dtype=np.float64)
    half = max(0, window // 2)
    ok = np.isfinite(x)
    k = np.ones(2 * half + 1)
    # centred slice of the full convolution: same length as x even when the window is longer
    # (np.convolve's mode="same" returns the longer of the two lengths)
    num = np.convolve(np.where(ok, x, 0.0), k, mode="full")[half : half + x.size]
    den = np.convolve(ok.astype(float), k, mode="full")[half : half + x.size]
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def body_height_px_per_frame(seq: PoseSequence, *, smooth_frames: int) -> np.ndarray:
    """(T,) standing height in pixels estimated from the shoulder-hip-knee-ankle chain of each frame.

    Sum of trunk, thigh and shank lengths (mean of both sides) divided by their share of body height;
    a running median over ``smooth_frames`` removes the step-to-step breathing of the estimate. Works
    under perspective (a walker approaching the camera grows), unlike one constant.
    """

    def seg(a: Landmark, b: Landmark) -> np.ndarray:
        return np.linalg.norm(seq.xy(a) - seq.xy(b), axis=1)

    trunk = np.linalg.norm(
        seq.midpoint(L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - seq.midpoint(L.LEFT_HIP, L.RIGHT_HIP), axis=1
    )
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            thigh = np.nanmean(
                np.stack([seg(L.LEFT_HIP, L.LEFT_KNEE), seg(L.RIGHT_HIP, L.RIGHT_KNEE)]), axis=0
            )
            shank = np.nanmean(
                np.stack([seg(L.LEFT_KNEE, L.LEFT_ANKLE), seg(L.RIGHT_KNEE, L.RIGHT_ANKLE)]), axis=0
            )
    raw = (trunk + thigh + shank) / SHOULDER_TO_ANKLE_FRACTION
    return nan_moving_median(raw, smooth_frames)


def leg_array(seq: PoseSequence) -> np.ndarray:
    """(T, 2, 5, 2) pixels: [frame, side (0 left, 1 right), hip/knee/ankle/heel/toe, xy]."""
    return np.stack(
        [
            np.stack([seq.xy(a) for a, _ in LEG_PAIRS], axis=1),
            np.stack([seq.xy(b) for _, b in LEG_PAIRS], axis=1),
        ],
        axis=1,
    ).astype(np.float64)


def leg_visibility(seq: PoseSequence) -> np.ndarray:
    """(T, 2) mean visibility of the ankle, heel and toe of each leg."""
    idx = [2, 3, 4]
    left = np.stack([seq.vis(LEG_PAIRS[i][0]) for i in idx], axis=1)
    right = np.stack([seq.vis(LEG_PAIRS[i][1]) for i in idx], axis=1)
    with warnings.catch_warnings():  # a frame without any foot point is NaN, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmean(left, axis=1), np.nanmean(right, axis=1)], axis=1)


def central_velocity(x: np.ndarray, rate_hz: float) -> np.ndarray:
    """Derivative along axis 0 by central differences (units per second), NaN-propagating."""
    x = np.asarray(x, dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if x.shape[0] >= 3:
        out[1:-1] = (x[2:] - x[:-2]) * rate_hz / 2.0
        out[0] = (x[1] - x[0]) * rate_hz
        out[-1] = (x[-1] - x[-2]) * rate_hz
    return out
