"""Unit tests for the PoseSequence container: validation messages, NaN handling, round trips."""

from __future__ import annotations

import numpy as np
import pytest

from posture_cam.errors import InvalidSequenceError
from posture_cam.landmarks import MIRROR_PAIRS, N_LANDMARKS, Landmark, mirror_index
from posture_cam.sequence import PoseSequence, atomic_path


def _random_seq(t: int = 12, seed: int = 0, missing: tuple[int, ...] = (3, 4)) -> PoseSequence:
    rng = np.random.default_rng(seed)
    img = rng.uniform(0, 640, (t, N_LANDMARKS, 3)).astype(np.float32)
    world = rng.normal(0, 0.5, (t, N_LANDMARKS, 3)).astype(np.float32)
    vis = rng.uniform(0, 1, (t, N_LANDMARKS)).astype(np.float32)
    pres = rng.uniform(0, 1, (t, N_LANDMARKS)).astype(np.float32)
    for i in missing:
        img[i] = world[i] = np.nan
        vis[i] = pres[i] = np.nan
    ts = np.cumsum(rng.uniform(0.02, 0.05, t))  # variable frame rate
    return PoseSequence(
        img,
        world,
        vis,
        pres,
        ts,
        30.0,
        (640, 480),
        people_count=np.ones(t, np.int16),
        meta={"source": "unit-test"},
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"image_px": np.zeros((5, 32, 3))}, "image_px: expected shape (T, 33, 3), got (5, 32, 3)"),
        ({"world_m": np.zeros((4, 33, 3))}, "world_m: expected shape (5, 33, 3), got (4, 33, 3)"),
        ({"visibility": np.zeros((5, 33, 1))}, "visibility: expected shape (5, 33)"),
        ({"timestamps_s": np.array([0, 1, 1, 2, 3.0])}, "timestamps_s: expected strictly increasing"),
        ({"timestamps_s": np.array([0, 1, np.nan, 2, 3.0])}, "timestamps_s: expected finite values"),
        ({"fps": 0.0}, "fps: expected a positive number"),
        ({"frame_size": (0, 480)}, "frame_size: expected positive"),
        ({"visibility": np.full((5, 33), 1.5)}, "visibility: expected values in [0, 1]"),
    ],
)
def test_validation_messages(change: dict, message: str) -> None:
    base = dict(
        image_px=np.zeros((5, 33, 3)),
        world_m=np.zeros((5, 33, 3)),
        visibility=np.ones((5, 33)),
        presence=np.ones((5, 33)),
        timestamps_s=np.arange(5) / 30,
        fps=30.0,
        frame_size=(640, 480),
    )
    base.update(change)
    with pytest.raises(InvalidSequenceError) as exc:
        PoseSequence(**base)
    assert message in str(exc.value)


def test_arrays_are_read_only_and_typed() -> None:
    seq = _random_seq()
    assert seq.image_px.dtype == np.float32 and seq.timestamps_s.dtype == np.float64
    with pytest.raises(ValueError):
        seq.image_px[0, 0, 0] = 1.0


def test_nan_rows_mark_missing_frames() -> None:
    seq = _random_seq(missing=(3, 4))
    assert seq.detected.tolist() == [i not in (3, 4) for i in range(12)]
    assert seq.detection_rate == pytest.approx(10 / 12)
    assert np.isnan(seq.xy(Landmark.LEFT_HIP)[3]).all()
    empty = PoseSequence.empty(7, fps=25, frame_size=(320, 240))
    assert empty.detection_rate == 0.0 and empty.people_count.sum() == 0 and empty.n_frames == 7


def test_parquet_round_trip_is_lossless(tmp_path) -> None:
    seq = _random_seq()
    path = seq.save(tmp_path / "landmarks.parquet")
    assert path.with_suffix(".json").is_file()
    back = PoseSequence.load(path)
    assert back == seq
    assert back.meta["source"] == "unit-test" and back.fps == 30.0 and back.frame_size == (640, 480)
    assert not list(tmp_path.glob(".*.tmp"))  # no temp files left behind


def test_load_rejects_foreign_parquet(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "x.parquet")
    with pytest.raises(InvalidSequenceError, match="not a posture_cam landmark file"):
        PoseSequence.load(tmp_path / "x.parquet")


def test_csv_has_documented_columns_and_blank_missing(tmp_path) -> None:
    seq = _random_seq(t=5, missing=(1,))
    path = seq.to_csv(tmp_path / "l.csv")
    lines = path.read_text().splitlines()
    assert lines[0].split(",") == PoseSequence.columns()
    assert len(lines) == 6
    row1 = lines[2].split(",")
    assert row1[0] == "1" and row1[3] == ""  # frame index kept, landmark cells empty
    assert float(lines[1].split(",")[3]) == pytest.approx(float(seq.image_px[0, 0, 0]), rel=1e-5)


def test_slice_concat_round_trip() -> None:
    seq = _random_seq()
    assert PoseSequence.concat([seq.slice(0, 5), seq.slice(5)]) == seq
    with pytest.raises(InvalidSequenceError, match="strictly increasing"):
        PoseSequence.concat([seq.slice(5), seq.slice(0, 5)])


def test_mirror_twice_is_identity_and_swaps_sides() -> None:
    seq = _random_seq()
    m = seq.mirrored()
    back = m.mirrored()
    np.testing.assert_allclose(back.image_px, seq.image_px, atol=1e-3)  # float32 640 - (640 - x)
    np.testing.assert_array_equal(back.visibility, seq.visibility)
    np.testing.assert_allclose(
        m.xy(Landmark.RIGHT_HIP)[:, 0], 640 - seq.xy(Landmark.LEFT_HIP)[:, 0], rtol=1e-6
    )
    perm = mirror_index()
    assert sorted(perm) == list(range(N_LANDMARKS))
    assert all(perm[a] == b and perm[b] == a for a, b in MIRROR_PAIRS)


def test_from_image_points_marks_nan_points_missing() -> None:
    xy = np.full((3, 33, 2), 100.0)
    xy[1, 5] = np.nan
    seq = PoseSequence.from_image_points(xy, fps=30, frame_size=(200, 200))
    assert np.isnan(seq.visibility[1, 5]) and seq.visibility[0, 5] == 1.0
    assert np.isnan(seq.world_m).all()


def test_atomic_path_leaves_nothing_on_error(tmp_path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_gives_normal_permissions(tmp_path) -> None:
    import os
    import stat

    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "f.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644


def test_pelvis_outline_column_round_trips_and_is_optional(tmp_path) -> None:
    """The per-frame hip-outline angle survives save/load/slice/concat; files without it still load."""
    seq = _random_seq(t=6)
    assert np.isnan(seq.pelvis_outline_deg).all() and seq.pelvis_outline_deg.shape == (6,)
    outl = np.array([1.5, np.nan, 2.0, 2.5, np.nan, -1.0], np.float32)
    seq = seq.replace(pelvis_outline_deg=outl)
    back = PoseSequence.load(seq.save(tmp_path / "l.parquet"))
    np.testing.assert_array_equal(back.pelvis_outline_deg, outl)
    assert back == seq
    assert PoseSequence.concat([seq.slice(0, 2), seq.slice(2)]) == seq
    old = {k: v for k, v in seq.to_table().items() if k != "pelvis_outline_deg"}  # a format-1 file
    again = PoseSequence.from_table(old, fps=seq.fps, frame_size=seq.frame_size)
    assert np.isnan(again.pelvis_outline_deg).all()
    with pytest.raises(InvalidSequenceError, match="pelvis_outline_deg"):
        seq.replace(pelvis_outline_deg=np.zeros(3))
