"""Render one finished analysis (an output folder with ``result.json``): used by review, batch, webcam.

Reads the result through the typed model (:mod:`posture_cam.result_model`) and shows the same
presentation model as the HTML/PDF reports (:mod:`posture_cam.report_model`): names and units from
the metric catalogue, the view in words, the parts of the recording, and a headline that says
"Nothing could be assessed, because ..." instead of an all-clear when nothing was.

The sections are tabs with a session-state key (``st.tabs(key=..., on_change="rerun")``), so a rerun -
a report build, a jump to a moment of the recording - never drops the user back on another tab, and a
button can open the Playback tab at a chosen time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from .. import catalogue, report, report_model
from .. import report_figures as rf
from ..export import md_escape
from ..result_model import Result
from . import charts

SECTIONS = ("Findings", "Playback", "Charts", "Gait", "Measurements", "Not assessed", "Downloads")
LEVEL_ICON = {"flagged": ":material/error:", "borderline": ":material/warning:"}


def _mtime(out_dir: Path | None) -> float:
    if out_dir is None:
        return 0.0
    p = Path(out_dir) / "result.json"
    return p.stat().st_mtime if p.is_file() else 0.0


@st.cache_data(show_spinner=False, max_entries=16)
def _figures(out_dir: str, _mtime: float) -> dict[str, Any]:
    res = report.load(Path(out_dir))
    return report.figures(Path(out_dir), res, report_model.build(res), dpi=100)


def video_path(res: Result, out_dir: Path | None) -> tuple[Path | None, str]:
    """(video to play, what it is): the annotated overlay when written, else the source recording."""
    if out_dir is not None and (Path(out_dir) / "overlay.mp4").is_file():
        return Path(
            out_dir
        ) / "overlay.mp4", "Annotated playback: the skeleton the measurements were taken from."
    if res.input.path and not res.input.is_image:
        src = Path(res.input.path)
        if src.is_file():
            return src, "The original recording (no annotated video was written for this analysis)."
    return None, ""


def _frame(rows: list[dict[str, str]] | tuple[dict[str, str], ...]) -> pd.DataFrame:
    """Rows for st.dataframe without the columns that are empty in every row."""
    df = pd.DataFrame(list(rows))
    return df[[c for c in df.columns if df[c].astype(str).str.strip().ne("").any()]]


def _jump(key: str, start_s: float) -> None:
    """Button callback: play from ``start_s`` (runs before the rerun, so widget state may be set)."""
    st.session_state[f"{key}_start"] = float(start_s)
    st.session_state[f"{key}_section"] = "Playback"


def render_result(result: Result | Mapping[str, Any], out_dir: Path | None, *, key: str = "res") -> None:
    """The whole result view. ``out_dir`` may be None for a result that was never written."""
    res = Result.coerce(result)
    model = report_model.build(res)
    c = st.columns(4)
    c[0].metric("View", catalogue.view_short(res.view.dominant).capitalize(), help=model.view_text)
    c[1].metric("Length", model.duration_text)
    c[2].metric("Person found in", model.detection_text.replace(" of frames", ""))
    c[3].metric("Flagged / borderline", f"{model.n_flagged} / {model.n_borderline}")
    show = {"flagged": st.error, "borderline": st.warning, "clear": st.success}.get(model.status, st.warning)
    show(md_escape(model.headline))
    st.caption(
        md_escape(
            f"Recording: {model.source}. Levelling: {model.level_text}. "
            "Tilts are measured against the true horizontal."
        )
    )
    for w in model.warnings:
        st.caption(md_escape(f"Warning: {w}"))
    if model.segments and model.duration_s:
        # an explicit height: with "content" Streamlit fits legend, axis and plot into the spec's height
        st.altair_chart(
            charts.timeline_chart(res.activity_segments(), model.duration_s), width="stretch", height=110
        )
    tabs = st.tabs(list(SECTIONS), key=f"{key}_section", on_change="rerun", default="Findings")
    figs = _figures(str(out_dir), _mtime(out_dir)) if out_dir is not None and _mtime(out_dir) else {}
    renderers = {
        "Findings": lambda: render_findings(model, figs),
        "Playback": lambda: render_playback(res, model, out_dir, key=key),
        "Charts": lambda: render_charts(res, model, out_dir),
        "Gait": lambda: render_gait(model, figs),
        "Measurements": lambda: render_measurements(model, key=key),
        "Not assessed": lambda: render_missing(model),
        "Downloads": lambda: render_downloads(res, out_dir, key=key),
    }
    for name, tab in zip(SECTIONS, tabs, strict=True):
        if tab.open:  # only the open tab is rendered (the state is kept across reruns by its key)
            with tab:
                renderers[name]()


def render_findings(model: report_model.ReportModel, figs: Mapping[str, Any]) -> None:
    if not model.findings:
        st.caption("No flagged or borderline finding: the line above says what could be assessed.")
    frames = figs.get("finding_frames") or {}
    for f in model.findings:
        with st.expander(
            f"{f.level_words}: {f.title}"
            + ("" if f.confidence is None else f" (confidence {f.confidence:.0%})"),
            expanded=f.level == "flagged",
            icon=LEVEL_ICON.get(f.level, ":material/info:"),
        ):
            if f.text:
                st.markdown(md_escape(f.text))
            kfs = frames.get(f.id) or []
            if kfs:
                cols = st.columns(max(2, len(kfs)))
                for col, k in zip(cols, kfs, strict=False):
                    col.image(k.rgb, caption=k.caption, width="stretch")
            for label, lines in (
                ("Evidence", [e.text for e in f.evidence]),
                ("Possible chain (root first)", [f.chain] if f.chain else []),
                ("What you could do next", list(f.next_steps)),
                ("Sources", list(f.sources)),
            ):
                if lines:
                    st.markdown(f"**{label}**\n\n" + "\n".join(f"- {md_escape(x)}" for x in lines))
    spread = figs.get("frames") or []
    if spread:
        st.markdown("**Frames of the recording (skeleton as measured)**")
        for col, k in zip(st.columns(len(spread)), spread, strict=True):
            col.image(k.rgb, caption=k.caption, width="stretch")
    if model.checked:
        st.caption(md_escape("Checked and not flagged: " + "; ".join(model.checked)))
    if model.n_rules_not_assessable:
        st.caption(
            f"{model.n_rules_not_assessable} screening rule(s) could not be assessed from this recording "
            "(see 'Not assessed')."
        )


def render_playback(res: Result, model: report_model.ReportModel, out_dir: Path | None, *, key: str) -> None:
    path, what = video_path(res, out_dir)
    start = float(st.session_state.get(f"{key}_start", 0.0))
    if path is None:
        if res.input.path is None:
            st.info(
                "The guided webcam capture keeps the landmarks only, not the video, so there is nothing "
                "to play back. The findings, charts and reports come from the landmarks."
            )
        else:
            st.info(
                "No video to play: no annotated video was written and the original recording is not "
                "at its recorded place any more."
            )
    else:
        st.video(str(path), start_time=int(start))
        st.caption(what + (f" Playing from {start:.1f} s." if start else ""))
    if model.segments:
        st.markdown("**Parts of the recording**")
        for i, s in enumerate(model.segments):
            c1, c2 = st.columns([5, 1])
            c1.write(f"{s.start_s:.1f}-{s.end_s:.1f} s: {s.activity_words}, {s.view_words}")
            c2.button(
                "Play from here",
                key=f"{key}_seg_{i}",
                on_click=_jump,
                args=(key, s.start_s),
                disabled=path is None,
            )


def render_charts(res: Result, model: report_model.ReportModel, out_dir: Path | None) -> None:
    ts = None if out_dir is None else rf.load_timeseries(Path(out_dir))
    keys = rf.chart_keys(ts, res)
    if ts is None or not keys:
        st.info(
            "No per-frame chart: none of the measurements that could be assessed has a per-frame series "
            "(walking measurements are per step: see Gait)."
        )
        return
    chosen = st.multiselect(
        "Measurements", keys, default=keys[: min(4, len(keys))], format_func=catalogue.name
    )
    duration = model.duration_s or float(ts["timestamp_s"].max())
    for k in chosen:
        st.altair_chart(
            charts.metric_chart(ts, k, duration_s=duration, segments=res.activity_segments()),
            width="stretch",
            height=240,
        )
    st.caption(
        "Blue: value per frame (gaps where it could not be measured). Green band: normal range from the "
        "rules. Shaded: what the subject was doing."
    )


def render_gait(model: report_model.ReportModel, figs: Mapping[str, Any]) -> None:
    shown = False
    for name, caption in (
        ("feet", "Heel lift above the lower heel; filled triangles: heel strikes, open: toe offs."),
        ("steps", "Per step, left (blue) against right (red). Green: the band inside which left and right "
         "stay symmetric by the rules' limit."),
    ):  # fmt: skip
        png = figs.get(name)
        if isinstance(png, bytes):
            st.image(png, caption=caption, width="stretch")
            shown = True
    if model.gait:
        st.dataframe(_frame([r.table() for r in model.gait]), hide_index=True, width="stretch")
        shown = True
    if model.bouts:
        st.caption("Walking bouts (turns and standing between them are left out of the step statistics)")
        st.dataframe(_frame(model.bouts), hide_index=True, width="stretch")
    if model.steps:
        st.dataframe(_frame(model.steps), hide_index=True, width="stretch")
    if model.gait_note or not shown:
        st.info(md_escape(model.gait_note or "No walking measurements in this recording."))


def render_measurements(model: report_model.ReportModel, *, key: str) -> None:
    if not model.measured:
        st.info("No measurement could be taken from this recording (see 'Not assessed' for why).")
        return
    for title, rows in (("Posture", model.posture), ("Walking", model.gait)):
        if rows:
            st.markdown(f"**{title}**")
            st.dataframe(_frame([r.table() for r in rows]), hide_index=True, width="stretch")
    st.caption("Normal band '-': no screening rule compares this measurement with a normal range.")
    with_segments = [r for r in model.measured if r.segments]
    if with_segments:
        c1, c2 = st.columns([4, 1])
        pick = c1.selectbox(
            "See where a measurement came from",
            range(len(with_segments)),
            format_func=lambda i: f"{with_segments[i].name}: {with_segments[i].segments_text}",
            key=f"{key}_jump_pick",
        )
        row = with_segments[int(pick or 0)]
        c2.button(
            "Play from there",
            key=f"{key}_jump",
            on_click=_jump,
            args=(key, row.first_start_s or 0.0),
        )


def render_missing(model: report_model.ReportModel) -> None:
    if model.missing:
        st.dataframe(_frame([r.table() for r in model.missing]), hide_index=True, width="stretch")
    else:
        st.success("Every measurement could be assessed.")


@st.fragment
def render_downloads(res: Result, out_dir: Path | None, *, key: str) -> None:
    """Downloads; a fragment, so building the reports reruns only this part of the page."""
    name = report.report_basename(res)
    model = report_model.build(res)
    st.download_button(
        "result.json",
        json.dumps(res.to_json(), indent=2),
        file_name=f"{name}.json",
        mime="application/json",
        key=f"{key}_dl_json",
    )
    if out_dir is not None:
        csv = Path(out_dir) / "metrics_timeseries.csv"
        if csv.is_file():
            st.download_button(
                "metrics_timeseries.csv",
                csv.read_bytes(),
                file_name=f"{name}_timeseries.csv",
                mime="text/csv",
                key=f"{key}_dl_csv",
            )
    st.download_button(
        "measurements.csv",
        pd.DataFrame([r.table() | {"Group": r.group} for r in model.measured]).to_csv(index=False),
        file_name=f"{name}_measurements.csv",
        mime="text/csv",
        key=f"{key}_dl_mcsv",
    )
    if out_dir is None:
        return
    if st.button("Build HTML and PDF report", key=f"{key}_build"):
        with st.spinner("Building the report..."):
            try:
                paths = report.write_reports(Path(out_dir))
            except Exception as exc:  # noqa: BLE001 - report errors must not break the page
                st.error(md_escape(f"The report could not be built: {exc}"))
                return
        st.session_state[f"{key}_reports"] = (str(out_dir), [str(p) for p in paths])
    built_for, built = st.session_state.get(f"{key}_reports", ("", []))
    for p in map(Path, built if built_for == str(out_dir) else []):
        if p.is_file():
            mime = "application/pdf" if p.suffix == ".pdf" else "text/html"
            st.download_button(
                f"Download {p.name}",
                p.read_bytes(),
                file_name=f"{name}{p.suffix}",
                mime=mime,
                key=f"{key}_dl_{p.suffix}",
            )
