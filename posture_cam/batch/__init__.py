"""Batch analysis: many recordings, every core (or a Dask cluster), resumable, with a session history.

Entry point: :func:`run_batch` (used by ``posture-cam batch``). See :mod:`posture_cam.batch.runner`
for the output layout, resume and safety rules, and the exit codes.
"""

from __future__ import annotations

from .inputs import MANIFEST_COLUMNS, MEDIA_EXTENSIONS, Recording, discover, folder_name, read_manifest
from .runner import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    BatchOptions,
    BatchReport,
    config_hash,
    finished_result,
    run_batch,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "MANIFEST_COLUMNS",
    "MEDIA_EXTENSIONS",
    "BatchOptions",
    "BatchReport",
    "Recording",
    "config_hash",
    "discover",
    "finished_result",
    "folder_name",
    "read_manifest",
    "run_batch",
]
