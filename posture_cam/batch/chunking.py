"""Split one long recording into time chunks, and stitch the chunks' landmarks back together.

A chunk ``k`` *owns* the frames with ``boundary[k] <= t < boundary[k+1]`` (seconds, source
timestamps). It is decoded from ``read_start_s = boundary[k] - overlap_s`` so the pose model's
temporal tracking has warmed up by the time the owned frames arrive; the overlap frames are used only
to check that the chunk followed the same subject as the chunk before it, then dropped.

Boundaries sit half a frame before a frame's nominal time, so a frame is never owned by two chunks
(or none) because of rounding. Timestamps stay the source's own, so the stitched sequence is
continuous with no offset bookkeeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..landmarks import Landmark
from ..sequence import PoseSequence

_TORSO = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
#: In the overlap, the two chunks' subjects must agree within this share of the body size
#: (median over frames of the mean torso-landmark distance / bounding-box size).
SAME_SUBJECT_MAX_BODY_FRACTION = 0.2


@dataclass(frozen=True)
class ChunkPlan:
    """One chunk of a recording; all times in seconds of the source's timeline."""

    index: int
    read_start_s: float  # decode from here (owned start minus the overlap, >= 0)
    keep_from_s: float  # first owned time (inclusive)
    keep_until_s: float  # end of owned time (exclusive); math.inf for the last chunk

    @property
    def read_end_s(self) -> float | None:
        """Decode up to here (None = to the end of the recording)."""
        return None if math.isinf(self.keep_until_s) else self.keep_until_s


def n_chunks_for(duration_s: float, *, chunk_threshold_s: float, workers: int) -> int:
    """How many chunks a recording of ``duration_s`` is split into (1 = not chunked).

    Recordings no longer than ``chunk_threshold_s`` (or with the threshold <= 0) stay whole. Longer
    ones are split into chunks of at most ``chunk_threshold_s`` seconds, and into a multiple of
    ``workers`` chunks, so every core stays busy to the end (3 equal chunks on 2 workers would leave one
    core idle while the last chunk runs alone: 2 time units of work in 2 rounds instead of 1.5).
    """
    if chunk_threshold_s <= 0 or duration_s <= chunk_threshold_s:
        return 1
    w = max(1, int(workers))
    return w * math.ceil(math.ceil(duration_s / chunk_threshold_s) / w)


def plan_chunks(duration_s: float, n_chunks: int, *, fps: float, overlap_s: float) -> list[ChunkPlan]:
    """Chunks covering ``[0, duration_s)`` that each DECODE the same length, warm-up included.

    Every chunk but the first re-reads ``overlap_s`` seconds before its owned span, so with equal owned
    spans the later chunks would take longer and the batch would wait for them. Instead each chunk
    reads ``L = (duration_s + (n_chunks - 1) * overlap_s) / n_chunks`` seconds: the first owns ``L``,
    the others ``L - overlap_s``. When the overlap is too long for that (``L <= overlap_s``) the owned
    spans are equal instead.
    """
    if n_chunks < 1:
        raise ValueError(f"n_chunks: expected >= 1, got {n_chunks}")
    if fps <= 0:
        raise ValueError(f"fps: expected > 0, got {fps}")
    frame_s = 1.0 / fps
    read_s = (duration_s + (n_chunks - 1) * overlap_s) / n_chunks
    if read_s > overlap_s:
        ends = [read_s + (k - 1) * (read_s - overlap_s) for k in range(1, n_chunks)]
    else:
        ends = [duration_s * k / n_chunks for k in range(1, n_chunks)]
    inner = [(round(e / frame_s) - 0.5) * frame_s for e in ends]
    bounds = [-math.inf, *inner, math.inf]
    plans = []
    for k in range(n_chunks):
        keep_from = bounds[k]
        read_start = 0.0 if k == 0 else max(0.0, keep_from - overlap_s)
        plans.append(ChunkPlan(k, read_start, keep_from if k else 0.0, bounds[k + 1]))
    return plans


def owned(seq: PoseSequence, plan: ChunkPlan) -> PoseSequence:
    """The frames of ``seq`` that ``plan`` owns (drops the warm-up overlap)."""
    t = seq.timestamps_s
    keep = (t >= plan.keep_from_s) & (t < plan.keep_until_s) if plan.index else t < plan.keep_until_s
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return seq.slice(0, 0)
    return seq.slice(int(idx[0]), int(idx[-1]) + 1)


def overlap_disagreement(prev: PoseSequence, nxt: PoseSequence, plan: ChunkPlan) -> float | None:
    """How far apart the two chunks' subjects are in ``nxt``'s warm-up frames, in body sizes.

    Median over frames seen by both chunks (matched by source frame index) of the mean distance of
    the four torso landmarks, divided by ``prev``'s body size (larger side of the landmark bounding
    box). Returns None when the overlap holds no frame in which both found a subject, ``inf`` when
    ``prev`` had the subject there but ``nxt`` never found anyone (the subjects cannot be matched).
    """
    warm = (nxt.timestamps_s >= plan.read_start_s) & (nxt.timestamps_s < plan.keep_from_s)
    common, i_prev, i_next = np.intersect1d(prev.frame_index, nxt.frame_index[warm], return_indices=True)
    if common.size == 0:
        return None
    i_next = np.flatnonzero(warm)[i_next]
    a = prev.image_px[i_prev][:, [int(lm) for lm in _TORSO], :2]
    b = nxt.image_px[i_next][:, [int(lm) for lm in _TORSO], :2]
    a_ok = np.isfinite(a).all(axis=(1, 2))
    b_ok = np.isfinite(b).all(axis=(1, 2))
    both = a_ok & b_ok
    if not both.any():
        return math.inf if a_ok.any() and not b_ok.any() else None
    full_prev = prev.image_px[i_prev][both, :, :2]
    size = np.nanmax(np.nanmax(full_prev, axis=1) - np.nanmin(full_prev, axis=1), axis=1)
    dist = np.linalg.norm(a[both] - b[both], axis=2).mean(axis=1) / np.maximum(size, 1.0)
    return float(np.median(dist))


def first_mismatch(parts: list[tuple[ChunkPlan, PoseSequence]]) -> int | None:
    """Index of the first chunk whose subject does not match the previous chunk's (None = all match)."""
    for k in range(1, len(parts)):
        d = overlap_disagreement(parts[k - 1][1], parts[k][1], parts[k][0])
        if d is not None and d > SAME_SUBJECT_MAX_BODY_FRACTION:
            return k
    return None


def stitch(parts: list[tuple[ChunkPlan, PoseSequence]], *, meta: dict | None = None) -> PoseSequence:
    """Concatenate the owned frames of each chunk, in order (timestamps stay the source's)."""
    pieces = [owned(seq, plan) for plan, seq in sorted(parts, key=lambda p: p[0].index)]
    non_empty = [p for p in pieces if p.n_frames] or pieces[:1]
    out = PoseSequence.concat(non_empty)
    if meta is not None:
        out = out.replace(meta={**dict(out.meta), **meta})
    return out
