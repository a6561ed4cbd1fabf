"""Page registry: one ``st.Page`` per screen, shared so pages can link to each other."""

from __future__ import annotations

from typing import Any

import streamlit as st

# Filled by :func:`build_navigation`; pages use it for ``st.switch_page`` (absent in single-page tests).
PAGES: dict[str, Any] = {}


def build_navigation() -> Any:
    """Build the ``st.navigation`` object of the app (home, webcam, review, compare, batch, about)."""
    from . import about, batch, compare, correct, home, review, webcam

    PAGES.clear()
    PAGES.update(
        {
            "home": st.Page(home.render, title="Home", icon=":material/home:", url_path="home", default=True),
            "webcam": st.Page(
                webcam.render, title="Webcam self-check", icon=":material/videocam:", url_path="webcam"
            ),
            "review": st.Page(
                review.render, title="Video review", icon=":material/movie:", url_path="review"
            ),
            "correct": st.Page(
                correct.render, title="Check and correct", icon=":material/edit:", url_path="correct"
            ),
            "compare": st.Page(
                compare.render, title="Compare sessions", icon=":material/compare_arrows:", url_path="compare"
            ),
            "batch": st.Page(
                batch.render, title="Batch browser", icon=":material/table_view:", url_path="batch"
            ),
            "about": st.Page(
                about.render, title="About and sources", icon=":material/info:", url_path="about"
            ),
        }
    )
    return st.navigation(list(PAGES.values()))


def switch_to(name: str) -> bool:
    """Go to page ``name`` if the navigation is built (True), else do nothing (False)."""
    page = PAGES.get(name)
    if page is None:
        return False
    st.switch_page(page)
    return True
