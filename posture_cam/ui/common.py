"""Shared helpers of the dashboard pages: the on-disk result cache and friendly error messages.

Results are cached on disk, keyed by the SHA-256 of the uploaded bytes plus a hash of the resolved
config and subject: ``<cache>/results/<file sha[:16]>-<settings sha[:12]>/``. The pipeline writes
``result.json`` last, so its presence means a finished analysis and a rerun just reads it back.
The cache folder is ``$POSTURE_CAM_CACHE_DIR`` or ``~/.cache/posture_cam/app``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import PostureCamError
from ..pipeline import SubjectInfo
from ..sequence import atomic_path

log = logging.getLogger(__name__)

VIDEO_TYPES = ("mp4", "mov", "m4v", "avi", "mkv", "webm", "mpg", "mpeg", "wmv", "3gp")
IMAGE_TYPES = ("jpg", "jpeg", "png", "bmp", "webp")


def cache_dir() -> Path:
    """Root of the dashboard's on-disk cache (created on demand)."""
    root = Path(os.environ.get("POSTURE_CAM_CACHE_DIR", Path.home() / ".cache" / "posture_cam" / "app"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def settings_key(config: Config, subject: SubjectInfo | None) -> str:
    """Stable hash of everything besides the file that changes the result (config + subject)."""
    subj = subject.to_json() if subject is not None else {}
    blob = json.dumps({"config": config.to_dict(), "subject": subj}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def safe_filename(name: str) -> str:
    """The user's file name reduced to a safe single path component (keeps the extension)."""
    base = Path(name).name.strip() or "upload"
    base = re.sub(r"[^\w.\- ]+", "_", base)[-120:].lstrip(".")
    return base or "upload"


def store_upload(name: str, data: bytes) -> tuple[Path, str]:
    """Write uploaded bytes once to ``<cache>/uploads/<sha>/<name>`` (atomically); return (path, sha).

    The user's file name is kept so result.json, the page and the reports show it.
    """
    sha = sha256_bytes(data)
    path = cache_dir() / "uploads" / sha / safe_filename(name)
    if not path.is_file() or path.stat().st_size != len(data):
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    return path, sha


def result_dir_for(sha: str, config: Config, subject: SubjectInfo | None) -> Path:
    return cache_dir() / "results" / f"{sha[:16]}-{settings_key(config, subject)[:12]}"


def load_result(out_dir: Path) -> dict[str, Any] | None:
    """The ``result.json`` of a finished analysis, or None when it is not there (yet)."""
    p = Path(out_dir) / "result.json"
    if not p.is_file():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


ProgressFn = Callable[[float, str], None]


@dataclass(frozen=True)
class Outcome:
    """What happened to one analysis request: a result folder, or a user-facing error message."""

    name: str
    out_dir: Path | None
    error: str | None = None
    cached: bool = False
    level: str = "error"  # "error" | "warning" when ``error`` is set


def analyze_cached(
    video_path: Path,
    sha: str,
    config: Config,
    subject: SubjectInfo | None,
    *,
    name: str,
    progress: ProgressFn | None = None,
) -> Outcome:
    """Run ``posture_cam.pipeline.analyze_file`` unless a finished result for the same input exists.

    Never raises for bad input: a :class:`PostureCamError` becomes ``Outcome.error`` with its one-line
    message; anything unexpected is logged with its traceback and reported in one line.
    """
    out_dir = result_dir_for(sha, config, subject)
    if load_result(out_dir) is not None:
        return Outcome(name, out_dir, cached=True)
    try:
        from ..pipeline import analyze_file

        analyze_file(video_path, out_dir, config, subject=subject, progress=_progress_adapter(progress))
    except PostureCamError as exc:
        level = "warning" if type(exc).__name__ in WARNING_ERRORS else "error"
        return Outcome(name, None, error=friendly_message(exc), level=level)
    except Exception as exc:  # noqa: BLE001 - the UI must never show a traceback
        log.exception("analysis of %s failed", name)
        return Outcome(
            name,
            None,
            error=f"The analysis failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Details are in the server log.",
        )
    if load_result(out_dir) is None:
        return Outcome(name, None, error="The analysis ended without writing result.json.")
    return Outcome(name, out_dir)


# Errors that describe the recording (nobody visible, ...) rather than a broken file.
WARNING_ERRORS = {"NoPersonDetectedError"}


def friendly_message(exc: PostureCamError) -> str:
    """One-line message for the page; adds a hint for the common cases."""
    hints = {
        "UnreadableVideoError": "Try re-exporting the video as MP4 (H.264) or use a different file.",
        "EmptyVideoError": "The file holds no video frames.",
        "NoPersonDetectedError": "Make sure the whole body is in the frame and well lit.",
        "InputTooLargeError": "Trim the recording or raise the limit in the config.",
        "ModelError": "Run `posture-cam models` to check the pose model.",
    }
    hint = next((h for cls in type(exc).__mro__ if (h := hints.get(cls.__name__))), None)
    msg = str(exc)
    return f"{msg} {hint}" if hint and hint not in msg else msg


def _progress_adapter(progress: ProgressFn | None) -> Callable[..., None] | None:
    """Translate the pipeline's progress callback into ``progress(fraction, text)``."""
    if progress is None:
        return None

    def cb(done: int, total: int | None = None) -> None:
        fraction, text = progress_fraction(done, total)
        progress(fraction, text)

    return cb


def progress_fraction(done: int, total: int | None) -> tuple[float, str]:
    """(fraction in [0, 1], label) from the pipeline's ``progress(frames_done, frames_total_or_None)``.

    The total is an estimate from the container; without one the bar shows an indeterminate 0.
    """
    if total:
        return min(max(done / total, 0.0), 1.0), f"Finding landmarks: frame {done} of about {total}"
    return 0.0, f"Finding landmarks: frame {done}"
