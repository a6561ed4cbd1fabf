"""Batch browser: a folder written by ``posture-cam batch`` (``summary.csv`` + one result folder each)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from .. import catalogue
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


def column_name(col: str) -> str:
    """A summary column in words: metric columns by their catalogue name and unit."""
    return catalogue.label(col.removeprefix("gait."))


def browser_table(df: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The recordings as the browser shows them: file name, subject, date, view in words, key numbers
    (catalogue names, units, precision) and flags; numeric columns stay numbers so they sort.
    Columns without any value are left out. Returns (table, {numeric column: decimals})."""
    out = pd.DataFrame(index=df.index)
    out["Recording"] = [Path(str(p)).name if isinstance(p, str) and p else str(n)
                        for p, n in zip(df.get("path", df["name"]), df["name"], strict=True)]  # fmt: skip
    out["Subject"] = df.get("subject_id", pd.Series("", index=df.index)).fillna("").astype(str)
    out["Date"] = df.get("session_date", pd.Series("", index=df.index)).fillna("").astype(str)
    out["Status"] = df["status"].fillna("").astype(str)
    out["View"] = [
        catalogue.view_short(v) if isinstance(v, str) and v else "" for v in df.get("view", [None] * len(df))
    ]
    config: dict[str, Any] = {}
    if "duration_s" in df:
        out["Length [s]"] = pd.to_numeric(df["duration_s"], errors="coerce")
        config["Length [s]"] = 1
    if "detection_rate" in df:
        out["Person found [%]"] = pd.to_numeric(df["detection_rate"], errors="coerce") * 100
        config["Person found [%]"] = 0
    for col, title in (("n_flagged", "Flagged"), ("n_borderline", "Borderline")):
        if col in df:
            out[title] = pd.to_numeric(df[col], errors="coerce")
            config[title] = 0
    if "flagged_findings" in df:
        out["Findings"] = df["flagged_findings"].fillna("").astype(str)
    for col in metric_columns(df):
        row = catalogue.info(col.removeprefix("gait."))
        title = row.label
        out[title] = pd.to_numeric(df[col], errors="coerce")
        config[title] = row.precision
    if "error" in df:
        out["Problem"] = df["error"].fillna("").astype(str)
    keep = [c for c in out.columns if out[c].replace("", pd.NA).notna().any() or c in ("Recording", "Status")]
    return out[keep], {k: v for k, v in config.items() if k in keep}


def styled(table: pd.DataFrame, decimals: dict[str, int]) -> Any:
    """The table for st.dataframe: numbers at their precision, a dash where there is no value (the
    values stay numbers, so the columns sort numerically)."""
    fmt = {c: f"{{:.{d}f}}" for c, d in decimals.items() if c in table.columns}
    return table.style.format(fmt, na_rep="-").format(
        na_rep="-", subset=[c for c in table.columns if c not in fmt]
    )


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
    table, decimals = browser_table(view)
    st.caption("Click a column header to sort; select a row to open that recording.")
    event = st.dataframe(
        styled(table, decimals),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="batch_table",
    )
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    ok = view["status"] == "ok"
    ok_names = view.loc[ok, "name"].astype(str).tolist()
    labels = {
        str(n): " - ".join(x for x in (str(rec), str(subj), str(date)) if x)
        for n, rec, subj, date in zip(
            view["name"],
            table["Recording"],
            table.get("Subject", pd.Series("", index=table.index)),
            table.get("Date", pd.Series("", index=table.index)),
            strict=True,
        )
    }
    pre = view.iloc[rows[0]]["name"] if rows else None
    if ok_names:
        pick = st.selectbox(
            "Recording",
            ok_names,
            index=ok_names.index(pre) if pre in ok_names else 0,
            format_func=lambda n: labels.get(n, n),
            key="batch_pick",
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
        format_func=column_name,
    )
    table = sessions_of(df, subject, metric)
    row = catalogue.info(metric.removeprefix("gait."))
    shown = table.rename(
        columns={"session_date": "Date", "name": "Result folder", "value": column_name(metric)}
    )
    st.dataframe(
        styled(shown, {column_name(metric): row.precision}),
        hide_index=True,
        width="stretch",
    )
    data = table.dropna(subset=["value"])
    if len(data) >= 1:
        chart = (
            alt.Chart(data)
            .mark_line(point=True)
            .encode(
                x=alt.X("session_date:N", title="session", sort=None),
                y=alt.Y(
                    "value:Q",
                    title=column_name(metric),
                    scale=alt.Scale(zero=False),
                ),
                tooltip=["name", "session_date", alt.Tooltip("value:Q", format=".2f")],
            )
        )
        st.altair_chart(chart, width="stretch")
