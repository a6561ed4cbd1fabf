"""The session comparison as an HTML and a PDF report (same numbers as ``posture-cam compare``)."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from . import catalogue
from .compare import Comparison

DISCLAIMER = (
    "A screening aid, not a diagnosis. A measurement is marked changed only when the change between the "
    "first and the last session exceeds its smallest detectable change (SDC95), measured by repeating the "
    "analysis under conditions that should not matter (docs/repeatability.md)."
)


def _rows(cmp: Comparison) -> list[list[str]]:
    rows = []
    for key, m in cmp.metrics.items():
        info = catalogue.info(key)
        p = info.precision
        vals = ["-" if v is None else f"{v:.{p}f}" for v in m.values]
        change = "-" if m.change is None else f"{m.change:+.{p}f}"
        sdc = "unknown" if m.sdc95 is None else f"{m.sdc95:.{p}f}"
        if m.change is None:
            verdict = "not compared"
        elif m.sdc95 is None:
            verdict = "noise unknown"
        else:
            verdict = "CHANGED" if m.changed else "no detectable change"
        rows.append([info.label, *vals, change, sdc, verdict])
    return rows


def _header(cmp: Comparison) -> list[str]:
    return ["Measurement", *[s.label for s in cmp.sessions], "Change", "SDC95", "Verdict"]


def comparison_html(cmp: Comparison) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in _header(cmp))
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in _rows(cmp))
    warn = "".join(f"<li>{e(w)}</li>" for w in cmp.subject_warnings + cmp.capture_warnings)
    sessions = "".join(
        f"<li>{e(s.label)}: {e(s.session_date or 'no date')}, analysed {e(s.created_utc or '?')}</li>"
        for s in cmp.sessions
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>posture_cam session comparison</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:.3em .6em;text-align:left}}.warn{{color:#8a4b00}}</style></head>
<body><h1>Session comparison</h1><p>{e(DISCLAIMER)}</p>
<h2>Sessions (oldest first)</h2><ul>{sessions}</ul>
{f'<h2>Before reading the numbers</h2><ul class="warn">{warn}</ul>' if warn else ""}
<h2>Measurements</h2><table><tr>{head}</tr>{body}</table>
<p>Generated {e(datetime.now(UTC).isoformat(timespec="seconds"))} by posture_cam.</p></body></html>
"""


def comparison_pdf(cmp: Comparison) -> bytes:
    from fpdf import FPDF

    def safe(s: str) -> str:
        return s.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF(orientation="L")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, "Session comparison", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, safe(DISCLAIMER), new_x="LMARGIN", new_y="NEXT")
    for w in cmp.subject_warnings + cmp.capture_warnings:
        pdf.set_text_color(140, 75, 0)
        pdf.multi_cell(0, 5, safe("Warning: " + w), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    header = _header(cmp)
    first_w = 80.0
    other_w = (pdf.w - pdf.l_margin - pdf.r_margin - first_w) / max(1, len(header) - 1)
    widths = [first_w] + [other_w] * (len(header) - 1)
    pdf.set_font("Helvetica", "B", 8)
    for h, width in zip(header, widths, strict=True):
        pdf.cell(width, 6, safe(h)[:40], border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in _rows(cmp):
        for c, width in zip(row, widths, strict=True):
            pdf.cell(width, 5.5, safe(c)[:60], border=1)
        pdf.ln()
    return bytes(pdf.output())
