"""Follow-up over time: compare a person's sessions and tell real change from measurement noise.

:func:`compare_results` takes two or more ``result.json`` dicts (oldest first) and reports, per metric,
the values, the change (last minus first), the metric's smallest detectable change (SDC95, from
:mod:`posture_cam.repeatability`) and whether the change exceeds it. A change within the SDC is
reported as not changed, however large it looks on a chart. Capture differences that could explain a
change (view, camera distance or tilt, lighting, frame rate; :mod:`posture_cam.capture`) are listed
as warnings. The CLI (``posture-cam compare DIR_A DIR_B ... [--json]``), the dashboard and the
comparison report all use this one function, so they show the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .capture import capture_differences
from .metric_keys import GAIT_METRIC_KEYS, POSTURE_METRIC_KEYS
from .repeatability import Repeatability, load_sdc


@dataclass(frozen=True)
class SessionRef:
    label: str
    path: str | None
    session_date: str | None
    created_utc: str | None
    subject_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "path": self.path,
            "session_date": self.session_date,
            "created_utc": self.created_utc,
            "subject_id": self.subject_id,
        }


@dataclass(frozen=True)
class MetricChange:
    key: str
    unit: str
    values: list[float | None]
    change: float | None
    sdc95: float | None
    changed: bool
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "values": [None if v is None else round(v, 4) for v in self.values],
            "change": None if self.change is None else round(self.change, 4),
            "sdc95": None if self.sdc95 is None else round(self.sdc95, 4),
            "changed": self.changed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Comparison:
    sessions: list[SessionRef]
    metrics: dict[str, MetricChange]
    capture_warnings: list[str] = field(default_factory=list)
    subject_warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions": [s.to_json() for s in self.sessions],
            "metrics": {k: m.to_json() for k, m in self.metrics.items()},
            "capture_warnings": list(self.capture_warnings),
            "subject_warnings": list(self.subject_warnings),
        }


def metric_value(result: Mapping[str, Any], key: str) -> tuple[float | None, str]:
    """(value or None, unit) of a posture or gait metric in a result.json dict."""
    for section in (result.get("metrics") or {}, (result.get("gait") or {}).get("metrics") or {}):
        m = section.get(key)
        if isinstance(m, Mapping):
            v = m.get("value")
            unit = str(m.get("unit") or "")
            if m.get("status") == "ok" and isinstance(v, int | float) and math.isfinite(float(v)):
                return float(v), unit
            return None, unit
    return None, ""


def _session_ref(result: Mapping[str, Any], label: str) -> SessionRef:
    subj = result.get("subject") or {}
    inp = result.get("input") or {}
    return SessionRef(
        label,
        inp.get("path"),
        subj.get("session_date"),
        result.get("created_utc"),
        subj.get("id"),
    )


def compare_results(
    results: Sequence[Mapping[str, Any]],
    *,
    labels: Sequence[str] | None = None,
    sdc: Mapping[str, Repeatability] | None = None,
    keys: Sequence[str] | None = None,
) -> Comparison:
    """Compare sessions (oldest first). Raises ValueError with fewer than two results."""
    if len(results) < 2:
        raise ValueError(f"a comparison needs at least two sessions, got {len(results)}")
    table = load_sdc() if sdc is None else sdc
    names = list(labels) if labels is not None else [f"session {i + 1}" for i in range(len(results))]
    sessions = [_session_ref(r, n) for r, n in zip(results, names, strict=True)]
    wanted = list(keys) if keys is not None else list(POSTURE_METRIC_KEYS) + list(GAIT_METRIC_KEYS)
    metrics: dict[str, MetricChange] = {}
    for key in wanted:
        vals_units = [metric_value(r, key) for r in results]
        values = [v for v, _ in vals_units]
        if all(v is None for v in values):
            continue
        unit = next((u for _, u in vals_units if u), "")
        rep = table.get(key)
        sdc95 = None if rep is None else rep.sdc95
        first, last = values[0], values[-1]
        change = None if first is None or last is None else last - first
        reason = None
        if change is None:
            reason = "not measured in the first or the last session"
            changed = False
        elif sdc95 is None:
            reason = "no repeatability measured for this metric: a change cannot be told from noise"
            changed = False
        else:
            changed = abs(change) > sdc95
            if not changed:
                reason = f"within the smallest detectable change (+-{sdc95:.2g} {unit})"
        metrics[key] = MetricChange(key, unit, values, change, sdc95, changed, reason)
    captures = [r.get("capture") for r in results]
    warnings = [f"{names[0]} vs {names[-1]}: {w}" for w in capture_differences(captures[0], captures[-1])]
    subjects = {s.subject_id for s in sessions if s.subject_id}
    subject_warnings = (
        [f"the sessions belong to different subject ids ({', '.join(sorted(subjects))})"]
        if len(subjects) > 1
        else []
    )
    return Comparison(sessions, metrics, warnings, subject_warnings)


def compare_dirs(dirs: Sequence[str | Path], **kwargs: Any) -> Comparison:
    """Compare analysis folders (each with a result.json), oldest first."""
    from .pipeline import load_result

    results = [load_result(d) for d in dirs]
    labels = kwargs.pop("labels", None) or [Path(d).name or str(d) for d in dirs]
    return compare_results(results, labels=labels, **kwargs)


def sync_points(result: Mapping[str, Any]) -> dict[str, float | None]:
    """Times (s) at which two sessions show the same phase: start of quiet standing (front and side
    view), first foot contact of the first walking bout."""
    out: dict[str, float | None] = {
        "quiet_standing_front_s": None,
        "quiet_standing_side_s": None,
        "first_contact_s": None,
    }
    for seg in result.get("segments") or []:
        if seg.get("activity") != "standing":
            continue
        k = "quiet_standing_front_s" if seg.get("view") in ("front", "back") else "quiet_standing_side_s"
        if seg.get("view") in ("front", "back", "left_side", "right_side") and out[k] is None:
            out[k] = float(seg.get("start_s") or 0.0)
    for ev in (result.get("gait") or {}).get("events") or []:
        if ev.get("plausible") and ev.get("type") in ("heel_strike", "foot_contact", "contact"):
            out["first_contact_s"] = float(ev.get("time_s"))
            break
    return out
