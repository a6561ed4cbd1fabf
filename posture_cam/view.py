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

Subject yaw (:func:`subject_yaw_deg`, ``ViewReport.yaw_deg``): the signed turn of the body about the
vertical, deg in (-180, 180]: 0 = facing the camera, 180 = back to it, **+ = turned towards the
subject's own left** (the subject's left shoulder and hip further from the camera; +90 = ``right_side``,
the subject faces image right). From the world landmarks' left->right shoulder and hip vectors
(``atan2(dz, dx)``, z away from the camera), else from the image widths against body height with the
sign from the image depth. :func:`frontal_yaw_deg` folds it to the deviation from the nearest frontal
direction (front or back), :func:`turned_frames` marks frames turned beyond a tolerance
(``PostureConfig.frontal_max_yaw_deg``): a turned body seen by a camera above or below the segment's
height projects a level line tilted (docs/metrics.md, "Subject yaw and camera height").
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
# the same widths against body height (torso length ~0.31 body heights on MediaPipe output of renders)
NOMINAL_SHOULDER_WIDTH_HEIGHT = 0.62 * 0.31
NOMINAL_HIP_WIDTH_HEIGHT = 0.34 * 0.31


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
    #: (T,) signed subject yaw, deg (module docstring: 0 facing, 180 back, + turned to the subject's left)
    yaw_deg: np.ndarray | None = None
    #: the tolerance ``turned`` and ``to_json`` use by default (``PostureConfig.frontal_max_yaw_deg``)
    frontal_max_yaw_deg: float | None = None
    #: (T,) how far one foot stands ahead of the other, metres (:func:`feet_stagger_m`), NaN unknown
    feet_stagger_m: np.ndarray | None = None
    #: (T,) how much lower one foot sits in the image than the other, body heights
    #: (:func:`feet_drop_fraction_height`), NaN unknown
    feet_drop_fraction_height: np.ndarray | None = None

    def mask(self, views: tuple[str, ...] | list[str]) -> np.ndarray:
        """(T,) bool: frames whose smoothed label is one of ``views``."""
        return np.isin(self.per_frame, list(views))

    def relabelled(self, labels: np.ndarray, timestamps_s: np.ndarray, fs: float) -> ViewReport:
        """The same report with new per-frame labels (segments and shares recomputed), keeping the
        per-frame frontalness, raw labels, yaw and feet stagger."""
        return report_from_labels(
            labels,
            timestamps_s,
            fs,
            frontalness=self.frontalness,
            raw=self.raw,
            yaw_deg=self.yaw_deg,
            frontal_max_yaw_deg=self.frontal_max_yaw_deg,
            feet_stagger_m=self.feet_stagger_m,
            feet_drop_fraction_height=self.feet_drop_fraction_height,
        )

    def turned(self, max_yaw_deg: float | None = None) -> np.ndarray:
        """(T,) bool: frames whose body is turned more than ``max_yaw_deg`` from facing (or backing)
        the camera (default: ``frontal_max_yaw_deg``); frames of unknown yaw are not marked."""
        tol = self.frontal_max_yaw_deg if max_yaw_deg is None else max_yaw_deg
        if self.yaw_deg is None or tol is None:
            return np.zeros(self.per_frame.size, bool)
        return turned_frames(self.yaw_deg, tol)

    def to_json(self) -> dict[str, Any]:
        """The ``result.json`` ``view`` section (with ``yaw`` when the yaw is known)."""
        out: dict[str, Any] = {
            "dominant": self.dominant,
            "fractions": {k: round(v, 4) for k, v in self.fractions.items()},
            "segments": [s.to_json() for s in self.segments],
        }
        yaw = self.yaw_summary()
        if yaw is not None:
            out["yaw"] = yaw
        stance = self.stance_summary()
        if stance is not None:
            out["stance"] = stance
        return out

    def stance_summary(self) -> dict[str, Any] | None:
        """``{"feet_stagger_m", "feet_drop_fraction_height", "frontal_frames"}``: medians over the
        front/back frames (None when neither is known). The rules lower the confidence of frontal
        findings for a staggered stance."""
        frontal = np.isin(self.per_frame, ["front", "back"])
        out: dict[str, Any] = {}
        n = 0
        for key, arr, nd in (
            ("feet_stagger_m", self.feet_stagger_m, 3),
            ("feet_drop_fraction_height", self.feet_drop_fraction_height, 4),
        ):
            d = np.asarray(arr, np.float64)[frontal] if arr is not None else np.array([])
            d = d[np.isfinite(d)]
            out[key] = round(float(np.median(d)), nd) if d.size else None
            n = max(n, int(d.size))
        if n == 0:
            return None
        out["frontal_frames"] = n
        return out

    def yaw_summary(self) -> dict[str, Any] | None:
        """Yaw of the front/back frames: ``{"frontal_frames", "median_abs_deg", "p90_abs_deg",
        "frontal_max_yaw_deg", "turned_frames", "turned_fraction"}`` (None without yaw)."""
        if self.yaw_deg is None:
            return None
        frontal = np.isin(self.per_frame, ["front", "back"])
        dev = np.abs(frontal_yaw_deg(self.yaw_deg))[frontal]
        dev = dev[np.isfinite(dev)]
        out: dict[str, Any] = {
            "frontal_frames": int(frontal.sum()),
            "median_abs_deg": round(float(np.median(dev)), 2) if dev.size else None,
            "p90_abs_deg": round(float(np.percentile(dev, 90)), 2) if dev.size else None,
            "frontal_max_yaw_deg": self.frontal_max_yaw_deg,
        }
        if self.frontal_max_yaw_deg is not None:
            n_turned = int((dev > self.frontal_max_yaw_deg).sum())
            out["turned_frames"] = n_turned
            out["turned_fraction"] = round(n_turned / dev.size, 4) if dev.size else None
        return out


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


def subject_yaw_deg(seq: PoseSequence, body_height_px: np.ndarray | float | None = None) -> np.ndarray:
    """(T,) signed body yaw, deg in (-180, 180] (module docstring), NaN where unknown.

    World landmarks (when present): circular mean of ``atan2(dz, dx)`` of the left-minus-right
    shoulder and hip vectors (MediaPipe world axes: x right, z away from the camera). Otherwise the
    image: ``|cos yaw|`` from the shoulder and hip widths against the body height (``body_height_px``,
    per frame or one value; default: torso length / 0.31) and their nominal frontal ratios, front or
    back from the image x order, the sign of the turn from the image depth (MediaPipe ``z``).
    """
    n = seq.n_frames
    vec = np.zeros((n, 2))
    cnt = np.zeros(n)
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)):
        d = seq.world_m[:, a].astype(np.float64) - seq.world_m[:, b]
        ok = np.isfinite(d[:, 0]) & np.isfinite(d[:, 2]) & (np.hypot(d[:, 0], d[:, 2]) > 1e-6)
        with np.errstate(all="ignore"):
            ang = np.arctan2(d[:, 2], d[:, 0])
        vec[ok, 0] += np.cos(ang[ok])
        vec[ok, 1] += np.sin(ang[ok])
        cnt += ok
    with np.errstate(all="ignore"):
        world = np.where(cnt > 0, np.degrees(np.arctan2(vec[:, 1], vec[:, 0])), np.nan)
    img = _image_yaw_deg(seq, body_height_px)
    return wrap_yaw_deg(np.where(np.isfinite(world), world, img))


def _image_yaw_deg(seq: PoseSequence, body_height_px: np.ndarray | float | None) -> np.ndarray:
    """(T,) signed yaw from the image widths (see :func:`subject_yaw_deg`), NaN where unknown."""
    if body_height_px is None:
        h = _torso_length(seq) / 0.31
    else:
        h = np.broadcast_to(np.asarray(body_height_px, np.float64), (seq.n_frames,)).copy()
        h[~(h > 0)] = np.nan
    parts = [
        _pair_width(seq, L.LEFT_SHOULDER, L.RIGHT_SHOULDER, h) / NOMINAL_SHOULDER_WIDTH_HEIGHT,
        _pair_width(seq, L.LEFT_HIP, L.RIGHT_HIP, h) / NOMINAL_HIP_WIDTH_HEIGHT,
    ]
    c = np.clip(_nanmean0(np.stack(parts)), 0.0, 1.0)
    off = np.degrees(np.arccos(c))  # 0..90 from facing the camera
    back = facing_front_score(seq) < 0
    dz = [
        seq.image_px[:, a, 2].astype(np.float64) - seq.image_px[:, b, 2]
        for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))
    ]
    sign = np.where(np.nansum(np.stack(dz), axis=0) >= 0, 1.0, -1.0)  # left further -> turned to the left
    return np.where(back, sign * (180.0 - off), sign * off)


def feet_stagger_m(seq: PoseSequence, yaw_deg: np.ndarray | None = None) -> np.ndarray:
    """(T,) how far one foot stands ahead of the other along the body's forward direction (m).

    The left-minus-right heel and ankle vectors of the world landmarks (x right, z away from the
    camera), averaged, are projected on the body's forward axis, which is perpendicular to the
    shoulder/hip line at ``yaw_deg`` (default :func:`subject_yaw_deg`): feet side by side give 0 however
    the body is turned. NaN without world landmarks."""
    yaw = subject_yaw_deg(seq) if yaw_deg is None else np.asarray(yaw_deg, np.float64)
    a = np.radians(yaw)
    parts = []
    for left, right in ((L.LEFT_HEEL, L.RIGHT_HEEL), (L.LEFT_ANKLE, L.RIGHT_ANKLE)):
        d = seq.world_m[:, left].astype(np.float64) - seq.world_m[:, right]
        parts.append(np.abs(d[:, 2] * np.cos(a) - d[:, 0] * np.sin(a)))
    return _nanmean0(np.stack(parts))


def feet_drop_fraction_height(
    seq: PoseSequence, body_height_px: np.ndarray | float | None = None
) -> np.ndarray:
    """(T,) |image height difference| of the two feet (heel and ankle landmarks, averaged) in body
    heights (``body_height_px`` per frame or one value; default torso length / 0.31).

    A camera above the floor sees the nearer foot lower in the image: on the renders (camera 3.6 m
    away at 0.9 m) a foot 25 cm ahead reads 4 % of body height, feet side by side 0.2 %. This is the
    image cue for a staggered stance where the world landmarks' depth misses it (docs/metrics.md)."""
    if body_height_px is None:
        h = _torso_length(seq) / 0.31
    else:
        h = np.broadcast_to(np.asarray(body_height_px, np.float64), (seq.n_frames,)).copy()
        h[~(h > 0)] = np.nan
    parts = [
        seq.image_px[:, b, 1].astype(np.float64) - seq.image_px[:, a, 1]
        for a, b in ((L.LEFT_HEEL, L.RIGHT_HEEL), (L.LEFT_ANKLE, L.RIGHT_ANKLE))
    ]
    return np.abs(_nanmean0(np.stack(parts))) / h


def wrap_yaw_deg(a: np.ndarray | float) -> np.ndarray:
    """Angles (deg) into (-180, 180]."""
    a = np.asarray(a, np.float64)
    return 180.0 - np.mod(180.0 - a, 360.0)


def frontal_yaw_deg(yaw_deg: np.ndarray | float) -> np.ndarray:
    """Signed deviation (deg, in [-90, 90]) of the yaw from the nearest frontal direction (0 or 180)."""
    y = wrap_yaw_deg(yaw_deg)
    return np.where(np.abs(y) <= 90.0, y, wrap_yaw_deg(y - 180.0))


def turned_frames(yaw_deg: np.ndarray, max_yaw_deg: float) -> np.ndarray:
    """(T,) bool: frames turned more than ``max_yaw_deg`` away from facing or backing the camera.

    Frames of unknown yaw (NaN) are not marked. Front/back metrics leave the marked frames out: a
    turned body seen from above or below projects a level line tilted (docs/metrics.md).
    """
    dev = np.abs(frontal_yaw_deg(yaw_deg))
    return np.isfinite(dev) & (dev > max_yaw_deg)


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
    yaw = subject_yaw_deg(seq)
    return report_from_labels(
        smooth,
        seq.timestamps_s,
        fs,
        frontalness=c,
        raw=raw,
        yaw_deg=yaw,
        frontal_max_yaw_deg=cfg.frontal_max_yaw_deg,
        feet_stagger_m=feet_stagger_m(seq, yaw),
        feet_drop_fraction_height=feet_drop_fraction_height(seq),
    )


def report_from_labels(
    smooth: np.ndarray,
    timestamps_s: np.ndarray,
    fs: float,
    *,
    frontalness: np.ndarray | None = None,
    raw: np.ndarray | None = None,
    yaw_deg: np.ndarray | None = None,
    frontal_max_yaw_deg: float | None = None,
    feet_stagger_m: np.ndarray | None = None,
    feet_drop_fraction_height: np.ndarray | None = None,
) -> ViewReport:
    """A :class:`ViewReport` (segments, dominant view, shares) for given per-frame labels.

    Pass ``yaw_deg`` / ``frontal_max_yaw_deg`` / ``feet_stagger_m`` on (e.g. from an earlier report)
    to keep them (:meth:`ViewReport.relabelled` does that)."""
    smooth = np.asarray(smooth).astype(str)
    n_frames = smooth.size
    c = np.full(n_frames, np.nan) if frontalness is None else frontalness
    raw = smooth if raw is None else raw
    dt = 1.0 / fs
    segs = (
        tuple(
            ViewSegment(float(timestamps_s[a]), float(timestamps_s[b - 1] + dt), lab)
            for a, b, lab in _runs(smooth)
        )
        if n_frames
        else ()
    )
    n = max(1, n_frames)
    counts = Counter(smooth.tolist())
    fractions = {v: counts.get(v, 0) / n for v in VIEWS if counts.get(v, 0)}
    known = [(k, v) for k, v in counts.most_common() if k != "unknown"]
    dominant = known[0][0] if known else "unknown"
    return ViewReport(
        smooth,
        segs,
        dominant,
        fractions,
        c,
        raw,
        yaw_deg,
        frontal_max_yaw_deg,
        feet_stagger_m,
        feet_drop_fraction_height,
    )


def detected_runs(seq: PoseSequence) -> list[tuple[int, int]]:
    """Contiguous runs of frames with a detected subject (helper for callers)."""
    return finite_runs(seq.detected)
