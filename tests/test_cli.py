"""`posture-cam analyze` as a user runs it: bad input gets one line, a non-zero exit, no traceback,
and nothing half-written; good input gets the files of the contract, result.json last."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posture_cam.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "standing_neutral_front.mp4"


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "posture_cam.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=300,
    )


def _assert_clean_failure(proc: subprocess.CompletedProcess, code: int, *words: str) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr[-2000:])
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(err_lines) == 1, proc.stderr
    assert err_lines[0].startswith("posture-cam: error: ")
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in err_lines[0], err_lines[0]


def _assert_nothing_written(out: Path) -> None:
    if out.exists():
        leftovers = [p.name for p in out.rglob("*")]
        assert leftovers == [], leftovers


def _write_video(path: Path, frames: list[np.ndarray], fps: int = 10) -> Path:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        for f in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(tmp_path / "nope.mp4"), "--out", str(out)), 2, "not found")
    _assert_nothing_written(out)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(tmp_path), "--out", str(out)), 2, str(tmp_path))
    _assert_nothing_written(out)


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(fake), "--out", str(out)), 3, "notes.mp4")
    _assert_nothing_written(out)


def test_truncated_video_is_refused_or_flagged(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])  # the moov atom of a fast-start file survives, frames do not
    out = tmp_path / "out"
    proc = _run("analyze", str(cut), "--out", str(out), "-q")
    if proc.returncode == 0:  # decodable part analysed: it must say the file was truncated
        result = json.loads((out / "result.json").read_text())
        assert any("trunc" in w.lower() or "decode" in w.lower() for w in result["warnings"]), result[
            "warnings"
        ]
    else:
        _assert_clean_failure(proc, 3, "cut.mp4")
        _assert_nothing_written(out)


def test_zero_frame_video(tmp_path: Path) -> None:
    import av

    empty = tmp_path / "empty.mp4"
    c = av.open(str(empty), "w")
    s = c.add_stream("libx264", rate=10)
    s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
    c.start_encoding()  # header and an empty stream, no frame
    c.close()
    assert empty.stat().st_size > 0
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(empty), "--out", str(out)), 3, "empty.mp4")
    _assert_nothing_written(out)


def test_image_with_nobody(tmp_path: Path) -> None:
    import cv2

    img = tmp_path / "wall.png"
    rng = np.random.default_rng(0)
    cv2.imwrite(str(img), (rng.uniform(90, 110, (240, 320, 3))).astype(np.uint8))
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(img), "--out", str(out), "-q"), 4, "no person")
    _assert_nothing_written(out)


def test_video_with_nobody(tmp_path: Path) -> None:
    frames = [np.full((120, 160, 3), 30 + 5 * i, np.uint8) for i in range(8)]
    vid = _write_video(tmp_path / "empty_room.mp4", frames)
    out = tmp_path / "out"
    _assert_clean_failure(_run("analyze", str(vid), "--out", str(out), "-q"), 4, "no person")
    _assert_nothing_written(out)


def test_output_path_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("I am a file")
    _assert_clean_failure(_run("analyze", str(SAMPLE), "--out", str(blocker)), 6, "not a folder")
    assert blocker.read_text() == "I am a file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_unwritable_output_dir(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        _assert_clean_failure(_run("analyze", str(SAMPLE), "--out", str(ro / "x")), 6, "cannot write")
    finally:
        ro.chmod(0o700)


def test_unwritable_output_dir_via_parent_file(tmp_path: Path) -> None:
    """Works as root too: a path below a regular file can never be created."""
    (tmp_path / "file").write_text("x")
    _assert_clean_failure(
        _run("analyze", str(SAMPLE), "--out", str(tmp_path / "file" / "out")), 6, "cannot write"
    )


def test_analyze_sample_writes_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(SAMPLE), "--out", str(out), "--overlay", "--csv", "-q"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "landmarks.csv",
        "landmarks.json",
        "landmarks.parquet",
        "metrics_timeseries.csv",
        "overlay.mp4",
        "result.json",
    ]
    r = json.loads((out / "result.json").read_text())
    assert r["schema_version"] == 1
    for key in (
        "input",
        "detection",
        "model",
        "versions",
        "config",
        "view",
        "calibration",
        "metrics",
        "gait",
        "findings",
        "warnings",
    ):
        assert key in r, key
    assert r["input"]["frames"] == 30 and r["detection"]["detection_rate"] > 0.9
    assert r["view"]["dominant"] == "front"
    assert r["metrics"]["craniovertebral_angle_deg"]["status"] == "not_assessable"  # wrong view
    assert r["gait"]["walking_detected"] is False
    assert r["model"]["sha256"]
    # result.json is the last file to land: every other file is older or equal
    rmt = (out / "result.json").stat().st_mtime_ns
    assert all(p.stat().st_mtime_ns <= rmt for p in out.iterdir())


def test_rerun_into_same_folder_replaces_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(SAMPLE), "--out", str(out), "-q"]) == 0
    first = json.loads((out / "result.json").read_text())["created_utc"]
    assert main(["analyze", str(SAMPLE), "--out", str(out), "-q", "--height-cm", "175"]) == 0
    second = json.loads((out / "result.json").read_text())
    assert second["subject"]["height_cm"] == 175.0
    assert second["created_utc"] >= first
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_explain_without_result(tmp_path: Path) -> None:
    _assert_clean_failure(_run("explain", str(tmp_path)), 2)
