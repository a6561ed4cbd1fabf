"""Streamlit pages of the posture_cam dashboard (thin: every number comes from the package).

Pages are plain ``render()`` functions so they can be driven by Streamlit's ``AppTest``:
``AppTest.from_string("from posture_cam.ui import review; review.render()")``.
"""
