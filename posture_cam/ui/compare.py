"""Compare sessions: has anything changed beyond measurement noise? (issue 17)

Sessions come from a session history database (``posture-cam batch`` writes ``history.sqlite``),
from analysis folders (a batch output, ``posture-cam analyze --out``), from analyses opened on the
review page, or from two uploads. The numbers come from :func:`posture_cam.compare.compare_results`,
the same function ``posture-cam compare`` prints, so both agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from .. import catalogue
from ..compare import Comparison, compare_results, sync_points
from ..config import Config
from ..export import md_escape
from ..pipeline import SubjectInfo
from . import common

SEL_KEY = "compare_dirs"
PHASES = {
    "quiet_standing_front_s": "start of quiet standing, front/back view",
    "quiet_standing_side_s": "start of quiet standing, side view",
    "first_contact_s": "first foot contact of the first walking bout",
}


def comparison_table(cmp: Comparison) -> pd.DataFrame:
    """One row per metric: catalogue name, each session's value, change, SDC95 and the verdict."""
    rows = []
    labels = [s.label for s in cmp.sessions]
    for key, m in cmp.metrics.items():
        info = catalogue.info(key)
        row: dict[str, Any] = {"Measurement": info.label}
        for lab, v in zip(labels, m.values, strict=True):
            row[lab] = None if v is None else round(v, info.precision)
        row["Change"] = None if m.change is None else round(m.change, info.precision)
        row["Smallest detectable change"] = None if m.sdc95 is None else round(m.sdc95, info.precision)
        if m.change is None:
            row["Verdict"] = "not compared"
        elif m.sdc95 is None:
            row["Verdict"] = "unknown noise"
        else:
            row["Verdict"] = "changed" if m.changed else "no detectable change"
        rows.append(row)
    return pd.DataFrame(rows)


def trend_chart(cmp: Comparison, key: str) -> alt.Chart:
    """Values over the sessions with the band of +-SDC95 around the first session's value."""
    m = cmp.metrics[key]
    info = catalogue.info(key)
    df = pd.DataFrame(
        {
            "session": [s.label for s in cmp.sessions],
            "order": list(range(len(cmp.sessions))),
            "value": m.values,
        }
    ).dropna()
    x = alt.X("order:O", title="Session (oldest first)", axis=alt.Axis(labelExpr="datum.value + 1"))
    line = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("value:Q", title=info.label), tooltip=["session", "value"])
    )
    base = m.values[0]
    if m.sdc95 is None or base is None:
        return line
    band = (
        alt.Chart(pd.DataFrame({"lo": [base - m.sdc95], "hi": [base + m.sdc95]}))
        .mark_rect(opacity=0.15, color="#888888")
        .encode(y="lo:Q", y2="hi:Q")
    )
    return band + line


def _sources() -> list[tuple[str, str]]:
    """(label, result folder) of the analyses the user chose on this page."""
    return list(st.session_state.get(SEL_KEY, []))


def _add(pairs: list[tuple[str, str]]) -> None:
    have = dict(_sources())
    for label, d in pairs:
        if d not in have.values():
            have[label if label not in have else f"{label} ({len(have) + 1})"] = d
    st.session_state[SEL_KEY] = list(have.items())


def _pick_sessions() -> None:
    tab_hist, tab_dirs, tab_up = st.tabs(
        ["From the session history", "Analysis folders", "Upload two videos"]
    )
    with tab_hist:
        db = st.text_input("Session history database (history.sqlite of a batch output)", key="compare_db")
        if db.strip():
            from ..history import History

            try:
                with History(db.strip(), read_only=True) as h:
                    subjects = h.list_subjects()
                    sid = st.selectbox("Subject", list(subjects["subject_id"]), key="compare_subject")
                    recs = h.recordings(sid) if sid else pd.DataFrame()
            except Exception as exc:  # noqa: BLE001 - shown to the user in one line
                st.error(md_escape(f"Cannot open the history database: {exc}"))
                recs = pd.DataFrame()
            if not recs.empty:
                recs = recs[recs["status"] == "ok"]
                options = {
                    f"{r.session_date or 'no date'}  {Path(str(r.path)).name}": str(r.result_dir)
                    for r in recs.itertuples()
                }
                chosen = st.multiselect("Sessions (oldest first)", list(options), key="compare_hist_pick")
                if st.button("Use these sessions", key="compare_hist_use"):
                    st.session_state[SEL_KEY] = [(c, options[c]) for c in chosen]
    with tab_dirs:
        text = st.text_area(
            "Analysis folders, one per line, oldest first (each holds a result.json)", key="compare_paths"
        )
        opened = dict(st.session_state.get("review_dirs", {}))
        if opened:
            st.caption("Or take analyses opened on the review page:")
            pick = st.multiselect("Opened analyses", list(opened.values()), key="compare_opened")
        else:
            pick = []
        if st.button("Use these folders", key="compare_dirs_use"):
            pairs = [(Path(p.strip()).name, p.strip()) for p in text.splitlines() if p.strip()]
            inv = {v: k for k, v in opened.items()}
            pairs += [(name, inv[name]) for name in pick if name in inv]
            st.session_state[SEL_KEY] = pairs
    with tab_up:
        with st.form("compare_upload"):
            first = st.file_uploader("Earlier session", type=list(common.VIDEO_TYPES), key="compare_up_a")
            second = st.file_uploader("Later session", type=list(common.VIDEO_TYPES), key="compare_up_b")
            go = st.form_submit_button("Analyse and compare")
        if go:
            if first is None or second is None:
                st.warning("Choose both videos first.")
            else:
                from .review import analyse_uploads

                config = Config().with_overrides({"output.overlay": True})
                dirs = analyse_uploads([(first.name, first), (second.name, second)], config, SubjectInfo())
                if len(dirs) == 2:
                    st.session_state[SEL_KEY] = [(first.name, str(dirs[0])), (second.name, str(dirs[1]))]


def render() -> None:
    st.title("Compare sessions")
    st.caption(
        "Pick two or more sessions of one person, oldest first. A measurement counts as changed only when "
        "the change is larger than its smallest detectable change, measured by repeating the analysis "
        "under conditions that should not matter (docs/repeatability.md). Nothing leaves this machine."
    )
    _pick_sessions()
    chosen = _sources()
    results, labels, dirs = [], [], []
    for label, d in chosen:
        res = common.load_result(Path(d))
        if res is None:
            st.error(md_escape(f"{label}: no finished analysis in {d}"))
            continue
        results.append(res)
        labels.append(label)
        dirs.append(Path(d))
    if len(results) < 2:
        st.info("Choose at least two sessions to compare.")
        return
    cmp = compare_results(results, labels=labels)
    for w in cmp.subject_warnings + cmp.capture_warnings:
        st.warning(md_escape(w))
    render_side_by_side(results, labels, dirs)
    st.subheader("What changed")
    table = comparison_table(cmp)
    if table.empty:
        st.info("None of the measurements was taken in these sessions.")
        return
    st.dataframe(table, hide_index=True, use_container_width=True)
    keys = [k for k, m in cmp.metrics.items() if sum(v is not None for v in m.values) >= 2]
    if keys:
        key = st.selectbox("Trend of", keys, format_func=catalogue.label, key="compare_trend")
        st.altair_chart(trend_chart(cmp, key), use_container_width=True)
        st.caption("Grey band: the first session's value plus or minus the smallest detectable change.")
    from ..compare_report import comparison_html, comparison_pdf

    c1, c2 = st.columns(2)
    c1.download_button(
        "Comparison report (HTML)", comparison_html(cmp), file_name="comparison.html", mime="text/html"
    )
    c2.download_button(
        "Comparison report (PDF)", comparison_pdf(cmp), file_name="comparison.pdf", mime="application/pdf"
    )


def render_side_by_side(results: list[dict[str, Any]], labels: list[str], dirs: list[Path]) -> None:
    """The first and the last session side by side, both started at the same phase."""
    from ..result_model import Result
    from .results import video_path

    st.subheader("Side by side")
    pts = [sync_points(results[0]), sync_points(results[-1])]
    phases = [k for k in PHASES if pts[0][k] is not None and pts[1][k] is not None]
    phase = st.selectbox(
        "Start both at",
        ["the beginning"] + phases,
        format_func=lambda k: PHASES.get(k, k),
        key="compare_phase",
    )
    cols = st.columns(2)
    for col, res, label, d, p in zip(
        cols, (results[0], results[-1]), (labels[0], labels[-1]), (dirs[0], dirs[-1]), pts, strict=True
    ):
        path, _ = video_path(Result.from_json(res), d)
        start = 0.0 if phase == "the beginning" else float(p[phase] or 0.0)
        with col:
            st.markdown(f"**{md_escape(label)}**")
            if path is None:
                st.info("No video to play for this session.")
            else:
                st.video(str(path), start_time=int(start))
                st.caption(f"From {start:.1f} s")
