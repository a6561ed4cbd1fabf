"""The one module that talks to MediaPipe: the Tasks API Pose Landmarker behind a small adapter.

:class:`PoseLandmarkerAdapter` wraps ``mediapipe.tasks.python.vision.PoseLandmarker`` and returns
plain numpy :class:`~posture_cam.tracking.PoseCandidate` objects, in pixels of the frame it was given.
Nothing else in posture_cam imports mediapipe for inference (``model_bundle`` uses mediapipe's metadata
writer at build time only).

Running modes:

* ``"video"`` - one landmarker per stream (a file); ``detect(rgb, timestamp_ms)`` with the frame's
  real timestamp. MediaPipe's VIDEO mode tracks the person from frame to frame (the detector runs only
  when tracking is lost) and demands strictly increasing integer millisecond timestamps; the adapter
  guarantees them: a timestamp that rounds to the previous one or goes backwards (variable frame rate,
  duplicated timestamps) is moved to ``previous + 1 ms`` and counted in ``timestamp_adjustments_``.
* ``"live"`` - the same VIDEO mode for a webcam callback, synchronous per frame; ``timestamp_ms`` may be
  omitted and is then taken from a monotonic clock.
* ``"image"`` - every call is an independent still image (no tracking); the timestamp is ignored.

mediapipe is imported lazily (on the first adapter), so importing posture_cam stays fast, and only
the Tasks API modules the pose landmarker needs are loaded (:func:`import_tasks_api`): the package's
``__init__`` files would also pull in the legacy ``solutions`` (matplotlib) and the audio/text tasks,
about 2 s of a short recording's start-up. A later plain ``import mediapipe`` still gets everything.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .config import ExtractionConfig
from .errors import InvalidFrameError, ModelError
from .landmarks import N_LANDMARKS
from .tracking import PoseCandidate


def quiet_native_logs() -> None:
    """Keep MediaPipe's native INFO/WARNING chatter (glog, TFLite, absl) off the user's terminal.

    Only sets defaults: a user who exports GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL keeps control.
    Must run before mediapipe is first imported.
    """
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


_SILENCE_LOCK = threading.Lock()
_silence_depth = 0  # landmarkers inside _native_stderr_silenced (they may run on several threads)
_silence_saved_fd = -1  # the real fd 2, kept while silenced


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence file descriptor 2 while MediaPipe starts up (graph creation and the first frame).

    absl/glog print start-up notices ("GPU support is not available", "Created TensorFlow Lite
    XNNPACK delegate", feedback-manager warnings) before any log level applies. They are not errors
    for this CPU-only app, so they are hidden; Python exceptions still propagate normally. Set
    POSTURE_CAM_NATIVE_LOGS=1 to see them.

    fd 2 belongs to the whole process and two landmarkers may start at once on two threads (the
    multi-person pass runs beside the one-person landmarker): the first to enter redirects it, the
    last to leave restores it. Saving and restoring per caller would let the second save the first's
    /dev/null and "restore" it for good, losing every later error message.
    """
    global _silence_depth, _silence_saved_fd
    if os.environ.get("POSTURE_CAM_NATIVE_LOGS"):
        yield
        return
    with _SILENCE_LOCK:
        if _silence_depth == 0:
            try:
                saved = os.dup(2)
            except OSError:
                saved = -1
            if saved >= 0:
                try:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                except OSError:
                    os.close(saved)
                    saved = -1
            if saved >= 0:
                sys.stderr.flush()
                os.dup2(devnull, 2)
                os.close(devnull)
            _silence_saved_fd = saved
        _silence_depth += 1
    try:
        yield
    finally:
        with _SILENCE_LOCK:
            _silence_depth -= 1
            if _silence_depth == 0 and _silence_saved_fd >= 0:
                os.dup2(_silence_saved_fd, 2)
                os.close(_silence_saved_fd)
                _silence_saved_fd = -1


#: Packages whose ``__init__`` is deferred by :func:`import_tasks_api` (their submodules load as usual).
_DEFERRED_PACKAGES = ("mediapipe", "mediapipe.tasks.python", "mediapipe.tasks.python.vision")


def _defer_package_init(name: str) -> None:
    """Register package ``name`` without running its ``__init__``; the first attribute the package
    itself does not have (``mediapipe.solutions``, ``vision.HandLandmarker``...) runs it after all."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        importlib.import_module(name)  # not a regular package: import it normally
        return
    mod = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(attr: str) -> Any:
        mod.__dict__.pop("__getattr__", None)
        loader.exec_module(mod)  # the real __init__, in the same module object
        return getattr(mod, attr)

    mod.__getattr__ = __getattr__  # type: ignore[method-assign]
    if name == "mediapipe":  # what its __init__ sets; read without running it (pipeline.versions)
        try:
            mod.__dict__["__version__"] = importlib.metadata.version("mediapipe")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source tree
            pass
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, mod)


def import_tasks_api() -> tuple[Any, Any, Any, Any, Any]:
    """``(Image, ImageFormat, BaseOptions, pose_landmarker module, VisionTaskRunningMode)``, loading
    only what the Tasks API pose landmarker needs (see the module docstring)."""
    quiet_native_logs()
    for name in _DEFERRED_PACKAGES:
        if name not in sys.modules:
            _defer_package_init(name)
    from mediapipe.python._framework_bindings.image import Image
    from mediapipe.python._framework_bindings.image_frame import ImageFormat
    from mediapipe.tasks.python.core.base_options import BaseOptions
    from mediapipe.tasks.python.vision import pose_landmarker
    from mediapipe.tasks.python.vision.core.vision_task_running_mode import VisionTaskRunningMode

    return Image, ImageFormat, BaseOptions, pose_landmarker, VisionTaskRunningMode


RUNNING_MODES = ("video", "live", "image")
MAX_INFERENCE_THREADS = 16


def inference_threads_available() -> int:
    """Threads for the models of one analysis that has the machine to itself: every usable core."""
    from .memory import usable_cores

    return min(usable_cores(), MAX_INFERENCE_THREADS)


def _xnnpack_base_options(base_options_cls: Any, model_path: str, threads: int) -> Any:
    """``BaseOptions`` that run the models on TFLite's XNNPACK CPU delegate with ``threads`` threads.

    The Tasks API's default CPU acceleration (``tflite {}``) runs one thread. The landmarks are the
    same with any count (bit-identical: 200 frames of 720p, and 3 real clips through the extraction).
    Measured 2026-12-01 on this machine, full model, 720p, per frame, same process, interleaved: default
    26.4-27.5 ms, XNNPACK with 1 thread 26.7-27.8 ms (no difference); with 2 threads 14.3-17.2 ms wall
    (28-31 ms CPU: the second thread buys wall time, not CPU time). The Python ``BaseOptions`` does not
    expose the thread count, so its protobuf is amended; a mediapipe whose protobuf lacks the field
    keeps its default.
    """

    class _XnnpackBaseOptions(base_options_cls):  # type: ignore[misc, valid-type]
        def to_pb2(self) -> Any:
            pb = super().to_pb2()
            try:
                pb.acceleration.xnnpack.num_threads = int(threads)  # the delegate oneof: replaces tflite {}
            except (AttributeError, ValueError):  # pragma: no cover - another mediapipe's protobuf
                return super().to_pb2()
            return pb

    return _XnnpackBaseOptions(model_asset_path=model_path)


__all__ = ["PoseCandidate", "PoseLandmarkerAdapter", "RUNNING_MODES", "import_tasks_api"]


class PoseLandmarkerAdapter:
    """MediaPipe Pose Landmarker (Tasks API) for one stream; a context manager (or call :meth:`close`)."""

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        num_poses: int = 1,
        running_mode: str = "video",
        min_pose_detection_confidence: float = 0.5,
        min_pose_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        output_segmentation_masks: bool = False,
        inference_threads: int = 1,
    ) -> None:
        if running_mode not in RUNNING_MODES:
            raise ValueError(f"running_mode: expected one of {RUNNING_MODES}, got {running_mode!r}")
        if num_poses < 1:
            raise ValueError(f"num_poses: expected >= 1, got {num_poses}")
        if not 1 <= inference_threads <= MAX_INFERENCE_THREADS:
            raise ValueError(
                f"inference_threads: expected 1..{MAX_INFERENCE_THREADS}, got {inference_threads}"
            )
        for name, v in (
            ("min_pose_detection_confidence", min_pose_detection_confidence),
            ("min_pose_presence_confidence", min_pose_presence_confidence),
            ("min_tracking_confidence", min_tracking_confidence),
        ):
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"{name}: expected a value in [0, 1], got {v}")
        path = os.fspath(model_path)
        if not os.path.isfile(path):
            raise ModelError(f"pose model file not found: {path}")
        image_cls, image_format, base_options, pose_landmarker, vision_mode = import_tasks_api()
        self._image_cls, self._srgb = image_cls, image_format.SRGB
        self.running_mode = running_mode
        self.model_path = path
        self.num_poses = num_poses
        self.output_segmentation_masks = output_segmentation_masks
        mode = vision_mode.IMAGE if running_mode == "image" else vision_mode.VIDEO
        self.inference_threads = inference_threads
        options = pose_landmarker.PoseLandmarkerOptions(
            base_options=_xnnpack_base_options(base_options, path, inference_threads),
            running_mode=mode,
            num_poses=num_poses,
            min_pose_detection_confidence=min_pose_detection_confidence,
            min_pose_presence_confidence=min_pose_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=output_segmentation_masks,
        )
        try:
            with _native_stderr_silenced():
                self._landmarker: Any = pose_landmarker.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"cannot load pose model {path}: {str(exc).splitlines()[0] if str(exc) else exc}"
            ) from None
        self._last_ts_ms: int | None = None
        self.timestamp_adjustments_ = 0
        self.frames_ = 0

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def from_config(
        cls,
        model_path: str | os.PathLike[str],
        cfg: ExtractionConfig,
        *,
        running_mode: str = "video",
        num_poses: int | None = None,
        output_segmentation_masks: bool | None = None,
        inference_threads: int = 1,
    ) -> PoseLandmarkerAdapter:
        """An adapter with the confidences (and, unless given, pose count and masks) of ``cfg``."""
        return cls(
            model_path,
            inference_threads=inference_threads,
            num_poses=cfg.num_poses if num_poses is None else num_poses,
            running_mode=running_mode,
            min_pose_detection_confidence=cfg.min_pose_detection_confidence,
            min_pose_presence_confidence=cfg.min_pose_presence_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
            output_segmentation_masks=(
                cfg.output_segmentation_masks
                if output_segmentation_masks is None
                else output_segmentation_masks
            ),
        )

    def close(self) -> None:
        """Release the landmarker (idempotent)."""
        lm = getattr(self, "_landmarker", None)
        if lm is not None:
            lm.close()
            self._landmarker = None

    def __enter__(self) -> PoseLandmarkerAdapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # pragma: no cover - safety net only
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ detection
    def next_timestamp_ms(self, timestamp_ms: float | None) -> int:
        """The strictly increasing integer timestamp that will be sent for a frame at ``timestamp_ms``."""
        if timestamp_ms is None:
            if self.running_mode != "live":
                raise ValueError("timestamp_ms is required in 'video' mode (only 'live' may omit it)")
            timestamp_ms = time.monotonic() * 1000.0
        if not np.isfinite(timestamp_ms):
            raise InvalidFrameError(f"frame timestamp must be finite, got {timestamp_ms}")
        ts = int(round(float(timestamp_ms)))
        if self._last_ts_ms is not None and ts <= self._last_ts_ms:
            ts = self._last_ts_ms + 1
        return ts

    def detect(self, rgb: np.ndarray, timestamp_ms: float | None = None) -> list[PoseCandidate]:
        """People in one upright RGB frame ``(H, W, 3) uint8``; ``timestamp_ms`` in milliseconds.

        Returns up to ``num_poses`` candidates in MediaPipe's order (not sorted): ``image_px`` is
        (x * width, y * height, z * width) of MediaPipe's normalised landmarks.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseLandmarkerAdapter is closed")
        frame = _check_rgb(rgb)
        image = self._image_cls(image_format=self._srgb, data=frame)
        quiet = _native_stderr_silenced() if self.frames_ == 0 else contextlib.nullcontext()
        with quiet:
            if self.running_mode == "image":
                result = self._landmarker.detect(image)
            else:
                ts = self.next_timestamp_ms(timestamp_ms)
                if timestamp_ms is not None and ts != int(round(float(timestamp_ms))):
                    self.timestamp_adjustments_ += 1
                result = self._landmarker.detect_for_video(image, ts)
                self._last_ts_ms = ts
        self.frames_ += 1
        h, w = frame.shape[:2]
        return _to_candidates(result, w, h)


def _check_rgb(rgb: Any) -> np.ndarray:
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidFrameError(f"frame: expected an (H, W, 3) RGB image, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise InvalidFrameError(f"frame: expected dtype uint8, got {arr.dtype}")
    return np.ascontiguousarray(arr)


def _to_candidates(result: Any, width: int, height: int) -> list[PoseCandidate]:
    out: list[PoseCandidate] = []
    masks = result.segmentation_masks or []
    scale = np.array([width, height, width], np.float32)
    for i, lms in enumerate(result.pose_landmarks or []):
        norm = np.array([(lm.x, lm.y, lm.z) for lm in lms], np.float32)
        vis = np.array([lm.visibility if lm.visibility is not None else np.nan for lm in lms], np.float32)
        pres = np.array([lm.presence if lm.presence is not None else np.nan for lm in lms], np.float32)
        if norm.shape != (N_LANDMARKS, 3):  # pragma: no cover - model contract
            continue
        world_lms = result.pose_world_landmarks[i] if i < len(result.pose_world_landmarks or []) else None
        world = (
            np.array([(lm.x, lm.y, lm.z) for lm in world_lms], np.float32)
            if world_lms is not None
            else np.full((N_LANDMARKS, 3), np.nan, np.float32)
        )
        mask = np.array(masks[i].numpy_view(), np.float32).reshape(height, width) if i < len(masks) else None
        out.append(PoseCandidate(norm * scale, world, np.clip(vis, 0, 1), np.clip(pres, 0, 1), mask))
    return out
