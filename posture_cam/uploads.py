"""Uploaded files (dashboard): streamed to disk in chunks under a size limit, deleted when rejected.

The dashboard used to copy each upload into a second ``bytes`` object (``getvalue()``), hash it,
write it into the cache and keep it there even when the analysis refused it, so a rejected 300 MB
upload stayed on disk and the server's memory grew by a multiple of it. Here:

* :func:`save_upload` reads the upload (any object with ``read``, e.g. Streamlit's ``UploadedFile``,
  or ``bytes``) in 1 MiB chunks into a temporary file in the cache, hashing as it goes; nothing but
  one chunk is held in memory. The declared size is checked before reading; the real size while
  reading. Over ``max_bytes`` the temporary file is deleted and :class:`InputTooLargeError` is
  raised; the cache is unchanged.
* The finished file lands at ``<root>/uploads/<sha256>/<safe name>`` (atomic rename), so the same
  file uploaded twice is stored once and analysed once.
* :func:`discard_upload` deletes a stored upload (and its folder) when the analysis rejected it.

The server's own limit (``.streamlit/config.toml`` ``server.maxUploadSize``) refuses larger uploads
before they reach this code; :func:`save_upload` is the limit the analysis configuration sets
(``extraction.max_file_size_mb``), enforced without holding the file in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DiskFullError, InputTooLargeError, is_disk_full
from .paths import display_text

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class StoredUpload:
    """An upload saved in the cache."""

    name: str  # the user's file name (as shown)
    path: Path  # <root>/uploads/<sha256>/<safe name>
    sha256: str
    size_bytes: int


def safe_filename(name: str) -> str:
    """The user's file name reduced to one safe path component (extension kept, no hidden name)."""
    base = Path(display_text(name)).name.strip() or "upload"
    base = re.sub(r"[^\w.\- ]+", "_", base)[-120:].lstrip(".")
    return base or "upload"


def _declared_size(src: Any) -> int | None:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return len(src)
    size = getattr(src, "size", None)
    return int(size) if isinstance(size, int) else None


def _chunks(src: Any) -> Any:
    if isinstance(src, (bytes, bytearray, memoryview)):
        view = memoryview(src)
        for i in range(0, len(view), CHUNK_BYTES):
            yield view[i : i + CHUNK_BYTES]
        return
    if hasattr(src, "seek"):
        src.seek(0)
    while chunk := src.read(CHUNK_BYTES):
        yield chunk


def _too_large(name: str, size: int, max_bytes: int) -> InputTooLargeError:
    return InputTooLargeError(
        f"{display_text(name)} is {size / 1e6:.0f} MB or more, above the upload limit of "
        f"{max_bytes / 1e6:.0f} MB (extraction.max_file_size_mb); it was not kept"
    )


def save_upload(src: Any, name: str, *, root: str | os.PathLike[str], max_bytes: int) -> StoredUpload:
    """Stream ``src`` into ``<root>/uploads/<sha256>/<safe name>`` (see the module docstring)."""
    declared = _declared_size(src)
    if declared is not None and declared > max_bytes:
        raise _too_large(name, declared, max_bytes)
    incoming = Path(root) / "uploads"
    incoming.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", suffix=".tmp", dir=incoming)
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in _chunks(src):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(name, size, max_bytes)
                h.update(chunk)
                fh.write(chunk)
        sha = h.hexdigest()
        final = incoming / sha / safe_filename(name)
        final.parent.mkdir(exist_ok=True)
        if final.is_file() and final.stat().st_size == size:
            tmp.unlink()
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and is_disk_full(exc):
            raise DiskFullError(f"the disk is full; the upload {display_text(name)} was not kept") from None
        raise
    return StoredUpload(display_text(name), final, sha, size)


def discard_upload(path: str | os.PathLike[str]) -> None:
    """Delete a stored upload (e.g. the analysis rejected it) and its ``<sha256>`` folder when empty."""
    p = Path(path)
    p.unlink(missing_ok=True)
    parent = p.parent
    if parent.parent.name == "uploads" and parent.is_dir() and not any(parent.iterdir()):
        shutil.rmtree(parent, ignore_errors=True)


def release_upload(file: Any) -> bool:
    """Drop a Streamlit upload from the server's in-memory upload store; True when it was dropped.

    Streamlit keeps every uploaded file's bytes in memory for the session until the file is removed
    from the widget. A rejected upload is useless there, so the page releases it at once (the widget
    then no longer returns it). Outside a running Streamlit server (tests, scripts) this does nothing.
    """
    file_id = getattr(file, "file_id", None)
    if not file_id:
        return False
    try:
        from streamlit.runtime import get_instance
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        remove = getattr(get_instance().uploaded_file_mgr, "remove_file", None)
        if ctx is None or remove is None:
            return False
        remove(session_id=ctx.session_id, file_id=file_id)
    except Exception:  # noqa: BLE001 - no runtime, or another Streamlit version: keep the old behaviour
        return False
    close = getattr(file, "close", None)
    if close is not None:
        close()  # the BytesIO's reference to the stored bytes
    return True
