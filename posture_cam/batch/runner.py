"""Run a batch: plan, skip finished work, dispatch tasks, install results, keep summary and history.

Layout of the output folder ``OUT``::

    OUT/<name>/                 one folder per recording: what ``analyze`` writes (result.json last),
                                or ``error.json`` when the recording failed
    OUT/summary.csv, .parquet   one row per recording (see posture_cam.batch.summary)
    OUT/history.sqlite          the session history (unless --history points elsewhere)
    OUT/.partial/               work folders of in-flight recordings (deleted at start and end)
    OUT/.batch.lock             held (flock) while a batch writes into OUT

Safety: a worker writes a recording into ``OUT/.partial/<name>.XXXX``; only this (parent) process
moves a finished recording's files into ``OUT/<name>`` (:func:`posture_cam.outputs.commit_folder`:
stale posture_cam outputs removed, result.json or error.json last, the user's own files kept), so
a kill at any moment leaves either the old complete folder, the new complete folder, or a folder
without result.json (the recording is then redone). ``.partial`` is wiped when the next batch starts.
The history row is written after the folder is in place, in one transaction.

Dead batches and dead workers: the batch touches ``OUT/.partial/.lease`` while it runs; a task whose
batch stopped (killed client, even on a remote Dask cluster) stops within ``lease_timeout_s`` and
commits nothing (:class:`posture_cam.batch.tasks.Lease`). A task whose worker died is resubmitted: for
free when it had not started yet (queued work is never failed by someone else's crash), otherwise up
to ``max_attempts`` times in all. Inputs that are not regular files (FIFO, device) fail alone, before
anything reads them; a full disk stops the batch with exit code 6 (finished recordings are kept).

Resume: a recording is skipped when ``OUT/<name>/result.json`` exists, its ``input.sha256`` equals
the file's SHA-256 and the hash of its ``config`` section equals :func:`config_hash` of the config
this run would use for it. Failed recordings are retried on every run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config
from ..corrections import seed_corrections
from ..errors import BatchLockedError, DiskFullError, InputNotFoundError, PostureCamError, translate
from ..export import terminal_safe
from ..history import History
from ..outputs import commit_folder
from ..paths import display_path, sha256_regular_file
from ..sequence import atomic_write_text
from .chunking import ChunkPlan, n_chunks_for, plan_chunks
from .executors import check_scheduler, default_workers, make_executor
from .inputs import MEDIA_EXTENSIONS, Recording, discover
from .summary import summary_row, write_summary
from .tasks import (
    ChunkTask,
    FinishTask,
    Lease,
    Outcome,
    RecordingTask,
    extract_chunk,
    finish_chunked,
    run_recording,
    started_marker,
    write_error,
)

#: Exit codes of ``posture-cam batch`` (also documented in the command's help).
EXIT_OK = 0  # every recording finished (fresh or reused)
EXIT_SOME_FAILED = 1  # the batch ran to the end but at least one recording failed (see summary.csv)
EXIT_USAGE = 2  # bad arguments, manifest or config; no input found; output folder locked
EXIT_OUTPUT = 6  # the output folder cannot be written
EXIT_INTERRUPTED = 130  # Ctrl-C; finished recordings are kept

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
_FREE_RETRIES = 5  # a task that never started when its worker died is resubmitted up to this often


@dataclass(frozen=True)
class BatchOptions:
    workers: int | None = None  # None = every core
    executor: str = "process"  # "process" | "dask"
    scheduler: str | None = None  # dask scheduler address; None = start a LocalCluster
    history_path: str | None = None  # None = OUT/history.sqlite
    chunk_long_videos_s: float = 60.0  # split videos longer than this (s) across workers; 0 = never
    overlap_s: float = 1.0  # warm-up overlap of each chunk (s)
    progress: bool = True  # tqdm bar on stderr
    max_attempts: int = 3  # a task that STARTED on a worker that then died is tried this often in all
    lease_timeout_s: float = 15.0  # tasks stop and commit nothing when the batch's heartbeat is this old
    scheduler_timeout_s: float = 10.0  # give up connecting to --scheduler after this long
    pipelined: bool | None = None  # recordings may use a second core; None = if fewer workers than cores


@dataclass
class BatchReport:
    out_dir: Path
    summary: pd.DataFrame
    n_ok: int
    n_failed: int
    n_reused: int
    wall_s: float
    interrupted: bool = False
    outcomes: list[Outcome] = field(default_factory=list)  # every task outcome (for benchmarks)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_SOME_FAILED if self.n_failed else EXIT_OK


def config_hash(config: Config | Mapping[str, Any]) -> str:
    """16 hex digits of the SHA-256 of a resolved config (a Config or result.json's ``config`` dict)."""
    data = config.to_dict() if isinstance(config, Config) else dict(config)
    canonical = json.dumps(_json_normal(data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def _json_normal(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _json_normal(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_normal(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, int) and not isinstance(obj, bool):
        return float(obj)  # 3 and 3.0 are the same setting
    return obj


def finished_result(folder: Path, input_sha256: str, cfg_hash: str) -> dict[str, Any] | None:
    """The result.json of ``folder`` when it is a finished analysis of this input with this config.

    An unreadable, invalid or absurd result.json (e.g. nested thousands deep) is not finished work:
    the recording is redone.
    """
    try:
        result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(result, dict) or not isinstance(result.get("input") or {}, dict):
        return None
    if not isinstance(result.get("config") or {}, dict):
        return None
    if (result.get("input") or {}).get("sha256") != input_sha256:
        return None
    if config_hash(result.get("config") or {}) != cfg_hash:
        return None
    return result


class _Lock:
    """An exclusive ``flock`` on ``OUT/.batch.lock`` (released by the OS if this process dies)."""

    def __init__(self, out: Path) -> None:
        self.path = out / ".batch.lock"

    def __enter__(self) -> _Lock:
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the whole batch
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            raise BatchLockedError(
                f"another batch is writing into {self.path.parent}; wait for it to finish "
                "or choose another --out folder"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


@dataclass
class _RecState:
    rec: Recording
    config: Config
    cfg_hash: str
    sha256: str | None
    work_dir: Path
    plans: list[ChunkPlan] = field(default_factory=list)
    chunks_left: int = 0
    error: Outcome | None = None
    info: Any = None  # VideoInfo of a chunked recording (probed once, here)


def install(work_dir: Path, final: Path, partial: Path | None = None) -> None:
    """Put a finished work folder's outputs into ``final`` (rules: :func:`posture_cam.outputs.commit_folder`).

    Old posture_cam outputs the new run did not produce are removed, result.json (or error.json)
    lands last, files posture_cam did not write stay. The emptied work folder is deleted.
    """
    commit_folder(work_dir, final)
    shutil.rmtree(work_dir, ignore_errors=True)


class _Heartbeat:
    """Touches ``OUT/.partial/.lease`` (holding this run's id) every ``timeout/5`` s; see tasks.Lease."""

    def __init__(self, partial: Path, timeout_s: float) -> None:
        self.lease = Lease(str(partial / ".lease"), uuid.uuid4().hex, float(timeout_s))
        atomic_write_text(self.lease.path, self.lease.run_id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="posture-cam-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        period = max(0.2, self.lease.timeout_s / 5.0)
        while not self._stop.wait(period):
            try:
                os.utime(self.lease.path)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class BatchRunner:
    """One batch run; use :func:`run_batch`."""

    def __init__(
        self,
        recordings: list[Recording],
        out: Path,
        config: Config,
        options: BatchOptions,
        history: History,
        on_progress: Callable[[float], None],
        on_status: Callable[[str], None],
    ) -> None:
        self.recs = recordings
        self.out = out
        self.partial = out / ".partial"
        self.config = config
        self.opt = options
        self.history = history
        self.workers = int(options.workers or default_workers())
        self.rows: dict[str, dict[str, Any]] = {r.name: summary_row(r, status="pending") for r in recordings}
        self.outcomes: list[Outcome] = []
        self.n_ok = self.n_failed = self.n_reused = 0
        self._ex: Any = None
        self._in_flight: dict[Any, tuple[Callable[[Any], Outcome], Any, _RecState, int]] = {}
        self._free_retries: dict[tuple[str, str], int] = {}
        self.lease: Lease | None = None
        self._progress = on_progress
        self._status = on_status

    # ------------------------------------------------------------------ executor
    @property
    def ex(self) -> Any:
        if self._ex is None:  # started only when there is work: a fully reused rerun starts nothing
            self._ex = make_executor(
                self.opt.executor,
                self.workers,
                scheduler=self.opt.scheduler,
                model=self.config.extraction.model,
                connect_timeout_s=self.opt.scheduler_timeout_s,
            )
            self.workers = self._ex.workers
        return self._ex

    @property
    def _spare_core(self) -> bool:
        """Whether a recording may use a second core: only local workers fewer than the cores (a cluster
        engine schedules one task per worker thread, and a worker per core keeps every core busy)."""
        if self.opt.pipelined is not None:
            return self.opt.pipelined
        return self.opt.executor == "process" and self.workers < default_workers()

    def _submit(self, fn: Callable[[Any], Outcome], task: Any, state: _RecState, attempt: int = 1) -> None:
        self._in_flight[self.ex.submit(fn, task)] = (fn, task, state, attempt)

    def close(self, *, cancel: bool) -> None:
        if self._ex is not None:
            self._ex.close(cancel=cancel)
            self._ex = None

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        todo = iter(largest_first(self.recs))
        more = True
        max_in_flight = 2 * self.workers
        while True:
            while more and len(self._in_flight) < max_in_flight:
                rec = next(todo, None)
                if rec is None:
                    more = False
                else:
                    self._plan(rec)
            if not self._in_flight:
                if more:
                    continue
                break
            for fut in self.ex.wait(list(self._in_flight), 0.5):
                # a broken pool fails every in-flight future at once; collecting the first one
                # restarts the pool and resubmits the others, so theirs are no longer in flight
                if fut in self._in_flight:
                    self._collect(fut)

    def _plan(self, rec: Recording) -> None:
        from ..pipeline import SubjectInfo, resolve_config
        from ..video import probe

        cfg = resolve_config(self.config, SubjectInfo(height_cm=rec.height_cm))
        chash = config_hash(cfg)
        work = Path(tempfile.mkdtemp(prefix=f"{rec.name}.", dir=self.partial))
        seed_corrections(self.out / rec.name, work)  # a clinician's corrections are re-applied
        state = _RecState(rec, cfg, chash, None, work)
        t0 = time.perf_counter()
        try:
            state.sha256 = sha256_regular_file(rec.path)  # a FIFO or device is refused, never read
        except (OSError, PostureCamError) as exc:
            self._fail(
                state, Outcome(rec.name, False, str(exc), type(exc).__name__, wall_s=time.perf_counter() - t0)
            )
            return
        result = finished_result(self.out / rec.name, state.sha256, chash)
        if result is not None:
            shutil.rmtree(work, ignore_errors=True)
            self._record(state, result, reused=True)
            return
        n = 1
        if self.opt.chunk_long_videos_s > 0 and Path(rec.path).suffix.lower() not in IMAGE_EXTENSIONS:
            try:
                info = probe(rec.path, cfg.extraction, sha256=state.sha256)
            except PostureCamError as exc:
                self._fail(
                    state,
                    Outcome(rec.name, False, str(exc), type(exc).__name__, wall_s=time.perf_counter() - t0),
                )
                return
            n = n_chunks_for(
                info.duration_s, chunk_threshold_s=self.opt.chunk_long_videos_s, workers=self.workers
            )
        if n == 1:
            task = RecordingTask(
                rec, cfg, str(work), state.sha256, lease=self.lease, pipelined=self._spare_core
            )
            self._submit(run_recording, task, state)
            return
        state.info = info
        state.plans = plan_chunks(info.duration_s, n, fps=info.fps, overlap_s=self.opt.overlap_s)
        state.chunks_left = len(state.plans)
        for plan in state.plans:
            self._submit(extract_chunk, ChunkTask(rec, cfg, str(work), plan, info, lease=self.lease), state)

    def _collect(self, fut: Any) -> None:
        fn, task, state, attempt = self._in_flight.pop(fut)
        try:
            outcome: Outcome = fut.result()
        except Exception as exc:  # the worker process died (crash, out of memory) or was lost
            next_attempt = self._next_attempt(task, state, attempt)
            if next_attempt is not None:
                self.ex.restart()
                self._resubmit_broken()
                self._submit(fn, task, state, next_attempt)
                return
            outcome = Outcome(
                state.rec.name,
                False,
                f"the worker process died while analysing this recording ({type(exc).__name__}: {exc})",
                type(exc).__name__,
            )
        self.outcomes.append(outcome)
        if outcome.error_type == "DiskFullError":  # every later write would fail too: stop, exit 6
            raise DiskFullError(outcome.error or "the disk is full")
        if fn is extract_chunk:
            state.chunks_left -= 1
            if not outcome.ok and state.error is None:
                state.error = outcome
            self._progress(1.0 / (len(state.plans) + 1))
            if state.chunks_left == 0:
                if state.error is not None:
                    self._fail(state, state.error, progress=1.0 / (len(state.plans) + 1))
                else:
                    self._submit(
                        finish_chunked,
                        FinishTask(
                            state.rec,
                            state.config,
                            str(state.work_dir),
                            tuple(state.plans),
                            self.opt.overlap_s,
                            state.info,
                            lease=self.lease,
                        ),
                        state,
                    )
            return
        step = 1.0 / (len(state.plans) + 1) if state.plans else 1.0
        if not outcome.ok:
            self._fail(state, outcome, progress=step)
            return
        install(state.work_dir, self.out / state.rec.name, self.partial)
        result = json.loads((self.out / state.rec.name / "result.json").read_text(encoding="utf-8"))
        self._record(state, result, reused=False, progress=step)

    def _next_attempt(self, task: Any, state: _RecState, attempt: int) -> int | None:
        """The attempt number to resubmit a task whose worker died with, or None when it is used up.

        A task that never started (no started marker: it was queued, or its worker died before it
        began) is resubmitted without using an attempt (up to a bound, in case a worker cannot even
        start); one that started uses one of ``max_attempts`` (the culprit may be any running task).
        """
        marker = started_marker(task.work_dir, task.key)
        if not marker.exists():
            ident = (state.rec.name, task.key)
            used = self._free_retries.get(ident, 0)
            if used < _FREE_RETRIES:
                self._free_retries[ident] = used + 1
                return attempt
        if attempt < self.opt.max_attempts:
            marker.unlink(missing_ok=True)
            return attempt + 1
        return None

    def _resubmit_broken(self) -> None:
        """After a pool restart, every other in-flight future is broken too: submit them again."""
        for fut, (fn, task, state, attempt) in list(self._in_flight.items()):
            if not fut.done() or not (fut.cancelled() or fut.exception() is not None):
                continue
            next_attempt = self._next_attempt(task, state, attempt)
            if next_attempt is not None:
                del self._in_flight[fut]
                self._submit(fn, task, state, next_attempt)
            # else: left in flight; collected next and recorded as failed

    # ------------------------------------------------------------------ bookkeeping
    def _record(
        self, state: _RecState, result: dict[str, Any], *, reused: bool, progress: float = 1.0
    ) -> None:
        rec = state.rec
        self.history.record_result(
            rec.path,
            result=result,
            subject_id=rec.subject_id,
            session_date=rec.session_date,
            height_cm=rec.height_cm,
            input_sha256=state.sha256,
            config_hash=state.cfg_hash,
            result_dir=self.out / rec.name,
        )
        self.rows[rec.name] = summary_row(rec, status="ok", result=result, reused=reused)
        self.n_ok += 1
        self.n_reused += reused
        self._after(progress)

    def _fail(self, state: _RecState, outcome: Outcome, *, progress: float = 1.0) -> None:
        rec = state.rec
        shutil.rmtree(state.work_dir / ".chunks", ignore_errors=True)
        for stale in state.work_dir.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        write_error(state.work_dir, rec, outcome, input_sha256=state.sha256, config_hash=state.cfg_hash)
        install(state.work_dir, self.out / rec.name, self.partial)
        self.history.record_result(
            rec.path,
            result=None,
            subject_id=rec.subject_id,
            session_date=rec.session_date,
            height_cm=rec.height_cm,
            input_sha256=state.sha256,
            config_hash=state.cfg_hash,
            result_dir=self.out / rec.name,
            error=outcome.error,
        )
        self.rows[rec.name] = summary_row(rec, status="failed", error=outcome.error)
        self.n_failed += 1
        name = Path(rec.path).name
        msg = outcome.error or ""
        line = f"failed: {msg}" if msg.startswith(name) else f"failed: {name}: {msg}"
        self._status(terminal_safe(line))
        self._after(progress)

    def _after(self, progress: float) -> None:
        write_summary(list(self.rows.values()), self.out)
        self._progress(progress)


def largest_first(recordings: list[Recording]) -> list[Recording]:
    """The order to start recordings in: largest file first (a stand-in for the longest analysis).

    The batch ends when its last recording does; started last, the small ones fill the gaps while the
    other workers finish, instead of one long recording running alone at the end (longest processing
    time first). Results and the summary keep the input order; files that cannot be read sort last
    (they fail fast).
    """

    def size(rec: Recording) -> int:
        try:
            return os.stat(rec.path).st_size
        except OSError:
            return -1

    return sorted(recordings, key=size, reverse=True)  # stable: equal sizes keep the input order


def _remove_stale_temp_files(out: Path) -> None:
    """Delete temp files a killed run left from an atomic write (``.<name>.XXXX.tmp``, see
    ``posture_cam.sequence.atomic_path``) in the output folder and in finished recording folders.

    Safe because the caller holds the batch lock: no other writer can own such a file now.
    """
    for folder in [out, *(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))]:
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def run_batch(
    inputs: Iterable[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    options: BatchOptions | None = None,
) -> BatchReport:
    """Analyse every recording named by ``inputs`` into ``out_dir`` (see the module docstring).

    Raises :mod:`posture_cam.errors` exceptions for usage problems (no input, bad manifest, locked or
    unwritable output); problems with single recordings are recorded, never raised.
    """
    from tqdm import tqdm

    from ..pipeline import check_output_dir

    opt = options or BatchOptions()
    if opt.workers is not None and opt.workers < 1:
        raise InputNotFoundError(f"--workers must be at least 1, got {opt.workers}")
    cfg = config or Config()
    recordings = discover(list(inputs))
    if not recordings:
        raise InputNotFoundError(
            f"no recordings found in the inputs (looked for {', '.join(sorted(MEDIA_EXTENSIONS))})"
        )
    if opt.executor == "dask" and opt.scheduler:
        check_scheduler(opt.scheduler, opt.scheduler_timeout_s)  # before any work: fail fast
    out = check_output_dir(out_dir)
    t0 = time.perf_counter()
    with _Lock(out):
        partial = out / ".partial"
        shutil.rmtree(partial, ignore_errors=True)  # left by a killed run: never a finished result
        partial.mkdir()
        _remove_stale_temp_files(out)
        bar = tqdm(
            total=len(recordings),
            unit="rec",
            desc="batch",
            file=sys.stderr,
            disable=not opt.progress,
            dynamic_ncols=True,
            smoothing=0.1,
            bar_format="{l_bar}{bar}| {n:.1f}/{total} [{elapsed}<{remaining}, {rate_fmt}{postfix}]",
        )
        history = History(opt.history_path or out / "history.sqlite")
        heartbeat = _Heartbeat(partial, opt.lease_timeout_s)
        runner = BatchRunner(
            recordings,
            out,
            cfg,
            opt,
            history,
            on_progress=bar.update,
            on_status=lambda msg: bar.write(msg, file=sys.stderr) if opt.progress else None,
        )
        runner.lease = heartbeat.lease
        interrupted = False
        try:
            write_summary(list(runner.rows.values()), out)
            runner.run()
            runner.close(cancel=False)
        except KeyboardInterrupt:
            interrupted = True
            runner.close(cancel=True)
        except Exception as exc:  # disk full, damaged history...: the documented error, not a crash
            mapped = translate(exc, where=display_path(out))
            if mapped is None or mapped is exc:
                raise
            raise mapped from exc
        finally:
            heartbeat.stop()
            runner.close(cancel=True)
            bar.close()
            history.close()
            shutil.rmtree(partial, ignore_errors=True)
        try:
            summary = write_summary(list(runner.rows.values()), out)
        except OSError as exc:
            mapped = translate(exc, where=display_path(out))
            if mapped is None:
                raise
            raise mapped from exc
    return BatchReport(
        out,
        summary,
        runner.n_ok,
        runner.n_failed,
        runner.n_reused,
        time.perf_counter() - t0,
        interrupted,
        runner.outcomes,
    )
