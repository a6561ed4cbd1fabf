"""Batch browser: a folder written by ``posture-cam batch`` (``summary.csv`` + one result folder each)."""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from .. import report
from ..export import md_escape
from . import nav
from .review import OPEN_KEY

FOLDER_KEY = "batch_folder"


def load_summary(folder: Path) -> pd.DataFrame:
    """``summary.csv`` of a batch folder with a ``result_dir`` column (absolute folder of each recording).

    Raises FileNotFoundError when the folder holds no summary.csv.
    """
    p = Path(folder) / "summary.csv"
    if not p.is_file():
        raise FileNotFoundError(
            f"no summary.csv in {folder} (is this a folder written by `posture-cam batch`?)"
        )
    df = pd.read_csv(p)
    df["result_dir"] = [str(Path(folder) / str(n)) for n in df["name"]]
    return df


def metric_columns(df: pd.DataFrame) -> list[str]:
    """Metric value columns of a summary (posture ``<key>`` and gait ``gait.<key>``) with any value."""
    from ..batch.summary import FIXED_COLUMNS

    skip = set(FIXED_COLUMNS) | {"result_dir"}
    return [c for c in df.columns if c not in skip and pd.to_numeric(df[c], errors="coerce").notna().any()]


def sessions_of(df: pd.DataFrame, subject_id: str, metric: str) -> pd.DataFrame:
    """One subject's finished recordings ordered by session date: (session_date, name, value)."""
    sub = df[(df["subject_id"].astype(str) == subject_id) & (df["status"] == "ok")].copy()
    sub["value"] = pd.to_numeric(sub[metric], errors="coerce")
    sub["session_date"] = sub["session_date"].fillna("").astype(str)
    return sub[["session_date", "name", "value"]].sort_values(["session_date", "name"]).reset_index(drop=True)


def render() -> None:
    st.title("Batch browser")
    default = st.session_state.get(FOLDER_KEY) or os.environ.get("POSTURE_CAM_BATCH_DIR", "")
    folder = st.text_input("Batch output folder (holds summary.csv)", value=default, key="batch_folder_input")
    if not folder.strip():
        st.info("Enter the folder given to `posture-cam batch ... --out FOLDER`.")
        return
    st.session_state[FOLDER_KEY] = folder.strip()
    try:
        df = load_summary(Path(folder.strip()).expanduser())
    except FileNotFoundError as exc:
        st.error(md_escape(str(exc)))
        return
    except (pd.errors.ParserError, pd.errors.EmptyDataError, KeyError) as exc:
        st.error(md_escape(f"summary.csv in {folder} could not be read ({exc})."))
        return
    n_ok = int((df["status"] == "ok").sum())
    st.caption(f"{len(df)} recordings, {n_ok} finished, {len(df) - n_ok} failed or pending.")
    statuses = sorted(df["status"].dropna().astype(str).unique())
    shown_status = st.multiselect("Status", statuses, default=statuses, key="batch_status")
    view = df[df["status"].astype(str).isin(shown_status)]
    cols = [
        "name",
        "subject_id",
        "session_date",
        "status",
        "view",
        "duration_s",
        "detection_rate",
        "n_flagged",
        "n_borderline",
        "flagged_findings",
        "error",
    ]
    event = st.dataframe(
        view[[c for c in cols if c in view.columns] + metric_columns(view)],
        hide_index=True,
        use_container_width=True,
        on_select="rerun",
        selection_mode="single-row",
        key="batch_table",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    ok_names = view.loc[view["status"] == "ok", "name"].astype(str).tolist()
    pre = view.iloc[rows[0]]["name"] if rows else None
    if ok_names:
        pick = st.selectbox(
            "Recording", ok_names, index=ok_names.index(pre) if pre in ok_names else 0, key="batch_pick"
        )
        if st.button("Open in video review", key="batch_open"):
            st.session_state[OPEN_KEY] = str(Path(folder.strip()).expanduser() / pick)
            if not nav.switch_to("review"):
                st.info("Open the Video review page to see it.")
    compare_sessions(df)


def compare_sessions(df: pd.DataFrame) -> None:
    st.subheader("Compare a subject's sessions")
    subjects = sorted(df.loc[df["status"] == "ok", "subject_id"].dropna().astype(str).unique())
    metrics = metric_columns(df[df["status"] == "ok"])
    if not subjects or not metrics:
        st.info("No finished recordings with a subject id and a measured metric.")
        return
    c1, c2 = st.columns(2)
    subject = c1.selectbox("Subject", subjects, key="batch_subject")
    metric = c2.selectbox(
        "Metric",
        metrics,
        key="batch_metric",
        format_func=lambda k: report.metric_label(k.removeprefix("gait.")),
    )
    table = sessions_of(df, subject, metric)
    st.dataframe(table, hide_index=True, use_container_width=True)
    data = table.dropna(subset=["value"])
    if len(data) >= 1:
        unit = report.series_unit(metric.removeprefix("gait."))
        chart = (
            alt.Chart(data)
            .mark_line(point=True)
            .encode(
                x=alt.X("session_date:N", title="session", sort=None),
                y=alt.Y(
                    "value:Q",
                    title=f"{report.metric_label(metric.removeprefix('gait.'))} [{unit}]",
                    scale=alt.Scale(zero=False),
                ),
                tooltip=["name", "session_date", alt.Tooltip("value:Q", format=".2f")],
            )
        )
        st.altair_chart(chart, use_container_width=True)
