"""PoseLandmarkerAdapter: timestamps, input checks, pixel conversion, lifecycle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture_cam.errors import InvalidFrameError, ModelError
from posture_cam.model_bundle import ensure_model
from posture_cam.pose_adapter import PoseLandmarkerAdapter


@pytest.fixture(scope="module")
def model() -> Path:
    return ensure_model("full")


def test_video_timestamps_are_made_strictly_increasing(model: Path) -> None:
    blank = np.zeros((64, 96, 3), np.uint8)
    with PoseLandmarkerAdapter(model, running_mode="video") as ad:
        sent = []
        for ts in (0.0, 16.4, 16.6, 16.6, 10.0, 50.0):  # VFR rounding, duplicate, backwards
            sent.append(ad.next_timestamp_ms(ts))
            assert ad.detect(blank, ts) == []
        assert sent == [0, 16, 17, 18, 19, 50]
        assert ad.timestamp_adjustments_ == 2  # the duplicate and the backwards step
        with pytest.raises(ValueError, match="timestamp_ms is required"):
            ad.detect(blank)


def test_live_mode_uses_a_clock_when_no_timestamp(model: Path) -> None:
    blank = np.zeros((32, 32, 3), np.uint8)
    with PoseLandmarkerAdapter(model, running_mode="live") as ad:
        for _ in range(3):
            ad.detect(blank)
        assert ad.frames_ == 3


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((10, 10), np.uint8), "expected an \\(H, W, 3\\) RGB image"),
        (np.zeros((10, 10, 4), np.uint8), "expected an \\(H, W, 3\\) RGB image"),
        (np.zeros((10, 10, 3), np.float32), "expected dtype uint8"),
    ],
)
def test_bad_frames_are_rejected(model: Path, frame: np.ndarray, message: str) -> None:
    with (
        PoseLandmarkerAdapter(model, running_mode="image") as ad,
        pytest.raises(InvalidFrameError, match=message),
    ):
        ad.detect(frame)


def test_bad_arguments(model: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="pose model file not found"):
        PoseLandmarkerAdapter(tmp_path / "none.task")
    broken = tmp_path / "broken.task"
    broken.write_bytes(b"garbage")
    with pytest.raises(ModelError, match="cannot load pose model"):
        PoseLandmarkerAdapter(broken)
    with pytest.raises(ValueError, match="running_mode"):
        PoseLandmarkerAdapter(model, running_mode="stream")
    with pytest.raises(ValueError, match="min_tracking_confidence"):
        PoseLandmarkerAdapter(model, min_tracking_confidence=1.5)


def test_closed_adapter_refuses_work(model: Path) -> None:
    ad = PoseLandmarkerAdapter(model, running_mode="image")
    ad.close()
    ad.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        ad.detect(np.zeros((8, 8, 3), np.uint8))


@pytest.mark.media
def test_pixels_world_and_mask_on_a_real_image(model: Path, shared_data: Path) -> None:
    import cv2

    rgb = cv2.cvtColor(cv2.imread(str(shared_data / "keypoints" / "000000000785.jpg")), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    with PoseLandmarkerAdapter(model, running_mode="image", output_segmentation_masks=True) as ad:
        (cand,) = ad.detect(rgb)
    # the skier's box in the COCO annotation is x 281-499, y 45-391 (pixels)
    x0, y0, x1, y1 = cand.bbox_px
    assert 250 < x0 < x1 < 530 and 20 < y0 < y1 < 420
    assert np.all((cand.visibility >= 0) & (cand.visibility <= 1))
    assert np.nanmax(np.abs(cand.world_m)) < 1.5  # metres around the hip centre
    assert cand.mask is not None and cand.mask.shape == (h, w)
    hx, hy = cand.hip_center_px.astype(int)
    assert cand.mask[hy, hx] > 0.5 and cand.mask[5, 5] < 0.5


def test_tasks_api_loads_without_legacy_solutions_and_mediapipe_stays_whole() -> None:
    """The adapter imports only the Tasks API (no mediapipe.solutions -> matplotlib, ~1-2 s of start-up);
    the version is known without the full import, and a later plain ``import mediapipe`` still has it all."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from posture_cam.pose_adapter import import_tasks_api\n"
        "import_tasks_api()\n"
        "import mediapipe\n"
        "assert mediapipe.__version__\n"
        "assert 'matplotlib' not in sys.modules and 'mediapipe.python.solutions' not in sys.modules\n"
        "assert mediapipe.solutions.pose.PoseLandmark.NOSE == 0\n"
        "assert mediapipe.tasks.vision.PoseLandmarker and mediapipe.Image\n"
        "print('ok')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]


def test_stderr_silencing_is_restored_when_two_landmarkers_start_at_once() -> None:
    """The multi-person pass starts beside the one-person landmarker on another thread; whatever the
    order in which they leave the silenced start-up, fd 2 must end up where it was (it once stayed on
    /dev/null, and `analyze` on a full disk exited 6 without its error message)."""
    import os
    import threading

    from posture_cam.pose_adapter import _native_stderr_silenced

    before = os.fstat(2)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    inside: list[bool] = []

    def first() -> None:
        with _native_stderr_silenced():
            a_in.set()
            b_in.wait(5)
        a_out.set()  # leaves first, while the second is still inside

    def second() -> None:
        a_in.wait(5)
        with _native_stderr_silenced():
            b_in.set()
            a_out.wait(5)
            now = os.fstat(2)
            inside.append((now.st_dev, now.st_ino) != (before.st_dev, before.st_ino))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    after = os.fstat(2)
    assert inside == [True], "still silenced while the second landmarker starts"
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)


def test_inference_threads_change_speed_not_landmarks() -> None:
    """XNNPACK with 1 or 2 threads (the batch worker and the single analysis) gives the same landmarks."""
    from pathlib import Path

    from posture_cam.model_bundle import ensure_model
    from posture_cam.pose_adapter import PoseLandmarkerAdapter
    from posture_cam.video import iter_frames

    video = Path(__file__).resolve().parents[1] / "sample_videos" / "standing_neutral_front.mp4"
    frames = [f.rgb for f, _ in zip(iter_frames(video), range(12), strict=False)]
    out = {}
    for threads in (1, 2):
        with PoseLandmarkerAdapter(ensure_model("full"), inference_threads=threads) as lm:
            assert lm.inference_threads == threads
            out[threads] = np.array([lm.detect(f, i * 66.7)[0].image_px for i, f in enumerate(frames)])
    np.testing.assert_array_equal(out[1], out[2])
    with pytest.raises(ValueError, match="inference_threads"):
        PoseLandmarkerAdapter(ensure_model("full"), inference_threads=0)
