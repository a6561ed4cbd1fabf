"""posture_cam.video: formats, real timestamps (VFR), rotation, frame-accurate seeking, bad input, memory.

Test clips are written with PyAV into tmp_path, from real frames (a shared_data video, downscaled)
where the content matters, and from small synthetic frames for the bad-input cases.
"""

from __future__ import annotations

import subprocess
import sys
import weakref
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posture_cam.config import ExtractionConfig
from posture_cam.errors import (
    EmptyVideoError,
    InputNotFoundError,
    InputTooLargeError,
    NotAFileError,
    UnreadableVideoError,
)
from posture_cam.video import Frame, VideoInfo, frames_from_iterable, iter_frames, probe

W, H = 160, 90  # even, so every codec accepts the rotated copies too


def write_clip(
    path: Path,
    frames: list[np.ndarray],
    *,
    codec: str = "libx264",
    fps: float = 30.0,
    pts_ms: list[int] | None = None,
    rotation_deg: int = 0,
    gop: int | None = None,
    fmt: str | None = None,
) -> Path:
    """Encode RGB frames with PyAV; ``pts_ms`` gives explicit (variable) timestamps in milliseconds."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        if gop is not None:
            s.codec_context.gop_size = gop
        if pts_ms is not None:
            s.codec_context.time_base = Fraction(1, 1000)
        if codec == "libx264":
            s.options = {"crf": "18", "preset": "ultrafast" if gop is None else "medium"}
        else:
            s.bit_rate = 2_000_000
        if rotation_deg:
            s.set_display_rotation(rotation_deg)
        for i, rgb in enumerate(frames):
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if pts_ms is not None:
                f.pts, f.time_base = pts_ms[i], Fraction(1, 1000)
            for pk in s.encode(f):
                c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    return path


def synthetic_frames(n: int, w: int = W, h: int = H) -> list[np.ndarray]:
    """A gradient with a moving white square (structure a codec keeps)."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = []
    for i in range(n):
        rgb = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], axis=2).astype(np.uint8)
        x0 = (i * 4) % (w - 20)
        rgb[10:30, x0 : x0 + 20] = 255
        out.append(rgb)
    return out


@pytest.fixture(scope="module")
def real_frames(shared_data: Path) -> list[np.ndarray]:
    """30 real frames (a man walking past a hedge), downscaled to 160x90."""
    out = []
    with av.open(str(shared_data / "walking" / "side_walk_60fps.mp4")) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i % 2 == 0:
                out.append(cv2.resize(f.to_ndarray(format="rgb24"), (W, H), interpolation=cv2.INTER_AREA))
            if len(out) == 30:
                break
    return out


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


# ------------------------------------------------------------------------------------------ formats

FORMATS = [
    ("mp4", "libx264", "h264"),
    ("mov", "libx264", "h264"),
    ("avi", "mpeg4", "mpeg4"),
    ("mkv", "libx264", "h264"),
    ("webm", "libvpx-vp9", "vp9"),
    ("webm", "libvpx", "vp8"),
]


@pytest.mark.media
@pytest.mark.parametrize(("ext", "encoder", "codec"), FORMATS, ids=[f"{e}-{c}" for e, _, c in FORMATS])
def test_every_container_and_codec_decodes_with_honest_timestamps(tmp_path, real_frames, ext, encoder, codec):
    path = write_clip(tmp_path / f"clip.{ext}", real_frames, codec=encoder, fps=30.0)
    info = probe(path)
    assert isinstance(info, VideoInfo)
    assert (info.codec, info.n_frames, info.width, info.height, info.is_image) == (codec, 30, W, H, False)
    assert info.fps == pytest.approx(30.0, rel=1e-3)
    assert info.duration_s == pytest.approx(1.0, abs=0.002)
    assert info.rotation_deg == 0 and info.warnings == ()
    assert info.size_bytes == path.stat().st_size and len(info.sha256) == 64
    frames = list(iter_frames(path))
    assert [f.index for f in frames] == list(range(30))
    np.testing.assert_allclose([f.timestamp_s for f in frames], np.arange(30) / 30.0, atol=1e-3)
    for got, src in zip(frames, real_frames, strict=True):
        assert got.rgb.shape == (H, W, 3) and got.rgb.dtype == np.uint8 and got.rgb.flags.c_contiguous
        assert mean_abs_diff(got.rgb, src) < 8.0


@pytest.mark.media
def test_shared_vp9_portrait_video(shared_data):
    path = shared_data / "standing" / "single_leg_balance_front_vp9.mp4"
    info = probe(path)
    got = (info.codec, info.width, info.height, info.n_frames, info.rotation_deg)
    assert got == ("vp9", 1080, 1920, 100, 0)
    assert info.fps == pytest.approx(60.0, rel=1e-3)
    frames = list(iter_frames(path, max_frames=3))
    assert len(frames) == 3 and frames[0].rgb.shape == (1920, 1080, 3)
    assert frames[2].timestamp_s == pytest.approx(2 / 60, abs=1e-4)


@pytest.mark.parametrize("ext,encoder", [("mp4", "libx264"), ("mkv", "libx264"), ("webm", "libvpx-vp9")])
def test_variable_frame_rate_timestamps_survive(tmp_path, ext, encoder):
    pts_ms = [0, 40, 80, 200, 210, 220, 500, 540, 1000, 1033]
    path = write_clip(tmp_path / f"vfr.{ext}", synthetic_frames(len(pts_ms)), codec=encoder, pts_ms=pts_ms)
    got = [f.timestamp_s for f in iter_frames(path)]
    np.testing.assert_allclose(got, np.array(pts_ms) / 1000.0, atol=1e-6)
    info = probe(path)
    assert info.n_frames == 10
    assert info.fps == pytest.approx(9 / 1.033, rel=1e-3)  # average over the real span, not a nominal 30


def test_still_images_png_and_jpeg_and_exif_orientation(tmp_path):
    from PIL import Image

    src = synthetic_frames(1, 120, 80)[0]
    Image.fromarray(src).save(tmp_path / "a.png")
    Image.fromarray(src).save(tmp_path / "a.jpg", quality=95)
    # EXIF orientation 6 = "rotate 90 deg clockwise to view": store the picture turned counter-clockwise.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.rot90(src, 1).copy()).save(tmp_path / "rot.png", exif=exif)
    for name, tol in [("a.png", 0.0), ("a.jpg", 4.0), ("rot.png", 0.0)]:
        info = probe(tmp_path / name)
        assert info.is_image and (info.width, info.height, info.n_frames) == (120, 80, 1)
        frames = list(iter_frames(tmp_path / name))
        assert len(frames) == 1 and frames[0].index == 0 and frames[0].timestamp_s == 0.0
        assert mean_abs_diff(frames[0].rgb, src) <= tol, name
    assert probe(tmp_path / "rot.png").rotation_deg == 270


# ------------------------------------------------------------------------------------------ rotation


@pytest.mark.media
@pytest.mark.parametrize("rotation_deg", [90, 180, 270, -90])
def test_rotation_metadata_gives_upright_frames(tmp_path, real_frames, rotation_deg):
    """A phone-style file: the coded picture is sideways and a display matrix says how to turn it."""
    k = (rotation_deg // 90) % 4
    plain = write_clip(tmp_path / "plain.mp4", real_frames[:8])
    coded = [np.ascontiguousarray(np.rot90(f, -k)) for f in real_frames[:8]]  # what the sensor stored
    rotated = write_clip(tmp_path / "rotated.mp4", coded, rotation_deg=rotation_deg)
    info = probe(rotated)
    assert info.rotation_deg == k * 90
    assert (info.width, info.height) == (W, H)  # upright size
    for a, b in zip(iter_frames(plain), iter_frames(rotated), strict=True):
        assert b.rgb.shape == (H, W, 3) and b.rgb.flags.c_contiguous
        assert mean_abs_diff(a.rgb, b.rgb) < 3.0
    # Independent check of the direction convention: OpenCV's own auto-rotation of the same file.
    cap = cv2.VideoCapture(str(rotated))
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = cap.read()
    cap.release()
    assert ok and bgr.shape == (H, W, 3)
    first = next(iter_frames(rotated))
    assert mean_abs_diff(first.rgb, bgr[:, :, ::-1]) < 3.0


# ------------------------------------------------------------------------------------------ seeking


@pytest.mark.parametrize("ext,encoder", [("mp4", "libx264"), ("webm", "libvpx-vp9")])
def test_start_s_seeking_matches_sequential_decode_frame_for_frame(tmp_path, ext, encoder):
    path = write_clip(tmp_path / f"gop.{ext}", synthetic_frames(60), codec=encoder, fps=30.0, gop=12)
    with av.open(str(path)) as c:  # the clip really has several keyframes (else seeking is trivial)
        assert sum(p.is_keyframe for p in c.demux(video=0) if p.size) >= 4
    seq = list(iter_frames(path))
    assert len(seq) == 60
    for start in [0.0, 0.4, 0.41, 1.2, 1.95]:
        part = list(iter_frames(path, start_s=start))
        expected = [f for f in seq if f.timestamp_s >= start]
        assert [f.index for f in part] == [f.index for f in expected], start
        assert [f.timestamp_s for f in part] == [f.timestamp_s for f in expected]
        for a, b in zip(part, expected, strict=True):
            assert np.array_equal(a.rgb, b.rgb)
    # Chunks [0,0.7) [0.7,1.4) [1.4,end) put back together are the whole video, without overlap.
    chunks = [list(iter_frames(path, start_s=s, end_s=e)) for s, e in [(None, 0.7), (0.7, 1.4), (1.4, None)]]
    joined = [f for c in chunks for f in c]
    assert [f.index for f in joined] == list(range(60))
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(joined, seq, strict=True))
    assert [f.index for f in iter_frames(path, start_s=0.5, max_frames=4)] == [15, 16, 17, 18]


# ------------------------------------------------------------------------------------------ bad input


def _garbage(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _zero_frame_mp4(tmp_path: Path) -> Path:
    p = tmp_path / "zero.mp4"
    c = av.open(str(p), "w")
    s = c.add_stream("libx264", rate=30)
    s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    c.start_encoding()
    c.close()
    return p


def _audio_only(tmp_path: Path) -> Path:
    p = tmp_path / "speech.mp4"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=44100)
        for i in range(5):
            fr = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            fr.sample_rate, fr.pts = 44100, i * 1024
            for pk in s.encode(fr):
                c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    return p


def _unknown_codec(tmp_path: Path) -> Path:
    src = write_clip(tmp_path / "m4.mkv", synthetic_frames(3), codec="mpeg4")
    data = src.read_bytes()
    assert data.count(b"V_MPEG4/ISO/ASP") == 1
    return _garbage(tmp_path, "odd_codec.mkv", data.replace(b"V_MPEG4/ISO/ASP", b"V_QQQQQ/ISO/ASP"))


def _truncated_no_index(tmp_path: Path) -> Path:
    data = write_clip(tmp_path / "full.mp4", synthetic_frames(30)).read_bytes()  # moov at the end
    return _garbage(tmp_path, "cut.mp4", data[: len(data) // 2])


def _faststart_clip(path: Path, frames: list[np.ndarray]) -> Path:
    """An H.264 MP4 with its index first ("faststart"), so that a truncated copy still opens."""
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"preset": "ultrafast"}
        for f in frames:
            for pk in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(pk)
        for pk in s.encode(None):
            c.mux(pk)
    return path


def _truncated_all_data(tmp_path: Path) -> Path:
    data = _faststart_clip(tmp_path / "fs.mp4", synthetic_frames(30)).read_bytes()
    return _garbage(tmp_path, "cut_header_only.mp4", data[: data.find(b"mdat") + 4])


BAD_INPUTS = {
    "missing": (lambda t: t / "nope.mp4", InputNotFoundError, "not found"),
    "directory": (lambda t: t, NotAFileError, "directory"),
    "text_renamed_mp4": (
        lambda t: _garbage(t, "notes.mp4", b"patient notes\nline two\n" * 50),
        UnreadableVideoError,
        "text file",
    ),
    "empty_file": (lambda t: _garbage(t, "empty.mp4", b""), UnreadableVideoError, "empty"),
    "garbage_binary": (
        lambda t: _garbage(
            t, "noise.mov", bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))
        ),
        UnreadableVideoError,
        "cannot be read",
    ),
    "pdf_renamed": (
        lambda t: _garbage(t, "scan.mkv", b"%PDF-1.4\n" + b"\x00\x01" * 500),
        UnreadableVideoError,
        "PDF",
    ),
    "text_renamed_jpg": (
        lambda t: _garbage(t, "photo.jpg", b"hello world\n" * 20),
        UnreadableVideoError,
        "text file",
    ),
    "unknown_codec": (_unknown_codec, UnreadableVideoError, "codec"),
    "zero_frames": (_zero_frame_mp4, EmptyVideoError, "no video"),
    "audio_only": (_audio_only, EmptyVideoError, "audio"),
    "truncated_index_lost": (_truncated_no_index, UnreadableVideoError, "truncated"),
    "truncated_no_frame_data": (_truncated_all_data, UnreadableVideoError, "truncated"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_gives_specific_one_line_error(tmp_path, case):
    make, cls, words = BAD_INPUTS[case]
    path = make(tmp_path)
    for call in (probe, lambda p: list(iter_frames(p))):
        with pytest.raises(cls) as exc:
            call(path)
        assert type(exc.value) is cls
        msg = str(exc.value)
        assert "\n" not in msg and words.lower() in msg.lower(), msg
        assert path.name in msg or case == "directory"
        if case in ("truncated_index_lost", "truncated_no_frame_data", "unknown_codec", "zero_frames"):
            break  # iter_frames opens lazily for these; probe is the gate the pipeline calls first


def test_truncated_video_decodes_what_it_can_and_warns(tmp_path):
    frames = synthetic_frames(60)
    data = _faststart_clip(tmp_path / "fs.mp4", frames).read_bytes()
    cut = _garbage(tmp_path, "cut.mp4", data[: int(len(data) * 0.6)])
    info = probe(cut)
    assert 0 < info.n_frames < 60
    assert any("truncated" in w for w in info.warnings)
    it = iter_frames(cut)
    got = list(it)
    assert 0 < len(got) <= info.n_frames
    assert mean_abs_diff(got[0].rgb, frames[0]) < 8


def test_size_and_duration_limits(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", synthetic_frames(30))
    with pytest.raises(InputTooLargeError, match="max_file_size_mb"):
        probe(path, ExtractionConfig(max_file_size_mb=0.001))
    with pytest.raises(InputTooLargeError, match="max_duration_s"):
        probe(path, ExtractionConfig(max_duration_s=0.5))
    assert probe(path, ExtractionConfig(max_duration_s=2.0)).n_frames == 30


# ------------------------------------------------------------------------------------------ iterables


def test_frames_from_iterable_arrays_and_frames():
    arrays = synthetic_frames(5, 32, 24)
    frames = list(frames_from_iterable(iter(arrays), fps=25.0, start_s=1.0))
    assert [f.index for f in frames] == list(range(5))
    np.testing.assert_allclose([f.timestamp_s for f in frames], 1.0 + np.arange(5) / 25.0)
    gray = np.zeros((24, 32), np.uint8)
    assert next(frames_from_iterable([gray], fps=10)).rgb.shape == (24, 32, 3)
    dup = [Frame(0, 0.5, arrays[0]), Frame(1, 0.5, arrays[1]), Frame(2, 0.4, arrays[2])]
    ts = [f.timestamp_s for f in frames_from_iterable(dup, fps=30)]
    assert ts[0] == 0.5 and np.all(np.diff(ts) > 0) and ts[2] - 0.5 < 1e-5
    with pytest.raises(UnreadableVideoError, match="frame 1"):
        list(frames_from_iterable([arrays[0], np.zeros((4, 4, 3), np.float32)], fps=10))
    with pytest.raises(ValueError, match="fps"):
        list(frames_from_iterable(arrays, fps=0))


# ------------------------------------------------------------------------------------------ memory


def test_iter_frames_keeps_no_reference_to_earlier_frames(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", synthetic_frames(40))
    refs = []
    for frame in iter_frames(path):
        refs.append(weakref.ref(frame.rgb))
    del frame
    assert len(refs) == 40
    assert sum(r() is not None for r in refs) == 0


_MEM_SCRIPT = """
import resource, sys
from posture_cam.video import iter_frames
n = sum(1 for _ in iter_frames(sys.argv[1]))
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_video_length(tmp_path):
    """Decode 20 vs 240 frames of 640x480 in fresh processes: a leaked frame list would add ~200 MB."""
    frames = synthetic_frames(20, 640, 480)
    short = write_clip(tmp_path / "short.mp4", frames)
    long = write_clip(tmp_path / "long.mp4", frames * 12)
    peaks = {}
    for p in (short, long):
        out = subprocess.run(
            [sys.executable, "-c", _MEM_SCRIPT, str(p)], capture_output=True, text=True, check=True
        ).stdout.split()
        peaks[p.name] = (int(out[0]), int(out[1]) / 1024)  # frames, MiB
    assert peaks["short.mp4"][0] == 20 and peaks["long.mp4"][0] == 240
    assert peaks["long.mp4"][1] - peaks["short.mp4"][1] < 25.0, peaks


@pytest.mark.media
@pytest.mark.slow
def test_rotated_phone_video_gives_upright_landmarks(tmp_path, shared_data):
    """Full path: rotation metadata -> upright frames -> pose model sees the head above the hips."""
    extract = pytest.importorskip("posture_cam.extract")
    from posture_cam.landmarks import Landmark

    src = []
    with av.open(str(shared_data / "standing" / "tpose_front_oblique_11frames.mp4")) as c:
        for f in c.decode(video=0):
            src.append(cv2.resize(f.to_ndarray(format="rgb24"), (270, 480), interpolation=cv2.INTER_AREA))
    coded = [np.ascontiguousarray(np.rot90(f, -1)) for f in src]  # stored sideways, 480x270
    path = write_clip(tmp_path / "phone.mp4", coded, fps=60.0, rotation_deg=90)
    info = probe(path)
    assert (info.width, info.height, info.rotation_deg) == (270, 480, 90)
    seq = extract.extract_sequence(iter_frames(path), fps=info.fps, frame_size=(info.width, info.height))
    det = seq.detected
    assert det.sum() >= 8
    nose_y = seq.image_px[det, Landmark.NOSE, 1]
    hip_y = (seq.image_px[det, Landmark.LEFT_HIP, 1] + seq.image_px[det, Landmark.RIGHT_HIP, 1]) / 2
    ankle_y = (seq.image_px[det, Landmark.LEFT_ANKLE, 1] + seq.image_px[det, Landmark.RIGHT_ANKLE, 1]) / 2
    assert np.all(nose_y < hip_y) and np.all(hip_y < ankle_y)  # y grows downwards
    # Body axis is vertical in the upright frame (a sideways frame would make it horizontal).
    xs = seq.image_px[det, :, 0]
    shoulder_x = (xs[:, Landmark.LEFT_SHOULDER] + xs[:, Landmark.RIGHT_SHOULDER]) / 2
    hip_x = (xs[:, Landmark.LEFT_HIP] + xs[:, Landmark.RIGHT_HIP]) / 2
    assert np.all(np.abs(shoulder_x - hip_x) < 0.5 * (hip_y - nose_y))


def test_probe_reuses_a_hash_the_caller_already_has(tmp_path, real_frames):
    """A batch hashes each input to decide what to skip; probe must not read a big file twice."""
    from posture_cam.video import sha256_file

    path = write_clip(tmp_path / "clip.mp4", real_frames[:5], codec="libx264", fps=30.0)
    digest = sha256_file(path)
    assert probe(path).sha256 == digest
    assert probe(path, sha256=digest).sha256 == digest
    assert probe(path, sha256="f" * 64).sha256 == "f" * 64  # taken as given, not recomputed


# ------------------------------------------------------------------------------------------ read-ahead


def test_read_ahead_gives_the_same_frames_timestamps_and_warnings(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", synthetic_frames(40))
    plain = list(iter_frames(path))
    it = iter_frames(path, read_ahead=3)
    ahead = list(it)
    assert [f.index for f in ahead] == [f.index for f in plain] == list(range(40))
    assert [f.timestamp_s for f in ahead] == [f.timestamp_s for f in plain]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(ahead, plain, strict=True))
    assert it.stats.frames_yielded == 40 and it.stats.warnings == []
    assert next(it, None) is None  # stays exhausted
    # a range, and a damaged file: the same frames and the same warning as without read-ahead
    part = [f.index for f in iter_frames(path, start_s=0.5, end_s=1.0, read_ahead=2)]
    assert part == [f.index for f in iter_frames(path, start_s=0.5, end_s=1.0)] and part
    data = _faststart_clip(tmp_path / "fs.mp4", synthetic_frames(60)).read_bytes()
    cut = _garbage(tmp_path, "cut.mp4", data[: int(len(data) * 0.6)])
    a, b = iter_frames(cut), iter_frames(cut, read_ahead=4)
    assert 0 < len([f.index for f in a]) < 60
    assert [f.index for f in iter_frames(cut)] == [f.index for f in b]
    assert a.stats.warnings == b.stats.warnings


def test_read_ahead_stops_its_thread_when_closed_or_dropped(tmp_path):
    import threading
    import time

    def decoders() -> int:
        return sum(t.name == "posture_cam-decode" and t.is_alive() for t in threading.enumerate())

    before = decoders()
    path = write_clip(tmp_path / "clip.mp4", synthetic_frames(60))
    it = iter_frames(path, read_ahead=2)
    assert next(it).index == 0
    assert decoders() == before + 1
    it.close()  # the consumer gave up (an error in the analysis): the decoder must not linger
    assert decoders() == before
    assert next(it, None) is None
    it = iter_frames(path, read_ahead=2)
    next(it)
    del it  # dropped without close()
    deadline = time.monotonic() + 5.0
    while decoders() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert decoders() == before
    with pytest.raises(ValueError, match="read_ahead"):
        iter_frames(path, read_ahead=-1)


def test_read_ahead_raises_the_decoders_error_in_the_consumer():
    from posture_cam.video import FrameIterator

    def gen(stats):
        yield Frame(0, 0.0, np.zeros((4, 4, 3), np.uint8))
        raise UnreadableVideoError("broken at frame 1")

    it = FrameIterator(gen, read_ahead=2)
    assert next(it).index == 0
    with pytest.raises(UnreadableVideoError, match="frame 1"):
        next(it)


def test_read_ahead_on_a_still_image_gives_its_frame_and_refuses_a_negative_depth(tmp_path):
    """A still image has nothing to read ahead, but the argument is checked the same way as for a
    video (a negative depth was silently accepted for an image and refused for a video)."""
    from PIL import Image

    src = synthetic_frames(1, 120, 80)[0]
    Image.fromarray(src).save(tmp_path / "a.png")
    frames = list(iter_frames(tmp_path / "a.png", read_ahead=2))
    assert len(frames) == 1 and np.array_equal(frames[0].rgb, src)
    with pytest.raises(ValueError, match="read_ahead"):
        iter_frames(tmp_path / "a.png", read_ahead=-1)
