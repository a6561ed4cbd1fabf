"""Reports of one finished analysis: a self-contained HTML page and an A4 PDF.

Input is an analysis output folder (``result.json``, ``metrics_timeseries.csv``, ``landmarks.parquet``,
the source video or ``overlay.mp4``). The work is split in three:

* :mod:`posture_cam.report_model` - the presentation model (names, units and precision from the
  metric catalogue, the view in words, which part of the recording fed each number, the headline);
* :mod:`posture_cam.report_figures` - the figures (charts with gaps and shaded segments, foot
  trajectories, per-step bars, key frames with the measured angle drawn);
* :mod:`posture_cam.report_html` and :mod:`posture_cam.report_pdf` - the two renderers.

This module ties them together: :func:`figures`, :func:`build_html`, :func:`build_pdf`,
:func:`write_reports` (both, written atomically as ``report.html`` / ``report.pdf``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import catalogue, report_html, report_model, report_pdf
from . import report_figures as rf
from .errors import NotAResultError, OutputError
from .report_model import DISCLAIMER, ReportModel
from .result_model import Result
from .sequence import atomic_path, atomic_write_text

__all__ = ["DISCLAIMER", "build_html", "build_pdf", "figures", "load", "write_reports"]

MAX_CHARTS = 6
FRAMES_PER_FINDING = 2


def load(out_dir: Path) -> Result:
    """The typed result of an analysis folder; OutputError when there is none."""
    p = Path(out_dir) / "result.json"
    if not p.is_file():
        raise OutputError(f"no finished analysis in {out_dir} (result.json not found)")
    try:
        return Result.load(p)
    except NotAResultError as exc:
        raise OutputError(f"the analysis in {out_dir} cannot be reported: {exc}") from None


def _result(out_dir: Path, result: Result | Mapping[str, Any] | None) -> Result:
    return load(out_dir) if result is None else Result.coerce(result)


def figures(
    out_dir: Path, result: Result, model: ReportModel, *, dpi: int = 110, max_width: int = 480
) -> dict[str, Any]:
    """Every figure of the report (see :func:`posture_cam.report_html.render`)."""
    from .sequence import PoseSequence

    out_dir = Path(out_dir)
    ts = rf.load_timeseries(out_dir)
    duration = model.duration_s or 0.0
    if ts is not None and len(ts):
        duration = max(duration, float(ts["timestamp_s"].max()))
    segments = result.activity_segments()
    lm = out_dir / "landmarks.parquet"
    seq = PoseSequence.load(lm) if lm.is_file() else None
    events = [float(e.time_s) for e in result.gait.events if e.time_s is not None and e.type == "heel_strike"]
    out: dict[str, Any] = {
        "timeline": rf.timeline(segments, duration, dpi=dpi) if segments and duration > 0 else None,
        "charts": [
            (
                catalogue.name(k),
                rf.metric_chart(ts, k, duration_s=duration, segments=segments, events_s=events, dpi=dpi),
            )
            for k in rf.chart_keys(ts, result)[:MAX_CHARTS]
        ]
        if ts is not None
        else [],
        "feet": rf.foot_trajectories(seq, result, duration_s=duration, dpi=dpi) if seq is not None else None,
        "steps": rf.step_bars(result, dpi=dpi),
        "finding_frames": {},
        "frames": [],
    }
    if seq is not None:
        for f in model.findings:
            kfs = []
            for key in f.measured_keys[:FRAMES_PER_FINDING]:
                kf = rf.key_frame(out_dir, result, key, seq=seq, ts=ts, max_width=max_width)
                if kf is not None:
                    kfs.append(kf)
            out["finding_frames"][f.id] = kfs
        if not any(out["finding_frames"].values()):
            out["frames"] = rf.spread_frames(out_dir, result, 3, max_width=max_width)
    return out


def build_html(out_dir: Path, *, result: Result | Mapping[str, Any] | None = None) -> str:
    """A self-contained HTML report of the analysis in ``out_dir`` (no external files or scripts)."""
    res = _result(Path(out_dir), result)
    model = report_model.build(res)
    return report_html.render(model, figures(Path(out_dir), res, model))


def build_pdf(out_dir: Path, *, result: Result | Mapping[str, Any] | None = None) -> bytes:
    """The PDF report of the analysis in ``out_dir`` (A4), as bytes."""
    res = _result(Path(out_dir), result)
    model = report_model.build(res)
    return report_pdf.render(model, figures(Path(out_dir), res, model, dpi=150, max_width=600))


def write_reports(out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``out_dir`` (atomically); return their paths."""
    out_dir = Path(out_dir)
    res = load(out_dir)
    model = report_model.build(res)
    figs = figures(out_dir, res, model, dpi=130, max_width=560)  # one set for both renderers
    html_path = atomic_write_text(out_dir / "report.html", report_html.render(model, figs))
    data = report_pdf.render(model, figs)
    pdf_path = out_dir / "report.pdf"
    with atomic_path(pdf_path) as tmp:
        tmp.write_bytes(data)
    return html_path, pdf_path


def report_basename(result: Result | Mapping[str, Any]) -> str:
    stem = Path(Result.coerce(result).source_name).stem.replace(" ", "_") or "capture"
    return f"posture_cam_{stem}"
