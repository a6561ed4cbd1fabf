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

**Detection frequency** (issue 15). Looking for everyone in every frame makes MediaPipe run its person
detector on every frame (~1.5x the cost of following one person). :class:`PeopleCheck` decides, frame
by frame, when the multi-person pass is needed while a one-person landmarker follows the subject:
periodically (``interval_s``), and at once when there is no subject yet, the one-person landmarker lost
it or reports a person that fails the subject's gate (a jump: it switched to someone else), the
subject's torso presence fades, or another person's predicted position is near the subject (then on
every frame until they part). When a pass shows the one-person landmarker following someone other
than the subject it is restarted (it re-detects), and while it keeps choosing someone else the
multi-person pass alone is used, retrying the one-person landmarker every ``interval_s``.
:func:`merge_followed` puts the one-person landmarker's candidate in place of its duplicates among the
multi-person pass's, so the tracker sees each person once and the subject's landmarks come from the
continuous one-person track whenever it is the subject.
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

    def _subject_track(self, t_s: float) -> _Track | None:
        tr = next((tr for tr in self._tracks if tr.is_subject), None)
        return tr if tr is not None and t_s - tr.t_s <= self.reacquire_after_s else None

    def subject_cost(self, candidate: PoseCandidate, t_s: float) -> float:
        """Cost of ``candidate`` as the subject at ``t_s`` (inf: no subject, or outside its gate)."""
        tr = self._subject_track(t_s)
        return math.inf if tr is None else self._cost(tr, candidate, t_s)

    def others_near_subject(
        self, t_s: float, radius_body_heights: float, max_age_s: float = _MAX_PREDICT_S
    ) -> bool:
        """Whether another person seen within ``max_age_s`` who could pass the subject's size gate has a
        predicted hip centre within ``radius_body_heights`` (subject's body sizes) of the subject's."""
        subject = self._subject_track(t_s)
        if subject is None:
            return False
        here = _predict(subject, t_s)
        for tr in self._tracks:
            if tr is subject or t_s - tr.t_s > max_age_s:  # where they are now is not known
                continue
            if max(tr.size_px / subject.size_px, subject.size_px / tr.size_px) > self.max_size_ratio:
                continue  # never taken for the subject (size gate): e.g. a small ghost on a backpack
            dist = float(np.linalg.norm(_predict(tr, t_s) - here)) / subject.size_px
            if dist <= radius_body_heights:  # False for NaN
                return True
        return False

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


def _predict(tr: _Track, t_s: float) -> np.ndarray:
    """Constant-velocity hip centre of a track at ``t_s`` (at most ``_MAX_PREDICT_S`` ahead)."""
    return tr.hip_px + tr.velocity_px_per_s * min(max(t_s - tr.t_s, 0.0), _MAX_PREDICT_S)


#: Torso landmarks whose mean presence tells whether the followed subject is fading out.
_TORSO = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)


#: After a gap, a multi-person candidate is the followed person's duplicate when its box overlaps the
#: followed one by at least this IoU and its hip centre is within this many of the followed body sizes
#: (the shifted duplicate a VIDEO-mode landmarker makes from a region half a second old: IoU 0.41 and
#: 0.23 body sizes on side_walk_60fps.mp4, IoU 0.28 and 0.30 on its 720p to-and-fro version; two distinct
#: people that close would be caught by the every-frame passes that run while someone is near the subject).
LOOSE_DUPLICATE_IOU = 0.25
LOOSE_DUPLICATE_HIP_BODY = 0.35


def merge_followed(
    multi: Sequence[PoseCandidate],
    single: Sequence[PoseCandidate],
    min_iou: float = 0.5,
    *,
    loose: bool = False,
) -> tuple[list[PoseCandidate], int | None]:
    """The multi-person pass's candidates with the one-person landmarker's (``single[0]``) in place of
    its duplicates (box IoU >= ``min_iou``; with ``loose`` also IoU >= :data:`LOOSE_DUPLICATE_IOU` with
    the hip centre within :data:`LOOSE_DUPLICATE_HIP_BODY` body sizes), or appended when the pass
    missed that person; and its index (None when ``single`` is empty)."""
    if not single:
        return list(multi), None
    one = single[0]
    box, hip, size = one.bbox_px, one.hip_center_px, one.size_px

    def same(c: PoseCandidate) -> bool:
        iou = _iou(c.bbox_px, box)
        if iou >= min_iou:
            return True
        near = float(np.linalg.norm(c.hip_center_px - hip)) <= LOOSE_DUPLICATE_HIP_BODY * size
        return loose and iou >= LOOSE_DUPLICATE_IOU and near

    dup = [same(c) for c in multi]
    out = [c for c, d in zip(multi, dup, strict=True) if not d]
    at = dup.index(True) if any(dup) else len(out)
    out.insert(at, one)
    return out, at


@dataclass
class PeopleCheck:
    """When to run the multi-person pass; pure state, driven by :func:`posture_cam.extract.extract_sequence`.

    Per frame, in this order: :meth:`run_single` (run the one-person landmarker on this frame?) and, if
    so, :attr:`restart_single` (recreate it first, then call :meth:`restarted`); :meth:`reason` (why the
    multi-person pass must run now, or None); then :meth:`checked` after a pass or :meth:`followed`
    after a frame without one.
    """

    interval_s: float = 0.5
    nearby_body_heights: float = 1.5
    min_torso_presence: float = 0.5
    last_check_s: float = field(default=-math.inf, init=False)
    restart_single: bool = field(default=False, init=False)
    _paused_until_s: float = field(default=-math.inf, init=False)
    _fresh: bool = field(default=False, init=False)
    _single_was_subject: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not (self.interval_s >= 0 and self.nearby_body_heights >= 0 and 0 <= self.min_torso_presence <= 1):
            raise ValueError(
                "PeopleCheck: expected interval_s >= 0, nearby_body_heights >= 0, min_torso_presence in 0..1"
            )

    def run_single(self, t_s: float) -> bool:
        """False while the one-person landmarker is paused (it kept choosing someone else)."""
        return t_s >= self._paused_until_s

    def restarted(self) -> None:
        """The one-person landmarker was recreated (it re-detects on its next frame)."""
        self.restart_single = False
        self._fresh = True

    def reason(
        self, tracker: SubjectTracker, single: Sequence[PoseCandidate] | None, t_s: float
    ) -> str | None:
        """Why the multi-person pass must run on this frame (``single`` = the one-person landmarker's
        candidates, None when it did not run), or None when following the subject alone is enough."""
        due = self.due(tracker, t_s, single_runs=single is not None)
        if due is not None:
            return due
        assert single is not None  # due() names the paused case
        if not single:
            return "lost" if self._single_was_subject else None
        cand = single[0]
        if not math.isfinite(tracker.subject_cost(cand, t_s)):
            return "jump"
        if not float(np.mean(cand.presence[list(_TORSO)])) >= self.min_torso_presence:
            return "presence"
        # people seen in the last pass (or the last 0.5 s): a one-off duplicate of the subject left
        # over from a pass must not keep the every-frame passes going for subject_reacquire_after_s
        if tracker.others_near_subject(
            t_s, self.nearby_body_heights, max(self.interval_s, _MAX_PREDICT_S) + 1e-6
        ):
            return "nearby"
        return None

    def due(self, tracker: SubjectTracker, t_s: float, *, single_runs: bool) -> str | None:
        """The reasons for a pass that are known BEFORE the one-person landmarker's answer (paused, no
        subject, just restarted, the interval is up): :meth:`reason` gives the same, so a caller may
        start the pass at the same time as the one-person landmarker. None: it depends on that answer."""
        if not single_runs:
            return "single_paused"
        if not tracker.has_subject:
            return "no_subject"
        if self._fresh:
            return "single_restarted"
        if t_s - self.last_check_s >= self.interval_s:
            return "interval"
        return None

    def followed(self, single_is_subject: bool) -> None:
        """After a frame without a pass: whether the one-person landmarker's person was the subject."""
        self._single_was_subject = single_is_subject

    def checked(self, t_s: float, single: Sequence[PoseCandidate] | None, single_is_subject: bool) -> None:
        """After a pass at ``t_s``: the one-person landmarker's candidates (None: it did not run) and
        whether its person was the subject."""
        self.last_check_s = t_s
        if single is None:  # paused: when the pause is over it is recreated and tried again
            self.restart_single = True
            return
        if single and not single_is_subject:
            # following someone else: restart it (it re-detects); if it was just restarted and chose
            # someone else again, rest it for one interval and use the multi-person pass alone
            if self._fresh:
                self._paused_until_s = t_s + self.interval_s
            self.restart_single = True
        self._fresh = False
        self._single_was_subject = single_is_subject


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
