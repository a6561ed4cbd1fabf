"""Signal conditioning: gap fill limits, Hampel, NaN-safe Butterworth, One Euro, condition-once."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.config import FilterConfig
from posture_cam.errors import ConditioningError
from posture_cam.landmarks import Landmark
from posture_cam.signal import (
    LiveConditioner,
    OneEuroFilter,
    butter_lowpass_nan,
    condition,
    fill_short_gaps,
    hampel,
)
from posture_cam.simulate.posture import simulate_posture


def test_short_gaps_filled_long_gaps_kept() -> None:
    ts = np.arange(60) / 30.0
    x = np.sin(ts)
    x[10:13] = np.nan  # 3 frames = 100 ms -> filled
    x[30:34] = np.nan  # 4 frames = 133 ms -> stays missing
    x[:2] = np.nan  # leading gap: never extrapolated
    y = fill_short_gaps(x, ts, 0.12)
    assert np.all(np.isfinite(y[10:13]))
    np.testing.assert_allclose(y[10:13], np.interp(ts[10:13], ts[[9, 13]], x[[9, 13]]))
    assert np.all(np.isnan(y[30:34])) and np.all(np.isnan(y[:2]))


def test_hampel_rejects_spike_only() -> None:
    x = np.linspace(0, 10, 50)
    x[25] += 40.0
    y = hampel(x, 5, 3.0, min_scale=0.5)
    assert np.isnan(y[25]) and np.isfinite(np.delete(y, 25)).all()


def test_butterworth_keeps_nans_in_place_and_handles_short_runs() -> None:
    rng = np.random.default_rng(1)
    x = np.sin(np.arange(200) / 30 * 2 * np.pi * 0.5) + rng.normal(0, 0.1, 200)
    x[50:60] = np.nan
    x[100] = np.nan
    x[102] = np.nan  # run of length 1 between two NaNs
    y = butter_lowpass_nan(x, 30.0, 6.0, 4)
    assert np.array_equal(np.isnan(y), np.isnan(x))
    assert y[101] == x[101]  # too short to filter: unchanged
    assert np.nanstd(np.diff(y)) < np.nanstd(np.diff(x))


def test_butterworth_is_zero_lag_on_a_slow_sine() -> None:
    t = np.arange(300) / 30
    x = np.sin(2 * np.pi * 0.5 * t)
    y = butter_lowpass_nan(x, 30.0, 6.0, 4)
    assert np.max(np.abs(y[30:-30] - x[30:-30])) < 1e-3


def test_one_euro_smooths_and_passes_nan() -> None:
    f = OneEuroFilter(1.0, 0.0, 1.0)
    rng = np.random.default_rng(0)
    xs = 5 + rng.normal(0, 1, 100)
    ys = f.filter_series(xs, np.arange(100) / 30)
    assert np.std(ys[20:]) < 0.5 * np.std(xs[20:])
    out = f(np.array([np.nan]), 100 / 30)
    assert np.isnan(out[0])
    assert f(np.array([9.0]), 101 / 30)[0] == 9.0  # restarts, no glide from the old value


def test_live_conditioner_gates_low_visibility() -> None:
    lc = LiveConditioner(FilterConfig(visibility_threshold=0.5))
    pts = np.ones((33, 3))
    vis = np.full(33, 0.9)
    vis[Landmark.NOSE] = 0.2
    out = lc.update(pts, vis, 0.0)
    assert np.isnan(out[Landmark.NOSE]).all() and np.isfinite(out[Landmark.LEFT_HIP]).all()


def test_condition_once_and_refuses_other_settings() -> None:
    seq = simulate_posture(noise_px=1.0, duration_s=1.0)
    c1 = condition(seq)
    assert c1.meta["conditioned"] is True
    assert condition(c1) is c1  # same settings: no second pass
    with pytest.raises(ConditioningError):
        condition(c1, FilterConfig(lowpass_cutoff_hz=3.0))


def test_condition_gates_visibility_and_fills_short_gap() -> None:
    seq = simulate_posture(view="left_side", duration_s=2.0, gaps=[(0.5, 0.6), (1.0, 1.5)])
    c = condition(seq)
    hip = c.xy(Landmark.LEFT_HIP)[:, 0]
    assert np.isfinite(hip[15:18]).all()  # 3 missing frames at 30 fps: filled
    assert np.isnan(hip[31:44]).all()  # 0.5 s: stays missing
    assert np.isnan(c.xy(Landmark.RIGHT_HIP)).all()  # far side: visibility < 0.5 -> dropped
    assert c.meta["conditioning"]["dropped_low_visibility"] > 0


@pytest.mark.parametrize("order", [2, 4])
@pytest.mark.parametrize("n", [4, 5, 9, 40, 300])
def test_fast_filtfilt_equals_scipy_sosfiltfilt(order: int, n: int) -> None:
    """The cached-zi forward-backward filter is scipy's sosfiltfilt, sample for sample."""
    from scipy import signal as sps

    from posture_cam.signal import _butter_sos, _sosfiltfilt

    sos, zi = _butter_sos(order, 0.15)
    x = np.random.default_rng(n).normal(size=(n, 3)).cumsum(axis=0)
    pad = min(3 * (2 * len(sos) + 1), n - 1)
    want = sps.sosfiltfilt(sos, x, axis=0, padtype="odd", padlen=pad)
    np.testing.assert_allclose(_sosfiltfilt(sos, zi, x, pad), want, rtol=0, atol=1e-12)


def test_fast_nanmedian_equals_numpy() -> None:
    from posture_cam.signal import _nanmedian_rows

    rng = np.random.default_rng(3)
    w = rng.normal(size=(500, 31))
    w[rng.random(w.shape) < 0.4] = np.nan
    w[7] = np.nan  # a row with nothing finite
    w[8, 1:] = np.nan  # one finite value
    w[9, 2:] = np.nan  # two: the mean of both
    got = _nanmedian_rows(w)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanmedian(w, axis=1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(want)], want[~np.isnan(want)], rtol=0, atol=1e-12)
    assert got[8] == w[8, 0] and got[9] == pytest.approx(0.5 * (w[9, 0] + w[9, 1]))
