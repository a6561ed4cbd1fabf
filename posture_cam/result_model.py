"""One typed model of ``result.json`` (docs/data_formats.md): dataclasses with ``from_json`` / ``to_json``.

The dashboard, both reports, ``posture-cam explain`` and the batch readers read a result through
:class:`Result` instead of chains of ``.get()``. The model is:

* **versioned**: ``schema_version`` (1 today; a file without it is read as version 1; a newer file
  is read as far as it is understood and :attr:`Result.newer_than_known` says so);
* **tolerant**: every optional section may be missing (a webcam capture has no ``input.path``, an
  old file no ``segments``, a recording without walking an empty ``gait``);
* **lossless**: unknown keys are kept in ``extra`` and keys that were absent stay absent, so
  ``Result.from_json(d).to_json() == d`` for every result the pipeline writes (tested on the
  sample videos' results).

A value of the wrong type (a string where a number belongs, a list where an object belongs) raises
:class:`~posture_cam.errors.NotAResultError` with the path of the offending field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from . import catalogue
from .errors import NotAResultError

SCHEMA_VERSION = 1
ACTIVITIES = ("standing", "walking", "turn", "forward_bend", "other")

T = TypeVar("T", bound="_Model")


# ----------------------------------------------------------------------------- converters
def _num(v: Any, where: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise NotAResultError(f"result.json: {where} should be a number, got {type(v).__name__} {v!r:.40}")
    return v  # type: ignore[return-value]  # ints stay ints (lossless round trip)


def _int(v: Any, where: str) -> int | None:
    n = _num(v, where)
    if n is None:
        return None
    if float(n) != int(n):
        raise NotAResultError(f"result.json: {where} should be a whole number, got {n!r}")
    return v  # type: ignore[no-any-return]


def _str(v: Any, where: str) -> str | None:
    if v is None:
        return None
    if not isinstance(v, str):
        raise NotAResultError(f"result.json: {where} should be text, got {type(v).__name__}")
    return v


def _bool(v: Any, where: str) -> bool | None:
    if v is None:
        return None
    if not isinstance(v, bool):
        raise NotAResultError(f"result.json: {where} should be true or false, got {v!r:.40}")
    return v


def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, Mapping):
        raise NotAResultError(f"result.json: {where} should be an object, got {type(v).__name__}")
    return dict(v)


def _list(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise NotAResultError(f"result.json: {where} should be a list, got {type(v).__name__}")
    return v


def _strs(v: Any, where: str) -> list[str]:
    return [str(x) for x in _list(v, where)]


Conv = Callable[[Any, str], Any]


def _f(
    conv: Conv | None = None, *, default: Any = None, factory: Any = None, json_key: str | None = None
) -> Any:
    """A model field with its converter (JSON -> Python, raising on a wrong type)."""
    md: dict[str, Any] = {"conv": conv}
    if json_key:
        md["json"] = json_key
    if factory is not None:
        return field(default_factory=factory, metadata=md)
    return field(default=default, metadata=md)


@dataclass
class _Model:
    """Base: known fields from ``metadata["conv"]``, the rest kept in ``extra``; absent keys stay absent."""

    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)
    absent: frozenset[str] = field(default=frozenset(), repr=False, compare=False, kw_only=True)

    _SKIP: ClassVar[frozenset[str]] = frozenset({"extra", "absent"})

    @classmethod
    def _fields(cls) -> list[Any]:
        return [f for f in fields(cls) if f.name not in cls._SKIP and not f.name.startswith("_")]

    @classmethod
    def from_json(cls: type[T], d: Any, where: str = "") -> T:
        where = where or cls.__name__
        data = _obj(d, where)
        kwargs: dict[str, Any] = {}
        absent = set()
        known = set()
        for f in cls._fields():
            if f.metadata.get("derived"):
                continue
            key = f.metadata.get("json", f.name)
            known.add(key)
            if key not in data:
                absent.add(f.name)
                continue
            conv = f.metadata.get("conv")
            v = data[key]
            kwargs[f.name] = conv(v, f"{where}.{key}") if conv is not None and v is not None else v
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**kwargs, extra=extra, absent=frozenset(absent))

    def _dump(self, name: str, value: Any) -> Any:
        if isinstance(value, _Model):
            return value.to_json()
        if isinstance(value, list):
            return [v.to_json() if isinstance(v, _Model) else v for v in value]
        if isinstance(value, dict):
            return {k: (v.to_json() if isinstance(v, _Model) else v) for k, v in value.items()}
        return value

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self._fields():
            if f.metadata.get("derived") or f.name in self.absent:
                continue
            out[f.metadata.get("json", f.name)] = self._dump(f.name, getattr(self, f.name))
        out.update(self.extra)
        return out


def _model(cls: type[T]) -> Conv:
    return lambda v, where: cls.from_json(v, where)


def _models(cls: type[T]) -> Conv:
    return lambda v, where: [cls.from_json(x, f"{where}[{i}]") for i, x in enumerate(_list(v, where))]


# ----------------------------------------------------------------------------- sections
@dataclass
class Metric(_Model):
    """One summarised measurement (posture_cam.measurement.MetricResult as stored)."""

    value: float | None = _f(_num)
    unit: str = _f(_str, default="")
    iqr: float | None = _f(_num)
    n_frames: int = _f(_int, default=0)
    view_required: list[str] = _f(_strs, factory=list)
    status: str = _f(_str, default="ok")
    reason: str | None = _f(_str)
    key: str = field(default="", metadata={"derived": True})

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.value is not None and math.isfinite(float(self.value))

    @property
    def info(self) -> catalogue.MetricInfo:
        return catalogue.info(self.key)

    @property
    def segments(self) -> list[SegmentRef]:
        """The parts of the recording that fed this metric (``extra["segments"]``, prepare stage)."""
        raw = self.extra.get("segments")
        if not isinstance(raw, list):
            return []
        return [SegmentRef.from_json(s, f"metrics.{self.key}.segments[{i}]") for i, s in enumerate(raw)]


@dataclass
class SegmentRef(_Model):
    start_s: float | None = _f(_num)
    end_s: float | None = _f(_num)
    view: str | None = _f(_str)
    activity: str | None = _f(_str)


@dataclass
class Segment(_Model):
    """One part of the recording (prepare stage): what the subject did, seen from where, when."""

    activity: str = _f(_str, default="other")
    view: str | None = _f(_str)
    start_s: float = _f(_num, default=0.0)
    end_s: float = _f(_num, default=0.0)
    start_frame: int | None = _f(_int)
    end_frame: int | None = _f(_int)
    metrics: dict[str, Any] = _f(_obj, factory=dict)

    @property
    def duration_s(self) -> float:
        return max(0.0, float(self.end_s) - float(self.start_s))

    @property
    def words(self) -> str:
        """``"walking, side view (left side towards camera), 0.6-3.2 s"``."""
        return (
            f"{catalogue.activity_words(self.activity)}, {catalogue.view_words(self.view)}, "
            f"{float(self.start_s):.1f}-{float(self.end_s):.1f} s"
        )


@dataclass
class InputInfo(_Model):
    path: str | None = _f(_str)
    sha256: str | None = _f(_str)
    frames: int | None = _f(_int)
    fps: float | None = _f(_num)
    duration_s: float | None = _f(_num)
    width: int | None = _f(_int)
    height: int | None = _f(_int)
    is_image: bool | None = _f(_bool)


@dataclass
class Subject(_Model):
    id: str | None = _f()
    height_cm: float | None = _f(_num)
    session_date: str | None = _f(_str)
    view_hint: str | None = _f(_str)


@dataclass
class Detection(_Model):
    frames_with_person: int | None = _f(_int)
    detection_rate: float | None = _f(_num)
    people_seen_max: int | None = _f(_int)


@dataclass
class ViewSpan(_Model):
    start_s: float = _f(_num, default=0.0)
    end_s: float = _f(_num, default=0.0)
    view: str | None = _f(_str)


@dataclass
class ViewInfo(_Model):
    dominant: str | None = _f(_str)
    fractions: dict[str, Any] = _f(_obj, factory=dict)
    segments: list[ViewSpan] = _f(_models(ViewSpan), factory=list)


@dataclass
class GaitEvent(_Model):
    frame: int | None = _f(_int)
    time_s: float | None = _f(_num)
    foot: str | None = _f(_str)
    type: str | None = _f(_str)
    confidence: float | None = _f(_num)
    plausible: bool | None = _f(_bool)


@dataclass
class GaitStep(_Model):
    index: int | None = _f(_int)
    bout: int | None = _f(_int)
    side: str | None = _f(_str)
    frame: int | None = _f(_int)
    time_s: float | None = _f(_num)
    step_time_s: float | None = _f(_num)
    stride_time_s: float | None = _f(_num)
    stance_time_s: float | None = _f(_num)
    swing_time_s: float | None = _f(_num)
    double_support_s: float | None = _f(_num)
    step_length_pct_height: float | None = _f(_num)
    step_length_m: float | None = _f(_num)


@dataclass
class WalkingBout(_Model):
    start_frame: int | None = _f(_int)
    end_frame: int | None = _f(_int)
    start_s: float | None = _f(_num)
    end_s: float | None = _f(_num)
    view: str | None = _f(_str)
    direction: str | None = _f(_str)
    backwards: bool | None = _f(_bool)
    stationary: bool | None = _f(_bool)


def _metrics(section: str) -> Conv:
    def conv(v: Any, where: str) -> dict[str, Metric]:
        out = {}
        for k, m in _obj(v, where).items():
            metric = Metric.from_json(m, f"{section}.{k}")
            metric.key = k
            out[k] = metric
        return out

    return conv


@dataclass
class Gait(_Model):
    walking_detected: bool = _f(_bool, default=False)
    view: str | None = _f(_str)
    reason: str | None = _f(_str)
    bouts: list[WalkingBout] = _f(_models(WalkingBout), factory=list)
    events: list[GaitEvent] = _f(_models(GaitEvent), factory=list)
    steps: list[GaitStep] = _f(_models(GaitStep), factory=list)
    metrics: dict[str, Metric] = _f(_metrics("gait.metrics"), factory=dict)


@dataclass
class Evidence(_Model):
    metric: str = _f(_str, default="")
    value: float | None = _f(_num)
    unit: str | None = _f(_str)
    band: str | None = _f(_str)
    threshold: dict[str, Any] = _f(_obj, factory=dict)
    direction: str | None = _f(_str)
    meaning: str | None = _f(_str)
    link: str | None = _f(_str)
    role: str | None = _f(_str)
    reason: str | None = _f(_str)
    threshold_reason: str | None = _f(_str)
    confidence: float | None = _f(_num)

    @property
    def key(self) -> str:
        return self.metric.rsplit(".", 1)[-1]


def _evidence(v: Any, where: str) -> list[Evidence] | Any:
    # old results may hold free-form evidence (a mapping or text): kept as is
    if isinstance(v, list) and all(isinstance(e, Mapping) and "metric" in e for e in v):
        return [Evidence.from_json(e, f"{where}[{i}]") for i, e in enumerate(v)]
    return v


@dataclass
class Finding(_Model):
    id: str = _f(_str, default="")
    title: str | None = _f(_str)
    status: str = _f(_str, default="not_assessable")
    confidence: float | None = _f(_num)
    evidence: list[Evidence] | Any = _f(_evidence, factory=list)
    chain: list[str] = _f(_strs, factory=list)
    links_present: list[str] = _f(_strs, factory=list)
    next_steps: list[str] = _f(_strs, factory=list)
    sources: list[Any] = _f(_list, factory=list)
    wording: str | None = _f(_str)
    summary: str | None = _f(_str)

    @property
    def level(self) -> str:
        return str(self.status or self.extra.get("level") or "unknown").lower()

    @property
    def name(self) -> str:
        return str(self.title or self.id or "finding")

    @property
    def evidence_items(self) -> list[Evidence]:
        return (
            [e for e in self.evidence if isinstance(e, Evidence)] if isinstance(self.evidence, list) else []
        )


@dataclass
class Result(_Model):
    """A whole ``result.json``."""

    schema_version: int = _f(_int, default=SCHEMA_VERSION)
    created_utc: str | None = _f(_str)
    input: InputInfo = _f(_model(InputInfo), factory=InputInfo)
    subject: Subject = _f(_model(Subject), factory=Subject)
    detection: Detection = _f(_model(Detection), factory=Detection)
    model: dict[str, Any] | None = _f(_obj)
    versions: dict[str, Any] = _f(_obj, factory=dict)
    config: dict[str, Any] = _f(_obj, factory=dict)
    view: ViewInfo = _f(_model(ViewInfo), factory=ViewInfo)
    calibration: dict[str, Any] = _f(_obj, factory=dict)
    segments: list[Segment] = _f(_models(Segment), factory=list)
    metrics: dict[str, Metric] = _f(_metrics("metrics"), factory=dict)
    gait: Gait = _f(_model(Gait), factory=Gait)
    findings: list[Finding] = _f(_models(Finding), factory=list)
    warnings: list[str] = _f(_strs, factory=list)
    files: list[str] = _f(_strs, factory=list)

    # ------------------------------------------------------------------ reading
    @classmethod
    def load(cls, path: str | Path) -> Result:
        """``path`` is a result.json or the folder holding it."""
        p = Path(path)
        if p.is_dir():
            p = p / "result.json"
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotAResultError(f"no result.json at {p}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise NotAResultError(f"{p} is not valid JSON ({exc})") from None
        return cls.from_json(data, "result")

    @classmethod
    def from_json(cls, d: Any, where: str = "result") -> Result:  # type: ignore[override]
        return super().from_json(d, where)

    @classmethod
    def coerce(cls, r: Result | Mapping[str, Any]) -> Result:
        """A Result from a Result or a result.json dict (callers may hold either)."""
        return r if isinstance(r, Result) else cls.from_json(dict(r))

    @property
    def newer_than_known(self) -> bool:
        return int(self.schema_version or 0) > SCHEMA_VERSION

    # ------------------------------------------------------------------ convenience
    @property
    def source_name(self) -> str:
        return Path(self.input.path).name if self.input.path else "webcam capture"

    @property
    def duration_s(self) -> float | None:
        if self.input.duration_s is not None:
            return float(self.input.duration_s)
        ends = [float(s.end_s) for s in self.segments] + [float(v.end_s) for v in self.view.segments]
        return max(ends) if ends else None

    def all_metrics(self) -> list[tuple[str, Metric]]:
        """(group, metric) for the posture then the gait metrics."""
        return [("posture", m) for m in self.metrics.values()] + [
            ("gait", m) for m in self.gait.metrics.values()
        ]

    def metric(self, key: str) -> Metric | None:
        bare = key.rsplit(".", 1)[-1]
        if key.startswith("gait."):
            return self.gait.metrics.get(bare)
        return self.metrics.get(bare) or self.gait.metrics.get(bare)

    def findings_with(self, *levels: str) -> list[Finding]:
        return [f for f in self.findings if f.level in levels]

    def activity_segments(self) -> list[Segment]:
        """The parts of the recording: the top-level ``segments`` (prepare stage); for older results
        rebuilt from ``gait.segments`` / ``view.segments`` and the walking bouts."""
        if self.segments:
            return list(self.segments)
        spans = self.view.segments

        def view_at(a: float, b: float) -> str | None:
            best, best_len = None, 0.0
            for v in spans:
                overlap = min(b, float(v.end_s)) - max(a, float(v.start_s))
                if overlap > best_len:
                    best, best_len = v.view, overlap
            return best or self.view.dominant

        kinds = {"walking": "walking", "turn": "turn", "turning": "turn", "standing": "standing"}
        raw = self.gait.extra.get("segments")
        out: list[Segment] = []
        if isinstance(raw, list) and raw:
            for s in raw:
                if not isinstance(s, Mapping) or s.get("start_s") is None or s.get("end_s") is None:
                    continue
                a, b = float(s["start_s"]), float(s["end_s"])
                out.append(Segment(kinds.get(str(s.get("kind")), "other"), view_at(a, b), a, b))
            return out
        bouts = [
            (float(b.start_s), float(b.end_s))
            for b in self.gait.bouts
            if b.start_s is not None and b.end_s is not None
        ]
        for v in spans:
            out.append(Segment("other", v.view, float(v.start_s), float(v.end_s)))
        for a, b in bouts:
            out.append(Segment("walking", view_at(a, b), a, b))
        return sorted(out, key=lambda s: (float(s.start_s), s.activity != "walking"))


def load_result(path: str | Path) -> Result:
    return Result.load(path)
