"""Clinician corrections: moved landmarks, edited gait events, extra clinical points, manual measurements.

Corrections are DATA (``corrections.json`` beside an analysis), never code paths: the analysis is
recomputed from the corrected landmarks and events through the same functions as the automatic run
(:func:`posture_cam.pipeline.run_analysis`), and every number says whether it is automatic or
corrected. The file:

```
{"schema_version": 1, "input_sha256": "...",            # the recording they belong to
 "entries": [
   {"kind": "landmark", "frame": 120, "landmark": "LEFT_HIP", "x_px": 512.0, "y_px": 610.5, ...},
   {"kind": "point", "frame": 120, "name": "c7", "x_px": ..., "y_px": ...},
   {"kind": "event", "action": "add"|"move"|"delete"|"flip", "foot": "left", "type": "heel_strike",
    "frame": 57, "to_frame": 60},
   {"kind": "measurement", "tool": "angle"|"line_tilt"|"distance", "frame": 120,
    "points": [[x, y], ...], "label": "..."}],
 each entry also "by" (who), "at" (ISO time, UTC) and optional "note"}
```

Frames are the SOURCE video's frame indices (``PoseSequence.frame_index``), positions in pixels of
the upright frame. A landmark correction applies to the whole quiet-standing segment containing its
frame (the displacement from the automatic position is added to that landmark in every frame of the
segment), or to its frame alone outside standing. Event edits apply to the detected events before
steps are formed. Manual measurements are computed with the camera roll removed (line tilt against
the true vertical) and, for distances, the body-height scale.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .errors import PostureCamError
from .landmarks import Landmark

SCHEMA_VERSION = 1
FILE_NAME = "corrections.json"
KINDS = ("landmark", "point", "event", "measurement")
EVENT_ACTIONS = ("add", "move", "delete", "flip")
EVENT_TYPES = ("heel_strike", "toe_off")
FEET = ("left", "right")
TOOLS = {"angle": 3, "line_tilt": 2, "distance": 2}
#: Extra clinical points a clinician may place (BlazePose has none of them).
CLINICAL_POINTS = (
    "c7",
    "tragus_left",
    "tragus_right",
    "iliac_crest_left",
    "iliac_crest_right",
    "asis_left",
    "asis_right",
    "psis_left",
    "psis_right",
)
#: An edit names an existing event within this many frames of it.
EVENT_MATCH_FRAMES = 3


class CorrectionsError(PostureCamError):
    """A corrections file that cannot be applied (bad JSON, unknown names, another recording)."""


@dataclass(frozen=True)
class Correction:
    kind: str
    frame: int
    by: str = ""
    at: str = ""
    note: str = ""
    landmark: str | None = None  # kind landmark
    name: str | None = None  # kind point
    x_px: float | None = None
    y_px: float | None = None
    action: str | None = None  # kind event
    foot: str | None = None
    type: str | None = None
    to_frame: int | None = None
    tool: str | None = None  # kind measurement
    points: tuple[tuple[float, float], ...] = ()
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "frame": self.frame}
        for k in ("landmark", "name", "x_px", "y_px", "action", "foot", "type", "to_frame", "tool"):
            v = getattr(self, k)
            if v is not None:
                out[k] = v
        if self.points:
            out["points"] = [list(p) for p in self.points]
        for k in ("label", "by", "at", "note"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        return out

    def describe(self) -> str:
        """What this correction changed, in words (provenance)."""
        who = f" by {self.by}" if self.by else ""
        when = f" on {self.at}" if self.at else ""
        if self.kind == "landmark":
            name = (self.landmark or "").replace("_", " ").lower()
            what = f"{name} moved to ({self.x_px:.0f}, {self.y_px:.0f}) px at frame {self.frame}"
        elif self.kind == "point":
            at_px = f"({self.x_px:.0f}, {self.y_px:.0f}) px"
            what = (
                f"clinical point {(self.name or '').replace('_', ' ')} placed at {at_px}, frame {self.frame}"
            )
        elif self.kind == "event":
            ev = f"{self.foot or ''} {(self.type or '').replace('_', ' ')}".strip()
            what = {
                "add": f"{ev} added at frame {self.frame}",
                "move": f"{ev} moved from frame {self.frame} to {self.to_frame}",
                "delete": f"{ev} at frame {self.frame} deleted",
                "flip": f"side of the step at frame {self.frame} flipped",
            }.get(self.action or "", f"event edit at frame {self.frame}")
        else:
            what = f"manual {self.tool} measurement '{self.label}' at frame {self.frame}"
        return what + who + when


@dataclass(frozen=True)
class Corrections:
    entries: tuple[Correction, ...] = ()
    input_sha256: str | None = None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def of(self, kind: str) -> list[Correction]:
        return [c for c in self.entries if c.kind == kind]

    def add(self, c: Correction) -> Corrections:
        if not c.at:
            c = replace(c, at=datetime.now(UTC).isoformat(timespec="seconds"))
        return replace(self, entries=self.entries + (c,))

    def remove(self, index: int) -> Corrections:
        return replace(self, entries=self.entries[:index] + self.entries[index + 1 :])

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "input_sha256": self.input_sha256,
            "entries": [c.to_json() for c in self.entries],
        }

    @classmethod
    def from_json(cls, data: Any, where: str = "corrections") -> Corrections:
        if not isinstance(data, Mapping):
            raise CorrectionsError(
                f"{where}: expected a JSON object with 'entries', got {type(data).__name__}"
            )
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise CorrectionsError(
                f"{where}: schema_version {version} is not supported (expected {SCHEMA_VERSION})"
            )
        entries = data.get("entries", [])
        if not isinstance(entries, list):
            raise CorrectionsError(f"{where}: 'entries' must be a list")
        return cls(
            tuple(_entry(e, f"{where} entry {i + 1}") for i, e in enumerate(entries)),
            data.get("input_sha256"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Corrections:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CorrectionsError(f"corrections file not found: {p}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CorrectionsError(f"cannot read corrections file {p}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise CorrectionsError(f"{p} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_json(data, str(p))

    def save(self, path: str | Path) -> Path:
        from .sequence import atomic_write_text

        return atomic_write_text(Path(path), json.dumps(self.to_json(), indent=2) + "\n")


def _num(v: Any, what: str, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise CorrectionsError(f"{where}: '{what}' must be a finite number, got {v!r}")
    return float(v)


def _entry(e: Any, where: str) -> Correction:
    if not isinstance(e, Mapping):
        raise CorrectionsError(f"{where}: expected an object")
    kind = e.get("kind")
    if kind not in KINDS:
        raise CorrectionsError(f"{where}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    frame = e.get("frame")
    if isinstance(frame, bool) or not isinstance(frame, int) or frame < 0:
        raise CorrectionsError(f"{where}: 'frame' must be a frame index >= 0, got {frame!r}")
    by, at, note = (str(e.get(k) or "") for k in ("by", "at", "note"))
    return replace(_entry_body(e, kind, frame, where), by=by, at=at, note=note)


def _entry_body(e: Mapping[str, Any], kind: str, frame: int, where: str) -> Correction:
    if kind in ("landmark", "point"):  # a position on the frame: a model landmark or a clinical point
        field_name, known = (
            ("landmark", tuple(Landmark.__members__)) if kind == "landmark" else ("name", CLINICAL_POINTS)
        )
        name = e.get(field_name)
        if name not in known:
            hint = "use names like LEFT_HIP" if kind == "landmark" else "known: " + ", ".join(CLINICAL_POINTS)
            what = "landmark" if kind == "landmark" else "clinical point"
            raise CorrectionsError(f"{where}: unknown {what} {name!r} ({hint})")
        x, y = _num(e.get("x_px"), "x_px", where), _num(e.get("y_px"), "y_px", where)
        point = Correction(kind, frame, x_px=x, y_px=y)
        return replace(point, landmark=name) if kind == "landmark" else replace(point, name=name)
    if kind == "event":
        action = e.get("action")
        if action not in EVENT_ACTIONS:
            raise CorrectionsError(
                f"{where}: 'action' must be one of {', '.join(EVENT_ACTIONS)}, got {action!r}"
            )
        foot, typ = e.get("foot"), e.get("type")
        if action != "flip":
            if foot not in FEET or typ not in EVENT_TYPES:
                raise CorrectionsError(
                    f"{where}: an event needs 'foot' (left/right) and 'type' (heel_strike/toe_off)"
                )
        to_frame = e.get("to_frame")
        if action == "move" and (isinstance(to_frame, bool) or not isinstance(to_frame, int) or to_frame < 0):
            raise CorrectionsError(f"{where}: a move needs 'to_frame', a frame index >= 0")
        return Correction(kind, frame, action=action, foot=foot, type=typ, to_frame=to_frame)
    tool = e.get("tool")
    if tool not in TOOLS:
        raise CorrectionsError(f"{where}: 'tool' must be one of {', '.join(TOOLS)}, got {tool!r}")
    pts = e.get("points")
    if not isinstance(pts, list) or len(pts) != TOOLS[tool]:
        raise CorrectionsError(f"{where}: the {tool} tool needs {TOOLS[tool]} points [x, y]")
    points = tuple(
        (_num(p[0], "x", where), _num(p[1], "y", where))
        for p in pts
        if isinstance(p, list | tuple) and len(p) == 2
    )
    if len(points) != TOOLS[tool]:
        raise CorrectionsError(f"{where}: each point must be [x, y] in pixels")
    return Correction(kind, frame, tool=tool, points=points, label=str(e.get("label") or tool))


# ------------------------------------------------------------------------------- landmarks
def apply_landmark_corrections(
    raw: Any, automatic_xy: np.ndarray, segments: Iterable[Any], corrections: Corrections
) -> tuple[Any, list[dict[str, Any]]]:
    """``raw`` (PoseSequence) with the landmark corrections applied, and what was applied.

    ``automatic_xy`` (T, 33, 2): the automatic (conditioned) positions the clinician saw and moved;
    ``segments``: the prepare stage's segments. The displacement (corrected - automatic) at the
    corrected frame is added to the landmark in every frame of the quiet-standing segment containing
    that frame, or in that frame alone outside standing.
    """
    entries = corrections.of("landmark")
    if not entries:
        return raw, []
    pos = {int(f): i for i, f in enumerate(raw.frame_index)}
    img = np.array(raw.image_px, copy=True)
    vis = np.array(raw.visibility, copy=True)
    applied = []
    segs = list(segments)
    for c in entries:
        if c.frame not in pos:
            raise CorrectionsError(f"landmark correction at frame {c.frame}: the recording has no such frame")
        i = pos[c.frame]
        lm = int(Landmark[c.landmark or ""])
        base = automatic_xy[i, lm]
        if not np.all(np.isfinite(base)):
            base = img[i, lm, :2].astype(np.float64)
        delta = np.array([float(c.x_px or 0.0), float(c.y_px or 0.0)]) - base
        if not np.all(np.isfinite(delta)):  # the landmark was not seen: place it where the clinician put it
            delta = None
        seg = next((s for s in segs if s.activity == "standing" and s.start <= i < s.stop), None)
        frames = range(seg.start, seg.stop) if seg is not None else range(i, i + 1)
        for j in frames:
            if delta is None or not np.all(np.isfinite(img[j, lm, :2])):
                if j == i:
                    img[j, lm, :2] = (c.x_px, c.y_px)
                    vis[j, lm] = 1.0
                continue
            img[j, lm, :2] = img[j, lm, :2] + delta
            vis[j, lm] = max(float(vis[j, lm]) if np.isfinite(vis[j, lm]) else 0.0, 0.99)
        applied.append(
            {
                **c.to_json(),
                "applied_to": {
                    "start_frame": int(raw.frame_index[frames[0]]),
                    "end_frame": int(raw.frame_index[frames[-1]]),
                    "segment": None if seg is None else seg.ref(),
                },
                "shift_px": None if delta is None else [round(float(delta[0]), 2), round(float(delta[1]), 2)],
            }
        )
    return raw.replace(image_px=img.astype(np.float32), visibility=vis.astype(np.float32)), applied


# ------------------------------------------------------------------------------- events
def apply_event_edits(
    events: Sequence[Any],
    edits: Sequence[Correction],
    *,
    frame_index: np.ndarray,
    timestamps_s: np.ndarray,
    bouts: Sequence[Any] = (),
) -> list[Any]:
    """The gait events after the clinician's edits (in the order given), sorted by time.

    ``events``: GaitEvent objects (``frame`` = position in the sequence). Edits name events by source
    frame index, foot and type; a ``move``/``delete``/``flip`` that matches no event within
    :data:`EVENT_MATCH_FRAMES` frames raises :class:`CorrectionsError`. Edited and added events are
    plausible and have confidence 1 (a person checked them).
    """
    pos = {int(f): i for i, f in enumerate(frame_index)}
    out = list(events)

    def position(frame: int, what: str) -> int:
        if frame not in pos:
            raise CorrectionsError(f"{what}: the recording has no frame {frame}")
        return pos[frame]

    def find(frame: int, foot: str | None, typ: str | None, what: str) -> int:
        p = position(frame, what)
        cands = [
            (abs(e.frame - p), k)
            for k, e in enumerate(out)
            if (foot is None or e.foot == foot)
            and (typ is None or e.type == typ)
            and abs(e.frame - p) <= EVENT_MATCH_FRAMES
        ]
        if not cands:
            raise CorrectionsError(
                f"{what}: no {foot or ''} {(typ or 'event').replace('_', ' ')} near frame {frame} to edit"
            )
        return min(cands)[1]

    def bout_of(p: int) -> int:
        for b_i, b in enumerate(bouts):
            if b.start <= p < b.stop:
                return b_i
        if not bouts:
            return 0
        return int(np.argmin([min(abs(p - b.start), abs(p - (b.stop - 1))) for b in bouts]))

    from .gait.events import GaitEvent

    for c in edits:
        what = c.describe()
        if c.action == "add":
            p = position(c.frame, what)
            out.append(GaitEvent(p, float(timestamps_s[p]), str(c.foot), str(c.type), 1.0, bout_of(p), True))
        elif c.action == "move":
            k = find(c.frame, c.foot, c.type, what)
            p = position(int(c.to_frame or 0), what)
            # moved by whole frames: the detector's sub-frame timing is kept, shifted by the frames moved
            t_new = float(out[k].time_s) + float(timestamps_s[p] - timestamps_s[out[k].frame])
            out[k] = replace(
                out[k],
                frame=p,
                time_s=t_new,
                confidence=1.0,
                plausible=True,
                bout=bout_of(p),
            )
        elif c.action == "delete":
            del out[find(c.frame, c.foot, c.type, what)]
        elif c.action == "flip":
            k = find(c.frame, None, "heel_strike", what)
            other = "right" if out[k].foot == "left" else "left"
            out[k] = replace(out[k], foot=other, confidence=1.0, plausible=True)
    return sorted(out, key=lambda e: (e.time_s, e.type))


# ------------------------------------------------------------------------------- manual tools
def manual_measurement(
    c: Correction,
    *,
    roll_deg: float,
    frame_size: tuple[int, int],
    px_per_cm: float | None,
    body_height_px: float | None,
) -> dict[str, Any]:
    """The value of one manual measurement (points levelled for the camera roll first)."""
    from .calibration import level_points

    pts = level_points(np.array(c.points, np.float64), roll_deg, (frame_size[0] / 2, frame_size[1] / 2))
    out: dict[str, Any] = {"label": c.label, "tool": c.tool, "frame": c.frame, "by": c.by, "at": c.at}
    if c.tool == "angle":
        a, b, d = pts
        v1, v2 = a - b, d - b
        ang = math.degrees(math.atan2(abs(v1[0] * v2[1] - v1[1] * v2[0]), float(v1 @ v2)))
        out.update(value=round(ang, 2), unit="deg", method="angle at the middle point, 0-180 deg")
    elif c.tool == "line_tilt":
        a, b = pts
        d = b - a
        tilt = math.degrees(math.atan2(abs(d[0]), abs(d[1])))
        out.update(
            value=round(tilt, 2),
            unit="deg",
            method=f"angle of the line from the true vertical (camera roll {roll_deg:+.1f} deg removed)",
        )
    else:
        a, b = pts
        dist_px = float(np.hypot(*(b - a)))
        if px_per_cm:
            out.update(value=round(dist_px / px_per_cm, 2), unit="cm", method="pixels / calibrated px per cm")
        elif body_height_px:
            out.update(
                value=round(100 * dist_px / body_height_px, 2),
                unit="% height",
                method="pixels / body height (give the subject's height for cm)",
            )
        else:
            out.update(value=round(dist_px, 1), unit="px", method="no scale known")
    return out


def corrections_for(out_dir: str | Path, input_sha256: str | None) -> Corrections | None:
    """The corrections stored beside an analysis, when they belong to this recording."""
    p = Path(out_dir) / FILE_NAME
    if not p.is_file():
        return None
    cor = Corrections.load(p)
    if cor.input_sha256 and input_sha256 and cor.input_sha256 != input_sha256:
        raise CorrectionsError(
            f"{p} belongs to another recording (sha256 {cor.input_sha256[:12]}..., this one "
            f"{input_sha256[:12]}...): move it away or delete it"
        )
    return cor


def seed_corrections(result_dir: str | Path, work_dir: str | Path) -> bool:
    """Copy ``result_dir/corrections.json`` into a fresh work folder (batch re-analysis), if any."""
    src = Path(result_dir) / FILE_NAME
    if not src.is_file():
        return False
    from .sequence import atomic_write_text

    atomic_write_text(Path(work_dir) / FILE_NAME, src.read_text(encoding="utf-8"))
    return True
