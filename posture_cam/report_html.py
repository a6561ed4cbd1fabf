"""HTML renderer of the report: one self-contained page (inline CSS, images as base64 PNGs)."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence

from .report_model import ReportModel

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:980px;margin:24px auto;
color:#1d2733;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}
h2{font-size:1.2em;border-bottom:1px solid #d5dbe3;padding-bottom:4px;margin-top:28px}
h3{font-size:1.02em;margin:14px 0 4px}
.muted{color:#5b6877}
.disclaimer{background:#fff6e0;border:1px solid #f0d48a;padding:10px 14px;border-radius:6px}
.headline{padding:10px 14px;border-radius:6px;border:1px solid #ccd3dc;font-weight:600}
.headline.flagged{background:#fdecea;border-color:#e6a39b}
.headline.borderline{background:#fff6e0;border-color:#f0d48a}
.headline.clear{background:#eaf6ee;border-color:#9fd2b0}
.headline.nothing_assessed{background:#f3f4f6;border-color:#b8c0ca}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #e4e8ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f6f9}
td.num{text-align:right;white-space:nowrap}
.finding{border-left:5px solid #8896a6;padding:6px 12px;margin:12px 0;background:#fafbfc}
.flagged{border-color:#c0392b}
.borderline{border-color:#e1a100}
.frames img{max-width:32%;margin-right:1%;border:1px solid #ccd3dc;vertical-align:top}
.frames figure{display:inline-block;width:32%;margin:0 1% 8px 0;vertical-align:top}
.frames figure img{max-width:100%;width:100%}
figcaption{font-size:.8em;color:#5b6877}
.chart img{max-width:100%}
"""


def img_tag(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def table(rows: Sequence[Mapping[str, str]], cols: Sequence[str] | None = None) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    cols = [c for c in (cols or rows[0].keys()) if any(str(r.get(c, "")).strip() for r in rows)]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def render(model: ReportModel, figures: Mapping[str, object]) -> str:
    """The page. ``figures``: ``timeline`` (PNG), ``charts`` [(title, PNG)], ``feet`` (PNG or None),
    ``steps`` (PNG or None), ``finding_frames`` {finding id: [KeyFrame]}, ``frames`` [KeyFrame]."""
    esc = html.escape
    m = model
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>posture_cam report - "
        f"{esc(m.source)}</title><style>{_CSS}</style></head><body>",
        "<h1>posture_cam report</h1>",
        f"<p class='muted'>{esc(m.source)} &middot; subject {esc(m.subject_id)} &middot; created "
        f"{esc(m.created)} &middot; posture_cam {esc(m.version)}</p>",
        f"<p class='disclaimer'>{esc(m.disclaimer)}</p>",
        f"<p class='headline {esc(m.status)}'>{esc(m.headline)}</p>",
        "<h2>Recording</h2>",
        table(
            [
                {
                    "View": m.view_text,
                    "Length": m.duration_text,
                    "Person found in": m.detection_text,
                    "Levelling": m.level_text,
                    "Findings": f"{m.n_flagged} flagged, {m.n_borderline} borderline",
                }
            ]
        ),
    ]
    for w in m.warnings:
        parts.append(f"<p class='muted'>Warning: {esc(w)}</p>")
    if m.provenance is not None:  # issue 18: corrected by a clinician
        pv = m.provenance
        parts.append(f"<h2>Corrected values</h2><p class='headline borderline'>{esc(pv.summary)}</p>")
        if pv.values:
            parts.append(table(list(pv.values)))
        parts += [f"<p>{esc(x)}</p>" for x in pv.findings]
        parts.append("<h3>Corrections (who, when, what)</h3>" + table(list(pv.corrections)))
        if pv.manual:
            parts.append("<h3>Measured by hand</h3>" + table(list(pv.manual)))
    timeline = figures.get("timeline")
    if isinstance(timeline, bytes):
        parts.append(
            "<h3>What happened when</h3><div class='chart'>" + img_tag(timeline, "timeline") + "</div>"
        )
    if m.segments:
        parts.append(table([s.table() for s in m.segments]))
    parts.append("<h2>Findings</h2>")
    frames_by_finding = figures.get("finding_frames") or {}
    assert isinstance(frames_by_finding, Mapping)
    for f in m.findings:
        parts.append(f"<div class='finding {esc(f.level)}'><b>{esc(f.level_words)}: {esc(f.title)}</b>")
        if f.confidence is not None:
            parts.append(f" <span class='muted'>(confidence {f.confidence:.0%})</span>")
        if f.text:
            parts.append(f"<p>{esc(f.text)}</p>")
        kfs = frames_by_finding.get(f.id) or []
        if kfs:
            parts.append(
                "<div class='frames'>"
                + "".join(
                    f"<figure>{img_tag(k.png, k.caption)}<figcaption>{esc(k.caption)}</figcaption></figure>"
                    for k in kfs
                )  # fmt: skip
                + "</div>"
            )
        for label, lines in (
            ("Evidence", [e.text for e in f.evidence]),
            ("Possible chain (root first)", [f.chain] if f.chain else []),
            ("What you could do next", list(f.next_steps)),
            ("Sources", list(f.sources)),
        ):
            if lines:
                parts.append(
                    f"<p><i>{label}</i></p><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"
                )
        parts.append("</div>")
    if m.checked:
        parts.append(f"<p class='muted'>Checked and not flagged: {esc('; '.join(m.checked))}</p>")
    if m.n_rules_not_assessable:
        parts.append(
            f"<p class='muted'>{m.n_rules_not_assessable} screening rule(s) could not be assessed from this "
            "recording (see 'Not assessed').</p>"
        )
    frames = figures.get("frames") or []
    assert isinstance(frames, list)
    if frames:
        parts.append(
            "<h3>Frames of the recording (skeleton as measured)</h3><div class='frames'>"
            + "".join(
                f"<figure>{img_tag(k.png, k.caption)}<figcaption>{esc(k.caption)}</figcaption></figure>"
                for k in frames
            )  # fmt: skip
            + "</div>"
        )
    parts.append("<h2>Measurements</h2>")
    if m.posture:
        parts.append("<h3>Posture</h3>" + table([r.table() for r in m.posture]))
    if m.gait:
        parts.append("<h3>Walking</h3>" + table([r.table() for r in m.gait]))
    if not m.measured:
        parts.append("<p class='muted'>No measurement could be taken from this recording.</p>")
    charts = figures.get("charts") or []
    assert isinstance(charts, list)
    if charts:
        parts.append(
            "<h2>Charts</h2><p class='muted'>Blue: value per frame (gaps where it could not be measured). "
            "Green band: normal range from the rules. Shaded: what the subject was doing.</p>"
            "<div class='chart'>" + "".join(img_tag(p, t) for t, p in charts) + "</div>"
        )
    feet, steps = figures.get("feet"), figures.get("steps")
    if isinstance(feet, bytes) or isinstance(steps, bytes) or m.bouts or m.steps:
        parts.append("<h2>Gait</h2>")
        for png, alt in ((feet, "foot trajectories"), (steps, "per-step bars")):
            if isinstance(png, bytes):
                parts.append("<div class='chart'>" + img_tag(png, alt) + "</div>")
        if m.bouts:
            parts.append("<h3>Walking bouts</h3>" + table(m.bouts))
        if m.steps:
            parts.append("<h3>Steps</h3>" + table(m.steps))
    if m.gait_note:
        parts.append(f"<p class='muted'>{esc(m.gait_note)}</p>")
    parts.append("<h2>Not assessed, and why</h2>")
    parts.append(table([r.table() for r in m.missing]))
    parts.append(f"<p class='muted'>{esc(m.disclaimer)}</p></body></html>")
    return "\n".join(parts)
