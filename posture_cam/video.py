"""Decode video files, still images and frame iterators into upright RGB frames with real timestamps.

Decoder choice: **PyAV** (FFmpeg 8 libraries bundled in the ``av`` wheel), not ``cv2.VideoCapture``.
Measured here with opencv-contrib-python 4.11 (its own FFmpeg 5.1) on small clips written by the tests:

* Timestamps: PyAV hands out each frame's ``pts`` in the stream time base, so variable frame rate
  survives exactly. OpenCV's ``CAP_PROP_POS_MSEC`` *did* match the pts for sequential reads of VFR
  mp4/mkv/webm files in this build (the often-cited unreliability was not reproduced), but OpenCV
  reports a nominal ``CAP_PROP_FPS`` (30.0 for a 9.7 fps VFR mkv) and a ``CAP_PROP_FRAME_COUNT``
  estimated from duration x fps (32 for a 10-frame mkv/webm), and gives no control over seeking.
* Rotation: phone videos carry a display matrix. OpenCV reads it (``CAP_PROP_ORIENTATION_META``) but
  in this build does *not* apply it by default (``CAP_PROP_ORIENTATION_AUTO`` = 0); PyAV exposes it per
  frame (``VideoFrame.rotation``, counter-clockwise degrees) and we rotate with numpy.
* Frame-accurate seeking: we demux packets ourselves, so a chunk ``[start_s, end_s)`` is decoded from
  the preceding keyframe and frames before ``start_s`` are dropped; the frame index stays the index in
  the whole video (counted from packets, no decoding needed).
* Streaming: one frame at a time; nothing here keeps a list of frames, so memory does not grow with
  video length. Truncated files decode as far as they can, with a warning.

Conventions: ``Frame.timestamp_s`` is seconds since the first frame of the video (from pts), strictly
increasing; ``Frame.rgb`` is an upright, C-contiguous ``(H, W, 3)`` uint8 RGB array. ``rotation_deg``
is the counter-clockwise rotation (0, 90, 180, 270) applied to the coded picture to make it upright.
Still images (jpg, png, ...) are read with Pillow, honouring the EXIF orientation, and give one frame.
"""

from __future__ import annotations

import hashlib
import math
import os
import queue
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from .config import ExtractionConfig
from .errors import (
    EmptyVideoError,
    ImageTooLargeError,
    InputNotFoundError,
    InputTooLargeError,
    NotAFileError,
    UnreadableVideoError,
)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".3gp"})
DUPLICATE_TIMESTAMP_EPSILON_S = 1e-6  # added to repair a non-increasing timestamp
_HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Frame:
    """One upright RGB frame. ``index`` counts frames from the start of the video (0-based)."""

    index: int
    timestamp_s: float
    rgb: np.ndarray  # (H, W, 3) uint8, upright, C-contiguous


@dataclass(frozen=True)
class VideoInfo:
    """What a media file holds. ``width``/``height`` are those of the UPRIGHT frame (pixels)."""

    path: Path
    sha256: str
    n_frames: int  # counted from demuxed packets (exact unless frames fail to decode)
    fps: float  # average frame rate (Hz); a still image reports 1.0
    duration_s: float  # first frame to end of last frame; 0.0 for a still image
    width: int
    height: int
    rotation_deg: int  # counter-clockwise rotation applied to make the picture upright
    codec: str
    is_image: bool
    size_bytes: int
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``input`` section of result.json (plus ``is_image``, ``size_bytes``, ``warnings``)."""
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "frames": self.n_frames,
            "fps": self.fps,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
            "rotation_deg": self.rotation_deg,
            "codec": self.codec,
            "is_image": self.is_image,
            "size_bytes": self.size_bytes,
            "warnings": list(self.warnings),
        }


@dataclass
class DecodeStats:
    """Counters filled while a :class:`FrameIterator` runs (read them after iterating)."""

    frames_yielded: int = 0
    duplicate_timestamps_repaired: int = 0
    missing_timestamps_filled: int = 0
    decode_errors: int = 0
    warnings: list[str] = field(default_factory=list)


class FrameIterator(Iterator[Frame]):
    """An iterator of :class:`Frame` that also exposes :class:`DecodeStats` as ``.stats``.

    ``read_ahead`` > 0 decodes in a background thread up to that many frames ahead of the consumer
    (FFmpeg's decoding and its YUV->RGB conversion release the GIL, so they run on another core while
    MediaPipe works on the previous frame). Frames, their order, timestamps, warnings and errors are
    exactly those of the plain iterator: an error raised by the decoder is raised by ``__next__`` at the
    point the plain iterator would raise it. Call :meth:`close` (or exhaust the iterator) to stop the
    thread early; a collected iterator stops it too.
    """

    def __init__(self, gen_factory: Any, *, read_ahead: int = 0) -> None:
        if read_ahead < 0:
            raise ValueError(f"read_ahead: expected >= 0, got {read_ahead}")
        self.stats = DecodeStats()
        self._gen: Iterator[Frame] = gen_factory(self.stats)
        self._ahead: _ReadAhead | None = None
        if read_ahead:
            self._ahead = _ReadAhead(self._gen, read_ahead)
            # collected without close(): only signal (joining inside garbage collection could stall it)
            weakref.finalize(self, self._ahead.stop_event.set)

    def __iter__(self) -> FrameIterator:
        return self

    def __next__(self) -> Frame:
        frame = next(self._gen) if self._ahead is None else self._ahead.next()
        self.stats.frames_yielded += 1
        return frame

    def close(self) -> None:
        """Release the decoder early (also happens when the iterator is exhausted or collected)."""
        if self._ahead is not None:
            self._ahead.stop()
            return
        close = getattr(self._gen, "close", None)
        if close is not None:
            close()


_ITEM, _END, _ERROR = 0, 1, 2


class _ReadAhead:
    """Run a frame generator in a daemon thread, handing its items over through a bounded queue.

    The generator is advanced and closed only by the thread (a generator cannot be closed from another
    thread while it runs). :meth:`stop` asks the thread to close it and waits for that.
    """

    def __init__(self, gen: Iterator[Frame], depth: int) -> None:
        self._queue: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
        self._stopping = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._run, args=(gen, self._queue, self._stopping), name="posture_cam-decode", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _run(gen: Iterator[Frame], q: queue.Queue[tuple[int, Any]], stopping: threading.Event) -> None:
        # a static method holding no reference to the iterator, so an abandoned iterator can be collected
        def put(item: tuple[int, Any]) -> bool:
            while not stopping.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False

        try:
            for frame in gen:
                if not put((_ITEM, frame)):
                    break
            else:
                put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((_ERROR, exc))
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()

    def next(self) -> Frame:
        if self._done:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == _ITEM:
            return value  # type: ignore[no-any-return]
        self._done = True
        self._thread.join()
        if kind == _ERROR:
            raise value
        raise StopIteration

    @property
    def stop_event(self) -> threading.Event:
        return self._stopping

    def stop(self) -> None:
        self._done = True
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join()
        while True:  # decoded frames still queued (up to depth x 6 MB at 1080p) are not needed any more
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break


# ----------------------------------------------------------------------------------------- checks


def _check_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"input not found: {p}")
    if not p.is_file():
        kind = "a directory" if p.is_dir() else "not a regular file"
        raise NotAFileError(f"{p} is {kind}; give a video or image file")
    if p.stat().st_size == 0:
        raise UnreadableVideoError(f"{p.name}: the file is empty (0 bytes)")
    return p


def describe_file(path: Path) -> str:
    """A short guess at what a file is, from its first bytes (for error messages)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        return "an empty file"
    if head[4:8] == b"ftyp":
        return "an MP4/MOV container whose index is missing or damaged (probably truncated)"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "a Matroska/WebM container that cannot be parsed (damaged or truncated)"
    if head.startswith(b"RIFF"):
        return "a RIFF (AVI/WAV) container that cannot be parsed"
    if head.startswith(b"\xff\xd8\xff"):
        return "a JPEG image that cannot be decoded"
    if head.startswith(b"\x89PNG"):
        return "a PNG image that cannot be decoded"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "a ZIP archive"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    try:
        head.decode("utf-8")
        text = True
    except UnicodeDecodeError:
        text = False
    if text and all(c >= 32 or c in b"\t\r\n" for c in head):
        return "a text file"
    return f"unrecognised binary data (starts with {head[:8].hex(' ')})"


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK_BYTES):
            h.update(chunk)
    return h.hexdigest()


def _is_image(path: Path) -> bool:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return False
    with path.open("rb") as fh:
        head = fh.read(16)
    webp = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG", b"BM")) or webp


def _check_size(path: Path, config: ExtractionConfig) -> int:
    size = path.stat().st_size
    if size > config.max_file_size_mb * 1e6:
        raise InputTooLargeError(
            f"{path.name} is {size / 1e6:.0f} MB, above the limit of "
            f"{config.max_file_size_mb:g} MB (extraction.max_file_size_mb)"
        )
    return size


# ----------------------------------------------------------------------------------------- images


def _read_image(path: Path) -> tuple[np.ndarray, int, str]:
    """Upright RGB array, the EXIF rotation applied (counter-clockwise degrees), and the format name."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            fmt = (im.format or path.suffix.lstrip(".")).lower()
            orientation = int(im.getexif().get(0x0112, 1) or 1)
            upright = ImageOps.exif_transpose(im)
            rgb = np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except Image.DecompressionBombError as exc:  # Pillow's pixel limit: refused before decoding
        raise ImageTooLargeError(f"{path.name}: the image is too large to decode safely ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableVideoError(
            f"{path.name}: cannot be read as an image ({describe_file(path)}; {exc})"
        ) from None
    # EXIF 6 = rotate 90 clockwise to view, 8 = 90 counter-clockwise, 3 = 180 (mirrored variants alike).
    rotation = {3: 180, 4: 180, 5: 270, 6: 270, 7: 90, 8: 90}.get(orientation, 0)
    return np.ascontiguousarray(rgb), rotation, fmt


# ----------------------------------------------------------------------------------------- video


def _open_container(path: Path) -> Any:
    try:
        return av.open(str(path), mode="r")
    except av.error.FFmpegError as exc:
        raise UnreadableVideoError(
            f"{path.name}: cannot be read as a video ({describe_file(path)}: "
            f"{getattr(exc, 'strerror', None) or exc})"
        ) from None


def _video_stream(container: Any, path: Path) -> Any:
    videos = [s for s in container.streams.video]
    if not videos:
        kinds = sorted({s.type for s in container.streams})
        what = f"only {', '.join(kinds)} stream(s)" if kinds else "no streams at all"
        raise EmptyVideoError(f"{path.name}: contains no video ({what})")
    stream = videos[0]
    if stream.codec_context is None:
        raise UnreadableVideoError(f"{path.name}: the video codec is unknown or not supported by FFmpeg")
    return stream


def _packet_pts(packet: Any) -> int | None:
    return packet.pts if packet.pts is not None else packet.dts


def _rotation_k(rotation: float) -> int:
    """Number of counter-clockwise quarter turns for a display-matrix rotation in degrees."""
    return int(round(rotation / 90.0)) % 4


def _to_upright_rgb(frame: Any) -> tuple[np.ndarray, int]:
    rgb = frame.to_ndarray(format="rgb24")
    k = _rotation_k(frame.rotation or 0)
    if k:
        rgb = np.rot90(rgb, k)
    return np.ascontiguousarray(rgb), k


def _decode(stream: Any, packet: Any, stats: DecodeStats | None) -> list[Any]:
    try:
        return list(stream.codec_context.decode(packet))
    except av.error.FFmpegError:
        if stats is not None:
            stats.decode_errors += 1
        return []


def probe(
    path: str | os.PathLike[str], config: ExtractionConfig | None = None, *, sha256: str | None = None
) -> VideoInfo:
    """Describe a video or image file; raise a specific :mod:`posture_cam.errors` error when unusable.

    ``sha256``: the file's hash when the caller has just computed it (a batch hashes every input to
    decide what to skip), so a large file is not read twice; otherwise it is computed here.

    Demuxes every packet (no decoding beyond the first frame) to count frames exactly and to notice
    truncation; decodes the first frame to learn the rotation and prove the stream is decodable.
    Raises InputNotFoundError, NotAFileError, UnreadableVideoError, EmptyVideoError, InputTooLargeError.
    """
    cfg = config or ExtractionConfig()
    p = _check_path(path)
    size = _check_size(p, cfg)
    if _is_image(p):
        rgb, rotation, fmt = _read_image(p)
        digest = sha256 or sha256_file(p)
        w, h = int(rgb.shape[1]), int(rgb.shape[0])
        return VideoInfo(p, digest, 1, 1.0, 0.0, w, h, rotation, fmt, True, size)

    warnings: list[str] = []
    container = _open_container(p)
    try:
        stream = _video_stream(container, p)
        codec = stream.codec_context.name
        tb = stream.time_base
        n_packets = 0
        first_pts: int | None = None
        last_pts: int | None = None
        last_duration = 0
        first_frame = None
        try:
            for packet in container.demux(stream):
                if packet.size == 0 or packet.is_discard:
                    continue
                n_packets += 1
                pts = _packet_pts(packet)
                if pts is not None:
                    first_pts = pts if first_pts is None else min(first_pts, pts)
                    if last_pts is None or pts >= last_pts:
                        last_pts, last_duration = pts, packet.duration or 0
                if first_frame is None:
                    decoded = _decode(stream, packet, None)
                    first_frame = decoded[0] if decoded else None
        except av.error.FFmpegError as exc:
            warnings.append(
                f"video is damaged or truncated after {n_packets} frames ({exc}); the readable part is used"
            )
        if n_packets == 0:
            if int(stream.frames or 0) > 0:
                raise UnreadableVideoError(
                    f"{p.name}: truncated: the container lists {stream.frames} "
                    "frames but none of their data is present"
                )
            raise EmptyVideoError(f"{p.name}: the video stream has 0 frames")
        if first_frame is None:
            try:
                first_frame = next(iter(stream.codec_context.decode(None)), None)
            except av.error.FFmpegError:
                first_frame = None
        if first_frame is None:
            raise UnreadableVideoError(
                f"{p.name}: no frame of its {codec} video could be decoded (corrupt or truncated)"
            )
        declared_frames = int(stream.frames or 0)
        if declared_frames > n_packets:
            warnings.append(
                f"video is truncated: the container lists {declared_frames} frames but only "
                f"{n_packets} are present"
            )
        # Average rate from the real timestamps; fall back to the container's rate.
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        nominal_fps = float(rate) if rate else 0.0
        if first_pts is not None and last_pts is not None and n_packets >= 2 and last_pts > first_pts:
            span_s = float((last_pts - first_pts) * tb)
            fps = (n_packets - 1) / span_s
            duration_s = span_s + (float(last_duration * tb) if last_duration else 1.0 / fps)
        else:
            fps = nominal_fps if nominal_fps > 0 else 30.0
            duration_s = n_packets / fps
        declared_s = float(container.duration) / 1e6 if container.duration else None
        if (
            declared_s is not None
            and not any("truncated" in w for w in warnings)
            and duration_s < 0.9 * declared_s - 2.0 / fps
        ):
            warnings.append(
                f"video is truncated: {duration_s:.2f} s of the declared {declared_s:.2f} s are present"
            )
        raw_rotation = float(first_frame.rotation or 0)
        k = _rotation_k(raw_rotation)
        if abs(raw_rotation - round(raw_rotation / 90.0) * 90.0) > 1.0:
            warnings.append(f"rotation {raw_rotation:.1f} deg is not a multiple of 90; rounded to {k * 90}")
        w, h = first_frame.width, first_frame.height
        if k % 2:
            w, h = h, w
    finally:
        container.close()
    if duration_s > cfg.max_duration_s:
        raise InputTooLargeError(
            f"{p.name} lasts {duration_s:.0f} s, above the limit of "
            f"{cfg.max_duration_s:g} s (extraction.max_duration_s)"
        )
    return VideoInfo(
        p,
        sha256 or sha256_file(p),
        n_packets,
        fps,
        duration_s,
        int(w),
        int(h),
        k * 90,
        codec,
        False,
        size,
        tuple(warnings),
    )


def iter_frames(
    path: str | os.PathLike[str],
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    max_frames: int | None = None,
    read_ahead: int = 0,
) -> FrameIterator:
    """Stream upright RGB frames with timestamps in ``[start_s, end_s)`` (seconds from the first frame).

    Frame-accurate: decoding starts at the keyframe before ``start_s`` and earlier frames are dropped,
    so a chunk equals the same frames of a sequential decode (same ``index`` and ``timestamp_s``).
    A still image gives one frame at 0.0 s. The file is checked as in :func:`probe` (same errors);
    a file that fails mid-way stops early with a warning in ``.stats.warnings``.
    ``read_ahead``: decode up to that many frames ahead in a background thread (see
    :class:`FrameIterator`); 0 decodes on the caller's thread.
    """
    p = _check_path(path)
    if max_frames is not None and max_frames < 0:
        raise ValueError(f"max_frames: expected >= 0, got {max_frames}")
    if read_ahead < 0:  # checked here too: a still image ignores read_ahead but must not accept a bad one
        raise ValueError(f"read_ahead: expected >= 0, got {read_ahead}")
    if _is_image(p):
        rgb, _, _ = _read_image(p)

        def image_gen(stats: DecodeStats) -> Iterator[Frame]:
            in_range = (start_s is None or start_s <= 0.0) and (end_s is None or end_s > 0.0)
            if in_range and max_frames != 0:
                yield Frame(0, 0.0, rgb)

        return FrameIterator(image_gen)
    container = _open_container(p)
    try:
        stream = _video_stream(container, p)
    except BaseException:
        container.close()
        raise
    return FrameIterator(
        lambda stats: _video_gen(p, container, stream, start_s, end_s, max_frames, stats),
        read_ahead=read_ahead,
    )


def _video_gen(
    path: Path,
    container: Any,
    stream: Any,
    start_s: float | None,
    end_s: float | None,
    max_frames: int | None,
    stats: DecodeStats,
) -> Iterator[Frame]:
    tb: Fraction = stream.time_base
    stream.thread_type = "AUTO"
    rate = stream.average_rate or stream.guessed_rate
    frame_step_s = 1.0 / float(rate) if rate else 1.0 / 30.0
    seeking = start_s is not None and start_s > 0.0
    base_pts: int | None = None
    start_index = 0  # packets before start_s (= index of the first yielded frame)
    gop: list[Any] = []  # packets since the last keyframe, held only while seeking
    prev_ts: float | None = None
    next_index = 0
    yielded = 0
    fed = decoded = 0  # packets sent to the decoder / pictures it returned
    finished = False  # True when the range or max_frames ended the loop (not the file's end)

    def frames_from(packet: Any) -> Iterator[Frame]:
        nonlocal prev_ts, next_index, yielded, base_pts, fed, decoded
        fed += packet is not None
        for vf in _decode(stream, packet, stats):
            decoded += 1
            if vf.pts is not None:
                if base_pts is None:
                    base_pts = vf.pts
                ts = float((vf.pts - base_pts) * tb)
            else:
                stats.missing_timestamps_filled += 1
                ts = 0.0 if prev_ts is None else prev_ts + frame_step_s
            if start_s is not None and ts < start_s:
                continue
            if end_s is not None and ts >= end_s:
                raise _Done
            if prev_ts is not None and ts <= prev_ts:
                ts = prev_ts + DUPLICATE_TIMESTAMP_EPSILON_S
                stats.duplicate_timestamps_repaired += 1
            rgb, _ = _to_upright_rgb(vf)
            prev_ts = ts
            frame = Frame(next_index, ts, rgb)
            next_index += 1
            yielded += 1
            yield frame
            if max_frames is not None and yielded >= max_frames:
                raise _Done

    try:
        if max_frames == 0:
            return
        demux = container.demux(stream)
        try:
            for packet in demux:
                if packet.size == 0 or packet.is_discard:
                    continue
                pts = _packet_pts(packet)
                if base_pts is None and pts is not None:
                    base_pts = pts
                if seeking:
                    assert start_s is not None
                    pts_s = float((pts - base_pts) * tb) if pts is not None and base_pts is not None else None
                    if pts_s is not None and pts_s < start_s:
                        start_index += 1
                    if packet.is_keyframe and (pts_s is None or pts_s <= start_s):
                        gop = [packet]
                        continue
                    if not packet.is_keyframe:
                        gop.append(packet)
                        continue
                    # First keyframe after start_s: decode the GOP holding start_s, then go on.
                    seeking = False
                    next_index = start_index
                    held, gop = gop, []
                    for old in held:
                        yield from frames_from(old)
                yield from frames_from(packet)
        except av.error.FFmpegError as exc:
            stats.warnings.append(
                f"{path.name}: decoding stopped early, the file is damaged or truncated ({exc})"
            )
        if seeking:  # start_s lies in the last GOP
            next_index = start_index
            for old in gop:
                yield from frames_from(old)
            gop = []
        yield from frames_from(None)  # flush the decoder
    except _Done:
        finished = True
    finally:
        container.close()
    if not finished and decoded < fed:
        stats.warnings.append(
            f"{path.name}: {fed - decoded} of {fed} frames could not be decoded (damaged or truncated file)"
        )
    if stats.decode_errors:
        stats.warnings.append(f"{path.name}: {stats.decode_errors} packet(s) could not be decoded")


class _Done(Exception):
    """Internal: the requested range or frame count is complete."""


# ----------------------------------------------------------------------------------------- iterables


def _as_rgb(array: Any, i: int) -> np.ndarray:
    arr = np.asarray(array)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise UnreadableVideoError(
            f"frame {i}: expected an (H, W, 3) uint8 RGB array, got shape {arr.shape} dtype {arr.dtype}"
        )
    return np.ascontiguousarray(arr)


def frames_from_iterable(iterable: Iterable[Any], *, fps: float, start_s: float = 0.0) -> Iterator[Frame]:
    """Wrap raw RGB arrays (webcam, generator) or :class:`Frame` objects as a Frame stream.

    Arrays get ``timestamp_s = start_s + i / fps``; Frames keep their timestamps. Either way the output
    timestamps are strictly increasing (a non-increasing one is nudged by 1 microsecond) and indices
    count from 0. Lazy: one frame at a time.
    """
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps: expected a positive number, got {fps!r}")
    prev_ts: float | None = None
    for i, item in enumerate(iterable):
        if isinstance(item, Frame):
            rgb, ts = _as_rgb(item.rgb, i), float(item.timestamp_s)
        else:
            rgb, ts = _as_rgb(item, i), start_s + i / fps
        if prev_ts is not None and ts <= prev_ts:
            ts = prev_ts + DUPLICATE_TIMESTAMP_EPSILON_S
        prev_ts = ts
        yield Frame(i, ts, rgb)
