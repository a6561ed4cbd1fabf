"""Turn the batch command's inputs (folders, files, a manifest CSV) into a list of recordings.

* A folder is searched recursively for files whose extension is in :data:`MEDIA_EXTENSIONS`
  (case-insensitive; hidden files and folders are skipped).
* A file is taken as given, whatever its extension (a bad file is then recorded as failed).
* A ``.csv`` file is read as a manifest with the columns ``path`` (required; relative paths are
  relative to the manifest's folder), ``subject_id``, ``session_date`` (``YYYY-MM-DD``),
  ``subject_height_cm`` (50-250) and ``view_hint`` (one of :data:`posture_cam.measurement.VIEWS`).
  Every problem raises :class:`~posture_cam.errors.ManifestError` naming the line. The file may be
  UTF-8, UTF-16 or Windows-1252/Latin-1, as spreadsheet programs export it (:func:`decode_manifest`).

Each recording gets a stable, collision-free result folder name: a slug of its path relative to the
input it was found under, plus 8 hex digits of the SHA-1 of its absolute path.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..errors import InputNotFoundError, ManifestError, PostureCamError
from ..measurement import VIEWS
from ..paths import check_regular_file, display_path, path_bytes, slug

MEDIA_EXTENSIONS = frozenset(
    {
        ".mp4",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".m4v",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".jpg",
        ".jpeg",
        ".png",
        ".bmp",
        ".webp",
    }
)
MANIFEST_COLUMNS = ("path", "subject_id", "session_date", "subject_height_cm", "view_hint")
_MIN_HEIGHT_CM, _MAX_HEIGHT_CM = 50.0, 250.0


@dataclass(frozen=True)
class Recording:
    """One input of a batch, with what the user said about it (everything but ``path`` optional)."""

    path: str  # absolute path
    name: str  # result folder name (stable, unique per absolute path)
    subject_id: str | None = None
    session_date: str | None = None  # ISO YYYY-MM-DD
    height_cm: float | None = None
    view_hint: str | None = None


def folder_name(path: Path, relative_to: Path | None = None) -> str:
    """``<slug of the relative path>-<8 hex of sha1(absolute path)>``, at most ~80 characters.

    The digest is of the path's file-system bytes, so names that are not valid UTF-8 work too (and
    every valid UTF-8 path keeps the digest it always had).
    """
    absolute = path.resolve()
    rel = absolute.name
    if relative_to is not None:
        try:
            rel = str(absolute.relative_to(relative_to.resolve()))
        except ValueError:
            pass
    name = slug(rel.replace(os.sep, "__"))
    digest = hashlib.sha1(path_bytes(absolute)).hexdigest()[:8]
    return f"{name[-70:]}-{digest}"


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def scan_folder(folder: Path) -> list[Path]:
    """Media files under ``folder`` (recursive, sorted, hidden entries skipped)."""
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in MEDIA_EXTENSIONS and not _is_hidden(p, folder)
    ]
    return sorted(found)


def decode_manifest(data: bytes, where: str) -> str:
    """The text of a manifest as spreadsheet programs save it.

    UTF-8 (with or without a BOM), UTF-16 with a BOM, UTF-16 without a BOM (recognised by the NUL
    byte of every ASCII character), else Windows-1252 / Latin-1 (every byte decodes; the usual
    "CSV" of a spreadsheet on Windows). Anything else is a :class:`ManifestError`.
    """
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif len(data) >= 4 and data[1:4:2] == b"\0\0" and data[0] and data[2]:
        encodings = ("utf-16-le",)
    elif len(data) >= 4 and data[0:4:2] == b"\0\0" and data[1] and data[3]:
        encodings = ("utf-16-be",)
    else:
        encodings = ("utf-8", "cp1252", "latin-1")
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\0" in text:
            break
        return text
    raise ManifestError(
        f"{where}: cannot read the manifest as text (tried {', '.join(encodings)}); "
        "save it as CSV UTF-8 from the spreadsheet program"
    )


def read_manifest(path: Path) -> list[Recording]:
    """Parse and validate a manifest CSV (see module docstring); errors name the line."""
    where_file = display_path(path)
    try:
        check_regular_file(path)
        data = path.read_bytes()
    except (OSError, PostureCamError) as exc:
        raise ManifestError(
            f"{where_file}: cannot read manifest ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    text = decode_manifest(data, where_file)
    try:
        rows = list(csv.DictReader(text.splitlines()))
        header = [h.strip() for h in (next(csv.reader(text.splitlines()[:1])) if text.strip() else [])]
    except csv.Error as exc:
        raise ManifestError(f"{where_file}: not a valid CSV file ({exc})") from None
    if "path" not in header:
        raise ManifestError(
            f"{where_file}: manifest needs a 'path' column (columns: {', '.join(MANIFEST_COLUMNS)})"
        )
    unknown = [h for h in header if h not in MANIFEST_COLUMNS]
    if unknown:
        raise ManifestError(
            f"{where_file}: unknown manifest column(s) {unknown} (expected: {', '.join(MANIFEST_COLUMNS)})"
        )
    if not rows:
        raise ManifestError(f"{where_file}: manifest has no rows")
    out: list[Recording] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(rows, start=2):  # line 1 is the header
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        where = f"{where_file}, line {i}"
        if not row.get("path"):
            raise ManifestError(f"{where}: 'path' is empty")
        media = Path(row["path"])
        media = media if media.is_absolute() else path.parent / media
        if not media.exists():
            raise ManifestError(f"{where}: file not found: {display_path(media)}")
        if not media.is_file():
            raise ManifestError(f"{where}: not a file: {display_path(media)}")
        absolute = str(media.resolve())
        if absolute in seen:
            raise ManifestError(f"{where}: {display_path(media)} is already listed on line {seen[absolute]}")
        seen[absolute] = i
        session = row.get("session_date") or None
        if session is not None:
            try:
                session = date.fromisoformat(session).isoformat()
            except ValueError:
                raise ManifestError(f"{where}: session_date must be YYYY-MM-DD, got {session!r}") from None
        height = None
        if row.get("subject_height_cm"):
            try:
                height = float(row["subject_height_cm"])
            except ValueError:
                raise ManifestError(
                    f"{where}: subject_height_cm must be a number in cm, got {row['subject_height_cm']!r}"
                ) from None
            if not _MIN_HEIGHT_CM <= height <= _MAX_HEIGHT_CM:
                raise ManifestError(
                    f"{where}: subject_height_cm must be between {_MIN_HEIGHT_CM:.0f} and "
                    f"{_MAX_HEIGHT_CM:.0f} cm, got {height:g}"
                )
        view = row.get("view_hint") or None
        if view is not None and view not in VIEWS:
            raise ManifestError(f"{where}: view_hint must be one of {', '.join(VIEWS)}, got {view!r}")
        out.append(
            Recording(
                absolute,
                folder_name(media, path.parent),
                row.get("subject_id") or None,
                session,
                height,
                view,
            )
        )
    return out


def discover(inputs: list[str | os.PathLike[str]]) -> list[Recording]:
    """All recordings named by ``inputs`` (folders, files, manifest CSVs), each once, in input order."""
    out: list[Recording] = []
    seen: set[str] = set()
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise InputNotFoundError(f"input not found: {display_path(p)}")
        if p.is_dir():
            found = [Recording(str(f.resolve()), folder_name(f, p.parent)) for f in scan_folder(p)]
        elif p.suffix.lower() == ".csv":
            found = read_manifest(p)
        else:
            found = [Recording(str(p.resolve()), folder_name(p))]
        for rec in found:
            if rec.path not in seen:
                seen.add(rec.path)
                out.append(rec)
    return out
