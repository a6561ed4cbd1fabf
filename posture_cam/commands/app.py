"""``posture-cam app``: start the Streamlit dashboard (``streamlit run streamlit_app.py``).

The dashboard is served on this machine only by default (``--address 127.0.0.1``); give
``--address 0.0.0.0`` to reach it from the LAN (the webcam page then also needs STUN/TURN, see
``POSTURE_CAM_ICE_SERVERS`` in the About page).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import InputNotFoundError


def app_script() -> Path:
    """The ``streamlit_app.py`` beside the package (a source checkout or an editable install)."""
    return Path(__file__).resolve().parents[2] / "streamlit_app.py"


def register(sub: Any) -> None:
    p = sub.add_parser("app", help="start the dashboard in the browser (Streamlit)")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument(
        "--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--browser", action="store_true", help="open a browser tab once the server is up")
    p.set_defaults(run=run)


def streamlit_command(script: Path, *, port: int, address: str, open_browser: bool) -> list[str]:
    """The argv that starts Streamlit on ``script`` (settings also live in .streamlit/config.toml)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "false" if open_browser else "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def run(args: argparse.Namespace) -> int:
    script = app_script()
    if not script.is_file():
        raise InputNotFoundError(f"dashboard script not found: {script} (run from a source checkout)")
    cmd = streamlit_command(script, port=args.port, address=args.address, open_browser=args.browser)
    print(f"posture-cam: dashboard on http://{args.address}:{args.port}  (Ctrl+C to stop)", flush=True)
    # cwd = repo root so Streamlit picks up .streamlit/config.toml
    return subprocess.call(cmd, cwd=script.parent, env=os.environ.copy())
