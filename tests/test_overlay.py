"""posture_cam.overlay: skeleton drawing, face blurring, browser-playable atomic H.264 writer."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from posture_cam.errors import OutputError
from posture_cam.landmarks import Landmark
from posture_cam.overlay import LEFT_RGB, RIGHT_RGB, H264Writer, blur_faces, draw_pose, face_box
from posture_cam.video import iter_frames


def standing_pose(w: int = 200, h: int = 300) -> np.ndarray:
    """A front-view figure: subject's left on the image right (x grows to the image right)."""
    lm = np.full((33, 3), np.nan)
    cx = w / 2
    pts = {
        Landmark.NOSE: (cx, 40),
        Landmark.LEFT_EYE: (cx + 6, 35),
        Landmark.RIGHT_EYE: (cx - 6, 35),
        Landmark.LEFT_EAR: (cx + 12, 38),
        Landmark.RIGHT_EAR: (cx - 12, 38),
        Landmark.MOUTH_LEFT: (cx + 4, 50),
        Landmark.MOUTH_RIGHT: (cx - 4, 50),
        Landmark.LEFT_SHOULDER: (cx + 30, 80),
        Landmark.RIGHT_SHOULDER: (cx - 30, 80),
        Landmark.LEFT_HIP: (cx + 20, 160),
        Landmark.RIGHT_HIP: (cx - 20, 160),
        Landmark.LEFT_KNEE: (cx + 22, 220),
        Landmark.RIGHT_KNEE: (cx - 22, 220),
        Landmark.LEFT_ANKLE: (cx + 22, 280),
        Landmark.RIGHT_ANKLE: (cx - 22, 280),
    }
    for k, (x, y) in pts.items():
        lm[k] = (x, y, 0.0)
    return lm


def visibility_of(lm: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(lm[:, 0]), 0.9, 0.0)


def has_colour(out: np.ndarray, y: int, x: int, colour: tuple[int, int, int]) -> bool:
    """The brightest pixel near (x, y) has ``colour``'s hue (anti-aliasing dims the line a little)."""
    patch = out[y - 2 : y + 3, x - 2 : x + 3].reshape(-1, 3).astype(float)
    px = patch[patch.sum(axis=1).argmax()]
    return px.max() > 150 and bool(np.allclose(px / px.max(), np.array(colour) / max(colour), atol=0.08))


def test_draw_pose_colours_sides_and_leaves_input_untouched():
    rgb = np.zeros((300, 200, 3), np.uint8)
    lm = standing_pose()
    out = draw_pose(rgb, lm, visibility_of(lm))
    assert rgb.max() == 0 and out.shape == rgb.shape and out is not rgb
    # Middle of the left shin (image right) is orange, of the right shin blue.
    assert has_colour(out, 250, 122, LEFT_RGB) and not has_colour(out, 250, 122, RIGHT_RGB)
    assert has_colour(out, 250, 78, RIGHT_RGB)


def test_draw_pose_skips_invisible_and_nan_landmarks():
    rgb = np.zeros((300, 200, 3), np.uint8)
    lm = standing_pose()
    assert draw_pose(rgb, lm, np.zeros(33)).max() == 0
    vis = visibility_of(lm)
    vis[Landmark.LEFT_KNEE] = 0.2
    out = draw_pose(rgb, lm, vis)
    assert out[250, 118:127].max() == 0 and has_colour(out, 250, 78, RIGHT_RGB)
    assert draw_pose(rgb, np.full((33, 3), np.nan), np.ones(33)).max() == 0


def test_draw_pose_label_panel_and_shape_errors():
    rgb = np.full((300, 200, 3), 200, np.uint8)
    lm = standing_pose()
    out = draw_pose(rgb, lm, np.zeros(33), labels={"trunk lean": "+3.1 deg", "knee L": "12 deg"})
    assert out[:20, :60].mean() < 150  # panel darkens the top-left corner
    assert np.array_equal(out[200:, 150:], rgb[200:, 150:])
    with pytest.raises(ValueError, match="landmarks_px"):
        draw_pose(rgb, lm[:10], np.zeros(10))


def test_blur_faces_blurs_the_face_box_only():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)
    lm = standing_pose()
    box = face_box(lm, visibility_of(lm), (200, 300))
    assert box is not None
    x0, y0, x1, y1 = box
    assert x0 <= 100 - 12 and x1 >= 100 + 12 and y0 <= 35 and y1 >= 50  # covers eyes, ears, mouth
    out = blur_faces(rgb, lm, visibility_of(lm))
    assert out[y0:y1, x0:x1].std() < 0.3 * rgb[y0:y1, x0:x1].std()
    mask = np.ones(rgb.shape[:2], bool)
    mask[y0:y1, x0:x1] = False
    assert np.array_equal(out[mask], rgb[mask])
    hidden = visibility_of(lm)
    hidden[: Landmark.MOUTH_RIGHT + 1] = 0.0
    assert np.array_equal(blur_faces(rgb, lm, hidden), rgb)


def _decode_info(path: Path) -> tuple[str, str, int, int, list[float]]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        ts = [float(f.pts * f.time_base) for f in c.decode(s)]
        return s.codec_context.name, s.codec_context.pix_fmt, s.width, s.height, ts


@pytest.mark.parametrize("size", [(64, 48), (65, 49)])
def test_h264_writer_output_is_browser_playable(tmp_path, size):
    w, h = size
    out = tmp_path / "overlay.mp4"
    with H264Writer(out, 25.0, size) as wr:
        for i in range(12):
            wr.write(np.full((h, w, 3), i * 20, np.uint8))
    codec, pix_fmt, ew, eh, ts = _decode_info(out)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert (ew, eh) == (w + w % 2, h + h % 2)
    np.testing.assert_allclose(ts, np.arange(12) / 25.0, atol=1e-4)
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart: index first, streams in a browser
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.mp4"]  # no temp file left


def test_h264_writer_keeps_variable_timestamps(tmp_path):
    out = tmp_path / "vfr.mp4"
    stamps = [0.0, 0.04, 0.2, 0.21, 0.5]
    with H264Writer(out, 30.0, (64, 48)) as wr:
        for t in stamps:
            wr.write(np.zeros((48, 64, 3), np.uint8), timestamp_s=t)
    np.testing.assert_allclose([f.timestamp_s for f in iter_frames(out)], stamps, atol=1e-4)


def test_h264_writer_leaves_nothing_on_error(tmp_path):
    out = tmp_path / "overlay.mp4"
    with pytest.raises(ValueError, match="expected"):
        with H264Writer(out, 30.0, (64, 48)) as wr:
            wr.write(np.zeros((48, 64, 3), np.uint8))
            wr.write(np.zeros((10, 10, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="no frames"):
        with H264Writer(out, 30.0, (64, 48)):
            pass
    assert list(tmp_path.iterdir()) == []


def test_h264_writer_unwritable_location(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        H264Writer(blocker / "overlay.mp4", 30.0, (64, 48))


@pytest.mark.media
def test_annotated_real_video_round_trip(tmp_path, shared_data):
    frames = list(iter_frames(shared_data / "standing" / "tpose_back_11frames.mp4"))
    h, w = frames[0].rgb.shape[:2]
    lm = standing_pose(w, h)
    out = tmp_path / "annotated.mp4"
    with H264Writer(out, 60.0, (w, h)) as wr:
        for f in frames:
            drawn = draw_pose(f.rgb, lm, visibility_of(lm))
            wr.write(blur_faces(drawn, lm, visibility_of(lm)), f.timestamp_s)
    codec, _, ew, eh, ts = _decode_info(out)
    assert codec == "h264" and (ew, eh) == (w, h) and len(ts) == len(frames)
