"""Home screen: what the app does, what it is not, and where the video goes (nowhere)."""

from __future__ import annotations

import streamlit as st

from . import nav

DISCLAIMER = (
    "posture_cam is a screening aid, not a diagnosis. Its numbers are estimates from a single camera; "
    "a flagged finding means 'worth a look by a qualified clinician', never 'you have condition X'."
)
PRIVACY = (
    "Your video never leaves this machine: the pose model runs locally, nothing is uploaded to any "
    "service, and no usage statistics are sent."
)


def render() -> None:
    st.title("posture_cam")
    st.markdown(
        "Posture and gait screening from an ordinary video. The app finds 33 body landmarks in every "
        "frame, works out which way the camera looks at the person, measures standing posture "
        "(shoulder and pelvic level, head position, trunk lean and flexion) and walking (cadence, step "
        "and stance times, symmetry), compares each number with published normal ranges and explains "
        "what it found and what it could not assess."
    )
    st.info(DISCLAIMER, icon=":material/medical_information:")
    st.success(PRIVACY, icon=":material/lock:")
    st.subheader("Choose what to do")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown(
            "**Webcam self-check**  \nStand in front of your camera; follow the guided capture "
            "(front, side, optional walk or forward bend)."
        )
        if st.button("Open webcam self-check", key="home_webcam"):
            nav.switch_to("webcam")
    with c2:
        st.markdown(
            "**Video review**  \nUpload one or more recordings; get annotated playback, charts, "
            "findings with evidence and a PDF/HTML report."
        )
        if st.button("Open video review", key="home_review"):
            nav.switch_to("review")
    with c3:
        st.markdown(
            "**Batch browser**  \nBrowse a folder written by `posture-cam batch`, open any "
            "recording, compare a person's sessions over time."
        )
        if st.button("Open batch browser", key="home_batch"):
            nav.switch_to("batch")
    st.caption(
        "Good recordings: whole body in the frame, camera at hip height and level, plain "
        "background, fitted clothes. Front or back view for levels and lean, side view for head "
        "position and trunk flexion, 4 or more steps across the frame for gait."
    )
