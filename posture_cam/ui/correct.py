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
from ..report_model import humanize
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


def describe(c: Correction | dict[str, Any]) -> str:
    """A correction in words: landmark and point names as words, not as the file's identifiers."""
    if isinstance(c, Correction):
        text, names = c.describe(), (c.landmark, c.name)
    else:
        text, names = str(c.get("what") or ""), (c.get("landmark"), c.get("name"))
    for n in names:
        if n:
            text = text.replace(str(n), _words(str(n)))
    return text


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


#: Largest size the frame is shown at [display px]: small recordings are enlarged so that a
#: landmark can be placed to within a few pixels, large ones shrunk to fit the page.
DISPLAY_MAX_W, DISPLAY_MAX_H = 760, 720
#: A press-and-release that moved less than this [display px] is a click: the landmark is placed
#: where it was clicked; a longer drag moves the landmark by the drag.
CLICK_MAX_PX = 3.0


def display_width(img_shape: tuple[int, ...]) -> int:
    """Width [px] the frame is shown at (aspect kept; see :data:`DISPLAY_MAX_W`)."""
    h, w = int(img_shape[0]), int(img_shape[1])
    return max(1, int(min(DISPLAY_MAX_W, w * DISPLAY_MAX_H / max(h, 1))))


def _click(img: np.ndarray, key: str, drag: bool) -> dict[str, Any] | None:
    """The last click or drag on the frame, in the frame's pixels (display scale removed)."""
    from streamlit_image_coordinates import streamlit_image_coordinates

    value = streamlit_image_coordinates(
        img, key=key, click_and_drag=drag, width=display_width(img.shape), cursor="crosshair"
    )
    if not value:
        return None
    sx = img.shape[1] / float(value.get("width") or img.shape[1])
    sy = img.shape[0] / float(value.get("height") or img.shape[0])
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k in ("x", "x1", "x2") and v is not None:
            out[k] = float(v) * sx
        elif k in ("y", "y1", "y2") and v is not None:
            out[k] = float(v) * sy
    out["scale"] = sx
    out["unix_time"] = value.get("unix_time")
    return out


def _segment_of(pos: int, frames: np.ndarray, segments: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(first, last) source frame of the quiet-standing segment containing position ``pos``."""
    f = int(frames[pos])
    for seg in segments:
        if seg.get("activity") == "standing" and seg["start_frame"] <= f <= seg["end_frame"]:
            return int(seg["start_frame"]), int(seg["end_frame"])
    return None


def _same_span(a: int, b: int, frames: np.ndarray, segments: list[dict[str, Any]]) -> bool:
    """Whether source frames ``a`` and ``b`` get the same landmark shift (same standing part, or equal)."""
    if a == b:
        return True
    pos = {int(f): i for i, f in enumerate(frames)}
    if a not in pos or b not in pos:
        return False
    sa = _segment_of(pos[a], frames, segments)
    return sa is not None and sa == _segment_of(pos[b], frames, segments)


def corrected_xy(
    xy: np.ndarray, frames: np.ndarray, segments: list[dict[str, Any]], pos: int, cor: Corrections
) -> np.ndarray:
    """The landmarks of position ``pos`` as they stand with the pending landmark corrections
    (the same shift rule as :func:`posture_cam.corrections.apply_landmark_corrections`)."""
    out = np.array(xy[pos], copy=True)
    index = {int(f): i for i, f in enumerate(frames)}
    for c in cor.of("landmark"):
        if c.frame not in index or not _same_span(c.frame, int(frames[pos]), frames, segments):
            continue
        lm = int(Landmark[c.landmark or ""])
        base = xy[index[c.frame], lm]
        target = np.array([float(c.x_px or 0.0), float(c.y_px or 0.0)])
        if np.all(np.isfinite(base)) and np.all(np.isfinite(out[lm])):
            out[lm] = out[lm] + (target - base)
        elif c.frame == int(frames[pos]):
            out[lm] = target
    return out


def _landmarks(res, out_dir, frames, times, xy, segments, by) -> None:
    st.markdown(
        "Choose a landmark, then **drag it** on the frame to where it belongs (press on it, move, release), "
        "or click where it belongs. In quiet standing the shift applies to the whole standing part the "
        "frame belongs to."
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
    cor = _entries()
    now = corrected_xy(xy, frames, segments, pos, cor)
    placed = [
        (float(c.x_px or 0.0), float(c.y_px or 0.0)) for c in cor.of("point") if c.frame == int(frames[pos])
    ]
    img = _draw(_frame_image(res, out_dir, float(times[pos]), size), now, what, placed)
    v = _click(img, f"correct_lm_img_{pos}", drag=True)
    last = st.session_state.get("correct_lm_last")
    if v is None or v.get("unix_time") == last or "x2" not in v:
        return
    st.session_state["correct_lm_last"] = v.get("unix_time")
    if point != "(none)":
        c = Correction("point", int(frames[pos]), by=by, name=point, x_px=v["x2"], y_px=v["y2"])
    else:
        moved = math.hypot(v["x2"] - v["x1"], v["y2"] - v["y1"]) / max(v["scale"], 1e-9)
        p = now[int(Landmark[what])]
        if moved < CLICK_MAX_PX or not np.all(np.isfinite(p)):
            x, y = v["x2"], v["y2"]  # a click: the landmark goes where it was clicked
        else:  # a drag: the landmark moves with the pointer
            x, y = float(p[0]) + v["x2"] - v["x1"], float(p[1]) + v["y2"] - v["y1"]
        c = Correction("landmark", int(frames[pos]), by=by, landmark=what, x_px=round(x, 1), y_px=round(y, 1))
        # a new position of the same landmark replaces the earlier one for the same frames
        keep = tuple(
            e
            for e in cor.entries
            if not (
                e.kind == "landmark" and e.landmark == what and _same_span(e.frame, c.frame, frames, segments)
            )
        )
        cor = Corrections(keep, cor.input_sha256)
    _set(cor.add(c))
    st.toast(describe(c))
    st.rerun()  # draw the frame again with the landmark where it now is


EVENT_WORDS = {"heel_strike": "foot contact", "toe_off": "foot off"}
ACTION_WORDS = {
    "add": "add (missed)",
    "move": "move",
    "delete": "delete",
    "flip": "flip side",
}


def _events(res, frames, times, xy, by) -> None:
    gait = res.get("gait") or {}
    events = pd.DataFrame(gait.get("events") or [])
    if events.empty:
        st.info("No gait events were detected in this recording. You can still add contacts below.")
    else:
        heel = xy[:, [int(Landmark.LEFT_HEEL), int(Landmark.RIGHT_HEEL)], 1]
        # plain column names: Vega-Lite reads brackets and dots in a field name as nested access
        traj = pd.DataFrame(
            {
                "t": np.concatenate([times, times]),
                "y": np.concatenate(heel.T),
                "foot": ["left"] * len(times) + ["right"] * len(times),
            }
        ).dropna()
        line = (
            alt.Chart(traj)
            .mark_line()
            .encode(
                x=alt.X("t:Q", title="time [s]"),
                y=alt.Y(
                    "y:Q", title="heel height in the frame [px]", scale=alt.Scale(reverse=True, zero=False)
                ),
                color=alt.Color("foot:N", title="foot"),
            )
        )
        ev = pd.DataFrame(
            {
                "t": events["time_s"],
                "foot": events["foot"],
                "frame": events["frame"],
                "event": events["type"].map(EVENT_WORDS).fillna(events["type"]),
                "dash": events["type"].map({"heel_strike": "foot contact", "toe_off": "foot off"}),
            }
        )
        rules = (
            alt.Chart(ev)
            .mark_rule()
            .encode(
                x="t:Q",
                color=alt.Color("foot:N", title="foot"),
                strokeDash=alt.StrokeDash("dash:N", title="event"),
                tooltip=[
                    alt.Tooltip("frame:Q", title="frame"),
                    alt.Tooltip("foot:N", title="foot"),
                    alt.Tooltip("event:N", title="event"),
                ],
            )
        )
        st.altair_chart(line + rules, width="stretch")
        table = events[["frame", "time_s", "foot", "type", "plausible"]].rename(
            columns={
                "frame": "Frame",
                "time_s": "Time [s]",
                "foot": "Foot",
                "type": "Event",
                "plausible": "Kept",
            }
        )
        table["Event"] = table["Event"].map(EVENT_WORDS).fillna(table["Event"])
        table["Time [s]"] = table["Time [s]"].round(2)
        st.dataframe(table, hide_index=True, width="stretch")
    with st.form("correct_event_form"):
        c1, c2, c3, c4, c5 = st.columns(5)
        action = c1.selectbox(
            "Action", tuple(ACTION_WORDS), key="correct_ev_action", format_func=ACTION_WORDS.__getitem__
        )
        foot = c2.selectbox("Foot", ("left", "right"), key="correct_ev_foot")
        typ = c3.selectbox(
            "Event", ("heel_strike", "toe_off"), key="correct_ev_type",
            format_func=EVENT_WORDS.__getitem__,
        )  # fmt: skip
        frame = c4.number_input("Frame", 0, int(frames[-1]), int(frames[0]), key="correct_ev_frame")
        to_frame = c5.number_input("Move to frame", 0, int(frames[-1]), int(frames[0]), key="correct_ev_to")
        if st.form_submit_button("Add this event edit"):
            c = Correction(
                "event", int(frame), by=by, action=action, foot=None if action == "flip" else foot,
                type=None if action == "flip" else typ, to_frame=int(to_frame) if action == "move" else None,
            )  # fmt: skip
            _set(_entries().add(c))
            st.toast(describe(c))


def _clear_clicks() -> None:
    st.session_state[CLICKS_KEY] = []


def _tools(res, out_dir, frames, times, xy, by) -> None:
    tool = st.selectbox("Tool", list(TOOLS), key="correct_tool", format_func=TOOL_WORDS.__getitem__)
    label = st.text_input(
        "What you measure (label)", value=TOOL_WORDS[tool], key=f"correct_tool_label_{tool}"
    )
    pos = _pick_frame(res, frames, times, [], "correct_tool_frame")
    clicks: list[tuple[float, float]] = list(st.session_state.get(CLICKS_KEY) or [])
    size = (
        int((res.get("input") or {}).get("width") or 640),
        int((res.get("input") or {}).get("height") or 480),
    )
    img = _draw(_frame_image(res, out_dir, float(times[pos]), size), xy[pos], None, clicks)
    st.caption(f"Click {TOOLS[tool]} points on the frame ({len(clicks)} so far). {TOOL_HELP[tool]}")
    v = _click(img, f"correct_tool_img_{pos}", drag=False)
    st.button("Clear the clicked points", key="correct_tool_clear", on_click=_clear_clicks)
    if v is None or v.get("unix_time") == st.session_state.get("correct_tool_last") or "x" not in v:
        return
    st.session_state["correct_tool_last"] = v.get("unix_time")
    clicks.append((round(v["x"], 1), round(v["y"], 1)))
    st.session_state[CLICKS_KEY] = clicks
    if len(clicks) >= TOOLS[tool]:
        c = Correction(
            "measurement",
            int(frames[pos]),
            by=by,
            tool=tool,
            points=tuple(clicks[: TOOLS[tool]]),
            label=label.strip() or TOOL_WORDS[tool],
        )
        _set(_entries().add(c))
        st.session_state[CLICKS_KEY] = []
        st.toast(describe(c))
    st.rerun()  # draw the clicked points


TOOL_HELP = {
    "angle": "The angle is measured at the second point.",
    "line_tilt": "The camera's roll is removed before the tilt is measured.",
    "distance": "In cm when the scale is known (subject height), else in % of body height.",
}
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
        c1.write(md_escape(describe(c)))
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
        except Exception as exc:  # noqa: BLE001 - the page never shows a traceback
            common.log.exception("recompute with corrections failed in %s", out_dir)
            st.error(
                md_escape(
                    f"Recomputing failed unexpectedly ({type(exc).__name__}: {exc}). "
                    "Details are in the server log."
                )
            )
            return
        st.cache_data.clear()
        st.success("Recomputed. Corrected values are shown below and on the review page.")
        st.rerun()


STATUS_WORDS = {
    "ok": "within the normal band",
    "normal": "within the normal band",
    "borderline": "borderline",
    "flagged": "flagged",
    "not_flagged": "not flagged",
    "not_assessable": "not assessable",
    None: "not evaluated",
}


def _provenance(res: dict[str, Any]) -> None:
    prov = res.get("provenance")
    if not prov:
        return
    st.subheader("Corrected versus automatic")
    st.caption(f"Recomputed {md_escape(str(res.get('created_utc') or ''))} (UTC) with your corrections.")
    rows = []
    for section in (res.get("metrics") or {}, (res.get("gait") or {}).get("metrics") or {}):
        for key, m in section.items():
            extra = m.get("extra") or {}
            if extra.get("provenance") != "corrected":
                continue
            info = catalogue.info(key)
            now, was = _fmt(info, m.get("value")), _fmt(info, extra.get("automatic_value"))
            if now == was and "not assessable" not in now:  # a change below the shown precision
                now, was = (_fmt(info, v, 2) for v in (m.get("value"), extra.get("automatic_value")))
            rows.append({"Measurement": info.name, "Corrected": now, "Automatic": was})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("The corrections changed none of the measurements.")
    for f in res.get("findings") or []:
        if f.get("provenance") == "corrected":
            st.write(
                md_escape(
                    f"Finding '{humanize(f.get('title') or f.get('id'))}': "
                    f"{STATUS_WORDS.get(f.get('automatic_status'), 'not evaluated')} automatically, "
                    f"{STATUS_WORDS.get(f.get('status'), str(f.get('status')))} with the corrections"
                )
            )
    manual = res.get("manual_measurements") or []
    if manual:
        st.markdown("**Measured by hand**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Measurement": str(m.get("label") or ""),
                        "Value": catalogue.format_value(m.get("value"), 1, str(m.get("unit") or "")),
                        "Frame": m.get("frame"),
                        "How": str(m.get("method") or ""),
                    }
                    for m in manual
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    st.caption(
        "Corrections applied: " + "; ".join(md_escape(describe(c)) for c in prov.get("corrections") or [])
    )


def _fmt(info: catalogue.MetricInfo, v: Any, more_digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "not assessable"
    return catalogue.format_value(v, info.precision + more_digits, info.unit)
