"""Capture conditions of a session: what a follow-up comparison must know to trust a change.

A change between two sessions can come from the person or from how they were filmed. Each analysis
records (``result.json`` ``capture``):

* ``view``: the dominant view and the share of frames in each;
* ``fps`` and ``resolution`` of the recording;
* ``subject_height_fraction``: the subject's standing height as a share of the frame height (the
  camera distance, relative: 0.8 = close, 0.3 = far), from the calibrated body height in pixels;
* ``camera_roll_deg`` and its source (a differently held camera changes every frontal tilt);
* ``lighting``: mean luma (0-255, Rec. 601) and its spread over frames sampled ~1 per second
  (:class:`LumaSampler`, an extraction hook).

:func:`capture_differences` lists the differences between two sessions large enough to explain a
change of the metrics (thresholds below, each with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Differences between two sessions' capture conditions that can move the metrics by themselves.
MAX_HEIGHT_FRACTION_RATIO = 1.25  # camera distance: subject 25 % larger/smaller in the frame
MAX_ROLL_DIFF_DEG = 2.0  # camera held with a different roll and one of the two not levelled
MAX_LUMA_DIFF = 40.0  # of 255: lighting changes landmark jitter and visibility
MAX_FPS_RATIO = 1.5  # gait event timing resolution


class LumaSampler:
    """Extraction hook ``(frame, candidate) -> None`` recording the mean luma of ~1 frame per second."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = float(every_s)
        self._next_s = -np.inf
        self.readings: dict[int, float] = {}

    def __call__(self, frame: Any, cand: Any) -> None:
        t = float(getattr(frame, "timestamp_s", 0.0))
        if t < self._next_s:
            return
        self._next_s = t + self.every_s
        rgb = np.asarray(frame.rgb)
        small = rgb[::8, ::8].astype(np.float32)
        luma = 0.299 * small[..., 0] + 0.587 * small[..., 1] + 0.114 * small[..., 2]
        self.readings[int(frame.index)] = float(luma.mean())

    def attach(self, seq: Any) -> Any:
        """``seq`` with a ``frame_luma`` channel (NaN where no frame was sampled)."""
        col = np.full(seq.n_frames, np.nan, np.float32)
        pos = {int(f): i for i, f in enumerate(seq.frame_index)}
        for f, v in self.readings.items():
            if f in pos:
                col[pos[f]] = v
        return seq.replace(channels={**dict(seq.channels), "frame_luma": col})


def capture_conditions(
    seq: Any, info: Any, view: Mapping[str, Any], calibration: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``result.json`` ``capture`` section (see the module docstring)."""
    w, h = (int(v) for v in seq.frame_size)
    body = (calibration.get("scale") or {}).get("body_height_px")
    luma = np.asarray(seq.channels.get("frame_luma", np.zeros(0)), np.float64)
    luma = luma[np.isfinite(luma)]
    return {
        "view": view.get("dominant"),
        "view_fractions": view.get("fractions"),
        "fps": round(float(getattr(info, "fps", seq.fps) or seq.fps), 3),
        "resolution": [w, h],
        "subject_height_fraction": None if not body else round(float(body) / h, 3),
        "camera_roll_deg": calibration.get("roll_deg"),
        "camera_roll_source": calibration.get("roll_source"),
        "lighting": None
        if luma.size == 0
        else {
            "mean_luma": round(float(luma.mean()), 1),
            "luma_sd": round(float(luma.std()), 1),
            "frames": int(luma.size),
        },
    }


def capture_differences(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[str]:
    """Plain-language differences between two sessions' capture conditions that could explain a change."""
    if not a or not b:
        return ["capture conditions were not recorded for one of the sessions (analysed by an older version)"]
    out: list[str] = []
    if a.get("view") != b.get("view"):
        out.append(f"filmed from different views ({a.get('view')} vs {b.get('view')})")
    ha, hb = a.get("subject_height_fraction"), b.get("subject_height_fraction")
    if ha and hb and max(ha, hb) / min(ha, hb) > MAX_HEIGHT_FRACTION_RATIO:
        out.append(
            f"camera distance differs: the subject fills {ha:.0%} vs {hb:.0%} of the frame height "
            f"(more than {MAX_HEIGHT_FRACTION_RATIO:g}x)"
        )
    ra_deg, rb_deg = a.get("camera_roll_deg"), b.get("camera_roll_deg")
    unlevelled = "none" in (a.get("camera_roll_source"), b.get("camera_roll_source"))
    if ra_deg is not None and rb_deg is not None and unlevelled and abs(ra_deg - rb_deg) > MAX_ROLL_DIFF_DEG:
        out.append(
            f"camera roll differs ({ra_deg:+.1f} vs {rb_deg:+.1f} deg) and one session could not be levelled"
        )
    la, lb = (a.get("lighting") or {}).get("mean_luma"), (b.get("lighting") or {}).get("mean_luma")
    if la is not None and lb is not None and abs(la - lb) > MAX_LUMA_DIFF:
        out.append(f"lighting differs (mean brightness {la:.0f} vs {lb:.0f} of 255)")
    fa, fb = a.get("fps"), b.get("fps")
    if fa and fb and max(fa, fb) / min(fa, fb) > MAX_FPS_RATIO:
        out.append(f"frame rates differ ({fa:g} vs {fb:g} fps)")
    ra, rb = a.get("resolution"), b.get("resolution")
    if ra and rb and ra != rb:
        pa_px, pb_px = ra[0] * ra[1], rb[0] * rb[1]
        if max(pa_px, pb_px) / max(1, min(pa_px, pb_px)) > 2.0:
            out.append(f"resolutions differ ({ra[0]}x{ra[1]} vs {rb[0]}x{rb[1]})")
    return out
