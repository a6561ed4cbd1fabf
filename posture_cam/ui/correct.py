"""Check and correct (issue 18): the clinician moves landmarks, edits gait events, measures by hand.

Everything here only edits a :class:`posture_cam.corrections.Corrections` list (kept in the session
and saved as ``corrections.json`` beside the analysis); "Recompute" runs
:func:`posture_cam.pipeline.reanalyze`, i.e. the same posture, gait and rules functions as the
automatic run, and every number then shows its automatic value beside the corrected one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from .. import catalogue
from ..corrections import CLINICAL_POINTS, FILE_NAME, TOOLS, Correction, Corrections, CorrectionsError
from ..errors import PostureCamError
from ..export import md_escape
from ..landmarks import Landmark
from . import common

OPEN_KEY = "review_open_dir"  # the analysis open on the review page
DIR_KEY = "correct_dir"
COR_KEY = "correct_entries"
CLICKS_KEY = "correct_clicks"
EDITABLE = (
    "LEFT_EAR",
    "RIGHT_EAR",
    "LEFT_SHOULDER",
    "RIGHT_SHOULDER",
    "LEFT_HIP",
    "RIGHT_HIP",
    "LEFT_KNEE",
    "RIGHT_KNEE",
    "LEFT_ANKLE",
    "RIGHT_ANKLE",
    "LEFT_HEEL",
    "RIGHT_HEEL",
)


def _words(name: str) -> str:
    return name.replace("_", " ").lower()


@st.cache_data(show_spinner=False, max_entries=4)
def _prepared_xy(
    out_dir: str, mtime: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """(frame_index, timestamps_s, automatic conditioned (T, 33, 2) px, segments) of an analysis."""
    from ..config import config_from_dict
    from ..pipeline import load_result
    from ..prepare import prepare
    from ..sequence import PoseSequence

    res = load_result(out_dir)
    seq = PoseSequence.load(Path(out_dir) / "landmarks.parquet")
    prep = prepare(seq, config_from_dict(res.get("config") or {}))
    return (
        np.asarray(seq.frame_index),
        np.asarray(seq.timestamps_s),
        prep.seq.image_px[..., :2].astype(np.float64),
        [s.to_json() for s in prep.segments],
    )


def _frame_image(res: dict[str, Any], out_dir: Path, t_s: float, size: tuple[int, int]) -> np.ndarray:
    """The video frame at ``t_s`` (source recording, else the annotated video), else a grey canvas."""
    from ..video import iter_frames

    for cand in (Path(str((res.get("input") or {}).get("path") or "")), out_dir / "overlay.mp4"):
        if cand.is_file():
            try:
                for fr in iter_frames(cand, start_s=max(0.0, t_s - 1e-3), max_frames=1):
                    return np.asarray(fr.rgb)
            except PostureCamError:
                continue
    return np.full((size[1], size[0], 3), 200, np.uint8)


def _draw(
    rgb: np.ndarray, xy: np.ndarray, selected: str | None, extra: list[tuple[float, float]]
) -> np.ndarray:
    import cv2

    out = rgb.copy()
    r = max(3, int(round(min(out.shape[:2]) / 120)))
    for name in EDITABLE:
        p = xy[int(Landmark[name])]
        if not np.all(np.isfinite(p)):
            continue
        colour = (255, 60, 60) if name == selected else (40, 200, 255)
        cv2.circle(out, (int(round(p[0])), int(round(p[1]))), r + (2 if name == selected else 0), colour, -1)
    for p in extra:
        cv2.drawMarker(out, (int(round(p[0])), int(round(p[1]))), (255, 220, 0), cv2.MARKER_CROSS, 4 * r, 2)
    return out


def _entries() -> Corrections:
    return st.session_state.get(COR_KEY) or Corrections()


def _set(c: Corrections) -> None:
    st.session_state[COR_KEY] = c


def render() -> None:
    st.title("Check and correct")
    st.caption(
        "Move a landmark the model placed wrongly, fix a gait event, or measure by hand. The analysis is "
        "then recomputed with the same functions, and each number shows its automatic value beside the "
        "corrected one. Your corrections are saved beside the analysis and re-applied when the same "
        "recording is analysed again."
    )
    default = st.session_state.get(DIR_KEY) or st.session_state.get(OPEN_KEY) or ""
    folder = st.text_input(
        "Analysis folder (opens the analysis from the review page by default)", value=default
    )
    if not folder.strip():
        st.info("Open an analysis on the review page first, or give its folder here.")
        return
    out_dir = Path(folder.strip())
    res = common.load_result(out_dir)
    if res is None or not (out_dir / "landmarks.parquet").is_file():
        st.error(md_escape(f"No finished analysis with landmarks in {out_dir}."))
        return
    if st.session_state.get(DIR_KEY) != str(out_dir):
        st.session_state[DIR_KEY] = str(out_dir)
        try:
            stored = (
                Corrections.load(out_dir / FILE_NAME) if (out_dir / FILE_NAME).is_file() else Corrections()
            )
        except CorrectionsError as exc:
            st.error(md_escape(str(exc)))
            stored = Corrections()
        _set(stored)
        st.session_state[CLICKS_KEY] = []
    by = st.text_input("Your name (recorded with each correction)", key="correct_by")
    mtime = (out_dir / "landmarks.parquet").stat().st_mtime
    frames, times, xy, segments = _prepared_xy(str(out_dir), mtime)
    tab_lm, tab_ev, tab_tool = st.tabs(["Landmarks", "Gait events", "Measure by hand"])
    with tab_lm:
        _landmarks(res, out_dir, frames, times, xy, segments, by)
    with tab_ev:
        _events(res, frames, times, xy, by)
    with tab_tool:
        _tools(res, out_dir, frames, times, xy, by)
    _pending_and_recompute(out_dir)
    _provenance(res)


def _pick_frame(
    res: dict[str, Any], frames: np.ndarray, times: np.ndarray, segments: list[dict], key: str
) -> int:
    """Position of the frame to work on: a standing segment's middle by default."""
    standing = [s for s in segments if s.get("activity") == "standing"]
    default = 0
    if standing:
        mid = 0.5 * (standing[0]["start_frame"] + standing[0]["end_frame"])
        default = int(np.argmin(np.abs(frames - mid)))
    pos = st.slider("Frame", 0, max(0, len(frames) - 1), default, key=key)
    st.caption(f"Frame {int(frames[pos])} at {float(times[pos]):.2f} s")
    return int(pos)


def _click(img: np.ndarray, key: str, drag: bool) -> dict[str, Any] | None:
    from streamlit_image_coordinates import streamlit_image_coordinates

    value = streamlit_image_coordinates(
        img, key=key, click_and_drag=drag, width=min(900, img.shape[1]), cursor="crosshair"
    )
    if not value:
        return None
    scale = img.shape[1] / float(value.get("width") or img.shape[1])
    out = {k: float(v) * scale for k, v in value.items() if k in ("x", "y", "x1", "y1", "x2", "y2")}
    out["unix_time"] = value.get("unix_time")
    return out


def _landmarks(res, out_dir, frames, times, xy, segments, by) -> None:
    st.markdown(
        "Choose a landmark, then **drag it** on the frame to where it belongs (press on or near it, move, "
        "release). In quiet standing the shift applies to the whole standing part the frame belongs to."
    )
    pos = _pick_frame(res, frames, times, segments, "correct_lm_frame")
    c1, c2 = st.columns(2)
    what = c1.selectbox("Landmark", EDITABLE, format_func=_words, key="correct_lm_name")
    point = c2.selectbox(
        "... or place a clinical point",
        ("(none)",) + CLINICAL_POINTS,
        format_func=_words,
        key="correct_point",
    )
    size = (
        int((res.get("input") or {}).get("width") or 640),
        int((res.get("input") or {}).get("height") or 480),
    )
    img = _draw(_frame_image(res, out_dir, float(times[pos]), size), xy[pos], what, [])
    v = _click(img, f"correct_lm_img_{pos}", drag=True)
    last = st.session_state.get("correct_lm_last")
    if v is not None and v.get("unix_time") != last and "x2" in v:
        st.session_state["correct_lm_last"] = v.get("unix_time")
        if point != "(none)":
            c = Correction("point", int(frames[pos]), by=by, name=point, x_px=v["x2"], y_px=v["y2"])
        else:
            c = Correction("landmark", int(frames[pos]), by=by, landmark=what, x_px=v["x2"], y_px=v["y2"])
        _set(_entries().add(c))
        st.toast(c.describe())


def _events(res, frames, times, xy, by) -> None:
    gait = res.get("gait") or {}
    events = pd.DataFrame(gait.get("events") or [])
    if events.empty:
        st.info("No gait events were detected in this recording. You can still add contacts below.")
    else:
        heel = xy[:, [int(Landmark.LEFT_HEEL), int(Landmark.RIGHT_HEEL)], 1]
        traj = pd.DataFrame(
            {
                "time [s]": np.concatenate([times, times]),
                "foot height [px, down = lower]": np.concatenate(heel.T),
                "foot": ["left"] * len(times) + ["right"] * len(times),
            }
        )
        line = (
            alt.Chart(traj)
            .mark_line()
            .encode(
                x="time [s]:Q",
                y=alt.Y("foot height [px, down = lower]:Q", scale=alt.Scale(reverse=True)),
                color="foot:N",
            )
        )
        ev = events.assign(**{"time [s]": events["time_s"]})
        rules = (
            alt.Chart(ev)
            .mark_rule(strokeDash=[4, 3])
            .encode(x="time [s]:Q", color="foot:N", tooltip=["frame", "foot", "type", "plausible"])
        )
        st.altair_chart(line + rules, use_container_width=True)
        table = events[["frame", "time_s", "foot", "type", "plausible"]].rename(
            columns={
                "frame": "Frame",
                "time_s": "Time [s]",
                "foot": "Foot",
                "type": "Event",
                "plausible": "Kept",
            }
        )
        table["Event"] = table["Event"].map({"heel_strike": "foot contact", "toe_off": "foot off"})
        st.dataframe(table, hide_index=True, use_container_width=True)
    with st.form("correct_event_form"):
        c1, c2, c3, c4, c5 = st.columns(5)
        action = c1.selectbox("Action", ("add", "move", "delete", "flip"), key="correct_ev_action")
        foot = c2.selectbox("Foot", ("left", "right"), key="correct_ev_foot")
        typ = c3.selectbox(
            "Event", ("heel_strike", "toe_off"), key="correct_ev_type",
            format_func=lambda t: {"heel_strike": "foot contact", "toe_off": "foot off"}[t],
        )  # fmt: skip
        frame = c4.number_input("Frame", 0, int(frames[-1]), int(frames[0]), key="correct_ev_frame")
        to_frame = c5.number_input("Move to frame", 0, int(frames[-1]), int(frames[0]), key="correct_ev_to")
        if st.form_submit_button("Add this event edit"):
            c = Correction(
                "event", int(frame), by=by, action=action, foot=None if action == "flip" else foot,
                type=None if action == "flip" else typ, to_frame=int(to_frame) if action == "move" else None,
            )  # fmt: skip
            _set(_entries().add(c))
            st.toast(c.describe())


def _tools(res, out_dir, frames, times, xy, by) -> None:
    tool = st.selectbox("Tool", list(TOOLS), key="correct_tool", format_func=TOOL_WORDS.__getitem__)
    label = st.text_input("What you measure (label)", value=tool.replace("_", " "), key="correct_tool_label")
    pos = _pick_frame(res, frames, times, [], "correct_tool_frame")
    clicks: list[tuple[float, float]] = list(st.session_state.get(CLICKS_KEY) or [])
    size = (
        int((res.get("input") or {}).get("width") or 640),
        int((res.get("input") or {}).get("height") or 480),
    )
    img = _draw(_frame_image(res, out_dir, float(times[pos]), size), xy[pos], None, clicks)
    st.caption(f"Click {TOOLS[tool]} points on the frame ({len(clicks)} so far).")
    v = _click(img, f"correct_tool_img_{pos}", drag=False)
    if v is not None and v.get("unix_time") != st.session_state.get("correct_tool_last") and "x" in v:
        st.session_state["correct_tool_last"] = v.get("unix_time")
        clicks.append((v["x"], v["y"]))
        st.session_state[CLICKS_KEY] = clicks
    if len(clicks) >= TOOLS[tool]:
        c = Correction(
            "measurement",
            int(frames[pos]),
            by=by,
            tool=tool,
            points=tuple(clicks[: TOOLS[tool]]),
            label=label,
        )
        _set(_entries().add(c))
        st.session_state[CLICKS_KEY] = []
        st.toast(c.describe())
    if st.button("Clear the clicked points", key="correct_tool_clear"):
        st.session_state[CLICKS_KEY] = []


TOOL_WORDS = {
    "angle": "angle between three points",
    "line_tilt": "line against the true vertical",
    "distance": "distance between two points",
}


def _pending_and_recompute(out_dir: Path) -> None:
    from ..pipeline import reanalyze

    cor = _entries()
    st.subheader("Your corrections")
    if not cor:
        st.info("No corrections yet.")
    for i, c in enumerate(cor.entries):
        c1, c2 = st.columns([6, 1])
        c1.write(md_escape(c.describe()))
        if c2.button("Remove", key=f"correct_rm_{i}"):
            _set(cor.remove(i))
            st.rerun()
    if st.button("Recompute with corrections", type="primary", key="correct_go", disabled=not cor):
        try:
            with st.spinner("Recomputing ..."):
                reanalyze(out_dir, cor)
        except PostureCamError as exc:
            st.error(md_escape(str(exc)))
            return
        st.cache_data.clear()
        st.success("Recomputed. Corrected values are shown below and on the review page.")
        st.rerun()


def _provenance(res: dict[str, Any]) -> None:
    prov = res.get("provenance")
    if not prov:
        return
    st.subheader("Corrected versus automatic")
    rows = []
    for section in (res.get("metrics") or {}, (res.get("gait") or {}).get("metrics") or {}):
        for key, m in section.items():
            extra = m.get("extra") or {}
            if extra.get("provenance") != "corrected":
                continue
            info = catalogue.info(key)
            auto = extra.get("automatic_value")
            rows.append(
                {
                    "Measurement": info.label,
                    "Corrected": _fmt(m.get("value"), info.precision),
                    "Automatic": _fmt(auto, info.precision),
                }
            )
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
    for f in res.get("findings") or []:
        if f.get("provenance") == "corrected":
            st.write(
                md_escape(
                    f"Finding '{f.get('title') or f.get('id')}': "
                    f"{f.get('automatic_status')} -> {f.get('status')}"
                )
            )
    for m in res.get("manual_measurements") or []:
        st.write(md_escape(f"Manual: {m.get('label')}: {m.get('value')} {m.get('unit')} ({m.get('method')})"))
    st.caption(
        "Corrections: " + "; ".join(md_escape(str(c.get("what"))) for c in prov.get("corrections") or [])
    )


def _fmt(v: Any, precision: int) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "not assessable"
    return f"{float(v):.{precision}f}"
