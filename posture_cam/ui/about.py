"""About and sources: how the app measures, its limits, the documents behind the rules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import streamlit as st

from .. import __version__
from .home import DISCLAIMER, PRIVACY


def rules_documents() -> tuple[str, dict[str, str]]:
    """(rules_version, {doc id: title}) of the packaged rules file."""
    path = Path(__file__).resolve().parents[1] / "rules" / "rules.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return str(data.get("rules_version", "?")), {
        str(k): str(v) for k, v in (data.get("documents") or {}).items()
    }


def render() -> None:
    st.title("About posture_cam")
    st.markdown(f"Version **{__version__}**. {DISCLAIMER}")
    st.markdown(PRIVACY)
    st.subheader("How it measures")
    st.markdown(
        "- **Landmarks**: MediaPipe Pose Landmarker (33 body points per frame), run locally.\n"
        "- **View**: each frame is classified as front, back, left or right side, oblique or unknown; a "
        "measurement is only reported from the view it needs (levels and lean from front/back, head and "
        "trunk flexion from the side).\n"
        "- **Signals**: low-visibility points are dropped, outliers removed, short gaps filled and the "
        "series low-pass filtered; the summary value is the median with its interquartile range.\n"
        "- **Findings**: thresholds and wording live in a rules file; each finding lists its evidence, "
        "the kinetic chain it may belong to and its sources."
    )
    st.subheader("Sources behind the rules")
    try:
        version, docs = rules_documents()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        st.warning(f"The rules file could not be read ({exc}).")
    else:
        st.caption(f"rules version {version}")
        for title in docs.values():
            st.markdown(f"- {title}")
    st.subheader("Remote webcam use")
    st.markdown(
        "The webcam page connects without any STUN/TURN server, which works on this machine and on "
        "a local network. To use it across networks set `POSTURE_CAM_ICE_SERVERS`, e.g. "
        '`[{"urls": ["stun:stun.example.org:3478"]}]`.'
    )
