"""Altair charts of a result: per-frame metric series with the normal band and gait events.

Pure builders (data in, ``alt.Chart`` out) so the pages stay thin and the charts are testable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd


def metric_series_frame(ts: pd.DataFrame, key: str) -> pd.DataFrame:
    """Long frame (timestamp_s, value) of one per-frame series; rows with no value are dropped."""
    df = ts[["timestamp_s", key]].rename(columns={key: "value"})
    return df[np.isfinite(df["value"].to_numpy(dtype=float))]


def events_frame(events: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Gait events as (t_s, label) rows, e.g. ``left heel_strike``; empty frame when there are none."""
    rows = []
    for ev in events:
        t = ev.get("t_s", ev.get("time_s", ev.get("timestamp_s")))
        if t is None:
            continue
        kind = str(ev.get("type", ev.get("kind", ev.get("event", "event"))))
        side = ev.get("side")
        rows.append({"t_s": float(t), "label": f"{side} {kind}" if side else kind})
    return pd.DataFrame(rows, columns=["t_s", "label"])


def metric_chart(
    ts: pd.DataFrame,
    key: str,
    *,
    title: str,
    unit: str = "",
    band: tuple[float | None, float | None] | None = None,
    events: pd.DataFrame | None = None,
    height: int = 180,
) -> alt.LayerChart:
    """Line of one metric over time, the normal band shaded green, gait events as vertical rules."""
    data = metric_series_frame(ts, key)
    y_title = f"{title} [{unit}]" if unit else title
    line = (
        alt.Chart(data)
        .mark_line(color="#1f5fa8", strokeWidth=1.6)
        .encode(
            x=alt.X("timestamp_s:Q", title="time [s]"),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("timestamp_s:Q", format=".2f", title="t [s]"),
                alt.Tooltip("value:Q", format=".1f", title=unit or "value"),
            ],
        )
    )
    layers: list[alt.Chart] = []
    if band is not None and (band[0] is not None or band[1] is not None):
        vals = data["value"].to_numpy(dtype=float)
        lo = band[0] if band[0] is not None else (float(np.nanmin(vals)) if vals.size else 0.0)
        hi = band[1] if band[1] is not None else (float(np.nanmax(vals)) if vals.size else 0.0)
        t0 = float(ts["timestamp_s"].min()) if len(ts) else 0.0
        t1 = float(ts["timestamp_s"].max()) if len(ts) else 1.0
        band_df = pd.DataFrame({"t0": [t0], "t1": [t1], "lo": [lo], "hi": [hi]})
        layers.append(
            alt.Chart(band_df)
            .mark_rect(color="#2e9e57", opacity=0.15)
            .encode(x="t0:Q", x2="t1:Q", y="lo:Q", y2="hi:Q")
        )
    layers.append(line)
    if events is not None and len(events):
        layers.append(
            alt.Chart(events)
            .mark_rule(color="#c0392b", strokeDash=[3, 3], opacity=0.6)
            .encode(x="t_s:Q", tooltip=["label:N", alt.Tooltip("t_s:Q", format=".2f")])
        )
    chart = alt.layer(*layers)
    # alt.layer returns a FacetChart only when every layer has row/column/facet encodings; none has.
    assert isinstance(chart, alt.LayerChart)
    return chart.properties(height=height, title=title)
