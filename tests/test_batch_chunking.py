"""posture_cam.batch.chunking: chunk plans, stitching, same-subject check; real chunked extraction."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from posture_cam.batch.chunking import (
    SAME_SUBJECT_MAX_BODY_FRACTION,
    first_mismatch,
    n_chunks_for,
    overlap_disagreement,
    owned,
    plan_chunks,
    stitch,
)
from posture_cam.landmarks import N_LANDMARKS
from posture_cam.sequence import PoseSequence

FPS = 30.0
#: Chunked landmarks must equal sequential ones within this many pixels once the overlap warm-up is
#: dropped (measured on side_walk_60fps.mp4: 0.0 px, MediaPipe re-converges within the overlap).
CHUNK_TOLERANCE_PX = 2.0


def _person(n: int, *, x0: float = 300.0, t0_s: float = 0.0, first_index: int = 0) -> PoseSequence:
    """A 200 px tall stick figure drifting right by 1 px per frame."""
    rng = np.random.default_rng(0)
    base = np.column_stack([rng.uniform(-40, 40, N_LANDMARKS), np.linspace(-100, 100, N_LANDMARKS)])
    xy = base[None] + np.array([x0, 240.0]) + np.arange(n)[:, None, None] * np.array([1.0, 0.0])
    seq = PoseSequence.from_image_points(xy, fps=FPS, frame_size=(640, 480), t0_s=t0_s)
    return seq.replace(frame_index=np.arange(first_index, first_index + n))


@pytest.mark.parametrize(
    ("duration", "threshold", "workers", "expected"),
    [
        (30.0, 60.0, 2, 1),
        (61.0, 60.0, 2, 2),
        (61.0, 60.0, 8, 8),
        (600.0, 60.0, 2, 10),
        (130.0, 60.0, 2, 4),  # 3 chunks would leave a core idle while the last one runs alone
        (27.1, 13.4, 2, 4),
        (600.0, 60.0, 3, 12),
        (600.0, 0.0, 2, 1),
    ],
)
def test_number_of_chunks(duration: float, threshold: float, workers: int, expected: int) -> None:
    assert n_chunks_for(duration, chunk_threshold_s=threshold, workers=workers) == expected


@pytest.mark.parametrize("n", [1, 2, 3, 7])
def test_chunks_own_every_frame_exactly_once(n: int) -> None:
    seq = _person(300)
    plans = plan_chunks(10.0, n, fps=FPS, overlap_s=1.0)
    assert plans[0].read_start_s == 0.0 and math.isinf(plans[-1].keep_until_s)
    for a, b in zip(plans, plans[1:], strict=False):
        assert a.keep_until_s == b.keep_from_s
        assert b.read_start_s == pytest.approx(max(0.0, b.keep_from_s - 1.0))
        # boundaries sit half a frame before a frame time: no rounding ambiguity
        assert (b.keep_from_s * FPS) % 1.0 == pytest.approx(0.5)
    owned_counts = [owned(seq, p).n_frames for p in plans]
    assert sum(owned_counts) == 300
    stitched = stitch([(p, seq) for p in plans])
    assert stitched == seq


@pytest.mark.parametrize(("duration_s", "n"), [(27.0, 2), (10.0, 3), (61.0, 4)])
def test_chunks_decode_equal_lengths(duration_s: float, n: int) -> None:
    """The warm-up is paid for: every chunk decodes the same span (within a frame), so none lags."""
    plans = plan_chunks(duration_s, n, fps=FPS, overlap_s=1.0)
    reads = [min(p.keep_until_s, duration_s) - p.read_start_s for p in plans]
    assert max(reads) - min(reads) <= 1.01 / FPS
    assert plans[1].keep_from_s > duration_s / n  # the first chunk owns more than an equal share


def test_stitch_drops_the_warm_up_and_keeps_source_timestamps() -> None:
    full = _person(90)
    plans = plan_chunks(3.0, 2, fps=FPS, overlap_s=0.5)
    parts = []
    for p in plans:
        start = int(round(p.read_start_s * FPS))
        stop = 90 if p.read_end_s is None else int(math.ceil(p.read_end_s * FPS - 1e-9))
        parts.append((p, full.slice(start, stop)))
    assert parts[1][1].n_frames > 45  # the second chunk was decoded with its overlap
    stitched = stitch(parts, meta={"chunks": 2})
    assert stitched == full
    assert np.all(np.diff(stitched.timestamps_s) > 0)
    assert stitched.meta["chunks"] == 2


def test_same_subject_check_detects_a_switch_to_another_person() -> None:
    plans = plan_chunks(3.0, 2, fps=FPS, overlap_s=0.5)
    first = _person(90).slice(0, 45)
    same = _person(90).slice(30, 90)
    other = _person(90, x0=420.0).slice(30, 90)  # 120 px to the side = 0.6 body sizes
    assert overlap_disagreement(first, same, plans[1]) == pytest.approx(0.0, abs=1e-6)
    assert overlap_disagreement(first, other, plans[1]) > SAME_SUBJECT_MAX_BODY_FRACTION
    assert first_mismatch([(plans[0], first), (plans[1], same)]) is None
    assert first_mismatch([(plans[0], first), (plans[1], other)]) == 1
    nobody = PoseSequence.empty(60, fps=FPS, frame_size=(640, 480), timestamps_s=same.timestamps_s)
    nobody = nobody.replace(frame_index=same.frame_index)
    assert overlap_disagreement(first, nobody, plans[1]) == math.inf  # cannot be matched -> redo
    assert (
        overlap_disagreement(
            PoseSequence.empty(45, fps=FPS, frame_size=(640, 480)).replace(
                frame_index=first.frame_index, timestamps_s=first.timestamps_s
            ),
            same,
            plans[1],
        )
        is None
    )


@pytest.mark.media
@pytest.mark.slow
def test_chunked_extraction_matches_sequential_after_the_warm_up(shared_data: Path) -> None:
    """Real MediaPipe on the first second of a real walk: 2 chunks, 0.3 s overlap, vs one pass."""
    from posture_cam.config import ExtractionConfig
    from posture_cam.extract import extract_sequence
    from posture_cam.model_bundle import resolve_model
    from posture_cam.video import iter_frames, probe

    path = shared_data / "walking" / "side_walk_60fps.mp4"
    info = probe(path)
    model = resolve_model("full").path
    span_s = 1.0

    def extract(start_s: float, end_s: float | None) -> PoseSequence:
        return extract_sequence(
            iter_frames(path, start_s=start_s, end_s=end_s),
            fps=info.fps,
            frame_size=(info.width, info.height),
            config=ExtractionConfig(people_detection_interval_s=0.0),  # as batch chunks run
            model_path=model,
        )

    sequential = extract(0.0, span_s)
    plans = plan_chunks(span_s, 2, fps=info.fps, overlap_s=0.3)
    parts = [
        (p, extract(p.read_start_s, p.read_end_s if p.read_end_s is not None else span_s)) for p in plans
    ]
    assert first_mismatch(parts) is None
    stitched = stitch(parts)
    np.testing.assert_array_equal(stitched.frame_index, sequential.frame_index)
    np.testing.assert_array_equal(stitched.timestamps_s, sequential.timestamps_s)
    np.testing.assert_array_equal(stitched.detected, sequential.detected)
    assert sequential.detection_rate > 0.9
    err_px = np.linalg.norm(stitched.image_px[..., :2] - sequential.image_px[..., :2], axis=2)
    assert np.nanmax(err_px) <= CHUNK_TOLERANCE_PX


@pytest.mark.media
def test_a_chunk_that_follows_another_person_is_redone_from_the_chunk_before(shared_data: Path) -> None:
    """Real clip in 2 chunks; chunk 1 is made to 'follow' someone 300 px away -> sequential redo."""
    from posture_cam.batch.inputs import Recording
    from posture_cam.batch.tasks import _extract_range, stitch_chunks
    from posture_cam.config import Config
    from posture_cam.video import probe

    path = shared_data / "standing" / "tpose_back_11frames.mp4"
    info = probe(path)
    rec = Recording(str(path), "tpose")
    cfg = Config()
    plans = plan_chunks(info.duration_s, 2, fps=info.fps, overlap_s=3 / info.fps)
    parts = [_extract_range(rec, cfg, p.read_start_s, p.read_end_s) for p in plans]
    assert parts[0].detected.all() and parts[1].detected.all()
    stitched, notes = stitch_chunks(rec, cfg, plans, parts)
    assert notes == []  # same person in the overlap: plain stitch
    shifted = parts[1].image_px.copy()
    shifted[..., 0] += 300.0
    other = parts[1].replace(image_px=shifted)
    repaired, notes = stitch_chunks(rec, cfg, plans, [parts[0], other])
    assert len(notes) == 1 and "different person" in notes[0]
    sequential = _extract_range(rec, cfg, 0.0, None)
    assert repaired == sequential
    err_px = np.linalg.norm(stitched.image_px[..., :2] - sequential.image_px[..., :2], axis=2)
    assert np.nanmax(err_px) <= CHUNK_TOLERANCE_PX
