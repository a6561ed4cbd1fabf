"""posture_cam dashboard: ``streamlit run streamlit_app.py`` (or ``posture-cam app``).

A thin shell: the pages live in :mod:`posture_cam.ui`, every number comes from the package.
"""

from __future__ import annotations

import streamlit as st

from posture_cam.ui import nav

st.set_page_config(page_title="posture_cam", page_icon=":material/accessibility_new:", layout="wide")
nav.build_navigation().run()
