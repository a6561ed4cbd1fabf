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
