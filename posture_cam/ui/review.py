"""Video review (clinician): upload recordings, analyse them once (cached), inspect the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from ..config import Config
from ..errors import PostureCamError
from ..export import md_escape
from ..pipeline import SubjectInfo
from ..uploads import discard_upload, release_upload, save_upload
from . import common
from .results import render_result

OPEN_KEY = "review_open_dir"  # set by other pages (batch browser) to open a result folder here


def render() -> None:
    st.title("Video review")
    st.caption(
        "Upload one or more recordings. Each is analysed once; the same file with the same settings "
        "is read back from the cache. Nothing leaves this machine."
    )
    with st.form("review_form"):
        files = st.file_uploader(
            "Videos (or a still image)",
            type=list(common.VIDEO_TYPES + common.IMAGE_TYPES),
            accept_multiple_files=True,
            key="review_files",
        )
        c1, c2, c3 = st.columns(3)
        subject_id = c1.text_input("Subject id (optional)", key="review_subject")
        height = c2.number_input(
            "Subject height in cm (optional, 0 = unknown)",
            min_value=0.0,
            max_value=250.0,
            value=0.0,
            step=1.0,
            key="review_height",
        )
        overlay = c3.checkbox(
            "Annotated video",
            value=True,
            key="review_overlay",
            help="Write an H.264 video with the skeleton drawn (slower).",
        )
        go = st.form_submit_button("Analyse", type="primary")
    if go:
        if not files:
            st.warning("Choose at least one video file first.")
        else:
            subject = SubjectInfo(
                id=subject_id.strip() or None, height_cm=float(height) if height > 0 else None
            )
            config = Config().with_overrides({"output.overlay": bool(overlay)})
            opened = analyse_uploads([(f.name, f) for f in files], config, subject)
            if opened:
                st.session_state[OPEN_KEY] = str(opened[-1])
                st.session_state["review_dirs"] = {
                    **st.session_state.get("review_dirs", {}),
                    **{str(d): n for n, d in opened_names(opened)},
                }
    show_results()


def opened_names(dirs: list[Path]) -> list[tuple[str, Path]]:
    out = []
    for d in dirs:
        res = common.load_result(d) or {}
        src = (res.get("input") or {}).get("path")
        out.append((Path(str(src)).name if src else d.name, d))
    return out


def analyse_uploads(uploads: list[tuple[str, Any]], config: Config, subject: SubjectInfo) -> list[Path]:
    """Analyse each upload (bytes or a file object; cached); show an error or warning per failed file.

    Uploads are streamed to the cache under the size limit and deleted again when rejected
    (posture_cam.uploads). Returns result folders.
    """
    done: list[Path] = []
    for name, data in uploads:
        size = len(data) if isinstance(data, bytes) else getattr(data, "size", None)
        if not size:
            st.error(md_escape(f"{name}: the file is empty."))
            continue
        try:
            stored = save_upload(
                data, name, root=common.cache_dir(), max_bytes=int(config.extraction.max_file_size_mb * 1e6)
            )
        except PostureCamError as exc:
            release_upload(data)  # nor in the server's memory
            st.error(md_escape(str(exc)))
            continue
        path, sha = stored.path, stored.sha256
        bar = st.progress(0.0, text=f"{name}: starting")

        def progress(fraction: float, text: str, _bar=bar, _name=name) -> None:
            _bar.progress(fraction, text=f"{_name}: {text}")

        outcome = common.analyze_cached(path, sha, config, subject, name=name, progress=progress)
        bar.empty()
        if outcome.error:
            discard_upload(path)  # a rejected upload does not stay in the cache
            release_upload(data)  # nor in the server's memory
            msg = outcome.error if outcome.error.startswith(name) else f"{name}: {outcome.error}"
            (st.warning if outcome.level == "warning" else st.error)(md_escape(msg))
            continue
        assert outcome.out_dir is not None
        st.toast(f"{name}: {'read from cache' if outcome.cached else 'analysed'}")
        done.append(outcome.out_dir)
    return done


def show_results() -> None:
    dirs: dict[str, str] = dict(st.session_state.get("review_dirs", {}))
    current = st.session_state.get(OPEN_KEY)
    if current and current not in dirs:
        res = common.load_result(Path(current)) or {}
        src = (res.get("input") or {}).get("path")
        dirs[current] = Path(str(src)).name if src else Path(current).name
        st.session_state["review_dirs"] = dirs
    if not dirs:
        st.info("No analysis open yet.")
        return
    keys = list(dirs)
    idx = keys.index(current) if current in keys else len(keys) - 1
    chosen = st.selectbox("Recording", keys, index=idx, format_func=lambda d: dirs[d], key="review_pick")
    st.session_state[OPEN_KEY] = chosen
    result = common.load_result(Path(chosen))
    if result is None:
        st.error(md_escape(f"No finished analysis in {chosen} (result.json is missing)."))
        return
    render_result(result, Path(chosen), key="review")
