"""Where batch tasks run: a local process pool, or a Dask cluster. Same task functions in both.

Both wrappers offer ``submit(fn, arg) -> future`` and ``wait(futures, timeout_s) -> done``; futures
have ``.result()`` (raising if the worker itself died). No scheduling logic of our own: the process
pool or the Dask scheduler decides which worker runs what.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from ..errors import SchedulerUnreachableError
from .tasks import init_worker


def default_workers() -> int:
    """Cores this process may use."""
    from ..memory import usable_cores

    return usable_cores()


class ProcessExecutor:
    """A ``ProcessPoolExecutor`` with ``spawn`` workers (MediaPipe must not be forked)."""

    kind = "process"

    def __init__(self, workers: int, *, model: str = "full") -> None:
        self.workers = int(workers)
        self._model = model
        self._pool = self._new_pool()

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        # spawn, not fork (MediaPipe) and not forkserver: a forkserver child keeps the server's "alive"
        # pipe open, so after a SIGKILL of the batch neither would notice and orphans would keep running.
        # With spawn the workers are our direct children and their watchdog sees the re-parenting.
        return cf.ProcessPoolExecutor(
            self.workers,
            mp_context=mp.get_context("spawn"),
            initializer=init_worker,
            initargs=(os.getpid(), self._model),
        )

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> cf.Future[Any]:
        try:
            return self._pool.submit(fn, arg)
        except cf.process.BrokenProcessPool:
            self.restart()
            return self._pool.submit(fn, arg)

    def restart(self) -> None:
        """Replace a broken pool (a worker died, e.g. out of memory) with a fresh one."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    @staticmethod
    def wait(futures: Iterable[Any], timeout_s: float) -> set[Any]:
        done, _ = cf.wait(list(futures), timeout=timeout_s, return_when=cf.FIRST_COMPLETED)
        return set(done)

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            procs = list(getattr(self._pool, "_processes", {}).values())  # stop running tasks now
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.join(timeout=5)
        else:
            self._pool.shutdown(wait=True)


class DaskExecutor:
    """A ``dask.distributed.Client`` on ``scheduler`` (address) or on a new ``LocalCluster``.

    The local cluster has ``workers`` single-threaded worker processes (MediaPipe is not shared across
    threads). On a remote cluster, the inputs and the output folder must be on storage every worker
    can reach under the same paths (results are written by the workers, installed by this process).
    """

    kind = "dask"

    def __init__(
        self,
        workers: int,
        *,
        scheduler: str | None = None,
        model: str = "full",
        connect_timeout_s: float = 10.0,
        allowed_failures: int = 0,
    ) -> None:
        import dask
        from dask.distributed import Client, LocalCluster

        self._cluster = None
        # 0: a worker's death is reported at once (KilledWorker) and the batch runner decides about the
        # retry, knowing which tasks had started (queued ones are retried for free); applies to the
        # scheduler of a LocalCluster; a remote scheduler keeps its own setting
        dask.config.set({"distributed.scheduler.allowed-failures": int(allowed_failures)})
        if scheduler:
            check_scheduler(scheduler, connect_timeout_s)
            try:
                self.client = Client(scheduler, timeout=f"{connect_timeout_s}s")
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachableError(
                    f"cannot connect to the Dask scheduler at {scheduler} within {connect_timeout_s:g} s "
                    f"({type(exc).__name__}: {exc})"
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=int(workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            )
            self.client = Client(self._cluster)
            # the local workers are our children: each (also one restarted after a crash) gets the
            # watchdog that ends it with us
            from .dask_setup import WorkerSetup

            self.client.register_plugin(WorkerSetup(os.getpid(), model))
        self.workers = len(self.client.scheduler_info().get("workers", {})) or int(workers)

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        return self.client.submit(fn, arg, pure=False)

    def restart(self) -> None:  # pragma: no cover - Dask replaces lost workers itself
        pass

    @staticmethod
    def wait(futures: Iterable[Any], timeout_s: float) -> set[Any]:
        from dask.distributed import wait

        futs = list(futures)
        try:
            done, _ = wait(futs, timeout=timeout_s, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return set(done)

    def close(self, *, cancel: bool = False) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def check_scheduler(address: str, timeout_s: float) -> None:
    """Fail fast (one TCP connect, ``timeout_s`` at most) when a ``tcp://host:port`` scheduler is down."""
    parsed = urlsplit(address if "://" in address else f"tcp://{address}")
    if parsed.scheme not in ("tcp", "tls") or not parsed.hostname or parsed.port is None:
        return  # other transports (inproc, ucx): let Dask try, within its own timeout
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise SchedulerUnreachableError(
            f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc} "
            "(is it running, and is the address right?)"
        ) from None


def make_executor(
    kind: str,
    workers: int,
    *,
    scheduler: str | None = None,
    model: str = "full",
    connect_timeout_s: float = 10.0,
    allowed_failures: int = 0,
) -> Any:
    if kind == "process":
        return ProcessExecutor(workers, model=model)
    if kind == "dask":
        return DaskExecutor(
            workers,
            scheduler=scheduler,
            model=model,
            connect_timeout_s=connect_timeout_s,
            allowed_failures=allowed_failures,
        )
    raise ValueError(f"executor: expected 'process' or 'dask', got {kind!r}")
