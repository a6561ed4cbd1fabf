"""PDF renderer of the report (fpdf2, A4): the same model and figures as the HTML page.

Text uses the DejaVu Sans font shipped with matplotlib, so degree signs print correctly.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .report_model import ReportModel

LEVEL_RGB = {"flagged": (192, 57, 43), "borderline": (200, 140, 0)}
HEADLINE_FILL = {
    "flagged": (253, 236, 234),
    "borderline": (255, 246, 224),
    "clear": (234, 246, 238),
    "nothing_assessed": (240, 241, 244),
}


def _font_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def render(model: ReportModel, figures: Mapping[str, Any]) -> bytes:
    from fpdf import FPDF

    m = model
    pdf = FPDF(format="A4", unit="mm")
    font = _font_path()
    pdf.add_font("DejaVu", "", str(font))
    pdf.add_font("DejaVu", "B", str(font.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_font("DejaVu", "I", str(font.with_name("DejaVuSans-Oblique.ttf")))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(f"posture_cam report - {m.source}")
    pdf.set_creator("posture_cam")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def room(h: float) -> None:
        if pdf.get_y() + h > pdf.h - pdf.b_margin:
            pdf.add_page()

    def heading(text: str, size: float = 13) -> None:
        room(30)
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", size)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        if size >= 12:
            pdf.set_draw_color(200, 207, 216)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_font("DejaVu", "", 9.5)

    def para(text: str, style: str = "", size: float = 9.5) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")

    def image(png: bytes, w: float, aspect: float) -> None:
        room(w * aspect + 2)
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w)
        pdf.ln(1)

    def frames_row(frames: Sequence[Any]) -> None:
        if not frames:
            return
        gap = 3.0
        w_img = (width - gap * 2) / 3
        h_img = max(k.rgb.shape[0] / k.rgb.shape[1] * w_img for k in frames)
        if h_img > 80:
            w_img *= 80 / h_img
            h_img = 80
        room(h_img + 12)
        y0 = pdf.get_y()
        for j, k in enumerate(frames[:3]):
            x = pdf.l_margin + j * (w_img + gap)
            pdf.image(io.BytesIO(k.png), x=x, y=y0, w=w_img)
            pdf.set_xy(x, y0 + k.rgb.shape[0] / k.rgb.shape[1] * w_img + 1)
            pdf.set_font("DejaVu", "", 7)
            pdf.multi_cell(w_img, 3.5, k.caption, align="C")
        pdf.set_xy(pdf.l_margin, y0 + h_img + 10)

    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, "posture_cam report", new_x="LMARGIN", new_y="NEXT")
    para(f"{m.source}  ·  subject {m.subject_id}  ·  created {m.created}  ·  posture_cam {m.version}", size=9)
    pdf.ln(2)
    pdf.set_fill_color(255, 246, 224)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, m.disclaimer, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_fill_color(*HEADLINE_FILL.get(m.status, (240, 241, 244)))
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 5.5, m.headline, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")

    heading("Recording")
    para(
        f"View: {m.view_text}    Length: {m.duration_text}    Person found in {m.detection_text}    "
        f"Findings: {m.n_flagged} flagged, {m.n_borderline} borderline"
    )
    para(f"Levelling: {m.level_text}")
    for w in m.warnings:
        para(f"Warning: {w}", "I", 9)
    if m.provenance is not None:  # issue 18: corrected by a clinician
        pv = m.provenance
        heading("Corrected values")
        para(pv.summary, "B", 9.5)
        if pv.values:
            _table(pdf, list(pv.values), [0.5, 0.25, 0.25], width)
        for line in pv.findings:
            para(line, size=9)
        heading("Corrections (who, when, what)", 10.5)
        _table(pdf, list(pv.corrections), [0.2, 0.22, 0.58], width)
        if pv.manual:
            heading("Measured by hand", 10.5)
            _table(pdf, list(pv.manual), [0.2, 0.12, 0.08, 0.45, 0.15], width)
    timeline = figures.get("timeline")
    if isinstance(timeline, bytes):
        image(timeline, width, 0.9 / 7.0)
    if m.segments:
        _table(pdf, [s.table() for s in m.segments], [0.12, 0.12, 0.26, 0.5], width)

    heading("Findings")
    frames_by_finding = figures.get("finding_frames") or {}
    for f in m.findings:
        room(20)
        pdf.set_text_color(*LEVEL_RGB.get(f.level, (80, 90, 100)))
        conf = "" if f.confidence is None else f"  (confidence {f.confidence:.0%})"
        para(f"{f.level_words}: {f.title}{conf}", "B", 10.5)
        pdf.set_text_color(0, 0, 0)
        if f.text:
            para(f.text)
        frames_row(frames_by_finding.get(f.id) or [])
        for label, lines in (
            ("Evidence", [e.text for e in f.evidence]),
            ("Possible chain (root first)", [f.chain] if f.chain else []),
            ("What you could do next", list(f.next_steps)),
            ("Sources", list(f.sources)),
        ):
            if lines:
                para(label, "I", 9)
                for line in lines:
                    para(f"  •  {line}", size=9)
        pdf.ln(1.5)
    if m.checked:
        para("Checked and not flagged: " + "; ".join(m.checked), "I", 9)
    if m.n_rules_not_assessable:
        para(
            f"{m.n_rules_not_assessable} screening rule(s) could not be assessed (see 'Not assessed').",
            "I",
            9,
        )
    frames = figures.get("frames") or []
    if frames:
        heading("Frames of the recording (skeleton as measured)", 11)
        frames_row(frames)

    heading("Measurements")
    cols = [0.24, 0.1, 0.12, 0.1, 0.14, 0.14, 0.16]
    if m.posture:
        heading("Posture", 10.5)
        _table(pdf, [r.table() for r in m.posture], cols, width)
    if m.gait:
        heading("Walking", 10.5)
        _table(pdf, [r.table() for r in m.gait], cols, width)
    if not m.measured:
        para("No measurement could be taken from this recording.", "I", 9)

    charts = figures.get("charts") or []
    if charts:
        heading("Charts")
        para(
            "Blue: value per frame (gaps where it could not be measured). Green band: normal range from the "
            "rules. Shaded: what the subject was doing.",
            size=8,
        )
        for _title, png in charts:
            image(png, width, 2.0 / 7.0)
    feet, steps = figures.get("feet"), figures.get("steps")
    if isinstance(feet, bytes) or isinstance(steps, bytes) or m.bouts or m.steps:
        heading("Gait")
        if isinstance(feet, bytes):
            image(feet, width, 2.2 / 7.0)
        if isinstance(steps, bytes):
            image(steps, width, 2.1 / 7.0)
        if m.bouts:
            heading("Walking bouts", 10.5)
            _table(pdf, list(m.bouts), [0.1, 0.1, 0.14, 0.24, 0.12, 0.3], width)
        if m.steps:
            heading("Steps", 10.5)
            _table(pdf, list(m.steps), [1 / 8] * 8, width)
    if m.gait_note:
        para(m.gait_note, "I", 9)
    heading("Not assessed, and why")
    _table(pdf, [r.table() for r in m.missing], [0.28, 0.47, 0.25], width)
    pdf.ln(4)
    para(m.disclaimer, "I", 8.5)
    return bytes(pdf.output())


def _table(pdf: Any, rows: Sequence[Mapping[str, str]], widths: Sequence[float], width: float) -> None:
    if not rows:
        pdf.set_font("DejaVu", "I", 9)
        pdf.cell(0, 5, "None.", new_x="LMARGIN", new_y="NEXT")
        return
    keep = [
        (c, w)
        for c, w in zip(rows[0].keys(), widths, strict=False)
        if any(str(r.get(c, "")).strip() for r in rows)
    ]
    cols = [c for c, _ in keep]
    pdf.set_font("DejaVu", "", 8)
    with pdf.table(
        col_widths=[w for _, w in keep],
        width=width,
        text_align="LEFT",
        line_height=4.2,
        first_row_as_headings=True,
    ) as t:
        head = t.row()
        for c in cols:
            head.cell(c)
        for r in rows:
            row = t.row()
            for c in cols:
                row.cell(str(r.get(c, "")))
