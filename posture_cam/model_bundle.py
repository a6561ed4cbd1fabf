"""The pose model, offline: find or build a MediaPipe ``pose_landmarker_<name>.task`` bundle.

A Pose Landmarker ``.task`` file is a zip holding two TFLite models with metadata:
``pose_detector.tflite`` (finds people) and ``pose_landmarks_detector.tflite`` (33 landmarks per person).
mediapipe 0.10.21, the version pinned by posture_cam, ships the raw models of the legacy pose graph inside
its wheel (``mediapipe/modules/pose_detection/pose_detection.tflite`` and
``mediapipe/modules/pose_landmark/pose_landmark_<name>.tflite``) but no ``.task`` file. This module turns
them into one, on first use, with no network:

1. add TFLite metadata with ``mediapipe.tasks.python.metadata.metadata_writers`` (the detector takes
   an RGB image normalised to [-1, 1] (mean 127.5, std 127.5); the landmark model one normalised to
   [0, 1] (mean 0, std 255); one feature output per model output: 2 for the detector, 5 for the
   landmark model);
2. zip both as STORED entries aligned to :data:`ALIGNMENT` bytes, so the runtime can mmap the models
   instead of copying them;
3. record the sha256 of both source files in the zip comment (JSON), write the bundle atomically,
   and rebuild it whenever the installed source files no longer match.

Official ``pose_landmarker_{lite,full,heavy}.task`` files (downloaded by hand from Google's model
page) placed in the models folder are used as they are, never overwritten, and are preferred for
their name. A file is "built by posture_cam" exactly when its zip comment carries our marker.

Models folder: ``POSTURE_CAM_MODELS`` if set, else ``<repo>/models`` when running from a source
checkout, else ``$XDG_CACHE_HOME/posture_cam/models`` (default ``~/.cache/posture_cam/models``).

This module only imports mediapipe (lazily, inside :func:`_build_bundle`) for the build-time metadata
writer; inference lives in :mod:`posture_cam.pose_adapter`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError
from .sequence import atomic_path

MODEL_NAMES: tuple[str, ...] = ("lite", "full", "heavy")
DETECTOR_ENTRY = "pose_detector.tflite"
LANDMARKER_ENTRY = "pose_landmarks_detector.tflite"
ALIGNMENT = 64  # bytes; STORED entries start on this boundary (TFLite needs >= 4, 64 suits SIMD loads)
ENV_MODELS_DIR = "POSTURE_CAM_MODELS"
_MARKER = "posture_cam.model_bundle"
_BUNDLE_FORMAT = 1
_WHEEL_DETECTOR = "modules/pose_detection/pose_detection.tflite"
_WHEEL_LANDMARK = "modules/pose_landmark/pose_landmark_{name}.tflite"
_REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ModelInfo:
    """One pose model known to posture_cam.

    ``status`` is ``"ready"`` (the file exists and can be loaded), ``"buildable"`` (it will be built
    from the installed mediapipe wheel on first use) or ``"stale"`` (a built bundle whose wheel sources
    changed; rebuilt on next use). ``source`` says in words where it came from. ``size_bytes`` and
    ``sha256`` describe the file on disk (``None`` when it does not exist yet).
    """

    name: str
    path: Path
    source: str
    status: str
    size_bytes: int | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``model`` section of ``result.json``: name, path, source, sha256."""
        return {"name": self.name, "path": str(self.path), "source": self.source, "sha256": self.sha256}


# ---------------------------------------------------------------------------------------------- locations
def default_models_dir() -> Path:
    """Where models live: ``$POSTURE_CAM_MODELS``, else ``<repo>/models`` in a checkout, else a cache dir."""
    env = os.environ.get(ENV_MODELS_DIR)
    if env:
        return Path(env).expanduser().resolve()
    if (_REPO_ROOT / "pyproject.toml").is_file() and (_REPO_ROOT / "posture_cam").is_dir():
        return _REPO_ROOT / "models"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "posture_cam" / "models"


def bundle_filename(name: str) -> str:
    """File name of the bundle for a model name, e.g. ``pose_landmarker_full.task``."""
    return f"pose_landmarker_{name}.task"


def _mediapipe_dir() -> Path:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("mediapipe is not installed: run `pip install -e .` (mediapipe==0.10.21)")
    return Path(next(iter(spec.submodule_search_locations)))


def _mediapipe_version() -> str:
    try:
        return importlib.metadata.version("mediapipe")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - guarded by _mediapipe_dir
        return "unknown"


def wheel_sources(name: str) -> dict[str, Path] | None:
    """The wheel's source files for ``name`` as ``{bundle entry: path}``, or ``None`` if it lacks them."""
    mp_dir = _mediapipe_dir()
    sources = {
        DETECTOR_ENTRY: mp_dir / _WHEEL_DETECTOR,
        LANDMARKER_ENTRY: mp_dir / _WHEEL_LANDMARK.format(name=name),
    }
    return sources if all(p.is_file() for p in sources.values()) else None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- reading
def read_bundle_manifest(path: Path) -> dict[str, Any] | None:
    """The build record in a bundle's zip comment, or ``None`` for a file not built by posture_cam.

    Raises :class:`ModelError` when ``path`` is not a usable pose landmarker bundle at all.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            comment = zf.comment
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{path}: not a MediaPipe .task model bundle ({exc})") from None
    missing = {DETECTOR_ENTRY, LANDMARKER_ENTRY} - names
    if missing:
        raise ModelError(f"{path}: not a pose landmarker bundle (missing {', '.join(sorted(missing))})")
    try:
        record = json.loads(comment.decode("utf-8")) if comment else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(record, dict) and record.get("generator") == _MARKER:
        return record
    return None


def _is_current(record: Mapping[str, Any], sources: Mapping[str, Path]) -> bool:
    recorded = record.get("sources", {})
    if record.get("format") != _BUNDLE_FORMAT or set(recorded) != set(sources):
        return False
    return all(recorded[entry].get("sha256") == _sha256(path) for entry, path in sources.items())


# ---------------------------------------------------------------------------------------------- building
class _AlignedZipFile(zipfile.ZipFile):
    """ZipFile whose STORED entries' data start on an ``ALIGNMENT``-byte boundary (for mmap)."""

    def _writecheck(self, zinfo: zipfile.ZipInfo) -> None:
        if zinfo.compress_type != zipfile.ZIP_STORED:
            raise ValueError("model bundles hold STORED (uncompressed) entries only")
        offset = self.fp.tell()  # type: ignore[union-attr]
        pad = -(offset + len(zinfo.FileHeader())) % ALIGNMENT
        if pad:
            self.fp.write(b"\x00" * pad)  # type: ignore[union-attr]
            zinfo.header_offset = offset + pad
        super()._writecheck(zinfo)  # type: ignore[misc]


def _with_metadata(entry: str, model: bytes) -> bytes:
    """The TFLite model with the image-input / feature-output metadata the Tasks runtime reads."""
    from .pose_adapter import quiet_native_logs

    quiet_native_logs()
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    if entry == DETECTOR_ENTRY:
        writer.add_general_info("pose_detector", "BlazePose person detector (from the mediapipe wheel)")
        writer.add_image_input(norm_mean=[127.5], norm_std=[127.5])  # pixels -> [-1, 1]
        n_outputs = 2  # box regressors, scores
    else:
        writer.add_general_info(
            "pose_landmarks_detector", "BlazePose landmark model (from the mediapipe wheel)"
        )
        writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])  # pixels -> [0, 1]
        n_outputs = 5  # landmarks, pose flag, segmentation, heatmap, world landmarks
    for i in range(n_outputs):
        writer.add_feature_output(name=f"output_{i}")
    content, _ = writer.populate()
    return bytes(content)


def _build_bundle(name: str, sources: Mapping[str, Path], dest: Path) -> None:
    record = {
        "generator": _MARKER,
        "format": _BUNDLE_FORMAT,
        "model": name,
        "mediapipe_version": _mediapipe_version(),
        "sources": {entry: {"path": str(p), "sha256": _sha256(p)} for entry, p in sources.items()},
    }
    try:
        entries = {entry: _with_metadata(entry, p.read_bytes()) for entry, p in sources.items()}
    except Exception as exc:  # metadata writer errors are not typed; report them as one line
        raise ModelError(
            f"cannot add metadata to the {name} pose model from the mediapipe wheel: {exc}"
        ) from exc
    try:
        with atomic_path(dest) as tmp:
            with _AlignedZipFile(tmp, mode="w", compression=zipfile.ZIP_STORED) as zf:
                for entry in (DETECTOR_ENTRY, LANDMARKER_ENTRY):
                    info = zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_STORED
                    zf.writestr(info, entries[entry])
                zf.comment = json.dumps(record, sort_keys=True).encode("utf-8")
    except OSError as exc:
        raise ModelError(f"cannot write the pose model to {dest}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------------- public API
def ensure_model(name: str = "full", models_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path to a loadable ``pose_landmarker_<name>.task``, building it from the mediapipe wheel if needed.

    An official file of that name in the models folder wins and is never touched. A bundle built by
    posture_cam is rebuilt when the wheel's source models changed (sha256 recorded in the zip comment).
    Raises :class:`ModelError` for an unknown name, a corrupt file, or a wheel without the model.
    """
    if name not in MODEL_NAMES:
        raise ModelError(
            f"unknown pose model '{name}' (choose one of {', '.join(MODEL_NAMES)} or give a .task path)"
        )
    folder = Path(models_dir) if models_dir is not None else default_models_dir()
    dest = folder / bundle_filename(name)
    sources = wheel_sources(name)
    if dest.is_file():
        record = read_bundle_manifest(dest)
        if record is None:  # official (or other user-supplied) bundle: use as is
            return dest
        if sources is None or _is_current(record, sources):
            return dest
    if sources is None:
        raise ModelError(
            f"pose model '{name}' is not available offline: the installed mediapipe {_mediapipe_version()} "
            f"wheel has no {_WHEEL_LANDMARK.format(name=name)}; put the official {bundle_filename(name)} "
            f"into {folder} (see models/README.md)"
        )
    _build_bundle(name, sources, dest)
    return dest


def _info_for_file(name: str, path: Path) -> ModelInfo:
    record = read_bundle_manifest(path)
    size, digest = path.stat().st_size, _sha256(path)
    if record is None:
        return ModelInfo(name, path, f"official/user-supplied file {path.name}", "ready", size, digest)
    source = f"built from the mediapipe {record.get('mediapipe_version', '?')} wheel"
    status = "ready"
    if name in MODEL_NAMES:
        sources = wheel_sources(name)
        if sources is not None and not _is_current(record, sources):
            status = "stale"
    return ModelInfo(name, path, source, status, size, digest)


def list_models(models_dir: str | os.PathLike[str] | None = None) -> list[ModelInfo]:
    """Every model posture_cam can use right now, without building anything.

    The three standard names first (ready, stale or buildable from the wheel; names that are neither
    on disk nor in the wheel are left out), then any other ``*.task`` file in the models folder.
    """
    folder = Path(models_dir) if models_dir is not None else default_models_dir()
    out: list[ModelInfo] = []
    for name in MODEL_NAMES:
        path = folder / bundle_filename(name)
        if path.is_file():
            out.append(_info_for_file(name, path))
        elif wheel_sources(name) is not None:
            out.append(
                ModelInfo(
                    name, path, f"mediapipe {_mediapipe_version()} wheel (built on first use)", "buildable"
                )
            )
    standard = {bundle_filename(n) for n in MODEL_NAMES}
    if folder.is_dir():
        for path in sorted(folder.glob("*.task")):
            if path.name not in standard:
                try:
                    out.append(_info_for_file(path.stem, path))
                except ModelError:
                    continue  # not a pose bundle: not a model we can offer
    return out


def resolve_model(
    name_or_path: str | os.PathLike[str], models_dir: str | os.PathLike[str] | None = None
) -> ModelInfo:
    """A ready :class:`ModelInfo` for a model name (``lite``/``full``/``heavy``) or a ``.task`` path.

    Names are built on demand (see :func:`ensure_model`); paths must exist and be pose bundles.
    """
    text = os.fspath(name_or_path)
    if text in MODEL_NAMES:
        path = ensure_model(text, models_dir)
        return _info_for_file(text, path)
    path = Path(text).expanduser()
    if path.suffix == ".task" or path.exists():
        if not path.is_file():
            raise ModelError(f"pose model file not found: {path}")
        return _info_for_file(path.stem, path.resolve())
    raise ModelError(
        f"unknown pose model '{text}' (choose one of {', '.join(MODEL_NAMES)} or give a .task path)"
    )
