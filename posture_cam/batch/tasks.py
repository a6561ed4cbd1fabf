"""Functions that run in batch worker processes (process pool or Dask workers).

Every task is a plain module-level function taking one picklable dataclass and returning one, so the
same code runs under :class:`concurrent.futures.ProcessPoolExecutor` and ``dask.distributed``. Tasks
never raise for a problem with a recording: they return an outcome with ``error`` set, so one bad
file cannot stop the batch. They write only inside their own ``work_dir`` (a hidden temporary folder
under the batch output); the batch parent renames finished folders into place.

Per worker process, :func:`init_worker` (process pool initializer; called lazily on Dask workers)
imports MediaPipe once, resolves the pose model once, ignores Ctrl-C (the parent handles it) and
starts a watchdog thread that ends the worker when the batch process dies (e.g. SIGKILL), so no
orphan keeps writing after a crash. On Dask (where the workers are not our children) each task
holds a :class:`Lease` on the batch's heartbeat file instead: once the batch stops touching it, a
running task stops decoding and every commit is refused (:func:`posture_cam.outputs.commit_guard`),
so nothing lands after the client died. A MediaPipe landmarker in VIDEO mode needs increasing timestamps
for its whole life, so each recording (or chunk) gets a fresh landmarker inside
:func:`posture_cam.extract.extract_sequence`; only the model bundle and libraries are shared.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import BatchAbandonedError, PostureCamError, translate
from ..memory import limit_malloc_arenas, release_free_memory
from ..paths import display_path
from ..sequence import PoseSequence, atomic_write_text
from .chunking import ChunkPlan, first_mismatch, stitch
from .inputs import Recording

_STATE: dict[str, Any] = {}
_WATCHDOG_PERIOD_S = 0.5
_LEASE_CHECK_PERIOD_S = 0.5


@dataclass(frozen=True)
class Lease:
    """The batch's heartbeat: ``path`` holds ``run_id`` and the batch touches it every few seconds.

    A task checks it before it starts, while it decodes (every ~0.5 s) and before it commits any file.
    When the file is gone, names another run, or its modification time has not changed for
    ``timeout_s`` (measured on the worker's own clock, so clock skew between machines does not
    matter), the batch that asked for the work is dead: the task stops and writes nothing.
    """

    path: str
    run_id: str
    timeout_s: float = 15.0


class LeaseWatch:
    """A task's view of its :class:`Lease` (``check`` raises :class:`BatchAbandonedError`)."""

    def __init__(self, lease: Lease | None) -> None:
        self.lease = lease
        self._mtime: float | None = None
        self._seen_at = time.monotonic()
        self._last_check = 0.0

    def check(self) -> None:
        lease = self.lease
        if lease is None:
            return
        now = time.monotonic()
        self._last_check = now
        try:
            mtime = os.stat(lease.path).st_mtime
            owner = Path(lease.path).read_text(encoding="utf-8").strip()
        except OSError:
            raise BatchAbandonedError(
                "the batch that started this task is gone (no heartbeat file)"
            ) from None
        if owner != lease.run_id:
            raise BatchAbandonedError("another batch run owns this output folder now")
        if mtime != self._mtime:
            self._mtime, self._seen_at = mtime, now
        elif now - self._seen_at > lease.timeout_s:
            raise BatchAbandonedError(
                f"the batch that started this task stopped its heartbeat {now - self._seen_at:.0f} s ago"
            )

    def progress(self, done: int, total: int | None = None) -> None:
        """A progress callback for extraction: checks the lease at most every 0.5 s."""
        if self.lease is not None and time.monotonic() - self._last_check >= _LEASE_CHECK_PERIOD_S:
            self.check()


def started_marker(work_dir: str | os.PathLike[str], key: str) -> Path:
    """The file a task creates once it really starts (a task that never started is retried for free)."""
    return Path(work_dir) / f".started-{key}"


@contextmanager
def _task_scope(work_dir: str, key: str, lease: Lease | None) -> Iterator[LeaseWatch]:
    """Check the lease, mark the task started, and veto every commit once the batch is gone."""
    from ..outputs import commit_guard

    watch = LeaseWatch(lease)
    watch.check()
    started_marker(work_dir, key).touch()
    with commit_guard(watch.check):
        yield watch


@dataclass(frozen=True)
class RecordingTask:
    """Analyse one whole recording into ``work_dir``."""

    rec: Recording
    config: Config  # resolved for this recording (subject height applied)
    work_dir: str
    sha256: str | None = None  # the parent's hash of the input (None = hash here)
    lease: Lease | None = None
    pipelined: bool = True  # use a second core (analyze_file); False when every core runs a worker

    key = "recording"


@dataclass(frozen=True)
class ChunkTask:
    """Extract the landmarks of one time chunk of a recording into ``work_dir/.chunks``."""

    rec: Recording
    config: Config
    work_dir: str
    plan: ChunkPlan
    info: Any = None  # the parent's VideoInfo (probed and hashed once); None = probe here
    lease: Lease | None = None

    @property
    def key(self) -> str:
        return f"chunk-{self.plan.index:04d}"


@dataclass(frozen=True)
class FinishTask:
    """Stitch the extracted chunks of a recording and run the analysis stage once."""

    rec: Recording
    config: Config
    work_dir: str
    plans: tuple[ChunkPlan, ...]
    overlap_s: float
    info: Any = None  # the parent's VideoInfo; None = probe here
    lease: Lease | None = None

    key = "finish"


@dataclass
class Outcome:
    """What a task reports back. ``error`` is a one-line message when it failed."""

    name: str
    ok: bool
    error: str | None = None
    error_type: str | None = None
    frames: int = 0
    wall_s: float = 0.0
    worker_pid: int = 0
    worker_peak_rss_mb: float = 0.0
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- worker setup
def init_worker(parent_pid: int | None = None, model: str = "full") -> None:
    """Process initializer: warm up once per worker and die with the batch process."""
    if _STATE.get("ready"):
        return
    from ..errors import quiet_expected_numpy_warnings

    quiet_expected_numpy_warnings()
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread (e.g. a Dask worker thread): the nanny handles signals
        pass
    if parent_pid is not None:
        _start_watchdog()
    limit_malloc_arenas()  # before the worker's threads start (posture_cam.memory)
    os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's native INFO/WARNING lines off stderr
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from ..pose_adapter import import_tasks_api

        import_tasks_api()  # load the native library once per worker (Tasks API only, no legacy solutions)

        # the analysis stage's imports (scipy.signal alone takes ~2 s) are paid here, during the
        # worker start-up that overlaps with the other workers', not on the critical path of the
        # finishing task of a chunked recording
        from .. import gait, pipeline, posture, rules  # noqa: F401
        from ..model_bundle import resolve_model

        _STATE["model"] = resolve_model(model)
    except Exception:  # the task will report the model problem with its own message
        _STATE["model"] = None
    _STATE["ready"] = True


def _start_watchdog() -> None:
    original_ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(_WATCHDOG_PERIOD_S)
            if os.getppid() != original_ppid:  # re-parented: the batch (or forkserver) is gone
                os._exit(3)

    threading.Thread(target=watch, name="posture-cam-watchdog", daemon=True).start()


def _peak_rss_mb() -> float:
    """Peak resident memory of this worker process in MB (VmHWM on Linux, else ru_maxrss).

    VmHWM belongs to this process image only; ru_maxrss would also count a parent's peak carried
    over through fork/exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024.0 * 1024.0) if sys.platform == "darwin" else kb / 1024.0


def _failure(name: str, exc: BaseException, t0: float) -> Outcome:
    mapped = translate(exc)
    if mapped is not None:
        exc = mapped
    if isinstance(exc, PostureCamError):
        msg = str(exc)
    else:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else ""
        msg = f"internal error: {type(exc).__name__}: {exc}{where}"
    msg = " ".join(msg.split())
    return Outcome(
        name,
        False,
        msg,
        type(exc).__name__,
        wall_s=time.perf_counter() - t0,
        worker_pid=os.getpid(),
        worker_peak_rss_mb=_peak_rss_mb(),
    )


def _subject(rec: Recording) -> Any:
    from ..pipeline import SubjectInfo

    return SubjectInfo(
        id=rec.subject_id, height_cm=rec.height_cm, session_date=rec.session_date, view_hint=rec.view_hint
    )


def _model(config: Config) -> Any:
    from ..model_bundle import resolve_model

    cached = _STATE.get("model")
    if cached is not None and getattr(cached, "name", None) == config.extraction.model:
        return cached
    return resolve_model(config.extraction.model)


# --------------------------------------------------------------------------- tasks
def run_recording(task: RecordingTask) -> Outcome:
    """Analyse a whole recording with :func:`posture_cam.pipeline.analyze_file` into ``task.work_dir``."""
    init_worker(model=task.config.extraction.model)
    t0 = time.perf_counter()
    try:
        from ..pipeline import analyze_file

        with _task_scope(task.work_dir, task.key, task.lease) as watch:
            res = analyze_file(
                task.rec.path,
                task.work_dir,
                task.config,
                subject=_subject(task.rec),
                sha256=task.sha256,
                progress=watch.progress,
                pipelined=task.pipelined,
            )
        return Outcome(
            task.rec.name,
            True,
            frames=int(res.sequence.n_frames),
            wall_s=time.perf_counter() - t0,
            worker_pid=os.getpid(),
            worker_peak_rss_mb=_peak_rss_mb(),
        )
    except Exception as exc:
        return _failure(task.rec.name, exc, t0)


def chunk_path(work_dir: str | os.PathLike[str], index: int) -> Path:
    return Path(work_dir) / ".chunks" / f"chunk-{index:04d}.parquet"


def _extract_range(
    rec: Recording,
    config: Config,
    start_s: float,
    end_s: float | None,
    info: Any = None,
    progress: Any = None,
) -> PoseSequence:
    from ..extract import extract_sequence
    from ..scene import SceneRollSampler
    from ..video import iter_frames, probe

    if info is None:
        info = probe(rec.path, config.extraction)
    # A chunk must not depend on the tracker's history (the chunk before is not seen): the person
    # detector runs on every frame here, so stitched chunks equal one sequential pass in the same mode
    # (measured: max 0.0 px; with ROI tracking a fresh chunk can settle 2-25 px away, or take the
    # legs the other way round). Costs ~+46 % per frame on the long videos that are chunked.
    ext = dataclasses.replace(config.extraction, people_detection_interval_s=0.0)
    frames = iter_frames(rec.path, start_s=start_s, end_s=end_s)
    cal = config.calibration  # camera roll from the scene's verticals (posture_cam.scene)
    scene = SceneRollSampler(cal.scene_roll_every_s) if cal.estimate_roll_from_scene else None
    try:
        seq = extract_sequence(
            frames,
            fps=info.fps,
            frame_size=(info.width, info.height),
            config=ext,
            model_path=_model(config).path,
            on_frame=scene,
            meta={"source": rec.path, "sha256": info.sha256},
            progress=progress,
            concurrent_people_check=False,  # chunks run one per worker, a worker per core
        )
        return seq if scene is None else scene.attach(seq)
    finally:
        frames.close()


def extract_chunk(task: ChunkTask) -> Outcome:
    """Extract one chunk (warm-up overlap included) and save it as ``work_dir/.chunks/chunk-NNNN.parquet``."""
    init_worker(model=task.config.extraction.model)
    t0 = time.perf_counter()
    try:
        with _task_scope(task.work_dir, task.key, task.lease) as watch:
            seq = _extract_range(
                task.rec,
                task.config,
                task.plan.read_start_s,
                task.plan.read_end_s,
                task.info,
                progress=watch.progress,
            )
            watch.check()
            seq.save(chunk_path(task.work_dir, task.plan.index))
        n_frames = seq.n_frames
        del seq
        release_free_memory()  # the worker's next task starts from a clean heap (posture_cam.memory)
        return Outcome(
            task.rec.name,
            True,
            frames=n_frames,
            wall_s=time.perf_counter() - t0,
            worker_pid=os.getpid(),
            worker_peak_rss_mb=_peak_rss_mb(),
        )
    except Exception as exc:
        return _failure(task.rec.name, exc, t0)


def stitch_chunks(
    rec: Recording,
    config: Config,
    plans: list[ChunkPlan],
    parts: list[PoseSequence],
    info: Any = None,
) -> tuple[PoseSequence, list[str]]:
    """Stitch chunk sequences; where a chunk followed another person, re-extract from the chunk before.

    A chunk starts with a fresh subject choice. If, in its warm-up overlap, it disagrees with the
    previous chunk (:func:`first_mismatch`), everything from the previous chunk's start to the end is
    extracted again in one pass, which continues the previous chunk's subject exactly.
    """
    pairs = list(zip(plans, parts, strict=True))
    notes: list[str] = []
    k = first_mismatch(pairs)
    if k is not None:
        prev = plans[k - 1]
        notes.append(
            f"chunk {k} started on a different person than chunk {k - 1}; the recording was "
            f"re-extracted sequentially from {prev.keep_from_s:.1f} s to keep one subject"
        )
        merged = ChunkPlan(prev.index, prev.read_start_s, prev.keep_from_s, float("inf"))
        seq = _extract_range(rec, config, merged.read_start_s, None, info)
        pairs = pairs[: k - 1] + [(merged, seq)]
    return stitch(pairs), notes


def finish_chunked(task: FinishTask) -> Outcome:
    """Load the chunks, stitch them, analyse once with :func:`posture_cam.pipeline.finish_analysis`."""
    init_worker(model=task.config.extraction.model)
    t0 = time.perf_counter()
    try:
        with _task_scope(task.work_dir, task.key, task.lease):
            res, notes = _finish(task)
        shutil.rmtree(Path(task.work_dir) / ".chunks", ignore_errors=True)
        return Outcome(
            task.rec.name,
            True,
            frames=int(res.sequence.n_frames),
            wall_s=time.perf_counter() - t0,
            worker_pid=os.getpid(),
            worker_peak_rss_mb=_peak_rss_mb(),
            warnings=notes,
        )
    except Exception as exc:
        return _failure(task.rec.name, exc, t0)


def _finish(task: FinishTask) -> tuple[Any, list[str]]:
    from ..pipeline import finish_analysis
    from ..video import probe

    info = task.info if task.info is not None else probe(task.rec.path, task.config.extraction)
    plans = sorted(task.plans, key=lambda p: p.index)
    parts = [PoseSequence.load(chunk_path(task.work_dir, p.index)) for p in plans]
    seq, notes = stitch_chunks(task.rec, task.config, plans, parts, info)
    meta = dict(parts[0].meta)
    meta["chunks"] = {
        "n": len(plans),
        "overlap_s": task.overlap_s,
        "boundaries_s": [round(p.keep_from_s, 6) for p in plans[1:]],
    }
    seq = seq.replace(meta=meta)
    warnings = list(info.warnings) + notes
    res = finish_analysis(
        seq,
        info,
        task.work_dir,
        task.config,
        subject=_subject(task.rec),
        model=_model(task.config),
        warnings=warnings,
    )
    return res, notes


def write_error(
    work_dir: str | os.PathLike[str],
    rec: Recording,
    outcome: Outcome,
    *,
    input_sha256: str | None,
    config_hash: str,
) -> Path:
    """``work_dir/error.json``: why a recording failed (a folder without result.json is redone on rerun)."""
    return atomic_write_text(
        Path(work_dir) / "error.json",
        json.dumps(
            {
                "path": display_path(rec.path),
                "error": outcome.error,
                "error_type": outcome.error_type,
                "input_sha256": input_sha256,
                "config_hash": config_hash,
            },
            indent=2,
        ),
    )
