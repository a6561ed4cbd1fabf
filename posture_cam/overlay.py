"""Annotated video: skeleton overlay, face blurring, and a browser-playable H.264 MP4 writer.

Coordinates are pixels in the upright frame (x right, y down), as in ``PoseSequence.image_px``.
Colours are RGB. The subject's LEFT side is drawn in orange, the RIGHT side in blue, the midline
(nose, shoulder and hip bars) in white.

Encoder: PyAV's bundled FFmpeg includes ``libx264`` (checked with ``av.codecs_available``), used with
``yuv420p`` pixels and ``movflags=+faststart`` (index at the front) so browsers can start playing at once.
OpenCV's ``mp4v`` (MPEG-4 part 2) does not play in browsers. ``libopenh264`` is the fallback name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import cv2
import numpy as np

from .errors import OutputError
from .landmarks import SKELETON, Landmark
from .sequence import atomic_path

LEFT_RGB = (255, 140, 0)
RIGHT_RGB = (30, 144, 255)
MID_RGB = (255, 255, 255)
FACE_LANDMARKS: tuple[Landmark, ...] = tuple(Landmark(i) for i in range(Landmark.MOUTH_RIGHT + 1))
H264_ENCODERS = ("libx264", "libopenh264")
_TIME_BASE = Fraction(1, 90000)  # MPEG clock: timestamps keep sub-millisecond precision


def _side(lm: Landmark) -> str:
    name = lm.name
    if name.startswith("LEFT") or name.endswith("LEFT"):
        return "left"
    if name.startswith("RIGHT") or name.endswith("RIGHT"):
        return "right"
    return "mid"


def _edge_colour(a: Landmark, b: Landmark) -> tuple[int, int, int]:
    sa, sb = _side(a), _side(b)
    if sa == sb == "left":
        return LEFT_RGB
    if sa == sb == "right":
        return RIGHT_RGB
    return MID_RGB


def _visible(landmarks_px: np.ndarray, visibility: np.ndarray, min_visibility: float) -> np.ndarray:
    finite = np.isfinite(landmarks_px[:, :2]).all(axis=1)
    vis = np.nan_to_num(np.asarray(visibility, dtype=float), nan=0.0)
    return finite & (vis >= min_visibility)


def _check_inputs(rgb: np.ndarray, landmarks_px: np.ndarray, visibility: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb: expected an (H, W, 3) uint8 array, got shape {rgb.shape} dtype {rgb.dtype}")
    if landmarks_px.shape[0] != len(Landmark) or landmarks_px.ndim != 2 or landmarks_px.shape[1] < 2:
        raise ValueError(f"landmarks_px: expected shape (33, 2|3), got {landmarks_px.shape}")
    if np.shape(visibility) != (len(Landmark),):
        raise ValueError(f"visibility: expected shape (33,), got {np.shape(visibility)}")


def draw_pose(
    rgb: np.ndarray,
    landmarks_px: np.ndarray,
    visibility: np.ndarray,
    *,
    min_visibility: float = 0.5,
    labels: Mapping[str, str] | None = None,
) -> np.ndarray:
    """Return a copy of ``rgb`` with the skeleton drawn; NaN landmarks or those below ``min_visibility``
    are skipped.

    ``labels`` (e.g. ``{"trunk lean": "+3.1 deg"}``) are listed in a translucent panel, top left.
    Line width scales with the frame size.
    """
    lms = np.asarray(landmarks_px, dtype=float)
    _check_inputs(rgb, lms, np.asarray(visibility))
    out = np.ascontiguousarray(rgb.copy())
    h, w = out.shape[:2]
    thick = max(1, round(min(h, w) / 240))
    ok = _visible(lms, np.asarray(visibility), min_visibility)
    pts = np.zeros((len(Landmark), 2), dtype=np.int32)
    pts[ok] = np.round(lms[ok, :2]).astype(np.int32)
    for a, b in SKELETON:
        if ok[a] and ok[b]:
            cv2.line(
                out,
                tuple(int(v) for v in pts[a]),
                tuple(int(v) for v in pts[b]),
                _edge_colour(a, b),
                thick,
                cv2.LINE_AA,
            )
    for lm in Landmark:
        if ok[lm]:
            side = _side(lm)
            colour = LEFT_RGB if side == "left" else RIGHT_RGB if side == "right" else MID_RGB
            cv2.circle(out, tuple(int(v) for v in pts[lm]), thick + 1, colour, -1, cv2.LINE_AA)
    if labels:
        _draw_panel(out, labels)
    return out


def _draw_panel(out: np.ndarray, labels: Mapping[str, str]) -> None:
    h, w = out.shape[:2]
    scale = max(0.4, min(h, w) / 900)
    lines = [f"{k}: {v}" for k, v in labels.items()]
    sizes = [cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0] for t in lines]
    line_h = max(s[1] for s in sizes) + int(10 * scale) + 2
    pad = int(8 * scale) + 2
    x1 = min(w, max(s[0] for s in sizes) + 2 * pad)
    y1 = min(h, line_h * len(lines) + pad)
    region = out[:y1, :x1]
    region[:] = (region.astype(np.uint16) * 2 // 5).astype(np.uint8)  # darken to 40 %
    for i, text in enumerate(lines):
        cv2.putText(
            out,
            text,
            (pad, (i + 1) * line_h),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )


def face_box(
    landmarks_px: np.ndarray,
    visibility: np.ndarray,
    frame_size: tuple[int, int],
    *,
    min_visibility: float = 0.3,
) -> tuple[int, int, int, int] | None:
    """Pixel box ``(x0, y0, x1, y1)`` (exclusive end) around the face landmarks, or None if none is seen.

    The box is the landmarks' extent padded by the larger of 60 % of that extent and 40 % of the
    shoulder width (so a face seen only from its ears is still covered), clipped to the frame.
    """
    lms = np.asarray(landmarks_px, dtype=float)
    ok = _visible(lms, np.asarray(visibility), min_visibility)
    face = [lm for lm in FACE_LANDMARKS if ok[lm]]
    if not face:
        return None
    xy = lms[face, :2]
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    extent = max(x1 - x0, y1 - y0)
    pad = 0.6 * extent
    ls, rs = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    if ok[ls] and ok[rs]:
        pad = max(pad, 0.4 * float(np.hypot(*(lms[ls, :2] - lms[rs, :2]))))
    pad = max(pad, 8.0)
    w, h = frame_size
    bx0, by0 = int(max(0, np.floor(x0 - pad))), int(max(0, np.floor(y0 - pad)))
    bx1, by1 = int(min(w, np.ceil(x1 + pad))), int(min(h, np.ceil(y1 + pad)))
    if bx1 <= bx0 or by1 <= by0:
        return None
    return bx0, by0, bx1, by1


def blur_faces(rgb: np.ndarray, landmarks_px: np.ndarray, visibility: np.ndarray | None = None) -> np.ndarray:
    """Return a copy of ``rgb`` with a strong blur over the face box (see :func:`face_box`).

    Without ``visibility`` every finite face landmark counts. Frames where no face landmark is seen
    are returned unchanged (a copy).
    """
    lms = np.asarray(landmarks_px, dtype=float)
    vis = np.ones(len(Landmark)) if visibility is None else np.asarray(visibility, dtype=float)
    _check_inputs(rgb, lms, vis)
    out = np.ascontiguousarray(rgb.copy())
    box = face_box(lms, vis, (out.shape[1], out.shape[0]))
    if box is None:
        return out
    x0, y0, x1, y1 = box
    roi = out[y0:y1, x0:x1]
    # Pixelate then blur: irreversible at this scale, and cheap for large boxes.
    small = cv2.resize(
        roi, (max(1, roi.shape[1] // 12), max(1, roi.shape[0] // 12)), interpolation=cv2.INTER_AREA
    )
    coarse = cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_LINEAR)
    k = max(3, (min(roi.shape[:2]) // 4) | 1)
    out[y0:y1, x0:x1] = cv2.GaussianBlur(coarse, (k, k), 0)
    return out


def h264_encoder_name() -> str:
    """The H.264 encoder available in PyAV's FFmpeg (``libx264`` here); OutputError if there is none."""
    available = av.codecs_available
    for name in H264_ENCODERS:
        if name in available:
            try:
                av.Codec(name, "w")
            except av.error.FFmpegError:  # pragma: no cover - listed but unusable
                continue
            return name
    raise OutputError(
        "no H.264 encoder in this FFmpeg build (need libx264 or libopenh264); "
        "cannot write a browser-playable overlay video"
    )


class H264Writer:
    """Write RGB frames to a browser-playable MP4 (H.264, yuv420p, +faststart), atomically.

    ``size`` is ``(width, height)`` of the frames given to :meth:`write`; odd sizes are padded with a
    black row/column to even (yuv420p needs even dimensions). Frames go to a temporary file beside
    ``path`` that is renamed onto ``path`` by :meth:`close`; on an error (or ``abort``) it is removed.
    Pass ``timestamp_s`` to :meth:`write` to keep variable frame timing; otherwise frames are 1/fps apart.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fps: float,
        size: tuple[int, int],
        *,
        crf: int = 23,
        preset: str = "veryfast",
    ) -> None:
        w, h = int(size[0]), int(size[1])
        if w <= 0 or h <= 0:
            raise ValueError(f"size: expected positive (width, height), got {size}")
        if not (fps > 0 and np.isfinite(fps)):
            raise ValueError(f"fps: expected a positive number, got {fps}")
        self.path = Path(path)
        self.fps = float(fps)
        self.size = (w, h)
        self.encoded_size = (w + w % 2, h + h % 2)
        self.codec = h264_encoder_name()
        self._atomic = atomic_path(self.path)
        try:
            self._tmp = self._atomic.__enter__()
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        try:
            self._container: Any = av.open(
                str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"}
            )
        except (OSError, av.error.FFmpegError) as exc:
            self._atomic.__exit__(OSError, exc, None)
            raise OutputError(f"cannot write {self.path}: {getattr(exc, 'strerror', None) or exc}") from None
        stream = self._container.add_stream(self.codec, rate=Fraction(self.fps).limit_denominator(100_000))
        # add_stream is typed for any codec; h264_encoder_name() only returns video encoders.
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = self.encoded_size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = _TIME_BASE
        if self.codec == "libx264":
            stream.options = {"crf": str(crf), "preset": preset}
        self._stream = stream
        self._n = 0
        self._last_pts = -1
        self._closed = False

    @property
    def frames_written(self) -> int:
        return self._n

    def write(self, rgb: np.ndarray, timestamp_s: float | None = None) -> None:
        """Append one ``(height, width, 3)`` uint8 RGB frame (the writer's ``size``)."""
        if self._closed:
            raise OutputError(f"{self.path}: writer already closed")
        w, h = self.size
        if rgb.shape != (h, w, 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frame: expected ({h}, {w}, 3) uint8, got {rgb.shape} {rgb.dtype}")
        ew, eh = self.encoded_size
        if (ew, eh) != (w, h):
            padded = np.zeros((eh, ew, 3), np.uint8)
            padded[:h, :w] = rgb
            rgb = padded
        t = self._n / self.fps if timestamp_s is None else float(timestamp_s)
        pts = max(int(round(t / _TIME_BASE)), self._last_pts + 1)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = pts
        frame.time_base = _TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self._n += 1

    def close(self) -> Path:
        """Flush the encoder, finish the file and rename it onto ``path``. Returns ``path``."""
        if self._closed:
            return self.path
        if self._n == 0:
            self.abort()
            raise OutputError(f"{self.path}: no frames were written")
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        except BaseException as exc:
            self._closed = True
            self._atomic.__exit__(type(exc), exc, None)
            raise
        self._closed = True
        self._atomic.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Stop without keeping anything: the temporary file is removed, ``path`` is untouched."""
        if self._closed:
            return
        self._closed = True
        try:
            self._container.close()
        except av.error.FFmpegError:
            pass
        self._atomic.__exit__(RuntimeError, None, None)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
