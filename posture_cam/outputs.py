"""How new outputs replace old outputs in a result folder: the one place that decides it.

Used by ``analyze`` (:class:`Staging`, through :mod:`posture_cam.pipeline`) and by ``batch`` (the parent
installs a worker's finished folder with :func:`commit_folder`). Rules:

* New files are written into a hidden staging folder and moved into place one by one, ``result.json``
  (or ``error.json`` for a failed batch recording) LAST, after a stale ``result.json`` was removed, so a
  result never vouches for files of another run.
* A posture_cam output of the old run that the new run does not produce is removed on commit (an old
  ``overlay.mp4`` or ``landmarks.csv`` must not be shown as the new recording's). A file counts as
  posture_cam's only when the folder's own record says so: the old ``result.json``'s ``files`` list
  (intersected with :data:`KNOWN_OUTPUTS`, so a crafted list cannot name other files), a batch
  ``error.json`` of ours, and ``report.html`` / ``report.pdf`` that carry posture_cam's signature.
  Anything else (the user's own notes, other programs' files) is never touched.
* A staging folder is ``flock``-ed by its writer while in use. Folders whose lock is free
  (their writer was killed) are removed by the next :class:`Staging` in the same folder, so a killed
  worker leaves no empty ``.staging-*`` behind once the recording is redone.
* :func:`set_commit_guard` lets a caller (a batch task) veto a commit, e.g. after the batch that asked
  for the work has died: nothing is then committed.
"""

from __future__ import annotations

import contextvars
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RESULT = "result.json"
ERROR = "error.json"
STAGING_PREFIX = ".staging-"
#: A staging folder this young is left alone (its writer may be between mkdtemp and flock).
_UNLOCKED_GRACE_S = 2.0

#: Every file name posture_cam writes into a result folder (see docs/ARCHITECTURE.md).
KNOWN_OUTPUTS = frozenset(
    {
        "landmarks.parquet",
        "landmarks.json",
        "landmarks.csv",
        "metrics_timeseries.csv",
        "overlay.mp4",
        RESULT,
        ERROR,
        "report.html",
        "report.pdf",
    }
)
#: Reports built from result.json afterwards (dashboard, report module): recognised by signature.
_REPORT_SIGNATURES = {"report.html": b"<title>posture_cam report", "report.pdf": b"/Creator (posture_cam)"}
#: What a result.json ``files`` list may claim (reports are never listed: they are written later).
_LISTED_OUTPUTS = KNOWN_OUTPUTS - set(_REPORT_SIGNATURES)

CommitGuard = Callable[[], None]
_GUARD: contextvars.ContextVar[CommitGuard | None] = contextvars.ContextVar(
    "posture_cam_commit_guard", default=None
)


# --------------------------------------------------------------------------- ownership
def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def _has_signature(path: Path, signature: bytes) -> bool:
    try:
        with path.open("rb") as fh:
            tail = b""
            while chunk := fh.read(1 << 20):
                if signature in tail + chunk:
                    return True
                tail = chunk[-len(signature) :]
    except OSError:
        return False
    return False


def owned_outputs(folder: str | os.PathLike[str]) -> set[str]:
    """Names of the files in ``folder`` that posture_cam wrote there (see the module docstring)."""
    d = Path(folder)
    owned: set[str] = set()
    result = _read_json(d / RESULT)
    if isinstance(result, dict) and "schema_version" in result:
        owned.add(RESULT)
        files = result.get("files")
        if isinstance(files, list):
            owned |= {f for f in files if isinstance(f, str) and f in _LISTED_OUTPUTS}
    error = _read_json(d / ERROR)
    if isinstance(error, dict) and {"error", "error_type", "config_hash"} <= set(error):
        owned.add(ERROR)
    if owned:
        for name, sig in _REPORT_SIGNATURES.items():
            if _has_signature(d / name, sig):
                owned.add(name)
    return {n for n in owned if (d / n).is_file()}


def _last_name(names: Iterable[str]) -> str | None:
    names = set(names)
    return RESULT if RESULT in names else ERROR if ERROR in names else None


def commit_folder(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> list[str]:
    """Move the visible files of ``src`` into ``dest`` (created if needed), replacing old outputs.

    Order: stale posture_cam outputs that the new set does not contain are deleted, a stale
    ``result.json``/``error.json`` is removed, the new files move in, the result (or error) file last.
    Hidden entries of ``src`` (staging, chunk and marker files) are not moved. Returns the new names.
    """
    guard = _GUARD.get()
    if guard is not None:
        guard()
    s, d = Path(src), Path(dest)
    d.mkdir(parents=True, exist_ok=True)
    new = sorted(p.name for p in s.iterdir() if not p.name.startswith(".") and p.is_file())
    last = _last_name(new)
    old = owned_outputs(d)
    for name in sorted(old - set(new) - {RESULT, ERROR}):
        (d / name).unlink(missing_ok=True)
    for name in (RESULT, ERROR):  # a stale result must not vouch for the new files
        if name in old:
            (d / name).unlink(missing_ok=True)
    for name in [n for n in new if n != last] + ([last] if last else []):
        os.replace(s / name, d / name)
    return new


# --------------------------------------------------------------------------- staging
def _lock_is_free(folder: Path) -> bool:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing releases the probe lock
    return True


def clean_stale_staging(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove staging folders in ``folder`` whose writer is gone (its lock on the folder is free).

    A folder younger than a couple of seconds is left alone: its writer may not have locked it yet.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).glob(f"{STAGING_PREFIX}*"))
    except OSError:
        return removed
    for entry in entries:
        try:
            young = time.time() - entry.stat().st_mtime < _UNLOCKED_GRACE_S
        except OSError:
            continue
        if entry.is_dir() and not young and _lock_is_free(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


class Staging:
    """A hidden folder inside ``out_dir`` collecting the outputs until they are all complete.

    The folder itself is ``flock``-ed while in use (the OS releases it when the writer dies).
    """

    def __init__(self, out_dir: str | os.PathLike[str]) -> None:
        self.out_dir = Path(out_dir)
        clean_stale_staging(self.out_dir)
        self.dir = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.out_dir))
        self._fd: int | None = os.open(self.dir, os.O_RDONLY)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def path(self, name: str) -> Path:
        return self.dir / name

    def names(self) -> list[str]:
        """The outputs staged so far."""
        return sorted(p.name for p in self.dir.iterdir() if not p.name.startswith("."))

    def commit(self, last: str = RESULT) -> None:
        """Move every staged file into place (result.json at the very end), replacing old outputs."""
        if last not in (RESULT, ERROR):
            raise ValueError(f"last must be {RESULT} or {ERROR}, got {last!r}")
        try:
            commit_folder(self.dir, self.out_dir)
        finally:
            self.abort()

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        shutil.rmtree(self.dir, ignore_errors=True)


# --------------------------------------------------------------------------- commit guard
@contextmanager
def commit_guard(check: CommitGuard) -> Iterator[None]:
    """Within the block, every commit first calls ``check()``; it raises to refuse the commit."""
    token = _GUARD.set(check)
    try:
        yield
    finally:
        _GUARD.reset(token)


def set_commit_guard(check: CommitGuard | None) -> contextvars.Token[CommitGuard | None]:
    """Set (or clear) the commit guard of the current context; returns the token to reset it."""
    return _GUARD.set(check)


def check_commit_allowed() -> None:
    """Call the current guard, if any (tasks also call it before writing intermediate files)."""
    guard = _GUARD.get()
    if guard is not None:
        guard()


__all__ = [
    "KNOWN_OUTPUTS",
    "Staging",
    "check_commit_allowed",
    "clean_stale_staging",
    "commit_folder",
    "commit_guard",
    "owned_outputs",
    "set_commit_guard",
]
