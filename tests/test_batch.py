"""``posture-cam batch`` end to end on real clips: bad files, SIGKILL + resume, Dask vs process pool.

Clips are copied from ../shared/data into tmp_path (never into the repository). Copies, not
symlinks: a recording is identified by its resolved absolute path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from posture_cam.batch import EXIT_OK, EXIT_SOME_FAILED, BatchOptions, run_batch
from posture_cam.cli import main
from posture_cam.config import Config
from posture_cam.sequence import PoseSequence

pytestmark = [pytest.mark.media]

TPOSE = ("standing/tpose_back_11frames.mp4", "standing/tpose_front_oblique_11frames.mp4")
BALANCE = "standing/single_leg_balance_front_vp9.mp4"


def _copy(shared: Path, rel: str, dest: Path, name: str | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / (name or Path(rel).name)
    shutil.copy(shared / rel, target)
    return target


def _finished_dirs(out: Path) -> dict[str, int]:
    """Result folder name -> result.json mtime (ns) for every finished recording."""
    return {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/result.json")}


def _assert_no_partial_files(out: Path) -> None:
    assert not (out / ".partial").exists() or not any((out / ".partial").iterdir())
    leftovers = [
        p
        for p in out.rglob("*")
        if p.name.startswith((".staging-", ".write-test-")) or p.name.endswith(".tmp")
    ]
    assert leftovers == []
    for folder in (p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        assert (folder / "result.json").is_file() or (folder / "error.json").is_file(), folder


def _history_rows(db: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT path, status FROM recordings ORDER BY path").fetchall()
    finally:
        con.close()


def test_batch_records_bad_files_and_carries_on(shared_data: Path, tmp_path: Path, capsys) -> None:
    clips = tmp_path / "clips"
    good = [_copy(shared_data, rel, clips) for rel in TPOSE]
    corrupt = clips / "corrupt.mp4"
    corrupt.write_bytes((shared_data / TPOSE[0]).read_bytes()[:700])  # a truncated header, no frames
    not_video = tmp_path / "notes.txt"
    not_video.write_text("this is not a video\n", encoding="utf-8")
    out = tmp_path / "out"

    code = main(["batch", str(clips), str(not_video), "--out", str(out), "--workers", "2", "-q"])

    assert code == EXIT_SOME_FAILED == 1  # documented: finished, but some recordings failed
    captured = capsys.readouterr()
    assert "2 ok" in captured.out and "2 failed" in captured.out
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4
    assert pd.read_parquet(out / "summary.parquet")["path"].tolist() == summary["path"].tolist()
    by_path = summary.set_index("path")
    for clip in good:
        row = by_path.loc[str(clip.resolve())]
        assert row["status"] == "ok" and pd.isna(row["error"])
        assert row["frames"] == 11 and 0 < row["detection_rate"] <= 1
        folder = out / row["name"]
        assert {"result.json", "landmarks.parquet", "metrics_timeseries.csv"} <= {
            p.name for p in folder.iterdir()
        }
        result = json.loads((folder / "result.json").read_text())
        assert result["input"]["sha256"] and result["schema_version"] == 1
    for bad in (corrupt, not_video):
        row = by_path.loc[str(bad.resolve())]
        assert row["status"] == "failed" and isinstance(row["error"], str) and row["error"]
        error = json.loads((out / row["name"] / "error.json").read_text())
        assert error["error"] == row["error"] and error["path"] == str(bad.resolve())
        assert not (out / row["name"] / "result.json").exists()
    assert sorted(s for _, s in _history_rows(out / "history.sqlite")) == ["failed", "failed", "ok", "ok"]
    _assert_no_partial_files(out)


def test_no_input_and_bad_manifest_are_usage_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["batch", str(tmp_path / "empty"), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "no recordings found" in capsys.readouterr().err
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,subject_height_cm\nmissing.mp4,170\n", encoding="utf-8")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "line 2: file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_reuses_finished_work(shared_data: Path, tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    for k in range(2):
        for rel in TPOSE:
            _copy(shared_data, rel, clips, f"copy{k}_{Path(rel).name}")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "posture_cam.cli",
        "batch",
        str(clips),
        "--out",
        str(out),
        "--workers",
        "1",
        "-q",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not _finished_dirs(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, (
        f"batch ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    proc.stderr.close()
    time.sleep(1.5)  # the workers' watchdog ends them within 0.5 s of the batch's death
    at_kill = _finished_dirs(out)
    assert 1 <= len(at_kill) < 4, "the kill must land mid-run"
    for name in at_kill:  # everything under a final name is complete
        seq = PoseSequence.load(out / name / "landmarks.parquet")
        assert seq.n_frames == 11

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == EXIT_OK, rerun.stderr[-2000:]
    assert f"({len(at_kill)} reused)" in rerun.stdout
    after = _finished_dirs(out)
    assert len(after) == 4
    for name, mtime in at_kill.items():
        assert after[name] == mtime, f"{name} was recomputed"
    summary = pd.read_csv(out / "summary.csv")
    assert summary["status"].tolist() == ["ok"] * 4
    assert sorted(summary.loc[summary["reused"], "name"]) == sorted(at_kill)
    rows = _history_rows(out / "history.sqlite")
    assert len(rows) == 4 and len({p for p, _ in rows}) == 4 and {s for _, s in rows} == {"ok"}
    _assert_no_partial_files(out)


def test_rerun_skips_only_when_input_and_config_match(shared_data: Path, tmp_path: Path) -> None:
    clip = _copy(shared_data, TPOSE[0], tmp_path / "clips")
    out = tmp_path / "out"
    opts = BatchOptions(workers=1, progress=False)
    first = run_batch([clip], out, Config(), opts)
    assert (first.n_ok, first.n_reused) == (1, 0)
    mtime = _finished_dirs(out)
    again = run_batch([clip], out, Config(), opts)
    assert (again.n_ok, again.n_reused, again.exit_code) == (1, 1, EXIT_OK)
    assert _finished_dirs(out) == mtime
    changed = Config().with_overrides({"filter.lowpass_cutoff_hz": 5.0})
    third = run_batch([clip], out, changed, opts)
    assert (third.n_ok, third.n_reused) == (1, 0)
    assert _finished_dirs(out) != mtime
    assert len(_history_rows(out / "history.sqlite")) == 1


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results_as_the_process_pool(
    shared_data: Path, tmp_path: Path
) -> None:
    clips = tmp_path / "clips"
    paths = [_copy(shared_data, rel, clips) for rel in TPOSE]
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,subject_id,session_date,subject_height_cm\n"
        f"{paths[0]},p01,2024-01-10,176\n{paths[1]},p01,2024-02-10,176\n",
        encoding="utf-8",
    )
    pool = run_batch([manifest], tmp_path / "pool", Config(), BatchOptions(workers=2, progress=False))
    dask = run_batch(
        [manifest], tmp_path / "dask", Config(), BatchOptions(workers=2, executor="dask", progress=False)
    )
    assert pool.exit_code == dask.exit_code == EXIT_OK
    assert pool.summary["name"].tolist() == dask.summary["name"].tolist()
    for name in pool.summary["name"]:
        a = PoseSequence.load(tmp_path / "pool" / name / "landmarks.parquet")
        b = PoseSequence.load(tmp_path / "dask" / name / "landmarks.parquet")
        np.testing.assert_allclose(a.image_px, b.image_px, atol=1e-3, equal_nan=True)
        ra = json.loads((tmp_path / "pool" / name / "result.json").read_text())
        rb = json.loads((tmp_path / "dask" / name / "result.json").read_text())
        for key in ("metrics", "gait", "findings", "detection", "view"):
            assert ra[key] == rb[key], key
        assert ra["subject"]["id"] == "p01" and ra["config"]["calibration"]["subject_height_cm"] == 176
    metric_cols = [c for c in pool.summary.columns if c.endswith(("_deg", "_pct_height", "_cm"))]
    pd.testing.assert_frame_equal(pool.summary[["name", *metric_cols]], dask.summary[["name", *metric_cols]])
    from posture_cam.history import History

    with History(tmp_path / "dask" / "history.sqlite", read_only=True) as h:
        assert h.list_subjects()["n_sessions"].tolist() == [2]
        assert sorted(h.subject_metrics("p01")["session_date"].unique()) == ["2024-01-10", "2024-02-10"]


@pytest.mark.slow
def test_long_video_is_chunked_across_workers_and_matches_sequential(
    shared_data: Path, tmp_path: Path
) -> None:
    clip = _copy(shared_data, BALANCE, tmp_path / "clips")  # 1.7 s at 60 fps
    # chunks run the person detector on every frame (no tracker history across a chunk boundary), so
    # the sequential reference is extracted in the same mode
    every_frame = Config().with_overrides({"extraction.people_detection_interval_s": 0.0})
    seq_run = run_batch(
        [clip], tmp_path / "seq", every_frame, BatchOptions(workers=1, chunk_long_videos_s=0, progress=False)
    )
    chunked = run_batch(
        [clip],
        tmp_path / "chunked",
        Config(),
        BatchOptions(workers=2, chunk_long_videos_s=1.0, overlap_s=0.5, progress=False),
    )
    assert seq_run.exit_code == chunked.exit_code == EXIT_OK
    name = chunked.summary["name"][0]
    assert sum(o.ok for o in chunked.outcomes) == 3  # 2 chunk extractions + 1 analysis
    assert len({o.worker_pid for o in chunked.outcomes[:2]}) >= 1
    a = PoseSequence.load(tmp_path / "seq" / name / "landmarks.parquet")
    b = PoseSequence.load(tmp_path / "chunked" / name / "landmarks.parquet")
    np.testing.assert_array_equal(a.timestamps_s, b.timestamps_s)
    np.testing.assert_array_equal(a.frame_index, b.frame_index)
    np.testing.assert_array_equal(a.detected, b.detected)
    err_px = np.linalg.norm(a.image_px[..., :2] - b.image_px[..., :2], axis=2)
    assert np.nanmax(err_px) <= 2.0  # tolerance after the warm-up overlap (see test_batch_chunking)
    assert b.meta["chunks"]["n"] == 2
    result = json.loads((tmp_path / "chunked" / name / "result.json").read_text())
    assert result["input"]["frames"] == a.n_frames


def test_rerun_removes_temp_files_left_by_a_killed_atomic_write(shared_data: Path, tmp_path: Path) -> None:
    """A kill during an atomic write leaves `.<name>.XXXX.tmp`; the next run sweeps it away."""
    clip = _copy(shared_data, TPOSE[0], tmp_path / "clips")
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".summary.csv.k1ll3d.tmp"
    stale.write_text("half a summary")
    report = run_batch([clip], out, Config(), BatchOptions(workers=1, progress=False))
    assert report.exit_code == EXIT_OK
    assert not stale.exists()
    _assert_no_partial_files(out)


def test_a_worker_killed_mid_batch_is_retried_and_the_batch_finishes(
    shared_data: Path, tmp_path: Path
) -> None:
    """A worker process that dies (here: a real SIGKILL) breaks the pool; the batch restarts it,
    retries the in-flight recordings and finishes every one of them."""
    import threading

    import psutil

    clips = tmp_path / "clips"
    for k in range(3):
        _copy(shared_data, TPOSE[k % 2], clips, f"c{k}_{Path(TPOSE[k % 2]).name}")
    out = tmp_path / "out"
    me = psutil.Process()
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            kids = [p for p in me.children(recursive=True) if "python" in (p.name() or "")]
            # wait until a worker is busy (past start-up: it has used some CPU), then kill it
            busy = [p for p in kids if sum(p.cpu_times()[:2]) > 1.0]
            if busy:
                os.kill(busy[0].pid, signal.SIGKILL)
                killed.append(busy[0].pid)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    report = run_batch([clips], out, Config(), BatchOptions(workers=1, progress=False, chunk_long_videos_s=0))
    t.join(timeout=5)
    assert killed, "no worker was found to kill"
    assert report.exit_code == EXIT_OK, report.summary
    assert len(_finished_dirs(out)) == 3
    _assert_no_partial_files(out)


def test_a_recording_uses_a_second_core_only_when_one_is_free() -> None:
    """Local workers fewer than the cores: a recording pipelines decode and the people check on the
    free core; a worker per core, or a cluster engine, keeps each recording on its own core."""
    from posture_cam.batch.executors import default_workers
    from posture_cam.batch.runner import BatchOptions, BatchRunner

    runner = object.__new__(BatchRunner)  # only the decision, no executor or history needed
    cores = default_workers()
    cases = [
        (cores, "process", None, False),
        (max(1, cores - 1), "process", None, cores > 1),
        (1, "dask", None, False),
        (cores, "process", True, True),
        (1, "process", False, False),
    ]
    for workers, executor, override, expected in cases:
        runner.opt = BatchOptions(executor=executor, pipelined=override)
        runner.workers = workers
        assert runner._spare_core is expected, (workers, executor, override)
