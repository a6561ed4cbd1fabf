"""Which way the camera sees the subject, per frame and per segment of the recording.

Labels (``posture_cam.measurement.VIEWS``):

* ``front`` / ``back``: the body faces the camera / faces away (yaw within ~30 deg);
* ``left_side`` / ``right_side``: the camera sees the subject's **left** / **right** side (yaw beyond
  ~63 deg). A subject walking from image right to image left shows the left side;
* ``oblique``: in between; ``unknown``: no trunk landmarks in the frame.

Per-frame cues:

* *frontalness* ``c`` (about ``|cos yaw|``): shoulder and hip widths ``|x_left - x_right|`` divided by
  the torso length (shoulder centre to hip centre) and by their nominal frontal ratios (0.62 and
  0.34, measured on MediaPipe output of frontal clips); averaged with ``|cos yaw|`` of the world
  landmarks' left->right shoulder/hip vectors when world landmarks exist;
* *front vs back*: BlazePose labels anatomical sides, so in a front view the subject's left shoulder
  and hip lie on the image right (``x_left > x_right``) and in a back view on the image left (the face
  landmarks' visibility does not help: MediaPipe reports ~1.0 for the nose in back views);
* *left vs right side*: the nose relative to the ears (facing image left -> ``left_side``) and which
  shoulder/hip is nearer the camera (MediaPipe depth; the nearer side is the one seen).

Labels are then smoothed over time: a majority filter over ``view_smoothing_s`` and segments shorter
than ``view_min_segment_s`` merged into a neighbour, so a metric can require a stable view.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import PostureConfig
from .landmarks import Landmark
from .measurement import VIEWS
from .sequence import PoseSequence
from .signal import finite_runs, sampling_rate_hz

L = Landmark
NOMINAL_SHOULDER_WIDTH_TORSO = 0.62  # frontal |x_LS - x_RS| / torso length (MediaPipe, adults)
NOMINAL_HIP_WIDTH_TORSO = 0.34  # frontal |x_LH - x_RH| / torso length


@dataclass(frozen=True)
class ViewSegment:
    start_s: float
    end_s: float
    view: str

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "view": self.view}


@dataclass(frozen=True, eq=False)
class ViewReport:
    """Per-frame view labels (smoothed), their segments, the dominant view and shares of frames."""

    per_frame: np.ndarray  # (T,) str, one of VIEWS
    segments: tuple[ViewSegment, ...]
    dominant: str
    fractions: dict[str, float]
    frontalness: np.ndarray  # (T,) ~|cos yaw| in [0, 1.2], NaN where unknown
    raw: np.ndarray  # (T,) str, labels before temporal smoothing

    def mask(self, views: tuple[str, ...] | list[str]) -> np.ndarray:
        """(T,) bool: frames whose smoothed label is one of ``views``."""
        return np.isin(self.per_frame, list(views))

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` ``view`` section."""
        return {
            "dominant": self.dominant,
            "fractions": {k: round(v, 4) for k, v in self.fractions.items()},
            "segments": [s.to_json() for s in self.segments],
        }


def _mid_or_side(seq: PoseSequence, a: Landmark, b: Landmark) -> np.ndarray:
    """(T, 2) midpoint of ``a`` and ``b``, or the one that is present when the other is missing."""
    pa, pb = seq.xy(a).astype(np.float64), seq.xy(b).astype(np.float64)
    mid = 0.5 * (pa + pb)
    mid = np.where(np.isfinite(mid), mid, pa)
    return np.where(np.isfinite(mid), mid, pb)


def _torso_length(seq: PoseSequence) -> np.ndarray:
    """(T,) shoulder-centre to hip-centre distance in px (one side suffices), NaN where unknown."""
    sh = _mid_or_side(seq, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    hp = _mid_or_side(seq, L.LEFT_HIP, L.RIGHT_HIP)
    tl = np.hypot(*(sh - hp).T)
    return np.where(tl > 1e-6, tl, np.nan)


def _pair_width(seq: PoseSequence, a: Landmark, b: Landmark, tl: np.ndarray) -> np.ndarray:
    """|x_a - x_b| / torso length; 0 where exactly one of the pair is missing (occluded far side)."""
    xa, xb = seq.xy(a)[:, 0].astype(np.float64), seq.xy(b)[:, 0].astype(np.float64)
    w = np.abs(xa - xb) / tl
    one = np.isfinite(xa) ^ np.isfinite(xb)
    return np.where(one & np.isfinite(tl), 0.0, w)


def frontalness(seq: PoseSequence) -> np.ndarray:
    """(T,) about ``|cos yaw|`` (1 = facing or back to the camera, 0 = side on), NaN where unknown."""
    tl = _torso_length(seq)
    parts = [
        _pair_width(seq, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, tl) / NOMINAL_SHOULDER_WIDTH_TORSO,
        _pair_width(seq, L.LEFT_HIP, L.RIGHT_HIP, tl) / NOMINAL_HIP_WIDTH_TORSO,
    ]
    c_img = np.clip(_nanmean0(np.stack(parts)), 0.0, 1.2)
    w = []
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)):
        d = seq.world_m[:, a].astype(np.float64) - seq.world_m[:, b]
        with np.errstate(all="ignore"):
            w.append(np.abs(d[:, 0]) / np.hypot(d[:, 0], d[:, 2]))
    c_world = _nanmean0(np.stack(w))
    both = np.isfinite(c_img) & np.isfinite(c_world)
    return np.where(both, 0.5 * (c_img + c_world), c_img)


def _nanmean0(a: np.ndarray) -> np.ndarray:
    """nanmean over axis 0 without warnings (NaN where a column has no finite value)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    s = np.where(ok, a, 0.0).sum(axis=0)
    with np.errstate(all="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def facing_front_score(seq: PoseSequence) -> np.ndarray:
    """(T,) > 0: the subject faces the camera; < 0: faces away (``x_left - x_right`` of shoulders+hips)."""
    tl = _torso_length(seq)
    d = [
        (seq.xy(a)[:, 0] - seq.xy(b)[:, 0]) / tl
        for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))
    ]
    return np.nansum(np.stack(d), axis=0) * np.where(np.isfinite(tl), 1.0, np.nan)


def left_side_score(seq: PoseSequence) -> np.ndarray:
    """(T,) > 0: the camera sees the subject's left side; < 0: the right side (sum of unit votes)."""
    tl = _torso_length(seq)
    ear = seq.midpoint(L.LEFT_EAR, L.RIGHT_EAR)
    nose_dir = -(seq.xy(L.NOSE)[:, 0] - ear[:, 0]) / tl  # facing image left -> left side visible
    votes = [np.sign(nose_dir)]
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)):
        votes.append(np.sign(seq.image_px[:, b, 2] - seq.image_px[:, a, 2]))  # left nearer -> smaller z
        votes.append(np.sign(seq.world_m[:, b, 2] - seq.world_m[:, a, 2]))
        # only one of the pair survived the visibility gate: that is the side the camera sees
        fa, fb = np.isfinite(seq.xy(a)[:, 0]), np.isfinite(seq.xy(b)[:, 0])
        votes.append(np.where(fa & ~fb, 1.0, np.where(fb & ~fa, -1.0, 0.0)))
    v = np.stack(votes)
    return np.nansum(v, axis=0) * np.where(np.isfinite(tl), 1.0, np.nan)


def raw_labels(seq: PoseSequence, cfg: PostureConfig | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Unsmoothed per-frame labels and frontalness."""
    cfg = cfg or PostureConfig()
    c = frontalness(seq)
    front = facing_front_score(seq)
    left = left_side_score(seq)
    lab = np.full(seq.n_frames, "unknown", dtype=object)
    ok = np.isfinite(c)
    lab[ok & (c >= cfg.view_frontal_min_cos_yaw) & (front >= 0)] = "front"
    lab[ok & (c >= cfg.view_frontal_min_cos_yaw) & (front < 0)] = "back"
    lab[ok & (c > cfg.view_side_max_cos_yaw) & (c < cfg.view_frontal_min_cos_yaw)] = "oblique"
    side = ok & (c <= cfg.view_side_max_cos_yaw)
    lab[side & (left >= 0)] = "left_side"
    lab[side & (left < 0)] = "right_side"
    return lab.astype(str), c


def majority_filter(labels: np.ndarray, half_window: int) -> np.ndarray:
    """Replace each known label by the most common known label within +-``half_window`` frames."""
    out = labels.copy()
    n = labels.size
    for i in range(n):
        if labels[i] == "unknown":
            continue
        win = [x for x in labels[max(0, i - half_window) : i + half_window + 1] if x != "unknown"]
        counts = Counter(win).most_common()
        best = counts[0][1]
        tops = [lab for lab, k in counts if k == best]
        out[i] = labels[i] if labels[i] in tops else tops[0]
    return out


def merge_short_segments(labels: np.ndarray, min_len: int) -> np.ndarray:
    """Relabel known runs shorter than ``min_len`` frames with their longer known neighbour."""
    out = labels.copy()
    for _ in range(out.size):
        runs = _runs(out)
        short = [(b - a, i) for i, (a, b, lab) in enumerate(runs) if lab != "unknown" and b - a < min_len]
        if not short:
            break
        changed = False
        for _len, i in sorted(short):
            a, b, lab = runs[i]
            nbrs = [runs[j] for j in (i - 1, i + 1) if 0 <= j < len(runs) and runs[j][2] != "unknown"]
            if not nbrs:
                continue
            best = max(nbrs, key=lambda r: r[1] - r[0])
            out[a:b] = best[2]
            changed = True
            break
        if not changed:
            break
    return out


def _runs(labels: np.ndarray) -> list[tuple[int, int, str]]:
    runs: list[tuple[int, int, str]] = []
    start = 0
    for i in range(1, labels.size + 1):
        if i == labels.size or labels[i] != labels[start]:
            runs.append((start, i, str(labels[start])))
            start = i
    return runs


def classify_views(seq: PoseSequence, cfg: PostureConfig | None = None) -> ViewReport:
    """Per-frame and per-segment view labels of ``seq`` (robust over time; see the module docstring)."""
    cfg = cfg or PostureConfig()
    raw, c = raw_labels(seq, cfg)
    fs = sampling_rate_hz(seq.timestamps_s, seq.fps)
    smooth = majority_filter(raw, max(0, int(round(cfg.view_smoothing_s * fs / 2))))
    smooth = merge_short_segments(smooth, max(1, int(round(cfg.view_min_segment_s * fs))))
    dt = 1.0 / fs
    segs = (
        tuple(
            ViewSegment(float(seq.timestamps_s[a]), float(seq.timestamps_s[b - 1] + dt), lab)
            for a, b, lab in _runs(smooth)
        )
        if seq.n_frames
        else ()
    )
    n = max(1, seq.n_frames)
    counts = Counter(smooth.tolist())
    fractions = {v: counts.get(v, 0) / n for v in VIEWS if counts.get(v, 0)}
    known = [(k, v) for k, v in counts.most_common() if k != "unknown"]
    dominant = known[0][0] if known else "unknown"
    return ViewReport(smooth, segs, dominant, fractions, c, raw)


def detected_runs(seq: PoseSequence) -> list[tuple[int, int]]:
    """Contiguous runs of frames with a detected subject (helper for callers)."""
    return finite_runs(seq.detected)
