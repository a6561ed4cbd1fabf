"""The presentation model of one analysis: what the dashboard, the HTML and the PDF report show.

Built from the typed :class:`~posture_cam.result_model.Result` and the metric catalogue
(:mod:`posture_cam.catalogue`): human names, units and precision, the view in words, which part of
the recording each number came from, and a headline that never shows a green all-clear when nothing
could be assessed. No numbers are computed here beyond formatting; renderers only lay it out
(``report_html``, ``report_pdf``, ``ui.results``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import catalogue
from .result_model import Finding, Metric, Result, Segment

DISCLAIMER = (
    "This report is a screening aid, not a diagnosis. Values are estimated from one camera with a "
    "general-purpose pose model and can be wrong (clothing, lighting, camera angle, lens distortion). "
    "A flagged finding means 'worth a look by a qualified clinician', not that a condition is present."
)
LEVEL_ORDER = {"flagged": 0, "borderline": 1}
LEVEL_WORDS = {
    "flagged": "Flagged",
    "borderline": "Borderline",
    "not_flagged": "Not flagged",
    "not_assessable": "Not assessable",
}
BAND_WORDS = {
    "normal": "within the normal band",
    "borderline": "borderline",
    "flagged": "flagged",
    "not_assessable": "not measured",
}

_VIEW_RE = re.compile(r"\b(left_side|right_side)\b")
_KEY_RE = re.compile(r"\b(?:gait\.)?(?:metrics\.)?([a-z]+(?:_[a-z0-9]+)+)\b")


def humanize(text: Any) -> str:
    """Free text from result.json without raw labels: view labels and metric keys in words."""
    s = str(text or "")
    s = _VIEW_RE.sub(lambda m: catalogue.view_short(m.group(1)) + " view", s)

    def key(m: re.Match[str]) -> str:
        k = m.group(1)
        row = catalogue.CATALOGUE.get(k)
        if row is not None:
            return row.name
        return k.replace("_", " ")

    return _KEY_RE.sub(key, s)


# ----------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class SegmentRow:
    activity: str
    view: str | None
    start_s: float
    end_s: float
    words: str  # "walking, side view (left side towards camera), 0.6-3.2 s"
    activity_words: str
    view_words: str

    def table(self) -> dict[str, str]:
        return {
            "From [s]": f"{self.start_s:.1f}",
            "To [s]": f"{self.end_s:.1f}",
            "Activity": self.activity_words,
            "View": self.view_words,
        }


@dataclass(frozen=True)
class MetricRow:
    key: str
    group: str  # "posture" | "gait"
    name: str
    value: float | None
    value_text: str  # "3.1°"
    unit_text: str
    spread_text: str  # "IQR 0.8°"
    count_text: str  # "212 frames" | "5 steps"
    band_text: str  # "within ±1.5°" | "no normal band in the rules"
    in_band: bool | None
    views: str
    sign: str
    note: str
    segments: tuple[SegmentRow, ...] = ()

    @property
    def segments_text(self) -> str:
        return "; ".join(f"{s.activity_words} {s.start_s:.1f}-{s.end_s:.1f} s" for s in self.segments) or "-"

    @property
    def first_start_s(self) -> float | None:
        return self.segments[0].start_s if self.segments else None

    def table(self) -> dict[str, str]:
        return {
            "Measurement": self.name,
            "Value": self.value_text,
            "Spread": self.spread_text,
            "Based on": self.count_text,
            "Normal band": self.band_text,
            "From": self.segments_text,
            "Notes": self.note,
        }


@dataclass(frozen=True)
class MissingRow:
    key: str
    group: str
    name: str
    reason: str
    needs: str

    def table(self) -> dict[str, str]:
        return {"Measurement": self.name, "Why not": self.reason, "Needs": self.needs}


@dataclass(frozen=True)
class EvidenceLine:
    key: str
    name: str
    value: float | None
    band: str | None
    text: str


@dataclass(frozen=True)
class FindingView:
    id: str
    level: str
    level_words: str
    title: str
    text: str
    confidence: float | None
    evidence: tuple[EvidenceLine, ...]
    chain: str
    next_steps: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def measured_keys(self) -> list[str]:
        """Keys of the evidence measured in this recording, out-of-band ones first."""
        order = {"flagged": 0, "borderline": 1}
        ev = [e for e in self.evidence if e.value is not None]
        return [e.key for e in sorted(ev, key=lambda e: order.get(str(e.band), 2))]


@dataclass(frozen=True)
class ReportModel:
    source: str
    subject_id: str
    created: str
    version: str
    view_text: str
    duration_s: float | None
    duration_text: str
    detection_text: str
    level_text: str  # how the camera roll was found (scene lines, feet, user, or assumed level)
    n_flagged: int
    n_borderline: int
    status: str  # "flagged" | "borderline" | "clear" | "nothing_assessed"
    headline: str
    warnings: tuple[str, ...]
    findings: tuple[FindingView, ...]
    checked: tuple[str, ...]
    n_rules_not_assessable: int
    posture: tuple[MetricRow, ...]
    gait: tuple[MetricRow, ...]
    missing: tuple[MissingRow, ...]
    segments: tuple[SegmentRow, ...]
    bouts: tuple[dict[str, str], ...]
    steps: tuple[dict[str, str], ...]
    gait_note: str
    disclaimer: str = DISCLAIMER
    rows_by_key: Mapping[str, MetricRow] = field(default_factory=dict)
    provenance: Provenance | None = None  # set when a clinician corrected the analysis (issue 18)

    @property
    def measured(self) -> tuple[MetricRow, ...]:
        return self.posture + self.gait


@dataclass(frozen=True)
class Provenance:
    """What a clinician corrected (``result["provenance"]``, issue 18): corrected values beside the
    automatic ones, the corrections (who, when, what) and the measurements taken by hand."""

    summary: str
    values: tuple[dict[str, str], ...]  # Measurement / Corrected / Automatic
    findings: tuple[str, ...]  # "<finding>: not flagged automatically, flagged with the corrections"
    corrections: tuple[dict[str, str], ...]  # Who / When / What
    manual: tuple[dict[str, str], ...]  # Measurement / Value / Frame / How / Who


def _metric_provenance(m: Metric) -> Mapping[str, Any]:
    """``extra.provenance`` / ``extra.automatic_value`` of a metric (nested ``extra`` or flat)."""
    nested = m.extra.get("extra")
    return nested if isinstance(nested, Mapping) and "provenance" in nested else m.extra


def _when(at: Any) -> str:
    return str(at or "-").replace("T", " ").replace("+00:00", " UTC")


def _correction_words(c: Mapping[str, Any]) -> str:
    text = str(c.get("what") or c.get("kind") or "")
    for k in ("landmark", "name"):
        if c.get(k):
            text = text.replace(str(c[k]), str(c[k]).replace("_", " ").lower())
    for k in ("by", "at"):  # shown in their own columns
        if c.get(k):
            text = text.replace(f" {'by' if k == 'by' else 'on'} {c[k]}", "")
    return humanize(text)


def provenance(r: Result) -> Provenance | None:
    """The corrections part of the report, or None for an automatic analysis."""
    prov = r.extra.get("provenance")
    if not isinstance(prov, Mapping):
        return None
    values = []
    for _group, m in r.all_metrics():
        p = _metric_provenance(m)
        if p.get("provenance") != "corrected":
            continue
        info = m.info
        values.append(
            {
                "Measurement": info.name,
                "Corrected": info.fmt(m.value) if m.ok else LEVEL_WORDS["not_assessable"].lower(),
                "Automatic": info.fmt(p.get("automatic_value"))
                if p.get("automatic_value") is not None
                else LEVEL_WORDS["not_assessable"].lower(),
            }
        )
    words = {**LEVEL_WORDS, "ok": "Not flagged", "normal": "Not flagged"}
    findings = []
    for f in r.findings:
        fx = f.extra
        if fx.get("provenance") == "corrected":
            was = words.get(str(fx.get("automatic_status")), "Not evaluated")
            now = words.get(str(f.status), str(f.status))
            findings.append(f"{f.name}: {was.lower()} automatically, {now.lower()} with the corrections")
    corrections = tuple(
        {
            "Who": str(c.get("by") or "-"),
            "When": _when(c.get("at")),
            "What": _correction_words(c),
        }
        for c in prov.get("corrections") or []
        if isinstance(c, Mapping)
    )
    manual = tuple(
        {
            "Measurement": str(mm.get("label") or mm.get("tool") or ""),
            "Value": catalogue.format_value(mm.get("value"), 1, str(mm.get("unit") or "")),
            "Frame": str(mm.get("frame", "")),
            "How": humanize(mm.get("method") or ""),
            "Who": str(mm.get("by") or "-"),
        }
        for mm in r.extra.get("manual_measurements") or []
        if isinstance(mm, Mapping)
    )
    n = len(values)
    summary = (
        f"This report contains values corrected by a clinician: {n} measurement(s) differ from the "
        "automatic analysis (automatic value shown beside each). The automatic result is kept in result.json."
        if n
        else "A clinician checked and corrected this analysis; no measurement changed from the automatic one."
    )
    return Provenance(summary, tuple(values), tuple(findings), corrections, manual)


# ----------------------------------------------------------------------------- builders
def segment_row(s: Segment) -> SegmentRow:
    return SegmentRow(
        s.activity,
        s.view,
        float(s.start_s),
        float(s.end_s),
        s.words,
        catalogue.activity_words(s.activity),
        catalogue.view_words(s.view),
    )


_NOTE_EXTRAS: dict[str, Any] = {
    "low_side": lambda v, row: f"lower side: subject's {v}" if v in ("left", "right") else "level",
    "toward": lambda v, row: f"leans to the subject's {v}" if v in ("left", "right") else "upright",
    "uncertainty_deg": lambda v, row: f"uncertainty about ±{v:.0f}°",
    "value_during_movement": lambda v, row: f"while moving: {row.fmt(v)}",
    "knee_line_tilt_deg": lambda v, row: f"knee line tilt {catalogue.format_value(v, 1, 'deg')}",
    "shorter_stance_side": lambda v, row: f"shorter stance on the {v}" if v else "",
    "side_unloaded": lambda v, row: f"unloads the {v} side" if v else "",
}


def metric_note(m: Metric) -> str:
    row = m.info
    parts = []
    for k, fn in _NOTE_EXTRAS.items():
        v = m.extra.get(k)
        if v is None or v == "":
            continue
        try:
            text = fn(v, row)
        except (TypeError, ValueError):
            continue
        if text:
            parts.append(text)
    p = _metric_provenance(m)
    if p.get("provenance") == "corrected":  # issue 18: the automatic value beside the corrected one
        parts.insert(0, f"corrected by a clinician (automatic {row.fmt(p.get('automatic_value'))})")
    return "; ".join(parts)


def metric_row(group: str, m: Metric, segments: list[Segment]) -> MetricRow:
    row = m.info
    band = row.normal
    value = float(m.value) if m.ok and m.value is not None else None
    refs = []
    for r in m.segments:
        if r.start_s is None or r.end_s is None:
            continue
        seg = Segment(str(r.activity or "other"), r.view, float(r.start_s), float(r.end_s))
        refs.append(segment_row(seg))
    if not refs and group == "gait":
        refs = [segment_row(s) for s in segments if s.activity == "walking"]
    unit_count = "steps" if group == "gait" else "frames"
    return MetricRow(
        key=m.key,
        group=group,
        name=row.name,
        value=value,
        value_text=row.fmt(value),
        unit_text=row.unit_text,
        spread_text="-" if m.iqr is None else f"IQR {row.fmt(m.iqr)}",
        count_text=f"{m.n_frames} {unit_count if m.n_frames != 1 else unit_count[:-1]}"
        if m.n_frames
        else "-",
        band_text=band.words(row.unit, row.precision) if band else "-",
        in_band=None if band is None or value is None else band.contains(value),
        views=row.views,
        sign=row.sign,
        note=metric_note(m),
        segments=tuple(refs),
    )


def evidence_line(ev: Any) -> EvidenceLine:
    row = catalogue.info(ev.key)
    unit = ev.unit or row.unit
    shown = "not measured" if ev.value is None else catalogue.format_value(ev.value, row.precision, unit)
    th = ev.threshold or {}
    limits = ", ".join(
        f"{k.replace('_at', '')} at {catalogue.format_value(v, row.precision, unit)}"
        for k, v in th.items()
        if v is not None
    )
    band = BAND_WORDS.get(str(ev.band), humanize(ev.band)) if ev.band else ""
    detail = "; ".join(x for x in (band, limits) if x)
    text = f"{row.name}: {shown}" + (f" ({detail})" if detail else "")
    if ev.meaning and ev.band in ("flagged", "borderline", "uncertain"):  # uncertain: why less sure
        text += f": {ev.meaning}"
    if ev.value is None and ev.reason:
        text += f": {humanize(ev.reason)}"
    return EvidenceLine(ev.key, row.name, None if ev.value is None else float(ev.value), ev.band, text)


def _source_text(s: Any) -> str:
    if isinstance(s, Mapping):
        parts = [str(s.get(k)) for k in ("citation", "title", "authors", "year", "doi", "url") if s.get(k)]
        return ", ".join(parts) if parts else "-"
    return str(s)


def finding_view(f: Finding) -> FindingView:
    evidence = tuple(evidence_line(e) for e in f.evidence_items)
    if not evidence and f.evidence and not isinstance(f.evidence, list):
        evidence = (EvidenceLine("", "", None, None, humanize(f.evidence)),)
    present = set(f.links_present)
    chain = " -> ".join(f"{c}*" if c in present else c for c in f.chain)
    if chain and present:
        chain += " (* = seen in this recording)"
    return FindingView(
        id=f.id,
        level=f.level,
        level_words=LEVEL_WORDS.get(f.level, f.level.replace("_", " ")),
        title=f.name,
        text=" ".join(humanize(x) for x in (f.wording, f.summary) if x),
        confidence=None if f.confidence is None else float(f.confidence),
        evidence=evidence,
        chain=chain,
        next_steps=tuple(f.next_steps),
        sources=tuple(_source_text(s) for s in f.sources),
    )


def nothing_reason(r: Result, limit: int = 3) -> str:
    """Why no screening rule could be assessed, in one sentence (the most common reasons first)."""
    if not r.detection.detection_rate:
        return "nobody was detected in the recording"
    reasons: Counter[str] = Counter()

    def add(text: str) -> None:
        for part in re.split(r";\s+(?![^()]*\))", humanize(text)):
            part = part.strip().rstrip(".")
            if part and not part.startswith("not enough measurements"):
                reasons[part[0].lower() + part[1:]] += 1

    for f in r.findings:
        if isinstance(f.extra.get("reason"), str) and f.extra["reason"]:
            add(f.extra["reason"])
        for e in f.evidence_items:
            if e.value is None and e.reason:
                add(e.reason)
    if not reasons:
        for _, m in r.all_metrics():
            if not m.ok and m.reason:
                add(m.reason)
    if not reasons:
        return "the recording did not show any of the views and activities the screening rules need"
    ranked = sorted(reasons.items(), key=lambda kv: (kv[0].startswith("this recording has"), -kv[1]))
    top = [t for t, _ in ranked[:limit]]
    return "; ".join(top)


def _step_rows(r: Result) -> tuple[dict[str, str], ...]:
    rows = []
    for s in r.gait.steps:
        rows.append(
            {
                "Step": "-" if s.index is None else str(int(s.index) + 1),
                "Side": str(s.side or "-"),
                "At [s]": catalogue.format_value(s.time_s, 2),
                "Step time [s]": catalogue.format_value(s.step_time_s, 2),
                "Stance [s]": catalogue.format_value(s.stance_time_s, 2),
                "Swing [s]": catalogue.format_value(s.swing_time_s, 2),
                "Double support [s]": catalogue.format_value(s.double_support_s, 2),
                "Step length [% height]": catalogue.format_value(s.step_length_pct_height, 1),
            }
        )
    return tuple(rows)


def _bout_rows(r: Result) -> tuple[dict[str, str], ...]:
    rows = []
    for b in r.gait.bouts:
        view = {
            "side": "side view",
            "front": "front view",
            "back": "back view",
            "frontal": "front or back view",
        }.get(str(b.view), catalogue.view_words(b.view))
        rows.append(
            {
                "From [s]": catalogue.format_value(b.start_s, 1),
                "To [s]": catalogue.format_value(b.end_s, 1),
                "View": view,
                "Direction": catalogue.direction_words(b.direction),
                "Walking": "backwards" if b.backwards else "forwards",
                "Travel": "none (treadmill or following camera)" if b.stationary else "over ground",
            }
        )
    return tuple(rows)


def level_text(calibration: Mapping[str, Any]) -> str:
    """How the tilts were levelled, in words: the camera roll and where it came from."""
    roll = float(calibration.get("roll_deg") or 0.0)
    source = calibration.get("roll_source")
    if source == "user":
        return f"camera roll {roll:+.1f}° as given by the user"
    if source == "scene":
        n = calibration.get("scene_n_lines")
        lines = f" ({n} lines)" if n else ""
        return f"camera roll {roll:+.1f}° from the background's vertical lines{lines}"
    if source == "feet":
        return f"camera roll {roll:+.1f}° from the floor line through both still feet"
    if source is None:
        return "-"
    return "level camera assumed (the roll could not be measured)"


def build(result: Result | Mapping[str, Any]) -> ReportModel:
    """The presentation model of a result (a :class:`Result` or a result.json dict)."""
    r = Result.coerce(result)
    segments = r.activity_segments()
    posture: list[MetricRow] = []
    gait: list[MetricRow] = []
    missing: list[MissingRow] = []
    for group, m in r.all_metrics():
        if m.ok:
            (posture if group == "posture" else gait).append(metric_row(group, m, segments))
        else:
            row = m.info
            missing.append(
                MissingRow(m.key, group, row.name, humanize(m.reason or "not assessable"), row.views)
            )
    shown = sorted(
        r.findings_with("flagged", "borderline"), key=lambda f: (LEVEL_ORDER[f.level], -(f.confidence or 0))
    )
    findings = tuple(finding_view(f) for f in shown)
    n_flagged = sum(f.level == "flagged" for f in shown)
    n_borderline = sum(f.level == "borderline" for f in shown)
    checked = tuple(f.name for f in r.findings_with("not_flagged", "normal"))
    n_na = len(r.findings_with("not_assessable"))
    assessed = len(r.findings) - n_na
    if n_flagged or n_borderline:
        status = "flagged" if n_flagged else "borderline"
        counts = [f"{n} {word}" for n, word in ((n_flagged, "flagged"), (n_borderline, "borderline")) if n]
        headline = (
            f"{' and '.join(counts)} finding{'s' if n_flagged + n_borderline > 1 else ''} "
            f"in the {assessed} screening rule{'s' if assessed > 1 else ''} that could be assessed."
        )
    elif assessed > 0:
        status = "clear"
        headline = (
            f"No flagged or borderline findings in the {assessed} screening rule(s) that could be assessed."
        )
    elif not posture and not gait:
        status = "nothing_assessed"
        headline = f"Nothing could be assessed, because {nothing_reason(r)}."
    else:
        status = "nothing_assessed"
        headline = (
            f"No screening rule could be assessed, because {nothing_reason(r)}. "
            f"{len(posture) + len(gait)} measurement(s) were taken (see Measurements)"
        )
        outside = [row for row in posture + gait if row.in_band is False]
        if outside:
            headline += "; outside the rules' normal band: " + ", ".join(
                f"{row.name} {row.value_text} (normal {row.band_text})" for row in outside
            )
        headline += "."
    duration = r.duration_s
    det = r.detection.detection_rate
    gait_note = ""
    if not r.gait.steps:
        gait_note = (
            humanize(r.gait.reason) or "No walking was detected in this recording, so there are no steps."
            if not r.gait.walking_detected
            else "Walking was detected but no complete steps could be measured."
        )
    return ReportModel(
        source=r.source_name,
        subject_id=str(r.subject.id) if r.subject.id not in (None, "") else "-",
        created=str(r.created_utc or "-").replace("T", " ").replace("+00:00", " UTC"),
        version=str(r.versions.get("posture_cam", "-")),
        view_text=catalogue.view_words(r.view.dominant),
        duration_s=duration,
        duration_text="-" if duration is None else f"{duration:.1f} s",
        detection_text="-" if det is None else f"{float(det):.0%} of frames",
        level_text=level_text(r.calibration),
        n_flagged=n_flagged,
        n_borderline=n_borderline,
        status=status,
        headline=headline,
        warnings=tuple(humanize(w) for w in r.warnings),
        findings=findings,
        checked=checked,
        n_rules_not_assessable=n_na,
        posture=tuple(posture),
        gait=tuple(gait),
        missing=tuple(missing),
        segments=tuple(segment_row(s) for s in segments),
        bouts=_bout_rows(r),
        steps=_step_rows(r),
        gait_note=gait_note,
        rows_by_key={row.key: row for row in posture + gait},
        provenance=provenance(r),
    )
