"""Frames in, one subject's :class:`~posture_cam.sequence.PoseSequence` out.

:func:`extract_sequence` follows the subject with a one-person MediaPipe Pose Landmarker (VIDEO mode:
it tracks the person from the previous frame's region and runs its person detector only when the track
is lost, the cost of a bare MediaPipe loop) and looks for everyone else with a second, multi-person
landmarker (``num_poses`` people) at a detection frequency: every ``people_detection_interval_s``, and
at once when the subject is lost, jumps, fades, or someone is near it (:class:`~posture_cam.tracking.
PeopleCheck`). :class:`~posture_cam.tracking.SubjectTracker` picks the subject among the people of each
frame, so a bystander walking in or across is never followed. ``people_detection_interval_s = 0`` (or
``running_mode="image"``) runs the multi-person landmarker alone on every frame, as before issue 15.

Streaming: frames are consumed one at a time and dropped; memory grows only by the landmark arrays
(about 1 KB per frame). Frames without the subject become NaN rows (never dropped); ``people_count``
records how many people the last multi-person pass saw (at least the one followed).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from .config import ExtractionConfig
from .errors import EmptyVideoError, InvalidFrameError, NoPersonDetectedError
from .landmarks import N_LANDMARKS, Landmark
from .sequence import PoseSequence
from .tracking import PeopleCheck, PoseCandidate, SubjectTracker, merge_followed

ProgressFn = Callable[[int, "int | None"], None]
FrameHook = Callable[[Any, "PoseCandidate | None"], None]


class FrameLike(Protocol):
    """What :func:`extract_sequence` needs from a frame (``posture_cam.video.Frame`` fits)."""

    @property
    def index(self) -> int: ...  # read-only: a frozen dataclass fits

    @property
    def timestamp_s(self) -> float: ...

    @property
    def rgb(self) -> np.ndarray: ...


class _Growable:
    """A float array that grows along axis 0 by doubling (amortised O(1) append, no per-frame objects)."""

    def __init__(self, row_shape: tuple[int, ...], dtype: Any, fill: Any) -> None:
        self._buf = np.full((256, *row_shape), fill, dtype)
        self._fill = fill
        self.n = 0

    def append(self, row: Any) -> None:
        if self.n == len(self._buf):
            bigger = np.full((2 * len(self._buf), *self._buf.shape[1:]), self._fill, self._buf.dtype)
            bigger[: self.n] = self._buf
            self._buf = bigger
        self._buf[self.n] = row
        self.n += 1

    def array(self) -> np.ndarray:
        return self._buf[: self.n].copy()


#: A frame looks frontal enough for the hip outline when the shoulders are at least this wide
#: relative to the trunk length (about 0.7 facing the camera squarely, ~0 in a side view).
_FRONTAL_SHOULDER_TO_TRUNK = 0.45
#: The mask pass's person is the followed subject when its hips are within this many trunk lengths.
_SAME_SUBJECT_MAX_HIP_SHIFT_TRUNK = 0.25
#: Standing on both feet: ankle heights within this many trunk lengths (a 2 cm leg-length difference
#: is ~0.04; a raised foot is far more).
_FEET_LEVEL_MAX_TRUNK = 0.06


def _trunk_px(xy: np.ndarray) -> float:
    """Shoulder-midpoint to hip-midpoint distance (px) of (33, 2) points; NaN when either is missing."""
    sh = xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=0)
    hip = xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]].mean(axis=0)
    return float(np.linalg.norm(sh - hip))


def looks_frontal(cand: PoseCandidate | None) -> bool:
    """Shoulders wide enough, relative to the trunk, for a left/right hip outline to exist."""
    if cand is None:
        return False
    xy = cand.image_px[:, :2]
    trunk = _trunk_px(xy)
    width = abs(float(xy[Landmark.LEFT_SHOULDER, 0] - xy[Landmark.RIGHT_SHOULDER, 0]))
    return bool(trunk > 0 and width >= _FRONTAL_SHOULDER_TO_TRUNK * trunk)  # False for NaN


def both_feet_down(cand: PoseCandidate | None) -> bool:
    """Ankles level within 0.06 trunk lengths: standing on both feet (a raised leg bends the outline)."""
    if cand is None:
        return False
    xy = cand.image_px[:, :2]
    trunk = _trunk_px(xy)
    dy = abs(float(xy[Landmark.LEFT_ANKLE, 1] - xy[Landmark.RIGHT_ANKLE, 1]))
    return bool(trunk > 0 and dy < _FEET_LEVEL_MAX_TRUNK * trunk)  # False for NaN


def hip_outline_deg(cand: PoseCandidate | None, rgb: np.ndarray) -> float:
    """Hip-outline obliquity of this frame (deg, raw image frame) from a candidate WITH a mask, or NaN
    (no mask, not frontal, arms over the hips...); see :mod:`posture_cam.outline`."""
    if cand is None or cand.mask is None or not looks_frontal(cand) or not both_feet_down(cand):
        return float("nan")
    from .outline import pelvis_outline_obliquity

    return float(pelvis_outline_obliquity(cand.mask, cand.image_px, rgb=rgb).obliquity_deg)


class _OutlineSampler:
    """Runs a second landmarker WITH the person mask on some frontal frames, for the hip outline.

    The mask costs ~25 % more per frame at 1080p, so the main landmarker runs without it and this one
    (VIDEO mode, so it tracks between samples; created on the first frontal frame) sees at most
    ``pelvis_outline_per_s`` frames per second, only frames where the followed subject looks frontal
    and stands on both feet. Of its candidates, the one whose hips are nearest the followed
    subject's is used.
    """

    def __init__(self, model_path: str | os.PathLike[str], cfg: ExtractionConfig) -> None:
        self.model_path = model_path
        self.cfg = cfg
        self.enabled = cfg.pelvis_outline and cfg.pelvis_outline_per_s > 0
        self.period_s = 1.0 / cfg.pelvis_outline_per_s if self.enabled else float("inf")
        self._adapter: Any = None
        self._last_t = -np.inf

    def __enter__(self) -> _OutlineSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._adapter is not None:
            self._adapter.close()
            self._adapter = None

    def measure(self, cand: PoseCandidate | None, rgb: np.ndarray, t_s: float) -> float:
        due = t_s - self._last_t >= self.period_s
        if not (self.enabled and due and looks_frontal(cand) and both_feet_down(cand)):
            return float("nan")
        assert cand is not None
        self._last_t = t_s
        if self._adapter is None:
            from .pose_adapter import PoseLandmarkerAdapter

            self._adapter = PoseLandmarkerAdapter.from_config(
                self.model_path,
                self.cfg,
                running_mode="video",  # ROI tracking between samples: far cheaper than IMAGE mode
                output_segmentation_masks=True,
            )
        found = self._adapter.detect(rgb, t_s * 1000.0)
        pair = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
        hips = cand.image_px[pair, :2]
        best, best_d = None, _SAME_SUBJECT_MAX_HIP_SHIFT_TRUNK * _trunk_px(cand.image_px[:, :2])
        for c in found:
            d = float(np.nanmean(np.linalg.norm(c.image_px[pair, :2] - hips, axis=1)))
            if np.isfinite(d) and d < best_d:  # the followed subject, not a bystander
                best, best_d = c, d
        return hip_outline_deg(best, rgb)


def _prefetch(modules: tuple[str, ...]) -> None:
    """Import ``modules`` (errors ignored: the real import later raises them where they matter)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a warm-up only
            pass


def extract_sequence(
    frames: Iterable[FrameLike],
    *,
    fps: float,
    frame_size: tuple[int, int],
    config: ExtractionConfig | None = None,
    model_path: str | os.PathLike[str] | None = None,
    progress: ProgressFn | None = None,
    meta: Mapping[str, Any] | None = None,
    on_frame: FrameHook | None = None,
    require_person: bool = False,
    running_mode: str = "video",
    total_frames: int | None = None,
    prefetch_imports: Sequence[str] = (),
    concurrent_people_check: bool = True,
    inference_threads: int = 1,
) -> PoseSequence:
    """Landmarks of one followed subject for every frame of ``frames``.

    ``fps`` is the nominal rate (Hz) stored in the sequence; each frame's own ``timestamp_s`` is the
    truth. ``frame_size`` is the upright (width, height) in pixels; every frame must match it.
    ``model_path`` defaults to ``config.model`` resolved by :func:`posture_cam.model_bundle.resolve_model`.
    ``progress(done, total_frames)`` is called after each frame; ``on_frame(frame, candidate_or_None)``
    lets a caller draw an overlay in the same pass. ``running_mode`` "video" (default) or "image"
    (independent stills). ``prefetch_imports``: modules the caller needs afterwards (the analysis
    stage: scipy.signal alone takes ~2 s to import), imported in a background thread while MediaPipe
    runs (it releases the GIL), so their import time hides behind the extraction. ``concurrent_people_check``:
    a multi-person pass whose reason is known before the one-person landmarker answers (the scheduled
    one) runs beside it on a second thread (same result; it uses a second core when there is one, so a
    batch that already runs one worker per core turns it off). ``inference_threads``: threads of the
    one-person landmarker's models (XNNPACK; same landmarks with any count, see
    :func:`posture_cam.pose_adapter._xnnpack_base_options`); the multi-person pass uses one.
    With ``require_person`` a stream in which nobody was ever followed raises
    :class:`NoPersonDetectedError`; otherwise the (all-NaN) sequence is returned for the caller to judge.
    Raises :class:`EmptyVideoError` for a stream without frames, :class:`InvalidFrameError` for a bad frame.
    """
    from .model_bundle import resolve_model
    from .pose_adapter import PoseLandmarkerAdapter

    if prefetch_imports:
        threading.Thread(
            target=_prefetch, args=(tuple(prefetch_imports),), name="posture_cam-prefetch", daemon=True
        ).start()
    cfg = config or ExtractionConfig()
    width, height = (int(v) for v in frame_size)
    if model_path is None:
        model_info = resolve_model(cfg.model)
        model_path = model_info.path
        model_json: dict[str, Any] | None = model_info.to_json()
    else:
        model_json = {"path": os.fspath(model_path)}
    tracker = SubjectTracker(
        (width, height),
        max_speed_body_heights_per_s=cfg.max_subject_speed_body_heights_per_s,
        max_size_ratio=cfg.subject_max_size_ratio,
        reacquire_after_s=cfg.subject_reacquire_after_s,
    )
    img = _Growable((N_LANDMARKS, 3), np.float32, np.nan)
    world = _Growable((N_LANDMARKS, 3), np.float32, np.nan)
    vis = _Growable((N_LANDMARKS,), np.float32, np.nan)
    pres = _Growable((N_LANDMARKS,), np.float32, np.nan)
    stamps = _Growable((), np.float64, np.nan)
    index = _Growable((), np.int64, -1)
    people = _Growable((), np.int16, 0)
    outline = _Growable((), np.float32, np.nan)
    timestamp_fixes = 0
    scheduled = running_mode != "image" and cfg.num_poses > 1 and cfg.people_detection_interval_s > 0
    check = PeopleCheck(
        cfg.people_detection_interval_s, cfg.people_nearby_body_heights, cfg.people_check_below_presence
    )
    reasons: dict[str, int] = {}
    restarts = 0
    people_seen = 0  # distinct people in the last multi-person pass
    with contextlib.ExitStack() as stack:
        # `main` follows the subject (one person) when scheduled, else looks for everyone every frame
        main = stack.enter_context(
            PoseLandmarkerAdapter.from_config(
                model_path,
                cfg,
                running_mode=running_mode,
                num_poses=1 if scheduled else cfg.num_poses,
                inference_threads=inference_threads,
            )
        )
        multi: Any = None  # the multi-person landmarker, created on its first pass
        pool: Any = None  # its thread, created with it (shut down before it is closed: LIFO)

        def open_multi() -> tuple[Any, ThreadPoolExecutor]:
            lm = stack.enter_context(
                PoseLandmarkerAdapter.from_config(model_path, cfg, running_mode=running_mode)
            )
            return lm, stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="posture_cam-people"))

        multi_t = -np.inf  # time of its last pass
        outliner = stack.enter_context(_OutlineSampler(model_path, cfg))
        last_t = -np.inf
        for frame in frames:
            rgb = frame.rgb
            shape = getattr(rgb, "shape", None)
            if shape is None or len(shape) != 3 or (shape[1], shape[0]) != (width, height):
                raise InvalidFrameError(
                    f"frame {frame.index}: expected size {width}x{height}, got "
                    f"{'x'.join(map(str, shape[1::-1])) if shape else type(rgb).__name__}"
                )
            t = float(frame.timestamp_s)
            if not np.isfinite(t):
                raise InvalidFrameError(f"frame {frame.index}: timestamp is not finite ({t})")
            if t <= last_t:  # duplicated / backwards timestamp: keep time strictly increasing
                t = last_t + 1e-6
                timestamp_fixes += 1
            last_t = t
            if not scheduled:
                candidates = main.detect(rgb, t * 1000.0)
                chosen = tracker.update(candidates, t)
                people_seen = tracker.people_
            else:
                single: list[PoseCandidate] | None = None
                runs_single = check.run_single(t)
                if runs_single and check.restart_single:  # it was following someone else: start afresh
                    main.close()
                    main = stack.enter_context(
                        PoseLandmarkerAdapter.from_config(
                            model_path,
                            cfg,
                            running_mode=running_mode,
                            num_poses=1,
                            inference_threads=inference_threads,
                        )
                    )
                    check.restarted()
                    restarts += 1
                # a pass whose reason does not depend on the one-person landmarker's answer (above all
                # the scheduled one) runs on the other core at the same time; same inputs, same result
                due = check.due(tracker, t, single_runs=runs_single)
                if due is not None and multi is None:
                    multi, pool = open_multi()
                together = concurrent_people_check and due is not None and runs_single
                ahead = pool.submit(multi.detect, rgb, t * 1000.0) if together else None
                try:
                    if runs_single:
                        single = main.detect(rgb, t * 1000.0)
                finally:
                    found = ahead.result() if ahead is not None else None  # never close `multi` mid-pass
                why = due or check.reason(tracker, single, t)
                if why is None:
                    assert single is not None  # reason() is never None when the single pass did not run
                    candidates = single
                    chosen = tracker.update(candidates, t)
                    check.followed(chosen is not None)
                    people_seen = max(people_seen, len(candidates))
                else:
                    reasons[why] = reasons.get(why, 0) + 1
                    if multi is None:
                        multi, pool = open_multi()
                    if found is None:
                        found = multi.detect(rgb, t * 1000.0)
                    # VIDEO mode keeps the people of the last pass (their regions are tried again, so a
                    # person found once is not lost to one missed detection); after a gap, the stale
                    # region of a walking subject gives a shifted duplicate: matched loosely then
                    stale = t - multi_t > 1.5 / max(fps, 1e-3)
                    multi_t = t
                    candidates, single_at = merge_followed(found, single or [], loose=stale)
                    chosen = tracker.update(candidates, t)
                    people_seen = tracker.people_
                    check.checked(t, single, chosen is not None and chosen == single_at)
            cand = candidates[chosen] if chosen is not None else None
            if cand is not None:
                img.append(cand.image_px)
                world.append(cand.world_m)
                vis.append(cand.visibility)
                pres.append(cand.presence)
            else:
                for buf in (img, world, vis, pres):
                    buf.append(np.nan)
            outline.append(outliner.measure(cand, rgb, t))
            stamps.append(t)
            index.append(int(frame.index))
            people.append(min(people_seen, np.iinfo(np.int16).max))
            if on_frame is not None:
                on_frame(frame, cand)
            if progress is not None:
                progress(stamps.n, total_frames)
        ts_adjust = main.timestamp_adjustments_ + (multi.timestamp_adjustments_ if multi is not None else 0)
    if stamps.n == 0:
        raise EmptyVideoError("the video has no frames to analyse")
    out_meta = dict(meta or {})
    out_meta["extraction"] = {
        "model": model_json,
        "running_mode": running_mode,
        "num_poses": cfg.num_poses,
        "people_detection_interval_s": cfg.people_detection_interval_s if scheduled else 0.0,
        "people_checks": reasons,  # multi-person passes, by reason
        "single_person_restarts": restarts,
        "subject_acquisitions": tracker.acquisitions_,
        "frames_rejected_as_other_person": tracker.rejected_frames_,
        "timestamp_fixes": timestamp_fixes,
        "mediapipe_timestamp_adjustments": ts_adjust,
    }
    seq = PoseSequence(
        img.array(),
        world.array(),
        vis.array(),
        pres.array(),
        stamps.array(),
        fps,
        (width, height),
        frame_index=index.array(),
        people_count=people.array(),
        pelvis_outline_deg=outline.array(),
        meta=out_meta,
    )
    if require_person and not seq.detected.any():
        raise NoPersonDetectedError("no person was detected in any frame")
    return seq
