"""Figures of a report (matplotlib, PNG bytes), shared by the HTML and the PDF renderer.

* :func:`metric_chart` - one metric over time: gaps stay gaps (no line across frames without a
  value), the x axis runs from 0 to the recording's length, the parts of the recording shaded by
  activity, the normal band from the rules.
* :func:`foot_trajectories` - heel height of each foot over time with the detected contacts
  (heel strike, toe off).
* :func:`step_bars` - per-step times, left against right, with the symmetry band of the rules.
* :func:`key_frame` - the frame where a finding's measurement is clearest, with the angle drawn.

Everything reads the analysis folder (``metrics_timeseries.csv``, ``landmarks.parquet``, the source
video or ``overlay.mp4``); nothing is computed that the analysis did not compute, except choosing
frames and drawing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import catalogue
from .landmarks import Landmark
from .result_model import Result, Segment

ACTIVITY_COLOURS = {
    "standing": "#4c78a8",
    "walking": "#f58518",
    "turn": "#b279a2",
    "forward_bend": "#54a24b",
    "other": "#bab0ac",
}
SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any, dpi: int) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    _plt().close(fig)
    return buf.getvalue()


def with_gaps(t: np.ndarray, y: np.ndarray, max_gap_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(t, y) with a NaN inserted wherever consecutive samples are further apart than ``max_gap_s``
    (default 2.5 frame intervals), so a line is never drawn across missing frames."""
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    if t.size < 2:
        return t, y
    dt = np.diff(t)
    step = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 1.0
    limit = max_gap_s if max_gap_s is not None else 2.5 * step
    breaks = np.flatnonzero(dt > limit)
    if breaks.size == 0:
        return t, y
    t2 = np.insert(t, breaks + 1, t[breaks] + step)
    y2 = np.insert(y, breaks + 1, np.nan)
    return t2, y2


def shade_segments(ax: Any, segments: Sequence[Segment], *, labels: bool = False) -> None:
    total = max([float(s.end_s) for s in segments] + [1e-3])
    for s in segments:
        ax.axvspan(
            float(s.start_s),
            float(s.end_s),
            color=ACTIVITY_COLOURS.get(s.activity, "#bab0ac"),
            alpha=0.12,
            lw=0,
        )
        if labels and s.duration_s >= 0.12 * total:  # no clipped words on short parts
            ax.text(
                (float(s.start_s) + float(s.end_s)) / 2,
                0.97,
                catalogue.activity_words(s.activity),
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=6.5,
                color="#444",
                clip_on=True,
            )


def timeline(
    segments: Sequence[Segment], duration_s: float, *, dpi: int = 110, width_in: float = 7.0
) -> bytes:
    """One strip: what the subject did when, and from which view."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(width_in, 0.9))
    for s in segments:
        a, b = float(s.start_s), float(s.end_s)
        ax.barh(0, b - a, left=a, height=0.8, color=ACTIVITY_COLOURS.get(s.activity, "#bab0ac"), alpha=0.8)
        if b - a >= 0.08 * max(duration_s, 1e-6):
            text = f"{catalogue.activity_words(s.activity)}\n{catalogue.view_short(s.view)}"
            ax.text((a + b) / 2, 0, text, ha="center", va="center", fontsize=6.5, color="white")
    ax.set_xlim(0, max(duration_s, 1e-3))
    ax.set_yticks([])
    ax.set_xlabel("time [s]", fontsize=7)
    ax.tick_params(labelsize=7)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.tight_layout(pad=0.3)
    return _png(fig, dpi)


def metric_chart(
    ts: pd.DataFrame,
    key: str,
    *,
    duration_s: float,
    segments: Sequence[Segment] = (),
    events_s: Sequence[float] = (),
    dpi: int = 110,
    width_in: float = 7.0,
) -> bytes:
    """One metric over the whole recording: gaps as gaps, segments shaded, normal band in green."""
    plt = _plt()
    row = catalogue.info(key)
    t = ts["timestamp_s"].to_numpy(float)
    y = pd.to_numeric(ts[key], errors="coerce").to_numpy(float)
    t, y = with_gaps(t, y)
    fig, ax = plt.subplots(figsize=(width_in, 2.0))
    shade_segments(ax, segments, labels=True)
    band = row.normal
    finite = y[np.isfinite(y)]
    if band is not None and finite.size:
        lo = band.low if band.low is not None else min(float(finite.min()), band.high or 0.0) - 1.0
        hi = band.high if band.high is not None else max(float(finite.max()), band.low or 0.0) + 1.0
        ax.axhspan(lo, hi, color="#2e9e57", alpha=0.13, lw=0)
    ax.plot(t, y, color="#1f5fa8", lw=1.3)
    for te in events_s:
        if math.isfinite(te):
            ax.axvline(te, color="#c0392b", ls=":", lw=0.6, alpha=0.5)
    ax.set_xlim(0, max(duration_s, 1e-3))
    ax.set_xlabel("time [s]", fontsize=7.5)
    ax.set_ylabel(row.unit_text, fontsize=7.5)
    ax.set_title(row.name, fontsize=9, loc="left")
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    fig.tight_layout(pad=0.4)
    return _png(fig, dpi)


def chart_keys(ts: pd.DataFrame | None, result: Result) -> list[str]:
    """Per-frame series worth a chart: catalogue metrics that were assessed, with >= 2 values."""
    if ts is None or ts.empty:
        return []
    keys = []
    for _, m in result.all_metrics():
        if not m.ok or m.key not in ts.columns or catalogue.is_internal_series(m.key):
            continue
        if pd.to_numeric(ts[m.key], errors="coerce").notna().sum() >= 2:
            keys.append(m.key)
    return keys


# ----------------------------------------------------------------------------- gait
def heel_heights(seq: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(t, {"left": h, "right": h}): each heel's lift above the lower heel of the same frame, % of body
    height (0 for the foot on the ground)."""
    px = np.asarray(seq.image_px, float)
    vis = np.asarray(seq.visibility, float)
    t = np.asarray(seq.timestamps_s, float)
    out = {}
    nose_y = np.where(vis[:, Landmark.NOSE] > 0.3, px[:, Landmark.NOSE, 1], np.nan)
    ankles = np.where(vis[:, [Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]] > 0.3,
                      px[:, [Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 1], np.nan)  # fmt: skip
    height = np.nanmedian(np.nanmax(ankles, axis=1) - nose_y) if np.isfinite(ankles).any() else np.nan
    if not np.isfinite(height) or height <= 0:
        height = float(seq.frame_size[1]) * 0.8
    ys = {
        side: np.where(vis[:, lm] > 0.3, px[:, lm, 1], np.nan)
        for side, lm in (("left", Landmark.LEFT_HEEL), ("right", Landmark.RIGHT_HEEL))
    }
    # the floor: the lower of the two heels in the same frame. Walking towards or away from the
    # camera moves both feet down or up the image together; relative to the lower heel that cancels.
    floor = np.fmax(ys["left"], ys["right"])
    for side, y in ys.items():
        h = (floor - y) / height * 100.0
        # a 5-frame running median takes out single-frame landmark jitter, keeps gaps as gaps
        smooth = pd.Series(h).rolling(5, center=True, min_periods=3).median().to_numpy()
        out[side] = np.where(np.isfinite(h), smooth, np.nan)
    return t, out


def foot_trajectories(
    seq: Any, result: Result, *, duration_s: float, dpi: int = 110, width_in: float = 7.0
) -> bytes | None:
    """Heel lift of both feet over time (above the lower heel), contacts marked (heel strike filled,
    toe off open)."""
    if not result.gait.events and not result.gait.bouts:
        return None
    plt = _plt()
    t, heights = heel_heights(seq)
    fig, ax = plt.subplots(figsize=(width_in, 2.2))
    shade_segments(ax, result.activity_segments(), labels=True)
    for side, h in heights.items():
        tt, hh = with_gaps(t, h)
        ax.plot(tt, hh, color=SIDE_COLOURS[side], lw=1.1, label=f"{side} heel")
    for ev in result.gait.events:
        if ev.time_s is None or ev.foot not in heights:
            continue
        h = heights[str(ev.foot)]
        i = int(np.argmin(np.abs(t - float(ev.time_s))))
        yv = h[i] if np.isfinite(h[i]) else 0.0
        strike = ev.type == "heel_strike"
        ax.plot(
            float(ev.time_s),
            yv,
            marker="v" if strike else "^",
            ms=5,
            color=SIDE_COLOURS[str(ev.foot)],
            mfc=SIDE_COLOURS[str(ev.foot)] if strike else "white",
            ls="none",
        )
    ax.plot([], [], marker="v", color="#555", ls="none", label="heel strike")
    ax.plot([], [], marker="^", color="#555", mfc="white", ls="none", label="toe off")
    ax.set_xlim(0, max(duration_s, 1e-3))
    ax.set_xlabel("time [s]", fontsize=7.5)
    ax.set_ylabel("heel lift [% of height]", fontsize=7.5)
    ax.set_title("Foot trajectories and contacts", fontsize=9, loc="left")
    ax.legend(fontsize=6.5, ncol=4, loc="upper right", framealpha=0.8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.25)
    fig.tight_layout(pad=0.4)
    return _png(fig, dpi)


STEP_PANELS = (
    ("step_time_s", "Step time", "s", "step_time_si_pct"),
    ("stance_time_s", "Stance time", "s", "stance_time_si_pct"),
    ("swing_time_s", "Swing time", "s", "swing_time_si_pct"),
    ("step_length_pct_height", "Step length", "% height", "step_length_si_pct"),
)


def symmetry_band(values: Sequence[float], si_key: str) -> tuple[float, float] | None:
    """The band around the mean of both sides inside which a left/right pair stays below the rules'
    borderline symmetry index: mean * (1 +- SI/200) (SI = (R - L) / mean(R, L) * 100)."""
    band = catalogue.normal_band(si_key)
    vals = np.asarray([v for v in values if v is not None and math.isfinite(v)], float)
    if band is None or band.high is None or vals.size == 0:
        return None
    mean = float(vals.mean())
    return mean * (1 - band.high / 200.0), mean * (1 + band.high / 200.0)


def step_bars(result: Result, *, dpi: int = 110, width_in: float = 7.0) -> bytes | None:
    """Per-step bars, left and right coloured, one panel per parameter, with the symmetry band."""
    steps = result.gait.steps
    if not steps:
        return None
    panels = []
    for attr, title, unit, si in STEP_PANELS:
        vals = [(s.side, getattr(s, attr)) for s in steps]
        if any(v is not None for _, v in vals):
            panels.append((attr, title, unit, si, vals))
    if not panels:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(width_in, 2.1), squeeze=False)
    for ax, (_attr, title, unit, si, vals) in zip(axes[0], panels, strict=True):
        xs = np.arange(len(vals))
        ys = [np.nan if v is None else float(v) for _, v in vals]
        colours = [SIDE_COLOURS.get(str(side), "#888") for side, _ in vals]
        band = symmetry_band(ys, si)
        if band is not None:
            ax.axhspan(band[0], band[1], color="#2e9e57", alpha=0.15, lw=0)
        ax.bar(xs, ys, color=colours, width=0.7)
        ax.set_xticks(xs, [f"{'L' if str(s) == 'left' else 'R'}{i + 1}" for i, (s, _) in enumerate(vals)])
        ax.set_title(f"{title} [{catalogue.unit_display(unit)}]", fontsize=8, loc="left")
        ax.tick_params(labelsize=6.5)
        finite = [y for y in ys if math.isfinite(y)]
        if finite:
            ax.set_ylim(0, max(finite + ([band[1]] if band else [])) * 1.15)
        ax.grid(axis="y", alpha=0.25)
    fig.suptitle(
        "Per step: left (blue) and right (red); green = symmetric within the rules' limit", fontsize=7.5
    )
    fig.tight_layout(pad=0.4)
    return _png(fig, dpi)


# ----------------------------------------------------------------------------- key frames
@dataclass(frozen=True)
class KeyFrame:
    t_s: float
    rgb: np.ndarray  # (H, W, 3) uint8, skeleton and angle drawn
    caption: str
    key: str | None = None

    @property
    def png(self) -> bytes:
        return png_bytes(self.rgb)


LM = Landmark
# What to draw for each metric: ("line", a, b) with a horizontal reference, ("vline", a, b) with a
# vertical reference, ("angle", a, vertex, b). Side-view metrics use the side facing the camera.
GEOMETRY: dict[str, tuple[str, Any, Any, Any]] = {
    "pelvic_obliquity_deg": ("line", LM.RIGHT_HIP, LM.LEFT_HIP, None),
    "shoulder_obliquity_deg": ("line", LM.RIGHT_SHOULDER, LM.LEFT_SHOULDER, None),
    "shoulder_hip_tilt_difference_deg": ("line", LM.RIGHT_SHOULDER, LM.LEFT_SHOULDER, None),
    "head_tilt_deg": ("line", LM.RIGHT_EAR, LM.LEFT_EAR, None),
    "trunk_lateral_lean_deg": ("vline", "mid_hip", "mid_shoulder", None),
    "pelvic_drop_left_stance_deg": ("line", LM.RIGHT_HIP, LM.LEFT_HIP, None),
    "pelvic_drop_right_stance_deg": ("line", LM.RIGHT_HIP, LM.LEFT_HIP, None),
    "trunk_lean_left_stance_deg": ("vline", "mid_hip", "mid_shoulder", None),
    "trunk_lean_right_stance_deg": ("vline", "mid_hip", "mid_shoulder", None),
    "trunk_lateral_sway_deg": ("vline", "mid_hip", "mid_shoulder", None),
    "craniovertebral_angle_deg": ("line", "shoulder", "ear", None),
    "ear_shoulder_angle_deg": ("line", "shoulder", "ear", None),
    "head_forward_offset_pct_height": ("vline", "shoulder", "ear", None),
    "head_forward_offset_cm": ("vline", "shoulder", "ear", None),
    "trunk_flexion_deg": ("vline", "hip", "shoulder", None),
    "knee_flexion_left_deg": ("angle", LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE),
    "knee_flexion_right_deg": ("angle", LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
    "sagittal_pelvic_tilt_proxy_deg": ("angle", "knee", "hip", "shoulder"),
    "hip_flexion_forward_bend_deg": ("angle", "knee", "hip", "shoulder"),
}
_SIDE_POINTS = {
    "shoulder": (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER),
    "hip": (LM.LEFT_HIP, LM.RIGHT_HIP),
    "knee": (LM.LEFT_KNEE, LM.RIGHT_KNEE),
    "ear": (LM.LEFT_EAR, LM.RIGHT_EAR),
}


def _point(name: Any, px: np.ndarray, vis: np.ndarray) -> np.ndarray | None:
    if isinstance(name, Landmark):
        p = px[int(name), :2]
        return p if np.all(np.isfinite(p)) and vis[int(name)] > 0.2 else None
    if name in ("mid_hip", "mid_shoulder"):
        a, b = _SIDE_POINTS["hip" if name == "mid_hip" else "shoulder"]
        pa, pb = _point(a, px, vis), _point(b, px, vis)
        return None if pa is None or pb is None else (pa + pb) / 2
    left, right = _SIDE_POINTS[name]
    # the side facing the camera: the better seen shoulder+hip pair
    left_vis = vis[int(LM.LEFT_SHOULDER)] + vis[int(LM.LEFT_HIP)]
    right_vis = vis[int(LM.RIGHT_SHOULDER)] + vis[int(LM.RIGHT_HIP)]
    return _point(left if left_vis >= right_vis else right, px, vis)


def draw_measurement(rgb: np.ndarray, key: str, px: np.ndarray, vis: np.ndarray, label: str) -> np.ndarray:
    """The measurement's lines on the frame: the body line in yellow, the reference in white, the
    value written next to it. Unknown geometry: the frame is returned with the label only."""
    import cv2

    img = np.ascontiguousarray(rgb.copy())
    h, w = img.shape[:2]
    thick = max(2, round(w / 300))
    geo = GEOMETRY.get(key)
    anchor = (10, 30)
    if geo is not None:
        kind, a, b, c = geo
        pa, pb = _point(a, px, vis), _point(b, px, vis)
        pc = _point(c, px, vis) if c is not None else None
        yellow, white = (255, 215, 0), (255, 255, 255)
        if pa is not None and pb is not None:
            A, B = tuple(int(round(v)) for v in pa), tuple(int(round(v)) for v in pb)
            if kind == "line":
                L = float(np.hypot(*(pb - pa)))
                mid = (pa + pb) / 2
                h0, h1 = (int(mid[0] - 0.7 * L), int(mid[1])), (int(mid[0] + 0.7 * L), int(mid[1]))
                cv2.line(img, h0, h1, white, max(1, thick // 2), cv2.LINE_AA)
                cv2.line(img, A, B, yellow, thick, cv2.LINE_AA)
                anchor = (int(mid[0] + 0.75 * L), int(mid[1]))
            elif kind == "vline":
                L = float(np.hypot(*(pb - pa)))
                cv2.line(img, A, (A[0], int(pa[1] - 1.1 * L)), white, max(1, thick // 2), cv2.LINE_AA)
                cv2.line(img, A, B, yellow, thick, cv2.LINE_AA)
                anchor = (B[0] + 8, B[1])
            elif kind == "angle" and pc is not None:
                C = tuple(int(round(v)) for v in pc)
                cv2.line(img, B, A, yellow, thick, cv2.LINE_AA)
                cv2.line(img, B, C, yellow, thick, cv2.LINE_AA)
                cv2.circle(img, B, thick * 2, white, -1, cv2.LINE_AA)
                anchor = (B[0] + 10, B[1])
    scale = max(0.5, w / 900)
    x = int(min(max(anchor[0], 5), w - 10 * len(label) * scale))
    y = int(min(max(anchor[1], 25), h - 10))
    cv2.putText(img, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(img, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), max(1, thick - 1),
                cv2.LINE_AA)  # fmt: skip
    return img


def clearest_frame(
    ts: pd.DataFrame | None, seq: Any, key: str, value: float | None, windows: Sequence[tuple[float, float]]
) -> int | None:
    """Index (into ``seq``) of the frame where ``key`` is shown most clearly: inside the segments that
    fed it, a per-frame value closest to the reported median, then the best-seen landmarks."""
    t = np.asarray(seq.timestamps_s, float)
    ok = np.asarray(seq.detected, bool).copy()
    if windows:
        inside = np.zeros_like(ok)
        for a, b in windows:
            inside |= (t >= a) & (t <= b)
        if (ok & inside).any():
            ok &= inside
    if not ok.any():
        return None
    score = -np.nanmean(np.asarray(seq.visibility, float), axis=1)  # lower is better
    if ts is not None and key in ts.columns and value is not None and len(ts) == len(t):
        y = pd.to_numeric(ts[key], errors="coerce").to_numpy(float)
        has = ok & np.isfinite(y)
        if has.any():
            ok = has
            score = np.abs(y - value) + 0.5 * score
    idx = np.flatnonzero(ok)
    return int(idx[np.argmin(score[idx])])


def read_frame(result: Result, out_dir: Path, t_s: float) -> tuple[np.ndarray | None, bool]:
    """(rgb, skeleton_already_drawn) at ``t_s`` from the source video, else ``overlay.mp4``."""
    from .video import iter_frames

    candidates: list[tuple[Path, bool]] = []
    if result.input.path:
        src = Path(result.input.path)
        candidates += [(src, False)] + ([] if src.is_absolute() else [(out_dir / src, False)])
    candidates.append((out_dir / "overlay.mp4", True))
    for path, drawn in candidates:
        if not path.is_file():
            continue
        try:
            for fr in iter_frames(path, start_s=max(0.0, t_s - 0.02), max_frames=1):
                return np.asarray(fr.rgb), drawn
        except Exception:  # noqa: BLE001 - a moved or unreadable video just gives no key frame
            continue
    return None, False


def _shrink(rgb: np.ndarray, max_width: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    if w <= max_width:
        return rgb
    return cv2.resize(rgb, (max_width, round(h * max_width / w)), interpolation=cv2.INTER_AREA)


def png_bytes(rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise ValueError("could not encode a key frame as PNG")
    return buf.tobytes()


def key_frame(
    out_dir: Path,
    result: Result,
    key: str,
    *,
    seq: Any = None,
    ts: pd.DataFrame | None = None,
    max_width: int = 480,
) -> KeyFrame | None:
    """The frame where ``key`` is clearest, with the skeleton and the measurement drawn; None when
    the video or the landmarks are not available."""
    from .overlay import draw_pose
    from .sequence import PoseSequence

    out_dir = Path(out_dir)
    if seq is None:
        lm = out_dir / "landmarks.parquet"
        if not lm.is_file():
            return None
        seq = PoseSequence.load(lm)
    m = result.metric(key)
    value = None if m is None or not m.ok else float(m.value)  # type: ignore[arg-type]
    windows = [
        (float(r.start_s), float(r.end_s))
        for r in (m.segments if m else [])
        if r.start_s is not None and r.end_s is not None
    ]  # noqa: E501
    if not windows and m is not None and any(key == k for k in result.gait.metrics):
        windows = [
            (float(b.start_s), float(b.end_s))
            for b in result.gait.bouts
            if b.start_s is not None and b.end_s is not None
        ]  # noqa: E501
    i = clearest_frame(ts, seq, key, value, windows)
    if i is None:
        return None
    t = float(seq.timestamps_s[i])
    rgb, drawn = read_frame(result, out_dir, t)
    if rgb is None:
        return None
    px = np.asarray(seq.image_px[i], float)
    vis = np.asarray(seq.visibility[i], float)
    if rgb.shape[1] != seq.frame_size[0] and rgb.shape[1] > 0:  # overlay written at another size
        px = px * (rgb.shape[1] / seq.frame_size[0])
    if not drawn:
        rgb = draw_pose(rgb, px, vis)
    row = catalogue.info(key)
    frame_value = value
    if ts is not None and key in ts.columns and len(ts) == len(seq.timestamps_s):
        v = pd.to_numeric(ts[key], errors="coerce").to_numpy(float)[i]
        frame_value = float(v) if math.isfinite(v) else value
    label = row.fmt(frame_value) if frame_value is not None else row.name
    img = draw_measurement(rgb, key, px, vis, label.replace("°", " deg"))  # cv2 fonts have no degree sign
    caption = f"{row.name}: {label} at {t:.1f} s" + (
        f" (median {row.fmt(value)})" if value is not None else ""
    )
    return KeyFrame(t, _shrink(img, max_width), caption, key)


def spread_frames(out_dir: Path, result: Result, n: int = 3, *, max_width: int = 480) -> list[KeyFrame]:
    """Up to ``n`` frames spread over the detected frames, skeleton drawn (when no finding needs one)."""
    from .overlay import draw_pose
    from .sequence import PoseSequence

    lm = Path(out_dir) / "landmarks.parquet"
    if not lm.is_file():
        return []
    seq = PoseSequence.load(lm)
    idx = np.flatnonzero(seq.detected)
    if idx.size == 0:
        return []
    picks = idx[np.linspace(0, idx.size - 1, min(n, idx.size)).round().astype(int)]
    out = []
    for i in dict.fromkeys(int(p) for p in picks):
        t = float(seq.timestamps_s[i])
        rgb, drawn = read_frame(result, Path(out_dir), t)
        if rgb is None:
            continue
        if not drawn:
            rgb = draw_pose(rgb, seq.image_px[i], seq.visibility[i])
        out.append(KeyFrame(t, _shrink(rgb, max_width), f"t = {t:.1f} s"))
    return out


def load_timeseries(out_dir: Path) -> pd.DataFrame | None:
    p = Path(out_dir) / "metrics_timeseries.csv"
    if not p.is_file():
        return None
    try:
        return pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None
