"""``PoseSequence``: the one typed container that flows through posture_cam.

A recording becomes one ``PoseSequence``: per frame, the 33 BlazePose landmarks of *one* subject in
image pixels and in world metres, their visibility and presence, the frame's timestamp and how many
people the detector saw. Frames in which the subject was not found are NaN rows: they are never
dropped, so time stays honest and gaps stay visible.

Coordinate conventions (see docs/metrics.md):

* ``image_px[..., 0]`` is x in pixels, growing to the right of the *upright* frame (rotation
  metadata already applied); ``image_px[..., 1]`` is y in pixels, growing **downwards**;
  ``image_px[..., 2]`` is MediaPipe's relative depth scaled by the frame width (smaller = nearer).
* ``world_m`` is MediaPipe's hip-centred metric estimate (x right, y down, z towards the camera
  negative), in metres.

Files: ``save``/``load`` write a Parquet table (one row per frame, one column per landmark and
quantity, float32, lossless) plus a JSON sidecar with fps, frame size and metadata. ``to_csv``
writes the same columns as text; docs/data_formats.md documents them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InvalidSequenceError
from .landmarks import LANDMARK_NAMES, N_LANDMARKS, Landmark, mirror_index

#: Columns added after format 1 was written: a file without them still loads (as all-NaN).
_OPTIONAL_COLUMNS = frozenset({"pelvis_outline_deg"})
#: Table columns of the extension channels are named ``CHANNEL_PREFIX + name``.
CHANNEL_PREFIX = "channel."
#: Channels whose sign flips in a mirror image (:meth:`PoseSequence.mirrored`).
MIRROR_ODD_CHANNELS = frozenset({"scene_roll_deg", "scene_roll_horizontal_deg"})
FORMAT_VERSION = 1
_IMAGE_COLS = ("x_px", "y_px", "z_px")
_WORLD_COLS = ("x_m", "y_m", "z_m")


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise InvalidSequenceError(msg)


def _arrow_array(pa: Any, values: np.ndarray) -> Any:
    """A 1-D numeric numpy column as an Arrow array, NaN kept as NaN (not null).

    Built from the array's buffer: ``pa.array`` gives the same array but imports pandas on its first
    call (~0.5 s, paid by every analysis for nothing); bools and other kinds still go through it.
    """
    arr = np.ascontiguousarray(values)
    if arr.ndim == 1 and arr.dtype.kind in "iuf":
        return pa.Array.from_buffers(pa.from_numpy_dtype(arr.dtype), len(arr), [None, pa.py_buffer(arr)])
    return pa.array(arr)


@dataclass(frozen=True, eq=False)
class PoseSequence:
    """One subject's landmarks over time. Immutable; derive new ones with :meth:`replace`."""

    image_px: np.ndarray  # (T, 33, 3) float32
    world_m: np.ndarray  # (T, 33, 3) float32
    visibility: np.ndarray  # (T, 33) float32 in [0, 1], NaN where the subject is missing
    presence: np.ndarray  # (T, 33) float32 in [0, 1], NaN where the subject is missing
    timestamps_s: np.ndarray  # (T,) float64, strictly increasing
    fps: float  # nominal frame rate of the source (Hz); timestamps are the truth
    frame_size: tuple[int, int]  # (width, height) of the upright frame in pixels
    # frame_index and people_count accept None (= derive them); __post_init__ always stores an array,
    # so readers see np.ndarray, hence the ignores on the None defaults.
    frame_index: np.ndarray = None  # type: ignore[assignment]  # (T,) int64 source index
    people_count: np.ndarray = None  # type: ignore[assignment]  # (T,) int16 people seen
    meta: Mapping[str, Any] = field(default_factory=dict)
    # (T,) float32 frontal pelvic obliquity from the hip OUTLINE in the segmentation mask, image frame
    # (camera roll not removed), deg, + = subject's right side lower; NaN where not measured
    # (posture_cam.outline). Optional column: older files read as all-NaN.
    pelvis_outline_deg: np.ndarray = None  # type: ignore[assignment]
    # Extension slot (like supervision's KeyPoints.data): optional per-frame (T,) float32 arrays by
    # name, NaN where not measured, e.g. the scene-roll readings of posture_cam.scene.CHANNELS.
    # Sliced, concatenated, saved and loaded with the sequence; older files load without them.
    channels: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        img = np.asarray(self.image_px, dtype=np.float32)
        _check(
            img.ndim == 3 and img.shape[1:] == (N_LANDMARKS, 3),
            f"image_px: expected shape (T, {N_LANDMARKS}, 3), got {img.shape}",
        )
        t = img.shape[0]
        world = np.asarray(self.world_m, dtype=np.float32)
        _check(
            world.shape == (t, N_LANDMARKS, 3),
            f"world_m: expected shape ({t}, {N_LANDMARKS}, 3), got {world.shape}",
        )
        vis = np.asarray(self.visibility, dtype=np.float32)
        _check(
            vis.shape == (t, N_LANDMARKS), f"visibility: expected shape ({t}, {N_LANDMARKS}), got {vis.shape}"
        )
        pres = np.asarray(self.presence, dtype=np.float32)
        _check(
            pres.shape == (t, N_LANDMARKS), f"presence: expected shape ({t}, {N_LANDMARKS}), got {pres.shape}"
        )
        ts = np.asarray(self.timestamps_s, dtype=np.float64)
        _check(ts.shape == (t,), f"timestamps_s: expected shape ({t},), got {ts.shape}")
        _check(bool(np.all(np.isfinite(ts))), "timestamps_s: expected finite values, got NaN or inf")
        _check(t < 2 or bool(np.all(np.diff(ts) > 0)), "timestamps_s: expected strictly increasing values")
        _check(np.isfinite(self.fps) and self.fps > 0, f"fps: expected a positive number, got {self.fps}")
        w, h = (int(v) for v in self.frame_size)
        _check(w > 0 and h > 0, f"frame_size: expected positive (width, height), got {self.frame_size}")
        for name, arr in (("visibility", vis), ("presence", pres)):
            finite = arr[np.isfinite(arr)]
            if finite.size and (finite.min() < -1e-6 or finite.max() > 1 + 1e-6):
                raise InvalidSequenceError(
                    f"{name}: expected values in [0, 1], got range [{finite.min():.3g}, {finite.max():.3g}]"
                )
        fi = (
            np.arange(t, dtype=np.int64)
            if self.frame_index is None
            else np.asarray(self.frame_index, np.int64)
        )
        _check(fi.shape == (t,), f"frame_index: expected shape ({t},), got {fi.shape}")
        pc = (
            np.where(np.isnan(img[:, 0, 0]), 0, 1).astype(np.int16)
            if self.people_count is None
            else np.asarray(self.people_count, np.int16)
        )
        _check(pc.shape == (t,), f"people_count: expected shape ({t},), got {pc.shape}")
        po = (
            np.full(t, np.nan, np.float32)
            if self.pelvis_outline_deg is None
            else np.asarray(self.pelvis_outline_deg, np.float32)
        )
        _check(po.shape == (t,), f"pelvis_outline_deg: expected shape ({t},), got {po.shape}")
        chans: dict[str, np.ndarray] = {}
        for name, arr in (self.channels or {}).items():
            _check(
                isinstance(name, str) and name.isidentifier(),
                f"channels: expected identifier names, got {name!r}",
            )
            a = np.array(arr, dtype=np.float32)
            _check(a.shape == (t,), f"channels[{name!r}]: expected shape ({t},), got {a.shape}")
            chans[name] = a
        frozen_arrays: list[np.ndarray] = [img, world, vis, pres, ts, fi, pc, po, *chans.values()]
        for frozen in frozen_arrays:
            frozen.setflags(write=False)
        object.__setattr__(self, "image_px", img)
        object.__setattr__(self, "world_m", world)
        object.__setattr__(self, "visibility", vis)
        object.__setattr__(self, "presence", pres)
        object.__setattr__(self, "timestamps_s", ts)
        object.__setattr__(self, "frame_size", (w, h))
        object.__setattr__(self, "fps", float(self.fps))
        object.__setattr__(self, "frame_index", fi)
        object.__setattr__(self, "people_count", pc)
        object.__setattr__(self, "pelvis_outline_deg", po)
        object.__setattr__(self, "channels", chans)
        object.__setattr__(self, "meta", dict(self.meta))

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(
        cls,
        n_frames: int,
        *,
        fps: float,
        frame_size: tuple[int, int],
        timestamps_s: np.ndarray | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> PoseSequence:
        """A sequence of ``n_frames`` in which the subject is missing everywhere (all NaN)."""
        ts = np.arange(n_frames) / fps if timestamps_s is None else timestamps_s
        nan3 = np.full((n_frames, N_LANDMARKS, 3), np.nan, np.float32)
        nan2 = np.full((n_frames, N_LANDMARKS), np.nan, np.float32)
        return cls(
            nan3,
            nan3.copy(),
            nan2,
            nan2.copy(),
            ts,
            fps,
            frame_size,
            people_count=np.zeros(n_frames, np.int16),
            meta=meta or {},
        )

    @classmethod
    def from_image_points(
        cls,
        xy_px: np.ndarray,
        *,
        fps: float,
        frame_size: tuple[int, int],
        visibility: float | np.ndarray = 1.0,
        t0_s: float = 0.0,
        meta: Mapping[str, Any] | None = None,
    ) -> PoseSequence:
        """Build from image points only ((T, 33, 2) or (T, 33, 3) pixels), e.g. synthetic subjects.

        World landmarks are left NaN; visibility and presence default to 1 where the point is finite.
        """
        xy = np.asarray(xy_px, dtype=np.float32)
        _check(
            xy.ndim == 3 and xy.shape[1] == N_LANDMARKS and xy.shape[2] in (2, 3),
            f"xy_px: expected shape (T, {N_LANDMARKS}, 2 or 3), got {xy.shape}",
        )
        t = xy.shape[0]
        img = np.zeros((t, N_LANDMARKS, 3), np.float32)
        img[..., : xy.shape[2]] = xy
        missing = ~np.all(np.isfinite(xy), axis=2)
        img[missing] = np.nan
        vis = np.broadcast_to(np.asarray(visibility, np.float32), (t, N_LANDMARKS)).copy()
        vis[missing] = np.nan
        world = np.full((t, N_LANDMARKS, 3), np.nan, np.float32)
        ts = t0_s + np.arange(t) / fps
        return cls(img, world, vis, vis.copy(), ts, fps, frame_size, meta=meta or {})

    def replace(self, **changes: Any) -> PoseSequence:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ------------------------------------------------------------------ access
    @property
    def n_frames(self) -> int:
        return int(self.image_px.shape[0])

    def __len__(self) -> int:
        return self.n_frames

    @property
    def duration_s(self) -> float:
        if self.n_frames == 0:
            return 0.0
        return float(self.timestamps_s[-1] - self.timestamps_s[0] + 1.0 / self.fps)

    @property
    def detected(self) -> np.ndarray:
        """(T,) bool: the subject was found in this frame."""
        return np.isfinite(self.image_px[:, :, 0]).any(axis=1)

    @property
    def detection_rate(self) -> float:
        return float(self.detected.mean()) if self.n_frames else 0.0

    def xy(self, lm: Landmark) -> np.ndarray:
        """(T, 2) image position of one landmark in pixels (NaN where missing)."""
        return self.image_px[:, int(lm), :2]

    def vis(self, lm: Landmark) -> np.ndarray:
        """(T,) visibility of one landmark (NaN where missing)."""
        return self.visibility[:, int(lm)]

    def midpoint(self, a: Landmark, b: Landmark) -> np.ndarray:
        """(T, 2) midpoint of two landmarks in pixels."""
        return 0.5 * (self.xy(a) + self.xy(b))

    def slice(self, start: int, stop: int | None = None) -> PoseSequence:
        """Frames ``start:stop`` (by position, not by source frame index)."""
        s = np.s_[start:stop]
        return self.replace(
            image_px=self.image_px[s],
            world_m=self.world_m[s],
            visibility=self.visibility[s],
            presence=self.presence[s],
            timestamps_s=self.timestamps_s[s],
            frame_index=self.frame_index[s],
            people_count=self.people_count[s],
            pelvis_outline_deg=self.pelvis_outline_deg[s],
            channels={k: v[s] for k, v in self.channels.items()},
        )

    def mirrored(self) -> PoseSequence:
        """The same recording seen in a mirror: x flipped and left/right landmarks swapped."""
        perm = mirror_index()
        img = self.image_px[:, perm].copy()
        img[..., 0] = self.frame_size[0] - img[..., 0]
        world = self.world_m[:, perm].copy()
        world[..., 0] = -world[..., 0]
        return self.replace(
            image_px=img,
            world_m=world,
            visibility=self.visibility[:, perm],
            presence=self.presence[:, perm],
            channels={k: -v if k in MIRROR_ODD_CHANNELS else v for k, v in self.channels.items()},
        )

    @staticmethod
    def concat(parts: Sequence[PoseSequence]) -> PoseSequence:
        """Join sequences of the same recording in time order (timestamps must keep increasing)."""
        _check(len(parts) > 0, "concat: expected at least one sequence, got none")
        first = parts[0]
        for p in parts[1:]:
            _check(
                p.frame_size == first.frame_size,
                f"concat: expected frame size {first.frame_size}, got {p.frame_size}",
            )
        return first.replace(
            image_px=np.concatenate([p.image_px for p in parts]),
            world_m=np.concatenate([p.world_m for p in parts]),
            visibility=np.concatenate([p.visibility for p in parts]),
            presence=np.concatenate([p.presence for p in parts]),
            timestamps_s=np.concatenate([p.timestamps_s for p in parts]),
            frame_index=np.concatenate([p.frame_index for p in parts]),
            people_count=np.concatenate([p.people_count for p in parts]),
            pelvis_outline_deg=np.concatenate([p.pelvis_outline_deg for p in parts]),
            channels={
                k: np.concatenate([p.channels.get(k, np.full(p.n_frames, np.nan, np.float32)) for p in parts])
                for k in sorted({k for p in parts for k in p.channels})
            },
        )

    # ------------------------------------------------------------------ tables and files
    @staticmethod
    def columns() -> list[str]:
        """Column names of the table form (documented in docs/data_formats.md)."""
        cols = ["frame_index", "timestamp_s", "people_count"]
        for name in LANDMARK_NAMES:
            cols += [f"{name}_{c}" for c in _IMAGE_COLS]
            cols += [f"{name}_{c}" for c in _WORLD_COLS]
            cols += [f"{name}_visibility", f"{name}_presence"]
        # later additions go last: positional readers keep working; the channels (CHANNEL_PREFIX +
        # name) follow these fixed columns in to_table
        return cols + ["pelvis_outline_deg"]

    def to_table(self) -> dict[str, np.ndarray]:
        """Column name -> 1-D array, in :meth:`columns` order."""
        out: dict[str, np.ndarray] = {
            "frame_index": self.frame_index,
            "timestamp_s": self.timestamps_s,
            "people_count": self.people_count,
        }
        for i, name in enumerate(LANDMARK_NAMES):
            for k, c in enumerate(_IMAGE_COLS):
                out[f"{name}_{c}"] = self.image_px[:, i, k]
            for k, c in enumerate(_WORLD_COLS):
                out[f"{name}_{c}"] = self.world_m[:, i, k]
            out[f"{name}_visibility"] = self.visibility[:, i]
            out[f"{name}_presence"] = self.presence[:, i]
        out["pelvis_outline_deg"] = self.pelvis_outline_deg
        for ch in sorted(self.channels):
            out[CHANNEL_PREFIX + ch] = self.channels[ch]
        return out

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, np.ndarray],
        *,
        fps: float,
        frame_size: tuple[int, int],
        meta: Mapping[str, Any] | None = None,
    ) -> PoseSequence:
        missing = [c for c in cls.columns() if c not in table and c not in _OPTIONAL_COLUMNS]
        _check(
            not missing,
            f"table: expected columns {missing[:3]}{'...' if len(missing) > 3 else ''}, not found",
        )
        t = len(table["timestamp_s"])
        img = np.empty((t, N_LANDMARKS, 3), np.float32)
        world = np.empty((t, N_LANDMARKS, 3), np.float32)
        vis = np.empty((t, N_LANDMARKS), np.float32)
        pres = np.empty((t, N_LANDMARKS), np.float32)
        for i, name in enumerate(LANDMARK_NAMES):
            for k, c in enumerate(_IMAGE_COLS):
                img[:, i, k] = table[f"{name}_{c}"]
            for k, c in enumerate(_WORLD_COLS):
                world[:, i, k] = table[f"{name}_{c}"]
            vis[:, i] = table[f"{name}_visibility"]
            pres[:, i] = table[f"{name}_presence"]
        return cls(
            img,
            world,
            vis,
            pres,
            np.asarray(table["timestamp_s"], np.float64),
            fps,
            frame_size,
            frame_index=np.asarray(table["frame_index"]),
            people_count=np.asarray(table["people_count"]),
            pelvis_outline_deg=(
                np.asarray(table["pelvis_outline_deg"], np.float32)
                if "pelvis_outline_deg" in table
                else np.full(t, np.nan, np.float32)
            ),
            channels={
                c[len(CHANNEL_PREFIX) :]: np.asarray(v, np.float32)
                for c, v in table.items()
                if c.startswith(CHANNEL_PREFIX)
            },
            meta=meta or {},
        )

    def _sidecar(self) -> dict[str, Any]:
        return {
            "format": "posture_cam.PoseSequence",
            "format_version": FORMAT_VERSION,
            "fps": self.fps,
            "frame_size": list(self.frame_size),
            "n_frames": self.n_frames,
            "landmarks": list(LANDMARK_NAMES),
            "meta": _jsonable(self.meta),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``path`` (Parquet) and ``path`` with suffix ``.json`` (sidecar), each atomically."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.table({k: _arrow_array(pa, v) for k, v in self.to_table().items()})
        table = table.replace_schema_metadata({b"posture_cam": json.dumps(self._sidecar()).encode()})
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        atomic_write_text(path.with_suffix(".json"), json.dumps(self._sidecar(), indent=2))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PoseSequence:
        """Read a file written by :meth:`save` (the sidecar is embedded, the .json is for people)."""
        import pyarrow.parquet as pq

        table = pq.read_table(Path(path))
        raw = (table.schema.metadata or {}).get(b"posture_cam")
        if raw is None:
            raise InvalidSequenceError(f"{path}: not a posture_cam landmark file (no posture_cam metadata)")
        side = json.loads(raw)
        cols = {name: table.column(name).to_numpy() for name in table.column_names}
        return cls.from_table(
            cols, fps=side["fps"], frame_size=tuple(side["frame_size"]), meta=side.get("meta")
        )

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the table form as CSV (empty cells where the subject is missing), atomically."""
        path = Path(path)
        table = self.to_table()
        cols = list(table)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(cols) + "\n")
            mat = np.column_stack([np.asarray(table[c], np.float64) for c in cols])
            for row in mat:
                fh.write(
                    ",".join(
                        "" if not np.isfinite(v) else (f"{v:.0f}" if j in (0, 2) else f"{v:.6g}")
                        for j, v in enumerate(row)
                    )
                    + "\n"
                )
        return path

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PoseSequence):
            return NotImplemented
        return (
            self.frame_size == other.frame_size
            and self.fps == other.fps
            and all(
                np.array_equal(getattr(self, f), getattr(other, f), equal_nan=True)
                for f in (
                    "image_px",
                    "world_m",
                    "visibility",
                    "presence",
                    "timestamps_s",
                    "frame_index",
                    "people_count",
                    "pelvis_outline_deg",
                )
            )
            and sorted(self.channels) == sorted(other.channels)
            and all(np.array_equal(v, other.channels[k], equal_nan=True) for k, v in self.channels.items())
        )

    __hash__ = None  # type: ignore[assignment]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return obj


class atomic_path:
    """Context manager: yields a temporary path beside ``path``; renames it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched, so nothing
    half-written ever carries the final name.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            # mkstemp creates 0600; give the final file the permissions a plain open() would have
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
