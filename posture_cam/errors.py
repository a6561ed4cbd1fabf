"""Every exception posture_cam raises on purpose lives here.

Each carries a one-line, user-facing message (``str(exc)``); the CLI prints it without a traceback
and exits with ``exc.exit_code``. Low landmark quality is *not* an exception: it is a flag on the
result (a metric's ``status``/``reason``).
"""

from __future__ import annotations


class PostureCamError(Exception):
    """Base class: a problem with the user's input or environment, explained in one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


class InputNotFoundError(PostureCamError):
    """The input path does not exist."""


class NotAFileError(PostureCamError):
    """A directory (or other non-file) was given where a video or image file is expected."""


class UnreadableVideoError(PostureCamError):
    """The file exists but cannot be decoded as a video or image (corrupt, truncated, not media)."""

    exit_code = 3


class EmptyVideoError(UnreadableVideoError):
    """The container decodes but holds no video frames."""


class InputTooLargeError(PostureCamError):
    """The input exceeds a configured size or duration limit."""


class NoPersonDetectedError(PostureCamError):
    """No person was found in any frame."""

    exit_code = 4


class ModelError(PostureCamError):
    """The pose model cannot be found, built or loaded."""

    exit_code = 5


class OutputError(PostureCamError):
    """The output location cannot be written."""

    exit_code = 6


class ConfigError(PostureCamError):
    """A configuration or rules file is invalid; the message names the key/rule and field."""


class InvalidSequenceError(PostureCamError, ValueError):
    """A PoseSequence was built from arrays of the wrong shape, type or ordering."""


class ManifestError(PostureCamError):
    """A batch manifest CSV is invalid; the message names the file, the line and the column."""


class BatchLockedError(PostureCamError):
    """Another batch is already writing into the same output folder."""


class InvalidFrameError(PostureCamError, ValueError):
    """A frame handed to pose extraction is not an upright (H, W, 3) uint8 RGB image of the expected size."""

    exit_code = 3


class ConditioningError(PostureCamError, ValueError):
    """Landmarks were already conditioned with other settings (conditioning twice would distort them)."""


def quiet_expected_numpy_warnings() -> None:
    """Hide numpy's RuntimeWarnings for reductions over all-NaN data.

    Frames without the subject are NaN rows by design (``PoseSequence``), so "Mean of empty slice"
    and "All-NaN slice encountered" are expected there and say nothing to a user; every metric
    reports missing data through its own ``status``/``reason``. Other warnings stay visible.
    """
    import warnings

    for msg in (
        "Mean of empty slice",
        "All-NaN slice encountered",
        "Degrees of freedom <= 0",
        "invalid value encountered in divide",
    ):
        warnings.filterwarnings("ignore", message=msg, category=RuntimeWarning)


# --------------------------------------------------------------------------- reliability (#16)
class DiskFullError(OutputError):
    """The disk (or quota) holding the output ran out of space while writing."""


class NotAResultError(PostureCamError):
    """A ``result.json`` exists but is not an analysis result (invalid, too deeply nested, not an object)."""


class HistoryDatabaseError(PostureCamError):
    """The history database is damaged or is not a posture_cam history (not SQLite, wrong tables)."""


class SchedulerUnreachableError(PostureCamError):
    """The Dask scheduler given with ``--scheduler`` cannot be reached (or answered too slowly)."""


class ImageTooLargeError(UnreadableVideoError):
    """An image has more pixels than the decoder's safety limit (a decompression bomb, or a huge scan)."""


class BatchAbandonedError(PostureCamError):
    """A batch task found that the batch which asked for it is gone; it stops without writing."""


_DISK_FULL_ERRNOS = frozenset({28, 122})  # ENOSPC, EDQUOT (Linux)
_DISK_FULL_TEXT = ("no space left on device", "disk quota exceeded", "database or disk is full")


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 20:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the disk or quota is full, whichever library raised it.

    ``OSError`` with ENOSPC/EDQUOT; pyarrow and PyAV raise ``OSError`` subclasses that carry only the
    message; SQLite says "database or disk is full" (``sqlite3.OperationalError``, SQLITE_FULL).
    """
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
            return True
        if any(t in str(e).lower() for t in _DISK_FULL_TEXT):
            return True
    return False


def translate(exc: BaseException, where: str | None = None) -> PostureCamError | None:
    """The documented error for an exception raised by a library, or None when it is not one we know.

    The one mapping from foreign exceptions to exit codes (README "Exit codes"); the CLI uses it for
    every command and batch tasks use it for every recording:

    * disk full (ENOSPC/EDQUOT, SQLite "database or disk is full") -> :class:`DiskFullError` (6);
    * Pillow's decompression-bomb limit -> :class:`ImageTooLargeError` (3);
    * SQLite "file is not a database" / "database disk image is malformed" ->
      :class:`HistoryDatabaseError` (2).
    """
    if isinstance(exc, PostureCamError):
        return exc
    suffix = f" ({where})" if where else ""
    if is_disk_full(exc):
        return DiskFullError(f"the disk is full; nothing more could be written{suffix}: {exc}")
    for e in _chain(exc):
        name = type(e).__name__
        if name in ("DecompressionBombError", "DecompressionBombWarning"):
            return ImageTooLargeError(
                f"the image is too large to decode safely{suffix}: {e} (decompression-bomb protection)"
            )
        if type(e).__module__ == "sqlite3" and any(
            t in str(e).lower() for t in ("file is not a database", "malformed", "no such table")
        ):
            return HistoryDatabaseError(
                f"the history database is damaged or is not a posture_cam history{suffix}: {e}"
            )
    return None
