"""Fault injection for batch workers (#16 item 5): a killed Dask client, two worker deaths.

* Client killed, cluster elsewhere (the workers are NOT the client's children, as on a real cluster):
  the running task notices the batch's heartbeat stopped, stops decoding and commits nothing.
* Client killed together with its own LocalCluster (processes): the workers end with it.
* Two worker deaths in a process pool: every recording still finishes; recordings that had not
  started are never failed by another recording's crash.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
WALK = REPO / "sample_videos" / "walk_normal_side.mp4"  # 120 frames: long enough to be killed mid-task
SHORT = REPO / "sample_videos" / "standing_neutral_front.mp4"
OUTPUT_NAMES = {"landmarks.parquet", "landmarks.json", "metrics_timeseries.csv", "result.json", "error.json"}

CLIENT = textwrap.dedent(
    """
    import sys
    from posture_cam.batch import BatchOptions, run_batch
    from posture_cam.config import Config
    clip, out, scheduler, lease = sys.argv[1], sys.argv[2], sys.argv[3] or None, float(sys.argv[4])
    run_batch([clip], out, Config(), BatchOptions(
        workers=1, executor="dask", scheduler=scheduler, lease_timeout_s=lease,
        chunk_long_videos_s=0, progress=False))
    """
)


def _outputs(out: Path) -> dict[str, int]:
    """Every output file anywhere under OUT (work folders included) -> mtime."""
    found = {}
    for p in out.rglob("*"):
        if p.is_file() and (p.name in OUTPUT_NAMES or p.parent.name.startswith(".staging-")):
            found[str(p.relative_to(out))] = p.stat().st_mtime_ns
    return found


def _wait_started(out: Path, proc: subprocess.Popen, timeout_s: float = 180) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        markers = list((out / ".partial").glob("*/.started-*")) if (out / ".partial").is_dir() else []
        if markers:
            return markers[0]
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
        time.sleep(0.05)
    raise AssertionError("no task started")


def _cpu_s(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def _wait_idle(pid: int, timeout_s: float) -> float:
    """Seconds until process ``pid`` uses < 0.15 s of CPU in 1 s (or ends)."""
    import psutil

    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            before = _cpu_s(pid)
            time.sleep(1.0)
            if _cpu_s(pid) - before < 0.15:
                return time.monotonic() - t0
        except psutil.NoSuchProcess:
            return time.monotonic() - t0
    return float("inf")


def _start_client(clip: Path, out: Path, scheduler: str, lease_s: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(clip), str(out), scheduler, str(lease_s)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_client_on_an_external_cluster_commits_nothing(tmp_path: Path) -> None:
    from dask.distributed import Client, LocalCluster

    clip = tmp_path / WALK.name
    shutil.copy(WALK, clip)
    out = tmp_path / "out"
    lease_s = 2.0
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        Client(cluster) as own,
    ):
        (worker_pid,) = own.run(os.getpid).values()
        proc = _start_client(clip, out, cluster.scheduler_address, lease_s)
        _wait_started(out, proc)
        time.sleep(0.5)  # decoding is under way
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
        # the worker outlives the client (it is the test's); the task must notice and stop
        idle_after = _wait_idle(worker_pid, timeout_s=60)
        assert idle_after < lease_s + 10, f"the task kept running {idle_after:.1f} s after the kill"
        time.sleep(lease_s)
        assert _outputs(out) == {}, "a task of the dead batch committed files"
        assert not [p for p in out.iterdir() if not p.name.startswith(".") and p.is_dir()]
        assert worker_pid in own.run(os.getpid).values()  # the cluster itself is fine and reusable


def test_killed_client_with_its_own_local_cluster_takes_the_workers_with_it(tmp_path: Path) -> None:
    import psutil

    clip = tmp_path / WALK.name
    shutil.copy(WALK, clip)
    out = tmp_path / "out"
    proc = _start_client(clip, out, "", 2.0)
    _wait_started(out, proc)
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True) if "python" in p.name()]
    assert workers, "no worker process found"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stderr is not None
    proc.stderr.close()
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers still running after the client died: {[p.pid for p in alive]}"
    snapshot = _outputs(out)
    time.sleep(3)
    assert _outputs(out) == snapshot == {}


@pytest.mark.parametrize("executor", ["process", "dask"])
def test_two_worker_deaths_fail_no_recording_that_never_started(tmp_path: Path, executor: str) -> None:
    import threading

    import psutil

    from posture_cam.batch import EXIT_OK, BatchOptions, run_batch
    from posture_cam.config import Config

    clips = tmp_path / "clips"
    clips.mkdir()
    for k in range(2):  # one worker, two in flight: one runs, one waits in the pool's queue
        shutil.copy(SHORT, clips / f"c{k}.mp4")
    out = tmp_path / "out"
    me = psutil.Process()
    kills: list[float] = []

    def running_marker(after: float) -> bool:
        return any(m.stat().st_mtime > after for m in (out / ".partial").glob("*/.started-*"))

    def killer() -> None:
        deadline = time.monotonic() + 240
        last = 0.0
        while time.monotonic() < deadline and len(kills) < 2:
            try:
                if (out / ".partial").is_dir() and running_marker(last):
                    kids = [p for p in me.children(recursive=True) if "python" in (p.name() or "")]
                    if kids:
                        victim = max(kids, key=lambda p: sum(p.cpu_times()[:2]))
                        os.kill(victim.pid, signal.SIGKILL)
                        last = time.time()
                        kills.append(last)
                        continue
            except (OSError, psutil.Error):
                pass
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    report = run_batch(
        [clips],
        out,
        Config(),
        BatchOptions(workers=1, executor=executor, progress=False, chunk_long_videos_s=0, max_attempts=3),
    )
    t.join(timeout=5)
    assert len(kills) == 2, "the worker was not killed twice"
    assert report.exit_code == EXIT_OK, report.summary[["name", "status", "error"]]
    assert sorted(report.summary["status"]) == ["ok"] * 2
    assert not list(out.glob("*/.staging-*")) and not list(out.glob("*/.started-*"))
