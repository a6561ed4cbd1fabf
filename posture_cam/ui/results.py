"""Render one finished analysis (an output folder with ``result.json``): used by review, batch, webcam."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from .. import report
from ..export import md_escape
from . import charts

LEVEL_ICON = {
    "flagged": ":material/error:",
    "borderline": ":material/warning:",
    "normal": ":material/check_circle:",
}


def render_result(result: dict[str, Any], out_dir: Path | None, *, key: str = "res") -> None:
    """The whole result view. ``out_dir`` may be None for a result that was never written (webcam)."""
    summary = report.summary(result)
    c = st.columns(4)
    c[0].metric("View detected", summary["view"])
    c[1].metric("Duration", f"{summary['duration_s']:.1f} s" if summary["duration_s"] is not None else "-")
    c[2].metric("Person found in (frames)", f"{summary['detection_rate']:.0%}")
    c[3].metric("Flagged / borderline", f"{summary['n_flagged']} / {summary['n_borderline']}")
    for w in result.get("warnings") or []:
        st.warning(w)
    if summary["view"] in ("unknown", "-"):
        st.warning(
            "The camera view could not be determined: most posture measurements need a clear front, "
            "back or side view of the whole body."
        )

    tabs = st.tabs(
        ["Findings", "Playback", "Charts", "Measurements", "Gait steps", "Not assessed", "Downloads"]
    )
    with tabs[0]:
        render_findings(result)
    with tabs[1]:
        overlay = None if out_dir is None else Path(out_dir) / "overlay.mp4"
        if overlay is not None and overlay.is_file():
            st.video(str(overlay))
            st.caption("Annotated playback: the skeleton the measurements were taken from.")
        else:
            st.info("No annotated video for this analysis (turn on 'annotated video' before analysing).")
    with tabs[2]:
        render_charts(result, out_dir)
    with tabs[3]:
        rows = report.metric_rows(result)
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
        else:
            st.info("No measurements in this result.")
    with tabs[4]:
        bouts = report.bout_rows(result)
        if bouts:
            st.caption("Walking bouts (turns and standing between them are left out of the step statistics)")
            st.dataframe(pd.DataFrame(bouts), hide_index=True, use_container_width=True)
        steps = report.steps_frame(result)
        if len(steps):
            st.dataframe(steps, hide_index=True, use_container_width=True)
        else:
            st.info(report.no_gait_reason(result))
    with tabs[5]:
        na = report.not_assessed(result)
        if na:
            st.dataframe(pd.DataFrame(na), hide_index=True, use_container_width=True)
        else:
            st.success("Every measurement could be assessed.")
    with tabs[6]:
        render_downloads(result, out_dir, key=key)


def render_findings(result: dict[str, Any]) -> None:
    findings = report.sorted_findings(result)
    if not findings:
        st.success("No flagged or borderline findings in what could be assessed.")
    normal = report.findings_with_status(result, "not_flagged")
    if normal:
        st.caption("Checked and not flagged: " + "; ".join(report.finding_title(f) for f in normal))
    n_na = len(report.findings_with_status(result, "not_assessable"))
    if n_na:
        st.caption(f"{n_na} screening rules could not be assessed from this recording (see 'Not assessed').")
    for f in findings:
        level = report.finding_level(f)
        title = report.finding_title(f)
        with st.expander(
            f"{level.upper()}: {title}",
            expanded=level == "flagged",
            icon=LEVEL_ICON.get(level, ":material/info:"),
        ):
            text = report.finding_text(f)
            if text:
                st.markdown(str(text))
            ev = report.evidence_lines(f)
            if ev:
                st.markdown("**Evidence**\n\n" + "\n".join(f"- {line}" for line in ev))
            chain = report.chain_lines(f)
            if chain:
                st.markdown("**Possible chain**\n\n" + "\n".join(f"- {line}" for line in chain))
            steps = report.next_step_lines(f)
            if steps:
                st.markdown("**What you could do next**\n\n" + "\n".join(f"- {line}" for line in steps))
            src = report.source_lines(f)
            if src:
                st.markdown("**Sources**\n\n" + "\n".join(f"- {line}" for line in src))


def render_charts(result: dict[str, Any], out_dir: Path | None) -> None:
    ts = None if out_dir is None else report.load_timeseries(Path(out_dir))
    if ts is None or ts.empty:
        st.info("No per-frame series were saved for this analysis.")
        return
    keys = report.chart_keys(ts, result)
    if not keys:
        st.info("No per-frame metric has values in this recording.")
        return
    chosen = st.multiselect(
        "Metrics", keys, default=keys[: min(4, len(keys))], format_func=report.metric_label
    )
    events = charts.events_frame(report.gait_events(result))
    for k in chosen:
        chart = charts.metric_chart(
            ts,
            k,
            title=report.metric_label(k),
            unit=report.series_unit(k, result),
            band=report.normal_band(k),
            events=events,
        )
        st.altair_chart(chart, use_container_width=True)
    st.caption("Green band: normal range from the rules file. Dashed red lines: gait events.")


def render_downloads(result: dict[str, Any], out_dir: Path | None, *, key: str) -> None:
    name = report.report_basename(result)
    st.download_button(
        "result.json",
        json.dumps(result, indent=2),
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
        pd.DataFrame(report.metric_rows(result)).to_csv(index=False),
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
        st.session_state[f"{key}_reports"] = [str(p) for p in paths]
    for p in map(Path, st.session_state.get(f"{key}_reports", [])):
        if p.is_file():
            mime = "application/pdf" if p.suffix == ".pdf" else "text/html"
            st.download_button(
                f"Download {p.name}",
                p.read_bytes(),
                file_name=f"{name}{p.suffix}",
                mime=mime,
                key=f"{key}_dl_{p.suffix}",
            )
