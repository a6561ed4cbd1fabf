"""The Dask worker plugin of a batch's own LocalCluster (imported only when Dask is used).

Runs :func:`posture_cam.batch.tasks.init_worker` on every worker the cluster starts, including the
ones a nanny starts again after a worker died: MediaPipe is loaded once per worker, and the worker
gets the watchdog that ends it when the batch process (its parent) dies.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .tasks import init_worker


class WorkerSetup(WorkerPlugin):
    name = "posture-cam-worker-setup"

    def __init__(self, parent_pid: int, model: str) -> None:
        self.parent_pid = int(parent_pid)
        self.model = model

    def setup(self, worker: Any) -> None:
        init_worker(self.parent_pid, self.model)
