"""Follow one subject among the people the pose detector reports. Pure logic, no mediapipe.

The detector may return several people per frame, in any order. :class:`SubjectTracker` decides,
frame by frame, which of them (if any) is *the subject*:

1. **Acquire.** In the first frame with anyone in it, pick the main person: the largest body, with a
   mild preference for the centre of the frame (score = size / frame height x (1 - 0.5 x distance of
   the hip centre from the frame centre / half the frame diagonal)).
2. **Follow everyone.** Every person seen gets a track (the subject's and the bystanders'). Each frame,
   candidates are matched to tracks cheapest pair first, cost = distance of the hip centre from the
   track's predicted position (constant velocity, at most 0.5 s ahead) in the track's body sizes +
   |log size ratio|. A pair is allowed only if the hip centre moved no faster than
   ``max_speed_body_heights_per_s`` since that track was last seen (plus a jitter allowance of
   ``jitter_body_heights``) and the size ratio is at most ``max_size_ratio``. Duplicate reports of
   one person (boxes with IoU >= ``duplicate_iou``) count as one person.
3. **Never jump to a bystander.** The subject is whoever matches the subject's track. A person who
   continues a bystander's track is matched to that track first (a bystander seen a moment ago is
   always cheaper than a subject that has been out of sight), so the subject's track cannot take
   them over; frames without a match are "subject not found" (NaN rows).
4. **Lost and re-acquired.** While the subject is missing, its allowed radius grows with the time
   since it was last seen (speed x elapsed time), so a subject hidden behind an obstacle is picked
   up again where it reappears - unless that person already has a bystander track. Tracks unseen
   for more than ``reacquire_after_s`` seconds are forgotten; when the subject's track is forgotten,
   the main person of the next frame with people is acquired again as in step 1.

"Body size" is the larger side of the bounding box of the 33 image landmarks (MediaPipe predicts all
33, including occluded ones), in pixels; it is the body height for a standing person.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .landmarks import N_LANDMARKS, Landmark

_MAX_PREDICT_S = 0.5  # constant-velocity prediction is used for gaps up to this long


@dataclass(frozen=True, eq=False)
class PoseCandidate:
    """One person found in one frame.

    ``image_px`` (33, 3): x, y in pixels of the upright frame (x right, y down) and MediaPipe's
    relative depth z scaled by the frame width (smaller = nearer). ``world_m`` (33, 3): hip-centred
    metric coordinates in metres. ``visibility`` and ``presence`` (33,) in [0, 1].
    ``mask`` (H, W) float32 in [0, 1] person segmentation, when requested, else ``None``.
    """

    image_px: np.ndarray
    world_m: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name, shape in (
            ("image_px", (N_LANDMARKS, 3)),
            ("world_m", (N_LANDMARKS, 3)),
            ("visibility", (N_LANDMARKS,)),
            ("presence", (N_LANDMARKS,)),
        ):
            arr = np.asarray(getattr(self, name), dtype=np.float32)
            if arr.shape != shape:
                raise ValueError(f"PoseCandidate.{name}: expected shape {shape}, got {arr.shape}")
            object.__setattr__(self, name, arr)

    @property
    def hip_center_px(self) -> np.ndarray:
        """(2,) midpoint of the two hips in pixels."""
        return 0.5 * (self.image_px[Landmark.LEFT_HIP, :2] + self.image_px[Landmark.RIGHT_HIP, :2])

    @property
    def bbox_px(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the 33 image landmarks, in pixels."""
        xy = self.image_px[:, :2]
        return (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))

    @property
    def size_px(self) -> float:
        """Body size: the larger side of :attr:`bbox_px` in pixels (at least 1)."""
        x0, y0, x1, y1 = self.bbox_px
        return max(x1 - x0, y1 - y0, 1.0)


@dataclass(eq=False)  # identity semantics: tracks are compared with `is`, never by value
class _Track:
    """A person followed over time (the subject or someone else)."""

    hip_px: np.ndarray
    size_px: float
    t_s: float
    velocity_px_per_s: np.ndarray = field(default_factory=lambda: np.zeros(2))
    is_subject: bool = False
    confirmed_other: bool = False  # seen in the same frame as the subject at least once


@dataclass
class SubjectTracker:
    """Chooses the subject among each frame's candidates. Call :meth:`update` once per frame, in time order.

    Attributes after each call: ``people_`` (distinct people in the last frame, duplicates merged).
    Totals: ``acquisitions_`` (how often a subject was (re-)acquired from scratch), ``rejected_frames_``
    (frames with people but none of them plausibly the subject).
    """

    frame_size: tuple[int, int]  # (width, height) in pixels
    max_speed_body_heights_per_s: float = 4.0
    max_size_ratio: float = 1.6
    jitter_body_heights: float = 0.25
    reacquire_after_s: float = 2.0
    duplicate_iou: float = 0.5
    acquisitions_: int = field(default=0, init=False)
    rejected_frames_: int = field(default=0, init=False)
    people_: int = field(default=0, init=False)
    _tracks: list[_Track] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        w, h = self.frame_size
        if w <= 0 or h <= 0:
            raise ValueError(f"frame_size: expected positive (width, height), got {self.frame_size}")
        if self.max_speed_body_heights_per_s <= 0 or self.max_size_ratio < 1 or self.reacquire_after_s < 0:
            raise ValueError(
                "SubjectTracker: expected max speed > 0, max size ratio >= 1, reacquire_after_s >= 0"
            )

    @property
    def has_subject(self) -> bool:
        return any(tr.is_subject for tr in self._tracks)

    def reset(self) -> None:
        """Forget everyone (the next frame with people acquires the main person again)."""
        self._tracks = []

    def update(self, candidates: Sequence[PoseCandidate], t_s: float) -> int | None:
        """Index into ``candidates`` of the subject in the frame at time ``t_s`` (seconds), or ``None``."""
        self._tracks = [tr for tr in self._tracks if t_s - tr.t_s <= self.reacquire_after_s]
        groups = group_duplicates(candidates, self.duplicate_iou)
        self.people_ = len(groups)
        if not groups:
            return None
        # cost[track][group] = best member's cost, and which member that is
        costs = np.full((len(self._tracks), len(groups)), np.inf)
        members = np.zeros((len(self._tracks), len(groups)), int)
        for ti, tr in enumerate(self._tracks):
            for gi, group in enumerate(groups):
                for ci in group:
                    c = self._cost(tr, candidates[ci], t_s)
                    if c < costs[ti, gi]:
                        costs[ti, gi], members[ti, gi] = c, ci
        # greedy assignment, cheapest pair first: a bystander seen a moment ago keeps its own person,
        # so a subject that is out of sight can never take over that person's track
        chosen: int | None = None
        track_of_group: dict[int, _Track] = {}
        matched_tracks: set[int] = set()
        for flat in np.argsort(costs, axis=None, kind="stable"):
            ti, gi = (int(v) for v in np.unravel_index(flat, costs.shape))
            if not np.isfinite(costs[ti, gi]):
                break
            if ti in matched_tracks or gi in track_of_group:
                continue
            matched_tracks.add(ti)
            ci = int(members[ti, gi])
            self._move(self._tracks[ti], candidates[ci], t_s)
            track_of_group[gi] = self._tracks[ti]
            if self._tracks[ti].is_subject:
                chosen = ci
        subject = next((tr for tr in self._tracks if tr.is_subject), None)
        for gi, group in enumerate(groups):
            if gi not in track_of_group:
                first = candidates[group[0]]
                track_of_group[gi] = _Track(first.hip_center_px.astype(np.float64), first.size_px, t_s)
                self._tracks.append(track_of_group[gi])
        if subject is None:
            # nobody followed (start, or after a long loss): the main person in this frame
            chosen = select_main_person(candidates, self.frame_size)
            gi = next(g for g, group in enumerate(groups) if chosen in group)
            subject = track_of_group[gi]
            subject.is_subject = True
            self._move(subject, candidates[chosen], t_s)
            self.acquisitions_ += 1
        elif chosen is None:
            chosen = self._adopt(subject, candidates, groups, track_of_group, t_s)
        if chosen is None:
            self.rejected_frames_ += 1
            return None
        for tr in track_of_group.values():  # seen together with the subject: certainly someone else
            if tr is not subject:
                tr.confirmed_other = True
        return chosen

    def _adopt(
        self,
        subject: _Track,
        candidates: Sequence[PoseCandidate],
        groups: list[list[int]],
        track_of_group: dict[int, _Track],
        t_s: float,
    ) -> int | None:
        """The subject's track was not matched: take over a person never seen together with the subject.

        Such a person (a track born while the subject was out of sight, e.g. after one noisy frame
        failed the gate) may be the subject itself; a confirmed bystander never is.
        """
        best, best_cost, best_track = None, math.inf, None
        for gi, tr in track_of_group.items():
            if tr is subject or tr.confirmed_other:
                continue
            for ci in groups[gi]:
                cost = self._cost(subject, candidates[ci], t_s)
                if cost < best_cost:
                    best, best_cost, best_track = ci, cost, tr
        if best is None:
            return None
        self._tracks = [tr for tr in self._tracks if tr is not best_track]
        self._move(subject, candidates[best], t_s)
        return best

    def _cost(self, tr: _Track, c: PoseCandidate, t_s: float) -> float:
        """Distance in the track's body sizes plus |log size ratio|; inf outside the plausibility gate."""
        dt = max(t_s - tr.t_s, 0.0)
        allowed = self.max_speed_body_heights_per_s * dt + self.jitter_body_heights
        predicted = tr.hip_px + tr.velocity_px_per_s * min(dt, _MAX_PREDICT_S)
        dist = float(np.linalg.norm(c.hip_center_px - predicted)) / tr.size_px
        ratio = max(c.size_px / tr.size_px, tr.size_px / c.size_px)
        if not (np.isfinite(dist) and np.isfinite(ratio)) or dist > allowed or ratio > self.max_size_ratio:
            return math.inf
        return dist + math.log(ratio)

    @staticmethod
    def _move(tr: _Track, c: PoseCandidate, t_s: float) -> None:
        hip = c.hip_center_px.astype(np.float64)
        dt = t_s - tr.t_s
        if 0 < dt <= _MAX_PREDICT_S and np.all(np.isfinite(hip)):
            tr.velocity_px_per_s = 0.5 * tr.velocity_px_per_s + 0.5 * (hip - tr.hip_px) / dt
        else:
            tr.velocity_px_per_s = np.zeros(2)
        tr.hip_px = hip
        tr.size_px = c.size_px
        tr.t_s = t_s


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def group_duplicates(candidates: Sequence[PoseCandidate], min_iou: float = 0.5) -> list[list[int]]:
    """Candidates grouped into people: boxes overlapping by IoU >= ``min_iou`` are one person.

    MediaPipe's VIDEO mode sometimes reports the same person twice (a tracked region plus a fresh
    detection); counting them once keeps ``people_count`` honest and the tracks clean.
    """
    boxes = [c.bbox_px for c in candidates]
    groups: list[list[int]] = []
    for i, box in enumerate(boxes):
        for group in groups:
            if any(_iou(box, boxes[j]) >= min_iou for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def select_main_person(candidates: Sequence[PoseCandidate], frame_size: tuple[int, int]) -> int:
    """Index of the main person: large and central (see the module docstring for the score)."""
    if not candidates:
        raise ValueError("select_main_person: expected at least one candidate, got none")
    w, h = frame_size
    centre = np.array([w / 2.0, h / 2.0])
    half_diag = 0.5 * math.hypot(w, h)
    scores = []
    for c in candidates:
        off = float(np.linalg.norm(c.hip_center_px - centre)) / half_diag
        scores.append(c.size_px / h * (1.0 - 0.5 * min(off, 1.0)))
    return int(np.argmax(np.nan_to_num(np.asarray(scores, float), nan=-np.inf)))
