"""``MetricResult``: one summarised measurement, as it appears in ``result.json``.

Every posture and gait metric is reported in this one shape::

    {"value": 3.1, "unit": "deg", "iqr": 0.8, "n_frames": 212, "view_required": ["front", "back"],
     "status": "ok", "reason": null, ...extra keys such as "low_side"}

``status`` is ``"ok"`` when the value can be trusted as a measurement, or ``"not_assessable"`` with a
human-readable ``reason`` (wrong view, too few valid frames, no walking...). A not-assessable metric
has ``value = None``: never a silent 0 or a number from the wrong view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["ok", "not_assessable"]

# View labels used everywhere (posture_cam.view produces them).
VIEWS = ("front", "back", "left_side", "right_side", "oblique", "unknown")
FRONTAL_VIEWS = ("front", "back")
SIDE_VIEWS = ("left_side", "right_side")


@dataclass(frozen=True)
class MetricResult:
    value: float | None
    unit: str
    iqr: float | None = None
    n_frames: int = 0
    view_required: tuple[str, ...] = ()
    status: Status = "ok"
    reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def not_assessable(
        cls, unit: str, reason: str, *, view_required: Sequence[str] = (), n_frames: int = 0, **extra: Any
    ) -> MetricResult:
        return cls(None, unit, None, n_frames, tuple(view_required), "not_assessable", reason, extra)

    @classmethod
    def from_series(
        cls,
        series: np.ndarray,
        unit: str,
        *,
        view_required: Sequence[str] = (),
        min_frames: int = 1,
        what: str = "valid frames",
        **extra: Any,
    ) -> MetricResult:
        """Median and IQR of the finite values of a per-frame (or per-step) series."""
        vals = np.asarray(series, dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        if vals.size < max(1, min_frames):
            return cls.not_assessable(
                unit,
                f"only {vals.size} {what} (need {max(1, min_frames)})",
                view_required=view_required,
                n_frames=int(vals.size),
                **extra,
            )
        q1, med, q3 = np.percentile(vals, [25, 50, 75])
        return cls(float(med), unit, float(q3 - q1), int(vals.size), tuple(view_required), "ok", None, extra)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.value is not None

    @property
    def number(self) -> float:
        """The value as a float; ``ValueError`` for a metric that is not assessable (check ``ok``)."""
        if self.value is None:
            raise ValueError(f"metric not assessable: {self.reason}")
        return float(self.value)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": None if self.value is None else round(float(self.value), 4),
            "unit": self.unit,
            "iqr": None if self.iqr is None else round(float(self.iqr), 4),
            "n_frames": int(self.n_frames),
            "view_required": list(self.view_required),
            "status": self.status,
            "reason": self.reason,
        }
        for k, v in self.extra.items():
            out[k] = v.item() if isinstance(v, np.generic) else v
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MetricResult:
        known = {"value", "unit", "iqr", "n_frames", "view_required", "status", "reason"}
        return cls(
            d.get("value"),
            d.get("unit", ""),
            d.get("iqr"),
            int(d.get("n_frames") or 0),
            tuple(d.get("view_required") or ()),
            d.get("status", "ok"),
            d.get("reason"),
            {k: v for k, v in d.items() if k not in known},
        )
