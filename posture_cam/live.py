"""The live (webcam) path: per-frame detection, smoothing, overlay, key angles and guided capture.

:class:`LiveAnalyzer` does the work of one webcam stream. It is called from streamlit-webrtc's
``video_frame_callback`` on a worker thread, one frame at a time, and hands its numbers to the page
through a lock-guarded :class:`LiveStats` snapshot. It has no Streamlit or browser dependency, so it
is tested and benchmarked on plain frames (``process(rgb, t_s)``).

Per frame: the pose landmarker in VIDEO mode (tracking between frames, strictly increasing
millisecond timestamps from the frame clock or a monotonic clock), the One Euro filter
(``posture_cam.signal.LiveConditioner``) for a steady skeleton, ``posture_cam.overlay.draw_pose``,
and the live key angles from ``posture_cam.posture``. The *raw* (unsmoothed) landmarks are recorded
during a guided capture; the offline analysis conditions them itself, exactly as for a video file.

Guided capture (:class:`GuidedCapture`): a timed schedule of phases (facing the camera, sideways,
optionally walking or the standing forward bend). When it finishes, :meth:`LiveAnalyzer.captured_sequence`
returns a :class:`~posture_cam.sequence.PoseSequence` for ``posture_cam.pipeline.analyze_sequence``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import Config
from .errors import NoPersonDetectedError
from .guided import CheckedCapture, Observation, observe
from .landmarks import N_LANDMARKS
from .sequence import PoseSequence


@dataclass(frozen=True)
class Phase:
    """One step of the guided capture. ``duration_s`` in seconds."""

    name: str
    instruction: str
    duration_s: float
    optional: bool = False


DEFAULT_PHASES: tuple[Phase, ...] = (
    Phase(
        "front",
        "Stand facing the camera, whole body in view, arms held a hand's width away from your hips. "
        "Hold still.",
        6.0,
    ),
    Phase("side", "Turn sideways (left or right side to the camera). Hold still.", 6.0),
    Phase(
        "walk_or_bend",
        "Optional: walk across the view and back, or slowly bend forward to touch your toes.",
        10.0,
        optional=True,
    ),
)


@dataclass(frozen=True)
class PhaseState:
    index: int
    phase: Phase
    elapsed_s: float
    remaining_s: float


class GuidedCapture:
    """Timed phase schedule (pure: driven by the timestamps it is given, in seconds)."""

    def __init__(self, phases: Sequence[Phase] = DEFAULT_PHASES, *, include_optional: bool = True) -> None:
        chosen = tuple(p for p in phases if include_optional or not p.optional)
        if not chosen:
            raise ValueError("GuidedCapture: expected at least one phase")
        for p in chosen:
            if not p.duration_s > 0:
                raise ValueError(
                    f"GuidedCapture: phase {p.name!r} needs a positive duration, got {p.duration_s}"
                )
        self.phases = chosen
        self.t0_s: float | None = None
        self._ends = np.cumsum([p.duration_s for p in chosen])

    @property
    def total_s(self) -> float:
        return float(self._ends[-1])

    def start(self, t_s: float) -> None:
        self.t0_s = float(t_s)

    def state(self, t_s: float) -> PhaseState | None:
        """The current phase at ``t_s`` or None when not started or finished."""
        if self.t0_s is None:
            return None
        el = float(t_s) - self.t0_s
        if el < 0 or el >= self.total_s:
            return None
        i = int(np.searchsorted(self._ends, el, side="right"))
        start = 0.0 if i == 0 else float(self._ends[i - 1])
        return PhaseState(i, self.phases[i], el - start, float(self._ends[i]) - el)

    def finished(self, t_s: float) -> bool:
        return self.t0_s is not None and float(t_s) - self.t0_s >= self.total_s

    def segments(self) -> list[dict[str, Any]]:
        """Phase time ranges relative to the capture start: [{name, start_s, end_s}]."""
        starts = np.concatenate([[0.0], self._ends[:-1]])
        return [
            {"name": p.name, "start_s": float(a), "end_s": float(b)}
            for p, a, b in zip(self.phases, starts, self._ends, strict=True)
        ]


@dataclass(frozen=True)
class LiveStats:
    """Snapshot of the live stream for the page (copied under the analyzer's lock)."""

    frames: int = 0
    frames_with_landmarks: int = 0
    fps: float = 0.0  # processed frames per second over the last ~2 s
    latency_ms: float = 0.0  # mean added processing time per frame over the last ~2 s
    frame_size: tuple[int, int] | None = None
    angles: Mapping[str, Any] = field(default_factory=dict)  # {"view": label, key: degrees}
    capturing: bool = False
    phase: str | None = None
    instruction: str | None = None
    phase_remaining_s: float | None = None
    captured_frames: int = 0
    capture_done: bool = False
    error: str | None = None
    guide: Mapping[str, Any] | None = None  # checked capture (posture_cam.guided): step, hint, failure


AnglesFn = Callable[[np.ndarray, tuple[int, int]], dict[str, Any]]


def default_angles(landmarks_px: np.ndarray, frame_size: tuple[int, int]) -> dict[str, float | str]:
    """Live key angles (degrees) of one smoothed frame from ``posture_cam.posture.live_angles``.

    ``landmarks_px`` (33, 3) pixels with NaN rows for dropped (low-visibility) points. Returns
    ``{"view": label, key: degrees}``; angles that do not suit the view are left out.
    """
    from .posture import live_angles

    pts = np.asarray(landmarks_px, np.float64)
    vis = np.isfinite(pts[:, :2]).all(axis=1).astype(np.float64)
    out = live_angles(np.nan_to_num(pts, nan=0.0), vis, frame_size=frame_size)
    return {
        k: (v if k == "view" else float(v))
        for k, v in out.items()
        if v is not None and (k == "view" or np.isfinite(v))
    }


class LiveAnalyzer:
    """One webcam stream: detect + smooth + draw + angles per frame, and the guided capture recording.

    Thread-safe: :meth:`process` runs on the WebRTC worker thread, :meth:`stats`, :meth:`start_capture`
    and :meth:`captured_sequence` on the Streamlit script thread. The landmarker is created on the
    first frame (so building the page stays fast) and kept for the session.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        model_path: str | None = None,
        draw: bool = True,
        angles_fn: AnglesFn | None = default_angles,
        detector: Any = None,
    ) -> None:
        self.config = config or Config()
        self.model_path = model_path
        self.draw = draw
        self.angles_fn = angles_fn
        self._detector = detector
        self._lock = threading.Lock()
        self._detect_lock = threading.Lock()  # model creation and detect (worker vs warm-up thread)
        self._stats = LiveStats()
        self._recent: deque[tuple[float, float]] = deque(maxlen=120)  # (wall time, processing s)
        self._capture: GuidedCapture | CheckedCapture | None = None
        self._rec: list[tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, float]] = []
        self._rec_size: tuple[int, int] | None = None
        self._last_t_s: float | None = None
        self._t_offset_s = 0.0
        from .signal import LiveConditioner

        self._smoother = LiveConditioner(self.config.filter)

    # ------------------------------------------------------------------ model
    def warm_up(self) -> None:
        """Load the landmarker and run it once on a blank frame (call from a background thread on page
        load, so the first camera frame is not held up for seconds while the model initialises)."""
        with self._detect_lock:
            self._get_detector().detect(np.zeros((480, 640, 3), np.uint8), 0.0)

    def _get_detector(self) -> Any:
        if self._detector is None:
            from .model_bundle import resolve_model
            from .pose_adapter import PoseLandmarkerAdapter, inference_threads_available

            path = self.model_path or str(resolve_model(self.config.extraction.model).path)
            ex = self.config.extraction
            self._detector = PoseLandmarkerAdapter.from_config(
                path,
                ex,
                running_mode="live",
                num_poses=1,
                inference_threads=min(2, inference_threads_available()),  # shorter latency per frame
                # the person mask gives the hip outline during the front phase (opt-in, experimental)
                output_segmentation_masks=ex.pelvis_outline,
            )
        return self._detector

    def close(self) -> None:
        det, self._detector = self._detector, None
        if det is not None and hasattr(det, "close"):
            det.close()

    # ------------------------------------------------------------------ per frame
    def _monotonic_t(self, t_s: float | None) -> float:
        """Strictly increasing stream time in seconds (a restarted or repeated clock is shifted on)."""
        t = time.monotonic() if t_s is None or not np.isfinite(t_s) else float(t_s) + self._t_offset_s
        if self._last_t_s is not None and t <= self._last_t_s:
            shift = self._last_t_s + 1e-3 - t
            self._t_offset_s += shift
            t += shift
        self._last_t_s = t
        return t

    def process(self, rgb: np.ndarray, t_s: float | None = None) -> np.ndarray:
        """Analyse one upright RGB frame (H, W, 3) uint8 at stream time ``t_s`` (s); return it drawn."""
        start = time.perf_counter()
        t = self._monotonic_t(t_s)
        h, w = rgb.shape[:2]
        with self._detect_lock:
            cands = self._get_detector().detect(rgb, t * 1000.0)
        cand = cands[0] if cands else None
        out = rgb
        angles: dict[str, Any] = {}
        if cand is not None:
            smooth = self._smoother.update(cand.image_px, cand.visibility, t)
            if self.draw:
                from .overlay import draw_pose

                out = draw_pose(rgb, smooth, np.where(np.isfinite(smooth[:, 0]), cand.visibility, 0.0))
            if self.angles_fn is not None:
                try:
                    angles = self.angles_fn(smooth, (w, h))
                except ImportError as exc:  # posture module without live angles: keep the skeleton going
                    self.angles_fn = None
                    with self._lock:
                        self._stats = _replace(self._stats, error=f"live angles unavailable ({exc})")
        else:
            self._smoother.reset()
        outline = float("nan")
        if cand is not None and self._stats.capturing and self._stats.phase == "front":
            from .extract import hip_outline_deg

            outline = hip_outline_deg(cand, rgb)
        elapsed = time.perf_counter() - start
        self._update(t, (w, h), cand, angles, elapsed, n_people=len(cands), outline_deg=outline)
        return out

    def process_av(self, frame: Any) -> Any:
        """streamlit-webrtc ``video_frame_callback``: ``av.VideoFrame`` in, drawn ``av.VideoFrame`` out."""
        import av

        rgb = frame.to_ndarray(format="rgb24")
        t = None if frame.time is None else float(frame.time)
        try:
            out = self.process(rgb, t)
        except Exception as exc:  # noqa: BLE001 - a failing frame must not kill the stream; report it
            with self._lock:
                self._stats = _replace(self._stats, error=f"{type(exc).__name__}: {exc}")
            out = rgb
        new = av.VideoFrame.from_ndarray(np.ascontiguousarray(out), format="rgb24")
        new.pts, new.time_base = frame.pts, frame.time_base
        return new

    def _update(
        self,
        t: float,
        size: tuple[int, int],
        cand: Any,
        angles: dict[str, float],
        elapsed_s: float,
        *,
        n_people: int,
        outline_deg: float = float("nan"),
    ) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent.append((now, elapsed_s))
            while self._recent and now - self._recent[0][0] > 2.0:
                self._recent.popleft()
            n = len(self._recent)
            span = now - self._recent[0][0] if n > 1 else 0.0
            fps = (n - 1) / span if span > 0 else 0.0
            lat = 1000.0 * float(np.mean([e for _, e in self._recent])) if n else 0.0
            s = self._stats
            phase = None
            done = s.capture_done
            if self._capture is not None and not done:
                if self._capture.t0_s is None:
                    self._capture.start(t)
                    self._rec_size = size
                if isinstance(self._capture, CheckedCapture):  # advance only on the pose it asks for
                    self._capture.observe(_observation(t, cand, size, angles))
                phase = self._capture.state(t)
                if phase is not None:
                    self._record(t, size, cand, n_people, outline_deg)
                elif self._capture.finished(t):
                    done = True
            self._stats = LiveStats(
                frames=s.frames + 1,
                frames_with_landmarks=s.frames_with_landmarks + (cand is not None),
                fps=fps,
                latency_ms=lat,
                frame_size=size,
                angles=angles,
                capturing=phase is not None,
                phase=None if phase is None else phase.phase.name,
                instruction=None if phase is None else phase.phase.instruction,
                phase_remaining_s=None if phase is None else phase.remaining_s,
                captured_frames=len(self._rec),
                capture_done=done,
                error=s.error,
                guide=self._capture.snapshot(t) if isinstance(self._capture, CheckedCapture) else None,
            )

    def _record(
        self, t: float, size: tuple[int, int], cand: Any, n_people: int, outline_deg: float = float("nan")
    ) -> None:
        nan3 = np.full((N_LANDMARKS, 3), np.nan, np.float32)
        nan1 = np.full(N_LANDMARKS, np.nan, np.float32)
        if cand is None:
            self._rec.append((t, nan3, nan3, nan1, nan1, 0, float("nan")))
            return
        img = np.array(cand.image_px, np.float32)
        assert self._rec_size is not None
        if size != self._rec_size:  # the browser changed the sent resolution: keep one pixel grid
            img[:, 0] *= self._rec_size[0] / size[0]
            img[:, 1] *= self._rec_size[1] / size[1]
            img[:, 2] *= self._rec_size[0] / size[0]
        self._rec.append(
            (
                t,
                img,
                np.array(cand.world_m, np.float32),
                np.array(cand.visibility, np.float32),
                np.array(cand.presence, np.float32),
                max(1, n_people),
                outline_deg,
            )
        )

    # ------------------------------------------------------------------ page side
    def stats(self) -> LiveStats:
        with self._lock:
            return self._stats

    def start_capture(
        self,
        *,
        include_optional: bool = True,
        phases: Sequence[Phase] = DEFAULT_PHASES,
        checked: bool = False,
    ) -> None:
        """Begin a guided capture at the next frame (drops any earlier recording). ``checked``: each
        phase waits until its pose is held (:class:`posture_cam.guided.CheckedCapture`), not a timer."""
        with self._lock:
            if checked:
                self._capture = CheckedCapture(include_optional=include_optional)
            else:
                self._capture = GuidedCapture(phases, include_optional=include_optional)
            self._rec = []
            self._rec_size = None
            self._stats = _replace(self._stats, capture_done=False, captured_frames=0)

    def cancel_capture(self) -> None:
        with self._lock:
            self._capture = None
            self._rec = []
            self._stats = _replace(
                self._stats,
                capture_done=False,
                captured_frames=0,
                capturing=False,
                phase=None,
                instruction=None,
                phase_remaining_s=None,
                guide=None,
            )

    def capture_segments(self) -> list[dict[str, Any]]:
        with self._lock:
            return [] if self._capture is None else self._capture.segments()

    def captured_sequence(self) -> PoseSequence:
        """The raw landmarks recorded during the guided capture (NaN rows where nobody was found).

        Raises NoPersonDetectedError when nothing was recorded or nobody was seen.
        """
        with self._lock:
            rec = list(self._rec)
            size = self._rec_size
            segments = [] if self._capture is None else self._capture.segments()
        if not rec or size is None:
            raise NoPersonDetectedError("the guided capture recorded no frames (is the camera running?)")
        ts = np.array([r[0] for r in rec], np.float64)
        ts = ts - ts[0]
        fps = (len(ts) - 1) / ts[-1] if len(ts) > 1 and ts[-1] > 0 else 30.0
        seq = PoseSequence(
            np.stack([r[1] for r in rec]),
            np.stack([r[2] for r in rec]),
            np.stack([r[3] for r in rec]),
            np.stack([r[4] for r in rec]),
            ts,
            fps,
            size,
            people_count=np.array([r[5] for r in rec], np.int16),
            pelvis_outline_deg=np.array([r[6] for r in rec], np.float32),
            meta={"source": "webcam", "capture_phases": segments},
        )
        if not seq.detected.any():
            raise NoPersonDetectedError(
                "nobody was detected during the guided capture; stand so that your "
                "whole body is in view and try again"
            )
        return seq


def _observation(t: float, cand: Any, size: tuple[int, int], angles: Mapping[str, Any]) -> Observation:
    """What this frame shows for the checked capture (nobody -> view None)."""
    if cand is None or not angles.get("view"):
        return observe(t, None, None, size, None)
    return observe(t, cand.image_px, cand.visibility, size, str(angles["view"]))


def _replace(s: LiveStats, **kw: Any) -> LiveStats:
    from dataclasses import replace

    return replace(s, **kw)


def analyze_capture(
    analyzer: LiveAnalyzer, config: Config | None = None, *, subject: Any = None
) -> dict[str, Any]:
    """The result.json dict of the guided capture: the same analysis and findings as an uploaded video."""
    from .pipeline import analyze_sequence

    seq = analyzer.captured_sequence()
    return analyze_sequence(seq, None, config or analyzer.config, subject=subject)


def still_image_check(
    rgb: np.ndarray, config: Config | None = None, *, model_path: str | None = None
) -> tuple[np.ndarray, dict[str, float | str]]:
    """Snapshot mode: landmarks of one still image -> (image with skeleton, key angles in degrees).

    The angles dict is :func:`default_angles`' output: it also holds ``"view"`` (a label, not a number).

    Raises NoPersonDetectedError when nobody is in the picture.
    """
    from .model_bundle import resolve_model
    from .overlay import draw_pose
    from .pose_adapter import PoseLandmarkerAdapter

    cfg = config or Config()
    path = model_path or str(resolve_model(cfg.extraction.model).path)
    with PoseLandmarkerAdapter(path, num_poses=1, running_mode="image") as det:
        cands = det.detect(np.ascontiguousarray(rgb))
    if not cands:
        raise NoPersonDetectedError(
            "no person was found in the picture; step back so your whole body is in view"
        )
    c = cands[0]
    from .signal import gate_visibility

    pts = gate_visibility(c.image_px, c.visibility, cfg.filter.visibility_threshold)
    h, w = rgb.shape[:2]
    return draw_pose(rgb, c.image_px, c.visibility), default_angles(pts, (w, h))
