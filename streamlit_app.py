"""posture_cam dashboard: ``streamlit run streamlit_app.py`` (or ``posture-cam app``).

A thin shell: the pages live in :mod:`posture_cam.ui`, every number comes from the package.
"""

from __future__ import annotations

import streamlit as st

from posture_cam.ui import nav

# The favicon is an emoji (drawn by the browser as an inline SVG). A ":material/...:" page icon would
# make every page fetch the icon from fonts.gstatic.com; the in-page Material icons come from the font
# bundled with Streamlit and stay local (tests/e2e/test_privacy.py).
st.set_page_config(page_title="posture_cam", page_icon="🧍", layout="wide")
nav.build_navigation().run()
