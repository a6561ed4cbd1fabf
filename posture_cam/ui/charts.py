"""Altair charts of a result for the dashboard: per-frame metric series with gaps kept as gaps, the
x axis over the whole recording, the parts of the recording shaded, and the rules' normal band.

Pure builders (data in, ``alt.Chart`` out) so the pages stay thin and the charts are testable.
The report draws the same charts with matplotlib (:mod:`posture_cam.report_figures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import altair as alt
import numpy as np
import pandas as pd

from .. import catalogue
from ..report_figures import ACTIVITY_COLOURS
from ..result_model import Segment


def metric_series_frame(ts: pd.DataFrame, key: str, max_gap_s: float | None = None) -> pd.DataFrame:
    """(timestamp_s, value, run) of one per-frame series. Rows without a value are dropped and every
    stretch of consecutive values gets its own ``run`` number, so a line never spans a gap."""
    t = ts["timestamp_s"].to_numpy(float)
    y = pd.to_numeric(ts[key], errors="coerce").to_numpy(float)
    ok = np.isfinite(y) & np.isfinite(t)
    if t.size > 1:
        dt = np.diff(t)
        step = float(np.median(dt[dt > 0])) if np.any(dt > 0) else 1.0
    else:
        step = 1.0
    limit = max_gap_s if max_gap_s is not None else 2.5 * step
    tt, yy = t[ok], y[ok]
    idx = np.flatnonzero(ok)
    new_run = np.ones(tt.size, bool)
    if tt.size > 1:
        new_run[1:] = (np.diff(idx) > 1) | (np.diff(tt) > limit)
    return pd.DataFrame({"timestamp_s": tt, "value": yy, "run": np.cumsum(new_run)})


def segments_frame(segments: Sequence[Segment]) -> pd.DataFrame:
    rows = [
        {
            "start_s": float(s.start_s),
            "end_s": float(s.end_s),
            "activity": catalogue.activity_words(s.activity),
            "view": catalogue.view_words(s.view),
        }
        for s in segments
    ]
    return pd.DataFrame(rows, columns=["start_s", "end_s", "activity", "view"])


def _activity_scale() -> alt.Scale:
    return alt.Scale(
        domain=[catalogue.activity_words(a) for a in ACTIVITY_COLOURS],
        range=list(ACTIVITY_COLOURS.values()),
    )


def timeline_chart(segments: Sequence[Segment], duration_s: float) -> alt.LayerChart:
    """What the subject did when (and from which view), as one coloured strip with its words on it.
    Show it with an explicit height (``st.altair_chart(..., height=110)``)."""
    data = segments_frame(segments).assign(
        row="recording",
        mid=lambda d: (d["start_s"] + d["end_s"]) / 2,
        label=[
            f"{s.activity_words} · {catalogue.view_short(s.view)}"
            if (float(s.end_s) - float(s.start_s)) >= 0.12 * max(duration_s, 1e-3)
            else ""
            for s in map(_row, segments)
        ],
    )
    x_scale = alt.Scale(domain=[0, max(duration_s, 1e-3)], nice=False)
    x = alt.X("start_s:Q", title="time [s]", scale=x_scale)
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            x2="end_s:Q",
            y=alt.Y("row:N", axis=None),
            color=alt.Color("activity:N", scale=_activity_scale(), legend=None),
            tooltip=[
                "activity:N",
                "view:N",
                alt.Tooltip("start_s:Q", format=".1f"),
                alt.Tooltip("end_s:Q", format=".1f"),
            ],
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(color="white", fontSize=11)
        .encode(x=alt.X("mid:Q", scale=x_scale), y=alt.Y("row:N", axis=None), text="label:N")
    )
    chart = alt.layer(bars, text)
    assert isinstance(chart, alt.LayerChart)
    return chart


def _row(s: Segment) -> SimpleNamespace:
    return SimpleNamespace(
        start_s=s.start_s, end_s=s.end_s, activity_words=catalogue.activity_words(s.activity), view=s.view
    )


def metric_chart(
    ts: pd.DataFrame,
    key: str,
    *,
    duration_s: float,
    segments: Sequence[Segment] = (),
    height: int = 170,
) -> alt.LayerChart:
    """One metric over the whole recording: gaps stay gaps, segments shaded, normal band in green."""
    row = catalogue.info(key)
    data = metric_series_frame(ts, key)
    x_scale = alt.Scale(domain=[0, max(duration_s, 1e-3)], nice=False)
    layers: list[alt.Chart] = []
    if segments:
        layers.append(
            alt.Chart(segments_frame(segments))
            .mark_rect(opacity=0.12)
            .encode(
                x=alt.X("start_s:Q", scale=x_scale),
                x2="end_s:Q",
                color=alt.Color("activity:N", scale=_activity_scale(), legend=None),
                tooltip=["activity:N", "view:N"],
            )
        )
    band = row.normal
    vals = data["value"].to_numpy(float)
    if band is not None and vals.size:
        lo = band.low if band.low is not None else min(float(vals.min()), band.high or 0.0) - 1.0
        hi = band.high if band.high is not None else max(float(vals.max()), band.low or 0.0) + 1.0
        band_df = pd.DataFrame({"t0": [0.0], "t1": [max(duration_s, 1e-3)], "lo": [lo], "hi": [hi]})
        layers.append(
            alt.Chart(band_df)
            .mark_rect(color="#2e9e57", opacity=0.15)
            .encode(x=alt.X("t0:Q", scale=x_scale), x2="t1:Q", y="lo:Q", y2="hi:Q")
        )
    layers.append(
        alt.Chart(data)
        .mark_line(color="#1f5fa8", strokeWidth=1.6)
        .encode(
            x=alt.X("timestamp_s:Q", title="time [s]", scale=x_scale),
            y=alt.Y("value:Q", title=row.unit_text or row.name, scale=alt.Scale(zero=False)),
            detail="run:N",
            tooltip=[
                alt.Tooltip("timestamp_s:Q", format=".2f", title="time [s]"),
                alt.Tooltip("value:Q", format=f".{row.precision}f", title=row.label),
            ],
        )
    )
    chart = alt.layer(*layers)
    assert isinstance(chart, alt.LayerChart)
    return chart.properties(height=height, title=alt.TitleParams(row.name, anchor="start"))
