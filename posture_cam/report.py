"""Reports of one finished analysis: a self-contained HTML page and a PDF, plus table helpers.

Input is an analysis output folder (``result.json``, ``metrics_timeseries.csv``, ``landmarks.parquet``,
optional ``overlay.mp4``). Every number is read from those files; this module only formats.

* :func:`build_html` - one HTML file with inline CSS; charts and key frames are base64 PNGs, so the
  file opens offline and can be mailed as is.
* :func:`build_pdf` - the same content with fpdf2 (matplotlib charts, key frames with the skeleton
  overlay, findings, sources, disclaimer). Text uses the DejaVu Sans font shipped with matplotlib,
  so degree signs and other non-Latin-1 characters print correctly.
* :func:`write_reports` - both, written atomically as ``report.html`` / ``report.pdf`` in the folder.

The small pure helpers (:func:`metric_rows`, :func:`not_assessed`, :func:`sorted_findings`, ...) are
shared with the dashboard so the page and the report always show the same thing.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import OutputError
from .sequence import atomic_path, atomic_write_text

DISCLAIMER = (
    "This report is a screening aid, not a diagnosis. Values are estimated from one camera with a "
    "general-purpose pose model and can be wrong (clothing, lighting, camera angle, lens distortion). "
    "A flagged finding means 'worth a look by a qualified clinician', not that a condition is present."
)

# Display names only (no numbers live here). Keys follow docs/ARCHITECTURE.md.
METRIC_LABELS: dict[str, str] = {
    "pelvic_obliquity_deg": "Pelvic obliquity",
    "shoulder_obliquity_deg": "Shoulder obliquity",
    "shoulder_hip_tilt_difference_deg": "Shoulder-hip tilt difference",
    "head_tilt_deg": "Head tilt",
    "trunk_lateral_lean_deg": "Trunk lateral lean",
    "craniovertebral_angle_deg": "Craniovertebral angle",
    "head_forward_offset_pct_height": "Head forward offset (% height)",
    "head_forward_offset_cm": "Head forward offset (cm)",
    "trunk_flexion_deg": "Trunk flexion",
    "knee_flexion_left_deg": "Knee flexion, left",
    "knee_flexion_right_deg": "Knee flexion, right",
    "sagittal_pelvic_tilt_proxy_deg": "Sagittal pelvic tilt (proxy)",
    "hip_flexion_forward_bend_deg": "Hip flexion in forward bend",
    "cadence_steps_per_min": "Cadence",
    "step_time_left_s": "Step time, left",
    "step_time_right_s": "Step time, right",
    "stance_time_left_s": "Stance time, left",
    "stance_time_right_s": "Stance time, right",
    "stance_time_si_pct": "Stance time symmetry index",
    "step_time_si_pct": "Step time symmetry index",
    "step_length_si_pct": "Step length symmetry index",
    "double_support_pct": "Double support",
    "limp_index": "Limp index",
    "pelvic_drop_left_stance_deg": "Pelvic drop, left stance",
    "pelvic_drop_right_stance_deg": "Pelvic drop, right stance",
    "trunk_lateral_sway_deg": "Trunk lateral sway",
}
# Per-frame series shown first in charts when present.
KEY_SERIES = (
    "pelvic_obliquity_deg",
    "shoulder_obliquity_deg",
    "trunk_lateral_lean_deg",
    "head_tilt_deg",
    "craniovertebral_angle_deg",
    "trunk_flexion_deg",
    "head_forward_offset_pct_height",
    "knee_flexion_left_deg",
    "knee_flexion_right_deg",
)
LEVEL_ORDER = {"flagged": 0, "borderline": 1}
UNIT_SUFFIXES = (
    ("_deg", "deg"),
    ("_pct_height", "% height"),
    ("_pct", "%"),
    ("_cm", "cm"),
    ("_s", "s"),
    ("_per_min", "steps/min"),
    ("_px", "px"),
    ("_hz", "Hz"),
)


# ----------------------------------------------------------------------------- pure helpers
def metric_label(key: str) -> str:
    """Human name of a metric key (falls back to the key with spaces)."""
    return METRIC_LABELS.get(key, key.replace("_", " "))


def series_unit(key: str, result: Mapping[str, Any] | None = None) -> str:
    """Unit of a metric or per-frame series: from the result when it has the metric, else the name suffix."""
    if result is not None:
        for section in (result.get("metrics") or {}, (result.get("gait") or {}).get("metrics") or {}):
            m = section.get(key)
            if isinstance(m, Mapping) and m.get("unit"):
                return str(m["unit"])
    for suffix, unit in UNIT_SUFFIXES:
        if key.endswith(suffix):
            return unit
    return ""


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and abs(v) >= 10):
        return f"{int(v)}"
    if isinstance(v, (float, np.floating)):
        return f"{v:.{nd}f}"
    return str(v)


def _all_metrics(result: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(group, key, metric dict) for posture then gait metrics."""
    out = [("posture", k, m) for k, m in (result.get("metrics") or {}).items() if isinstance(m, Mapping)]
    gait = result.get("gait") or {}
    out += [("gait", k, m) for k, m in (gait.get("metrics") or {}).items() if isinstance(m, Mapping)]
    return out


def metric_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per assessable metric: name, value, unit, IQR, frames, and any side label."""
    rows = []
    for group, key, m in _all_metrics(result):
        if m.get("status") != "ok" or m.get("value") is None:
            continue
        extra = {
            k: v
            for k, v in m.items()
            if k not in {"value", "unit", "iqr", "n_frames", "view_required", "status", "reason"}
            and isinstance(v, (str, int, float))
            and v is not None
        }
        rows.append(
            {
                "group": group,
                "metric": metric_label(key),
                "key": key,
                "value": m.get("value"),
                "unit": m.get("unit", ""),
                "iqr": m.get("iqr"),
                "frames": m.get("n_frames"),
                "note": ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in extra.items()),
            }
        )
    return rows


def not_assessed(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every metric that could not be assessed, with the reason and the view it needs."""
    rows = []
    for group, key, m in _all_metrics(result):
        if m.get("status") == "ok" and m.get("value") is not None:
            continue
        rows.append(
            {
                "group": group,
                "metric": metric_label(key),
                "key": key,
                "reason": m.get("reason") or "not assessable",
                "view needed": ", ".join(m.get("view_required") or []) or "-",
            }
        )
    return rows


def finding_level(f: Mapping[str, Any]) -> str:
    """``flagged`` | ``borderline`` | ``not_flagged`` | ``not_assessable`` (the rules' ``status``)."""
    return str(f.get("status") or f.get("level") or "unknown").lower()


def finding_title(f: Mapping[str, Any]) -> str:
    return str(f.get("title") or f.get("id") or f.get("rule_id") or "finding")


def finding_text(f: Mapping[str, Any]) -> str:
    """The plain-words statement of a finding (its wording, then the general summary)."""
    return " ".join(str(f[k]) for k in ("wording", "summary") if f.get(k))


def sorted_findings(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Flagged and borderline findings, most serious (then most confident) first."""
    fs = [
        f
        for f in (result.get("findings") or [])
        if isinstance(f, Mapping) and finding_level(f) in LEVEL_ORDER and finding_level(f) != "normal"
    ]
    return sorted(fs, key=lambda f: (LEVEL_ORDER[finding_level(f)], -float(f.get("confidence") or 0)))


def findings_with_status(result: Mapping[str, Any], status: str) -> list[Mapping[str, Any]]:
    return [
        f for f in (result.get("findings") or []) if isinstance(f, Mapping) and finding_level(f) == status
    ]


def _lines(obj: Any) -> list[str]:
    if obj is None:
        return []
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, Mapping):
        return [
            f"{str(k).replace('_', ' ')}: {_fmt(v, 2) if isinstance(v, float) else v}"
            for k, v in obj.items()
            if v is not None and not isinstance(v, (list, dict))
        ]
    if isinstance(obj, Iterable):
        return [("; ".join(_lines(item)) if isinstance(item, Mapping) else str(item)) for item in obj]
    return [str(obj)]


def evidence_line(ev: Mapping[str, Any]) -> str:
    """One evidence item in words, e.g. ``Trunk flexion: 12.3 deg (borderline; borderline at 8, ...)``."""
    key = str(ev.get("metric", "")).rsplit(".", 1)[-1]
    value = ev.get("value")
    unit = ev.get("unit") or ""
    shown = "not measured" if value is None else f"{_fmt(value, 1)} {unit}".strip()
    th = ev.get("threshold") or {}
    limits = ", ".join(f"{k.replace('_at', '')} at {_fmt(v, 1)}" for k, v in th.items() if v is not None)
    band = ev.get("band")
    detail = "; ".join(x for x in (str(band).replace("_", " ") if band else "", limits) if x)
    text = f"{metric_label(key)}: {shown}" + (f" ({detail})" if detail else "")
    if ev.get("meaning") and band in ("flagged", "borderline"):
        text += f" - {ev['meaning']}"
    return text


def evidence_lines(f: Mapping[str, Any]) -> list[str]:
    ev = f.get("evidence")
    if isinstance(ev, list) and all(isinstance(e, Mapping) and "metric" in e for e in ev):
        return [evidence_line(e) for e in ev]
    return _lines(ev)


def chain_lines(f: Mapping[str, Any]) -> list[str]:
    """The kinetic chain, root first, as one line (``a -> b -> c``), links seen marked with *."""
    chain = [str(c) for c in (f.get("chain") or [])]
    if not chain:
        return []
    present = {str(c) for c in (f.get("links_present") or [])}
    return [
        " -> ".join(f"{c}*" if c in present else c for c in chain)
        + (" (* = seen in this recording)" if present else "")
    ]


def next_step_lines(f: Mapping[str, Any]) -> list[str]:
    return [str(x) for x in (f.get("next_steps") or [])]


def source_lines(f: Mapping[str, Any]) -> list[str]:
    out = []
    for s in f.get("sources") or ([f["source"]] if f.get("source") else []):
        if isinstance(s, Mapping):
            parts = [
                str(s.get(k)) for k in ("citation", "title", "authors", "year", "doi", "url") if s.get(k)
            ]
            out.append(", ".join(parts) if parts else json.dumps(dict(s)))
        else:
            out.append(str(s))
    return out


def summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The few headline facts of a result."""
    view = (result.get("view") or {}).get("dominant") or "-"
    det = result.get("detection") or {}
    inp = result.get("input") or {}
    levels = [finding_level(f) for f in sorted_findings(result)]
    return {
        "view": view,
        "duration_s": inp.get("duration_s"),
        "detection_rate": float(det.get("detection_rate") or 0),
        "n_flagged": levels.count("flagged"),
        "n_borderline": levels.count("borderline"),
        "n_findings": len(levels),
        "subject_id": (result.get("subject") or {}).get("id"),
        "source": Path(str(inp.get("path"))).name if inp.get("path") else "webcam capture",
    }


def gait_events(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in ((result.get("gait") or {}).get("events") or []) if isinstance(e, Mapping)]


def steps_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """Per-step table from ``gait.steps`` (columns as the gait module wrote them)."""
    steps = [s for s in ((result.get("gait") or {}).get("steps") or []) if isinstance(s, Mapping)]
    return pd.DataFrame(steps)


_DIRECTION_WORDS = {
    "image_right": "to the right of the image",
    "image_left": "to the left of the image",
    "towards_camera": "towards the camera",
    "away_from_camera": "away from the camera",
}


def bout_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per walking bout in plain words: when, seen from where, which way, and whether the
    body travelled (over ground) or not (treadmill or a camera following the walker)."""
    rows = []
    for b in (result.get("gait") or {}).get("bouts") or []:
        if not isinstance(b, Mapping):
            continue
        rows.append(
            {
                "from (s)": b.get("start_s"),
                "to (s)": b.get("end_s"),
                "view": b.get("view"),
                "direction": _DIRECTION_WORDS.get(str(b.get("direction")), b.get("direction")),
                "walking": "backwards" if b.get("backwards") else "forwards",
                "travel": "none (treadmill or following camera)" if b.get("stationary") else "over ground",
            }
        )
    return rows


def no_gait_reason(result: Mapping[str, Any]) -> str:
    gait = result.get("gait") or {}
    if not gait.get("walking_detected"):
        return (
            gait.get("reason") or "No walking was detected in this recording, so there is no per-step table."
        )
    return "Walking was detected but no complete steps could be measured."


def report_basename(result: Mapping[str, Any]) -> str:
    s = summary(result)
    stem = Path(s["source"]).stem.replace(" ", "_") or "capture"
    return f"posture_cam_{stem}"


def rule_bands(rules_toml: Mapping[str, Any]) -> dict[str, tuple[float | None, float | None]]:
    """metric key -> (low, high) normal band implied by the rules' ``borderline_at`` thresholds.

    ``direction = "above"`` gives (None, borderline_at), ``"below"`` (borderline_at, None),
    ``"abs_above"`` (-borderline_at, borderline_at). When several rules use a metric, the narrowest
    band wins (outside it at least one rule reports borderline). Keys are the bare metric names
    (``metrics.`` and ``gait.metrics.`` prefixes removed).
    """
    bands: dict[str, tuple[float | None, float | None]] = {}
    for rule in rules_toml.get("rule") or []:
        for cond in rule.get("condition") or []:
            key = str(cond.get("metric", "")).rsplit(".", 1)[-1]
            b = cond.get("borderline_at")
            if not key or not isinstance(b, (int, float)):
                continue
            lo, hi = {
                "above": (None, float(b)),
                "below": (float(b), None),
                "abs_above": (-abs(float(b)), abs(float(b))),
            }.get(str(cond.get("direction")), (None, None))
            old_lo, old_hi = bands.get(key, (None, None))
            lo = lo if old_lo is None else (old_lo if lo is None else max(lo, old_lo))
            hi = hi if old_hi is None else (old_hi if hi is None else min(hi, old_hi))
            bands[key] = (lo, hi)
    # contradictory rules (no value is normal for all of them) give no band rather than a wrong one
    return {k: (lo, hi) for k, (lo, hi) in bands.items() if lo is None or hi is None or lo < hi}


@lru_cache(maxsize=1)
def _packaged_bands() -> dict[str, tuple[float | None, float | None]]:
    import tomllib

    path = Path(__file__).resolve().parent / "rules" / "rules.toml"
    if not path.is_file():
        return {}
    return rule_bands(tomllib.loads(path.read_text(encoding="utf-8")))


def normal_band(key: str) -> tuple[float | None, float | None] | None:
    """The normal range of a metric from the packaged rules file, or None when no rule covers it."""
    return _packaged_bands().get(key)


# ----------------------------------------------------------------------------- folder contents
def load_timeseries(out_dir: Path) -> pd.DataFrame | None:
    p = Path(out_dir) / "metrics_timeseries.csv"
    if not p.is_file():
        return None
    return pd.read_csv(p)


def chart_keys(ts: pd.DataFrame, result: Mapping[str, Any] | None = None) -> list[str]:
    """Per-frame series worth charting (with at least 2 values), key metrics first."""
    cols = [
        c
        for c in ts.columns
        if c not in ("frame_index", "timestamp_s")
        and pd.to_numeric(ts[c], errors="coerce").notna().sum() >= 2
    ]
    first = [k for k in KEY_SERIES if k in cols]
    return first + [c for c in cols if c not in first]


@dataclass(frozen=True)
class KeyFrame:
    t_s: float
    rgb: np.ndarray  # (H, W, 3) uint8, with the skeleton drawn
    caption: str


def _frame_at(path: Path, t_s: float) -> Any | None:
    from .video import iter_frames

    for fr in iter_frames(path, start_s=max(0.0, t_s - 0.05)):
        return fr
    return None


def key_frames(
    out_dir: Path, result: Mapping[str, Any], n: int = 3, *, max_width: int = 480
) -> list[KeyFrame]:
    """Up to ``n`` frames spread over the frames where the subject was found, skeleton drawn.

    From ``overlay.mp4`` when it exists, else the source video plus ``landmarks.parquet``.
    Returns [] when neither is available (e.g. the source video was moved).
    """
    from .sequence import PoseSequence

    out_dir = Path(out_dir)
    lm = out_dir / "landmarks.parquet"
    if not lm.is_file():
        return []
    seq = PoseSequence.load(lm)
    idx = np.flatnonzero(seq.detected)
    if idx.size == 0:
        return []
    picks = idx[np.linspace(0, idx.size - 1, min(n, idx.size)).round().astype(int)]
    overlay = out_dir / "overlay.mp4"
    src = Path(str((result.get("input") or {}).get("path") or ""))
    frames: list[KeyFrame] = []
    for i in dict.fromkeys(int(p) for p in picks):
        t = float(seq.timestamps_s[i])
        if overlay.is_file():
            fr = _frame_at(overlay, t)
            rgb = None if fr is None else fr.rgb
        elif src.is_file():
            from .overlay import draw_pose

            fr = _frame_at(src, t)
            rgb = None if fr is None else draw_pose(fr.rgb, seq.image_px[i], seq.visibility[i])
        else:
            rgb = None
        if rgb is None:
            continue
        frames.append(KeyFrame(t, _shrink(np.asarray(rgb), max_width), f"t = {t:.2f} s"))
    return frames


def _shrink(rgb: np.ndarray, max_width: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    if w <= max_width:
        return rgb
    return cv2.resize(rgb, (max_width, round(h * max_width / w)), interpolation=cv2.INTER_AREA)


def png_bytes(rgb: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - cv2 encodes any uint8 image
        raise OutputError("could not encode a key frame as PNG")
    return buf.tobytes()


def chart_pngs(
    ts: pd.DataFrame | None, result: Mapping[str, Any], *, max_charts: int = 4, dpi: int = 110
) -> list[tuple[str, bytes]]:
    """(title, PNG) of the key metric series: line, normal band shaded, gait events as dashed lines."""
    if ts is None or ts.empty:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = [float(e.get("t_s", e.get("time_s", np.nan))) for e in gait_events(result)]
    out = []
    for key in chart_keys(ts, result)[:max_charts]:
        t = ts["timestamp_s"].to_numpy(float)
        y = pd.to_numeric(ts[key], errors="coerce").to_numpy(float)
        fig, ax = plt.subplots(figsize=(7.0, 2.2), dpi=dpi)
        band = normal_band(key)
        if band is not None:
            lo = band[0] if band[0] is not None else np.nanmin(y)
            hi = band[1] if band[1] is not None else np.nanmax(y)
            ax.axhspan(lo, hi, color="#2e9e57", alpha=0.15, lw=0, label="normal range")
        ax.plot(t, y, color="#1f5fa8", lw=1.4)
        for te in events:
            if math.isfinite(te):
                ax.axvline(te, color="#c0392b", ls="--", lw=0.7, alpha=0.6)
        unit = series_unit(key, result)
        ax.set_xlabel("time [s]")
        ax.set_ylabel(unit)
        ax.set_title(metric_label(key), fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out.append((metric_label(key), buf.getvalue()))
    return out


def _load(out_dir: Path) -> dict[str, Any]:
    p = Path(out_dir) / "result.json"
    if not p.is_file():
        raise OutputError(f"no finished analysis in {out_dir} (result.json not found)")
    return json.loads(p.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:960px;margin:24px auto;
color:#1d2733;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0}
h2{font-size:1.2em;border-bottom:1px solid #d5dbe3;padding-bottom:4px;margin-top:28px}
.muted{color:#5b6877}
.disclaimer{background:#fff6e0;border:1px solid #f0d48a;padding:10px 14px;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid #e4e8ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f6f9}
.finding{border-left:5px solid #8896a6;padding:6px 12px;margin:10px 0;background:#fafbfc}
.flagged{border-color:#c0392b}
.borderline{border-color:#e1a100}
.normal{border-color:#2e9e57}
.frames img{max-width:31%;margin-right:1%;border:1px solid #ccd3dc}
.chart img{max-width:100%}
"""


def _img_tag(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(rows: Sequence[Mapping[str, Any]], cols: Sequence[str]) -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(r.get(c), 2))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def build_html(out_dir: Path, *, result: Mapping[str, Any] | None = None, n_key_frames: int = 3) -> str:
    """A self-contained HTML report of the analysis in ``out_dir`` (no external files or scripts)."""
    out_dir = Path(out_dir)
    res = dict(result) if result is not None else _load(out_dir)
    s = summary(res)
    ts = load_timeseries(out_dir)
    esc = html.escape
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>posture_cam report - "
        f"{esc(s['source'])}</title><style>{_CSS}</style></head><body>",
        "<h1>posture_cam report</h1>",
        f"<p class='muted'>{esc(s['source'])} &middot; subject {esc(str(s['subject_id'] or '-'))} &middot; "
        f"created {esc(str(res.get('created_utc', '-')))} &middot; posture_cam "
        f"{esc(str((res.get('versions') or {}).get('posture_cam', '-')))}</p>",
        f"<p class='disclaimer'>{esc(DISCLAIMER)}</p>",
        "<h2>Recording</h2>",
        _table(
            [
                {
                    "view detected": s["view"],
                    "duration [s]": s["duration_s"],
                    "person found in": f"{s['detection_rate']:.0%} of frames",
                    "findings": f"{s['n_flagged']} flagged, {s['n_borderline']} borderline",
                }
            ],
            ["view detected", "duration [s]", "person found in", "findings"],
        ),
    ]
    for w in res.get("warnings") or []:
        parts.append(f"<p class='muted'>Warning: {esc(str(w))}</p>")
    parts.append("<h2>Findings</h2>")
    fs = sorted_findings(res)
    if not fs:
        parts.append("<p class='muted'>No flagged or borderline findings in what could be assessed.</p>")
    checked = [finding_title(f) for f in findings_with_status(res, "not_flagged")]
    if checked:
        parts.append(f"<p class='muted'>Checked and not flagged: {esc('; '.join(checked))}</p>")
    for f in fs:
        lvl = finding_level(f)
        parts.append(f"<div class='finding {esc(lvl)}'><b>{esc(lvl.upper())}: {esc(finding_title(f))}</b>")
        text = finding_text(f)
        if text:
            parts.append(f"<p>{esc(str(text))}</p>")
        for label, lines in (
            ("Evidence", evidence_lines(f)),
            ("Possible chain (root first)", chain_lines(f)),
            ("What you could do next", next_step_lines(f)),
            ("Sources", source_lines(f)),
        ):
            if lines:
                parts.append(
                    f"<p><i>{label}</i></p><ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"
                )
        parts.append("</div>")
    frames = key_frames(out_dir, res, n_key_frames)
    if frames:
        parts.append(
            "<h2>Key frames</h2><div class='frames'>"
            + "".join(_img_tag(png_bytes(k.rgb), k.caption) for k in frames)
            + "</div>"
        )
    charts = chart_pngs(ts, res)
    if charts:
        parts.append(
            "<h2>Charts</h2><div class='chart'>" + "".join(_img_tag(p, t) for t, p in charts) + "</div>"
        )
    parts.append("<h2>Measurements</h2>")
    parts.append(_table(metric_rows(res), ["group", "metric", "value", "unit", "iqr", "frames", "note"]))
    parts.append("<h2>Not assessed</h2>")
    parts.append(_table(not_assessed(res), ["group", "metric", "reason", "view needed"]))
    bouts = bout_rows(res)
    if bouts:
        parts.append("<h2>Walking bouts</h2>" + _table(bouts, list(bouts[0])))
    steps = steps_frame(res)
    if len(steps):
        parts.append("<h2>Steps</h2>" + _table(steps.to_dict("records"), list(steps.columns)))
    parts.append(f"<p class='muted'>{esc(DISCLAIMER)}</p></body></html>")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- PDF
def _font_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def build_pdf(out_dir: Path, *, result: Mapping[str, Any] | None = None, n_key_frames: int = 3) -> bytes:
    """The PDF report of the analysis in ``out_dir`` (A4), as bytes."""
    from fpdf import FPDF

    out_dir = Path(out_dir)
    res = dict(result) if result is not None else _load(out_dir)
    s = summary(res)
    pdf = FPDF(format="A4", unit="mm")
    font = _font_path()
    pdf.add_font("DejaVu", "", str(font))
    pdf.add_font("DejaVu", "B", str(font.with_name("DejaVuSans-Bold.ttf")))
    pdf.add_font("DejaVu", "I", str(font.with_name("DejaVuSans-Oblique.ttf")))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(f"posture_cam report - {s['source']}")
    pdf.set_creator("posture_cam")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str) -> None:
        if pdf.get_y() + 30 > pdf.h - pdf.b_margin:  # never leave a heading alone at the page bottom
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 13)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(200, 207, 216)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
        pdf.set_font("DejaVu", "", 9.5)

    def para(text: str, style: str = "", size: float = 9.5) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(0, 10, "posture_cam report", new_x="LMARGIN", new_y="NEXT")
    para(
        f"{s['source']}  ·  subject {s['subject_id'] or '-'}  ·  created {res.get('created_utc', '-')}",
        size=9,
    )
    pdf.ln(2)
    pdf.set_fill_color(255, 246, 224)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, DISCLAIMER, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")

    heading("Recording")
    dur = "-" if s["duration_s"] is None else f"{s['duration_s']:.1f} s"
    para(
        f"View detected: {s['view']}    Duration: {dur}    "
        f"Person found in {s['detection_rate']:.0%} of frames    "
        f"Findings: {s['n_flagged']} flagged, {s['n_borderline']} borderline"
    )
    for w in res.get("warnings") or []:
        para(f"Warning: {w}", "I", 9)

    heading("Findings")
    fs = sorted_findings(res)
    if not fs:
        para("No flagged or borderline findings in what could be assessed.")
    checked = [finding_title(f) for f in findings_with_status(res, "not_flagged")]
    if checked:
        para("Checked and not flagged: " + "; ".join(checked), "I", 9)
    colours = {"flagged": (192, 57, 43), "borderline": (225, 161, 0), "normal": (46, 158, 87)}
    for f in fs:
        lvl = finding_level(f)
        pdf.set_text_color(*colours.get(lvl, (80, 90, 100)))
        para(f"{lvl.upper()}: {finding_title(f)}", "B", 10.5)
        pdf.set_text_color(0, 0, 0)
        text = finding_text(f)
        if text:
            para(str(text))
        for label, lines in (
            ("Evidence", evidence_lines(f)),
            ("Possible chain (root first)", chain_lines(f)),
            ("What you could do next", next_step_lines(f)),
            ("Sources", source_lines(f)),
        ):
            if lines:
                para(label, "I", 9)
                for line in lines:
                    para(f"  •  {line}", size=9)
        pdf.ln(1.5)

    frames = key_frames(out_dir, res, n_key_frames, max_width=600)
    if frames:
        heading("Key frames (skeleton as measured)")
        gap = 3.0
        w_img = (width - gap * (len(frames) - 1)) / len(frames)
        h_img = max(k.rgb.shape[0] / k.rgb.shape[1] * w_img for k in frames)
        if h_img > 95:  # tall portrait frames: limit the height, keep the aspect ratio
            w_img *= 95 / h_img
            h_img = 95
        if pdf.get_y() + h_img + 8 > pdf.h - pdf.b_margin:
            pdf.add_page()
        y0 = pdf.get_y()
        for j, k in enumerate(frames):
            x = pdf.l_margin + j * (w_img + gap)
            pdf.image(io.BytesIO(png_bytes(k.rgb)), x=x, y=y0, w=w_img)
            pdf.set_xy(x, y0 + k.rgb.shape[0] / k.rgb.shape[1] * w_img + 1)
            pdf.set_font("DejaVu", "", 8)
            pdf.cell(w_img, 4, k.caption, align="C")
        pdf.set_xy(pdf.l_margin, y0 + h_img + 7)

    charts = chart_pngs(load_timeseries(out_dir), res, dpi=150)
    if charts:
        if pdf.get_y() + width * 2.2 / 7.0 + 25 > pdf.h - pdf.b_margin:
            pdf.add_page()
        heading("Charts")
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(
            width,
            4,
            "Blue: per-frame value. Green band: normal range from the rules file. "
            "Dashed red lines: gait events.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for _title, png in charts:
            h = width * 2.2 / 7.0
            if pdf.get_y() + h > pdf.h - pdf.b_margin:
                pdf.add_page()
            pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width)
            pdf.ln(1)

    heading("Measurements")
    _pdf_table(
        pdf,
        metric_rows(res),
        [("metric", 0.38), ("value", 0.1), ("unit", 0.12), ("iqr", 0.1), ("frames", 0.1), ("note", 0.2)],
        width,
    )
    heading("Not assessed, and why")
    _pdf_table(pdf, not_assessed(res), [("metric", 0.32), ("reason", 0.48), ("view needed", 0.2)], width)
    bouts = bout_rows(res)
    if bouts:
        heading("Walking bouts")
        _pdf_table(
            pdf,
            bouts,
            [("from (s)", 0.1), ("to (s)", 0.1), ("view", 0.12), ("direction", 0.25), ("walking", 0.13),
             ("travel", 0.3)],
            width,
        )  # fmt: skip
    steps = steps_frame(res)
    if len(steps):
        heading("Steps")
        cols = list(steps.columns)[:7]
        _pdf_table(pdf, steps.to_dict("records"), [(c, 1 / len(cols)) for c in cols], width)
    pdf.ln(4)
    para(DISCLAIMER, "I", 8.5)
    return bytes(pdf.output())


def _pdf_table(
    pdf: Any, rows: Sequence[Mapping[str, Any]], cols: Sequence[tuple[str, float]], width: float
) -> None:
    if not rows:
        pdf.set_font("DejaVu", "I", 9)
        pdf.cell(0, 5, "None.", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font("DejaVu", "", 8.5)
    with pdf.table(
        col_widths=[w for _, w in cols],
        width=width,
        text_align="LEFT",
        line_height=4.6,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for c, _ in cols:
            head.cell(c)
        for r in rows:
            row = table.row()
            for c, _ in cols:
                row.cell(_fmt(r.get(c), 2))


def write_reports(out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.pdf`` into ``out_dir`` (atomically); return their paths."""
    out_dir = Path(out_dir)
    res = _load(out_dir)
    html_path = atomic_write_text(out_dir / "report.html", build_html(out_dir, result=res))
    pdf_path = out_dir / "report.pdf"
    data = build_pdf(out_dir, result=res)
    with atomic_path(pdf_path) as tmp:
        tmp.write_bytes(data)
    return html_path, pdf_path
