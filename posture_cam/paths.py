"""Path and file-name handling: the one place that turns OS paths into names, text and safe inputs.

On Linux a file name is bytes; Python hands names that are not valid UTF-8 over as ``str`` with
lone surrogates (PEP 383, ``surrogateescape``). Such a ``str`` cannot be encoded to UTF-8, so it
breaks hashing, CSV/Parquet/SQLite/JSON text and printing. Rules:

* :func:`path_bytes` - the exact bytes of a path (for hashing and identity; never lossy);
* :func:`display_path` - text for people and text formats: valid UTF-8 names unchanged, every other
  byte shown as ``\\xNN`` (lossless to read, always encodable);
* :func:`slug` - a portable ASCII folder-name fragment;
* :func:`check_regular_file` / :func:`sha256_regular_file` - an input must be a regular file; a FIFO,
  character device, socket or directory is refused before anything reads it (reading a FIFO blocks,
  ``/dev/zero`` never ends). The hash opens the file non-blocking and re-checks the opened file, so
  a path swapped for a FIFO after the check cannot hang it either.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from .errors import InputNotFoundError, NotAFileError

_HASH_CHUNK_BYTES = 1 << 20


def path_bytes(path: str | os.PathLike[str]) -> bytes:
    """The file system's bytes of ``path`` (round-trips names that are not valid UTF-8)."""
    return os.fsencode(path)


def display_path(path: str | os.PathLike[str] | None) -> str:
    """``path`` as printable, UTF-8-encodable text; undecodable bytes appear as ``\\xNN``."""
    if path is None:
        return ""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def display_text(text: str) -> str:
    """Any ``str`` made UTF-8-encodable (lone surrogates from file names become ``\\xNN``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
    return text


def slug(text: str, *, fallback: str = "recording") -> str:
    """``text`` reduced to ``[A-Za-z0-9._-]`` (runs of other characters become ``_``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", display_text(text)).strip("._") or fallback


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_regular_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path when it is an existing regular file (symlinks followed), else a clear error."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputNotFoundError(f"input not found: {display_path(p)}") from None
    except OSError as exc:
        raise InputNotFoundError(f"cannot access {display_path(p)}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise NotAFileError(f"{display_path(p)} is {_kind(st.st_mode)}; give a video or image file")
    return p


def sha256_regular_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a regular file in 1 MiB chunks; refuses FIFOs and devices without blocking on them."""
    p = check_regular_file(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputNotFoundError(f"cannot open {display_path(p)}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):  # swapped after the check
            raise NotAFileError(f"{display_path(p)} is {_kind(mode)}; give a video or image file")
        h = hashlib.sha256()
        while chunk := fh.read(_HASH_CHUNK_BYTES):
            h.update(chunk)
    return h.hexdigest()
