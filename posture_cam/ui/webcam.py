"""Webcam self-check: live skeleton and key angles from the user's browser camera (streamlit-webrtc),
a guided capture analysed like an uploaded video, and a single-snapshot check (``st.camera_input``).

The camera is the *browser's* (WebRTC), never the server's. ICE servers: none by default (works on
localhost and a LAN without internet); set ``POSTURE_CAM_ICE_SERVERS`` to a JSON list such as
``[{"urls": ["stun:stun.example.org:3478"]}, {"urls": "turn:turn.example.org", "username": "u",
"credential": "p"}]`` to reach the app from another network.
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from .. import catalogue
from ..config import Config
from ..errors import PostureCamError
from ..guided import CHECKED_PHASES
from ..pipeline import SubjectInfo
from .common import cache_dir
from .results import render_result

ANALYZER_KEY = "webcam_analyzer"
log = logging.getLogger(__name__)


def rtc_configuration() -> dict[str, Any]:
    """``{"iceServers": [...]}`` from ``$POSTURE_CAM_ICE_SERVERS`` (JSON list), default empty (local only)."""
    raw = os.environ.get("POSTURE_CAM_ICE_SERVERS", "").strip()
    if not raw:
        return {"iceServers": []}
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"POSTURE_CAM_ICE_SERVERS is not valid JSON ({exc.msg})") from None
    if isinstance(servers, dict) and "iceServers" in servers:
        servers = servers["iceServers"]
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        raise ValueError('POSTURE_CAM_ICE_SERVERS must be a JSON list like [{"urls": ["stun:host:3478"]}]')
    return {"iceServers": servers}


def get_analyzer() -> Any:
    """The session's LiveAnalyzer (one landmarker per browser session, created once)."""
    from ..live import LiveAnalyzer

    if ANALYZER_KEY not in st.session_state:
        an = LiveAnalyzer(Config())
        threading.Thread(target=_warm, args=(an,), name="posture-cam-warmup", daemon=True).start()
        st.session_state[ANALYZER_KEY] = an
    return st.session_state[ANALYZER_KEY]


def _warm(analyzer: Any) -> None:
    try:
        analyzer.warm_up()
    except Exception as exc:  # noqa: BLE001 - reported again (with the message) on the first frame
        log.warning("live landmarker warm-up failed: %s", exc)


def render() -> None:
    st.title("Webcam self-check")
    st.caption(
        "Your camera stream goes from your browser to this app on this machine only. "
        "A screening aid, not a diagnosis."
    )
    live_tab, snap_tab = st.tabs(["Live and guided capture", "Single snapshot"])
    with live_tab:
        render_live()
    with snap_tab:
        render_snapshot()


def render_live() -> None:
    try:
        rtc = rtc_configuration()
    except ValueError as exc:
        st.error(str(exc))
        return
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    analyzer = get_analyzer()
    try:
        ctx = webrtc_streamer(
            key="posture-live",
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc,
            media_stream_constraints={
                "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
                "audio": False,
            },
            video_frame_callback=analyzer.process_av,
            async_processing=True,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. no live Streamlit server (scripted runs): explain, no traceback
        log.warning("webrtc component unavailable: %s", exc)
        st.error(
            "The live camera component could not start here (it needs the app served by "
            "`posture-cam app` in a browser). The snapshot tab still works."
        )
        return
    playing = bool(getattr(ctx.state, "playing", False))
    c1, c2 = st.columns(2)
    with c1:
        optional = st.checkbox(
            "Include the optional walk and forward bend", value=True, key="webcam_optional"
        )
        if st.button("Start guided capture", disabled=not playing, key="webcam_start"):
            analyzer.start_capture(include_optional=optional, checked=True)
            st.session_state.pop("webcam_result", None)
    with c2:
        if st.button("Cancel capture", key="webcam_cancel"):
            analyzer.cancel_capture()
    if not playing:
        st.info("Press START above and allow the camera. Stand 2-3 m away so your whole body is in view.")
    st.caption(
        "The guided capture moves to the next step only when the camera sees the pose it asks for: "
        + "; ".join(f"{i + 1}. {p.title}" + (" (optional)" if p.optional else "")
                    for i, p in enumerate(CHECKED_PHASES))
    )  # fmt: skip
    live_panel(analyzer, playing)
    out = st.session_state.get("webcam_result")
    if out is not None:
        st.subheader("Result of the guided capture")
        result, out_dir = out
        render_result(result, out_dir, key="webcam")


@st.fragment(run_every=1.0)
def live_panel(analyzer: Any, playing: bool) -> None:
    """Refreshes every second: live angles, counters (also the browser tests' hook), capture progress."""
    s = analyzer.stats()
    st.markdown(
        f"Frames processed: **{s.frames}** · Frames with landmarks: "
        f"<span id='frames-with-landmarks'>**{s.frames_with_landmarks}**</span> · "
        f"{s.fps:.0f} fps · {s.latency_ms:.0f} ms per frame",
        unsafe_allow_html=True,
    )
    if s.error:
        st.warning(f"Live analysis problem: {s.error}")
    angles = {k: v for k, v in s.angles.items() if k != "view"}
    if s.angles:
        st.caption(f"View this frame: {catalogue.view_words(str(s.angles.get('view')))}")
    if angles:
        cols = st.columns(min(4, len(angles)))
        for i, (k, v) in enumerate(sorted(angles.items())):
            row = catalogue.info(k)
            cols[i % len(cols)].metric(row.name, row.fmt(v))
    elif s.frames and not s.angles:
        st.caption("No person in view.")
    guide = s.guide
    if guide:
        render_guide(guide)
    if s.capture_done and "webcam_result" not in st.session_state:
        if guide and guide.get("skipped"):
            st.info("Skipped (not seen in time): " + ", ".join(guide["skipped"]))
        st.success("Guided capture complete")
        with st.spinner("Analysing the capture..."):
            try:
                st.session_state["webcam_result"] = analyze_webcam_capture(analyzer)
            except PostureCamError as exc:
                st.session_state["webcam_result"] = None
                st.error(str(exc))
                analyzer.cancel_capture()
                return
        st.rerun()


def render_guide(guide: Mapping[str, Any]) -> None:
    """The current step of the checked capture: what to do, what is wrong, how long it was held."""
    if guide.get("failed"):
        st.error(str(guide["failed"]))
        return
    if guide.get("done"):
        return
    st.markdown(
        f"<div id='guided-phase'><b>Step {guide['step']} of {guide['n_steps']}: "
        f"{html.escape(str(guide['title']))}</b></div>",
        unsafe_allow_html=True,
    )
    st.caption(str(guide.get("instruction") or ""))
    hold = float(guide.get("hold_s") or 1.0)
    held = float(guide.get("held_s") or 0.0)
    left = guide.get("remaining_s")
    hint = str(guide.get("hint") or "Waiting for the camera...")
    st.progress(
        min(1.0, held / hold),
        text=f"{hint} · held {held:.0f} of {hold:.0f} s"
        + ("" if left is None else f" · {float(left):.0f} s left to do this step"),
    )


def analyze_webcam_capture(analyzer: Any) -> tuple[dict[str, Any], Path]:
    """Analyse the guided capture and write it like an uploaded video's folder (result.json,
    metrics_timeseries.csv, landmarks.parquet), so the result page has the same charts and reports."""
    from ..pipeline import finish_analysis

    seq = analyzer.captured_sequence()
    out_dir = cache_dir() / "webcam" / time.strftime("capture-%Y%m%d-%H%M%S", time.gmtime())
    done = finish_analysis(seq, None, out_dir, analyzer.config, subject=SubjectInfo(id="webcam"))
    return done.result, out_dir


def render_snapshot() -> None:
    st.markdown(
        "Take one photo standing facing the camera (or sideways): you get the skeleton and the "
        "key angles of that one moment. For findings, use the guided capture or a video."
    )
    shot = st.camera_input("Snapshot", key="webcam_snapshot")
    if shot is None:
        return
    import cv2

    img = cv2.imdecode(np.frombuffer(shot.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        st.error("The snapshot could not be decoded as an image.")
        return
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    try:
        from ..live import still_image_check

        drawn, angles = still_image_check(rgb)
    except PostureCamError as exc:
        st.warning(str(exc))
        return
    st.image(drawn, caption="Landmarks found", width="stretch")
    st.caption(f"View: {catalogue.view_words(str(angles.get('view')))}")
    values = {k: v for k, v in angles.items() if k != "view"}
    if not values:
        st.warning("Not enough of the body was visible to measure any angle.")
    for k, v in sorted(values.items()):
        row = catalogue.info(k)
        st.write(f"{row.name}: **{row.fmt(v)}**")
